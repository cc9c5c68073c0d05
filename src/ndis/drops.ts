/**
 * Drop reasons (pktmon's idea): every place that drops a frame records it under a named reason, with
 * counters per (module, reason) in one registry per host, and — only while a drop capture is attached
 * (`tsndis capture --drops`) — a copy of the frame. A driver gets its counters from its handle once
 * (`handle.dropCounter('malformedFrame')`, at initialize / attach / bind) and calls `drop(nb)` on the
 * data path: an increment and one null check, nothing looked up or allocated per frame.
 *
 * A module whose drop counters already exist as named fields (tsndis.tcpip's netstat counters) offers
 * them as a source instead (`handle.registerDropSource`): the registry reads them when asked, so they are
 * counted once, and the module hands frames to `capture` while `capturing` is true.
 */
import type { NetBuffer } from './buffers/net-buffer.js';

/**
 * The reasons the built-in drivers record, with what each means. A driver may record others: a reason
 * is any lowerCamelCase name (`DROP_REASON_PATTERN`).
 */
export const DROP_REASONS = {
  malformedFrame: 'a frame shorter than an Ethernet header, longer than the adapter takes, or with a broken offload header',
  rxBufferExhausted: 'no free receive buffer (the receive NBL pool or slot ring was empty)',
  receiveQueueFull: "the receive queue (a processor's ring, the frames waiting for the DPC) had no room",
  notRunning: 'received while the adapter, filter or binding was not running (pausing, paused, removed)',
  addressFiltered: "not for us: the adapter's packet filter / multicast list refused the destination",
  wireLoss: "the virtual wire's own seeded loss (`loss:` of the wire)",
  impairmentLoss: 'the impairment filter dropped it: random loss (LossProbability)',
  impairmentBurstLoss: 'the impairment filter dropped it: Gilbert–Elliott burst loss',
  impairmentQueueFull: "the impairment filter's queue (QueueFrames) was full",
  impairmentNoResources: 'the impairment filter could not copy a frame it had to hold',
  impairmentFlushed: 'held by the impairment filter when it paused, was cancelled or removed',
  captureQueueFull: "the capture filter's file queue was full (the frame passed on, unrecorded)",
  vxlanTruncated: 'a VXLAN datagram shorter than the VXLAN header',
  vxlanMissingIFlag: 'a VXLAN header without the I flag',
  vxlanReservedBits: 'a VXLAN header with reserved bits set',
  vxlanUnknownVni: 'a VXLAN datagram for another VNI',
  vxlanOwnSource: 'a VXLAN inner frame with our own source MAC (a loop)',
  outputQueueFull: "the pcapng miniport's OutputFile queue was full (a sent frame not written)",
  bridgeBadSource: 'tsndis.bridge: a frame with a group (multicast) source address',
  bridgeLinkLocal: 'tsndis.bridge: a frame to an 802.1D reserved group address (01-80-C2-00-00-0x), never forwarded',
  bridgeSameSegment: 'tsndis.bridge: a frame to a station learned on the port it came in on (no hairpin)',
  bridgeFloodLimit: "tsndis.bridge: over the bridge's flood limit (a broadcast storm in a loop)",
  bridgeNoPort: 'tsndis.bridge: the bridge had no other port to send it to',
  bridgePortDown: 'tsndis.bridge: the port it was to leave by was pausing or paused',
  bridgeOversize: "tsndis.bridge: larger than the egress port's MTU + 18",
  bridgeNoBuffers: "tsndis.bridge: the egress port's send pool was empty",
  overlayTruncated: 'tsndis.overlay: an underlay frame shorter than the outer headers (or the inner Ethernet header) it announces',
  overlayBadLength: 'tsndis.overlay: outer length fields or GRE optional fields that lie about the frame (IHL, total length, UDP length)',
  overlayBadOuterChecksum: 'tsndis.overlay: a wrong outer IPv4 header checksum, non-zero UDP checksum or GRE checksum',
  overlayBadHeader: 'tsndis.overlay: a VXLAN header without I or with reserved bits, a GRE header with version ≠ 0, reserved bits or no key',
  overlayUnknownEncapsulation: "tsndis.overlay: GRE carrying something other than Ethernet (0x6558), or the other encapsulation than the tunnel's",
  overlayWrongVni: 'tsndis.overlay: a VXLAN VNI / NVGRE VSID the tenant adapter does not serve',
  overlayFragment: 'tsndis.overlay: an outer IPv4 fragment (the gateway does not reassemble the underlay)',
  overlayNotEncapsulated: 'tsndis.overlay: underlay traffic that is neither ARP nor our tunnel (another protocol, port or address)',
  overlayOversize: "tsndis.overlay: an inner frame larger than the tenant adapter's MTU allows",
  packetFilterRejected: "NDIS: no binding's packet filter accepted a received frame",
  noBinding: 'NDIS: a frame was indicated to an adapter no protocol receives on',
  indicatedWhilePaused: 'NDIS: a miniport or filter indicated receives while paused (a verifier violation too)',
} as const;

/** A built-in drop reason. */
export type NdisBuiltinDropReason = keyof typeof DROP_REASONS;

/** What a drop reason may be named: lowerCamelCase, at most 64 characters. */
export const DROP_REASON_PATTERN = /^[a-z][A-Za-z0-9]{0,63}$/;

/** One named drop counter of one module (`NdisHandleBase.dropCounter`). */
export interface NdisDropCounter {
  readonly module: string;
  readonly reason: string;
  /** Frames dropped under this reason so far. */
  readonly count: number;
  /**
   * One frame dropped. `nb`: the frame, when the caller still has it — its bytes are copied to the drop
   * capture only while one is attached; call this before giving the NBL back or freeing it.
   */
  drop(nb?: NetBuffer | null): void;
  /** One frame dropped whose bytes are `bytes[offset, offset + length)` (a frame not in an NBL: a TAP read, a datagram). */
  dropBytes(bytes: Uint8Array, offset: number, length: number): void;
  /** `n` frames dropped, without their bytes. */
  add(n: number): void;
}

/** Drop counters a module already keeps, read by the registry when it is asked (`registerDropSource`). */
export interface NdisDropSource {
  /** The module the counts are shown under (e.g. `hostA/tsndis.tcpip`). */
  readonly module: string;
  /** The reasons, in the order `read` takes their index. */
  readonly reasons: readonly string[];
  /** The current count of `reasons[index]`. */
  read(index: number): number;
}

/** A registered drop source: what the module calls while a drop capture is attached. */
export interface NdisDropSourceRegistration {
  /** True while a drop capture is attached: the module then passes dropped frames to `capture`. */
  readonly capturing: boolean;
  /** Hands the drop capture a copy of a frame dropped under `reasons[reasonIndex]`. */
  capture(reasonIndex: number, bytes: Uint8Array, offset: number, length: number): void;
  /** Unregisters (the module's counts leave the registry). Registering the same source twice counts it once. */
  remove(): void;
}
