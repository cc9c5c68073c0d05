/**
 * Neighbor Discovery options (RFC 4861 §4.6), read with bounds checks by `NdpOptionReader`.
 *
 * ```
 *  | type | length (8-byte units, never 0) | value …
 *  source/target link-layer address (1, 2):  | t | 1 | MAC (6 bytes) |                  Ethernet only (RFC 2464)
 *  prefix information (3, length 4):         | t | 4 | prefix len | L A … | valid lifetime | preferred lifetime | reserved | prefix (16) |
 *  MTU (5, length 1):                        | t | 1 | reserved (2) | MTU (4) |
 * ```
 * Other types (redirected header, RDNSS, …) are returned by type and length, never interpreted.
 */
import { MAC_ADDRESS_LEN } from './address.js';
import { EMPTY, copyInto, inBounds, read32 } from './bytes.js';
import { WireError } from './error.js';

export const NdpOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
} as const;

export const NDP_OPTION_UNIT = 8;
export const NDP_LINK_LAYER_OPTION_LEN = 8;
export const NDP_PREFIX_OPTION_LEN = 32;
export const NDP_MTU_OPTION_LEN = 8;

/** Offsets inside an option, from its type byte. */
export const NdpOptionField = {
  Type: 0,
  Length: 1,
  LinkLayerAddr: 2,
  PrefixLength: 2,
  PrefixFlags: 3,
  ValidLifetime: 4,
  PreferredLifetime: 8,
  Prefix: 16,
  Mtu: 4,
} as const;
const F = NdpOptionField;

/** Bits of the prefix information flags byte. */
export const NdpPrefixFlag = { OnLink: 0x80, Autonomous: 0x40 } as const;

/**
 * Iterates over NDP options without allocating: `reset()` on the options area, then
 * `while (r.next()) { switch (r.type) … }`, then look at `r.error`. Each option returned lies inside
 * the area, and the known types have their one valid length, so their getters are safe. Stops with
 * `Malformed` on a zero length or a known type of the wrong size, `Truncated` when an option runs past
 * the end, `Unsupported` for a link-layer address option that is not Ethernet-sized. At most
 * `length / 8` turns.
 */
export class NdpOptionReader {
  #b: Uint8Array = EMPTY;
  #at = 0;
  #end = 0;
  /** The option just returned: its type, absolute offset and length in bytes. */
  type = 0;
  offset = 0;
  length = 0;
  error: WireError | 0 = 0;

  reset(bytes: Uint8Array, offset: number, length: number): this {
    const ok = inBounds(bytes, offset, length);
    this.#b = bytes;
    this.#at = offset;
    this.#end = ok ? offset + length : offset;
    this.error = ok ? 0 : WireError.Truncated;
    this.type = 0;
    this.offset = offset;
    this.length = 0;
    return this;
  }

  next(): boolean {
    const at = this.#at;
    if (at >= this.#end) return false;
    if (this.#end - at < 2) return this.#fail(WireError.Truncated);
    const type = this.#b[at]!;
    const units = this.#b[at + 1]!;
    if (units === 0) return this.#fail(WireError.Malformed);
    const len = units * NDP_OPTION_UNIT;
    if (len > this.#end - at) return this.#fail(WireError.Truncated);
    if (type === NdpOptionType.PrefixInformation && len !== NDP_PREFIX_OPTION_LEN) return this.#fail(WireError.Malformed);
    if (type === NdpOptionType.Mtu && len !== NDP_MTU_OPTION_LEN) return this.#fail(WireError.Malformed);
    if ((type === NdpOptionType.SourceLinkLayerAddress || type === NdpOptionType.TargetLinkLayerAddress) && len !== NDP_LINK_LAYER_OPTION_LEN) {
      return this.#fail(WireError.Unsupported);
    }
    this.type = type;
    this.offset = at;
    this.length = len;
    this.#at = at + len;
    return true;
  }

  #fail(e: WireError): false {
    this.error = e;
    this.#at = this.#end;
    return false;
  }

  /** Link-layer address options only. */
  get linkLayerAddrOffset(): number {
    return this.offset + F.LinkLayerAddr;
  }
  copyLinkLayerAddr(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.#b, this.offset + F.LinkLayerAddr, MAC_ADDRESS_LEN);
  }
  /** Prefix information only. */
  get prefixLength(): number {
    return this.#b[this.offset + F.PrefixLength]!;
  }
  get prefixOnLink(): boolean {
    return (this.#b[this.offset + F.PrefixFlags]! & NdpPrefixFlag.OnLink) !== 0;
  }
  get prefixAutonomous(): boolean {
    return (this.#b[this.offset + F.PrefixFlags]! & NdpPrefixFlag.Autonomous) !== 0;
  }
  get validLifetimeSeconds(): number {
    return read32(this.#b, this.offset + F.ValidLifetime);
  }
  get preferredLifetimeSeconds(): number {
    return read32(this.#b, this.offset + F.PreferredLifetime);
  }
  get prefixOffset(): number {
    return this.offset + F.Prefix;
  }
  /** MTU option only. */
  get mtu(): number {
    return read32(this.#b, this.offset + F.Mtu);
  }
}

export interface NdpPrefixInformation {
  prefixLength: number;
  onLink: boolean;
  autonomous: boolean;
  validLifetimeSeconds: number;
  preferredLifetimeSeconds: number;
  prefix: Uint8Array;
}
