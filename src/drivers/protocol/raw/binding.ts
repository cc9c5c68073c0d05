/**
 * The raw protocol's binding (ndisprot's idea): one per adapter it binds to. User code sends raw Ethernet
 * frames through it and receives every frame the binding's packet filter accepts.
 *
 * Receive queue: a bounded ring. Frames indicated normally are held as NBLs (zero copy) until the reader
 * takes them; frames indicated with NDIS_RECEIVE_FLAGS_RESOURCES, or arriving while pausing, are copied
 * into the slot's preallocated buffer and the NBL is given back at once. A full ring drops and counts:
 * back-pressure reaches the adapter as well, because held NBLs are buffers the miniport cannot reuse.
 *
 * Pause: new sends are refused; the pause completes when every send came back, after held NBLs were
 * copied out and returned (nothing received is lost).
 */
import {
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisMedium802_3,
  NdisOidRequest,
  NetEventPause,
  NetEventRestart,
  packetFilterCodec,
  statusName,
  type BindParameters,
  type NdisOffload,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
  type NdisDropCounter,
  type UnbindParameters,
} from '../../../ndis/index.js';

export interface RawOptions {
  /** NDIS_PACKET_TYPE_* bits set on bind (default directed | multicast | broadcast). */
  packetFilter?: number;
  /** Frames the receive ring holds before dropping (default 256). */
  receiveQueueDepth?: number;
  /** NBLs in the send pool (default 256). */
  sendPoolSize?: number;
  /**
   * Largest frame one send NBL holds (default: the adapter's MTU + 18). Raise it to hand down LSO frames
   * (up to 64 KB) on an adapter that offloads segmentation.
   */
  sendFrameSize?: number;
}

/** Per-packet offload info for a frame sent through `send` (NBL info slots, as the NDIS encoders pack them). */
export interface RawSendInfo {
  /** TcpIpChecksumNetBufferListInfo (checksumTx / checksumTxValue). */
  tcpIpChecksum?: number;
  /** TcpLargeSendNetBufferListInfo (lsoV2Transmit). */
  tcpLargeSend?: number;
  /** Ieee8021QNetBufferListInfo (ieee8021QValue: 802.1p priority and VLAN ID), for a VLAN miniport to tag. */
  ieee8021Q?: number;
  /** UdpSegmentationOffloadInfo (usoTransmit): one large UDP datagram for the miniport to cut. */
  udpSegmentationOffloadInfo?: number;
  /** TcpSendOffloadsSupplementalNetBufferListInfo (sendOffloadsSupplementalValue): an encapsulated frame's inner offsets. */
  tcpSendOffloadsSupplemental?: number;
}

export class RawCounters {
  framesSent = 0;
  /** Bytes of sends that completed successfully. */
  bytesSent = 0;
  sendCompleted = 0;
  sendFailed = 0;
  /** Sends refused before reaching NDIS: binding not running. */
  refusedNotRunning = 0;
  /** Sends refused: send pool empty (NDIS_STATUS_RESOURCES). */
  refusedNoResources = 0;
  framesReceived = 0;
  bytesReceived = 0;
  /** Frames dropped because the receive ring was full. */
  receiveDropped = 0;
  /** Frames that had to be copied (RESOURCES flag or pausing). */
  receiveCopied = 0;
  readonly failedByStatus = new Map<string, number>();
}

interface Slot {
  nbl: NetBufferList | null;
  length: number;
  /** Sized for an MTU frame; grown (once) when a larger frame (RSC, jumbo) must be copied. */
  copy: Uint8Array;
}

function copyInto(slot: Slot, nb: NetBuffer, len: number): number {
  if (len > slot.copy.length) slot.copy = new Uint8Array(len);
  return nb.copyOut(slot.copy, 0, 0, len);
}

/** Handler mode: the binding passes each received chain to user code, then returns it at once. */
export type RawReceiveHandler = (nbls: NetBufferList, count: number) => void;
/** With a send-complete handler, completed NBLs go to user code (to resend or free), not back to the pool. */
export type RawSendCompleteHandler = (nbls: NetBufferList) => void;
/** Sees every status indication the binding is given (e.g. NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG). */
export type RawStatusHandler = (indication: NdisStatusIndication) => void;

