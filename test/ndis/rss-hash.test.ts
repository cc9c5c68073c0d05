/**
 * The RSS hash of whole frames (offload digest §3.1–§3.3, §2.6): Microsoft's vectors as real TCP and UDP
 * frames over IPv4 and IPv6, the hash type chosen among the enabled ones, fragments, IPv4 options, VLAN
 * tags, IPv6 extension headers (skipped, unskippable, EX addresses), frames that cannot be parsed, the
 * NET_BUFFER_LIST hash value/info, and random flows against the bit-by-bit reference.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NetBufferListInfo } from '../../src/ndis/buffers/net-buffer-list-info.js';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_IPV6_EX,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_TCP_IPV6_EX,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_HASH_UDP_IPV6_EX,
  NdisHashFunctionToeplitz,
} from '../../src/ndis/nbl-info-bits.js';
import { NDIS_HASH_TYPES_ALL, RSS_MAX_IPV6_EXTENSION_HEADERS, RssHasher, rssHash } from '../../src/ndis/rss/hash-input.js';
import { toeplitzHash } from '../../src/ndis/rss/toeplitz.js';
import { ipv6 } from '../../src/wire/address.js';
import { ip4 } from '../support/frames.js';
import {
  IPV4_VECTORS,
  IPV6_VECTORS,
  MS_KEY,
  type RssVector,
  fragmentHeader,
  homeAddressHeader,
  ipv4Frame,
  ipv6Frame,
  paddingHeader,
  ports,
  referenceToeplitz,
  routingType2Header,
  tcp4VectorFrame,
  tcp6VectorFrame,
  udp4VectorFrame,
  vectorInput,
} from '../support/rss.js';

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;
const V4 = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4;
const V6 = NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6;
const V6EX = NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_UDP_IPV6_EX;

function expectHash(frame: Uint8Array, types: number, value: number, hashType: number, what: string): void {
  const r = rssHash(frame, types, MS_KEY);
  assert.ok(r !== null, `${what}: no hash`);
  assert.deepEqual(
    { value: hex(r.hashValue), type: hex(r.hashType), fn: r.hashFunction, info: hex(r.hashInfo) },
    { value: hex(value), type: hex(hashType), fn: NdisHashFunctionToeplitz, info: hex(hashType | NdisHashFunctionToeplitz) },
    what,
  );
}

function udp6VectorFrame(v: RssVector): Uint8Array {
  return ipv6Frame(v.src, v.dst, [], 17, ports(v.sport, v.dport, 8));
}

test('rssHash: IPv4 vectors as TCP and UDP frames, 4-tuple and 2-tuple', () => {
  for (const v of IPV4_VECTORS) {
    const what = `${v.src}:${v.sport} → ${v.dst}:${v.dport}`;
    expectHash(tcp4VectorFrame(v), V4, v.fourTuple, NDIS_HASH_TCP_IPV4, `TCP ${what}`);
    expectHash(udp4VectorFrame(v), V4, v.fourTuple, NDIS_HASH_UDP_IPV4, `UDP ${what}`);
    expectHash(tcp4VectorFrame(v), NDIS_HASH_IPV4, v.twoTuple, NDIS_HASH_IPV4, `TCP, 2-tuple only: ${what}`);
    expectHash(udp4VectorFrame(v), NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, v.twoTuple, NDIS_HASH_IPV4, `UDP without UDP_IPV4: ${what}`);
  }
});

test('rssHash: IPv6 vectors as TCP and UDP frames, 4-tuple and 2-tuple', () => {
  for (const v of IPV6_VECTORS) {
    const what = `[${v.src}]:${v.sport} → [${v.dst}]:${v.dport}`;
    expectHash(tcp6VectorFrame(v), V6, v.fourTuple, NDIS_HASH_TCP_IPV6, `TCP ${what}`);
    expectHash(udp6VectorFrame(v), V6, v.fourTuple, NDIS_HASH_UDP_IPV6, `UDP ${what}`);
    expectHash(tcp6VectorFrame(v), NDIS_HASH_IPV6, v.twoTuple, NDIS_HASH_IPV6, `TCP, 2-tuple only: ${what}`);
    expectHash(udp6VectorFrame(v), NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6, v.twoTuple, NDIS_HASH_IPV6, `UDP without UDP_IPV6: ${what}`);
    // EX types on a packet without Home Address or type-2 routing: the same input, the EX type recorded
    expectHash(tcp6VectorFrame(v), V6 | V6EX, v.fourTuple, NDIS_HASH_TCP_IPV6_EX, `TCP, EX enabled: ${what}`);
    expectHash(udp6VectorFrame(v), NDIS_HASH_IPV6_EX, v.twoTuple, NDIS_HASH_IPV6_EX, `UDP, IPV6_EX only: ${what}`);
  }
});

test('rssHash: a 4-tuple type alone never falls back; other protocols take the 2-tuple type or nothing', () => {
  const v = IPV4_VECTORS[2]!;
  assert.equal(rssHash(udp4VectorFrame(v), NDIS_HASH_TCP_IPV4, MS_KEY), null);
  assert.equal(rssHash(tcp4VectorFrame(v), NDIS_HASH_UDP_IPV4, MS_KEY), null);
  const icmp = ipv4Frame(v.src, v.dst, 1, Uint8Array.of(8, 0, 0, 0, 0, 1, 0, 1));
  expectHash(icmp, V4, v.twoTuple, NDIS_HASH_IPV4, 'ICMP');
  assert.equal(rssHash(icmp, NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4, MS_KEY), null);
  // IPv4 types do not hash IPv6 and the other way round
  assert.equal(rssHash(tcp4VectorFrame(v), V6 | V6EX, MS_KEY), null);
  assert.equal(rssHash(tcp6VectorFrame(IPV6_VECTORS[0]!), V4, MS_KEY), null);
  assert.equal(rssHash(tcp4VectorFrame(v), 0, MS_KEY), null);
  // a whole HashInformation works as the type mask: the function bits are ignored
  expectHash(tcp4VectorFrame(v), V4 | NdisHashFunctionToeplitz, v.fourTuple, NDIS_HASH_TCP_IPV4, 'HashInformation');
});

test('rssHash: IPv4 fragments, the first one included, use the 2-tuple type only', () => {
  const v = IPV4_VECTORS[3]!;
  const tcp = ports(v.sport, v.dport, 20);
  for (const [fragment, what] of [[0x2000, 'first fragment (MF)'], [0x0010, 'later fragment'], [0x0010, 'last fragment'], [0x3fff, 'MF and offset']] as const) {
    const f = ipv4Frame(v.src, v.dst, 6, tcp, { fragment });
    expectHash(f, V4, v.twoTuple, NDIS_HASH_IPV4, what);
    assert.equal(rssHash(f, NDIS_HASH_TCP_IPV4, MS_KEY), null, `${what} with TCP_IPV4 alone`);
  }
  // DF alone is not a fragment
  expectHash(ipv4Frame(v.src, v.dst, 6, tcp, { fragment: 0x4000 }), V4, v.fourTuple, NDIS_HASH_TCP_IPV4, 'DF');
});

test('rssHash: IPv4 options are skipped, so the 4-tuple still applies', () => {
  const v = IPV4_VECTORS[4]!;
  for (const options of [Uint8Array.of(1, 1, 1, 0), new Uint8Array(40).fill(1)]) {
    expectHash(ipv4Frame(v.src, v.dst, 6, ports(v.sport, v.dport, 20), { options }), V4, v.fourTuple, NDIS_HASH_TCP_IPV4, `${options.length} option bytes`);
    expectHash(ipv4Frame(v.src, v.dst, 17, ports(v.sport, v.dport, 8), { options }), V4, v.fourTuple, NDIS_HASH_UDP_IPV4, `UDP, ${options.length} option bytes`);
  }
});

test('rssHash: one or two VLAN tags are skipped; a third is not', () => {
  const v = IPV4_VECTORS[0]!;
  expectHash(tcp4VectorFrame(v, { vlanTpids: [0x8100] }), V4, v.fourTuple, NDIS_HASH_TCP_IPV4, '802.1Q');
  expectHash(tcp4VectorFrame(v, { vlanTpids: [0x88a8, 0x8100] }), V4, v.fourTuple, NDIS_HASH_TCP_IPV4, 'QinQ');
  expectHash(tcp6VectorFrame(IPV6_VECTORS[1]!, { vlanTpids: [0x8100] }), V6, IPV6_VECTORS[1]!.fourTuple, NDIS_HASH_TCP_IPV6, '802.1Q IPv6');
  assert.equal(rssHash(tcp4VectorFrame(v, { vlanTpids: [0x88a8, 0x8100, 0x8100] }), V4, MS_KEY), null);
});

test('rssHash: IPv6 extension headers are skipped for the 4-tuple', () => {
  const v = IPV6_VECTORS[2]!;
  const chains = [
    [paddingHeader(0)],
    [paddingHeader(0, 16), paddingHeader(60)],
    [paddingHeader(0), fragmentHeader(0, false), paddingHeader(60, 24)], // an atomic fragment is not a fragment
    [{ protocol: 51, bytes: Uint8Array.of(0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) }], // AH, 24 bytes
    Array.from({ length: RSS_MAX_IPV6_EXTENSION_HEADERS }, () => paddingHeader(60)),
  ];
  for (const chain of chains) {
    const what = chain.map((h) => h.protocol).join(',');
    expectHash(ipv6Frame(v.src, v.dst, chain, 6, ports(v.sport, v.dport, 20)), V6, v.fourTuple, NDIS_HASH_TCP_IPV6, `TCP after ${what}`);
    expectHash(ipv6Frame(v.src, v.dst, chain, 17, ports(v.sport, v.dport, 8)), V6, v.fourTuple, NDIS_HASH_UDP_IPV6, `UDP after ${what}`);
  }
  // an upper layer other than TCP/UDP (ICMPv6, No Next Header, ESP) takes the 2-tuple
  for (const upper of [58, 59, 50]) expectHash(ipv6Frame(v.src, v.dst, [paddingHeader(0)], upper, new Uint8Array(8)), V6, v.twoTuple, NDIS_HASH_IPV6, `upper ${upper}`);
});

test('rssHash: IPv6 fragments use the 2-tuple type only', () => {
  const v = IPV6_VECTORS[0]!;
  for (const [offset, more] of [[0, true], [185, true], [185, false]] as const) {
    const f = ipv6Frame(v.src, v.dst, [fragmentHeader(offset, more)], 6, ports(v.sport, v.dport, 20));
    expectHash(f, V6, v.twoTuple, NDIS_HASH_IPV6, `offset ${offset} M ${more}`);
    assert.equal(rssHash(f, NDIS_HASH_TCP_IPV6 | NDIS_HASH_TCP_IPV6_EX, MS_KEY), null);
  }
});

test('rssHash: an IPv6 extension-header chain that cannot be walked gives no hash at all', () => {
  const v = IPV6_VECTORS[0]!;
  const tooLong = Array.from({ length: RSS_MAX_IPV6_EXTENSION_HEADERS + 1 }, () => paddingHeader(60));
  assert.equal(rssHash(ipv6Frame(v.src, v.dst, tooLong, 6, ports(v.sport, v.dport, 20)), V6 | V6EX, MS_KEY), null, 'chain too long');
  // a Destination Options header claiming 16 bytes where the packet has 8
  const truncated = ipv6Frame(v.src, v.dst, [{ protocol: 60, bytes: Uint8Array.of(0, 1, 1, 4, 0, 0, 0, 0) }], 59, new Uint8Array(0));
  assert.equal(rssHash(truncated, V6 | V6EX, MS_KEY), null, 'header past the packet');
  // the payload length ends the packet inside a header, although the frame has more bytes
  const short = ipv6Frame(v.src, v.dst, [paddingHeader(0, 16)], 6, ports(v.sport, v.dport, 20), { payloadLength: 8 });
  assert.equal(rssHash(short, V6, MS_KEY), null, 'payload length inside a header');
  // a Fragment header cut short
  assert.equal(rssHash(ipv6Frame(v.src, v.dst, [], 44, Uint8Array.of(6, 0, 0)), V6, MS_KEY), null, 'fragment header cut');
});

test('rssHash: IPv6-EX types hash the Home Address and the type-2 routing address', () => {
  const v = IPV6_VECTORS[1]!;
  // the fixed header carries a care-of source and a destination the routing header replaces
  const frame = (upper: number, l4: Uint8Array) =>
    ipv6Frame('2001:db8::99', '2001:db8::aa', [paddingHeader(0), routingType2Header(v.dst), homeAddressHeader(v.src)], upper, l4);
  const tcp = frame(6, ports(v.sport, v.dport, 20));
  expectHash(tcp, V6EX, v.fourTuple, NDIS_HASH_TCP_IPV6_EX, 'TCP_IPV6_EX');
  expectHash(frame(17, ports(v.sport, v.dport, 8)), V6EX, v.fourTuple, NDIS_HASH_UDP_IPV6_EX, 'UDP_IPV6_EX');
  expectHash(tcp, NDIS_HASH_IPV6_EX, v.twoTuple, NDIS_HASH_IPV6_EX, 'IPV6_EX');
  // the plain types hash the fixed header's addresses
  const plainInput = new Uint8Array(36);
  plainInput.set(ipv6('2001:db8::99'), 0);
  plainInput.set(ipv6('2001:db8::aa'), 16);
  plainInput.set(ports(v.sport, v.dport, 4), 32);
  expectHash(tcp, V6, toeplitzHash(MS_KEY, plainInput), NDIS_HASH_TCP_IPV6, 'TCP_IPV6 on the same packet');
  // a TCP_IPV6_EX packet with both sets enabled prefers the EX type
  expectHash(tcp, V6 | V6EX, v.fourTuple, NDIS_HASH_TCP_IPV6_EX, 'both sets');
  // a routing header of another type, or with segments left ≠ 1, does not replace the destination
  const rh0 = routingType2Header(v.dst);
  rh0.bytes[2] = 0;
  const other = ipv6Frame('2001:db8::99', '2001:db8::aa', [rh0], 6, ports(v.sport, v.dport, 20));
  expectHash(other, NDIS_HASH_TCP_IPV6_EX, toeplitzHash(MS_KEY, plainInput), NDIS_HASH_TCP_IPV6_EX, 'routing type 0');
});

test('rssHash: frames that cannot be parsed get no hash; a cut transport header counts as absent', () => {
  const v = IPV4_VECTORS[0]!;
  const good = tcp4VectorFrame(v);
  const ihl4 = good.slice();
  ihl4[14] = 0x44;
  const totalShort = good.slice();
  totalShort[16] = 0;
  totalShort[17] = 16; // total length below the header
  const version6 = good.slice();
  version6[14] = 0x65;
  for (const [f, what] of [
    [good.subarray(0, 13), 'no EtherType'],
    [good.subarray(0, 33), 'IPv4 header cut'],
    [ihl4, 'IHL 4'],
    [totalShort, 'total length below IHL'],
    [version6, 'version 6 in an IPv4 EtherType'],
    [Uint8Array.of(...good.subarray(0, 12), 0x08, 0x06, ...new Uint8Array(28)), 'ARP'],
    [tcp6VectorFrame(IPV6_VECTORS[0]!).subarray(0, 53), 'IPv6 header cut'],
    [new Uint8Array(0), 'empty'],
  ] as const) {
    assert.equal(rssHash(f, NDIS_HASH_TYPES_ALL, MS_KEY), null, what);
  }
  // the IP header is whole but only 3 bytes of TCP follow: 2-tuple
  expectHash(good.subarray(0, 14 + 20 + 3), V4, v.twoTuple, NDIS_HASH_IPV4, 'TCP header cut by the frame');
  const cutByLength = ipv4Frame(v.src, v.dst, 6, ports(v.sport, v.dport, 20));
  cutByLength[17] = 23; // total length 23: 3 bytes of TCP, the rest is Ethernet padding
  expectHash(cutByLength, V4, v.twoTuple, NDIS_HASH_IPV4, 'TCP header cut by the total length');
});

test('RssHasher: a window into a larger buffer, and the NET_BUFFER_LIST hash value and info', () => {
  const v = IPV4_VECTORS[1]!;
  const frame = tcp4VectorFrame(v);
  const buf = new Uint8Array(7 + frame.length + 5).fill(0xee);
  buf.set(frame, 7);
  const h = new RssHasher(MS_KEY, V4);
  assert.equal(h.hash(buf, 7, frame.length), NDIS_HASH_TCP_IPV4 | NdisHashFunctionToeplitz);
  assert.equal(hex(h.hashValue), hex(v.fourTuple));
  const info = new NetBufferListInfo();
  assert.equal(h.setNetBufferListHash(info, buf, 7, frame.length), NDIS_HASH_TCP_IPV4 | NdisHashFunctionToeplitz);
  assert.deepEqual([hex(info.hashValue), hex(info.hashInfo)], [hex(v.fourTuple), '0x00000201']);
  // no hash: both slots 0, whatever they held
  h.hashTypes = NDIS_HASH_IPV6;
  assert.equal(h.setNetBufferListHash(info, buf, 7, frame.length), 0);
  assert.deepEqual([info.hashValue, info.hashInfo], [0, 0]);
  assert.equal(h.hashValue, 0);
  // a length reaching past the buffer is clamped
  h.hashTypes = NDIS_HASH_IPV4;
  assert.equal(h.hash(buf, 7, 1 << 20), NDIS_HASH_IPV4 | NdisHashFunctionToeplitz);
  assert.equal(hex(h.hashValue), hex(v.twoTuple));
  assert.equal(h.hash(buf, buf.length + 3, 10), 0);
});

const v4addr = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [...b].join('.'));
const v6addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':'));
const port = fc.integer({ min: 0, max: 0xffff });

test('random TCP/UDP flows over IPv4 and IPv6 hash as the reference does on source ‖ destination ‖ ports', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), v4addr, v4addr, v6addr, v6addr, port, port, fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.boolean(),
      (six, tcp, a4, b4, a6, b6, sport, dport, key, tagged) => {
        const v: RssVector = { src: six ? a6 : a4, dst: six ? b6 : b4, sport, dport, twoTuple: 0, fourTuple: 0 };
        const opts = tagged ? { vlanTpids: [0x8100] } : {};
        const frame = six ? (tcp ? tcp6VectorFrame(v, opts) : ipv6Frame(v.src, v.dst, [], 17, ports(sport, dport, 8), opts)) : tcp ? tcp4VectorFrame(v, opts) : udp4VectorFrame(v, opts);
        const r = rssHash(frame, NDIS_HASH_TYPES_ALL & ~V6EX, key);
        assert.ok(r !== null);
        assert.equal(r.hashValue, referenceToeplitz(key, vectorInput(v, true)));
        assert.equal(r.hashType, six ? (tcp ? NDIS_HASH_TCP_IPV6 : NDIS_HASH_UDP_IPV6) : tcp ? NDIS_HASH_TCP_IPV4 : NDIS_HASH_UDP_IPV4);
        const two = rssHash(frame, NDIS_HASH_IPV4 | NDIS_HASH_IPV6, key);
        assert.equal(two?.hashValue, referenceToeplitz(key, vectorInput(v, false)));
      }),
    { numRuns: 200 },
  );
});

test('random and mutated frames never throw; a hash found is of an enabled type, with the Toeplitz function', () => {
  const seeds = [tcp4VectorFrame(IPV4_VECTORS[0]!), tcp6VectorFrame(IPV6_VECTORS[0]!), ipv6Frame('::1', '::2', [paddingHeader(0), routingType2Header('::3'), homeAddressHeader('::4')], 17, ports(1, 2, 8))];
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(120), fc.nat(255)), { maxLength: 6 }), fc.nat(140)).map(([s, edits, cut]) => {
    const f = s.slice(0, Math.max(0, s.length - cut));
    for (const [i, b] of edits) if (i < f.length) f[i] = b;
    return f;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated), fc.integer({ min: 0, max: 0xffffffff }), (frame, types) => {
      const r = rssHash(frame, types, MS_KEY);
      if (r === null) return;
      assert.equal(r.hashFunction, NdisHashFunctionToeplitz);
      assert.ok((r.hashType & types & NDIS_HASH_TYPES_ALL) === r.hashType && (r.hashType & (r.hashType - 1)) === 0, `type 0x${r.hashType.toString(16)} of 0x${types.toString(16)}`);
    }),
    { numRuns: 1500 },
  );
});

test('IPv4 addresses in a frame are the ones in the vector (the builder puts source first)', () => {
  const v = IPV4_VECTORS[0]!;
  const f = tcp4VectorFrame(v);
  assert.deepEqual([...f.subarray(26, 30)], [...ip4(v.src)]);
  assert.deepEqual([...f.subarray(30, 34)], [...ip4(v.dst)]);
});
