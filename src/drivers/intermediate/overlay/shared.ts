/** What the two edges of tsndis.overlay share: the port record and the counters. */
import type { OverlayLowerBinding } from './lower-binding.js';
import type { OverlayTenantAdapter } from './tenant-miniport.js';

/** The tenant virtual miniport the lower binding asked NDIS for (the device context of NdisIMInitializeDeviceInstanceEx). */
export interface OverlayPort {
  readonly instanceName: string;
  readonly lower: OverlayLowerBinding;
  upper: OverlayTenantAdapter | null;
}

/** Counters of one tunnel (stack tree: the tenant adapter's `inspect()`; drops also in the drop registry). */
export class OverlayCounters {
  /** Tenant frames encapsulated and sent down (one per underlay frame), and their inner bytes. */
  txFrames = 0;
  txBytes = 0;
  /** Tenant NBLs completed with an error status. */
  txFailed = 0;
  /** LSO NBLs segmented here (software path) and the segments made. */
  txSoftwareLso = 0;
  txSoftwareSegments = 0;
  /** Frames whose inner checksums were computed here (software path). */
  txSoftwareChecksum = 0;
  /** LSO NBLs sent down whole with encapsulated LSOv2 info; frames sent with encapsulated checksum info. */
  txOffloadLso = 0;
  txOffloadChecksum = 0;
  /** Sends refused: malformed frame or LSO/checksum info that lies about the frame, too large, no buffer, no underlay neighbour. */
  txMalformed = 0;
  txOversize = 0;
  txResources = 0;
  txNoNeighbor = 0;
  /** Inner frames decapsulated and indicated on the tenant adapter, and their bytes. */
  rxFrames = 0;
  rxBytes = 0;
  /** ARP on the underlay: requests answered for LocalAddress, requests sent for remote VTEPs, replies learned. */
  arpReplies = 0;
  arpRequests = 0;
  arpLearned = 0;
}
