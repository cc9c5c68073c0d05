/**
 * An IP interface: the IP-layer state of one binding (or of the loopback pseudo-interface): its MAC and
 * MTU, link and run state, IPv4 and IPv6 addresses (with Duplicate Address Detection for IPv6), its two
 * neighbour caches, the multicast groups it listens to, its offload state, and the link-layer output
 * (Ethernet header, neighbour resolution, hand-off to the binding's send chain).
 *
 * Frame layout of everything the interface sends, inside one NBL slot of the binding's send pool:
 *
 * ```
 *  slot: | adapter backfill | (unused) | Ethernet (14, 18 tagged) | IP header | transport … |
 *                                      ^ NB DataOffset             ^ TX_TRANSPORT_START - IP header length
 * ```
 * Transports always start at the same place (`port.transportStart`), so the IP and Ethernet headers
 * are written in front of them without moving anything, and the adapter's backfill stays free for it.
 */
import type { NdisHandleBase, NetBuffer, NetBufferList } from '../../../ndis/index.js';
import { formatIpv4, formatIpv6 } from '../../../wire/index.js';
import {
  IPV4_BROADCAST,
  IPV6_ALL_NODES,
  commonPrefixLength6,
  eq6,
  isLinkLocal6,
  linkLocalFromMac,
  mask4,
  multicastMac6,
  prefixMatch6,
  solicitedNode6,
  type IpFamily,
} from './addr.js';
import { NeighborCache, type NeighborEntry, type NeighborOwner, type NeighborTimings } from './neighbor.js';
import { OffloadState } from './offload.js';
import type { TxBuffer } from './packet.js';
import type { TcpIpStack } from './stack.js';
import type { StackTimer } from './timers.js';

/** What the interface needs from its binding (the NDIS side). */
export interface LinkPort {
  readonly handle: NdisHandleBase;
  /** Where transports write their header in a regular send buffer (slot-relative). */
  readonly transportStart: number;
  /** Bytes from `transportStart` to the end of a regular / large send buffer. */
  readonly transportCapacity: number;
  readonly largeTransportCapacity: number;
  /**
   * The TxBuffer of a free NBL of the send pool (`large`: the LSO pool), its `offset` at the transport
   * start; null when the pool is exhausted or absent (counted by the binding).
   */
  allocateTx(large: boolean): TxBuffer | null;
  /** Adds `nbl` to the chain sent at the next flush point. */
  queue(nbl: NetBufferList): void;
  /** Gives back an NBL that will not be sent. */
  free(nbl: NetBufferList): void;
  /** Sends the queued chain (the stack calls this at the flush point). */
  flush(): void;
  /** The set of multicast groups changed: update OID_802_3_MULTICAST_LIST. */
  multicastChanged(): void;
}

export class Ipv4AddressEntry {
  readonly mask: number;
  readonly network: number;
  readonly broadcast: number;
  constructor(
    readonly address: number,
    readonly prefixLength: number,
  ) {
    this.mask = mask4(prefixLength);
    this.network = address & this.mask;
    this.broadcast = this.network | ~this.mask;
  }
  get text(): string {
    return `${formatIpv4(this.address)}/${this.prefixLength}`;
  }
}

export const AddressState = { Tentative: 0, Preferred: 1, Duplicate: 2 } as const;
export type AddressState = (typeof AddressState)[keyof typeof AddressState];
const ADDRESS_STATE_NAMES = ['tentative', 'preferred', 'duplicate'] as const;

export class Ipv6AddressEntry {
  state: AddressState = AddressState.Tentative;
  /** DAD solicitations sent so far. */
  dadProbes = 0;
  /** The solicited-node group of this address (ff02::1:ffXX:XXXX). */
  readonly solicitedNode = new Uint8Array(16);
  /** @internal */
  timer!: StackTimer;
  constructor(
    readonly address: Uint8Array,
    readonly prefixLength: number,
    readonly linkLocal: boolean,
  ) {
    solicitedNode6(address, 0, this.solicitedNode, 0);
  }
  get text(): string {
    return `${formatIpv6(this.address)}/${this.prefixLength}`;
  }
  get stateName(): string {
    return ADDRESS_STATE_NAMES[this.state];
  }
}

