/**
 * The send log: one record per transmitted segment (an LSO buffer is logged as its MSS-sized pieces, so
 * SACK and RACK can mark any of them), in sequence order from SND.UNA to SND.MAX. A record keeps its
 * range, when it was last sent, its state (retransmitted, SACKed, lost) and the delivery-rate snapshot
 * taken when it was sent (draft-ietf-ccwg-bbr §4.5.2: C.delivered, C.delivered_time,
 * C.first_send_time, C.lost, tx_in_flight, is_app_limited). Delivery-rate sampling (rate.ts) and RACK
 * (rack.ts) read and mark it.
 *
 * Columns are typed arrays (no object per segment). The live records sit at [head, head + count) of
 * them; when the end is reached they are moved down (when at most half full) or the arrays doubled, so
 * both cost O(1) per record amortized. Capacity grows on demand up to `maxRecords` (from the send
 * buffer); a full log extends its last record instead of adding one (coarser, never a failure), and
 * `release` drops the arrays (connection closed).
 */
import { seqDiff } from './seq.js';

/** A retransmission of the record is outstanding (Linux TCPCB_SACKED_RETRANS). */
export const REC_RETRANS = 1;
export const REC_SACKED = 2;
export const REC_LOST = 4;
/** Sent while the connection was application-limited (P.is_app_limited). */
export const REC_APP_LIMITED = 8;
/** Sent more than once (its RTT is ambiguous: Karn). */
export const REC_EVER_RETRANS = 16;

const INITIAL_RECORDS = 16;

export class SendLog {
  readonly maxRecords: number;
  capacity = 0;
  head = 0;
  count = 0;
  start: Int32Array = new Int32Array(0);
  end: Int32Array = new Int32Array(0);
  /** Last transmission time (ms). */
  xmit: Float64Array = new Float64Array(0);
  flags: Uint8Array = new Uint8Array(0);
  /** Snapshot at the last transmission: C.delivered, C.delivered_time, C.first_send_time, C.lost, bytes in flight with it. */
  delivered: Float64Array = new Float64Array(0);
  deliveredTime: Float64Array = new Float64Array(0);
  firstSendTime: Float64Array = new Float64Array(0);
  lost: Float64Array = new Float64Array(0);
  txInFlight: Float64Array = new Float64Array(0);
  /** Bytes in the log, and of them SACKed, lost (not SACKed), retransmitted and outstanding (not SACKed). */
  bytes = 0;
  sackedBytes = 0;
  lostBytes = 0;
  retransBytes = 0;
  /** SACKed records. */
  sackedCount = 0;

  constructor(maxRecords: number) {
    this.maxRecords = Math.max(INITIAL_RECORDS, maxRecords);
  }

  /** Frees the arrays (the connection closed); the log grows again if used. */
  release(): void {
    this.capacity = this.head = this.count = 0;
    this.bytes = this.sackedBytes = this.lostBytes = this.retransBytes = this.sackedCount = 0;
    this.start = this.end = new Int32Array(0);
    this.xmit = this.delivered = this.deliveredTime = this.firstSendTime = this.lost = this.txInFlight = new Float64Array(0);
    this.flags = new Uint8Array(0);
  }

  /** Array index of the i-th live record. */
  at(i: number): number {
    return this.head + i;
  }

  bytesOf(k: number): number {
    return seqDiff(this.end[k]!, this.start[k]!);
  }

