/**
 * RACK (RFC 8985 §6): time-based loss detection on the send log. A segment is lost when a segment sent
 * after it was delivered and at least RACK.rtt + RACK.reo_wnd passed since it was sent; one closer to
 * that deadline arms the reordering timer (`rackAt`, on the connection's timer). It sees lost
 * retransmissions too (their record carries the retransmission's send time), so they are repaired
 * within the recovery instead of by the RTO. The records marked lost are what SACK recovery
 * retransmits (`nextLostRecord`, as Linux's tcp_xmit_retransmit_queue): the send log, not the bounded
 * SACK scoreboard, is the scoreboard, so thousands of holes after a burst loss are all known and
 * repaired. reo_wnd is min_RTT/4 (0 while no reordering was seen and
 * the connection is recovering or has DupThresh segments SACKed, as in RFC 8985 §6.2 step 4 and
 * Linux), widened by one step per round trip that reports a D-SACK, back to one step after 16
 * recoveries without one.
 *
 * The tail loss probe (RFC 8985 §7) is in output.ts; the recovery it feeds (RFC 6675 NextSeg with
 * PRR, RFC 6937) in input.ts/output.ts.
 */
import { REC_EVER_RETRANS, REC_LOST, REC_RETRANS, REC_SACKED } from './sendlog.js';
import { seqGt, seqLt } from './seq.js';
import { markRecordLost } from './rate.js';
import type { Tcb } from './tcb.js';

const DUP_THRESH = 3;
/** Recoveries a widened reo_wnd persists without another D-SACK (Linux TCP_RACK_RECOVERY_THRESH). */
const REO_WND_PERSIST = 16;

export class RackState {
  /** Send time and end of the most recently sent segment delivered so far (−Infinity: none). */
  xmit = -Infinity;
  endSeq = 0;
  /** RTT of the most recently delivered segment (RACK.rtt). */
  rtt = 0;
  /** Highest end of a delivered segment (RACK.fack); a segment delivered below it was reordered. */
  fack = 0;
  fackValid = false;
  reorderingSeen = false;
  reoWndMult = 1;
  reoWndPersist = 0;
  /** SND.MAX when reo_wnd was last widened: one step per round trip. */
  dsackRoundEnd = 0;
  dsackRoundValid = false;
}

/** `t1`/`e1` was sent after `t2`/`e2` (RFC 8985 RACK_sent_after). */
function sentAfter(t1: number, e1: number, t2: number, e2: number): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(e1, e2));
}

/** RACK_update (step 2) and reordering detection (step 3) for a record just delivered. */
export function rackAdvance(t: Tcb, k: number, now: number): void {
  const log = t.sendLog;
  const ra = t.rack;
  const x = log.xmit[k]!;
  const end = log.end[k]!;
  const f = log.flags[k]!;
  const rtt = now - x;
  // A retransmitted segment delivered sooner than the minimum RTT: the original was what arrived.
  if (f & REC_EVER_RETRANS && rtt < t.rate.minRtt) return;
  // RACK.rtt is that of the most recently sent segment delivered (the RFC walks them in send order).
  if (sentAfter(x, end, ra.xmit, ra.endSeq)) {
    ra.rtt = rtt;
    ra.xmit = x;
    ra.endSeq = end;
  }
  if ((f & REC_EVER_RETRANS) === 0) {
    if (ra.fackValid && seqLt(end, ra.fack)) ra.reorderingSeen = true;
    else {
      ra.fack = end;
      ra.fackValid = true;
    }
  }
}

/** A D-SACK arrived: widen reo_wnd by a step, at most once per round trip (RFC 8985 §6.2 step 4). */
export function rackDsack(t: Tcb): void {
  const ra = t.rack;
  // A duplicate reported back: a retransmission was spurious, the original had been reordered (Linux
  // counts it as reordering too); from now on RACK waits reo_wnd before calling a hole lost.
  ra.reorderingSeen = true;
  if (ra.dsackRoundValid && seqLt(t.sndUna, ra.dsackRoundEnd)) return;
  ra.reoWndMult = Math.min(255, ra.reoWndMult + 1);
  ra.reoWndPersist = REO_WND_PERSIST;
  ra.dsackRoundEnd = t.sndMax;
  ra.dsackRoundValid = true;
}

/** A recovery started: a widened reo_wnd decays after REO_WND_PERSIST of them. */
export function rackRecoveryStarted(t: Tcb): void {
  const ra = t.rack;
  if (ra.reoWndPersist > 0 && --ra.reoWndPersist === 0) ra.reoWndMult = 1;
}

export function rackReoWnd(t: Tcb): number {
  const ra = t.rack;
  if (!ra.reorderingSeen) {
    if (t.inRecovery || (t.retries > 0 && seqLt(t.sndUna, t.recover))) return 0;
    if (t.sendLog.sackedCount >= DUP_THRESH) return 0;
  }
  const minRtt = Number.isFinite(t.rate.minRtt) ? t.rate.minRtt : t.rtt.srtt;
  return Math.min((minRtt / 4) * ra.reoWndMult, t.rtt.srtt);
}

/**
 * RACK_detect_loss (step 5): marks lost every record sent before the most recently delivered one and
 * older than RACK.rtt + reo_wnd; arms the reordering timer for the others. A lost retransmission moves
 * HighRxt back so NextSeg sends it again. Returns the bytes newly marked lost.
 */
export function rackDetectLoss(t: Tcb, now: number): number {
  const ra = t.rack;
  t.rackAt = Infinity;
  if (ra.xmit === -Infinity) return 0;
  const log = t.sendLog;
  const reoWnd = rackReoWnd(t);
  let timeout = 0;
  let lost = 0;
  for (let i = 0; i < log.count; i++) {
    const k = log.at(i);
    const f = log.flags[k]!;
    if (f & REC_SACKED || (f & REC_LOST && (f & REC_RETRANS) === 0)) continue;
    const x = log.xmit[k]!;
    if (sentAfter(x, log.end[k]!, ra.xmit, ra.endSeq)) {
      // Records are in sequence order and first transmissions in send order: no later one qualifies.
      if ((f & REC_EVER_RETRANS) === 0) break;
      continue;
    }
    const remaining = x + ra.rtt + reoWnd - now;
    if (remaining > 0) {
      if (remaining > timeout) timeout = remaining;
      continue;
    }
    if (f & REC_RETRANS) t.counters.lostRetransmits++;
    // HighRxt is where NextSeg starts looking for lost records: a loss below it moves it back.
    const start = log.start[k]!;
    if (seqLt(start, t.highRxt)) t.highRxt = start;
    t.counters.rackLosses++;
    lost += markRecordLost(t, k, now);
  }
  if (timeout > 0) t.rackAt = now + timeout;
  return lost;
}

/**
 * NextSeg for SACK recovery: the index (0-based) of the first record at or after HighRxt that is lost
 * and has no retransmission outstanding, or −1. HighRxt is a scan hint: no such record lies below it
 * (every loss marked moves it back); a scan that finds none moves it to the end of what it scanned.
 */
export function nextLostRecord(t: Tcb): number {
  const log = t.sendLog;
  if (log.lostBytes === 0 || log.count === 0) return -1;
  let i = 0;
  if (seqGt(t.highRxt, log.start[log.head]!)) {
    i = log.find(t.highRxt);
    if (i < 0) return -1;
  }
  for (; i < log.count; i++) {
    const k = log.at(i);
    if ((log.flags[k]! & (REC_LOST | REC_RETRANS | REC_SACKED)) === REC_LOST) return i;
  }
  t.highRxt = t.sndMax;
  return -1;
}
