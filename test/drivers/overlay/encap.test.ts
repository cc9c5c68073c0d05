/**
 * tsndis.overlay's codecs, byte-exact: the outer headers it writes for VXLAN and NVGRE (every byte
 * spelled out, IPv4 checksum computed by hand), the receive parser on NVGRE with and without the GRE C
 * and S bits (RFC 2784 / RFC 2890: each adds 4 bytes), and every way a frame can lie about its lengths
 * or offsets, each with its DecapResult; the supplemental NBL info word per §6.3; a property test that
 * whatever bytes arrive, the parser never reads past them and an accepted inner frame lies inside them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DecapInfo,
  DecapResult,
  decapsulate,
  encapsulatedPacketOffsets,
  NVGRE_OVERHEAD,
  OverlayKind,
  TunnelHeader,
  VXLAN_OVERHEAD,
  writeOuterHeaders,
} from '../../../src/drivers/intermediate/overlay/index.js';
import { checksum, hex } from '../../support/frames.js';

function tunnel(kind: OverlayKind): TunnelHeader {
  const t = new TunnelHeader();
  t.kind = kind;
  t.vni = 0x123456;
  t.flowId = 0x9a;
  t.localIp = 0xc6120101; // 198.18.1.1
  t.remoteIp = 0xc6120102; // 198.18.1.2
  t.localMac.set([0x02, 0, 0, 0, 0, 1]);
  t.remoteMac.set([0x02, 0, 0, 0, 0, 2]);
  return t;
}

const INNER = Uint8Array.from({ length: 60 }, (_, i) => (i < 12 ? 0x10 + i : i === 12 ? 0x08 : i === 13 ? 0x00 : i));

function encap(kind: OverlayKind, ipId = 0x0102, port = 0xc001): Uint8Array {
  const t = tunnel(kind);
  const over = kind === OverlayKind.Vxlan ? VXLAN_OVERHEAD : NVGRE_OVERHEAD;
  const b = new Uint8Array(over + INNER.length);
  assert.equal(writeOuterHeaders(b, 0, t, INNER.length, ipId, port), over);
  b.set(INNER, over);
  return b;
}

test('overlay encap: VXLAN outer headers byte-exact (Ethernet, IPv4 DF proto 17, UDP to 4789 checksum 0, VXLAN I flag + VNI)', () => {
  const b = encap(OverlayKind.Vxlan);
  // IPv4 total length 20 + 8 + 8 + 60 = 96 = 0x60; checksum by hand below.
  const expected =
    '020000000002' + '020000000001' + '0800' +
    '45000060' + '0102' + '4000' + '4011' + 'XXXX' + 'c6120101' + 'c6120102' +
    'c001' + '12b5' + '004c' + '0000' +
    '08000000' + '12345600';
  const ipHeader = b.subarray(14, 34);
  assert.equal(checksum(ipHeader), 0, 'the outer IPv4 header checksum verifies');
  const sum = ((b[24]! << 8) | b[25]!).toString(16).padStart(4, '0');
  assert.equal(hex(b.subarray(0, VXLAN_OVERHEAD)), expected.replace('XXXX', sum));
  // The checksum itself, computed independently: 0x4500+0x0060+0x0102+0x4000+0x4011+0xc612+0x0101+0xc612+0x0102
  let s = 0x4500 + 0x0060 + 0x0102 + 0x4000 + 0x4011 + 0xc612 + 0x0101 + 0xc612 + 0x0102;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  assert.equal(sum, (~s & 0xffff).toString(16).padStart(4, '0'));
  assert.deepEqual(b.subarray(VXLAN_OVERHEAD), INNER);
});

test('overlay encap: NVGRE outer headers byte-exact (IPv4 proto 47, GRE 20 00 65 58, key VSID<<8 | FlowID)', () => {
  const b = encap(OverlayKind.Nvgre);
  const sum = ((b[24]! << 8) | b[25]!).toString(16).padStart(4, '0');
  const expected = '020000000002' + '020000000001' + '0800' + '45000058' + '0102' + '4000' + '402f' + sum + 'c6120101' + 'c6120102' + '20006558' + '1234569a';
  assert.equal(hex(b.subarray(0, NVGRE_OVERHEAD)), expected);
  assert.equal(checksum(b.subarray(14, 34)), 0);
  assert.deepEqual(b.subarray(NVGRE_OVERHEAD), INNER);
});

test('overlay decap: our own VXLAN and NVGRE frames come back to the inner frame; VNI, flow ID, outer source', () => {
  for (const kind of [OverlayKind.Vxlan, OverlayKind.Nvgre]) {
    const b = encap(kind);
    const out = new DecapInfo();
    assert.equal(decapsulate(b, 0, b.length, kind, 0x123456, 4789, 0xc6120102, out), DecapResult.Ok);
    assert.equal(out.innerOffset, kind === OverlayKind.Vxlan ? 50 : 42);
    assert.equal(out.innerLength, INNER.length);
    assert.equal(out.vni, 0x123456);
    assert.equal(out.outerSrcIp, 0xc6120101);
    if (kind === OverlayKind.Nvgre) assert.equal(out.flowId, 0x9a);
    assert.equal(decapsulate(b, 0, b.length, kind, 0x123457, 4789, 0, out), DecapResult.WrongVni);
    assert.equal(decapsulate(b, 0, b.length, kind, 0x123456, 4789, 0xc6120109, out), DecapResult.NotOverlay, 'not to our address');
    const other = kind === OverlayKind.Vxlan ? OverlayKind.Nvgre : OverlayKind.Vxlan;
    assert.equal(decapsulate(b, 0, b.length, other, 0x123456, 4789, 0, out), DecapResult.UnknownEncapsulation);
  }
});

/** An NVGRE packet built by hand with the GRE C and/or S bits (checksum over GRE header + payload). */
function greFrame(c: boolean, s: boolean): Uint8Array {
  const gre: number[] = [((c ? 0x80 : 0) | 0x20 | (s ? 0x10 : 0)), 0x00, 0x65, 0x58];
  if (c) gre.push(0, 0, 0, 0);
  gre.push(0x12, 0x34, 0x56, 0x9a);
  if (s) gre.push(0, 0, 0x01, 0x02);
  const body = Uint8Array.from([...gre, ...INNER]);
  if (c) {
    const sum = checksum(body);
    body[4] = sum >>> 8;
    body[5] = sum & 0xff;
  }
  const total = 20 + body.length;
  const ip = Uint8Array.from([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 47, 0, 0, 198, 18, 1, 1, 198, 18, 1, 2]);
  const sum = checksum(ip);
  ip[10] = sum >>> 8;
  ip[11] = sum & 0xff;
  return Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, ...ip, ...body]);
}

