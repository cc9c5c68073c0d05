/**
 * Upper edge of tsndis.vlan: one virtual miniport per VLAN (no hardware: no check-for-hang or reset).
 * Its VLAN comes from its `VlanID` keyword and can be changed with OID_GEN_VLAN_ID. Sends from above are
 * forwarded as derived NBLs (a fragment of the original behind a fresh 18-byte tagged header, so the
 * sender's buffer is never written), tagged with the NBL's Ieee8021QNetBufferListInfo priority and VLAN
 * (an NBL naming another VLAN is refused) or this miniport's VLAN; the original completes upward, with
 * the derived NBL's status, once the lower adapter completed the derived one. Receive filters set by the
 * protocols above are combined with the other VLANs' before they go down (one binding serves them all).
 */
import {
  allocateFragmentNetBufferList,
  ieee8021QUserPriority,
  ieee8021QVlanId,
  multicastListCodec,
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_OFFLOAD_NONE,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  NdisOidRequest,
  lsoTcpHeaderOffset,
  lsoType,
  lsoV2IpVersion,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_VLAN_ID,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  offloadHardwareCapabilitiesCodec,
  packetFilterCodec,
  currentLookaheadCodec,
  ulongCodec,
  type MiniportAdapter,
  type MiniportInitParameters,
  type NdisStatus,
  type NetBuffer,
  type NetBufferList,
} from '../../../ndis/index.js';
import { ETHERNET_HEADER_LEN, ETHERNET_VLAN_HEADER_LEN } from '../../../wire/ethernet.js';
import { enabledChecksumRequest } from '../../common/offload-requests.js';
import { txChecksumMask } from '../../common/offload-mask.js';
import { shiftChecksumInfo, shiftLsoInfo, shiftSupplementalInfo, VLAN_BACKFILL, VlanPortCounters, type VlanPort } from './shared.js';
import { VLAN_ID_MAX, VLAN_ID_MIN, writeTaggedHeader } from './tag.js';
import { ImVirtualMiniport } from '../virtual-miniport.js';

const vlanIdCodec = ulongCodec(OID_GEN_VLAN_ID);
/** Fragment length that keeps every NetBuffer whole (LSO frames included). */
const WHOLE = 0x7fffffff;

export class VlanUpperAdapter extends ImVirtualMiniport implements MiniportAdapter {
  port: VlanPort | null = null;
  vlanId = 0;
  readonly counters = new VlanPortCounters();
  /** What the protocols above set on this VLAN (combined with the other VLANs' before going down). */
  packetFilter = 0;
  multicast: readonly Uint8Array[] = [];
  lookahead = 0;
  readonly #forwarded = new Map<NdisOidRequest, NdisOidRequest>();
  // Chains the lower binding gathers for this miniport within one call (receives / send completions).
  #rxHead: NetBufferList | null = null;
  #rxTail: NetBufferList | null = null;
  #rxCount = 0;
  #txHead: NetBufferList | null = null;
  #txTail: NetBufferList | null = null;
  #txCount = 0;
  // Header scratch for tagging, reused for every frame.
  readonly #hdr = new Uint8Array(ETHERNET_HEADER_LEN);
  readonly #tagged = new Uint8Array(ETHERNET_VLAN_HEADER_LEN);
  /** An LSO send's IP and TCP headers, moved into the derived NBL's first MDL. */
  readonly #headers = new Uint8Array(512);

