/**
 * NBL descriptors: the form in which an NBL crosses to another processor. An NBL object cannot leave its
 * isolate; its description can, in slots of 16 int32 words (64 bytes, a cache line) of an NblRing.
 *
 *   header slot      w0  kind (bits 0–7) · slot count (8–15) · NET_BUFFER count (16–23) · flags (24–31)
 *                    w1  crossing edge id (process-wide; the far end the descriptor is for)
 *                    w2  home processor          w3  ledger reference (entry · generation, lent-ledger.ts)
 *                    w4  NblFlags                w5  send flags / receive flags
 *                    w6  port number (0–15) · queue tag (16–31)
 *                    w7–w15 HashValue, HashInfo, TcpIpChecksum, TcpLargeSend, Ieee8021Q, FrameType,
 *                           TcpRecvSegCoalesceInfo, RscTcpTimestampDelta, FilteringInfo
 *   extension slot   (only with FLAG_EXTENSION, right after the header) CancelId, CorrelationId,
 *                    VirtualSubnetInfo, NblOriginalInterfaceIfIndex, TcpReceiveBytesTransferred, GftFlowEntryId
 *   one per NB       w0 DataOffset  w1 DataLength  w2 ChecksumBias (0–15) · MDL count (16–23)  w3 0
 *                    w4–w15 up to four MDL extents: slab id, byte offset in the slab, byte count
 *
 * A one-NB frame is two slots; at most 16 slots (15 NBs) cross. The extents start at the NB's current
 * MDL (MDLs wholly in front of it hold only backfill already given up) and end where the data ends, so
 * DataOffset counts from the first extent. Numeric info slots cross as 32-bit words and arrive unsigned
 * (`>>> 0`, as nbl-info-bits.ts packs them); pointer-valued slots, reserved areas and the context stack
 * do not cross (the caller reports a non-null pointer slot). Nothing here allocates on the encode or
 * validate path.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import type { NetBufferListInfo } from '../../ndis/buffers/net-buffer-list-info.js';
import type { SlabRegistry } from './slab-registry.js';

export const DESCRIPTOR_SLOT_WORDS = 16;
export const MAX_DESCRIPTOR_SLOTS = 16;
export const MAX_MDLS_PER_NB = 4;

export const DescriptorKind = {
  /** A send chain crossing down to the processor that transmits it. */
  Send: 1,
  /** A receive indication crossing up to the processor that processes it. */
  Receive: 2,
} as const;
export type DescriptorKind = (typeof DescriptorKind)[keyof typeof DescriptorKind];

/** Header flag: an extension slot follows the header. */
export const FLAG_EXTENSION = 1;

export const HeaderWord = { KindCounts: 0, Edge: 1, Home: 2, Ref: 3, NblFlags: 4, PathFlags: 5, PortTag: 6, Info: 7 } as const;
export const NbWord = { DataOffset: 0, DataLength: 1, BiasMdls: 2, Reserved: 3, Extents: 4 } as const;

/** Why an NBL did not cross (negative, so a result is "slots ≥ 1 or a reason"). */
export const NotCrossed = {
  NoNetBuffer: -1,
  TooManyNetBuffers: -2,
  TooManyMdls: -3,
  /** Data outside shared memory (a driver's plain ArrayBuffer): another thread cannot see it. */
  NotShared: -4,
  RingFull: -5,
  LedgerFull: -6,
  RingDead: -7,
  /** An indication with NDIS_RECEIVE_FLAGS_RESOURCES must be back when the call returns: it cannot be lent. */
  Resources: -8,
  /** The NB's MDL chain is shorter than its data window. */
  BrokenNetBuffer: -9,
} as const;

/** Why a consumer rejected a descriptor. */
export const BadDescriptor = {
  None: 0,
  /** Header or NB slot fields no encoder writes (kind, counts, reserved word, window past the extents). */
  Corrupt: 1,
  /** The header names more slots than the ring holds: the rest was never published. */
  Truncated: 2,
  /** An extent names a slab id this processor does not know (yet). */
  UnknownSlab: 3,
  /** An extent lies outside its slab. */
  OutOfSlab: 4,
} as const;

/** Anything with ring slots: a RingProducer, a RingConsumer or a bare SpscRing. */
export interface SlotSpace {
  readonly words: Int32Array;
  slotBase(position: number): number;
}

