/**
 * tsndis.tcpip's drop reasons (src/ndis/drops.ts): the stack already counts every drop under a named
 * netstat counter (counters.ts: each received frame ends in exactly one terminal counter), and the TCP
 * engine counts the segments it refuses. Rather than a second counter at each of those places, the stack
 * offers them to the host's drop registry as one source — the registry reads them when asked, so the
 * data path does nothing more than it did.
 *
 * Dropped frames reach a drop capture by difference: while one is attached (`capturing`, read once per
 * received chain), the binding marks the counts before each frame and, after the stack handled it, hands
 * the frame to the capture under the reason whose count moved. Off, this costs one check per chain.
 */
import type { NdisDropSource, NdisDropSourceRegistration } from '../../../ndis/index.js';
import type { StackCounters } from './counters.js';
import type { TcpCounters as TcpEngineCounters } from './tcp/counters.js';

/** Reads one drop counter of the stack (`c`) or of its TCP engine (`e`). */
export type TcpIpDropRead = (c: StackCounters, e: TcpEngineCounters) => number;

/** Reason → where it is counted. Receive-path drops of each layer, the neighbour queues, then the TCP engine. */
export const TCPIP_DROP_REASONS: readonly (readonly [string, TcpIpDropRead])[] = [
  ['linkTruncated', (c) => c.link.truncated],
  ['vlanMismatch', (c) => c.link.vlanMismatch],
  ['unknownEtherType', (c) => c.link.unknownEtherType],
  ['notRunning', (c) => c.link.notRunning],
  ['frameTooLong', (c) => c.link.tooLong],
  ['arpMalformed', (c) => c.arp.malformed],
  ['arpUnsupported', (c) => c.arp.unsupported],
  ['arpInvalidSender', (c) => c.arp.invalidSender],
  ['ipv4Truncated', (c) => c.ipv4.inTruncated],
  ['ipv4BadVersion', (c) => c.ipv4.inBadVersion],
  ['ipv4BadHeaderLength', (c) => c.ipv4.inBadHeaderLength],
  ['ipv4BadLength', (c) => c.ipv4.inBadLength],
  ['ipv4BadChecksum', (c) => c.ipv4.inBadChecksum],
  ['ipv4HwChecksumFailed', (c) => c.ipv4.inHwChecksumFailed],
  ['ipv4BadOptions', (c) => c.ipv4.inBadOptions],
  ['ipv4BadSource', (c) => c.ipv4.inBadSource],
  ['ipv4NotForUs', (c) => c.ipv4.inNotForUs],
  ['ipv4UnknownProtocol', (c) => c.ipv4.inUnknownProtocol],
  ['ipv6Truncated', (c) => c.ipv6.inTruncated],
  ['ipv6BadVersion', (c) => c.ipv6.inBadVersion],
  ['ipv6BadExtensions', (c) => c.ipv6.inBadExtensions],
  ['ipv6RoutingHeader', (c) => c.ipv6.inRoutingHeader],
  ['ipv6BadSource', (c) => c.ipv6.inBadSource],
  ['ipv6NotForUs', (c) => c.ipv6.inNotForUs],
  ['ipv6UnknownProtocol', (c) => c.ipv6.inUnknownProtocol],
  ['ipv6Tentative', (c) => c.ipv6.inTentative],
  ['fragmentOverlap', (c) => c.reassembly.overlap],
  ['fragmentDuplicate', (c) => c.reassembly.duplicate],
  ['fragmentBad', (c) => c.reassembly.badFragment],
  ['fragmentTooBig', (c) => c.reassembly.tooBig],
  ['fragmentTooMany', (c) => c.reassembly.tooManyFragments],
  ['fragmentBadEnd', (c) => c.reassembly.badEnd],
  ['icmpTruncated', (c) => c.icmp.inTruncated],
  ['icmpBadChecksum', (c) => c.icmp.inBadChecksum],
  ['icmpInvalidNd', (c) => c.icmp.inInvalidNd],
  ['icmp6Truncated', (c) => c.icmp6.inTruncated],
  ['icmp6BadChecksum', (c) => c.icmp6.inBadChecksum],
  ['icmp6InvalidNd', (c) => c.icmp6.inInvalidNd],
  ['udpNoPorts', (c) => c.udp.noPorts],
  ['udpBadChecksum', (c) => c.udp.badChecksum],
  ['udpHwChecksumFailed', (c) => c.udp.hwChecksumFailed],
  ['udpBadLength', (c) => c.udp.badLength],
  ['udpZeroChecksum6', (c) => c.udp.zeroChecksum6],
  ['udpReceiveQueueFull', (c) => c.udp.receiveQueueFull],
  ['tcpNoEngine', (c) => c.tcp.noEngine],
  ['tcpBadChecksum', (c) => c.tcp.badChecksum],
  ['tcpHwChecksumFailed', (c) => c.tcp.hwChecksumFailed],
  ['tcpMalformed', (c) => c.tcp.malformed],
  ['tcpBadAddress', (c) => c.tcp.badAddress],
  ['loopbackQueueFull', (c) => c.loopback.queueFull],
  ['neighborQueueOverflow', (c) => c.neighbor.queueOverflow],
  ['neighborQueueTotalOverflow', (c) => c.neighbor.queueTotalOverflow],
  ['neighborResolutionFailed', (c) => c.neighbor.failedDrops],
  ['neighborCacheFull', (c) => c.neighbor.cacheFull],
  // The TCP engine (tcp/counters.ts): segments it refused after the stack passed them on.
  ['tcpBadOffset', (_, e) => e.badOffset],
  ['tcpBadOptions', (_, e) => e.badOptions],
  ['tcpBadPort', (_, e) => e.badPort],
  ['tcpOutOfWindow', (_, e) => e.outOfWindow],
  ['tcpPawsRejected', (_, e) => e.pawsRejected],
  ['tcpAckUnsent', (_, e) => e.ackUnsent],
  ['tcpAckTooOld', (_, e) => e.ackTooOld],
  ['tcpNoAck', (_, e) => e.noAck],
  ['tcpRstInvalid', (_, e) => e.rstInvalid],
  ['tcpSynInvalid', (_, e) => e.synInvalid],
  ['tcpAssemblerFull', (_, e) => e.assemblerFull],
  ['tcpNoListener', (_, e) => e.noListener],
  ['tcpSynFloodDropped', (_, e) => e.synFloodDropped],
  ['tcpSynCookieRejected', (_, e) => e.synCookiesRejected],
  ['tcpListenOverflow', (_, e) => e.listenOverflow],
  ['tcpConnectionLimit', (_, e) => e.connectionLimitDropped],
  ['tcpListenAckRejected', (_, e) => e.listenAckRejected],
  ['tcpDataAfterClose', (_, e) => e.dataAfterClose],
  ['tcpIgnored', (_, e) => e.ignored],
];

/** The stack's drop source: one per stack, registered by each binding (the registry counts it once). */
export class TcpIpDrops implements NdisDropSource {
  /** `<host>/tsndis.tcpip`, set by the first binding. */
  module = '';
  readonly reasons: readonly string[] = TCPIP_DROP_REASONS.map(([r]) => r);
  readonly #before = new Float64Array(TCPIP_DROP_REASONS.length);

  constructor(
    readonly counters: StackCounters,
    readonly engine: TcpEngineCounters,
  ) {}

  read(index: number): number {
    const r = TCPIP_DROP_REASONS[index];
    return r === undefined ? 0 : r[1](this.counters, this.engine);
  }

  /** Capture path: remembers every count before a frame is handled. */
  mark(): void {
    for (let i = 0; i < TCPIP_DROP_REASONS.length; i++) this.#before[i] = this.read(i);
  }

  /** Capture path: hands `bytes[off, off + len)` to the capture once per reason whose count moved since `mark`. */
  report(reg: NdisDropSourceRegistration, bytes: Uint8Array, off: number, len: number): void {
    for (let i = 0; i < TCPIP_DROP_REASONS.length; i++) if (this.read(i) > this.#before[i]!) reg.capture(i, bytes, off, len);
  }
}
