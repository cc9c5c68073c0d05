/**
 * IoUring (src/io/tun/uring.ts), the ring mechanics under the TAP adapter's batched I/O.
 *
 * Against a simulated kernel side (test/support/fake-uring.ts): heads and tails crossing 2^32, a call
 * that takes fewer SQEs than offered, io_uring_enter failing with -EAGAIN / -EBUSY (the SQEs stay queued,
 * or go back to their consumers marked not submitted), a result per CQE (partial write, -EAGAIN,
 * -ECANCELED, -EBADF) dispatched to the consumer that tagged the SQE, CQ overflow flushed by the next
 * call, stray tags counted, buffer-ring bookkeeping, and nothing touched after close.
 * Against the real kernel (no root needed; skipped with the reason where io_uring is unavailable): NOPs
 * through a 4-entry ring, writes and a multishot read on a pipe landing byte-exact in provided buffers,
 * cancellation, -EBADF per CQE, and close releasing the fd.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import {
  BufferRing,
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_BUFFER,
  IORING_CQE_F_MORE,
  IORING_OP_NOP,
  IORING_OP_WRITE,
  IoUring,
  IoUringError,
  URING_F_NOT_SUBMITTED,
  kernelBackend,
  probeIoUring,
  useUringBackend,
  type UringConsumer,
} from '../../../src/io/tun/uring.js';
import { libc } from '../../../src/io/tun/libc.js';
import { FakeUringKernel } from '../../support/fake-uring.js';

/** Records every completion it is given. */
class Recorder implements UringConsumer {
  readonly got: [number, number, number][] = [];
  complete(index: number, res: number, flags: number): void {
    this.got.push([index, res, flags]);
  }
}

function fakeRing(o: ConstructorParameters<typeof FakeUringKernel>[0]): { ring: IoUring; kernel: FakeUringKernel } {
  const kernel = new FakeUringKernel(o);
  return { ring: new IoUring(kernel), kernel };
}

