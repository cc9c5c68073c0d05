/**
 * Constants of the two capture file formats tsndis reads and writes, named after the specifications
 * (draft-ietf-opsawg-pcap for classic pcap, draft-ietf-opsawg-pcapng for pcapng) so they can be grepped.
 *
 * Classic pcap: a 24-byte file header, then records of a 16-byte header and the packet bytes; the magic
 * number's byte order is the file's byte order, and its value says micro- or nanosecond timestamps.
 *
 * pcapng: a sequence of blocks, each `type(4) totalLength(4) body… totalLength(4)`, 32-bit aligned.
 * A section header block (SHB) starts each section and fixes its byte order; interface description
 * blocks (IDB) number the interfaces of the section from 0; packet blocks name their interface by that
 * number. Options are `code(2) length(2) value… padding to 4`, ended by opt_endofopt.
 */

// ------------------------------------------------------------------------------------------------
// Classic pcap

/** Magic (as read in the file's byte order) of a pcap file with microsecond timestamps. */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
/** Magic of a pcap file with nanosecond timestamps. */
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

// ------------------------------------------------------------------------------------------------
// pcapng blocks

export const BLOCK_TYPE_SECTION_HEADER = 0x0a0d0d0a;
export const BLOCK_TYPE_INTERFACE_DESCRIPTION = 0x00000001;
/** Obsolete Packet Block (replaced by the EPB): skipped on reading, never written. */
export const BLOCK_TYPE_OBSOLETE_PACKET = 0x00000002;
export const BLOCK_TYPE_SIMPLE_PACKET = 0x00000003;
export const BLOCK_TYPE_NAME_RESOLUTION = 0x00000004;
export const BLOCK_TYPE_INTERFACE_STATISTICS = 0x00000005;
export const BLOCK_TYPE_ENHANCED_PACKET = 0x00000006;

/** The SHB's byte-order magic, as written in the section's byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_VERSION_MAJOR = 1;
export const PCAPNG_VERSION_MINOR = 0;

/** Smallest block: type, total length, trailing total length. */
export const BLOCK_MIN_LENGTH = 12;
/** SHB without options: type, length, byte-order magic, versions, 64-bit section length, trailer. */
export const SHB_FIXED_LENGTH = 28;
/** IDB without options: type, length, link type, reserved, snap length, trailer. */
export const IDB_FIXED_LENGTH = 20;
/** EPB without data or options: type, length, interface, timestamp (2 × 32), captured, original, trailer. */
export const EPB_FIXED_LENGTH = 32;
/** Offset of the packet data in an EPB. */
export const EPB_DATA_OFFSET = 28;
/** SPB without data: type, length, original length, trailer. */
export const SPB_FIXED_LENGTH = 16;

// ------------------------------------------------------------------------------------------------
// pcapng options

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_TSOFFSET = 14;
export const EPB_FLAGS = 2;

/** epb_flags bits 0–1: direction. */
export const EPB_FLAGS_DIRECTION_MASK = 0x3;
export const DIRECTION_UNKNOWN = 0;
export const DIRECTION_INBOUND = 1;
export const DIRECTION_OUTBOUND = 2;
export type Direction = typeof DIRECTION_UNKNOWN | typeof DIRECTION_INBOUND | typeof DIRECTION_OUTBOUND;

/** if_tsresol values: bit 7 clear = 10^-n seconds, set = 2^-n seconds. Absent means microseconds. */
export const TSRESOL_MICROSECONDS = 6;
export const TSRESOL_NANOSECONDS = 9;
export const TSRESOL_BINARY_FLAG = 0x80;

// ------------------------------------------------------------------------------------------------
// Link types (LINKTYPE_* values of the tcpdump.org registry)

export const LINKTYPE_ETHERNET = 1;

/** Length of `n` rounded up to a multiple of 4 (pcapng's 32-bit alignment). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}
