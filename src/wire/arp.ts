/**
 * ARP (RFC 826) for IPv4 over Ethernet only: hardware type 1, protocol type 0x0800, address lengths
 * 6 and 4. Other combinations are `Unsupported` (their fields would sit at other offsets).
 *
 * ```
 *  0      2      4    5    6      8      14     18     24     28
 *  | htype| ptype| hlen|plen| oper | sha  | spa  | tha  | tpa  |
 * ```
 */
import { MAC_ADDRESS_LEN, requireMac } from './address.js';
import { bytesEqual, copyInto, inBounds, read16, read32, requireUint, write16, write32 } from './bytes.js';
import { WireError } from './error.js';
import { EtherType } from './numbers.js';
import { WireView } from './view.js';

export const ARP_LEN = 28;
export const ARP_HARDWARE_ETHERNET = 1;

export const ArpOperation = { Request: 1, Reply: 2 } as const;

export const ArpField = {
  HardwareType: 0,
  ProtocolType: 2,
  HardwareLength: 4,
  ProtocolLength: 5,
  Operation: 6,
  SenderHardwareAddr: 8,
  SenderProtocolAddr: 14,
  TargetHardwareAddr: 18,
  TargetProtocolAddr: 24,
} as const;
const F = ArpField;

export class ArpView extends WireView {

  /** 0 when the packet is Ethernet/IPv4 ARP and all 28 bytes are there; `Truncated` or `Unsupported` otherwise. */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < F.Operation) return WireError.Truncated;
    if (
      read16(bytes, offset + F.HardwareType) !== ARP_HARDWARE_ETHERNET ||
      read16(bytes, offset + F.ProtocolType) !== EtherType.Ipv4 ||
      bytes[offset + F.HardwareLength] !== MAC_ADDRESS_LEN ||
      bytes[offset + F.ProtocolLength] !== 4
    ) {
      return WireError.Unsupported;
    }
    return length < ARP_LEN ? WireError.Truncated : 0;
  }



  get hardwareType(): number {
    return read16(this.b, this.o + F.HardwareType);
  }
  set hardwareType(v: number) {
    write16(this.b, this.o + F.HardwareType, v);
  }
  get protocolType(): number {
    return read16(this.b, this.o + F.ProtocolType);
  }
  set protocolType(v: number) {
    write16(this.b, this.o + F.ProtocolType, v);
  }
  get hardwareLength(): number {
    return this.b[this.o + F.HardwareLength]!;
  }
  set hardwareLength(v: number) {
    this.b[this.o + F.HardwareLength] = v;
  }
  get protocolLength(): number {
    return this.b[this.o + F.ProtocolLength]!;
  }
  set protocolLength(v: number) {
    this.b[this.o + F.ProtocolLength] = v;
  }
  get operation(): number {
    return read16(this.b, this.o + F.Operation);
  }
  set operation(v: number) {
    write16(this.b, this.o + F.Operation, v);
  }

  get senderHardwareAddrOffset(): number {
    return this.o + F.SenderHardwareAddr;
  }
  copySenderHardwareAddr(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.SenderHardwareAddr, MAC_ADDRESS_LEN);
  }
  setSenderHardwareAddr(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.SenderHardwareAddr, addr, from, MAC_ADDRESS_LEN);
  }
  senderHardwareAddrEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.SenderHardwareAddr, addr, from, MAC_ADDRESS_LEN);
  }
  get senderProtocolAddr(): number {
    return read32(this.b, this.o + F.SenderProtocolAddr);
  }
  set senderProtocolAddr(v: number) {
    write32(this.b, this.o + F.SenderProtocolAddr, v);
  }

  get targetHardwareAddrOffset(): number {
    return this.o + F.TargetHardwareAddr;
  }
  copyTargetHardwareAddr(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.TargetHardwareAddr, MAC_ADDRESS_LEN);
  }
  setTargetHardwareAddr(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.TargetHardwareAddr, addr, from, MAC_ADDRESS_LEN);
  }
  targetHardwareAddrEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.TargetHardwareAddr, addr, from, MAC_ADDRESS_LEN);
  }
  get targetProtocolAddr(): number {
    return read32(this.b, this.o + F.TargetProtocolAddr);
  }
  set targetProtocolAddr(v: number) {
    write32(this.b, this.o + F.TargetProtocolAddr, v);
  }
}

export interface ArpRepr {
  /** `ArpOperation.Request`, `ArpOperation.Reply`, or any other 16-bit value as received. */
  operation: number;
  senderHardwareAddr: Uint8Array;
  senderProtocolAddr: number;
  targetHardwareAddr: Uint8Array;
  targetProtocolAddr: number;
}

const scratch = new ArpView();

export function parseArp(bytes: Uint8Array, offset: number, length: number): ArpRepr | WireError {
  const err = ArpView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  return {
    operation: v.operation,
    senderHardwareAddr: bytes.slice(offset + F.SenderHardwareAddr, offset + F.SenderHardwareAddr + MAC_ADDRESS_LEN),
    senderProtocolAddr: v.senderProtocolAddr,
    targetHardwareAddr: bytes.slice(offset + F.TargetHardwareAddr, offset + F.TargetHardwareAddr + MAC_ADDRESS_LEN),
    targetProtocolAddr: v.targetProtocolAddr,
  };
}

/** Writes the 28-byte packet at `offset`; returns 28. Throws RangeError on an impossible Repr. */
export function emitArp(repr: ArpRepr, bytes: Uint8Array, offset: number): number {
  requireUint(repr.operation, 0xffff, 'ArpRepr.operation');
  requireMac(repr.senderHardwareAddr, 'ArpRepr.senderHardwareAddr');
  requireMac(repr.targetHardwareAddr, 'ArpRepr.targetHardwareAddr');
  requireUint(repr.senderProtocolAddr, 0xffffffff, 'ArpRepr.senderProtocolAddr');
  requireUint(repr.targetProtocolAddr, 0xffffffff, 'ArpRepr.targetProtocolAddr');
  if (!inBounds(bytes, offset, ARP_LEN)) throw new RangeError('emitArp: buffer too small');
  const v = scratch.bind(bytes, offset);
  v.hardwareType = ARP_HARDWARE_ETHERNET;
  v.protocolType = EtherType.Ipv4;
  v.hardwareLength = MAC_ADDRESS_LEN;
  v.protocolLength = 4;
  v.operation = repr.operation;
  v.setSenderHardwareAddr(repr.senderHardwareAddr);
  v.senderProtocolAddr = repr.senderProtocolAddr;
  v.setTargetHardwareAddr(repr.targetHardwareAddr);
  v.targetProtocolAddr = repr.targetProtocolAddr;
  return ARP_LEN;
}
