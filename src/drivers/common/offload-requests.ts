/**
 * What a miniport may do with the per-packet offload requests of a send (offload digest §2.1–2.4), for
 * every miniport that offloads in software or hands the work to a kernel:
 *
 *   - `honouredChecksumRequest`: the part of a TcpIpChecksumNetBufferListInfo request to perform — only
 *     checksums the current configuration enables, and only where the request agrees with the frame
 *     (exactly one of IsIPv4/IsIPv6, naming the frame's IP version; TcpChecksum on a TCP frame without
 *     UdpChecksum and vice versa; a TcpHeaderOffset, when given, pointing at the TCP header). Anything
 *     else is left as the protocol wrote it, never "fixed" at a guessed place;
 *   - `largeSendRefusal`: why an LSO send must be failed rather than segmented — LSO off for its IP
 *     version (rule 10), more than one NET_BUFFER (§2.3), headers not all in the first MDL, an MSS the
 *     MTU cannot carry, fewer segments than MinSegmentCount, more payload than MaxOffLoadSize (§2.4).
 */
import {
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  checksumTxTcpHeaderOffset,
  lsoMss,
  lsoTcpHeaderOffset,
  lsoType,
  lsoV2IpVersion,
  type NdisOffload,
  type NdisOffloadParameters,
  type NdisStatus,
  type NetBuffer,
} from '../../ndis/index.js';
import { IpProtocol } from '../../wire/numbers.js';
import { TCP_HEADER_LEN, TcpField } from '../../wire/tcp.js';
import type { FrameLayout } from './frame-layout.js';
import { TX_IP4, TX_TCP4, TX_TCP6, TX_UDP4, TX_UDP6 } from './offload-mask.js';

/**
 * The checksum request `cs` reduced to what may be done on the frame laid out in `L` with the transmit
 * offloads `mask` (TX_* bits): the IP version bit plus the checksum bits to compute, or 0 for none.
 */
