/**
 * What every Ethernet-like miniport in tsndis shares: frame statistics by destination class, the receive
 * filter NDIS asks miniports to apply (packet filter + multicast list), and the answers to the general
 * OIDs a miniport must handle (packet filter, lookahead, addresses, multicast list, statistics, vendor
 * information). A driver's `oidRequest` calls `handleEthernetOid` and handles anything device-specific
 * (link parameters, offloads) itself.
 */
import {
  ALL_STATISTICS_FLAGS,
  ETHERNET_HEADER_SIZE,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_MULTICAST_FULL,
  NDIS_STATUS_MULTICAST_NOT_FOUND,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisHardwareStatusReady,
  OID_802_3_ADD_MULTICAST_ADDRESS,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_DELETE_MULTICAST_ADDRESS,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_802_3_RCV_ERROR_ALIGNMENT,
  OID_802_3_XMIT_MORE_COLLISIONS,
  OID_802_3_XMIT_ONE_COLLISION,
  OID_CODECS,
  OID_GEN_BROADCAST_BYTES_RCV,
  OID_GEN_BROADCAST_BYTES_XMIT,
  OID_GEN_BROADCAST_FRAMES_RCV,
  OID_GEN_BROADCAST_FRAMES_XMIT,
  OID_GEN_BYTES_RCV,
  OID_GEN_BYTES_XMIT,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_DIRECTED_BYTES_RCV,
  OID_GEN_DIRECTED_BYTES_XMIT,
  OID_GEN_DIRECTED_FRAMES_RCV,
  OID_GEN_DIRECTED_FRAMES_XMIT,
  OID_GEN_DRIVER_VERSION,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_INTERRUPT_MODERATION,
  OID_GEN_LINK_PARAMETERS,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MULTICAST_BYTES_RCV,
  OID_GEN_MULTICAST_BYTES_XMIT,
  OID_GEN_MULTICAST_FRAMES_RCV,
  OID_GEN_MULTICAST_FRAMES_XMIT,
  OID_GEN_RCV_DISCARDS,
  OID_GEN_RCV_ERROR,
  OID_GEN_RCV_NO_BUFFER,
  OID_GEN_RCV_OK,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_STATISTICS,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_VENDOR_ID,
  OID_GEN_XMIT_DISCARDS,
  OID_GEN_XMIT_ERROR,
  OID_GEN_XMIT_OK,
  OID_GEN_CURRENT_PACKET_FILTER as PF,
  NdisInterruptModerationNotSupported,
  counterCodec,
  currentLookaheadCodec,
  driverVersionCodec,
  interruptModerationCodec,
  linkParametersCodec,
  macAddressCodec,
  multicastListCodec,
  packetFilterCodec,
  statisticsCodec,
  ulongCodec,
  vendorDescriptionCodec,
  type MiniportAdapterGeneralAttributes,
  type NdisLinkParameters,
  type NdisOidRequest,
  type NdisStatus,
  type NetBuffer,
  type OidCodec,
} from '../../ndis/index.js';

/** Frame counters a miniport keeps (the NDIS_STATISTICS_INFO fields, as plain numbers). */
export class EthernetStatistics {
  directedFramesRcv = 0;
  multicastFramesRcv = 0;
  broadcastFramesRcv = 0;
  directedBytesRcv = 0;
  multicastBytesRcv = 0;
  broadcastBytesRcv = 0;
  directedFramesXmit = 0;
  multicastFramesXmit = 0;
  broadcastFramesXmit = 0;
  directedBytesXmit = 0;
  multicastBytesXmit = 0;
  broadcastBytesXmit = 0;
  rcvDiscards = 0;
  rcvErrors = 0;
  rcvNoBuffer = 0;
  xmitErrors = 0;
  xmitDiscards = 0;

  get rcvOk(): number {
    return this.directedFramesRcv + this.multicastFramesRcv + this.broadcastFramesRcv;
  }
  get xmitOk(): number {
    return this.directedFramesXmit + this.multicastFramesXmit + this.broadcastFramesXmit;
  }
  get bytesRcv(): number {
    return this.directedBytesRcv + this.multicastBytesRcv + this.broadcastBytesRcv;
  }
  get bytesXmit(): number {
    return this.directedBytesXmit + this.multicastBytesXmit + this.broadcastBytesXmit;
  }

