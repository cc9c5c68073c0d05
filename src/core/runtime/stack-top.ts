/**
 * The top of an adapter's stack: where NDIS hands completions, receives and status indications to the
 * protocol bindings, and takes returns from them.
 *
 *   - Send completions are routed by SourceHandle to the binding that sent each NBL.
 *   - Receives go to every binding that is Running or Pausing and whose packet filter (and multicast
 *     list) accepts the frame, unless the indicator set NDIS_RECEIVE_FLAGS_PERFECT_FILTERED. One binding
 *     gets the chain as is; several bindings get each NBL on its own, and the NBL goes back down when the
 *     last of them returned it (per NBL, a mask in NdisReserved of the bindings still holding it, so a
 *     second return by the same binding is caught and an unbinding binding's share can be reclaimed).
 *   - Status indications update NDIS's cache (link state) and reach every binding (or only the
 *     destination of an OID-completing indication).
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import {
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NdisMedium802_3,
} from '../../ndis/constants.js';
import type { NdisStatusIndication } from '../../ndis/driver-api.js';
import type { NdisDropCounter } from '../../ndis/drops.js';
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import { NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG, NDIS_STATUS_LINK_STATE, NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES, type NdisStatus } from '../../ndis/status.js';
import { freezeOffload } from '../../ndis/offload-config.js';
import { isNdisOffload } from './offload-state.js';
import type { NdisLinkState } from '../../ndis/structures.js';
import { NdisBlock, type OidIssuer, type ReceiveSink, type ReturnSink, type SendCompleteSink, type StatusSink } from './block.js';
import type { RuntimeContext } from './context.js';
import type { MiniportBlock } from './miniport-block.js';
import type { OpenBlock } from './open-block.js';

export class StackTop extends NdisBlock implements SendCompleteSink, ReceiveSink, StatusSink, OidIssuer {
  readonly mb: MiniportBlock;
  returnEntry: ReturnSink;
  /** Bindings that currently receive (Running or Pausing), refreshed on every state change. */
  receivers: OpenBlock[] = [];
  /** Internal (NDIS-originated) OID requests waiting for completion. */
  readonly #internal = new Map<NdisOidRequest, (status: NdisStatus) => void>();

  /** Received NBLs no binding's packet filter took, and ones that arrived with no binding receiving (drops.ts). */
  readonly #notAccepted: NdisDropCounter;
  readonly #noBinding: NdisDropCounter;

  constructor(rt: RuntimeContext, mb: MiniportBlock) {
    super(rt, `${mb.name}/ndis`);
    this.#notAccepted = this.dropCounter('packetFilterRejected');
    this.#noBinding = this.dropCounter('noBinding');
    this.mb = mb;
    this.returnEntry = mb;
  }

  get state(): string {
    return this.mb.state;
  }

  refreshReceivers(): void {
    this.receivers = this.mb.bindings.filter((b) => b.state === 'Running' || b.state === 'Pausing');
  }

  // ---------------------------------------------------------------------------------------------
  // Send completions → bindings by SourceHandle

  deliverSendComplete(nbls: NetBufferList, flags: number): void {
    const bindings = this.mb.bindings;
    if (bindings.length === 1 && bindings[0]!.tryDeliverOwnSendComplete(nbls, flags)) return;
    // General case: split by originator, keeping each binding's NBLs in order.
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      const b = bindings.find((x) => x === nbl!.sourceHandle);
      if (b === undefined) {
        this.stats.dropped++;
        const src = nbl.sourceHandle as { name?: string } | null;
        this.report('NblOwnReturnedUp', `send completion reached the protocols for an NBL originated by ${src?.name ?? 'nobody'} (it should have consumed it)`);
      } else if (b.completeTail === null) {
        b.completeHead = b.completeTail = nbl;
      } else {
        b.completeTail.next = nbl;
        b.completeTail = nbl;
      }
      nbl = next;
    }
    for (const b of bindings) {
      const head = b.completeHead;
      if (head !== null) {
        b.completeHead = b.completeTail = null;
        b.deliverSendComplete(head, flags);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receives → bindings

  deliverReceive(nbls: NetBufferList, portNumber: number, count: number, flags: number): void {
    const rx = this.receivers;
    const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const unfiltered = (flags & NDIS_RECEIVE_FLAGS_PERFECT_FILTERED) !== 0 || this.mb.driver.medium !== NdisMedium802_3;
    if (rx.length === 1) {
      const b = rx[0]!;
      if (unfiltered || (b.packetFilter & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0) {
        if (resources) for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.ndisRefs = -1;
        b.deliverReceive(nbls, portNumber, count, flags, false);
        return;
      }
      // One binding with a packet filter: split into accepted and rejected chains, order preserved.
      let accHead: NetBufferList | null = null;
      let accTail: NetBufferList | null = null;
      let rejHead: NetBufferList | null = null;
      let rejTail: NetBufferList | null = null;
      let accepted = 0;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
        const next: NetBufferList | null = nbl.next;
        nbl.next = null;
        if (accepts(b, nbl, this.mb)) {
          if (resources) nbl.ndisRefs = -1;
          if (accTail === null) accHead = nbl;
          else accTail.next = nbl;
          accTail = nbl;
          accepted++;
        } else {
          this.stats.dropped++;
          this.#notAccepted.drop(nbl.firstNetBuffer);
          if (rejTail === null) rejHead = nbl;
          else rejTail.next = nbl;
          rejTail = nbl;
        }
        nbl = next;
      }
      if (accHead !== null) b.deliverReceive(accHead, portNumber, accepted, flags, false);
      if (rejHead !== null && !resources) this.#returnDown(rejHead);
      return;
    }
    if (rx.length === 0) {
      this.stats.dropped += count;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) this.#noBinding.drop(nbl.firstNetBuffer);
      if (!resources) this.#returnDown(nbls);
      return;
    }
    // Per-NBL delivery: the packet filters decide who gets what.
    let rejectHead: NetBufferList | null = null;
    let rejectTail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let matches = 0;
      let holders = 0;
      for (const b of rx) {
        if (unfiltered || accepts(b, nbl, this.mb)) {
          matches++;
          holders |= b.rxBit;
        }
      }
      if (matches === 0) {
        this.stats.dropped++;
        this.#notAccepted.drop(nbl.firstNetBuffer);
        if (!resources) {
          if (rejectTail === null) rejectHead = nbl;
          else rejectTail.next = nbl;
          rejectTail = nbl;
        }
      } else {
        // Shared: NDIS keeps it, with one bit per binding still holding it; else it is that binding's.
        nbl.ndisRefs = resources ? -1 : matches > 1 ? holders : 0;
        for (const b of rx) if (unfiltered || accepts(b, nbl, this.mb)) b.deliverReceive(nbl, portNumber, 1, flags, matches > 1);
      }
      nbl = next;
    }
    if (rejectHead !== null) this.#returnDown(rejectHead);
  }

  /** Returns a chain owned by the top (frames no binding accepted) down the return path. */
  #returnDown(nbls: NetBufferList): void {
    this.returnFromBinding(nbls, 0);
  }

  /** A binding returned `nbls` (already checked by the binding); pass down what nobody else holds. */
  returnFromBinding(nbls: NetBufferList, flags: number): void {
    const target = this.returnEntry;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.ndisOwner = target.id;
      nbl.ndisRefs = 0;
      n++;
    }
    this.stats.returned += n;
    target.deliverReturn(nbls, flags, n);
  }

  /** Like returnFromBinding, for a chain the binding already stamped with `returnEntry`'s id (and refs 0). */
  returnStamped(nbls: NetBufferList, flags: number, n: number): void {
    this.stats.returned += n;
    this.returnEntry.deliverReturn(nbls, flags, n);
  }

  // ---------------------------------------------------------------------------------------------
  // Status → NDIS cache → bindings

  deliverStatus(indication: NdisStatusIndication): void {
    if (indication.statusCode === NDIS_STATUS_LINK_STATE && indication.statusBuffer !== null && typeof indication.statusBuffer === 'object') {
      this.mb.linkState = { ...(indication.statusBuffer as NdisLinkState) };
    } else if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG && isNdisOffload(indication.statusBuffer)) {
      // What the protocols see after the filters: the configuration later bindings are given.
      this.mb.offload.protocolCurrent = freezeOffload(indication.statusBuffer);
    } else if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES && isNdisOffload(indication.statusBuffer)) {
      this.mb.offload.protocolHardware = freezeOffload(indication.statusBuffer);
    } else if (indication.statusCode === NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG) {
      this.mb.hdSplit.statusIndicated(indication.statusBuffer);
    }
    for (const b of this.mb.bindings) {
      if (indication.destinationHandle !== null && indication.destinationHandle !== b) continue;
      b.deliverStatus(indication);
    }
    this.mb.onStatus?.(indication);
  }

  // ---------------------------------------------------------------------------------------------
  // NDIS's own OID requests (merged packet filter, addressing reset, tooling)

  trackInternal(request: NdisOidRequest, done: (status: NdisStatus) => void): void {
    this.#internal.set(request, done);
  }

  onOidComplete(request: NdisOidRequest, status: NdisStatus): void {
    const done = this.#internal.get(request);
    this.#internal.delete(request);
    done?.(status);
  }
}

/** NDIS's per-binding receive filter over the destination MAC address. */
function accepts(b: OpenBlock, nbl: NetBufferList, mb: MiniportBlock): boolean {
  const pf = b.packetFilter;
  if (pf === 0) return false;
  if ((pf & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0) return true;
  const nb = nbl.firstNetBuffer;
  if (nb === null || nb.dataLength < 6) return false;
  const d0 = nb.byteAt(0);
  if ((d0 & 1) === 0) {
    if ((pf & NDIS_PACKET_TYPE_DIRECTED) === 0) return false;
    const mac = mb.general?.currentMacAddress;
    if (mac === undefined) return false;
    for (let i = 0; i < 6; i++) if (nb.byteAt(i) !== mac[i]) return false;
    return true;
  }
  let broadcast = true;
  for (let i = 0; i < 6; i++) if (nb.byteAt(i) !== 0xff) broadcast = false;
  if (broadcast) return (pf & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  if ((pf & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0) return true;
  if ((pf & NDIS_PACKET_TYPE_MULTICAST) === 0) return false;
  outer: for (const m of b.multicastList) {
    for (let i = 0; i < 6; i++) if (nb.byteAt(i) !== m[i]) continue outer;
    return true;
  }
  return false;
}
