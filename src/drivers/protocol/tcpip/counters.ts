/**
 * netstat -s for tsndis.tcpip: per-protocol counters of the whole stack (all interfaces), every drop
 * under a named reason, plus ICMP counts by message type.
 *
 * Receive accounting is exact: every frame a binding hands to the stack ends in exactly one *terminal*
 * counter, either consumed (an ARP packet handled, a datagram delivered to a socket, a segment passed to
 * TCP, a fragment stored for reassembly) or dropped (a named reason). A reassembled datagram and a
 * looped-back packet are extra inputs. So at any quiet moment
 *     link.framesIn + reassembly.reassembled + loopback.packetsIn === terminalTotal(counters)
 * which the fuzz tests check: a frame that vanishes without a counter breaks the equation.
 */

export class LinkCounters {
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  bytesOut = 0;
  /** Frames whose data spans several MDLs and were copied to be parsed (not a drop). */
  framesCopied = 0;
  /** Bytes of those frames copied before the stack parsed them (payload included): 0 on a zero-copy receive path. */
  rxPayloadBytesCopied = 0;
  /** Header-data split frames taken in place (header copied into the data buffer's backfill, payload not moved). */
  hdSplitFramesIn = 0;
  /** Header bytes those frames moved. */
  hdSplitHeaderBytesCopied = 0;
  // terminal drops
  truncated = 0;
  vlanMismatch = 0;
  unknownEtherType = 0;
  /** Received while the binding was pausing or paused. */
  notRunning = 0;
  /** Larger than the stack parses (a multi-MDL frame beyond the copy buffer). */
  tooLong = 0;
  // transmit
  /** Sends refused: binding not running. */
  txNotRunning = 0;
  /** Sends refused: link down. */
  txLinkDown = 0;
  /** Send pool exhausted (NDIS_STATUS_RESOURCES). */
  txNoBuffer = 0;
  /** Sends the miniport completed with a failure status. */
  txFailed = 0;
  /** Frames the miniport completed successfully. */
  txCompleted = 0;
}

export class ArpCounters {
  // terminal: consumed
  inRequests = 0;
  inReplies = 0;
  /** Other operation codes (RARP etc.): consumed, ignored. */
  inOther = 0;
  // terminal: drops
  malformed = 0;
  /** Not Ethernet/IPv4 ARP. */
  unsupported = 0;
  /** Sender MAC is multicast/broadcast or ours, or sender IP is not a unicast address. */
  invalidSender = 0;
  // not terminal
  outRequests = 0;
  outReplies = 0;
  outGratuitous = 0;
  /** Another host claims one of our IPv4 addresses. */
  addressConflicts = 0;
}

export class NeighborCounters {
  resolutionsStarted = 0;
  resolved = 0;
  resolutionFailed = 0;
  /** Packets queued on an INCOMPLETE entry. */
  queued = 0;
  /** Packets dropped because the per-entry queue was full (the oldest goes). */
  queueOverflow = 0;
  /** Packets dropped when resolution failed. */
  failedDrops = 0;
  /** Of those, packets whose sender was told EHOSTUNREACH (a TCP connection, a connected UDP socket, a ping). */
  unreachableReported = 0;
  /** Packets dropped because no entry could be created (cache full of entries in use). */
  cacheFull = 0;
  probes = 0;
  /** Entries evicted to make room. */
  evicted = 0;
  /** INCOMPLETE entries evicted (oldest first) to respect the bound on unresolved entries (`NeighborMaxIncomplete`). */
  incompleteEvicted = 0;
  /** Packets dropped because the cache held its total of queued packets (`NeighborQueueTotal`; the oldest of the oldest entry goes). */
  queueTotalOverflow = 0;
  /** Solicitations not sent for the rate limit (`NeighborSolicitRate`); a new resolution's packet is then dropped. */
  solicitRateLimited = 0;
}

export class Ipv4Counters {
  inReceives = 0;
  inDelivers = 0;
  inFragments = 0;
  // terminal drops
  inTruncated = 0;
  inBadVersion = 0;
  inBadHeaderLength = 0;
  inBadLength = 0;
  inBadChecksum = 0;
  /** The adapter flagged the header checksum as failed. */
  inHwChecksumFailed = 0;
  /** Options that do not walk (length 0 or 1, past the header, a bad pointer): the datagram is dropped unanswered. */
  inBadOptions = 0;
  /** Source is broadcast, multicast, 0/8 or one of our own addresses from the wire. */
  inBadSource = 0;
  /** Destination is none of ours (a host does not forward). */
  inNotForUs = 0;
  inUnknownProtocol = 0;
  // transmit
  outRequests = 0;
  outNoRoute = 0;
  /** Datagrams dropped: no buffer, interface down, too big for a buffer. */
  outDiscards = 0;
  fragOks = 0;
  fragCreates = 0;
  /** Too big with DF set, or could not be fragmented. */
  fragFails = 0;
  /** A host never forwards; kept at 0 so the netstat layout is complete. */
  forwarded = 0;
}

