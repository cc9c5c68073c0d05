/**
 * Many Linux TCP clients at once, for the memory measurements (bench/memory.ts, test/interop/memory):
 * python3 programs run in a test's namespace with one `selectors` loop over all their sockets, bounded
 * in connections and time. Each prints one JSON line.
 *
 * - `echoClients`: `conns` concurrent connections (at most 64 handshakes in flight) to an echo server, each sending `bytes` (the same
 *   seeded pattern) and checking that exactly those bytes come back, then closing (FIN first).
 * - `idleClients`: `conns` connections opened (at most 256 handshakes in flight), then held idle;
 *   prints `{"connected": n}` once all are up and keeps them until killed or `holdS` passes.
 */
import type { ChildProcess } from 'node:child_process';
import type { Netns } from './netns.js';

const ECHO_MANY = String.raw`
import socket, selectors, sys, json, time, random, resource, errno
addr, port, conns, total, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = conns + 64
if soft < want: resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
pool = random.Random(7).randbytes(1 << 20); pool = pool + pool
sel = selectors.DefaultSelector()
class C: pass
start = time.time(); ok = 0; errors = 0; active = 0; opened = 0; kinds = {}; connecting = 0
def open_one():
    global opened, active
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setblocking(False)
    s.connect_ex((addr, port))
    c = C(); c.s = s; c.sent = 0; c.recv = 0; c.bad = False; c.shut = False; c.up = False
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    opened += 1; active += 1
def done(c, good):
    global ok, errors, active, connecting
    sel.unregister(c.s); c.s.close(); active -= 1
    if not c.up: connecting -= 1
    if good: ok += 1
    else: errors += 1
while (opened < conns or active > 0) and time.time() - start < timeout:
    # At most 64 handshakes in flight: a burst of SYNs is a different measurement (SYN-flood admission).
    while opened < conns and connecting < 64: open_one(); connecting += 1
    for key, ev in sel.select(0.5):
        c = key.data
        try:
            if not c.up and ev & selectors.EVENT_WRITE:
                c.up = True; connecting -= 1
            if ev & selectors.EVENT_WRITE and c.sent < total:
                k = min(65536, total - c.sent); o = c.sent % (1 << 20)
                n = c.s.send(pool[o:o + k]); c.sent += n
                if c.sent == total:
                    c.s.shutdown(socket.SHUT_WR); c.shut = True
                    sel.modify(c.s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ:
                b = c.s.recv(262144)
                if not b:
                    done(c, c.recv == total and not c.bad and c.shut); continue
                o = c.recv % (1 << 20)
                if b != pool[o:o + len(b)]: c.bad = True
                c.recv += len(b)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            k = errno.errorcode.get(e.errno, str(e.errno)); kinds[k] = kinds.get(k, 0) + 1
            done(c, False)
print(json.dumps({'ok': ok, 'errors': errors, 'unfinished': active, 'seconds': time.time() - start, 'errorKinds': kinds}), flush=True)
`;

const IDLE_MANY = String.raw`
import socket, selectors, sys, json, time, resource
addr, port, conns, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = conns + 64
if soft < want: resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
sel = selectors.DefaultSelector()
up = []; pending = 0; opened = 0; failed = 0; start = time.time()
while (opened < conns or pending > 0) and time.time() - start < hold:
    while opened < conns and pending < 256:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setblocking(False)
        s.connect_ex((addr, port)); sel.register(s, selectors.EVENT_WRITE); opened += 1; pending += 1
    for key, ev in sel.select(0.5):
        s = key.fileobj; sel.unregister(s); pending -= 1
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0: up.append(s)
        else: failed += 1; s.close()
print(json.dumps({'connected': len(up), 'failed': failed, 'seconds': time.time() - start}), flush=True)
end = start + hold
while time.time() < end: time.sleep(0.2)
`;

export interface EchoClientsResult {
  /** Connections whose every byte came back exactly, ones that failed, and ones still open at the timeout. */
  ok: number;
  errors: number;
  unfinished: number;
  seconds: number;
  /** errno names of the failures, counted. */
  errorKinds: Record<string, number>;
}

/** `conns` concurrent echo clients of `bytes` each against `address:port`; resolves when all are done. */
export async function echoClients(ns: Netns, address: string, port: number, conns: number, bytes: number, timeoutS = 120): Promise<EchoClientsResult> {
  const out = await ns.run('python3', ['-c', ECHO_MANY, address, String(port), String(conns), String(bytes), String(timeoutS)], (timeoutS + 20) * 1000);
  return JSON.parse(out.trim().split('\n').at(-1)!) as EchoClientsResult;
}

/**
 * `conns` idle connections to `address:port`, held for up to `holdS` seconds: resolves with how many
 * are up once the handshakes are over; `child.kill()` ends them (the kernel closes them with FINs).
 */
export function idleClients(ns: Netns, address: string, port: number, conns: number, holdS: number): { child: ChildProcess; connected: Promise<{ connected: number; failed: number }> } {
  const child = ns.spawn('python3', ['-c', IDLE_MANY, address, String(port), String(conns), String(holdS)]);
  const connected = new Promise<{ connected: number; failed: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as { connected: number; failed: number });
    });
    child.once('exit', (code) => reject(new Error(`idle clients exited ${String(code)} before connecting: ${out}`)));
  });
  return { child, connected };
}
