/**
 * What tsndis.tcpip asks of an adapter that offers RSS, when its `ReceiveSideScaling` keyword is on: the
 * OID_GEN_RECEIVE_SCALE_PARAMETERS set Windows' TCP/IP makes at bind. Toeplitz over the IPv4 and IPv6
 * types the adapter advertises (2-tuple, TCP, and UDP where offered; not the IPv6-EX types, which only
 * matter for Mobile IPv6), a random 40-byte secret key per binding, and the largest indirection table
 * the adapter takes, filled round-robin over `processors`. Off by default: nothing in the stack reads
 * the hash yet, so hashing is only worth its cost once flows are steered to processors.
 */
import { randomFillSync } from 'node:crypto';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_RSS_HASH_SECRET_KEY_SIZE_REVISION_1,
  NdisHashFunctionToeplitz,
  rssCapabilitiesHashTypes,
  rssMaxIndirectionEntries,
  type NdisReceiveScaleCapabilities,
  type NdisReceiveScaleParameters,
} from '../../../ndis/index.js';

const WANTED = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6;

/** The parameters tcpip sets on an adapter with `capabilities`, spreading over `processors` (at least one). */
export function tcpipRssParameters(capabilities: NdisReceiveScaleCapabilities, processors: readonly number[], key?: Uint8Array): NdisReceiveScaleParameters {
  const cpus = processors.length > 0 ? processors : [0];
  const entries = rssMaxIndirectionEntries(capabilities);
  let mask = 0n;
  for (const p of cpus) mask |= 1n << BigInt(p & 63);
  return {
    flags: 0,
    baseCpuNumber: 0,
    hashInformation: ((rssCapabilitiesHashTypes(capabilities) & WANTED) | NdisHashFunctionToeplitz) >>> 0,
    indirectionTable: Array.from({ length: entries }, (_, i) => ({ group: 0, number: cpus[i % cpus.length]! })),
    hashSecretKey: key ?? randomFillSync(new Uint8Array(NDIS_RSS_HASH_SECRET_KEY_SIZE_REVISION_1)),
    processorMasks: [{ mask, group: 0 }],
    defaultProcessorNumber: { group: 0, number: cpus[0]! },
  };
}
