/**
 * struct virtio_net_hdr (10 bytes, little-endian), prefixed to every frame on a TAP opened with
 * IFF_VNET_HDR:
 *
 *   0 flags (u8)   1 gso_type (u8)   2 hdr_len (u16)   4 gso_size (u16)   6 csum_start (u16)   8 csum_offset (u16)
 *
 * Receive: DATA_VALID means the kernel validated the checksums; NEEDS_CSUM means a partial checksum to be
 * finished at csum_start/csum_offset; gso_type/gso_size describe a coalesced super-frame. Transmit: the
 * same fields ask the kernel to checksum or segment (NDIS checksum / LSO offload).
 */
export const VIRTIO_NET_HDR_SIZE = 10;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

export interface VirtioNetHdr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function readVnetHeader(b: Uint8Array, o: number): VirtioNetHdr {
  return {
    flags: b[o]!,
    gsoType: b[o + 1]!,
    hdrLen: b[o + 2]! | (b[o + 3]! << 8),
    gsoSize: b[o + 4]! | (b[o + 5]! << 8),
    csumStart: b[o + 6]! | (b[o + 7]! << 8),
    csumOffset: b[o + 8]! | (b[o + 9]! << 8),
  };
}

export function writeVnetHeader(b: Uint8Array, o: number, h: VirtioNetHdr): void {
  b[o] = h.flags;
  b[o + 1] = h.gsoType;
  b[o + 2] = h.hdrLen & 0xff;
  b[o + 3] = h.hdrLen >> 8;
  b[o + 4] = h.gsoSize & 0xff;
  b[o + 5] = h.gsoSize >> 8;
  b[o + 6] = h.csumStart & 0xff;
  b[o + 7] = h.csumStart >> 8;
  b[o + 8] = h.csumOffset & 0xff;
  b[o + 9] = h.csumOffset >> 8;
}

/** Hot-path form: writes an all-zero header (no offload requested). */
export function writeEmptyVnetHeader(b: Uint8Array, o: number): void {
  for (let i = 0; i < VIRTIO_NET_HDR_SIZE; i++) b[o + i] = 0;
}
