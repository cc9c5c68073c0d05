/**
 * Delivery-rate sampling (draft-ietf-ccwg-bbr §4.5.2, after draft-cheng-iccrg-delivery-rate-estimation)
 * on the send log: every transmission snapshots the connection's delivery counters into the segment's
 * record; every ACK that newly acknowledges or SACKs records (or marks some lost) compares the counters
 * with the snapshot of the most recently sent of them and hands the congestion controller one
 * `RateSample`. Lost segments are reported one by one (`onSegmentLost`) as they are marked.
 *
 * Units: bytes and ms (host.now(), fractional). An ACK costs O(records it delivers); nothing is allocated.
 */
import type { LostSegment, RateSample } from './congestion.js';
import { REC_APP_LIMITED, REC_EVER_RETRANS, REC_LOST, REC_RETRANS, REC_SACKED } from './sendlog.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMin } from './seq.js';
import { rackAdvance } from './rack.js';
import type { Tcb } from './tcb.js';

/** The connection's delivery counters (C.*) and the sample being built for the current ACK. */
export class DeliveryRate {
  /** C.delivered, C.delivered_time, C.first_send_time, C.lost (bytes, ms). */
  delivered = 0;
  deliveredTime = 0;
  firstSendTime = 0;
  lost = 0;
  /** C.app_limited: the delivered count at which the app-limited period ends (0: not app-limited). */
  appLimited = 0;
  /** Smallest RTT measured from a record never retransmitted (the minimum interval a sample may span). */
  minRtt = Infinity;

  // The ACK being processed.
  priorInFlight = 0;
  priorTotal = 0;
  priorLost = 0;
  /** In flight once this ACK's deliveries and losses are applied, before any retransmission it triggers (−1: not taken). */
  ackInFlight = -1;
  /** The sample's segment P: the most recently sent of those this ACK delivered. */
  hasP = false;
  pDelivered = 0;
  pDeliveredTime = 0;
  pXmit = 0;
  pEnd = 0;
  pSendElapsed = 0;
  pAppLimited = false;
  pTxInFlight = 0;
  pLost = 0;
  pRtt = -1;

  readonly sample: RateSample = {
    delivered: 0,
    intervalMs: 0,
    deliveryRate: 0,
    priorDelivered: 0,
    isAppLimited: false,
    rttMs: -1,
    txInFlight: 0,
    lost: 0,
    newlyAcked: 0,
    newlyLost: 0,
    priorInFlight: 0,
    inFlight: 0,
    totalDelivered: 0,
    totalLost: 0,
  };
  readonly lostSegment: LostSegment = { bytes: 0, txInFlight: 0, lostSinceSend: 0, isAppLimited: false };
}

/** Takes the send-time snapshot for record `k`. */
function snapshot(t: Tcb, k: number, now: number): void {
  const log = t.sendLog;
  const r = t.rate;
  log.xmit[k] = now;
  log.delivered[k] = r.delivered;
  log.deliveredTime[k] = r.deliveredTime;
  log.firstSendTime[k] = r.firstSendTime;
  log.lost[k] = r.lost;
  log.txInFlight[k] = log.inFlight;
  log.flags[k] = r.appLimited !== 0 ? log.flags[k]! | REC_APP_LIMITED : log.flags[k]! & ~REC_APP_LIMITED;
}

/**
 * Logs a transmission of [seq, seq + len) (+ FIN): the part below SND.MAX updates the records it
 * covers (split where the range starts or ends inside one; not-yet-lost ones are marked lost first —
 * the sender resends only what it holds lost — unless `probe`), the rest is new records of `piece`
 * bytes each (the LSO segment size; 0: one record). Call before SND.NXT/SND.MAX move.
 */