test('overlay decap: GRE with C and S bits (RFC 2784 / 2890) — each adds 4 bytes; a GRE checksum is verified', () => {
  const out = new DecapInfo();
  for (const [c, s, off] of [[false, false, 42], [true, false, 46], [false, true, 46], [true, true, 50]] as const) {
    const f = greFrame(c, s);
    assert.equal(decapsulate(f, 0, f.length, OverlayKind.Nvgre, 0x123456, 4789, 0, out), DecapResult.Ok, `C=${c} S=${s}`);
    assert.equal(out.innerOffset, off);
    assert.deepEqual(f.subarray(out.innerOffset, out.innerOffset + out.innerLength), INNER);
    assert.equal(out.greSequence, s ? 0x102 : -1);
    // Through the partial-copy path too: only the first 98 bytes given, the frame's length told.
    const head = f.slice(0, 98);
    const r = decapsulate(head, 0, 98, OverlayKind.Nvgre, 0x123456, 4789, 0, out, f.length);
    assert.equal(r, c ? DecapResult.NeedWhole : DecapResult.Ok, 'a GRE checksum needs the whole packet');
  }
  const bad = greFrame(true, false);
  bad[bad.length - 1]! ^= 0xff;
  assert.equal(decapsulate(bad, 0, bad.length, OverlayKind.Nvgre, 0x123456, 4789, 0, out), DecapResult.BadOuterChecksum);
});

