/**
 * An incremental reader of classic pcap and pcapng files, for untrusted input.
 *
 * The caller pushes bytes in chunks of any size (`push`), says when the input ended (`end`) and pulls
 * records (`next`). `next` never throws on input: it returns
 *   - `ReadStatus.Record`   — `out` describes one packet (its bytes are a view valid until the next
 *                             `push` or `next`);
 *   - `ReadStatus.NeedMore` — no complete block is buffered: push more, or end();
 *   - `ReadStatus.End`      — the input ended cleanly at a block/record boundary;
 *   - `ReadStatus.Error`    — the input is corrupt or truncated; `reader.error` says how and where. An
 *                             error is final (the reader keeps returning it until `reset`).
 *
 * What it reads:
 *   - pcap in both byte orders, microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic, version 2.x;
 *   - pcapng sections in either byte order (several sections per file, each with its own order and
 *     interfaces), IDB with if_name, if_description, if_tsresol, if_tsoffset; EPB with epb_flags (the
 *     direction); SPB (snap length of interface 0, no timestamp);
 *   - obsolete packet blocks, statistics, name resolution, custom and unknown blocks are skipped and
 *     counted; an unknown block larger than the buffer is skipped without being buffered.
 *
 * Recoverable problems inside a well-framed block (a packet naming an interface that does not exist, a
 * captured length overrunning its block, an option overrunning its block) skip that block or option and
 * bump a named counter. Framing problems (a block length that is not a multiple of 4 or below 12, a
 * trailer that does not repeat the length, a block or packet above the configured maximum, a section of
 * an unknown version, input that ends inside a block) are a `CaptureError`.
 *
 * Guarantees, whatever the input: no exception, termination (every loop turn consumes ≥ 4 bytes or
 * returns), and bounded memory: the buffer holds at most one block (≤ maxBlockBytes) plus what the caller
 * pushed ahead, and a section holds at most `maxInterfaces` interfaces.
 */
import {
  BLOCK_MIN_LENGTH,
  BLOCK_TYPE_ENHANCED_PACKET,
  BLOCK_TYPE_INTERFACE_DESCRIPTION,
  BLOCK_TYPE_OBSOLETE_PACKET,
  BLOCK_TYPE_SECTION_HEADER,
  BLOCK_TYPE_SIMPLE_PACKET,
  BYTE_ORDER_MAGIC,
  EPB_DATA_OFFSET,
  EPB_FLAGS,
  EPB_FLAGS_DIRECTION_MASK,
  IF_DESCRIPTION,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
  PCAPNG_VERSION_MAJOR,
  SHB_FIXED_LENGTH,
  TSRESOL_MICROSECONDS,
  TSRESOL_NANOSECONDS,
  pad4,
} from './format.js';
import { TimeParts, isSupportedTsresol, unitsToTime } from './timestamp.js';

export const ReadStatus = { NeedMore: 0, Record: 1, End: 2, Error: 3 } as const;
export type ReadStatus = (typeof ReadStatus)[keyof typeof ReadStatus];

export type CaptureErrorCode =
  /** The first bytes are neither a pcap magic nor a section header block (or the input is empty). */
  | 'not-a-capture'
  /** pcap major version ≠ 2 or pcapng major version ≠ 1. */
  | 'unsupported-version'
  /** The input ended inside a header, record or block. */
  | 'truncated'
  /** A block length below 12 or not a multiple of 4, or an SHB byte-order magic that is neither order. */
  | 'bad-block-length'
  /** A block's trailing length differs from its leading length. */
  | 'length-mismatch'
  /** A block the reader must buffer is larger than maxBlockBytes. */
  | 'block-too-large'
  /** A pcap record larger than maxPacketBytes. */
  | 'packet-too-large'
  /** A section or interface header too short to hold its fixed fields. */
  | 'malformed-block'
  /** More interfaces in one section than maxInterfaces. */
  | 'too-many-interfaces';

/** Why reading stopped: a stable code, the file offset of the offending header, a sentence. */
export class CaptureError {
  constructor(
    readonly code: CaptureErrorCode,
    readonly offset: number,
    readonly message: string,
  ) {}
  toString(): string {
    return `${this.code} at offset ${this.offset}: ${this.message}`;
  }
}

