/**
 * The small objects packets travel with, all reused (never allocated per packet):
 * - `Datagram`: what the IP layer tells a transport about a received datagram (addresses, payload
 *   window, the original header for quoting in ICMP errors, the adapter's checksum verdicts);
 * - `RouteResult`: the answer of a route lookup (interface, next hop, source, path MTU);
 * - `TxBuffer`: room for one outgoing transport message with its route, handed out per NBL slot of a
 *   binding's send pool (it is also the `TcpOutputBuffer` the TCP engine writes into), per loopback
 *   slot, or as the stack's one scratch buffer for datagrams that need fragmenting.
 */
import type { NetBufferList } from '../../../ndis/index.js';
import type { IpFamily } from './addr.js';
import type { IpInterface } from './interface.js';
import type { TcpOutputBuffer } from './tcp/host.js';

/** How a destination maps to the link. */
export const Cast = { Unicast: 0, Broadcast: 1, Multicast: 2 } as const;
export type Cast = (typeof Cast)[keyof typeof Cast];

/** Receive-side checksum verdicts, from NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO (or loopback). */
export const RxChecksum = {
  IpOk: 1,
  IpFailed: 2,
  TcpOk: 4,
  TcpFailed: 8,
  UdpOk: 16,
  UdpFailed: 32,
} as const;
/** Loopback traffic was checksummed by us a moment ago: nothing to verify. */
export const RX_CHECKSUM_ALL_OK = RxChecksum.IpOk | RxChecksum.TcpOk | RxChecksum.UdpOk;

export class Datagram {
  family: IpFamily = 4;
  iface: IpInterface | null = null;
  src4 = 0;
  dst4 = 0;
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  protocol = 0;
  /** Upper-layer bytes: `bytes[offset, offset + length)`. */
  bytes: Uint8Array = EMPTY;
  offset = 0;
  length = 0;
  /** The IP header as received (for ICMP errors): `hdrBytes[hdrOffset, +hdrLength)`; payload follows it unless reassembled. */
  hdrBytes: Uint8Array = EMPTY;
  hdrOffset = 0;
  hdrLength = 0;
  cast: Cast = Cast.Unicast;
  hopLimit = 0;
  /** RxChecksum bits. */
  checksum = 0;
  /** Segments the adapter coalesced into this one (RSC), ≥ 1. */
  segments = 1;
}

const EMPTY = new Uint8Array(0);

export class RouteResult {
  iface: IpInterface | null = null;
  /** Deliver locally (own address, 127/8, ::1) through the loopback interface. */
  local = false;
  cast: Cast = Cast.Unicast;
  nextHop4 = 0;
  readonly nextHop6 = new Uint8Array(16);
  src4 = 0;
  readonly src6 = new Uint8Array(16);
  /** Path MTU (IP packet bytes). */
  mtu = 0;
}

export const TxKind = {
  /** An NBL of the binding's regular send pool. */
  Pool: 0,
  /** An NBL of the binding's LSO pool (TCP, up to 64 KB of payload). */
  Large: 1,
  /** The stack's scratch buffer: a datagram larger than the MTU, fragmented at send. */
  Scratch: 2,
  /** A loopback slot: delivered to ourselves. */
  Loopback: 3,
} as const;
export type TxKind = (typeof TxKind)[keyof typeof TxKind];

export class TxBuffer implements TcpOutputBuffer {
  bytes: Uint8Array;
  offset: number;
  capacity: number;
  inUse = false;
  /** For Pool/Large: the NBL; the slot's frame is built around `offset`. */
  nbl: NetBufferList | null = null;
  // Route, filled when handed out.
  family: IpFamily = 4;
  protocol = 0;
  iface: IpInterface | null = null;
  cast: Cast = Cast.Unicast;
  src4 = 0;
  dst4 = 0;
  nextHop4 = 0;
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  readonly nextHop6 = new Uint8Array(16);
  mtu = 0;
  hopLimit = 64;
  dontFragment = false;
  /** Loopback: length of the IP packet queued for delivery. */
  packetLength = 0;
  /** Loopback: where the IP header starts. */
  packetStart = 0;

  constructor(
    readonly kind: TxKind,
    bytes: Uint8Array,
    offset: number,
    capacity: number,
  ) {
    this.bytes = bytes;
    this.offset = offset;
    this.capacity = capacity;
  }
}
