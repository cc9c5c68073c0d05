/**
 * The SPSC rings against a model queue: random batch sizes and slot counts, wrap-around (small rings,
 * and positions starting just below the int32 overflow), a full ring refusing without losing anything,
 * impossible indices killing the ring; and two real threads moving 200 000 entries through one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { RING_CONTROL, RingConsumer, RingProducer, SpscRing } from '../../../src/core/processors/nbl-ring.js';


const opArb = fc.oneof(
  fc.record({ produce: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 12 }), publish: fc.boolean() }),
  fc.record({ consume: fc.integer({ min: 1, max: 40 }) }),
);

test('ring: every entry arrives once, in order, whole; a full ring refuses and loses nothing', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(2, 4, 8, 16),
      fc.constantFrom(1, 4, 16),
      fc.integer({ min: -50, max: 50 }),
      fc.array(opArb, { minLength: 1, maxLength: 80 }),
      (capacity, slotWords, startNearOverflow, ops) => {
        const ring = SpscRing.create(capacity, slotWords);
        // Free-running positions that overflow int32 during the run.
        const start = (0x7fffffff + startNearOverflow) | 0;
        ring.words[RING_CONTROL.TAIL] = start;
        ring.words[RING_CONTROL.HEAD] = start;
        const p = new RingProducer(ring);
        const c = new RingConsumer(ring);
        const published: { id: number; slots: number }[] = []; // the model: entries the consumer may see
        const pending: { id: number; slots: number }[] = []; // committed, not yet published
        let nextId = 1;
        let refusals = 0;
        for (const op of ops) {
          if ('produce' in op) {
            for (const slots of op.produce) {
              const inRing = [...published, ...pending].reduce((a, e) => a + e.slots, 0);
              const pos = p.reserve(slots);
              if (inRing + slots > capacity) {
                assert.equal(pos, -1, 'a reservation that does not fit is refused');
                refusals++;
                continue;
              }
              assert.notEqual(pos, -1, `room for ${slots} with ${inRing}/${capacity} used`);
              const id = nextId++;
              for (let s = 0; s < slots; s++) {
                const b = p.slotBase(pos + s);
                for (let w = 0; w < slotWords; w++) ring.words[b + w] = id * 1000 + s * 16 + w;
              }
              p.commit(slots);
              pending.push({ id, slots });
            }
            if (op.publish) {
              p.publish();
              published.push(...pending.splice(0));
            }
          } else {
            let avail = c.available();
            assert.equal(avail, published.reduce((a, e) => a + e.slots, 0), 'the consumer sees exactly what was published');
            let budget = op.consume;
            while (avail > 0 && budget-- > 0) {
              const e = published.shift()!;
              for (let s = 0; s < e.slots; s++) {
                const b = c.slotBase(c.head + s);
                for (let w = 0; w < slotWords; w++) assert.equal(ring.words[b + w], e.id * 1000 + s * 16 + w, `entry ${e.id} slot ${s} word ${w}`);
              }
              c.release(e.slots);
              avail -= e.slots;
            }
            c.commit();
          }
        }
        assert.equal(p.refused, refusals);
        assert.equal(c.overruns, 0);
        assert.equal(ring.dead, false);
      },
    ),
    { numRuns: 300 },
  );
});

test('ring: impossible indices (a tail behind the head or more than a ring ahead) kill it; the producer then sees it dead', () => {
  fc.assert(
    fc.property(fc.constantFrom(4, 16, 256), fc.oneof(fc.integer({ min: -1000, max: -1 }), fc.integer({ min: 1, max: 1000 })), (capacity, skew) => {
      const ring = SpscRing.create(capacity, 4);
      const p = new RingProducer(ring);
      const c = new RingConsumer(ring);
      assert.equal(c.available(), 0);
      const bad = skew < 0 ? skew : capacity + skew;
      ring.words[RING_CONTROL.TAIL] = bad; // what a stray write or a broken producer would leave
      assert.equal(c.available(), 0, 'nothing is handed out');
      assert.equal(c.overruns, 1);
      assert.equal(p.dead, true, 'the producer refuses further crossings');
      assert.equal(c.available(), 0, 'and it stays dead');
    }),
  );
});

test('ring: a ring buffer that is not one is refused when attached', () => {
  assert.throws(() => SpscRing.attach(new SharedArrayBuffer(64)), RangeError);
  const ok = SpscRing.create(8, 4);
  assert.equal(SpscRing.attach(ok.sab).capacity, 8);
  new Int32Array(ok.sab)[34] = 0;
  assert.throws(() => SpscRing.attach(ok.sab), /not a ring/);
  assert.throws(() => SpscRing.create(6, 4), RangeError);
});

const THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { sab, role, total, deadline, moduleUrl } = workerData;
import(moduleUrl).then(({ SpscRing, RingProducer, RingConsumer }) => {
  const ring = SpscRing.attach(sab);
  const w = ring.words;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let done = 0, bad = 0;
  if (role === 'producer') {
    const p = new RingProducer(ring);
    while (done < total && Date.now() < deadline && !p.dead) {
      const n = Math.min(1 + (done % 37), total - done);
      const pos = p.reserve(n);
      if (pos < 0) { Atomics.wait(nap, 0, 0, 0.05); continue; }
      for (let i = 0; i < n; i++) {
        const b = p.slotBase(pos + i);
        for (let k = 0; k < ring.slotWords; k++) w[b + k] = (done + i) * 7 + k;
      }
      p.commit(n);
      p.publish();
      done += n;
    }
  } else {
    const c = new RingConsumer(ring);
    while (done < total && Date.now() < deadline && !ring.dead) {
      const n = c.available();
      if (n === 0) { Atomics.wait(nap, 0, 0, 0.05); continue; }
      for (let i = 0; i < n; i++) {
        const b = c.slotBase(c.head);
        for (let k = 0; k < ring.slotWords; k++) if (w[b + k] !== (done + i) * 7 + k) bad++;
        c.release(1);
      }
      c.commit();
      done += n;
    }
    if (ring.dead) bad++;
  }
  parentPort.postMessage({ done, bad });
});
`;

test('ring: two threads move 200 000 entries through a 64-slot ring, none lost, torn or reordered', async () => {
  const ring = SpscRing.create(64, 16);
  const total = 200_000;
  const deadline = Date.now() + 30_000;
  const run = (role: string) =>
    new Promise<{ done: number; bad: number }>((resolve, reject) => {
      const moduleUrl = new URL('../../../src/core/processors/nbl-ring.js', import.meta.url).href;
      const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { sab: ring.sab, role, total, deadline, moduleUrl } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const [producer, consumer] = await Promise.all([run('producer'), run('consumer')]);
  assert.equal(producer.done, total, 'the producer finished within the deadline');
  assert.equal(consumer.bad, 0, 'every slot read was the one written');
  assert.equal(consumer.done, total);
  assert.equal(new RingConsumer(ring).available(), 0, 'the consumer committed everything it read');
});
