/**
 * Ethernet II frames, optionally with one IEEE 802.1Q tag.
 *
 * ```
 *  0      6      12          14         16          18
 *  | dst  | src  | EtherType | payload…
 *  | dst  | src  | 0x8100    | TCI      | EtherType | payload…      (tagged)
 *                             PCP(3) DEI(1) VID(12)
 * ```
 * `etherType` is always the EtherType *after* the tag, and `headerLength`/`payloadOffset` account for
 * it. Not handled: stacked tags (802.1ad/QinQ: the inner type reads as 0x8100), 802.3 length frames
 * (`etherType` < 0x0600 is returned as is), the FCS (frames arrive without it).
 */
import { MAC_ADDRESS_LEN, requireMac } from './address.js';
import { bytesEqual, copyInto, inBounds, read16, requireUint, write16 } from './bytes.js';
import { WireError } from './error.js';
import { EtherType } from './numbers.js';
import { WireView } from './view.js';

export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
export const ETHERNET_VLAN_HEADER_LEN = ETHERNET_HEADER_LEN + VLAN_TAG_LEN;

/** Field offsets from the start of the frame. */
export const EthernetField = {
  Dst: 0,
  Src: 6,
  /** EtherType, or the TPID 0x8100 when tagged. */
  OuterEtherType: 12,
  /** Tag control information (tagged frames only). */
  Tci: 14,
  /** The EtherType after the tag (tagged frames only). */
  InnerEtherType: 16,
} as const;
const F = EthernetField;

export class EthernetView extends WireView {

  /**
   * 0 when every accessor is safe for `length` bytes at `offset` (the tag's fields too when the frame
   * is tagged), else `Truncated`.
   */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < ETHERNET_HEADER_LEN) return WireError.Truncated;
    if (read16(bytes, offset + F.OuterEtherType) === EtherType.Vlan && length < ETHERNET_VLAN_HEADER_LEN) return WireError.Truncated;
    return 0;
  }



  get dstOffset(): number {
    return this.o + F.Dst;
  }
  copyDst(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.Dst, MAC_ADDRESS_LEN);
  }
  setDst(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.Dst, addr, from, MAC_ADDRESS_LEN);
  }
  dstEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.Dst, addr, from, MAC_ADDRESS_LEN);
  }
  /** The I/G bit of the destination: multicast or broadcast. */
  get dstIsMulticast(): boolean {
    return (this.b[this.o + F.Dst]! & 1) !== 0;
  }
  get dstIsBroadcast(): boolean {
    const b = this.b;
    const o = this.o + F.Dst;
    return (b[o]! & b[o + 1]! & b[o + 2]! & b[o + 3]! & b[o + 4]! & b[o + 5]!) === 0xff;
  }

  get srcOffset(): number {
    return this.o + F.Src;
  }
  copySrc(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.Src, MAC_ADDRESS_LEN);
  }
  setSrc(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.Src, addr, from, MAC_ADDRESS_LEN);
  }
  srcEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.Src, addr, from, MAC_ADDRESS_LEN);
  }

  /** The 16 bits after the source address: the EtherType, or the TPID when tagged. */
  get outerEtherType(): number {
    return read16(this.b, this.o + F.OuterEtherType);
  }
  set outerEtherType(v: number) {
    write16(this.b, this.o + F.OuterEtherType, v);
  }

  get hasVlanTag(): boolean {
    return read16(this.b, this.o + F.OuterEtherType) === EtherType.Vlan;
  }

  /** Tag control information; the four `vlan*` accessors are meaningful only when `hasVlanTag`. */
  get vlanTci(): number {
    return read16(this.b, this.o + F.Tci);
  }
  set vlanTci(v: number) {
    write16(this.b, this.o + F.Tci, v);
  }
  /** Priority code point (802.1p), 3 bits. */
  get vlanPcp(): number {
    return this.b[this.o + F.Tci]! >>> 5;
  }
  set vlanPcp(v: number) {
    const i = this.o + F.Tci;
    this.b[i] = (this.b[i]! & 0x1f) | ((v & 7) << 5);
  }
  /** Drop eligible indicator. */
  get vlanDei(): boolean {
    return (this.b[this.o + F.Tci]! & 0x10) !== 0;
  }
  set vlanDei(v: boolean) {
    const i = this.o + F.Tci;
    this.b[i] = v ? this.b[i]! | 0x10 : this.b[i]! & ~0x10;
  }
  /** VLAN identifier, 12 bits. */
  get vlanId(): number {
    return read16(this.b, this.o + F.Tci) & 0x0fff;
  }
  set vlanId(v: number) {
    const i = this.o + F.Tci;
    write16(this.b, i, (read16(this.b, i) & 0xf000) | (v & 0x0fff));
  }

  /** The EtherType of the payload: after the tag when tagged. */
  get etherType(): number {
    return read16(this.b, this.o + (this.hasVlanTag ? F.InnerEtherType : F.OuterEtherType));
  }
  set etherType(v: number) {
    write16(this.b, this.o + (this.hasVlanTag ? F.InnerEtherType : F.OuterEtherType), v);
  }

  /** 14, or 18 when tagged. */
  get headerLength(): number {
    return this.hasVlanTag ? ETHERNET_VLAN_HEADER_LEN : ETHERNET_HEADER_LEN;
  }
  get payloadOffset(): number {
    return this.o + this.headerLength;
  }
}

