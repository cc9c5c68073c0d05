/**
 * The few libc calls the TUN/TAP code needs, through koffi (a maintained FFI with prebuilt binaries:
 * no compiler at install time). Loaded lazily, so nothing pays for it unless a TAP adapter is used, and
 * a missing koffi or libc becomes a clear error instead of a crash at import time.
 *
 * Pointers into SharedArrayBuffer slabs are passed as integer addresses (`koffi.address(view)` + offset):
 * reads land directly in NBL receive buffers without a view per frame.
 */
import { createRequire } from 'node:module';

export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  /** ioctl with a pointer argument (struct ifreq, int *). */
  ioctlPtr(fd: number, request: number, arg: Uint8Array): number;
  /** ioctl with a by-value argument (TUNSETOFFLOAD). */
  ioctlVal(fd: number, request: number, arg: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  read(fd: number, buf: Uint8Array, n: number): number;
  /** read(2) into raw memory at `address`. */
  readAt(fd: number, address: number, n: number): number;
  write(fd: number, buf: Uint8Array, n: number): number;
  writeAt(fd: number, address: number, n: number): number;
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  socket(domain: number, type: number, protocol: number): number;
  /** pipe2(2) with O_NONBLOCK into `fds` (read end, write end). */
  pipe(fds: Int32Array): number;
  errno(): number;
  /** Address of a typed array's first byte. */
  address(view: ArrayBufferView): number;
}

let cached: Libc | null = null;
let loadError: Error | null = null;

export function libc(): Libc {
  if (cached !== null) return cached;
  if (loadError !== null) throw loadError;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    const open = lib.func('int open(const char *path, int flags)');
    const close = lib.func('int close(int fd)');
    const ioctlPtr = lib.func('int ioctl(int fd, unsigned long req, void *arg)');
    const ioctlVal = lib.func('int ioctl(int fd, unsigned long req, unsigned long arg)');
    const fcntl = lib.func('int fcntl(int fd, int cmd, int arg)');
    const read = lib.func('long read(int fd, void *buf, unsigned long n)');
    const readAt = lib.func('long read(int fd, uintptr_t buf, unsigned long n)');
    const write = lib.func('long write(int fd, const void *buf, unsigned long n)');
    const writeAt = lib.func('long write(int fd, uintptr_t buf, unsigned long n)');
    const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
    const socket = lib.func('int socket(int domain, int type, int protocol)');
    const pipe2 = lib.func('int pipe2(int *fds, int flags)');
    cached = {
      open: (p, f) => open(p, f) as number,
      close: (fd) => close(fd) as number,
      ioctlPtr: (fd, r, a) => ioctlPtr(fd, r, a) as number,
      ioctlVal: (fd, r, a) => ioctlVal(fd, r, a) as number,
      fcntl: (fd, c, a) => fcntl(fd, c, a) as number,
      read: (fd, b, n) => Number(read(fd, b, n)),
      readAt: (fd, a, n) => Number(readAt(fd, a, n)),
      write: (fd, b, n) => Number(write(fd, b, n)),
      writeAt: (fd, a, n) => Number(writeAt(fd, a, n)),
      poll: (fds, n, t) => poll(fds, n, t) as number,
      socket: (d, t, p) => socket(d, t, p) as number,
      pipe: (fds) => pipe2(fds, O_NONBLOCK) as number,
      errno: () => koffi.errno(),
      address: (view) => Number(koffi.address(view)),
    };
    return cached;
  } catch (e) {
    loadError = new Error(`cannot load libc through koffi (needed for TAP devices): ${e instanceof Error ? e.message : String(e)}`);
    throw loadError;
  }
}

export const O_RDWR = 2;
export const O_NONBLOCK = 0x800;
export const F_SETFL = 4;
export const F_GETFL = 3;
export const EAGAIN = 11;
export const EINTR = 4;
export const EIO = 5;
export const EPERM = 1;
export const ENOENT = 2;
export const EBADF = 9;
export const EBUSY = 16;
export const EINVAL = 22;
export const ENODEV = 19;
export const EBADFD = 77;
export const EACCES = 13;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
