/**
 * VXLAN miniport against a Linux `vxlan` device (testing-with-linux.md §2c): a veth pair is the underlay
 * (root side 198.19.N.1, where tsndis binds port 4789; namespace side 198.19.N.2), the namespace has
 * `vxlan id VNI remote 198.19.N.1 local 198.19.N.2 dstport 4789` with 198.19.(N+128).2/24 on it and a
 * permanent neighbour entry for the tsndis side (198.19.(N+128).1 → our MAC), so no ARP is needed.
 *
 * (a) tsndis → kernel: the raw protocol sends hand-built Ethernet/IPv4/UDP frames; tcpdump on the
 *     vxlan device sees them byte-exact, and a UDP socket in the namespace receives the payloads (the
 *     kernel accepted our checksums). Nothing is learned yet, so they were flooded to the static remote.
 * (b) kernel → tsndis: `ping` sends three echo requests; they reach the raw protocol byte-exact (same
 *     bytes as tcpdump saw leave the kernel) and are valid echo requests; the test answers each through
 *     the raw protocol and ping gets 3/3 replies. The kernel's MAC was learned behind 198.19.N.2:4789
 *     (not the datagram's hashed source port), and the replies went there as learned unicast.
 * Needs root, ip, tcpdump, ping and /usr/bin/python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { vxlanMiniport, type VxlanAdapter } from '../../src/drivers/miniport/vxlan/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { checksum, ethernet, hex, icmpEcho, ip4, ipv4, mac, udp } from '../support/frames.js';
import { assertClean } from '../support/hosts.js';
import { Netns, interopSkipReason, sh, shQuiet, uniqueName, waitExit } from '../support/netns.js';
import { readPcapFrames } from '../support/pcap-lite.js';

const OUR_MAC = '02:00:00:00:4e:01';
const KERNEL_MAC = '02:00:00:00:4e:02';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Env {
  rt: NdisRuntime;
  raw: RawProtocol;
  vx: VxlanAdapter;
  ns: Netns;
  vxdev: string;
  nsVeth: string;
  vni: number;
  underlay: number;
  overlay: number;
  dir: string;
  logs: string[];
  cleanup(): Promise<void>;
}

async function setup(): Promise<Env> {
  const underlay = 1 + (process.pid % 120);
  const overlay = underlay + 128;
  const vni = 4000 + (process.pid % 1000);
  const rootVeth = uniqueName('vu');
  const nsVeth = uniqueName('vp');
  const vxdev = uniqueName('vx');
  shQuiet('ip', ['link', 'del', rootVeth]); // a crashed earlier run
  const ns = Netns.create();
  const logs: string[] = [];
  let rt: NdisRuntime | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-vxlan-'));
  const cleanup = async (): Promise<void> => {
    ns.destroy();
    shQuiet('ip', ['link', 'del', rootVeth]);
    if (rt !== null) await rt.shutdown();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    sh('ip', ['link', 'add', rootVeth, 'type', 'veth', 'peer', 'name', nsVeth]);
    ns.adopt(nsVeth, { address: `198.19.${underlay}.2/24` });
    sh('ip', ['addr', 'add', `198.19.${underlay}.1/24`, 'dev', rootVeth]);
    sh('ip', ['link', 'set', rootVeth, 'up']);
    ns.ip('link', 'add', vxdev, 'type', 'vxlan', 'id', String(vni), 'remote', `198.19.${underlay}.1`, 'local', `198.19.${underlay}.2`, 'dstport', '4789', 'dev', nsVeth);
    ns.ip('link', 'set', vxdev, 'address', KERNEL_MAC);
    ns.ip('addr', 'add', `198.19.${overlay}.2/24`, 'dev', vxdev);
    ns.ip('link', 'set', vxdev, 'up');
    ns.ip('neigh', 'replace', `198.19.${overlay}.1`, 'lladdr', OUR_MAC, 'dev', vxdev, 'nud', 'permanent');

    rt = NdisRuntime.forTest({ name: 'vxHost', logger: (level, source, message) => logs.push(`${level} ${source}: ${message}`) });
    rt.registerDriver(vxlanMiniport);
    const raw = new RawProtocol('tsndis.raw', { receiveQueueDepth: 1024 });
    rt.registerDriver(raw.characteristics);
    await rt.addAdapter({
      name: 'eth0',
      driver: 'tsndis.vxlan',
      keywords: { LocalAddress: `198.19.${underlay}.1`, Vni: vni, Remotes: [`198.19.${underlay}.2`], NetworkAddress: OUR_MAC },
    });
    await rt.bindProtocol('eth0', 'tsndis.raw');
    await rt.startAdapter('eth0');
    const vx = rt.adapter('eth0').instance as VxlanAdapter;
    return { rt, raw, vx, ns, vxdev, nsVeth, vni, underlay, overlay, dir, logs, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** tcpdump on the vxlan device inside the namespace, bounded by a packet count and by `timeout`. */
