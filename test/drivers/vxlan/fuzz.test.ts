/**
 * Fuzzing the receive path: random and mutated datagrams go straight into the adapter's socket callback.
 * Nothing throws, every datagram lands in exactly one counter, the counters match a reference classifier
 * written independently here, exactly the accepted frames reach the protocol (byte-exact, in order), and
 * the pools are full at the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { VxlanCounters } from '../../../src/drivers/miniport/vxlan/index.js';
import { assertClean, settle } from '../../support/hosts.js';
import { drain, freePorts, makeVxlanHost } from './helpers.js';

const OUR_MAC = [0x02, 0x00, 0x00, 0x00, 0x42, 0x01];
const OTHER_MAC = [0x02, 0x00, 0x00, 0x00, 0x42, 0x02];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MCAST = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x07];

type Outcome = 'rxTruncated' | 'rxMissingIFlag' | 'rxReservedBits' | 'rxUnknownVni' | 'rxRunt' | 'rxOversize' | 'rxOwnSource' | 'rxFiltered' | 'rxAccepted';
const OUTCOMES: Outcome[] = ['rxTruncated', 'rxMissingIFlag', 'rxReservedBits', 'rxUnknownVni', 'rxRunt', 'rxOversize', 'rxOwnSource', 'rxFiltered', 'rxAccepted'];

/** The reference: RFC 7348 + Linux's strictness, our MTU (1514 + one tag), the raw protocol's filter (directed | multicast | broadcast, empty multicast list). */
function classify(d: Uint8Array): Outcome {
  if (d.length < 8) return 'rxTruncated';
  if ((d[0]! & 0x08) === 0) return 'rxMissingIFlag';
  if ((d[0]! & 0xf7) !== 0 || d[1] !== 0 || d[2] !== 0 || d[3] !== 0 || d[7] !== 0) return 'rxReservedBits';
  if (((d[4]! << 16) | (d[5]! << 8) | d[6]!) !== 42) return 'rxUnknownVni';
  const frameLen = d.length - 8;
  if (frameLen < 14) return 'rxRunt';
  if (frameLen > 1518) return 'rxOversize';
  const eq = (o: number, m: number[]): boolean => m.every((b, i) => d[o + i] === b);
  if (eq(14, OUR_MAC)) return 'rxOwnSource';
  if (eq(8, OUR_MAC) || eq(8, BCAST)) return 'rxAccepted';
  return 'rxFiltered';
}

const header = fc.record({
  flags: fc.oneof({ arbitrary: fc.constant(0x08), weight: 6 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 }),
  reserved: fc.oneof(
    { arbitrary: fc.constant([0, 0, 0, 0]), weight: 6 },
    { arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), weight: 1 },
  ),
  vni: fc.oneof({ arbitrary: fc.constant(42), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 0xffffff }), weight: 1 }),
});
const macBytes = fc.constantFrom(OUR_MAC, OTHER_MAC, BCAST, MCAST);
const structured = fc
  .record({
    h: header,
    dst: macBytes,
    src: macBytes,
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: 0, max: 1600 }).map((n) => new Uint8Array(n).fill(0x5a)),
      fc.integer({ min: 1490, max: 1520 }).map((n) => new Uint8Array(n).fill(0xa5)), // around the MTU edge
    ),
    cut: fc.oneof({ arbitrary: fc.constant(-1), weight: 5 }, { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 }),
  })
  .map(({ h, dst, src, payload, cut }) => {
    const d = Uint8Array.from([h.flags, h.reserved[0]!, h.reserved[1]!, h.reserved[2]!, (h.vni >> 16) & 0xff, (h.vni >> 8) & 0xff, h.vni & 0xff, h.reserved[3]!, ...dst, ...src, 0x88, 0xb5, ...payload]);
    return cut < 0 ? d : d.subarray(0, Math.min(cut, d.length));
  });
const datagram = fc.oneof(structured, structured, fc.uint8Array({ maxLength: 1700 }));

test('vxlan fuzz: random datagrams never throw, land in exactly one counter each, and only valid frames reach the protocol', async () => {
  const [port] = await freePorts(1);
  const h = await makeVxlanHost({ localPort: port!, mac: OUR_MAC.map((b) => b.toString(16).padStart(2, '0')).join(':'), rawOptions: { receiveQueueDepth: 1024 } });
  const c = h.vx.counters;
  const snapshot = (): Record<Outcome, number> => Object.fromEntries(OUTCOMES.map((k) => [k, c[k as keyof VxlanCounters] as number])) as Record<Outcome, number>;
  await fc.assert(
    fc.asyncProperty(fc.array(datagram, { maxLength: 64 }), async (batch) => {
      const before = snapshot();
      const expected: Record<Outcome, number> = Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<Outcome, number>;
      const accepted: Uint8Array[] = [];
      for (const d of batch) {
        const o = classify(d);
        expected[o]++;
        if (o === 'rxAccepted') accepted.push(d.slice(8));
        h.vx.receiveDatagram(d, '127.0.0.1', 4789);
      }
      const after = snapshot();
      for (const k of OUTCOMES) assert.equal(after[k] - before[k], expected[k], k);
      await settle(2);
      assert.deepEqual(drain(h.ep), accepted);
    }),
    { numRuns: 200 },
  );
  const total = OUTCOMES.reduce((s, k) => s + (c[k as keyof VxlanCounters] as number), 0) + c.rxNoBuffer + c.rxNotRunning;
  assert.equal(c.rxDatagrams, total, 'every datagram has exactly one outcome');
  for (const k of OUTCOMES) assert.ok((c[k as keyof VxlanCounters] as number) >= 3, `the generator reaches ${k}: ${JSON.stringify(c)}`);
  await h.rt.shutdown();
  assertClean(h.rt);
});

test('vxlan fuzz: while paused and after removal, any datagram is only counted (rxNotRunning)', async () => {
  const [port] = await freePorts(1);
  const h = await makeVxlanHost({ localPort: port! });
  await h.rt.pauseStack('eth0');
  fc.assert(
    fc.property(datagram, (d) => {
      const n = h.vx.counters.rxNotRunning;
      h.vx.receiveDatagram(d, '127.0.0.1', 4789);
      assert.equal(h.vx.counters.rxNotRunning, n + 1);
    }),
    { numRuns: 200 },
  );
  await h.rt.restartStack('eth0');
  await h.rt.surpriseRemove('eth0');
  h.vx.receiveDatagram(Uint8Array.of(8, 0, 0, 0, 0, 0, 42, 0), '127.0.0.1', 4789);
  assert.equal(h.vx.counters.rxNotRunning, 201);
  assert.equal(h.vx.counters.rxDatagrams, 201);
  await h.rt.shutdown();
  assertClean(h.rt);
});
