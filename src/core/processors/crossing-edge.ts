/**
 * A crossing edge: a data-path edge whose two ends are on different processors. The home end is a sink
 * on processor `from` (a ReceiveSink for receive indications, a SendSink for sends); the far end, on
 * processor `to`, delivers shells into a sink there and takes them back (returns, send completions).
 *
 *   from: caller ─► CrossingHome ── lend to ledger, encode ─► NblRing ─► CrossingFar ─► target  :to
 *   from: back   ◄─ CrossingHome ◄─ ledger.take ◄── ReturnRing ◄── free shell ◄── CrossingFar ◄─ target
 *
 * Both ends are NDIS blocks of the host (their ids are NBL owners): while an NBL is lent its original is
 * owned by the home end, so a home module that completes, returns or sends it again is caught by the
 * ordinary ownership checks; a shell's SourceHandle is the far end, so the return path on `to` routes it
 * back there. Completions and returns therefore always reach a driver on the processor its NBL lives
 * on. A chain that cannot cross (ring full, ledger full, memory that is not shared, too many NBs or
 * MDLs) is given back at once — a send completed with NDIS_STATUS_RESOURCES, a receive returned — and
 * counted, as a NIC drops what its queue cannot take; nothing waits.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NDIS_RECEIVE_FLAGS_RESOURCES } from '../../ndis/constants.js';
import { NDIS_STATUS_REQUEST_ABORTED, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../ndis/status.js';
import { NdisBlock, type ReceiveSink, type ReturnSink, type SendCompleteSink, type SendSink } from '../runtime/block.js';
import type { RuntimeContext } from '../runtime/context.js';
import { back as backSlot, on, transferBack, transferOn } from '../runtime/transfer.js';
import { type DescriptorHeader, DescriptorKind, type DescriptorView, NotCrossed, type SlotSpace, descriptorSlots, encodeNetBufferList, hasPointerInfo } from './descriptor.js';
import { LentLedger } from './lent-ledger.js';
import type { Processor } from './processor.js';
import type { ProcessorSet } from './processor-set.js';
import { ShellPool } from './shell.js';

export type CrossingKind = 'send' | 'receive';

interface CrossingSpecBase {
  /** Shown by the inspector and in reports (`<host>/<name>@<from>→<to>`). */
  name: string;
  from: number;
  to: number;
  /** Lent NBLs the home end can hold (default 1024). */
  ledgerCapacity?: number;
  /** Shells the far end can have out (default 512). */
  shellCapacity?: number;
}

export interface ReceiveCrossingSpec extends CrossingSpecBase {
  kind: 'receive';
  /** On `to`: where the shells are indicated. */
  target: ReceiveSink;
  /** On `from`: where the originals are returned. */
  back: ReturnSink;
}

export interface SendCrossingSpec extends CrossingSpecBase {
  kind: 'send';
  /** On `to`: where the shells are sent. */
  target: SendSink;
  /** On `from`: where the originals' completions go. */
  back: SendCompleteSink;
}

export type CrossingSpec = ReceiveCrossingSpec | SendCrossingSpec;

/** The home end: on `from`, where chains enter the edge and where their originals come back. */
export class CrossingHome extends NdisBlock implements ReceiveSink, SendSink {
  readonly edgeId: number;
  readonly kind: CrossingKind;
  readonly to: number;
  readonly processor: Processor;
  readonly ledger: LentLedger;
  /** Set while the processor's drain has entries for this end not yet delivered. */
  touched = false;
  /** NBLs lent and given back; chains refused by reason are in the processor's counters. */
  crossed = 0;
  returned = 0;
  refused = 0;
  readonly #back: ReturnSink | SendCompleteSink;
  readonly #header: DescriptorHeader;
  #backHead: NetBufferList | null = null;
  #backTail: NetBufferList | null = null;
  #backFlags = 0;

