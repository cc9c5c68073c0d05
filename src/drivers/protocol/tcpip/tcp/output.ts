/**
 * Transmission: what to send now (RFC 9293 §3.8.6 sender rules, Nagle/Minshall, sender and receiver
 * silly-window avoidance, cwnd, SACK loss recovery per RFC 6675, LSO), and the segment builder. A
 * segment is written once into the host's buffer: header, options, payload copied from the send ring.
 */
import { TCP_HEADER_LEN, TcpView, emitTcpOptions, tcpOptionsLength, type TcpOptions } from '../../../../wire/index.js';
import { receiveSpace } from './buffers.js';
import { initialWindow } from './congestion.js';
import { dataOptionsLength, writeDataOptions } from './options.js';
import { paceReady, paceSent, pacingQuantum, pacingRate } from './pacing.js';
import { nextLostRecord } from './rack.js';
import { checkAppLimited, logTransmit } from './rate.js';
import { ACK, FIN, PSH, RST, SYN } from './segment.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { St } from './state.js';
import type { Tcb } from './tcb.js';
import { scheduleTimer } from './timers.js';

/** Bound on segments (or LSO buffers) one `output` call sends; later ACKs continue the burst. */
export const MAX_SEGMENTS_PER_OUTPUT = 1024;

const view = new TcpView();

const SENT = 1;
const NOTHING = 0;
const WINDOW = 2;
const CWND = 3;
const NAGLE = 4;
const NO_BUFFER = 5;
const PACED = 6;

function writeHeader(b: Uint8Array, o: number, t: Tcb, seq: number, flags: number, hl: number, window: number): void {
  view.bind(b, o);
  view.srcPort = t.flow.localPort;
  view.dstPort = t.flow.remotePort;
  view.seqNumber = seq;
  view.ackNumber = flags & ACK ? t.rcvNxt : 0;
  b[o + 12] = (hl >>> 2) << 4;
  b[o + 13] = flags;
  view.windowSize = window;
  view.checksum = 0;
  view.urgentPointer = 0;
}

/**
 * The window to advertise, with receiver silly-window avoidance (RFC 9293 §3.8.6.2.2): the right edge
 * moves only by at least min(buffer/2, MSS), and never moves left (RFC 7323 §2.4).
 */
function windowField(t: Tcb): number {
  const ring = t.recvRing;
  const free = ring !== null ? receiveSpace(t) : t.st === St.SynReceived ? t.rcvBuf : 0;
  const current = Math.max(0, seqDiff(t.rcvAdvRight, t.rcvNxt));
  let wnd = free;
  const threshold = Math.min(t.rcvBuf >>> 1, t.advMss);
  if (wnd < current + threshold) wnd = current;
  const field = Math.min(wnd >>> t.rcvWscale, 0xffff);
  const right = seqAdd(t.rcvNxt, field << t.rcvWscale);
  if (seqGt(right, t.rcvAdvRight)) t.rcvAdvRight = right;
  return field;
}

/** Fills the connection's SACK scratch from the assembler; returns the block count. */
function prepareSack(t: Tcb): number {
  const max = t.tsOk ? 3 : 4;
  if (t.dsackPending && t.sackOk) {
    // D-SACK (RFC 2883 §4): the duplicate first, then the usual blocks.
    t.txSack[0] = t.dsackStart;
    t.txSack[1] = t.dsackEnd;
    t.txSackCount = 1 + (t.assembler.isEmpty ? 0 : t.assembler.sackBlocks(t.rcvNxt, t.txSackAfterDsack, max - 1));
    t.txSackDsack = true;
    return t.txSackCount;
  }
  t.txSackDsack = false;
  t.txSackCount = t.sackOk && !t.assembler.isEmpty ? t.assembler.sackBlocks(t.rcvNxt, t.txSack, max) : 0;
  return t.txSackCount;
}

/**
 * Builds and hands one segment (or one LSO buffer when `lsoMss` > 0) to the host: header, options,
 * `len` payload bytes from the send ring at `ringOffset`. Every non-SYN segment carries the current
 * ACK and window, so it satisfies any pending ACK.
 */
