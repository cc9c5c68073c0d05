/**
 * Lower edge of tsndis.overlay: the protocol binding to the underlay adapter (TAP, virtual wire, …). On
 * bind it asks for the tenant virtual miniport (UpperBindings, one name), sets the underlay's packet
 * filter (directed + broadcast, for ARP) and OID_OFFLOAD_ENCAPSULATION (offloads start only after it,
 * §1.1), and follows the underlay's offload configuration (bind parameters, then
 * NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) to decide, per NBL, whether the adapter below or the gateway
 * does the encapsulated checksum / LSO work (transmit.ts).
 *
 * Underlay neighbours: the gateway answers ARP for its LocalAddress with the underlay adapter's MAC and
 * resolves each remote VTEP's MAC by ARP (a request per second until answered; a RemoteMacAddress keyword
 * skips that), also learning it from the ARP requests and encapsulated frames the VTEP sends.
 *
 * Receive: each frame is parsed (encap.ts) and, for our tunnel, described without copying by a derived
 * NBL (a fragment that starts at the inner frame) indicated by the tenant adapter; the original goes back
 * down when the derived NBL is returned (at once under NDIS_RECEIVE_FLAGS_RESOURCES). Every frame that is
 * not indicated is a named drop in the host's drop registry.
 */
import {
  allocateFragmentNetBufferList,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  freeFragmentNetBufferList,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_SET_ON,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES,
  NdisMedium802_3,
  NdisOidRequest,
  NetEventPause,
  NetEventRestart,
  offloadEncapsulationCodec,
  packetFilterCodec,
  type BindParameters,
  type MiniportAdapterGeneralAttributes,
  type NdisDropCounter,
  type NdisOffload,
  type NdisStatus,
  type NdisStatusIndication,
  type NdisTimerObject,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
} from '../../../ndis/index.js';
import { ARP_LEN, ArpField, ArpOperation } from '../../../wire/arp.js';
import { read16, read32 } from '../../../wire/bytes.js';
import { ETHERNET_HEADER_LEN } from '../../../wire/ethernet.js';
import { EtherType } from '../../../wire/numbers.js';
import { DecapInfo, DecapResult, decapsulate, type OverlayKind } from './encap.js';
import type { OverlayPort } from './shared.js';
import type { OverlayTenantAdapter } from './tenant-miniport.js';
import { releaseNetBuffers } from './transmit.js';

/** Derived receive NBLs in flight up, and underlay send NBLs in flight down (pool capacities). */
const RX_POOL = 1024;
const TX_NBLS = 2048;
/** Segment / single-frame buffers, and whole-LSO buffers for the offload path. */
const TX_SMALL = 8192;
const TX_LARGE = 64;
const LARGE_FRAME = 65536 + 256;
/** Fragment length that keeps every NetBuffer whole. */
const WHOLE = 0x7fffffff;
/** Marks an ARP NBL of our own in ProtocolReserved[0]. */
const ARP_SEND = { arp: true };
const ARP_FRAME = ETHERNET_HEADER_LEN + ARP_LEN;
const ARP_RETRY_MS = 1000;

/** One remote VTEP: its underlay IPv4 address and, once known, its MAC. */
export interface UnderlayNeighbor {
  readonly ip: number;
  mac: Uint8Array | null;
}

/** The drop counters of the receive side, one per reason (src/ndis/drops.ts). */
export interface OverlayDrops {
  truncated: NdisDropCounter;
  badLength: NdisDropCounter;
  badOuterChecksum: NdisDropCounter;
  badHeader: NdisDropCounter;
  unknownEncapsulation: NdisDropCounter;
  wrongVni: NdisDropCounter;
  fragment: NdisDropCounter;
  notOverlay: NdisDropCounter;
  oversize: NdisDropCounter;
  notRunning: NdisDropCounter;
  noResources: NdisDropCounter;
}

