/**
 * Lower edge of tsndis.vlan: the one protocol binding to the adapter carrying the tagged traffic. On bind
 * it asks NDIS for one virtual miniport per name in UpperBindings (each learns its VLAN from its own
 * `VlanID` keyword and registers here). Receives are demultiplexed by VLAN ID: each frame of a known
 * VLAN is described, untagged, by a derived NBL (a fragment of the original that skips the 18-byte tagged
 * header, retreated by a fresh 14-byte untagged one: no payload copy, the lower adapter's buffer never
 * written) carrying the VLAN and priority in its Ieee8021QNetBufferListInfo, and indicated by that
 * VLAN's virtual miniport; the original goes back down when the derived NBL is returned (at once, when
 * the indication carried NDIS_RECEIVE_FLAGS_RESOURCES). Frames of no configured VLAN, untagged, double
 * tagged or truncated are counted and dropped. Sends arrive here already tagged (derived NBLs the
 * virtual miniports built); their completions go back to the virtual miniport that sent them.
 */
import {
  allocateFragmentNetBufferList,
  freeFragmentNetBufferList,
  ieee8021QValue,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES,
  NdisMedium802_3,
  NetEventPause,
  NetEventRestart,
  type BindParameters,
  type MiniportAdapterGeneralAttributes,
  type NdisOffload,
  type NdisOidRequest,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
} from '../../../ndis/index.js';
import { ETHERNET_HEADER_LEN, ETHERNET_VLAN_HEADER_LEN } from '../../../wire/ethernet.js';
import { vlanOffload } from './offload.js';
import { VlanMuxCounters, type VlanPort } from './shared.js';
import { classifyFrame, TagInfo, TagKind, writeUntaggedHeader } from './tag.js';
import type { VlanUpperAdapter } from './upper-miniport.js';

/** Derived NBLs the binding can have in flight each way (pool capacities). */
const POOL_SIZE = 1024;
/** Fragment length that keeps every NetBuffer whole (LSO frames included). */
const WHOLE = 0x7fffffff;

