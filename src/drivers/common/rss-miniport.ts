/**
 * The RSS side of a miniport (offload digest §3, §10): what the standardized keywords make it offer,
 * the NDIS_RECEIVE_SCALE_CAPABILITIES it reports in its general attributes, the OIDs it answers itself
 * (OID_GEN_RECEIVE_SCALE_CAPABILITIES, OID_GEN_RECEIVE_SCALE_PARAMETERS query and set), and the receive
 * work: the Toeplitz hash of every frame into the NBL's hash value and hash info, and the processor the
 * indirection table selects, counted per receive queue.
 *
 * One receive queue per processor, as the multi-processor runtime will have (docs/architecture.md,
 * "RSS"): the queue counters are indexed by processor number. Until processors exist every stack has
 * one, so the table can only name processor 0 and every frame is indicated where it arrived; the hash
 * value and hash info are already what a multi-processor stack will see.
 *
 * Cost: nothing per frame while RSS is off (the driver tests `active` once per receive chain); with RSS
 * on, one {@link RssHasher} reused for every frame (its Toeplitz tables are rebuilt only when a set
 * changes the key, in the OID handler), so hashing allocates nothing.
 */
import {
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisHashFunctionToeplitz,
  OID_GEN_RECEIVE_SCALE_CAPABILITIES,
  OID_GEN_RECEIVE_SCALE_PARAMETERS,
  RSS_INDIRECTION_TABLE_MAX_ENTRIES,
  RSS_SETTINGS_DISABLED,
  RssHasher,
  ToeplitzHasher,
  applyReceiveScaleParametersBuffer,
  receiveScaleCapabilitiesCodec,
  receiveScaleParametersCodec,
  receiveScaleParametersFromSettings,
  rssTargetProcessor,
  type ConfigurationReader,
  type MiniportAdapterHandle,
  type NdisOidRequest,
  type NdisReceiveScaleCapabilities,
  type NdisStatus,
  type NetBufferList,
  type RssSettings,
} from '../../ndis/index.js';
import { NDIS_ENCAPSULATION_TYPE_GRE_MAC, NDIS_ENCAPSULATION_TYPE_VXLAN, encapsulatedOffloadOf, type MaybeEncapsulatedOffload } from '../../ndis/encapsulated-offload.js';
import { rssKeywordSettings, rssProcessors, type RssKeywordLimits, type RssKeywordSettings } from './rss-keywords.js';

/** Every hash type the software hash computes: IPv4, IPv6 and IPv6-EX, each with TCP and UDP. */
export const RSS_CAPS_ALL_HASH_TYPES =
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 |
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 |
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX |
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4 |
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6 |
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX;

/** The OIDs a miniport that offers RSS adds to its supported list. */
export const RSS_OIDS: readonly number[] = [OID_GEN_RECEIVE_SCALE_CAPABILITIES, OID_GEN_RECEIVE_SCALE_PARAMETERS];

/**
 * The stack's processors: `processorCount` of the adapter's handle once the multi-processor runtime
 * provides it, 1 until then.
 */
