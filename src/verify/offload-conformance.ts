/**
 * The offload conformance battery (offload digest §1.4–1.7, §2.1–2.4, §4, "Test vectors"): drives a
 * miniport — or an intermediate driver's virtual miniport — through a real NDIS stack from a protocol
 * bound to it (tsndis.raw) and checks what reaches the wire (a peer binding on the same segment) and
 * what comes back up, against the rules:
 *
 *   config     every OID_TCP_OFFLOAD_PARAMETERS set of a walk (each checksum value 1–4, LSO and RSC on/off,
 *              NO_CHANGE fields, an offload the hardware lacks, an invalid value): the status, the current
 *              configuration (OID_TCP_OFFLOAD_CURRENT_CONFIG), the NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG
 *              the protocol was given, and that per-packet behaviour follows (§1.4, §1.5);
 *   checksum   transmit: every combination of the §2.1 flags (IsIPv4/IsIPv6, TcpChecksum/UdpChecksum/
 *              IpHeaderChecksum, TcpHeaderOffset right, absent or wrong) on TCP/UDP over IPv4/IPv6 — the
 *              miniport computes exactly what was asked for, enabled and agrees with the frame, and leaves
 *              everything else as it was (or fails the NBL); UDP 0 → 0xFFFF (§2.2). Receive: good and
 *              corrupted frames; Succeeded/Failed only for enabled offloads, exclusive, and true (§2.1, §2.2);
 *   lsoV2      §2.4 segmentation (the worked example with the 0x7FFF IP ID wrap, IPv6, IPv4 options, TCP
 *              timestamps replicated) and the completion info (§2.3); refusals: MSS over the MTU, fewer
 *              segments than MinSegmentCount, more than MaxOffLoadSize, headers not in the first MDL;
 *   lsoV1      the same rules with a 16-bit IP ID and the TcpPayload written back — when offered;
 *   uso        per-datagram length, checksum and IP ID, MSS — when offered (NDIS 6.83 UDP segmentation);
 *   rsc        what the miniport coalesces (§4.4, §4.5): one NET_BUFFER, IP/TCP checksum Succeeded, the
 *              header fields finalised, CoalescedSegCount = data segments, DupAckCount 0 — when enabled.
 *
 * The battery reads the capabilities and the current configuration and runs each family only where it
 * is offered ("not offered" otherwise). Every failure names the rule (digest section), the target and the
 * frame. Each probe is bounded in time; the whole battery takes well under a few seconds per target on
 * the in-process wire.
 */
import type { RawBinding } from '../drivers/protocol/raw/index.js';
import {
  CHECKSUM_RX_IP_CHECKSUM_FAILED,
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID,
  CHECKSUM_RX_TCP_CHECKSUM_FAILED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID,
  CHECKSUM_RX_UDP_CHECKSUM_FAILED,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  LSO_V2_TRANSMIT_COMPLETE,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  NdisOidRequest,
  OID_TCP_OFFLOAD_CURRENT_CONFIG,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  OID_TCP_OFFLOAD_PARAMETERS,
  checksumTxValue,
  lsoTransmitValue,
  lsoType,
  lsoV1TcpPayload,
  offloadCurrentConfigCodec,
  offloadEncapsulationCodec,
  offloadHardwareCapabilitiesCodec,
  offloadParametersCodec,
  rscCoalescedSegCount,
  rscDupAckCount,
  statusName,
  type NdisOffload,
  type NdisOffloadParameters,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBufferList,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  usoTransmitValue,
  type UdpSegmentationOffload,
} from '../ndis/index.js';
import { onesComplementSum } from '../wire/checksum.js';
import {
  ETH_LEN,
  PROBE_PORT_BASE,
  PROTO_TCP,
  PROTO_UDP,
  TCP_ACK,
  TCP_CWR,
  TCP_FIN,
  TCP_PSH,
  type ProbeFrameSpec,
  checksumOffloadForm,
  frameHex,
  get16,
  get32,
  l4ChecksumAt,
  largeSendForm,
  pattern,
  probeFrame,
  probeLayout,
  pseudoSum,
  put16,
  timestampOption,
  zeroChecksumUdp,
} from './offload-frames.js';

// =====================================================================================================
// Public types

export type OffloadFamily = 'config' | 'checksum' | 'lsoV2' | 'lsoV1' | 'uso' | 'rsc';
export const OFFLOAD_FAMILIES: readonly OffloadFamily[] = ['checksum', 'lsoV2', 'lsoV1', 'uso', 'rsc', 'config'];

/** One broken rule: which (digest section), where, and the frame involved. */
export interface OffloadConformanceFailure {
  readonly family: OffloadFamily;
  /** The rule, as its digest section and a few words (e.g. "§2.4 rule 5: PSH/FIN only on the last segment"). */
  readonly rule: string;
  /** The miniport / stack the battery ran against. */
  readonly target: string;
  /** What was sent or asked, and what happened. */
  readonly detail: string;
  /** The frame involved (hex, truncated), or '' when none. */
  readonly frame: string;
}

export interface OffloadFamilyResult {
  readonly family: OffloadFamily;
  readonly status: 'pass' | 'fail' | 'not-offered';
  /** Not offered: why (e.g. "LSOv1 is not in the current configuration"); partial runs: what was left out. */
  readonly note?: string;
  /** Probes sent or requests made. */
  readonly probes: number;
}

export interface OffloadConformanceReport {
  readonly target: string;
  readonly families: readonly OffloadFamilyResult[];
  readonly failures: readonly OffloadConformanceFailure[];
  readonly ok: boolean;
}

/**
 * What the battery drives: a raw binding at the top of the stack under test, and one on a peer of the
 * same segment that sees what reaches the wire (without offloads of its own, so it neither coalesces
 * nor validates) — or null, when nothing observes the wire (then only statuses and completions are
 * checked and the report says so).
 */
export interface OffloadConformanceTarget {
  readonly name: string;
  readonly dut: RawBinding;
  readonly peer: RawBinding | null;
  /** Families to run (default all). */
  readonly families?: readonly OffloadFamily[];
  readonly signal?: AbortSignal;
}

/** The USO capability of an NDIS_OFFLOAD (revision 6+), or null when it has none. */
function usoOf(o: NdisOffload): UdpSegmentationOffload | null {
  return o.uso ?? null;
}

// =====================================================================================================
// The probe machinery

interface Completion {
  status: NdisStatus;
  lso: number;
}

interface Captured {
  frame: Uint8Array;
  checksumInfo: number;
  rscInfo: number;
  netBuffers: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The probe id of a captured frame (its transport source port), or -1. */
function probeIdOf(f: Uint8Array): number {
  let eth = ETH_LEN;
  let type = f.length >= 14 ? get16(f, 12) : 0;
  if (type === 0x8100 && f.length >= 18) {
    type = get16(f, 16);
    eth += 4;
  }
  let l4: number;
  let proto: number;
  if (type === 0x0800 && f.length >= eth + 20) {
    l4 = eth + (f[eth]! & 0x0f) * 4;
    proto = f[eth + 9]!;
  } else if (type === 0x86dd && f.length >= eth + 40) {
    l4 = eth + 40;
    proto = f[eth + 6]!;
  } else {
    return -1;
  }
  if ((proto !== PROTO_TCP && proto !== PROTO_UDP) || f.length < l4 + 4) return -1;
  const id = get16(f, l4) - PROBE_PORT_BASE;
  return id >= 0 && id < 0x1000 ? id : -1;
}

class Prober {
  readonly failures: OffloadConformanceFailure[] = [];
  readonly statuses: NdisStatusIndication[] = [];
  readonly completions = new Map<number, Completion>();
  /** Frames the peer received, by probe id. */
  readonly atPeer = new Map<number, Captured[]>();
  /** Frames the dut received, by probe id. */
  readonly atDut = new Map<number, Captured[]>();
  #nextId = 1;
  readonly #split = new Map<NetBufferList, number>();
  family: OffloadFamily = 'config';
  probes = 0;

  constructor(readonly t: OffloadConformanceTarget) {}

  install(): void {
    const { dut, peer } = this.t;
    dut.statusHandler = (ind) => this.statuses.push(ind);
    dut.sendCompleteHandler = (nbls) => {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        const id = nbl.protocolReserved[0] as number;
        this.completions.set(id, { status: nbl.status, lso: nbl.info.tcpLargeSend });
        const split = this.#split.get(nbl);
        if (split !== undefined) {
          nbl.firstNetBuffer!.advance(split);
          this.#split.delete(nbl);
        }
        nbl.protocolReserved[0] = null;
      }
      dut.freeChain(nbls);
    };
    dut.receiveHandler = (nbls) => this.#capture(nbls, this.atDut);
    if (peer !== null) peer.receiveHandler = (nbls) => this.#capture(nbls, this.atPeer);
  }

  uninstall(): void {
    const { dut, peer } = this.t;
    dut.statusHandler = null;
    dut.sendCompleteHandler = null;
    dut.receiveHandler = null;
    if (peer !== null) peer.receiveHandler = null;
  }

