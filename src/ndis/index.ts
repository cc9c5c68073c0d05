/**
 * The public NDIS surface for drivers (what ndis.h is to a Windows driver): constants, status codes,
 * OIDs and their codecs, NET_BUFFER structures and pools, the driver contract (characteristics,
 * handlers, handles). Drivers import from here and never from the runtime's internals.
 */
export * from './status.js';
export * from './oids.js';
export * from './constants.js';
export * from './nbl-info-bits.js';
export type * from './structures.js';
export * from './oid-codec-types.js';
export * from './oid-codecs.js';
export * from './oid-request.js';
export type * from './driver-api.js';
export * from './drops.js';
export * from './attributes.js';
export * from './offload.js';
export * from './offload-config.js';
export * from './hd-split.js';
export * from './encapsulated-offload.js';
export * from './rss/index.js';
export { Mdl, MdlOrigin, MdlPool, mdlChainLength } from './buffers/mdl.js';
export { BufferAllocator, type BufferAllocatorOptions } from './buffers/allocator.js';
export { NetBufferListContext, MEMORY_ALLOCATION_ALIGNMENT, type ContextBlockOwner } from './buffers/context.js';
export { ByteSpan, copyBytes } from './buffers/bytes.js';
export { NetBuffer, type NetBufferHome } from './buffers/net-buffer.js';
export { NetBufferList, type NetBufferListHome, countNetBufferLists, chainNetBufferLists, netBufferListsToArray } from './buffers/net-buffer-list.js';
export { NetBufferListInfo, NBL_INFO_SLOTS } from './buffers/net-buffer-list-info.js';
export { NetBufferListPool, NetBufferPool } from './buffers/pools.js';
export type { DerivedNblKind, NetBufferListPoolParameters, NetBufferPoolParameters, PoolObserver, PoolFreeError } from './buffers/pools.js';
export {
  allocateCloneNetBufferList,
  freeCloneNetBufferList,
  allocateFragmentNetBufferList,
  freeFragmentNetBufferList,
  allocateReassembledNetBufferList,
  freeReassembledNetBufferList,
} from './buffers/derived.js';
