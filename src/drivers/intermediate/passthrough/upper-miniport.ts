/**
 * Upper edge of the pass-through intermediate driver: a virtual miniport (no hardware, so no
 * check-for-hang or reset). Sends from above go down through the lower binding as the same NBLs: the
 * original SourceHandle is saved in the NBL's context area and SourceHandle becomes the binding's
 * handle, then restored on completion (the MUX sample's pattern). OID requests are forwarded down.
 */
import {
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  type MiniportAdapter,
  type MiniportInitParameters,
  type NdisOidRequest,
  type NdisStatus,
  type NetBufferList,
} from '../../../ndis/index.js';
import { IM_CONTEXT_SIZE, type ImPair } from './shared.js';
import { ImVirtualMiniport } from '../virtual-miniport.js';

export class ImUpperAdapter extends ImVirtualMiniport implements MiniportAdapter {
  pair: ImPair | null = null;
  readonly #forwarded = new Map<NdisOidRequest, NdisOidRequest>();
  /** NBLs of a RESOURCES indication in progress. */
  readonly #lent: (NetBufferList | null)[] = [];

  initialize(params: MiniportInitParameters): NdisStatus {
    const pair = params.imDeviceContext as ImPair;
    const lowerAttrs = pair.lower.generalAttributes;
    if (lowerAttrs === null) return NDIS_STATUS_RESOURCES;
    this.pair = pair;
    pair.upper = this;
    this.ndis.setRegistrationAttributes({});
    // The virtual adapter looks like the adapter below it (same MAC, MTU, link), plus our context backfill.
    this.ndis.setGeneralAttributes({ ...lowerAttrs, contextBackFillSize: lowerAttrs.contextBackFillSize + IM_CONTEXT_SIZE });
    // …and offers the task offloads of the adapter below, which does the work (§1.7).
    const lower = pair.lower;
    if (lower.currentOffload !== null && lower.hardwareOffload !== null) {
      this.ndis.setOffloadAttributes({ defaultOffloadConfiguration: lower.currentOffload, hardwareOffloadCapabilities: lower.hardwareOffload });
    }
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    const pair = this.pair;
    this.pair = null;
    if (pair !== null) {
      pair.upper = null;
      pair.lower.upperHalted(pair);
    }
  }

  shutdown(): void {}


  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    const lower = this.pair?.lower;
    if (!this.running || lower === undefined || !lower.running) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    // Split into what we can forward (context pushed) and what fails for lack of context space.
    let okHead: NetBufferList | null = null;
    let okTail: NetBufferList | null = null;
    let failHead: NetBufferList | null = null;
    let failTail: NetBufferList | null = null;
    let n = 0;
    const down = lower.ndis.sourceHandle;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if (nbl.allocateContext(IM_CONTEXT_SIZE, 0) === NDIS_STATUS_SUCCESS) {
        nbl.setContextPointer(0, nbl.sourceHandle);
        nbl.sourceHandle = down;
        if (okTail === null) okHead = nbl;
        else okTail.next = nbl;
        okTail = nbl;
        n++;
      } else {
        nbl.status = NDIS_STATUS_RESOURCES;
        if (failTail === null) failHead = nbl;
        else failTail.next = nbl;
        failTail = nbl;
      }
      nbl = next;
    }
    if (okHead !== null) {
      this.sendsOutstanding += n;
      lower.forwardSend(okHead, portNumber, sendFlags);
    }
    if (failHead !== null) this.ndis.sendNetBufferListsComplete(failHead, 0);
  }

  /** From the lower binding: our forwarded sends are back; restore and complete them upwards. */
  completeFromBelow(nbls: NetBufferList, flags: number): void {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.sourceHandle = nbl.getContextPointer(0) as object | null;
      nbl.freeContext(IM_CONTEXT_SIZE);
      n++;
    }
    this.sendsOutstanding -= n;
    this.ndis.sendNetBufferListsComplete(nbls, flags);
    this.maybeFinishPause();
  }

  /** From the lower binding: receives to indicate up as our own. Returns false when we cannot take them. */
  indicateFromBelow(nbls: NetBufferList, portNumber: number, count: number, flags: number, resources: boolean): boolean {
    if (!this.running) return false;
    const self = this.ndis as object;
    const lent = this.#lent;
    let i = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.allocateContext(IM_CONTEXT_SIZE, 0);
      nbl.setContextPointer(0, nbl.sourceHandle);
      nbl.sourceHandle = self;
      if (resources) lent[i++] = nbl;
    }
    if (!resources) {
      this.indicatedOutstanding += count;
      this.ndis.indicateReceiveNetBufferLists(nbls, portNumber, count, flags);
      return true;
    }
    this.ndis.indicateReceiveNetBufferLists(nbls, portNumber, count, flags);
    // Back to us when the call returns; receivers may have relinked the chain, so restore from the record
    // and give the lower miniport its chain back in the original order.
    for (let k = 0; k < i; k++) {
      const nbl = lent[k]!;
      nbl.next = k + 1 < i ? lent[k + 1]! : null;
      nbl.sourceHandle = nbl.getContextPointer(0) as object | null;
      nbl.freeContext(IM_CONTEXT_SIZE);
      lent[k] = null;
    }
    return true;
  }

  #restoreReceives(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.sourceHandle = nbl.getContextPointer(0) as object | null;
      nbl.freeContext(IM_CONTEXT_SIZE);
    }
  }

  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) n++;
    this.#restoreReceives(nbls);
    this.indicatedOutstanding -= n;
    this.pair?.lower.ndis.returnNetBufferLists(nbls, returnFlags);
    this.maybeFinishPause();
  }

  cancelSend(cancelId: number): void {
    this.pair?.lower.ndis.cancelSendNetBufferLists(cancelId);
  }

  devicePnPEventNotify(): void {}

  /** Everything goes to the adapter below, as a clone (results copied back on completion). */
  oidRequest(request: NdisOidRequest): NdisStatus {
    const lower = this.pair?.lower;
    if (lower === undefined) return NDIS_STATUS_PAUSED;
    const clone = request.clone();
    this.#forwarded.set(clone, request);
    const status = lower.forwardOid(clone, this);
    if (status !== NDIS_STATUS_PENDING) {
      this.#forwarded.delete(clone);
      clone.copyResultTo(request);
    }
    return status;
  }

  /** The lower binding finished a request we forwarded. */
  oidCompleteFromBelow(clone: NdisOidRequest, status: NdisStatus): void {
    const original = this.#forwarded.get(clone);
    if (original === undefined) return;
    this.#forwarded.delete(clone);
    clone.copyResultTo(original);
    this.ndis.oidRequestComplete(original, status);
  }

  cancelOidRequest(requestId: number): void {
    this.pair?.lower.ndis.cancelOidRequest(requestId);
  }
}