export function honouredChecksumRequest(cs: number, mask: number, L: FrameLayout): number {
  const v4 = (cs & CHECKSUM_TX_IS_IPV4) !== 0;
  const v6 = (cs & CHECKSUM_TX_IS_IPV6) !== 0;
  if (v4 === v6 || L.ipVersion !== (v4 ? 4 : 6)) return 0;
  const tcp = (cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0;
  const udp = (cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0;
  let out = 0;
  if (v4 && (cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0 && (mask & TX_IP4) !== 0) out |= CHECKSUM_TX_IP_HEADER_CHECKSUM;
  if (tcp && !udp && L.l4Protocol === IpProtocol.Tcp && (mask & (v4 ? TX_TCP4 : TX_TCP6)) !== 0) {
    const off = checksumTxTcpHeaderOffset(cs);
    if (off === 0 || off === L.l4Offset) out |= CHECKSUM_TX_TCP_CHECKSUM;
  }
  if (udp && !tcp && L.l4Protocol === IpProtocol.Udp && (mask & (v4 ? TX_UDP4 : TX_UDP6)) !== 0) out |= CHECKSUM_TX_UDP_CHECKSUM;
  return out === 0 ? 0 : out | (v4 ? CHECKSUM_TX_IS_IPV4 : CHECKSUM_TX_IS_IPV6);
}

/**
 * The checksum request `cs` without the checksums the transmit offloads `mask` (TX_* bits) do not
 * enable, judged on the request alone (a driver that does not parse the frame: an IM forwarding it, the
 * sending side of a wire): 0 when nothing is left. Contradictions (both or neither IP version, both
 * transports) keep nothing of what they contradict.
 */
export function enabledChecksumRequest(cs: number, mask: number): number {
  const v4 = (cs & CHECKSUM_TX_IS_IPV4) !== 0;
  if (v4 === ((cs & CHECKSUM_TX_IS_IPV6) !== 0)) return 0;
  const work = CHECKSUM_TX_IP_HEADER_CHECKSUM | CHECKSUM_TX_TCP_CHECKSUM | CHECKSUM_TX_UDP_CHECKSUM;
  let keep = cs & ~work;
  const tcp = (cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0;
  const udp = (cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0;
  if (v4 && (cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0 && (mask & TX_IP4) !== 0) keep |= CHECKSUM_TX_IP_HEADER_CHECKSUM;
  if (tcp && !udp && (mask & (v4 ? TX_TCP4 : TX_TCP6)) !== 0) keep |= CHECKSUM_TX_TCP_CHECKSUM;
  if (udp && !tcp && (mask & (v4 ? TX_UDP4 : TX_UDP6)) !== 0) keep |= CHECKSUM_TX_UDP_CHECKSUM;
  return (keep & work) === 0 ? 0 : keep;
}

/**
 * Why the LSO send `nb` (the NBL's first NET_BUFFER; `more`: it has another) with LSO info `lso` must be
 * refused under the current configuration `o` on a link of `maxFrame` bytes (Ethernet header included),
 * or NDIS_STATUS_SUCCESS. Reads only the first MDL.
 */
export function largeSendRefusal(nb: NetBuffer, more: boolean, lso: number, o: NdisOffload, maxFrame: number): NdisStatus {
  const v2 = lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE;
  const family = v2 ? (lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? o.lsoV2.ipv6 : o.lsoV2.ipv4) : o.lsoV1.ipv4;
  if (family.encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) return NDIS_STATUS_FAILURE;
  if (more) return NDIS_STATUS_INVALID_PACKET;
  const tcp = lsoTcpHeaderOffset(lso);
  const m = nb.currentMdl;
  const inFirst = m === null ? 0 : Math.min(m.byteCount - nb.currentMdlOffset, nb.dataLength);
  if (m === null || tcp + TCP_HEADER_LEN > inFirst) return NDIS_STATUS_INVALID_PACKET;
  const thl = (m.bytes[m.byteOffset + nb.currentMdlOffset + tcp + TcpField.DataOffsetFlags]! >> 4) * 4;
  const headers = tcp + thl;
  if (thl < TCP_HEADER_LEN || headers > inFirst) return NDIS_STATUS_INVALID_PACKET;
  const mss = lsoMss(lso);
  const payload = nb.dataLength - headers;
  // A frame carrying an 802.1Q tag (an IM's) may be 4 bytes longer.
  const at = m.byteOffset + nb.currentMdlOffset + 12;
  const tagged = ((m.bytes[at]! << 8) | m.bytes[at + 1]!) === 0x8100 ? 4 : 0;
  if (mss === 0 || headers + mss > maxFrame + tagged) return NDIS_STATUS_INVALID_LENGTH;
  if (payload > family.maxOffLoadSize) return NDIS_STATUS_INVALID_LENGTH;
  // Too few segments: the packet is not one LSO may carry (as the miniports' own checks say).
  if (Math.ceil(payload / mss) < family.minSegmentCount) return NDIS_STATUS_INVALID_PACKET;
  return NDIS_STATUS_SUCCESS;
}

/**
 * True when an OID_TCP_OFFLOAD_PARAMETERS set holds a value outside its field's enumeration (§1.4): the
 * OID's contents are invalid and the set fails with NDIS_STATUS_INVALID_DATA, changing nothing.
 */
export function offloadParametersInvalid(p: NdisOffloadParameters): boolean {
  const upTo = (v: number, max: number) => !Number.isInteger(v) || v < 0 || v > max;
  return (
    upTo(p.ipv4Checksum, 4) || upTo(p.tcpIpv4Checksum, 4) || upTo(p.udpIpv4Checksum, 4) || upTo(p.tcpIpv6Checksum, 4) || upTo(p.udpIpv6Checksum, 4) ||
    upTo(p.lsoV1, 2) || upTo(p.ipsecV1, 4) || upTo(p.lsoV2IPv4, 2) || upTo(p.lsoV2IPv6, 2) || upTo(p.tcpConnectionIPv4, 2) || upTo(p.tcpConnectionIPv6, 2) ||
    upTo(p.ipsecV2, 4) || upTo(p.ipsecV2IPv4, 4) || upTo(p.rscIPv4, 2) || upTo(p.rscIPv6, 2) || upTo(p.encapsulatedPacketTaskOffload, 2) ||
    upTo(p.udpSegmentationIPv4 ?? 0, 2) || upTo(p.udpSegmentationIPv6 ?? 0, 2)
  );
}
