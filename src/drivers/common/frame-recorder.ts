/**
 * Records frames into a pcapng CaptureFile on the data path: each NET_BUFFER becomes one enhanced
 * packet block encoded in place in the file's ring (header, the frame bytes copied word-wise from the
 * NB's MDLs, padding, epb_flags with the direction, trailer). Nothing is allocated per frame; a full ring
 * drops the frame and counts it. The file's writer is kicked once per chain.
 *
 * Used by the capture filter (both directions) and by the pcapng miniport (what it is sent).
 */
import { Mdl, type NdisDropCounter, type NetBuffer, type NetBufferList } from '../../ndis/index.js';
import {
  EPB_DATA_OFFSET,
  type NanosecondClock,
  enhancedPacketBlockLength,
  finishEnhancedPacketBlock,
  writeEnhancedPacketHeader,
  type CaptureFile,
} from '../../io/pcapng/index.js';

export class RecorderCounters {
  /** Frames queued for the file. */
  captured = 0;
  /** Frames dropped because the queue was full. */
  dropped = 0;
  /** Bytes of the captured frames (on-the-wire lengths). */
  bytes = 0;
}

export class FrameRecorder {
  readonly counters = new RecorderCounters();
  readonly file: CaptureFile;
  readonly interfaceId: number;
  readonly snapLength: number;
  readonly #clock: NanosecondClock;
  /** One MDL over the ring's memory, so NB → ring copies take the word-wise path. */
  readonly #ringMdl: Mdl;
  #tsHigh = 0;
  #tsLow = 0;

  constructor(file: CaptureFile, interfaceId: number, snapLength: number, clock: NanosecondClock) {
    this.file = file;
    this.interfaceId = interfaceId;
    this.snapLength = snapLength;
    this.#clock = clock;
    const ring = file.ring;
    this.#ringMdl = Mdl.over(ring.bytes);
    this.#ringMdl.words = ring.words;
  }

  /** Sets the timestamp of the frames recorded next (once per chain: one clock read per batch). */
  stamp(nowMs: number): void {
    const h = this.#clock.encode(nowMs);
    this.#tsHigh = h.high;
    this.#tsLow = h.low;
  }

  /** Where a frame the full queue refused is also recorded as a named drop (drops.ts), when set. */
  dropCounter: NdisDropCounter | null = null;

  /** Records one frame; false when the queue is full (counted as dropped). */
  recordNetBuffer(nb: NetBuffer, direction: number): boolean {
    const ring = this.file.ring;
    const len = nb.dataLength;
    const cap = len < this.snapLength ? len : this.snapLength;
    const total = enhancedPacketBlockLength(cap, direction);
    const at = ring.reserve(total);
    if (at < 0) {
      this.counters.dropped++;
      this.dropCounter?.drop(nb);
      return false;
    }
    const b = ring.bytes;
    writeEnhancedPacketHeader(b, at, this.interfaceId, this.#tsHigh, this.#tsLow, cap, len);
    nb.copyOutToMdl(this.#ringMdl, at + EPB_DATA_OFFSET, 0, cap);
    finishEnhancedPacketBlock(b, at, cap, direction);
    ring.commit(total);
    this.counters.captured++;
    this.counters.bytes += len;
    return true;
  }

  /** Records every frame of the chain with the current time; kicks the writer. */
  recordChain(nbls: NetBufferList, nowMs: number, direction: number): void {
    this.stamp(nowMs);
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) this.recordNetBuffer(nb, direction);
    }
    this.file.kick();
  }
}
