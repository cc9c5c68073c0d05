/**
 * Socket addresses as user code writes them (Node style: an IP literal and a port) and as the engines
 * take them (family + address bytes). Conversions happen once per bind/connect, never per packet.
 */
import { isIP } from 'node:net';
import { formatIpv4, formatIpv6, ipv6, parseIpv4Address } from '../../../../wire/index.js';
import type { IpFamily } from '../tcp/host.js';

export interface SocketAddress {
  /** An IPv4 or IPv6 literal; '' or absent means any address (listen) or let the stack choose (connect). */
  readonly address?: string;
  readonly port: number;
}

export interface Endpoint {
  readonly family: IpFamily;
  readonly address: Uint8Array;
  readonly port: number;
}

/** Node's spelling of a family, as `socket.remoteFamily` reports it. */
export type NodeFamily = 'IPv4' | 'IPv6';

export class SocketAddressError extends Error {
  readonly code = 'EINVAL';
  constructor(message: string) {
    super(message);
    this.name = 'SocketAddressError';
  }
}

/** The bytes of an IP literal (4 or 16), or throws SocketAddressError. */
export function parseIpAddress(text: string): { family: IpFamily; address: Uint8Array } {
  const kind = isIP(text);
  if (kind === 4) {
    const v = parseIpv4Address(text);
    return { family: 4, address: Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff) };
  }
  if (kind === 6) return { family: 6, address: ipv6(text.replace(/%.*$/, '')) };
  throw new SocketAddressError(`'${text}' is not an IPv4 or IPv6 address`);
}

export function checkPort(port: number, allowZero: boolean): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) throw new SocketAddressError(`port ${String(port)} is out of range`);
}

/** The unspecified address of a family ('0.0.0.0' / '::'). */
export function anyAddress(family: IpFamily): Uint8Array {
  return new Uint8Array(family === 4 ? 4 : 16);
}

/** An endpoint for `address` (a literal, or empty for the family's unspecified address). */
export function toEndpoint(address: string | undefined, port: number, family: IpFamily = 4): Endpoint {
  if (address === undefined || address === '') return { family, address: anyAddress(family), port };
  const a = parseIpAddress(address);
  return { family: a.family, address: a.address, port };
}

export function formatAddress(family: IpFamily, address: Uint8Array): string {
  if (family === 4) return formatIpv4(((address[0]! << 24) | (address[1]! << 16) | (address[2]! << 8) | address[3]!) >>> 0);
  return formatIpv6(address);
}

export function nodeFamily(family: IpFamily): NodeFamily {
  return family === 4 ? 'IPv4' : 'IPv6';
}
