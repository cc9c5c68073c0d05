/**
 * The impairment filter module (one per adapter): NDIS handlers around two ImpairmentDirection
 * pipelines, one for sends and one for receives, each with its own copy pools, port and timer.
 *
 * Ownership, per handler (see README.md for the reasoning):
 *   - sendNetBufferLists: each NBL is the filter's until it is passed down (now or when its delay is
 *     over) or completed up. A lost send completes up with NDIS_STATUS_SUCCESS, as a frame lost on a real
 *     link looks sent. A corrupted send is copied into a filter NBL (the protocol's buffer is never
 *     written) and the original completes at once; duplicates are filter copies.
 *   - receiveNetBufferLists: an original is passed up or returned down in the same call (never with
 *     NDIS_RECEIVE_FLAGS_RESOURCES: such NBLs are simply not passed on); a receive the filter must hold
 *     (delay, rate, reorder) is copied into a filter NBL and the original returned at once.
 *   - Filter NBLs (SourceHandle = this module's handle) come back in sendNetBufferListsComplete /
 *     returnNetBufferLists and are freed there, never completed or returned further.
 *   - pause: held sends are passed down (they were accepted, so they still go out), held receive copies
 *     and held send copies are freed (NDIS forbids originating sends or indications while Pausing); the
 *     pause pends until every filter NBL handed on has come back.
 *   - surprise removal: held sends complete up with NDIS_STATUS_ADAPTER_REMOVED, held copies are freed,
 *     and from then on everything passes straight through to the miniport, which fails it.
 */
import {
  ETHERNET_HEADER_SIZE,
  NDIS_RECEIVE_FLAGS_MORE_NBLS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE,
  NDIS_RECEIVE_FLAGS_SINGLE_QUEUE,
  NDIS_RECEIVE_FLAGS_SINGLE_VLAN,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventSurpriseRemoved,
  type FilterAttachParameters,
  type FilterModuleHandle,
  type FilterPauseParameters,
  type FilterRestartParameters,
  type NdisStatus,
  type NdisTimerObject,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
  type NetDevicePnPEvent,
} from '../../../ndis/index.js';
import { PassThroughFilterModule } from '../passthrough/module.js';
import { ImpairmentDirection, type DirectionStats, type FramePort, type ImpairmentDrops } from './direction.js';
import { mergeParams, paramsFromKeywords, type ImpairmentDirectionName, type ImpairmentParams } from './params.js';

/** Filter copies that may be handed on (below or above the filter) besides the ones it holds. */
const COPIES_IN_FLIGHT = 256;
/** NetBuffers for the second and later NetBuffers of multi-NB copies (sends only, in practice). */
const EXTRA_NET_BUFFERS = 64;
const VLAN_TAG_SIZE = 4;
/** Hints that stop being true once copies from earlier indications join a chain. */
const SINGLE_SOURCE_HINTS = NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE | NDIS_RECEIVE_FLAGS_SINGLE_VLAN | NDIS_RECEIVE_FLAGS_SINGLE_QUEUE | NDIS_RECEIVE_FLAGS_MORE_NBLS;

/** Copies frames into the filter's own NBLs (one pool per direction) and frees them. */
class CopyPool {
  readonly #owner: FilterModuleHandle;
  readonly nbls: NetBufferListPool;
  readonly nbs: NetBufferPool;
  readonly slotSize: number;
  readonly #send: boolean;

  constructor(owner: FilterModuleHandle, nbls: NetBufferListPool, nbs: NetBufferPool, slotSize: number, send: boolean) {
    this.#owner = owner;
    this.nbls = nbls;
    this.nbs = nbs;
    this.slotSize = slotSize;
    this.#send = send;
  }