export interface VlanTag {
  /** Priority code point, 0–7. */
  pcp: number;
  /** Drop eligible indicator. */
  dei: boolean;
  /** VLAN identifier, 0–4095. */
  id: number;
}

export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  /** The 802.1Q tag, or null for an untagged frame. */
  vlan: VlanTag | null;
  /** The payload's EtherType (after the tag). */
  etherType: number;
}

const scratch = new EthernetView();

export function parseEthernet(bytes: Uint8Array, offset: number, length: number): EthernetRepr | WireError {
  const err = EthernetView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  return {
    dst: bytes.slice(offset + F.Dst, offset + F.Dst + MAC_ADDRESS_LEN),
    src: bytes.slice(offset + F.Src, offset + F.Src + MAC_ADDRESS_LEN),
    vlan: v.hasVlanTag ? { pcp: v.vlanPcp, dei: v.vlanDei, id: v.vlanId } : null,
    etherType: v.etherType,
  };
}

/** 14, or 18 with a tag. */
export function ethernetHeaderLength(repr: EthernetRepr): number {
  return repr.vlan ? ETHERNET_VLAN_HEADER_LEN : ETHERNET_HEADER_LEN;
}

/** Writes the header (not the payload) at `offset`; returns its length. Throws RangeError on an impossible Repr. */
export function emitEthernet(repr: EthernetRepr, bytes: Uint8Array, offset: number): number {
  requireMac(repr.dst, 'EthernetRepr.dst');
  requireMac(repr.src, 'EthernetRepr.src');
  requireUint(repr.etherType, 0xffff, 'EthernetRepr.etherType');
  if (!repr.vlan && repr.etherType === EtherType.Vlan) throw new RangeError('EthernetRepr: EtherType 0x8100 needs a vlan tag');
  const length = ethernetHeaderLength(repr);
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitEthernet: buffer too small');
  bytes.set(repr.dst, offset + F.Dst);
  bytes.set(repr.src, offset + F.Src);
  if (repr.vlan) {
    requireUint(repr.vlan.pcp, 7, 'VlanTag.pcp');
    requireUint(repr.vlan.id, 0x0fff, 'VlanTag.id');
    write16(bytes, offset + F.OuterEtherType, EtherType.Vlan);
    write16(bytes, offset + F.Tci, (repr.vlan.pcp << 13) | (repr.vlan.dei ? 0x1000 : 0) | repr.vlan.id);
    write16(bytes, offset + F.InnerEtherType, repr.etherType);
  } else {
    write16(bytes, offset + F.OuterEtherType, repr.etherType);
  }
  return length;
}