function emit(t: Tcb, seq: number, flags: number, ringOffset: number, len: number, lsoMss: number, sackCount: number, retransmit = false): boolean {
  let sack = t.txSack;
  if (sackCount > 0 && t.txSackDsack && !t.dsackPending) {
    // An earlier segment of this burst carried the D-SACK: a duplicate is reported once (RFC 2883 §4).
    sack = t.txSackAfterDsack;
    sackCount--;
  }
  const optLen = dataOptionsLength(t.tsOk, sackCount);
  const hl = TCP_HEADER_LEN + optLen;
  const buf = t.host.allocate(t.flow, hl + len);
  if (buf === null) {
    t.counters.noBuffers++;
    return false;
  }
  const b = buf.bytes;
  const o = buf.offset;
  writeHeader(b, o, t, seq, flags, hl, windowField(t));
  if (optLen > 0) writeDataOptions(b, o + TCP_HEADER_LEN, t.tsOk, t.tsNow(), t.tsRecent, sack, sackCount);
  if (len > 0) t.sendRing!.peek(b, o + hl, ringOffset, len);
  if (flags & ACK) {
    if (sackCount > 0 && t.txSackDsack && t.dsackPending) {
      t.dsackPending = false;
      t.counters.dsacksSent++;
    }
    t.ackCompressed = 0;
    t.lastAckSent = t.rcvNxt;
    t.ackNow = false;
    t.unackedBytes = 0;
    t.delAckAt = Infinity;
  }
  t.host.transmit(t.flow, buf, hl + len, hl, lsoMss);
  // RFC 4022: tcpOutSegs leaves out segments carrying only retransmitted octets; those are tcpRetransSegs.
  const segs = lsoMss > 0 ? Math.ceil(len / lsoMss) : 1;
  if (retransmit) t.counters.retransSegs += segs;
  else t.counters.outSegs += segs;
  return true;
}

/**
 * SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with our options. Arms the retransmission timer unless it
 * runs already: a SYN-ACK sent in answer to a duplicate SYN does not postpone the next timeout.
 */
export function sendSyn(t: Tcb): boolean {
  const now = t.host.now();
  if (t.rtoAt === Infinity) t.rtoAt = now + t.rtt.rto;
  scheduleTimer(t);
  if (!t.refreshRoute()) {
    t.counters.noRoute++;
    return false;
  }
  const cfg = t.config;
  const route = t.route!;
  t.advMss = Math.max(88, Math.min(0xffff, cfg.mss > 0 ? cfg.mss : route.mtu - route.ipHeaderLength - TCP_HEADER_LEN));
  const synAck = t.st === St.SynReceived;
  const offerWscale = synAck ? t.wscaleOk : cfg.windowScaling;
  const offerTs = synAck ? t.tsOk : cfg.timestamps;
  const options: TcpOptions = {
    mss: t.advMss,
    windowScale: offerWscale ? t.rcvWscale : null,
    sackPermitted: synAck ? t.sackOk : cfg.sack,
    sackBlocks: [],
    timestamps: offerTs ? { value: t.tsNow() >>> 0, echo: synAck ? t.tsRecent >>> 0 : 0 } : null,
  };
  const hl = TCP_HEADER_LEN + tcpOptionsLength(options);
  const buf = t.host.allocate(t.flow, hl);
  if (buf === null) {
    t.counters.noBuffers++;
    return false;
  }
  const b = buf.bytes;
  const o = buf.offset;
  // The window in a SYN is never scaled (RFC 7323 §2.2).
  const window = Math.min(t.recvRing !== null ? receiveSpace(t) : t.rcvBuf, 0xffff);
  writeHeader(b, o, t, t.iss, synAck ? SYN | ACK : SYN, hl, window);
  emitTcpOptions(options, b, o + TCP_HEADER_LEN);
  if (synAck) {
    const right = seqAdd(t.rcvNxt, window);
    if (seqGt(right, t.rcvAdvRight)) t.rcvAdvRight = right;
    t.lastAckSent = t.rcvNxt;
    t.ackNow = false;
  }
  const first = seqLe(t.sndMax, t.iss);
  t.sndNxt = seqAdd(t.iss, 1);
  if (first) {
    t.sndMax = t.sndNxt;
    t.rttStart = now;
    t.counters.outSegs++;
  } else {
    t.counters.retransSegs++;
    t.totalRetransmits++;
  }
  t.lastSendTime = now;
  t.host.transmit(t.flow, buf, hl, hl, 0);
  return true;
}

/**
 * A pure ACK now (also answers challenges and window updates). In SYN-RECEIVED, the SYN-ACK again.
 * Pure ACKs carry SND.MAX, not SND.NXT (as BSD does): after a timeout moved SND.NXT back, an ACK
 * numbered left of the peer's RCV.NXT would fail its sequence check and the ACK would be lost.
 */
