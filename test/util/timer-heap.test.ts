/** TimerHeap: pops in (due, insertion) order whatever the pushes, re-pushes and removals (property). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TimerHeap, type HeapTimer } from '../../src/util/timer-heap.js';

class T implements HeapTimer {
  due = 0;
  seq = 0;
  index = -1;
  constructor(readonly id: number) {}
}

test('timer heap (property): order by due then insertion; removal and re-push of any member', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), id: fc.integer({ min: 0, max: 15 }), due: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 15 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const heap = new TimerHeap<T>();
      const timers = Array.from({ length: 16 }, (_, i) => new T(i));
      // The reference: a list of [due, order, id] of queued timers.
      let order = 0;
      const ref = new Map<number, [number, number]>();
      for (const o of ops) {
        const t = timers[o.id]!;
        if (o.kind === 'push') {
          heap.push(t, o.due);
          ref.set(o.id, [o.due, order++]);
        } else {
          assert.equal(heap.remove(t), ref.delete(o.id));
        }
        assert.equal(heap.size, ref.size);
        for (const x of timers) assert.equal(x.index >= 0, ref.has(x.id));
      }
      const expected = [...ref].sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]).map(([id]) => id);
      const got: number[] = [];
      for (let t = heap.peek(); t !== null; t = heap.peek()) {
        heap.remove(t);
        got.push(t.id);
      }
      assert.deepEqual(got, expected);
    }),
    { numRuns: 300 },
  );
});
