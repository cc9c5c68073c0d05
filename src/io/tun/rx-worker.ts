/**
 * TAP reader worker: blocks in poll(2) on the TAP fd (so the main thread never does), reads frames
 * straight into posted receive slots, publishes them in batches on the fill ring and rings the doorbell.
 * Exits when told to stop (checked at least every 100 ms) or when the device goes away (the errno is
 * left in the control block: the main thread turns it into a surprise removal).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EAGAIN, EINTR, POLLERR, POLLHUP, POLLIN, POLLNVAL, libc } from './libc.js';
import {
  CTRL_ARMED,
  CTRL_DOORBELL,
  CTRL_ERROR,
  CTRL_FILL_TAIL,
  CTRL_FRAMES,
  CTRL_FREE_BELL,
  CTRL_FREE_HEAD,
  CTRL_FREE_TAIL,
  CTRL_READ_CALLS,
  CTRL_STOP,
  CTRL_TRUNCATED,
  type RxWorkerData,
} from './rx-ring.js';

const data = workerData as RxWorkerData;
const c = libc();
const control = new Int32Array(data.ring.control);
const free = new Int32Array(data.ring.free);
const fill = new Int32Array(data.ring.fill);
const cap = data.ring.capacity;
const slab = new Uint8Array(data.slab);
const base = c.address(slab);
const slotSize = data.slotSize;
const headroom = data.headroom ?? 0;
const room = slotSize - headroom;
const pfd = new Uint8Array(8); // struct pollfd { int fd; short events; short revents; }
new DataView(pfd.buffer).setInt32(0, data.fd, true);
pfd[4] = POLLIN;

function fatal(errno: number): void {
  Atomics.store(control, CTRL_ERROR, errno || -1);
  Atomics.add(control, CTRL_DOORBELL, 1);
  Atomics.notify(control, CTRL_DOORBELL);
}

const READABLE = 1;
const AGAIN = 0;
const FATAL = -1;

/** Waits up to 100 ms for the fd to be readable: READABLE, AGAIN (timeout or EINTR), or FATAL (reported). */
function pollReadable(): number {
  pfd[6] = 0;
  pfd[7] = 0;
  const ready = c.poll(pfd, 1, 100);
  if (ready < 0) {
    if (c.errno() === EINTR) return AGAIN;
    fatal(c.errno());
    return FATAL;
  }
  if (ready === 0) return AGAIN;
  const revents = pfd[6]! | (pfd[7]! << 8);
  if ((revents & (POLLERR | POLLHUP | POLLNVAL)) !== 0 && (revents & POLLIN) === 0) {
    fatal(-revents);
    return FATAL;
  }
  return READABLE;
}

if (data.mode === 'poll') runPoll();
else run();

/** Readiness only: tell the main thread when the fd becomes readable, then wait to be re-armed. */
function runPoll(): void {
  while (Atomics.load(control, CTRL_STOP) === 0) {
    if (Atomics.load(control, CTRL_ARMED) === 0) {
      Atomics.wait(control, CTRL_ARMED, 0, 100);
      continue;
    }
    const r = pollReadable();
    if (r === FATAL) return;
    if (r === AGAIN) continue;
    Atomics.store(control, CTRL_ARMED, 0);
    Atomics.add(control, CTRL_DOORBELL, 1);
    Atomics.notify(control, CTRL_DOORBELL);
  }
  parentPort?.postMessage('stopped');
}

function run(): void {
  while (Atomics.load(control, CTRL_STOP) === 0) {
    let freeHead = Atomics.load(control, CTRL_FREE_HEAD);
    if (Atomics.load(control, CTRL_FREE_TAIL) === freeHead) {
      // No buffers posted: wait for the main thread to give some back.
      const bell = Atomics.load(control, CTRL_FREE_BELL);
      if (Atomics.load(control, CTRL_FREE_TAIL) === freeHead) Atomics.wait(control, CTRL_FREE_BELL, bell, 100);
      continue;
    }
    const r = pollReadable();
    if (r === FATAL) return;
    if (r === AGAIN) continue;
    let fillTail = Atomics.load(control, CTRL_FILL_TAIL);
    const freeTail = Atomics.load(control, CTRL_FREE_TAIL);
    let n = 0;
    let calls = 0;
    while (freeHead !== freeTail && n < data.batch) {
      const slot = free[freeHead % cap]!;
      const len = c.readAt(data.fd, base + slot * slotSize + headroom, room);
      calls++;
      if (len < 0) {
        const e = c.errno();
        if (e === EAGAIN) break;
        if (e === EINTR) continue;
        fatal(e);
        return;
      }
      if (len === room) Atomics.add(control, CTRL_TRUNCATED, 1);
      fill[(fillTail % cap) * 2] = slot;
      fill[(fillTail % cap) * 2 + 1] = len;
      fillTail++;
      freeHead++;
      n++;
    }
    Atomics.add(control, CTRL_READ_CALLS, calls);
    if (n > 0) {
      Atomics.store(control, CTRL_FREE_HEAD, freeHead);
      Atomics.store(control, CTRL_FILL_TAIL, fillTail);
      Atomics.add(control, CTRL_FRAMES, n);
      Atomics.add(control, CTRL_DOORBELL, 1);
      Atomics.notify(control, CTRL_DOORBELL);
    }
  }
  parentPort?.postMessage('stopped');
}
