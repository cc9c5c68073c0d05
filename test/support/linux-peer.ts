/**
 * The Linux end of TCP/UDP interop tests: small python3 programs run inside a test's network namespace
 * (python3 is what CI installs; no iperf3/netcat needed). Each prints one JSON line when done, so the
 * test compares byte counts and SHA-256 digests across the two ends. Every program is bounded by a
 * timeout of its own, and runs as a child of the Netns (killed at destroy).
 */
import type { ChildProcess } from 'node:child_process';
import type { Netns } from './netns.js';

export interface TransferResult {
  bytes: number;
  sha256: string;
  seconds: number;
}

const SINK = String.raw`
import socket, sys, json, hashlib, time
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(float(sys.argv[3]))
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
c.settimeout(float(sys.argv[3]))
hashing = sys.argv[4] == '1'
h = hashlib.sha256(); n = 0; buf = bytearray(1 << 20); t = time.time()
while True:
    k = c.recv_into(buf)
    if not k: break
    if hashing: h.update(memoryview(buf)[:k])
    n += k
c.close()
print(json.dumps({'bytes': n, 'sha256': h.hexdigest(), 'seconds': time.time() - t}), flush=True)
`;

const SOURCE = String.raw`
import socket, sys, json, hashlib, time, random
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
total = int(sys.argv[3]); rnd = random.Random(int(sys.argv[4])); hashing = sys.argv[6] == '1'
c = socket.socket(fam, socket.SOCK_STREAM)
c.settimeout(float(sys.argv[5]))
c.connect((sys.argv[1], int(sys.argv[2])))
h = hashlib.sha256(); n = 0; t = time.time()
pool = rnd.randbytes(1 << 20); pool = memoryview(pool + pool); off = 0
while n < total:
    k = min(1 << 16, total - n)
    b = pool[off:off + k]; c.sendall(b); n += k
    if hashing: h.update(b)
    off = (off + 65537 + 4099) % (1 << 20)
c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
c.close()
print(json.dumps({'bytes': n, 'sha256': h.hexdigest(), 'seconds': time.time() - t}), flush=True)
`;

const UDP_ECHO = String.raw`
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(float(sys.argv[3]))
print('ready', flush=True)
try:
    while True:
        d, a = s.recvfrom(65535)
        s.sendto(d, a)
except socket.timeout:
    pass
`;

const UDP_CLIENT = String.raw`
import socket, sys, json
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2.0)
ok = 0
for i in range(int(sys.argv[3])):
    msg = ('datagram %d ' % i).encode() * (1 + i % 50)
    for attempt in range(3):
        s.sendto(msg, (sys.argv[1], int(sys.argv[2])))
        try:
            d, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        if d == msg: ok += 1
        break
print(json.dumps({'sent': int(sys.argv[3]), 'echoed': ok}), flush=True)
`;

function python(ns: Netns, script: string, args: (string | number)[]): ChildProcess {
  return ns.spawn('timeout', ['120', 'python3', '-c', script, ...args.map(String)]);
}

/** Collects the child's stdout lines; resolves `ready` on a line 'ready' and `done` with the last JSON line. */
function watch<T>(child: ChildProcess): { ready: Promise<void>; done: Promise<T> } {
  let out = '';
  let err = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (/^ready$/m.test(out)) readyResolve();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (line === undefined) reject(new Error(`python exited ${code}: ${err.trim() || out.trim() || 'no output'}`));
      else resolve(JSON.parse(line) as T);
    });
  });
  done.catch(() => readyResolve());
  return { ready, done };
}

/** A TCP server in `ns` that reads one connection to EOF and reports bytes and SHA-256 (unless `hash` is false: benchmarks). */
export async function tcpSink(ns: Netns, address: string, port: number, timeoutS = 60, hash = true): Promise<{ done: Promise<TransferResult> }> {
  const w = watch<TransferResult>(python(ns, SINK, [address, port, timeoutS, hash ? 1 : 0]));
  await w.ready;
  return { done: w.done };
}

/** A TCP client in `ns` that sends `bytes` pseudo-random bytes (from `seed`), half-closes, waits for EOF. */
export function tcpSource(ns: Netns, address: string, port: number, bytes: number, seed = 1, timeoutS = 60, hash = true): Promise<TransferResult> {
  return watch<TransferResult>(python(ns, SOURCE, [address, port, bytes, seed, timeoutS, hash ? 1 : 0])).done;
}

