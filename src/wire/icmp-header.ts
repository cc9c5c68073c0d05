/**
 * The 8-byte header ICMP (RFC 792) and ICMPv6 (RFC 4443) share: type, code, checksum, then a word
 * whose meaning depends on the type (identifier and sequence number for echo). Icmpv4View and
 * Icmpv6View add their type-specific fields and checksum rules on top.
 */
import { read16, read32, write16, write32 } from './bytes.js';
import { WireView } from './view.js';

const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const IDENTIFIER = 4;
const SEQUENCE_NUMBER = 6;

export abstract class IcmpHeaderView extends WireView {
  get type(): number {
    return this.b[this.o + TYPE]!;
  }
  set type(v: number) {
    this.b[this.o + TYPE] = v;
  }
  get code(): number {
    return this.b[this.o + CODE]!;
  }
  set code(v: number) {
    this.b[this.o + CODE] = v;
  }
  get checksum(): number {
    return read16(this.b, this.o + CHECKSUM);
  }
  set checksum(v: number) {
    write16(this.b, this.o + CHECKSUM, v);
  }
  /** Bytes 4–7 as one word, whatever the type. */
  get restOfHeader(): number {
    return read32(this.b, this.o + IDENTIFIER);
  }
  set restOfHeader(v: number) {
    write32(this.b, this.o + IDENTIFIER, v);
  }
  get identifier(): number {
    return read16(this.b, this.o + IDENTIFIER);
  }
  set identifier(v: number) {
    write16(this.b, this.o + IDENTIFIER, v);
  }
  get sequenceNumber(): number {
    return read16(this.b, this.o + SEQUENCE_NUMBER);
  }
  set sequenceNumber(v: number) {
    write16(this.b, this.o + SEQUENCE_NUMBER, v);
  }
}