export class RawBinding implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  /** Frames dropped because the receive ring was full (drops.ts), from the handle at bind. */
  #queueFull: NdisDropCounter | null = null;
  readonly counters = new RawCounters();
  readonly options: Required<RawOptions>;
  adapterName = '';
  running = false;
  pausing = false;
  sendPool: NetBufferListPool | null = null;
  sendsOutstanding = 0;
  receiveHandler: RawReceiveHandler | null = null;
  sendCompleteHandler: RawSendCompleteHandler | null = null;
  statusHandler: RawStatusHandler | null = null;
  /** The offload configuration the bind parameters carried (DefaultOffloadConfiguration / HardwareOffloadCapabilities). */
  boundOffload: { current: NdisOffload; hardware: NdisOffload } | null = null;
  #frameSize = 1518;
  /** Largest frame a send NBL holds. */
  #sendFrameSize = 1518;
  #backfill = 0;
  #ring: Slot[] = [];
  #head = 0;
  #count = 0;
  #waiters: (() => void)[] = [];
  #bindRequest: NdisOidRequest | null = null;
  readonly #userOids = new Map<NdisOidRequest, (status: NdisStatus) => void>();
  #onBound: (b: RawBinding) => void;
  #onUnbound: (b: RawBinding) => void;

  constructor(ndis: ProtocolBindingHandle, options: RawOptions, onBound: (b: RawBinding) => void, onUnbound: (b: RawBinding) => void) {
    this.ndis = ndis;
    this.options = {
      packetFilter: options.packetFilter ?? NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST,
      receiveQueueDepth: options.receiveQueueDepth ?? 256,
      sendPoolSize: options.sendPoolSize ?? 256,
      sendFrameSize: options.sendFrameSize ?? 0,
    };
    this.#onBound = onBound;
    this.#onUnbound = onUnbound;
  }

  // ---------------------------------------------------------------------------------------------
  // NDIS handlers

  bindAdapter(params: BindParameters): NdisStatus {
    this.#queueFull = this.ndis.dropCounter('receiveQueueFull');
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.adapterName = params.adapterName;
    this.boundOffload = { current: params.defaultOffloadConfiguration, hardware: params.hardwareOffloadCapabilities };
    const k = params.keywords;
    const depth = k.readInt('ReceiveQueueDepth', this.options.receiveQueueDepth, 1, 1 << 20);
    const filter = k.readInt('PacketFilter', this.options.packetFilter, 0, 0xffffffff);
    this.#frameSize = params.generalAttributes.mtuSize + 14 + 4;
    this.#sendFrameSize = Math.max(this.#frameSize, k.readInt('SendFrameSize', this.options.sendFrameSize, 0, 1 << 20));
    // Leave the backfill the adapter asked for in front of every frame (a TAP writes its virtio-net
    // header there instead of copying the frame).
    this.#backfill = params.generalAttributes.dataBackFillSize;
    const slot = (this.#backfill + this.#sendFrameSize + 63) & ~63;
    this.sendPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:raw-tx`, capacity: k.readInt('SendPoolSize', this.options.sendPoolSize, 1, 1 << 20), dataSize: slot });
    this.#ring = Array.from({ length: depth }, () => ({ nbl: null, length: 0, copy: new Uint8Array(this.#frameSize) }));
    this.#bindRequest = NdisOidRequest.set(packetFilterCodec, filter);
    const status = this.ndis.oidRequest(this.#bindRequest);
    if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
    return this.#bound(status);
  }

  #bound(status: NdisStatus): NdisStatus {
    this.#bindRequest = null;
    if (status !== NDIS_STATUS_SUCCESS) {
      // A failed bind gives back what it allocated (no unbind follows).
      if (this.sendPool !== null) this.ndis.freeNetBufferListPool(this.sendPool);
      this.sendPool = null;
      this.ndis.closeAdapter();
      return status;
    }
    this.#onBound(this);
    return NDIS_STATUS_SUCCESS;
  }

  unbindAdapter(_params: UnbindParameters): NdisStatus {
    this.#flushHeldToCopies();
    this.#onUnbound(this);
    if (this.sendPool !== null) this.ndis.freeNetBufferListPool(this.sendPool);
    this.sendPool = null;
    this.ndis.closeAdapter();
    this.#wake();
    return NDIS_STATUS_SUCCESS;
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    if (event.netEvent === NetEventPause) {
      this.running = false;
      this.pausing = true;
      this.#flushHeldToCopies();
      if (this.sendsOutstanding === 0) {
        this.pausing = false;
        return NDIS_STATUS_SUCCESS;
      }
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) {
      this.running = true;
      this.pausing = false;
    }
    return NDIS_STATUS_SUCCESS;
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    if (request === this.#bindRequest) {
      this.ndis.bindAdapterComplete(this.#bound(status));
      return;
    }
    const done = this.#userOids.get(request);
    this.#userOids.delete(request);
    done?.(status);
  }

  status(indication: NdisStatusIndication): void {
    this.statusHandler?.(indication);
  }

  receiveNetBufferLists(nbls: NetBufferList, _portNumber: number, count: number, receiveFlags: number): void {
    const c = this.counters;
    const handler = this.receiveHandler;
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    if (handler !== null) {
      c.framesReceived += count;
      handler(nbls, count);
      if (!resources) this.ndis.returnNetBufferLists(nbls, 0);
      return;
    }
    // Queue mode: hold what fits (or copy it), return the rest at once.
    let retHead: NetBufferList | null = null;
    let retTail: NetBufferList | null = null;
    const copyOnly = resources || !this.running;
    const ring = this.#ring;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      const nb = nbl.firstNetBuffer;
      const len = nb === null ? 0 : nb.dataLength;
      let keep = false;
      if (this.#count === ring.length || nb === null) {
        c.receiveDropped++;
        this.#queueFull?.drop(nb);
      } else {
        const slot = ring[(this.#head + this.#count) % ring.length]!;
        this.#count++;
        c.framesReceived++;
        c.bytesReceived += len;
        if (copyOnly) {
          slot.nbl = null;
          slot.length = copyInto(slot, nb, len);
          c.receiveCopied++;
        } else {
          slot.nbl = nbl;
          slot.length = len;
          keep = true;
        }
      }
      if (!keep && !resources) {
        nbl.next = null;
        if (retTail === null) retHead = nbl;
        else retTail.next = nbl;
        retTail = nbl;
      }
      nbl = next;
    }
    if (retHead !== null) this.ndis.returnNetBufferLists(retHead, 0);
    this.#wake();
  }

  sendNetBufferListsComplete(nbls: NetBufferList, _flags: number): void {
    const c = this.counters;
    let n = 0;
    let bytes = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      n++;
      if (nbl.status === NDIS_STATUS_SUCCESS) {
        c.sendCompleted++;
        const nb = nbl.firstNetBuffer;
        if (nb !== null) bytes += nb.dataLength;
      } else {
        c.sendFailed++;
        const name = statusName(nbl.status);
        c.failedByStatus.set(name, (c.failedByStatus.get(name) ?? 0) + 1);
      }
    }
    c.bytesSent += bytes;
    this.sendsOutstanding -= n;
    const handler = this.sendCompleteHandler;
    if (handler !== null) handler(nbls);
    else this.freeChain(nbls);
    if (this.pausing && this.sendsOutstanding === 0) {
      this.pausing = false;
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
    this.#wake();
  }

  // ---------------------------------------------------------------------------------------------
  // User-facing operations

  /**
   * Copies `frame` into an NBL and sends it, with `info` in its NBL info slots (checksum / LSO offload
   * requests). False when not running or out of send buffers.
   */
  send(frame: Uint8Array, info?: RawSendInfo): boolean {
    const nbl = this.#prepare(frame);
    if (nbl === null) return false;
    if (info !== undefined) {
      nbl.info.tcpIpChecksum = info.tcpIpChecksum ?? 0;
      nbl.info.tcpLargeSend = info.tcpLargeSend ?? 0;
      nbl.info.ieee8021Q = info.ieee8021Q ?? 0;
      nbl.info.udpSegmentationOffloadInfo = info.udpSegmentationOffloadInfo ?? 0;
      nbl.info.tcpSendOffloadsSupplemental = info.tcpSendOffloadsSupplemental ?? 0;
    }
    this.sendChain(nbl, 1);
    return true;
  }

  /** Sends as many of `frames` as buffers allow, as one NBL chain. Returns how many were sent. */
  sendBatch(frames: readonly Uint8Array[]): number {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let n = 0;
    for (const f of frames) {
      const nbl = this.#prepare(f);
      if (nbl === null) break;
      if (tail === null) head = nbl;
      else tail.next = nbl;
      tail = nbl;
      n++;
    }
    if (head !== null) this.sendChain(head, n);
    return n;
  }

  #prepare(frame: Uint8Array): NetBufferList | null {
    if (!this.running || this.sendPool === null) {
      this.counters.refusedNotRunning++;
      return null;
    }
    if (frame.length > this.#sendFrameSize) throw new RangeError(`frame of ${frame.length} bytes exceeds the ${this.#sendFrameSize} a send buffer holds`);
    const nbl = this.sendPool.allocate();
    if (nbl === null) {
      this.counters.refusedNoResources++;
      return null;
    }
    const nb = nbl.firstNetBuffer!;
    nb.dataOffset = this.#backfill;
    nb.currentMdlOffset = this.#backfill;
    nb.dataLength = frame.length;
    nb.copyIn(frame, 0, frame.length, 0);
    nbl.sourceHandle = this.ndis.sourceHandle;
    return nbl;
  }

  /** Sends an NBL chain this binding allocated (see `allocate`); `count` NBLs. */
  sendChain(nbls: NetBufferList, count: number): void {
    this.counters.framesSent += count;
    this.sendsOutstanding += count;
    this.ndis.sendNetBufferLists(nbls, 0, 0);
  }

  /** An NBL from the send pool with `frame` written in (for callers that resend the same NBLs). */
  allocate(frame: Uint8Array): NetBufferList | null {
    return this.#prepare(frame);
  }

  freeChain(nbls: NetBufferList): void {
    const pool = this.sendPool;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      if (pool !== null) pool.free(nbl);
      nbl = next;
    }
  }

  /** Takes the oldest received frame as a fresh Uint8Array, returning its NBL to NDIS. Null when empty. */
  tryReceive(): Uint8Array | null {
    if (this.#count === 0) return null;
    const slot = this.#ring[this.#head]!;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#count--;
    let out: Uint8Array;
    if (slot.nbl !== null) {
      const nbl = slot.nbl;
      slot.nbl = null;
      out = new Uint8Array(slot.length);
      nbl.firstNetBuffer!.copyOut(out, 0, 0, slot.length);
      nbl.next = null;
      this.ndis.returnNetBufferLists(nbl, 0);
    } else {
      out = slot.copy.slice(0, slot.length);
    }
    return out;
  }

  get queued(): number {
    return this.#count;
  }

  /** Resolves when a frame is queued, the binding goes away, or `signal` aborts. */
  waitForFrame(signal?: AbortSignal): Promise<void> {
    if (this.#count > 0 || signal?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Issues an OID request on this binding; resolves with the final status. */
  oid(request: NdisOidRequest): Promise<NdisStatus> {
    return new Promise<NdisStatus>((resolve) => {
      this.#userOids.set(request, resolve);
      const status = this.ndis.oidRequest(request);
      if (status !== NDIS_STATUS_PENDING) {
        this.#userOids.delete(request);
        resolve(status);
      }
    });
  }

  /** Held NBLs are copied into their slots and returned (pause, unbind). */
  #flushHeldToCopies(): void {
    const ring = this.#ring;
    let head: NetBufferList | null = null;
    for (let i = 0; i < this.#count; i++) {
      const slot = ring[(this.#head + i) % ring.length]!;
      const nbl = slot.nbl;
      if (nbl === null) continue;
      slot.length = copyInto(slot, nbl.firstNetBuffer!, slot.length);
      slot.nbl = null;
      this.counters.receiveCopied++;
      nbl.next = head;
      head = nbl;
    }
    if (head !== null) this.ndis.returnNetBufferLists(head, 0);
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    for (const w of this.#waiters.splice(0)) w();
  }
}
