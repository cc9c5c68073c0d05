/**
 * Receive Side Scaling building blocks that need no processors (offload digest §3): the Toeplitz hash,
 * the per-frame RSS hash and the NET_BUFFER_LIST hash value/info it yields, the capabilities and
 * parameters structures with their OID codecs, and the rules a parameters set must follow.
 */
export { ToeplitzHasher, toeplitzHash, toeplitzHasherFor, RSS_MAX_HASH_INPUT } from './toeplitz.js';
export { RssHasher, rssHash, RSS_MAX_IPV6_EXTENSION_HEADERS, NDIS_HASH_TYPES_ALL, type RssHashResult } from './hash-input.js';
export * from './receive-scale.js';
export { rssProcessorInfo, type NdisRssProcessorInfo } from './processor-info.js';
export { receiveScaleCapabilitiesCodec, receiveScaleParametersCodec, rssIndirectionEntrySize } from './codecs.js';
export {
  RSS_SETTINGS_DISABLED,
  applyReceiveScaleParameters,
  applyReceiveScaleParametersBuffer,
  validateReceiveScaleParameters,
  rssCapabilitiesHashTypes,
  rssMaxIndirectionEntries,
  rssIndirectionIndex,
  rssTargetProcessor,
  receiveScaleParametersFromSettings,
  type RssSettings,
  type RssApplyResult,
} from './settings.js';
