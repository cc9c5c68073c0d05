/** Small helpers shared by the engine's modules. */
import type { IpFamily, TcpFlow } from './host.js';

export const EMPTY_BYTES = new Uint8Array(0);

export function addressLength(family: IpFamily): number {
  return family === 4 ? 4 : 16;
}

export function sameAddress(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isZeroAddress(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

/** A flow the engine owns (addresses copied: the host's may be reused after the call). */
export function ownFlow(family: IpFamily, localAddress: Uint8Array, localPort: number, remoteAddress: Uint8Array, remotePort: number): TcpFlow {
  const n = addressLength(family);
  return Object.freeze({
    family,
    localAddress: localAddress.slice(0, n),
    localPort,
    remoteAddress: remoteAddress.slice(0, n),
    remotePort,
  });
}

export function formatAddress(family: IpFamily, a: Uint8Array): string {
  if (family === 4) return `${String(a[0])}.${String(a[1])}.${String(a[2])}.${String(a[3])}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push((((a[i] ?? 0) << 8) | (a[i + 1] ?? 0)).toString(16));
  return `[${parts.join(':')}]`;
}
