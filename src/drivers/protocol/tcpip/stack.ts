/**
 * The host stack: the interfaces of every binding plus loopback, the routing tables, the protocol
 * layers (ARP, IPv4, IPv6, ND, ICMP, UDP, the TCP host side), timers, counters and the batching of
 * sends.
 *
 * Batching: work that may send (a receive indication, a timer expiry, a loopback delivery, a user call)
 * runs between `enter()` and `exit()`. Frames queued meanwhile collect in each binding's send chain and
 * go down as one NdisSendNetBufferLists per binding when the outermost `exit()` runs (the flush point).
 * A send outside any batch (e.g. the TCP engine writing from user code) is flushed at once.
 *
 * Receive: `receiveFrame` parses the Ethernet header in place and dispatches by EtherType; every frame
 * ends in exactly one counter (see counters.ts).
 */
import { SeededRandom } from '../../../util/random.js';
import type { TcpIpDrops } from './drops.js';
import { EtherType, EthernetView, formatIpv4, formatIpv6 } from '../../../wire/index.js';
import {
  IPV4_BROADCAST,
  eq6,
  isLinkLocal6,
  isLoopback4,
  isLoopback6,
  isMulticast4,
  isMulticast6,
  parseIpAddress,
  type IpFamily,
} from './addr.js';
import { ArpLayer } from './arp.js';
import { StackCounters, countersSnapshot, receiveInputs, terminalTotal } from './counters.js';
import { IcmpLayer, type PingOptions, type PingResult } from './icmp.js';
import { AddressState, IpInterface, type Ipv6AddressEntry, type InterfaceSettings, type LinkPort } from './interface.js';
import { Ipv4Layer } from './ipv4.js';
import { Ipv6Layer } from './ipv6.js';
import { NdLayer } from './nd.js';
import { IpOutput, LOOPBACK_MTU, LOOPBACK_SLOTS } from './output.js';
import { Cast, type RouteResult, RX_CHECKSUM_ALL_OK, type TxBuffer } from './packet.js';
import { PMTU_TIMEOUT_MS, PathMtuCache } from './pmtu.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits } from './reassembly.js';
import { Route, RouteTable } from './route.js';
import type { TcpInput } from './tcp/host.js';
import { StackTcpHost } from './tcp-host.js';
import { TimerQueue } from './timers.js';
import { UdpLayer } from './udp.js';

export interface StackOptions {
  /** Reassembly limits (both families). */
  reassembly?: Partial<ReassemblyLimits>;
  /** ICMP errors per second (token bucket refill) and bucket size. */
  icmpErrorsPerSecond?: number;
  icmpErrorBurst?: number;
  /** Seed of the stack's random numbers (ports, ids, timer jitter); random when absent. */
  seed?: number;
  pathMtuTimeoutMs?: number;
  /** Datagrams a UDP socket's receive queue holds (async-iterator mode). */
  udpReceiveQueue?: number;
}

export interface ResolvedStackOptions {
  reassembly: ReassemblyLimits;
  icmpErrorsPerSecond: number;
  icmpErrorBurst: number;
  pathMtuTimeoutMs: number;
  udpReceiveQueue: number;
}


function randomSeed(): number {
  const a = new Uint32Array(1);
  globalThis.crypto.getRandomValues(a);
  return a[0]!;
}

const LOOPBACK_MAC = new Uint8Array(6);

export class TcpIpStack {
  readonly counters = new StackCounters();
  /** The drop reasons of this stack and its TCP engine (drops.ts), set by TcpIpProtocol. */
  drops: TcpIpDrops | null = null;
  readonly options: ResolvedStackOptions;
  /** @internal */
  readonly random: SeededRandom;
  /** @internal */
  readonly timers: TimerQueue;
  readonly routes4 = new RouteTable(4);
  readonly routes6 = new RouteTable(6);
  /** @internal */
  readonly pmtu: PathMtuCache;
  readonly interfaces: IpInterface[] = [];
  readonly loopback: IpInterface;
  /** @internal */
  readonly output: IpOutput;
  /** @internal */
  readonly arp: ArpLayer;
  /** @internal */
  readonly nd: NdLayer;
  /** @internal */
  readonly ipv4: Ipv4Layer;
  /** @internal */
  readonly ipv6: Ipv6Layer;
  /** @internal */
  readonly icmp: IcmpLayer;
  readonly udp: UdpLayer;
  readonly tcpHost: StackTcpHost;
  /** Bumped whenever a route's answer may have changed (addresses, routes, path MTU, offloads, links). */
  routeGeneration = 0;
  #tcp: TcpInput | null = null;
  #depth = 0;
  #dirty: LinkPort[] = [];
  #spare: LinkPort[] = [];
  #flushing = false;
  #nextIndex = 2;
  readonly #loopbackQueue: TxBuffer[] = [];
  #loopbackScheduled = false;
  readonly #eth = new EthernetView();

