/**
 * NdisGetRssProcessorInformation in tsndis: the processors an adapter's RSS may use, from its
 * `*RssBaseProcNumber` and `*MaxRssProcessors` keywords (any spelling, as standardized keywords are read)
 * and the processors of the stack. Like NDIS_RSS_PROCESSOR_INFO it names the base processor, how many
 * there are and which, in order; tsndis has one processor group and one NUMA node, so processor numbers
 * are plain numbers in group 0 and every processor is equally near. `*NumRSSQueues` limits the receive
 * queues, not this set, and `*RSS` 0 does not empty it (it says which processors RSS *would* use).
 */
import type { ConfigurationReader } from '../driver-api.js';

export interface NdisRssProcessorInfo {
  /** RssBaseProcessor: the first processor RSS may use. */
  readonly base: number;
  /** MaxNumRssProcessors: how many processors RSS may use, from `base` on. */
  readonly count: number;
  /** RssProcessorArray: the processor numbers, ascending (base … base + count - 1). */
  readonly processors: readonly number[];
}

/**
 * The RSS processor set of a stack with `processorCount` processors whose adapter has `keywords` (null:
 * no adapter keywords, every processor). A base beyond the stack starts at processor 0, as the RSS
 * keyword reading does (drivers/common/rss-keywords.ts); an absent or out-of-range `*MaxRssProcessors`
 * means every processor from the base on.
 */
export function rssProcessorInfo(keywords: ConfigurationReader | null, processorCount: number): NdisRssProcessorInfo {
  const n = Number.isInteger(processorCount) && processorCount >= 1 ? processorCount : 1;
  const baseKeyword = keywords?.readInt('*RssBaseProcNumber', 0, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const base = Number.isInteger(baseKeyword) && baseKeyword < n ? baseKeyword : 0;
  const maxKeyword = keywords?.readInt('*MaxRssProcessors', n, 1, Number.MAX_SAFE_INTEGER) ?? n;
  const count = Math.max(1, Math.min(Number.isInteger(maxKeyword) ? maxKeyword : n, n - base));
  return { base, count, processors: Array.from({ length: count }, (_, i) => base + i) };
}
