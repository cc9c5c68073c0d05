/**
 * tsndis.tcpip: the TCP/IP protocol driver. One `TcpIpProtocol` per host (runtime) owns one
 * `TcpIpStack` and binds to any number of Ethernet adapters; each binding becomes an IP interface
 * configured by its keywords (INF-style, validated by the config loader):
 *
 * ```yaml
 * protocols:
 *   - driver: tsndis.tcpip
 *     keywords:
 *       IPAddress: [198.18.0.2/24]
 *       IPv6Address: [fd00::2/64]          # fe80:: from the MAC is always added
 *       DefaultGateway: 198.18.0.1
 *       Routes: ['10.0.0.0/8 via 198.18.0.1', '203.0.113.0/24']
 *       Neighbors: ['198.18.0.1 02-00-00-00-00-01']
 *       TcpSendBufferSize: 4194304          # stack-wide TCP settings (tcp-keywords.ts): same on every adapter
 * ```
 *
 * User code reaches the stack through `protocol.stack` (ping, UDP sockets, counters) once
 * `await protocol.whenBound('eth0')` resolved; the TCP engine plugs in with
 * `protocol.stack.attachTcp(engine)` and talks to `protocol.stack.tcpHost`.
 */
import { NDIS_STATUS_FAILURE, NdisMedium802_3, type BindParameters, type ConfigValue, type KeywordSchema, type NdisStatus, type ProtocolBindingHandle, type ProtocolDriverCharacteristics } from '../../../ndis/index.js';
import { TcpIpDrops } from './drops.js';
import { TcpIpBinding } from './binding.js';
import { gatewayProblem, interfaceAddressProblem, neighborProblem, routeProblem } from './keyword-checks.js';
import type { IpInterface } from './interface.js';
import { TcpIpStack, type StackOptions } from './stack.js';
import { createConnection, createServer, WskProvider, type TcpConnectOptions, type TcpServer, type TcpServerOptions, type TcpSocket } from './socket/index.js';
import type { TcpConfig } from './tcp/api.js';
import { TcpLayer } from './tcp/layer.js';
import { TCP_KEYWORDS, tcpConfigField, tcpConfigFromKeywords } from './tcp-keywords.js';

export { TcpIpBinding, type TcpIpBindingState } from './binding.js';
export { TcpIpStack, type StackOptions, type ResolvedStackOptions } from './stack.js';
export { IpInterface, AddressState, type InterfaceCounters, type InterfaceSettings, type Ipv4AddressEntry, type Ipv6AddressEntry } from './interface.js';
export type { OffloadState as InterfaceOffloadState } from './offload.js';
export { UdpSocket, UdpEndpoint, SocketError, type UdpLayer, type UdpMessage, type UdpMessageHandler, type SocketErrorCode } from './udp.js';
export type { PingOptions, PingResult } from './icmp.js';
export { StackCounters, countersSnapshot, receiveInputs, terminalTotal } from './counters.js';
export { TcpIpDrops, TCPIP_DROP_REASONS, type TcpIpDropRead } from './drops.js';
export type {
  ArpCounters,
  IcmpCounters,
  Ipv4Counters,
  Ipv6Counters,
  LinkCounters,
  LoopbackCounters,
  NeighborCounters,
  ReassemblyCounters,
  TcpCounters as TcpSegmentCounters,
  UdpCounters,
} from './counters.js';
export { NeighborState, neighborStateName, type NeighborCache, type NeighborEntry, type NeighborTimings } from './neighbor.js';
export { Route, type RouteTable, type RouteOrigin } from './route.js';
export type { ReassemblyLimits } from './reassembly.js';
export type { StackTcpHost } from './tcp-host.js';
export { TcpLayer } from './tcp/layer.js';
export {
  DEFAULT_TCP_CONFIG,
  type TcpConfig,
  type TcpConnection,
  type TcpConnectionEvents,
  type TcpConnectOptions as TcpEngineConnectOptions,
  type TcpEndpoint,
  type TcpListener,
  type TcpListenerEvents,
  type TcpListenOptions,
  type TcpInfo,
  type TcpSocketOptions,
  type TcpStateName,
} from './tcp/api.js';
export type { TcpCounters as TcpEngineCounters } from './tcp/counters.js';
export type { CongestionAlgorithm, CongestionControl, LostSegment, RateSample } from './tcp/congestion.js';
export { TcpError, type TcpErrorCode } from './tcp/errors.js';
export { TCP_KEYWORDS, tcpConfigFromKeywords, tcpKeywordProblem } from './tcp-keywords.js';
export * from './socket/index.js';
export { startService, serviceName, type ServiceHost, type ServiceKind, type ServiceSpec, type RunningService, ServiceCounters } from './services/index.js';
import type { RunningService } from './services/index.js';
export type { TcpFlow, TcpHost, TcpInput, TcpRoute, TcpOutputBuffer, TcpTimer, TcpIcmpError, IpFamily } from './tcp/host.js';

