/**
 * Fuzzing the wire layer through `describeFrame`, which reaches every view, the extension-header walk
 * and the TCP and NDP option readers, plus every `parseXxx` at every layer offset (`parseIpv4` walks
 * the IPv4 options). Inputs: random bytes (bare, and behind valid Ethernet/IP headers so they get past
 * the first checks), and mutations of the corpus in test/fuzz/corpus/wire/: bit flips, truncation, and
 * boundary values written into every length, type and option-length field the frame has (IPv4 option
 * pointers too). Whatever comes in: no throw, at most DESCRIBE_MAX_LINES bounded lines, and well under
 * a millisecond per frame on average.
 * More runs with TSNDIS_FUZZ_RUNS=n (the default keeps the file at 20 000+ frames in a second or two).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import {
  DESCRIBE_MAX_LINES,
  EtherType,
  EthernetView,
  Icmpv4View,
  Icmpv6View,
  IpProtocol,
  Ipv4OptionReader,
  Ipv4View,
  Ipv6ExtHeaderView,
  Ipv6View,
  NdpOptionReader,
  TcpOptionReader,
  TcpView,
  UdpView,
  describeFrame,
  icmpv6FixedLength,
  isIpv6ExtensionHeader,
  parseArp,
  parseEthernet,
  parseIcmpv4,
  parseIcmpv6,
  parseIpv4,
  parseIpv6,
  parseIpv6Fragment,
  parseIpv6OptionsHeader,
  parseIpv6Routing,
  parseTcp,
  parseUdp,
} from '../../src/wire/index.js';
import { corpusFrame, corpusNames } from './helpers.js';

const RUNS = Number(process.env['TSNDIS_FUZZ_RUNS'] ?? 8000);
const MAX_LINE = 2000;
const CORPUS = corpusNames().map((name) => ({ name, bytes: corpusFrame(name) }));

let frames = 0;
let worstMs = 0;

/** The invariants, for one frame. */
function describeChecked(b: Uint8Array, offset = 0, length = b.length - offset): string[] {
  const t0 = performance.now();
  const lines = describeFrame(b, offset, length);
  const ms = performance.now() - t0;
  worstMs = Math.max(worstMs, ms);
  frames++;
  assert.ok(Array.isArray(lines) && lines.length >= 1 && lines.length <= DESCRIBE_MAX_LINES, `${String(lines.length)} lines`);
  for (const l of lines) assert.ok(typeof l === 'string' && l.length <= MAX_LINE, `line of ${String(l.length)} characters`);
  return lines;
}

const ph4 = { version: 4 as const, src: 0xc6120701, dst: 0xc6120702 };
const ph6 = { version: 6 as const, src: new Uint8Array(16), dst: new Uint8Array(16).fill(1) };

/** Every Repr parser at `at` with the rest of the frame: a Repr or a WireError, never a throw. */
function parseAllAt(b: Uint8Array, at: number): void {
  const n = b.length - at;
  if (n < 0) return;
  const results: unknown[] = [
    parseEthernet(b, at, n),
    parseArp(b, at, n),
    parseIpv4(b, at, n),
    parseIpv6(b, at, n),
    parseIpv6OptionsHeader(b, at, n),
    parseIpv6Routing(b, at, n),
    parseIpv6Fragment(b, at, n),
    parseIcmpv4(b, at, n),
    parseIcmpv6(b, at, n, null),
    parseIcmpv6(b, at, n, ph6),
    parseUdp(b, at, n, ph4),
    parseUdp(b, at, n, null),
    parseTcp(b, at, n, ph6),
    parseTcp(b, at, n, null),
  ];
  for (const r of results) assert.ok((typeof r === 'number' && r > 0) || (typeof r === 'object' && r !== null));
}

interface Field {
  at: number;
  size: 1 | 2;
}

/**
 * Offsets of the fields that steer a parser in a (valid) frame: EtherTypes, IP version/IHL, lengths,
 * protocols, extension header lengths, UDP length, TCP data offset, option kinds and lengths, ICMP
 * types and the quoted header's length fields. Found with the library's own views.
 */