  /** A filter NBL with every NetBuffer of `src` copied and its OOB info, or null (pool empty, frame too big). */
  copy(src: NetBufferList): NetBufferList | null {
    const first = src.firstNetBuffer;
    if (first === null) return null;
    const nbl = this.nbls.allocate();
    if (nbl === null) return null;
    let dst = nbl.firstNetBuffer!;
    for (let nb: NetBuffer | null = first; nb !== null; nb = nb.next) {
      if (nb !== first) {
        const extra = this.nbs.allocate();
        if (extra === null) {
          this.free(nbl);
          return null;
        }
        dst.next = extra;
        dst = extra;
      }
      const len = nb.dataLength;
      if (len > this.slotSize) {
        this.free(nbl);
        return null;
      }
      nb.copyOutToMdl(dst.poolMdl!, 0, 0, len);
      dst.dataLength = len;
    }
    nbl.sourceHandle = this.#owner;
    if (this.#send) nbl.info.copySendInfoFrom(src.info);
    else nbl.info.copyReceiveInfoFrom(src.info);
    return nbl;
  }

  free(nbl: NetBufferList): void {
    const first = nbl.firstNetBuffer;
    if (first !== null) {
      for (let nb = first.next; nb !== null; ) {
        const next: NetBuffer | null = nb.next;
        this.nbs.free(nb);
        nb = next;
      }
      first.next = null;
    }
    this.nbls.free(nbl);
  }
}

/**
 * Send completions and receive returns carry the filter's own copies mixed with NBLs that belong to
 * others: frees the copies (marked by the filter's SourceHandle) and returns the rest, in order.
 */
function freeOwnCopies(port: { readonly copies: CopyPool; ownOutstanding: number } | null, self: FilterModuleHandle, nbls: NetBufferList): NetBufferList | null {
  let head: NetBufferList | null = null;
  let tail: NetBufferList | null = null;
  for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
    const next: NetBufferList | null = nbl.next;
    nbl.next = null;
    if (port !== null && nbl.sourceHandle === self) {
      port.copies.free(nbl);
      port.ownOutstanding--;
    } else {
      if (tail === null) head = nbl;
      else tail.next = nbl;
      tail = nbl;
    }
    nbl = next;
  }
  return head;
}

/** The send side: frames go down in chains, given-up originals complete up. */
class SendPort implements FramePort {
  readonly #ndis: FilterModuleHandle;
  readonly copies: CopyPool;
  /** Send flags of the call in progress (0 from a timer). */
  flags = 0;
  /** Filter NBLs passed down and not yet completed. */
  ownOutstanding = 0;
  #head: NetBufferList | null = null;
  #tail: NetBufferList | null = null;
  #portNumber = 0;
  #doneHead: NetBufferList | null = null;
  #doneTail: NetBufferList | null = null;

  constructor(ndis: FilterModuleHandle, copies: CopyPool) {
    this.#ndis = ndis;
    this.copies = copies;
  }

