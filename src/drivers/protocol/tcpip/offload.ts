/**
 * What the IP layer may ask of one adapter, derived from its current NDIS_OFFLOAD configuration
 * (`defaultOffloadConfiguration` at bind, then NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG): transmit
 * checksums per family and protocol, LSOv2 limits, and whether receive checksum results may be
 * trusted (a miniport only reports them when it validated; the stack honours what the NBL says).
 *
 * A task counts only when its encapsulation includes what we send: IEEE 802.3, and 802.1Q tags in
 * band (P_AND_Q) when the interface tags its frames.
 */
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q,
  type ChecksumOffloadDirection,
  type LargeSendOffloadV2Family,
  type NdisOffload,
} from '../../../ndis/index.js';

function encapsulationOk(encapsulation: number, tagged: boolean): boolean {
  const need = tagged ? NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q : NDIS_ENCAPSULATION_IEEE_802_3;
  return (encapsulation & need) !== 0;
}

export class OffloadState {
  txTcp4 = false;
  txUdp4 = false;
  txIp4 = false;
  txTcpOptions4 = false;
  txTcp6 = false;
  txUdp6 = false;
  txTcpOptions6 = false;
  /** LSOv2: largest TCP payload per NBL (0 = no LSO) and the minimum segment count. */
  lso4MaxPayload = 0;
  lso4MinSegments = 0;
  lso6MaxPayload = 0;
  lso6MinSegments = 0;
  lso6TcpOptions = false;
  rsc4 = false;
  rsc6 = false;
  /** USO: largest UDP payload per NBL (0 = no USO), the minimum segment count, a sub-MSS last datagram allowed. */
  uso4MaxPayload = 0;
  uso4MinSegments = 0;
  uso4SubMss = false;
  uso6MaxPayload = 0;
  uso6MinSegments = 0;
  uso6SubMss = false;

  /** Adopts `o`; returns true when anything the stack uses changed. */
  update(o: Readonly<NdisOffload>, tagged: boolean): boolean {
    const before = this.key();
    const tx4: ChecksumOffloadDirection = o.checksum.ipv4Transmit;
    const tx6: ChecksumOffloadDirection = o.checksum.ipv6Transmit;
    const ok4 = encapsulationOk(tx4.encapsulation, tagged);
    const ok6 = encapsulationOk(tx6.encapsulation, tagged);
    this.txTcp4 = ok4 && tx4.tcpChecksum;
    this.txUdp4 = ok4 && tx4.udpChecksum;
    this.txIp4 = ok4 && tx4.ipChecksum;
    this.txTcpOptions4 = ok4 && tx4.tcpOptionsSupported;
    this.txTcp6 = ok6 && tx6.tcpChecksum;
    this.txUdp6 = ok6 && tx6.udpChecksum;
    this.txTcpOptions6 = ok6 && tx6.tcpOptionsSupported;
    const lso = (f: LargeSendOffloadV2Family): number => (encapsulationOk(f.encapsulation, tagged) ? Math.min(f.maxOffLoadSize, 0xffff) : 0);
    this.lso4MaxPayload = lso(o.lsoV2.ipv4);
    this.lso4MinSegments = this.lso4MaxPayload > 0 ? Math.max(1, o.lsoV2.ipv4.minSegmentCount) : 0;
    this.lso6MaxPayload = lso(o.lsoV2.ipv6);
    this.lso6MinSegments = this.lso6MaxPayload > 0 ? Math.max(1, o.lsoV2.ipv6.minSegmentCount) : 0;
    this.lso6TcpOptions = this.lso6MaxPayload > 0 && o.lsoV2.ipv6.tcpOptionsSupported;
    this.rsc4 = o.rsc.ipv4Enabled;
    this.rsc6 = o.rsc.ipv6Enabled;
    this.#updateUso(o, tagged);
    return this.key() !== before;
  }

  #updateUso(o: Readonly<NdisOffload>, tagged: boolean): void {
    const u4 = o.uso?.ipv4;
    const u6 = o.uso?.ipv6;
    this.uso4MaxPayload = u4 !== undefined && encapsulationOk(u4.encapsulation, tagged) ? Math.min(u4.maxOffLoadSize, 0xffff) : 0;
    this.uso4MinSegments = this.uso4MaxPayload > 0 ? Math.max(1, u4!.minSegmentCount) : 0;
    this.uso4SubMss = this.uso4MaxPayload > 0 && u4!.subMssFinalSegmentSupported;
    this.uso6MaxPayload = u6 !== undefined && encapsulationOk(u6.encapsulation, tagged) ? Math.min(u6.maxOffLoadSize, 0xffff) : 0;
    this.uso6MinSegments = this.uso6MaxPayload > 0 ? Math.max(1, u6!.minSegmentCount) : 0;
    this.uso6SubMss = this.uso6MaxPayload > 0 && u6!.subMssFinalSegmentSupported;
  }

  get anyUso(): boolean {
    return this.uso4MaxPayload > 0 || this.uso6MaxPayload > 0;
  }

  get anyLso(): boolean {
    return this.lso4MaxPayload > 0 || this.lso6MaxPayload > 0;
  }

  /** A short text for the inspector: `csum4(tcp,udp,ip) csum6(tcp,udp) lso4(65535) lso6(65535) rsc4`. */
  describe(): string {
    const parts: string[] = [];
    const c4 = [this.txTcp4 && 'tcp', this.txUdp4 && 'udp', this.txIp4 && 'ip'].filter(Boolean);
    const c6 = [this.txTcp6 && 'tcp', this.txUdp6 && 'udp'].filter(Boolean);
    if (c4.length > 0) parts.push(`csum4(${c4.join(',')})`);
    if (c6.length > 0) parts.push(`csum6(${c6.join(',')})`);
    if (this.lso4MaxPayload > 0) parts.push(`lso4(${this.lso4MaxPayload})`);
    if (this.lso6MaxPayload > 0) parts.push(`lso6(${this.lso6MaxPayload})`);
    if (this.rsc4) parts.push('rsc4');
    if (this.rsc6) parts.push('rsc6');
    if (this.uso4MaxPayload > 0) parts.push(`uso4(${this.uso4MaxPayload})`);
    if (this.uso6MaxPayload > 0) parts.push(`uso6(${this.uso6MaxPayload})`);
    return parts.length === 0 ? 'none' : parts.join(' ');
  }

  key(): string {
    return [
      this.txTcp4, this.txUdp4, this.txIp4, this.txTcpOptions4, this.txTcp6, this.txUdp6, this.txTcpOptions6,
      this.lso4MaxPayload, this.lso4MinSegments, this.lso6MaxPayload, this.lso6MinSegments, this.lso6TcpOptions, this.rsc4, this.rsc6,
      this.uso4MaxPayload, this.uso4MinSegments, this.uso4SubMss, this.uso6MaxPayload, this.uso6MinSegments, this.uso6SubMss,
    ].join(',');
  }
}
