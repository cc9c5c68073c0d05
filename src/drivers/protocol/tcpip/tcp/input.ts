/**
 * Segment arrival (RFC 9293 §3.10.7) for a connection that exists: SYN-SENT, then the synchronized
 * states and SYN-RECEIVED in the RFC's order — PAWS (RFC 7323 §5), sequence check, RST and SYN with
 * RFC 5961's challenge ACKs, ACK (RFC 5961 §5 validation, RTT, congestion control, duplicate ACKs,
 * fast retransmit/recovery, window update), data into the receive ring (out-of-order data straight
 * into place), FIN. Nothing here throws on hostile input; every drop bumps a named counter.
 */
import { chunksArrive, measureReceiveRtt, receiveRoom } from './buffers.js';
import { createCongestionControl, initialWindow } from './congestion.js';
import { TcpError } from './errors.js';
import { HashDomain } from './isn.js';
import { output, retransmitAt, sackPipe, sendAck, sendResetSeq, sendSyn } from './output.js';
import { nextLostRecord, rackDetectLoss, rackDsack, rackRecoveryStarted } from './rack.js';
import { logAck, logSack, markRecordLost, rateAckBegin, rateAckEnd, rateAckMarked } from './rate.js';
import { SYN, type Segment } from './segment.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { St, isCurrEstab, receivesData } from './state.js';
import { EV_CONNECTED, EV_READABLE, EV_WRITABLE, type Tcb } from './tcb.js';
import { scheduleTimer } from './timers.js';

export const INPUT_DONE = 0;
/** A SYN may reopen this TIME-WAIT connection: the layer closes it and gives the SYN to the listener. */
export const INPUT_REOPEN = 1;

/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid for PAWS. */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;

/** Initializes our send side: ISS (RFC 6528) and the timestamp offset. */
function initSendSide(t: Tcb, now: number): void {
  const f = t.flow;
  const h = t.owner.hasher;
  t.iss = h.isn(now, f.family, f.localAddress, f.localPort, f.remoteAddress, f.remotePort);
  t.tsOffset = h.hash(HashDomain.TimestampOffset, f.family, f.localAddress, f.localPort, f.remoteAddress, f.remotePort);
  t.sndUna = t.sndNxt = t.sndMax = t.iss;
  t.sndDataSeq = seqAdd(t.iss, 1);
  t.sndSmallEnd = t.iss;
  t.recover = t.highRxt = t.iss;
  t.lastRecvTime = now;
}

/** Active open: CLOSED → SYN-SENT, SYN out. */
export function startConnect(t: Tcb, now: number): void {
  initSendSide(t, now);
  t.allocateRings();
  t.setState(St.SynSent);
  t.counters.activeOpens++;
  sendSyn(t);
}

/** Passive open: a listener's SYN creates this TCB in SYN-RECEIVED; the SYN-ACK goes out. */
export function acceptSyn(t: Tcb, seg: Segment, now: number): void {
  initSendSide(t, now);
  receiveSynOptions(t, seg, now);
  t.sndWnd = t.maxSndWnd = seg.window;
  t.sndWl1 = seg.seq;
  t.sndWl2 = t.iss;
  t.halfOpen = true;
  t.setState(St.SynReceived);
  t.counters.passiveOpens++;
  sendSyn(t);
}

/**
 * A connection rebuilt from a valid SYN cookie in the handshake's ACK: SYN-RECEIVED as if the SYN-ACK
 * had been sent by this TCB; `segmentArrives` then completes it with the same ACK.
 */
export function acceptCookie(t: Tcb, seg: Segment, clientIsn: number, iss: number, mss: number, wscale: number, sackPermitted: boolean, timestamps: boolean, now: number): void {
  const f = t.flow;
  t.iss = iss;
  t.tsOffset = t.owner.hasher.hash(HashDomain.TimestampOffset, f.family, f.localAddress, f.localPort, f.remoteAddress, f.remotePort);
  t.sndUna = iss;
  t.sndNxt = t.sndMax = t.sndDataSeq = seqAdd(iss, 1);
  t.sndSmallEnd = t.recover = t.highRxt = iss;
  t.lastRecvTime = now;
  t.irs = clientIsn;
  t.rcvNxt = t.lastAckSent = seqAdd(clientIsn, 1);
  t.rcvAdvRight = seqAdd(t.rcvNxt, Math.min(t.receiveBufferSize, 0xffff));
  t.applyPeerOptions(mss, wscale, sackPermitted, timestamps);
  if (t.tsOk) {
    t.tsRecent = seg.opt.tsValue;
    t.tsRecentAge = now;
  }
  t.fromCookie = true;
  t.setState(St.SynReceived);
  t.counters.passiveOpens++;
}

function receiveSynOptions(t: Tcb, seg: Segment, now: number): void {
  const o = seg.opt;
  t.irs = seg.seq;
  t.rcvNxt = t.rcvAdvRight = t.lastAckSent = seqAdd(seg.seq, 1);
  t.applyPeerOptions(o.mss, o.windowScale, o.sackPermitted, o.hasTimestamps);
  if (t.tsOk) {
    t.tsRecent = o.tsValue;
    t.tsRecentAge = now;
  }
}