export interface InterfaceSettings {
  mtu: number;
  vlanId: number;
  ipv6: boolean;
  dad: boolean;
  dadTransmits: number;
  neighborCacheSize: number;
  neighbor: NeighborTimings;
}

export class InterfaceCounters {
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  bytesOut = 0;
}

export class IpInterface implements NeighborOwner {
  readonly v4: Ipv4AddressEntry[] = [];
  readonly v6: Ipv6AddressEntry[] = [];
  readonly neighbors4: NeighborCache;
  readonly neighbors6: NeighborCache;
  readonly offload = new OffloadState();
  readonly counters = new InterfaceCounters();
  readonly linkHeaderLength: number;
  /** Link connected (NDIS_STATUS_LINK_STATE). */
  linkUp = true;
  /** Binding Running (between restart and pause). */
  running = false;
  mtu: number;

  /** @internal */
  constructor(
    readonly stack: TcpIpStack,
    /** Stack-wide interface index (1 = loopback). */
    readonly index: number,
    /** Short name (`eth0`), used as the zone in `fe80::1%eth0`. */
    readonly name: string,
    readonly fullName: string,
    readonly mac: Uint8Array,
    /** @internal The binding, or null for the loopback interface. */
    readonly port: LinkPort | null,
    readonly settings: InterfaceSettings,
  ) {
    this.mtu = settings.mtu;
    this.linkHeaderLength = settings.vlanId > 0 ? 18 : 14;
    const size = port === null ? 1 : settings.neighborCacheSize;
    this.neighbors4 = new NeighborCache(4, size, settings.neighbor, this, stack.counters.neighbor, stack.timers);
    this.neighbors6 = new NeighborCache(6, size, settings.neighbor, this, stack.counters.neighbor, stack.timers);
  }

  get isLoopback(): boolean {
    return this.port === null;
  }

  /** Can carry traffic now. */
  get usable(): boolean {
    return this.port === null || (this.running && this.linkUp);
  }

  get ipv6Enabled(): boolean {
    return this.settings.ipv6;
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.port?.handle.log(level, message);
  }

  // ---------------------------------------------------------------------------------------------
  // Addresses

  addIpv4(address: number, prefixLength: number): Ipv4AddressEntry {
    address |= 0;
    const existing = this.v4.find((a) => a.address === address);
    if (existing !== undefined) return existing;
    const a = new Ipv4AddressEntry(address, prefixLength);
    this.v4.push(a);
    this.stack.interfaceAddressesChanged(this);
    if (this.usable) this.stack.arp.announce(this, a.address);
    return a;
  }