export class VlanLowerBinding implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  readonly ports: VlanPort[] = [];
  readonly counters = new VlanMuxCounters();
  generalAttributes: MiniportAdapterGeneralAttributes | null = null;
  /** The lower adapter's offloads as reported to us, and what the virtual miniports advertise from them. */
  lowerCurrent: NdisOffload | null = null;
  lowerHardware: NdisOffload | null = null;
  virtualCurrent: NdisOffload | null = null;
  virtualHardware: NdisOffload | null = null;
  running = false;
  /** Tagged NBLs sent down and not yet completed. */
  sendsOutstanding = 0;
  /** Send pools (derived tagged NBLs) and receive pools (derived untagged NBLs). */
  txNbls: NetBufferListPool | null = null;
  txNbs: NetBufferPool | null = null;
  #rxNbls: NetBufferListPool | null = null;
  #rxNbs: NetBufferPool | null = null;
  /** VLAN ID → running-or-not virtual miniport of that VLAN. */
  readonly #byVlan = new Map<number, VlanUpperAdapter>();
  #pausing = false;
  #unbinding = false;
  readonly #oidOwners = new Map<NdisOidRequest, VlanUpperAdapter>();
  // Receive scratch, reused for every frame.
  readonly #tag = new TagInfo();
  readonly #hdr = new Uint8Array(ETHERNET_VLAN_HEADER_LEN);
  readonly #untagged = new Uint8Array(ETHERNET_HEADER_LEN);
  /** Virtual miniports with receives / send completions gathered in the current call. */
  readonly #rxTouched: VlanUpperAdapter[] = [];
  readonly #txTouched: VlanUpperAdapter[] = [];
  /** Derived NBLs of a RESOURCES indication, freed once the indications above return. */
  readonly #lent: (NetBufferList | null)[] = [];

  constructor(ndis: ProtocolBindingHandle) {
    this.ndis = ndis;
  }

  bindAdapter(params: BindParameters): NdisStatus {
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.generalAttributes = params.generalAttributes;
    this.#adoptOffload(params.defaultOffloadConfiguration, params.hardwareOffloadCapabilities);
    const configured = params.keywords.read('UpperBindings');
    const names = Array.isArray(configured) ? configured : typeof configured === 'string' && configured !== '' ? configured.split(',').map((s) => s.trim()) : [];
    if (names.length === 0) {
      this.ndis.log('error', 'UpperBindings names no virtual miniport; a VLAN MUX needs at least one');
      this.ndis.closeAdapter();
      return NDIS_STATUS_FAILURE;
    }
    const name = this.ndis.name;
    this.txNbls = this.ndis.allocateNetBufferListPool({ name: `${name}:vlan-tx`, capacity: POOL_SIZE });
    this.txNbs = this.ndis.allocateNetBufferPool({ name: `${name}:vlan-tx-nb`, capacity: POOL_SIZE * 2 });
    this.#rxNbls = this.ndis.allocateNetBufferListPool({ name: `${name}:vlan-rx`, capacity: POOL_SIZE });
    this.#rxNbs = this.ndis.allocateNetBufferPool({ name: `${name}:vlan-rx-nb`, capacity: POOL_SIZE });
    for (const instanceName of names) {
      const port: VlanPort = { instanceName, lower: this, upper: null };
      this.ports.push(port);
      const status = this.ndis.initializeDeviceInstance(instanceName, port);
      if (status !== NDIS_STATUS_SUCCESS) this.ndis.log('error', `virtual miniport ${instanceName} could not be created (0x${status.toString(16)})`);
    }
    return NDIS_STATUS_SUCCESS;
  }

  unbindAdapter(): NdisStatus {
    this.#unbinding = true;
    const live = this.ports.some((p) => p.upper !== null);
    for (const p of this.ports) this.ndis.deInitializeDeviceInstance(p.instanceName);
    if (live) return NDIS_STATUS_PENDING;
    this.#close();
    return NDIS_STATUS_SUCCESS;
  }

  #close(): void {
    for (const pool of [this.txNbls, this.#rxNbls]) if (pool !== null) this.ndis.freeNetBufferListPool(pool);
    for (const pool of [this.txNbs, this.#rxNbs]) if (pool !== null) this.ndis.freeNetBufferPool(pool);
    this.txNbls = this.#rxNbls = null;
    this.txNbs = this.#rxNbs = null;
    this.ndis.closeAdapter();
  }

  /**
   * A virtual miniport initialized with `vlanId`: it joins the demultiplexer. Refused (false) when
   * another virtual miniport over this adapter already has that VLAN (the config loader catches it
   * first; OID_GEN_VLAN_ID sets come here too).
   */
  registerVlan(upper: VlanUpperAdapter, vlanId: number): boolean {
    const other = this.#byVlan.get(vlanId);
    if (other !== undefined && other !== upper) return false;
    for (const [id, u] of this.#byVlan) if (u === upper) this.#byVlan.delete(id);
    this.#byVlan.set(vlanId, upper);
    return true;
  }

  /** A virtual miniport halted; the last one lets a pending unbind finish. */
  upperHalted(port: VlanPort, upper: VlanUpperAdapter): void {
    for (const [id, u] of this.#byVlan) if (u === upper) this.#byVlan.delete(id);
    port.upper = null;
    if (this.#unbinding && this.ports.every((p) => p.upper === null)) {
      this.#close();
      this.ndis.unbindAdapterComplete();
    }
  }

  /** VLAN ID → virtual miniport name, for the stack tree. */
  vlans(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, u] of [...this.#byVlan].sort((a, b) => a[0] - b[0])) out[String(id)] = u.ndis.name;
    return out;
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    // The binding pauses after the virtual miniports' sends through it have drained: they fail new sends
    // with NDIS_STATUS_PAUSED meanwhile (they see `running` false), and nothing new is indicated up.
    if (event.netEvent === NetEventPause) {
      this.running = false;
      if (this.sendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
      this.#pausing = true;
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) this.running = true;
    return NDIS_STATUS_SUCCESS;
  }

  // ---------------------------------------------------------------------------------------------
  // Send: tagged derived NBLs from the virtual miniports

  forwardSend(nbls: NetBufferList, count: number, portNumber: number, sendFlags: number): void {
    this.sendsOutstanding += count;
    this.ndis.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    const touched = this.#txTouched;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      n++;
      const upper = nbl.protocolReserved[0] as VlanUpperAdapter;
      nbl.protocolReserved[0] = null;
      const original = nbl.parentNetBufferList!;
      // Completion status travels in the NBL: the original gets the derived NBL's, and an LSO send the
      // transmit-complete info the miniport wrote (§2.3).
      original.status = nbl.status;
      if (original.info.tcpLargeSend !== 0) original.info.tcpLargeSend = nbl.info.tcpLargeSend;
      const retreated = (nbl.protocolReserved[1] as number | null) ?? ETHERNET_VLAN_HEADER_LEN;
      nbl.protocolReserved[1] = null;
      freeFragmentNetBufferList(nbl, retreated);
      if (upper.queueCompletion(original)) touched.push(upper);
      nbl = next;
    }
    this.sendsOutstanding -= n;
    // Popped one by one: a completion above may send, and a synchronous completion of that send re-enters.
    while (touched.length > 0) touched.pop()!.completeFromBelow(flags);
    if (this.#pausing && this.sendsOutstanding === 0) {
      this.#pausing = false;
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receive: demultiplex, untag, indicate on the VLAN's virtual miniport

  receiveNetBufferLists(nbls: NetBufferList, _portNumber: number, _count: number, receiveFlags: number): void {
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const c = this.counters;
    const tag = this.#tag;
    const hdr = this.#hdr;
    const touched = this.#rxTouched;
    const lent = this.#lent;
    let lentCount = 0;
    let dropHead: NetBufferList | null = null;
    let dropTail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      c.rxFrames++;
      const derived = this.#untag(nbl, tag, hdr);
      if (derived === null) {
        if (dropTail === null) dropHead = nbl;
        else dropTail.next = nbl;
        dropTail = nbl;
      } else {
        const upper = derived.scratch as VlanUpperAdapter;
        derived.scratch = null;
        if (upper.queueReceive(derived)) touched.push(upper);
        if (resources) lent[lentCount++] = derived;
      }
      nbl = next;
    }
    while (touched.length > 0) touched.pop()!.indicateFromBelow(receiveFlags);
    if (resources) {
      // The originals go back to the miniport when this call returns; our descriptions of them go now.
      for (let i = 0; i < lentCount; i++) {
        freeFragmentNetBufferList(lent[i]!, ETHERNET_HEADER_LEN);
        lent[i] = null;
      }
      return;
    }
    if (dropHead !== null) this.ndis.returnNetBufferLists(dropHead, 0);
  }

  /**
   * Classifies `nbl` and, for a frame of a known and running VLAN, returns the untagged derived NBL
   * (its virtual miniport in `scratch`); null when the frame is dropped (counted).
   */
  #untag(nbl: NetBufferList, tag: TagInfo, hdr: Uint8Array): NetBufferList | null {
    const c = this.counters;
    const nb = nbl.firstNetBuffer;
    if (nb === null) {
      c.rxTruncated++;
      return null;
    }
    const len = nb.dataLength;
    nb.copyOut(hdr, 0, 0, Math.min(len, ETHERNET_VLAN_HEADER_LEN));
    switch (classifyFrame(hdr, len, tag)) {
      case TagKind.Untagged:
        c.rxUntagged++;
        return null;
      case TagKind.DoubleTagged:
        c.rxDoubleTagged++;
        return null;
      case TagKind.Truncated:
        c.rxTruncated++;
        return null;
      default:
        break;
    }
    // A tag and nothing behind it (or a following NB that is not a whole tagged frame) describes no frame.
    for (let n: NetBuffer | null = nb; n !== null; n = n.next) {
      if (n.dataLength <= ETHERNET_VLAN_HEADER_LEN) {
        c.rxTruncated++;
        return null;
      }
    }
    const upper = this.#byVlan.get(tag.vlanId);
    if (upper === undefined) {
      c.rxUnknownVlan++;
      return null;
    }
    if (!upper.running) {
      upper.counters.rxNotRunning++;
      return null;
    }
    const derived = allocateFragmentNetBufferList(nbl, this.#rxNbls!, this.#rxNbs!, ETHERNET_VLAN_HEADER_LEN, WHOLE, ETHERNET_HEADER_LEN, 0);
    if (derived === null) {
      c.rxResources++;
      return null;
    }
    const untagged = this.#untagged;
    for (let s: NetBuffer | null = nb, d = derived.firstNetBuffer; s !== null && d !== null; s = s.next, d = d.next) {
      if (s !== nb) s.copyOut(hdr, 0, 0, ETHERNET_VLAN_HEADER_LEN);
      writeUntaggedHeader(hdr, untagged, 0);
      d.copyIn(untagged, 0, ETHERNET_HEADER_LEN, 0);
      upper.counters.rxBytes += d.dataLength;
    }
    derived.info.copyReceiveInfoFrom(nbl.info);
    derived.info.ieee8021Q = ieee8021QValue(tag.priority, tag.vlanId);
    derived.scratch = upper;
    upper.counters.rxFrames++;
    return derived;
  }

  /** From a virtual miniport: untagged NBLs indicated by it are back; free them and return their originals. */
  returnFromAbove(derived: NetBufferList): void {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = derived; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const original = nbl.parentNetBufferList!;
      freeFragmentNetBufferList(nbl, ETHERNET_HEADER_LEN);
      if (tail === null) head = original;
      else tail.next = original;
      tail = original;
      nbl = next;
    }
    if (head !== null) this.ndis.returnNetBufferLists(head, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // OIDs and status

  forwardOid(request: NdisOidRequest, from: VlanUpperAdapter): NdisStatus {
    this.#oidOwners.set(request, from);
    const status = this.ndis.oidRequest(request);
    if (status !== NDIS_STATUS_PENDING) this.#oidOwners.delete(request);
    return status;
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    const owner = this.#oidOwners.get(request);
    this.#oidOwners.delete(request);
    owner?.oidCompleteFromBelow(request, status);
  }

  #adoptOffload(current: NdisOffload | null, hardware: NdisOffload | null): void {
    if (current !== null) {
      this.lowerCurrent = current;
      this.virtualCurrent = vlanOffload(current);
    }
    if (hardware !== null) {
      this.lowerHardware = hardware;
      this.virtualHardware = vlanOffload(hardware);
    }
  }

  status(indication: NdisStatusIndication): void {
    // Offload changes below are mapped to what tagged traffic may use and re-indicated by every virtual
    // miniport (§1.7); everything else (link state, …) each virtual miniport indicates as it came.
    let buffer = indication.statusBuffer;
    if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) {
      this.#adoptOffload(indication.statusBuffer as NdisOffload, null);
      buffer = this.virtualCurrent;
    } else if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES) {
      this.#adoptOffload(null, indication.statusBuffer as NdisOffload);
      buffer = this.virtualHardware;
    }
    for (const p of this.ports) p.upper?.ndis.indicateStatus({ statusCode: indication.statusCode, statusBuffer: buffer });
  }

  inspect(): Record<string, unknown> {
    return {
      vlans: this.vlans(),
      ...this.counters,
      sendsOutstanding: this.sendsOutstanding,
      txPool: this.txNbls === null ? null : { capacity: this.txNbls.capacity, inUse: this.sendsOutstanding },
    };
  }
}