/** One RTT sample from the handshake: the timestamp echo, or the SYN's send time if it was not retransmitted. */
function handshakeRtt(t: Tcb, seg: Segment, now: number): void {
  if (t.fromCookie) return;
  if (t.tsOk && seg.opt.hasTimestamps && seg.opt.tsEcho !== 0) {
    const r = seqDiff(t.tsNow(), seg.opt.tsEcho);
    if (r >= 0) t.rtt.sample(r);
  } else if (!t.synRetransmitted) {
    t.rtt.sample(now - t.rttStart);
  }
  if (t.synRetransmitted && t.rtt.samples === 0) {
    // RFC 6298 §5.7: a lost SYN leaves the RTO at 3 s for data.
    t.rtt.raiseBase(3000);
  }
  t.rtt.resetBackoff();
}

/** SYN-SENT/SYN-RECEIVED → ESTABLISHED. */
function establish(t: Tcb, now: number): void {
  t.setState(St.Established);
  t.cc = createCongestionControl(t.cc.algorithm, t.smss, initialWindow(t.smss, t.config.initialWindowSegments), t.ccOptions());
  t.allocateRings();
  t.retries = 0;
  if (t.keepAlive) t.keepAt = now + t.keepAliveIdleMs;
  if (t.listener !== null) t.listener.established(t);
  else t.pendingEvents |= EV_CONNECTED;
  if (t.finQueued) {
    // shutdown() was called during the handshake: the FIN follows whatever was queued.
    t.finSeq = t.dataEnd();
    t.setState(St.FinWait1);
  }
}

/** Processes `seg` for `t`. Returns INPUT_REOPEN when the layer should hand a SYN to a listener instead. */
export function segmentArrives(t: Tcb, seg: Segment, now: number): number {
  t.lastRecvTime = now;
  if (t.keepProbes !== 0) {
    // The peer answered a keepalive probe: back to a full idle period.
    t.keepProbes = 0;
    t.keepAt = now + t.keepAliveIdleMs;
  }
  if (t.st === St.SynSent) synSentArrives(t, seg, now);
  else if (t.st !== St.Closed && t.st !== St.Listen) return synchronizedArrives(t, seg, now);
  return INPUT_DONE;
}

function synSentArrives(t: Tcb, seg: Segment, now: number): void {
  const c = t.counters;
  if (seg.hasAck && (seqLe(seg.ack, t.iss) || seqGt(seg.ack, t.sndMax))) {
    c.ackUnsent++;
    if (!seg.rst) sendResetSeq(t, seg.ack);
    return;
  }
  if (seg.rst) {
    if (seg.hasAck) t.terminate(new TcpError('ECONNREFUSED'));
    else c.rstInvalid++;
    return;
  }
  if (!seg.syn) {
    c.ignored++;
    return;
  }
  receiveSynOptions(t, seg, now);
  // The window of a SYN is never scaled (RFC 7323 §2.2).
  t.sndWnd = t.maxSndWnd = seg.window;
  t.sndWl1 = seg.seq;
  if (seg.hasAck) {
    t.sndWl2 = seg.ack;
    handshakeRtt(t, seg, now);
    t.sndUna = seg.ack;
    if (seqLt(t.sndNxt, t.sndUna)) t.sndNxt = t.sndUna;
    t.rtoAt = Infinity;
    establish(t, now);
    // Data on a SYN-ACK is not taken (no TCP Fast Open): the peer sends it again.
    t.ackNow = true;
    output(t);
    return;
  }
  // Simultaneous open (RFC 9293 Figure 8): SYN-RECEIVED, SYN-ACK with our original ISS (its first
  // transmission as a SYN-ACK, so not counted as a retransmission).
  t.sndWl2 = t.iss;
  t.retries = 0;
  t.setState(St.SynReceived);
  t.sndMax = t.iss;
  t.rtoAt = Infinity;
  sendSyn(t);
}

/**
 * Data that arrived again (`bytes` of it; [start, end) the first duplicate piece): answered at once
 * with a D-SACK block (RFC 2883) — below RCV.NXT, inside or overlapping out-of-order data alike. A
 * second duplicate before that ACK left extends the block when the two touch; otherwise the first is
 * reported on an ACK of its own, so every duplicate is reported once.
 */
function noteDuplicate(t: Tcb, start: number, end: number, bytes: number): void {
  t.counters.duplicateSegments++;
  t.counters.duplicateBytes += bytes;
  t.ackNow = true;
  if (!t.sackOk) return;
  if (t.dsackPending) {
    if (seqLe(start, t.dsackEnd) && seqGe(end, t.dsackStart)) {
      if (seqLt(start, t.dsackStart)) t.dsackStart = start;
      if (seqGt(end, t.dsackEnd)) t.dsackEnd = end;
      return;
    }
    sendAck(t);
  }
  t.dsackPending = true;
  t.dsackStart = start;
  t.dsackEnd = end;
}

