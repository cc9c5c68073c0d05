/**
 * Finding the IP and transport headers of an Ethernet frame, for miniports that offload work on them
 * (checksums, segmentation, coalescing). One `FrameLayout` per data path, reused for every frame.
 */
import { read16 } from '../../wire/bytes.js';
import { ETHERNET_HEADER_LEN, EthernetField, VLAN_TAG_LEN } from '../../wire/ethernet.js';
import { Ipv4Field, IPV4_HEADER_LEN } from '../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../wire/ipv6.js';
import { Ipv6ExtensionWalk, walkIpv6Extensions } from '../../wire/ipv6-ext.js';
import { EtherType } from '../../wire/numbers.js';

/** The largest frame a GSO/LSO super-frame can be: a 65535-byte IPv6 payload behind its header and one VLAN tag. */
export const MAX_GSO_FRAME = ETHERNET_HEADER_LEN + VLAN_TAG_LEN + IPV6_HEADER_LEN + 0xffff;

/** Where the IP and transport headers of one frame are (offsets from the frame's first byte). */
export class FrameLayout {
  /** 4, 6, or 0 when the frame is not IP (or too short to tell). */
  ipVersion = 0;
  ipOffset = 0;
  ipHeaderLength = 0;
  /** IP protocol / Next Header of the transport; -1 for a non-first IPv4 fragment. */
  l4Protocol = -1;
  l4Offset = 0;
}

const walk = new Ipv6ExtensionWalk();

/**
 * Finds the IP and transport headers of the frame `b[f, f + len)` (Ethernet II, at most one 802.1Q tag,
 * IPv4 with options or IPv6 with extension headers). False when it is not IP or is truncated.
 */
export function locateHeaders(b: Uint8Array, f: number, len: number, out: FrameLayout): boolean {
  out.ipVersion = 0;
  out.l4Protocol = -1;
  if (len < ETHERNET_HEADER_LEN) return false;
  let ip = ETHERNET_HEADER_LEN;
  let type = read16(b, f + EthernetField.OuterEtherType);
  if (type === EtherType.Vlan) {
    if (len < ETHERNET_HEADER_LEN + VLAN_TAG_LEN) return false;
    type = read16(b, f + EthernetField.InnerEtherType);
    ip += VLAN_TAG_LEN;
  }
  out.ipOffset = ip;
  if (type === EtherType.Ipv4) {
    if (len < ip + IPV4_HEADER_LEN) return false;
    const ihl = (b[f + ip]! & 0x0f) * 4;
    if ((b[f + ip]! >> 4) !== 4 || ihl < IPV4_HEADER_LEN || len < ip + ihl) return false;
    out.ipVersion = 4;
    out.ipHeaderLength = ihl;
    out.l4Offset = ip + ihl;
    // A later fragment has no transport header.
    out.l4Protocol = (read16(b, f + ip + Ipv4Field.FlagsFragmentOffset) & 0x1fff) !== 0 ? -1 : b[f + ip + Ipv4Field.Protocol]!;
    return true;
  }
  if (type === EtherType.Ipv6) {
    if (len < ip + IPV6_HEADER_LEN || (b[f + ip]! >> 4) !== 6) return false;
    out.ipVersion = 6;
    out.ipHeaderLength = IPV6_HEADER_LEN;
    const start = f + ip + IPV6_HEADER_LEN;
    if (walkIpv6Extensions(b, start, f + len - start, b[f + ip + Ipv6Field.NextHeader]!, walk) !== 0 || walk.fragmentOffset !== 0) return true;
    out.l4Protocol = walk.protocol;
    out.l4Offset = walk.offset - f;
    return true;
  }
  return false;
}
