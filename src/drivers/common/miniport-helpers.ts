/**
 * The helpers an Ethernet miniport author builds on, as the package exports them (src/index.ts):
 * the adapter's receive-filter and statistics state with the answers to the general and 802.3 OIDs,
 * the receive queue a DPC indicates from, and lent (NDIS_RECEIVE_FLAGS_RESOURCES) indications.
 * docs/writing-a-driver.md's miniport walkthrough uses nothing else from inside the package.
 */
export {
  ETHERNET_OIDS,
  EthernetMiniportState,
  EthernetStatistics,
  destinationClass,
  filterAccepts,
  handleEthernetOid,
  type EthernetOidHooks,
} from './ethernet-miniport.js';
export { LentIndication, ReceiveQueue } from './receive-queue.js';
export { stableMac } from './mac.js';
export type { MiniportRunState } from './run-state.js';
