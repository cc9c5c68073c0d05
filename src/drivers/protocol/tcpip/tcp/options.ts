/**
 * TCP options on the data path. Reading goes through the wire layer's `TcpOptionReader` into one
 * reused `SegmentOptions`; writing the per-segment options (timestamps, SACK blocks) is done here
 * without building a `TcpOptions` object, in exactly the layout `emitTcpOptions` uses (NOP NOP TS,
 * NOP NOP SACK …; tests check the two agree byte for byte). SYN options go through `emitTcpOptions`.
 */
import { TCP_MAX_SACK_BLOCKS, TcpOptionKind, type TcpOptionReader } from '../../../../wire/index.js';

/** What one received segment's options said. `-1` means absent. */
export class SegmentOptions {
  mss = -1;
  windowScale = -1;
  sackPermitted = false;
  hasTimestamps = false;
  tsValue = 0;
  tsEcho = 0;
  sackCount = 0;
  /** left, right pairs (int32, see seq.ts). */
  readonly sack = new Int32Array(2 * TCP_MAX_SACK_BLOCKS);

  /** Reads the options area; returns false when it is malformed. */
  read(r: TcpOptionReader, bytes: Uint8Array, offset: number, length: number): boolean {
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.hasTimestamps = false;
    this.sackCount = 0;
    if (length === 0) return true;
    r.reset(bytes, offset, length);
    while (r.next()) {
      switch (r.kind) {
        case TcpOptionKind.Mss:
          this.mss = r.mss;
          break;
        case TcpOptionKind.WindowScale:
          this.windowScale = r.windowScale;
          break;
        case TcpOptionKind.SackPermitted:
          this.sackPermitted = true;
          break;
        case TcpOptionKind.Timestamps:
          this.hasTimestamps = true;
          this.tsValue = r.tsValue | 0;
          this.tsEcho = r.tsEcho | 0;
          break;
        case TcpOptionKind.Sack: {
          const n = Math.min(r.sackBlockCount, TCP_MAX_SACK_BLOCKS);
          for (let i = 0; i < n; i++) {
            this.sack[2 * i] = r.sackLeft(i);
            this.sack[2 * i + 1] = r.sackRight(i);
          }
          this.sackCount = n;
          break;
        }
        default:
          break;
      }
    }
    return r.error === 0;
  }
}

/** Option bytes `writeDataOptions` produces. */
export function dataOptionsLength(timestamps: boolean, sackCount: number): number {
  return (timestamps ? 12 : 0) + (sackCount > 0 ? 4 + 8 * sackCount : 0);
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** Writes timestamps and/or SACK blocks (`sack` holds left, right pairs) at `at`; returns the length. */
export function writeDataOptions(
  b: Uint8Array,
  at: number,
  timestamps: boolean,
  tsValue: number,
  tsEcho: number,
  sack: Int32Array,
  sackCount: number,
): number {
  const start = at;
  if (timestamps) {
    b[at++] = TcpOptionKind.Nop;
    b[at++] = TcpOptionKind.Nop;
    b[at++] = TcpOptionKind.Timestamps;
    b[at++] = 10;
    put32(b, at, tsValue);
    put32(b, at + 4, tsEcho);
    at += 8;
  }
  if (sackCount > 0) {
    b[at++] = TcpOptionKind.Nop;
    b[at++] = TcpOptionKind.Nop;
    b[at++] = TcpOptionKind.Sack;
    b[at++] = 2 + 8 * sackCount;
    for (let i = 0; i < sackCount; i++) {
      put32(b, at, sack[2 * i]!);
      put32(b, at + 4, sack[2 * i + 1]!);
      at += 8;
    }
  }
  return at - start;
}
