/**
 * test.clone-forward: a filter that sends down clones, the NdisAllocateCloneNetBufferList pattern — each
 * NBL from above is cloned from the filter's own pools and the clone goes down; when the clone completes,
 * the filter frees it and completes the original (its ParentNetBufferList) up with the clone's status.
 * Receives pass through. For the NBL history's cloned-from / cloned-into events.
 */
import { PassThroughFilterModule } from '../../src/drivers/filter/passthrough/index.js';
import {
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisMedium802_3,
  allocateCloneNetBufferList,
  freeCloneNetBufferList,
  type FilterAttachParameters,
  type FilterDriverCharacteristics,
  type FilterPauseParameters,
  type NdisStatus,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
} from '../../src/ndis/index.js';

export class CloneForwardModule extends PassThroughFilterModule {
  #nbls: NetBufferListPool | null = null;
  #nbs: NetBufferPool | null = null;
  #outstanding = 0;
  #pausing = false;

  override attach(params: FilterAttachParameters): NdisStatus {
    this.#nbls = this.ndis.allocateNetBufferListPool({ name: `${this.ndis.name}:clones`, capacity: 64, allocateNetBuffer: false });
    this.#nbs = this.ndis.allocateNetBufferPool({ capacity: 64 });
    return super.attach(params);
  }

  override detach(): void {
    if (this.#nbls !== null) this.ndis.freeNetBufferListPool(this.#nbls);
    if (this.#nbs !== null) this.ndis.freeNetBufferPool(this.#nbs);
    this.#nbls = null;
    this.#nbs = null;
  }

  override pause(_params: FilterPauseParameters): NdisStatus {
    if (this.#outstanding === 0) return NDIS_STATUS_SUCCESS;
    this.#pausing = true;
    return NDIS_STATUS_PENDING;
  }

  override sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    if (this.ndis.state !== 'Running') {
      super.sendNetBufferLists(nbls, portNumber, sendFlags);
      return;
    }
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const clone = allocateCloneNetBufferList(nbl, this.#nbls!, this.#nbs!);
      if (clone === null) {
        nbl.status = NDIS_STATUS_RESOURCES;
        this.ndis.sendNetBufferListsComplete(nbl, 0);
      } else {
        clone.sourceHandle = this.ndis;
        this.#outstanding++;
        if (tail === null) head = clone;
        else tail.next = clone;
        tail = clone;
      }
      nbl = next;
    }
    if (head !== null) this.ndis.sendNetBufferLists(head, portNumber, sendFlags);
  }

  override sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let up = nbl;
      if (nbl.sourceHandle === this.ndis) {
        const parent = nbl.parentNetBufferList!;
        parent.status = nbl.status;
        freeCloneNetBufferList(nbl);
        this.#outstanding--;
        up = parent;
      }
      if (tail === null) head = up;
      else tail.next = up;
      tail = up;
      nbl = next;
    }
    if (head !== null) this.ndis.sendNetBufferListsComplete(head, flags);
    if (this.#pausing && this.#outstanding === 0) {
      this.#pausing = false;
      this.ndis.pauseComplete();
    }
  }
}

export const cloneForwardFilter = {
  kind: 'filter',
  name: 'test.clone-forward',
  friendlyName: 'sends clones down (test)',
  ndisVersion: { major: 6, minor: 30 },
  filterType: 'modifying',
  runType: 'optional',
  filterClass: 'custom',
  mediaTypes: [NdisMedium802_3],
  module: CloneForwardModule,
} as const satisfies FilterDriverCharacteristics;
