/**
 * tsndis.tcpip against the Linux kernel over a TAP whose other end lives in a network namespace:
 * ping both ways over IPv4 and IPv6 (Linux `ping` in the namespace → tsndis, and `stack.ping` → Linux),
 * and UDP echo both ways on both families (a Python echo server and client in the namespace). Real
 * time, real ARP/ND on both sides (no static entries). Needs root, /dev/net/tun, ip, ping and python3;
 * skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import type { NdisRuntime } from '../../src/core/runtime/runtime.js';
import type { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { assertClean } from '../support/hosts.js';
import { interopSkipReason, waitExit, type Netns } from '../support/netns.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';

const OUR_MAC = '02:00:00:00:6e:02';
const KERNEL_MAC = '02:00:00:00:6e:01';
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The host and the /24 and /64 prefixes its two sides share (tsndis .2 and :2, Linux .1 and :1). */
interface Env {
  host: TapTcpIpHost;
  rt: NdisRuntime;
  ip: TcpIpProtocol;
  ns: Netns;
  v4: string;
  v6: string;
  cleanup(): Promise<void>;
}

let serial = 0;

async function setup(): Promise<Env> {
  const n = 100 + ((process.pid + serial++) % 100);
  const v4 = `198.18.${n}`;
  const v6 = `fd00:${n.toString(16)}:`;
  const host = await TapTcpIpHost.create({ name: 'ipHost', tapKind: 'tip', ourMac: OUR_MAC, kernelMac: KERNEL_MAC, subnet: v4, subnet6: v6 });
  return { host, rt: host.rt, ip: host.ip, ns: host.ns, v4, v6, cleanup: () => host.destroy() };
}

function skip(t: TestContext): boolean {
  const reason = interopSkipReason('ping');
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  return false;
}

/** Runs a command in the namespace without blocking the event loop (tsndis keeps serving); bounded. */
function run(env: Env, cmd: string, ...args: string[]): Promise<string> {
  return env.ns.run(cmd, args, 20_000);
}

test('tcpip interop: Linux pings tsndis and tsndis pings Linux, IPv4 and IPv6', async (t) => {
  if (skip(t)) return;
  const env = await setup();
  try {
    const out4 = await run(env, 'ping', '-c', '3', '-i', '0.2', '-W', '2', `${env.v4}.2`);
    assert.match(out4, /3 packets transmitted, 3 received/);
    const r4 = await env.ip.stack.ping(`${env.v4}.1`, { count: 3, intervalMs: 200, timeoutMs: 2000 });
    assert.deepEqual([r4.transmitted, r4.received], [3, 3]);
    for (const rtt of r4.rttMs) assert.ok(rtt !== null && rtt >= 0);
    assert.ok(await env.host.ready(), 'DAD finished');
    const out6 = await run(env, 'ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', `${env.v6}:2`);
    assert.match(out6, /3 packets transmitted, 3 received/);
    const r6 = await env.ip.stack.ping(`${env.v6}:1`, { count: 3, intervalMs: 200, timeoutMs: 2000 });
    assert.deepEqual([r6.transmitted, r6.received], [3, 3]);
    // Large pings: fragmented by the sender, reassembled by the other side, both ways.
    assert.match(await run(env, 'ping', '-c', '1', '-s', '4000', '-W', '2', `${env.v4}.2`), /1 received/);
    assert.match(await run(env, 'ping', '-6', '-c', '1', '-s', '4000', '-W', '2', `${env.v6}:2`), /1 received/);
    assert.equal((await env.ip.stack.ping(`${env.v4}.1`, { size: 4000, timeoutMs: 2000 })).received, 1);
    assert.equal((await env.ip.stack.ping(`${env.v6}:1`, { size: 4000, timeoutMs: 2000 })).received, 1);
    assert.equal(env.rt.verifier.total, 0);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});

const ECHO_SERVER = `
import socket, sys, select
fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', 7))
print('ready', flush=True)
for _ in range(int(sys.argv[2])):
    r, _, _ = select.select([s], [], [], 5)
    if not r:
        break
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
`;

const ECHO_CLIENT = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(3):
    msg = ('linux says %d ' % i).encode() * (1 + 400 * (i == 2))
    s.sendto(msg, (sys.argv[1], int(sys.argv[2])))
    data, _ = s.recvfrom(65535)
    assert data == msg, (len(data), len(msg))
print('ok', flush=True)
`;

test('tcpip interop: UDP echo both ways over IPv4 and IPv6 (Python in the namespace)', async (t) => {
  if (skip(t)) return;
  if (interopSkipReason(PYTHON) !== null) {
    t.skip(`needs ${PYTHON}`);
    return;
  }
  const env = await setup();
  try {
    assert.ok(await env.host.ready(), 'DAD finished');
    // tsndis → Linux: the kernel's echo server.
    for (const family of [4, 6] as const) {
      const server = env.ns.spawn(PYTHON, ['-c', ECHO_SERVER, String(family), '3']);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('echo server did not start')), 5000);
        server.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const sock = env.ip.stack.udp.open(family);
      sock.connect(family === 4 ? `${env.v4}.1` : `${env.v6}:1`, 7);
      for (const size of [5, 1000, 3000]) {
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 31 + family) & 0xff);
        sock.send(data);
        const reply = await Promise.race([sock.receive(), sleep(3000).then(() => null)]);
        assert.ok(reply !== null, `IPv${family} echo of ${size} bytes`);
        assert.deepEqual(reply.data, data);
      }
      sock.close();
      await waitExit(server, 5000);
    }
    // Linux → tsndis: our echo server, their client.
    const echo4 = env.ip.stack.udp.open(4).bind(7007);
    const echo6 = env.ip.stack.udp.open(6).bind(7007);
    for (const e of [echo4, echo6]) e.onMessage = (b, o, l, from) => e.send(b.slice(o, o + l), from.address, from.port);
    assert.match(await run(env, PYTHON, '-c', ECHO_CLIENT, `${env.v4}.2`, '7007'), /ok/);
    assert.match(await run(env, PYTHON, '-c', ECHO_CLIENT, `${env.v6}:2`, '7007'), /ok/);
    echo4.close();
    echo6.close();
    const c = env.ip.stack.counters;
    assert.ok(c.udp.inDatagrams >= 12);
    assert.ok(c.reassembly.reassembled >= 4, 'the 3000- and 4000-byte datagrams were fragmented');
    assert.equal(env.rt.verifier.total, 0);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});