  constructor(options: StackOptions = {}) {
    this.options = {
      reassembly: { ...DEFAULT_REASSEMBLY_LIMITS, ...options.reassembly },
      icmpErrorsPerSecond: options.icmpErrorsPerSecond ?? 100,
      icmpErrorBurst: options.icmpErrorBurst ?? 20,
      pathMtuTimeoutMs: options.pathMtuTimeoutMs ?? PMTU_TIMEOUT_MS,
      udpReceiveQueue: options.udpReceiveQueue ?? 64,
    };
    this.random = new SeededRandom(options.seed ?? randomSeed());
    this.timers = new TimerQueue(this);
    this.pmtu = new PathMtuCache(128, this.options.pathMtuTimeoutMs);
    this.output = new IpOutput(this);
    this.arp = new ArpLayer(this);
    this.nd = new NdLayer(this);
    this.ipv4 = new Ipv4Layer(this);
    this.ipv6 = new Ipv6Layer(this);
    this.icmp = new IcmpLayer(this);
    this.udp = new UdpLayer(this);
    this.tcpHost = new StackTcpHost(this);
    const loSettings: InterfaceSettings = {
      mtu: LOOPBACK_MTU,
      vlanId: 0,
      ipv6: true,
      dad: false,
      dadTransmits: 0,
      neighborCacheSize: 1,
      neighbor: { retransTimerMs: 1000, reachableTimeMs: 30000, queueLimit: 1 },
    };
    this.loopback = new IpInterface(this, 1, 'lo', 'lo', LOOPBACK_MAC, null, loSettings);
    this.loopback.running = true;
    this.interfaces.push(this.loopback);
  }

  // ---------------------------------------------------------------------------------------------
  // Batching

  enter(): void {
    this.#depth++;
  }

