/**
 * The option walk IPv4 (RFC 791 §3.1) and TCP (RFC 9293 §3.1) share: their options are framed alike —
 * kind 0 ends the list, kind 1 is a one-byte no-operation, every other option is kind, length (counting
 * both octets, so at least 2), value — and differ only in what length each kind must have.
 */
import { EMPTY, inBounds } from './bytes.js';
import { WireError } from './error.js';

/** Option kinds with the same meaning in IPv4 and TCP. */
const END_OF_LIST = 0;
const NOP = 1;

/**
 * Iterates over IPv4 or TCP options without allocating: `reset()` it on a checked view's
 * `optionsOffset`/`optionsLength`, then `while (r.next()) { switch (r.kind) … }`, then look at `r.error`.
 * Each option `next()` returns lies within the options area and passed the subclass's `validOption`.
 * End-of-list is returned and ends the walk with no error (what follows is padding); no-operation is one
 * byte; any other option needs a length octet of at least 2 that keeps it inside the area. A broken
 * option stops the walk with `Malformed`. At most `length` turns.
 */
export abstract class OptionReader {
  /** The bytes walked (subclasses read option values from them). */
  protected b: Uint8Array = EMPTY;
  #at = 0;
  #end = 0;
  /** The option just returned by `next()`: its kind, absolute offset and length in bytes. */
  kind = 0;
  offset = 0;
  length = 0;
  /** Why iteration stopped early, or 0. */
  error: WireError | 0 = 0;

  /** Starts over on `length` option bytes at `offset`. */
  reset(bytes: Uint8Array, offset: number, length: number): this {
    const ok = inBounds(bytes, offset, length);
    this.b = bytes;
    this.#at = offset;
    this.#end = ok ? offset + length : offset;
    this.error = ok ? 0 : WireError.Truncated;
    this.kind = 0;
    this.offset = offset;
    this.length = 0;
    return this;
  }

  next(): boolean {
    const b = this.b;
    const at = this.#at;
    if (at >= this.#end) return false;
    const kind = b[at]!;
    this.kind = kind;
    this.offset = at;
    if (kind === END_OF_LIST || kind === NOP) {
      this.length = 1;
      this.#at = kind === END_OF_LIST ? this.#end : at + 1;
      return true;
    }
    if (this.#end - at < 2) return this.#fail();
    const len = b[at + 1]!;
    if (len < 2 || len > this.#end - at || !this.validOption(kind, at, len)) return this.#fail();
    this.length = len;
    this.#at = at + len;
    return true;
  }

  /**
   * Whether the option of `kind` at `b[at]`, `len` bytes long (at least 2, inside the area), is well
   * formed for this protocol: the length its kind must have, or the fields it must hold.
   */
  protected abstract validOption(kind: number, at: number, len: number): boolean;

  #fail(): false {
    this.error = WireError.Malformed;
    this.#at = this.#end;
    return false;
  }
}