export class OverlayLowerBinding implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  port: OverlayPort | null = null;
  generalAttributes: MiniportAdapterGeneralAttributes | null = null;
  /** The underlay's current offload configuration (tenant sends read it through `tenant.transmit.lowerOffload`). */
  lowerCurrent: NdisOffload | null = null;
  running = false;
  sendsOutstanding = 0;
  txNbls: NetBufferListPool | null = null;
  txSmall: NetBufferPool | null = null;
  txLarge: NetBufferPool | null = null;
  #rxNbls: NetBufferListPool | null = null;
  #rxNbs: NetBufferPool | null = null;
  drops: OverlayDrops | null = null;
  /** Underlay IPv4 of this VTEP (the tenant adapter's LocalAddress). */
  localIp = 0;
  readonly neighbors: UnderlayNeighbor[] = [];
  #arpTimer: NdisTimerObject | null = null;
  #pausing = false;
  #unbinding = false;
  readonly #oidOwners = new Map<NdisOidRequest, OverlayTenantAdapter | null>();
  readonly #decap = new DecapInfo();
  readonly #hdr = new Uint8Array(ETHERNET_HEADER_LEN + 60 + 16 + 8 + 4);
  readonly #arp = new Uint8Array(ARP_FRAME);
  readonly #lent: (NetBufferList | null)[] = [];

  constructor(ndis: ProtocolBindingHandle) {
    this.ndis = ndis;
  }

  get mac(): Uint8Array {
    return this.generalAttributes?.currentMacAddress ?? new Uint8Array(6);
  }

  bindAdapter(params: BindParameters): NdisStatus {
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.generalAttributes = params.generalAttributes;
    this.lowerCurrent = params.defaultOffloadConfiguration;
    const configured = params.keywords.read('UpperBindings');
    const names = Array.isArray(configured) ? configured : typeof configured === 'string' && configured !== '' ? configured.split(',').map((s) => s.trim()) : [];
    if (names.length !== 1) {
      this.ndis.log('error', `UpperBindings names ${names.length} virtual miniports; tsndis.overlay puts one tenant adapter over each underlay adapter`);
      this.ndis.closeAdapter();
      return NDIS_STATUS_FAILURE;
    }
    const d = (reason: string): NdisDropCounter => this.ndis.dropCounter(reason);
    this.drops = {
      truncated: d('overlayTruncated'),
      badLength: d('overlayBadLength'),
      badOuterChecksum: d('overlayBadOuterChecksum'),
      badHeader: d('overlayBadHeader'),
      unknownEncapsulation: d('overlayUnknownEncapsulation'),
      wrongVni: d('overlayWrongVni'),
      fragment: d('overlayFragment'),
      notOverlay: d('overlayNotEncapsulated'),
      oversize: d('overlayOversize'),
      notRunning: d('notRunning'),
      noResources: d('rxBufferExhausted'),
    };
    const name = this.ndis.name;
    const backfill = params.generalAttributes.dataBackFillSize;
    const small = (backfill + params.generalAttributes.mtuSize + ETHERNET_HEADER_LEN + 4 + 63) & ~63;
    this.txNbls = this.ndis.allocateNetBufferListPool({ name: `${name}:overlay-tx`, capacity: TX_NBLS });
    this.txSmall = this.ndis.allocateNetBufferPool({ name: `${name}:overlay-tx-frame`, capacity: TX_SMALL, dataSize: small });
    this.txLarge = this.ndis.allocateNetBufferPool({ name: `${name}:overlay-tx-lso`, capacity: TX_LARGE, dataSize: (backfill + LARGE_FRAME + 63) & ~63 });
    this.#rxNbls = this.ndis.allocateNetBufferListPool({ name: `${name}:overlay-rx`, capacity: RX_POOL });
    this.#rxNbs = this.ndis.allocateNetBufferPool({ name: `${name}:overlay-rx-nb`, capacity: RX_POOL * 2 });
    this.#arpTimer = this.ndis.allocateTimer(() => this.#arpTick());
    // What a protocol does at bind: receive directed frames and broadcasts (ARP), and turn offloads on.
    this.#fireOid(NdisOidRequest.set(packetFilterCodec, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST));
    const fam = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: ETHERNET_HEADER_LEN };
    this.#fireOid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: fam, ipv6: fam }));
    const port: OverlayPort = { instanceName: names[0]!, lower: this, upper: null };
    this.port = port;
    const status = this.ndis.initializeDeviceInstance(port.instanceName, port);
    if (status !== NDIS_STATUS_SUCCESS) this.ndis.log('error', `virtual miniport ${port.instanceName} could not be created (0x${status.toString(16)})`);
    return NDIS_STATUS_SUCCESS;
  }

  #fireOid(request: NdisOidRequest): void {
    this.#oidOwners.set(request, null);
    const status = this.ndis.oidRequest(request);
    if (status !== NDIS_STATUS_PENDING) this.#ownOidDone(request, status);
  }

  #ownOidDone(request: NdisOidRequest, status: NdisStatus): void {
    this.#oidOwners.delete(request);
    if (status !== NDIS_STATUS_SUCCESS) this.ndis.log('warn', `underlay refused OID 0x${request.oid.toString(16)} (0x${status.toString(16)})`);
  }

  unbindAdapter(): NdisStatus {
    this.#unbinding = true;
    const live = this.port?.upper !== null && this.port?.upper !== undefined;
    if (this.port !== null) this.ndis.deInitializeDeviceInstance(this.port.instanceName);
    if (live) return NDIS_STATUS_PENDING;
    this.#close();
    return NDIS_STATUS_SUCCESS;
  }

  #close(): void {
    this.#arpTimer?.cancel();
    this.#arpTimer?.free();
    this.#arpTimer = null;
    for (const pool of [this.txNbls, this.#rxNbls]) if (pool !== null) this.ndis.freeNetBufferListPool(pool);
    for (const pool of [this.txSmall, this.txLarge, this.#rxNbs]) if (pool !== null) this.ndis.freeNetBufferPool(pool);
    this.txNbls = this.#rxNbls = null;
    this.txSmall = this.txLarge = this.#rxNbs = null;
    this.ndis.closeAdapter();
  }

  /** The tenant adapter initialized: its tunnel's addresses join the binding. */
  tenantUp(upper: OverlayTenantAdapter, localIp: number, remotes: readonly number[], staticMac: Uint8Array | null): void {
    this.localIp = localIp;
    this.neighbors.length = 0;
    for (const ip of remotes) this.neighbors.push({ ip, mac: staticMac === null ? null : staticMac.slice() });
    upper.transmit.lowerOffload.update(this.lowerCurrent, upper.transmit.tunnel.kind, upper.transmit.tunnel.udpPort);
    this.#arpTick();
  }

  /** The tenant adapter halted; a pending unbind finishes. */
  upperHalted(port: OverlayPort): void {
    port.upper = null;
    if (this.#unbinding) {
      this.#close();
      this.ndis.unbindAdapterComplete();
    }
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    if (event.netEvent === NetEventPause) {
      this.running = false;
      this.#arpTimer?.cancel();
      if (this.sendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
      this.#pausing = true;
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) {
      this.running = true;
      this.#arpTick();
    }
    return NDIS_STATUS_SUCCESS;
  }

  // ---------------------------------------------------------------------------------------------
  // Underlay neighbours (ARP)

  /** The neighbour entry for `ip`, or null. */
  neighbor(ip: number): UnderlayNeighbor | null {
    for (const n of this.neighbors) if (n.ip === ip) return n;
    return null;
  }

  #arpTick(): void {
    if (!this.running) return;
    let missing = false;
    for (const n of this.neighbors) {
      if (n.mac !== null) continue;
      missing = true;
      this.#sendArp(ArpOperation.Request, null, n.ip);
      const c = this.port?.upper?.counters;
      if (c !== undefined) c.arpRequests++;
    }
    if (missing) this.#arpTimer?.set(ARP_RETRY_MS);
  }

  #sendArp(op: number, targetMac: Uint8Array | null, targetIp: number): void {
    const pool = this.txNbls;
    const nbs = this.txSmall;
    if (pool === null || nbs === null || !this.running) return;
    const a = this.#arp;
    const me = this.mac;
    a.fill(0);
    if (targetMac === null) a.fill(0xff, 0, 6);
    else a.set(targetMac, 0);
    a.set(me, 6);
    a[12] = 0x08;
    a[13] = 0x06;
    const p = ETHERNET_HEADER_LEN;
    a[p + ArpField.HardwareType + 1] = 1;
    a[p + ArpField.ProtocolType] = 0x08;
    a[p + ArpField.HardwareLength] = 6;
    a[p + ArpField.ProtocolLength] = 4;
    a[p + ArpField.Operation + 1] = op;
    a.set(me, p + ArpField.SenderHardwareAddr);
    writeU32(a, p + ArpField.SenderProtocolAddr, this.localIp);
    if (targetMac !== null) a.set(targetMac, p + ArpField.TargetHardwareAddr);
    writeU32(a, p + ArpField.TargetProtocolAddr, targetIp);
    const nbl = pool.allocate();
    if (nbl === null) return;
    const nb = nbs.allocate();
    if (nb === null) {
      pool.free(nbl);
      return;
    }
    const backfill = this.generalAttributes?.dataBackFillSize ?? 0;
    const m = nb.poolMdl!;
    m.bytes.set(a, m.byteOffset + backfill);
    nb.setData(m, backfill, ARP_FRAME);
    nbl.firstNetBuffer = nb;
    nbl.protocolReserved[0] = ARP_SEND;
    nbl.sourceHandle = this.ndis.sourceHandle;
    this.sendsOutstanding++;
    this.ndis.sendNetBufferLists(nbl, 0, 0);
  }

  /** An ARP packet from the underlay: answer requests for our address, learn remote VTEPs' MACs. */
  #arpIn(nb: NetBuffer): void {
    const a = this.#arp;
    if (nb.dataLength < ARP_FRAME) return;
    nb.copyOut(a, 0, 0, ARP_FRAME);
    const p = ETHERNET_HEADER_LEN;
    if (read16(a, p + ArpField.HardwareType) !== 1 || read16(a, p + ArpField.ProtocolType) !== EtherType.Ipv4 || a[p + ArpField.HardwareLength] !== 6 || a[p + ArpField.ProtocolLength] !== 4) return;
    const op = read16(a, p + ArpField.Operation);
    const senderIp = read32(a, p + ArpField.SenderProtocolAddr) >>> 0;
    const targetIp = read32(a, p + ArpField.TargetProtocolAddr) >>> 0;
    const n = this.neighbor(senderIp);
    const counters = this.port?.upper?.counters;
    if (n !== null) {
      const mac = a.slice(p + ArpField.SenderHardwareAddr, p + ArpField.SenderHardwareAddr + 6);
      if (n.mac === null || !sameMac(n.mac, mac, 0)) {
        n.mac = mac;
        if (counters !== undefined) counters.arpLearned++;
        this.port?.upper?.neighborResolved();
      }
    }
    if (op === ArpOperation.Request && targetIp === this.localIp && this.localIp !== 0) {
      const mac = a.slice(p + ArpField.SenderHardwareAddr, p + ArpField.SenderHardwareAddr + 6);
      this.#sendArp(ArpOperation.Reply, mac, senderIp);
      if (counters !== undefined) counters.arpReplies++;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Send

  forwardSend(nbls: NetBufferList, count: number): void {
    this.sendsOutstanding += count;
    this.ndis.sendNetBufferLists(nbls, 0, 0);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    let n = 0;
    let upper: OverlayTenantAdapter | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      n++;
      const owner = nbl.protocolReserved[0];
      nbl.protocolReserved[0] = null;
      releaseNetBuffers(nbl);
      if (owner === ARP_SEND) {
        this.txNbls!.free(nbl);
      } else {
        const original = owner as NetBufferList;
        original.status = nbl.status;
        nbl.info.tcpLargeSend = 0;
        nbl.info.tcpIpChecksum = 0;
        nbl.info.tcpSendOffloadsSupplemental = 0;
        this.txNbls!.free(nbl);
        upper = this.port?.upper ?? null;
        upper?.queueCompletion(original);
      }
      nbl = next;
    }
    this.sendsOutstanding -= n;
    upper?.completeFromBelow(flags);
    if (this.#pausing && this.sendsOutstanding === 0) {
      this.#pausing = false;
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receive: decapsulate, indicate on the tenant adapter

  receiveNetBufferLists(nbls: NetBufferList, _portNumber: number, _count: number, receiveFlags: number): void {
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const upper = this.port?.upper ?? null;
    const lent = this.#lent;
    let lentCount = 0;
    let dropHead: NetBufferList | null = null;
    let dropTail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const derived = upper === null ? null : this.#decapsulate(nbl, upper);
      if (derived === null) {
        if (dropTail === null) dropHead = nbl;
        else dropTail.next = nbl;
        dropTail = nbl;
      } else {
        upper!.queueReceive(derived);
        if (resources) lent[lentCount++] = derived;
      }
      nbl = next;
    }
    upper?.indicateFromBelow(receiveFlags);
    if (this.#learnedNow) {
      this.#learnedNow = false;
      upper?.neighborResolved();
    }
    if (resources) {
      for (let i = 0; i < lentCount; i++) {
        freeFragmentNetBufferList(lent[i]!, 0);
        lent[i] = null;
      }
      return;
    }
    if (dropHead !== null) this.ndis.returnNetBufferLists(dropHead, 0);
  }

  /** The derived NBL describing the inner frame(s) of `nbl`, or null (the drop counted). */
  #decapsulate(nbl: NetBufferList, upper: OverlayTenantAdapter): NetBufferList | null {
    const drops = this.drops!;
    const nb = nbl.firstNetBuffer;
    if (nb === null) {
      drops.truncated.drop(null);
      return null;
    }
    const hdr = this.#hdr;
    const t = upper.transmit.tunnel;
    const info = this.#decap;
    let innerOffset = -1;
    for (let n: NetBuffer | null = nb; n !== null; n = n.next) {
      const len = n.dataLength;
      if (len >= ETHERNET_HEADER_LEN && n.byteAt(12) === 0x08 && n.byteAt(13) === 0x06) {
        // ARP on the underlay is ours to handle, never the tenant's.
        this.#arpIn(n);
        return null;
      }
      const r = this.#parse(n, hdr, len, t, info, (nbl.info.tcpIpChecksum & (CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED)) !== 0);
      if (r !== DecapResult.Ok) {
        this.#countDrop(r, n);
        return null;
      }
      // One derived NBL skips the same number of bytes in every NB: frames with different outer header lengths cannot share one.
      if (innerOffset >= 0 && info.innerOffset !== innerOffset) {
        drops.badLength.drop(n);
        return null;
      }
      innerOffset = info.innerOffset;
      if (info.innerOffset + info.innerLength !== len) {
        // Ethernet padding after the outer IP packet would be indicated as inner frame bytes.
        if (n !== nb || nb.next !== null) {
          drops.badLength.drop(n);
          return null;
        }
      }
      if (info.innerLength > upper.maxInnerFrame) {
        drops.oversize.drop(n);
        return null;
      }
      this.#learn(n, info.outerSrcIp);
    }
    if (!upper.running) {
      drops.notRunning.drop(nb);
      return null;
    }
    const derived = allocateFragmentNetBufferList(nbl, this.#rxNbls!, this.#rxNbs!, innerOffset, WHOLE, 0, 0);
    if (derived === null) {
      drops.noResources.drop(nb);
      return null;
    }
    // A padded single frame: trim the derived NB to the inner frame.
    if (info.innerOffset + info.innerLength !== nb.dataLength) derived.firstNetBuffer!.dataLength = info.innerLength;
    derived.info.copyReceiveInfoFrom(nbl.info);
    // The underlay's checksum results describe the outer packet — except a TCP result, which on a frame
    // whose outer transport is UDP or GRE can only be the inner TCP's (a kernel's partial inner checksum).
    const rx = nbl.info.tcpIpChecksum;
    derived.info.tcpIpChecksum = (rx & CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED) !== 0 ? rx & (CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID) : 0;
    derived.info.tcpRecvSegCoalesceInfo = 0;
    derived.info.hashInfo = 0;
    derived.info.hashValue = 0;
    for (let d = derived.firstNetBuffer; d !== null; d = d.next) {
      upper.counters.rxFrames++;
      upper.counters.rxBytes += d.dataLength;
    }
    return derived;
  }

  #parse(n: NetBuffer, hdr: Uint8Array, len: number, t: { kind: number; vni: number; udpPort: number }, info: DecapInfo, l4Validated: boolean): DecapResult {
    // The headers are parsed from a copy of the frame's first bytes; the inner frame is never copied,
    // except to verify a checksum that covers it (a non-zero UDP checksum, a GRE checksum).
    const want = Math.min(len, hdr.length);
    n.copyOut(hdr, 0, 0, want);
    const kind = t.kind as OverlayKind;
    const r = decapsulate(hdr, 0, want, kind, t.vni, t.udpPort, this.localIp, info, len, l4Validated);
    if (r !== DecapResult.NeedWhole) return r;
    if (this.#whole.length < len) this.#whole = new Uint8Array(Math.max(len, 2048));
    n.copyOut(this.#whole, 0, 0, len);
    return decapsulate(this.#whole, 0, len, kind, t.vni, t.udpPort, this.localIp, info);
  }

  #whole = new Uint8Array(0);
  /** A remote VTEP's MAC was gleaned during the current receive call. */
  #learnedNow = false;

  #countDrop(r: DecapResult, n: NetBuffer): void {
    const d = this.drops!;
    switch (r) {
      case DecapResult.Truncated:
        d.truncated.drop(n);
        break;
      case DecapResult.BadLength:
        d.badLength.drop(n);
        break;
      case DecapResult.BadOuterChecksum:
        d.badOuterChecksum.drop(n);
        break;
      case DecapResult.BadHeader:
        d.badHeader.drop(n);
        break;
      case DecapResult.UnknownEncapsulation:
        d.unknownEncapsulation.drop(n);
        break;
      case DecapResult.WrongVni:
        d.wrongVni.drop(n);
        break;
      case DecapResult.Fragment:
        d.fragment.drop(n);
        break;
      default:
        d.notOverlay.drop(n);
        break;
    }
  }

  /** A remote VTEP's MAC from the outer source of its encapsulated frame (gleaning, as an ARP cache does). */
  #learn(n: NetBuffer, srcIp: number): void {
    const nb = this.neighbor(srcIp);
    if (nb === null) return;
    if (nb.mac !== null && sameNbMac(n, nb.mac)) return;
    const mac = new Uint8Array(6);
    n.copyOut(mac, 0, 6, 6);
    nb.mac = mac;
    const c = this.port?.upper?.counters;
    if (c !== undefined) c.arpLearned++;
    this.#learnedNow = true;
  }

  /** From the tenant adapter: decapsulated NBLs are back; free them and return their originals. */
  returnFromAbove(derived: NetBufferList): void {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = derived; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const original = nbl.parentNetBufferList!;
      freeFragmentNetBufferList(nbl, 0);
      if (tail === null) head = original;
      else tail.next = original;
      tail = original;
      nbl = next;
    }
    if (head !== null) this.ndis.returnNetBufferLists(head, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // OIDs and status

  forwardOid(request: NdisOidRequest, from: OverlayTenantAdapter): NdisStatus {
    this.#oidOwners.set(request, from);
    const status = this.ndis.oidRequest(request);
    if (status !== NDIS_STATUS_PENDING) this.#oidOwners.delete(request);
    return status;
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    if (!this.#oidOwners.has(request)) return;
    const owner = this.#oidOwners.get(request)!;
    if (owner === null) {
      this.#ownOidDone(request, status);
      return;
    }
    this.#oidOwners.delete(request);
    owner.oidCompleteFromBelow(request, status);
  }

  status(indication: NdisStatusIndication): void {
    // The underlay's offload changes decide the send path; they are not the tenant's offloads (the tenant
    // adapter's are the gateway's own), so they are not passed up. Link state and the rest are.
    if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) {
      this.lowerCurrent = indication.statusBuffer as NdisOffload;
      const up = this.port?.upper;
      if (up !== null && up !== undefined) up.transmit.lowerOffload.update(this.lowerCurrent, up.transmit.tunnel.kind, up.transmit.tunnel.udpPort);
      return;
    }
    if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES) return;
    this.port?.upper?.ndis.indicateStatus({ statusCode: indication.statusCode, statusBuffer: indication.statusBuffer });
  }

  inspect(): Record<string, unknown> {
    return {
      tenant: this.port?.upper?.ndis.name ?? null,
      localAddress: formatIp(this.localIp),
      neighbors: this.neighbors.map((n) => ({ address: formatIp(n.ip), mac: n.mac === null ? null : [...n.mac].map((x) => x.toString(16).padStart(2, '0')).join(':') })),
      sendsOutstanding: this.sendsOutstanding,
    };
  }
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function sameMac(a: Uint8Array, b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[o + i]) return false;
  return true;
}

function sameNbMac(n: NetBuffer, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (n.byteAt(6 + i) !== mac[i]) return false;
  return true;
}

export function formatIp(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
