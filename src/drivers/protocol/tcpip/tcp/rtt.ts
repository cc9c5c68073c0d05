/**
 * The retransmission timer's estimator (RFC 6298): SRTT and RTTVAR from samples, RTO = SRTT +
 * max(G, 4·RTTVAR) within [min, max], doubled per timeout (exponential backoff) until a new sample
 * arrives (Karn's algorithm: the caller never samples a retransmitted segment unless timestamps
 * disambiguate it). The current RTO is a field, recomputed when an input changes, so reading it on
 * every ACK costs nothing (a getter returning a fresh double would box it).
 */
const CLOCK_GRANULARITY_MS = 1;

export class RttEstimator {
  srtt = 0;
  rttvar = 0;
  /** The un-backed-off RTO. */
  baseRto: number;
  backoff = 0;
  samples = 0;
  /** The timer value to use now: the base RTO doubled `backoff` times, capped at the maximum. */
  rto: number;
  /** Latest sample, for `info()`. */
  lastRtt = 0;
  minRtt = Infinity;

  constructor(
    readonly minRto: number,
    readonly maxRto: number,
    initialRto: number,
  ) {
    this.baseRto = Math.min(maxRto, Math.max(minRto, initialRto));
    this.rto = this.baseRto;
  }

  #update(): void {
    this.rto = Math.min(this.maxRto, this.baseRto * 2 ** Math.min(this.backoff, 30));
  }

  sample(rttMs: number): void {
    if (!(rttMs >= 0) || rttMs > 3_600_000) return;
    const r = Math.max(rttMs, CLOCK_GRANULARITY_MS);
    if (this.samples === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.samples++;
    this.lastRtt = r;
    if (r < this.minRtt) this.minRtt = r;
    this.baseRto = Math.min(this.maxRto, Math.max(this.minRto, this.srtt + Math.max(CLOCK_GRANULARITY_MS, 4 * this.rttvar)));
    this.backoff = 0;
    this.#update();
  }

  /** After a timeout: the next RTO is twice as long (RFC 6298 §5.5). */
  backOff(): void {
    if (this.rto < this.maxRto) this.backoff++;
    this.#update();
  }

  /** Forgets the backoff (the peer proved alive, e.g. its window reopened). */
  resetBackoff(): void {
    this.backoff = 0;
    this.#update();
  }

  /** RFC 6298 §5.7: after a lost SYN, at least `ms` until the first sample. */
  raiseBase(ms: number): void {
    this.baseRto = Math.max(this.baseRto, Math.min(ms, this.maxRto));
    this.#update();
  }
}
