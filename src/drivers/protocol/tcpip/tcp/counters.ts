/**
 * Engine-wide counters, named after RFC 4022 (TCP-MIB) and `netstat -s`, plus one counter per reason a
 * segment is dropped or answered specially. Plain numeric fields: the data path only increments them.
 */
export class TcpCounters {
  // RFC 4022 tcp group.
  /** CLOSED → SYN-SENT transitions (connect). */
  activeOpens = 0;
  /** LISTEN → SYN-RECEIVED transitions (a SYN accepted by a listener). */
  passiveOpens = 0;
  /** SYN-SENT/SYN-RECEIVED → CLOSED, and SYN-RECEIVED → LISTEN. */
  attemptFails = 0;
  /** ESTABLISHED/CLOSE-WAIT → CLOSED by a reset (sent or received). */
  estabResets = 0;
  /** Connections now in ESTABLISHED or CLOSE-WAIT. */
  currEstab = 0;
  /** Segments received (a coalesced segment counts as the segments it merged). */
  inSegs = 0;
  /** Segments sent (pure ACKs and RSTs included), except those carrying only retransmitted data; an LSO buffer counts as the segments it becomes. */
  outSegs = 0;
  /** Segments retransmitted. */
  retransSegs = 0;
  /** Segments received in error (bad header or options). */
  inErrs = 0;
  /** Segments sent with RST. */
  outRsts = 0;

  // Receive statistics.
  /** Received buffers that merged more than one segment (RSC). */
  coalescedBuffers = 0;
  coalescedSegments = 0;
  /** Data segments that arrived out of order (queued in the assembler). */
  outOfOrderSegments = 0;
  /** Duplicate data (already received bytes). */
  duplicateSegments = 0;
  delayedAcks = 0;
  acksSent = 0;
  windowUpdatesSent = 0;
  /** Segments received carrying data (a coalesced segment counts as the segments it merged): acksSent / dataSegmentsIn is the ACK ratio. */
  dataSegmentsIn = 0;
  /** Payload bytes received that were already held (below RCV.NXT or in an out-of-order range). */
  duplicateBytes = 0;
  /** ACKs that reported a duplicate in a D-SACK block (RFC 2883). */
  dsacksSent = 0;
  /** ACKs for out-of-order segments merged into a later ACK (SACK compression; Linux TCPAckCompressed). */
  compressedAcks = 0;

  // Drops by reason (each also explains why nothing else happened to the segment).
  /** Header shorter than 20 bytes, data offset < 5 or past the segment. */
  badOffset = 0;
  /** Malformed options. */
  badOptions = 0;
  /** Source or destination port 0. */
  badPort = 0;
  /** Sequence number outside the receive window (answered with an ACK unless rate limited). */
  outOfWindow = 0;
  /** Old timestamp (RFC 7323 PAWS). */
  pawsRejected = 0;
  /** ACK for data never sent (answered with an ACK). */
  ackUnsent = 0;
  /** ACK older than SND.UNA − MAX.SND.WND (RFC 5961 §5). */
  ackTooOld = 0;
  /** A segment without ACK in a synchronized state. */
  noAck = 0;
  /** A RST that was not exactly at RCV.NXT (challenged or dropped, RFC 5961 §3). */
  rstInvalid = 0;
  /** SYN in a synchronized state (challenged, RFC 5961 §4). */
  synInvalid = 0;
  /** Challenge ACKs sent (RFC 5961) and ones suppressed by the rate limit. */
  challengeAcks = 0;
  challengeAcksSuppressed = 0;
  /** Out-of-window answers suppressed by the rate limit (pure ACKs and SYNs only). */
  outOfWindowAcksSuppressed = 0;
  /** RSTs in answer to unexpected segments not sent: the engine's RST bucket was empty (`rstRateLimit`). */
  rstsSuppressed = 0;
  /** Out-of-order data dropped because the assembler had no free range. */
  assemblerFull = 0;
  /** Bytes beyond the advertised window, trimmed. */
  beyondWindowTrimmed = 0;
  /** A segment for no connection and no listener: answered with RST (unless it was one). */
  noListener = 0;
  /** SYN refused: the half-open cap (per listener or in total) was reached (SYN cookies off). */
  synFloodDropped = 0;
  /** SYN cookies sent beyond the half-open cap, ACKs that carried a valid one, and ones that did not. */
  synCookiesSent = 0;
  synCookiesAccepted = 0;
  synCookiesRejected = 0;
  /** SYN refused: SYN-RECEIVED + unaccepted connections reached the listener's backlog. */
  listenOverflow = 0;
  /** SYN refused: the connection limit was reached. */
  connectionLimitDropped = 0;
  /** ACK (without SYN) for a listener, answered with RST. */
  listenAckRejected = 0;
  /** Data for a connection the application has closed: answered with RST. */
  dataAfterClose = 0;
  /** `input` called again from inside `transmit` (the host must defer loopback delivery). */
  reentrantInput = 0;
  /** Segments without anything to do for their state (e.g. neither SYN nor ACK for a listener). */
  ignored = 0;