/** Most ACKs merged by SACK compression wait (Linux's tcp_comp_sack_delay_ns, 1 ms). */
const SACK_COMPRESS_MAX_MS = 1;
/** Out-of-order segments per hole ACKed at once before compression starts: the sender's DupThresh. */
const SACK_COMPRESS_IMMEDIATE = 3;

/**
 * The ACK for an out-of-order segment. RFC 5681 §4.2 wants each at once; on a lossy path with a large
 * window nearly every segment then arrives out of order and the receiver ACKs each one. With SACK,
 * Linux ACKs the first three per hole at once (enough for the sender's DupThresh) and merges later
 * ones (SACK compression): one ACK after min(1 ms, SRTT/20) — here at the end of the host's receive
 * batch at the latest — or at once when `sackCompressSegments` were merged. Only segments arriving
 * above everything held are merged (`atTop`): one that fills part of a gap is ACKed at once (RFC 5681
 * §4.2), and so is a duplicate (its D-SACK).
 */
function outOfOrderAck(t: Tcb, now: number, atTop: boolean): void {
  const limit = t.config.sackCompressSegments;
  if (!t.sackOk || limit === 0 || t.dsackPending || !atTop) {
    t.ackNow = true;
    return;
  }
  if (t.oooAckRcvNxt !== t.rcvNxt) {
    t.oooAckRcvNxt = t.rcvNxt;
    t.oooAcks = 0;
  }
  if (t.oooAcks < SACK_COMPRESS_IMMEDIATE || t.ackCompressed >= limit) {
    t.oooAcks++;
    t.ackNow = true;
    return;
  }
  t.ackCompressed++;
  t.counters.compressedAcks++;
  if (!t.ackFlushQueued) {
    t.ackFlushQueued = true;
    t.owner.queueAckFlush(t);
  }
  const rtt = t.rtt.samples > 0 ? t.rtt.srtt : 20 * SACK_COMPRESS_MAX_MS;
  const due = now + Math.min(SACK_COMPRESS_MAX_MS, rtt / 20);
  if (due < t.delAckAt) t.delAckAt = due;
}

/**
 * Before an out-of-order segment changes the ranges: sends the merged ACK first unless the segment
 * just extends the top range — that is, before a new hole opens above it or a gap below it is filled
 * (like Linux's tcp_sack_compress_send_ack). So a merged ACK reports one range's growth, and every
 * range still goes out as the first block and then in the next ACKs (RFC 2018 §4 repeats each block
 * in at least three successive ACKs, for robustness against lost ACKs). Without this a sender would
 * never see some SACKs, take the data as lost and send it again.
 */
function flushBeforeChange(t: Tcb, atTop: boolean, newRange: boolean): void {
  if (t.ackCompressed === 0 || (atTop && !newRange)) return;
  sendAck(t);
}

/** Answers with an ACK (SYN-ACK in SYN-RECEIVED), rate-limited for pure ACKs and SYNs. */
function outOfWindowAck(t: Tcb, seg: Segment, now: number): void {
  if (seg.dataLen === 0 && !seg.fin) {
    if (now - t.lastOowAck < t.config.outOfWindowAckIntervalMs) {
      t.counters.outOfWindowAcksSuppressed++;
      return;
    }
    t.lastOowAck = now;
  }
  sendAck(t);
}

/** RFC 5961 §3.2/§4.2 challenge ACK, at most `challengeAcksPerSecond` per connection (§7). */
function challengeAck(t: Tcb, now: number): void {
  if (now - t.challengeWindowStart >= 1000) {
    t.challengeWindowStart = now;
    t.challengeCount = 0;
  }
  if (t.challengeCount >= t.config.challengeAcksPerSecond) {
    t.counters.challengeAcksSuppressed++;
    return;
  }
  t.challengeCount++;
  t.counters.challengeAcks++;
  sendAck(t);
}

function resetArrives(t: Tcb): void {
  switch (t.st) {
    case St.SynReceived:
      // Passive: back to LISTEN (the listener forgets it). Active (simultaneous open): refused.
      t.terminate(t.passive ? null : new TcpError('ECONNREFUSED'));
      return;
    case St.Established:
    case St.FinWait1:
    case St.FinWait2:
    case St.CloseWait:
      if (isCurrEstab(t.st)) t.counters.estabResets++;
      t.terminate(new TcpError('ECONNRESET'));
      return;
    default:
      t.terminate(null);
  }
}

