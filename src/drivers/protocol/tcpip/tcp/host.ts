/**
 * The contract between the TCP engine (this folder) and the IP layer that hosts it (the tcpip protocol
 * driver). The engine imports nothing from the IP layer or NDIS: everything it needs from the outside
 * world comes through `TcpHost`, so it can be tested on its own with a simulated link and fake time.
 *
 * Ownership and lifetimes:
 * - Receive: the IP layer calls `TcpLayer.input(flow, bytes, offset, length, segments)` synchronously
 *   from its receive path. `flow` and `bytes` are only valid during the call (the bytes are NBL memory
 *   the IP layer returns to NDIS afterwards): the engine copies what it keeps.
 * - Send: the engine asks `allocate` for room, writes the TCP header (checksum field zero) and payload at
 *   `buffer.offset`, then hands it to `transmit`, which owns it from then on (it fills in the checksum
 *   or asks the adapter to, adds IP and link headers, resolves the neighbour, segments if needed).
 *   A buffer that will not be sent goes back with `release`.
 */

export type IpFamily = 4 | 6;

/** A connection's addresses: IPv4 addresses are 4 bytes, IPv6 addresses 16. */
export interface TcpFlow {
  readonly family: IpFamily;
  readonly localAddress: Uint8Array;
  readonly localPort: number;
  readonly remoteAddress: Uint8Array;
  readonly remotePort: number;
}

/** What the IP layer knows about the path to a remote address. */
export interface TcpRoute {
  /** Path MTU in bytes of IP packet (IP header included). */
  readonly mtu: number;
  /** IP header bytes the host puts in front of each segment (20 for IPv4, 40 for IPv6). */
  readonly ipHeaderLength: number;
  /**
   * Largest TCP payload `transmit` accepts in one buffer and segments itself (LSO in NDIS terms), or 0:
   * then each buffer carries at most one MSS of payload.
   */
  readonly lsoMaxPayload: number;
  /** LSO: the large send must split into at least this many segments (NDIS MinSegmentCount). */
  readonly lsoMinSegments: number;
  /** Bumped by the host when anything above changes (path MTU learned, offloads switched); re-read then. */
  readonly generation: number;
}

/** Room for one outgoing segment, handed out by `allocate`. */
export interface TcpOutputBuffer {
  /** Write the TCP header at `bytes[offset]`, the payload right after it. */
  readonly bytes: Uint8Array;
  readonly offset: number;
  /** Bytes available from `offset` (at least what was asked for). */
  readonly capacity: number;
}

/** A one-shot timer owned by the engine (an NDIS timer object underneath). */
export interface TcpTimer {
  /** (Re)arms the timer to fire once after `delayMs`. */
  set(delayMs: number): void;
  cancel(): void;
  /** Gives the timer back; it never fires again. */
  free(): void;
}

export interface TcpHost {
  /** Milliseconds on a monotonic time line (the runtime's scheduler: tests drive it with fake time). */
  now(): number;
  createTimer(callback: () => void): TcpTimer;
  /** A uniformly random 32-bit unsigned integer (ports, ISN secret seeding is the engine's own job). */
  random32(): number;
  /** The source address to use towards `remote`, or null when there is no route. */
  sourceAddress(family: IpFamily, remote: Uint8Array): Uint8Array | null;
  /** The route for `flow`, or null when there is none. */
  route(flow: TcpFlow): TcpRoute | null;
  /** Room for a segment of `length` bytes (TCP header + payload) towards `flow`; null when out of buffers. */
  allocate(flow: TcpFlow, length: number): TcpOutputBuffer | null;
  /**
   * Sends `length` bytes written in `buffer`: a TCP header of `tcpHeaderLength` bytes (checksum field 0)
   * and payload. With `mss` > 0 and more payload than `mss`, the host sends it as segments of `mss`
   * payload bytes each (LSOv2 semantics: sequence numbers advance, FIN/PSH only on the last, the same
   * options on each).
   */
  transmit(flow: TcpFlow, buffer: TcpOutputBuffer, length: number, tcpHeaderLength: number, mss: number): void;
  /** Gives back a buffer from `allocate` that will not be sent. */
  release(buffer: TcpOutputBuffer): void;
  /**
   * Optional: `size` bytes of fresh memory, contents undefined, for receive chunks (chunks.ts) — memory
   * the engine hands to readers, who keep it. Node hosts return Buffers (from `allocUnsafe`), so the
   * chunks are Buffers and nothing is zero-filled; without it the engine takes `new Uint8Array(size)`.
   */
  receiveMemory?(size: number): Uint8Array;
}

/** ICMP / ICMPv6 errors the IP layer passes to TCP for the flow quoted in the error. */
export type TcpIcmpError =
  | 'net-unreachable'
  | 'host-unreachable'
  | 'protocol-unreachable'
  | 'port-unreachable'
  | 'admin-prohibited'
  | 'packet-too-big'
  | 'time-exceeded'
  | 'parameter-problem';

/** What the IP layer calls on the TCP engine (the engine's `TcpLayer` implements it). */
export interface TcpInput {
  /**
   * A received segment whose checksum the IP layer has verified (or the adapter has). `bytes[offset]`
   * is the TCP header; `length` covers header and payload. `coalescedSegments` > 1 when the adapter
   * merged that many segments into this one (RSC); the engine then counts and ACKs accordingly.
   */
  input(flow: TcpFlow, bytes: Uint8Array, offset: number, length: number, coalescedSegments: number): void;
  /**
   * An ICMP error quoting a segment of `flow` (local = this host); `nextHopMtu` is set for
   * 'packet-too-big' (else 0). `quotedSeq` (optional, added later and compatible): the sequence number
   * of the quoted TCP header; when given, errors for data not in flight are ignored (RFC 5927 §4.1).
   * `detail` (optional): what the application's error says instead of "ICMP <error>" (e.g. the IP
   * layer reporting that neighbour resolution failed, which is no ICMP message at all).
   */
  icmpError(flow: TcpFlow, error: TcpIcmpError, nextHopMtu: number, quotedSeq?: number, detail?: string): void;
  /**
   * Optional: the host delivered the last segment of a receive batch (one receive indication), still
   * inside its send batch. ACKs the engine merged for out-of-order segments (SACK compression) go out
   * now, so what they merge is what arrived together; without this call they wait for their timer.
   */
  inputBatchEnd?(): void;
}
