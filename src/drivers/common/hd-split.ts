/**
 * Header-data split for receiving miniports (offload digest §5.2–5.3): where a received frame splits,
 * and the NET_BUFFER that shows it split.
 *
 * `decideHdSplit` reads the frame's headers and gives the split point and the NblFlags:
 *   - IPv4 without options, or with options when the capabilities allow them and the option list is
 *     well formed; IPv6 without extension headers, or with hop-by-hop / routing / destination options
 *     headers when allowed. Fragments, AH/ESP and unknown extension headers are never split.
 *   - TCP: at the payload when there are no options or only the timestamp option (with NOP/EOL
 *     padding), or any well-formed options under NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS; otherwise at
 *     the TCP header (SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER). UDP: at the payload.
 *   - Never: non-IP, VLAN-tagged frames (the tag would stay in the header buffer: these miniports do
 *     not strip tags into Ieee8021QNetBufferListInfo), other upper-layer protocols, truncated or
 *     inconsistent headers (a length field reaching past the frame), a split that leaves no data, a
 *     header longer than MaxHeaderSize (then the ULP-header split is tried, as the spec allows).
 *
 * `HdSplitter` makes the split NET_BUFFER without allocating per frame: each receive NBL gets, the
 * first time it is split, a header MDL over its own slot of one contiguous header block and a data MDL
 * over the receive buffer, both reused after. The data MDL starts at the split point inside the
 * receive buffer: the miniport's headroom (BackfillSize bytes at the start of every receive buffer, see
 * HdSplitMiniport.reserveHeadroom), anything it keeps before the frame (the virtio-net header on the
 * TAP) and the frame's own header bytes are the data buffer's backfill, so a receiver can copy the
 * header in front of the data and see a contiguous frame without moving the payload.
 * A pool's free (NetBuffer.resetForPool, NetBufferList reset) puts the single pool MDL back and clears
 * the flags, so recycling needs nothing from here.
 */
import {
  NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV4_OPTIONS,
  NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV6_EXTENSION_HEADERS,
  NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS,
  NDIS_NBL_FLAGS_HD_SPLIT,
  NDIS_NBL_FLAGS_IS_IPV4,
  NDIS_NBL_FLAGS_IS_IPV6,
  NDIS_NBL_FLAGS_IS_TCP,
  NDIS_NBL_FLAGS_IS_UDP,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD,
  Mdl,
  type NetBufferList,
} from '../../ndis/index.js';

/** The NblFlags a split sets (and an unsplit frame must have clear). */
export const HD_SPLIT_NBL_FLAGS = NDIS_NBL_FLAGS_HD_SPLIT | NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER | NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD;
/** Every NblFlag a split may set. */
export const HD_SPLIT_ALL_NBL_FLAGS = HD_SPLIT_NBL_FLAGS | NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_TCP | NDIS_NBL_FLAGS_IS_UDP;
/** What these miniports split (TCP options other than timestamps split at the TCP header). */
export const HD_SPLIT_MINIPORT_CAPS = 0x1 | NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV4_OPTIONS | NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV6_EXTENSION_HEADERS;

const ETH = 14;
const TCP = 6;
const UDP = 17;
const MAX_IPV6_EXTENSIONS = 8;

/** The decision for one frame: `splitAt` 0 = not split. */
export class HdSplitDecision {
  splitAt = 0;
  flags = 0;
}

/** Why a frame was not split (counters). */
export const HdSplitMiss = { NotIp: 1, Unrecognised: 2, Malformed: 3, NoData: 4, TooLong: 5 } as const;
export type HdSplitMiss = (typeof HdSplitMiss)[keyof typeof HdSplitMiss];

