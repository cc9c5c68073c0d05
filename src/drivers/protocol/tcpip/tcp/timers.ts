/**
 * One host timer per connection multiplexes its deadlines: retransmission (RFC 6298, SYN and SYN-ACK
 * included), persist, delayed ACK, keepalive (RFC 1122 §4.2.3.6), linger (TIME-WAIT, or FIN-WAIT-2
 * of a closed connection), RACK's reordering timer (RFC 8985) and the pacer's next send. Deadlines are plain numbers; moving one later (the RTO restart on every
 * ACK) costs nothing: the timer fires early, finds nothing due, and re-arms for the earliest.
 */
import { TcpError } from './errors.js';
import { output, sendAck, sendKeepAlive, sendSyn, sendTailLossProbe, sendWindowProbe } from './output.js';
import { rackTimeout } from './input.js';
import { logTimeout } from './rate.js';
import { seqDiff, seqGt } from './seq.js';
import { St } from './state.js';
import type { Tcb } from './tcb.js';

/** Arms the host timer for the earliest deadline if it is earlier than what is armed. */
export function scheduleTimer(t: Tcb): void {
  const timer = t.timer;
  if (timer === null) return;
  const due = Math.min(t.rtoAt, t.tlpAt, t.persistAt, t.delAckAt, t.keepAt, t.lingerAt, t.rackAt, t.paceAt);
  if (due === Infinity || due >= t.armedAt) return;
  t.armedAt = due;
  timer.set(Math.max(0, due - t.host.now()));
}

export function timerFired(t: Tcb): void {
  t.armedAt = Infinity;
  const now = t.host.now();
  if (t.lingerAt <= now) {
    t.lingerAt = Infinity;
    if (t.st === St.TimeWait || t.st === St.FinWait2) {
      t.terminate(null);
      return;
    }
  }
  if (t.tlpAt <= now && t.tlpAt <= t.rtoAt) {
    // The probe was due no later than the RTO: it goes first and re-arms the RTO (RFC 8985 §7.3).
    t.tlpAt = Infinity;
    sendTailLossProbe(t, now);
  }
  if (t.rtoAt <= now) {
    t.rtoAt = Infinity;
    t.tlpAt = Infinity;
    retransmitTimeout(t, now);
    if (t.st === St.Closed) return;
  }
  if (t.rackAt <= now) {
    t.rackAt = Infinity;
    rackTimeout(t, now);
    if (t.st === St.Closed) return;
  }
  if (t.tlpAt <= now) {
    t.tlpAt = Infinity;
    sendTailLossProbe(t, now);
  }
  if (t.paceAt <= now) {
    t.paceAt = Infinity;
    output(t);
  }
  if (t.persistAt <= now) {
    t.persistAt = Infinity;
    if (t.synchronized() && !seqGt(t.sndMax, t.sndUna)) {
      t.persistBackoff++;
      t.counters.persistProbes++;
      sendWindowProbe(t);
    }
  }
  if (t.delAckAt <= now) {
    t.delAckAt = Infinity;
    // A SACK-compression flush (input.ts) is not a delayed ACK.
    if (t.ackCompressed === 0) t.counters.delayedAcks++;
    sendAck(t);
  }
  if (t.keepAt <= now) {
    t.keepAt = Infinity;
    keepAliveTimeout(t, now);
    if (t.st === St.Closed) return;
  }
  scheduleTimer(t);
}

function timedOut(t: Tcb): TcpError {
  return new TcpError(t.softError ?? 'ETIMEDOUT');
}

/** The SYN (or SYN-ACK) again, with the timer backed off. */
function retransmitSyn(t: Tcb): void {
  t.retries++;
  t.synRetransmitted = true;
  t.counters.synRetransmits++;
  t.rtt.backOff();
  sendSyn(t);
}

function retransmitTimeout(t: Tcb, now: number): void {
  const cfg = t.config;
  switch (t.st) {
    case St.SynSent:
      if (t.retries >= cfg.synRetries) {
        t.terminate(timedOut(t));
        return;
      }
      retransmitSyn(t);
      return;
    case St.SynReceived:
      if (t.retries >= (t.halfOpen && t.listener !== null ? t.listener.synAckTimeout(t, cfg.synAckRetries) : cfg.synAckRetries)) {
        if (t.passive) t.counters.halfOpenTimeouts++;
        t.terminate(t.passive ? null : timedOut(t));
        return;
      }
      retransmitSyn(t);
      return;
    case St.Closed:
    case St.Listen:
    case St.TimeWait:
      return;
    default:
      break;
  }
  if (!seqGt(t.sndMax, t.sndUna)) {
    // Nothing outstanding: a retry after the host had no buffer.
    output(t);
    return;
  }
  if (t.retries >= cfg.maxRetransmits) {
    t.terminate(timedOut(t));
    return;
  }
  t.retries++;
  t.rtt.backOff();
  t.rttActive = false;
  t.sndNxt = t.sndUna;
  if (t.sndWnd === 0) {
    // The peer's window is closed: this is a zero-window probe, not congestion.
    t.counters.persistProbes++;
    sendWindowProbe(t);
    return;
  }
  t.counters.timeouts++;
  logTimeout(t, now);
  t.cc.onTimeout(now, seqDiff(t.sndMax, t.sndUna));
  t.rackAt = Infinity;
  t.inRecovery = false;
  t.tlpOutstanding = false;
  t.undoRetrans = -1;
  t.dupAcks = 0;
  t.recover = t.sndMax;
  t.highRxt = t.sndUna;
  t.scoreboard.clear();
  output(t);
}

function keepAliveTimeout(t: Tcb, now: number): void {
  if (!t.keepAlive || (t.st !== St.Established && t.st !== St.CloseWait && t.st !== St.FinWait2)) return;
  if (t.keepProbes === 0 && now - t.lastRecvTime < t.keepAliveIdleMs) {
    t.keepAt = t.lastRecvTime + t.keepAliveIdleMs;
    return;
  }
  if (seqGt(t.sndMax, t.sndUna) || seqGt(t.dataEnd(), t.sndNxt)) {
    // Data outstanding or waiting: the retransmission and persist timers watch the peer.
    t.keepProbes = 0;
    t.keepAt = now + t.keepAliveIdleMs;
    return;
  }
  if (t.keepProbes >= t.config.keepAliveCount) {
    t.counters.keepAliveTimeouts++;
    t.resetAndClose(timedOut(t));
    return;
  }
  t.keepProbes++;
  t.counters.keepAliveProbes++;
  sendKeepAlive(t);
  t.keepAt = now + t.config.keepAliveIntervalMs;
}
