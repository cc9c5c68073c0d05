/**
 * io_uring driven directly through koffi: the TAP adapter's batched I/O (one ring per adapter on the
 * main thread today; one per processor once processors exist — the same class).
 *
 * Why directly: Debian's liburing 2.3 keeps its submission/completion helpers as inline functions and
 * ships no FFI build that exports them, so there is nothing to call. The kernel interface is small:
 * `io_uring_setup(2)`, `io_uring_enter(2)` and `io_uring_register(2)` through libc's `syscall`, the SQ
 * and CQ rings and the SQE array mmap'd once and read/written as typed arrays over `koffi.view` (no
 * koffi call per frame: preparing an SQE is 16 stores, reaping a CQE 3 loads). Heads and tails the
 * kernel shares move with Atomics.load/store.
 *
 * Ops (probed with IORING_REGISTER_PROBE): receive is one IORING_OP_READ_MULTISHOT per TAP queue over a
 * provided-buffer ring whose entries are the receive NBLs' slab slots (bid = the NBL's slot), so
 * reposting a buffer is a 16-byte store and an armed queue needs no system call at all; transmit is
 * one IORING_OP_WRITE per frame straight from the NBL's memory, a send chain submitted with one
 * io_uring_enter. Plain READs were measured as fast under a flood but every outstanding READ is a poll
 * entry on the TAP's wait queue, so one frame on an idle link woke all of them.
 *
 * Setup flags: CQSIZE (room for every receive buffer and every write in flight: no overflow in
 * practice, and NODROP keeps the rest), SUBMIT_ALL (one bad SQE does not hold back the batch),
 * SINGLE_ISSUER (only the thread that made the ring submits), COOP_TASKRUN + TASKRUN_FLAG (the kernel
 * never interrupts the thread to post completions; they are posted at its next system call, and
 * `IORING_SQ_TASKRUN` says when an io_uring_enter is needed to get them). DEFER_TASKRUN was not used:
 * completions would only appear inside io_uring_enter, so the ring fd could not wake libuv's epoll.
 *
 * The memory behind the views is unmapped by `close()`: every view is replaced by an empty one first,
 * so a use after close reads nothing instead of faulting.
 */
import { createRequire } from 'node:module';
import { TsndisError } from '../../errors.js';

// io_uring_setup flags, features, enter flags, register opcodes, ops (include/uapi/linux/io_uring.h).
export const IORING_SETUP_CQSIZE = 1 << 3;
export const IORING_SETUP_SUBMIT_ALL = 1 << 7;
export const IORING_SETUP_COOP_TASKRUN = 1 << 8;
export const IORING_SETUP_TASKRUN_FLAG = 1 << 9;
export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
export const IORING_FEAT_SINGLE_MMAP = 1 << 0;
export const IORING_FEAT_NODROP = 1 << 1;
export const IORING_FEAT_EXT_ARG = 1 << 8;
export const IORING_ENTER_GETEVENTS = 1 << 0;
export const IORING_ENTER_EXT_ARG = 1 << 3;
export const IORING_SQ_CQ_OVERFLOW = 1 << 1;
export const IORING_SQ_TASKRUN = 1 << 2;
export const IORING_REGISTER_PROBE = 8;
export const IORING_REGISTER_PBUF_RING = 22;
export const IORING_UNREGISTER_PBUF_RING = 23;
export const IORING_OP_NOP = 0;
export const IORING_OP_ASYNC_CANCEL = 14;
export const IORING_OP_READ = 22;
export const IORING_OP_WRITE = 23;
export const IORING_OP_READ_MULTISHOT = 49;
export const IOSQE_BUFFER_SELECT = 1 << 5;
export const IORING_CQE_F_BUFFER = 1 << 0;
export const IORING_CQE_F_MORE = 1 << 1;
export const IORING_CQE_BUFFER_SHIFT = 16;
/** Not a kernel flag (bits 5–15 of a CQE's flags are unused): a completion `failUnsubmitted` made up. */
export const URING_F_NOT_SUBMITTED = 1 << 15;
const IORING_OFF_SQ_RING = 0;
const IORING_OFF_SQES = 0x10000000;

