/**
 * One team: the member bindings (the IM's protocol edge on each member adapter) and the virtual miniport
 * they share. The team decides which members carry sends (active/standby: one; address hash: every
 * eligible member), and derives from them what the virtual miniport reports: link state and speed, and
 * the per-field intersection of their task offloads (offload digest §1.7). Every change of membership,
 * link, pause state or member offloads goes through `recompute`, which indicates what changed upward.
 */
import {
  NDIS_LINK_SPEED_UNKNOWN,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NdisPauseFunctionsUnsupported,
  intersectOffload,
  offloadEquals,
  type NdisLinkState,
  type NdisOffload,
} from '../../../ndis/index.js';
import type { LbfoMember } from './member.js';
import type { LbfoTeamAdapter } from './team-miniport.js';

export type TeamingMode = 'ActiveStandby' | 'AddressHash';

export interface TeamSettings {
  readonly mode: TeamingMode;
  /** Short adapter name of the preferred active member ('' = the first to join). */
  readonly primary: string;
  /** A member with sends outstanding and no completion for this long has failed (0 = never). */
  readonly sendTimeoutMs: number;
}

/** A failover as the team saw it (for the inspector and tests). */
export interface FailoverRecord {
  readonly from: string | null;
  readonly to: string | null;
  readonly reason: string;
  /** Clock time of the switch. */
  readonly at: number;
  /** Last frame sent on the old member to the first data frame on the new (null until one is sent). */
  gapMs: number | null;
}

/** Teams of all runtimes in this process, by `<host>/<upper adapter>`. */
const teams = new Map<string, Team>();

export function teamFor(key: string, settings: TeamSettings): Team {
  let t = teams.get(key);
  if (t === undefined) {
    t = new Team(key, settings);
    teams.set(key, t);
  }
  return t;
}

/** The team whose virtual miniport is `upperAdapterName` (`host/name`), if it exists (control channel, tests). */
export function findTeam(upperAdapterName: string): Team | undefined {
  return teams.get(upperAdapterName);
}

export class Team {
  readonly key: string;
  readonly settings: TeamSettings;
  readonly members: LbfoMember[] = [];
  adapter: LbfoTeamAdapter | null = null;
  /** initializeDeviceInstance asked for, not yet halted. */
  deviceRequested = false;
  /** Members that carry sends now, in member order (active/standby: at most one). */
  sendMembers: LbfoMember[] = [];
  /** Where broadcast and multicast are taken from (a switch floods them to every member). */
  receivePrimary: LbfoMember | null = null;
  /** The team's MAC address: the first member's, kept for the team's life. */
  mac: Uint8Array | null = null;
  linkUp = false;
  linkSpeed = 0n;
  current: NdisOffload | null = null;
  hardware: NdisOffload | null = null;
  failovers = 0;
  readonly failoverLog: FailoverRecord[] = [];
  /** Offload indications sent up (tests read them). */
  offloadIndications = 0;
  linkIndications = 0;
  #pendingGap: { record: FailoverRecord; oldLastSend: number; member: LbfoMember } | null = null;

  constructor(key: string, settings: TeamSettings) {
    this.key = key;
    this.settings = settings;
  }

  get active(): LbfoMember | null {
    return this.sendMembers[0] ?? null;
  }

  join(m: LbfoMember): void {
    if (this.mac === null) this.mac = m.mac.slice();
    this.members.push(m);
    this.recompute('member added');
  }

