/**
 * Readiness of a file descriptor from Node's own event loop: a libuv `uv_poll_t` on the default loop,
 * made through koffi from the symbols the node binary exports (the same libuv that runs the process).
 * The kernel then wakes the main thread directly when a TAP has frames — no helper thread, no
 * cross-thread wake-up (which costs 60–150 µs per wake on a mostly idle VM) — and the callback runs
 * in the loop's poll phase, on the main thread, like any other I/O callback.
 *
 * One watcher per fd; `start` / `stop` arm and disarm it (level-triggered: a started watcher fires
 * on every loop turn while the fd stays readable, so the owner stops it until it wants more). The
 * handle is unref'd: like the runtime's timers, a watcher never keeps the process alive by itself.
 */
import { createRequire } from 'node:module';

/** uv_handle_type UV_POLL and uv_poll_event UV_READABLE (uv.h). */
const UV_POLL = 8;
const UV_READABLE = 1;

interface UvApi {
  koffi: typeof import('koffi');
  loop: unknown;
  handleSize: number;
  pollCbType: import('koffi').TypeObject;
  closeCbType: import('koffi').TypeObject;
  pollInit(loop: unknown, handle: unknown, fd: number): number;
  pollStart(handle: unknown, events: number, cb: unknown): number;
  pollStop(handle: unknown): number;
  close(handle: unknown, cb: unknown): void;
  unref(handle: unknown): void;
  ref(handle: unknown): void;
  strerror(code: number): string;
}

let api: UvApi | null = null;
let loadError: Error | null = null;

function uv(): UvApi {
  if (api !== null) return api;
  if (loadError !== null) throw loadError;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    // dlopen(NULL): the node executable itself, which exports libuv for native addons.
    const self = koffi.load(null as unknown as string);
    const pollCbType = koffi.pointer(koffi.proto('void tsndis_uv_poll_cb(void *handle, int status, int events)'));
    const closeCbType = koffi.pointer(koffi.proto('void tsndis_uv_close_cb(void *handle)'));
    const handleSize = Number(self.func('size_t uv_handle_size(int type)')(UV_POLL));
    const defaultLoop = self.func('void *uv_default_loop(void)');
    const strerror = self.func('const char *uv_strerror(int err)');
    api = {
      koffi,
      loop: defaultLoop(),
      handleSize,
      pollCbType,
      closeCbType,
      pollInit: self.func('int uv_poll_init(void *loop, void *handle, int fd)') as UvApi['pollInit'],
      pollStart: self.func('int uv_poll_start(void *handle, int events, tsndis_uv_poll_cb *cb)') as UvApi['pollStart'],
      pollStop: self.func('int uv_poll_stop(void *handle)') as UvApi['pollStop'],
      close: self.func('void uv_close(void *handle, tsndis_uv_close_cb *cb)') as UvApi['close'],
      unref: self.func('void uv_unref(void *handle)') as UvApi['unref'],
      ref: self.func('void uv_ref(void *handle)') as UvApi['ref'],
      strerror: (code) => strerror(code) as string,
    };
    return api;
  } catch (e) {
    loadError = new Error(`cannot reach libuv through koffi (ReaderMode 'uv'): ${e instanceof Error ? e.message : String(e)}`);
    throw loadError;
  }
}

/** Whether this process can use UvPoll (koffi loads and the node binary exports libuv). */
export function uvPollAvailable(): boolean {
  try {
    uv();
    return true;
  } catch {
    return false;
  }
}

export class UvPoll {
  readonly fd: number;
  #handle: unknown;
  #callback: unknown;
  #started = false;
  #closed = false;

  /**
   * `onEvent(status)` runs on the main thread when the fd is readable (status 0) or polling failed
   * (a negative libuv error, e.g. the device went away). The watcher is stopped before it is called.
   * It runs straight from libuv, outside Node's callback scope: promise reactions it causes wait for
   * the next Node callback, so it should only schedule work (the TAP queues a DPC: a setImmediate).
   */
  constructor(fd: number, onEvent: (status: number) => void) {
    const u = uv();
    this.fd = fd;
    this.#handle = u.koffi.alloc('uint8_t', u.handleSize);
    this.#callback = u.koffi.register((_h: unknown, status: number) => {
      this.stop();
      // Nothing may throw into libuv: the owner's handler reports its own errors.
      try {
        onEvent(status);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }, u.pollCbType);
    const r = u.pollInit(u.loop, this.#handle, fd);
    if (r !== 0) {
      u.koffi.unregister(this.#callback as never);
      u.koffi.free(this.#handle as never);
      throw new Error(`uv_poll_init(fd ${fd}): ${u.strerror(r)}`);
    }
    u.unref(this.#handle);
  }

  get started(): boolean {
    return this.#started;
  }

  /** Watches for readability (no-op when started or closed). */
  start(): void {
    if (this.#started || this.#closed) return;
    const r = uv().pollStart(this.#handle, UV_READABLE, this.#callback);
    if (r !== 0) throw new Error(`uv_poll_start(fd ${this.fd}): ${uv().strerror(r)}`);
    this.#started = true;
  }

  stop(): void {
    if (!this.#started || this.#closed) return;
    uv().pollStop(this.#handle);
    this.#started = false;
  }

  /** Stops and closes the watcher; `onClosed` runs once libuv released the handle (its memory is freed then). */
  close(onClosed: () => void): void {
    if (this.#closed) {
      onClosed();
      return;
    }
    this.stop();
    this.#closed = true;
    const u = uv();
    const handle = this.#handle;
    const pollCb = this.#callback;
    const closeCb: unknown = u.koffi.register(() => {
      u.koffi.unregister(closeCb as never);
      u.koffi.unregister(pollCb as never);
      u.koffi.free(handle as never);
      // Back inside Node's callback scope, so what onClosed resolves runs at once.
      setImmediate(onClosed);
    }, u.closeCbType);
    // Referenced while closing: whoever waits for onClosed keeps the loop running until it comes.
    u.ref(handle);
    u.close(handle, closeCb);
  }
}