  /** Makes room for one more record at the end; false when the log is at `maxRecords`. */
  #reserve(): boolean {
    if (this.head + this.count < this.capacity) return true;
    if (this.count <= this.capacity >>> 1 && this.count < this.capacity) {
      this.#move(0);
      return true;
    }
    if (this.capacity >= this.maxRecords) return false;
    this.#grow(Math.min(this.maxRecords, Math.max(INITIAL_RECORDS, this.capacity * 2)));
    return true;
  }

  #move(to: number): void {
    const from = this.head;
    const n = this.count;
    this.start.copyWithin(to, from, from + n);
    this.end.copyWithin(to, from, from + n);
    this.xmit.copyWithin(to, from, from + n);
    this.flags.copyWithin(to, from, from + n);
    this.delivered.copyWithin(to, from, from + n);
    this.deliveredTime.copyWithin(to, from, from + n);
    this.firstSendTime.copyWithin(to, from, from + n);
    this.lost.copyWithin(to, from, from + n);
    this.txInFlight.copyWithin(to, from, from + n);
    this.head = to;
  }

  #grow(capacity: number): void {
    const from = this.head;
    const to = from + this.count;
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(capacity);
      b.set(a.subarray(from, to));
      return b;
    };
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(from, to));
      return b;
    };
    this.start = i32(this.start);
    this.end = i32(this.end);
    this.xmit = f64(this.xmit);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags.subarray(from, to));
    this.flags = flags;
    this.delivered = f64(this.delivered);
    this.deliveredTime = f64(this.deliveredTime);
    this.firstSendTime = f64(this.firstSendTime);
    this.lost = f64(this.lost);
    this.txInFlight = f64(this.txInFlight);
    this.head = 0;
    this.capacity = capacity;
  }

  /**
   * Appends [start, end) (new data). Returns its array index, or −1 when the log was full and the last
   * record was extended instead (its snapshot and state stay).
   */
  append(start: number, end: number): number {
    if (!this.#reserve()) {
      const k = this.head + this.count - 1;
      const n = seqDiff(end, this.end[k]!);
      this.end[k] = end;
      this.bytes += n;
      const f = this.flags[k]!;
      if ((f & REC_SACKED) === 0) {
        if (f & REC_LOST) this.lostBytes += n;
        if (f & REC_RETRANS) this.retransBytes += n;
      } else {
        this.sackedBytes += n;
      }
      return -1;
    }
    const k = this.head + this.count++;
    this.start[k] = start;
    this.end[k] = end;
    this.flags[k] = 0;
    this.bytes += seqDiff(end, start);
    return k;
  }

  /** Index (0-based from the first live record) of the record holding `seq`, or −1. */
  find(seq: number): number {
    let lo = 0;
    let hi = this.count - 1;
    const h = this.head;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = h + mid;
      if (seqDiff(seq, this.start[k]!) < 0) hi = mid - 1;
      else if (seqDiff(seq, this.end[k]!) >= 0) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Splits the i-th record at `seq` (strictly inside it): both halves keep the state and snapshot.
   * False when the log is full (the caller then treats the record whole).
   */
  split(i: number, seq: number): boolean {
    if (!this.#reserve()) return false;
    const k = this.head + i;
    const last = this.head + this.count;
    const move = (a: Int32Array | Float64Array | Uint8Array): void => {
      a.copyWithin(k + 1, k, last);
    };
    move(this.start);
    move(this.end);
    move(this.xmit);
    move(this.flags);
    move(this.delivered);
    move(this.deliveredTime);
    move(this.firstSendTime);
    move(this.lost);
    move(this.txInFlight);
    this.count++;
    this.end[k] = seq;
    this.start[k + 1] = seq;
    return true;
  }

  /** Drops the first record (acknowledged), keeping the aggregates right. */
  shift(): void {
    const k = this.head;
    const n = this.bytesOf(k);
    const f = this.flags[k]!;
    this.bytes -= n;
    if (f & REC_SACKED) {
      this.sackedBytes -= n;
      this.sackedCount--;
    } else {
      if (f & REC_LOST) this.lostBytes -= n;
      if (f & REC_RETRANS) this.retransBytes -= n;
    }
    this.head++;
    this.count--;
    if (this.count === 0) this.head = 0;
  }

  /** Moves the first record's start to `seq` (a partial acknowledgement of it). */
  trimFront(seq: number): void {
    const k = this.head;
    const n = seqDiff(seq, this.start[k]!);
    if (n <= 0) return;
    const f = this.flags[k]!;
    this.bytes -= n;
    if (f & REC_SACKED) this.sackedBytes -= n;
    else {
      if (f & REC_LOST) this.lostBytes -= n;
      if (f & REC_RETRANS) this.retransBytes -= n;
    }
    this.start[k] = seq;
  }

  /** Sets REC_SACKED on a record that has not got it (no longer lost or retransmitted: delivered). */
  markSacked(k: number): void {
    const f = this.flags[k]!;
    const n = this.bytesOf(k);
    if (f & REC_LOST) this.lostBytes -= n;
    if (f & REC_RETRANS) this.retransBytes -= n;
    this.sackedBytes += n;
    this.sackedCount++;
    this.flags[k] = (f | REC_SACKED) & ~(REC_RETRANS | REC_LOST);
  }

  /** Sets REC_LOST (clearing REC_RETRANS: a lost retransmission is no longer in flight). */
  markLost(k: number): void {
    const f = this.flags[k]!;
    const n = this.bytesOf(k);
    if (f & REC_RETRANS) this.retransBytes -= n;
    if ((f & REC_LOST) === 0) this.lostBytes += n;
    this.flags[k] = (f | REC_LOST) & ~REC_RETRANS;
  }

  /** Sets REC_RETRANS (a retransmission went out). */
  markRetransmitted(k: number): void {
    const f = this.flags[k]!;
    if ((f & (REC_RETRANS | REC_SACKED)) === 0) this.retransBytes += this.bytesOf(k);
    this.flags[k] = f | REC_RETRANS | REC_EVER_RETRANS;
  }

  /** Bytes in flight (Linux packets_in_flight in bytes): outstanding − SACKed − lost + retransmitted. */
  get inFlight(): number {
    return this.bytes - this.sackedBytes - this.lostBytes + this.retransBytes;
  }
}
