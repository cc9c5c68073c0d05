/**
 * The send log: one record per transmitted segment (an LSO buffer is logged as its MSS-sized pieces, so
 * SACK and RACK can mark any of them), in sequence order from SND.UNA to SND.MAX. A record keeps its
 * range, when it was last sent, its state (retransmitted, SACKed, lost) and the delivery-rate snapshot
 * taken when it was sent (draft-ietf-ccwg-bbr §4.5.2: C.delivered, C.delivered_time,
 * C.first_send_time, C.lost, tx_in_flight, is_app_limited). Delivery-rate sampling (rate.ts) and RACK
 * (rack.ts) read and mark it.
 *
 * Columns are typed arrays (no object per segment) used as a ring: record i of the live ones is at
 * index (head + i) & (capacity − 1). Capacity is a power of two that doubles on demand up to
 * `maxRecords` (from the send buffer); a full log extends its last record instead of adding one
 * (coarser, never a failure), and `release` drops the arrays (connection closed).
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
    let n = INITIAL_RECORDS;
    while (n < maxRecords && n < 1 << 24) n *= 2;
    this.maxRecords = n;
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
    return (this.head + i) & (this.capacity - 1);
  }

  bytesOf(k: number): number {
    return seqDiff(this.end[k]!, this.start[k]!);
  }

  /** Makes room for one more record; false when the log is at `maxRecords`. */
  #reserve(): boolean {
    if (this.count < this.capacity) return true;
    if (this.capacity >= this.maxRecords) return false;
    this.#grow(this.capacity === 0 ? INITIAL_RECORDS : this.capacity * 2);
    return true;
  }

  #grow(capacity: number): void {
    const h = this.head;
    const n = this.count;
    const firstPart = Math.min(n, this.capacity - h);
    const unwrap = <A extends Int32Array | Float64Array | Uint8Array>(a: A, b: A): A => {
      b.set(a.subarray(h, h + firstPart), 0);
      if (firstPart < n) b.set(a.subarray(0, n - firstPart), firstPart);
      return b;
    };
    this.start = unwrap(this.start, new Int32Array(capacity));
    this.end = unwrap(this.end, new Int32Array(capacity));
    this.xmit = unwrap(this.xmit, new Float64Array(capacity));
    this.flags = unwrap(this.flags, new Uint8Array(capacity));
    this.delivered = unwrap(this.delivered, new Float64Array(capacity));
    this.deliveredTime = unwrap(this.deliveredTime, new Float64Array(capacity));
    this.firstSendTime = unwrap(this.firstSendTime, new Float64Array(capacity));
    this.lost = unwrap(this.lost, new Float64Array(capacity));
    this.txInFlight = unwrap(this.txInFlight, new Float64Array(capacity));
    this.head = 0;
    this.capacity = capacity;
  }

  #copy(to: number, from: number): void {
    this.start[to] = this.start[from]!;
    this.end[to] = this.end[from]!;
    this.xmit[to] = this.xmit[from]!;
    this.flags[to] = this.flags[from]!;
    this.delivered[to] = this.delivered[from]!;
    this.deliveredTime[to] = this.deliveredTime[from]!;
    this.firstSendTime[to] = this.firstSendTime[from]!;
    this.lost[to] = this.lost[from]!;
    this.txInFlight[to] = this.txInFlight[from]!;
  }

  /**
   * Appends [start, end) (new data). Returns its array index, or −1 when the log was full and the last
   * record was extended instead (its snapshot and state stay).
   */
  append(start: number, end: number): number {
    if (!this.#reserve()) {
      const k = this.at(this.count - 1);
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
    const k = this.at(this.count++);
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
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.at(mid);
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
    for (let j = this.count; j > i + 1; j--) this.#copy(this.at(j), this.at(j - 1));
    this.count++;
    const k = this.at(i);
    const next = this.at(i + 1);
    this.#copy(next, k);
    this.end[k] = seq;
    this.start[next] = seq;
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
    this.head = (this.head + 1) & (this.capacity - 1);
    this.count--;
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