export interface TcpIpOptions extends StackOptions {
  /** Service name (default 'tsndis.tcpip'). */
  name?: string;
  /**
   * TCP engine settings (buffer sizes, congestion control, timers…); DEFAULT_TCP_CONFIG otherwise. The
   * `Tcp…` keywords of a binding (TCP_KEYWORDS) change them when it binds.
   */
  tcp?: Partial<TcpConfig>;
}

export const TCPIP_KEYWORDS: KeywordSchema = {
  IPAddress: { type: 'multi', description: 'IPv4 addresses with prefix length, e.g. 198.18.0.2/24', default: [], check: (v) => interfaceAddressProblem(String(v), 4) },
  IPv6Address: { type: 'multi', description: 'IPv6 addresses with prefix length, e.g. fd00::2/64 (a fe80:: address is always derived from the MAC)', default: [], check: (v) => interfaceAddressProblem(String(v), 6) },
  DefaultGateway: { type: 'edit', description: 'IPv4 default gateway (empty: none)', default: '', check: (v) => gatewayProblem(String(v), 4, 'DefaultGateway') },
  IPv6DefaultGateway: { type: 'edit', description: 'IPv6 default gateway (empty: none)', default: '', check: (v) => gatewayProblem(String(v), 6, 'IPv6DefaultGateway') },
  GatewayMetric: { type: 'int', description: 'metric of the default routes of this interface (lower wins)', default: 0, min: 0, max: 65535 },
  Routes: { type: 'multi', description: "static routes: '10.0.0.0/8 via 198.18.0.1', 'fd01::/64 via fd00::1', '203.0.113.0/24' (on-link), optional 'metric <n>'", default: [], check: (v) => routeProblem(String(v)) },
  Neighbors: { type: 'multi', description: "static neighbours: '198.18.0.1 02-00-00-00-00-01'", default: [], check: (v) => neighborProblem(String(v)) },
  Mtu: { type: 'int', description: 'IP MTU; 0 = the adapter MTU (never more than it)', default: 0, min: 0, max: 65535 },
  IPv6: { type: 'boolean', description: 'run IPv6 on this interface', default: true },
  Dad: { type: 'boolean', description: 'Duplicate Address Detection for IPv6 addresses', default: true },
  DadTransmits: { type: 'int', description: 'DAD solicitations per address (DupAddrDetectTransmits)', default: 1, min: 1, max: 10 },
  VlanId: { type: 'int', description: '802.1Q VLAN of this interface (0: untagged; tagged frames of other VLANs are dropped)', default: 0, min: 0, max: 4094 },
  SendPoolSize: { type: 'int', description: 'NBLs in the send pool', default: 512, min: 16, max: 65536 },
  LsoPoolSize: { type: 'int', description: '64 KiB NBLs for LSO sends (allocated only when the adapter offers LSOv2)', default: 32, min: 0, max: 4096 },
  NeighborCacheSize: { type: 'int', description: 'entries per neighbour cache (ARP, ND)', default: 256, min: 4, max: 65536 },
  NeighborQueueLength: { type: 'int', description: 'packets held per unresolved neighbour (the oldest is dropped beyond; a 64 KiB datagram is 45 fragments)', default: 64, min: 1, max: 4096 },
  NeighborMaxIncomplete: { type: 'int', description: 'unresolved (INCOMPLETE) entries per neighbour cache; a new one evicts the oldest', default: 64, min: 1, max: 65536 },
  NeighborQueueTotal: { type: 'int', description: 'packets held over all unresolved neighbours of a cache (the oldest of the oldest entry is dropped beyond)', default: 128, min: 1, max: 65536 },
  NeighborSolicitRate: { type: 'int', description: 'multicast ARP requests / neighbour solicitations a second per cache, also the burst (0: no limit)', default: 100, min: 0, max: 1000000 },
  RetransTimerMs: { type: 'int', description: 'between ARP/ND solicitations (RFC 4861 RetransTimer)', default: 1000, min: 10, max: 600000 },
  ReachableTimeMs: { type: 'int', description: 'RFC 4861 BaseReachableTime', default: 30000, min: 100, max: 3600000 },
  ReceiveSideScaling: { type: 'boolean', description: 'turn RSS on at bind when the adapter offers it (OID_GEN_RECEIVE_SCALE_PARAMETERS: Toeplitz, a random key, a full indirection table), as Windows does; nothing reads the hash yet', default: false },
  ...TCP_KEYWORDS,
};

