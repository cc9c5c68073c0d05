/** Atomics.waitAsync (Node 16+; the compiler's bundled lib for our target does not declare it). */
export const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;