test('overlay decap: lying lengths and offsets, bad headers and checksums — each refused with its own result', () => {
  const out = new DecapInfo();
  const run = (f: Uint8Array, kind: OverlayKind = OverlayKind.Nvgre, len = f.length): DecapResult => decapsulate(f, 0, len, kind, 0x123456, 4789, 0, out);
  const fixIp = (f: Uint8Array): Uint8Array => {
    f[24] = f[25] = 0;
    const s = checksum(f.subarray(14, 14 + (f[14]! & 0xf) * 4));
    f[24] = s >>> 8;
    f[25] = s & 0xff;
    return f;
  };
  // IPv4 total length beyond the frame (the frame was cut): truncated.
  assert.equal(run(encap(OverlayKind.Nvgre).subarray(0, 80)), DecapResult.Truncated);
  // Total length smaller than the header length: a lie.
  let f = encap(OverlayKind.Nvgre);
  f[16] = 0;
  f[17] = 10;
  assert.equal(run(fixIp(f)), DecapResult.BadLength);
  // IHL 15 (60 bytes) on a frame whose IP packet is 88 bytes: the GRE header is read from the wrong place.
  f = encap(OverlayKind.Nvgre);
  f[14] = 0x4f;
  assert.equal(run(fixIp(f)), DecapResult.BadHeader);
  // UDP length disagreeing with the IP payload.
  f = encap(OverlayKind.Vxlan);
  f[38] = 0;
  f[39] = 0x50;
  assert.equal(run(f, OverlayKind.Vxlan), DecapResult.BadLength);
  // GRE flags that claim optional fields beyond the packet: C+K+S needs 16 bytes, only 12 there after a short total length.
  f = greFrame(false, false).slice(0, 14 + 20 + 8);
  f[16] = 0;
  f[17] = 28;
  f[34] = 0xb0;
  assert.equal(run(fixIp(f)), DecapResult.BadLength);
  // No key (K=0), GRE version 1, routing bit: bad headers.
  for (const first of [0x00, 0x21, 0x60]) {
    f = encap(OverlayKind.Nvgre);
    f[34] = first >> 0;
    if (first === 0x21) {
      f[34] = 0x20;
      f[35] = 0x01;
    }
    assert.equal(run(f), DecapResult.BadHeader, `GRE flags ${first.toString(16)}`);
  }
  // Another GRE protocol (IPv4 0x0800 instead of TEB).
  f = encap(OverlayKind.Nvgre);
  f[36] = 0x08;
  f[37] = 0x00;
  assert.equal(run(f), DecapResult.UnknownEncapsulation);
  // VXLAN without the I flag.
  f = encap(OverlayKind.Vxlan);
  f[42] = 0;
  assert.equal(run(f, OverlayKind.Vxlan), DecapResult.BadHeader);
  // Bad outer IPv4 checksum; a non-zero UDP checksum that is wrong.
  f = encap(OverlayKind.Vxlan);
  f[24]! ^= 1;
  assert.equal(run(f, OverlayKind.Vxlan), DecapResult.BadOuterChecksum);
  f = encap(OverlayKind.Vxlan);
  f[40] = 0x12;
  assert.equal(run(f, OverlayKind.Vxlan), DecapResult.BadOuterChecksum);
  // An outer fragment; an inner frame shorter than an Ethernet header.
  f = encap(OverlayKind.Nvgre);
  f[20] = 0x20;
  assert.equal(run(fixIp(f)), DecapResult.Fragment);
  f = encap(OverlayKind.Nvgre).slice(0, 42 + 10);
  f[16] = 0;
  f[17] = 20 + 8 + 10;
  assert.equal(run(fixIp(f)), DecapResult.Truncated);
  // ARP and other EtherTypes are not overlay traffic.
  f = encap(OverlayKind.Nvgre);
  f[12] = 0x08;
  f[13] = 0x06;
  assert.equal(run(f), DecapResult.NotOverlay);
});

test('overlay supplemental info (§6.3): bits 0, 1, 2–9, 10–15, 16–25, 26, 27; out-of-range offsets refused', () => {
  // Encapsulated, offsets valid, InnerFrameOffset 50, inner IP at 14, TCP 20 after it, IPv4, options.
  assert.equal(encapsulatedPacketOffsets(50, 14, 20, false, true), (1 | 2 | (50 << 2) | (14 << 10) | (20 << 16) | (1 << 27)) >>> 0);
  assert.equal(encapsulatedPacketOffsets(42, 14, 40, true, false), 0x042838ab >>> 0);
  assert.equal(encapsulatedPacketOffsets(255, 63, 1023, true, true), 0x0fffffff);
  assert.equal(encapsulatedPacketOffsets(256, 14, 20, false, false), -1);
  assert.equal(encapsulatedPacketOffsets(50, 64, 20, false, false), -1);
  assert.equal(encapsulatedPacketOffsets(50, 14, 1024, false, false), -1);
});

test('overlay decap (property): any bytes — never throws, an accepted inner frame lies within them', () => {
  const out = new DecapInfo();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 0, max: 60 }), fc.boolean(), (noise, cut, nv) => {
      const base = encap(nv ? OverlayKind.Nvgre : OverlayKind.Vxlan);
      const f = new Uint8Array(base.length + noise.length);
      f.set(base);
      f.set(noise.subarray(0, Math.min(noise.length, 40)), 14 + (cut % 40));
      f.set(noise.subarray(40), base.length);
      const len = Math.max(0, f.length - cut);
      const r = decapsulate(f, 0, len, nv ? OverlayKind.Nvgre : OverlayKind.Vxlan, 0x123456, 4789, 0, out);
      if (r === DecapResult.Ok) assert.ok(out.innerOffset + out.innerLength <= len && out.innerLength >= 14);
    }),
    { numRuns: 2000 },
  );
});
