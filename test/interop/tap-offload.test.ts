/**
 * TAP task offloads against the Linux kernel. Topology for the transmit tests: our TAP in namespace R,
 * which routes to namespace S over a veth whose transmit checksumming (and so TSO) is off — whatever we
 * hand the kernel half-done is finished in software on the way out of R, and S checks every checksum:
 *
 *   tsndis raw ─ TAP ─ [R: 198.18.s.1 | 198.19.s.1 vethR] ── veth ── [S: vethS 198.19.s.2]
 *
 * (a) checksum offload: UDP frames whose checksum field holds only the pseudo-header sum (and whose IPv4
 *     header checksum is zero) reach a UDP socket in S intact;
 * (b) LSO: a scripted handshake with a TCP server in S, then one 30 000-byte LSOv2 NBL: the server reads
 *     exactly those bytes; the NBL completes with the LSOv2 transmit-complete info;
 * (c) RSC: a TCP server in R sends 200 KB to us: frames larger than the MTU arrive with RSC info and
 *     checksum-succeeded bits, and the payload reassembles byte-exact;
 * (d) every offload keyword 0: no virtio-net flags either way, frames ≤ the MTU, the old path.
 * Each runs with the read()/write() path (`IoUring: off`) and with io_uring (`IoUring: on`: the patched
 * header fields are restored when the write's completion arrives, not after a write call).
 * Needs root, /dev/net/tun, ip, ethtool and /usr/bin/python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { TapOffloadCounters, tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { RawProtocol, type RawBinding } from '../../src/drivers/protocol/raw/index.js';
import { probeIoUring } from '../../src/io/tun/uring.js';
import {
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  LSO_V2_TRANSMIT_COMPLETE,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_NONE,
  NDIS_UDP_SEGMENTATION_OFFLOAD_NONE,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NdisOidRequest,
  checksumTx,
  lsoV2Transmit,
  offloadEncapsulationCodec,
  rscCoalescedSegCount,
  type NetBufferList,
} from '../../src/ndis/index.js';
import { ethernet, ip4, ipv4, mac, udp } from '../support/frames.js';
import { assertClean } from '../support/hosts.js';
import { Netns, interopSkipReason, sh, uniqueName, waitExit } from '../support/netns.js';
import { L4_OFFSET, TCP_ACK, TCP_PSH, TCP_SYN, checksumOffloadForm, lsoV2Form, mssOption, parseTcp4, tcp4Frame } from '../support/offload-frames.js';

const OUR_MAC = '02:00:00:00:6e:02';
const KERNEL_MAC = '02:00:00:00:6e:01';
const PY = '/usr/bin/python3';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let serial = 0;

interface Received {
  frame: Uint8Array;
  checksumInfo: number;
  rscInfo: number;
}

interface Env {
  rt: NdisRuntime;
  ep: RawBinding;
  tap: TapAdapter;
  r: Netns;
  s: Netns | null;
  subnet: number;
  me: Uint8Array;
  received: Received[];
  completed: NetBufferList[];
  cleanup(): Promise<void>;
}

function skipUnlessInterop(t: TestContext, io: 'on' | 'off'): boolean {
  const uring = io === 'on' ? probeIoUring() : null;
  const reason = interopSkipReason('ethtool') ?? (uring !== null && !uring.usable ? `io_uring is unavailable: ${uring.reason}` : null);
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  if (sh('sh', ['-c', `test -x ${PY} && echo ok || echo missing`]).trim() !== 'ok') {
    t.skip(`needs ${PY}`);
    return true;
  }
  return false;
}

/** The TAP host, namespace R behind the TAP, and (with `routed`) namespace S behind R. */
async function setup(keywords: Record<string, number | string | boolean>, routed: boolean): Promise<Env> {
  const subnet = 60 + ((process.pid + serial++) % 150);
  const tapName = uniqueName('otap');
  const rt = new NdisRuntime({ name: 'offloadHost', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 4096, sendFrameSize: 65600 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tapName, NetworkAddress: OUR_MAC, ...keywords } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const ep = raw.endpoint('eth0');
  const tap = rt.adapter('eth0').instance as TapAdapter;
  const received: Received[] = [];
  ep.receiveHandler = (nbls) => {
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
      const nb = n.firstNetBuffer!;
      const frame = new Uint8Array(nb.dataLength);
      nb.copyOut(frame, 0, 0, nb.dataLength);
      received.push({ frame, checksumInfo: n.info.tcpIpChecksum, rscInfo: n.info.tcpRecvSegCoalesceInfo });
    }
  };
  const completed: NetBufferList[] = [];
  ep.sendCompleteHandler = (nbls) => {
    for (let n: NetBufferList | null = nbls; n !== null; ) {
      const next: NetBufferList | null = n.next;
      n.next = null;
      completed.push(n);
      n = next;
    }
  };
  const r = Netns.create();
  r.adopt(tapName, { mac: KERNEL_MAC, address: `198.18.${subnet}.1/24` });
  r.ip('neigh', 'replace', `198.18.${subnet}.2`, 'lladdr', OUR_MAC, 'dev', tapName, 'nud', 'permanent');
  let s: Netns | null = null;
  if (routed) {
    s = Netns.create();
    const vr = uniqueName('vr');
    const vs = uniqueName('vs');
    sh('ip', ['-n', r.name, 'link', 'add', vr, 'type', 'veth', 'peer', 'name', vs, 'netns', s.name]);
    r.ip('addr', 'add', `198.19.${subnet}.1/24`, 'dev', vr);
    r.ip('link', 'set', vr, 'up');
    s.ip('addr', 'add', `198.19.${subnet}.2/24`, 'dev', vs);
    s.ip('link', 'set', vs, 'up');
    s.ip('route', 'add', `198.18.${subnet}.0/24`, 'via', `198.19.${subnet}.1`);
    r.exec('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // No checksum or segmentation offload on the way out of R: the kernel finishes our work in software.
    r.exec('ethtool', '-K', vr, 'tx', 'off', 'tso', 'off', 'gso', 'off');
    s.exec('ethtool', '-K', vs, 'rx', 'off', 'gro', 'off');
  }
  return {
    rt,
    ep,
    tap,
    r,
    s,
    subnet,
    me: ip4(`198.18.${subnet}.2`),
    received,
    completed,
    async cleanup() {
      s?.destroy();
      r.destroy();
      for (const n of completed) ep.freeChain(n);
      completed.length = 0;
      await rt.shutdown();
    },
  };
}

/** What a protocol does at bind: offloads start once the encapsulation is set. */
async function enableEncapsulation(env: Env): Promise<void> {
  const fam = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
  assert.equal(await env.ep.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: fam, ipv6: fam })), NDIS_STATUS_SUCCESS);
}

