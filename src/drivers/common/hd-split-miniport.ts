/**
 * What a receiving Ethernet miniport needs for header-data split besides the split engine (hd-split.ts):
 * the `*HeaderDataSplit` keyword, NDIS_HD_SPLIT_ATTRIBUTES at initialize, OID_GEN_HD_SPLIT_PARAMETERS
 * (COMBINE_ALL_HEADERS stops splitting; NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG follows every change) and
 * OID_GEN_HD_SPLIT_CURRENT_CONFIG. Shared by the TAP and the virtual wire.
 */
import {
  NDIS_HD_SPLIT_COMBINE_ALL_HEADERS,
  NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT,
  NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  OID_GEN_HD_SPLIT_CURRENT_CONFIG,
  OID_GEN_HD_SPLIT_PARAMETERS,
  hdSplitCurrentConfigCodec,
  hdSplitParametersCodec,
  validateHdSplitParameters,
  type ConfigurationReader,
  type KeywordSchema,
  type MiniportAdapterHandle,
  type MiniportHdSplitAttributes,
  type NdisHdSplitCurrentConfig,
  type NdisOidRequest,
  type NdisStatus,
  type NetBufferList,
  type NetBufferListPool,
} from '../../ndis/index.js';
import { HD_SPLIT_MINIPORT_CAPS, HdSplitter, type HdSplitCounters } from './hd-split.js';

export const HD_SPLIT_KEYWORDS = {
  '*HeaderDataSplit': { type: 'enum', description: 'header-data split of received frames: 0 disabled, 1 enabled', default: 0, values: [0, 1] },
} as const satisfies KeywordSchema;

export class HdSplitMiniport {
  readonly #ndis: MiniportAdapterHandle;
  /** Null when the keyword is off (then the OIDs are not supported either). */
  readonly splitter: HdSplitter | null;
  readonly #attributes: MiniportHdSplitAttributes;
  #combineFlags = 0;
  /** OID_GEN_HD_SPLIT_PARAMETERS sets refused (bad buffer, unknown flags). */
  parameterErrors = 0;

  /** Call in `initialize`, after setGeneralAttributes. `capacity`: receive NBLs that can be indicated at once. */
  constructor(ndis: MiniportAdapterHandle, k: ConfigurationReader, capacity: number) {
    this.#ndis = ndis;
    const on = k.readInt('*HeaderDataSplit', 0, 0, 1) === 1;
    this.#attributes = { hardwareCapabilities: HD_SPLIT_MINIPORT_CAPS, currentCapabilities: on ? HD_SPLIT_MINIPORT_CAPS : 0, hdSplitFlags: 0, backfillSize: 0, maxHeaderSize: 0 };
    if (!on) {
      this.splitter = null;
      return;
    }
    const status = ndis.setHdSplitAttributes(this.#attributes);
    if (status !== NDIS_STATUS_SUCCESS) {
      ndis.log('warn', `header-data split: NDIS refused the attributes (0x${status.toString(16)}); frames are not split`);
      this.splitter = null;
      return;
    }
    this.splitter = new HdSplitter(capacity, this.#attributes.maxHeaderSize, this.#attributes.backfillSize);
    this.#update();
  }

  /** Bytes each receive buffer keeps free in front of the frame (the backfill); 0 without the keyword. */
  get headroom(): number {
    return this.splitter === null ? 0 : (this.#attributes.backfillSize + 63) & ~63;
  }

  /**
   * Moves the start of every receive buffer of `pool` (created with `headroom` more bytes per slot) past
   * the headroom, once, before any is posted: a pool's free keeps the MDL's window, so it stays.
   */
  reserveHeadroom(pool: NetBufferListPool): void {
    const h = this.headroom;
    if (h === 0) return;
    const all: NetBufferList[] = [];
    for (let nbl = pool.allocate(); nbl !== null; nbl = pool.allocate()) {
      const m = nbl.firstNetBuffer!.poolMdl!;
      m.byteOffset += h;
      m.byteCount -= h;
      all.push(nbl);
    }
    for (const nbl of all) pool.free(nbl);
  }

  get oids(): number[] {
    return this.splitter === null ? [] : [OID_GEN_HD_SPLIT_PARAMETERS, OID_GEN_HD_SPLIT_CURRENT_CONFIG];
  }

  /** Splitting now. */
  get active(): boolean {
    return this.splitter !== null && this.splitter.active;
  }

  get counters(): HdSplitCounters | null {
    return this.splitter?.counters ?? null;
  }

  currentConfig(): NdisHdSplitCurrentConfig {
    const a = this.#attributes;
    return {
      hardwareCapabilities: a.hardwareCapabilities,
      currentCapabilities: a.currentCapabilities,
      hdSplitFlags: a.hdSplitFlags,
      hdSplitCombineFlags: this.#combineFlags,
      backfillSize: a.backfillSize,
      maxHeaderSize: a.maxHeaderSize,
    };
  }

  #update(): void {
    this.splitter!.active = (this.#attributes.hdSplitFlags & NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT) !== 0 && (this.#combineFlags & NDIS_HD_SPLIT_COMBINE_ALL_HEADERS) === 0;
  }

  /** See HdSplitter.split; false (frame left whole) when not splitting. */
  split(nbl: NetBufferList, bytes: Uint8Array, bufferStart: number, start: number, len: number): boolean {
    const s = this.splitter;
    return s !== null && s.active && s.split(nbl, bytes, bufferStart, start, len);
  }

  /** The two HDS OIDs; NDIS_STATUS_INVALID_OID for any other. */
  handleOid(req: NdisOidRequest): NdisStatus {
    if (req.oid !== OID_GEN_HD_SPLIT_PARAMETERS && req.oid !== OID_GEN_HD_SPLIT_CURRENT_CONFIG) return NDIS_STATUS_INVALID_OID;
    if (this.splitter === null) return NDIS_STATUS_NOT_SUPPORTED;
    if (req.oid === OID_GEN_HD_SPLIT_CURRENT_CONFIG) return req.isQuery ? req.completeQuery(hdSplitCurrentConfigCodec, this.currentConfig()) : NDIS_STATUS_NOT_SUPPORTED;
    if (!req.isSet) return NDIS_STATUS_NOT_SUPPORTED;
    const r = req.readSet(hdSplitParametersCodec);
    if (!r.ok) {
      this.parameterErrors++;
      return r.status;
    }
    const status = validateHdSplitParameters(r.value);
    if (status !== NDIS_STATUS_SUCCESS) {
      this.parameterErrors++;
      req.bytesRead = 0;
      return status;
    }
    this.#combineFlags = r.value.hdSplitCombineFlags;
    this.#update();
    this.#ndis.indicateStatus({ statusCode: NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG, statusBuffer: this.currentConfig() });
    return NDIS_STATUS_SUCCESS;
  }

  /** For the adapter's inspect(). */
  snapshot(): Record<string, unknown> | null {
    const s = this.splitter;
    if (s === null) return null;
    return { active: s.active, combineFlags: this.#combineFlags, parameterErrors: this.parameterErrors, ...s.counters };
  }
}
