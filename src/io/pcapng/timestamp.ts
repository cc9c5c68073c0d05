/**
 * 64-bit pcapng timestamps without BigInt (BigInt arithmetic allocates, and these run per packet).
 *
 * A pcapng timestamp is a 64-bit count of units of if_tsresol since 1970, written as two 32-bit halves.
 * tsndis keeps time as (seconds, nanoseconds): nanoseconds since 1970 do not fit a double exactly
 * (≈ 1.7e18 > 2^53), seconds and a nanosecond remainder do. The conversions below are exact for every
 * decimal resolution from 10^0 to 10^-18 s (units finer than a nanosecond are truncated to one) and
 * within 1 ns for binary resolutions (2^-n s). Seconds must be below 2^32 when writing (year 2106).
 *
 * Every function writes into a caller-owned result object, so nothing is allocated per call.
 */
import { TSRESOL_BINARY_FLAG } from './format.js';

const TWO_32 = 4294967296;

/** Result of a unit → time conversion. */
export class TimeParts {
  seconds = 0;
  nanoseconds = 0;
}

/** Result of a time → unit conversion: the two 32-bit halves of the 64-bit timestamp. */
export class TimestampHalves {
  high = 0;
  low = 0;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9] as const;

/** Largest decimal resolution exponent tsndis accepts (10^-18 s). */
export const MAX_DECIMAL_TSRESOL = 18;

/** True when `tsresol` (the if_tsresol byte) is a resolution tsndis can convert. */
export function isSupportedTsresol(tsresol: number): boolean {
  if ((tsresol & TSRESOL_BINARY_FLAG) !== 0) return (tsresol & 0x7f) <= 63;
  return tsresol <= MAX_DECIMAL_TSRESOL;
}

let divQ = 0;
let divR = 0;

/**
 * (high · 2^32 + low) divided by d (1 ≤ d ≤ 2^37), into divQ/divR. The quotient is exact while below
 * 2^53; every intermediate value stays below 2^53, and each partial quotient is corrected for rounding.
 */
function divmod64(high: number, low: number, d: number): void {
  const qh = Math.floor(high / d);
  const rh = high - qh * d;
  const a = rh * 65536 + (low >>> 16);
  let q1 = Math.floor(a / d);
  let r1 = a - q1 * d;
  if (r1 < 0) {
    q1--;
    r1 += d;
  } else if (r1 >= d) {
    q1++;
    r1 -= d;
  }
  const b = r1 * 65536 + (low & 0xffff);
  let q2 = Math.floor(b / d);
  let r2 = b - q2 * d;
  if (r2 < 0) {
    q2--;
    r2 += d;
  } else if (r2 >= d) {
    q2++;
    r2 -= d;
  }
  divQ = qh * TWO_32 + q1 * 65536 + q2;
  divR = r2;
}

/**
 * The 64-bit timestamp (high, low) in units of `tsresol` as seconds + nanoseconds, plus `offsetSeconds`
 * (if_tsoffset). `tsresol` must satisfy isSupportedTsresol.
 */
export function unitsToTime(high: number, low: number, tsresol: number, offsetSeconds: number, out: TimeParts): void {
  high >>>= 0;
  low >>>= 0;
  if ((tsresol & TSRESOL_BINARY_FLAG) !== 0) {
    const n = tsresol & 0x7f;
    let seconds: number;
    let frac: number;
    if (n === 0) {
      seconds = high * TWO_32 + low;
      frac = 0;
    } else if (n < 32) {
      seconds = high * 2 ** (32 - n) + (low >>> n);
      frac = (low & ((1 << n) - 1)) >>> 0;
    } else if (n === 32) {
      seconds = high;
      frac = low;
    } else {
      const hb = n - 32;
      const p = 2 ** hb;
      seconds = Math.floor(high / p);
      frac = (high - seconds * p) * TWO_32 + low;
    }
    out.seconds = seconds + offsetSeconds;
    out.nanoseconds = n === 0 ? 0 : Math.min(999_999_999, Math.floor((frac / 2 ** n) * 1e9));
    return;
  }
  if (tsresol <= 9) {
    divmod64(high, low, POW10[tsresol]!);
    out.seconds = divQ + offsetSeconds;
    out.nanoseconds = divR * POW10[9 - tsresol]!;
    return;
  }
  // Finer than a nanosecond: value = Q1·10^9 + R1 with Q1 < 2^35, then seconds = ⌊Q1 / 10^(k−9)⌋.
  divmod64(high, low, 1e9);
  const q1 = divQ;
  const r1 = divR;
  const m = POW10[tsresol - 9]!;
  const seconds = Math.floor(q1 / m);
  const rest = q1 - seconds * m; // < m: units of 10^-9 · m … in units of 10^-k it is rest·10^9 + r1
  out.seconds = seconds + offsetSeconds;
  out.nanoseconds = rest * POW10[18 - tsresol]! + Math.floor(r1 / m);
}