export function sendAck(t: Tcb): void {
  if (t.st === St.SynReceived) {
    sendSyn(t);
    return;
  }
  if (t.st === St.SynSent || t.st === St.Closed || t.st === St.Listen) return;
  if (!t.refreshRoute()) {
    t.counters.noRoute++;
    return;
  }
  if (emit(t, t.sndMax, ACK, 0, 0, 0, prepareSack(t))) t.counters.acksSent++;
}

/** RST+ACK at SND.MAX (abort): never left of the peer's RCV.NXT, even while retransmitting. */
export function sendReset(t: Tcb): void {
  if (!t.refreshRoute()) {
    t.counters.noRoute++;
    return;
  }
  if (emit(t, t.sndMax, RST | ACK, 0, 0, 0, 0)) t.counters.outRsts++;
}

/**
 * A bare RST with sequence number `seq` (an unacceptable ACK in SYN-SENT/SYN-RECEIVED, RFC 9293
 * §3.10.7.3): an answer to a segment, so it goes through the engine's RST rate limit.
 */
export function sendResetSeq(t: Tcb, seq: number): void {
  if (!t.owner.allowReset()) return;
  if (!t.refreshRoute()) {
    t.counters.noRoute++;
    return;
  }
  if (emit(t, seq, RST, 0, 0, 0, 0)) t.counters.outRsts++;
}

/** Keepalive probe: SEG.SEQ = SND.NXT − 1, no data (RFC 1122 §4.2.3.6), so the peer must ACK. */
export function sendKeepAlive(t: Tcb): void {
  if (!t.refreshRoute()) {
    t.counters.noRoute++;
    return;
  }
  emit(t, seqAdd(t.sndNxt, -1), ACK, 0, 0, 0, 0);
}

/** Segment payload limit with the options this connection puts on data segments now. */
function segmentMss(t: Tcb, sackCount: number): number {
  return t.mssBase - dataOptionsLength(t.tsOk, sackCount);
}

/**
 * Sends `len` bytes at `seq` (and FIN after them when `fin`); `lsoMss` > 0 makes it one LSO buffer.
 * Updates SND.NXT/SND.MAX, RTT timing (Karn), counters and the retransmission timer.
 */
function sendData(t: Tcb, seq: number, len: number, fin: boolean, lsoMss: number, segMss: number, sackCount: number, now: number, probe = false): boolean {
  const dataEnd = t.dataEnd();
  let flags = ACK;
  if (fin) flags |= FIN;
  if (len > 0 && seqAdd(seq, len) === dataEnd) flags |= PSH;
  const retransmit = seqLt(seq, t.sndMax);
  if (!emit(t, seq, flags, seqDiff(seq, t.sndDataSeq), len, lsoMss, sackCount, retransmit)) return false;
  logTransmit(t, seq, len, fin, lsoMss, probe, now);
  paceSent(t, len, now);
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  const c = t.counters;
  if (retransmit) {
    t.totalRetransmits += lsoMss > 0 ? Math.ceil(len / lsoMss) : 1;
    if (t.inRecovery && t.undoRetrans >= 0) t.undoRetrans++;
    t.rttActive = false;
  } else {
    if (!t.tsOk && !t.rttActive) {
      t.rttActive = true;
      t.rttSeq = end;
      t.rttStart = now;
    }
  }
  if (lsoMss > 0) c.lsoBuffers++;
  if (t.inRecovery) t.prrOut += len;
  if (seqGt(end, t.sndNxt)) t.sndNxt = end;
  if (seqGt(end, t.sndMax)) t.sndMax = end;
  if (len > 0 && len % segMss !== 0) t.sndSmallEnd = seqAdd(seq, len);
  if (t.rtoAt === Infinity) t.rtoAt = now + t.rtt.rto;
  t.lastSendTime = now;
  return true;
}

/**
 * Retransmits up to `maxLen` bytes at `seq` outside the normal flow (fast retransmit, SACK holes,
 * NewReno partial ACKs): SND.NXT does not move. Returns the sequence space sent (data, plus 1 for a
 * FIN riding along or sent alone), 0 when nothing went out.
 */
export function retransmitAt(t: Tcb, seq: number, maxLen: number, probe = false): number {
  if (t.sendRing === null || !t.refreshRoute()) return 0;
  const sackCount = prepareSack(t);
  const segMss = segmentMss(t, sackCount);
  const avail = seqDiff(t.dataEnd(), seq);
  const len = Math.max(0, Math.min(maxLen, segMss, avail));
  const fin = t.finQueued && seqGt(t.sndMax, t.finSeq) && seqAdd(seq, len) === t.finSeq;
  if (len === 0 && !fin) return 0;
  if (!sendData(t, seq, len, fin, 0, segMss, sackCount, t.host.now(), probe)) return 0;
  return len + (fin ? 1 : 0);
}

