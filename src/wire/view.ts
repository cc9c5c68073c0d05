/**
 * The base of every header view in src/wire: a view is bound to a frame's bytes at an offset, then
 * its accessors read and write the header in place — no parsing into objects, no copies, one view
 * object reused for every frame. Subclasses add the fields of their header over `b` and `o`.
 */
import { EMPTY } from './bytes.js';

export abstract class WireView {
  /** The bound bytes and the header's offset in them (for the subclasses' accessors). */
  protected b: Uint8Array = EMPTY;
  protected o = 0;

  bind(bytes: Uint8Array, offset: number): this {
    this.b = bytes;
    this.o = offset;
    return this;
  }

  get bytes(): Uint8Array {
    return this.b;
  }
  get offset(): number {
    return this.o;
  }
}