  initialize(params: MiniportInitParameters): NdisStatus {
    const port = params.imDeviceContext as VlanPort;
    const lower = port.lower;
    const attrs = lower.generalAttributes;
    if (attrs === null) return NDIS_STATUS_RESOURCES;
    const vlanId = params.keywords.readInt('VlanID', 0, 0, VLAN_ID_MAX);
    if (vlanId < VLAN_ID_MIN) {
      this.ndis.log('error', `VlanID ${vlanId} is not a VLAN ID (${VLAN_ID_MIN}–${VLAN_ID_MAX}); set the VlanID keyword of ${params.adapterName}`);
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!lower.registerVlan(this, vlanId)) {
      this.ndis.log('error', `VLAN ${vlanId} already has a virtual miniport over ${lower.ndis.name}`);
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    this.vlanId = vlanId;
    this.port = port;
    port.upper = this;
    this.ndis.setRegistrationAttributes({});
    // Same MAC, MTU and link as the adapter below; the tag is ours to add: 4 bytes more backfill (seed 003).
    this.ndis.setGeneralAttributes({ ...attrs, dataBackFillSize: attrs.dataBackFillSize + VLAN_BACKFILL });
    if (lower.virtualCurrent !== null && lower.virtualHardware !== null) {
      this.ndis.setOffloadAttributes({ defaultOffloadConfiguration: lower.virtualCurrent, hardwareOffloadCapabilities: lower.virtualHardware });
    }
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    const port = this.port;
    this.port = null;
    if (port !== null) port.lower.upperHalted(port, this);
  }

  shutdown(): void {}


  // ---------------------------------------------------------------------------------------------
  // Send

  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    const lower = this.port?.lower;
    if (!this.running || lower === undefined || !lower.running) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    const backfill = lower.generalAttributes?.dataBackFillSize ?? 0;
    const down = lower.ndis.sourceHandle;
    let okHead: NetBufferList | null = null;
    let okTail: NetBufferList | null = null;
    let failHead: NetBufferList | null = null;
    let failTail: NetBufferList | null = null;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const derived = this.#tag(nbl, backfill);
      if (derived !== null) {
        derived.sourceHandle = down;
        derived.protocolReserved[0] = this;
        if (okTail === null) okHead = derived;
        else okTail.next = derived;
        okTail = derived;
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
      lower.forwardSend(okHead, n, portNumber, sendFlags);
    }
    if (failHead !== null) this.ndis.sendNetBufferListsComplete(failHead, 0);
  }

