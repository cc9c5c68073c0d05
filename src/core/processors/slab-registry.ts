/**
 * Process-wide slab ids: how a descriptor names frame memory on another processor.
 *
 * Every SharedArrayBuffer that crosses gets one id for the whole process (a shared counter, so two
 * processors registering at once never pick the same id), and every processor keeps its own table
 * id → view. A processor registers a slab the first time it lends memory from it and announces it to the
 * others (`announce`: over the control port with threads, a control step in the simulated set); the
 * others `adopt` it. The rings and the announcements are not ordered with each other, so a consumer can
 * meet an id before its announcement: it parks that ring until `known(id)` (processor.ts does that).
 *
 * Slabs are registered lazily, at first crossing, rather than at pool creation, so memory that pools do
 * not own (retreat chunks, a driver's own SharedArrayBuffer) crosses the same way. Ids are never reused;
 * a registered slab stays referenced for the life of the processor set.
 */
export class SlabRegistry {
  /** View over the whole slab, by id (index 0 unused: id 0 means "no slab"). */
  readonly #bytes: (Uint8Array | undefined)[] = [undefined];
  readonly #words: (Int32Array | undefined)[] = [undefined];
  readonly #ids = new WeakMap<SharedArrayBuffer, number>();
  /** One-entry cache: consecutive NBLs of a chain usually share a slab. */
  #lastBuffer: ArrayBufferLike | null = null;
  #lastId = 0;
  /** Slabs this processor registered, and slabs it adopted from announcements. */
  registered = 0;
  adopted = 0;

  /**
   * @param counter one Int32 word shared by every processor of the process (the next id - 1)
   * @param announce tells the other processors about a slab this one registered
   */
  constructor(
    readonly counter: Int32Array,
    readonly announce: (id: number, slab: SharedArrayBuffer) => void,
  ) {}

  /** A fresh shared id counter for a processor set. */
  static createCounter(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(4));
  }

  /**
   * The id of `buffer`, registering and announcing it when it is new; 0 when the memory is not shared
   * (a plain ArrayBuffer cannot be seen by another thread).
   */
  idOf(buffer: ArrayBufferLike): number {
    if (buffer === this.#lastBuffer) return this.#lastId;
    if (!(buffer instanceof SharedArrayBuffer)) return 0;
    let id = this.#ids.get(buffer);
    if (id === undefined) {
      id = Atomics.add(this.counter, 0, 1) + 1;
      this.#set(id, buffer);
      this.registered++;
      this.announce(id, buffer);
    }
    this.#lastBuffer = buffer;
    this.#lastId = id;
    return id;
  }

  /** Takes in a slab another processor registered. Returns false for an id already bound to other memory. */
  adopt(id: number, buffer: SharedArrayBuffer): boolean {
    if (!Number.isInteger(id) || id <= 0) return false;
    const have = this.#bytes[id];
    if (have !== undefined) return have.buffer === buffer;
    this.#set(id, buffer);
    this.adopted++;
    return true;
  }

  known(id: number): boolean {
    return id > 0 && this.#bytes[id] !== undefined;
  }

  /** The whole slab as bytes, or undefined for an id this processor does not know. */
  bytes(id: number): Uint8Array | undefined {
    return id > 0 ? this.#bytes[id] : undefined;
  }

  /** The whole slab as words (for MDLs' four-byte copies). */
  words(id: number): Int32Array | undefined {
    return id > 0 ? this.#words[id] : undefined;
  }

  #set(id: number, buffer: SharedArrayBuffer): void {
    this.#ids.set(buffer, id);
    this.#bytes[id] = new Uint8Array(buffer);
    this.#words[id] = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }
}
