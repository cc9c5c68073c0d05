/**
 * Frame builders for tcpip tests (hand-made input), on top of the src/wire emitters, plus a fake TCP
 * engine that records what the IP layer hands it and sends segments through a TcpHost.
 */
import type { TcpFlow, TcpHost, TcpIcmpError, TcpInput } from '../../src/drivers/protocol/tcpip/index.js';
import {
  EtherType,
  IpProtocol,
  NO_TCP_OPTIONS,
  TcpView,
  emitEthernet,
  emitIpv4,
  emitIpv6,
  emitTcp,
  ipv6,
  mac,
  parseIpv4Address,
  tcpHeaderLength,
  type TcpOptions,
} from '../../src/wire/index.js';

export interface TcpFrameSpec {
  family: 4 | 6;
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: number;
  payload?: Uint8Array;
  options?: TcpOptions;
}

export function tcpFrame(s: TcpFrameSpec): Uint8Array {
  const payload = s.payload ?? new Uint8Array(0);
  const options = s.options ?? NO_TCP_OPTIONS;
  const tcpRepr = { srcPort: s.srcPort, dstPort: s.dstPort, seqNumber: s.seq, ackNumber: s.ack ?? 0, flags: s.flags, windowSize: 65535, urgentPointer: 0, options, payloadLength: payload.length };
  const th = tcpHeaderLength(tcpRepr);
  const tcpAt = 14 + (s.family === 4 ? 20 : 40);
  const tcpLen = th + payload.length;
  const buf = new Uint8Array(tcpAt + tcpLen);
  emitEthernet({ dst: mac(s.dstMac), src: mac(s.srcMac), vlan: null, etherType: s.family === 4 ? EtherType.Ipv4 : EtherType.Ipv6 }, buf, 0);
  buf.set(payload, tcpAt + th);
  if (s.family === 4) {
    const src = parseIpv4Address(s.src);
    const dst = parseIpv4Address(s.dst);
    emitTcp(tcpRepr, buf, tcpAt, { version: 4, src, dst });
    emitIpv4({ dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.Tcp, src, dst, options: new Uint8Array(0), payloadLength: tcpLen }, buf, 14);
  } else {
    const src = ipv6(s.src);
    const dst = ipv6(s.dst);
    emitTcp(tcpRepr, buf, tcpAt, { version: 6, src, dst });
    emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.Tcp, hopLimit: 64, src, dst, payloadLength: tcpLen }, buf, 14);
  }
  return buf;
}

export interface RecordedSegment {
  family: 4 | 6;
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  bytes: Uint8Array;
  segments: number;
}

function addrText(a: Uint8Array): string {
  return a.length === 4 ? Array.from(a).join('.') : Buffer.from(a).toString('hex');
}

/** A TCP engine stand-in: records segments and ICMP errors; `onInput` may answer through the host. */
export class FakeTcp implements TcpInput {
  readonly segments: RecordedSegment[] = [];
  readonly errors: { local: string; localPort: number; remote: string; remotePort: number; error: TcpIcmpError; mtu: number }[] = [];
  onInput: ((flow: TcpFlow, bytes: Uint8Array, offset: number, length: number) => void) | null = null;

  input(flow: TcpFlow, bytes: Uint8Array, offset: number, length: number, segments: number): void {
    this.segments.push({
      family: flow.family,
      local: addrText(flow.localAddress),
      localPort: flow.localPort,
      remote: addrText(flow.remoteAddress),
      remotePort: flow.remotePort,
      bytes: bytes.slice(offset, offset + length),
      segments,
    });
    this.onInput?.(flow, bytes, offset, length);
  }

  icmpError(flow: TcpFlow, error: TcpIcmpError, mtu: number): void {
    this.errors.push({ local: addrText(flow.localAddress), localPort: flow.localPort, remote: addrText(flow.remoteAddress), remotePort: flow.remotePort, error, mtu });
  }
}

/** Copies a flow (the host's receive flows are only valid during the call). */
export function copyFlow(f: TcpFlow): TcpFlow {
  return { family: f.family, localAddress: f.localAddress.slice(), localPort: f.localPort, remoteAddress: f.remoteAddress.slice(), remotePort: f.remotePort };
}

export function flow4(local: string, localPort: number, remote: string, remotePort: number): TcpFlow {
  const b = (t: string): Uint8Array => Uint8Array.from(t.split('.').map(Number));
  return { family: 4, localAddress: b(local), localPort, remoteAddress: b(remote), remotePort };
}

export function flow6(local: string, localPort: number, remote: string, remotePort: number): TcpFlow {
  return { family: 6, localAddress: ipv6(local), localPort, remoteAddress: ipv6(remote), remotePort };
}

/** Sends one segment through `host`: a 20-byte header (checksum 0) and `payload`. False when allocate failed. */
export function sendSegment(host: TcpHost, flow: TcpFlow, o: { seq: number; ack?: number; flags: number; payload?: Uint8Array; mss?: number }): boolean {
  const payload = o.payload ?? new Uint8Array(0);
  const len = 20 + payload.length;
  const buf = host.allocate(flow, len);
  if (buf === null) return false;
  const v = new TcpView().bind(buf.bytes as Uint8Array, buf.offset);
  v.srcPort = flow.localPort;
  v.dstPort = flow.remotePort;
  v.seqNumber = o.seq;
  v.ackNumber = o.ack ?? 0;
  (buf.bytes as Uint8Array)[buf.offset + 12] = 5 << 4;
  v.flags = o.flags;
  v.windowSize = 65535;
  v.checksum = 0;
  v.urgentPointer = 0;
  (buf.bytes as Uint8Array).set(payload, buf.offset + 20);
  host.transmit(flow, buf, len, 20, o.mss ?? 0);
  return true;
}
