/**
 * Upper edge of tsndis.lbfo: the team's virtual miniport. Sends from above are cloned into the chosen
 * member's pool (all NET_BUFFERs of an NBL go to one member) and the original completed when the member
 * completes the clone, with the clone's status; receives from the members are cloned into this adapter's
 * pool and indicated as its own, the member's NBL returned when the clone comes back (seed 003: derived
 * NBLs, status in the NBL, everything asynchronous). OIDs: receive-filter and offload sets go to every
 * member and complete after the last; statistics are summed; other queries go to the active member.
 */
import {
  NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  NdisOidRequest,
  NdisRequestSetInformation,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_STATISTICS,
  OID_TCP_OFFLOAD_PARAMETERS,
  allocateCloneNetBufferList,
  supplementalInnerFrameOffset,
  supplementalIsEncapsulated,
  supplementalOffsetsValid,
  supplementalTcpHeaderRelativeOffset,
  supplementalTransportIpHeaderRelativeOffset,
  freeCloneNetBufferList,
  lsoTcpHeaderOffset,
  lsoType,
  lsoV2IpVersion,
  macAddressCodec,
  packetFilterCodec,
  statisticsCodec,
  type MiniportAdapter,
  type MiniportInitParameters,
  type NdisLinkState,
  type NdisOffload,
  type NdisStatisticsInfo,
  type NdisStatus,
  type NdisTimerObject,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
} from '../../../ndis/index.js';
import { flowHash } from './flow-hash.js';
import type { LbfoMember } from './member.js';
import type { Team } from './team.js';
import { ImVirtualMiniport } from '../virtual-miniport.js';

/** Team-level counters (per-member ones live on the members). */
export interface TeamCounters {
  sendNoMember: number;
  sendNoResources: number;
  /** LSO sends larger than the chosen member takes (or LSO to a member without it): failed, not sent. */
  sendLsoRejected: number;
  receiveNoResources: number;
  receivesIndicated: number;
}

export class LbfoTeamAdapter extends ImVirtualMiniport implements MiniportAdapter {
  team: Team | null = null;
  instanceName = '';
  /** The member whose unbind waits for this adapter's halt. */
  lastMemberLeaving: LbfoMember | null = null;
  readonly counters: TeamCounters = { sendNoMember: 0, sendNoResources: 0, sendLsoRejected: 0, receiveNoResources: 0, receivesIndicated: 0 };
  packetFilter = 0;
  /** Raw InformationBuffers of the last successful sets, replayed to a member that joins later. */
  readonly #replay = new Map<number, Uint8Array>();
  #rxNblPool: NetBufferListPool | null = null;
  #rxNbPool: NetBufferPool | null = null;
  #timer: NdisTimerObject | null = null;
  /** Clones of a RESOURCES indication in progress (freed when the call returns). */
  readonly #lent: (NetBufferList | null)[] = [];
  /** A two-byte scratch for header reads. */
  readonly #hdr = new Uint8Array(2);