/**
 * Seconds + nanoseconds as a 64-bit timestamp in units of 10^-tsresol s (tsresol 0…9), truncating finer
 * digits. Negative times become 0; seconds are clamped below 2^32.
 */
export function timeToUnits(seconds: number, nanoseconds: number, tsresol: number, out: TimestampHalves): void {
  if (!(seconds >= 0)) {
    seconds = 0;
    nanoseconds = 0;
  }
  if (nanoseconds >= 1e9 || nanoseconds < 0) {
    const carry = Math.floor(nanoseconds / 1e9);
    seconds += carry;
    nanoseconds -= carry * 1e9;
  }
  seconds = Math.min(Math.floor(seconds), TWO_32 - 1);
  const r = POW10[tsresol]!;
  const f = Math.floor(nanoseconds / POW10[9 - tsresol]!);
  const sHi = Math.floor(seconds / 65536);
  const sLo = seconds - sHi * 65536;
  const lowPart = sLo * r + f; // < 2^16 · 10^9 + 10^9 < 2^53
  const highPart = sHi * r; // stands for highPart · 2^16
  const lowHalfOfHigh = (highPart % 65536) * 65536;
  const lowPartLow = lowPart % TWO_32;
  let low = lowHalfOfHigh + lowPartLow;
  let carry = 0;
  if (low >= TWO_32) {
    low -= TWO_32;
    carry = 1;
  }
  out.high = Math.floor(highPart / 65536) + Math.floor(lowPart / TWO_32) + carry;
  out.low = low;
}

/**
 * Wall-clock timestamps from a runtime clock: `origin` is the epoch time (ms) at which the clock read 0
 * (performance.timeOrigin for the runtime's real clock). `encode(nowMs)` fills `halves` with the
 * nanosecond (if_tsresol 9) timestamp of `nowMs` without allocating.
 */
export class NanosecondClock {
  readonly #baseSeconds: number;
  readonly #baseNanoseconds: number;
  readonly halves = new TimestampHalves();
  readonly parts = new TimeParts();

  /**
   * For a runtime clock that is performance.now() (the runtime's real scheduler): timestamps are then
   * wall-clock time. On a manual test clock they are the process start plus the manual time.
   */
  static forRuntimeClock(): NanosecondClock {
    return new NanosecondClock(performance.timeOrigin);
  }

  constructor(originEpochMs: number) {
    this.#baseSeconds = Math.floor(originEpochMs / 1000);
    this.#baseNanoseconds = Math.round((originEpochMs - this.#baseSeconds * 1000) * 1e6);
  }

  encode(nowMs: number): TimestampHalves {
    const totalNs = this.#baseNanoseconds + Math.max(0, nowMs) * 1e6;
    const carry = Math.floor(totalNs / 1e9);
    const p = this.parts;
    p.seconds = this.#baseSeconds + carry;
    p.nanoseconds = Math.min(999_999_999, Math.floor(totalNs - carry * 1e9));
    timeToUnits(p.seconds, p.nanoseconds, 9, this.halves);
    return this.halves;
  }
}
