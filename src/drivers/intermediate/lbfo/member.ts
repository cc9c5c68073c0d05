/**
 * Lower edge of tsndis.lbfo: the protocol binding to one member adapter. It joins the team named by its
 * `UpperBindings` keyword (the first member to bind asks NDIS for the team's virtual miniport), follows
 * the member's link, pause state and task offloads, sends the team's traffic as clones from its own pools
 * (the original NBL waits in the clone's ProtocolReserved until the member completes the clone) and hands
 * receives to the team's virtual miniport. Unbinding the last member removes the virtual miniport and
 * waits for its halt.
 */
import {
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES,
  MediaConnectStateDisconnected,
  NdisMedium802_3,
  NdisOidRequest,
  NdisRequestSetInformation,
  NetEventPause,
  NetEventRestart,
  OID_GEN_CURRENT_PACKET_FILTER,
  packetFilterCodec,
  type BindParameters,
  type ConfigurationReader,
  type MiniportAdapterGeneralAttributes,
  type NdisLinkState,
  type NdisOffload,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
} from '../../../ndis/index.js';
import { teamFor, type Team, type TeamingMode } from './team.js';

/** ProtocolReserved[0] of an announcement frame (a member's own NBL, freed on completion). */
const ANNOUNCE = Symbol('lbfo-announce');
/** IEEE 802 local experimental EtherType: the failover announcement carries nothing a peer must parse. */
const ANNOUNCE_ETHERTYPE = 0x88b5;
const ANNOUNCE_FRAME = 60;

/** Per-member counters (the inspector shows them under the team). */
export interface MemberCounters {
  sentNbls: number;
  sentBytes: number;
  sendCompleted: number;
  sendErrors: number;
  receivedNbls: number;
  receivedBytes: number;
  /** Receives dropped because this member does not receive for the team now (standby, foreign unicast, duplicate broadcast). */
  receiveDropped: number;
  announcements: number;
}

