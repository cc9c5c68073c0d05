/** MAC addresses drivers make up for themselves. */

/** A stable, locally administered MAC derived from a name (e.g. wire + adapter) (FNV-1a). */
export function stableMac(seed: string): Uint8Array {
  let h = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ seed.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return Uint8Array.of(0x02, h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, h2 & 0xff);
}
