/**
 * Upper edge of tsndis.overlay: the tenant adapter, a virtual miniport whose frames travel inside VXLAN
 * or NVGRE over the underlay adapter below. It has its own MAC (NetworkAddress, default derived from the
 * adapter name and VNI), an MTU smaller than the underlay's by the encapsulation overhead (50 bytes for
 * VXLAN, 42 for NVGRE: the outer headers plus the inner Ethernet header the underlay IP packet carries), and offers the tenant stack checksum offload and LSOv2, which the gateway does
 * itself or hands to the underlay adapter when that adapter does encapsulated-packet offload (transmit.ts).
 *
 * OIDs: task offload (the tenant's own configuration: MiniportOffloads), packet filter, multicast list and
 * lookahead are answered here (they concern the tenant's frames, not the underlay's); everything else is
 * forwarded to the underlay adapter.
 */
import {
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  LSO_V2_TRANSMIT_COMPLETE,
  type NdisOidRequest,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  lsoType,
  multicastListCodec,
  packetFilterCodec,
  currentLookaheadCodec,
  parseMac,
  type MiniportAdapter,
  type MiniportInitParameters,
  type NdisStatus,
  type NetBufferList,
  NDIS_OFFLOAD_NONE,
  type NdisOffload,
} from '../../../ndis/index.js';
import { parseIpv4Address, ipv4AddressProblem } from '../../../wire/address.js';
import { ETHERNET_HEADER_LEN } from '../../../wire/ethernet.js';
import { stableMac } from '../../common/mac.js';
import { MiniportOffloads, offloadFromKeywords, softwareOffloadCapabilities } from '../../common/task-offload.js';
import { ImVirtualMiniport } from '../virtual-miniport.js';
import { FLOW_ID_MAX, overheadOf, OverlayKind, VSID_MAX } from './encap.js';
import { formatIp } from './lower-binding.js';
import { OverlayCounters, type OverlayPort } from './shared.js';
import { OverlayTransmit, TxPath, TxResult } from './transmit.js';

/** Tenant NBLs held while the underlay neighbour resolves (beyond that they fail at once). */
const WAIT_MAX = 256;

export class OverlayTenantAdapter extends ImVirtualMiniport implements MiniportAdapter {
  port: OverlayPort | null = null;
  readonly counters = new OverlayCounters();
  readonly transmit = new OverlayTransmit(this.counters);
  offloads: MiniportOffloads | null = null;
  /** Largest inner frame indicated up (tenant MTU + Ethernet header + one 802.1Q tag). */
  maxInnerFrame = 1518;
  mtu = 1450;
  packetFilter = 0;
  readonly #forwarded = new Map<NdisOidRequest, NdisOidRequest>();
  #rxHead: NetBufferList | null = null;
  #rxTail: NetBufferList | null = null;
  #rxCount = 0;
  #txHead: NetBufferList | null = null;
  #txTail: NetBufferList | null = null;
  #txCount = 0;
  /** Tenant NBLs waiting for the remote VTEP's MAC (ARP in progress), oldest first; at most WAIT_MAX. */
  readonly #waiting: NetBufferList[] = [];