/** The header fields the caller decides (the rest come from the NBL). */
export interface DescriptorHeader {
  kind: DescriptorKind;
  edge: number;
  home: number;
  ref: number;
  pathFlags: number;
  portNumber: number;
  queueTag: number;
}

function hasExtension(info: NetBufferListInfo): boolean {
  return (
    info.cancelId !== 0 ||
    info.correlationId !== 0 ||
    info.virtualSubnetInfo !== 0 ||
    info.nblOriginalInterfaceIfIndex !== 0 ||
    info.tcpReceiveBytesTransferred !== 0 ||
    info.gftFlowEntryId !== 0
  );
}

/** True when a pointer-valued info slot is set: it cannot cross (the shell gets null). */
export function hasPointerInfo(info: NetBufferListInfo): boolean {
  return (
    info.ipsecOffload !== null ||
    info.classificationHandle !== null ||
    info.mediaSpecificInformation !== null ||
    info.wfp !== null ||
    info.ipsecOffloadV2Tunnel !== null ||
    info.ipsecOffloadV2Header !== null ||
    info.mediaSpecificInformationEx !== null ||
    info.switchForwardingReserved !== null ||
    info.switchForwardingDetail !== null ||
    info.imReserved !== null ||
    info.gftOffloadInformation !== null
  );
}

/** Slots `nbl` needs (header, extension, one per NB), or a NotCrossed reason. */
export function descriptorSlots(nbl: NetBufferList): number {
  let nbs = 0;
  for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) nbs++;
  if (nbs === 0) return NotCrossed.NoNetBuffer;
  const slots = 1 + (hasExtension(nbl.info) ? 1 : 0) + nbs;
  return slots > MAX_DESCRIPTOR_SLOTS ? NotCrossed.TooManyNetBuffers : slots;
}

/**
 * Writes `nbl`'s descriptor into `slots` slots from `position` (reserved, not yet committed). Returns 0, or
 * a NotCrossed reason (TooManyMdls, NotShared) — the slots are then garbage and must not be committed.
 */
export function encodeNetBufferList(out: SlotSpace, position: number, slots: number, nbl: NetBufferList, h: DescriptorHeader, slabs: SlabRegistry): number {
  const w = out.words;
  const info = nbl.info;
  const ext = hasExtension(info);
  const nbCount = slots - 1 - (ext ? 1 : 0);
  let b = out.slotBase(position);
  w[b] = (h.kind & 0xff) | ((slots & 0xff) << 8) | ((nbCount & 0xff) << 16) | ((ext ? FLAG_EXTENSION : 0) << 24);
  w[b + 1] = h.edge;
  w[b + 2] = h.home;
  w[b + 3] = h.ref;
  w[b + 4] = nbl.nblFlags;
  w[b + 5] = h.pathFlags;
  w[b + 6] = (h.portNumber & 0xffff) | ((h.queueTag & 0xffff) << 16);
  w[b + 7] = info.hashValue;
  w[b + 8] = info.hashInfo;
  w[b + 9] = info.tcpIpChecksum;
  w[b + 10] = info.tcpLargeSend;
  w[b + 11] = info.ieee8021Q;
  w[b + 12] = info.frameType;
  w[b + 13] = info.tcpRecvSegCoalesceInfo;
  w[b + 14] = info.rscTcpTimestampDelta;
  w[b + 15] = info.filteringInfo;
  let slot = 1;
  if (ext) {
    b = out.slotBase(position + slot++);
    w[b] = info.cancelId;
    w[b + 1] = info.correlationId;
    w[b + 2] = info.virtualSubnetInfo;
    w[b + 3] = info.nblOriginalInterfaceIfIndex;
    w[b + 4] = info.tcpReceiveBytesTransferred;
    w[b + 5] = info.gftFlowEntryId;
    for (let i = 6; i < DESCRIPTOR_SLOT_WORDS; i++) w[b + i] = 0;
  }
  for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
    b = out.slotBase(position + slot++);
    const length = nb.dataLength;
    let m = nb.currentMdl;
    let dataOffset = length === 0 || m === null ? 0 : nb.currentMdlOffset;
    // The window [dataOffset, dataOffset + length) measured from the current MDL; extents end with the data.
    let end = dataOffset + length;
    let mdls = 0;
    let e = b + NbWord.Extents;
    if (length > 0) {
      for (; m !== null && end > 0; m = m.next) {
        const count = m.byteCount;
        if (count === 0) continue;
        if (mdls === MAX_MDLS_PER_NB) return NotCrossed.TooManyMdls;
        const bytes = m.bytes;
        const slab = slabs.idOf(bytes.buffer);
        if (slab === 0) return NotCrossed.NotShared;
        w[e] = slab;
        w[e + 1] = bytes.byteOffset + m.byteOffset;
        w[e + 2] = count;
        e += 3;
        mdls++;
        end -= count;
      }
      if (end > 0) return NotCrossed.BrokenNetBuffer;
    } else {
      dataOffset = 0;
    }
    for (; e < b + DESCRIPTOR_SLOT_WORDS; e++) w[e] = 0;
    w[b] = dataOffset;
    w[b + 1] = length;
    w[b + 2] = (nb.checksumBias & 0xffff) | (mdls << 16);
    w[b + 3] = 0;
  }
  return 0;
}

