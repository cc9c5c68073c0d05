/**
 * One bridge port: the bridge's protocol binding to a member adapter.
 *
 * Bind: opens the adapter, joins the bridge its `Bridge` keyword names, allocates the port's send pool
 * (`SendPoolSize` NBLs, each with a buffer for an MTU + 18 byte frame behind the adapter's backfill) and
 * sets the packet filter to promiscuous, so the port sees every frame on its segment.
 *
 * Forwarding copies: a frame leaving by this port is copied into one of the port's own NBLs (no
 * allocation; the copy runs four bytes a step between slabs), so the ingress miniport gets its receive
 * buffer back as soon as the indication returns (also with NDIS_RECEIVE_FLAGS_RESOURCES) and a flood
 * needs no reference counting. Copies queue per port and go down as one chain per received chain.
 * Back-pressure: an empty pool drops the frame (`droppedNoBuffers`); a transmit that completes with an
 * error status counts in `txFailed` by status. Task offloads: the bridge never enables receive offloads
 * (no OID_OFFLOAD_ENCAPSULATION), so members hand it complete MTU-sized frames with their checksums,
 * and it sends them with no offload requested; see README.md for members shared with other protocols.
 *
 * Pause: the port stops forwarding in both directions (frames arriving or due to leave are dropped and
 * counted) and the pause completes when its sends are back.
 */
import {
  ByteSpan,
  MediaConnectStateDisconnected,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisMedium802_3,
  NdisOidRequest,
  NetEventPause,
  NetEventRestart,
  packetFilterCodec,
  statusName,
  type BindParameters,
  type NdisDropSourceRegistration,
  type NdisLinkState,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
  type UnbindParameters,
} from '../../../ndis/index.js';
import type { Bridge } from './bridge.js';
import { BridgePortCounters, BridgePortDrops } from './counters.js';

/** What a port needs from the per-host driver object: the bridge to join. */
export interface BridgeRegistry {
  /** The bridge named `name` (created with this binding's host-wide settings when new). */
  bridgeFor(name: string, params: BindParameters): Bridge;
  /** The port left its bridge (the registry drops a bridge with no ports). */
  portLeft(bridge: Bridge): void;
}

export const DEFAULT_SEND_POOL_SIZE = 2048;