export class Ipv6Counters {
  inReceives = 0;
  inDelivers = 0;
  inFragments = 0;
  atomicFragments = 0;
  // terminal drops
  inTruncated = 0;
  inBadVersion = 0;
  /** Extension headers broken (hop-by-hop not first, truncated, too many). */
  inBadExtensions = 0;
  /** A routing header with segments left: a host does not forward. */
  inRoutingHeader = 0;
  inBadSource = 0;
  inNotForUs = 0;
  inUnknownProtocol = 0;
  /** Addressed to a tentative address (only DAD solicitations may be). */
  inTentative = 0;
  // transmit
  outRequests = 0;
  outNoRoute = 0;
  outDiscards = 0;
  fragOks = 0;
  fragCreates = 0;
  fragFails = 0;
  forwarded = 0;
}

export class ReassemblyCounters {
  /** Fragments offered to reassembly. */
  fragments = 0;
  // terminal: the fragment was stored
  stored = 0;
  // terminal drops (the fragment itself)
  /** Fragment overlaps another (RFC 5722): the whole datagram is discarded. */
  overlap = 0;
  /** Same offset and length as one already held. */
  duplicate = 0;
  /** A middle fragment whose length is not a multiple of 8, or an empty one. */
  badFragment = 0;
  /** The datagram would exceed 65535 bytes (endless fragments). */
  tooBig = 0;
  /** More fragments than one datagram may have. */
  tooManyFragments = 0;
  /** Fragments after the end the last fragment declared, or a second last fragment disagreeing. */
  badEnd = 0;
  // datagram level (not terminal)
  reassembled = 0;
  timeouts = 0;
  /** Datagrams evicted to respect the datagram or byte limit. */
  evicted = 0;
  /** Datagrams discarded (overlap, too big, too many fragments, bad end). */
  discarded = 0;
}

/** ICMP or ICMPv6: by type, plus the drops. */
export class IcmpCounters {
  readonly inByType = new Uint32Array(256);
  readonly outByType = new Uint32Array(256);
  // terminal: consumed
  inMsgs = 0;
  // terminal drops
  inTruncated = 0;
  inBadChecksum = 0;
  /** ND message with a hop limit other than 255, or otherwise invalid (RFC 4861 §6.1, §7.1). */
  inInvalidNd = 0;
  // not terminal
  outMsgs = 0;
  outErrors = 0;
  /** Errors not sent: token bucket empty. */
  rateLimited = 0;
  /** Errors not sent: the offending packet was an error, multicast, broadcast or from a bad source. */
  suppressed = 0;
  echoRequestsIn = 0;
  echoRepliesIn = 0;
  /** Errors received that quoted one of our flows and were passed to TCP or UDP. */
  errorsDelivered = 0;
  pathMtuUpdates = 0;
  dadConflicts = 0;
}

export class UdpCounters {
  // terminal
  inDatagrams = 0;
  noPorts = 0;
  badChecksum = 0;
  hwChecksumFailed = 0;
  badLength = 0;
  /** Zero checksum over IPv6 (RFC 8200 §8.1). */
  zeroChecksum6 = 0;
  receiveQueueFull = 0;
  // transmit
  outDatagrams = 0;
  sendErrors = 0;
  /** Sends with a segment size (UdpSocket.segmentSize): one USO NBL for the adapter, or a train of datagrams made here. */
  usoSends = 0;
  usoDatagrams = 0;
  segmentedSends = 0;
}

export class TcpCounters {
  // terminal
  inSegs = 0;
  /** No TCP engine attached yet: counted and dropped. */
  noEngine = 0;
  badChecksum = 0;
  hwChecksumFailed = 0;
  malformed = 0;
  /** To a broadcast or multicast address. */
  badAddress = 0;
  // transmit
  outSegs = 0;
  /** Buffers handed to the adapter with LSOv2 info. */
  lsoSends = 0;
  /** Segments cut in software from a buffer larger than one MSS (no LSO). */
  softwareSegments = 0;
  allocateFailed = 0;
  allocateTooLarge = 0;
}

export class LoopbackCounters {
  packetsIn = 0;
  /** Dropped: the loopback queue was full. */
  queueFull = 0;
}

