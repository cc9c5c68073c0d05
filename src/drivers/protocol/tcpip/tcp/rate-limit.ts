/**
 * A token bucket for answers the engine sends to segments it did not expect (RSTs for no connection,
 * for an ACK to a listener, for an unacceptable ACK in SYN-SENT/SYN-RECEIVED). A flood of stray
 * segments must not turn the host into a reflector at line rate: like FreeBSD's `icmplim`
 * (badport_bandlim, 200 closed-port RSTs a second) and Linux's ICMP bucket (a rate plus a burst), at
 * most `burst` go out at once and `ratePerSecond` a second after that. A rate of 0 turns the limit off.
 */
export class TokenBucket {
  #rate = 0;
  #burst = 1;
  #tokens = 1;
  /** Time of the last refill (ms), or −1 before the first take. */
  #at = -1;

  constructor(ratePerSecond: number, burst: number) {
    this.configure(ratePerSecond, burst);
  }

  get ratePerSecond(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** New rate and burst; the bucket starts full. */
  configure(ratePerSecond: number, burst: number): void {
    if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0) throw new RangeError(`rate must be ≥ 0, got ${String(ratePerSecond)}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be an integer ≥ 1, got ${String(burst)}`);
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = -1;
  }

  /** Takes one token at `now` (ms); false when the bucket is empty. Always true with a rate of 0. */
  take(now: number): boolean {
    if (this.#rate === 0) return true;
    if (this.#at >= 0 && now > this.#at) this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
    if (this.#at < 0 || now > this.#at) this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
