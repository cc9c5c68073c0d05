/**
 * Pacing on the send path (what Linux does with its internal pacing or fq): the connection sends at a
 * pacing rate instead of in window-sized bursts. The rate is the controller's (`cc.pacingRate`, BBR)
 * or, for a loss-based controller, Linux's default: max(cwnd, in flight) / SRTT × 2 in slow start
 * (cwnd < ssthresh / 2) and × 1.2 after. Each send moves the connection's next-send time on by
 * bytes / rate; `output` stops at a next-send time in the future and the connection's timer (`paceAt`)
 * resumes it. Up to one send quantum may go out back to back after idle, and a late timer's lateness
 * (up to TIMER_LATENESS_MS) is caught up, so the rate holds on millisecond timers; an LSO buffer is
 * capped to the quantum, so bursts are paced too: `cc.sendQuantum`, else about
 * 1 ms of data at the pacing rate (Linux tcp_tso_autosize), at least two segments (and the route's LSO
 * minimum), at most the LSO maximum. `TcpPacing: false` turns it off.
 */
import type { Tcb } from './tcb.js';

/** Data the default quantum holds: this long at the pacing rate (Linux sk_pacing_shift 10: ~1 ms). */
const QUANTUM_MS = 1;

/** Pacing rate in bytes per ms; 0: not paced (off, or no RTT measured yet for the default). */
export function pacingRate(t: Tcb): number {
  if (!t.config.pacing) return 0;
  const cc = t.cc;
  if (cc.pacingRate > 0) return cc.pacingRate;
  const srtt = t.rtt.srtt;
  if (t.rtt.samples === 0 || srtt <= 0) return 0;
  const window = Math.max(cc.cwnd, t.sendLog.inFlight);
  return (window * (cc.cwnd < cc.ssthresh / 2 ? 2 : 1.2)) / srtt;
}

/** Bytes that may leave back to back at `rate` (also the LSO buffer cap). */
export function pacingQuantum(t: Tcb, rate: number, segMss: number): number {
  const q = t.cc.sendQuantum;
  if (q > 0) return Math.max(q, segMss);
  const floor = Math.max(2, t.lsoMinSegments) * segMss;
  const ceiling = t.lsoMax > floor ? t.lsoMax : floor;
  return Math.max(floor, Math.min(ceiling, Math.floor(rate * QUANTUM_MS)));
}

/** May the next segment go now? */
export function paceReady(t: Tcb, now: number): boolean {
  return t.paceNext <= now;
}

/**
 * How late the host timer may fire and still be caught up: it runs on whole milliseconds and never
 * sooner than 1 ms (Node's timers), so a wait of a fraction of a millisecond ends up to ~2 ms after it was
 * due, more on a busy event loop.
 */
const TIMER_LATENESS_MS = 3;

/**
 * `bytes` went out at `now`: the next send may go bytes/rate later. A sender that was waiting for the
 * pacer (next-send time at most TIMER_LATENESS_MS ago) catches up all of a late timer's lateness, so
 * the rate holds on a millisecond timer; one idle for longer gets one quantum of credit.
 */
export function paceSent(t: Tcb, bytes: number, now: number): void {
  const rate = t.paceRate;
  if (rate <= 0) return;
  const horizon = t.paceQuantum / rate;
  const base = t.paceNext > now - (horizon > TIMER_LATENESS_MS ? horizon : TIMER_LATENESS_MS) ? t.paceNext : now - horizon;
  t.paceNext = base + bytes / rate;
}