function synchronizedArrives(t: Tcb, seg: Segment, now: number): number {
  const c = t.counters;
  const o = seg.opt;
  const rst = seg.rst;
  // A new SYN may reuse a TIME-WAIT connection's tuple (RFC 6191): newer timestamp, or higher sequence.
  if (t.st === St.TimeWait && seg.syn && !seg.hasAck && !rst) {
    if (t.tsOk && o.hasTimestamps ? seqGt(o.tsValue, t.tsRecent) : seqGt(seg.seq, t.rcvNxt)) return INPUT_REOPEN;
  }
  // Simultaneous open: the peer's SYN-ACK (SYN at IRS, ACK of our SYN) completes the handshake, as its
  // ACK would (Linux does the same); the SYN itself is old news.
  if (t.st === St.SynReceived && !t.passive && seg.syn && seg.hasAck && !rst && seg.seq === t.irs && seg.ack === t.sndMax) {
    seg.flags &= ~SYN;
    seg.seq = t.rcvNxt;
    seg.dataLen = 0;
  }
  // PAWS (RFC 7323 §5.3 R1).
  if (t.tsOk && o.hasTimestamps && !rst && seqLt(o.tsValue, t.tsRecent) && now - t.tsRecentAge <= PAWS_IDLE_MS) {
    c.pawsRejected++;
    // An old retransmission of data already here: reported as a duplicate, as Linux does.
    if (seg.dataLen > 0 && seqLt(seg.seq, t.rcvNxt)) {
      const end = seqLt(seqAdd(seg.seq, seg.dataLen), t.rcvNxt) ? seqAdd(seg.seq, seg.dataLen) : t.rcvNxt;
      noteDuplicate(t, seg.seq, end, seqDiff(end, seg.seq));
    }
    outOfWindowAck(t, seg, now);
    return INPUT_DONE;
  }
  // Sequence check (RFC 9293 §3.10.7.4 first), in Linux's slightly wider form: the segment must end
  // at or after the RCV.NXT we last acknowledged and start at or before the window's right edge. So a
  // closed window still admits a segment at RCV.NXT (its ACK, RST and FIN count; data is trimmed), and
  // a pure ACK numbered at the right edge — where SND.MAX sits after a full window — is taken.
  const wnd = Math.max(0, seqDiff(t.rcvAdvRight, t.rcvNxt));
  const off = seqDiff(seg.seq, t.rcvNxt);
  const ok = seqGe(seqAdd(seg.seq, seg.length), t.lastAckSent) && off <= wnd;
  if (!ok) {
    c.outOfWindow++;
    if (rst) return INPUT_DONE;
    if (seg.syn) {
      c.synInvalid++;
      challengeAck(t, now);
      return INPUT_DONE;
    }
    if (t.st === St.TimeWait && seg.fin) {
      // A retransmitted FIN: ACK it and restart 2·MSL.
      t.lingerAt = now + t.config.timeWaitMs;
      sendAck(t);
      scheduleTimer(t);
      return INPUT_DONE;
    }
    if (seg.dataLen > 0 && seqLe(seqAdd(seg.seq, seg.dataLen), t.rcvNxt)) noteDuplicate(t, seg.seq, seqAdd(seg.seq, seg.dataLen), seg.dataLen);
    outOfWindowAck(t, seg, now);
    return INPUT_DONE;
  }
  if (rst) {
    if (off === 0) resetArrives(t);
    else {
      c.rstInvalid++;
      challengeAck(t, now);
    }
    return INPUT_DONE;
  }
  if (seg.syn) {
    c.synInvalid++;
    challengeAck(t, now);
    return INPUT_DONE;
  }
  if (!seg.hasAck) {
    c.noAck++;
    return INPUT_DONE;
  }
  if (t.st === St.SynReceived) {
    if (seqLe(seg.ack, t.sndUna) || seqGt(seg.ack, t.sndMax)) {
      c.ackUnsent++;
      sendResetSeq(t, seg.ack);
      return INPUT_DONE;
    }
    if (t.listener !== null && !t.listener.hasRoom()) {
      // The accept queue is full: as Linux (tcp_abort_on_overflow off), drop the ACK and stay in
      // SYN-RECEIVED; the SYN-ACK's retransmission draws it again.
      c.listenOverflow++;
      return INPUT_DONE;
    }
    handshakeRtt(t, seg, now);
    t.sndWnd = seg.window << t.sndWscale;
    t.sndWl1 = seg.seq;
    t.sndWl2 = seg.ack;
    if (t.sndWnd > t.maxSndWnd) t.maxSndWnd = t.sndWnd;
    t.rtoAt = Infinity;
    establish(t, now);
  }
  if (!ackArrives(t, seg, now)) return INPUT_DONE;
  // TS.Recent (RFC 7323 §4.3): from a segment that covers the last ACK we sent.
  if (t.tsOk && o.hasTimestamps && seqLe(seg.seq, t.lastAckSent) && seqGe(o.tsValue, t.tsRecent)) {
    t.tsRecent = o.tsValue;
    t.tsRecentAge = now;
  }
  textArrives(t, seg, off, wnd, now);
  if (t.st !== St.Closed) output(t);
  return INPUT_DONE;
}