export class BridgePort implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  readonly counters = new BridgePortCounters();
  /** Reused by the bridge to read frame headers in place. */
  readonly span = new ByteSpan();
  adapterName = '';
  bridge: Bridge | null = null;
  portNumber = -1;
  running = false;
  sendsOutstanding = 0;
  /** Largest frame this port sends: MTU + 14 + 4 (one 802.1Q tag). */
  maxFrame = 1518;
  #pausing = false;
  #linkUp = true;
  #backfill = 0;
  #pool: NetBufferListPool | null = null;
  #bindRequest: NdisOidRequest | null = null;
  #pendHead: NetBufferList | null = null;
  #pendTail: NetBufferList | null = null;
  #pendCount = 0;
  /** The port's drops as registered with the host's drop registry (`tsndis drops`); null while unbound. */
  #drops: NdisDropSourceRegistration | null = null;
  readonly #registry: BridgeRegistry;

  constructor(ndis: ProtocolBindingHandle, registry: BridgeRegistry) {
    this.ndis = ndis;
    this.#registry = registry;
  }

  // ---------------------------------------------------------------------------------------------
  // NDIS handlers

  bindAdapter(params: BindParameters): NdisStatus {
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.adapterName = params.adapterName;
    const bridge = this.#registry.bridgeFor(params.keywords.readString('Bridge', 'br0'), params);
    const n = bridge.join(this);
    if (n < 0) {
      this.ndis.log('error', `bridge ${bridge.name} has the most ports it can take`);
      this.#registry.portLeft(bridge);
      this.ndis.closeAdapter();
      return NDIS_STATUS_RESOURCES;
    }
    this.bridge = bridge;
    this.portNumber = n;
    const attrs = params.generalAttributes;
    this.maxFrame = attrs.mtuSize + 18;
    // The adapter's backfill stays free in front of every copy (a TAP writes its virtio-net header there).
    this.#backfill = attrs.dataBackFillSize;
    const slot = (this.#backfill + this.maxFrame + 63) & ~63;
    const capacity = params.keywords.readInt('SendPoolSize', DEFAULT_SEND_POOL_SIZE, 16, 1 << 16);
    this.#pool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:bridge-tx`, capacity, dataSize: slot });
    this.#bindRequest = NdisOidRequest.set(packetFilterCodec, NDIS_PACKET_TYPE_PROMISCUOUS);
    const status = this.ndis.oidRequest(this.#bindRequest);
    if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
    return this.#bound(status);
  }

  #bound(status: NdisStatus): NdisStatus {
    this.#bindRequest = null;
    if (status === NDIS_STATUS_SUCCESS) {
      this.#drops = this.ndis.registerDropSource(new BridgePortDrops(this.ndis.name, this.counters));
      return status;
    }
    this.ndis.log('error', `the adapter refused the promiscuous packet filter (${statusName(status)})`);
    this.#release();
    this.ndis.closeAdapter();
    return status;
  }

  #release(): void {
    this.#drops?.remove();
    this.#drops = null;
    if (this.#pool !== null) this.ndis.freeNetBufferListPool(this.#pool);
    this.#pool = null;
    const bridge = this.bridge;
    this.bridge = null;
    if (bridge !== null) {
      bridge.leave(this);
      this.#registry.portLeft(bridge);
    }
  }

  unbindAdapter(_params: UnbindParameters): NdisStatus {
    this.#release();
    this.ndis.closeAdapter();
    return NDIS_STATUS_SUCCESS;
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    if (event.netEvent === NetEventPause) {
      this.running = false;
      if (this.sendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
      this.#pausing = true;
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) this.running = true;
    return NDIS_STATUS_SUCCESS;
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    if (request === this.#bindRequest) this.ndis.bindAdapterComplete(this.#bound(status));
  }

  status(indication: NdisStatusIndication): void {
    if (indication.statusCode !== NDIS_STATUS_LINK_STATE) return;
    const ls = indication.statusBuffer as NdisLinkState | null;
    if (ls === null || typeof ls !== 'object') return;
    const up = ls.mediaConnectState !== MediaConnectStateDisconnected;
    if (up === this.#linkUp) return;
    this.#linkUp = up;
    // The stations behind this port may show up behind another one: relearn them.
    if (!up && this.bridge !== null) this.bridge.flush(this.portNumber);
  }

  receiveNetBufferLists(nbls: NetBufferList, _portNumber: number, count: number, receiveFlags: number): void {
    const bridge = this.bridge;
    if (!this.running || bridge === null) this.counters.droppedNotRunning += count;
    else {
      bridge.receive(this, nbls, this.ndis.now());
      bridge.flushAll();
    }
    // Everything was copied: the miniport gets its buffers back at once.
    if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.ndis.returnNetBufferLists(nbls, 0);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, _flags: number): void {
    const c = this.counters;
    const pool = this.#pool;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      n++;
      if (nbl.status === NDIS_STATUS_SUCCESS) {
        c.txFrames++;
        c.txBytes += nbl.firstNetBuffer?.dataLength ?? 0;
      } else {
        c.txFailed++;
        const name = statusName(nbl.status);
        c.txFailedByStatus.set(name, (c.txFailedByStatus.get(name) ?? 0) + 1);
      }
      nbl.next = null;
      pool?.free(nbl);
      nbl = next;
    }
    this.sendsOutstanding -= n;
    if (this.#pausing && this.sendsOutstanding === 0) {
      this.#pausing = false;
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Forwarding

  /** Copies the frame `nb` (`len` bytes) into a send NBL queued on this port; false (counted) when it cannot leave here. */
  queueCopy(nb: NetBuffer, len: number): boolean {
    const c = this.counters;
    const pool = this.#pool;
    if (!this.running || pool === null) {
      c.droppedPortDown++;
      return false;
    }
    if (len > this.maxFrame) {
      c.droppedOversize++;
      return false;
    }
    const nbl = pool.allocate();
    if (nbl === null) {
      c.droppedNoBuffers++;
      return false;
    }
    const dst = nbl.firstNetBuffer!;
    dst.dataOffset = this.#backfill;
    dst.currentMdlOffset = this.#backfill;
    dst.dataLength = len;
    nb.copyOutToMdl(dst.poolMdl!, this.#backfill, 0, len);
    if (this.#pendTail === null) this.#pendHead = nbl;
    else this.#pendTail.next = nbl;
    this.#pendTail = nbl;
    this.#pendCount++;
    return true;
  }

  /** Sends the queued copies as one chain. */
  flush(): void {
    const head = this.#pendHead;
    if (head === null) return;
    const n = this.#pendCount;
    this.#pendHead = this.#pendTail = null;
    this.#pendCount = 0;
    this.sendsOutstanding += n;
    this.ndis.sendNetBufferLists(head, 0, 0);
  }

  /** Shown by the inspector: this port's counters, and its bridge's table. */
  inspect(): Record<string, unknown> {
    const b = this.bridge;
    const { txFailedByStatus, ...counters } = this.counters;
    return {
      bridge: b?.name ?? null,
      port: this.portNumber,
      ...counters,
      ...(txFailedByStatus.size > 0 ? { txFailedByStatus: Object.fromEntries(txFailedByStatus) } : {}),
      sendPool: this.#pool === null ? null : { capacity: this.#pool.capacity, inUse: this.sendsOutstanding },
      ...(b === null ? {} : { table: { entries: b.fdb.size, capacity: b.fdb.capacity, aged: b.counters.aged, flushed: b.counters.flushed } }),
    };
  }
}