  initialize(params: MiniportInitParameters): NdisStatus {
    const team = params.imDeviceContext as Team;
    const first = team.members[0];
    if (first === undefined || team.mac === null) return NDIS_STATUS_FAILURE;
    this.team = team;
    this.instanceName = params.adapterName.slice(params.adapterName.lastIndexOf('/') + 1);
    team.adapter = this;
    let mtu = first.mtu;
    let data = 0;
    let context = 0;
    for (const m of team.members) {
      mtu = Math.min(mtu, m.mtu);
      data = Math.max(data, m.dataBackFill);
      context = Math.max(context, m.contextBackFill);
    }
    const ls = team.linkState();
    this.ndis.setRegistrationAttributes({});
    // Backfill: what the members below need (the clones share the original's MDLs, so a member's
    // retreat lands in the buffer the protocol above allocated with this backfill in front).
    this.ndis.setGeneralAttributes({
      ...first.general,
      mtuSize: mtu,
      currentMacAddress: team.mac.slice(),
      permanentMacAddress: team.mac.slice(),
      mediaConnectState: ls.mediaConnectState,
      xmitLinkSpeed: ls.xmitLinkSpeed,
      rcvLinkSpeed: ls.rcvLinkSpeed,
      maxXmitLinkSpeed: ls.xmitLinkSpeed,
      maxRcvLinkSpeed: ls.rcvLinkSpeed,
      dataBackFillSize: data,
      contextBackFillSize: context,
      recvScaleCapabilities: undefined,
      vendorDescription: 'tsndis.lbfo team',
    });
    if (team.current !== null && team.hardware !== null) this.ndis.setOffloadAttributes({ defaultOffloadConfiguration: team.current, hardwareOffloadCapabilities: team.hardware });
    const k = first.keywords;
    const rx = k.readInt('ReceivePoolSize', 4096, 16, 1 << 20);
    this.#rxNblPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:lbfo-rx`, capacity: rx });
    this.#rxNbPool = this.ndis.allocateNetBufferPool({ name: `${params.adapterName}:lbfo-rx-nb`, capacity: rx * 2 });
    if (team.settings.sendTimeoutMs > 0) {
      this.#timer = this.ndis.allocateTimer(() => this.team?.checkStalls(this.ndis.now()));
      const period = Math.max(10, Math.min(250, team.settings.sendTimeoutMs / 4));
      this.#timer.set(period, period);
    }
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    this.#timer?.cancel();
    this.#timer?.free();
    this.#timer = null;
    if (this.#rxNblPool !== null) this.ndis.freeNetBufferListPool(this.#rxNblPool);
    if (this.#rxNbPool !== null) this.ndis.freeNetBufferPool(this.#rxNbPool);
    this.#rxNblPool = null;
    this.#rxNbPool = null;
    const team = this.team;
    this.team = null;
    team?.adapterHalted();
    const last = this.lastMemberLeaving;
    this.lastMemberLeaving = null;
    last?.upperHalted();
  }

  shutdown(): void {}


  // ---------------------------------------------------------------------------------------------
  // Status upward

  indicateLinkState(ls: NdisLinkState): void {
    if (this.team !== null) this.team.linkIndications++;
    this.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: ls });
  }

  indicateOffload(o: NdisOffload, hardware: boolean): void {
    if (this.team !== null) this.team.offloadIndications++;
    this.ndis.indicateStatus({ statusCode: hardware ? NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES : NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, statusBuffer: o });
  }

