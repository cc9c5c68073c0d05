/**
 * RSS on encapsulated frames (§3.5, §6.6): with the offload on, NVGRE and VXLAN frames hash on the inner
 * IP + TCP/UDP 4-tuple — Microsoft's verification vectors put inside the tunnel give their published
 * 4-tuple values — and fall back to the outer 2-tuple when the inner frame has no TCP/UDP (never the
 * outer UDP ports of VXLAN); with the offload off the outer headers are hashed as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NDIS_HASH_IPV4, NDIS_HASH_IPV6, NDIS_HASH_TCP_IPV4, NDIS_HASH_TCP_IPV6, NDIS_HASH_UDP_IPV4, NDIS_HASH_UDP_IPV6, NdisHashFunctionToeplitz } from '../../src/ndis/nbl-info-bits.js';
import { RssHasher } from '../../src/ndis/rss/hash-input.js';
import { ToeplitzHasher } from '../../src/ndis/rss/toeplitz.js';
import { IPV4_VECTORS, IPV6_VECTORS, MS_KEY, tcp4VectorFrame, tcp6VectorFrame, udp4VectorFrame } from '../support/rss.js';

const ALL = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6;
const OUTER = IPV4_VECTORS[4]!;

/** Outer Ethernet + IPv4 (OUTER's addresses) + GRE/NVGRE or UDP/VXLAN around `inner` (an Ethernet frame). */
function wrap(kind: 'gre' | 'vxlan', inner: Uint8Array, port = 4789): Uint8Array {
  const tunnel = kind === 'gre' ? 8 : 16;
  const f = new Uint8Array(14 + 20 + tunnel + inner.length);
  f[12] = 0x08;
  f[14] = 0x45;
  const total = f.length - 14;
  f[16] = total >> 8;
  f[17] = total & 0xff;
  f[22] = 64;
  f[23] = kind === 'gre' ? 47 : 17;
  f.set(OUTER.src.split('.').map(Number), 26);
  f.set(OUTER.dst.split('.').map(Number), 30);
  if (kind === 'gre') {
    f.set([0x20, 0x00, 0x65, 0x58, 0, 0x10, 0x01, 0x07], 34);
  } else {
    f.set([0xc0, 0x00, port >> 8, port & 0xff, (8 + 8 + inner.length) >> 8, (8 + 8 + inner.length) & 0xff, 0, 0, 0x08, 0, 0, 0, 0, 0x12, 0x34, 0], 34);
  }
  f.set(inner, 34 + tunnel);
  return f;
}

function hasher(nvgre: boolean, vxlanPort: number): RssHasher {
  const h = new RssHasher(new ToeplitzHasher(MS_KEY), ALL);
  h.nvgre = nvgre;
  h.vxlanPort = vxlanPort;
  return h;
}

test('NVGRE and VXLAN: the inner 4-tuple gives the published vectors (IPv4 and IPv6 inside, TCP and UDP)', () => {
  for (const kind of ['gre', 'vxlan'] as const) {
    const h = hasher(true, 4789);
    for (const v of IPV4_VECTORS) {
      assert.equal(h.hash(wrap(kind, tcp4VectorFrame(v))), NDIS_HASH_TCP_IPV4 | NdisHashFunctionToeplitz, `${kind} ${v.src}`);
      assert.equal(h.hashValue, v.fourTuple);
      assert.equal(h.hash(wrap(kind, udp4VectorFrame(v))), NDIS_HASH_UDP_IPV4 | NdisHashFunctionToeplitz);
      assert.equal(h.hashValue, v.fourTuple);
    }
    for (const v of IPV6_VECTORS) {
      assert.equal(h.hash(wrap(kind, tcp6VectorFrame(v))), NDIS_HASH_TCP_IPV6 | NdisHashFunctionToeplitz, `${kind} ${v.src}`);
      assert.equal(h.hashValue, v.fourTuple);
    }
  }
});

test('no inner TCP/UDP, or an inner fragment: the outer 2-tuple — never the outer UDP ports of VXLAN', () => {
  const v = IPV4_VECTORS[0]!;
  const icmp = tcp4VectorFrame(v);
  icmp[23] = 1; // inner protocol ICMP
  const frag = tcp4VectorFrame(v);
  frag[20] = 0x20; // MF
  for (const kind of ['gre', 'vxlan'] as const) {
    for (const inner of [icmp, frag, new Uint8Array(10)]) {
      const h = hasher(true, 4789);
      assert.equal(h.hash(wrap(kind, inner)), NDIS_HASH_IPV4 | NdisHashFunctionToeplitz, kind);
      assert.equal(h.hashValue, OUTER.twoTuple);
    }
  }
});

test('offload off (or another VXLAN port): the outer headers are hashed as any frame', () => {
  const v = IPV4_VECTORS[1]!;
  const off = hasher(false, 0);
  assert.equal(off.hash(wrap('gre', tcp4VectorFrame(v))), NDIS_HASH_IPV4 | NdisHashFunctionToeplitz);
  assert.equal(off.hashValue, OUTER.twoTuple);
  // VXLAN on 8472 while the adapter's port is 4789: an ordinary UDP datagram, hashed on the outer 4-tuple.
  const h = hasher(true, 4789);
  assert.equal(h.hash(wrap('vxlan', tcp4VectorFrame(v), 8472)), NDIS_HASH_UDP_IPV4 | NdisHashFunctionToeplitz);
  assert.notEqual(h.hashValue, v.fourTuple);
  // NVGRE inside NVGRE: only one level is looked into.
  const nested = wrap('gre', wrap('gre', tcp4VectorFrame(v)));
  assert.equal(h.hash(nested), NDIS_HASH_IPV4 | NdisHashFunctionToeplitz);
  assert.equal(h.hashValue, OUTER.twoTuple);
});