  // Send-side statistics.
  fastRetransmits = 0;
  sackRecoveries = 0;
  /** Retransmissions found lost by later SACKs and repaired again within the recovery (no timeout). */
  lostRetransmits = 0;
  /** Tail loss probes sent, and those whose retransmission repaired a loss (then cwnd was reduced). */
  tailLossProbes = 0;
  /** Fast recoveries found spurious (every retransmission came back as a D-SACK) and undone. */
  spuriousRecoveries = 0;
  tailLossRecoveries = 0;
  newRenoRecoveries = 0;
  timeouts = 0;
  synRetransmits = 0;
  persistProbes = 0;
  keepAliveProbes = 0;
  keepAliveTimeouts = 0;
  lsoBuffers = 0;
  /** `allocate` returned null: the segment was not sent (retried by the timers). */
  noBuffers = 0;
  /** `route` returned null: the segment was not sent. */
  noRoute = 0;
  /** Path MTU decreases applied, and ICMP errors by kind. */
  pmtuUpdates = 0;
  icmpSoftErrors = 0;
  icmpHardErrors = 0;
  /** ICMP errors for no connection, or quoting a sequence number outside the flight (RFC 5927). */
  icmpIgnored = 0;
  /** TIME-WAIT connections reopened by a new SYN (RFC 6191). */
  timeWaitReopened = 0;
  /** TIME-WAIT skipped because `maxTimeWait` connections were already in it. */
  timeWaitOverflow = 0;
  /** Half-open (SYN-RECEIVED) entries that gave up retransmitting the SYN-ACK. */
  halfOpenTimeouts = 0;
  /** Half-open entries dropped to make room for a new SYN (SYN cookies off, half-open budget full). */
  halfOpenEvicted = 0;
  /** Event handlers that threw (passed to `onCallbackError`). */
  callbackErrors = 0;
  /** Exceptions caught at the engine's edge (`input`, `icmpError`): a bug if ever non-zero. */
  internalErrors = 0;
  /** `output` stopped because the pacer's next-send time was still ahead (resumed by the timer). */
  pacedDeferrals = 0;
  /** Segments RACK (RFC 8985) marked lost, and reordering-timer expiries (time-based detection without an ACK). */
  rackLosses = 0;
  rackReorderTimeouts = 0;

  // Ring memory (memory.ts, buffers.ts).
  /** Bytes of ring blocks connections hold now (what TcpMemoryLow/Pressure/High are compared with). */
  ringBytes = 0;
  /** Bytes of slabs the ring pool holds (blocks in use and free ones); only the pages touched are resident. */
  ringPoolBytes = 0;
  /** 1 while the stack is under memory pressure (beyond TcpMemoryPressure until back below TcpMemoryLow), and how often it entered it. */
  memoryPressure = 0;
  memoryPressureEntries = 0;
  /** A ring could not grow: the rings would have gone beyond TcpMemoryHigh (the window stayed shut, or `send` took less). */
  ringGrowRefused = 0;
  /** Rings moved into a larger block, and into a smaller one or none (idle, pressure). */
  ringGrows = 0;
  ringShrinks = 0;
  /** Receive buffers raised by autotuning (dynamic right-sizing), send buffers raised with cwnd. */
  receiveBufferAutotunes = 0;
  sendBufferAutotunes = 0;
  /**
   * Receive chunks (chunks.ts, `receiveChunk`): bytes of chunk slabs connections hold now (part of
   * `ringBytes`), chunks handed to readers as they are, and short ones copied out instead.
   */
  receiveChunkBytes = 0;
  receiveChunksGiven = 0;
  receiveChunksCopied = 0;

  snapshot(): Record<string, number> {
    return { ...(this as unknown as Record<string, number>) };
  }
}
