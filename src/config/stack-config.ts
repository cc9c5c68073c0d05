/**
 * The stack config as data: the type of what the YAML parses to, for configs written in code
 * (`createStacks({ hosts: { … } })`). The shape is checked at run time by schema.ts exactly as for a
 * file; this type gives editors and tsc the same picture. docs/config-reference.md says what each key means.
 */
import type { ConfigValue } from '../ndis/driver-api.js';
import type { RawStackConfig } from './schema.js';

export type KeywordConfig = Record<string, ConfigValue>;

/** `'tsndis.counters'` or `{ driver: 'tsndis.counters', keywords: { … } }`. */
export type DriverRefConfig = string | { driver: string; keywords?: KeywordConfig | null };

/** A list, or one entry without the brackets. */
export type OneOrMore<T> = T | T[];

export interface WireConfig {
  lossRate?: number | null;
  delayMs?: number | null;
  seed?: number | null;
  link?: 'up' | 'down' | null;
}

export interface AdapterConfig {
  /** The miniport; omitted for a virtual adapter an intermediate creates. */
  driver?: string | null;
  keywords?: KeywordConfig | null;
  filters?: OneOrMore<DriverRefConfig> | null;
  protocols?: OneOrMore<DriverRefConfig> | null;
}

export interface IntermediateConfig {
  driver: string;
  /** The adapter the protocol edge binds to; a teaming driver takes a list (its members). */
  lower: string | string[];
  upper: string | string[];
  keywords?: KeywordConfig | null;
}

export interface ServiceConfig {
  service: 'echo' | 'discard' | 'http' | 'ping' | 'traffic';
  /** Servers: the port listened on; traffic: the destination port. */
  port?: number | null;
  /** Listen address; absent = every address of the host. */
  address?: string | null;
  /** http: directory served. */
  root?: string | null;
  /** ping, traffic: the address sent to (one of the config's hosts). */
  target?: string | null;
  /** ping: ms between echo requests. */
  intervalMs?: number | null;
  /** traffic: datagrams per second. */
  rate?: number | null;
  /** ping: ICMP data bytes; traffic: UDP payload bytes. */
  size?: number | null;
  /** ping, traffic: how many in all. */
  count?: number | null;
}

export interface HostConfig {
  verifier?: boolean | null;
  /** Processors the host runs on, 1–64 (default 1). */
  processors?: number | null;
  /** When a processor fails: keep running on the others, or stop the host (default 'continue'). */
  processorFailure?: 'continue' | 'stop' | null;
  services?: OneOrMore<ServiceConfig> | null;
  filters?: OneOrMore<DriverRefConfig> | null;
  protocols?: OneOrMore<DriverRefConfig> | null;
  adapters?: Record<string, AdapterConfig | null> | null;
  intermediates?: OneOrMore<IntermediateConfig> | null;
}

export interface StackConfig {
  wires?: Record<string, WireConfig | null> | null;
  drivers?: string | string[] | null;
  hosts: Record<string, HostConfig | null>;
}

/** Compile-time check: everything the schema produces is a StackConfig (the type is not narrower). */
const _schemaFits = (raw: RawStackConfig): StackConfig => raw;
void _schemaFits;