test('IoUring (simulated kernel): heads and tails wrap past 2^32 and past the ring size; every CQE reaches its consumer in order', () => {
  const start = 0xffff_fff0;
  const { ring, kernel } = fakeRing({ sqEntries: 4, cqEntries: 8, start, handler: (s) => s.len });
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  let posted = 0;
  while (posted < 100) {
    while (posted < 100 && ring.prepWrite(3, 0x1000 + posted, 60 + posted, IoUring.tag(id, posted))) posted++;
    assert.equal(ring.sqSpace, posted === 100 ? ring.sqSpace : 0);
    assert.ok(ring.submit() > 0);
    ring.reap();
  }
  assert.deepEqual(rec.got.map(([i]) => i), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(rec.got.map(([, r]) => r), Array.from({ length: 100 }, (_, i) => 60 + i));
  assert.deepEqual(kernel.taken.map((s) => [s.opcode, s.fd, s.address, s.len]), Array.from({ length: 100 }, (_, i) => [IORING_OP_WRITE, 3, 0x1000 + i, 60 + i]));
  assert.ok(kernel.sqHead < start && kernel.cqTail < start, 'the 32-bit heads and tails wrapped');
  assert.equal(ring.counters.submissions, 100);
  assert.equal(ring.counters.completions, 100);
  assert.equal(ring.unsubmitted, 0);
  assert.equal(ring.ready, 0);
});

test('IoUring (simulated kernel): a call that takes fewer SQEs leaves the rest queued for the next, in order', () => {
  const { ring, kernel } = fakeRing({ sqEntries: 8, cqEntries: 16, start: 0xffff_fffe, handler: () => 0 });
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  kernel.maxPerEnter = 2;
  for (let i = 0; i < 5; i++) assert.ok(ring.prepNop(IoUring.tag(id, i)));
  assert.equal(ring.submit(), 2);
  assert.equal(ring.unsubmitted, 3);
  assert.equal(ring.submit(), 2);
  assert.equal(ring.submit(), 1);
  assert.equal(ring.unsubmitted, 0);
  assert.equal(ring.reap(2), 2, 'reap honours its limit');
  assert.equal(ring.ready, 3);
  assert.equal(ring.reap(), 3);
  assert.deepEqual(rec.got.map(([i]) => i), [0, 1, 2, 3, 4]);
  assert.deepEqual(kernel.taken.map((s) => s.opcode), [0, 0, 0, 0, 0].map(() => IORING_OP_NOP));
  assert.equal(ring.counters.batches, 3);
});

test('IoUring (simulated kernel): io_uring_enter failing with -EAGAIN keeps the SQEs for the next call; a lasting failure hands them back as not submitted', () => {
  const { ring, kernel } = fakeRing({ sqEntries: 4, cqEntries: 8, handler: (s) => s.len });
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  ring.prepWrite(5, 100, 10, IoUring.tag(id, 1));
  ring.prepWrite(5, 200, 20, IoUring.tag(id, 2));
  kernel.failNext.push(-11);
  assert.equal(ring.submit(), -11);
  assert.equal(ring.counters.submitErrors, 1);
  assert.equal(ring.unsubmitted, 2, 'nothing was lost');
  assert.equal(ring.submit(), 2);
  ring.reap();
  assert.deepEqual(rec.got, [
    [1, 10, 0],
    [2, 20, 0],
  ]);
  // Now the kernel keeps refusing: the caller takes them back.
  ring.prepWrite(5, 300, 30, IoUring.tag(id, 3));
  ring.prepWrite(5, 400, 40, IoUring.tag(id, 4));
  kernel.failNext.push(-16, -16);
  assert.equal(ring.submit(), -16);
  assert.equal(ring.submit(), -16);
  assert.equal(ring.failUnsubmitted(-16), 2);
  assert.deepEqual(rec.got.slice(2), [
    [3, -16, URING_F_NOT_SUBMITTED],
    [4, -16, URING_F_NOT_SUBMITTED],
  ]);
  assert.equal(ring.unsubmitted, 0);
  assert.equal(ring.sqSpace, 4);
  // The ring goes on: the kernel only ever sees the new SQE.
  ring.prepWrite(5, 500, 50, IoUring.tag(id, 5));
  assert.equal(ring.submit(), 1);
  ring.reap();
  assert.deepEqual(rec.got.at(-1), [5, 50, 0]);
  assert.deepEqual(kernel.taken.map((s) => s.address), [100, 200, 500]);
  assert.equal(ring.counters.submitErrors, 3);
});

test('IoUring (simulated kernel): each CQE carries its own result — a short write, -EAGAIN, -ECANCELED, -EBADF — and late completions arrive when posted', () => {
  const results = [60, 59, -11, -125, -9];
  const { ring, kernel } = fakeRing({ sqEntries: 8, cqEntries: 8, handler: (s) => (s.address === 99 ? null : results[s.address]!) });
  const rec = new Recorder();
  const other = new Recorder();
  const id = ring.addConsumer(rec);
  const id2 = ring.addConsumer(other);
  for (let i = 0; i < results.length; i++) ring.prepWrite(7, i, 60, IoUring.tag(i % 2 === 0 ? id : id2, i));
  ring.prepRead(7, 99, 60, IoUring.tag(id, 99));
  assert.equal(ring.submit(), 6);
  assert.equal(ring.reap(), 5);
  assert.deepEqual(rec.got, [
    [0, 60, 0],
    [2, -11, 0],
    [4, -9, 0],
  ]);
  assert.deepEqual(other.got, [
    [1, 59, 0],
    [3, -125, 0],
  ]);
  assert.equal(kernel.held.length, 1);
  assert.equal(ring.reap(), 0);
  kernel.post(kernel.held[0]!.tag, 42);
  assert.equal(ring.ready, 1);
  ring.reap();
  assert.deepEqual(rec.got.at(-1), [99, 42, 0]);
});

test('IoUring (simulated kernel): completions that overflowed the CQ are fetched by the next reap', () => {
  const { ring, kernel } = fakeRing({ sqEntries: 8, cqEntries: 2, handler: () => 1 });
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  for (let i = 0; i < 5; i++) ring.prepNop(IoUring.tag(id, i));
  ring.submit();
  assert.equal(kernel.cqPending, 2);
  assert.equal(ring.kernelHasWork, true, 'IORING_SQ_CQ_OVERFLOW is set');
  assert.equal(ring.refreshCounters().cqOverflow, 3);
  let n = 0;
  for (let i = 0; i < 5 && rec.got.length < 5; i++) n += ring.reap();
  assert.equal(n, 5);
  assert.deepEqual(rec.got.map(([i]) => i), [0, 1, 2, 3, 4]);
  assert.equal(ring.kernelHasWork, false);
});

test('IoUring (simulated kernel): a CQE with an unknown tag is counted, not dispatched; close empties everything and is idempotent', () => {
  const { ring, kernel } = fakeRing({ sqEntries: 4, cqEntries: 4 });
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  kernel.post(IoUring.tag(77, 1), 0);
  kernel.post(IoUring.tag(id, 2), 0);
  ring.removeConsumer(id);
  assert.equal(ring.reap(), 2);
  assert.equal(ring.counters.strayCompletions, 2);
  assert.deepEqual(rec.got, []);
  assert.equal(ring.addConsumer(rec), id, 'a freed consumer id is reused');
  const b = ring.registerBufferRing(4);
  ring.close();
  ring.close();
  assert.equal(kernel.closed, true);
  assert.equal(kernel.bufferRings.size, 0, 'the buffer ring was unregistered before the ring closed');
  assert.equal(ring.closed, true);
  assert.equal(ring.prepNop(0), false);
  assert.equal(ring.submit(), -9);
  assert.equal(ring.reap(), 0);
  assert.equal(ring.ready, 0);
  assert.equal(b.add(1, 1, 1), false);
  assert.throws(() => ring.registerBufferRing(4), IoUringError);
});

test('IoUring (simulated kernel): provided-buffer rings — free group ids, power-of-two sizes, exact room, entries the kernel reads', () => {
  const { ring, kernel } = fakeRing({ sqEntries: 4, cqEntries: 4 });
  const a = ring.registerBufferRing(8);
  const b = ring.registerBufferRing(2);
  assert.deepEqual([a.group, b.group], [0, 1]);
  assert.throws(() => ring.registerBufferRing(6), /power-of-two/);
  assert.throws(() => ring.registerBufferRing(65536), /power-of-two/);
  for (let i = 0; i < 8; i++) assert.ok(a.add(0x1_0000_0000 + i * 2048, 2048, 100 + i));
  assert.equal(a.add(1, 1, 1), false, 'full');
  assert.equal(kernel.takeBuffer(0), null, 'not published yet');
  a.publish();
  assert.deepEqual(kernel.takeBuffer(0), [100, 0x1_0000_0000, 2048]);
  assert.deepEqual(kernel.takeBuffer(0), [101, 0x1_0000_0800, 2048]);
  a.consumed();
  a.consumed();
  assert.equal(a.available, 6);
  assert.equal(a.space, 2);
  // Wrapping the ring: the two freed entries take positions 0 and 1 again.
  assert.ok(a.add(0x2000, 64, 7));
  assert.ok(a.add(0x3000, 64, 8));
  a.publish();
  for (let i = 0; i < 6; i++) kernel.takeBuffer(0);
  assert.deepEqual(kernel.takeBuffer(0), [7, 0x2000, 64]);
  assert.deepEqual(kernel.takeBuffer(0), [8, 0x3000, 64]);
  a.close();
  assert.deepEqual([...kernel.bufferRings.keys()], [1]);
  assert.equal(ring.registerBufferRing(4).group, 0, 'group 0 is free again');
  ring.close();
  assert.ok(b instanceof BufferRing);
});

test('probeIoUring: missing ops or a failing io_uring_setup make it unusable, with the reason', () => {
  try {
    useUringBackend(() => new FakeUringKernel({ sqEntries: 4, cqEntries: 8, ops: [IORING_OP_NOP, IORING_OP_WRITE, 14] }));
    const p = probeIoUring();
    assert.equal(p.usable, false);
    assert.match(p.reason, /IORING_OP_READ_MULTISHOT \(Linux 6\.7\)/);
    useUringBackend(() => new FakeUringKernel({ sqEntries: 4, cqEntries: 8, features: 1 }));
    assert.match(probeIoUring().reason, /IORING_FEAT_EXT_ARG/);
    useUringBackend(() => {
      throw new IoUringError('io_uring_setup failed: EPERM: io_uring is disabled for this process', 1);
    });
    assert.match(probeIoUring().reason, /EPERM/);
    useUringBackend(() => new FakeUringKernel({ sqEntries: 4, cqEntries: 8 }));
    assert.equal(probeIoUring().usable, true);
  } finally {
    useUringBackend(null);
  }
});

// --- the real kernel -----------------------------------------------------------------------------

function kernelSkip(): string | null {
  const p = probeIoUring();
  return p.usable ? null : `io_uring is unavailable here: ${p.reason}`;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Reaps until `done()` or 2 s (waiting in the kernel 50 ms at a time). */
function reapUntil(ring: IoUring, done: () => boolean): void {
  const deadline = performance.now() + 2000;
  while (!done() && performance.now() < deadline) if (ring.reap() === 0) ring.submit(1, 50_000_000);
}

test('IoUring (kernel): 1000 NOPs through a 4-entry ring come back in order', (t) => {
  const skip = kernelSkip();
  if (skip !== null) return void t.skip(skip);
  const before = openFds();
  const ring = IoUring.create(4, 8);
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  try {
    assert.equal(ring.sqEntries, 4);
    let posted = 0;
    while (posted < 1000) {
      while (posted < 1000 && ring.prepNop(IoUring.tag(id, posted))) posted++;
      ring.submit();
      reapUntil(ring, () => rec.got.length === posted);
    }
    assert.deepEqual(rec.got.map(([i, r]) => [i, r]), Array.from({ length: 1000 }, (_, i) => [i, 0]));
    assert.equal(ring.counters.submissions, 1000);
  } finally {
    ring.close();
  }
  assert.equal(openFds(), before, 'close released the ring fd');
});

test('IoUring (kernel): writes and a multishot read on a pipe land byte-exact in provided buffers; cancel ends the read; -EBADF per CQE', (t) => {
  const skip = kernelSkip();
  if (skip !== null) return void t.skip(skip);
  const c = libc();
  const fds = new Int32Array(2);
  assert.equal(c.pipe(fds), 0);
  const [rd, wr] = [fds[0]!, fds[1]!];
  const before = openFds();
  const ring = IoUring.create(8, 16);
  const rec = new Recorder();
  const id = ring.addConsumer(rec);
  try {
    const slot = 64;
    const slab = new Uint8Array(new SharedArrayBuffer(slot * 4));
    const base = c.address(slab);
    const buffers = ring.registerBufferRing(4);
    for (let bid = 0; bid < 4; bid++) buffers.add(base + bid * slot, slot, bid);
    buffers.publish();
    assert.ok(ring.prepReadMultishot(rd, buffers.group, IoUring.tag(id, 1)));
    ring.submit();
    const out = new Uint8Array(new SharedArrayBuffer(64));
    const messages = ['first frame', 'second, a little longer', 'third'];
    const outAt = c.address(out);
    for (const [n, m] of messages.entries()) {
      out.set(new TextEncoder().encode(m));
      assert.ok(ring.prepWrite(wr, outAt, m.length, IoUring.tag(id, 10 + n)));
      ring.submit();
      reapUntil(ring, () => rec.got.filter(([i]) => i === 1).length === n + 1);
    }
    const writes = rec.got.filter(([i]) => i >= 10);
    assert.deepEqual(writes.map(([i, r]) => [i, r]), messages.map((m, n) => [10 + n, m.length]));
    const reads = rec.got.filter(([i]) => i === 1);
    assert.equal(reads.length, 3);
    const seen = reads.map(([, res, flags]) => {
      assert.ok((flags & IORING_CQE_F_BUFFER) !== 0 && (flags & IORING_CQE_F_MORE) !== 0, `flags ${flags}`);
      const bid = flags >>> IORING_CQE_BUFFER_SHIFT;
      buffers.consumed();
      return new TextDecoder().decode(slab.subarray(bid * slot, bid * slot + res));
    });
    assert.deepEqual(seen, messages);
    // Cancel the multishot read: its last CQE is -ECANCELED without F_MORE; the cancel itself succeeds.
    assert.ok(ring.prepCancel(IoUring.tag(id, 1), IoUring.tag(id, 2)));
    ring.submit();
    reapUntil(ring, () => rec.got.some(([i]) => i === 2) && rec.got.some(([i, r]) => i === 1 && r === -125));
    const last = rec.got.filter(([i]) => i === 1).at(-1)!;
    assert.equal(last[1], -125);
    assert.equal(last[2] & IORING_CQE_F_MORE, 0);
    assert.deepEqual(rec.got.find(([i]) => i === 2), [2, 0, 0]);
    // A write to a closed fd fails in its own CQE; the next one succeeds.
    const closed = c.socket(2, 2, 0);
    c.close(closed);
    ring.prepWrite(closed, outAt, 4, IoUring.tag(id, 20));
    ring.prepWrite(wr, outAt, 4, IoUring.tag(id, 21));
    ring.submit();
    reapUntil(ring, () => rec.got.some(([i]) => i === 21));
    assert.deepEqual(rec.got.find(([i]) => i === 20), [20, -9, 0]);
    assert.deepEqual(rec.got.find(([i]) => i === 21), [21, 4, 0]);
    assert.equal(buffers.available, 1);
  } finally {
    ring.close();
    c.close(rd);
    c.close(wr);
  }
  assert.equal(openFds(), before - 2, 'the ring fd was closed with the ring');
});

test('kernelBackend: io_uring_setup refusing its arguments is an IoUringError with the errno', (t) => {
  const skip = kernelSkip();
  if (skip !== null) return void t.skip(skip);
  assert.throws(() => kernelBackend(0, 0, 0), (e: unknown) => e instanceof IoUringError && e.errno === 22 && /io_uring_setup failed/.test(e.message));
});
