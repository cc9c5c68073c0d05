/**
 * pcapng (and classic pcap) block builders.
 *
 * Two kinds:
 *   - Control-path builders return a fresh Uint8Array per block (section and interface headers, and
 *     test fixtures): `sectionHeaderBlock`, `interfaceDescriptionBlock`, `enhancedPacketBlock`,
 *     `simplePacketBlock`, `pcapFileHeader`, `pcapRecord`. They can write either byte order.
 *   - Data-path encoders write into a caller's buffer and allocate nothing:
 *     `writeEnhancedPacketHeader` + (caller copies the frame) + `finishEnhancedPacketBlock`. Little-endian.
 *
 * Every block ends with its total length repeated; options are padded to 32 bits and closed with
 * opt_endofopt. Strings are UTF-8 without a terminating NUL.
 *
 * Enhanced packet block as written here (offsets in bytes, little-endian):
 *
 *    0  block type 6            4  block total length       8  interface id
 *   12  timestamp (high)       16  timestamp (low)         20  captured length
 *   24  original length        28  packet data, zero-padded to 4
 *    …  epb_flags option (code 2, length 4, value) when direction ≠ unknown
 *    …  opt_endofopt (0, 0)     …  block total length
 */
import {
  BLOCK_TYPE_ENHANCED_PACKET,
  BLOCK_TYPE_INTERFACE_DESCRIPTION,
  BLOCK_TYPE_SECTION_HEADER,
  BLOCK_TYPE_SIMPLE_PACKET,
  BYTE_ORDER_MAGIC,
  EPB_DATA_OFFSET,
  EPB_FIXED_LENGTH,
  EPB_FLAGS,
  IF_DESCRIPTION,
  IF_NAME,
  IF_TSRESOL,
  OPT_COMMENT,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR,
  SHB_HARDWARE,
  SHB_OS,
  SHB_USERAPPL,
  TSRESOL_MICROSECONDS,
  pad4,
  type Direction,
} from './format.js';
import { TimestampHalves, timeToUnits } from './timestamp.js';

// ------------------------------------------------------------------------------------------------
// Data path (little-endian, no allocation)

export function putU32LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** Size of the EPB `writeEnhancedPacketHeader`/`finishEnhancedPacketBlock` produce for `capturedLength` bytes. */
export function enhancedPacketBlockLength(capturedLength: number, direction: number): number {
  return EPB_FIXED_LENGTH + pad4(capturedLength) + (direction !== 0 ? 8 : 0) + 4;
}

/** Writes the EPB fields before the packet data; the data goes at `o + EPB_DATA_OFFSET`. */
export function writeEnhancedPacketHeader(
  b: Uint8Array,
  o: number,
  interfaceId: number,
  timestampHigh: number,
  timestampLow: number,
  capturedLength: number,
  originalLength: number,
): void {
  putU32LE(b, o, BLOCK_TYPE_ENHANCED_PACKET);
  // o + 4: total length, written by finishEnhancedPacketBlock
  putU32LE(b, o + 8, interfaceId);
  putU32LE(b, o + 12, timestampHigh);
  putU32LE(b, o + 16, timestampLow);
  putU32LE(b, o + 20, capturedLength);
  putU32LE(b, o + 24, originalLength);
}

/**
 * Pads the data already copied to `o + EPB_DATA_OFFSET`, writes the options (epb_flags with the
 * direction when it is known, then opt_endofopt) and both total lengths. Returns the block's length.
 */
export function finishEnhancedPacketBlock(b: Uint8Array, o: number, capturedLength: number, direction: number): number {
  let p = o + EPB_DATA_OFFSET + capturedLength;
  const end = o + EPB_DATA_OFFSET + pad4(capturedLength);
  while (p < end) b[p++] = 0;
  if (direction !== 0) {
    putU32LE(b, p, EPB_FLAGS | (4 << 16)); // code 2, length 4 (little-endian u16 pair)
    putU32LE(b, p + 4, direction);
    p += 8;
  }
  putU32LE(b, p, 0); // opt_endofopt
  p += 4;
  const total = p + 4 - o;
  putU32LE(b, p, total);
  putU32LE(b, o + 4, total);
  return total;
}

