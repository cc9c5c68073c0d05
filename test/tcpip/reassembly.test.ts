/**
 * Fragmentation and reassembly: the Reassembler alone (any fragmentation in any order reassembles to the
 * original; overlaps, duplicates, endless fragments, bad ends, byte and datagram limits, timeouts), then
 * through two hosts (UDP datagrams of random sizes on both families) and through a lab adapter (hostile
 * fragments, reassembly timeout answered with ICMP time exceeded).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { StackCounters } from '../../src/drivers/protocol/tcpip/counters.js';
import { FragmentKey, Reassembler, type ReassemblyLimits, type ReassemblySlot } from '../../src/drivers/protocol/tcpip/reassembly.js';
import { TimerQueue } from '../../src/drivers/protocol/tcpip/timers.js';
import { internetChecksum } from '../../src/wire/index.js';
import { FakeClock } from './fake-clock.js';
import { finish, pair, pump, pumpUntil } from './helpers.js';
import { finishLab, labHost, labPump } from './lab.js';

function setup(limits: Partial<ReassemblyLimits> = {}) {
  const clock = new FakeClock();
  const timers = new TimerQueue({ enter() {}, exit() {} });
  timers.useClock(clock.handle);
  const counters = new StackCounters().reassembly;
  const timedOut: ReassemblySlot[] = [];
  const r = new Reassembler({ maxDatagrams: 4, maxBytes: 1 << 20, timeoutMs: 30_000, maxFragments: 64, ...limits }, counters, timers, { onTimeout: (s) => timedOut.push(s) });
  return { clock, counters, r, timedOut };
}

function key(id: number, src = 0xc6120001): FragmentKey {
  const k = new FragmentKey();
  k.family = 4;
  k.src4 = src;
  k.dst4 = 0xc6120002;
  k.id = id;
  k.protocol = 17;
  return k;
}

const HDR = new Uint8Array(20);

function offer(r: Reassembler, k: FragmentKey, data: Uint8Array, at: number, len: number, more: boolean): ReassemblySlot | null {
  return r.offer(k, at, more, data, at, len, HDR, 0, 20, 17);
}

test('reassembly (property): any fragmentation, in any order, with duplicates, reassembles to the original', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9000 }),
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.boolean(),
      (size, unit, seed, dup) => {
        const { r, counters } = setup();
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);
        // At most 64 fragments (the default per-datagram limit).
        const chunk = Math.max(unit * 8, Math.ceil(size / 64 / 8) * 8);
        const pieces: [number, number][] = [];
        for (let at = 0; at < size; at += chunk) pieces.push([at, Math.min(chunk, size - at)]);
        // A seeded shuffle, then maybe one duplicate of a non-final fragment.
        let s = seed;
        for (let i = pieces.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const j = s % (i + 1);
          [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
        }
        if (dup && pieces.length > 1) pieces.splice(1, 0, pieces[0]!);
        const k = key(seed & 0xffff);
        let done: ReassemblySlot | null = null;
        for (const [at, len] of pieces) {
          assert.equal(done, null, 'complete only at the last new piece');
          done = offer(r, k, data, at, len, at + len < size);
        }
        assert.ok(done !== null);
        assert.equal(done.totalLength, size);
        assert.deepEqual(done.buffer!.subarray(0, size), data);
        assert.equal(counters.duplicate, dup && pieces.length > 1 ? 1 : 0);
        r.release(done);
        assert.equal(r.heldBytes, 0);
      },
    ),
    { numRuns: 200 },
  );
});

test('reassembly: an overlapping fragment discards the whole datagram (RFC 5722)', () => {
  const { r, counters } = setup();
  const data = new Uint8Array(64);
  const k = key(1);
  offer(r, k, data, 0, 16, true);
  assert.equal(offer(r, k, data, 8, 16, true), null);
  assert.equal(counters.overlap, 1);
  assert.equal(counters.discarded, 1);
  assert.equal(r.inProgress, 0);
  // What follows starts a new datagram and never completes with the old pieces.
  assert.equal(offer(r, k, data, 16, 16, false), null);
  assert.equal(r.inProgress, 1);
});

test('reassembly: endless fragments, bad ends, bad lengths and a second last fragment are dropped and counted', () => {
  const { r, counters } = setup({ maxFragments: 4 });
  const data = new Uint8Array(70000);
  const a = key(1);
  for (let i = 0; i < 4; i++) offer(r, a, data, i * 8, 8, true);
  offer(r, a, data, 32, 8, true);
  assert.equal(counters.tooManyFragments, 1);
  const b = key(2);
  assert.equal(offer(r, b, data, 65528, 16, false), null);
  assert.equal(counters.tooBig, 1, 'beyond 65535');
  const c = key(3);
  offer(r, c, data, 0, 8, false);
  offer(r, c, data, 8, 8, true);
  assert.equal(counters.badEnd, 1, 'data after the last fragment');
  const d = key(4);
  offer(r, d, data, 0, 12, true);
  assert.equal(counters.badFragment, 1, 'middle fragment not a multiple of 8');
  const e = key(5);
  offer(r, e, data, 16, 8, false);
  offer(r, e, data, 32, 8, false);
  assert.equal(counters.badEnd, 2, 'two different ends');
  assert.equal(r.heldBytes, 0);
});

test('reassembly: the datagram limit and the byte limit evict the oldest datagrams', () => {
  const { clock, r, counters } = setup({ maxDatagrams: 3, maxBytes: 100 });
  const data = new Uint8Array(200);
  for (let i = 0; i < 4; i++) {
    clock.advance(1);
    offer(r, key(10 + i), data, 0, 16, true);
  }
  assert.equal(counters.evicted, 1);
  assert.equal(r.inProgress, 3);
  offer(r, key(20), data, 0, 80, true);
  assert.ok(r.heldBytes <= 100);
  assert.equal(counters.evicted, 3, 'room made for 80 bytes');
  offer(r, key(21), data, 0, 104, true);
  assert.equal(counters.tooBig, 1, 'alone larger than the budget');
  assert.ok(r.heldBytes <= 100);
});

test('reassembly: a datagram not complete after 30 s is dropped and reported', () => {
  const { clock, r, counters, timedOut } = setup();
  const data = new Uint8Array(64);
  offer(r, key(1), data, 0, 16, true);
  clock.advance(29_999);
  assert.equal(timedOut.length, 0);
  clock.advance(1);
  assert.equal(timedOut.length, 1);
  assert.ok(timedOut[0]!.haveFirst);
  assert.equal(counters.timeouts, 1);
  assert.equal(r.inProgress, 0);
  assert.equal(r.heldBytes, 0);
});

test('fragmentation: UDP datagrams of any size cross the wire intact on both families (property)', async () => {
  const { a, b } = await pair();
  await pump([a, b], 1100);
  // Resolved neighbours: the first datagram must not wait in a neighbour queue.
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  await pumpUntil([a, b], a.ip.stack.ping('fd00::2'));
  const s4 = b.ip.stack.udp.open(4).bind(7000);
  const s6 = b.ip.stack.udp.open(6).bind(7000);
  const c4 = a.ip.stack.udp.open(4);
  const c6 = a.ip.stack.udp.open(6);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 30_000 }), fc.boolean(), fc.integer({ min: 0, max: 255 }), async (size, v6, seed) => {
      const data = Uint8Array.from({ length: size }, (_, i) => (i ^ seed) & 0xff);
      (v6 ? c6 : c4).send(data, v6 ? 'fd00::2' : '198.18.0.2', 7000);
      const m = await pumpUntil([a, b], (v6 ? s6 : s4).receive());
      assert.equal(m!.data.length, size);
      assert.deepEqual(m!.data, data);
    }),
    { numRuns: 40 },
  );
  const r = b.ip.stack.counters.reassembly;
  assert.equal(r.overlap + r.duplicate + r.timeouts + r.evicted, 0);
  assert.equal(b.ip.stack.ipv4.reassembler.inProgress + b.ip.stack.ipv6.reassembler.inProgress, 0);
  for (const s of [s4, s6, c4, c6]) s.close();
  await finish(a, b);
});

// Fragments from 198.18.0.1 (id 0x4242, UDP) to 198.18.0.2, hand-made.
function v4Fragment(offset: number, more: boolean, payload: Uint8Array, id = 0x4242): Uint8Array {
  const f = new Uint8Array(14 + 20 + payload.length);
  f.set([2, 0, 0, 0, 0x1a, 1, 2, 0, 0, 0, 0x0a, 1, 0x08, 0x00]);
  const ip = f.subarray(14);
  const total = 20 + payload.length;
  ip.set([0x45, 0, total >> 8, total & 0xff, id >> 8, id & 0xff, (more ? 0x20 : 0) | (offset >> 11), (offset >> 3) & 0xff, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2]);
  const c = internetChecksum(ip, 0, 20);
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  ip.set(payload, 20);
  return f;
}

test('reassembly through the stack: hostile fragments are counted, a lone first fragment times out into ICMP time exceeded', async () => {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], Neighbors: ['198.18.0.1 02-00-00-00-0a-01'], IPv6: false });
  h.lab.take();
  const udpHead = Uint8Array.from([0x04, 0x57, 0x08, 0xae, 0x00, 0x30, 0x00, 0x00, ...new Array<number>(8).fill(0x61)]);
  h.lab.inject([v4Fragment(0, true, udpHead), v4Fragment(8, true, new Uint8Array(16))]);
  await labPump(h, 0);
  const c = h.ip.stack.counters.reassembly;
  assert.equal(c.overlap, 1);
  h.lab.inject([v4Fragment(0, true, udpHead, 0x4343)]);
  await labPump(h, 30_000, 1000);
  assert.equal(c.timeouts, 1);
  const out = h.lab.take();
  assert.equal(out.length, 1);
  const f = out[0]!.frame;
  assert.deepEqual([f[23], f[34], f[35]], [1, 11, 1], 'ICMP time exceeded, fragment reassembly');
  assert.deepEqual([...f.subarray(42 + 4, 42 + 6)], [0x43, 0x43], 'quotes the first fragment');
  await finishLab(h);
});

test('reassembly through the stack: an IPv6 first fragment alone times out into ICMPv6 time exceeded', async () => {
  const h = await labHost({ IPv6Address: ['fd00::2/64'], Dad: false, Neighbors: ['fd00::1 02-00-00-00-0a-01'] }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) });
  h.lab.take();
  const first = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../test/fuzz/corpus/tcpip/ipv6-fragment-first.bin')));
  h.lab.inject([first]);
  await labPump(h, 30_000, 1000);
  assert.equal(h.ip.stack.counters.reassembly.timeouts, 1);
  const out = h.lab.take();
  assert.equal(out.length, 1);
  const f = out[0]!.frame;
  assert.deepEqual([f[20], f[54], f[55]], [58, 3, 1], 'ICMPv6 time exceeded, fragment reassembly');
  assert.ok(f.length <= 14 + 1280, 'within the minimum MTU');
  await finishLab(h);
});
