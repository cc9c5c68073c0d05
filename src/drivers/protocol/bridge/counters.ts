/**
 * The bridge's counters. Forwarding decisions and ingress drops count at the port a frame came in on;
 * transmit results and egress drops at the port it was to leave by; table events once per bridge.
 * All reach the stack tree through the binding's `inspect()` and `tsndis emulate`'s status lines; the
 * drops also reach the host's drop registry (`tsndis drops`, the metrics) through `BridgePortDrops`.
 */
import type { NdisDropSource } from '../../../ndis/index.js';

export class BridgePortCounters {
  /** Frames and bytes received on this port (everything the adapter indicated to the bridge). */
  rxFrames = 0;
  rxBytes = 0;
  /** Frames to a known unicast address on another port, sent there. */
  forwarded = 0;
  /** Frames flooded (broadcast, multicast, unknown unicast) and the copies sent for them. */
  flooded = 0;
  floodCopies = 0;
  /** Source addresses learned on this port, and addresses that moved here from another port. */
  learned = 0;
  moved = 0;
  /** Source addresses not learned because the table was full (their replies are flooded). */
  tableFull = 0;
  /** Copies sent on this port that completed successfully / with an error status. */
  txFrames = 0;
  txBytes = 0;
  txFailed = 0;

  // Ingress drops (this port received the frame).
  /** Shorter than an Ethernet header, or an NBL without a NetBuffer. */
  droppedMalformed = 0;
  /** A group (multicast) source address. */
  droppedBadSource = 0;
  /** To an IEEE 802.1D reserved group address (01-80-C2-00-00-0x: STP, pause, LACP, 802.1X): never forwarded. */
  droppedLinkLocal = 0;
  /** To an address learned on this same port: the destination already had it (no hairpin). */
  droppedSameSegment = 0;
  /** Over the flood limit (frames flooded per second), which bounds a broadcast storm in a loop. */
  droppedFloodLimit = 0;
  /** Received while this port was not running (pausing). */
  droppedNotRunning = 0;
  /** The bridge has no other port to send to. */
  droppedNoPort = 0;

  // Egress drops (the frame was to leave by this port).
  /** The port is pausing or paused. */
  droppedPortDown = 0;
  /** Larger than this port's MTU + 18 (e.g. an RSC/GSO super-frame from a member with receive offloads on). */
  droppedOversize = 0;
  /** This port's send pool was empty (every buffer in flight: back-pressure below). */
  droppedNoBuffers = 0;

  /** Failed transmits by NDIS status name. */
  readonly txFailedByStatus = new Map<string, number>();
}

export class BridgeCounters {
  /** Entries removed because their address was not seen for the ageing time. */
  aged = 0;
  /** Entries removed because their port went away or lost its link. */
  flushed = 0;
}

/**
 * A port's drop counters by the reason the registry shows them under (src/ndis/drops.ts), in `reasons`
 * order: the generic names where the meaning is the generic one, `bridge…` for the bridge's own.
 */
const DROP_FIELDS = [
  ['malformedFrame', 'droppedMalformed'],
  ['notRunning', 'droppedNotRunning'],
  ['bridgeBadSource', 'droppedBadSource'],
  ['bridgeLinkLocal', 'droppedLinkLocal'],
  ['bridgeSameSegment', 'droppedSameSegment'],
  ['bridgeFloodLimit', 'droppedFloodLimit'],
  ['bridgeNoPort', 'droppedNoPort'],
  ['bridgePortDown', 'droppedPortDown'],
  ['bridgeOversize', 'droppedOversize'],
  ['bridgeNoBuffers', 'droppedNoBuffers'],
] as const;

/** The reasons a bridge port records drops under. */
export const BRIDGE_DROP_REASONS: readonly string[] = DROP_FIELDS.map(([reason]) => reason);

/**
 * A port's drop counters offered to the host's drop registry as a source (`registerDropSource`): read
 * when `tsndis drops` asks, so the data path keeps its plain increments. Counted, not captured: the
 * bridge hands no dropped frames to `tsndis capture --drops`.
 */
export class BridgePortDrops implements NdisDropSource {
  readonly reasons = BRIDGE_DROP_REASONS;
  constructor(
    /** The binding's name (`h/eth0<-tsndis.bridge`). */
    readonly module: string,
    readonly counters: BridgePortCounters,
  ) {}

  read(index: number): number {
    const f = DROP_FIELDS[index];
    return f === undefined ? 0 : this.counters[f[1]];
  }
}