  addIpv6(address: Uint8Array, prefixLength: number): Ipv6AddressEntry {
    const existing = this.v6.find((a) => eq6(a.address, 0, address, 0));
    if (existing !== undefined) return existing;
    const a = new Ipv6AddressEntry(address.slice(), prefixLength, isLinkLocal6(address));
    a.timer = this.stack.timers.create(() => this.#dadTimer(a));
    a.state = this.settings.dad ? AddressState.Tentative : AddressState.Preferred;
    this.v6.push(a);
    this.port?.multicastChanged();
    this.stack.interfaceAddressesChanged(this);
    if (this.usable && this.settings.dad) this.#startDad(a);
    return a;
  }

  /** The EUI-64 link-local address (added when IPv6 is on). */
  addLinkLocal(): Ipv6AddressEntry {
    return this.addIpv6(linkLocalFromMac(this.mac), 64);
  }

  findIpv4(address: number): Ipv4AddressEntry | null {
    address |= 0;
    for (const a of this.v4) if (a.address === address) return a;
    return null;
  }

  findIpv6(address: Uint8Array, off: number): Ipv6AddressEntry | null {
    for (const a of this.v6) if (eq6(a.address, 0, address, off)) return a;
    return null;
  }

  /** The subnet-directed broadcast of one of our prefixes (or the limited broadcast). */
  isBroadcast4(address: number): boolean {
    if (address === IPV4_BROADCAST) return true;
    for (const a of this.v4) if (a.prefixLength < 31 && a.broadcast === address) return true;
    return false;
  }

  /** True when we listen to this IPv6 multicast group: all-nodes and our solicited-node groups. */
  isMulticastMember6(group: Uint8Array, off: number): boolean {
    if (eq6(group, off, IPV6_ALL_NODES, 0)) return true;
    for (const a of this.v6) if (a.state !== AddressState.Duplicate && eq6(a.solicitedNode, 0, group, off)) return true;
    return false;
  }

  /** A preferred address of ours in the same prefix as `dst`, else the first preferred one (IPv4). */
  sourceFor4(dst: number): number {
    let first = 0;
    for (const a of this.v4) {
      if ((dst & a.mask) === a.network) return a.address;
      if (first === 0) first = a.address;
    }
    return first;
  }

  /**
   * RFC 6724 source selection among this interface's preferred addresses for `dst` (rules 1, 2, 3, 8:
   * same address, matching scope, preferred over tentative/duplicate, longest common prefix). Returns
   * the entry or null when there is none.
   */
  sourceFor6(dst: Uint8Array, off: number): Ipv6AddressEntry | null {
    const dstLinkLocal = isLinkLocal6(dst, off) || dst[off] === 0xff;
    let best: Ipv6AddressEntry | null = null;
    let bestScore = -1;
    for (const a of this.v6) {
      if (a.state !== AddressState.Preferred) continue;
      if (eq6(a.address, 0, dst, off)) return a;
      // Scope: link-local destinations want a link-local source, others a global one.
      let score = a.linkLocal === dstLinkLocal ? 1000 : 0;
      score += commonPrefixLength6(a.address, 0, dst, off);
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    return best;
  }

  /** True when `dst` lies in one of our on-link IPv6 prefixes. */
  onLink6(dst: Uint8Array, off: number): boolean {
    for (const a of this.v6) if (prefixMatch6(dst, off, a.address, 0, a.prefixLength)) return true;
    return false;
  }

  /** Multicast MACs this interface must receive (OID_802_3_MULTICAST_LIST). */
  multicastMacs(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const add = (m: Uint8Array): void => {
      if (!out.some((x) => x.every((b, i) => b === m[i]))) out.push(m);
    };
    add(Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01));
    if (this.settings.ipv6) {
      const m = new Uint8Array(6);
      multicastMac6(IPV6_ALL_NODES, 0, m);
      add(m);
      for (const a of this.v6) {
        const s = new Uint8Array(6);
        multicastMac6(a.solicitedNode, 0, s);
        add(s);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * The binding is Running (again) or the link came back: announce the IPv4 addresses and verify the
   * IPv6 ones — all of them after a link change, only those still tentative after a pause.
   * @internal
   */
  start(linkEvent: boolean): void {
    if (!this.usable) return;
    for (const a of this.v4) this.stack.arp.announce(this, a.address);
    if (!this.settings.dad) return;
    for (const a of this.v6) {
      if (a.state === AddressState.Tentative || (linkEvent && a.state === AddressState.Preferred)) this.#startDad(a);
    }
  }

  /** @internal Link lost or binding paused: stop DAD and forget learned neighbours (addresses stay). */
  stop(): void {
    for (const a of this.v6) a.timer.cancel();
    this.neighbors4.clear(false);
    this.neighbors6.clear(false);
  }

  /** @internal The interface goes away: everything it holds is released. */
  destroy(): void {
    for (const a of this.v6) a.timer.free();
    this.neighbors4.clear(true);
    this.neighbors6.clear(true);
    for (const e of this.neighbors4.entries) e.timer.free();
    for (const e of this.neighbors6.entries) e.timer.free();
  }

  // ---------------------------------------------------------------------------------------------
  // Duplicate Address Detection (RFC 4862 §5.4)

  #startDad(a: Ipv6AddressEntry): void {
    a.state = AddressState.Tentative;
    a.dadProbes = 1;
    this.stack.nd.sendDadProbe(this, a);
    a.timer.set(this.settings.neighbor.retransTimerMs);
  }

  #dadTimer(a: Ipv6AddressEntry): void {
    if (a.state !== AddressState.Tentative) return;
    if (a.dadProbes < this.settings.dadTransmits) {
      a.dadProbes++;
      this.stack.nd.sendDadProbe(this, a);
      a.timer.set(this.settings.neighbor.retransTimerMs);
      return;
    }
    a.state = AddressState.Preferred;
    this.log('info', `IPv6 address ${a.text} passed DAD`);
    this.stack.interfaceAddressesChanged(this);
  }

  /** @internal Another node uses (or is verifying) `a`: it is a duplicate and is not used (RFC 4862 §5.4.5). */
  dadFailed(a: Ipv6AddressEntry): void {
    if (a.state === AddressState.Duplicate) return;
    a.timer.cancel();
    a.state = AddressState.Duplicate;
    this.stack.counters.icmp6.dadConflicts++;
    this.log('warn', `duplicate IPv6 address ${a.text} detected: not used`);
    this.stack.interfaceAddressesChanged(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Link output

  /**
   * Writes the Ethernet header in front of `ipStart` (absolute index in `bytes`) with our source MAC
   * and `etherType`; returns the frame start. The destination is written by the caller.
   * @internal
   */
  writeLinkHeader(bytes: Uint8Array, ipStart: number, etherType: number): number {
    const start = ipStart - this.linkHeaderLength;
    const m = this.mac;
    for (let i = 0; i < 6; i++) bytes[start + 6 + i] = m[i]!;
    if (this.settings.vlanId > 0) {
      bytes[start + 12] = 0x81;
      bytes[start + 13] = 0x00;
      bytes[start + 14] = (this.settings.vlanId >>> 8) & 0x0f;
      bytes[start + 15] = this.settings.vlanId & 0xff;
      bytes[start + 16] = etherType >>> 8;
      bytes[start + 17] = etherType & 0xff;
    } else {
      bytes[start + 12] = etherType >>> 8;
      bytes[start + 13] = etherType & 0xff;
    }
    return start;
  }

  /** @internal Points `nbl`'s NB at `[frameStart, frameStart + length)` of its slot (absolute `frameStart`). */
  static frame(nbl: NetBufferList, frameStart: number, length: number): void {
    const nb: NetBuffer = nbl.firstNetBuffer!;
    const m = nb.mdlChain!;
    const rel = frameStart - m.byteOffset;
    nb.dataOffset = rel;
    nb.currentMdl = m;
    nb.currentMdlOffset = rel;
    nb.dataLength = length;
  }

  /** @internal Hands a complete frame to the binding (sent at the next flush point). */
  sendFrame(nbl: NetBufferList): void {
    const port = this.port!;
    const nb = nbl.firstNetBuffer!;
    this.counters.framesOut++;
    this.counters.bytesOut += nb.dataLength;
    port.queue(nbl);
  }

  /** @internal A send buffer for a frame the interface builds itself (ARP, ND): payload at `tx.offset`. */
  controlBuffer(): TxBuffer | null {
    if (this.port === null || !this.usable) return null;
    const tx = this.port.allocateTx(false);
    if (tx !== null) tx.inUse = true;
    return tx;
  }

  /** @internal Sends `payloadLength` bytes at `tx.offset` as an `etherType` frame to `mac`. */
  sendControl(tx: TxBuffer, etherType: number, payloadLength: number, mac: Uint8Array, macOff: number): void {
    const start = this.writeLinkHeader(tx.bytes, tx.offset, etherType);
    const nbl = tx.nbl!;
    tx.nbl = null;
    tx.inUse = false;
    IpInterface.frame(nbl, start, this.linkHeaderLength + payloadLength);
    this.sendTo(nbl, mac, macOff);
  }

  /** @internal Frees an NBL that will not be sent. */
  freeFrame(nbl: NetBufferList): void {
    this.port?.free(nbl);
  }

  /**
   * Sends an IP packet in `nbl` (Ethernet header written but for the destination) to the neighbour
   * `nextHop4` / `nextHop6`, resolving it first; multicast and broadcast map directly to MACs.
   * @internal
   */
  resolveAndSend(nbl: NetBufferList, nextHop4: number, nextHop6: Uint8Array | null, nextHop6Off: number): void {
    const cache = nextHop6 === null ? this.neighbors4 : this.neighbors6;
    const e = cache.resolve(nextHop4, nextHop6, nextHop6Off, nbl);
    if (e === null) return;
    this.#writeDst(nbl, e.mac, 0);
    this.sendFrame(nbl);
  }

  /** @internal Sends to a known MAC (broadcast, multicast, a neighbour already looked up). */
  sendTo(nbl: NetBufferList, mac: Uint8Array, macOff: number): void {
    this.#writeDst(nbl, mac, macOff);
    this.sendFrame(nbl);
  }

  #writeDst(nbl: NetBufferList, mac: Uint8Array, off: number): void {
    const nb = nbl.firstNetBuffer!;
    const m = nb.currentMdl!;
    const at = m.byteOffset + nb.currentMdlOffset;
    const b = m.bytes;
    for (let i = 0; i < 6; i++) b[at + i] = mac[off + i]!;
  }

  // NeighborOwner

  /** @internal */
  solicit(e: NeighborEntry, unicast: boolean): void {
    if (!this.usable) return;
    if (e.family === 4) this.stack.arp.sendRequest(this, e.addr4, unicast ? e.mac : null);
    else this.stack.nd.sendSolicitation(this, e.addr6, unicast ? e.mac : null);
  }

  /** @internal */
  sendQueued(e: NeighborEntry, head: NetBufferList, _count: number): void {
    for (let nbl: NetBufferList | null = head; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if (this.usable) this.sendTo(nbl, e.mac, 0);
      else this.freeFrame(nbl);
      nbl = next;
    }
  }

  /** @internal */
  freeQueued(head: NetBufferList, _count: number): void {
    for (let nbl: NetBufferList | null = head; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      this.freeFrame(nbl);
      nbl = next;
    }
  }

  /** @internal */
  unreachable(family: IpFamily, head: NetBufferList, _count: number): void {
    const hl = this.linkHeaderLength;
    for (let nbl: NetBufferList | null = head; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      // A queued frame lies in one MDL of a send-pool slot: its IP packet follows the link header.
      const nb = nbl.firstNetBuffer!;
      const m = nb.currentMdl!;
      if (this.stack.icmp.linkFailure(family, m.bytes, m.byteOffset + nb.currentMdlOffset + hl, nb.dataLength - hl)) this.stack.counters.neighbor.unreachableReported++;
      this.freeFrame(nbl);
      nbl = next;
    }
  }

  /** @internal */
  random(): number {
    return this.stack.random.next();
  }

  /** Neighbour entry text for the inspector. */
  neighborText(e: NeighborEntry): string {
    return e.family === 4 ? formatIpv4(e.addr4) : formatIpv6(e.addr6);
  }

  describe(): Record<string, unknown> {
    return {
      index: this.index,
      mac: Array.from(this.mac, (b) => b.toString(16).padStart(2, '0')).join(':'),
      mtu: this.mtu,
      link: this.linkUp ? 'up' : 'down',
      running: this.running,
      vlan: this.settings.vlanId,
      ipv4: this.v4.map((a) => a.text),
      ipv6: this.v6.map((a) => `${a.text} ${a.stateName}`),
      neighbors: [...this.neighbors4.list((e) => this.neighborText(e)), ...this.neighbors6.list((e) => this.neighborText(e))].map(
        (n) => `${n.address} ${n.mac || '-'} ${n.state}${n.queued > 0 ? ` q${n.queued}` : ''}`,
      ),
      offloads: this.offload.describe(),
      counters: { ...this.counters },
    };
  }
}
