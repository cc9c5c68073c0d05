/**
 * A spoofed SYN flood and a timed Linux client, both python3 programs run inside a test's network
 * namespace (children of the Netns, killed at destroy):
 *
 * - `synFlood` writes Ethernet frames straight onto an interface with an AF_PACKET socket: TCP SYNs
 *   (MSS, SACK-permitted, timestamps, window scale — what Linux sends) from spoofed IPv4 sources to one
 *   address and port, at a bounded rate, for a bounded count and time. Sources are drawn from the
 *   given prefixes (on-link ones make the target resolve each of them; off-link ones go via its
 *   gateway), source MACs are random locally administered ones.
 * - `timedConnects` connects to a server `count` times, one after another with a pause, each with a
 *   timeout, and reports how long each handshake took and what TCP_INFO said about the options.
 *
 * Each prints one JSON line when done.
 */
import type { Netns } from './netns.js';

export interface FloodOptions {
  /** Interface inside the namespace the frames go out of. */
  ifname: string;
  dstMac: string;
  dstAddress: string;
  dstPort: number;
  /** Source prefixes `a.b.c.d/len`, used in turn; `sourcesPerPrefix` distinct addresses of each (host part ≥ 3). */
  prefixes: string[];
  sourcesPerPrefix: number;
  count: number;
  packetsPerSecond: number;
  maxSeconds: number;
  seed: number;
}

export interface FloodResult {
  sent: number;
  seconds: number;
  sources: number;
}

const FLOOD = String.raw`
import socket, struct, sys, json, time, random, ipaddress
ifname, dmac, dst, dport, prefixes, per, count, pps, maxs, seed = sys.argv[1:11]
dport = int(dport); per = int(per); count = int(count); pps = float(pps); maxs = float(maxs)
rnd = random.Random(int(seed))
dmac = bytes.fromhex(dmac.replace(':', ''))
dst_b = socket.inet_aton(dst)
sources = []
for p in prefixes.split(','):
    net = ipaddress.ip_network(p, strict=False)
    picked = set()
    while len(picked) < min(per, net.num_addresses - 4):
        picked.add(int(net.network_address) + 3 + rnd.randrange(net.num_addresses - 4))
    sources += [struct.pack('!I', a) for a in sorted(picked)]
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
# MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 (Linux's SYN options, 20 bytes)
def options(tsval):
    return struct.pack('!BBH', 2, 4, 1460) + bytes([4, 2, 8, 10]) + struct.pack('!II', tsval, 0) + bytes([1, 3, 3, 7])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
t0 = time.time(); sent = 0
while sent < count and time.time() - t0 < maxs:
    src = sources[sent % len(sources)]
    smac = bytes([0x02, rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)])
    sport = 1024 + rnd.randrange(60000)
    opt = options(rnd.getrandbits(32))
    tcp = struct.pack('!HHIIBBHHH', sport, dport, rnd.getrandbits(32), 0, (5 + len(opt) // 4) << 4, 0x02, 64240, 0, 0) + opt
    pseudo = src + dst_b + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), rnd.randrange(65536), 0x4000, 64, 6, 0, src, dst_b)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    s.send(dmac + smac + b'\x08\x00' + ip + tcp)
    sent += 1
    # Paced in small batches: ahead of schedule, sleep.
    if sent % 20 == 0:
        ahead = sent / pps - (time.time() - t0)
        if ahead > 0: time.sleep(ahead)
print(json.dumps({'sent': sent, 'seconds': time.time() - t0, 'sources': len(sources)}), flush=True)
`;

export interface ConnectResult {
  /** Handshake times in seconds, one per attempt (null: it failed or timed out). */
  times: (number | null)[];
  /** `<attempt>: connect|echo: <error>` (the phase tells a handshake that failed from a stalled echo). */
  errors: string[];
  /**
   * TCP_INFO of each connected socket right after connect: options bits (1 timestamps, 2 SACK, 4 window
   * scale), scales, and retransmissions so far (a SYN sent again counts: its RTO is 1 s).
   */
  info: { options: number; sndWscale: number; rcvWscale: number; totalRetrans: number }[];
  /** Bytes echoed back intact over the first connection (`echoBytes`). */
  echoed: number;
}

const CONNECTS = String.raw`
import socket, struct, sys, json, time
dst, port, count, timeout, pause, echo, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
time.sleep(delay)
times = []; errors = []; info = []; echoed = 0
for i in range(count):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(timeout)
    t = time.time()
    phase = 'connect'
    try:
        c.connect((dst, port))
        times.append(time.time() - t)
        phase = 'echo'
        ti = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        info.append({'options': ti[5], 'sndWscale': ti[6] & 15, 'rcvWscale': ti[6] >> 4, 'totalRetrans': struct.unpack_from('I', ti, 100)[0]})
        if i == 0 and echo > 0:
            c.settimeout(10)
            data = bytes((j * 7 + 3) & 255 for j in range(echo))
            c.sendall(data)
            got = bytearray()
            while len(got) < echo:
                k = c.recv(65536)
                if not k: break
                got += k
            echoed = len(got) if bytes(got) == data else -1
    except Exception as e:
        if phase == 'connect': times.append(None)
        errors.append('%d: %s: %s' % (i, phase, e))
    finally:
        c.close()
    time.sleep(pause)
print(json.dumps({'times': times, 'errors': errors, 'info': info, 'echoed': echoed}), flush=True)
`;

function runJson<T>(ns: Netns, script: string, args: (string | number)[], timeoutS: number): Promise<T> {
  return ns.run('timeout', [String(timeoutS), 'python3', '-c', script, ...args.map(String)], (timeoutS + 5) * 1000).then((out) => {
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (line === undefined) throw new Error(`python printed no result: ${out}`);
    return JSON.parse(line) as T;
  });
}

/** Sends the flood; resolves when it is done (bounded by `count`, `maxSeconds` and a hard timeout). */
export function synFlood(ns: Netns, o: FloodOptions): Promise<FloodResult> {
  const args = [o.ifname, o.dstMac, o.dstAddress, o.dstPort, o.prefixes.join(','), o.sourcesPerPrefix, o.count, o.packetsPerSecond, o.maxSeconds, o.seed];
  return runJson<FloodResult>(ns, FLOOD, args, Math.ceil(o.maxSeconds) + 20);
}

/**
 * After `delayS`, `count` connects to `address`:`port`, `pauseS` apart, each bounded by `timeoutS`;
 * the first echoes `echoBytes` through the server.
 */
export function timedConnects(ns: Netns, address: string, port: number, o: { count: number; timeoutS: number; pauseS: number; delayS: number; echoBytes: number }): Promise<ConnectResult> {
  const args = [address, port, o.count, o.timeoutS, o.pauseS, o.echoBytes, o.delayS];
  return runJson<ConnectResult>(ns, CONNECTS, args, Math.ceil(o.delayS + o.count * (o.timeoutS + o.pauseS) + 30));
}