export function logTransmit(t: Tcb, seq: number, len: number, fin: boolean, piece: number, probe: boolean, now: number): void {
  const log = t.sendLog;
  const r = t.rate;
  if (log.bytes === 0) r.firstSendTime = r.deliveredTime = now;
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  let at = seq;
  if (seqLt(seq, t.sndMax)) {
    const stop = seqMin(end, t.sndMax);
    let i = log.find(seq);
    if (i >= 0 && log.start[log.at(i)] !== seq && log.split(i, seq)) i++;
    for (; i >= 0 && i < log.count; i++) {
      let k = log.at(i);
      if (seqGe(log.start[k]!, stop)) break;
      if (seqGt(log.end[k]!, stop)) {
        log.split(i, stop);
        k = log.at(i);
      }
      const f = log.flags[k]!;
      if (f & REC_SACKED) continue;
      if (!probe && (f & REC_LOST) === 0) markRecordLost(t, k, now);
      log.markRetransmitted(k);
      snapshot(t, k, now);
    }
    at = stop;
  }
  const dataEnd = seqAdd(seq, len);
  const step = piece > 0 ? piece : Math.max(1, len);
  while (seqLt(at, end)) {
    let e = seqLt(at, dataEnd) ? seqMin(seqAdd(at, step), dataEnd) : end;
    if (e === dataEnd) e = end; // the FIN rides on the last piece
    const k = log.append(at, e);
    if (k >= 0) snapshot(t, k, now);
    at = e;
  }
}

/** Counts `bytes` of record `k` delivered and makes it the sample's P if it was sent most recently. */
function deliver(t: Tcb, k: number, bytes: number, now: number): void {
  const log = t.sendLog;
  const r = t.rate;
  r.delivered += bytes;
  r.deliveredTime = now;
  const f = log.flags[k]!;
  const x = log.xmit[k]!;
  const pd = log.delivered[k]!;
  const rtt = f & REC_EVER_RETRANS ? -1 : now - x;
  if (rtt >= 0 && rtt < r.minRtt) r.minRtt = rtt;
  const end = log.end[k]!;
  if (!r.hasP || pd > r.pDelivered || (pd === r.pDelivered && (x > r.pXmit || (x === r.pXmit && seqGt(end, r.pEnd))))) {
    r.hasP = true;
    r.pDelivered = pd;
    r.pDeliveredTime = log.deliveredTime[k]!;
    r.pXmit = x;
    r.pEnd = end;
    r.pSendElapsed = x - log.firstSendTime[k]!;
    r.pAppLimited = (f & REC_APP_LIMITED) !== 0;
    r.pTxInFlight = log.txInFlight[k]!;
    r.pLost = log.lost[k]!;
    r.pRtt = rtt;
    // The next sample's send interval starts at this segment's transmission.
    r.firstSendTime = x;
  }
  rackAdvance(t, k, now);
}

/** Before an ACK's SACK blocks and cumulative acknowledgement are applied to the log. */
export function rateAckBegin(t: Tcb): void {
  const r = t.rate;
  r.priorInFlight = t.sendLog.inFlight;
  r.priorTotal = r.delivered;
  r.priorLost = r.lost;
  r.hasP = false;
  r.ackInFlight = -1;
}

/** The ACK's deliveries and losses are in the log: what is in flight now goes into the sample. */
export function rateAckMarked(t: Tcb): void {
  t.rate.ackInFlight = t.sendLog.inFlight;
}

/** Records entirely inside the SACK block [left, right) become SACKed (delivered). */
export function logSack(t: Tcb, left: number, right: number, now: number): void {
  const log = t.sendLog;
  if (log.count === 0) return;
  const first = log.start[log.head]!;
  if (seqLt(left, first)) left = first;
  if (!seqLt(left, right)) return;
  let i = log.find(left);
  if (i < 0) return;
  // A FIN is never SACKed: a record ending with it counts as covered when its data is.
  const finEnd = t.finQueued ? seqAdd(t.finSeq, 1) : 0;
  for (; i < log.count; i++) {
    const k = log.at(i);
    const end = log.end[k]!;
    if (seqGt(t.finQueued && end === finEnd ? t.finSeq : end, right)) break;
    if (seqLt(log.start[k]!, left) || (t.finQueued && log.start[k] === t.finSeq)) continue;
    if (log.flags[k]! & REC_SACKED) continue;
    deliver(t, k, log.bytesOf(k), now);
    log.markSacked(k);
  }
}

