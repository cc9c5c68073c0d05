/**
 * A filter module that passes everything through unchanged, following the rules a filter must keep:
 * complete sends with NDIS_STATUS_PAUSED and hand receives straight back when not running, forward OID
 * requests as clones and copy the results back (the sample filter's pattern), forward status indications.
 * Filters that only watch or count extend it and override the paths they care about.
 */
import {
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  type FilterAttachParameters,
  type FilterModule,
  type FilterModuleHandle,
  type FilterPauseParameters,
  type FilterRestartParameters,
  type NdisOidRequest,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBufferList,
} from '../../../ndis/index.js';

export class PassThroughFilterModule implements FilterModule {
  readonly ndis: FilterModuleHandle;
  attachParameters: FilterAttachParameters | null = null;

  constructor(ndis: FilterModuleHandle) {
    this.ndis = ndis;
  }

  /** FilterAttach: nothing to allocate. */
  attach(params: FilterAttachParameters): NdisStatus {
    this.attachParameters = params;
    return NDIS_STATUS_SUCCESS;
  }

  detach(): void {}

  /** Nothing is held or originated here, so the pause completes at once. */
  pause(_params: FilterPauseParameters): NdisStatus {
    return NDIS_STATUS_SUCCESS;
  }

  restart(_params: FilterRestartParameters): NdisStatus {
    return NDIS_STATUS_SUCCESS;
  }

  /** States: Running (Pausing drains). Ownership: ours until passed down or completed. */
  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    if (this.ndis.state !== 'Running') {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    this.ndis.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    this.ndis.sendNetBufferListsComplete(nbls, flags);
  }

  cancelSendNetBufferLists(cancelId: number): void {
    this.ndis.cancelSendNetBufferLists(cancelId);
  }

  /** Not running: give normal receives straight back (RESOURCES ones go back when we return). */
  receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    if (this.ndis.state !== 'Running') {
      if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.ndis.returnNetBufferLists(nbls, 0);
      return;
    }
    this.ndis.indicateReceiveNetBufferLists(nbls, portNumber, count, receiveFlags);
  }

  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    this.ndis.returnNetBufferLists(nbls, returnFlags);
  }

  /** Forward a clone; the original waits in the clone's SourceReserved until the clone completes. */
  oidRequest(request: NdisOidRequest): NdisStatus {
    const clone = request.clone();
    clone.sourceReserved[0] = request;
    const status = this.ndis.oidRequest(clone);
    if (status !== NDIS_STATUS_PENDING) clone.copyResultTo(request);
    return status;
  }

  oidRequestComplete(clone: NdisOidRequest, status: NdisStatus): void {
    const original = clone.sourceReserved[0] as NdisOidRequest;
    clone.copyResultTo(original);
    this.ndis.oidRequestComplete(original, status);
  }

  cancelOidRequest(requestId: number): void {
    this.ndis.cancelOidRequest(requestId);
  }

  status(indication: NdisStatusIndication): void {
    this.ndis.indicateStatus(indication);
  }
}