/** Data and FIN, trimmed to the window (RFC 9293 §3.10.7.4 seventh and eighth). */
function textArrives(t: Tcb, seg: Segment, off: number, wnd: number, now: number): void {
  let seq = seg.seq;
  let start = seg.dataStart;
  let len = seg.dataLen;
  let fin = seg.fin;
  if (off < 0) {
    const skip = Math.min(-off, len);
    start += skip;
    len -= skip;
    seq = t.rcvNxt;
    if (skip > 0) noteDuplicate(t, seg.seq, seqAdd(seg.seq, skip), skip);
    t.ackNow = true;
  }
  const room = wnd - seqDiff(seq, t.rcvNxt);
  if (len > room) {
    t.counters.beyondWindowTrimmed++;
    len = Math.max(0, room);
    fin = false;
    t.ackNow = true;
  }
  if (len > 0) {
    if (receivesData(t.st)) {
      if (t.appClosed) {
        t.counters.dataAfterClose++;
        t.resetAndClose(null);
        return;
      }
      measureReceiveRtt(t, seg, len, now);
      dataArrives(t, seg.bytes, start, len, seq, seg.coalesced, now);
      if (t.st === St.Closed) return;
    }
  }
  if (!fin) return;
  if (!receivesData(t.st)) {
    // The peer's FIN again (its retransmission): ACK it; in TIME-WAIT, restart 2·MSL.
    t.ackNow = true;
    if (t.st === St.TimeWait) t.lingerAt = now + t.config.timeWaitMs;
    return;
  }
  const finSeq = seqAdd(seq, len);
  if (finSeq === t.rcvNxt) finArrives(t);
  else if (seqGt(finSeq, t.rcvNxt) && !t.rcvFinPending) {
    t.rcvFinPending = true;
    t.rcvFinSeq = finSeq;
    t.ackNow = true;
  }
}

function dataArrives(t: Tcb, bytes: Uint8Array, start: number, len: number, seq: number, coalesced: number, now: number): void {
  const ring = t.recvRing;
  if (ring === null) return;
  const off = seqDiff(seq, t.rcvNxt);
  if (t.rcvFinPending) {
    const limit = seqDiff(t.rcvFinSeq, t.rcvNxt);
    if (off + len > limit) len = limit - off;
    if (len <= 0) return;
  }
  // In-order bytes for a reader of chunks go straight into them (within the window offered: no ring room needed).
  const chunks = off === 0 && ring.length === 0 ? t.rxChunks : null;
  const room = chunks !== null ? len : receiveRoom(t, ring.length + off + len);
  if (off + len > room) {
    t.counters.beyondWindowTrimmed++;
    len = room - off;
    t.ackNow = true;
    if (len <= 0) return;
  }
  const per = coalesced > 1 ? Math.floor(len / coalesced) : len;
  if (per > t.rcvMss && per <= t.advMss) t.rcvMss = per;
  const asm = t.assembler;
  if (off === 0) {
    const hadHoles = !asm.isEmpty;
    let n: number;
    if (chunks !== null) {
      n = asm.advance(len);
      chunksArrive(t, chunks, bytes, start, len, n);
    } else {
      ring.writeAt(ring.length, bytes, start, len);
      n = asm.advance(len);
      ring.commit(n);
    }
    t.rcvNxt = seqAdd(t.rcvNxt, n);
    t.bytesReceived += n;
    t.pendingEvents |= EV_READABLE;
    // Out-of-order bytes this segment carried again (a retransmission cut differently).
    if (asm.dupBytes > 0) noteDuplicate(t, seqAdd(seq, asm.dupStart), seqAdd(seq, asm.dupEnd), asm.dupBytes);
    if (hadHoles || !t.delayedAck) {
      // Filling a hole is ACKed at once (RFC 5681 §4.2), so the sender's recovery moves on.
      t.ackNow = true;
    } else {
      t.unackedBytes += len;
      if (t.unackedBytes >= 2 * t.rcvMss || coalesced >= 2) t.ackNow = true;
      else if (t.delAckAt === Infinity) t.delAckAt = now + t.config.delayedAckMs;
    }
    if (t.rcvFinPending && t.rcvNxt === t.rcvFinSeq) finArrives(t);
    return;
  }
  const top = asm.isEmpty ? 0 : asm.end(asm.count - 1);
  const atTop = off >= top;
  const newRange = off > top;
  flushBeforeChange(t, atTop, newRange);
  // Bounded by the window (the data is in the ring); the range store grows with the reordering seen.
  if (!asm.add(off, len, asm.rangeLimit(Math.max(0, seqDiff(t.rcvAdvRight, t.rcvNxt)), t.rcvMss))) {
    t.counters.assemblerFull++;
    t.ackNow = true;
    return;
  }
  ring.writeAt(ring.length + off, bytes, start, len);
  t.counters.outOfOrderSegments++;
  if (asm.dupBytes > 0) noteDuplicate(t, seqAdd(t.rcvNxt, asm.dupStart), seqAdd(t.rcvNxt, asm.dupEnd), asm.dupBytes);
  outOfOrderAck(t, now, atTop);
}

function finArrives(t: Tcb): void {
  t.rcvNxt = seqAdd(t.rcvNxt, 1);
  t.rcvFinPending = false;
  t.remoteClosed = true;
  t.pendingEvents |= EV_READABLE;
  t.ackNow = true;
  switch (t.st) {
    case St.Established:
      t.setState(St.CloseWait);
      return;
    case St.FinWait1:
      t.setState(St.Closing);
      return;
    case St.FinWait2:
      sendAck(t);
      t.enterTimeWait();
      return;
    default:
      return;
  }
}