// ------------------------------------------------------------------------------------------------
// Control path

export interface BlockOption {
  readonly code: number;
  readonly value: Uint8Array;
}

export interface ByteOrderOption {
  /** Write big-endian (the reader accepts both; tsndis itself writes little-endian). */
  readonly bigEndian?: boolean;
}

class BlockBuilder {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly #le: boolean;
  #p = 0;
  constructor(length: number, bigEndian: boolean) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
    this.#le = !bigEndian;
  }
  u16(v: number): this {
    this.#view.setUint16(this.#p, v, this.#le);
    this.#p += 2;
    return this;
  }
  u32(v: number): this {
    this.#view.setUint32(this.#p, v >>> 0, this.#le);
    this.#p += 4;
    return this;
  }
  raw(v: Uint8Array): this {
    this.bytes.set(v, this.#p);
    this.#p += pad4(v.length);
    return this;
  }
  options(list: readonly BlockOption[]): this {
    if (list.length === 0) return this;
    for (const opt of list) this.u16(opt.code).u16(opt.value.length).raw(opt.value);
    return this.u32(0); // opt_endofopt
  }
  get position(): number {
    return this.#p;
  }
}

function optionsLength(list: readonly BlockOption[]): number {
  if (list.length === 0) return 0;
  let n = 4;
  for (const o of list) n += 4 + pad4(o.value.length);
  return n;
}

const utf8 = new TextEncoder();

export function stringOption(code: number, text: string): BlockOption {
  return { code, value: utf8.encode(text) };
}

function u32Option(code: number, v: number, bigEndian: boolean): BlockOption {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, v >>> 0, !bigEndian);
  return { code, value };
}

export interface SectionHeaderOptions extends ByteOrderOption {
  readonly userApplication?: string;
  readonly hardware?: string;
  readonly os?: string;
  readonly comment?: string;
}

/** A section header block (version 1.0, section length unknown = -1). */
export function sectionHeaderBlock(o: SectionHeaderOptions = {}): Uint8Array {
  const opts: BlockOption[] = [];
  if (o.comment !== undefined) opts.push(stringOption(OPT_COMMENT, o.comment));
  if (o.hardware !== undefined) opts.push(stringOption(SHB_HARDWARE, o.hardware));
  if (o.os !== undefined) opts.push(stringOption(SHB_OS, o.os));
  if (o.userApplication !== undefined) opts.push(stringOption(SHB_USERAPPL, o.userApplication));
  const total = 28 + optionsLength(opts);
  const b = new BlockBuilder(total, o.bigEndian === true);
  b.u32(BLOCK_TYPE_SECTION_HEADER).u32(total).u32(BYTE_ORDER_MAGIC).u16(PCAPNG_VERSION_MAJOR).u16(PCAPNG_VERSION_MINOR);
  b.u32(0xffffffff).u32(0xffffffff); // section length: not specified
  b.options(opts).u32(total);
  return b.bytes;
}

export interface InterfaceDescriptionOptions extends ByteOrderOption {
  readonly linkType: number;
  /** 0 = no limit. */
  readonly snapLength: number;
  readonly name?: string;
  readonly description?: string;
  /** if_tsresol byte; omitted (= microseconds) when undefined. */
  readonly tsresol?: number;
}

export function interfaceDescriptionBlock(o: InterfaceDescriptionOptions): Uint8Array {
  const opts: BlockOption[] = [];
  if (o.name !== undefined) opts.push(stringOption(IF_NAME, o.name));
  if (o.description !== undefined) opts.push(stringOption(IF_DESCRIPTION, o.description));
  if (o.tsresol !== undefined) opts.push({ code: IF_TSRESOL, value: Uint8Array.of(o.tsresol) });
  const total = 20 + optionsLength(opts);
  const b = new BlockBuilder(total, o.bigEndian === true);
  b.u32(BLOCK_TYPE_INTERFACE_DESCRIPTION).u32(total).u16(o.linkType).u16(0).u32(o.snapLength);
  b.options(opts).u32(total);
  return b.bytes;
}