  leave(m: LbfoMember): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.recompute('member removed');
    if (this.members.length === 0 && this.adapter === null && !this.deviceRequested) teams.delete(this.key);
  }

  /** The virtual miniport halted; a team without members is forgotten. */
  adapterHalted(): void {
    this.adapter = null;
    this.deviceRequested = false;
    if (this.members.length === 0) teams.delete(this.key);
  }

  #eligible(m: LbfoMember): boolean {
    return m.running && m.linkUp && !m.stalled && !m.leaving;
  }

  /**
   * Re-derives the send members, link and offloads; indicates upward what changed (`indicateCurrent`:
   * the current offload configuration even unchanged — after every OID_TCP_OFFLOAD_PARAMETERS set, §1.4).
   */
  recompute(reason: string, indicateCurrent = false): void {
    const eligible = this.members.filter((m) => this.#eligible(m));
    const before = this.active;
    if (this.settings.mode === 'ActiveStandby') {
      let act = before !== null && eligible.includes(before) ? before : null;
      if (act === null) act = eligible.find((m) => m.shortName === this.settings.primary) ?? eligible[0] ?? null;
      this.sendMembers = act === null ? [] : [act];
    } else {
      this.sendMembers = eligible;
    }
    this.receivePrimary = this.sendMembers[0] ?? null;
    const after = this.active;
    if (before !== after && before !== null) {
      this.failovers++;
      const record: FailoverRecord = { from: before.shortName, to: after?.shortName ?? null, reason, at: this.now(), gapMs: null };
      this.failoverLog.push(record);
      if (this.failoverLog.length > 32) this.failoverLog.shift();
      if (after !== null) {
        this.#pendingGap = { record, oldLastSend: before.lastSendAt, member: after };
        // Let the switch learn the team's address on the new port at once.
        after.announce();
      }
      before.ndis.log('info', `team ${this.key}: failover from ${before.shortName} to ${after?.shortName ?? 'nobody'} (${reason})`);
    }

    let speed = 0n;
    for (const m of this.sendMembers) speed += m.linkSpeed;
    const up = this.sendMembers.length > 0;
    if (up !== this.linkUp || (up && speed !== this.linkSpeed)) {
      this.linkUp = up;
      this.linkSpeed = speed;
      this.adapter?.indicateLinkState(this.linkState());
    }
    this.#recomputeOffloads(eligible, indicateCurrent);
  }

  /** A member sent a data frame: closes the gap measurement of the last failover. */
  firstSendAfterFailover(m: LbfoMember, at: number): void {
    const g = this.#pendingGap;
    if (g === null || g.member !== m) return;
    g.record.gapMs = at - g.oldLastSend;
    this.#pendingGap = null;
  }

  get measuringGap(): LbfoMember | null {
    return this.#pendingGap?.member ?? null;
  }

  linkState(): NdisLinkState {
    return {
      mediaConnectState: this.linkUp ? MediaConnectStateConnected : MediaConnectStateDisconnected,
      mediaDuplexState: MediaDuplexStateFull,
      xmitLinkSpeed: this.linkUp ? this.linkSpeed : NDIS_LINK_SPEED_UNKNOWN,
      rcvLinkSpeed: this.linkUp ? this.linkSpeed : NDIS_LINK_SPEED_UNKNOWN,
      pauseFunctions: NdisPauseFunctionsUnsupported,
      autoNegotiationFlags: 0,
    };
  }

  /**
   * Intersection over the eligible members — a standby member too, since a failover may hand it the
   * sends at any moment — or over every member while none is eligible, so a team with all links down
   * does not advertise what some member lacks.
   */
  #recomputeOffloads(eligible: readonly LbfoMember[], indicateCurrent: boolean): void {
    const over = eligible.length > 0 ? eligible : this.members;
    if (over.length === 0) return;
    let cur: NdisOffload = over[0]!.currentOffload;
    let hw: NdisOffload = over[0]!.hardwareOffload;
    for (let i = 1; i < over.length; i++) {
      cur = intersectOffload(cur, over[i]!.currentOffload);
      hw = intersectOffload(hw, over[i]!.hardwareOffload);
    }
    const curChanged = this.current === null || !offloadEquals(cur, this.current);
    const hwChanged = this.hardware === null || !offloadEquals(hw, this.hardware);
    const first = this.current === null;
    this.current = cur;
    this.hardware = hw;
    if (first) return;
    if (hwChanged) this.adapter?.indicateOffload(hw, true);
    if (curChanged || indicateCurrent) this.adapter?.indicateOffload(cur, false);
  }

  /** Members whose sends stopped completing (SendTimeoutMs) drop out until they complete again. */
  checkStalls(now: number): void {
    const limit = this.settings.sendTimeoutMs;
    if (limit <= 0) return;
    let changed = false;
    for (const m of this.members) {
      if (!m.stalled && m.sendsOutstanding > 0 && now - Math.max(m.lastCompletionAt, m.outstandingSince) >= limit) {
        m.stalled = true;
        m.stalls++;
        changed = true;
      }
    }
    if (changed) this.recompute('member stopped completing sends');
  }

  now(): number {
    return this.members[0]?.ndis.now() ?? this.adapter?.ndis.now() ?? 0;
  }
}