const SYS_IO_URING_SETUP = 425;
const SYS_IO_URING_ENTER = 426;
const SYS_IO_URING_REGISTER = 427;
const PROT_READ_WRITE = 0x3;
const MAP_SHARED_POPULATE = 0x01 | 0x8000;
const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;

export const ENOSYS = 38;
export const ETIME = 62;
export const ENOBUFS = 105;
export const ECANCELED = 125;
export const ENOENT = 2;
export const EALREADY = 114;

/** The ring's setup flags (see the header for why each). */
export const URING_SETUP_FLAGS = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER;

export class IoUringError extends TsndisError {
  readonly code = 'TSNDIS_IO_URING';
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
    this.name = 'IoUringError';
  }
}

/**
 * What the ring needs from the kernel: the real one (`kernelBackend`) or a simulation in tests. Every
 * call returns a result ≥ 0 or -errno, never throws for a kernel error.
 */
export interface UringBackend {
  readonly fd: number;
  /** struct io_uring_params as io_uring_setup filled it in (120 bytes). */
  readonly params: Uint8Array;
  /** The SQ and CQ rings (one mapping: IORING_FEAT_SINGLE_MMAP). */
  readonly rings: ArrayBuffer;
  /** The SQE array. */
  readonly sqes: ArrayBuffer;
  /** io_uring_enter; `timeoutNs` > 0 bounds a wait (IORING_ENTER_EXT_ARG), else it is unbounded. */
  enter(toSubmit: number, minComplete: number, flags: number, timeoutNs: number): number;
  register(opcode: number, arg: Uint8Array | null, nrArgs: number): number;
  /** Page-aligned memory for a provided-buffer ring: its address for the kernel and a view, or -errno. */
  mapBufferRing(bytes: number): { address: number; memory: ArrayBuffer } | number;
  unmapBufferRing(address: number, bytes: number): void;
  /** Unmaps the rings and closes the fd. */
  close(): void;
}

interface Sys {
  koffi: typeof import('koffi');
  syscall(n: number, a: number, b: number, c: number, d: number, e: number, f: number): number;
  mmap(addr: number, len: number, prot: number, flags: number, fd: number, off: number): number;
  munmap(addr: number, len: number): number;
  close(fd: number): number;
}

let sys: Sys | null = null;

function kernel(): Sys {
  if (sys !== null) return sys;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  // syscall(2) is variadic in C; glibc's is an assembly stub that only moves registers, so a fixed
  // prototype of six longs is the same call on x86-64 and arm64, without koffi's slower variadic path.
  const syscall = lib.func('long syscall(long n, long a, long b, long c, long d, long e, long f)');
  const mmap = lib.func('intptr_t mmap(intptr_t addr, size_t len, int prot, int flags, int fd, long off)');
  const munmap = lib.func('int munmap(intptr_t addr, size_t len)');
  const close = lib.func('int close(int fd)');
  sys = {
    koffi,
    syscall: (n, a, b, c, d, e, f) => Number(syscall(n, a, b, c, d, e, f)),
    mmap: (a, l, p, fl, fd, o) => Number(mmap(a, l, p, fl, fd, o)),
    munmap: (a, l) => munmap(a, l) as number,
    close: (fd) => close(fd) as number,
  };
  return sys;
}

/** -errno of the last failed call. */
function fail(k: Sys): number {
  const e = k.koffi.errno();
  return e > 0 ? -e : -1;
}