  constructor(rt: RuntimeContext, name: string, edgeId: number, spec: CrossingSpec, processor: Processor) {
    super(rt, name);
    this.edgeId = edgeId;
    this.kind = spec.kind;
    this.to = spec.to;
    this.processor = processor;
    this.ledger = new LentLedger(spec.ledgerCapacity ?? 1024);
    this.#back = spec.back;
    this.#header = {
      kind: spec.kind === 'send' ? DescriptorKind.Send : DescriptorKind.Receive,
      edge: edgeId,
      home: processor.number,
      ref: 0,
      pathFlags: 0,
      portNumber: 0,
      queueTag: 0,
    };
  }

  get state(): string {
    return 'Crossing';
  }

  /** NBLs out on loan now. */
  get lent(): number {
    return this.ledger.lent;
  }

  deliverReceive(nbls: NetBufferList, portNumber: number, _count: number, flags: number): void {
    if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) {
      // They must be the indicator's again when the indication returns: they cannot be lent. The
      // indicator takes them back itself (ownership reverts when the call returns).
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        this.#refuse(NotCrossed.Resources);
        this.refused++;
      }
      return;
    }
    this.#cross(nbls, portNumber, flags);
  }

  deliverSend(nbls: NetBufferList, portNumber: number, sendFlags: number, _count: number): void {
    this.#cross(nbls, portNumber, sendFlags);
  }

  #cross(chain: NetBufferList, portNumber: number, pathFlags: number): void {
    const out = this.processor.nblOut[this.to]!;
    const ledger = this.ledger;
    const slabs = this.processor.slabs;
    const h = this.#header;
    h.pathFlags = pathFlags;
    h.portNumber = portNumber;
    const dead = out.dead;
    let failHead: NetBufferList | null = null;
    let failTail: NetBufferList | null = null;
    let failed = 0;
    let crossed = 0;
    for (let nbl: NetBufferList | null = chain; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let r = dead ? NotCrossed.RingDead : descriptorSlots(nbl);
      if (r > 0) {
        const ref = ledger.lend(nbl);
        if (ref < 0) r = NotCrossed.LedgerFull;
        else {
          const pos = out.reserve(r);
          const slots = r;
          h.ref = ref;
          r = pos < 0 ? NotCrossed.RingFull : encodeNetBufferList(out, pos, slots, nbl, h, slabs);
          if (r === 0) {
            out.commit(slots);
            crossed++;
            if (hasPointerInfo(nbl.info)) {
              this.processor.counters.infoCleared++;
              this.report('NblInfoNotTransferable', `NBL ${nbl.home.name}#${nbl.slot} crossed to processor ${this.to} with a pointer-valued info slot set; the shell has it cleared`);
            }
          } else {
            ledger.unlend(ref);
          }
        }
      }
      if (r !== 0) {
        this.#refuse(r);
        if (failTail === null) failHead = nbl;
        else failTail.next = nbl;
        failTail = nbl;
        failed++;
      }
      nbl = next;
    }
    if (crossed > 0) {
      out.publish();
      const wake = this.processor.wake;
      if (wake !== null) wake(this.to);
      this.crossed += crossed;
      this.processor.counters.crossedOut += crossed;
    }
    if (failHead !== null) {
      this.refused += failed;
      this.#giveBack(failHead, NDIS_STATUS_RESOURCES, 0);
    }
  }

  #refuse(reason: number): void {
    const c = this.processor.counters;
    if (reason === NotCrossed.RingFull) c.ringFull++;
    else if (reason === NotCrossed.LedgerFull) c.ledgerFull++;
    else if (reason === NotCrossed.RingDead) c.ringDeadRefusals++;
    else c.notTransferable++;
  }

  /** Gives a chain this end owns back to where it came from (sends with `status`). */
  #giveBack(chain: NetBufferList, status: NdisStatus, flags: number): void {
    const upward = this.kind === 'send';
    if (upward) for (let nbl: NetBufferList | null = chain; nbl !== null; nbl = nbl.next) if (status !== NDIS_STATUS_SUCCESS) nbl.status = status;
    const sink = this.#back;
    const n = transferBack(chain, this, sink.id, upward);
    const head = backSlot.head;
    if (head === null) return;
    if (upward) (sink as SendCompleteSink).deliverSendComplete(head, flags);
    else (sink as ReturnSink).deliverReturn(head, flags, n);
  }

  /** One return entry (processor.drainReturns): the original goes on the chain given back at the end of the batch. */
  back(ref: number, status: number, flags: number): void {
    const nbl = this.ledger.take(ref);
    if (nbl === null) {
      this.processor.counters.staleReturns++;
      return;
    }
    if (this.#backHead !== null && flags !== this.#backFlags) this.deliverBack();
    if (this.kind === 'send') nbl.status = status >>> 0;
    this.#backFlags = flags;
    if (this.#backTail === null) this.#backHead = nbl;
    else this.#backTail.next = nbl;
    this.#backTail = nbl;
  }

  deliverBack(): void {
    const head = this.#backHead;
    if (head === null) return;
    this.#backHead = this.#backTail = null;
    let n = 0;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) n++;
    this.returned += n;
    this.processor.counters.backHome += n;
    const upward = this.kind === 'send';
    const sink = this.#back;
    const moved = transferBack(head, this, sink.id, upward);
    const survivors = backSlot.head;
    if (survivors === null) return;
    if (upward) (sink as SendCompleteSink).deliverSendComplete(survivors, this.#backFlags);
    else (sink as ReturnSink).deliverReturn(survivors, this.#backFlags, moved);
  }

  /**
   * Gives back every NBL still lent (its far side is gone): sends complete with
   * NDIS_STATUS_REQUEST_ABORTED, receives return. Returns how many.
   */
  reclaim(reason: string): number {
    this.deliverBack();
    const n = this.ledger.reclaimAll((nbl) => {
      if (this.kind === 'send') nbl.status = NDIS_STATUS_REQUEST_ABORTED;
      if (this.#backTail === null) this.#backHead = nbl;
      else this.#backTail.next = nbl;
      this.#backTail = nbl;
    });
    if (n > 0) {
      this.log('warn', `${n} lent NBL(s) given back without their shells: ${reason}`);
      this.#backFlags = 0;
      this.deliverBack();
    }
    return n;
  }
}

/** The far end: on `to`, where descriptors become shells and where the shells come back. */
export class CrossingFar extends NdisBlock implements ReturnSink, SendCompleteSink {
  readonly edgeId: number;
  readonly kind: CrossingKind;
  readonly from: number;
  readonly processor: Processor;
  readonly shells: ShellPool;
  /** Set while the processor's drain has shells for this end not yet delivered. */
  touched = false;
  delivered = 0;
  shellsBack = 0;
  readonly #target: ReceiveSink | SendSink;
  /** The ledger reference of each shell, by the shell's pool slot. */
  readonly #refs: Int32Array;
  #inHead: NetBufferList | null = null;
  #inTail: NetBufferList | null = null;
  #inPort = 0;
  #inFlags = 0;
  /** Shells whose return entry did not fit yet, with their status and flags, in order. */
  readonly #deferred: NetBufferList[] = [];
  readonly #deferredStatus: number[] = [];
  readonly #deferredFlags: number[] = [];

  constructor(rt: RuntimeContext, name: string, edgeId: number, spec: CrossingSpec, processor: Processor) {
    super(rt, name);
    this.edgeId = edgeId;
    this.kind = spec.kind;
    this.from = spec.from;
    this.processor = processor;
    this.#target = spec.target;
    const capacity = spec.shellCapacity ?? 512;
    const nbls = this.allocateNetBufferListPool({ name: `${name}:shells`, capacity, allocateNetBuffer: true });
    const nbs = this.allocateNetBufferPool({ name: `${name}:shell-nbs`, capacity });
    this.shells = new ShellPool(nbls, nbs, processor.slabs);
    this.#refs = new Int32Array(capacity);
  }

  get state(): string {
    return 'Crossing';
  }

  /** Shells out now (delivered or waiting for room to go home). */
  get shellsOut(): number {
    return this.shells.inUse;
  }

  /**
   * Builds the shell for a validated descriptor and queues it for delivery: 1. Without a shell (pool
   * empty) the descriptor goes home as dropped: 0, or -1 when the ReturnRing has no room for that either
   * (the descriptor then stays in its ring).
   */
  accept(src: SlotSpace, position: number, view: DescriptorView): number {
    const shell = this.shells.build(src, position, view);
    if (shell === null) return this.processor.writeReturn(this.from, this.edgeId, view.ref, NDIS_STATUS_RESOURCES, 0, null) ? 0 : -1;
    this.#refs[shell.slot] = view.ref;
    shell.sourceHandle = this;
    if (this.#inHead !== null && (view.portNumber !== this.#inPort || view.pathFlags !== this.#inFlags)) this.deliverPending();
    this.#inPort = view.portNumber;
    this.#inFlags = view.pathFlags;
    if (this.#inTail === null) this.#inHead = shell;
    else this.#inTail.next = shell;
    this.#inTail = shell;
    return 1;
  }

  /** Delivers the shells accepted since the last call as one chain. */
  deliverPending(): void {
    const head = this.#inHead;
    if (head === null) return;
    this.#inHead = this.#inTail = null;
    const target = this.#target;
    const n = transferOn(head, this, target.id, this.rt.verifying);
    if (on.head === null) return;
    this.delivered += n;
    if (this.kind === 'send') (target as SendSink).deliverSend(on.head, this.#inPort, this.#inFlags, n);
    else (target as ReceiveSink).deliverReceive(on.head, this.#inPort, n, this.#inFlags);
  }

  /** Shells returned on `to` (ReturnSink). */
  deliverReturn(nbls: NetBufferList, returnFlags: number, _count: number): void {
    this.#backAll(nbls, 0, returnFlags, false);
  }

  /** Shells completed on `to` (SendCompleteSink). */
  deliverSendComplete(nbls: NetBufferList, flags: number): void {
    this.#backAll(nbls, 0, flags, true);
  }

  #backAll(nbls: NetBufferList, status: number, flags: number, withStatus: boolean): void {
    for (let shell: NetBufferList | null = nbls; shell !== null; ) {
      const next: NetBufferList | null = shell.next;
      shell.next = null;
      if (shell.home !== this.shells.nbls) {
        this.report('NblNotOwned', `an NBL of ${shell.home.name} reached the far end of a crossing edge`);
      } else {
        this.#giveBack(shell, withStatus ? shell.status : status, flags);
      }
      shell = next;
    }
  }

  #giveBack(shell: NetBufferList, status: number, flags: number): void {
    if (this.#deferred.length === 0 && this.processor.writeReturn(this.from, this.edgeId, this.#refs[shell.slot]!, status, flags, this)) {
      this.#release(shell);
      return;
    }
    // Keep the order: once one waits, the rest wait behind it.
    this.#deferred.push(shell);
    this.#deferredStatus.push(status);
    this.#deferredFlags.push(flags);
    this.processor.deferReturns(this);
  }

  #release(shell: NetBufferList): void {
    this.shellsBack++;
    this.processor.counters.shellsReturned++;
    this.shells.free(shell);
  }

  /** Whether deferred returns could go now. */
  canRetryReturns(): boolean {
    return this.#deferred.length > 0 && this.processor.retOut[this.from]!.free > 0;
  }

  /** Retries deferred returns in order; true when none is left. */
  retryReturns(): boolean {
    let i = 0;
    const d = this.#deferred;
    for (; i < d.length; i++) {
      const shell = d[i]!;
      if (!this.processor.writeReturn(this.from, this.edgeId, this.#refs[shell.slot]!, this.#deferredStatus[i]!, this.#deferredFlags[i]!, null)) break;
      this.#release(shell);
    }
    if (i > 0) {
      d.splice(0, i);
      this.#deferredStatus.splice(0, i);
      this.#deferredFlags.splice(0, i);
    }
    return d.length === 0;
  }
}

/** Both ends of one edge, as the runtime that made it holds them. */
export class CrossingEdge {
  constructor(
    readonly id: number,
    readonly kind: CrossingKind,
    readonly from: number,
    readonly to: number,
    readonly home: CrossingHome,
    readonly far: CrossingFar,
  ) {}
}

/** Makes both ends of an edge on their processors' lanes and registers them with the processors. */
export function createCrossingEdge(set: ProcessorSet, homeLane: RuntimeContext, farLane: RuntimeContext, host: string, spec: CrossingSpec): CrossingEdge {
  const { from, to } = spec;
  if (from === to || from < 0 || to < 0 || from >= set.count || to >= set.count || !Number.isInteger(from) || !Number.isInteger(to)) {
    throw new RangeError(`crossing edge ${spec.name}: processors ${from} → ${to} in a set of ${set.count}`);
  }
  const id = set.allocateEdgeId();
  const home = new CrossingHome(homeLane, `${host}/${spec.name}@${from}`, id, spec, set.processor(from));
  const far = new CrossingFar(farLane, `${host}/${spec.name}@${to}`, id, spec, set.processor(to));
  set.processor(from).homeEnds.set(id, home);
  set.processor(to).farEnds.set(id, far);
  return new CrossingEdge(id, spec.kind, from, to, home, far);
}