  /** The tagged derived NBL for `nbl`, or null with `nbl.status` saying why not (counted). */
  #tag(nbl: NetBufferList, backfill: number): NetBufferList | null {
    const c = this.counters;
    const lower = this.port!.lower;
    const info = nbl.info.ieee8021Q;
    const wanted = ieee8021QVlanId(info);
    // An NBL tagged for another VLAN must not leak into this one.
    if (wanted !== 0 && wanted !== this.vlanId) {
      c.txVlanMismatch++;
      nbl.status = NDIS_STATUS_INVALID_PARAMETER;
      return null;
    }
    let bytes = 0;
    for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
      if (nb.dataLength <= ETHERNET_HEADER_LEN) {
        c.txMalformed++;
        nbl.status = NDIS_STATUS_INVALID_LENGTH;
        return null;
      }
      bytes += nb.dataLength;
    }
    if (nbl.firstNetBuffer === null) {
      c.txMalformed++;
      nbl.status = NDIS_STATUS_INVALID_LENGTH;
      return null;
    }
    // Encapsulated sends: the inner frame moves by the tag too (NdisCopySendNetBufferListInfo leaves this slot out).
    const supplemental = shiftSupplementalInfo(nbl.info.tcpSendOffloadsSupplemental, VLAN_BACKFILL);
    if (supplemental < 0) {
      c.txMalformed++;
      nbl.status = NDIS_STATUS_INVALID_LENGTH;
      return null;
    }
    const lso = nbl.info.tcpLargeSend;
    if (lso !== 0) {
      const cur = lower.virtualCurrent ?? NDIS_OFFLOAD_NONE;
      const fam = lsoType(lso) !== NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE ? cur.lsoV1.ipv4 : lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? cur.lsoV2.ipv6 : cur.lsoV2.ipv4;
      if (fam.encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) {
        c.txOffloadRefused++;
        nbl.status = NDIS_STATUS_FAILURE;
        return null;
      }
    }
    // An LSO send keeps every header in the first MDL (§2.4): the new leading MDL carries the tagged
    // Ethernet header and the IP and TCP headers behind it, not the Ethernet header alone.
    let start = ETHERNET_HEADER_LEN;
    if (lso !== 0) {
      const nb0 = nbl.firstNetBuffer!;
      const tcp = lsoTcpHeaderOffset(lso);
      if (tcp >= ETHERNET_HEADER_LEN && tcp + 20 <= nb0.dataLength) {
        nb0.copyOut(this.#headers, 0, tcp + 12, 1);
        const end = tcp + (this.#headers[0]! >> 4) * 4;
        if (end >= tcp + 20 && end < nb0.dataLength && end - ETHERNET_HEADER_LEN <= this.#headers.length) start = end;
      }
    }
    const derived = allocateFragmentNetBufferList(nbl, lower.txNbls!, lower.txNbs!, start, WHOLE, start + ETHERNET_VLAN_HEADER_LEN - ETHERNET_HEADER_LEN, backfill);
    // How far the derived NBL was retreated, for the free at completion.
    if (derived !== null) derived.protocolReserved[1] = start === ETHERNET_HEADER_LEN ? null : start + ETHERNET_VLAN_HEADER_LEN - ETHERNET_HEADER_LEN;
    if (derived === null) {
      c.txResources++;
      nbl.status = NDIS_STATUS_RESOURCES;
      return null;
    }
    const priority = ieee8021QUserPriority(info);
    const hdr = this.#hdr;
    const tagged = this.#tagged;
    for (let s: NetBuffer | null = nbl.firstNetBuffer, d = derived.firstNetBuffer; s !== null && d !== null; s = s.next, d = d.next) {
      s.copyOut(hdr, 0, 0, ETHERNET_HEADER_LEN);
      writeTaggedHeader(hdr, this.vlanId, priority, tagged, 0);
      d.copyIn(tagged, 0, ETHERNET_VLAN_HEADER_LEN, 0);
      if (start > ETHERNET_HEADER_LEN) {
        s.copyOut(this.#headers, 0, ETHERNET_HEADER_LEN, start - ETHERNET_HEADER_LEN);
        d.copyIn(this.#headers, 0, start - ETHERNET_HEADER_LEN, ETHERNET_VLAN_HEADER_LEN);
      }
    }
    const di = derived.info;
    di.copySendInfoFrom(nbl.info);
    // The tag is in the frame now: the adapter below must not tag again, and header offsets moved by 4.
    di.ieee8021Q = 0;
    // §1.6: what this miniport did not advertise is never passed down — checksums it does not offer are
    // not asked of the adapter below (LSO it does not offer failed the NBL above, §2.4 rule 10).
    if (di.tcpIpChecksum !== 0) di.tcpIpChecksum = shiftChecksumInfo(enabledChecksumRequest(di.tcpIpChecksum, txChecksumMask(lower.virtualCurrent ?? NDIS_OFFLOAD_NONE)), VLAN_BACKFILL);
    di.tcpLargeSend = shiftLsoInfo(di.tcpLargeSend, VLAN_BACKFILL);
    di.tcpSendOffloadsSupplemental = supplemental;
    c.txFrames++;
    c.txBytes += bytes;
    return derived;
  }

  /** The lower binding gathers completed originals here; true when this is the first of the batch. */
  queueCompletion(original: NetBufferList): boolean {
    if (original.status !== NDIS_STATUS_SUCCESS) this.counters.txFailed++;
    const first = this.#txTail === null;
    if (first) this.#txHead = original;
    else this.#txTail!.next = original;
    this.#txTail = original;
    this.#txCount++;
    return first;
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

  queueReceive(derived: NetBufferList): boolean {
    const first = this.#rxTail === null;
    if (first) this.#rxHead = derived;
    else this.#rxTail!.next = derived;
    this.#rxTail = derived;
    this.#rxCount++;
    return first;
  }

  indicateFromBelow(receiveFlags: number): void {
    const head = this.#rxHead;
    const n = this.#rxCount;
    this.#rxHead = this.#rxTail = null;
    this.#rxCount = 0;
    if (head === null) return;
    const self = this.ndis as object;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) nbl.sourceHandle = self;
    // With NDIS_RECEIVE_FLAGS_RESOURCES nothing is held above: the lower binding frees them on return.
    if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.indicatedOutstanding += n;
    this.ndis.indicateReceiveNetBufferLists(head, 0, n, receiveFlags);
  }

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) n++;
    this.indicatedOutstanding -= n;
    const lower = this.port?.lower;
    if (lower !== undefined) lower.returnFromAbove(nbls);
    this.maybeFinishPause();
  }

  cancelSend(cancelId: number): void {
    this.port?.lower.ndis.cancelSendNetBufferLists(cancelId);
  }

  devicePnPEventNotify(): void {}

  // ---------------------------------------------------------------------------------------------
  // OIDs

  oidRequest(request: NdisOidRequest): NdisStatus {
    const lower = this.port?.lower;
    if (lower === undefined) return NDIS_STATUS_PAUSED;
    switch (request.oid) {
      case OID_GEN_VLAN_ID:
        return this.#vlanIdOid(request);
      case OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
        // What this miniport advertises (the lower adapter's capabilities for tagged frames), not the
        // lower adapter's own answer (§1.7).
        if (request.isQuery) return request.completeQuery(offloadHardwareCapabilitiesCodec, lower.virtualHardware ?? NDIS_OFFLOAD_NONE);
        break;
      case OID_GEN_CURRENT_PACKET_FILTER:
      case OID_802_3_MULTICAST_LIST:
      case OID_GEN_CURRENT_LOOKAHEAD:
        if (request.isSet) return this.#combinedSet(request);
        break;
      default:
        break;
    }
    // Everything else goes to the adapter below, as a clone (results copied back on completion).
    return this.#forward(request.clone(), request);
  }

  #forward(clone: NdisOidRequest, original: NdisOidRequest): NdisStatus {
    this.#forwarded.set(clone, original);
    const status = this.port!.lower.forwardOid(clone, this);
    if (status !== NDIS_STATUS_PENDING) {
      this.#forwarded.delete(clone);
      this.#copyBack(clone, original);
    }
    return status;
  }

  #copyBack(clone: NdisOidRequest, original: NdisOidRequest): void {
    // A combined set carried other bytes than the original: report the original's as read.
    if (clone.informationBuffer !== original.informationBuffer) original.bytesRead = original.informationBuffer.length;
    else clone.copyResultTo(original);
  }

  #vlanIdOid(request: NdisOidRequest): NdisStatus {
    if (request.isQuery) return request.completeQuery(vlanIdCodec, this.vlanId);
    if (!request.isSet) return NDIS_STATUS_INVALID_PARAMETER;
    const r = request.readSet(vlanIdCodec);
    if (!r.ok) return r.status;
    if (r.value < VLAN_ID_MIN || r.value > VLAN_ID_MAX) return NDIS_STATUS_INVALID_DATA;
    if (!this.port!.lower.registerVlan(this, r.value)) return NDIS_STATUS_INVALID_DATA;
    this.vlanId = r.value;
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * Packet filter, multicast list and lookahead: one lower binding serves every VLAN, so what goes down
   * is the union (filter bits, addresses) or the largest (lookahead) over the virtual miniports.
   */
  #combinedSet(request: NdisOidRequest): NdisStatus {
    const lower = this.port!.lower;
    const uppers = lower.ports.map((p) => p.upper).filter((u): u is VlanUpperAdapter => u !== null);
    let down: NdisOidRequest;
    if (request.oid === OID_GEN_CURRENT_PACKET_FILTER) {
      const r = request.readSet(packetFilterCodec);
      if (!r.ok) return r.status;
      this.packetFilter = r.value;
      down = NdisOidRequest.set(packetFilterCodec, uppers.reduce((f, u) => f | u.packetFilter, 0));
    } else if (request.oid === OID_802_3_MULTICAST_LIST) {
      const r = request.readSet(multicastListCodec);
      if (!r.ok) return r.status;
      this.multicast = r.value.map((a) => a.slice());
      const seen = new Map<string, Uint8Array>();
      for (const u of uppers) for (const a of u.multicast) seen.set(a.join(','), a);
      down = NdisOidRequest.set(multicastListCodec, [...seen.values()]);
    } else {
      const r = request.readSet(currentLookaheadCodec);
      if (!r.ok) return r.status;
      this.lookahead = r.value;
      down = NdisOidRequest.set(currentLookaheadCodec, uppers.reduce((m, u) => Math.max(m, u.lookahead), 0));
    }
    down.portNumber = request.portNumber;
    return this.#forward(down, request);
  }

  /** The lower binding finished a request we forwarded. */
  oidCompleteFromBelow(clone: NdisOidRequest, status: NdisStatus): void {
    const original = this.#forwarded.get(clone);
    if (original === undefined) return;
    this.#forwarded.delete(clone);
    this.#copyBack(clone, original);
    this.ndis.oidRequestComplete(original, status);
  }

  cancelOidRequest(requestId: number): void {
    this.port?.lower.ndis.cancelOidRequest(requestId);
  }

  inspect(): Record<string, unknown> {
    return { vlanId: this.vlanId, lower: this.port?.lower.ndis.name ?? null, ...this.counters, sendsOutstanding: this.sendsOutstanding, indicatedOutstanding: this.indicatedOutstanding };
  }
}
