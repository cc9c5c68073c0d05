/**
 * The task offloads a VLAN virtual miniport can advertise (ndis-offloads §1.7): the MUX puts the 802.1Q
 * tag into the frame itself, so an offload of the adapter below applies to the virtual miniport's
 * traffic only where that adapter declares it for tagged frames (encapsulation bit
 * NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q). Those fields are advertised upward as plain 802.3 (the
 * protocols above see untagged frames); every other field reads NOT_SUPPORTED, except the NVGRE/VXLAN
 * encapsulated offload, which carries over whole when anything below is tag-capable. RSC has no encapsulation
 * to ask about, so it stays off. The same function maps the hardware capabilities and the current
 * configuration, and runs again whenever the lower adapter indicates a change.
 */
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q,
  NDIS_OFFLOAD_NONE,
  withEncapsulatedOffload,
  type ChecksumOffloadDirection,
  type NdisOffload,
} from '../../../ndis/index.js';

const tagged = (encapsulation: number): boolean => (encapsulation & NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q) !== 0;

function checksum(d: ChecksumOffloadDirection, none: ChecksumOffloadDirection): ChecksumOffloadDirection {
  return tagged(d.encapsulation) ? { ...d, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 } : none;
}

export function vlanOffload(lower: Readonly<NdisOffload>): NdisOffload {
  const n = NDIS_OFFLOAD_NONE;
  const c = lower.checksum;
  const out: NdisOffload = {
    checksum: {
      ipv4Transmit: checksum(c.ipv4Transmit, n.checksum.ipv4Transmit),
      ipv4Receive: checksum(c.ipv4Receive, n.checksum.ipv4Receive),
      ipv6Transmit: checksum(c.ipv6Transmit, n.checksum.ipv6Transmit),
      ipv6Receive: checksum(c.ipv6Receive, n.checksum.ipv6Receive),
    },
    lsoV1: tagged(lower.lsoV1.ipv4.encapsulation) ? { ipv4: { ...lower.lsoV1.ipv4, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 } } : n.lsoV1,
    lsoV2: {
      ipv4: tagged(lower.lsoV2.ipv4.encapsulation) ? { ...lower.lsoV2.ipv4, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 } : n.lsoV2.ipv4,
      ipv6: tagged(lower.lsoV2.ipv6.encapsulation) ? { ...lower.lsoV2.ipv6, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 } : n.lsoV2.ipv6,
    },
    rsc: n.rsc,
    flags: lower.flags,
  };
  // Encapsulated (NVGRE / VXLAN) offload: the tag goes in front of the outer headers, so it carries over
  // when the adapter below handles tagged frames at all (the MUX moves InnerFrameOffset by the tag).
  const anyTagged = [c.ipv4Transmit, c.ipv6Transmit, lower.lsoV2.ipv4, lower.lsoV2.ipv6].some((f) => tagged(f.encapsulation));
  return anyTagged ? withEncapsulatedOffload(out, lower) : out;
}