  #capture(nbls: NetBufferList, into: Map<number, Captured[]>): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer;
      if (nb === null) continue;
      let count = 0;
      for (let x: typeof nb | null = nb; x !== null; x = x.next) count++;
      const frame = new Uint8Array(nb.dataLength);
      nb.copyOut(frame, 0, 0, nb.dataLength);
      const id = probeIdOf(frame);
      if (id < 0) continue;
      let list = into.get(id);
      if (list === undefined) {
        list = [];
        into.set(id, list);
      }
      list.push({ frame, checksumInfo: nbl.info.tcpIpChecksum, rscInfo: nbl.info.tcpRecvSegCoalesceInfo, netBuffers: count });
    }
  }

  newId(): number {
    const id = this.#nextId++;
    if (id >= 0x1000) throw new Error('offload battery: more than 4095 probes');
    return id;
  }

  fail(rule: string, detail: string, frame: Uint8Array | null = null): void {
    this.failures.push({ family: this.family, rule, target: this.t.name, detail, frame: frame === null ? '' : frameHex(frame) });
  }

  /**
   * Sends `frame` from the dut with the given NBL info; `splitAt` > 0 puts the first `splitAt` bytes in
   * an MDL of their own. False when the binding could not send (not running, out of NBLs).
   */
  send(id: number, frame: Uint8Array, info: { checksum?: number; lso?: number; uso?: number }, splitAt = 0): boolean {
    const dut = this.t.dut;
    const nbl = dut.allocate(splitAt > 0 ? frame.subarray(splitAt) : frame);
    if (nbl === null) return false;
    const nb = nbl.firstNetBuffer!;
    if (splitAt > 0) {
      // The headers' first bytes in an MDL of their own (the raw binding's buffers have no backfill here).
      if (nb.dataOffset !== 0 || nb.retreat(splitAt) !== NDIS_STATUS_SUCCESS) {
        dut.freeChain(nbl);
        return false;
      }
      nb.copyIn(frame, 0, splitAt, 0);
      this.#split.set(nbl, splitAt);
    }
    nbl.info.tcpIpChecksum = info.checksum ?? 0;
    nbl.info.tcpLargeSend = info.lso ?? 0;
    nbl.info.udpSegmentationOffloadInfo = info.uso ?? 0;
    nbl.protocolReserved[0] = id;
    this.probes++;
    dut.sendChain(nbl, 1);
    return true;
  }

  /** Sends from the peer (no info unless given). */
  peerSend(frame: Uint8Array, checksum = 0): boolean {
    const peer = this.t.peer;
    if (peer === null) return false;
    this.probes++;
    return peer.send(frame, checksum === 0 ? undefined : { tcpIpChecksum: checksum });
  }

  /** Waits until `done()` or `ms` passed, then a few more turns for stragglers. */
  async settle(done: () => boolean, ms = 400): Promise<void> {
    const until = performance.now() + ms;
    while (!done() && performance.now() < until) {
      if (this.t.signal?.aborted === true) throw this.t.signal.reason as Error;
      await sleep(1);
    }
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }

  async oid(r: NdisOidRequest): Promise<NdisStatus> {
    return (await this.t.dut.oid(r)) >>> 0;
  }

  async current(): Promise<NdisOffload | null> {
    const q = NdisOidRequest.query(OID_TCP_OFFLOAD_CURRENT_CONFIG, 1024);
    if ((await this.oid(q)) !== NDIS_STATUS_SUCCESS) return null;
    return q.queryResult(offloadCurrentConfigCodec) ?? null;
  }

  async hardware(): Promise<NdisOffload | null> {
    const q = NdisOidRequest.query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, 1024);
    if ((await this.oid(q)) !== NDIS_STATUS_SUCCESS) return null;
    return q.queryResult(offloadHardwareCapabilitiesCodec) ?? null;
  }
}

// =====================================================================================================
// Offload state as the battery models it

interface Enabled {
  tx4: { ip: boolean; tcp: boolean; udp: boolean };
  rx4: { ip: boolean; tcp: boolean; udp: boolean };
  tx6: { tcp: boolean; udp: boolean };
  rx6: { tcp: boolean; udp: boolean };
  lso4: boolean;
  lso6: boolean;
  lsoV1: boolean;
  rsc4: boolean;
  rsc6: boolean;
}

function enabled(o: NdisOffload): Enabled {
  const c = o.checksum;
  const on = (d: { encapsulation: number }) => d.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED;
  return {
    tx4: { ip: on(c.ipv4Transmit) && c.ipv4Transmit.ipChecksum, tcp: on(c.ipv4Transmit) && c.ipv4Transmit.tcpChecksum, udp: on(c.ipv4Transmit) && c.ipv4Transmit.udpChecksum },
    rx4: { ip: on(c.ipv4Receive) && c.ipv4Receive.ipChecksum, tcp: on(c.ipv4Receive) && c.ipv4Receive.tcpChecksum, udp: on(c.ipv4Receive) && c.ipv4Receive.udpChecksum },
    tx6: { tcp: on(c.ipv6Transmit) && c.ipv6Transmit.tcpChecksum, udp: on(c.ipv6Transmit) && c.ipv6Transmit.udpChecksum },
    rx6: { tcp: on(c.ipv6Receive) && c.ipv6Receive.tcpChecksum, udp: on(c.ipv6Receive) && c.ipv6Receive.udpChecksum },
    lso4: on(o.lsoV2.ipv4),
    lso6: on(o.lsoV2.ipv6),
    lsoV1: on(o.lsoV1.ipv4),
    rsc4: o.rsc.ipv4Enabled,
    rsc6: o.rsc.ipv6Enabled,
  };
}

function describe(e: Enabled): string {
  const d = (x: Record<string, boolean>) => Object.entries(x).filter(([, v]) => v).map(([k]) => k).join('+') || '-';
  return `tx4 ${d(e.tx4)}, rx4 ${d(e.rx4)}, tx6 ${d(e.tx6)}, rx6 ${d(e.rx6)}, lsoV2 ${e.lso4 ? '4' : ''}${e.lso6 ? '6' : ''}${e.lso4 || e.lso6 ? '' : '-'}, lsoV1 ${e.lsoV1 ? 'on' : '-'}, rsc ${e.rsc4 ? '4' : ''}${e.rsc6 ? '6' : ''}${e.rsc4 || e.rsc6 ? '' : '-'}`;
}

/** Every flag of `a` is within `b` (the current configuration never exceeds the hardware). */
function within(a: Enabled, b: Enabled): boolean {
  const sub = (x: Record<string, boolean>, y: Record<string, boolean>) => Object.keys(x).every((k) => !x[k] || y[k]);
  return sub(a.tx4, b.tx4) && sub(a.rx4, b.rx4) && sub(a.tx6, b.tx6) && sub(a.rx6, b.rx6) && (!a.lso4 || b.lso4) && (!a.lso6 || b.lso6) && (!a.lsoV1 || b.lsoV1) && (!a.rsc4 || b.rsc4) && (!a.rsc6 || b.rsc6);
}

/** What §1.4 says the current configuration becomes after `p` (values the battery sends are all valid). */
function expectAfter(prev: Enabled, hw: Enabled, p: NdisOffloadParameters): Enabled {
  const cs = (v: number, cur: [boolean, boolean], hwTx: boolean, hwRx: boolean): [boolean, boolean] =>
    v >= 1 && v <= 4 ? [(v === 2 || v === 4) && hwTx, (v === 3 || v === 4) && hwRx] : cur;
  const [ip4t, ip4r] = cs(p.ipv4Checksum, [prev.tx4.ip, prev.rx4.ip], hw.tx4.ip, hw.rx4.ip);
  const [tcp4t, tcp4r] = cs(p.tcpIpv4Checksum, [prev.tx4.tcp, prev.rx4.tcp], hw.tx4.tcp, hw.rx4.tcp);
  const [udp4t, udp4r] = cs(p.udpIpv4Checksum, [prev.tx4.udp, prev.rx4.udp], hw.tx4.udp, hw.rx4.udp);
  const [tcp6t, tcp6r] = cs(p.tcpIpv6Checksum, [prev.tx6.tcp, prev.rx6.tcp], hw.tx6.tcp, hw.rx6.tcp);
  const [udp6t, udp6r] = cs(p.udpIpv6Checksum, [prev.tx6.udp, prev.rx6.udp], hw.tx6.udp, hw.rx6.udp);
  const bin = (v: number, cur: boolean, h: boolean) => (v === 1 ? false : v === 2 ? h : cur);
  return {
    tx4: { ip: ip4t, tcp: tcp4t, udp: udp4t },
    rx4: { ip: ip4r, tcp: tcp4r, udp: udp4r },
    tx6: { tcp: tcp6t, udp: udp6t },
    rx6: { tcp: tcp6r, udp: udp6r },
    lso4: bin(p.lsoV2IPv4, prev.lso4, hw.lso4),
    lso6: bin(p.lsoV2IPv6, prev.lso6, hw.lso6),
    lsoV1: bin(p.lsoV1, prev.lsoV1, hw.lsoV1),
    rsc4: bin(p.rscIPv4, prev.rsc4, hw.rsc4),
    rsc6: bin(p.rscIPv6, prev.rsc6, hw.rsc6),
  };
}

