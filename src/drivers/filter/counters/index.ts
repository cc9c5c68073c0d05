/**
 * tsndis.counters: a modifying filter that passes everything through and counts it per path: NBLs and
 * bytes sent, completed (and failed), received, returned, OID requests forwarded, status indications.
 */
import { NDIS_STATUS_SUCCESS, NdisMedium802_3, type FilterDriverCharacteristics, type NdisOidRequest, type NdisStatus, type NdisStatusIndication, type NetBufferList } from '../../../ndis/index.js';
import { PassThroughFilterModule } from '../passthrough/module.js';

export class PathCounters {
  sendNbls = 0;
  sendBytes = 0;
  sendCompleted = 0;
  sendFailed = 0;
  receiveNbls = 0;
  receiveBytes = 0;
  returned = 0;
  oidRequests = 0;
  statusIndications = 0;
}

function bytesOf(nbl: NetBufferList): number {
  let n = 0;
  for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) n += nb.dataLength;
  return n;
}

export class CountersFilterModule extends PassThroughFilterModule {
  readonly counters = new PathCounters();

  override sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    const c = this.counters;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      c.sendNbls++;
      c.sendBytes += bytesOf(nbl);
    }
    super.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  override sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    const c = this.counters;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      c.sendCompleted++;
      if (nbl.status !== NDIS_STATUS_SUCCESS) c.sendFailed++;
    }
    super.sendNetBufferListsComplete(nbls, flags);
  }

  override receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    const c = this.counters;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) c.receiveBytes += bytesOf(nbl);
    c.receiveNbls += count;
    super.receiveNetBufferLists(nbls, portNumber, count, receiveFlags);
  }

  override returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) this.counters.returned++;
    super.returnNetBufferLists(nbls, returnFlags);
  }

  override oidRequest(request: NdisOidRequest): NdisStatus {
    this.counters.oidRequests++;
    return super.oidRequest(request);
  }

  override status(indication: NdisStatusIndication): void {
    this.counters.statusIndications++;
    super.status(indication);
  }

  /** Shown by the inspector. */
  inspect(): Record<string, number> {
    return { ...this.counters };
  }
}

export const countersFilter = {
  kind: 'filter',
  name: 'tsndis.counters',
  friendlyName: 'tsndis counting filter',
  ndisVersion: { major: 6, minor: 30 },
  filterType: 'modifying',
  runType: 'optional',
  filterClass: 'diagnostic',
  mediaTypes: [NdisMedium802_3],
  module: CountersFilterModule,
} as const satisfies FilterDriverCharacteristics;