  /** Every counter and the totals, as plain numbers: what a miniport's `statistics()` hook returns. */
  snapshot(): Record<string, number> {
    return Object.assign({} as Record<string, number>, this, { rcvOk: this.rcvOk, xmitOk: this.xmitOk, bytesRcv: this.bytesRcv, bytesXmit: this.bytesXmit });
  }

  /** Counts one transmitted frame by the class of its destination (first byte read from `nb`). */
  countXmit(nb: NetBuffer): void {
    this.countXmitSegment(nb, nb.dataLength);
  }

  /** Counts one frame of `len` bytes made from `nb` (a segment of a large send): the statistics count segments. */
  countXmitSegment(nb: NetBuffer, len: number): void {
    const cls = destinationClass(nb);
    if (cls === 0) {
      this.directedFramesXmit++;
      this.directedBytesXmit += len;
    } else if (cls === 1) {
      this.multicastFramesXmit++;
      this.multicastBytesXmit += len;
    } else {
      this.broadcastFramesXmit++;
      this.broadcastBytesXmit += len;
    }
  }

  countRcv(cls: number, len: number): void {
    if (cls === 0) {
      this.directedFramesRcv++;
      this.directedBytesRcv += len;
    } else if (cls === 1) {
      this.multicastFramesRcv++;
      this.multicastBytesRcv += len;
    } else {
      this.broadcastFramesRcv++;
      this.broadcastBytesRcv += len;
    }
  }
}

/** 0 = directed, 1 = multicast, 2 = broadcast (from the destination MAC). */
export function destinationClass(nb: NetBuffer): number {
  const m = nb.currentMdl;
  if (m === null || nb.dataLength < 6) return 0;
  let b: Uint8Array;
  let o: number;
  if (nb.currentMdlOffset + 6 <= m.byteCount) {
    b = m.bytes;
    o = m.byteOffset + nb.currentMdlOffset;
    if ((b[o]! & 1) === 0) return 0;
    return b[o] === 0xff && b[o + 1] === 0xff && b[o + 2] === 0xff && b[o + 3] === 0xff && b[o + 4] === 0xff && b[o + 5] === 0xff ? 2 : 1;
  }
  if ((nb.byteAt(0) & 1) === 0) return 0;
  for (let i = 0; i < 6; i++) if (nb.byteAt(i) !== 0xff) return 1;
  return 2;
}