export class StackCounters {
  readonly link = new LinkCounters();
  readonly arp = new ArpCounters();
  readonly neighbor = new NeighborCounters();
  readonly ipv4 = new Ipv4Counters();
  readonly ipv6 = new Ipv6Counters();
  readonly reassembly = new ReassemblyCounters();
  readonly icmp = new IcmpCounters();
  readonly icmp6 = new IcmpCounters();
  readonly udp = new UdpCounters();
  readonly tcp = new TcpCounters();
  readonly loopback = new LoopbackCounters();
}

/** Inputs of the receive accounting: frames, reassembled datagrams, looped-back packets. */
export function receiveInputs(c: StackCounters): number {
  return c.link.framesIn + c.reassembly.reassembled + c.loopback.packetsIn;
}

/** Sum of every terminal counter (see the module comment). */
export function terminalTotal(c: StackCounters): number {
  const l = c.link;
  const a = c.arp;
  const v4 = c.ipv4;
  const v6 = c.ipv6;
  const r = c.reassembly;
  const i4 = c.icmp;
  const i6 = c.icmp6;
  const u = c.udp;
  const t = c.tcp;
  return (
    l.truncated + l.vlanMismatch + l.unknownEtherType + l.notRunning + l.tooLong +
    a.inRequests + a.inReplies + a.inOther + a.malformed + a.unsupported + a.invalidSender +
    v4.inTruncated + v4.inBadVersion + v4.inBadHeaderLength + v4.inBadLength + v4.inBadChecksum + v4.inHwChecksumFailed +
    v4.inBadOptions + v4.inBadSource + v4.inNotForUs + v4.inUnknownProtocol +
    v6.inTruncated + v6.inBadVersion + v6.inBadExtensions + v6.inRoutingHeader + v6.inBadSource + v6.inNotForUs +
    v6.inUnknownProtocol + v6.inTentative +
    r.stored + r.overlap + r.duplicate + r.badFragment + r.tooBig + r.tooManyFragments + r.badEnd +
    i4.inMsgs + i4.inTruncated + i4.inBadChecksum + i4.inInvalidNd +
    i6.inMsgs + i6.inTruncated + i6.inBadChecksum + i6.inInvalidNd +
    u.inDatagrams + u.noPorts + u.badChecksum + u.hwChecksumFailed + u.badLength + u.zeroChecksum6 + u.receiveQueueFull +
    t.inSegs + t.noEngine + t.badChecksum + t.hwChecksumFailed + t.malformed + t.badAddress
  );
}

const ICMP4_NAMES: Readonly<Record<number, string>> = { 0: 'echoReply', 3: 'destUnreachable', 5: 'redirect', 8: 'echoRequest', 11: 'timeExceeded', 12: 'parameterProblem' };
const ICMP6_NAMES: Readonly<Record<number, string>> = {
  1: 'destUnreachable', 2: 'packetTooBig', 3: 'timeExceeded', 4: 'parameterProblem', 128: 'echoRequest', 129: 'echoReply',
  133: 'routerSolicitation', 134: 'routerAdvertisement', 135: 'neighborSolicitation', 136: 'neighborAdvertisement', 137: 'redirect',
};

function byType(counts: Uint32Array, names: Readonly<Record<number, string>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let t = 0; t < counts.length; t++) if (counts[t]! > 0) out[names[t] ?? `type${t}`] = counts[t]!;
  return out;
}

function plain(o: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
  return out;
}

function icmpSnapshot(c: IcmpCounters, names: Readonly<Record<number, string>>): Record<string, unknown> {
  return { ...plain(c), in: byType(c.inByType, names), out: byType(c.outByType, names) };
}

/** A plain, JSON-able copy (the inspector renders it; tests compare it). */
export function countersSnapshot(c: StackCounters): Record<string, unknown> {
  return {
    link: plain(c.link),
    arp: plain(c.arp),
    neighbor: plain(c.neighbor),
    ipv4: plain(c.ipv4),
    ipv6: plain(c.ipv6),
    reassembly: plain(c.reassembly),
    icmp: icmpSnapshot(c.icmp, ICMP4_NAMES),
    icmp6: icmpSnapshot(c.icmp6, ICMP6_NAMES),
    udp: plain(c.udp),
    tcp: plain(c.tcp),
    loopback: plain(c.loopback),
  };
}

/** Only the non-zero counters, nested by protocol (a compact netstat -s for the inspector). */
export function nonZeroCounters(c: StackCounters): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [proto, section] of Object.entries(countersSnapshot(c))) {
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(section as Record<string, unknown>)) {
      if (typeof v === 'number' && v !== 0) kept[k] = v;
      else if (typeof v === 'object' && v !== null && Object.keys(v).length > 0) kept[k] = v;
    }
    if (Object.keys(kept).length > 0) out[proto] = kept;
  }
  return out;
}