/** RFC 9293 §3.10.7.4 fifth (ACK). Returns false when the segment is finished with. */
function ackArrives(t: Tcb, seg: Segment, now: number): boolean {
  const c = t.counters;
  const ack = seg.ack;
  if (seqGt(ack, t.sndMax)) {
    c.ackUnsent++;
    t.ackNow = true;
    output(t);
    return false;
  }
  if (seqDiff(t.sndUna, ack) > Math.max(t.maxSndWnd, 1)) {
    // RFC 5961 §5.2: older than any window we could have seen.
    c.ackTooOld++;
    t.ackNow = true;
    output(t);
    return false;
  }
  const segWnd = seg.window << t.sndWscale;
  let newlySacked = 0;
  rateAckBegin(t);
  if (t.sackOk && seg.opt.sackCount > 0) {
    t.sackSeen = true;
    const sack = seg.opt.sack;
    const sackedBefore = t.sendLog.sackedBytes;
    for (let i = 0; i < seg.opt.sackCount; i++) {
      const left = sack[2 * i]!;
      const right = sack[2 * i + 1]!;
      newlySacked += Math.max(0, t.scoreboard.add(t.sndUna, t.sndMax, left, right));
      // Every block goes to the send log, even one the bounded scoreboard had no room for: the log is
      // what recovery reads (after a burst loss there are far more holes than scoreboard ranges).
      logSack(t, left, right, now);
    }
    newlySacked = Math.max(newlySacked, t.sendLog.sackedBytes - sackedBefore);
    if (isDsack(seg, ack)) rackDsack(t);
  }
  if (seqGt(ack, t.sndUna)) logAck(t, ack, now);
  // RACK (RFC 8985) before the recovery logic: what it marks lost is known when recovery starts.
  const rackLost = t.sackOk ? rackDetectLoss(t, now) : 0;
  rateAckMarked(t);
  // A peer that answers with a closed window is alive: persist probing never times out (RFC 1122 §4.2.2.17).
  if (segWnd === 0) t.retries = 0;
  if (seqGt(ack, t.sndUna)) {
    newAck(t, seg, ack, now);
    if (t.st === St.Closed || t.st === St.TimeWait) return false;
    if (t.inRecovery && t.sackOk) prrAck(t, t.rate.delivered - t.rate.priorTotal);
  } else if (ack === t.sndUna) {
    // RFC 5681 §2 duplicate ACK (or new SACK information, RFC 6675); answers to zero-window probes
    // are not loss signals.
    const duplicate = seqGt(t.sndMax, t.sndUna) && segWnd !== 0 && ((seg.dataLen === 0 && !seg.fin && segWnd === t.sndWnd) || newlySacked > 0);
    updateWindow(t, seg, segWnd);
    const wasInRecovery = t.inRecovery;
    if (duplicate) duplicateAck(t, now);
    if (wasInRecovery && t.sackOk && newlySacked > 0) prrAck(t, t.rate.delivered - t.rate.priorTotal);
  }
  // A loss only RACK saw (its reordering window passed): fast recovery as for DupThresh. So also for a
  // loss marked during the last recovery above its end (data sent after it began) and still not
  // repaired when that recovery ended: RACK does not mark it again (Linux: lost_out starts recovery).
  if ((rackLost > 0 || (t.sackSeen && t.sendLog.lostBytes > 0 && nextLostRecord(t) >= 0)) && !t.inRecovery && seqGe(t.sndUna, t.recover) && seqGt(t.sndMax, t.sndUna)) enterRecovery(t, now);
  if (t.undoRetrans > 0 && seg.opt.sackCount > 0 && isDsack(seg, ack)) dsackArrived(t);
  rateAckEnd(t, now);
  return true;
}

/** RACK's reordering timer (RFC 8985 §6.3): segments whose reordering window passed are lost now. */
export function rackTimeout(t: Tcb, now: number): void {
  if (!t.synchronized() || t.st === St.TimeWait || !seqGt(t.sndMax, t.sndUna)) return;
  t.counters.rackReorderTimeouts++;
  rateAckBegin(t);
  if (rackDetectLoss(t, now) === 0) return;
  rateAckMarked(t);
  if (!t.inRecovery && seqGe(t.sndUna, t.recover)) enterRecovery(t, now);
  rateAckEnd(t, now);
  output(t);
}

/** RFC 2883 §4: the first block reports a duplicate when it lies below the ACK or inside the second block. */
function isDsack(seg: Segment, ack: number): boolean {
  const s = seg.opt.sack;
  if (seqLe(s[1]!, ack)) return true;
  return seg.opt.sackCount > 1 && seqGe(s[0]!, s[2]!) && seqLe(s[1]!, s[3]!);
}

/**
 * A retransmission of the last recovery reached the peer as a duplicate: the original had arrived
 * (reordered, not lost). When all of them have, the recovery was spurious: restore the window (RFC
 * 4015's response; Linux's DSACK undo). Duplicates the network made can fake this only as often as the
 * reordering it would undo.
 */
function dsackArrived(t: Tcb): void {
  if (--t.undoRetrans > 0 || t.inRecovery) return;
  spuriousRecovery(t);
}