/** The header of a descriptor as read by a consumer (one reused object per consumer). */
export class DescriptorView {
  kind = 0;
  slots = 0;
  nbCount = 0;
  flags = 0;
  edge = 0;
  home = 0;
  ref = 0;
  nblFlags = 0;
  pathFlags = 0;
  portNumber = 0;
  queueTag = 0;
  /** The unknown slab id behind the last UnknownSlab verdict. */
  unknownSlab = 0;

  /**
   * Reads and checks the descriptor at `position` with `available` published slots. Returns a
   * BadDescriptor code; after Corrupt or Truncated only `slots` may be wrong, so a consumer must not
   * skip by it unless it is within [1, available] (`skippable`).
   */
  read(src: SlotSpace, position: number, available: number, slabs: SlabRegistry): number {
    const w = src.words;
    const b = src.slotBase(position);
    const w0 = w[b]!;
    this.kind = w0 & 0xff;
    this.slots = (w0 >>> 8) & 0xff;
    this.nbCount = (w0 >>> 16) & 0xff;
    this.flags = w0 >>> 24;
    this.edge = w[b + 1]!;
    this.home = w[b + 2]!;
    this.ref = w[b + 3]!;
    this.nblFlags = w[b + 4]!;
    this.pathFlags = w[b + 5]!;
    this.portNumber = w[b + 6]! & 0xffff;
    this.queueTag = w[b + 6]! >>> 16;
    if (this.slots < 2 || this.slots > MAX_DESCRIPTOR_SLOTS) return BadDescriptor.Corrupt;
    if (this.slots > available) return BadDescriptor.Truncated;
    if (this.kind !== DescriptorKind.Send && this.kind !== DescriptorKind.Receive) return BadDescriptor.Corrupt;
    if ((this.flags & ~FLAG_EXTENSION) !== 0) return BadDescriptor.Corrupt;
    const ext = (this.flags & FLAG_EXTENSION) !== 0 ? 1 : 0;
    if (this.nbCount < 1 || this.slots !== 1 + ext + this.nbCount) return BadDescriptor.Corrupt;
    for (let i = 1 + ext; i < this.slots; i++) {
      const verdict = this.#checkNetBuffer(w, src.slotBase(position + i), slabs);
      if (verdict !== BadDescriptor.None) return verdict;
    }
    return BadDescriptor.None;
  }

  /** Whether a consumer can step over a rejected descriptor by its slot count. */
  skippable(available: number): boolean {
    return this.slots >= 1 && this.slots <= available;
  }

  #checkNetBuffer(w: Int32Array, b: number, slabs: SlabRegistry): number {
    const dataOffset = w[b]!;
    const dataLength = w[b + 1]!;
    const mdls = (w[b + 2]! >>> 16) & 0xff;
    if ((w[b + 2]! >>> 24) !== 0 || w[b + 3] !== 0 || mdls > MAX_MDLS_PER_NB || dataOffset < 0 || dataLength < 0) return BadDescriptor.Corrupt;
    let total = 0;
    let e = b + NbWord.Extents;
    for (let i = 0; i < mdls; i++, e += 3) {
      const slab = w[e]!;
      const offset = w[e + 1]!;
      const count = w[e + 2]!;
      if (count <= 0 || offset < 0) return BadDescriptor.Corrupt;
      const bytes = slabs.bytes(slab);
      if (bytes === undefined) {
        if (slab <= 0) return BadDescriptor.Corrupt;
        this.unknownSlab = slab;
        return BadDescriptor.UnknownSlab;
      }
      if (offset + count > bytes.length) return BadDescriptor.OutOfSlab;
      total += count;
    }
    for (; e < b + DESCRIPTOR_SLOT_WORDS; e++) if (w[e] !== 0) return BadDescriptor.Corrupt;
    if (dataOffset + dataLength > total || (mdls === 0 && dataOffset !== 0)) return BadDescriptor.Corrupt;
    return BadDescriptor.None;
  }
}