export class TcpIpProtocol {
  readonly characteristics: ProtocolDriverCharacteristics;
  readonly stack: TcpIpStack;
  /** The TCP engine, attached to the stack. */
  readonly tcp: TcpLayer;
  /** The WSK-like provider: sockets for user code (and the Node streams in ./socket). */
  readonly sockets: WskProvider;
  /** Bound adapters by full name (`hostA/eth0`). */
  readonly bindings = new Map<string, TcpIpBinding>();
  /** Built-in services running on this stack (`startService(protocol, spec)`), reported by netstat. */
  readonly services = new Set<RunningService>();
  #waiters: { adapter: string; resolve: (b: TcpIpBinding) => void }[] = [];
  /** Stack-wide keywords of the live bindings: keyword → value and the bindings that gave it. */
  readonly #stackKeywords = new Map<string, { value: ConfigValue; adapters: Set<string> }>();

  constructor(options: TcpIpOptions = {}) {
    const name = options.name ?? 'tsndis.tcpip';
    this.stack = new TcpIpStack(options);
    this.tcp = new TcpLayer(this.stack.tcpHost, {
      ...options.tcp,
      // A socket callback that throws must not unwind the data path: log it against a binding.
      onCallbackError: (error, where) => this.#log('error', `TCP ${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    });
    this.stack.attachTcp(this.tcp);
    this.stack.drops = new TcpIpDrops(this.stack.counters, this.tcp.counters);
    this.sockets = new WskProvider(this.tcp);
    const self = this;
    const stack = this.stack;
    class Binding extends TcpIpBinding {
      constructor(handle: ProtocolBindingHandle) {
        super(handle, stack, (b) => self.#bound(b), (b) => self.#unbound(b));
      }

      override bindAdapter(params: BindParameters): NdisStatus {
        const problem = self.#applyStackKeywords(params);
        if (problem !== null) {
          this.ndis.log('error', problem);
          return NDIS_STATUS_FAILURE;
        }
        return super.bindAdapter(params);
      }
    }
    this.characteristics = {
      kind: 'protocol',
      name,
      description: 'TCP/IP host stack: ARP, ND, IPv4, IPv6, ICMP, UDP, TCP host side',
      ndisVersion: { major: 6, minor: 30 },
      driverVersion: { major: 1, minor: 0 },
      mediumArray: [NdisMedium802_3],
      keywords: TCPIP_KEYWORDS,
      // Takes header-data split frames: the payload stays where the miniport put it (binding.ts).
      headerDataSplit: true,
      binding: Binding,
    };
  }

  /**
   * The stack-wide (`Tcp…`) keywords of a binding go to the TCP engine. They must agree with what
   * another binding of this stack set (one engine per host); null, or why the bind must fail.
   */
  #applyStackKeywords(params: BindParameters): string | null {
    const given = params.keywords.entries().filter(([k]) => tcpConfigField(k) !== undefined);
    for (const [k, v] of given) {
      const earlier = this.#stackKeywords.get(k);
      if (earlier === undefined) continue;
      // Only bindings that are up count (one whose bind failed never was).
      for (const a of earlier.adapters) if (!this.bindings.has(a)) earlier.adapters.delete(a);
      if (earlier.adapters.size === 0) this.#stackKeywords.delete(k);
      else if (String(earlier.value) !== String(v)) {
        return `stack-wide keyword ${k} is ${String(v)} here but ${String(earlier.value)} on ${[...earlier.adapters].join(', ')} (one TCP engine per host: give it the same value on every adapter)`;
      }
    }
    try {
      this.tcp.configure(tcpConfigFromKeywords(given));
    } catch (e) {
      return `stack-wide TCP keywords: ${e instanceof Error ? e.message : String(e)}`;
    }
    for (const [k, v] of given) {
      const r = this.#stackKeywords.get(k) ?? { value: v, adapters: new Set<string>() };
      r.adapters.add(params.adapterName);
      this.#stackKeywords.set(k, r);
    }
    return null;
  }

  #unbound(b: TcpIpBinding): void {
    this.bindings.delete(b.adapterName);
    // The engine keeps the values; another binding may change them once no live binding gave them.
    for (const [k, r] of this.#stackKeywords) if (r.adapters.delete(b.adapterName) && r.adapters.size === 0) this.#stackKeywords.delete(k);
  }

  #log(level: 'warn' | 'error', message: string): void {
    const b = this.bindings.values().next().value;
    if (b !== undefined) b.ndis.log(level, message);
    else console.error(`${this.characteristics.name}: ${message}`);
  }

  /**
   * A Node-style TCP server on this stack (see ./socket/stream.ts), with `net.createServer`'s arguments:
   * `([options][, connectionListener])`. The former order `(listener, options)` is still accepted.
   */
  createServer(connectionListener?: (socket: TcpSocket) => void): TcpServer;
  createServer(options: TcpServerOptions, connectionListener?: (socket: TcpSocket) => void): TcpServer;
  /** @deprecated the order of tsndis 0.1; use `createServer(options, listener)` as with node:net. */
  createServer(connectionListener: (socket: TcpSocket) => void, options: TcpServerOptions): TcpServer;
  createServer(a?: TcpServerOptions | ((socket: TcpSocket) => void), b?: TcpServerOptions | ((socket: TcpSocket) => void)): TcpServer {
    const isOptions = (v: unknown): v is TcpServerOptions => typeof v === 'object' && v !== null;
    const ok = (v: unknown): boolean => v === undefined || typeof v === 'function' || isOptions(v);
    if (!ok(a) || !ok(b) || (typeof a === 'function' && typeof b === 'function') || (isOptions(a) && isOptions(b))) {
      throw new TypeError('createServer([options][, connectionListener]): expected an options object and/or a function');
    }
    const listener = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
    return createServer(this.sockets, isOptions(a) ? a : isOptions(b) ? b : {}, listener);
  }

  /** A Node-style TCP connection from this stack: `connect(options[, listener])` or `connect(port[, host][, listener])`, as `net.connect`. */
  connect(options: TcpConnectOptions, connectListener?: () => void): TcpSocket;
  connect(port: number, host?: string, connectListener?: () => void): TcpSocket;
  connect(port: number, connectListener?: () => void): TcpSocket;
  connect(a: TcpConnectOptions | number, b?: string | (() => void), c?: () => void): TcpSocket {
    const options: TcpConnectOptions = typeof a === 'number' ? { port: a, ...(typeof b === 'string' ? { host: b } : {}) } : a;
    return createConnection(this.sockets, options, typeof b === 'function' ? b : c);
  }

  #bound(b: TcpIpBinding): void {
    this.bindings.set(b.adapterName, b);
    this.#waiters = this.#waiters.filter((w) => {
      if (!this.#matches(b, w.adapter)) return true;
      w.resolve(b);
      return false;
    });
  }

  #matches(b: TcpIpBinding, name: string): boolean {
    return b.adapterName === name || b.adapterName.endsWith(`/${name}`);
  }

  /** The binding on `adapterName` (full or short name); throws when not bound. */
  binding(adapterName: string): TcpIpBinding {
    for (const b of this.bindings.values()) if (this.#matches(b, adapterName)) return b;
    throw new Error(`${this.characteristics.name} is not bound to ${adapterName}`);
  }

  /** The IP interface on `adapterName`. */
  interface(adapterName: string): IpInterface {
    const i = this.binding(adapterName).iface;
    if (i === null) throw new Error(`${adapterName} has no interface`);
    return i;
  }

  /**
   * netstat -s: every protocol's counters (link, ARP, ND, IPv4, IPv6, ICMP, UDP, TCP segments), the TCP
   * engine's own (connections, retransmissions, recoveries, SYN cookies…), routes and table sizes, and
   * the counters of each running built-in service (`services`, by name: `echo *:7`, `ping 198.18.0.2`).
   * `tsndis netstat` prints it from a running `tsndis up`; the inspector shows the non-zero part.
   */
  netstat(): Record<string, unknown> {
    const services: Record<string, Record<string, number>> = {};
    for (const s of this.services) services[s.name] = { ...s.counters };
    return {
      ...this.stack.snapshot(),
      tcpEngine: this.tcp.stats(),
      ...(this.services.size > 0 ? { services } : {}),
    };
  }

  /** Resolves when the protocol is bound to `adapterName` (full or short name). */
  whenBound(adapterName: string): Promise<TcpIpBinding> {
    for (const b of this.bindings.values()) if (this.#matches(b, adapterName)) return Promise.resolve(b);
    return new Promise((resolve) => this.#waiters.push({ adapter: adapterName, resolve }));
  }
}

/** The default instance for configs that name 'tsndis.tcpip'. */
export function createTcpIpProtocol(options: TcpIpOptions = {}): TcpIpProtocol {
  return new TcpIpProtocol(options);
}