export class CaptureInterface {
  constructor(
    readonly linkType: number,
    /** 0 = no limit. */
    readonly snapLength: number,
    readonly name: string,
    readonly description: string,
    /** if_tsresol byte (6 = µs when absent). */
    readonly tsresol: number,
    /** if_tsoffset: seconds added to every timestamp. */
    readonly tsoffsetSeconds: number,
  ) {}
}

/** One packet, filled in place by `next` (no allocation per packet). */
export class CaptureRecord {
  /** The packet is bytes[offset, offset + capturedLength); valid until the next push or next. */
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  capturedLength = 0;
  originalLength = 0;
  interfaceId = 0;
  linkType = 0;
  /** Seconds since 1970 (if_tsoffset applied) and the nanoseconds within that second. */
  seconds = 0;
  nanoseconds = 0;
  /** False for simple packet blocks, which carry no timestamp (seconds/nanoseconds are then 0). */
  hasTimestamp = false;
  /** epb_flags bits 0–1: 0 unknown, 1 inbound, 2 outbound. */
  direction = 0;
  /** The whole epb_flags word (0 when absent). */
  flags = 0;
  /** File offset of the block or record header. */
  fileOffset = 0;
}

/** What the reader met on the way (cumulative across `reset`). */
export class ReaderCounters {
  /** pcapng blocks (every type) or pcap records framed. */
  blocks = 0;
  records = 0;
  recordBytes = 0;
  sections = 0;
  interfaces = 0;
  /** Blocks skipped because their type carries no packets for us (statistics, names, custom, unknown, obsolete). */
  skippedBlocks = 0;
  /** Obsolete packet blocks (type 2) among the skipped ones. */
  obsoletePacketBlocks = 0;
  /** Packet blocks naming an interface the section does not have. */
  unknownInterface = 0;
  /** Well-framed blocks whose contents overrun them (skipped). */
  malformedBlocks = 0;
  /** Options overrunning their block or with an unusable value (ignored). */
  malformedOptions = 0;
}

export interface CaptureReaderOptions {
  /** Largest pcapng block the reader buffers (default 16 MiB, Wireshark's limit). */
  readonly maxBlockBytes?: number;
  /** Largest pcap record (default 262144, Wireshark's limit). */
  readonly maxPacketBytes?: number;
  /** Interfaces per pcapng section (default 65536). */
  readonly maxInterfaces?: number;
}

export type CaptureFormat = 'unknown' | 'pcap' | 'pcapng';