/** Copies the numeric info of a descriptor (header and extension slot) into a shell's info. */
export function readInfo(src: SlotSpace, position: number, flags: number, info: NetBufferListInfo): void {
  const w = src.words;
  let b = src.slotBase(position);
  info.hashValue = w[b + 7]! >>> 0;
  info.hashInfo = w[b + 8]! >>> 0;
  info.tcpIpChecksum = w[b + 9]! >>> 0;
  info.tcpLargeSend = w[b + 10]! >>> 0;
  info.ieee8021Q = w[b + 11]! >>> 0;
  info.frameType = w[b + 12]! >>> 0;
  info.tcpRecvSegCoalesceInfo = w[b + 13]! >>> 0;
  info.rscTcpTimestampDelta = w[b + 14]! >>> 0;
  info.filteringInfo = w[b + 15]! >>> 0;
  if ((flags & FLAG_EXTENSION) === 0) return;
  b = src.slotBase(position + 1);
  info.cancelId = w[b]! >>> 0;
  info.correlationId = w[b + 1]! >>> 0;
  info.virtualSubnetInfo = w[b + 2]! >>> 0;
  info.nblOriginalInterfaceIfIndex = w[b + 3]! >>> 0;
  info.tcpReceiveBytesTransferred = w[b + 4]! >>> 0;
  info.gftFlowEntryId = w[b + 5]! >>> 0;
}

/** A decoded descriptor as plain data (tests and diagnostics only: allocates). */
export interface DecodedDescriptor {
  kind: number;
  slots: number;
  edge: number;
  home: number;
  ref: number;
  nblFlags: number;
  pathFlags: number;
  portNumber: number;
  queueTag: number;
  info: Record<string, number>;
  netBuffers: { dataOffset: number; dataLength: number; checksumBias: number; extents: { slab: number; offset: number; count: number }[] }[];
}

const INFO_NAMES = ['hashValue', 'hashInfo', 'tcpIpChecksum', 'tcpLargeSend', 'ieee8021Q', 'frameType', 'tcpRecvSegCoalesceInfo', 'rscTcpTimestampDelta', 'filteringInfo'] as const;
const EXTENSION_NAMES = ['cancelId', 'correlationId', 'virtualSubnetInfo', 'nblOriginalInterfaceIfIndex', 'tcpReceiveBytesTransferred', 'gftFlowEntryId'] as const;

/** Decodes the (already validated) descriptor at `position`. */
export function decodeDescriptor(src: SlotSpace, position: number): DecodedDescriptor {
  const w = src.words;
  const b = src.slotBase(position);
  const w0 = w[b]!;
  const slots = (w0 >>> 8) & 0xff;
  const ext = ((w0 >>> 24) & FLAG_EXTENSION) !== 0;
  const info: Record<string, number> = {};
  INFO_NAMES.forEach((n, i) => {
    info[n] = w[b + HeaderWord.Info + i]! >>> 0;
  });
  if (ext) {
    const x = src.slotBase(position + 1);
    EXTENSION_NAMES.forEach((n, i) => {
      info[n] = w[x + i]! >>> 0;
    });
  }
  const netBuffers: DecodedDescriptor['netBuffers'] = [];
  for (let i = ext ? 2 : 1; i < slots; i++) {
    const nb = src.slotBase(position + i);
    const mdls = (w[nb + 2]! >>> 16) & 0xff;
    const extents = [];
    for (let k = 0; k < mdls; k++) extents.push({ slab: w[nb + 4 + 3 * k]!, offset: w[nb + 5 + 3 * k]!, count: w[nb + 6 + 3 * k]! });
    netBuffers.push({ dataOffset: w[nb]!, dataLength: w[nb + 1]!, checksumBias: w[nb + 2]! & 0xffff, extents });
  }
  return {
    kind: w0 & 0xff,
    slots,
    edge: w[b + 1]!,
    home: w[b + 2]!,
    ref: w[b + 3]!,
    nblFlags: w[b + 4]!,
    pathFlags: w[b + 5]!,
    portNumber: w[b + 6]! & 0xffff,
    queueTag: w[b + 6]! >>> 16,
    info,
    netBuffers,
  };
}