  emit(nbl: NetBufferList, portNumber: number): void {
    if (this.#head !== null && portNumber !== this.#portNumber) this.#flushSends();
    this.#portNumber = portNumber;
    if (nbl.sourceHandle === this.#ndis) this.ownOutstanding++;
    if (this.#tail === null) this.#head = nbl;
    else this.#tail.next = nbl;
    this.#tail = nbl;
  }

  discard(nbl: NetBufferList): void {
    this.fail(nbl, NDIS_STATUS_SUCCESS);
  }

  /** Completes an original up with `status` (a filter copy is freed instead). */
  fail(nbl: NetBufferList, status: NdisStatus): void {
    if (nbl.sourceHandle === this.#ndis) {
      this.copies.free(nbl);
      return;
    }
    nbl.status = status;
    if (this.#doneTail === null) this.#doneHead = nbl;
    else this.#doneTail.next = nbl;
    this.#doneTail = nbl;
  }

  copy(nbl: NetBufferList): NetBufferList | null {
    return this.copies.copy(nbl);
  }

  mustCopyToHold(_nbl: NetBufferList): boolean {
    return false; // a send is the filter's until it passes it on
  }

  /** Passes the collected chain down, then completes the given-up originals. Builders are reset before each call. */
  flush(): void {
    this.#flushSends();
    const done = this.#doneHead;
    if (done !== null) {
      this.#doneHead = this.#doneTail = null;
      this.#ndis.sendNetBufferListsComplete(done, 0);
    }
  }

  #flushSends(): void {
    const head = this.#head;
    if (head === null) return;
    this.#head = this.#tail = null;
    this.#ndis.sendNetBufferLists(head, this.#portNumber, this.flags);
  }
}

/** The receive side: frames go up in indications, given-up originals are returned down. */
class ReceivePort implements FramePort {
  readonly #ndis: FilterModuleHandle;
  readonly copies: CopyPool;
  /** Receive flags of the indication in progress (0 from a timer). */
  flags = 0;
  /** Filter NBLs indicated (without RESOURCES) and not yet returned. */
  ownOutstanding = 0;
  #head: NetBufferList | null = null;
  #tail: NetBufferList | null = null;
  #count = 0;
  #hasOwn = false;
  #portNumber = 0;
  #returnHead: NetBufferList | null = null;
  #returnTail: NetBufferList | null = null;

  constructor(ndis: FilterModuleHandle, copies: CopyPool) {
    this.#ndis = ndis;
    this.copies = copies;
  }

  get #resources(): boolean {
    return (this.flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  }

  emit(nbl: NetBufferList, portNumber: number): void {
    if (this.#head !== null && portNumber !== this.#portNumber) this.#flushIndications();
    this.#portNumber = portNumber;
    if (nbl.sourceHandle === this.#ndis) {
      this.#hasOwn = true;
      if (!this.#resources) this.ownOutstanding++;
    }
    if (this.#tail === null) this.#head = nbl;
    else this.#tail.next = nbl;
    this.#tail = nbl;
    this.#count++;
  }

  discard(nbl: NetBufferList): void {
    if (nbl.sourceHandle === this.#ndis) {
      this.copies.free(nbl);
      return;
    }
    if (this.#resources) return; // the indicator keeps it: simply not passed up
    if (this.#returnTail === null) this.#returnHead = nbl;
    else this.#returnTail.next = nbl;
    this.#returnTail = nbl;
  }

  copy(nbl: NetBufferList): NetBufferList | null {
    return this.copies.copy(nbl);
  }

  mustCopyToHold(nbl: NetBufferList): boolean {
    return nbl.sourceHandle !== this.#ndis;
  }

  /** Returns given-up originals down, then indicates the collected chain up. */
  flush(): void {
    const ret = this.#returnHead;
    if (ret !== null) {
      this.#returnHead = this.#returnTail = null;
      this.#ndis.returnNetBufferLists(ret, 0);
    }
    this.#flushIndications();
  }

  #flushIndications(): void {
    const head = this.#head;
    if (head === null) return;
    const n = this.#count;
    const flags = this.#hasOwn ? this.flags & ~SINGLE_SOURCE_HINTS : this.flags;
    const resources = this.#resources;
    const hadOwn = this.#hasOwn;
    this.#head = this.#tail = null;
    this.#count = 0;
    this.#hasOwn = false;
    this.#ndis.indicateReceiveNetBufferLists(head, this.#portNumber, n, flags);
    if (resources && hadOwn) {
      // RESOURCES: the chain is ours again now; our copies go back to the pool.
      for (let nbl: NetBufferList | null = head; nbl !== null; ) {
        const next: NetBufferList | null = nbl.next;
        if (nbl.sourceHandle === this.#ndis) this.copies.free(nbl);
        nbl = next;
      }
    }
  }
}

export class ImpairmentFilterModule extends PassThroughFilterModule {
  #send: ImpairmentDirection | null = null;
  #receive: ImpairmentDirection | null = null;
  #sendPort: SendPort | null = null;
  #receivePort: ReceivePort | null = null;
  #sendTimer: NdisTimerObject | null = null;
  #receiveTimer: NdisTimerObject | null = null;
  #removed = false;
  #pausePending = false;
  /**
   * The NBL chains of RESOURCES indications in progress, in order: the indicator walks its chain by
   * `next` when the call returns, so the links are restored before returning. Grows (rarely) by doubling.
   */
  #resourcesChain: (NetBufferList | null)[] = new Array<NetBufferList | null>(256).fill(null);
  #resourcesTop = 0;

  constructor(ndis: FilterModuleHandle) {
    super(ndis);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** FilterAttach: reads the keywords, allocates the copy pools, queues and timers of both directions. */
  override attach(params: FilterAttachParameters): NdisStatus {
    super.attach(params);
    const warn = (message: string): void => this.ndis.log('warn', message);
    const sendParams = paramsFromKeywords(params.keywords, 'send', warn);
    const receiveParams = paramsFromKeywords(params.keywords, 'receive', warn);
    const frameSize = params.generalAttributes.mtuSize + ETHERNET_HEADER_SIZE + VLAN_TAG_SIZE;
    const slot = (frameSize + 63) & ~63;
    const now = this.ndis.now();
    const pools = (direction: ImpairmentDirectionName, capacity: number): CopyPool =>
      new CopyPool(
        this.ndis,
        this.ndis.allocateNetBufferListPool({ name: `${params.moduleName}:${direction}-copies`, capacity: capacity + COPIES_IN_FLIGHT, dataSize: slot }),
        this.ndis.allocateNetBufferPool({ name: `${params.moduleName}:${direction}-copy-nbs`, capacity: EXTRA_NET_BUFFERS, dataSize: slot }),
        slot,
        direction === 'send',
      );
    this.#sendPort = new SendPort(this.ndis, pools('send', sendParams.queueFrames));
    this.#receivePort = new ReceivePort(this.ndis, pools('receive', receiveParams.queueFrames));
    const drops: ImpairmentDrops = {
      loss: this.ndis.dropCounter('impairmentLoss'),
      burstLoss: this.ndis.dropCounter('impairmentBurstLoss'),
      queueFull: this.ndis.dropCounter('impairmentQueueFull'),
      noResources: this.ndis.dropCounter('impairmentNoResources'),
      flushed: this.ndis.dropCounter('impairmentFlushed'),
    };
    this.#send = new ImpairmentDirection('send', sendParams, sendParams.queueFrames, this.#sendPort, now, drops);
    this.#receive = new ImpairmentDirection('receive', receiveParams, receiveParams.queueFrames, this.#receivePort, now, drops);
    this.#sendTimer = this.ndis.allocateTimer(() => this.#onTimer(this.#send!, this.#sendPort!, this.#sendTimer!));
    this.#receiveTimer = this.ndis.allocateTimer(() => this.#onTimer(this.#receive!, this.#receivePort!, this.#receiveTimer!));
    return NDIS_STATUS_SUCCESS;
  }

  /** FilterDetach (Paused, nothing held): frees timers and pools. */
  override detach(): void {
    this.#sendTimer?.free();
    this.#receiveTimer?.free();
    this.#sendTimer = this.#receiveTimer = null;
    for (const port of [this.#sendPort, this.#receivePort]) {
      if (port === null) continue;
      this.ndis.freeNetBufferListPool(port.copies.nbls);
      this.ndis.freeNetBufferPool(port.copies.nbs);
    }
    // The directions stay readable (stats, inspect) after detach; nothing reaches them any more.
  }

  /**
   * FilterPause: hands held sends down, frees held copies, and pends until every filter NBL handed on
   * came back (completed in sendNetBufferListsComplete / returned in returnNetBufferLists).
   */
  override pause(_params: FilterPauseParameters): NdisStatus {
    this.#flushHeld(false);
    if (this.#outstanding() === 0) return NDIS_STATUS_SUCCESS;
    this.#pausePending = true;
    return NDIS_STATUS_PENDING;
  }

  override restart(_params: FilterRestartParameters): NdisStatus {
    const now = this.ndis.now();
    this.#send?.resetBucket(now);
    this.#receive?.resetBucket(now);
    return NDIS_STATUS_SUCCESS;
  }

  /** Surprise removal: whatever is held goes back with an error, then the event goes on down. */
  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    if (event.devicePnPEvent === NdisDevicePnPEventSurpriseRemoved && !this.#removed) {
      this.#removed = true;
      this.#flushHeld(true);
    }
    this.ndis.devicePnPEventNotify(event);
  }

  // ---------------------------------------------------------------------------------------------
  // Data path

  /** States: Running (else completed with NDIS_STATUS_PAUSED). Ownership: see the header. */
  override sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    const d = this.#send;
    if (this.ndis.state !== 'Running' || d === null) {
      super.sendNetBufferLists(nbls, portNumber, sendFlags);
      return;
    }
    if (this.#removed) {
      this.ndis.sendNetBufferLists(nbls, portNumber, sendFlags);
      return;
    }
    const port = this.#sendPort!;
    const saved = port.flags; // a completion below may send again before this call returns
    port.flags = sendFlags;
    const now = this.ndis.now();
    d.releaseDue(now);
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      d.process(nbl, portNumber, now);
      nbl = next;
    }
    port.flush();
    port.flags = saved;
    this.#arm(d, this.#sendTimer!, now);
  }

  /** Filter copies are freed here; everything else goes on up. */
  override sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    const head = freeOwnCopies(this.#sendPort, this.ndis, nbls);
    if (head !== null) this.ndis.sendNetBufferListsComplete(head, flags);
    this.#maybeCompletePause();
  }

  /** Held originals with this cancel id complete with NDIS_STATUS_SEND_ABORTED; the cancel goes on down. */
  override cancelSendNetBufferLists(cancelId: number): void {
    const d = this.#send;
    const port = this.#sendPort;
    if (d !== null && port !== null) {
      d.cancel(
        (nbl) => nbl.info.cancelId === cancelId,
        (nbl) => port.fail(nbl, NDIS_STATUS_SEND_ABORTED),
      );
      port.flush();
    }
    this.ndis.cancelSendNetBufferLists(cancelId);
  }

  /** States: Running (else handed straight back). Ownership: see the header. */
  override receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    const d = this.#receive;
    if (this.ndis.state !== 'Running' || d === null) {
      super.receiveNetBufferLists(nbls, portNumber, count, receiveFlags);
      return;
    }
    if (this.#removed) {
      this.ndis.indicateReceiveNetBufferLists(nbls, portNumber, count, receiveFlags);
      return;
    }
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const chainStart = this.#resourcesTop;
    if (resources) this.#saveChain(nbls);
    const port = this.#receivePort!;
    const saved = port.flags;
    const now = this.ndis.now();
    // Copies whose time has come go up first, in an indication of their own when this one lends its
    // NBLs only for the call (RESOURCES), so the protocol may keep them.
    port.flags = receiveFlags & ~NDIS_RECEIVE_FLAGS_RESOURCES;
    d.releaseDue(now);
    if (resources) port.flush();
    port.flags = receiveFlags;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      d.process(nbl, portNumber, now);
      nbl = next;
    }
    port.flush();
    port.flags = saved;
    if (resources) this.#restoreChain(chainStart);
    this.#arm(d, this.#receiveTimer!, now);
  }

  #saveChain(nbls: NetBufferList): void {
    let top = this.#resourcesTop;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (top === this.#resourcesChain.length) {
        const bigger = new Array<NetBufferList | null>(top * 2).fill(null);
        for (let i = 0; i < top; i++) bigger[i] = this.#resourcesChain[i]!;
        this.#resourcesChain = bigger;
      }
      this.#resourcesChain[top++] = nbl;
    }
    this.#resourcesTop = top;
  }

  /** Relinks the indicator's chain saved from `start` as it came in, and forgets it. */
  #restoreChain(start: number): void {
    const saved = this.#resourcesChain;
    const end = this.#resourcesTop;
    for (let i = start; i < end; i++) {
      saved[i]!.next = i + 1 < end ? saved[i + 1]! : null;
      saved[i] = null;
    }
    this.#resourcesTop = start;
  }

  /** Filter copies are freed here; everything else goes on down. */
  override returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    const head = freeOwnCopies(this.#receivePort, this.ndis, nbls);
    if (head !== null) this.ndis.returnNetBufferLists(head, returnFlags);
    this.#maybeCompletePause();
  }

  // ---------------------------------------------------------------------------------------------
  // Timers and flushing

  /** Releases what is due. `now` is at least the due time the timer was armed for (clock rounding). */
  #onTimer(d: ImpairmentDirection, port: SendPort | ReceivePort, timer: NdisTimerObject): void {
    const due = d.armedDue;
    d.armedDue = Infinity;
    if (this.ndis.state !== 'Running' || this.#removed) return;
    const clock = this.ndis.now();
    const now = due !== Infinity && due > clock ? due : clock;
    const saved = port.flags;
    port.flags = 0;
    d.releaseDue(now);
    port.flush();
    port.flags = saved;
    this.#arm(d, timer, now);
  }

  /** Arms `timer` for the next held frame, or cancels it when nothing is held. */
  #arm(d: ImpairmentDirection, timer: NdisTimerObject, now: number): void {
    const due = d.nextDue();
    if (due === d.armedDue) return;
    if (due === Infinity) {
      timer.cancel();
      d.armedDue = Infinity;
      return;
    }
    timer.set(due > now ? due - now : 0);
    d.armedDue = due;
  }

  /**
   * Empties both directions (pause, surprise removal). Held sends go down at pause and complete up
   * with NDIS_STATUS_ADAPTER_REMOVED at removal; held filter copies are freed (counted droppedFlushed).
   */
  #flushHeld(removal: boolean): void {
    const send = this.#send;
    const sendPort = this.#sendPort;
    if (send !== null && sendPort !== null) {
      this.#sendTimer?.cancel();
      send.armedDue = Infinity;
      sendPort.flags = 0;
      for (let nbl = send.takeHeld(); nbl !== null; nbl = send.takeHeld()) {
        if (nbl.sourceHandle === this.ndis || removal) {
          send.count(send.takenClass, 'droppedFlushed', nbl);
          sendPort.fail(nbl, NDIS_STATUS_ADAPTER_REMOVED);
        } else {
          send.count(send.takenClass, 'passed');
          sendPort.emit(nbl, send.takenPort);
        }
      }
      sendPort.flush();
    }
    const receive = this.#receive;
    const receivePort = this.#receivePort;
    if (receive !== null && receivePort !== null) {
      this.#receiveTimer?.cancel();
      receive.armedDue = Infinity;
      receivePort.flags = 0;
      for (let nbl = receive.takeHeld(); nbl !== null; nbl = receive.takeHeld()) {
        receive.count(receive.takenClass, 'droppedFlushed', nbl);
        receivePort.discard(nbl); // only copies are ever held on receive: freed
      }
      receivePort.flush();
    }
  }