function steeringFields(b: Uint8Array): { fields: Field[]; layers: number[] } {
  const fields: Field[] = [];
  const layers: number[] = [0];
  const e = new EthernetView();
  if (EthernetView.check(b, 0, b.length) !== 0) return { fields, layers };
  e.bind(b, 0);
  fields.push({ at: 12, size: 2 });
  if (e.hasVlanTag) fields.push({ at: 16, size: 2 });
  let p = e.payloadOffset;
  layers.push(p);
  const transport = (proto: number, at: number, len: number): void => {
    layers.push(at);
    if (proto === IpProtocol.Udp && UdpView.check(b, at, len) === 0) fields.push({ at: at + 4, size: 2 });
    if (proto === IpProtocol.Tcp && TcpView.check(b, at, len) === 0) {
      const t = new TcpView().bind(b, at);
      fields.push({ at: at + 12, size: 1 }, { at: at + 13, size: 1 });
      const r = new TcpOptionReader().reset(b, t.optionsOffset, t.optionsLength);
      while (r.next()) fields.push({ at: r.offset, size: 1 }, { at: r.offset + 1, size: 1 });
    }
    if (proto === IpProtocol.Icmp && Icmpv4View.check(b, at, len) === 0) {
      fields.push({ at, size: 1 }, { at: at + 1, size: 1 });
      if (Ipv4View.checkHeader(b, at + 8, len - 8) === 0) fields.push({ at: at + 8, size: 1 }, { at: at + 10, size: 2 }, { at: at + 17, size: 1 });
    }
    if (proto === IpProtocol.Icmpv6 && Icmpv6View.check(b, at, len) === 0) {
      fields.push({ at, size: 1 }, { at: at + 1, size: 1 });
      const fixed = icmpv6FixedLength(b[at]!);
      const r = new NdpOptionReader().reset(b, at + fixed, Math.max(0, len - fixed));
      while (r.next()) fields.push({ at: r.offset, size: 1 }, { at: r.offset + 1, size: 1 });
      if (Ipv6View.checkHeader(b, at + 8, len - 8) === 0) fields.push({ at: at + 12, size: 2 }, { at: at + 14, size: 1 });
    }
  };
  if (e.etherType === EtherType.Arp) fields.push({ at: p + 4, size: 1 }, { at: p + 5, size: 1 }, { at: p, size: 2 });
  if (e.etherType === EtherType.Ipv4 && Ipv4View.check(b, p, b.length - p) === 0) {
    const ip = new Ipv4View().bind(b, p);
    fields.push({ at: p, size: 1 }, { at: p + 2, size: 2 }, { at: p + 6, size: 2 }, { at: p + 9, size: 1 });
    const r = new Ipv4OptionReader().reset(b, ip.optionsOffset, ip.optionsLength);
    while (r.next()) fields.push({ at: r.offset, size: 1 }, { at: r.offset + 1, size: 1 }, { at: r.offset + 2, size: 1 });
    transport(ip.protocol, ip.payloadOffset, ip.payloadLength);
  }
  if (e.etherType === EtherType.Ipv6 && Ipv6View.check(b, p, b.length - p) === 0) {
    const ip = new Ipv6View().bind(b, p);
    fields.push({ at: p, size: 1 }, { at: p + 4, size: 2 }, { at: p + 6, size: 1 });
    const end = ip.payloadOffset + ip.payloadLength;
    let nh = ip.nextHeader;
    p = ip.payloadOffset;
    for (let i = 0; i < 20 && isIpv6ExtensionHeader(nh) && Ipv6ExtHeaderView.check(b, p, end - p) === 0; i++) {
      layers.push(p);
      fields.push({ at: p, size: 1 }, { at: p + 1, size: 1 });
      if (nh === IpProtocol.Ipv6Fragment) fields.push({ at: p + 2, size: 2 });
      nh = b[p]!;
      p += nh === IpProtocol.Ipv6Fragment ? 8 : new Ipv6ExtHeaderView().bind(b, p).headerLength;
    }
    transport(nh, p, end - p);
  }
  return { fields: fields.filter((f) => f.at + f.size <= b.length), layers };
}

const SEEDS = CORPUS.map(({ name, bytes }) => ({ name, bytes, ...steeringFields(bytes) }));
const BOUNDARY8 = [0, 1, 2, 3, 4, 5, 6, 8, 0x0e, 0x0f, 0x10, 0x11, 0x2c, 0x3a, 0x3b, 0x3c, 0x3f, 0x40, 0x44, 0x45, 0x4f, 0x50, 0x5f, 0x60, 0x7f, 0x80, 0x81, 0x86, 0x87, 0xfe, 0xff];
const BOUNDARY16 = [0, 1, 2, 7, 8, 9, 19, 20, 21, 39, 40, 41, 0x5dc, 0x5ff, 0x600, 0x0800, 0x0806, 0x8100, 0x86dd, 0x88a8, 0x7fff, 0x8000, 0xfffe, 0xffff];

type Op =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'cut'; keep: number }
  | { kind: 'field'; which: number; value: number; delta: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('cut' as const), keep: fc.nat() }, { noNullPrototype: true }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('field' as const), which: fc.nat(), value: fc.nat(), delta: fc.integer({ min: -3, max: 3 }) }, { noNullPrototype: true }) },
);

function mutate(seed: (typeof SEEDS)[number], ops: Op[]): Uint8Array {
  let b = Uint8Array.from(seed.bytes);
  for (const o of ops) {
    if (b.length === 0) break;
    if (o.kind === 'flip') b[o.pos % b.length]! ^= 1 << o.bit;
    else if (o.kind === 'cut') b = b.slice(0, o.keep % (b.length + 1));
    else if (seed.fields.length > 0) {
      const f = seed.fields[o.which % seed.fields.length]!;
      if (f.at + f.size > b.length) continue;
      const old = f.size === 1 ? b[f.at]! : (b[f.at]! << 8) | b[f.at + 1]!;
      const table = f.size === 1 ? BOUNDARY8 : BOUNDARY16;
      // Half the time a boundary value, half the time the old value nudged (lengths off by a few).
      const v = o.value % 2 ? table[(o.value >>> 1) % table.length]! : (old + o.delta) & (f.size === 1 ? 0xff : 0xffff);
      if (f.size === 1) b[f.at] = v;
      else {
        b[f.at] = v >>> 8;
        b[f.at + 1] = v & 0xff;
      }
    }
  }
  return b;
}