function spuriousRecovery(t: Tcb): void {
  t.undoRetrans = -1;
  t.counters.spuriousRecoveries++;
  t.cc.undo(t.undoCwnd, t.undoSsthresh);
}

/**
 * Proportional Rate Reduction (RFC 6937, with slow-start reduction bound): during SACK recovery, each
 * ACK lets out data in proportion to what the peer reported delivered, so the window comes down to
 * ssthresh smoothly instead of in a burst when recovery ends.
 */
function prrAck(t: Tcb, delivered: number): void {
  // A model-based controller sets cwnd itself (packet conservation is its business).
  if (delivered <= 0 || t.cc.modelBased) return;
  t.prrDelivered += delivered;
  const pipe = sackPipe(t);
  const ssthresh = t.cc.ssthresh;
  let sndcnt: number;
  if (pipe > ssthresh) sndcnt = Math.ceil((t.prrDelivered * ssthresh) / Math.max(1, t.recoverFs)) - t.prrOut;
  else sndcnt = Math.min(ssthresh - pipe, Math.max(t.prrDelivered - t.prrOut, delivered) + t.smss);
  t.cc.setCwnd(pipe + Math.max(0, sndcnt));
}

function updateWindow(t: Tcb, seg: Segment, segWnd: number): void {
  if (seqLt(t.sndWl1, seg.seq) || (t.sndWl1 === seg.seq && seqLe(t.sndWl2, seg.ack))) {
    const wasClosed = t.sndWnd === 0;
    t.sndWnd = segWnd;
    t.sndWl1 = seg.seq;
    t.sndWl2 = seg.ack;
    if (segWnd > t.maxSndWnd) t.maxSndWnd = segWnd;
    if (segWnd > 0) {
      t.persistBackoff = 0;
      if (wasClosed && seqGt(t.sndNxt, t.sndUna)) {
        // The window reopened with a probe byte outstanding that the peer did not take: send from
        // SND.UNA again at once, with the probing backoff forgotten.
        t.sndNxt = t.sndUna;
        t.rtt.resetBackoff();
        t.rtoAt = Infinity;
      }
    }
  }
}

function newAck(t: Tcb, seg: Segment, ack: number, now: number): void {
  const acked = seqDiff(ack, t.sndUna);
  const flightBefore = seqDiff(t.sndMax, t.sndUna);
  let dataAcked = acked;
  if (t.sndUna === t.iss) dataAcked--; // our SYN
  let finAcked = false;
  if (t.finQueued && seqGt(ack, t.finSeq)) {
    dataAcked--;
    finAcked = true;
  }
  const ring = t.sendRing;
  dataAcked = ring === null ? 0 : Math.max(0, Math.min(dataAcked, ring.length));
  if (ring !== null) ring.consume(dataAcked);
  t.sndDataSeq = seqAdd(t.sndDataSeq, dataAcked);
  t.sndUna = ack;
  if (seqLt(t.sndNxt, ack)) t.sndNxt = ack;
  if (seqLt(t.highRxt, ack)) t.highRxt = ack;
  t.scoreboard.advance(acked);
  t.bytesAcked += dataAcked;
  // RTT: from the timestamp echo (RFC 7323 §4), else the one timed segment (Karn).
  if (t.tsOk && seg.opt.hasTimestamps && seg.opt.tsEcho !== 0) {
    const r = seqDiff(t.tsNow(), seg.opt.tsEcho);
    if (r >= 0) t.rtt.sample(r);
  } else if (t.rttActive && seqGe(ack, t.rttSeq)) {
    t.rttActive = false;
    t.rtt.sample(now - t.rttStart);
  }
  t.retries = 0;
  const cc = t.cc;
  if (t.tlpOutstanding && seqGe(ack, t.tlpEnd)) {
    // The probe's ACK. A retransmitted probe acknowledged without a D-SACK repaired a real loss:
    // respond to it as fast recovery would have (RFC 8985 §7.4.2).
    t.tlpOutstanding = false;
    const dsack = seg.opt.sackCount > 0 && isDsack(seg, ack);
    if (t.tlpRetransmit && !dsack && !t.inRecovery) {
      t.counters.tailLossRecoveries++;
      if (!cc.modelBased) cc.onCongestion(now, flightBefore);
    }
  }
  if (t.inRecovery) {
    if (seqGe(ack, t.recover)) {
      // Full ACK: recovery ends (RFC 6582 §3.2 step 3; RFC 6675 §5).
      t.inRecovery = false;
      t.dupAcks = 0;
      const flight = seqDiff(t.sndMax, t.sndUna);
      if (cc.modelBased) cc.onExitRecovery(now);
      else cc.setCwnd(t.sackOk ? cc.ssthresh : Math.min(cc.ssthresh, Math.max(flight, t.smss) + t.smss));
      // Every retransmission already came back as a duplicate while recovering.
      if (t.undoRetrans === 0) spuriousRecovery(t);
    } else if (!t.sackOk) {
      // NewReno partial ACK (RFC 6582 §3.2 step 4): repair the next hole, deflate.
      retransmitAt(t, t.sndUna, t.smss);
      if (!cc.modelBased) cc.setCwnd(cc.cwnd - dataAcked + (dataAcked >= t.smss ? t.smss : 0));
    }
  } else {
    t.dupAcks = 0;
    // Grow only while cwnd is what limits sending (RFC 7661).
    if (t.cwndLimited || 2 * flightBefore >= cc.cwnd) cc.onAck(dataAcked, now, t.rtt.srtt | 0);
  }
  t.rtoAt = seqGt(t.sndMax, t.sndUna) ? now + t.rtt.rto : Infinity;
  if (t.wantWritable && dataAcked > 0) {
    t.wantWritable = false;
    t.pendingEvents |= EV_WRITABLE;
  }
  updateWindow(t, seg, seg.window << t.sndWscale);
  if (!finAcked) return;
  switch (t.st) {
    case St.FinWait1:
      t.setState(St.FinWait2);
      t.releaseSendRing();
      if (t.appClosed) t.lingerAt = now + t.config.finWait2TimeoutMs;
      return;
    case St.Closing:
      t.enterTimeWait();
      return;
    case St.LastAck:
      t.terminate(null);
      return;
    default:
      return;
  }
}