export interface EnhancedPacketOptions extends ByteOrderOption {
  readonly interfaceId: number;
  readonly seconds: number;
  readonly nanoseconds: number;
  /** Decimal if_tsresol of the interface (0…9); default 6 (microseconds). */
  readonly tsresol?: number;
  readonly data: Uint8Array;
  /** Default: data.length. */
  readonly originalLength?: number;
  readonly direction?: Direction;
  readonly comment?: string;
}

export function enhancedPacketBlock(o: EnhancedPacketOptions): Uint8Array {
  const be = o.bigEndian === true;
  const opts: BlockOption[] = [];
  if (o.comment !== undefined) opts.push(stringOption(OPT_COMMENT, o.comment));
  if (o.direction !== undefined && o.direction !== 0) opts.push(u32Option(EPB_FLAGS, o.direction, be));
  const total = EPB_FIXED_LENGTH + pad4(o.data.length) + optionsLength(opts);
  const ts = new TimestampHalves();
  timeToUnits(o.seconds, o.nanoseconds, o.tsresol ?? TSRESOL_MICROSECONDS, ts);
  const b = new BlockBuilder(total, be);
  b.u32(BLOCK_TYPE_ENHANCED_PACKET).u32(total).u32(o.interfaceId).u32(ts.high).u32(ts.low);
  b.u32(o.data.length).u32(o.originalLength ?? o.data.length).raw(o.data);
  b.options(opts).u32(total);
  return b.bytes;
}

export function simplePacketBlock(data: Uint8Array, originalLength = data.length, order: ByteOrderOption = {}): Uint8Array {
  const total = 16 + pad4(data.length);
  const b = new BlockBuilder(total, order.bigEndian === true);
  b.u32(BLOCK_TYPE_SIMPLE_PACKET).u32(total).u32(originalLength).raw(data).u32(total);
  return b.bytes;
}

/** Any block: `type`, body (padded), trailer — for unknown/custom blocks in tests. */
export function genericBlock(type: number, body: Uint8Array, order: ByteOrderOption = {}): Uint8Array {
  const total = 12 + pad4(body.length);
  const b = new BlockBuilder(total, order.bigEndian === true);
  b.u32(type).u32(total).raw(body).u32(total);
  return b.bytes;
}

export interface PcapHeaderOptions extends ByteOrderOption {
  readonly linkType: number;
  readonly snapLength: number;
  readonly nanoseconds?: boolean;
}

/** The 24-byte classic pcap file header. */
export function pcapFileHeader(o: PcapHeaderOptions): Uint8Array {
  const b = new BlockBuilder(24, o.bigEndian === true);
  b.u32(o.nanoseconds === true ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS).u16(PCAP_VERSION_MAJOR).u16(PCAP_VERSION_MINOR);
  b.u32(0).u32(0).u32(o.snapLength).u32(o.linkType);
  return b.bytes;
}

export interface PcapRecordOptions extends ByteOrderOption {
  readonly seconds: number;
  readonly nanoseconds: number;
  /** The file's resolution (its magic); default microseconds. */
  readonly nanosecondFile?: boolean;
  readonly data: Uint8Array;
  readonly originalLength?: number;
}

/** One classic pcap record: 16-byte header then the data (no padding in classic pcap). */
export function pcapRecord(o: PcapRecordOptions): Uint8Array {
  const bytes = new Uint8Array(16 + o.data.length);
  const v = new DataView(bytes.buffer);
  const le = o.bigEndian !== true;
  v.setUint32(0, o.seconds >>> 0, le);
  v.setUint32(4, o.nanosecondFile === true ? o.nanoseconds : Math.floor(o.nanoseconds / 1000), le);
  v.setUint32(8, o.data.length, le);
  v.setUint32(12, o.originalLength ?? o.data.length, le);
  bytes.set(o.data, 16);
  return bytes;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
