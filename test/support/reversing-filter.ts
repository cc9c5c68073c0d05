/**
 * A filter that reverses every receive chain it passes up, counting the NBLs it saw indicated with
 * NDIS_RECEIVE_FLAGS_RESOURCES: receivers may relink `next`, and a miniport must take back every NBL it
 * lent whatever became of the links.
 */
import { PassThroughFilterModule } from '../../src/drivers/filter/passthrough/module.js';
import { NDIS_RECEIVE_FLAGS_RESOURCES, NdisMedium802_3, type FilterDriverCharacteristics, type NetBufferList } from '../../src/ndis/index.js';

export class ReversingModule extends PassThroughFilterModule {
  resourcesSeen = 0;
  override receiveNetBufferLists(nbls: NetBufferList, port: number, count: number, flags: number): void {
    if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) this.resourcesSeen += count;
    let reversed: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = reversed;
      reversed = nbl;
      nbl = next;
    }
    super.receiveNetBufferLists(reversed!, port, count, flags);
  }
}

export const reversingFilter = {
  kind: 'filter',
  name: 'test.reversing',
  ndisVersion: { major: 6, minor: 30 },
  filterType: 'modifying',
  runType: 'optional',
  filterClass: 'custom',
  mediaTypes: [NdisMedium802_3],
  module: ReversingModule,
} as const satisfies FilterDriverCharacteristics;