/** A python3 program in a namespace; resolves once it printed `ready`. */
async function python(ns: Netns, program: string): Promise<{ child: ChildProcess; output(): string }> {
  const child = ns.spawn(PY, ['-u', '-c', program]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 100 && !out.includes('ready'); i++) await sleep(50);
  if (!out.includes('ready')) throw new Error(`python did not start: ${err}`);
  return { child, output: () => out };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return true;
    await sleep(10);
  }
  return cond();
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed + (i >> 8)) & 0xff);
}

/** The path asked for did the I/O: the ring (nothing by write(2)), or not the ring. */
function assertIo(env: Env, io: 'on' | 'off'): void {
  const u = env.tap.inspect()['ioUring'] as Record<string, number | string>;
  assert.equal(u['state'], io);
  if (io === 'on') assert.ok((u['batches'] as number) > 0 && u['fallbacks'] === 0, JSON.stringify(u));
}

for (const io of ['off', 'on'] as const) {
  test(`TAP offload (a, IoUring ${io}): UDP checksum and IPv4 header checksum offload — the datagrams reach a socket intact`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const env = await setup({ IoUring: io }, true);
    try {
      await enableEncapsulation(env);
      const n = env.subnet;
      const server = await python(env.s!, `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('198.19.${n}.2', 7001))
s.settimeout(5)
print('ready', flush=True)
for _ in range(3):
    data, addr = s.recvfrom(65535)
    print(addr[0], addr[1], data.hex(), flush=True)
`);
      const dst = ip4(`198.19.${n}.2`);
      const payloads = [pattern(1, 1), pattern(999, 2), pattern(1472, 3)];
      for (const [i, p] of payloads.entries()) {
        const full = ethernet(mac(KERNEL_MAC), mac(OUR_MAC), 0x0800, ipv4(env.me, dst, 17, udp(env.me, dst, 6000 + i, 7001, p), 0x100 + i));
        const offloaded = checksumOffloadForm(full, true);
        assert.notDeepEqual(offloaded, full);
        assert.ok(env.ep.send(offloaded, { tcpIpChecksum: checksumTx({ isIPv4: true, udpChecksum: true, ipHeaderChecksum: true }) }));
      }
      assert.equal(await waitExit(server.child, 5000), 0, `the server got all three: ${server.output()}`);
      const lines = server.output().trim().split('\n').slice(1);
      assert.deepEqual(lines, payloads.map((p, i) => `198.18.${n}.2 ${6000 + i} ${Buffer.from(p).toString('hex')}`));
      assert.equal(env.tap.offload.counters.txChecksumOffloaded, 3);
      assert.ok(env.completed.every((nbl) => nbl.status === NDIS_STATUS_SUCCESS));
      // The protocol's buffers are as it wrote them: the IPv4 checksum patched for the write was put back.
      assert.equal(env.rt.verifier.total, 0);
      assertIo(env, io);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });

  test(`TAP offload (b, IoUring ${io}): a scripted TCP handshake, then one 30 000-byte LSOv2 NBL — the server reads exactly those bytes`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const env = await setup({ IoUring: io }, true);
    try {
      await enableEncapsulation(env);
      const n = env.subnet;
      const server = await python(env.s!, `
import socket, hashlib
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(('198.19.${n}.2', 7002))
l.listen(1)
l.settimeout(10)
print('ready', flush=True)
c, addr = l.accept()
c.settimeout(10)
got = b''
while len(got) < 30000:
    d = c.recv(65536)
    if not d:
        break
    got += d
print(len(got), hashlib.sha256(got).hexdigest(), flush=True)
`);
      const dst = ip4(`198.19.${n}.2`);
      const base = { srcMac: mac(OUR_MAC), dstMac: mac(KERNEL_MAC), src: env.me, dst, sport: 40000 + (n % 1000), dport: 7002 };
      const isn = 0x11223344;
      const tcpCsum = checksumTx({ isIPv4: true, tcpChecksum: true, ipHeaderChecksum: true, tcpHeaderOffset: L4_OFFSET });
      // SYN with checksum offload (the handshake exercises TCP checksum offload too).
      assert.ok(env.ep.send(checksumOffloadForm(tcp4Frame({ ...base, seq: isn, ack: 0, flags: TCP_SYN, options: mssOption(1460) }), true), { tcpIpChecksum: tcpCsum }));
      let synAck: ReturnType<typeof parseTcp4> = null;
      assert.ok(await waitFor(() => {
        synAck = env.received.map((r) => parseTcp4(r.frame)).find((p) => p !== null && p.dport === base.sport && (p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) ?? null;
        return synAck !== null;
      }, 3000), 'SYN-ACK');
      const peer = synAck!;
      assert.equal(peer.ack, isn + 1);
      assert.ok(env.ep.send(checksumOffloadForm(tcp4Frame({ ...base, seq: isn + 1, ack: peer.seq + 1, flags: TCP_ACK }), true), { tcpIpChecksum: tcpCsum }));
      const mss = Math.min(1460, peer.mss ?? 536);
      const data = pattern(30000, 9);
      const large = tcp4Frame({ ...base, seq: isn + 1, ack: peer.seq + 1, flags: TCP_ACK | TCP_PSH, payload: data, id: 0x7ffe });
      const lso = lsoV2Form(large);
      assert.ok(env.ep.send(lso, { tcpLargeSend: lsoV2Transmit({ mss, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 }) }));
      assert.equal(await waitExit(server.child, 10_000), 0, server.output());
      assert.equal(server.output().trim().split('\n')[1], `30000 ${createHash('sha256').update(data).digest('hex')}`);
      // Completion: success, and the LSOv2 transmit-complete form of the info (Type V2, Reserved 0).
      const done = env.completed.find((nbl) => nbl.firstNetBuffer!.dataLength === lso.length)!;
      assert.equal(done.status, NDIS_STATUS_SUCCESS);
      assert.equal(done.info.tcpLargeSend, LSO_V2_TRANSMIT_COMPLETE);
      // The headers patched for the kernel were put back as the protocol wrote them.
      const after = new Uint8Array(lso.length);
      done.firstNetBuffer!.copyOut(after, 0, 0, lso.length);
      assert.deepEqual(after, lso);
      const c = env.tap.offload.counters;
      assert.equal(c.txLsoFrames, 1);
      assert.equal(c.txLsoSegments, Math.ceil(30000 / mss));
      assert.equal(c.txLsoPayloadBytes, 30000);
      assert.equal(env.rt.verifier.total, 0);
      assertIo(env, io);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });

  test(`TAP offload (c, IoUring ${io}): 200 KB from a kernel TCP sender arrive as RSC units larger than the MTU, byte-exact`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const env = await setup({ IoUring: io }, false);
    try {
      await enableEncapsulation(env);
      assert.notEqual(env.tap.tunOffloads, 0, 'TUNSETOFFLOAD followed the encapsulation');
      const n = env.subnet;
      const total = 200 * 1024;
      const server = await python(env.r, `
import socket
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(('198.18.${n}.1', 7003))
l.listen(1)
l.settimeout(10)
print('ready', flush=True)
c, addr = l.accept()
c.sendall(bytes(((i * 7 + 5 + (i >> 8)) & 0xff) for i in range(${total})))
c.close()
print('sent', flush=True)
`);
      const them = ip4(`198.18.${n}.1`);
      const base = { srcMac: mac(OUR_MAC), dstMac: mac(KERNEL_MAC), src: env.me, dst: them, sport: 41000 + (n % 1000), dport: 7003 };
      const isn = 0x01020304;
      env.ep.send(tcp4Frame({ ...base, seq: isn, ack: 0, flags: TCP_SYN, options: mssOption(1460) }));
      let peerIsn = -1;
      assert.ok(await waitFor(() => {
        const p = env.received.map((r) => parseTcp4(r.frame)).find((x) => x !== null && x.dport === base.sport && (x.flags & TCP_SYN) !== 0);
        if (p !== undefined && p !== null) peerIsn = p.seq;
        return peerIsn >= 0;
      }, 3000), 'SYN-ACK');
      let next = (peerIsn + 1) >>> 0;
      env.ep.send(tcp4Frame({ ...base, seq: isn + 1, ack: next, flags: TCP_ACK }));
      const stream = new Uint8Array(total);
      let have = 0;
      const units: Received[] = [];
      // Take the data in order, ACK as we go (bounded in time).
      for (const end = Date.now() + 15_000; have < total && Date.now() < end; ) {
        await sleep(2);
        const batch = env.received.splice(0);
        let advanced = false;
        for (const r of batch) {
          const p = parseTcp4(r.frame);
          if (p === null || p.dport !== base.sport || p.payload.length === 0) continue;
          if (r.frame.length > 1514) units.push(r);
          if (p.seq !== next) continue; // a retransmission or out of order: the ACK below asks again
          stream.set(p.payload.subarray(0, total - have), have);
          have += p.payload.length;
          next = (next + p.payload.length) >>> 0;
          advanced = true;
        }
        if (advanced || batch.length > 0) env.ep.send(tcp4Frame({ ...base, seq: isn + 1, ack: next, flags: TCP_ACK }));
      }
      assert.equal(have, total, 'the whole stream arrived');
      const expected = Uint8Array.from({ length: total }, (_, i) => (i * 7 + 5 + (i >> 8)) & 0xff);
      assert.ok(Buffer.from(stream).equals(Buffer.from(expected)), 'byte-exact');
      assert.ok(units.length > 0, 'frames larger than the MTU arrived');
      for (const u of units) {
        const payload = parseTcp4(u.frame)!.payload.length;
        assert.equal(rscCoalescedSegCount(u.rscInfo), Math.ceil(payload / 1460), 'CoalescedSegCount = ceil(payload / gso_size)');
        assert.equal(u.checksumInfo & (CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED), CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED);
      }
      const c = env.tap.offload.counters;
      assert.ok(c.rxCoalescedFrames >= units.length);
      assert.equal(c.rxOffloadDropped, 0);
      await waitExit(server.child, 5000);
      assert.equal(env.rt.verifier.total, 0);
      assertIo(env, io);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });

  test(`TAP offload (d, IoUring ${io}): every offload keyword 0 — no offloads advertised, no virtio-net flags, MTU-sized frames`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const off = { '*IPChecksumOffloadIPv4': 0, '*TCPChecksumOffloadIPv4': 0, '*TCPChecksumOffloadIPv6': 0, '*UDPChecksumOffloadIPv4': 0, '*UDPChecksumOffloadIPv6': 0, '*LsoV2IPv4': 0, '*LsoV2IPv6': 0, '*RscIPv4': 0, '*RscIPv6': 0, '*LsoV1IPv4': 0, '*UsoIPv4': 0, '*UsoIPv6': 0, '*EncapsulatedPacketTaskOffload': 0 };
    const env = await setup({ ...off, IoUring: io }, true);
    try {
      await enableEncapsulation(env);
      const mb = env.rt.adapter('eth0');
      // The hardware offers USO, so the configuration carries the USO part, switched off.
      assert.deepEqual(mb.offload.current, { ...NDIS_OFFLOAD_NONE, uso: NDIS_UDP_SEGMENTATION_OFFLOAD_NONE });
      assert.equal(mb.offload.hardware.rsc.ipv4Enabled, false, 'small receive slots: no RSC to offer');
      assert.equal(env.tap.tunOffloads, 0);
      const n = env.subnet;
      // Our complete UDP frame to S, and S's answer forwarded back by R.
      const server = await python(env.s!, `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('198.19.${n}.2', 7004))
s.settimeout(5)
print('ready', flush=True)
data, addr = s.recvfrom(65535)
s.sendto(bytes(3000), addr)
print(data.hex(), flush=True)
`);
      const dst = ip4(`198.19.${n}.2`);
      const p = pattern(100, 4);
      assert.ok(env.ep.send(ethernet(mac(KERNEL_MAC), mac(OUR_MAC), 0x0800, ipv4(env.me, dst, 17, udp(env.me, dst, 6100, 7004, p)))));
      assert.equal(await waitExit(server.child, 5000), 0, server.output());
      assert.equal(server.output().trim().split('\n')[1], Buffer.from(p).toString('hex'));
      // The 3000-byte answer comes back as IP fragments, each within the MTU, with no offload info at all.
      assert.ok(await waitFor(() => env.received.filter((r) => r.frame[23] === 17).length >= 3, 3000));
      for (const r of env.received) {
        assert.ok(r.frame.length <= 1514);
        assert.equal(r.checksumInfo, 0);
        assert.equal(r.rscInfo, 0);
      }
      assert.deepEqual({ ...env.tap.offload.counters }, { ...new TapOffloadCounters() }, 'no offload work either way');
      assertIo(env, io);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });
}
