/**
 * One received segment, decoded once by the layer into this reused object (no allocation per
 * segment). `bytes` is the host's buffer, valid only during `input`.
 */
import { EMPTY_BYTES } from './util.js';
import { SegmentOptions } from './options.js';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

export class Segment {
  bytes: Uint8Array = EMPTY_BYTES;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** TcpFlags bits. */
  flags = 0;
  /** The window field, unscaled. */
  window = 0;
  /** Payload position in `bytes` and length. */
  dataStart = 0;
  dataLen = 0;
  /** Segments the adapter merged into this one (RSC), at least 1. */
  coalesced = 1;
  readonly opt = new SegmentOptions();

  get syn(): boolean {
    return (this.flags & SYN) !== 0;
  }
  get fin(): boolean {
    return (this.flags & FIN) !== 0;
  }
  get rst(): boolean {
    return (this.flags & RST) !== 0;
  }
  get hasAck(): boolean {
    return (this.flags & ACK) !== 0;
  }
  /** Sequence space the segment occupies: data, plus one each for SYN and FIN. */
  get length(): number {
    return this.dataLen + (this.flags & SYN ? 1 : 0) + (this.flags & FIN ? 1 : 0);
  }
}