  exit(): void {
    // The end of a batch (a receive indication among them): the TCP engine's merged ACKs join the chain.
    if (this.#depth === 1) this.#tcp?.inputBatchEnd?.();
    if (--this.#depth === 0) this.flush();
  }

  /** Runs `fn` as one batch: everything it sends goes down as one chain per binding. */
  batch<T>(fn: () => T): T {
    this.enter();
    try {
      return fn();
    } finally {
      this.exit();
    }
  }

  /** @internal A binding has frames queued; they go down at the flush point (now, outside a batch). */
  portPending(port: LinkPort): void {
    if (!this.#dirty.includes(port)) this.#dirty.push(port);
    if (this.#depth === 0) this.flush();
  }

  flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      // Sending may queue more (a miniport completing inline never does, but be safe): bounded rounds.
      for (let round = 0; round < 4 && this.#dirty.length > 0; round++) {
        // Swap the two lists (no allocation per flush); ports marked during the round go to the other.
        const ports = this.#dirty;
        this.#dirty = this.#spare;
        this.#spare = ports;
        for (let i = 0; i < ports.length; i++) ports[i]!.flush();
        ports.length = 0;
      }
    } finally {
      this.#flushing = false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Interfaces

  /** @internal */
  createInterface(port: LinkPort, name: string, fullName: string, mac: Uint8Array, settings: InterfaceSettings): IpInterface {
    const iface = new IpInterface(this, this.#nextIndex++, name, fullName, mac, port, settings);
    this.interfaces.push(iface);
    this.timers.useClock(port.handle);
    return iface;
  }

  /** @internal */
  removeInterface(iface: IpInterface): void {
    const i = this.interfaces.indexOf(iface);
    if (i < 0) return;
    this.interfaces.splice(i, 1);
    this.routes4.removeWhere((r) => r.iface === iface);
    this.routes6.removeWhere((r) => r.iface === iface);
    this.ipv4.reassembler.releaseInterface(iface);
    this.ipv6.reassembler.releaseInterface(iface);
    this.#dirty = this.#dirty.filter((p) => p !== iface.port);
    iface.destroy();
    const next = this.interfaces.find((x) => x.port !== null)?.port?.handle ?? null;
    if (iface.port !== null) this.timers.dropClock(iface.port.handle, next);
    if (next === null) this.icmp.finishAll();
    this.routeGeneration++;
  }

  interfaceByName(name: string): IpInterface | null {
    return this.interfaces.find((x) => x.name === name || x.fullName === name) ?? null;
  }

  /** @internal Connected routes follow the addresses; every address change re-derives them. */
  interfaceAddressesChanged(iface: IpInterface): void {
    if (iface.isLoopback) return;
    this.routes4.removeWhere((r) => r.iface === iface && r.origin === 'connected');
    this.routes6.removeWhere((r) => r.iface === iface && r.origin === 'connected');
    for (const a of iface.v4) this.routes4.add(Route.v4(a.address, a.prefixLength, null, iface, 0, 'connected'));
    for (const a of iface.v6) if (a.state !== AddressState.Duplicate) this.routes6.add(Route.v6(a.address, a.prefixLength, null, iface, 0, 'connected'));
    this.routeGeneration++;
  }

  addRoute(r: Route): void {
    (r.family === 4 ? this.routes4 : this.routes6).add(r);
    this.routeGeneration++;
  }

  /**
   * Link state (`linkEvent`) or run state of an interface changed. A link coming up re-verifies every
   * address (RFC 4862 §5.4: the interface was re-enabled); a restart after an NDIS pause only resumes
   * what was interrupted.
   * @internal
   */
  interfaceStateChanged(iface: IpInterface, linkEvent: boolean): void {
    this.routeGeneration++;
    if (iface.usable) iface.start(linkEvent);
    else iface.stop();
  }

  // ---------------------------------------------------------------------------------------------
  // Local addresses

  /** The interface owning the IPv4 address `addr`, or null. */
  findLocal4(addr: number): IpInterface | null {
    addr |= 0;
    const list = this.interfaces;
    for (let i = 0; i < list.length; i++) {
      const v4 = list[i]!.v4;
      for (let j = 0; j < v4.length; j++) if (v4[j]!.address === addr) return list[i]!;
    }
    return null;
  }

  /** Our IPv6 address entry equal to `addr[off…]` (any state), or null. */
  findLocal6(addr: Uint8Array, off: number): Ipv6AddressEntry | null {
    const list = this.interfaces;
    for (let i = 0; i < list.length; i++) {
      const v6 = list[i]!.v6;
      for (let j = 0; j < v6.length; j++) if (eq6(v6[j]!.address, 0, addr, off)) return v6[j]!;
    }
    return null;
  }

  /** The interface owning the IPv6 address `addr[off…]`, or null. */
  interfaceOf6(addr: Uint8Array, off: number): IpInterface | null {
    for (const i of this.interfaces) if (i.findIpv6(addr, off) !== null) return i;
    return null;
  }

  isLocalPreferred6(addr: Uint8Array, off: number): boolean {
    if (isLoopback6(addr, off)) return true;
    const e = this.findLocal6(addr, off);
    return e !== null && e.state === AddressState.Preferred;
  }

  // ---------------------------------------------------------------------------------------------
  // Routing

  #mtuTowards4(iface: IpInterface, dst: number): number {
    const learned = this.pmtu.lookup(4, dst, null, 0, this.timers.now());
    if (learned < 0) this.routeGeneration++;
    return learned > 0 ? Math.min(learned, iface.mtu) : iface.mtu;
  }

  #mtuTowards6(iface: IpInterface, dst: Uint8Array, off: number): number {
    const learned = this.pmtu.lookup(6, 0, dst, off, this.timers.now());
    if (learned < 0) this.routeGeneration++;
    return learned > 0 ? Math.min(learned, iface.mtu) : iface.mtu;
  }

  /** The first usable interface with an IPv4 address (limited broadcast and multicast without a route). */
  #defaultInterface4(via: IpInterface | null): IpInterface | null {
    if (via !== null) return via.usable && via.v4.length > 0 ? via : null;
    for (const i of this.interfaces) if (!i.isLoopback && i.usable && i.v4.length > 0) return i;
    return null;
  }

  /** @internal Fills `rr` for IPv4 destination `dst`; false when there is no route (or no source address). */
  route4(dst: number, via: IpInterface | null, rr: RouteResult): boolean {
    dst |= 0;
    rr.local = false;
    rr.cast = Cast.Unicast;
    if (isLoopback4(dst) || this.findLocal4(dst) !== null) {
      rr.local = true;
      rr.iface = this.loopback;
      rr.src4 = dst;
      rr.nextHop4 = dst;
      rr.mtu = LOOPBACK_MTU;
      return true;
    }
    if (dst === IPV4_BROADCAST || isMulticast4(dst)) {
      const iface = this.#defaultInterface4(via);
      if (iface === null) return false;
      rr.iface = iface;
      rr.cast = dst === IPV4_BROADCAST ? Cast.Broadcast : Cast.Multicast;
      rr.nextHop4 = dst;
      rr.src4 = iface.sourceFor4(dst);
      rr.mtu = iface.mtu;
      return true;
    }
    const r = this.routes4.lookup4(dst, via);
    if (r === null) return false;
    const iface = r.iface;
    rr.iface = iface;
    rr.nextHop4 = r.hasGateway ? r.gateway4 : dst;
    if (!r.hasGateway && iface.isBroadcast4(dst)) rr.cast = Cast.Broadcast;
    rr.src4 = iface.sourceFor4(r.hasGateway ? r.gateway4 : dst);
    if (rr.src4 === 0) return false;
    rr.mtu = this.#mtuTowards4(iface, dst);
    return true;
  }

  /** @internal Fills `rr` for IPv6 destination `dst[off…]`; `via` is the zone (required to be honoured for link-local). */
  route6(dst: Uint8Array, off: number, via: IpInterface | null, rr: RouteResult): boolean {
    rr.local = false;
    rr.cast = Cast.Unicast;
    if (this.isLocalPreferred6(dst, off)) {
      rr.local = true;
      rr.iface = this.loopback;
      for (let i = 0; i < 16; i++) rr.src6[i] = dst[off + i]!;
      for (let i = 0; i < 16; i++) rr.nextHop6[i] = dst[off + i]!;
      rr.mtu = LOOPBACK_MTU;
      return true;
    }
    let iface: IpInterface | null = null;
    let gateway: Uint8Array | null = null;
    if (isMulticast6(dst, off)) {
      rr.cast = Cast.Multicast;
      if (via !== null) iface = via.usable ? via : null;
      else for (const i of this.interfaces) if (!i.isLoopback && i.usable && i.ipv6Enabled) { iface = i; break; }
    } else if (isLinkLocal6(dst, off) && via !== null) {
      iface = via.usable ? via : null;
    } else {
      const r = this.routes6.lookup6(dst, off, via);
      if (r !== null) {
        iface = r.iface;
        if (r.hasGateway) gateway = r.gateway6;
      }
    }
    if (iface === null) return false;
    const src = iface.sourceFor6(gateway ?? dst, gateway === null ? off : 0);
    if (src === null) return false;
    rr.iface = iface;
    for (let i = 0; i < 16; i++) rr.src6[i] = src.address[i]!;
    if (gateway !== null) for (let i = 0; i < 16; i++) rr.nextHop6[i] = gateway[i]!;
    else for (let i = 0; i < 16; i++) rr.nextHop6[i] = dst[off + i]!;
    rr.mtu = rr.cast === Cast.Multicast ? iface.mtu : this.#mtuTowards6(iface, dst, off);
    return true;
  }

  /** Resolves a user address text (with optional `%zone`) to its family, bytes and interface. */
  parseDestination(text: string): { family: IpFamily; v4: number; v6: Uint8Array; via: IpInterface | null } {
    const a = parseIpAddress(text);
    let via: IpInterface | null = null;
    if (a.zone !== null) {
      via = this.interfaceByName(a.zone);
      if (via === null) throw new TypeError(`unknown interface '${a.zone}' in ${text}`);
    }
    return a.family === 4 ? { family: 4, v4: a.v4, v6: new Uint8Array(16), via } : { family: 6, v4: 0, v6: a.v6, via };
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  /**
   * One received frame `bytes[off, off + len)` on `iface` (called by the binding inside a batch).
   * `checksum` are RxChecksum bits from the NBL's checksum info; `segments` the RSC coalesced count.
   * @internal
   */
  receiveFrame(iface: IpInterface, bytes: Uint8Array, off: number, len: number, checksum: number, segments: number): void {
    const c = this.counters.link;
    c.framesIn++;
    c.bytesIn += len;
    iface.counters.framesIn++;
    iface.counters.bytesIn += len;
    if (EthernetView.check(bytes, off, len) !== 0) {
      c.truncated++;
      return;
    }
    const eth = this.#eth.bind(bytes, off);
    const vid = eth.hasVlanTag ? eth.vlanId : 0;
    if (vid !== iface.settings.vlanId) {
      c.vlanMismatch++;
      return;
    }
    const linkCast = eth.dstIsBroadcast ? Cast.Broadcast : eth.dstIsMulticast ? Cast.Multicast : Cast.Unicast;
    const hl = eth.headerLength;
    const type = eth.etherType;
    if (type === EtherType.Ipv4) this.ipv4.input(iface, bytes, off + hl, len - hl, checksum, segments, linkCast);
    else if (type === EtherType.Ipv6 && iface.ipv6Enabled) this.ipv6.input(iface, bytes, off + hl, len - hl, checksum, segments, linkCast);
    else if (type === EtherType.Arp) this.arp.input(iface, bytes, off + hl, len - hl);
    else c.unknownEtherType++;
  }

  // ---------------------------------------------------------------------------------------------
  // Loopback

  /** @internal Queues a loopback packet; it is delivered on a later turn (never inside the sender's call). */
  queueLoopback(tx: TxBuffer): void {
    if (this.#loopbackQueue.length >= LOOPBACK_SLOTS) {
      this.counters.loopback.queueFull++;
      tx.inUse = false;
      return;
    }
    this.#loopbackQueue.push(tx);
    this.#scheduleLoopback();
  }

  /** Delivery runs as an NDIS work item of the clock binding (a plain macrotask when there is none). */
  #scheduleLoopback(): void {
    if (this.#loopbackScheduled) return;
    this.#loopbackScheduled = true;
    const clock = this.timers.clock;
    if (clock !== null) clock.queueWorkItem(this.#deliverLoopback);
    else setImmediate(this.#deliverLoopback);
  }

  readonly #deliverLoopback = (): void => {
    this.#loopbackScheduled = false;
    const q = this.#loopbackQueue;
    const n = q.length;
    if (n === 0) return;
    this.enter();
    try {
      for (let i = 0; i < n; i++) {
        const tx = q[i]!;
        this.counters.loopback.packetsIn++;
        if (tx.family === 4) this.ipv4.input(this.loopback, tx.bytes, tx.packetStart, tx.packetLength, RX_CHECKSUM_ALL_OK, 1, Cast.Unicast);
        else this.ipv6.input(this.loopback, tx.bytes, tx.packetStart, tx.packetLength, RX_CHECKSUM_ALL_OK, 1, Cast.Unicast);
        tx.inUse = false;
      }
    } finally {
      q.splice(0, n);
      this.exit();
    }
    // Packets looped back while delivering (replies to ourselves) go on the next turn.
    if (q.length > 0) this.#scheduleLoopback();
  };

  // ---------------------------------------------------------------------------------------------
  // TCP

  /** Plugs the TCP engine in: from now on TCP segments go to `input` (before: counted and dropped). */
  attachTcp(input: TcpInput): void {
    this.#tcp = input;
  }

  detachTcp(): void {
    this.#tcp = null;
  }

  get tcp(): TcpInput | null {
    return this.#tcp;
  }

  // ---------------------------------------------------------------------------------------------
  // User API

  /** ICMP / ICMPv6 echo to `address` (text, `%zone` allowed); resolves with per-probe RTTs. */
  ping(address: string, options: PingOptions = {}): Promise<PingResult> {
    return this.icmp.ping(address, options);
  }

  /**
   * netstat -s: counters of every protocol, each interface's frame counts, the receive-accounting
   * balance, and a few table sizes. Every counter the stack keeps is here (a test walks them).
   */
  snapshot(): Record<string, unknown> {
    const counters = countersSnapshot(this.counters);
    const interfaces: Record<string, unknown> = {};
    for (const i of this.interfaces) interfaces[i.name] = { ...i.counters };
    return {
      ...counters,
      // Datagrams being reassembled, beside the reassembly counters (not in place of them).
      reassembly: { ...(counters['reassembly'] as Record<string, number>), inProgress: this.ipv4.reassembler.inProgress + this.ipv6.reassembler.inProgress },
      interfaces,
      accounting: { inputs: receiveInputs(this.counters), terminal: terminalTotal(this.counters) },
      routes: this.routeTexts(),
      pathMtu: this.pmtu.size,
      udpSockets: this.udp.socketCount,
      tcpAttached: this.#tcp !== null,
    };
  }

  routeTexts(): string[] {
    const out: string[] = [];
    for (const r of this.routes4.routes) out.push(`${formatIpv4(r.dest4)}/${r.prefixLength}${r.hasGateway ? ` via ${formatIpv4(r.gateway4)}` : ''} dev ${r.iface.name}${r.metric ? ` metric ${r.metric}` : ''} ${r.origin}`);
    for (const r of this.routes6.routes) out.push(`${formatIpv6(r.dest6)}/${r.prefixLength}${r.hasGateway ? ` via ${formatIpv6(r.gateway6)}` : ''} dev ${r.iface.name}${r.metric ? ` metric ${r.metric}` : ''} ${r.origin}`);
    return out;
  }
}