function allOn(): NdisOffloadParameters {
  return { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, ipv4Checksum: 4, tcpIpv4Checksum: 4, udpIpv4Checksum: 4, tcpIpv6Checksum: 4, udpIpv6Checksum: 4, lsoV2IPv4: 2, lsoV2IPv6: 2, rscIPv4: 2, rscIPv6: 2 };
}

// =====================================================================================================
// Checksum offload (§2.1, §2.2)

interface FrameCase {
  readonly name: string;
  readonly spec: ProbeFrameSpec;
}

function checksumFrames(): FrameCase[] {
  return [
    { name: 'TCP/IPv4', spec: { ip: 4, l4: 'tcp', id: 0, payload: pattern(301, 1), tcpOptions: timestampOption(7, 9) } },
    { name: 'UDP/IPv4', spec: { ip: 4, l4: 'udp', id: 0, payload: pattern(200, 2) } },
    { name: 'TCP/IPv6', spec: { ip: 6, l4: 'tcp', id: 0, payload: pattern(257, 3) } },
    { name: 'UDP/IPv6', spec: { ip: 6, l4: 'udp', id: 0, payload: pattern(120, 4) } },
  ];
}

/** What a miniport must compute for the request `cs` on `spec`'s frame with `e` enabled (§2.1, §2.2). */
function checksumWork(cs: number, offset: number, spec: ProbeFrameSpec, e: Enabled): { ip: boolean; l4: boolean } {
  const v4 = (cs & CHECKSUM_TX_IS_IPV4) !== 0;
  const v6 = (cs & CHECKSUM_TX_IS_IPV6) !== 0;
  // Neither (or both) IP version: no checksum work at all (§2.2); the other version contradicts the frame.
  if (v4 === v6 || (v4 ? 4 : 6) !== spec.ip) return { ip: false, l4: false };
  const tcp = (cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0;
  const udp = (cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0;
  const ip = spec.ip === 4 && (cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0 && e.tx4.ip;
  let l4 = false;
  if (tcp && !udp && spec.l4 === 'tcp') l4 = (offset === 0 || offset === probeLayout(spec).l4) && (spec.ip === 4 ? e.tx4.tcp : e.tx6.tcp);
  if (udp && !tcp && spec.l4 === 'udp') l4 = spec.ip === 4 ? e.tx4.udp : e.tx6.udp;
  return { ip, l4 };
}

function flagsName(cs: number, offset: number): string {
  const n: string[] = [];
  if (cs & CHECKSUM_TX_IS_IPV4) n.push('IsIPv4');
  if (cs & CHECKSUM_TX_IS_IPV6) n.push('IsIPv6');
  if (cs & CHECKSUM_TX_TCP_CHECKSUM) n.push('TcpChecksum');
  if (cs & CHECKSUM_TX_UDP_CHECKSUM) n.push('UdpChecksum');
  if (cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) n.push('IpHeaderChecksum');
  if (offset !== 0) n.push(`TcpHeaderOffset ${offset}`);
  return n.join('|') || 'no flags';
}

interface TxProbe {
  id: number;
  what: string;
  sent: Uint8Array;
  complete: Uint8Array;
  spec: ProbeFrameSpec;
  ip: boolean;
  l4: boolean;
  /** The request asks for work that is not to be done: failing the NBL is allowed. */
  mayFail: boolean;
}

/** Checks one transmit-checksum probe against what arrived. */
function judgeTx(p: Prober, probe: TxProbe, observe: boolean): void {
  const c = p.completions.get(probe.id);
  const got = p.atPeer.get(probe.id) ?? [];
  if (c === undefined) {
    p.fail('§2.2 checksum offload: every send completes', `${probe.what}: the NBL was not completed`, probe.sent);
    return;
  }
  if (c.status !== NDIS_STATUS_SUCCESS) {
    if (!probe.mayFail) p.fail('§2.2 checksum offload: a request the configuration offers is performed', `${probe.what}: completed with ${statusName(c.status)}`, probe.sent);
    else if (got.length > 0) p.fail('§2.2 a failed send puts nothing on the wire', `${probe.what}: failed with ${statusName(c.status)} but ${got.length} frame(s) arrived`, got[0]!.frame);
    return;
  }
  if (!observe) return;
  if (got.length !== 1) {
    p.fail('§2.2 checksum offload: the frame reaches the wire once', `${probe.what}: ${got.length} frames arrived`, probe.sent);
    return;
  }
  const f = got[0]!.frame;
  const s = probe.spec;
  const L = probeLayout(s);
  const ipAt = L.ip + 10;
  const l4At = l4ChecksumAt(s);
  if (f.length !== probe.sent.length) {
    p.fail('§2.2 checksum offload changes nothing but the checksum fields', `${probe.what}: ${f.length} bytes arrived, ${probe.sent.length} sent`, f);
    return;
  }
  for (let i = 0; i < f.length; i++) {
    if (s.ip === 4 && (i === ipAt || i === ipAt + 1)) continue;
    if (i === l4At || i === l4At + 1) continue;
    if (f[i] !== probe.sent[i]) {
      p.fail('§2.2 checksum offload changes nothing but the checksum fields', `${probe.what}: byte ${i} is 0x${f[i]!.toString(16)}, sent 0x${probe.sent[i]!.toString(16)}`, f);
      return;
    }
  }
  if (s.ip === 4) {
    const want = get16(probe.ip ? probe.complete : probe.sent, ipAt);
    if (get16(f, ipAt) !== want) {
      p.fail(
        probe.ip ? '§2.2 IpHeaderChecksum: the NIC computes the IPv4 header checksum' : '§2.1/§2.2 no IP header checksum unless asked, enabled and IsIPv4 on an IPv4 frame',
        `${probe.what}: IPv4 checksum 0x${get16(f, ipAt).toString(16)}, expected 0x${want.toString(16)} (${probe.ip ? 'computed' : 'as sent'})`,
        f,
      );
    }
  }
  const want = get16(probe.l4 ? probe.complete : probe.sent, l4At);
  if (get16(f, l4At) !== want) {
    const zero = s.l4 === 'udp' && probe.l4 && want === 0xffff && get16(f, l4At) === 0;
    p.fail(
      zero ? '§2.2 UDP: a computed checksum of 0 is sent as 0xFFFF'
      : probe.l4 ? '§2.2 the NIC completes the transport checksum from the pseudo-header seed'
      : '§2.1/§2.2 no transport checksum when not enabled or the flags contradict the frame',
      `${probe.what}: ${s.l4.toUpperCase()} checksum 0x${get16(f, l4At).toString(16)}, expected 0x${want.toString(16)} (${probe.l4 ? 'computed' : 'as sent'})`,
      f,
    );
  }
}

async function checksumTxFamily(p: Prober, e: Enabled, observe: boolean): Promise<void> {
  const flagSets: number[] = [];
  for (let f = 0; f < 32; f++) flagSets.push(f);
  const probes: TxProbe[] = [];
  const cases = checksumFrames();
  // The UDP results of 0 (sent as 0xFFFF), both IP versions.
  cases.push({ name: 'UDP/IPv4 (sum 0)', spec: zeroChecksumUdp({ ip: 4, l4: 'udp', id: 0, payload: pattern(64, 5) }) });
  cases.push({ name: 'UDP/IPv6 (sum 0)', spec: zeroChecksumUdp({ ip: 6, l4: 'udp', id: 0, payload: pattern(64, 6) }) });
  for (const fc of cases) {
    const zeroCase = fc.name.includes('sum 0');
    for (const flags of zeroCase ? [CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_UDP_CHECKSUM, CHECKSUM_TX_IS_IPV6 | CHECKSUM_TX_UDP_CHECKSUM] : flagSets) {
      const tcpAsked = (flags & CHECKSUM_TX_TCP_CHECKSUM) !== 0;
      const right = probeLayout(fc.spec).l4;
      for (const offset of tcpAsked ? [0, right, right + 4] : [0]) {
        const id = p.newId();
        const spec = { ...fc.spec, id };
        const complete = probeFrame(spec);
        const l4Asked = (flags & (CHECKSUM_TX_TCP_CHECKSUM | CHECKSUM_TX_UDP_CHECKSUM)) !== 0;
        const ipAsked = (flags & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0;
        const sent = checksumOffloadForm(spec, complete, l4Asked, ipAsked);
        const work = checksumWork(flags, offset, spec, e);
        // Without IsIPv4/IsIPv6 nothing is asked (§2.2: no checksum work, the frame goes as it is);
        // anything else not performed may instead fail the NBL.
        const asked = (flags & (CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IS_IPV6)) !== 0 && (l4Asked || ipAsked);
        const mayFail = asked && ((l4Asked && !work.l4) || (ipAsked && !work.ip));
        probes.push({ id, what: `${fc.name} with ${flagsName(flags, offset)}`, sent, complete, spec, ip: work.ip, l4: work.l4, mayFail });
      }
    }
  }
  // Batches of 32: every NBL of a batch completes before the next goes.
  for (let i = 0; i < probes.length; i += 32) {
    const batch = probes.slice(i, i + 32);
    for (const b of batch) {
      if (!p.send(b.id, b.sent, { checksum: checksumTxValue(flagsOf(b.what), offsetOf(b.what)) })) p.fail('§2.2 checksum offload', `${b.what}: the protocol could not send it`, b.sent);
    }
    await p.settle(() => batch.every((b) => p.completions.has(b.id) && (!observe || p.completions.get(b.id)!.status !== NDIS_STATUS_SUCCESS || (p.atPeer.get(b.id)?.length ?? 0) > 0)));
    for (const b of batch) judgeTx(p, b, observe);
  }
}

// The request words are rebuilt from the probe's description so the probe record stays small.
function flagsOf(what: string): number {
  let f = 0;
  if (what.includes('IsIPv4')) f |= CHECKSUM_TX_IS_IPV4;
  if (what.includes('IsIPv6')) f |= CHECKSUM_TX_IS_IPV6;
  if (what.includes('TcpChecksum')) f |= CHECKSUM_TX_TCP_CHECKSUM;
  if (what.includes('UdpChecksum')) f |= CHECKSUM_TX_UDP_CHECKSUM;
  if (what.includes('IpHeaderChecksum')) f |= CHECKSUM_TX_IP_HEADER_CHECKSUM;
  return f;
}
function offsetOf(what: string): number {
  const m = /TcpHeaderOffset (\d+)/.exec(what);
  return m === null ? 0 : Number(m[1]);
}

/** True when the checksum a received frame carries is right (IP header / transport). */
function validIp(f: Uint8Array): boolean {
  const ihl = (f[ETH_LEN]! & 0x0f) * 4;
  return (onesComplementSum(f, ETH_LEN, ihl) & 0xffff) === 0xffff;
}
function validL4(f: Uint8Array, ipVersion: 4 | 6, proto: number): boolean {
  const l4 = ETH_LEN + (ipVersion === 4 ? (f[ETH_LEN]! & 0x0f) * 4 : 40);
  const len = f.length - l4;
  return (onesComplementSum(f, l4, len, pseudoSum(f, ipVersion, proto, len)) & 0xffff) === 0xffff;
}

/** The receive checksum bits of one indicated frame against the rules (§2.1, §2.2). */
function judgeRxBits(p: Prober, what: string, c: Captured, spec: ProbeFrameSpec, e: Enabled): void {
  const bits = c.checksumInfo;
  const f = c.frame;
  const pairs: [number, number, string, boolean, boolean, boolean][] = [
    // succeeded, failed, name, applies to the frame, enabled, the frame's checksum is valid
    [CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED, CHECKSUM_RX_IP_CHECKSUM_FAILED, 'IP', spec.ip === 4, e.rx4.ip, spec.ip === 4 && validIp(f)],
    [CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED, CHECKSUM_RX_TCP_CHECKSUM_FAILED, 'TCP', spec.l4 === 'tcp', spec.ip === 4 ? e.rx4.tcp : e.rx6.tcp, spec.l4 === 'tcp' && validL4(f, spec.ip, PROTO_TCP)],
    [CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED, CHECKSUM_RX_UDP_CHECKSUM_FAILED, 'UDP', spec.l4 === 'udp', spec.ip === 4 ? e.rx4.udp : e.rx6.udp, spec.l4 === 'udp' && validL4(f, spec.ip, PROTO_UDP)],
  ];
  for (const [ok, bad, name, applies, on, valid] of pairs) {
    const s = (bits & ok) !== 0;
    const x = (bits & bad) !== 0;
    if (!s && !x) continue;
    const hex = `0x${bits.toString(16)}`;
    if (s && x) p.fail('§2.2 receive: exactly one of Failed/Succeeded per validated checksum', `${what}: ${name} Failed and Succeeded both set (${hex})`, f);
    else if (!applies) p.fail('§2.1 receive: checksum bits only for the frame\'s own protocols', `${what}: ${name} ${s ? 'Succeeded' : 'Failed'} on a frame without ${name === 'IP' ? 'an IPv4 header' : name} (${hex})`, f);
    else if (!on) p.fail('§2.2 receive: checksum bits only for enabled receive offloads', `${what}: ${name} ${s ? 'Succeeded' : 'Failed'} while ${name} receive checksum offload is off (${hex})`, f);
    else if (s && !valid && !(name === 'TCP' && (bits & CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID) !== 0) && !(name === 'IP' && (bits & CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID) !== 0)) {
      p.fail('§2.2 receive: Succeeded only for a correct checksum', `${what}: ${name} Succeeded on a frame whose ${name} checksum is wrong (${hex})`, f);
    } else if (x && valid) p.fail('§2.2 receive: Failed only for a wrong checksum', `${what}: ${name} Failed on a frame whose ${name} checksum is right (${hex})`, f);
  }
}

async function checksumRxFamily(p: Prober, e: Enabled, peerTx: Enabled): Promise<void> {
  interface RxProbe {
    id: number;
    what: string;
    spec: ProbeFrameSpec;
    frame: Uint8Array;
  }
  const probes: RxProbe[] = [];
  const send = (what: string, spec: ProbeFrameSpec, frame: Uint8Array, cs: number) => {
    probes.push({ id: spec.id, what, spec, frame });
    if (!p.peerSend(frame, cs)) p.fail('§2.2 receive', `${what}: the peer could not send it`, frame);
  };
  for (const fc of checksumFrames()) {
    for (const corrupt of ['good', 'bad transport checksum', 'bad IPv4 header checksum'] as const) {
      if (corrupt === 'bad IPv4 header checksum' && fc.spec.ip !== 4) continue;
      // Plain frames (the peer offloads nothing).
      const id = p.newId();
      const spec = { ...fc.spec, id };
      const f = probeFrame(spec);
      if (corrupt === 'bad transport checksum') put16(f, l4ChecksumAt(spec), get16(f, l4ChecksumAt(spec)) ^ 0x0101);
      if (corrupt === 'bad IPv4 header checksum') put16(f, ETH_LEN + 10, get16(f, ETH_LEN + 10) ^ 0x0101);
      send(`${fc.name}, ${corrupt}, sent complete`, spec, f, 0);
      // The same with the peer's transmit checksum offload for the transport (where it offers it): a bad
      // IPv4 header the peer was not asked to fix must not be reported Succeeded.
      const peerOffers = fc.spec.ip === 4 ? (fc.spec.l4 === 'tcp' ? peerTx.tx4.tcp : peerTx.tx4.udp) : fc.spec.l4 === 'tcp' ? peerTx.tx6.tcp : peerTx.tx6.udp;
      if (corrupt !== 'bad transport checksum' && peerOffers) {
        const id2 = p.newId();
        const spec2 = { ...fc.spec, id: id2 };
        const g = checksumOffloadForm(spec2, probeFrame(spec2), true, false);
        if (corrupt === 'bad IPv4 header checksum') put16(g, ETH_LEN + 10, get16(g, ETH_LEN + 10) ^ 0x0101);
        const cs = (fc.spec.ip === 4 ? CHECKSUM_TX_IS_IPV4 : CHECKSUM_TX_IS_IPV6) | (fc.spec.l4 === 'tcp' ? CHECKSUM_TX_TCP_CHECKSUM : CHECKSUM_TX_UDP_CHECKSUM);
        send(`${fc.name}, ${corrupt}, transport checksum offloaded by the sender`, spec2, g, cs);
      }
    }
  }
  await p.settle(() => probes.every((x) => (p.atDut.get(x.id)?.length ?? 0) > 0));
  for (const x of probes) {
    const got = p.atDut.get(x.id) ?? [];
    if (got.length === 0) {
      // §2.2: a receive-validating NIC indicates bad frames with the Failed bit; it never drops them.
      p.fail('§2.2 receive: frames with bad checksums are indicated, not dropped', `${x.what}: not indicated`, x.frame);
      continue;
    }
    for (const c of got) judgeRxBits(p, x.what, c, x.spec, e);
  }
}

// =====================================================================================================
// LSO (§2.3, §2.4) and USO

interface LsoVector {
  readonly name: string;
  readonly spec: ProbeFrameSpec;
  readonly mss: number;
  readonly v1: boolean;
}

/** Checks the segments of one large send against §2.4 (rules 1–6, 8) and returns false on the first failure. */
function judgeSegments(p: Prober, v: LsoVector, complete: Uint8Array, segs: Captured[]): boolean {
  const s = v.spec;
  const L = probeLayout(s);
  const payload = complete.length - L.payload;
  const count = Math.max(1, Math.ceil(payload / v.mss));
  const what = `${v.name} (${v.v1 ? 'LSOv1' : 'LSOv2'}, MSS ${v.mss}, ${payload} B)`;
  if (segs.length !== count) {
    p.fail('§2.4 rule 1: the payload is cut into MSS-sized segments, only the last shorter', `${what}: ${segs.length} segments arrived, ${count} expected`, segs[0]?.frame ?? complete);
    return false;
  }
  // Wire order is send order (rule 7); sort by sequence number anyway so a reordering wire is not blamed.
  const ordered = [...segs].sort((a, b) => get32(a.frame, L.l4 + 4) - get32(b.frame, L.l4 + 4));
  const seq0 = get32(complete, L.l4 + 4);
  const id0 = s.ip === 4 ? get16(complete, L.ip + 4) : 0;
  const flags0 = complete[L.l4 + 13]!;
  for (let i = 0; i < count; i++) {
    const f = ordered[i]!.frame;
    const chunk = Math.min(v.mss, payload - i * v.mss);
    const at = `${what}, segment ${i + 1}/${count}`;
    if (f.length !== L.payload + chunk) {
      p.fail('§2.4 rule 1: segment payload = MSS (the last: the rest)', `${at}: ${f.length - L.payload} payload bytes, expected ${chunk}`, f);
      return false;
    }
    // Headers replicated: everything but the per-segment fields equals the template (rule 2: options unchanged, timestamps not advanced).
    const perSegment = new Set<number>();
    if (s.ip === 4) for (const o of [2, 3, 4, 5, 10, 11]) perSegment.add(L.ip + o);
    else for (const o of [4, 5]) perSegment.add(L.ip + o);
    for (const o of [4, 5, 6, 7, 13, 16, 17]) perSegment.add(L.l4 + o);
    for (let b = 0; b < L.payload; b++) {
      if (perSegment.has(b)) continue;
      if (f[b] !== complete[b]) {
        p.fail('§2.4 rule 2: MAC, IP and TCP headers (with options) replicated unchanged', `${at}: header byte ${b} is 0x${f[b]!.toString(16)}, the template's 0x${complete[b]!.toString(16)}`, f);
        return false;
      }
    }
    for (let b = 0; b < chunk; b++) {
      if (f[L.payload + b] !== complete[L.payload + i * v.mss + b]) {
        p.fail('§2.4 rule 1: each segment carries its slice of the payload', `${at}: payload byte ${b} differs`, f);
        return false;
      }
    }
    const ipLen = s.ip === 4 ? get16(f, L.ip + 2) : get16(f, L.ip + 4);
    const wantLen = s.ip === 4 ? f.length - L.ip : f.length - L.ip - 40;
    if (ipLen !== wantLen) p.fail('§2.4 rule 3: IP total length / payload length per segment', `${at}: ${ipLen}, expected ${wantLen}`, f);
    if (s.ip === 4) {
      const want = i === 0 ? id0 : v.v1 ? (id0 + i) & 0xffff : (id0 + i) & 0x7fff;
      if (get16(f, L.ip + 4) !== want) {
        p.fail(v.v1 ? '§2.4 rule 4: IP ID +1 per segment (16 bits)' : '§2.4 rule 4: IP ID +1 per segment within 0x0000–0x7FFF (LSOv2 wraps 0x7FFF → 0x0000)', `${at}: IP ID 0x${get16(f, L.ip + 4).toString(16)}, expected 0x${want.toString(16)}`, f);
      }
      if (!validIp(f)) p.fail('§2.4 rule 3: IPv4 header checksum recomputed per segment', `${at}: bad IPv4 header checksum`, f);
    }
    const seq = get32(f, L.l4 + 4);
    if (seq !== ((seq0 + i * v.mss) >>> 0)) p.fail('§2.4 rule 3: sequence number = template + offset', `${at}: seq ${seq}, expected ${(seq0 + i * v.mss) >>> 0}`, f);
    const last = i === count - 1;
    const fl = f[L.l4 + 13]!;
    const want = (flags0 & ~(last ? 0 : TCP_PSH | TCP_FIN) & ~(i === 0 ? 0 : TCP_CWR)) & 0xff;
    if (fl !== want) {
      const rule = (fl ^ want) & (TCP_PSH | TCP_FIN) ? '§2.4 rule 5: FIN and PSH only on the last segment' : '§2.4 rule 5: CWR only on the first segment';
      p.fail(rule, `${at}: flags 0x${fl.toString(16)}, expected 0x${want.toString(16)}`, f);
    }
    if (!validL4(f, s.ip, PROTO_TCP)) p.fail('§2.4 rule 3: TCP checksum = seed + segment length + header + payload', `${at}: bad TCP checksum`, f);
  }
  return true;
}

function lsoVectors(v1: boolean, e: Enabled, mtuPayload: number): LsoVector[] {
  const ts = timestampOption(0x01020304, 0x0a0b0c0d);
  const out: LsoVector[] = [];
  if (v1 ? e.lsoV1 : e.lso4) {
    // The §2.4 worked example: MSS 1460, 4000 B, IP ID 0x7FFE, ACK|PSH|FIN (and CWR: first segment only).
    out.push({ name: 'worked example', v1, mss: 1460, spec: { ip: 4, l4: 'tcp', id: 0, payload: pattern(4000, 11), ipId: 0x7ffe, seq: 0xfffff000, flags: TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR } });
    out.push({ name: 'IP ID 0xFFFE, timestamps', v1, mss: 1000, spec: { ip: 4, l4: 'tcp', id: 0, payload: pattern(2500, 12), ipId: 0xfffe, tcpOptions: ts, flags: TCP_ACK | TCP_PSH } });
    out.push({ name: 'payload a multiple of MSS, IPv4 options', v1, mss: 1200, spec: { ip: 4, l4: 'tcp', id: 0, payload: pattern(3600, 13), ipOptions: Uint8Array.of(1, 1, 1, 0), flags: TCP_ACK } });
  }
  if (!v1 && e.lso6) {
    out.push({ name: 'IPv6, timestamps', v1, mss: Math.min(1400, mtuPayload - 72), spec: { ip: 6, l4: 'tcp', id: 0, payload: pattern(3000, 14), tcpOptions: ts, flags: TCP_ACK | TCP_PSH | TCP_FIN } });
  }
  return out;
}

async function lsoFamily(p: Prober, v1: boolean, cur: NdisOffload, e: Enabled, observe: boolean, mtu: number): Promise<void> {
  const vectors = lsoVectors(v1, e, mtu);
  const sent: { v: LsoVector; id: number; complete: Uint8Array; frame: Uint8Array }[] = [];
  for (const v of vectors) {
    const id = p.newId();
    const spec = { ...v.spec, id };
    const complete = probeFrame(spec);
    const frame = largeSendForm(spec, complete, v.v1);
    const L = probeLayout(spec);
    const lso = lsoTransmitValue(v.v1 ? NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE : NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, v.mss, L.l4, spec.ip === 6 ? NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 : NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4);
    sent.push({ v: { ...v, spec }, id, complete, frame });
    if (!p.send(id, frame, { lso })) p.fail('§2.4 LSO', `${v.name}: the protocol could not send it`, frame);
  }
  await p.settle(() => sent.every((x) => p.completions.has(x.id) && (!observe || (p.atPeer.get(x.id)?.length ?? 0) >= Math.ceil((x.complete.length - probeLayout(x.v.spec).payload) / x.v.mss))));
  for (const x of sent) {
    const c = p.completions.get(x.id);
    const payload = x.complete.length - probeLayout(x.v.spec).payload;
    const what = `${x.v.name} (${v1 ? 'LSOv1' : 'LSOv2'})`;
    if (c === undefined) {
      p.fail('§2.4 every LSO send completes', `${what}: not completed`, x.frame);
      continue;
    }
    if (c.status !== NDIS_STATUS_SUCCESS) {
      p.fail('§2.4 an LSO send within the offered limits is performed', `${what}: completed with ${statusName(c.status)}`, x.frame);
      continue;
    }
    if (v1) {
      if (lsoType(c.lso) !== NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE || lsoV1TcpPayload(c.lso) !== payload) {
        p.fail('§2.3 LSOv1 completion: TcpPayload = TCP payload bytes sent, Type 0', `${what}: completion info 0x${c.lso.toString(16)}, expected TcpPayload ${payload}`, x.frame);
      }
    } else if (c.lso >>> 0 !== LSO_V2_TRANSMIT_COMPLETE) {
      p.fail('§2.3 LSOv2 completion: Reserved 0, Type V2 (0x40000000)', `${what}: completion info 0x${(c.lso >>> 0).toString(16)}`, x.frame);
    }
    if (observe) judgeSegments(p, x.v, x.complete, p.atPeer.get(x.id) ?? []);
  }
  if (!v1 && e.lso4) await lsoRefusals(p, cur, mtu);
}

/** Large sends the spec refuses: each must fail (an error status) with nothing on the wire. */
async function lsoRefusals(p: Prober, cur: NdisOffload, mtu: number): Promise<void> {
  const fam = cur.lsoV2.ipv4;
  const hdr = 20 + 20;
  const cases: { rule: string; what: string; mss: number; payload: number; split: number }[] = [
    { rule: '§2.4 MSS larger than the MTU allows', what: `MSS ${mtu - hdr + 100} over an MTU of ${mtu}`, mss: mtu - hdr + 100, payload: 2 * (mtu - hdr + 100), split: 0 },
    { rule: '§2.4 rule 8: at least MinSegmentCount segments', what: `one segment's worth (MinSegmentCount ${fam.minSegmentCount})`, mss: 1000, payload: 500, split: 0 },
    { rule: '§2.4 at most MaxOffLoadSize bytes of payload', what: `${fam.maxOffLoadSize + 100} bytes (MaxOffLoadSize ${fam.maxOffLoadSize})`, mss: 1400, payload: fam.maxOffLoadSize + 100, split: 0 },
    { rule: '§2.4 all headers in the first MDL', what: 'headers split after the Ethernet header', mss: 1000, payload: 3000, split: ETH_LEN },
  ];
  const ids: { id: number; rule: string; what: string; frame: Uint8Array }[] = [];
  for (const c of cases) {
    if (c.rule.includes('MinSegmentCount') && fam.minSegmentCount < 2) continue;
    if (c.payload + hdr + ETH_LEN > 0xffff) continue;
    const id = p.newId();
    const spec: ProbeFrameSpec = { ip: 4, l4: 'tcp', id, payload: pattern(c.payload, id), flags: TCP_ACK };
    const frame = largeSendForm(spec, probeFrame(spec), false);
    const lso = lsoTransmitValue(NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, c.mss, probeLayout(spec).l4, NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4);
    if (!p.send(id, frame, { lso }, c.split)) {
      if (c.split === 0) p.fail(c.rule, `${c.what}: the protocol could not send it`, frame);
      continue;
    }
    ids.push({ id, rule: c.rule, what: c.what, frame });
  }
  await p.settle(() => ids.every((x) => p.completions.has(x.id)));
  for (const x of ids) {
    const c = p.completions.get(x.id);
    const got = p.atPeer.get(x.id)?.length ?? 0;
    if (c === undefined) p.fail(x.rule, `${x.what}: not completed`, x.frame);
    else if (c.status === NDIS_STATUS_SUCCESS) p.fail(`${x.rule}: refused with an error status`, `${x.what}: completed with NDIS_STATUS_SUCCESS${got > 0 ? `, ${got} frames on the wire` : ' (and nothing on the wire)'}`, x.frame);
    else if (got > 0) p.fail(`${x.rule}: nothing of a refused send reaches the wire`, `${x.what}: failed with ${statusName(c.status)} but ${got} frames arrived`, x.frame);
  }
}

async function usoFamily(p: Prober, uso: UdpSegmentationOffload, observe: boolean): Promise<number> {
  let n = 0;
  const sent: { id: number; spec: ProbeFrameSpec; complete: Uint8Array; frame: Uint8Array; mss: number; what: string }[] = [];
  for (const [v, fam] of [[4, uso.ipv4], [6, uso.ipv6]] as const) {
    if (fam.encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) continue;
    const id = p.newId();
    const mss = 1000;
    const spec: ProbeFrameSpec = { ip: v, l4: 'udp', id, payload: pattern(2500, id), ipId: 0x7ffe };
    const complete = probeFrame(spec);
    const frame = largeSendForm(spec, complete, false);
    put16(frame, probeLayout(spec).l4 + 4, 0);
    n++;
    sent.push({ id, spec, complete, frame, mss, what: `USO IPv${v}, MSS ${mss}, 2500 B` });
    if (!p.send(id, frame, { uso: usoTransmitValue(mss, probeLayout(spec).l4, v === 6 ? NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6 : NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4) })) p.fail('§1.3 USO', `IPv${v}: the protocol could not send it`, frame);
  }
  await p.settle(() => sent.every((x) => p.completions.has(x.id) && (!observe || (p.atPeer.get(x.id)?.length ?? 0) >= 3)));
  for (const x of sent) {
    const c = p.completions.get(x.id);
    if (c === undefined || c.status !== NDIS_STATUS_SUCCESS) {
      p.fail('§1.3 USO: a large UDP send within the offered limits is performed', `${x.what}: ${c === undefined ? 'not completed' : statusName(c.status)}`, x.frame);
      continue;
    }
    if (!observe) continue;
    const L = probeLayout(x.spec);
    const segs = p.atPeer.get(x.id) ?? [];
    const payload = x.complete.length - L.payload;
    const count = Math.ceil(payload / x.mss);
    if (segs.length !== count) {
      p.fail('§1.3 USO: MSS-sized datagrams, only the last shorter', `${x.what}: ${segs.length} datagrams, expected ${count}`, segs[0]?.frame ?? x.frame);
      continue;
    }
    segs.forEach((sg, i) => {
      const f = sg.frame;
      const chunk = Math.min(x.mss, payload - i * x.mss);
      const at = `${x.what}, datagram ${i + 1}/${count}`;
      if (f.length !== L.payload + chunk || get16(f, L.l4 + 4) !== 8 + chunk) p.fail('§1.3 USO: UDP length per datagram', `${at}: ${f.length - L.payload} payload bytes, UDP length ${get16(f, L.l4 + 4)}`, f);
      if (!validL4(f, x.spec.ip, PROTO_UDP)) p.fail('§1.3 USO: UDP checksum per datagram', `${at}: bad UDP checksum`, f);
      if (x.spec.ip === 4) {
        if (!validIp(f)) p.fail('§1.3 USO: IPv4 header checksum per datagram', `${at}: bad IPv4 header checksum`, f);
        const want = (0x7ffe + i) & 0xffff;
        if (get16(f, L.ip + 4) !== want && get16(f, L.ip + 4) !== ((0x7ffe + i) & 0x7fff)) p.fail('§1.3 USO: IP ID +1 per datagram', `${at}: IP ID 0x${get16(f, L.ip + 4).toString(16)}`, f);
      }
    });
  }
  return n;
}

// =====================================================================================================
// RSC (§4.4, §4.5): what the miniport hands up as a coalesced unit

async function rscFamily(p: Prober, e: Enabled, peerE: Enabled): Promise<number> {
  // The only coalescing a tsndis miniport does is of a peer's large send (the wire carries it whole,
  // as veth hands GRO units on); the peer needs LSO for that. Segments sent one by one are also offered
  // and whatever comes up coalesced is checked.
  let n = 0;
  const sent: { id: number; spec: ProbeFrameSpec; complete: Uint8Array; what: string; segments: number }[] = [];
  for (const v of [4, 6] as const) {
    if (!(v === 4 ? e.rsc4 : e.rsc6)) continue;
    const id = p.newId();
    const mss = 1000;
    const spec: ProbeFrameSpec = { ip: v, l4: 'tcp', id, payload: pattern(3500, id), ipId: 10, flags: TCP_ACK | TCP_PSH, tcpOptions: timestampOption(100, 200) };
    const complete = probeFrame(spec);
    if (v === 4 ? peerE.lso4 : peerE.lso6) {
      const frame = largeSendForm(spec, complete, false);
      const lso = lsoTransmitValue(NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, mss, probeLayout(spec).l4, v === 6 ? NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 : NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4);
      n++;
      p.probes++;
      if (p.t.peer!.send(frame, { tcpLargeSend: lso })) sent.push({ id, spec, complete, what: `IPv${v} large send of 3500 B (MSS ${mss}) from the peer`, segments: 4 });
    }
  }
  const worked = e.rsc4 ? workedExample(p) : null;
  if (worked !== null) n += 4;
  await p.settle(() => sent.every((x) => (p.atDut.get(x.id)?.length ?? 0) > 0) && (worked === null || (p.atDut.get(worked.id)?.length ?? 0) >= 2));
  if (worked !== null) judgeWorkedExample(p, worked);
  for (const x of sent) {
    const got = p.atDut.get(x.id) ?? [];
    const L = probeLayout(x.spec);
    let bytes = 0;
    for (const c of got) {
      bytes += c.frame.length - L.payload;
      const count = rscCoalescedSegCount(c.rscInfo);
      if (count === 0) {
        if (rscDupAckCount(c.rscInfo) !== 0) p.fail('§4.5 CoalescedSegCount 0: DupAckCount must be 0', `${x.what}: info 0x${c.rscInfo.toString(16)}`, c.frame);
        continue;
      }
      const f = c.frame;
      const what = `${x.what}: SCU of ${count} segments`;
      if (c.netBuffers !== 1) p.fail('§4.4 an SCU is one NET_BUFFER per NBL', `${what}: ${c.netBuffers} NET_BUFFERs`, f);
      if (rscDupAckCount(c.rscInfo) !== 0) p.fail('§4.3 DupAckCount counts duplicate ACKs only', `${what}: DupAckCount ${rscDupAckCount(c.rscInfo)} for data segments`, f);
      const data = f.length - L.payload;
      if (count !== Math.ceil(data / 1000)) p.fail('§4.5 CoalescedSegCount = data segments coalesced', `${what}: ${data} payload bytes in ${count} segments of MSS 1000`, f);
      const bits = c.checksumInfo;
      if ((bits & CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED) === 0 || (x.spec.ip === 4 && (bits & CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED) === 0)) {
        p.fail('§4.4 an SCU always reports IpChecksumSucceeded and TcpChecksumSucceeded', `${what}: checksum info 0x${bits.toString(16)}`, f);
      }
      const ipLen = x.spec.ip === 4 ? get16(f, L.ip + 2) : get16(f, L.ip + 4);
      const wantLen = x.spec.ip === 4 ? f.length - L.ip : f.length - L.ip - 40;
      if (ipLen !== wantLen) p.fail('§4.4 IP total length / payload length recomputed', `${what}: ${ipLen}, expected ${wantLen}`, f);
      if (x.spec.ip === 4 && (bits & CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID) === 0 && !validIp(f)) p.fail('§4.4 IPv4 header checksum recomputed (or IpChecksumValueInvalid)', `${what}: bad IPv4 header checksum`, f);
      if ((bits & CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID) === 0 && !validL4(f, x.spec.ip, PROTO_TCP)) p.fail('§4.4 TCP checksum recomputed (or TcpChecksumValueInvalid)', `${what}: bad TCP checksum`, f);
      if (x.spec.ip === 4 && get16(f, L.ip + 4) !== 10) p.fail('§4.4 IP ID of the first coalesced segment', `${what}: IP ID ${get16(f, L.ip + 4)}`, f);
      if (get32(f, L.l4 + 4) !== get32(x.complete, L.l4 + 4)) p.fail('§4.4 sequence number of the first segment', `${what}: seq ${get32(f, L.l4 + 4)}`, f);
      if ((f[L.l4 + 13]! & TCP_PSH) === 0) p.fail('§4.3 PSH = OR of the coalesced segments', `${what}: PSH clear`, f);
      for (let b = L.l4 + 20; b < L.payload; b++) {
        if (f[b] !== x.complete[b]) {
          p.fail('§4.4 options: the timestamp of the latest segment', `${what}: option byte ${b - L.l4 - 20} differs`, f);
          break;
        }
      }
    }
    if (bytes !== x.complete.length - L.payload) p.fail('§4 RSC: every byte reaches the protocol once', `${x.what}: ${bytes} payload bytes indicated, ${x.complete.length - L.payload} sent`, x.complete);
  }
  return n;
}

/**
 * The §4.6 worked example, sent by the peer as one chain (one receive batch, so a coalescing miniport may
 * coalesce it): S1 (seq 1000, 1448 B, ACK 500), S2 (seq 2448, 1448 B, ACK 500), S3 (seq 3896, 1000 B,
 * ACK 520, PSH), TTLs 64/63/64, IP IDs 10/11/12, then S4 with FIN (an exception: indicated alone).
 */
interface WorkedExample {
  id: number;
  segments: Uint8Array[];
  scu: Uint8Array;
}

function workedExample(p: Prober): WorkedExample | null {
  const id = p.newId();
  const payload = pattern(3896 + 100, id);
  const seg = (seq: number, len: number, ack: number, flags: number, ttl: number, ipId: number, from: number) =>
    probeFrame({ ip: 4, l4: 'tcp', id, seq, ack, flags, ttl, ipId, payload: payload.subarray(from, from + len) });
  const segments = [
    seg(1000, 1448, 500, TCP_ACK, 64, 10, 0),
    seg(2448, 1448, 500, TCP_ACK, 63, 11, 1448),
    seg(3896, 1000, 520, TCP_ACK | TCP_PSH, 64, 12, 2896),
    seg(4896, 100, 520, TCP_ACK | TCP_FIN, 64, 13, 3896),
  ];
  // The SCU §4.6 gives: seq 1000, ACK 520 (S3's, piggy-backed), PSH, TTL 63 (the minimum), IP ID 10 (the first's).
  const scu = probeFrame({ ip: 4, l4: 'tcp', id, seq: 1000, ack: 520, flags: TCP_ACK | TCP_PSH, ttl: 63, ipId: 10, payload: payload.subarray(0, 3896) });
  p.probes += segments.length;
  return p.t.peer!.sendBatch(segments) === segments.length ? { id, segments, scu } : null;
}

function judgeWorkedExample(p: Prober, w: WorkedExample): void {
  const got = p.atDut.get(w.id) ?? [];
  const what = '§4.6 worked example (S1 1448 B, S2 1448 B, S3 1000 B + PSH, then S4 with FIN)';
  const coalesced = got.filter((c) => rscCoalescedSegCount(c.rscInfo) > 0);
  if (coalesced.length === 0) {
    // Coalescing is best-effort (§4.3): then every segment comes up as it was sent.
    if (got.length !== w.segments.length) p.fail('§4 RSC: segments not coalesced are indicated as they came', `${what}: ${got.length} frames indicated, ${w.segments.length} sent`, got[0]?.frame ?? w.segments[0]!);
    got.forEach((c, i) => {
      const want = w.segments[i]!;
      if (c.frame.length !== want.length || c.frame.some((b, j) => b !== want[j])) p.fail('§4 RSC: segments not coalesced are indicated as they came', `${what}: frame ${i + 1} differs from segment ${i + 1}`, c.frame);
    });
    return;
  }
  const first = coalesced[0]!;
  const L = probeLayout({ ip: 4, l4: 'tcp', id: w.id, payload: new Uint8Array(0) });
  const bits = first.checksumInfo;
  const skip = new Set<number>();
  if ((bits & CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID) !== 0) for (const b of [L.ip + 10, L.ip + 11]) skip.add(b);
  if ((bits & CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID) !== 0) for (const b of [L.l4 + 16, L.l4 + 17]) skip.add(b);
  const f = first.frame;
  const diff = f.length !== w.scu.length ? -2 : f.findIndex((b, j) => b !== w.scu[j] && !skip.has(j));
  if (diff !== -1) p.fail('§4.4/§4.6 the SCU: seq of the first, ACK of the latest, PSH = OR, TTL = min, IP ID of the first, lengths and checksums recomputed', `${what}: ${diff === -2 ? `${f.length} bytes, expected ${w.scu.length}` : `byte ${diff} is 0x${f[diff]!.toString(16)}, expected 0x${w.scu[diff]!.toString(16)}`}`, f);
  if (rscCoalescedSegCount(first.rscInfo) !== 3 || rscDupAckCount(first.rscInfo) !== 0) p.fail('§4.5/§4.6 CoalescedSegCount 3, DupAckCount 0', `${what}: CoalescedSegCount ${rscCoalescedSegCount(first.rscInfo)}, DupAckCount ${rscDupAckCount(first.rscInfo)}`, f);
  const fin = got.filter((c) => c !== first);
  if (fin.length !== 1 || rscCoalescedSegCount(fin[0]!.rscInfo) !== 0 || fin[0]!.frame.length !== w.segments[3]!.length || fin[0]!.frame.some((b, j) => b !== w.segments[3]![j])) {
    p.fail('§4.2 exception 3: a segment with FIN is not coalesced, it is indicated alone', `${what}: ${fin.length} other frame(s) indicated`, fin[0]?.frame ?? f);
  }
}

// =====================================================================================================
// The configuration walk (§1.4, §1.5)

async function configFamily(p: Prober, hwO: NdisOffload, observe: boolean): Promise<void> {
  const hw = enabled(hwO);
  const steps: { name: string; p: NdisOffloadParameters }[] = [];
  for (const v of [1, 2, 3, 4]) {
    const lso = v === 1 || v === 3 ? 1 : 2;
    steps.push({ name: `every checksum ${v}, LSOv2 ${lso === 1 ? 'off' : 'on'}, RSC ${lso === 1 ? 'off' : 'on'}`, p: { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, ipv4Checksum: v, tcpIpv4Checksum: v, udpIpv4Checksum: v, tcpIpv6Checksum: v, udpIpv6Checksum: v, lsoV2IPv4: lso, lsoV2IPv6: lso, rscIPv4: lso, rscIPv6: lso } });
  }
  steps.push({ name: 'every field NO_CHANGE', p: { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES } });
  steps.push({ name: 'TCP/IPv4 TX only, UDP/IPv6 RX only, the rest NO_CHANGE', p: { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, tcpIpv4Checksum: 2, udpIpv6Checksum: 3 } });
  steps.push({ name: 'IPv4 checksums off, LSOv2 IPv4 off, the rest NO_CHANGE', p: { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, ipv4Checksum: 1, tcpIpv4Checksum: 1, udpIpv4Checksum: 1, lsoV2IPv4: 1 } });
  steps.push({ name: 'LSOv1 and RSC on (where the hardware lacks them: not enabled)', p: { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, lsoV1: 2, rscIPv4: 2, rscIPv6: 2 } });
  steps.push({ name: 'everything on', p: allOn() });
  let cur = await p.current();
  if (cur === null) {
    p.fail('§1.5 OID_TCP_OFFLOAD_CURRENT_CONFIG answers a query', 'the query failed', null);
    return;
  }
  for (const step of steps) {
    const prev = enabled(cur);
    const from = p.statuses.length;
    const st = await p.oid(NdisOidRequest.set(offloadParametersCodec, step.p));
    if (st !== NDIS_STATUS_SUCCESS) {
      // Asking for what the hardware lacks may be refused instead of ignored (and then nothing changes).
      const lacks = (step.p.lsoV1 === 2 && !hw.lsoV1) || (step.p.rscIPv4 === 2 && !hw.rsc4) || (step.p.rscIPv6 === 2 && !hw.rsc6);
      if (!lacks || !OFFLOAD_SET_REFUSALS.includes(st)) p.fail('§1.4 OID_TCP_OFFLOAD_PARAMETERS with valid values succeeds', `${step.name}: ${statusName(st)}`);
      continue;
    }
    await p.settle(() => p.statuses.length > from, 200);
    const q = await p.current();
    if (q === null) {
      p.fail('§1.5 OID_TCP_OFFLOAD_CURRENT_CONFIG answers a query', `after "${step.name}": the query failed`);
      continue;
    }
    cur = q;
    const want = expectAfter(prev, hw, step.p);
    const got = enabled(q);
    if (describe(got) !== describe(want)) p.fail('§1.4 the current configuration follows the set (NO_CHANGE keeps, never beyond the hardware)', `after "${step.name}": current ${describe(got)}; expected ${describe(want)}`);
    if (!within(got, hw)) p.fail('§1.2 the current configuration never exceeds the hardware capabilities', `after "${step.name}": current ${describe(got)}; hardware ${describe(hw)}`);
    const ind = p.statuses.slice(from).filter((s) => s.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG);
    if (ind.length === 0) p.fail('§1.4 a successful set is followed by NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG', `after "${step.name}": the protocol was not given one`);
    else if (describe(enabled(ind[ind.length - 1]!.statusBuffer as NdisOffload)) !== describe(got)) {
      p.fail('§1.5 the indicated configuration is the current configuration', `after "${step.name}": indicated ${describe(enabled(ind[ind.length - 1]!.statusBuffer as NdisOffload))}; current ${describe(got)}`);
    }
    await agreement(p, step.name, got, observe);
  }
  // An invalid value (contents of the buffer invalid) → NDIS_STATUS_INVALID_DATA, nothing changes.
  const before = describe(enabled(cur));
  const bytes = NdisOidRequest.set(offloadParametersCodec, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, lsoV2IPv4: 1 }).informationBuffer.slice();
  bytes[5] = 9; // TCPIPv4Checksum: no such value
  const st = await p.oid(NdisOidRequest.setRaw(OID_TCP_OFFLOAD_PARAMETERS, bytes));
  const after = await p.current();
  if (st !== NDIS_STATUS_INVALID_DATA) p.fail('§1.4 (oid-tcp-offload-parameters) invalid contents → NDIS_STATUS_INVALID_DATA', `TCPIPv4Checksum = 9: ${statusName(st)}`);
  if (after !== null && describe(enabled(after)) !== before) p.fail('§1.4 a refused set changes nothing', `TCPIPv4Checksum = 9: current ${describe(enabled(after))}, was ${before}`);
}

/** After a set: the per-packet behaviour follows the new configuration (one probe per offload kind). */
async function agreement(p: Prober, step: string, e: Enabled, observe: boolean): Promise<void> {
  const probes: TxProbe[] = [];
  for (const fc of [checksumFrames()[0]!, checksumFrames()[3]!]) {
    const id = p.newId();
    const spec = { ...fc.spec, id };
    const complete = probeFrame(spec);
    const flags = (spec.ip === 4 ? CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IP_HEADER_CHECKSUM : CHECKSUM_TX_IS_IPV6) | (spec.l4 === 'tcp' ? CHECKSUM_TX_TCP_CHECKSUM : CHECKSUM_TX_UDP_CHECKSUM);
    const sent = checksumOffloadForm(spec, complete, true, true);
    const work = checksumWork(flags, 0, spec, e);
    const probe = { id, what: `after "${step}": ${fc.name} with ${flagsName(flags, 0)}`, sent, complete, spec, ip: work.ip, l4: work.l4, mayFail: !work.ip || !work.l4 };
    probes.push(probe);
    p.send(id, sent, { checksum: flags });
  }
  // LSOv2 IPv4: performed when on; once off, an NBL still carrying LSO info is dropped (failed), §2.4 rule 10.
  const id = p.newId();
  const spec: ProbeFrameSpec = { ip: 4, l4: 'tcp', id, payload: pattern(3000, id), flags: TCP_ACK };
  const frame = largeSendForm(spec, probeFrame(spec), false);
  p.send(id, frame, { lso: lsoTransmitValue(NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, 1000, probeLayout(spec).l4, NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4) });
  await p.settle(() => [...probes.map((x) => x.id), id].every((x) => p.completions.has(x)));
  for (const x of probes) judgeTx(p, x, observe);
  const c = p.completions.get(id);
  const got = p.atPeer.get(id)?.length ?? 0;
  if (c === undefined) p.fail('§2.4 every LSO send completes', `after "${step}": not completed`, frame);
  else if (e.lso4 && c.status !== NDIS_STATUS_SUCCESS) p.fail('§1.4 LSOv2 on: an LSO send is performed', `after "${step}": ${statusName(c.status)}`, frame);
  else if (!e.lso4 && c.status === NDIS_STATUS_SUCCESS) p.fail('§2.4 rule 10 / §1.4: LSO off — an NBL with LSO info is dropped', `after "${step}": completed with SUCCESS${got > 0 ? `, ${got} frames on the wire` : ''}`, frame);
  else if (!e.lso4 && got > 0) p.fail('§2.4 rule 10: nothing of a dropped LSO send reaches the wire', `after "${step}": ${got} frames`, frame);
}

// =====================================================================================================
// The battery

/** Runs the battery against `t` (its bindings must be bound and running) and resolves with the report. */
export async function runOffloadConformance(t: OffloadConformanceTarget): Promise<OffloadConformanceReport> {
  const p = new Prober(t);
  const families = t.families ?? OFFLOAD_FAMILIES;
  const results: OffloadFamilyResult[] = [];
  const observe = t.peer !== null;
  p.install();
  try {
    // No task offload is active until OID_OFFLOAD_ENCAPSULATION is set (§1.5): set it for both IP versions.
    const on = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
    const encap = await p.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: on, ipv6: on }));
    const hwO = (await p.hardware()) ?? NDIS_OFFLOAD_NONE;
    const offers = encap === NDIS_STATUS_SUCCESS && describe(enabled(hwO)) !== describe(enabled(NDIS_OFFLOAD_NONE));
    // Every family runs against everything the hardware offers.
    if (offers) {
      const st = await p.oid(NdisOidRequest.set(offloadParametersCodec, allOn()));
      if (st !== NDIS_STATUS_SUCCESS) p.fail('§1.4 OID_TCP_OFFLOAD_PARAMETERS with valid values succeeds', `everything on: ${statusName(st)}`);
    }
    const curO = offers ? ((await p.current()) ?? NDIS_OFFLOAD_NONE) : NDIS_OFFLOAD_NONE;
    const e = enabled(curO);
    const peerE = enabled(t.peer?.boundOffload?.current ?? NDIS_OFFLOAD_NONE);
    const mtu = 1500;
    const noPeer = observe ? undefined : 'no peer: statuses and completions only, the wire is not observed';
    const run = async (family: OffloadFamily, why: string | null, body: () => Promise<void | number>): Promise<void> => {
      if (!families.includes(family)) return;
      if (why !== null) {
        results.push({ family, status: 'not-offered', note: why, probes: 0 });
        return;
      }
      p.family = family;
      const before = p.failures.length;
      const probes = p.probes;
      await body();
      results.push({ family, status: p.failures.length > before ? 'fail' : 'pass', probes: p.probes - probes, ...(noPeer === undefined ? {} : { note: noPeer }) });
    };
    // Checksums run even without any offload: a miniport must then do no checksum work at all.
    await run('checksum', null, async () => {
      await checksumTxFamily(p, e, observe);
      if (observe) await checksumRxFamily(p, e, peerE);
    });
    await run('lsoV2', e.lso4 || e.lso6 ? null : 'LSOv2 is not in the current configuration', () => lsoFamily(p, false, curO, e, observe, mtu));
    await run('lsoV1', e.lsoV1 ? null : 'LSOv1 is not in the current configuration', () => lsoFamily(p, true, curO, e, observe, mtu));
    const uso = usoOf(curO);
    const usoOn = uso !== null && (uso.ipv4.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED || uso.ipv6.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED);
    await run('uso', usoOn ? null : 'UDP segmentation offload is not in the current configuration', () => usoFamily(p, uso!, observe));
    await run('rsc', !(e.rsc4 || e.rsc6) ? 'RSC is not in the current configuration' : !observe ? 'no peer to send coalescible traffic' : !(peerE.lso4 || peerE.lso6) ? 'the peer cannot send large sends to coalesce' : null, () => rscFamily(p, e, peerE));
    await run('config', offers ? null : 'the miniport offers no task offload (OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES / OID_OFFLOAD_ENCAPSULATION refused)', () => configFamily(p, hwO, observe));
  } finally {
    p.uninstall();
  }
  return { target: t.name, families: results, failures: p.failures, ok: p.failures.length === 0 };
}

/** The report as text: one line per family, then each failure with its rule, target and frame. */
export function formatOffloadConformance(r: OffloadConformanceReport, maxFailures = 20): string {
  let out = `offload conformance: ${r.target}\n`;
  for (const f of r.families) out += `  ${f.family.padEnd(9)} ${f.status.toUpperCase().padEnd(12)} ${String(f.probes).padStart(4)} probes${f.note === undefined ? '' : `  (${f.note})`}\n`;
  for (const f of r.failures.slice(0, maxFailures)) out += `FAIL [${f.family}] ${f.rule}\n  ${f.target}: ${f.detail}${f.frame === '' ? '' : `\n  frame: ${f.frame}`}\n`;
  if (r.failures.length > maxFailures) out += `… and ${r.failures.length - maxFailures} more failures\n`;
  return out;
}

/** The statuses a set asking for an offload the hardware lacks may be refused with (else: SUCCESS, not enabled). */
export const OFFLOAD_SET_REFUSALS: readonly NdisStatus[] = [NDIS_STATUS_INVALID_DATA, NDIS_STATUS_NOT_SUPPORTED, NDIS_STATUS_INVALID_PARAMETER];