  initialize(params: MiniportInitParameters): NdisStatus {
    const port = params.imDeviceContext as OverlayPort;
    const lower = port.lower;
    const attrs = lower.generalAttributes;
    if (attrs === null) return NDIS_STATUS_RESOURCES;
    const k = params.keywords;
    const problems: string[] = [];
    const t = this.transmit.tunnel;
    const encap = k.readString('Encapsulation', 'vxlan').toLowerCase();
    if (encap !== 'vxlan' && encap !== 'nvgre') problems.push(`Encapsulation '${encap}' is neither vxlan nor nvgre`);
    t.kind = encap === 'nvgre' ? OverlayKind.Nvgre : OverlayKind.Vxlan;
    t.vni = k.readInt('VirtualSubnetId', 0, 0, VSID_MAX);
    if (t.vni === 0) problems.push('VirtualSubnetId (the VXLAN VNI / NVGRE VSID, 1–16777215) is required');
    t.flowId = k.readInt('FlowId', 0, 0, FLOW_ID_MAX);
    t.udpPort = k.readInt('UdpPort', 4789, 1, 65535);
    const local = k.readString('LocalAddress', '');
    const remote = k.readString('RemoteAddress', '');
    for (const [name, v] of [['LocalAddress', local], ['RemoteAddress', remote]] as const) {
      const p = v === '' ? 'is required' : ipv4AddressProblem(v);
      if (p !== null) problems.push(`${name} ${v === '' ? '' : `'${v}' `}${p}`);
    }
    const macText = k.readString('RemoteMacAddress', '');
    const staticMac = macText === '' ? null : parseMac(macText);
    if (macText !== '' && staticMac === null) problems.push(`RemoteMacAddress '${macText}' is not a MAC address`);
    const ownText = k.readString('NetworkAddress', '');
    const own = ownText === '' ? stableMac(`${this.ndis.name}/${t.vni}`) : parseMac(ownText);
    if (own === null) problems.push(`NetworkAddress '${ownText}' is not a MAC address`);
    const overhead = overheadOf(t.kind);
    const mtu = attrs.mtuSize - overhead;
    if (mtu < 576) problems.push(`the underlay MTU ${attrs.mtuSize} leaves ${mtu} bytes for the tenant (at least 576 needed)`);
    if (problems.length > 0) {
      this.ndis.log('error', `${params.adapterName}: ${problems.join('; ')}`);
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    t.localIp = parseIpv4Address(local) >>> 0;
    t.remoteIp = parseIpv4Address(remote) >>> 0;
    t.localMac.set(attrs.currentMacAddress);
    this.transmit.lowerMtu = attrs.mtuSize;
    this.transmit.backfill = attrs.dataBackFillSize;
    this.transmit.small = lower.txSmall;
    this.transmit.large = lower.txLarge;
    this.mtu = mtu;
    this.maxInnerFrame = mtu + ETHERNET_HEADER_LEN + 4;
    this.port = port;
    port.upper = this;
    lower.tenantUp(this, t.localIp, [t.remoteIp], staticMac);
    // What the gateway carries across the tunnel: checksums and LSOv2 (segmented here or by the lower
    // adapter's encapsulated offload). No LSOv1, no USO: the tenant's stack must not send what it cannot do.
    const { uso: _uso, ...software } = softwareOffloadCapabilities(false);
    const hardware: NdisOffload = { ...software, lsoV1: NDIS_OFFLOAD_NONE.lsoV1 };
    this.offloads = new MiniportOffloads(this.ndis, hardware, offloadFromKeywords(k, hardware));
    this.ndis.setRegistrationAttributes({});
    this.ndis.setGeneralAttributes({
      ...attrs,
      mtuSize: mtu,
      permanentMacAddress: own!,
      currentMacAddress: own!,
      lookaheadSize: Math.min(attrs.lookaheadSize, mtu),
      // The gateway builds every underlay frame in its own buffers: nothing needs room in front of the tenant's.
      dataBackFillSize: 0,
    });
    this.ndis.setOffloadAttributes(this.offloads.attributes);
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    const port = this.port;
    this.port = null;
    if (port !== null) port.lower.upperHalted(port);
  }

  shutdown(): void {}

  // ---------------------------------------------------------------------------------------------
  // Send

  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    const lower = this.port?.lower;
    if (!this.running || lower === undefined || !lower.running) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    const neighbor = lower.neighbor(this.transmit.tunnel.remoteIp);
    if (neighbor === null || neighbor.mac === null || this.#waiting.length > 0) {
      // The remote VTEP's MAC is not known yet (ARP in progress): hold them, in order, until it is.
      let failHead: NetBufferList | null = null;
      let failTail: NetBufferList | null = null;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
        const next: NetBufferList | null = nbl.next;
        nbl.next = null;
        if (this.#waiting.length < WAIT_MAX) {
          this.#waiting.push(nbl);
          this.sendsOutstanding++;
        } else {
          this.counters.txNoNeighbor++;
          this.counters.txFailed++;
          nbl.status = NDIS_STATUS_MEDIA_DISCONNECTED;
          if (failTail === null) failHead = nbl;
          else failTail.next = nbl;
          failTail = nbl;
        }
        nbl = next;
      }
      if (failHead !== null) this.ndis.sendNetBufferListsComplete(failHead, 0);
      if (neighbor !== null && neighbor.mac !== null) this.neighborResolved();
      return;
    }
    this.#encapsulateAndSend(nbls);
  }

  /** The lower binding learned the remote VTEP's MAC: the NBLs held for it go now. */
  neighborResolved(): void {
    if (this.#waiting.length === 0) return;
    const held = this.#waiting.splice(0);
    this.sendsOutstanding -= held.length;
    for (let i = 0; i < held.length - 1; i++) held[i]!.next = held[i + 1]!;
    this.#encapsulateAndSend(held[0]!);
  }

  /** Completes every held NBL with `status` (pause, cancel, removal). */
  #failWaiting(status: number, which: (nbl: NetBufferList) => boolean = () => true): void {
    const out = this.#waiting.filter(which);
    if (out.length === 0) return;
    for (const nbl of out) this.#waiting.splice(this.#waiting.indexOf(nbl), 1);
    this.sendsOutstanding -= out.length;
    for (let i = 0; i < out.length; i++) {
      out[i]!.status = status;
      out[i]!.next = out[i + 1] ?? null;
      this.counters.txFailed++;
    }
    this.ndis.sendNetBufferListsComplete(out[0]!, 0);
    this.maybeFinishPause();
  }

  override pause(): NdisStatus {
    // Held sends end first (their completions cannot finish a pause not begun yet), then the usual bookkeeping.
    this.#failWaiting(NDIS_STATUS_PAUSED);
    return super.pause();
  }

  #encapsulateAndSend(nbls: NetBufferList): void {
    const lower = this.port!.lower;
    const c = this.counters;
    const t = this.transmit.tunnel;
    const neighbor = lower.neighbor(t.remoteIp)!;
    t.remoteMac.set(neighbor.mac!);
    const down = lower.ndis.sourceHandle;
    let okHead: NetBufferList | null = null;
    let okTail: NetBufferList | null = null;
    let failHead: NetBufferList | null = null;
    let failTail: NetBufferList | null = null;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let out = lower.txNbls!.allocate();
      if (out === null) {
        c.txResources++;
        nbl.status = NDIS_STATUS_RESOURCES;
      } else {
        const r = this.transmit.encapsulate(nbl, out);
        if (r !== TxResult.Ok) {
          lower.txNbls!.free(out);
          out = null;
          if (r === TxResult.Malformed) {
            c.txMalformed++;
            nbl.status = NDIS_STATUS_INVALID_PACKET;
          } else if (r === TxResult.Oversize) {
            c.txOversize++;
            nbl.status = NDIS_STATUS_INVALID_LENGTH;
          } else {
            c.txResources++;
            nbl.status = NDIS_STATUS_RESOURCES;
          }
        }
      }
      if (out !== null) {
        out.sourceHandle = down;
        out.protocolReserved[0] = nbl;
        if (okTail === null) okHead = out;
        else okTail.next = out;
        okTail = out;
        n++;
      } else {
        if (failTail === null) failHead = nbl;
        else failTail.next = nbl;
        failTail = nbl;
      }
      nbl = next;
    }
    if (okHead !== null) {
      this.sendsOutstanding += n;
      lower.forwardSend(okHead, n);
    }
    if (failHead !== null) {
      for (let f: NetBufferList | null = failHead; f !== null; f = f.next) c.txFailed++;
      this.ndis.sendNetBufferListsComplete(failHead, 0);
    }
  }

  /** The lower binding gathers completed tenant NBLs here. */
  queueCompletion(original: NetBufferList): void {
    if (original.status !== NDIS_STATUS_SUCCESS) this.counters.txFailed++;
    // LSOv2 completion info (§2.4): the Type bit stays set, the rest is reserved.
    else if (original.info.tcpLargeSend !== 0 && lsoType(original.info.tcpLargeSend) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE) original.info.tcpLargeSend = LSO_V2_TRANSMIT_COMPLETE;
    if (this.#txTail === null) this.#txHead = original;
    else this.#txTail.next = original;
    this.#txTail = original;
    this.#txCount++;
  }

  completeFromBelow(flags: number): void {
    const head = this.#txHead;
    const n = this.#txCount;
    this.#txHead = this.#txTail = null;
    this.#txCount = 0;
    if (head === null) return;
    this.sendsOutstanding -= n;
    this.ndis.sendNetBufferListsComplete(head, flags);
    this.maybeFinishPause();
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  queueReceive(derived: NetBufferList): void {
    if (this.#rxTail === null) this.#rxHead = derived;
    else this.#rxTail.next = derived;
    this.#rxTail = derived;
    this.#rxCount++;
  }

  indicateFromBelow(receiveFlags: number): void {
    const head = this.#rxHead;
    const n = this.#rxCount;
    this.#rxHead = this.#rxTail = null;
    this.#rxCount = 0;
    if (head === null) return;
    const self = this.ndis as object;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) nbl.sourceHandle = self;
    if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.indicatedOutstanding += n;
    this.ndis.indicateReceiveNetBufferLists(head, 0, n, receiveFlags);
  }

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) n++;
    this.indicatedOutstanding -= n;
    this.port?.lower.returnFromAbove(nbls);
    this.maybeFinishPause();
  }

  cancelSend(cancelId: number): void {
    this.#failWaiting(NDIS_STATUS_SEND_ABORTED, (nbl) => nbl.info.cancelId === cancelId);
    this.port?.lower.ndis.cancelSendNetBufferLists(cancelId);
  }

  devicePnPEventNotify(): void {}

  // ---------------------------------------------------------------------------------------------
  // OIDs

  oidRequest(request: NdisOidRequest): NdisStatus {
    const lower = this.port?.lower;
    if (lower === undefined) return NDIS_STATUS_PAUSED;
    const own = this.offloads?.handleOid(request) ?? NDIS_STATUS_INVALID_OID;
    if (own !== NDIS_STATUS_INVALID_OID) return own;
    if (request.isSet) {
      // The tenant's filter applies to inner frames (NDIS filters each binding's indications by it); the
      // underlay keeps the filter the gateway set.
      if (request.oid === OID_GEN_CURRENT_PACKET_FILTER) {
        const r = request.readSet(packetFilterCodec);
        if (!r.ok) return r.status;
        this.packetFilter = r.value;
        return NDIS_STATUS_SUCCESS;
      }
      if (request.oid === OID_802_3_MULTICAST_LIST) {
        const r = request.readSet(multicastListCodec);
        return r.ok ? NDIS_STATUS_SUCCESS : r.status;
      }
      if (request.oid === OID_GEN_CURRENT_LOOKAHEAD) {
        const r = request.readSet(currentLookaheadCodec);
        return r.ok ? NDIS_STATUS_SUCCESS : r.status;
      }
    }
    const clone = request.clone();
    this.#forwarded.set(clone, request);
    const status = lower.forwardOid(clone, this);
    if (status !== NDIS_STATUS_PENDING) {
      this.#forwarded.delete(clone);
      clone.copyResultTo(request);
    }
    return status;
  }

  oidCompleteFromBelow(clone: NdisOidRequest, status: NdisStatus): void {
    const original = this.#forwarded.get(clone);
    if (original === undefined) return;
    this.#forwarded.delete(clone);
    clone.copyResultTo(original);
    this.ndis.oidRequestComplete(original, status);
  }

  cancelOidRequest(requestId: number): void {
    this.port?.lower.ndis.cancelOidRequest(requestId);
  }

  /** Which send path the underlay's offload configuration selects now, for an LSO frame of inner IPv4. */
  get lsoPath(): 'offload' | 'software' {
    return this.transmit.lowerOffload.lso4 ? 'offload' : 'software';
  }

  inspect(): Record<string, unknown> {
    const t = this.transmit.tunnel;
    const lo = this.transmit.lowerOffload;
    return {
      encapsulation: t.kind === OverlayKind.Nvgre ? 'nvgre' : 'vxlan',
      virtualSubnetId: t.vni,
      ...(t.kind === OverlayKind.Nvgre ? { flowId: t.flowId } : { udpPort: t.udpPort }),
      localAddress: formatIp(t.localIp),
      remoteAddress: formatIp(t.remoteIp),
      mtu: this.mtu,
      lower: this.port?.lower.ndis.name ?? null,
      underlayOffload: { checksum4: lo.checksum4, checksum6: lo.checksum6, lso4: lo.lso4, lso6: lo.lso6 },
      waitingForNeighbor: this.#waiting.length,
      lastSendPath: this.transmit.lastPath === TxPath.Offload ? 'offload' : this.transmit.lastPath === TxPath.Software ? 'software' : 'none',
      ...this.counters,
      sendsOutstanding: this.sendsOutstanding,
      indicatedOutstanding: this.indicatedOutstanding,
    };
  }
}