/** The receive filter NDIS asks a miniport to apply; `bytes[o..o+6)` is the destination MAC. */
export function filterAccepts(packetFilter: number, mac: Uint8Array, multicast: readonly Uint8Array[], bytes: Uint8Array, o: number): number {
  if (packetFilter === 0) return -1;
  const d0 = bytes[o]!;
  if ((d0 & 1) === 0) {
    if ((packetFilter & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0) return 0;
    if ((packetFilter & NDIS_PACKET_TYPE_DIRECTED) === 0) return -1;
    // Unrolled, and the group-address cases kept out of line, so receive loops can inline the directed case.
    return d0 === mac[0] && bytes[o + 1] === mac[1] && bytes[o + 2] === mac[2] && bytes[o + 3] === mac[3] && bytes[o + 4] === mac[4] && bytes[o + 5] === mac[5] ? 0 : -1;
  }
  return groupFilterAccepts(packetFilter, multicast, bytes, o);
}

/** filterAccepts for a group (multicast or broadcast) destination. */
function groupFilterAccepts(packetFilter: number, multicast: readonly Uint8Array[], bytes: Uint8Array, o: number): number {
  let bcast = true;
  for (let i = 0; i < 6; i++) if (bytes[o + i] !== 0xff) bcast = false;
  if (bcast) return (packetFilter & (NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS)) !== 0 ? 2 : -1;
  if ((packetFilter & (NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_PROMISCUOUS)) !== 0) return 1;
  if ((packetFilter & NDIS_PACKET_TYPE_MULTICAST) === 0) return -1;
  outer: for (const m of multicast) {
    for (let i = 0; i < 6; i++) if (bytes[o + i] !== m[i]) continue outer;
    return 1;
  }
  return -1;
}

/** The OIDs `handleEthernetOid` answers; a driver adds its own to its supported list. */
export const ETHERNET_OIDS: readonly number[] = [
  OID_GEN_HARDWARE_STATUS, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_TRANSMIT_BUFFER_SPACE, OID_GEN_RECEIVE_BUFFER_SPACE, OID_GEN_TRANSMIT_BLOCK_SIZE, OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_VENDOR_ID, OID_GEN_VENDOR_DESCRIPTION, OID_GEN_VENDOR_DRIVER_VERSION, OID_GEN_DRIVER_VERSION,
  OID_GEN_XMIT_OK, OID_GEN_RCV_OK, OID_GEN_XMIT_ERROR, OID_GEN_RCV_ERROR, OID_GEN_RCV_NO_BUFFER, OID_GEN_STATISTICS,
  OID_GEN_DIRECTED_BYTES_XMIT, OID_GEN_DIRECTED_FRAMES_XMIT, OID_GEN_MULTICAST_BYTES_XMIT, OID_GEN_MULTICAST_FRAMES_XMIT,
  OID_GEN_BROADCAST_BYTES_XMIT, OID_GEN_BROADCAST_FRAMES_XMIT, OID_GEN_DIRECTED_BYTES_RCV, OID_GEN_DIRECTED_FRAMES_RCV,
  OID_GEN_MULTICAST_BYTES_RCV, OID_GEN_MULTICAST_FRAMES_RCV, OID_GEN_BROADCAST_BYTES_RCV, OID_GEN_BROADCAST_FRAMES_RCV,
  OID_GEN_BYTES_RCV, OID_GEN_BYTES_XMIT, OID_GEN_RCV_DISCARDS, OID_GEN_XMIT_DISCARDS,
  OID_GEN_LINK_PARAMETERS, OID_GEN_INTERRUPT_MODERATION,
  OID_802_3_PERMANENT_ADDRESS, OID_802_3_CURRENT_ADDRESS, OID_802_3_MULTICAST_LIST, OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_ADD_MULTICAST_ADDRESS, OID_802_3_DELETE_MULTICAST_ADDRESS,
  OID_802_3_RCV_ERROR_ALIGNMENT, OID_802_3_XMIT_ONE_COLLISION, OID_802_3_XMIT_MORE_COLLISIONS,
];

/** Receive-filter and identity state an Ethernet miniport keeps (what its OIDs read and write). */
export class EthernetMiniportState {
  packetFilter = 0;
  lookahead = 0;
  multicast: Uint8Array[] = [];
  readonly stats = new EthernetStatistics();
  /** (major << 16) | minor */
  vendorDriverVersion = 0x00010000;
  vendorId = 0xffffff;
  constructor(public general: MiniportAdapterGeneralAttributes) {}
}

export interface EthernetOidHooks {
  /** OID_GEN_LINK_PARAMETERS set: the driver applies it and indicates NDIS_STATUS_LINK_STATE. */
  linkParameters?(params: NdisLinkParameters): NdisStatus;
  /** Called after the packet filter changed. */
  packetFilterChanged?(filter: number): void;
}

function counter(req: NdisOidRequest, value: number): NdisStatus {
  return req.completeQuery(counterCodec(req.oid), BigInt(value));
}

/**
 * Answers the general and 802.3 OIDs for `state`. Returns NDIS_STATUS_INVALID_OID for OIDs it does not
 * know, so the caller can try its own before giving up.
 */
export function handleEthernetOid(state: EthernetMiniportState, req: NdisOidRequest, hooks: EthernetOidHooks = {}): NdisStatus {
  const g = state.general;
  const s = state.stats;
  if (req.isQuery) {
    const ulong = (v: number): NdisStatus => req.completeQuery(OID_CODECS.get(req.oid) as OidCodec<number> ?? ulongCodec(req.oid), v);
    switch (req.oid) {
      case OID_GEN_HARDWARE_STATUS: return ulong(NdisHardwareStatusReady);
      case OID_GEN_CURRENT_PACKET_FILTER: return req.completeQuery(packetFilterCodec, state.packetFilter);
      case OID_GEN_CURRENT_LOOKAHEAD: return req.completeQuery(currentLookaheadCodec, state.lookahead || g.lookaheadSize);
      case OID_GEN_MAXIMUM_TOTAL_SIZE: return ulong(g.mtuSize + ETHERNET_HEADER_SIZE);
      case OID_GEN_TRANSMIT_BUFFER_SPACE:
      case OID_GEN_RECEIVE_BUFFER_SPACE: return ulong((g.mtuSize + ETHERNET_HEADER_SIZE) * 256);
      case OID_GEN_TRANSMIT_BLOCK_SIZE:
      case OID_GEN_RECEIVE_BLOCK_SIZE: return ulong(g.mtuSize + ETHERNET_HEADER_SIZE);
      case OID_GEN_VENDOR_ID: return ulong(state.vendorId);
      case OID_GEN_VENDOR_DESCRIPTION: return req.completeQuery(vendorDescriptionCodec, g.vendorDescription ?? 'tsndis miniport');
      case OID_GEN_VENDOR_DRIVER_VERSION: return ulong(state.vendorDriverVersion);
      case OID_GEN_DRIVER_VERSION: return req.completeQuery(driverVersionCodec, 0x0600 | 30);
      case OID_GEN_XMIT_OK: return counter(req, s.xmitOk);
      case OID_GEN_RCV_OK: return counter(req, s.rcvOk);
      case OID_GEN_XMIT_ERROR: return counter(req, s.xmitErrors);
      case OID_GEN_RCV_ERROR: return counter(req, s.rcvErrors);
      case OID_GEN_RCV_NO_BUFFER: return counter(req, s.rcvNoBuffer);
      case OID_GEN_RCV_DISCARDS: return counter(req, s.rcvDiscards);
      case OID_GEN_XMIT_DISCARDS: return counter(req, s.xmitDiscards);
      case OID_GEN_DIRECTED_BYTES_XMIT: return counter(req, s.directedBytesXmit);
      case OID_GEN_DIRECTED_FRAMES_XMIT: return counter(req, s.directedFramesXmit);
      case OID_GEN_MULTICAST_BYTES_XMIT: return counter(req, s.multicastBytesXmit);
      case OID_GEN_MULTICAST_FRAMES_XMIT: return counter(req, s.multicastFramesXmit);
      case OID_GEN_BROADCAST_BYTES_XMIT: return counter(req, s.broadcastBytesXmit);
      case OID_GEN_BROADCAST_FRAMES_XMIT: return counter(req, s.broadcastFramesXmit);
      case OID_GEN_DIRECTED_BYTES_RCV: return counter(req, s.directedBytesRcv);
      case OID_GEN_DIRECTED_FRAMES_RCV: return counter(req, s.directedFramesRcv);
      case OID_GEN_MULTICAST_BYTES_RCV: return counter(req, s.multicastBytesRcv);
      case OID_GEN_MULTICAST_FRAMES_RCV: return counter(req, s.multicastFramesRcv);
      case OID_GEN_BROADCAST_BYTES_RCV: return counter(req, s.broadcastBytesRcv);
      case OID_GEN_BROADCAST_FRAMES_RCV: return counter(req, s.broadcastFramesRcv);
      case OID_GEN_BYTES_RCV: return counter(req, s.bytesRcv);
      case OID_GEN_BYTES_XMIT: return counter(req, s.bytesXmit);
      case OID_802_3_RCV_ERROR_ALIGNMENT:
      case OID_802_3_XMIT_ONE_COLLISION:
      case OID_802_3_XMIT_MORE_COLLISIONS: return counter(req, 0);
      case OID_GEN_STATISTICS:
        return req.completeQuery(statisticsCodec, {
          supportedStatistics: ALL_STATISTICS_FLAGS,
          ifInDiscards: BigInt(s.rcvDiscards + s.rcvNoBuffer),
          ifInErrors: BigInt(s.rcvErrors),
          ifHCInOctets: BigInt(s.bytesRcv),
          ifHCInUcastPkts: BigInt(s.directedFramesRcv),
          ifHCInMulticastPkts: BigInt(s.multicastFramesRcv),
          ifHCInBroadcastPkts: BigInt(s.broadcastFramesRcv),
          ifHCOutOctets: BigInt(s.bytesXmit),
          ifHCOutUcastPkts: BigInt(s.directedFramesXmit),
          ifHCOutMulticastPkts: BigInt(s.multicastFramesXmit),
          ifHCOutBroadcastPkts: BigInt(s.broadcastFramesXmit),
          ifOutErrors: BigInt(s.xmitErrors),
          ifOutDiscards: BigInt(s.xmitDiscards),
          ifHCInUcastOctets: BigInt(s.directedBytesRcv),
          ifHCInMulticastOctets: BigInt(s.multicastBytesRcv),
          ifHCInBroadcastOctets: BigInt(s.broadcastBytesRcv),
          ifHCOutUcastOctets: BigInt(s.directedBytesXmit),
          ifHCOutMulticastOctets: BigInt(s.multicastBytesXmit),
          ifHCOutBroadcastOctets: BigInt(s.broadcastBytesXmit),
        });
      case OID_802_3_PERMANENT_ADDRESS: return req.completeQuery(macAddressCodec(req.oid), g.permanentMacAddress);
      case OID_802_3_CURRENT_ADDRESS: return req.completeQuery(macAddressCodec(req.oid), g.currentMacAddress);
      case OID_802_3_MULTICAST_LIST: return req.completeQuery(multicastListCodec, state.multicast);
      case OID_802_3_MAXIMUM_LIST_SIZE: return ulong(g.maxMulticastListSize);
      case OID_GEN_INTERRUPT_MODERATION:
        return req.completeQuery(interruptModerationCodec, { flags: 0, interruptModeration: NdisInterruptModerationNotSupported });
      default:
        return NDIS_STATUS_INVALID_OID;
    }
  }
  if (req.isSet) {
    switch (req.oid) {
      case PF: {
        const r = req.readSet(packetFilterCodec);
        if (!r.ok) return r.status;
        if ((r.value & ~g.supportedPacketFilters) !== 0) return NDIS_STATUS_NOT_SUPPORTED;
        state.packetFilter = r.value;
        hooks.packetFilterChanged?.(r.value);
        return NDIS_STATUS_SUCCESS;
      }
      case OID_GEN_CURRENT_LOOKAHEAD: {
        const r = req.readSet(currentLookaheadCodec);
        if (!r.ok) return r.status;
        if (r.value > g.lookaheadSize) return NDIS_STATUS_INVALID_DATA;
        state.lookahead = r.value;
        return NDIS_STATUS_SUCCESS;
      }
      case OID_802_3_MULTICAST_LIST: {
        const r = req.readSet(multicastListCodec);
        if (!r.ok) return r.status;
        if (r.value.length > g.maxMulticastListSize) return NDIS_STATUS_MULTICAST_FULL;
        state.multicast = r.value.map((m) => m.slice());
        return NDIS_STATUS_SUCCESS;
      }
      case OID_802_3_ADD_MULTICAST_ADDRESS: {
        const r = req.readSet(macAddressCodec(req.oid));
        if (!r.ok) return r.status;
        if (state.multicast.some((m) => sameMac(m, r.value))) return NDIS_STATUS_SUCCESS;
        if (state.multicast.length >= g.maxMulticastListSize) return NDIS_STATUS_MULTICAST_FULL;
        state.multicast.push(r.value.slice());
        return NDIS_STATUS_SUCCESS;
      }
      case OID_802_3_DELETE_MULTICAST_ADDRESS: {
        const r = req.readSet(macAddressCodec(req.oid));
        if (!r.ok) return r.status;
        const i = state.multicast.findIndex((m) => sameMac(m, r.value));
        if (i < 0) return NDIS_STATUS_MULTICAST_NOT_FOUND;
        state.multicast.splice(i, 1);
        return NDIS_STATUS_SUCCESS;
      }
      case OID_GEN_LINK_PARAMETERS: {
        const r = req.readSet(linkParametersCodec);
        if (!r.ok) return r.status;
        return hooks.linkParameters === undefined ? NDIS_STATUS_NOT_SUPPORTED : hooks.linkParameters(r.value);
      }
      case OID_GEN_INTERRUPT_MODERATION: {
        const r = req.readSet(interruptModerationCodec);
        if (!r.ok) return r.status;
        return NDIS_STATUS_NOT_SUPPORTED;
      }
      default:
        return NDIS_STATUS_INVALID_OID;
    }
  }
  return NDIS_STATUS_INVALID_OID;
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
