/**
 * Encapsulated-packet offload through the TAP (§6.5): one VXLAN LSOv2 NBL (IPv4 outer, IPv4 inner TCP)
 * sent by a raw protocol reaches a Linux vxlan device in the namespace behind the TAP as MTU-sized VXLAN
 * segments. A python AF_PACKET reader on the TAP checks every outer frame (size, IPv4 header checksum,
 * total length, UDP length, UDP checksum 0); one on the vxlan device checks every decapsulated inner
 * frame (IPv4 header checksum, TCP checksum over the pseudo-header, sequence numbers, PSH only on the
 * last) and that the payload reassembles byte-exact. The path in effect (software; the kernel's tunnel
 * GSO only probed) is read from the inspector. A lying NBL next to it fails without reaching the wire.
 * Needs root, /dev/net/tun, ip and /usr/bin/python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import {
  LSO_V2_TRANSMIT_COMPLETE,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NdisOidRequest,
  lsoV2Transmit,
  offloadEncapsulationCodec,
  sendOffloadsSupplementalValue,
  type NetBufferList,
} from '../../src/ndis/index.js';
import { ip4, mac } from '../support/frames.js';
import { lsoTemplate, offsetsOf, type EncapFrame } from '../support/encap-frames.js';
import { Netns, interopSkipReason, sh, uniqueName } from '../support/netns.js';

const OUR_MAC = '02:00:00:00:6f:02';
const KERNEL_MAC = '02:00:00:00:6f:01';
const PY = '/usr/bin/python3';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const READER = String.raw`
import socket, struct, sys, json, time
tap, vx, want, deadline = sys.argv[1], sys.argv[2], int(sys.argv[3]), time.time() + float(sys.argv[4])
def cs(b, init=0):
    if len(b) % 2: b = b + b'\0'
    s = init + sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s > 0xffff: s = (s & 0xffff) + (s >> 16)
    return s
so = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); so.bind((tap, 0))
si = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); si.bind((vx, 0))
so.settimeout(0.05); si.settimeout(0.05)
print('ready', flush=True)
outer, inner, errors = [], [], []
while time.time() < deadline and len(inner) < want:
    for s, into in ((so, outer), (si, inner)):
        try: f = s.recv(70000)
        except socket.timeout: continue
        if len(f) < 34 or f[12:14] != b'\x08\x00': continue
        into.append(f)
for f in outer:
    if f[23] != 17 or struct.unpack('!H', f[36:38])[0] != 4789: continue
    if len(f) > 1514: errors.append('outer frame of %d bytes' % len(f))
    if cs(f[14:34]) != 0xffff: errors.append('outer IPv4 header checksum')
    if struct.unpack('!H', f[16:18])[0] != len(f) - 14: errors.append('outer total length')
    if struct.unpack('!H', f[38:40])[0] != len(f) - 34: errors.append('outer UDP length')
    if struct.unpack('!H', f[40:42])[0] != 0: errors.append('outer UDP checksum not zero')
segs = []
for f in inner:
    if f[23] != 6: continue
    ihl = (f[14] & 15) * 4; ip = f[14:14 + ihl]; tl = struct.unpack('!H', f[16:18])[0]
    if cs(ip) != 0xffff: errors.append('inner IPv4 header checksum')
    if tl != len(f) - 14: errors.append('inner total length %d for %d' % (tl, len(f)))
    t = f[14 + ihl:]
    if cs(t, cs(ip[12:20]) + 6 + len(t)) != 0xffff: errors.append('inner TCP checksum')
    thl = (t[12] >> 4) * 4
    segs.append({'seq': struct.unpack('!I', t[4:8])[0], 'flags': t[13], 'id': struct.unpack('!H', f[18:20])[0], 'payload': t[thl:].hex()})
print(json.dumps({'outer': len([f for f in outer if f[23] == 17]), 'segments': segs, 'errors': errors}), flush=True)
`;

test('TAP encapsulated offload: one VXLAN LSOv2 NBL reaches a Linux vxlan device as valid MTU-sized segments', { timeout: 60_000 }, async (t) => {
  const reason = interopSkipReason();
  if (reason !== null) return t.skip(reason);
  if (sh('sh', ['-c', `test -x ${PY} && echo ok || echo missing`]).trim() !== 'ok') return t.skip(`needs ${PY}`);
  const subnet = 60 + (process.pid % 150);
  const tapName = uniqueName('etap');
  const vxName = uniqueName('evx');
  const rt = new NdisRuntime({ name: 'encapHost', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 64, sendFrameSize: 65600 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tapName, NetworkAddress: OUR_MAC, IoUring: 'off' } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const ep = raw.endpoint('eth0');
  const tap = rt.adapter('eth0').instance as TapAdapter;
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
  try {
    r.adopt(tapName, { mac: KERNEL_MAC, address: `198.18.${subnet}.1/24` });
    r.ip('neigh', 'replace', `198.18.${subnet}.2`, 'lladdr', OUR_MAC, 'dev', tapName, 'nud', 'permanent');
    // VNI 0x1234 (what the test frames carry), on the standard port.
    r.ip('link', 'add', vxName, 'type', 'vxlan', 'id', String(0x1234), 'local', `198.18.${subnet}.1`, 'remote', `198.18.${subnet}.2`, 'dstport', '4789', 'dev', tapName);
    r.ip('link', 'set', vxName, 'up');
    const fam = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
    assert.equal(await ep.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: fam, ipv6: fam })), NDIS_STATUS_SUCCESS);
    const info = tap.inspect()['encapsulatedOffload'] as Record<string, unknown>;
    assert.equal(info['path'], 'software');
    t.diagnostic(`encapsulated sends: software path; kernel UDP-tunnel GSO ${info['kernelUdpTunnelGso'] === true ? 'available (probed)' : 'not available'}`);

    const payload = Uint8Array.from({ length: 30000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    const mss = 1500 - 20 - 8 - 8 - 14 - 20 - 20;
    const segments = Math.ceil(payload.length / mss);
    const f: EncapFrame = {
      tunnel: 'vxlan', outer6: false, inner6: false, outerId: 0x4000, innerId: 0x7ff0, seq: 1000, flags: 0x18, payload,
      outerDstMac: mac(KERNEL_MAC), outerSrcMac: mac(OUR_MAC), outerSrc4: ip4(`198.18.${subnet}.2`), outerDst4: ip4(`198.18.${subnet}.1`),
    };
    const o = offsetsOf(f);
    const reader = r.spawn(PY, ['-u', '-c', READER, tapName, vxName, String(segments), '10']);
    let out = '';
    reader.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await sleep(50);
    assert.ok(out.includes('ready'), 'reader started');
    const lso = lsoV2Transmit({ mss, tcpHeaderOffset: 0, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
    // A lying NBL first: it fails and nothing of it reaches the wire.
    assert.ok(ep.send(lsoTemplate(f), { tcpLargeSend: lso, tcpSendOffloadsSupplemental: sendOffloadsSupplementalValue(o.innerFrame, 14, 24, false, false) }));
    assert.ok(ep.send(lsoTemplate(f), { tcpLargeSend: lso, tcpSendOffloadsSupplemental: sendOffloadsSupplementalValue(o.innerFrame, o.innerIp - o.innerFrame, o.tcp - o.innerIp, false, false) }));
    for (let i = 0; i < 300 && !out.includes('"segments"'); i++) await sleep(50);
    const line = out.split('\n').find((l) => l.startsWith('{'));
    assert.ok(line !== undefined, `reader output: ${out}`);
    const res = JSON.parse(line) as { outer: number; segments: { seq: number; flags: number; id: number; payload: string }[]; errors: string[] };
    assert.deepEqual(res.errors, []);
    assert.equal(res.segments.length, segments);
    assert.ok(res.outer >= segments, `outer VXLAN frames seen on the TAP: ${res.outer}`);
    res.segments.sort((a, b) => a.seq - b.seq);
    assert.deepEqual(res.segments.map((s) => s.seq), Array.from({ length: segments }, (_, i) => 1000 + i * mss));
    assert.deepEqual(res.segments.map((s) => s.flags), Array.from({ length: segments }, (_, i) => (i === segments - 1 ? 0x18 : 0x10)));
    assert.deepEqual(res.segments.map((s) => s.id), Array.from({ length: segments }, (_, i) => (i === 0 ? 0x7ff0 : (0x7ff0 + i) & 0x7fff)));
    assert.equal(Buffer.from(res.segments.map((s) => s.payload).join(''), 'hex').equals(Buffer.from(payload)), true, 'payload byte-exact');
    assert.deepEqual(completed.map((n) => n.status), [NDIS_STATUS_INVALID_PACKET, NDIS_STATUS_SUCCESS]);
    assert.equal(completed[1]!.info.tcpLargeSend, LSO_V2_TRANSMIT_COMPLETE);
    const after = tap.inspect()['encapsulatedOffload'] as Record<string, number>;
    assert.equal(after['refusedOffsets'], 1);
    assert.equal(after['lsoSegments'], segments);
    assert.equal(after['framesWritten'], segments);
  } finally {
    r.destroy();
    for (const n of completed) ep.freeChain(n);
    await rt.shutdown();
  }
});
