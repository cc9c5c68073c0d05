/**
 * NDIS's record of one adapter's task offloads (offload digest §1.2, §1.5, §1.6):
 *
 *   - what the miniport reported: NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES at initialization, then every
 *     NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG / _HARDWARE_CAPABILITIES it indicates. NDIS answers
 *     OID_TCP_OFFLOAD_CURRENT_CONFIG from this, and the verifier checks sends against it;
 *   - what the protocols see: the same indications after the filters (which may hide offloads they cannot
 *     pass through) reached the top of the stack. New bindings get this in their bind parameters.
 *
 * The transmit offloads currently enabled are also kept as a bit mask, so the verifier's per-NBL check
 * (`offloadViolation`) is a few integer operations.
 */
import {
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  lsoType,
  lsoV2IpVersion,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  usoIpVersion,
} from '../../ndis/nbl-info-bits.js';
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NDIS_ENCAPSULATION_NOT_SUPPORTED, NDIS_OFFLOAD_NONE, type NdisOffload } from '../../ndis/offload.js';
import { freezeOffload } from '../../ndis/offload-config.js';

const TX_TCP4 = 1 << 0;
const TX_UDP4 = 1 << 1;
const TX_IP4 = 1 << 2;
const TX_TCP6 = 1 << 3;
const TX_UDP6 = 1 << 4;
const TX_LSO1 = 1 << 5;
const TX_LSO2_4 = 1 << 6;
const TX_LSO2_6 = 1 << 7;

function transmitMask(o: NdisOffload): number {
  const v4 = o.checksum.ipv4Transmit;
  const v6 = o.checksum.ipv6Transmit;
  const on = (f: { encapsulation: number }): boolean => f.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED;
  return (
    (v4.tcpChecksum ? TX_TCP4 : 0) |
    (v4.udpChecksum ? TX_UDP4 : 0) |
    (v4.ipChecksum ? TX_IP4 : 0) |
    (v6.tcpChecksum ? TX_TCP6 : 0) |
    (v6.udpChecksum ? TX_UDP6 : 0) |
    (on(o.lsoV1.ipv4) ? TX_LSO1 : 0) |
    (on(o.lsoV2.ipv4) ? TX_LSO2_4 : 0) |
    (on(o.lsoV2.ipv6) ? TX_LSO2_6 : 0)
  );
}

/** A plausible NDIS_OFFLOAD (a status buffer is whatever a driver passed): the shape the runtime reads. */
export function isNdisOffload(v: unknown): v is NdisOffload {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Partial<NdisOffload>;
  return (
    typeof o.checksum === 'object' && o.checksum !== null && typeof o.checksum.ipv4Transmit === 'object' && typeof o.checksum.ipv6Receive === 'object' &&
    typeof o.lsoV1 === 'object' && o.lsoV1 !== null && typeof o.lsoV1.ipv4 === 'object' &&
    typeof o.lsoV2 === 'object' && o.lsoV2 !== null && typeof o.lsoV2.ipv4 === 'object' && typeof o.lsoV2.ipv6 === 'object' &&
    typeof o.rsc === 'object' && o.rsc !== null && typeof o.flags === 'number'
  );
}

export class OffloadState {
  /** The miniport's current configuration (answers OID_TCP_OFFLOAD_CURRENT_CONFIG). */
  current: NdisOffload = NDIS_OFFLOAD_NONE;
  /** The miniport's hardware capabilities. */
  hardware: NdisOffload = NDIS_OFFLOAD_NONE;
  /** As the protocols see them, after the filters. */
  protocolCurrent: NdisOffload = NDIS_OFFLOAD_NONE;
  protocolHardware: NdisOffload = NDIS_OFFLOAD_NONE;
  /** The miniport called setOffloadAttributes. */
  reported = false;
  #txMask = 0;

  setAttributes(current: NdisOffload, hardware: NdisOffload): void {
    this.current = this.protocolCurrent = freezeOffload(current);
    this.hardware = this.protocolHardware = freezeOffload(hardware);
    this.reported = true;
    this.#txMask = transmitMask(this.current);
  }

  /** NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG from the miniport. */
  miniportCurrent(o: NdisOffload): void {
    this.current = freezeOffload(o);
    this.#txMask = transmitMask(this.current);
  }

  /** NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES from the miniport. */
  miniportHardware(o: NdisOffload): void {
    this.hardware = freezeOffload(o);
  }

  /**
   * Why `nbl` asks for transmit work the current configuration does not enable, or null. Checksum info
   * without IsIPv4/IsIPv6 asks for nothing (the NIC then does no checksum work, §2.2).
   */
  offloadViolation(nbl: NetBufferList): string | null {
    const cs = nbl.info.tcpIpChecksum;
    const lso = nbl.info.tcpLargeSend;
    if ((cs | lso) === 0) return null;
    const mask = this.#txMask;
    if ((cs & CHECKSUM_TX_IS_IPV4) !== 0) {
      if ((cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0 && (mask & TX_TCP4) === 0) return 'TCP checksum offload (IPv4 transmit) is not enabled';
      if ((cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0 && (mask & TX_UDP4) === 0) return 'UDP checksum offload (IPv4 transmit) is not enabled';
      if ((cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0 && (mask & TX_IP4) === 0) return 'IP header checksum offload (IPv4 transmit) is not enabled';
    } else if ((cs & CHECKSUM_TX_IS_IPV6) !== 0) {
      if ((cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0 && (mask & TX_TCP6) === 0) return 'TCP checksum offload (IPv6 transmit) is not enabled';
      if ((cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0 && (mask & TX_UDP6) === 0) return 'UDP checksum offload (IPv6 transmit) is not enabled';
    }
    if (lso !== 0) {
      if (lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE) {
        const v6 = lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6;
        if ((mask & (v6 ? TX_LSO2_6 : TX_LSO2_4)) === 0) return `LSOv2 (${v6 ? 'IPv6' : 'IPv4'}) is not enabled`;
        if (nbl.firstNetBuffer === null || nbl.firstNetBuffer.next !== null) return `an LSOv2 NBL must hold exactly one NET_BUFFER, this one holds ${nbl.netBufferCount}`;
      } else if ((mask & TX_LSO1) === 0) {
        return 'LSOv1 is not enabled';
      }
    }
    return null;
  }

  /**
   * Why a USO NBL (UdpSegmentationOffloadInfo non-zero) asks for what the current configuration does not
   * enable, or null. Kept apart from `offloadViolation`: the slot is TcpRecvSegCoalesceInfo on receive.
   */
  usoViolation(nbl: NetBufferList): string | null {
    const uso = nbl.info.udpSegmentationOffloadInfo;
    if (uso === 0) return null;
    const v6 = usoIpVersion(uso) === NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6;
    const u = this.current.uso;
    const fam = u === undefined ? undefined : v6 ? u.ipv6 : u.ipv4;
    if (fam === undefined || fam.encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) return `USO (${v6 ? 'IPv6' : 'IPv4'}) is not enabled`;
    if (nbl.firstNetBuffer === null || nbl.firstNetBuffer.next !== null) return `a USO NBL must hold exactly one NET_BUFFER, this one holds ${nbl.netBufferCount}`;
    return null;
  }
}
