/**
 * Lower edge of the pass-through intermediate driver: a protocol binding to the real adapter. On bind
 * it asks NDIS for one virtual miniport per name in the UpperBindings keyword; receives are handed to
 * the virtual miniport (as the same NBLs), status indications follow them up, and unbinding waits until
 * every virtual miniport it created has halted.
 */
import {
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_INVALID_PARAMETER,
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
  type NetBufferList,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
} from '../../../ndis/index.js';
import type { ImPair } from './shared.js';
import type { ImUpperAdapter } from './upper-miniport.js';

export class ImLowerBinding implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  readonly pairs: ImPair[] = [];
  generalAttributes: MiniportAdapterGeneralAttributes | null = null;
  /** The lower adapter's task offloads as NDIS reported them to us; the virtual miniport advertises them (§1.7). */
  currentOffload: NdisOffload | null = null;
  hardwareOffload: NdisOffload | null = null;
  running = false;
  sendsOutstanding = 0;
  #pausing = false;
  #unbinding = false;
  readonly #oidOwners = new Map<NdisOidRequest, ImUpperAdapter>();

  constructor(ndis: ProtocolBindingHandle) {
    this.ndis = ndis;
  }

  bindAdapter(params: BindParameters): NdisStatus {
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.generalAttributes = params.generalAttributes;
    this.currentOffload = params.defaultOffloadConfiguration;
    this.hardwareOffload = params.hardwareOffloadCapabilities;
    const configured = params.keywords.read('UpperBindings');
    const shortName = params.adapterName.slice(params.adapterName.lastIndexOf('/') + 1);
    const names = Array.isArray(configured) ? configured : typeof configured === 'string' && configured !== '' ? configured.split(',').map((s) => s.trim()) : [`${shortName}-pt`];
    // A pass-through has exactly one virtual miniport per binding (a MUX would demultiplex to several).
    if (names.length !== 1) {
      this.ndis.log('error', `UpperBindings names ${names.length} virtual miniports; a pass-through binding drives exactly one`);
      this.ndis.closeAdapter();
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    const pair: ImPair = { instanceName: names[0]!, lower: this, upper: null };
    this.pairs.push(pair);
    const status = this.ndis.initializeDeviceInstance(pair.instanceName, pair);
    if (status !== NDIS_STATUS_SUCCESS) {
      this.pairs.length = 0;
      this.ndis.closeAdapter();
    }
    return status;
  }

  unbindAdapter(): NdisStatus {
    this.#unbinding = true;
    const live = this.pairs.filter((p) => p.upper !== null);
    for (const p of this.pairs) this.ndis.deInitializeDeviceInstance(p.instanceName);
    if (live.length === 0) {
      this.ndis.closeAdapter();
      return NDIS_STATUS_SUCCESS;
    }
    return NDIS_STATUS_PENDING;
  }

  /** A virtual miniport halted; the last one lets a pending unbind finish. */
  upperHalted(_pair: ImPair): void {
    if (this.#unbinding && this.pairs.every((p) => p.upper === null)) {
      this.ndis.closeAdapter();
      this.ndis.unbindAdapterComplete();
    }
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    if (event.netEvent === NetEventPause) {
      this.running = false;
      if (this.sendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
      this.#pausing = true;
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) this.running = true;
    return NDIS_STATUS_SUCCESS;
  }

  forwardSend(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) this.sendsOutstanding++;
    this.ndis.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) n++;
    this.sendsOutstanding -= n;
    // A pass-through IM with one virtual miniport per binding: every completion belongs to it.
    const upper = this.pairs.find((p) => p.upper !== null)?.upper;
    if (upper !== undefined && upper !== null) upper.completeFromBelow(nbls, flags);
    if (this.#pausing && this.sendsOutstanding === 0) {
      this.#pausing = false;
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
  }

  receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const upper = this.pairs[0]?.upper;
    if (upper !== undefined && upper !== null && upper.indicateFromBelow(nbls, portNumber, count, receiveFlags, resources)) return;
    if (!resources) this.ndis.returnNetBufferLists(nbls, 0);
  }

  forwardOid(request: NdisOidRequest, from: ImUpperAdapter): NdisStatus {
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

  status(indication: NdisStatusIndication): void {
    // A pass-through has one path, so its offloads are exactly the lower adapter's: follow them, and let
    // the indication below carry them up (an IM over several adapters would intersect here).
    if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) this.currentOffload = indication.statusBuffer as NdisOffload;
    else if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES) this.hardwareOffload = indication.statusBuffer as NdisOffload;
    for (const p of this.pairs) p.upper?.ndis.indicateStatus({ statusCode: indication.statusCode, statusBuffer: indication.statusBuffer });
  }
}