/**
 * Pipe: bytes believed in flight. From a peer that sends SACK blocks, the send log's count (Linux
 * packets_in_flight: outstanding − SACKed − lost + retransmitted; what is lost is RACK's call), which
 * keeps every SACKed range however many holes there are. Without SACK information yet, each duplicate
 * ACK stands for one segment that left the network.
 */
export function sackPipe(t: Tcb): number {
  if (t.sackSeen) return t.sendLog.inFlight;
  return Math.max(0, seqDiff(t.sndMax, t.sndUna) - t.dupAcks * t.smss);
}

/** NextSeg: retransmit the first segment marked lost (RACK, RFC 8985) that has not been retransmitted since. */
function retransmitHole(t: Tcb, segMss: number): boolean {
  if (t.sackSeen) {
    const i = nextLostRecord(t);
    if (i < 0) return false;
    const log = t.sendLog;
    const k = log.at(i);
    const seq = log.start[k]!;
    const n = retransmitAt(t, seq, Math.min(log.bytesOf(k), segMss));
    if (n === 0) return false;
    t.highRxt = seqAdd(seq, n);
    t.rxtMark = t.sndMax;
    return true;
  }
  // From a peer that negotiated SACK but never sends blocks, repair the first unacknowledged segment
  // once per partial ACK (NewReno).
  if (seqGt(t.highRxt, t.sndUna) || !seqGt(t.sndMax, t.sndUna)) return false;
  const n = retransmitAt(t, t.sndUna, segMss);
  if (n === 0) return false;
  t.highRxt = seqAdd(t.sndUna, n);
  return true;
}

/** New data (or data again after a timeout moved SND.NXT back), within the peer's window and cwnd. */
function sendNew(t: Tcb, cwndAvail: number, segMss: number, sackCount: number, now: number): number {
  const ring = t.sendRing!;
  const dataEnd = seqAdd(t.sndDataSeq, ring.length);
  const unsent = seqDiff(dataEnd, t.sndNxt);
  if (unsent > 0) {
    const wndAvail = seqDiff(seqAdd(t.sndUna, t.sndWnd), t.sndNxt);
    if (wndAvail <= 0) return WINDOW;
    if (cwndAvail <= 0) return CWND;
    let maxChunk = t.lsoMax > segMss ? t.lsoMax : segMss;
    // Paced: an LSO buffer holds at most one send quantum.
    if (t.paceRate > 0 && maxChunk > t.paceQuantum) maxChunk = Math.max(segMss, t.paceQuantum);
    let len = Math.min(unsent, wndAvail, cwndAvail, maxChunk);
    // Data sent before (after a timeout or MTU drop moved SND.NXT back) goes again regardless of SWS
    // and Nagle, as in BSD: it was acceptable when first sent.
    const resend = seqLt(t.sndNxt, t.sndMax);
    if (len < segMss && !resend) {
      if (len < unsent) {
        // Limited by the window or cwnd: sender SWS avoidance (RFC 9293 §3.8.6.2.1).
        if (len < t.maxSndWnd >>> 1) return wndAvail < cwndAvail ? WINDOW : CWND;
      } else if (!t.noDelay && !t.finQueued && seqGt(t.sndSmallEnd, t.sndUna)) {
        // Nagle, Minshall's variant: one small segment outstanding at a time.
        return NAGLE;
      }
    } else if (len > segMss) {
      if (len < unsent) len -= len % segMss;
      if (len < t.lsoMinSegments * segMss) len = segMss;
    }
    const fin = t.finQueued && seqAdd(t.sndNxt, len) === dataEnd;
    return sendData(t, t.sndNxt, len, fin, len > segMss ? segMss : 0, segMss, sackCount, now) ? SENT : NO_BUFFER;
  }
  if (t.finQueued && t.sndNxt === t.finSeq) return sendData(t, t.sndNxt, 0, true, 0, segMss, sackCount, now) ? SENT : NO_BUFFER;
  return NOTHING;
}

/**
 * Sends whatever the state, windows and timers allow, then an ACK if one is still owed, then arms the
 * retransmission or persist timer.
 */