/** A UDP echo server in `ns` (exits after `idleS` seconds without a datagram). */
export async function udpEchoServer(ns: Netns, address: string, port: number, idleS = 10): Promise<ChildProcess> {
  const child = python(ns, UDP_ECHO, [address, port, idleS]);
  const w = watch<unknown>(child);
  w.done.catch(() => undefined);
  await w.ready;
  return child;
}

/** Sends `count` datagrams of varying size to an echo server and counts exact echoes. */
export function udpEchoClient(ns: Netns, address: string, port: number, count: number): Promise<{ sent: number; echoed: number }> {
  return watch<{ sent: number; echoed: number }>(python(ns, UDP_CLIENT, [address, port, count])).done;
}

/** Random loss of `percent` % of everything `ns` receives (nftables numgen; the kernel here has no netem). */
export function nftablesLoss(ns: Netns, percent: number): void {
  ns.exec('nft', 'add', 'table', 'inet', 'tsndis_loss');
  ns.exec('nft', 'add chain inet tsndis_loss in { type filter hook input priority 0; }');
  ns.exec('nft', `add rule inet tsndis_loss in numgen random mod 100 < ${Math.round(percent)} counter drop`);
}

/** Packets the nftablesLoss rule has dropped so far (its counter). */
export function nftablesLossDrops(ns: Netns): number {
  const m = /counter packets (\d+)/.exec(ns.exec('nft', 'list', 'table', 'inet', 'tsndis_loss'));
  if (m === null) throw new Error('nftablesLoss: the rule or its counter is missing');
  return Number(m[1]);
}

/** What a bulk sender saw of its own connection (Linux TCP_INFO, read after the peer closed). */
export interface BulkSourceResult extends TransferResult {
  /** tcpi_total_retrans: segments retransmitted. */
  retransSegs: number;
  /** tcpi_data_segs_out: data segments sent, retransmissions included. */
  dataSegsOut: number;
  /** tcpi_total_rto: retransmission timeouts (-1 on kernels before 6.7). */
  rtos: number;
  /** tcpi_dsack_dups: segments the receiver reported as duplicates (D-SACK). */
  dsackDups: number;
  /** tcpi_busy_time and tcpi_rwnd_limited (µs): how long the sender was limited by the receive window. */
  busyUs: number;
  rwndLimitedUs: number;
}

const BULK_SOURCE = String.raw`
import socket, sys, json, time, struct
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
total = int(sys.argv[3]); maxs = float(sys.argv[4])
c = socket.socket(fam, socket.SOCK_STREAM)
c.settimeout(float(sys.argv[5]))
c.connect((sys.argv[1], int(sys.argv[2])))
n = 0; t = time.time(); block = bytes(range(256)) * 256
while n < total and (maxs <= 0 or time.time() - t < maxs):
    k = min(len(block), total - n)
    c.sendall(block[:k]); n += k
c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
seconds = time.time() - t
i = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
u32 = lambda o: struct.unpack_from('I', i, o)[0] if len(i) >= o + 4 else -1
u64 = lambda o: struct.unpack_from('Q', i, o)[0] if len(i) >= o + 8 else -1
rto = struct.unpack_from('H', i, 240)[0] if len(i) >= 242 else -1
c.close()
print(json.dumps({'bytes': n, 'sha256': '', 'seconds': seconds, 'retransSegs': u32(100), 'dataSegsOut': u32(156), 'rtos': rto,
                  'dsackDups': u32(216), 'busyUs': u64(168), 'rwndLimitedUs': u64(176)}), flush=True)
`;

/**
 * A bulk TCP sender in `ns` for measurements: `bytes` bytes (fewer if `maxSeconds` > 0 runs out first),
 * half-close, wait for the peer's EOF, then report its TCP_INFO (retransmissions, RTOs, D-SACKs, time
 * limited by the receive window). No hashing.
 */
export function tcpBulkSource(ns: Netns, address: string, port: number, bytes: number, maxSeconds = 0, timeoutS = 120): Promise<BulkSourceResult> {
  return watch<BulkSourceResult>(ns.spawn('timeout', [String(timeoutS + 10), 'python3', '-c', BULK_SOURCE, address, String(port), String(bytes), String(maxSeconds), String(timeoutS)])).done;
}