  /** A member joined a running team: give it the team's receive filters. */
  memberJoined(m: LbfoMember): void {
    for (const [oid, bytes] of this.#replay) {
      if (oid === OID_GEN_CURRENT_PACKET_FILTER) m.applyPacketFilter(this.packetFilter);
      else m.request(new NdisOidRequest(NdisRequestSetInformation, oid, bytes.slice()), () => {});
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Send

  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    const team = this.team;
    if (!this.running || team === null) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    const members = team.sendMembers;
    const n = members.length;
    let failHead: NetBufferList | null = null;
    let failTail: NetBufferList | null = null;
    let sent = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let status = NDIS_STATUS_SUCCESS;
      if (n === 0) {
        status = NDIS_STATUS_MEDIA_DISCONNECTED;
        this.counters.sendNoMember++;
      } else {
        const m = n === 1 ? members[0]! : members[flowHash(nbl) % n]!;
        if (nbl.info.tcpLargeSend !== 0 && !this.#lsoFits(nbl, m)) {
          status = NDIS_STATUS_INVALID_LENGTH;
          this.counters.sendLsoRejected++;
        } else {
          const clone = allocateCloneNetBufferList(nbl, m.sendNblPool!, m.sendNbPool!, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
          if (clone === null) {
            status = NDIS_STATUS_RESOURCES;
            this.counters.sendNoResources++;
          } else {
            copySendInfo(nbl, clone);
            clone.sourceHandle = m.ndis.sourceHandle;
            clone.protocolReserved[0] = nbl;
            m.enqueue(clone);
            sent++;
          }
        }
      }
      if (status !== NDIS_STATUS_SUCCESS) {
        nbl.status = status;
        if (failTail === null) failHead = nbl;
        else failTail.next = nbl;
        failTail = nbl;
      }
      nbl = next;
    }
    this.sendsOutstanding += sent;
    for (let i = 0; i < n; i++) members[i]!.flush(portNumber, sendFlags);
    if (failHead !== null) this.ndis.sendNetBufferListsComplete(failHead, 0);
  }

  /** Rule 4 of §1.7: no member gets an LSO send larger than it reported (or any, if it has none). */
  #lsoFits(nbl: NetBufferList, m: LbfoMember): boolean {
    const v = nbl.info.tcpLargeSend;
    const o = m.currentOffload;
    const nb = nbl.firstNetBuffer;
    if (nb === null) return true;
    let family: { encapsulation: number; maxOffLoadSize: number };
    if (lsoType(v) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE) family = lsoV2IpVersion(v) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? o.lsoV2.ipv6 : o.lsoV2.ipv4;
    else family = o.lsoV1.ipv4;
    if (family.encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) return false;
    // An encapsulated LSO's TcpHeaderOffset is not valid (§6.5): the inner TCP header is where the supplemental info says.
    const supp = nbl.info.tcpSendOffloadsSupplemental;
    const tcp = supplementalIsEncapsulated(supp) && supplementalOffsetsValid(supp)
      ? supplementalInnerFrameOffset(supp) + supplementalTransportIpHeaderRelativeOffset(supp) + supplementalTcpHeaderRelativeOffset(supp)
      : lsoTcpHeaderOffset(v);
    let tcpHeader = 20;
    if (readBytes(nb.currentMdl, nb.currentMdlOffset + tcp + 12, this.#hdr, 1) === 1) tcpHeader = (this.#hdr[0]! >> 4) * 4;
    return nb.dataLength - tcp - tcpHeader <= family.maxOffLoadSize;
  }

  /** Send clones of ours came back from a member (already freed): complete the originals upward. */
  completeFromMember(originals: NetBufferList): void {
    let n = 0;
    for (let nbl: NetBufferList | null = originals; nbl !== null; nbl = nbl.next) n++;
    this.sendsOutstanding -= n;
    this.ndis.sendNetBufferListsComplete(originals, 0);
    this.maybeFinishPause();
  }

  freeClone(clone: NetBufferList): void {
    freeCloneNetBufferList(clone);
  }

  cancelSend(cancelId: number): void {
    // The clones carry the cancel id (copySendInfo); let every member cancel its share.
    for (const m of this.team?.members ?? []) m.ndis.cancelSendNetBufferLists(cancelId);
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  /** Receives from a member. Returns false when the team takes none of them (the member returns them). */
  indicateFromMember(m: LbfoMember, nbls: NetBufferList, portNumber: number, flags: number): boolean {
    const team = this.team;
    if (!this.running || team === null || this.#rxNblPool === null) return false;
    // Active/standby: only the active member receives for the team. Address hash: unicast from any
    // member, broadcast and multicast only from one (a switch floods them to every port).
    const active = team.settings.mode === 'ActiveStandby';
    if (active && team.active !== m) return false;
    const groupOk = !active ? team.receivePrimary === m : true;
    const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const mac = team.mac!;
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let k = 0;
    const lent = this.#lent;
    const dst = this.#dst;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let take = true;
      const nb = nbl.firstNetBuffer;
      if (nb !== null && (m.foreignMac || !groupOk)) {
        if (readBytes(nb.currentMdl, nb.currentMdlOffset, dst, 6) === 6) {
          const group = (dst[0]! & 1) !== 0;
          if (group) take = groupOk;
          else take = sameMac(dst, mac);
        }
      }
      const clone = take ? allocateCloneNetBufferList(nbl, this.#rxNblPool, this.#rxNbPool!, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) : null;
      if (take && clone === null) this.counters.receiveNoResources++;
      if (clone === null) {
        m.counters.receiveDropped++;
        if (!resources) m.queueReturn(nbl);
      } else {
        copyReceiveInfo(nbl, clone);
        clone.sourceHandle = this.ndis;
        clone.miniportReserved[0] = nbl;
        clone.miniportReserved[1] = m;
        m.counters.receivedNbls++;
        m.counters.receivedBytes += nbl.dataLength;
        if (tail === null) head = clone;
        else tail.next = clone;
        tail = clone;
        if (resources) lent[k] = clone;
        k++;
      }
      nbl = next;
    }
    if (head !== null) {
      this.counters.receivesIndicated += k;
      if (!resources) this.indicatedOutstanding += k;
      this.ndis.indicateReceiveNetBufferLists(head, portNumber, k, flags);
      if (resources) {
        // Back to us when the call returns: free the clones (the member gets its NBLs back from NDIS).
        for (let i = 0; i < k; i++) {
          const c = lent[i]!;
          lent[i] = null;
          c.next = null;
          c.miniportReserved[0] = null;
          c.miniportReserved[1] = null;
          freeCloneNetBufferList(c);
        }
      }
    }
    m.flushReturns();
    return true;
  }

  readonly #dst = new Uint8Array(6);

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    let n = 0;
    let member: LbfoMember | null = null;
    for (let clone: NetBufferList | null = nbls; clone !== null; ) {
      const next: NetBufferList | null = clone.next;
      clone.next = null;
      const orig = clone.miniportReserved[0] as NetBufferList;
      const m = clone.miniportReserved[1] as LbfoMember;
      clone.miniportReserved[0] = null;
      clone.miniportReserved[1] = null;
      freeCloneNetBufferList(clone);
      // Originals go back to their member in runs (a member that left the team still gets its own back).
      if (m !== member) member?.flushReturns();
      member = m;
      m.queueReturn(orig);
      n++;
      clone = next;
    }
    member?.flushReturns();
    this.indicatedOutstanding -= n;
    this.maybeFinishPause();
  }

  devicePnPEventNotify(): void {}

  // ---------------------------------------------------------------------------------------------
  // OIDs

  oidRequest(request: NdisOidRequest): NdisStatus {
    const team = this.team;
    if (team === null) return NDIS_STATUS_FAILURE;
    if (request.isQuery) {
      switch (request.oid) {
        case OID_802_3_CURRENT_ADDRESS:
        case OID_802_3_PERMANENT_ADDRESS:
          return request.completeQuery(macAddressCodec(request.oid), team.mac!);
        case OID_GEN_CURRENT_PACKET_FILTER:
          return request.completeQuery(packetFilterCodec, this.packetFilter);
        case OID_GEN_STATISTICS:
          return this.#sumStatistics(request);
        default: {
          const m = team.active ?? team.members[0];
          if (m === undefined) return NDIS_STATUS_FAILURE;
          const clone = request.clone();
          return this.#issue([m], () => clone, (_m, c) => c.copyResultTo(request), request);
        }
      }
    }
    // Sets go to every member; what they set is the team's state (replayed to members that join later).
    let value = 0;
    if (request.oid === OID_GEN_CURRENT_PACKET_FILTER) {
      const r = request.readSet(packetFilterCodec);
      if (!r.ok) return r.status;
      value = r.value;
    }
    const bytes = request.informationBuffer.slice();
    const finish = (status: NdisStatus): void => {
      if (status !== NDIS_STATUS_SUCCESS) return;
      request.bytesRead = request.informationBuffer.length;
      if (request.oid === OID_GEN_CURRENT_PACKET_FILTER) this.packetFilter = value;
      if (request.oid !== OID_TCP_OFFLOAD_PARAMETERS) this.#replay.set(request.oid, bytes);
    };
    const members = team.members.filter((m) => !m.leaving);
    if (members.length === 0) {
      finish(NDIS_STATUS_SUCCESS);
      return NDIS_STATUS_SUCCESS;
    }
    return this.#issue(
      members,
      (m) => {
        const c = new NdisOidRequest(request.requestType, request.oid, bytes.slice());
        if (request.oid === OID_GEN_CURRENT_PACKET_FILTER) packetFilterCodec.encode(m.memberPacketFilter(value), c.informationBuffer, 0);
        return c;
      },
      () => {},
      request,
      (status) => {
        finish(status);
        // §1.7 rule 3 / §1.4: after every member took the new parameters, the intersection is indicated
        // (changed or not: a successful set is always followed by the current configuration).
        if (request.oid === OID_TCP_OFFLOAD_PARAMETERS) team.recompute('offload parameters set', status === NDIS_STATUS_SUCCESS);
      },
    );
  }

  /** OID_GEN_STATISTICS: the members' counters summed. */
  #sumStatistics(request: NdisOidRequest): NdisStatus {
    const team = this.team!;
    const members = team.members.filter((m) => !m.leaving);
    if (members.length === 0) return NDIS_STATUS_FAILURE;
    // A short buffer is answered here, with BytesNeeded: the members' own short answers would not reach the caller.
    if (request.informationBuffer.length < statisticsCodec.minLength) {
      request.bytesWritten = 0;
      request.bytesNeeded = statisticsCodec.minLength;
      return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    const sum: Record<string, bigint | number> = { supportedStatistics: 0xffffffff };
    return this.#issue(
      members,
      () => new NdisOidRequest(request.requestType, request.oid, new Uint8Array(request.informationBuffer.length)),
      (_m, c, status) => {
        if (status !== NDIS_STATUS_SUCCESS) return;
        const s = c.queryResult(statisticsCodec);
        if (s === undefined) return;
        sum['supportedStatistics'] = (sum['supportedStatistics'] as number) & s.supportedStatistics;
        for (const [key, v] of Object.entries(s)) if (typeof v === 'bigint') sum[key] = ((sum[key] as bigint | undefined) ?? 0n) + v;
      },
      request,
      (status) => {
        if (status === NDIS_STATUS_SUCCESS) status = request.completeQuery(statisticsCodec, sum as unknown as NdisStatisticsInfo);
        return status;
      },
    );
  }

  /**
   * Submits one request per member; the original completes (or returns) after the last member answers,
   * with SUCCESS only if every member succeeded (else the first failure). `after` may replace the status.
   */
  #issue(
    members: readonly LbfoMember[],
    make: (m: LbfoMember) => NdisOidRequest,
    each: (m: LbfoMember, c: NdisOidRequest, status: NdisStatus) => void,
    original: NdisOidRequest,
    after: (status: NdisStatus) => NdisStatus | void = () => {},
  ): NdisStatus {
    let left = members.length;
    let result: NdisStatus = NDIS_STATUS_SUCCESS;
    let returned = false;
    let final: NdisStatus | null = null;
    const done = (): void => {
      const replaced = after(result);
      const status = typeof replaced === 'number' ? replaced : result;
      if (returned) this.ndis.oidRequestComplete(original, status);
      else final = status;
    };
    for (const m of members) {
      const c = make(m);
      m.request(c, (status) => {
        each(m, c, status);
        if (status !== NDIS_STATUS_SUCCESS && result === NDIS_STATUS_SUCCESS) result = status;
        if (--left === 0) done();
      });
    }
    returned = true;
    return final ?? NDIS_STATUS_PENDING;
  }

