/**
 * Defaults for the attributes an Ethernet-like miniport reports in MiniportInitializeEx, so a driver
 * states only what differs (the netvmini sample's long attribute block, as one call).
 */
import {
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaDuplexStateFull,
  NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA,
  NDIS_MAC_OPTION_NO_LOOPBACK,
  NDIS_MAC_OPTION_TRANSFERS_NOT_PEND,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS,
  NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR,
  NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS,
  NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR,
  NdisMedium802_3,
  NdisPauseFunctionsUnsupported,
  NdisPhysicalMedium802_3,
} from './constants.js';
import type { MiniportAdapterGeneralAttributes } from './driver-api.js';
import type { NdisReceiveScaleCapabilities } from './rss/receive-scale.js';

export const ETHERNET_HEADER_SIZE = 14;
export const ETHERNET_SUPPORTED_PACKET_FILTERS =
  NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS;

export const ALL_STATISTICS_FLAGS =
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV | NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS | NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT | NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR | NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT;

export interface EthernetAttributeOptions {
  macAddress: Uint8Array;
  permanentMacAddress?: Uint8Array;
  /** Payload MTU (1500 unless jumbo). */
  mtu?: number;
  linkSpeedBps?: bigint;
  connected?: boolean;
  supportedOidList: readonly number[];
  vendorDescription?: string;
  backfill?: number;
  physicalMedium?: number;
  /** RecvScaleCapabilities, when the adapter offers RSS. */
  recvScaleCapabilities?: NdisReceiveScaleCapabilities;
}

export function ethernetGeneralAttributes(o: EthernetAttributeOptions): MiniportAdapterGeneralAttributes {
  const speed = o.linkSpeedBps ?? 10_000_000_000n;
  const mtu = o.mtu ?? 1500;
  return {
    mediaType: NdisMedium802_3,
    physicalMediumType: o.physicalMedium ?? NdisPhysicalMedium802_3,
    mtuSize: mtu,
    maxXmitLinkSpeed: speed,
    xmitLinkSpeed: speed,
    maxRcvLinkSpeed: speed,
    rcvLinkSpeed: speed,
    mediaConnectState: o.connected === false ? 2 : MediaConnectStateConnected,
    mediaDuplexState: MediaDuplexStateFull,
    lookaheadSize: mtu,
    macOptions: NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND | NDIS_MAC_OPTION_NO_LOOPBACK,
    supportedPacketFilters: ETHERNET_SUPPORTED_PACKET_FILTERS,
    maxMulticastListSize: 32,
    macAddressLength: 6,
    permanentMacAddress: o.permanentMacAddress ?? o.macAddress,
    currentMacAddress: o.macAddress,
    ifType: IF_TYPE_ETHERNET_CSMACD,
    ifConnectorPresent: true,
    supportedStatistics: ALL_STATISTICS_FLAGS,
    supportedPauseFunctions: NdisPauseFunctionsUnsupported,
    autoNegotiationFlags: 0,
    dataBackFillSize: o.backfill ?? 0,
    contextBackFillSize: 0,
    supportedOidList: o.supportedOidList,
    ...(o.vendorDescription === undefined ? {} : { vendorDescription: o.vendorDescription }),
    ...(o.recvScaleCapabilities === undefined ? {} : { recvScaleCapabilities: o.recvScaleCapabilities }),
  };
}

/** Formats a MAC as 02-00-00-00-00-01 (the NetworkAddress keyword form uses the same digits). */
export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses "02-00-5e-00-00-01", "02:00:5e:00:00:01" or "02005e000001"; null when malformed. */
export function parseMac(text: string): Uint8Array | null {
  const hex = text.trim().replace(/[-:]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
