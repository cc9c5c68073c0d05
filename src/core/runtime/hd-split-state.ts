/**
 * NDIS's side of header-data split for one adapter (offload digest §5): the configuration the miniport
 * set with NDIS_HD_SPLIT_ATTRIBUTES and later indicated with NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG, and
 * the rule that a protocol or filter that did not declare `headerDataSplit` never sees a split frame.
 *
 * NDIS keeps that rule by making split frames contiguous in place before it indicates them (the
 * spec's "reconstruct using the backfill"): the header is copied into the backfill in front of the
 * data and the NET_BUFFER then describes the data MDL alone, widened over the header; the split flags
 * are cleared. Nothing is allocated and the payload is not moved. The miniport gets its NBLs back as
 * it would have in any case: its pool's free puts its own MDL back. A frame that cannot be rebuilt
 * (no backfill, data in more than one MDL) is left split and counted.
 */
import { NDIS_NBL_FLAGS_HD_SPLIT, NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER, NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD } from '../../ndis/constants.js';
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { copyBytes } from '../../ndis/buffers/bytes.js';
import {
  HD_SPLIT_BACKFILL_SIZE,
  HD_SPLIT_MAX_HEADER_SIZE,
  NDIS_HD_SPLIT_CAPS_SUPPORTS_HEADER_DATA_SPLIT,
  NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT,
  type MiniportHdSplitAttributes,
  type NdisHdSplitCurrentConfig,
} from '../../ndis/hd-split.js';
import { NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../ndis/status.js';

const SPLIT_FLAGS = NDIS_NBL_FLAGS_HD_SPLIT | NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER | NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD;

function isUlong(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

export class HdSplitState {
  /** Null until the miniport set NDIS_HD_SPLIT_ATTRIBUTES. */
  config: NdisHdSplitCurrentConfig | null = null;
  /** Split frames NDIS made contiguous for a receiver that does not take them. */
  combined = 0;
  /** Split frames that could not be made contiguous (left split). */
  notCombined = 0;

  /** NDIS_HD_SPLIT_ATTRIBUTES: checks the inputs and writes NDIS's outputs. */
  setAttributes(a: MiniportHdSplitAttributes): NdisStatus {
    if (a === null || typeof a !== 'object' || !isUlong(a.hardwareCapabilities) || !isUlong(a.currentCapabilities)) return NDIS_STATUS_INVALID_PARAMETER;
    // Current capabilities are a subset of the hardware's.
    if ((a.currentCapabilities & ~a.hardwareCapabilities) !== 0) return NDIS_STATUS_INVALID_PARAMETER;
    const enable = (a.currentCapabilities & NDIS_HD_SPLIT_CAPS_SUPPORTS_HEADER_DATA_SPLIT) !== 0;
    a.hdSplitFlags = enable ? NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT : 0;
    a.backfillSize = HD_SPLIT_BACKFILL_SIZE;
    a.maxHeaderSize = HD_SPLIT_MAX_HEADER_SIZE;
    this.config = Object.freeze({
      hardwareCapabilities: a.hardwareCapabilities,
      currentCapabilities: a.currentCapabilities,
      hdSplitFlags: a.hdSplitFlags,
      hdSplitCombineFlags: 0,
      backfillSize: a.backfillSize,
      maxHeaderSize: a.maxHeaderSize,
    });
    return NDIS_STATUS_SUCCESS;
  }

  /** NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG from the miniport. */
  statusIndicated(buffer: unknown): void {
    const c = buffer as NdisHdSplitCurrentConfig | null;
    if (c === null || typeof c !== 'object' || !isUlong(c.hdSplitFlags) || !isUlong(c.hdSplitCombineFlags)) return;
    this.config = Object.freeze({ ...c });
  }

  /** Makes every split NBL of the chain contiguous (see the module comment). */
  combineChain(nbls: NetBufferList): void {
    const backfill = this.config?.backfillSize ?? 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if ((nbl.nblFlags & NDIS_NBL_FLAGS_HD_SPLIT) === 0) continue;
      let ok = true;
      for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        const h = nb.currentMdl;
        const d = h?.next ?? null;
        if (h === null || d === null) continue;
        const hl = h.byteCount - nb.currentMdlOffset;
        if (hl <= 0 || hl > backfill || d.byteOffset < hl || nb.dataLength - hl > d.byteCount || nb.dataLength < hl) {
          ok = false;
          continue;
        }
        copyBytes(h.bytes, h.byteOffset + nb.currentMdlOffset, d.bytes, d.byteOffset - hl, hl);
        d.byteOffset -= hl;
        d.byteCount += hl;
        nb.mdlChain = d;
        nb.currentMdl = d;
        nb.currentMdlOffset = 0;
        nb.dataOffset = 0;
      }
      if (ok) {
        nbl.nblFlags &= ~SPLIT_FLAGS;
        this.combined++;
      } else {
        this.notCombined++;
      }
    }
  }
}
