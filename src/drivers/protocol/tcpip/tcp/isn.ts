/**
 * Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * where M is a clock ticking every 4 µs and F is SipHash-2-4 under a 128-bit secret drawn once from the
 * host's random source. The same keyed hash (with a different domain byte) gives each connection its
 * timestamp offset (RFC 7323 §7.1), so TSval does not reveal a host-wide clock.
 */
import type { IpFamily } from './host.js';
import { type SipKey, sipHash24 } from './siphash.js';

export const HashDomain = {
  Isn: 0,
  TimestampOffset: 1,
  ConnectionTable: 2,
  SynCookie: 3,
} as const;
export type HashDomain = (typeof HashDomain)[keyof typeof HashDomain];

export class FlowHasher {
  readonly key: SipKey = new Uint32Array(4);
  // domain, family, local address (≤16), local port (2), remote address (≤16), remote port (2), 2 words
  readonly #scratch = new Uint8Array(46);

  constructor(random32: () => number) {
    for (let i = 0; i < 4; i++) this.key[i] = random32() >>> 0;
  }

  /** A keyed 32-bit hash of the 4-tuple in `domain` (as a signed int32); allocation-free. */
  hash(domain: HashDomain, family: IpFamily, localAddress: Uint8Array, localPort: number, remoteAddress: Uint8Array, remotePort: number): number {
    return sipHash24(this.key, this.#scratch, 0, this.#tuple(domain, family, localAddress, localPort, remoteAddress, remotePort));
  }

  /** The same over the tuple and two more 32-bit words (SYN cookies). */
  hash2(domain: HashDomain, family: IpFamily, localAddress: Uint8Array, localPort: number, remoteAddress: Uint8Array, remotePort: number, w1: number, w2: number): number {
    const b = this.#scratch;
    let at = this.#tuple(domain, family, localAddress, localPort, remoteAddress, remotePort);
    b[at++] = w1 >>> 24;
    b[at++] = w1 >>> 16;
    b[at++] = w1 >>> 8;
    b[at++] = w1;
    b[at++] = w2 >>> 24;
    b[at++] = w2 >>> 16;
    b[at++] = w2 >>> 8;
    b[at++] = w2;
    return sipHash24(this.key, b, 0, at);
  }

  #tuple(domain: HashDomain, family: IpFamily, localAddress: Uint8Array, localPort: number, remoteAddress: Uint8Array, remotePort: number): number {
    const b = this.#scratch;
    const n = family === 4 ? 4 : 16;
    let at = 0;
    b[at++] = domain;
    b[at++] = family;
    for (let i = 0; i < n; i++) b[at++] = localAddress[i] ?? 0;
    b[at++] = localPort >>> 8;
    b[at++] = localPort;
    for (let i = 0; i < n; i++) b[at++] = remoteAddress[i] ?? 0;
    b[at++] = remotePort >>> 8;
    b[at++] = remotePort;
    return at;
  }

  /** RFC 6528 ISN at `nowMs` (the 4 µs clock M is `nowMs * 250`), as a signed int32 (see seq.ts). */
  isn(nowMs: number, family: IpFamily, localAddress: Uint8Array, localPort: number, remoteAddress: Uint8Array, remotePort: number): number {
    const m = Math.floor(nowMs * 250) % 0x1_0000_0000;
    return (m + this.hash(HashDomain.Isn, family, localAddress, localPort, remoteAddress, remotePort)) | 0;
  }
}