export class LbfoMember implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  team: Team | null = null;
  adapterName = '';
  shortName = '';
  mac: Uint8Array = new Uint8Array(6);
  /** The member's MAC differs from the team's: it runs promiscuous and the team filters unicast itself. */
  foreignMac = false;
  running = false;
  linkUp = false;
  linkSpeed = 0n;
  stalled = false;
  stalls = 0;
  leaving = false;
  currentOffload!: NdisOffload;
  hardwareOffload!: NdisOffload;
  general!: MiniportAdapterGeneralAttributes;
  keywords!: ConfigurationReader;
  mtu = 1500;
  dataBackFill = 0;
  contextBackFill = 0;
  sendsOutstanding = 0;
  outstandingSince = 0;
  lastCompletionAt = 0;
  lastSendAt = 0;
  readonly counters: MemberCounters = { sentNbls: 0, sentBytes: 0, sendCompleted: 0, sendErrors: 0, receivedNbls: 0, receivedBytes: 0, receiveDropped: 0, announcements: 0 };
  sendNblPool: NetBufferListPool | null = null;
  sendNbPool: NetBufferPool | null = null;
  #announcePool: NetBufferListPool | null = null;
  /** Clones gathered for this member during one team send (flushed at its end). */
  pendHead: NetBufferList | null = null;
  pendTail: NetBufferList | null = null;
  /** Originals gathered to return to this member during one team return. */
  retHead: NetBufferList | null = null;
  retTail: NetBufferList | null = null;
  #pausing = false;
  #unbindPending = false;
  readonly #oidWaiters = new Map<NdisOidRequest, (status: NdisStatus) => void>();

  constructor(ndis: ProtocolBindingHandle) {
    this.ndis = ndis;
  }

  bindAdapter(params: BindParameters): NdisStatus {
    const k = params.keywords;
    const configured = k.read('UpperBindings');
    const names = Array.isArray(configured) ? configured : typeof configured === 'string' && configured !== '' ? configured.split(',').map((s) => s.trim()) : [];
    if (names.length !== 1) {
      this.ndis.log('error', `UpperBindings names ${names.length} virtual miniports; a team has exactly one`);
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.adapterName = params.adapterName;
    const slash = params.adapterName.lastIndexOf('/');
    this.shortName = params.adapterName.slice(slash + 1);
    const host = params.adapterName.slice(0, slash);
    const g = params.generalAttributes;
    this.general = g;
    this.keywords = k;
    this.mac = g.currentMacAddress.slice();
    this.mtu = g.mtuSize;
    this.dataBackFill = g.dataBackFillSize;
    this.contextBackFill = g.contextBackFillSize;
    this.linkUp = g.mediaConnectState !== MediaConnectStateDisconnected;
    this.linkSpeed = g.xmitLinkSpeed;
    this.currentOffload = params.defaultOffloadConfiguration;
    this.hardwareOffload = params.hardwareOffloadCapabilities;
    const mode = k.readString('TeamingMode', 'ActiveStandby') as TeamingMode;
    const team = teamFor(`${host}/${names[0]!}`, { mode, primary: k.readString('PrimaryMember', ''), sendTimeoutMs: k.readInt('SendTimeoutMs', 2000, 0, 600_000) });
    const pool = k.readInt('SendPoolSize', 4096, 16, 1 << 20);
    this.sendNblPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:lbfo-tx`, capacity: pool });
    this.sendNbPool = this.ndis.allocateNetBufferPool({ name: `${params.adapterName}:lbfo-tx-nb`, capacity: pool * 2 });
    this.#announcePool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:lbfo-announce`, capacity: 4, dataSize: (this.dataBackFill + ANNOUNCE_FRAME + 63) & ~63 });
    this.team = team;
    this.foreignMac = team.mac !== null && !sameMac(team.mac, this.mac);
    team.join(this);
    this.foreignMac = !sameMac(team.mac!, this.mac);
    team.adapter?.memberJoined(this);
    if (team.adapter === null && !team.deviceRequested) {
      team.deviceRequested = true;
      const status = this.ndis.initializeDeviceInstance(names[0]!, team);
      if (status !== NDIS_STATUS_SUCCESS) {
        team.deviceRequested = false;
        this.#release();
        this.ndis.closeAdapter();
        return status;
      }
    }
    return NDIS_STATUS_SUCCESS;
  }

  unbindAdapter(): NdisStatus {
    const team = this.team;
    this.leaving = true;
    if (team === null) {
      this.#release();
      this.ndis.closeAdapter();
      return NDIS_STATUS_SUCCESS;
    }
    team.leave(this);
    if (team.members.length === 0 && team.adapter !== null) {
      // The last member: the virtual miniport goes first (it has nothing left to send through).
      this.#unbindPending = true;
      team.adapter.lastMemberLeaving = this;
      this.ndis.deInitializeDeviceInstance(team.adapter.instanceName);
      return NDIS_STATUS_PENDING;
    }
    this.#release();
    this.ndis.closeAdapter();
    return NDIS_STATUS_SUCCESS;
  }

  /** The team's virtual miniport halted while this (last) member's unbind waited. */
  upperHalted(): void {
    if (!this.#unbindPending) return;
    this.#unbindPending = false;
    this.#release();
    this.ndis.closeAdapter();
    this.ndis.unbindAdapterComplete();
  }

  #release(): void {
    if (this.sendNblPool !== null) this.ndis.freeNetBufferListPool(this.sendNblPool);
    if (this.sendNbPool !== null) this.ndis.freeNetBufferPool(this.sendNbPool);
    if (this.#announcePool !== null) this.ndis.freeNetBufferListPool(this.#announcePool);
    this.sendNblPool = null;
    this.sendNbPool = null;
    this.#announcePool = null;
    this.team = null;
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    if (event.netEvent === NetEventPause) {
      this.running = false;
      // Sends move to the other members before this one drains.
      this.team?.recompute('member paused');
      if (this.sendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
      this.#pausing = true;
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) {
      this.running = true;
      this.team?.recompute('member restarted');
    }
    return NDIS_STATUS_SUCCESS;
  }

  /** Queues a clone for this member (flushed by `flush`). */
  enqueue(clone: NetBufferList): void {
    if (this.pendTail === null) this.pendHead = clone;
    else this.pendTail.next = clone;
    this.pendTail = clone;
  }

  flush(portNumber: number, sendFlags: number): void {
    const head = this.pendHead;
    if (head === null) return;
    this.pendHead = null;
    this.pendTail = null;
    let n = 0;
    let bytes = 0;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) {
      n++;
      bytes += nbl.dataLength;
    }
    const now = this.ndis.now();
    if (this.sendsOutstanding === 0) this.outstandingSince = now;
    this.sendsOutstanding += n;
    this.counters.sentNbls += n;
    this.counters.sentBytes += bytes;
    this.lastSendAt = now;
    if (this.team !== null && this.team.measuringGap === this) this.team.firstSendAfterFailover(this, now);
    this.ndis.sendNetBufferLists(head, portNumber, sendFlags);
  }

  /** Sends a frame from the team's MAC so a switch learns the team's new port now, not at the next data frame. */
  announce(): void {
    const pool = this.#announcePool;
    const mac = this.team?.mac;
    if (pool === null || mac === null || mac === undefined || !this.running) return;
    const nbl = pool.allocate();
    if (nbl === null) return;
    const nb = nbl.firstNetBuffer!;
    const mdl = nb.poolMdl!;
    const at = mdl.byteOffset + this.dataBackFill;
    const b = mdl.bytes;
    b.fill(0, at, at + ANNOUNCE_FRAME);
    b.fill(0xff, at, at + 6);
    b.set(mac, at + 6);
    b[at + 12] = ANNOUNCE_ETHERTYPE >> 8;
    b[at + 13] = ANNOUNCE_ETHERTYPE & 0xff;
    const text = 'tsndis.lbfo failover';
    for (let i = 0; i < text.length; i++) b[at + 14 + i] = text.charCodeAt(i);
    nb.dataOffset = this.dataBackFill;
    nb.currentMdlOffset = this.dataBackFill;
    nb.dataLength = ANNOUNCE_FRAME;
    nbl.sourceHandle = this.ndis.sourceHandle;
    nbl.protocolReserved[0] = ANNOUNCE;
    this.counters.announcements++;
    if (this.sendsOutstanding === 0) this.outstandingSince = this.ndis.now();
    this.sendsOutstanding++;
    this.ndis.sendNetBufferLists(nbl, 0, 0);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, _flags: number): void {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let n = 0;
    for (let clone: NetBufferList | null = nbls; clone !== null; ) {
      const next: NetBufferList | null = clone.next;
      clone.next = null;
      n++;
      const orig = clone.protocolReserved[0] as NetBufferList | typeof ANNOUNCE | null;
      clone.protocolReserved[0] = null;
      if (clone.status !== NDIS_STATUS_SUCCESS) this.counters.sendErrors++;
      if (orig === ANNOUNCE) {
        clone.home.free(clone);
      } else if (orig !== null) {
        orig.status = clone.status;
        // The miniport's LSO completion info (bytes sent) goes back with the original.
        orig.info.tcpLargeSend = clone.info.tcpLargeSend;
        this.team?.adapter?.freeClone(clone);
        if (tail === null) head = orig;
        else tail.next = orig;
        tail = orig;
      }
      clone = next;
    }
    this.sendsOutstanding -= n;
    this.counters.sendCompleted += n;
    this.lastCompletionAt = this.ndis.now();
    if (head !== null) this.team?.adapter?.completeFromMember(head);
    if (this.stalled) {
      this.stalled = false;
      this.team?.recompute('member completes sends again');
    }
    if (this.#pausing && this.sendsOutstanding === 0) {
      this.#pausing = false;
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
  }

  receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    const adapter = this.team?.adapter;
    if (adapter !== undefined && adapter !== null && adapter.indicateFromMember(this, nbls, portNumber, receiveFlags)) return;
    this.counters.receiveDropped += count;
    if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.ndis.returnNetBufferLists(nbls, 0);
  }

  /** Gathers an original to return to this member (flushed by `flushReturns`). */
  queueReturn(nbl: NetBufferList): void {
    if (this.retTail === null) this.retHead = nbl;
    else this.retTail.next = nbl;
    this.retTail = nbl;
  }

  flushReturns(): void {
    const head = this.retHead;
    if (head === null) return;
    this.retHead = null;
    this.retTail = null;
    this.ndis.returnNetBufferLists(head, 0);
  }

  /** Submits `request` to the member; `done` gets the final status (now or at completion). */
  request(request: NdisOidRequest, done: (status: NdisStatus) => void): void {
    this.#oidWaiters.set(request, done);
    const status = this.ndis.oidRequest(request);
    if (status === NDIS_STATUS_PENDING) return;
    this.#oidWaiters.delete(request);
    done(status);
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    const done = this.#oidWaiters.get(request);
    this.#oidWaiters.delete(request);
    done?.(status);
  }

  /** The packet filter this member needs for the team's `filter` (promiscuous when its MAC is not the team's). */
  memberPacketFilter(filter: number): number {
    return filter !== 0 && this.foreignMac ? filter | NDIS_PACKET_TYPE_PROMISCUOUS : filter;
  }

  /** Sets the member's packet filter for the team's current one (a member joining a running team). */
  applyPacketFilter(filter: number, done: (status: NdisStatus) => void = () => {}): void {
    const req = new NdisOidRequest(NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, new Uint8Array(4));
    packetFilterCodec.encode(this.memberPacketFilter(filter), req.informationBuffer, 0);
    this.request(req, done);
  }

  status(indication: NdisStatusIndication): void {
    const team = this.team;
    switch (indication.statusCode) {
      case NDIS_STATUS_LINK_STATE: {
        const ls = indication.statusBuffer as NdisLinkState | null;
        if (ls === null || typeof ls !== 'object') return;
        this.linkUp = ls.mediaConnectState !== MediaConnectStateDisconnected;
        this.linkSpeed = ls.xmitLinkSpeed;
        team?.recompute(this.linkUp ? 'member link up' : 'member link down');
        return;
      }
      case NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG:
        this.currentOffload = indication.statusBuffer as NdisOffload;
        team?.recompute('member offloads changed');
        return;
      case NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES:
        this.hardwareOffload = indication.statusBuffer as NdisOffload;
        team?.recompute('member offload capabilities changed');
        return;
      default:
        // Other indications (RSS, power …) are per physical adapter; the team does not pass them up.
        return;
    }
  }

  inspect(): Record<string, unknown> {
    const team = this.team;
    return {
      team: team?.key ?? null,
      role: team === null ? 'none' : team.sendMembers.includes(this) ? (team.settings.mode === 'ActiveStandby' ? 'active' : 'balancing') : 'standby',
      state: this.#state(),
      ...this.counters,
      sendsOutstanding: this.sendsOutstanding,
      stalls: this.stalls,
    };
  }

  #state(): string {
    if (this.leaving) return 'leaving';
    if (!this.running) return 'paused';
    if (!this.linkUp) return 'link-down';
    if (this.stalled) return 'stalled';
    return 'up';
  }

  get stateName(): string {
    return this.#state();
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