async function startCapture(env: Env, file: string, count: number, filter: string): Promise<{ done(): Promise<Uint8Array[]> }> {
  const child = env.ns.spawn('timeout', ['15', 'tcpdump', '-i', env.vxdev, '-U', '-n', '-c', String(count), '-w', file, filter]);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start within 5 s: ${log}`)), 5000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  await sleep(100);
  return {
    async done() {
      const code = await waitExit(child, 10_000);
      assert.equal(code, 0, `tcpdump: ${log}`);
      return readPcapFrames(file);
    },
  };
}

function skipUnlessInterop(t: TestContext): boolean {
  const reason = interopSkipReason('tcpdump', 'ping', 'timeout', '/usr/bin/python3');
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  return false;
}

test('VXLAN interop with a Linux vxlan device: frames both ways byte-exact, the kernel answers and is answered, learning', async (t) => {
  if (skipUnlessInterop(t)) return;
  const env = await setup();
  try {
    const ep = env.raw.endpoint('eth0');
    const ours = `198.19.${env.overlay}.1`;
    const kernel = `198.19.${env.overlay}.2`;

    // ---- (a) tsndis → kernel: three UDP/IPv4 frames of different sizes.
    const receiver = env.ns.spawn('timeout', [
      '15', '/usr/bin/python3', '-u', '-c',
      'import socket,sys\n' +
        's=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n' +
        `s.bind(("${kernel}", 9999))\n` +
        's.settimeout(10)\n' +
        'print("ready", flush=True)\n' +
        'for _ in range(3):\n' +
        '    d,a=s.recvfrom(65535)\n' +
        '    print(a[0], a[1], d.hex(), flush=True)\n',
    ]);
    let received = '';
    receiver.stdout!.on('data', (d: Buffer) => (received += d.toString()));
    let receiverErr = '';
    receiver.stderr!.on('data', (d: Buffer) => (receiverErr += d.toString()));
    for (let i = 0; i < 200 && !received.includes('ready'); i++) await sleep(10);
    assert.ok(received.includes('ready'), `python receiver did not start: ${receiverErr}`);
    const capA = await startCapture(env, join(env.dir, 'to-kernel.pcap'), 3, 'udp port 9999');
    const payloads = [18, 200, 1380].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x74 : (k * 31 + i) & 0xff)));
    const sent = payloads.map((p, k) => ethernet(mac(KERNEL_MAC), mac(OUR_MAC), 0x0800, ipv4(ip4(ours), ip4(kernel), 17, udp(ip4(ours), ip4(kernel), 40000 + k, 9999, p), 0x4e00 + k)));
    for (const f of sent) assert.ok(ep.send(f));
    const seenA = await capA.done();
    assert.equal(await waitExit(receiver, 10_000), 0, `python receiver: ${receiverErr}`);
    assert.deepEqual(seenA.map(hex), sent.map(hex), 'tcpdump on the vxlan device saw our frames byte-exact');
    const lines = received.trim().split('\n').slice(1);
    assert.deepEqual(lines.map((l) => l.split(' ')[2]), payloads.map(hex), 'the kernel delivered the payloads to a UDP socket');
    assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(':')), [0, 1, 2].map((k) => `${ours}:${40000 + k}`));
    assert.equal(env.vx.counters.txFlooded, 3, 'nothing learned yet: flooded to the static remote');
    assert.equal(env.vx.counters.txUnicastLearned, 0);
    t.diagnostic(`(a) tcpdump saw ${seenA.length} frames (${sent.map((f) => f.length).join(', ')} bytes) byte-exact; python received ${lines.length} payloads`);

    // ---- (b) kernel → tsndis: ping; the test answers each echo request through the raw protocol.
    const capB = await startCapture(env, join(env.dir, 'from-kernel.pcap'), 6, 'icmp');
    const ping = env.ns.spawn('timeout', ['15', 'ping', '-c', '3', '-i', '0.2', '-W', '2', ours]);
    let pingOut = '';
    ping.stdout!.on('data', (d: Buffer) => (pingOut += d.toString()));
    const requests: Uint8Array[] = [];
    const replies: Uint8Array[] = [];
    const abort = new AbortController();
    const pingExit = waitExit(ping, 12_000).then((code) => {
      abort.abort();
      return code;
    });
    for await (const f of env.raw.frames('eth0', abort.signal)) {
      requests.push(f);
      assertEchoRequest(f, kernel, ours);
      const reply = echoReplyTo(f);
      replies.push(reply);
      assert.ok(ep.send(reply));
    }
    assert.equal(await pingExit, 0, `ping: ${pingOut}`);
    assert.match(pingOut, /3 packets transmitted, 3 received/);
    const seenB = await capB.done();
    const seenRequests = seenB.filter((f) => f[34] === 8);
    const seenReplies = seenB.filter((f) => f[34] === 0);
    assert.equal(requests.length, 3);
    assert.deepEqual(requests.map(hex), seenRequests.map(hex), 'echo requests reached the raw protocol byte-exact');
    assert.deepEqual(seenReplies.map(hex), replies.map(hex), 'our echo replies reached the kernel byte-exact');

    // Learning: the kernel's MAC sits behind its underlay address and the VXLAN port, and the replies
    // were unicast there.
    assert.deepEqual(
      env.vx.learnedEndpoints().map((e) => [e.mac, e.address, e.port]),
      [[KERNEL_MAC, `198.19.${env.underlay}.2`, 4789]],
    );
    const c = env.vx.counters;
    assert.equal(c.txUnicastLearned, 3);
    assert.equal(c.txFlooded, 3);
    assert.equal(c.rxAccepted, 3);
    assert.equal(c.rxDatagrams, 3, 'nothing else arrived (IPv6 off, static neighbour)');
    const kernelStats = JSON.parse(env.ns.ip('-s', '-j', 'link', 'show', env.vxdev)) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[];
    t.diagnostic(`(b) ${pingOut.split('\n').find((l) => l.includes('packets transmitted'))}; kernel ${env.vxdev} rx ${kernelStats[0]!.stats64.rx.packets} tx ${kernelStats[0]!.stats64.tx.packets}`);
    t.diagnostic(`tsndis counters: ${JSON.stringify({ txFlooded: c.txFlooded, txUnicastLearned: c.txUnicastLearned, txDatagrams: c.txDatagrams, rxDatagrams: c.rxDatagrams, rxAccepted: c.rxAccepted, fdbLearned: c.fdbLearned })}`);
    assert.ok(kernelStats[0]!.stats64.rx.packets >= 6);
    assert.ok(kernelStats[0]!.stats64.tx.packets >= 3);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
  assert.ok(!sh('ip', ['link']).includes(env.vxdev));
});

test('VXLAN interop: a Linux vxlan device with another VNI is dropped and counted (unknown VNI), with a logged reason', async (t) => {
  if (skipUnlessInterop(t)) return;
  const env = await setup();
  try {
    // A second vxlan device on the same underlay with VNI + 1, towards the same tsndis socket.
    const other = uniqueName('vy');
    env.ns.ip('link', 'add', other, 'type', 'vxlan', 'id', String(env.vni + 1), 'remote', `198.19.${env.underlay}.1`, 'local', `198.19.${env.underlay}.2`, 'dstport', '4789', 'dev', env.nsVeth);
    env.ns.ip('addr', 'add', `198.19.${env.overlay}.66/32`, 'dev', other);
    env.ns.ip('link', 'set', other, 'up');
    env.ns.ip('neigh', 'replace', `198.19.${env.overlay}.67`, 'lladdr', OUR_MAC, 'dev', other, 'nud', 'permanent');
    env.ns.ip('route', 'add', `198.19.${env.overlay}.67/32`, 'dev', other);
    try {
      env.ns.exec('ping', '-c', '2', '-i', '0.2', '-W', '1', `198.19.${env.overlay}.67`);
    } catch {
      // unanswered: the frames carry a VNI tsndis does not serve
    }
    for (let i = 0; i < 100 && env.vx.counters.rxUnknownVni < 2; i++) await sleep(10);
    assert.equal(env.vx.counters.rxUnknownVni, 2);
    assert.equal(env.vx.counters.rxAccepted, 0);
    assert.equal(env.raw.endpoint('eth0').queued, 0);
    assert.ok(env.logs.some((l) => l.includes(`VNI ${env.vni + 1} is not ours (${env.vni})`)), env.logs.join('\n'));
    t.diagnostic(env.logs.find((l) => l.includes('is not ours'))!);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});

/** The kernel's echo request, field by field: Ethernet, IPv4 (checksum), ICMP echo (checksum). */
function assertEchoRequest(f: Uint8Array, from: string, to: string): void {
  assert.deepEqual(f.subarray(0, 6), mac(OUR_MAC), 'destination: our MAC (the static neighbour entry)');
  assert.deepEqual(f.subarray(6, 12), mac(KERNEL_MAC));
  assert.equal((f[12]! << 8) | f[13]!, 0x0800);
  const ip = f.subarray(14);
  assert.equal(ip[0], 0x45, 'IPv4, 20-byte header');
  assert.equal(ip[9], 1, 'ICMP');
  assert.deepEqual(ip.subarray(12, 16), ip4(from));
  assert.deepEqual(ip.subarray(16, 20), ip4(to));
  assert.equal(checksum(ip, 0, 20), 0, 'IPv4 header checksum');
  const total = (ip[2]! << 8) | ip[3]!;
  assert.equal(f.length, 14 + total);
  const icmp = ip.subarray(20, total);
  assert.equal(icmp[0], 8, 'echo request');
  assert.equal(icmp[1], 0);
  assert.equal(checksum(icmp), 0, 'ICMP checksum');
}

/** The echo reply to `req`: addresses swapped, same id, sequence and data. */
function echoReplyTo(req: Uint8Array): Uint8Array {
  const ip = req.subarray(14);
  const total = (ip[2]! << 8) | ip[3]!;
  const icmp = ip.subarray(20, total);
  const id = (icmp[4]! << 8) | icmp[5]!;
  const seq = (icmp[6]! << 8) | icmp[7]!;
  return ethernet(req.subarray(6, 12), req.subarray(0, 6), 0x0800, ipv4(ip.subarray(16, 20), ip.subarray(12, 16), 1, icmpEcho(0, id, seq, icmp.subarray(8)), 0x4e10 + seq));
}