function duplicateAck(t: Tcb, now: number): void {
  t.dupAcks++;
  if (t.inRecovery) {
    // NewReno inflation (RFC 6582 §3.2 step 3): each duplicate ACK is a segment that left.
    if (!t.sackOk && !t.cc.modelBased) t.cc.setCwnd(t.cc.cwnd + t.smss);
    return;
  }
  // With SACK information, RACK decides what is lost and so when recovery starts (RFC 8985 §6; as
  // Linux): DupThresh SACKed segments without reordering seen, else a reordering window later.
  if (t.sackOk && t.sackSeen) return;
  // DupThresh 3 (RFC 5681, RFC 6675 IsLost), lowered by Early Retransmit (RFC 5827) when fewer than four
  // segments are outstanding and nothing new can go out: such a flight can never produce three.
  let thresh = 3;
  const outstanding = seqDiff(t.sndMax, t.sndUna);
  if (outstanding < 4 * t.smss && !canSendNew(t)) thresh = Math.max(1, Math.ceil(outstanding / t.smss) - 1);
  // A SACK of the tail loss probe: everything below it not SACKed was sent at least a PTO earlier and
  // is lost (RFC 8985's time-based rule, with the probe as the most recently delivered segment).
  const probeSacked = t.tlpOutstanding && t.scoreboard.count > 0 && seqGe(seqAdd(t.sndUna, t.scoreboard.highestEnd), t.tlpEnd);
  const lost = t.dupAcks >= thresh || probeSacked || (t.sackOk && t.scoreboard.sackedBytes > (thresh - 1) * t.smss);
  if (lost && seqGe(t.sndUna, t.recover)) enterRecovery(t, now);
}

/** Unsent data that the peer's window would take now (Early Retransmit applies only without it). */
function canSendNew(t: Tcb): boolean {
  const ring = t.sendRing;
  if (ring === null) return false;
  const unsent = seqDiff(seqAdd(t.sndDataSeq, ring.length), t.sndNxt);
  return unsent > 0 && seqDiff(seqAdd(t.sndUna, t.sndWnd), t.sndNxt) > 0;
}

/** Fast retransmit and the start of fast recovery (RFC 5681 §3.2, RFC 6582, RFC 6675 §5). */
function enterRecovery(t: Tcb, now: number): void {
  const c = t.counters;
  t.undoCwnd = t.cc.cwnd;
  t.undoSsthresh = t.cc.ssthresh;
  t.undoRetrans = 0;
  t.inRecovery = true;
  t.tlpOutstanding = false;
  t.tlpAt = Infinity;
  t.recover = t.sndMax;
  t.recoverFs = seqDiff(t.sndMax, t.sndUna);
  t.prrDelivered = 0;
  t.prrOut = 0;
  rackRecoveryStarted(t);
  // The segment at SND.UNA is lost (DupThresh or RACK said so) and goes again now.
  const log = t.sendLog;
  if (log.count > 0 && log.start[log.head] === t.sndUna) markRecordLost(t, log.head, now);
  const cc = t.cc;
  if (cc.modelBased) cc.onEnterRecovery(now, log.inFlight, t.rate.delivered - t.rate.priorTotal);
  else {
    cc.onCongestion(now, t.recoverFs);
    cc.onEnterRecovery(now, log.inFlight, t.rate.delivered - t.rate.priorTotal);
  }
  if (t.sackOk) c.sackRecoveries++;
  else {
    c.newRenoRecoveries++;
    if (!cc.modelBased) cc.setCwnd(cc.ssthresh + 3 * t.smss);
  }
  c.fastRetransmits++;
  t.rttActive = false;
  const n = retransmitAt(t, t.sndUna, t.smss);
  t.highRxt = seqAdd(t.sndUna, n);
  t.rxtMark = t.sndMax;
  t.rtoAt = now + t.rtt.rto;
}
