/**
 * The standardized RSS keywords (offload digest §10) as a keyword schema a miniport spreads into its
 * `keywords`, and their reading: whether RSS is offered, how many receive queues, and which processors
 * it may use. Keyword names keep the standardized spelling (`*RssBaseProcNumber`, `*MaxRssProcessors`);
 * like every standardized keyword they match in any case (src/ndis/keyword-names.ts), as Windows'
 * registry does, so `*RSSBaseProcNumber` is the same keyword.
 *
 * The virtual-wire and TAP miniports declare them (rss-miniport.ts puts them into effect). Until the
 * multi-processor runtime gives stacks more than one processor, the processor keywords can only select
 * processor 0.
 */
import type { ConfigurationReader, KeywordSchema } from '../../ndis/driver-api.js';
import { MAXIMUM_PROC_PER_GROUP, MAXIMUM_PROC_PER_SYSTEM } from '../../ndis/rss/receive-scale.js';

/** *RSSProfile values (NDIS_RSS_PROFILE). tsndis has one NUMA node and no dynamic rebalancing, so all choose alike. */
export const NdisRssProfileClosestProcessor = 1;
export const NdisRssProfileClosestProcessorStatic = 2;
export const NdisRssProfileNuma = 3;
export const NdisRssProfileNumaStatic = 4;
export const NdisRssProfileConservative = 5;
export const RSS_PROFILES = [
  NdisRssProfileClosestProcessor,
  NdisRssProfileClosestProcessorStatic,
  NdisRssProfileNuma,
  NdisRssProfileNumaStatic,
  NdisRssProfileConservative,
] as const;

/** What a miniport's hardware allows, for the keyword ranges and defaults. */
export interface RssKeywordLimits {
  /** Most receive queues the adapter has (the *NumRSSQueues maximum). Default 16. */
  readonly maxQueues?: number;
  /** *NumRSSQueues default (device-specific in §10). Default `maxQueues`. */
  readonly defaultQueues?: number;
  /** *MaxRssProcessors default (link-speed dependent in §10; 16 for a 10 GbE adapter with MSI-X). Default 16. */
  readonly defaultMaxProcessors?: number;
}

const ONE = 'processors come with the multi-processor runtime: one today';

/** The standardized RSS keywords with §10 ranges and the defaults `limits` give. */
export function standardRssKeywords(limits: RssKeywordLimits = {}) {
  const maxQueues = limits.maxQueues ?? 16;
  return {
    '*RSS': { type: 'enum', description: 'receive side scaling: 0 not offered, 1 offered (a protocol turns it on with OID_GEN_RECEIVE_SCALE_PARAMETERS)', default: 1, values: [0, 1] },
    '*NumRSSQueues': { type: 'int', description: `receive queues RSS spreads frames over, one per processor (${ONE})`, default: limits.defaultQueues ?? maxQueues, min: 1, max: maxQueues },
    '*RssBaseProcNumber': { type: 'int', description: `first processor RSS uses (${ONE})`, default: 0, min: 0, max: MAXIMUM_PROC_PER_GROUP - 1 },
    '*MaxRssProcessors': { type: 'int', description: `most processors RSS uses (${ONE})`, default: limits.defaultMaxProcessors ?? 16, min: 1, max: MAXIMUM_PROC_PER_SYSTEM },
    '*RSSProfile': {
      type: 'enum',
      description: 'processor selection profile: 1 ClosestProcessor, 2 ClosestProcessorStatic, 3 NUMAScaling, 4 NUMAScalingStatic, 5 ConservativeScaling (one NUMA node: all choose alike)',
      default: NdisRssProfileNumaStatic,
      values: [...RSS_PROFILES],
    },
  } as const satisfies KeywordSchema;
}

/** The standardized RSS keywords with a 16-queue adapter's defaults. */
export const STANDARD_RSS_KEYWORDS = standardRssKeywords();

/** The RSS keywords as read: absent or out-of-range values read as their defaults, as NDIS drivers do. */
export interface RssKeywordSettings {
  /** *RSS: offer RSS at all. */
  readonly enabled: boolean;
  /** *NumRSSQueues. */
  readonly numQueues: number;
  /** *RssBaseProcNumber. */
  readonly baseProcNumber: number;
  /** *MaxRssProcessors. */
  readonly maxProcessors: number;
  /** *RSSProfile (NdisRssProfile*). */
  readonly profile: number;
}

/** Reads the RSS keywords of `reader` with the ranges and defaults `standardRssKeywords(limits)` declares. */
export function rssKeywordSettings(reader: ConfigurationReader, limits: RssKeywordLimits = {}): RssKeywordSettings {
  const k = standardRssKeywords(limits);
  // readInt falls back to the default outside [min, max]; a fraction (possible only from code, the config
  // loader has checked the type) falls back too.
  const int = (name: keyof typeof k, min: number, max: number): number => {
    const v = reader.readInt(name, k[name].default, min, max);
    return Number.isInteger(v) ? v : k[name].default;
  };
  return {
    enabled: int('*RSS', 0, 1) === 1,
    numQueues: int('*NumRSSQueues', 1, k['*NumRSSQueues'].max),
    baseProcNumber: int('*RssBaseProcNumber', 0, k['*RssBaseProcNumber'].max),
    maxProcessors: int('*MaxRssProcessors', 1, k['*MaxRssProcessors'].max),
    profile: int('*RSSProfile', NdisRssProfileClosestProcessor, NdisRssProfileConservative),
  };
}

/**
 * The processors RSS may steer frames to on a stack of `processorCount` processors: consecutive numbers
 * from *RssBaseProcNumber, as many as the smallest of *NumRSSQueues, *MaxRssProcessors and the
 * processors from the base on; a base beyond the stack starts at processor 0. Empty with *RSS 0.
 */
export function rssProcessors(settings: RssKeywordSettings, processorCount: number): readonly number[] {
  if (!settings.enabled || processorCount < 1) return [];
  const base = settings.baseProcNumber < processorCount ? settings.baseProcNumber : 0;
  const count = Math.max(1, Math.min(settings.numQueues, settings.maxProcessors, processorCount - base));
  return Array.from({ length: count }, (_, i) => base + i);
}