export function output(t: Tcb): void {
  const st = t.st;
  if (st === St.Closed || st === St.Listen || st === St.SynSent) return;
  if (st === St.SynReceived) {
    if (t.ackNow) sendSyn(t);
    return;
  }
  if (st === St.TimeWait || t.sendRing === null) {
    if (t.ackNow) sendAck(t);
    scheduleTimer(t);
    return;
  }
  const now = t.host.now();
  if (!t.refreshRoute()) {
    t.counters.noRoute++;
    if (t.rtoAt === Infinity && seqGt(t.dataEnd(), t.sndUna)) t.rtoAt = now + t.rtt.rto;
    scheduleTimer(t);
    return;
  }
  const sackCount = prepareSack(t);
  const segMss = segmentMss(t, sackCount);
  // Restart from the initial window after an idle period longer than the RTO (RFC 5681 §4.1).
  if (t.sndMax === t.sndUna && t.lastSendTime > 0 && now - t.lastSendTime > t.rtt.rto && seqGt(t.dataEnd(), t.sndNxt)) {
    t.cc.onIdleRestart(initialWindow(t.smss, t.config.initialWindowSegments));
  }
  const rate = pacingRate(t);
  t.paceRate = rate;
  t.paceQuantum = rate > 0 ? pacingQuantum(t, rate, segMss) : 0;
  t.paceAt = Infinity;
  let sent = false;
  let why = NOTHING;
  for (let i = 0; i < MAX_SEGMENTS_PER_OUTPUT; i++) {
    // Held back by the pacer only when something could go now; otherwise the loop below finds why not
    // (a closed window must still arm the persist timer).
    if (rate > 0 && !paceReady(t, now) && hasWork(t)) {
      why = PACED;
      break;
    }
    let cwndAvail: number;
    if (t.inRecovery && t.sackOk) {
      cwndAvail = t.cc.cwnd - sackPipe(t);
      if (cwndAvail < t.smss) {
        why = CWND;
        break;
      }
      if (retransmitHole(t, segMss)) {
        sent = true;
        continue;
      }
    } else {
      // Limited Transmit (RFC 3042): each of the first two duplicate ACKs lets one new segment out
      // beyond cwnd, so a small window still produces the duplicate ACKs fast retransmit needs.
      cwndAvail = t.cc.cwnd + Math.min(t.dupAcks, 2) * t.smss - seqDiff(t.sndNxt, t.sndUna);
    }
    why = sendNew(t, cwndAvail, segMss, sackCount, now);
    if (why !== SENT) break;
    sent = true;
  }
  if (why === CWND) t.cwndLimited = true;
  else if (why === NOTHING || why === NAGLE) {
    t.cwndLimited = false;
    checkAppLimited(t, now);
  } else if (why === PACED) {
    t.counters.pacedDeferrals++;
    t.paceAt = t.paceNext;
  }
  if (!sent && t.ackNow && emit(t, t.sndMax, ACK, 0, 0, 0, sackCount)) t.counters.acksSent++;
  // Timers: retransmission while anything is outstanding; persist while the window holds data back.
  if (seqGt(t.sndMax, t.sndUna)) {
    if (t.rtoAt === Infinity) t.rtoAt = now + t.rtt.rto;
    t.persistAt = Infinity;
    if (sent || t.sndUna !== t.tlpUna) armTailLossProbe(t, now);
  } else {
    t.tlpAt = Infinity;
    t.rtoAt = why === NO_BUFFER ? now + t.rtt.rto : Infinity;
    if (why === WINDOW) {
      if (t.persistAt === Infinity) t.persistAt = now + Math.min(t.config.rtoMaxMs, t.rtt.baseRto * 2 ** Math.min(t.persistBackoff, 30));
    } else {
      t.persistAt = Infinity;
    }
  }
  scheduleTimer(t);
}

/** Paced with something to send: unsent data in the window, or a hole to repair in recovery. */
function hasWork(t: Tcb): boolean {
  if (t.inRecovery && t.sackOk && (t.scoreboard.count > 0 || t.sendLog.lostBytes > 0)) return true;
  if (t.cc.cwnd <= seqDiff(t.sndNxt, t.sndUna)) return false;
  if (t.finQueued && t.sndNxt === t.finSeq) return true;
  return seqGt(t.dataEnd(), t.sndNxt) && seqGt(seqAdd(t.sndUna, t.sndWnd), t.sndNxt);
}

/** Worst-case delayed ACK added to the probe timeout when only one segment is outstanding (RFC 8985 §7.2). */
const TLP_DELAYED_ACK_MS = 200;
/** Floor of the probe timeout: below it, timer and scheduling noise would make probes spurious. */
const TLP_MIN_MS = 10;

