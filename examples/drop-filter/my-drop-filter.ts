// The filter from docs/writing-a-driver.md, kept compiling and tested (test/docs/writing-a-driver.test.ts).
import {
  NDIS_RECEIVE_FLAGS_RESOURCES, NDIS_STATUS_SUCCESS, NdisMedium802_3,
  type FilterAttachParameters, type FilterDriverCharacteristics, type FilterModule,
  type FilterModuleHandle, type NdisStatus, type NetBufferList,
} from 'tsndis';

export class DropFilterModule implements FilterModule {
  etherType = 0x86dd;
  dropped = 0;
  constructor(private readonly ndis: FilterModuleHandle) {}

  attach(params: FilterAttachParameters): NdisStatus {
    this.etherType = params.keywords.readInt('DropEtherType', 0x86dd, 0, 0xffff);
    return NDIS_STATUS_SUCCESS;
  }
  detach(): void {}
  pause(): NdisStatus { return NDIS_STATUS_SUCCESS; }       // holds nothing, so pauses at once
  restart(): NdisStatus { return NDIS_STATUS_SUCCESS; }

  // Sends pass through untouched: no send handler at all would do the same (bypass).

  receiveNetBufferLists(nbls: NetBufferList, port: number, count: number, flags: number): void {
    const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    if (this.ndis.state !== 'Running') {
      if (!resources) this.ndis.returnNetBufferLists(nbls, 0);
      return;
    }
    // Split the chain: matching frames go back down (dropped), the rest go up.
    let keep: NetBufferList | null = null, keepTail: NetBufferList | null = null, kept = 0;
    let drop: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const nb = nbl.firstNetBuffer!;
      const type = (nb.byteAt(12) << 8) | nb.byteAt(13);
      if (type === this.etherType) { this.dropped++; nbl.next = drop; drop = nbl; }
      else { if (keepTail === null) keep = nbl; else keepTail.next = nbl; keepTail = nbl; kept++; }
      nbl = next;
    }
    if (drop !== null && !resources) this.ndis.returnNetBufferLists(drop, 0);
    if (keep !== null) this.ndis.indicateReceiveNetBufferLists(keep, port, kept, flags);
  }

  returnNetBufferLists(nbls: NetBufferList, flags: number): void {
    this.ndis.returnNetBufferLists(nbls, flags);
  }

  /** Optional: shown under the module in `tsndis stack show`. */
  inspect() { return { dropped: this.dropped, etherType: `0x${this.etherType.toString(16)}` }; }
}

export const driver = {
  kind: 'filter',
  name: 'example.drop',
  ndisVersion: { major: 6, minor: 30 },
  filterType: 'modifying',            // it changes what passes: monitoring filters may not
  runType: 'optional',                // a failed attach does not stop the stack
  filterClass: 'custom',              // where it sits among modifying filters
  mediaTypes: [NdisMedium802_3],
  keywords: { DropEtherType: { type: 'int', description: 'EtherType to drop', default: 0x86dd, min: 0, max: 0xffff } },
  module: DropFilterModule,
} as const satisfies FilterDriverCharacteristics;
