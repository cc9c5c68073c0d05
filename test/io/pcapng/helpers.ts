/** Helpers for the pcap/pcapng codec tests: hex vectors, frames, whole captures built from frames. */
import {
  LINKTYPE_ETHERNET,
  TSRESOL_NANOSECONDS,
  concatBytes,
  enhancedPacketBlock,
  interfaceDescriptionBlock,
  pcapFileHeader,
  pcapRecord,
  sectionHeaderBlock,
  type Direction,
} from '../../../src/io/pcapng/index.js';

/** Bytes from hex strings; spaces are ignored, so fields can be grouped as in the comments. */
export function bytes(...parts: string[]): Uint8Array {
  const h = parts.join('').replace(/\s+/g, '');
  if (h.length % 2 !== 0 || /[^0-9a-f]/i.test(h)) throw new Error(`bad hex vector: ${h}`);
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A frame as the round-trip properties generate it. */
export interface TestFrame {
  interfaceId: number;
  seconds: number;
  nanoseconds: number;
  direction: Direction;
  data: Uint8Array;
}

/** A pcapng file: one section, `interfaces` Ethernet interfaces with nanosecond timestamps, then the frames. */
export function pcapngOf(frames: readonly TestFrame[], o: { interfaces?: number; bigEndian?: boolean; tsresol?: number } = {}): Uint8Array {
  const bigEndian = o.bigEndian === true;
  const tsresol = o.tsresol ?? TSRESOL_NANOSECONDS;
  const parts = [sectionHeaderBlock({ userApplication: 'tsndis-test', bigEndian })];
  for (let i = 0; i < (o.interfaces ?? 1); i++) parts.push(interfaceDescriptionBlock({ linkType: LINKTYPE_ETHERNET, snapLength: 0, name: `if${i}`, tsresol, bigEndian }));
  for (const f of frames) parts.push(enhancedPacketBlock({ ...f, tsresol, bigEndian }));
  return concatBytes(parts);
}

/** A classic pcap file of `frames` (interface and direction are not representable there). */
export function pcapOf(frames: readonly TestFrame[], o: { nanoseconds?: boolean; bigEndian?: boolean } = {}): Uint8Array {
  const parts = [pcapFileHeader({ linkType: LINKTYPE_ETHERNET, snapLength: 262144, nanoseconds: o.nanoseconds === true, bigEndian: o.bigEndian === true })];
  for (const f of frames) parts.push(pcapRecord({ seconds: f.seconds, nanoseconds: f.nanoseconds, data: f.data, nanosecondFile: o.nanoseconds === true, bigEndian: o.bigEndian === true }));
  return concatBytes(parts);
}

/** A 60-byte Ethernet frame whose payload encodes `seed`. */
export function ethFrame(seed: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);
  for (let i = 14; i < length; i++) f[i] = (seed + i) & 0xff;
  return f;
}