  #outstanding(): number {
    return (this.#sendPort?.ownOutstanding ?? 0) + (this.#receivePort?.ownOutstanding ?? 0);
  }

  #maybeCompletePause(): void {
    if (this.#pausePending && this.#outstanding() === 0) {
      this.#pausePending = false;
      this.ndis.pauseComplete();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Run-time control and inspection

  /**
   * Changes one direction's impairments (or both) while running; takes effect for the next frame.
   * Throws RangeError for an impossible value (nothing changes then) and TypeError before attach.
   */
  configure(direction: ImpairmentDirectionName | 'both', change: Partial<ImpairmentParams>): void {
    const send = this.#send;
    const receive = this.#receive;
    if (send === null || receive === null) throw new TypeError(`${this.ndis.name}: configure() before attach`);
    const now = this.ndis.now();
    if (direction === 'both') {
      mergeParams(receive.params, change, receive.capacity); // both checked before either changes
      send.configure(change, now);
      receive.configure(change, now);
    } else {
      (direction === 'send' ? send : receive).configure(change, now);
    }
  }

  /** The parameters a direction runs with now. */
  params(direction: ImpairmentDirectionName): ImpairmentParams {
    return this.#direction(direction).params;
  }

  /** Counters per frame class and in total, and the frames held now. */
  stats(direction: ImpairmentDirectionName): DirectionStats {
    return this.#direction(direction).stats();
  }

  /** Shown under the module by the inspector. */
  inspect(): Record<string, unknown> {
    if (this.#send === null || this.#receive === null) return { attached: false };
    return { send: this.#send.inspect(), receive: this.#receive.inspect(), removed: this.#removed };
  }

  #direction(direction: ImpairmentDirectionName): ImpairmentDirection {
    const d = direction === 'send' ? this.#send : this.#receive;
    if (d === null) throw new TypeError(`${this.ndis.name}: not attached`);
    return d;
  }
}