const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** The real kernel: io_uring_setup, the mmaps, and the enter/register system calls. Throws IoUringError. */
export function kernelBackend(entries: number, cqEntries: number, flags: number): UringBackend {
  let k: Sys;
  try {
    k = kernel();
  } catch (e) {
    throw new IoUringError(`io_uring: cannot load libc through koffi: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
  const params = new Uint8Array(120);
  const pv = new DataView(params.buffer);
  pv.setUint32(4, cqEntries, true);
  pv.setUint32(8, flags, true);
  const fd = k.syscall(SYS_IO_URING_SETUP, entries, Number(k.koffi.address(params)), 0, 0, 0, 0);
  if (fd < 0) {
    const e = -fail(k);
    throw new IoUringError(`io_uring_setup failed: ${explainSetup(e)}`, e);
  }
  const features = u32(params, 20);
  if ((features & IORING_FEAT_SINGLE_MMAP) === 0) {
    k.close(fd);
    throw new IoUringError('io_uring: the kernel lacks IORING_FEAT_SINGLE_MMAP (Linux 5.4)', 0);
  }
  const sqEntries = u32(params, 0);
  const cqCount = u32(params, 4);
  const ringBytes = Math.max(u32(params, 40 + 24) + sqEntries * 4, u32(params, 80 + 20) + cqCount * 16);
  const sqeBytes = sqEntries * 64;
  const ringAt = k.mmap(0, ringBytes, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IORING_OFF_SQ_RING);
  if (ringAt === -1) {
    const e = -fail(k);
    k.close(fd);
    throw new IoUringError(`io_uring: mmap of the rings failed (errno ${e})`, e);
  }
  const sqeAt = k.mmap(0, sqeBytes, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IORING_OFF_SQES);
  if (sqeAt === -1) {
    const e = -fail(k);
    k.munmap(ringAt, ringBytes);
    k.close(fd);
    throw new IoUringError(`io_uring: mmap of the SQE array failed (errno ${e})`, e);
  }
  // struct io_uring_getevents_arg { u64 sigmask; u32 sigmask_sz; u32 min_wait_usec; u64 ts; } and the
  // __kernel_timespec it points to: reused for every bounded wait.
  const arg = new BigUint64Array(3);
  const ts = new BigInt64Array(2);
  arg[2] = k.koffi.address(ts);
  const argAt = Number(k.koffi.address(arg));
  let closed = false;
  return {
    fd,
    params,
    rings: k.koffi.view(ringAt, ringBytes),
    sqes: k.koffi.view(sqeAt, sqeBytes),
    enter(toSubmit, minComplete, fl, timeoutNs) {
      if (closed) return -9;
      let r: number;
      if (timeoutNs > 0) {
        ts[0] = BigInt(Math.floor(timeoutNs / 1e9));
        ts[1] = BigInt(timeoutNs % 1e9);
        r = k.syscall(SYS_IO_URING_ENTER, fd, toSubmit, minComplete, fl | IORING_ENTER_EXT_ARG, argAt, 24);
      } else {
        r = k.syscall(SYS_IO_URING_ENTER, fd, toSubmit, minComplete, fl, 0, 0);
      }
      return r < 0 ? fail(k) : r;
    },
    register(opcode, a, nr) {
      if (closed) return -9;
      const r = k.syscall(SYS_IO_URING_REGISTER, fd, opcode, a === null ? 0 : Number(k.koffi.address(a)), nr, 0, 0);
      return r < 0 ? fail(k) : r;
    },
    mapBufferRing(bytes) {
      const at = k.mmap(0, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
      if (at === -1) return fail(k);
      return { address: at, memory: k.koffi.view(at, bytes) };
    },
    unmapBufferRing(address, bytes) {
      k.munmap(address, bytes);
    },
    close() {
      if (closed) return;
      closed = true;
      k.munmap(sqeAt, sqeBytes);
      k.munmap(ringAt, ringBytes);
      k.close(fd);
    },
  };
}

function explainSetup(errno: number): string {
  switch (errno) {
    case ENOSYS:
      return 'ENOSYS: this kernel has no io_uring (CONFIG_IO_URING off)';
    case 1:
    case 13:
      return `${errno === 1 ? 'EPERM' : 'EACCES'}: io_uring is disabled for this process (sysctl kernel.io_uring_disabled, or a seccomp profile such as a container runtime's)`;
    case 22:
      return 'EINVAL: the kernel refused the setup flags (io_uring older than Linux 6.0)';
    case 12:
      return 'ENOMEM: no memory for the rings (RLIMIT_MEMLOCK?)';
    default:
      return `errno ${errno}`;
  }
}

/** What an io_uring on this machine can do (probed once per process). */
export interface UringProbe {
  /** The ring works and has every op the TAP adapter needs. */
  readonly usable: boolean;
  /** Why not, when not usable. */
  readonly reason: string;
  /** Opcodes IORING_REGISTER_PROBE reported as supported. */
  readonly ops: readonly number[];
}

/** The ops the TAP adapter uses, with the kernel that brought each. */
export const REQUIRED_OPS: readonly (readonly [number, string])[] = [
  [IORING_OP_WRITE, 'IORING_OP_WRITE (Linux 5.6)'],
  [IORING_OP_ASYNC_CANCEL, 'IORING_OP_ASYNC_CANCEL (Linux 5.5)'],
  [IORING_OP_READ_MULTISHOT, 'IORING_OP_READ_MULTISHOT (Linux 6.7)'],
];

export type UringBackendFactory = (entries: number, cqEntries: number, flags: number) => UringBackend;

let probed: UringProbe | null = null;
let factory: UringBackendFactory = kernelBackend;

/**
 * @internal Tests only: rings (and the probe) come from `f` instead of the kernel (`null` restores it).
 * A simulated kernel, or a wrapper around the real one that injects failures.
 */
export function useUringBackend(f: UringBackendFactory | null): void {
  factory = f ?? kernelBackend;
  probed = null;
}

/** Probes the kernel (once per process): a small ring with the adapter's flags, IORING_REGISTER_PROBE for the ops. */
export function probeIoUring(): UringProbe {
  if (probed !== null) return probed;
  const backend = factory;
  let result: UringProbe;
  let b: UringBackend | null = null;
  try {
    b = backend(4, 8, URING_SETUP_FLAGS);
    const features = u32(b.params, 20);
    const probe = new Uint8Array(16 + 256 * 8);
    const r = b.register(IORING_REGISTER_PROBE, probe, 256);
    const ops: number[] = [];
    if (r >= 0) for (let i = 0; i < probe[1]!; i++) if ((probe[16 + i * 8 + 2]! & 1) !== 0) ops.push(probe[16 + i * 8]!);
    const missing = REQUIRED_OPS.filter(([op]) => !ops.includes(op)).map(([, name]) => name);
    if (r < 0) result = { usable: false, reason: `IORING_REGISTER_PROBE failed (errno ${-r})`, ops };
    else if ((features & IORING_FEAT_EXT_ARG) === 0) result = { usable: false, reason: 'the kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11)', ops };
    else if (missing.length > 0) result = { usable: false, reason: `the kernel lacks ${missing.join(', ')}`, ops };
    else result = { usable: true, reason: '', ops };
  } catch (e) {
    result = { usable: false, reason: e instanceof Error ? e.message : String(e), ops: [] };
  } finally {
    b?.close();
  }
  probed = result;
  return result;
}

/** Receives the completions of the SQEs it tagged (see `IoUring.addConsumer`). */
export interface UringConsumer {
  /** One CQE: `index` is the low 20 bits of the SQE's tag, `res` the result (-errno), `flags` the CQE flags. */
  complete(index: number, res: number, flags: number): void;
}

/** Counters of one ring (shown by the inspector). */
export class UringCounters {
  /** SQEs the kernel accepted. */
  submissions = 0;
  /** CQEs reaped. */
  completions = 0;
  /** io_uring_enter calls that submitted SQEs (each a batch). */
  batches = 0;
  /** io_uring_enter calls only to wait for or to flush completions. */
  waits = 0;
  /** io_uring_enter failures (the SQEs stay queued and go with the next one). */
  submitErrors = 0;
  /** CQEs whose tag named no consumer. */
  strayCompletions = 0;
  /** The kernel's count of dropped SQEs (invalid index) and of overflowed CQEs. */
  sqDropped = 0;
  cqOverflow = 0;
}

/** Tag bits: the consumer in the top 12 bits, its own index in the low 20. */
const INDEX_BITS = 20;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
export const MAX_CONSUMERS = 1 << 12;

/**
 * One io_uring. Prepare SQEs with `prep*` (each returns false when the SQ is full), hand them to the
 * kernel with `submit`, and reap completions with `reap`, which dispatches each CQE by its tag to the
 * consumer that prepared it. Not thread-safe: one thread owns a ring (SINGLE_ISSUER).
 */
export class IoUring {
  readonly counters = new UringCounters();
  readonly sqEntries: number;
  readonly cqEntries: number;
  readonly features: number;
  #backend: UringBackend;
  #ring: Uint32Array;
  #ringI: Int32Array;
  #sqe: Uint32Array;
  readonly #sqHead: number;
  readonly #sqTail: number;
  readonly #sqFlags: number;
  readonly #sqDropped: number;
  readonly #sqMask: number;
  readonly #cqHead: number;
  readonly #cqTail: number;
  readonly #cqOverflow: number;
  readonly #cqMask: number;
  readonly #cqes: number;
  /** Our SQ tail (published at submit) and CQ head (published after each reap). */
  #tail: number;
  #head: number;
  readonly #consumers: (UringConsumer | null)[] = [];
  readonly #bufferRings: BufferRing[] = [];
  #closed = false;

  constructor(backend: UringBackend) {
    this.#backend = backend;
    const p = backend.params;
    this.sqEntries = u32(p, 0);
    this.cqEntries = u32(p, 4);
    this.features = u32(p, 20);
    this.#ring = new Uint32Array(backend.rings);
    this.#ringI = new Int32Array(backend.rings);
    this.#sqe = new Uint32Array(backend.sqes);
    this.#sqHead = u32(p, 40) >> 2;
    this.#sqTail = u32(p, 44) >> 2;
    this.#sqMask = this.#ring[u32(p, 48) >> 2]!;
    this.#sqFlags = u32(p, 56) >> 2;
    this.#sqDropped = u32(p, 60) >> 2;
    const array = u32(p, 64) >> 2;
    this.#cqHead = u32(p, 80) >> 2;
    this.#cqTail = u32(p, 84) >> 2;
    this.#cqMask = this.#ring[u32(p, 88) >> 2]!;
    this.#cqOverflow = u32(p, 96) >> 2;
    this.#cqes = u32(p, 100) >> 2;
    // The SQ index array maps ring position i to SQE i, once and for all.
    for (let i = 0; i < this.sqEntries; i++) this.#ring[array + i] = i;
    this.#tail = Atomics.load(this.#ring, this.#sqTail);
    this.#head = Atomics.load(this.#ring, this.#cqHead);
  }

  /** A ring from the kernel (throws IoUringError). */
  static create(entries: number, cqEntries: number): IoUring {
    return new IoUring(factory(entries, cqEntries, URING_SETUP_FLAGS));
  }

  get fd(): number {
    return this.#backend.fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers a consumer; its SQEs carry `tag(id, index)`. */
  addConsumer(consumer: UringConsumer): number {
    const free = this.#consumers.indexOf(null);
    const id = free >= 0 ? free : this.#consumers.length;
    if (id >= MAX_CONSUMERS) throw new IoUringError(`io_uring: more than ${MAX_CONSUMERS} consumers on one ring`, 0);
    this.#consumers[id] = consumer;
    return id;
  }

  removeConsumer(id: number): void {
    if (this.#consumers[id] !== undefined) this.#consumers[id] = null;
  }

  static tag(consumer: number, index: number): number {
    return ((consumer << INDEX_BITS) | (index & INDEX_MASK)) >>> 0;
  }

  /** SQEs prepared and not yet taken by the kernel. */
  get unsubmitted(): number {
    return (this.#tail - Atomics.load(this.#ring, this.#sqHead)) >>> 0;
  }

  /** Free SQ slots. */
  get sqSpace(): number {
    return this.sqEntries - this.unsubmitted;
  }

  /** Completions waiting in the CQ. */
  get ready(): number {
    if (this.#closed) return 0;
    return (Atomics.load(this.#ring, this.#cqTail) - this.#head) >>> 0;
  }

  /**
   * The kernel holds completions it has not posted yet (task work queued for this thread, or CQEs that
   * overflowed the CQ): an io_uring_enter with GETEVENTS posts them.
   */
  get kernelHasWork(): boolean {
    if (this.#closed) return false;
    return (Atomics.load(this.#ring, this.#sqFlags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) !== 0;
  }

  /** The next SQE, zeroed, or -1 when the SQ is full. Returns the index of its first word. */
  #next(): number {
    if (this.#closed || this.sqSpace === 0) return -1;
    const o = (this.#tail & this.#sqMask) << 4;
    this.#sqe.fill(0, o, o + 16);
    this.#tail = (this.#tail + 1) >>> 0;
    return o;
  }

  #fill(o: number, opcode: number, flags: number, fd: number, address: number, len: number, tag: number): void {
    const s = this.#sqe;
    s[o] = opcode | (flags << 8);
    s[o + 1] = fd;
    // off = -1: the file position is not used (a TAP is not seekable).
    s[o + 2] = 0xffffffff;
    s[o + 3] = 0xffffffff;
    s[o + 4] = address >>> 0;
    s[o + 5] = Math.floor(address / 4294967296);
    s[o + 6] = len;
    s[o + 8] = tag;
  }

  /** write(fd, address, len). */
  prepWrite(fd: number, address: number, len: number, tag: number): boolean {
    const o = this.#next();
    if (o < 0) return false;
    this.#fill(o, IORING_OP_WRITE, 0, fd, address, len, tag);
    return true;
  }

  /** read(fd, address, len). */
  prepRead(fd: number, address: number, len: number, tag: number): boolean {
    const o = this.#next();
    if (o < 0) return false;
    this.#fill(o, IORING_OP_READ, 0, fd, address, len, tag);
    return true;
  }

  /** A read that stays armed: one CQE per read, each into a buffer taken from provided-buffer `group`. */
  prepReadMultishot(fd: number, group: number, tag: number): boolean {
    const o = this.#next();
    if (o < 0) return false;
    this.#fill(o, IORING_OP_READ_MULTISHOT, IOSQE_BUFFER_SELECT, fd, 0, 0, tag);
    this.#sqe[o + 10] = group & 0xffff;
    return true;
  }

  /** Cancels the request tagged `target` (its CQE comes with -ECANCELED, this one with 0 / -ENOENT / -EALREADY). */
  prepCancel(target: number, tag: number): boolean {
    const o = this.#next();
    if (o < 0) return false;
    this.#fill(o, IORING_OP_ASYNC_CANCEL, 0, -1, target, 0, tag);
    // addr carries the user_data to cancel; off is unused.
    this.#sqe[o + 2] = 0;
    this.#sqe[o + 3] = 0;
    return true;
  }

  prepNop(tag: number): boolean {
    const o = this.#next();
    if (o < 0) return false;
    this.#fill(o, IORING_OP_NOP, 0, -1, 0, 0, tag);
    this.#sqe[o + 2] = 0;
    this.#sqe[o + 3] = 0;
    return true;
  }

  /**
   * Hands the prepared SQEs to the kernel (one io_uring_enter) and, with `waitFor` > 0, waits until that
   * many completions are posted or `timeoutNs` passed. Returns the SQEs the kernel took (those it did
   * not stay queued for the next call) or -errno; a failure is counted, never thrown.
   */
  submit(waitFor = 0, timeoutNs = 0): number {
    if (this.#closed) return -9;
    Atomics.store(this.#ring, this.#sqTail, this.#tail);
    const n = this.unsubmitted;
    if (n === 0 && waitFor === 0 && !this.kernelHasWork) return 0;
    const flags = waitFor > 0 || this.kernelHasWork ? IORING_ENTER_GETEVENTS : 0;
    const r = this.#backend.enter(n, waitFor, flags, timeoutNs);
    if (n > 0) this.counters.batches++;
    else this.counters.waits++;
    if (r < 0) {
      // ETIME: a bounded wait ran out; EINTR: a signal. Neither is an error of the ring.
      if (r !== -ETIME && r !== -4) this.counters.submitErrors++;
      return r;
    }
    this.counters.submissions += r;
    return r;
  }

  /**
   * Reaps up to `max` completions, dispatching each to its consumer, and publishes the new CQ head.
   * When the CQ is empty but the kernel holds completions (task work, overflow), one io_uring_enter
   * posts them first. Returns the number reaped.
   */
  reap(max = 0x7fffffff): number {
    if (this.#closed) return 0;
    if (this.ready === 0 && this.kernelHasWork) this.submit();
    const ring = this.#ring;
    const ringI = this.#ringI;
    const mask = this.#cqMask;
    const cqes = this.#cqes;
    const consumers = this.#consumers;
    let head = this.#head;
    const tail = Atomics.load(ring, this.#cqTail);
    let n = 0;
    while (head !== tail && n < max) {
      const c = cqes + ((head & mask) << 2);
      const tag = ring[c]!;
      const res = ringI[c + 2]!;
      const flags = ring[c + 3]!;
      head = (head + 1) >>> 0;
      n++;
      // Published before dispatch: a consumer may prepare and submit SQEs (and so reap) from here.
      this.#head = head;
      Atomics.store(ring, this.#cqHead, head);
      const consumer = ring[c + 1] === 0 ? consumers[tag >>> INDEX_BITS] : undefined;
      if (consumer === undefined || consumer === null) this.counters.strayCompletions++;
      else consumer.complete(tag & INDEX_MASK, res, flags);
      if (this.#closed) break;
    }
    this.counters.completions += n;
    return n;
  }

  /**
   * After a submission failed for good (io_uring_enter kept failing): takes the SQEs back and hands each
   * to its consumer as a completion with `res` and URING_F_NOT_SUBMITTED, so it can take another path.
   * Returns how many.
   */
  failUnsubmitted(res: number): number {
    if (this.#closed) return 0;
    const kernelHead = Atomics.load(this.#ring, this.#sqHead);
    const n = (this.#tail - kernelHead) >>> 0;
    const tags = new Uint32Array(n);
    for (let i = 0; i < n; i++) tags[i] = this.#sqe[(((kernelHead + i) >>> 0) & this.#sqMask) * 16 + 8]!;
    this.#tail = kernelHead;
    Atomics.store(this.#ring, this.#sqTail, kernelHead);
    for (let i = 0; i < n; i++) {
      const consumer = this.#consumers[tags[i]! >>> INDEX_BITS];
      if (consumer === undefined || consumer === null) this.counters.strayCompletions++;
      else consumer.complete(tags[i]! & INDEX_MASK, res, URING_F_NOT_SUBMITTED);
    }
    return n;
  }

  /** Refreshes the kernel's drop/overflow counters (inspector). */
  refreshCounters(): UringCounters {
    if (!this.#closed) {
      this.counters.sqDropped = this.#ring[this.#sqDropped]!;
      this.counters.cqOverflow = this.#ring[this.#cqOverflow]!;
    }
    return this.counters;
  }

  /** Registers a provided-buffer ring of `entries` (a power of two ≤ 32768) under a free buffer group id. */
  registerBufferRing(entries: number): BufferRing {
    if (this.#closed) throw new IoUringError('io_uring: the ring is closed', 9);
    let group = 0;
    while (this.#bufferRings.some((b) => b.group === group)) group++;
    if (entries < 1 || entries > 32768 || (entries & (entries - 1)) !== 0) throw new IoUringError(`io_uring: a buffer ring has a power-of-two size up to 32768, not ${entries}`, 22);
    const bytes = Math.max(4096, entries * 16);
    const mem = this.#backend.mapBufferRing(bytes);
    if (typeof mem === 'number') throw new IoUringError(`io_uring: no memory for a buffer ring (errno ${-mem})`, -mem);
    // struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u64 resv[3]; }
    const reg = new Uint8Array(40);
    const dv = new DataView(reg.buffer);
    dv.setUint32(0, mem.address >>> 0, true);
    dv.setUint32(4, Math.floor(mem.address / 4294967296), true);
    dv.setUint32(8, entries, true);
    dv.setUint16(12, group, true);
    const r = this.#backend.register(IORING_REGISTER_PBUF_RING, reg, 1);
    if (r < 0) {
      this.#backend.unmapBufferRing(mem.address, bytes);
      throw new IoUringError(`io_uring: IORING_REGISTER_PBUF_RING failed (errno ${-r})`, -r);
    }
    const ring = new BufferRing(group, entries, mem.memory, () => {
      const unreg = new Uint8Array(40);
      new DataView(unreg.buffer).setUint16(12, group, true);
      if (!this.#closed) this.#backend.register(IORING_UNREGISTER_PBUF_RING, unreg, 1);
      this.#backend.unmapBufferRing(mem.address, bytes);
      const i = this.#bufferRings.indexOf(ring);
      if (i >= 0) this.#bufferRings.splice(i, 1);
    });
    this.#bufferRings.push(ring);
    return ring;
  }

  /** Unregisters the buffer rings, unmaps everything and closes the fd. Views are emptied first. */
  close(): void {
    if (this.#closed) return;
    for (const b of [...this.#bufferRings]) b.close();
    this.#closed = true;
    this.#ring = new Uint32Array(0);
    this.#ringI = new Int32Array(0);
    this.#sqe = new Uint32Array(0);
    this.#consumers.length = 0;
    this.#backend.close();
  }
}

/**
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING): buffers the kernel picks from for reads with
 * IOSQE_BUFFER_SELECT. `add` queues one (address, length, id); `publish` makes the added ones visible.
 * The kernel consumes one entry per read completion carrying IORING_CQE_F_BUFFER, so `available` is
 * exact: added − consumed.
 */
export class BufferRing {
  readonly group: number;
  readonly entries: number;
  #words: Uint32Array;
  #halves: Uint16Array;
  #tail = 0;
  #consumed = 0;
  readonly #release: () => void;
  #closed = false;

  constructor(group: number, entries: number, memory: ArrayBuffer, release: () => void) {
    this.group = group;
    this.entries = entries;
    this.#words = new Uint32Array(memory);
    this.#halves = new Uint16Array(memory);
    this.#release = release;
  }

  /** Buffers the kernel can still pick. */
  get available(): number {
    return this.#tail - this.#consumed;
  }

  get space(): number {
    return this.entries - this.available;
  }

  /** Queues a buffer (false when the ring is full or closed). */
  add(address: number, len: number, id: number): boolean {
    if (this.#closed || this.available >= this.entries) return false;
    // struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv; } — resv of entry 0 is the ring's tail.
    const i = this.#tail & (this.entries - 1);
    const w = i << 2;
    this.#words[w] = address >>> 0;
    this.#words[w + 1] = Math.floor(address / 4294967296);
    this.#words[w + 2] = len;
    this.#halves[(i << 3) + 6] = id;
    this.#tail++;
    return true;
  }

  /** Publishes the added buffers to the kernel. */
  publish(): void {
    if (!this.#closed) Atomics.store(this.#halves, 7, this.#tail & 0xffff);
  }

  /** A completion used one buffer. */
  consumed(): void {
    this.#consumed++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#words = new Uint32Array(0);
    this.#halves = new Uint16Array(0);
    this.#release();
  }
}
