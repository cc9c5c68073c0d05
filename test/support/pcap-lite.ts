/**
 * Just enough of classic pcap (what tcpdump 4.99 writes) for interop tests to compare frames: the
 * global header in either byte order, then records. Not the product's codec (src/io/pcapng is).
 */
import { readFileSync } from 'node:fs';

export function readPcapFrames(file: string): Uint8Array[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file} is not a classic pcap file`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const frames: Uint8Array[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const incl = u32(o + 8);
    if (o + 16 + incl > b.length) break;
    frames.push(new Uint8Array(b.subarray(o + 16, o + 16 + incl)));
    o += 16 + incl;
  }
  return frames;
}
