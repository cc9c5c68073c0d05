/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): comparisons are signed 32-bit differences,
 * valid while the two numbers are less than 2^31 apart, which windows guarantee.
 *
 * Inside the engine sequence numbers (and timestamps) are kept as signed 32-bit integers (`x | 0`),
 * not as unsigned ones: V8 holds int32 values as small integers, while an unsigned value ≥ 2^31 is a
 * double that gets boxed into a heap object whenever it is passed around. The bits are the same, so
 * header writes and comparisons do not care; compare with `>>> 0` when matching wire values.
 */

/** `a` + `n` modulo 2^32, as a signed 32-bit integer. */
export function seqAdd(a: number, n: number): number {
  return (a + n) | 0;
}

/** The signed distance `a` − `b` (negative when `a` is before `b`). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a : b;
}

export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) <= 0 ? a : b;
}