/** The cumulative ACK reached `ack`: records below it leave the log (delivered unless SACKed before). */
export function logAck(t: Tcb, ack: number, now: number): void {
  const log = t.sendLog;
  while (log.count > 0) {
    const k = log.head;
    if (seqLe(log.end[k]!, ack)) {
      if ((log.flags[k]! & REC_SACKED) === 0) deliver(t, k, log.bytesOf(k), now);
      log.shift();
      continue;
    }
    if (seqGt(ack, log.start[k]!)) {
      if ((log.flags[k]! & REC_SACKED) === 0) deliver(t, k, seqDiff(ack, log.start[k]!), now);
      log.trimFront(ack);
    }
    break;
  }
}

/**
 * Marks record `k` lost (or its outstanding retransmission lost again): C.lost grows by its bytes
 * and the controller hears of it. A record already lost and not retransmitted is left alone.
 */
export function markRecordLost(t: Tcb, k: number, now: number): number {
  const log = t.sendLog;
  const f = log.flags[k]!;
  if (f & REC_SACKED || (f & REC_LOST && (f & REC_RETRANS) === 0)) return 0;
  const n = log.bytesOf(k);
  const r = t.rate;
  r.lost += n;
  log.markLost(k);
  const s = r.lostSegment;
  s.bytes = n;
  s.txInFlight = log.txInFlight[k]!;
  s.lostSinceSend = r.lost - log.lost[k]!;
  s.isAppLimited = (f & REC_APP_LIMITED) !== 0;
  t.cc.onSegmentLost(s, now);
  return n;
}

/** A retransmission timeout: everything outstanding and not SACKed is lost (Linux tcp_timeout_mark_lost). */
export function logTimeout(t: Tcb, now: number): void {
  const log = t.sendLog;
  for (let i = 0; i < log.count; i++) markRecordLost(t, log.at(i), now);
}

/** After the ACK: builds the rate sample and gives it to the controller when anything was delivered or lost. */
export function rateAckEnd(t: Tcb, now: number): void {
  const r = t.rate;
  if (r.appLimited !== 0 && r.delivered > r.appLimited) r.appLimited = 0;
  const newlyAcked = r.delivered - r.priorTotal;
  const newlyLost = r.lost - r.priorLost;
  if (newlyAcked === 0 && newlyLost === 0) return;
  const s = r.sample;
  s.newlyAcked = newlyAcked;
  s.newlyLost = newlyLost;
  s.priorInFlight = r.priorInFlight;
  s.inFlight = r.ackInFlight >= 0 ? r.ackInFlight : t.sendLog.inFlight;
  s.totalDelivered = r.delivered;
  s.totalLost = r.lost;
  if (r.hasP) {
    // The interval is the longer of the send and ACK intervals: ACK compression cannot inflate it.
    const interval = Math.max(r.pSendElapsed, now - r.pDeliveredTime);
    s.priorDelivered = r.pDelivered;
    s.delivered = r.delivered - r.pDelivered;
    s.intervalMs = interval;
    s.isAppLimited = r.pAppLimited;
    s.rttMs = r.pRtt;
    s.txInFlight = r.pTxInFlight;
    s.lost = r.lost - r.pLost;
    // An interval shorter than the minimum RTT cannot be a real delivery interval (draft §4.5.2.4).
    s.deliveryRate = interval > 0 && !(interval < r.minRtt) ? s.delivered / interval : 0;
  } else {
    s.priorDelivered = 0;
    s.delivered = 0;
    s.intervalMs = 0;
    s.isAppLimited = false;
    s.rttMs = -1;
    s.txInFlight = 0;
    s.lost = 0;
    s.deliveryRate = 0;
  }
  t.cc.onRateSample(s, now);
}

/**
 * Called when the sender ran out of data to send while cwnd allowed more (and every lost segment was
 * retransmitted): samples until what is in flight now is delivered are application-limited.
 */
export function checkAppLimited(t: Tcb, now: number): void {
  const log = t.sendLog;
  const inFlight = log.inFlight;
  if (inFlight >= t.cc.cwnd || log.lostBytes > log.retransBytes) return;
  const r = t.rate;
  const was = r.appLimited;
  r.appLimited = r.delivered + inFlight || 1;
  if (was === 0) t.cc.onAppLimited(now);
}