/**
 * Arms the tail loss probe: PTO = 2·SRTT (+ a delayed ACK for a single outstanding segment), when SACK
 * is on, an RTT was measured, and no recovery (fast or after a timeout) or probe is under way; at the
 * latest when the RTO would fire.
 */
function armTailLossProbe(t: Tcb, now: number): void {
  t.tlpUna = t.sndUna;
  t.tlpAt = Infinity;
  if (!t.config.tailLossProbe || !t.sackOk || t.inRecovery || t.tlpOutstanding || t.rtt.samples === 0) return;
  // Not while an RTO episode is being repaired (SND.UNA below what was outstanding at the timeout).
  if (t.retries > 0 || seqLt(t.sndUna, t.recover)) return;
  // Any state that can have data or a FIN outstanding: a lost tail matters most as a connection ends.
  const st = t.st;
  if (st !== St.Established && st !== St.CloseWait && st !== St.FinWait1 && st !== St.Closing && st !== St.LastAck) return;
  let pto = Math.max(TLP_MIN_MS, 2 * t.rtt.srtt);
  if (seqDiff(t.sndMax, t.sndUna) <= t.smss) pto += TLP_DELAYED_ACK_MS;
  // An RTO due sooner is replaced by the probe (Linux tcp_schedule_loss_probe): a lost tail (one
  // segment: PTO 2·SRTT + 200 ms, beyond a 200 ms RTO) is then probed instead of timing out.
  t.tlpAt = Math.min(now + pto, t.rtoAt);
}

/**
 * The probe (RFC 8985 §7.3): one new segment if the window allows, else the last segment sent again.
 * Its ACK (or SACK) tells the sender what the lost tail ACK would have; the RTO is pushed back.
 */
export function sendTailLossProbe(t: Tcb, now: number): void {
  if (t.sendRing === null || t.inRecovery || t.tlpOutstanding || !seqGt(t.sndMax, t.sndUna) || !t.refreshRoute()) return;
  const sackCount = prepareSack(t);
  const segMss = segmentMss(t, sackCount);
  let retransmit = true;
  if (seqGe(t.sndNxt, t.sndMax)) {
    const unsent = seqDiff(t.dataEnd(), t.sndNxt);
    const wndAvail = seqDiff(seqAdd(t.sndUna, t.sndWnd), t.sndNxt);
    const len = Math.min(unsent, wndAvail, segMss);
    if (len > 0) {
      const fin = t.finQueued && seqAdd(t.sndNxt, len) === t.finSeq;
      if (!sendData(t, t.sndNxt, len, fin, 0, segMss, sackCount, now)) return;
      retransmit = false;
    }
  }
  if (retransmit) {
    const outstanding = seqDiff(t.sndMax, t.sndUna);
    const last = Math.min(outstanding, segMss);
    if (retransmitAt(t, seqAdd(t.sndMax, -last), last, true) === 0) return;
  }
  t.counters.tailLossProbes++;
  t.tlpOutstanding = true;
  t.tlpRetransmit = retransmit;
  t.tlpEnd = t.sndMax;
  t.rtoAt = now + t.rtt.rto;
  scheduleTimer(t);
}

/**
 * Persist timer (RFC 9293 §3.8.6.1): sends new data beyond a closed (or silly-small) window: one
 * byte when the window is zero, else what fits. It is then outstanding and the retransmission timer
 * takes over, probing again with backoff while the window stays closed.
 */
export function sendWindowProbe(t: Tcb): void {
  if (t.sendRing === null || !t.refreshRoute()) return;
  const now = t.host.now();
  const sackCount = prepareSack(t);
  const segMss = segmentMss(t, sackCount);
  const dataEnd = t.dataEnd();
  const unsent = seqDiff(dataEnd, t.sndNxt);
  if (unsent <= 0) {
    if (t.finQueued && t.sndNxt === t.finSeq) sendData(t, t.sndNxt, 0, true, 0, segMss, sackCount, now);
    return;
  }
  const wndAvail = seqDiff(seqAdd(t.sndUna, t.sndWnd), t.sndNxt);
  const len = Math.max(1, Math.min(unsent, wndAvail, segMss));
  const fin = t.finQueued && seqAdd(t.sndNxt, len) === dataEnd;
  sendData(t, t.sndNxt, len, fin, 0, segMss, sackCount, now);
  scheduleTimer(t);
}
