/**
 * StackDescription: a validated stack configuration, the one declarative object the binding engine
 * builds from (and the dashboard and demo can read). Everything in it has been checked: drivers exist
 * and are of the right kind for their slot, media match, keywords fit their drivers' schemas, the
 * intermediate-driver graph has no cycles. Every element keeps the config key path it came from, so a
 * later failure can still point at the line of YAML responsible.
 *
 * Nothing here is live: no runtime, no wire, no driver instance.
 */
import type { ConfigValue, DriverCharacteristics } from '../ndis/driver-api.js';

export type KeywordValues = Readonly<Record<string, ConfigValue>>;

/** A filter or protocol placed on an adapter, with its per-module / per-binding keywords. */
export interface DriverUse {
  readonly driver: string;
  readonly keywords: KeywordValues;
  /** Where it was configured, e.g. `hosts.hostA.filters[0]`. */
  readonly keyPath: string;
}

export interface AdapterDescription {
  /** Short name (`eth0`); the runtime names it `<host>/<name>`. */
  readonly name: string;
  readonly keyPath: string;
  /** The miniport driver, or null for a virtual miniport an intermediate driver creates. */
  readonly driver: string | null;
  /** NDIS_MEDIUM of the adapter's upper edge (the miniport's, or the intermediate's virtual miniport's). */
  readonly medium: number;
  /** Miniport keywords (schema defaults are applied by the runtime, not here); for a virtual adapter, its virtual miniport's (the intermediate's `miniport.keywords`). */
  readonly keywords: KeywordValues;
  /** Listed under this adapter. */
  readonly filters: readonly DriverUse[];
  readonly protocols: readonly DriverUse[];
  /** What the engine puts on the adapter: host-level entries whose medium matches, then the adapter's own. */
  readonly effectiveFilters: readonly DriverUse[];
  readonly effectiveProtocols: readonly DriverUse[];
  /** For a virtual adapter: the index in `intermediates` of the intermediate that creates it. */
  readonly createdBy: number | null;
  /** True when the adapter was not listed under `adapters` and exists only as an intermediate's `upper`. */
  readonly implicit: boolean;
}

export interface IntermediateDescription {
  readonly driver: string;
  /** The adapter its protocol edge binds to (a team's first member). */
  readonly lower: string;
  /** Every adapter its protocol edge binds to: `[lower]`, or a team's members in config order. */
  readonly lowers: readonly string[];
  /** The virtual miniports it creates, passed as keyword UpperBindings. */
  readonly upper: readonly string[];
  /** Binding keywords, UpperBindings included. */
  readonly keywords: KeywordValues;
  readonly keyPath: string;
}

/** A built-in service the TCP/IP protocol runs on the host (`tsndis up`): a server or a traffic source. */
export interface ServiceDescription {
  readonly service: 'echo' | 'discard' | 'http' | 'ping' | 'traffic';
  /** Servers: the listen port (defaults: echo 7, discard 9, http 80). traffic: the destination port (default 9). ping: 0. */
  readonly port: number;
  /** Listen address literal, or null for every address (IPv4 and IPv6). Always null for ping and traffic. */
  readonly address: string | null;
  /** http only: absolute directory served (default: the config file's directory). */
  readonly root: string | null;
  /** ping, traffic: the address sent to, an address of a host in this config; null for servers. */
  readonly target: string | null;
  /** ping: ms between echo requests (default 1000); null otherwise. */
  readonly intervalMs: number | null;
  /** traffic: datagrams per second (default 10); null otherwise. */
  readonly rate: number | null;
  /** ping: ICMP data bytes (default 56); traffic: UDP payload bytes (default 512); null for servers. */
  readonly size: number | null;
  /** ping, traffic: requests / datagrams in all (defaults 100 / 1000), then the flow stops; null for servers. */
  readonly count: number | null;
  readonly keyPath: string;
}

export interface HostDescription {
  readonly name: string;
  readonly keyPath: string;
  readonly verifier: boolean;
  /** Processors the host runs on (`processors:`, default 1). */
  readonly processors: number;
  /** `processorFailure:` (default 'continue'); validated, acted on once processor failure is handled. */
  readonly processorFailure: 'continue' | 'stop';
  /** Host-level ("installed") filters and protocols. */
  readonly filters: readonly DriverUse[];
  readonly protocols: readonly DriverUse[];
  /** Physical adapters in config order, then virtual ones (listed or implicit) in config order. */
  readonly adapters: readonly AdapterDescription[];
  readonly intermediates: readonly IntermediateDescription[];
  /** Services to start once the stack is up (needs the tsndis.tcpip protocol on the host). */
  readonly services: readonly ServiceDescription[];
  /**
   * Drivers to register on this host, in order: those it uses, by first appearance (host filters and
   * protocols, then each adapter's driver, filters and protocols, then intermediates), then every module
   * driver it does not use. Registration order is installation order, which orders filters of the same
   * FilterClass (the earlier-installed sits lower).
   */
  readonly drivers: readonly string[];
}

export interface WireDescription {
  readonly name: string;
  readonly keyPath: string;
  /** Defaults: lossRate 0, delayMs 0, seed 1, link up. */
  readonly lossRate: number;
  readonly delayMs: number;
  readonly seed: number;
  readonly link: 'up' | 'down';
}

export interface ModuleDriverDescription {
  /** As written in the config. */
  readonly specifier: string;
  /** Absolute file path it resolved to. */
  readonly path: string;
  readonly keyPath: string;
  readonly characteristics: readonly DriverCharacteristics[];
}

export interface StackDescription {
  /** The config file name as given (used in error messages). */
  readonly file: string;
  /** Directory module paths are resolved against. */
  readonly baseDir: string;
  readonly wires: readonly WireDescription[];
  readonly modules: readonly ModuleDriverDescription[];
  readonly hosts: readonly HostDescription[];
  /** Every driver the config may use, built-in and loaded, by name. */
  readonly drivers: ReadonlyMap<string, DriverCharacteristics>;
  /** Names of the drivers that come from `modules` (the rest are built-in). */
  readonly moduleDriverNames: ReadonlySet<string>;
}