/** Where the reader is in the input. */
const Phase = { Magic: 0, PcapHeader: 1, PcapRecords: 2, Pcapng: 3 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** Unknown blocks above this size are skipped as they stream past instead of being buffered. */
const STREAM_SKIP_THRESHOLD = 64 * 1024;
const INITIAL_BUFFER = 64 * 1024;
const TWO_32 = 4294967296;

const decoder = new TextDecoder('utf-8');

export class CaptureReader {
  readonly counters = new ReaderCounters();
  readonly maxBlockBytes: number;
  readonly maxPacketBytes: number;
  readonly maxInterfaces: number;
  format: CaptureFormat = 'unknown';
  error: CaptureError | null = null;
  /** Interfaces of the current section (a pcap file has one). */
  interfaces: CaptureInterface[] = [];

  #buf = new Uint8Array(INITIAL_BUFFER);
  #view = new DataView(this.#buf.buffer);
  #start = 0;
  #end = 0;
  /** File offset of #buf[#start]. */
  #pos = 0;
  #ended = false;
  #skip = 0;
  #le = true;
  #phase: Phase = Phase.Magic;
  #pcapResolution = TSRESOL_MICROSECONDS;
  readonly #time = new TimeParts();

  constructor(options: CaptureReaderOptions = {}) {
    this.maxBlockBytes = options.maxBlockBytes ?? 16 * 1024 * 1024;
    this.maxPacketBytes = options.maxPacketBytes ?? 262144;
    this.maxInterfaces = options.maxInterfaces ?? 65536;
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** File offset of the next unread byte. */
  get position(): number {
    return this.#pos;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Appends `length` bytes of `chunk` from `offset` (copied; the caller may reuse `chunk`). */
  push(chunk: Uint8Array, offset = 0, length = chunk.length - offset): void {
    if (this.#ended) throw new RangeError('CaptureReader.push after end()');
    if (offset < 0 || length < 0 || offset + length > chunk.length) throw new RangeError('CaptureReader.push: range outside the chunk');
    if (this.#skip > 0 && this.#start === this.#end) {
      // Skipping a large unknown block: drop its bytes without buffering them.
      const take = Math.min(this.#skip, length);
      this.#skip -= take;
      this.#pos += take;
      offset += take;
      length -= take;
    }
    if (length === 0) return;
    if (this.#buf.length - this.#end < length) {
      const live = this.#end - this.#start;
      if (this.#buf.length - live >= length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(live + length, this.#buf.length * 2));
        grown.set(this.#buf.subarray(this.#start, this.#end), 0);
        this.#buf = grown;
        this.#view = new DataView(grown.buffer);
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk.subarray(offset, offset + length), this.#end);
    this.#end += length;
  }

  /** No more input will come. */
  end(): void {
    this.#ended = true;
  }

  /** Back to the start of a new input (for replay loops); counters keep counting. */
  reset(): void {
    this.#start = this.#end = this.#pos = this.#skip = 0;
    this.#ended = false;
    this.#phase = Phase.Magic;
    this.format = 'unknown';
    this.error = null;
    this.interfaces = [];
    this.#le = true;
    if (this.#buf.length > 4 * INITIAL_BUFFER) {
      this.#buf = new Uint8Array(INITIAL_BUFFER);
      this.#view = new DataView(this.#buf.buffer);
    }
  }

  /** The next packet into `out`; see the module comment for the statuses. */
  next(out: CaptureRecord): ReadStatus {
    for (;;) {
      if (this.error !== null) return ReadStatus.Error;
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, this.#end - this.#start);
        this.#consume(take);
        this.#skip -= take;
        if (this.#skip > 0) return this.#ended ? this.#fail('truncated', this.#pos, 'the input ends inside a skipped block') : ReadStatus.NeedMore;
      }
      const avail = this.#end - this.#start;
      switch (this.#phase) {
        case Phase.Magic: {
          if (avail < 4) {
            if (!this.#ended) return ReadStatus.NeedMore;
            return this.#fail('not-a-capture', 0, avail === 0 ? 'the input is empty' : 'the input is shorter than a magic number');
          }
          const s = this.#start;
          // The SHB type reads the same in both byte orders.
          if (this.#view.getUint32(s, true) === BLOCK_TYPE_SECTION_HEADER) {
            this.format = 'pcapng';
            this.#phase = Phase.Pcapng;
            continue;
          }
          const le = this.#view.getUint32(s, true);
          const be = this.#view.getUint32(s, false);
          if (le === PCAP_MAGIC_MICROSECONDS || le === PCAP_MAGIC_NANOSECONDS) this.#le = true;
          else if (be === PCAP_MAGIC_MICROSECONDS || be === PCAP_MAGIC_NANOSECONDS) this.#le = false;
          else return this.#fail('not-a-capture', 0, 'neither a pcap magic number nor a pcapng section header block');
          this.format = 'pcap';
          this.#phase = Phase.PcapHeader;
          continue;
        }
        case Phase.PcapHeader: {
          if (avail < PCAP_FILE_HEADER_LENGTH) {
            if (!this.#ended) return ReadStatus.NeedMore;
            return this.#fail('truncated', this.#pos, 'the input ends inside the pcap file header');
          }
          const s = this.#start;
          const magic = this.#u32(s);
          const major = this.#u16(s + 4);
          if (major !== PCAP_VERSION_MAJOR) return this.#fail('unsupported-version', this.#pos, `pcap version ${major}.${this.#u16(s + 6)}`);
          this.#pcapResolution = magic === PCAP_MAGIC_NANOSECONDS ? TSRESOL_NANOSECONDS : TSRESOL_MICROSECONDS;
          const snap = this.#u32(s + 16);
          const linkType = this.#u32(s + 20) & 0xffff;
          this.interfaces = [new CaptureInterface(linkType, snap, '', '', this.#pcapResolution, 0)];
          this.counters.interfaces++;
          this.#consume(PCAP_FILE_HEADER_LENGTH);
          this.#phase = Phase.PcapRecords;
          continue;
        }
        case Phase.PcapRecords: {
          if (avail < PCAP_RECORD_HEADER_LENGTH) {
            if (!this.#ended) return ReadStatus.NeedMore;
            return avail === 0 ? ReadStatus.End : this.#fail('truncated', this.#pos, 'the input ends inside a pcap record header');
          }
          const s = this.#start;
          const incl = this.#u32(s + 8);
          if (incl > this.maxPacketBytes) return this.#fail('packet-too-large', this.#pos, `a ${incl}-byte record is larger than the ${this.maxPacketBytes}-byte limit`);
          if (avail < PCAP_RECORD_HEADER_LENGTH + incl) {
            if (!this.#ended) return ReadStatus.NeedMore;
            return this.#fail('truncated', this.#pos, `the input ends inside a ${incl}-byte pcap record`);
          }
          const iface = this.interfaces[0]!;
          let seconds = this.#u32(s);
          let frac = this.#u32(s + 4);
          const perSecond = this.#pcapResolution === TSRESOL_NANOSECONDS ? 1e9 : 1e6;
          if (frac >= perSecond) {
            const carry = Math.floor(frac / perSecond);
            seconds += carry;
            frac -= carry * perSecond;
          }
          out.bytes = this.#buf;
          out.offset = s + PCAP_RECORD_HEADER_LENGTH;
          out.capturedLength = incl;
          out.originalLength = this.#u32(s + 12);
          out.interfaceId = 0;
          out.linkType = iface.linkType;
          out.seconds = seconds;
          out.nanoseconds = perSecond === 1e9 ? frac : frac * 1000;
          out.hasTimestamp = true;
          out.direction = 0;
          out.flags = 0;
          out.fileOffset = this.#pos;
          this.counters.blocks++;
          this.counters.records++;
          this.counters.recordBytes += incl;
          this.#consume(PCAP_RECORD_HEADER_LENGTH + incl);
          return ReadStatus.Record;
        }
        case Phase.Pcapng: {
          const status = this.#pcapngBlock(out, avail);
          if (status < 0) continue;
          return status as ReadStatus;
        }
      }
    }
  }

  /** One pcapng block: a ReadStatus, or -1 when the block was consumed without producing a record. */
  #pcapngBlock(out: CaptureRecord, avail: number): number {
    if (avail < BLOCK_MIN_LENGTH) {
      if (!this.#ended) return ReadStatus.NeedMore;
      return avail === 0 ? ReadStatus.End : this.#fail('truncated', this.#pos, 'the input ends inside a block header');
    }
    const s = this.#start;
    const isShb = this.#view.getUint32(s, true) === BLOCK_TYPE_SECTION_HEADER;
    if (isShb) {
      const bom = this.#view.getUint32(s + 8, true);
      if (bom === BYTE_ORDER_MAGIC) this.#le = true;
      else if (this.#view.getUint32(s + 8, false) === BYTE_ORDER_MAGIC) this.#le = false;
      else return this.#fail('bad-block-length', this.#pos, 'section header block with an invalid byte-order magic');
    }
    const type = this.#u32(s);
    const total = this.#u32(s + 4);
    if (total < BLOCK_MIN_LENGTH || total % 4 !== 0) return this.#fail('bad-block-length', this.#pos, `block of type 0x${type.toString(16)} with length ${total}`);
    const parsed = isShb || type === BLOCK_TYPE_INTERFACE_DESCRIPTION || type === BLOCK_TYPE_ENHANCED_PACKET || type === BLOCK_TYPE_SIMPLE_PACKET;
    if (parsed && total > this.maxBlockBytes) return this.#fail('block-too-large', this.#pos, `a ${total}-byte block is larger than the ${this.maxBlockBytes}-byte limit`);
    if (!parsed && total > avail && total > STREAM_SKIP_THRESHOLD) {
      this.counters.blocks++;
      this.counters.skippedBlocks++;
      if (type === BLOCK_TYPE_OBSOLETE_PACKET) this.counters.obsoletePacketBlocks++;
      this.#skip = total;
      return -1;
    }
    if (avail < total) {
      if (!this.#ended) return ReadStatus.NeedMore;
      return this.#fail('truncated', this.#pos, `the input ends inside a ${total}-byte block`);
    }
    const trailer = this.#u32(s + total - 4);
    if (trailer !== total) return this.#fail('length-mismatch', this.#pos, `block length ${total} but trailing length ${trailer}`);
    this.counters.blocks++;
    let status = -1;
    if (isShb) {
      if (total < SHB_FIXED_LENGTH) return this.#fail('malformed-block', this.#pos, `section header block of ${total} bytes`);
      const major = this.#u16(s + 12);
      if (major !== PCAPNG_VERSION_MAJOR) return this.#fail('unsupported-version', this.#pos, `pcapng version ${major}.${this.#u16(s + 14)}`);
      this.interfaces = [];
      this.counters.sections++;
    } else if (type === BLOCK_TYPE_INTERFACE_DESCRIPTION) {
      if (total < 20) return this.#fail('malformed-block', this.#pos, `interface description block of ${total} bytes`);
      if (this.interfaces.length >= this.maxInterfaces) return this.#fail('too-many-interfaces', this.#pos, `more than ${this.maxInterfaces} interfaces in one section`);
      this.interfaces.push(this.#interface(s, total));
      this.counters.interfaces++;
    } else if (type === BLOCK_TYPE_ENHANCED_PACKET) {
      status = this.#enhancedPacket(out, s, total);
    } else if (type === BLOCK_TYPE_SIMPLE_PACKET) {
      status = this.#simplePacket(out, s, total);
    } else {
      this.counters.skippedBlocks++;
      if (type === BLOCK_TYPE_OBSOLETE_PACKET) this.counters.obsoletePacketBlocks++;
    }
    if (status === ReadStatus.Record) {
      // The record's view stays valid: consuming only moves #start.
      out.fileOffset = this.#pos;
      this.counters.records++;
      this.counters.recordBytes += out.capturedLength;
    }
    this.#consume(total);
    return status;
  }

  #interface(s: number, total: number): CaptureInterface {
    const linkType = this.#u16(s + 8);
    const snap = this.#u32(s + 12);
    let name = '';
    let description = '';
    let tsresol = TSRESOL_MICROSECONDS;
    let tsoffset = 0;
    const end = s + total - 4;
    for (let p = s + 16; p + 4 <= end; ) {
      const code = this.#u16(p);
      const len = this.#u16(p + 2);
      p += 4;
      if (code === 0) break;
      if (p + len > end) {
        this.counters.malformedOptions++;
        break;
      }
      if (code === IF_NAME) name = decoder.decode(this.#buf.subarray(p, p + len));
      else if (code === IF_DESCRIPTION) description = decoder.decode(this.#buf.subarray(p, p + len));
      else if (code === IF_TSRESOL) {
        const v = len >= 1 ? this.#buf[p]! : -1;
        if (v >= 0 && isSupportedTsresol(v)) tsresol = v;
        else this.counters.malformedOptions++;
      } else if (code === IF_TSOFFSET) {
        if (len === 8) {
          const lo = this.#le ? this.#u32(p) : this.#u32(p + 4);
          const hi = this.#le ? this.#view.getInt32(p + 4, true) : this.#view.getInt32(p, false);
          tsoffset = hi * TWO_32 + lo;
        } else {
          this.counters.malformedOptions++;
        }
      }
      p += pad4(len);
    }
    return new CaptureInterface(linkType, snap, name, description, tsresol, tsoffset);
  }

  #enhancedPacket(out: CaptureRecord, s: number, total: number): number {
    if (total < 32) {
      this.counters.malformedBlocks++;
      return -1;
    }
    const ifId = this.#u32(s + 8);
    const iface = this.interfaces[ifId];
    if (iface === undefined) {
      this.counters.unknownInterface++;
      return -1;
    }
    const cap = this.#u32(s + 20);
    const end = s + total - 4;
    if (EPB_DATA_OFFSET + cap > total - 4) {
      this.counters.malformedBlocks++;
      return -1;
    }
    let flags = 0;
    for (let p = s + EPB_DATA_OFFSET + pad4(cap); p + 4 <= end; ) {
      const code = this.#u16(p);
      const len = this.#u16(p + 2);
      p += 4;
      if (code === 0) break;
      if (p + len > end) {
        this.counters.malformedOptions++;
        break;
      }
      if (code === EPB_FLAGS) {
        if (len === 4) flags = this.#u32(p);
        else this.counters.malformedOptions++;
      }
      p += pad4(len);
    }
    unitsToTime(this.#u32(s + 12), this.#u32(s + 16), iface.tsresol, iface.tsoffsetSeconds, this.#time);
    out.bytes = this.#buf;
    out.offset = s + EPB_DATA_OFFSET;
    out.capturedLength = cap;
    out.originalLength = this.#u32(s + 24);
    out.interfaceId = ifId;
    out.linkType = iface.linkType;
    out.seconds = this.#time.seconds;
    out.nanoseconds = this.#time.nanoseconds;
    out.hasTimestamp = true;
    out.direction = flags & EPB_FLAGS_DIRECTION_MASK;
    out.flags = flags;
    return ReadStatus.Record;
  }

  #simplePacket(out: CaptureRecord, s: number, total: number): number {
    const iface = this.interfaces[0];
    if (iface === undefined) {
      this.counters.unknownInterface++;
      return -1;
    }
    if (total < 16) {
      this.counters.malformedBlocks++;
      return -1;
    }
    const original = this.#u32(s + 8);
    let cap = Math.min(original, total - 16);
    if (iface.snapLength > 0) cap = Math.min(cap, iface.snapLength);
    out.bytes = this.#buf;
    out.offset = s + 12;
    out.capturedLength = cap;
    out.originalLength = original;
    out.interfaceId = 0;
    out.linkType = iface.linkType;
    out.seconds = 0;
    out.nanoseconds = 0;
    out.hasTimestamp = false;
    out.direction = 0;
    out.flags = 0;
    return ReadStatus.Record;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#pos += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  #u32(o: number): number {
    return this.#view.getUint32(o, this.#le);
  }

  #u16(o: number): number {
    return this.#view.getUint16(o, this.#le);
  }

  #fail(code: CaptureErrorCode, offset: number, message: string): ReadStatus {
    this.error = new CaptureError(code, offset, message);
    return ReadStatus.Error;
  }
}

// ------------------------------------------------------------------------------------------------
// Whole-buffer convenience (control path, tests)

/** A packet copied out of a capture. */
export interface CapturedFrame {
  readonly interfaceId: number;
  readonly linkType: number;
  readonly seconds: number;
  readonly nanoseconds: number;
  readonly hasTimestamp: boolean;
  readonly direction: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export interface CaptureContents {
  readonly format: CaptureFormat;
  readonly frames: CapturedFrame[];
  /** Interfaces of the last section. */
  readonly interfaces: readonly CaptureInterface[];
  readonly error: CaptureError | null;
  readonly counters: ReaderCounters;
}

/** Reads a whole capture held in memory, pushing it in `chunkSize` pieces (default: at once). */
export function readCapture(bytes: Uint8Array, options: CaptureReaderOptions & { chunkSize?: number } = {}): CaptureContents {
  const r = new CaptureReader(options);
  const rec = new CaptureRecord();
  const frames: CapturedFrame[] = [];
  const chunk = Math.max(1, options.chunkSize ?? bytes.length);
  let fed = 0;
  for (;;) {
    const st = r.next(rec);
    if (st === ReadStatus.Record) {
      frames.push({
        interfaceId: rec.interfaceId,
        linkType: rec.linkType,
        seconds: rec.seconds,
        nanoseconds: rec.nanoseconds,
        hasTimestamp: rec.hasTimestamp,
        direction: rec.direction,
        originalLength: rec.originalLength,
        data: rec.bytes.slice(rec.offset, rec.offset + rec.capturedLength),
      });
    } else if (st === ReadStatus.NeedMore) {
      if (fed >= bytes.length) r.end();
      else {
        const n = Math.min(chunk, bytes.length - fed);
        r.push(bytes, fed, n);
        fed += n;
      }
    } else {
      break;
    }
  }
  return { format: r.format, frames, interfaces: r.interfaces, error: r.error, counters: r.counters };
}