export function stackProcessorCount(handle: object): number {
  const n = (handle as { readonly processorCount?: unknown }).processorCount;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

export interface RssMiniportOptions {
  /** Limits of the device, for the keywords (the schema the driver declares must use the same). */
  readonly limits?: RssKeywordLimits;
  /**
   * NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC / _AT_ISR when the driver hashes in software at that level; 0
   * when the "hardware" does (the virtual wire hashes as it delivers, like a NIC).
   */
  readonly classification?: number;
  /** The NDIS_RSS_CAPS_HASH_TYPE_* bits the device hashes (default {@link RSS_CAPS_ALL_HASH_TYPES}). */
  readonly hashTypes?: number;
}

/** RSS counters of one adapter (summed over processors once there are several). */
export class RssCounters {
  /** Frames hashed with RSS on. */
  rssHashed = 0;
  /** Frames RSS was on for but no enabled hash type applied to (ARP, non-IP, fragments without a 2-tuple type, unparseable): sent to the default processor. */
  rssNoHash = 0;
  /** Frames per receive queue (index: the processor the indirection table, or the default, selected). */
  readonly rssQueueFrames: number[];
  /** OID_GEN_RECEIVE_SCALE_PARAMETERS sets accepted / refused. */
  rssParameterSets = 0;
  rssParameterSetsFailed = 0;

  constructor(queues: number) {
    this.rssQueueFrames = new Array<number>(queues).fill(0);
  }
}

/** One miniport's RSS: keywords, capabilities, settings, OIDs and the per-frame hash. */
export class RssState {
  readonly keywords: RssKeywordSettings;
  readonly processorCount: number;
  /** The processors the keywords let RSS use on this stack (empty with *RSS 0). */
  readonly processors: readonly number[];
  /** What the adapter offers; null when *RSS is 0 (no RSS capability, the RSS OIDs are not supported). */
  readonly capabilities: NdisReceiveScaleCapabilities | null;
  /** What the last accepted set left in force. */
  settings: RssSettings = RSS_SETTINGS_DISABLED;
  /** Frames are hashed: RSS is on. The driver's receive path tests this once per chain. */
  active = false;
  readonly counters: RssCounters;
  /** Why the last refused set was refused (for the inspector). */
  lastSetFailure = '';
  #hasher: RssHasher | null = null;
  /** Encapsulated offload with RSS on the inner headers (§6.6): NVGRE on, the VXLAN port (0: off). */
  #nvgre = false;
  #vxlanPort = 0;

  constructor(
    readonly ndis: MiniportAdapterHandle,
    keywords: ConfigurationReader,
    options: RssMiniportOptions = {},
  ) {
    this.keywords = rssKeywordSettings(keywords, options.limits);
    this.processorCount = stackProcessorCount(ndis);
    this.processors = rssProcessors(this.keywords, this.processorCount);
    this.counters = new RssCounters(this.processorCount);
    this.capabilities = this.keywords.enabled
      ? {
          capabilitiesFlags: NdisHashFunctionToeplitz | (options.hashTypes ?? RSS_CAPS_ALL_HASH_TYPES) | (options.classification ?? 0),
          // One queue, and one DPC standing in for its interrupt message, per RSS processor.
          numberOfInterruptMessages: this.processors.length,
          numberOfReceiveQueues: this.processors.length,
          numberOfIndirectionTableEntries: RSS_INDIRECTION_TABLE_MAX_ENTRIES,
        }
      : null;
  }

  /** RSS_OIDS when RSS is offered, else none: for the driver's supported OID list. */
  get oids(): readonly number[] {
    return this.capabilities === null ? [] : RSS_OIDS;
  }

  /** The RSS OIDs; NDIS_STATUS_INVALID_OID for any other (the caller tries its own next). */
  handleOid(req: NdisOidRequest): NdisStatus {
    if (req.oid !== OID_GEN_RECEIVE_SCALE_CAPABILITIES && req.oid !== OID_GEN_RECEIVE_SCALE_PARAMETERS) return NDIS_STATUS_INVALID_OID;
    const caps = this.capabilities;
    if (caps === null) return NDIS_STATUS_NOT_SUPPORTED;
    if (req.oid === OID_GEN_RECEIVE_SCALE_CAPABILITIES) return req.isQuery ? req.completeQuery(receiveScaleCapabilitiesCodec, caps) : NDIS_STATUS_NOT_SUPPORTED;
    if (req.isQuery) return req.completeQuery(receiveScaleParametersCodec, receiveScaleParametersFromSettings(this.settings));
    if (!req.isSet) return NDIS_STATUS_NOT_SUPPORTED;
    const buf = req.informationBuffer;
    const r = applyReceiveScaleParametersBuffer(this.settings, buf, 0, buf.length, caps, this.processorCount);
    if (r.status !== NDIS_STATUS_SUCCESS) {
      this.counters.rssParameterSetsFailed++;
      this.lastSetFailure = r.reason;
      req.bytesRead = 0;
      req.bytesNeeded = r.bytesNeeded;
      this.ndis.log('warn', `OID_GEN_RECEIVE_SCALE_PARAMETERS refused (0x${(r.status >>> 0).toString(16)}), the previous settings stay in force: ${r.reason}`);
      return r.status === NDIS_STATUS_BUFFER_TOO_SHORT ? NDIS_STATUS_INVALID_LENGTH : r.status;
    }
    this.counters.rssParameterSets++;
    req.bytesRead = buf.length;
    this.#apply(r.settings);
    return NDIS_STATUS_SUCCESS;
  }

  /** Puts accepted settings into effect: the hasher's types, and new tables only for a new key. */
  #apply(next: RssSettings): void {
    this.settings = next;
    if (!next.enabled) {
      this.active = false;
      return;
    }
    let h = this.#hasher;
    if (h === null) h = this.#hasher = new RssHasher(new ToeplitzHasher(next.hashSecretKey), next.hashInformation);
    else {
      if (!h.toeplitz.hasKey(next.hashSecretKey)) h.toeplitz = new ToeplitzHasher(next.hashSecretKey);
      h.hashTypes = next.hashInformation;
    }
    h.nvgre = this.#nvgre;
    h.vxlanPort = this.#vxlanPort;
    this.active = true;
  }

  /**
   * The encapsulated offload in effect (the driver calls this with its current configuration): NVGRE /
   * VXLAN frames are hashed on their inner headers where the enabled type's block offers RSS (§6.6).
   */
  setEncapsulation(o: MaybeEncapsulatedOffload): void {
    const e = encapsulatedOffloadOf(o);
    this.#nvgre = (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0 && e.encapsulatedPacketTaskOffloadGre.rssSupported !== 0;
    const vx = e.encapsulatedPacketTaskOffloadVxlan;
    this.#vxlanPort = (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0 && vx.rssSupported !== 0 ? vx.vxlanUdpPortNumber : 0;
    if (this.#hasher !== null) {
      this.#hasher.nvgre = this.#nvgre;
      this.#hasher.vxlanPort = this.#vxlanPort;
    }
  }

  /**
   * The receive work for a chain of frames about to be indicated (call only while `active`): each NBL's
   * hash value and hash info (both 0 when no enabled type applies) and its queue's count. Each NBL's
   * frame is its first NET_BUFFER, contiguous in its current MDL (how both miniports receive).
   */
  hashChain(head: NetBufferList | null): void {
    const hasher = this.#hasher!;
    const settings = this.settings;
    const c = this.counters;
    const queues = c.rssQueueFrames;
    for (let nbl = head; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer!;
      const m = nb.currentMdl!;
      const avail = m.byteCount - nb.currentMdlOffset;
      const hashInfo = hasher.setNetBufferListHash(nbl.info, m.bytes, m.byteOffset + nb.currentMdlOffset, nb.dataLength < avail ? nb.dataLength : avail);
      if (hashInfo !== 0) c.rssHashed++;
      else c.rssNoHash++;
      // With one processor this is always 0; with lanes, frames for another processor go there.
      queues[rssTargetProcessor(settings, hashInfo, hasher.hashValue).number]!++;
    }
  }

  /** For the adapter's `inspect()`: the counters, and the settings in force under `rss`. */
  snapshot(): Record<string, unknown> {
    const s = this.settings;
    const c = this.counters;
    return {
      rssHashed: c.rssHashed,
      rssNoHash: c.rssNoHash,
      rssQueueFrames: [...c.rssQueueFrames],
      rssParameterSets: c.rssParameterSets,
      rssParameterSetsFailed: c.rssParameterSetsFailed,
      rss: {
        offered: this.capabilities !== null,
        enabled: s.enabled,
        hashInformation: `0x${(s.hashInformation >>> 0).toString(16)}`,
        indirectionTableEntries: s.indirectionTable.length,
        defaultProcessor: s.defaultProcessorNumber.number,
        processors: [...this.processors],
        queues: this.capabilities?.numberOfReceiveQueues ?? 0,
        profile: this.keywords.profile,
        ...(this.lastSetFailure === '' ? {} : { lastSetFailure: this.lastSetFailure }),
      },
    };
  }
}
