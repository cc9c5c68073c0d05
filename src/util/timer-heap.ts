/**
 * A binary min-heap of timers ordered by (due time, insertion order), with O(log n) removal of any
 * member: each timer remembers its position (`index`, -1 when not queued). The runtime's scheduler and
 * the TCP/IP stack's own timer queue both keep their timers in one. Nothing allocates once the backing
 * array has grown to the number of timers queued at once.
 */

export interface HeapTimer {
  /** When it fires (ms on the owner's clock). */
  due: number;
  /** Insertion order among equal due times (set by the heap). */
  seq: number;
  /** Position in the heap, -1 when not queued (maintained by the heap). */
  index: number;
}

export class TimerHeap<T extends HeapTimer> {
  readonly #heap: T[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** The earliest timer, or null. */
  peek(): T | null {
    return this.#heap.length === 0 ? null : this.#heap[0]!;
  }

  /** Queues `t` to fire at `due` (re-queues it when it was queued). */
  push(t: T, due: number): void {
    if (t.index >= 0) this.remove(t);
    t.due = due;
    t.seq = ++this.#seq;
    t.index = this.#heap.length;
    this.#heap.push(t);
    this.#up(t.index);
  }

  /** Dequeues `t`; false when it was not queued. */
  remove(t: T): boolean {
    const i = t.index;
    if (i < 0) return false;
    const last = this.#heap.pop()!;
    t.index = -1;
    if (last !== t) {
      this.#heap[i] = last;
      last.index = i;
      this.#up(i);
      this.#down(last.index);
    }
    return true;
  }

  #less(a: T, b: T): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #up(i: number): void {
    const h = this.#heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  #down(i: number): void {
    const h = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }

  #swap(i: number, j: number): void {
    const h = this.#heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    a.index = j;
    b.index = i;
  }
}