/** True when the IPv4 option bytes b[o, end) are a well-formed list. */
function ipv4OptionsOk(b: Uint8Array, o: number, end: number): boolean {
  while (o < end) {
    const t = b[o]!;
    if (t === 0) return true; // EOL: the rest is padding
    if (t === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return false;
    const l = b[o + 1]!;
    if (l < 2 || o + l > end) return false;
    o += l;
  }
  return true;
}

/** 0: no options or timestamps only (NOP/EOL padding); 1: other well-formed options; -1: malformed. */
function tcpOptionsKind(b: Uint8Array, o: number, end: number): number {
  let other = false;
  let ts = 0;
  while (o < end) {
    const t = b[o]!;
    if (t === 0) break;
    if (t === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return -1;
    const l = b[o + 1]!;
    if (l < 2 || o + l > end) return -1;
    if (t === 8 && l === 10) ts++;
    else other = true;
    o += l;
  }
  return other || ts > 1 ? 1 : 0;
}

/**
 * Where the frame `b[f, f + len)` splits, per §5.3, for an adapter with `caps`
 * (NDIS_HD_SPLIT_CAPS_*) and header buffers of `maxHeaderSize` bytes. Returns 0 (split, `out` set) or
 * the HdSplitMiss reason (`out.splitAt` 0, `out.flags` 0).
 */
export function decideHdSplit(b: Uint8Array, f: number, len: number, caps: number, maxHeaderSize: number, out: HdSplitDecision): number {
  out.splitAt = 0;
  out.flags = 0;
  if (len < ETH) return HdSplitMiss.Malformed;
  const type = (b[f + 12]! << 8) | b[f + 13]!;
  const ip = f + ETH;
  let l4: number;
  let proto: number;
  let ipEnd: number;
  let flags: number;
  if (type === 0x0800) {
    if (len < ETH + 20 || b[ip]! >> 4 !== 4) return HdSplitMiss.Malformed;
    const ihl = (b[ip]! & 0x0f) * 4;
    const total = (b[ip + 2]! << 8) | b[ip + 3]!;
    if (ihl < 20 || total < ihl || ETH + total > len) return HdSplitMiss.Malformed;
    // A fragment's payload is not an upper-layer header or payload.
    if ((((b[ip + 6]! << 8) | b[ip + 7]!) & 0x3fff) !== 0) return HdSplitMiss.Unrecognised;
    if (ihl > 20) {
      if ((caps & NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV4_OPTIONS) === 0) return HdSplitMiss.Unrecognised;
      if (!ipv4OptionsOk(b, ip + 20, ip + ihl)) return HdSplitMiss.Malformed;
    }
    l4 = ip + ihl;
    ipEnd = ip + total;
    proto = b[ip + 9]!;
    flags = NDIS_NBL_FLAGS_IS_IPV4;
  } else if (type === 0x86dd) {
    if (len < ETH + 40 || b[ip]! >> 4 !== 6) return HdSplitMiss.Malformed;
    const payload = (b[ip + 4]! << 8) | b[ip + 5]!;
    // A jumbogram (payload length 0) is not split.
    if (payload === 0) return HdSplitMiss.Unrecognised;
    ipEnd = ip + 40 + payload;
    if (ipEnd > f + len) return HdSplitMiss.Malformed;
    proto = b[ip + 6]!;
    l4 = ip + 40;
    for (let n = 0; proto !== TCP && proto !== UDP; n++) {
      // Hop-by-hop, routing and destination options are walked; fragment, AH, ESP and the rest are not.
      if (proto !== 0 && proto !== 43 && proto !== 60) return HdSplitMiss.Unrecognised;
      if ((caps & NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV6_EXTENSION_HEADERS) === 0 || n >= MAX_IPV6_EXTENSIONS) return HdSplitMiss.Unrecognised;
      if (l4 + 8 > ipEnd) return HdSplitMiss.Malformed;
      const next = b[l4]!;
      l4 += (b[l4 + 1]! + 1) * 8;
      if (l4 > ipEnd) return HdSplitMiss.Malformed;
      proto = next;
    }
    flags = NDIS_NBL_FLAGS_IS_IPV6;
  } else {
    return HdSplitMiss.NotIp;
  }
  const ulpHeader = l4 - f;
  let payloadAt: number;
  if (proto === TCP) {
    if (l4 + 20 > ipEnd) return HdSplitMiss.Malformed;
    const doff = (b[l4 + 12]! >> 4) * 4;
    if (doff < 20 || l4 + doff > ipEnd) return HdSplitMiss.Malformed;
    flags |= NDIS_NBL_FLAGS_IS_TCP;
    const kind = doff === 20 ? 0 : tcpOptionsKind(b, l4 + 20, l4 + doff);
    if (kind < 0) return HdSplitMiss.Malformed;
    payloadAt = kind === 0 || (caps & NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS) !== 0 ? l4 + doff - f : -1;
  } else if (proto === UDP) {
    if (l4 + 8 > ipEnd) return HdSplitMiss.Malformed;
    const ulen = (b[l4 + 4]! << 8) | b[l4 + 5]!;
    if (ulen < 8 || l4 + ulen > ipEnd) return HdSplitMiss.Malformed;
    flags |= NDIS_NBL_FLAGS_IS_UDP;
    payloadAt = l4 + 8 - f;
  } else {
    return HdSplitMiss.Unrecognised;
  }
  // At the payload when it fits (and leaves data), else at the upper-layer header.
  if (payloadAt > 0 && payloadAt <= maxHeaderSize) {
    // No payload (Ethernet padding after the IP packet is not data).
    if (payloadAt >= ipEnd - f) return HdSplitMiss.NoData;
    out.splitAt = payloadAt;
    out.flags = flags | NDIS_NBL_FLAGS_HD_SPLIT | NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD;
    return 0;
  }
  if (ulpHeader > maxHeaderSize) return HdSplitMiss.TooLong;
  out.splitAt = ulpHeader;
  out.flags = flags | NDIS_NBL_FLAGS_HD_SPLIT | NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER;
  return 0;
}

/** Counters of one adapter's header-data split (they reach the adapter's inspect()). */
export interface HdSplitCounters {
  /** Frames indicated split. */
  splitFrames: number;
  /** Frames not split, by reason. */
  notSplitNonIp: number;
  notSplitUnrecognised: number;
  notSplitMalformed: number;
  notSplitNoData: number;
  notSplitTooLong: number;
  /** The receive buffer left less than BackfillSize before the data (a miniport layout error). */
  notSplitNoBackfill: number;
}

export function newHdSplitCounters(): HdSplitCounters {
  return { splitFrames: 0, notSplitNonIp: 0, notSplitUnrecognised: 0, notSplitMalformed: 0, notSplitNoData: 0, notSplitTooLong: 0, notSplitNoBackfill: 0 };
}

/** Header and data MDLs of one receive NBL. */
interface SplitMdls {
  readonly header: Mdl;
  data: Mdl | null;
}

/**
 * Splits received frames in place in their receive NBLs. `capacity` bounds the receive NBLs that can be
 * split at once (the header block has one `maxHeaderSize` slot each); an NBL seen when every slot is
 * taken is indicated whole.
 */
export class HdSplitter {
  readonly counters = newHdSplitCounters();
  readonly maxHeaderSize: number;
  readonly backfillSize: number;
  caps: number;
  /** Splitting now: the keyword is on, NDIS enabled it, and no COMBINE_ALL_HEADERS is in force. */
  active = false;
  readonly #block: Uint8Array;
  readonly #slots: number;
  #used = 0;
  readonly #mdls = new Map<NetBufferList, SplitMdls>();
  readonly #decision = new HdSplitDecision();

  constructor(capacity: number, maxHeaderSize: number, backfillSize: number, caps = HD_SPLIT_MINIPORT_CAPS) {
    this.#slots = capacity;
    this.maxHeaderSize = maxHeaderSize;
    this.backfillSize = backfillSize;
    this.caps = caps;
    // One contiguous block for every header buffer (§5.2).
    this.#block = new Uint8Array(capacity * maxHeaderSize);
  }

  /**
   * Splits the frame `bytes[start, start + len)`, which is the only data of `nbl`'s single NET_BUFFER and
   * lies in `bytes` with the receive buffer starting at `bufferStart` (so the data buffer has
   * `start + splitAt - bufferStart` bytes of backfill). Returns true when the NB now has a header MDL and
   * a data MDL.
   */
  split(nbl: NetBufferList, bytes: Uint8Array, bufferStart: number, start: number, len: number): boolean {
    const d = this.#decision;
    const miss = decideHdSplit(bytes, start, len, this.caps, this.maxHeaderSize, d);
    const c = this.counters;
    if (miss !== 0) {
      if (miss === HdSplitMiss.NotIp) c.notSplitNonIp++;
      else if (miss === HdSplitMiss.Unrecognised) c.notSplitUnrecognised++;
      else if (miss === HdSplitMiss.NoData) c.notSplitNoData++;
      else if (miss === HdSplitMiss.TooLong) c.notSplitTooLong++;
      else c.notSplitMalformed++;
      return false;
    }
    const at = d.splitAt;
    // The data buffer's backfill is everything before it in the receive buffer.
    if (start + at - bufferStart < Math.max(at, this.backfillSize)) {
      c.notSplitNoBackfill++;
      return false;
    }
    let m = this.#mdls.get(nbl);
    if (m === undefined) {
      if (this.#used === this.#slots) return false;
      const header = new Mdl(this.#block, this.#used * this.maxHeaderSize, this.maxHeaderSize);
      this.#used++;
      m = { header, data: null };
      this.#mdls.set(nbl, m);
    }
    let data = m.data;
    if (data === null || data.bytes !== bytes) data = m.data = new Mdl(bytes, start + at, len - at);
    else {
      data.byteOffset = start + at;
      data.byteCount = len - at;
    }
    const h = m.header;
    h.byteCount = at;
    // A byte loop: headers are at most MaxHeaderSize bytes, and a subarray per frame would allocate.
    const block = this.#block;
    for (let i = 0, o = h.byteOffset; i < at; i++) block[o + i] = bytes[start + i]!;
    h.next = data;
    data.next = null;
    const nb = nbl.firstNetBuffer!;
    nb.mdlChain = h;
    nb.currentMdl = h;
    nb.currentMdlOffset = 0;
    nb.dataOffset = 0;
    nb.dataLength = len;
    nbl.nblFlags = (nbl.nblFlags & ~HD_SPLIT_ALL_NBL_FLAGS) | d.flags;
    c.splitFrames++;
    return true;
  }
}