  cancelOidRequest(): void {}

  // ---------------------------------------------------------------------------------------------
  // Inspection

  statistics(): Record<string, number> {
    const out: Record<string, number> = { ...this.counters };
    for (const m of this.team?.members ?? []) {
      for (const [k, v] of Object.entries(m.counters)) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  inspect(): Record<string, unknown> {
    const team = this.team;
    if (team === null) return { team: null };
    return {
      mode: team.settings.mode,
      linkUp: team.linkUp,
      linkSpeed: Number(team.linkSpeed),
      active: team.active?.shortName ?? null,
      failovers: team.failovers,
      lastFailover: team.failoverLog.at(-1) ?? null,
      offloadIndications: team.offloadIndications,
      linkIndications: team.linkIndications,
      ...this.counters,
      members: team.members.map((m) => ({ adapter: m.shortName, ...m.inspect() })),
    };
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Copies `n` bytes starting `offset` bytes into the MDL chain; returns how many it could. */
function readBytes(mdl: import('../../../ndis/index.js').Mdl | null, offset: number, out: Uint8Array, n: number): number {
  let got = 0;
  let off = offset;
  for (let m = mdl; m !== null && got < n; m = m.next) {
    if (off >= m.byteCount) {
      off -= m.byteCount;
      continue;
    }
    const take = Math.min(m.byteCount - off, n - got);
    for (let i = 0; i < take; i++) out[got + i] = m.bytes[m.byteOffset + off + i]!;
    got += take;
    off = 0;
  }
  return got;
}

/** The send-side NBL information a member needs (offload requests, priority, cancel id, hash). */
function copySendInfo(from: NetBufferList, to: NetBufferList): void {
  const a = from.info;
  const b = to.info;
  b.tcpIpChecksum = a.tcpIpChecksum;
  b.tcpLargeSend = a.tcpLargeSend;
  b.ieee8021Q = a.ieee8021Q;
  b.cancelId = a.cancelId;
  b.frameType = a.frameType;
  b.hashValue = a.hashValue;
  b.hashInfo = a.hashInfo;
  b.tcpRecvSegCoalesceInfo = a.tcpRecvSegCoalesceInfo;
  b.rscTcpTimestampDelta = a.rscTcpTimestampDelta;
  to.nblFlags = from.nblFlags;
}

/** The receive-side NBL information (checksum results, RSC, 802.1Q, RSS hash). */
function copyReceiveInfo(from: NetBufferList, to: NetBufferList): void {
  copySendInfo(from, to);
  const a = from.info;
  const b = to.info;
  b.tcpReceiveBytesTransferred = a.tcpReceiveBytesTransferred;
  b.filteringInfo = a.filteringInfo;
  b.nblOriginalInterfaceIfIndex = a.nblOriginalInterfaceIfIndex;
}