function report(t: TestContext, what: string, n0: number, t0: number): void {
  t.diagnostic(`${what}: ${String(frames - n0)} frames in ${(performance.now() - t0).toFixed(0)} ms, slowest ${worstMs.toFixed(2)} ms`);
}

test('fuzz: the corpus is there and its fields were found', () => {
  assert.ok(SEEDS.length >= 40, `${String(SEEDS.length)} corpus frames`);
  assert.ok(SEEDS.filter((s) => s.fields.length >= 6).length >= 30);
});

test('fuzz: every corpus frame, cut at every length and at every offset, describes without a throw', (t) => {
  const n0 = frames;
  const t0 = performance.now();
  for (const { bytes, layers } of SEEDS) {
    for (let n = 0; n <= bytes.length; n++) describeChecked(bytes, 0, n);
    for (const at of layers) {
      describeChecked(bytes, at);
      parseAllAt(bytes, at);
      for (let n = 0; n <= Math.min(80, bytes.length - at); n++) parseAllAt(bytes.subarray(0, at + n), at);
    }
  }
  // Ranges that do not fit the buffer are refused, not read.
  const b = SEEDS[0]!.bytes;
  for (const [o, n] of [[-1, 10], [0, b.length + 1], [b.length, 1], [0.5, 10], [0, Number.NaN], [Number.MAX_SAFE_INTEGER, 1]] as const) {
    assert.equal(describeChecked(b, o, n).length, 1);
  }
  report(t, 'cuts', n0, t0);
});

test('fuzz: random bytes', (t) => {
  const n0 = frames;
  const t0 = performance.now();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      describeChecked(b);
    }),
    { numRuns: RUNS / 2 },
  );
  report(t, 'random', n0, t0);
});

test('fuzz: random bytes behind valid Ethernet, IPv4 and IPv6 headers', (t) => {
  const n0 = frames;
  const t0 = performance.now();
  const header = (etherType: number, ip: number[]): Uint8Array => Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, etherType >>> 8, etherType & 0xff, ...ip]);
  const inner = fc.constantFrom(0, 1, 6, 17, 43, 44, 58, 59, 60, 99);
  const stem = fc.oneof(
    fc.constantFrom(EtherType.Arp, EtherType.Vlan, EtherType.QinQ, 0x0026).map((t0_) => header(t0_, [])),
    inner.map((p) => header(EtherType.Ipv4, [0x45, 0, 0, 0, 0, 0, 0, 0, 64, p, 0, 0, 198, 18, 7, 1, 198, 18, 7, 2])),
    inner.map((p) => header(EtherType.Ipv6, [0x60, 0, 0, 0, 0, 0, p, 64, ...new Array<number>(32).fill(0xfd)])),
    inner.map((p) => Uint8Array.from([...header(EtherType.Vlan, [0, 100, 0x86, 0xdd]), 0x60, 0, 0, 0, 0, 0, p, 64, ...new Array<number>(32).fill(1)])),
  );
  fc.assert(
    fc.property(stem, fc.uint8Array({ maxLength: 160 }), fc.boolean(), (s, rest, fixLength) => {
      const b = new Uint8Array(s.length + rest.length);
      b.set(s);
      b.set(rest, s.length);
      if (fixLength && b[12] === 0x08 && b[13] === 0x00) {
        b[16] = (b.length - 14) >>> 8;
        b[17] = (b.length - 14) & 0xff;
      }
      if (fixLength && b[12] === 0x86 && b[13] === 0xdd) {
        b[18] = (b.length - 54) >>> 8;
        b[19] = (b.length - 54) & 0xff;
      }
      describeChecked(b);
    }),
    { numRuns: RUNS },
  );
  report(t, 'behind headers', n0, t0);
});

test('fuzz: mutations of the corpus (bit flips, cuts, boundary values in steering fields)', (t) => {
  const n0 = frames;
  const t0 = performance.now();
  fc.assert(
    fc.property(fc.constantFrom(...SEEDS), fc.array(op, { minLength: 1, maxLength: 4 }), (seed, ops) => {
      const b = mutate(seed, ops);
      describeChecked(b);
      for (const at of seed.layers) parseAllAt(b, at);
    }),
    { numRuns: 2 * RUNS },
  );
  report(t, 'mutations', n0, t0);
});

// The slowest frame is printed, not asserted: a wall-clock bound fails on a loaded machine and proves
// nothing about the parsers (their loops are bounded by the frame length, which the fuzz covers).
test('fuzz: at least 20 000 frames went through', (t) => {
  t.diagnostic(`${String(frames)} frames, slowest ${worstMs.toFixed(2)} ms`);
  if (RUNS >= 8000) assert.ok(frames >= 20_000, `${String(frames)} frames`);
});
