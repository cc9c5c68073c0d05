/**
 * The shape of a stack config file (what YAML must look like before any meaning is checked), as zod
 * schemas, and the translation of zod issues into ConfigErrors that name the key path.
 *
 * Shape only: whether a driver exists, is of the right kind, matches the medium or accepts a keyword is
 * checked later (validate.ts), against the drivers' characteristics. Every object is strict (unknown keys
 * are errors, because a misspelt key silently ignored is the worst kind of config bug). Empty YAML
 * values (`filters:` with nothing after it) are accepted wherever the key is optional.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { ConfigValue } from '../ndis/driver-api.js';
import { formatKeyPath, type PathElement } from './key-path.js';

/** Host, adapter and wire names: they become parts of object names (`hostA/eth0`). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const Name = z.string().regex(NAME_PATTERN);

function isConfigValue(v: unknown): v is ConfigValue {
  if (typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

const KeywordName = z.string().min(1).refine((k) => k !== '__proto__', { error: 'reserved keyword name' });
const KeywordValue = z.custom<ConfigValue>(isConfigValue, { error: 'a keyword value is a string, a finite number, a boolean or a list of strings' });
const Keywords = z.record(KeywordName, KeywordValue);

/** `tsndis.counters` or `{ driver: tsndis.counters, keywords: { … } }`. */
const DriverRefObject = z.strictObject({
  driver: z.string().min(1),
  keywords: Keywords.nullish(),
});
const DriverRef = z.preprocess((v) => (typeof v === 'string' ? { driver: v } : v), DriverRefObject);
/** A list; a single entry may be written without the brackets. */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? [v] : v), z.array(item));
}
const DriverRefs = listOf(DriverRef);

const WireObject = z.strictObject({
  lossRate: z.number().min(0).max(1).nullish(),
  delayMs: z.number().min(0).max(3_600_000).nullish(),
  seed: z.number().int().min(0).max(0xffffffff).nullish(),
  link: z.enum(['up', 'down']).nullish(),
});

const AdapterObject = z.strictObject({
  driver: z.string().min(1).nullish(),
  keywords: Keywords.nullish(),
  filters: DriverRefs.nullish(),
  protocols: DriverRefs.nullish(),
});

const IntermediateObject = z.strictObject({
  driver: z.string().min(1),
  /** One adapter, or for a teaming driver (lowerAdapters: 'many') a list of member adapters. */
  lower: z.union([Name, z.array(Name)]),
  upper: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(Name).min(1)),
  keywords: Keywords.nullish(),
});

const ServiceObject = z.strictObject({
  service: z.enum(['echo', 'discard', 'http', 'ping', 'traffic']),
  /** Servers: the port listened on; traffic: the destination port. */
  port: z.number().int().min(1).max(65535).nullish(),
  /** Listen address (an IPv4 or IPv6 literal); absent = every address of the host, both families. */
  address: z.string().min(1).nullish(),
  /** http: directory served, relative to the config file. */
  root: z.string().min(1).nullish(),
  /** ping, traffic: the address sent to (one of the config's hosts). */
  target: z.string().min(1).nullish(),
  /** ping: ms between echo requests. */
  intervalMs: z.number().int().min(10).max(3_600_000).nullish(),
  /** traffic: datagrams per second. */
  rate: z.number().int().min(1).max(100_000).nullish(),
  /** ping: ICMP data bytes; traffic: UDP payload bytes. */
  size: z.number().int().min(0).max(65_000).nullish(),
  /** ping, traffic: how many in all (every generated flow is bounded). */
  count: z.number().int().min(1).max(10_000_000).nullish(),
});

const HostObject = z.strictObject({
  verifier: z.boolean().nullish(),
  /** Processors the host's stacks run on (1 = today's single-processor runtime). */
  processors: z.number().int().min(1).max(64).nullish(),
  /** What a processor failure does (accepted and validated; the behaviour comes with processor failure handling). */
  processorFailure: z.enum(['continue', 'stop']).nullish(),
  services: listOf(ServiceObject).nullish(),
  filters: DriverRefs.nullish(),
  protocols: DriverRefs.nullish(),
  adapters: z.record(Name, AdapterObject.nullable()).nullish(),
  intermediates: listOf(IntermediateObject).nullish(),
});

export const StackConfigSchema = z.strictObject({
  wires: z.record(Name, WireObject.nullable()).nullish(),
  drivers: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1))).nullish(),
  hosts: z.record(Name, HostObject.nullable()),
});

export type RawStackConfig = z.infer<typeof StackConfigSchema>;
export type RawHost = z.infer<typeof HostObject>;
export type RawAdapter = z.infer<typeof AdapterObject>;
export type RawDriverRef = z.infer<typeof DriverRefObject>;
export type RawIntermediate = z.infer<typeof IntermediateObject>;
export type RawService = z.infer<typeof ServiceObject>;
export type RawWire = z.infer<typeof WireObject>;

/** The keys an object at `path` may have (for "unknown key" messages). */
function allowedKeysAt(path: readonly PathElement[]): readonly string[] {
  const p = path.map((e) => (typeof e === 'number' ? '#' : e));
  const n = p.length;
  if (n === 0) return Object.keys(StackConfigSchema.shape);
  if (n === 2 && p[0] === 'wires') return Object.keys(WireObject.shape);
  if (n === 2 && p[0] === 'hosts') return Object.keys(HostObject.shape);
  if (n === 4 && p[2] === 'adapters') return Object.keys(AdapterObject.shape);
  if (n === 4 && p[2] === 'intermediates') return Object.keys(IntermediateObject.shape);
  if (n === 4 && p[2] === 'services') return Object.keys(ServiceObject.shape);
  if (p[n - 1] === '#' && (p[n - 2] === 'filters' || p[n - 2] === 'protocols')) return Object.keys(DriverRefObject.shape);
  return [];
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

type Issue = z.core.$ZodIssue;

function issueDetail(issue: Issue, path: readonly PathElement[]): { path: readonly PathElement[]; detail: string } {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const allowed = allowedKeysAt(path);
      return { path: [...path, key], detail: `unknown key '${key}'${allowed.length > 0 ? ` (allowed here: ${allowed.join(', ')})` : ''}` };
    }
    case 'invalid_type':
      if (issue.expected === 'object' && path.length >= 2 && typeof path[path.length - 1] === 'number' && (path[path.length - 2] === 'filters' || path[path.length - 2] === 'protocols')) {
        return { path, detail: `expected a driver name or a mapping { driver, keywords }, got ${describe(input)}` };
      }
      if (input === undefined) return { path, detail: `is required (${EXPECTED[issue.expected] ?? issue.expected})` };
      return { path, detail: `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}` };
    case 'invalid_key': {
      const sub = issue.issues[0];
      const why = sub !== undefined && sub.code === 'invalid_format' ? ` (names start with a letter or digit and use only letters, digits, '.', '_' and '-')` : '';
      return { path, detail: `invalid name ${JSON.stringify(String(input ?? path[path.length - 1] ?? ''))}${why}` };
    }
    case 'invalid_union':
      // Only `lower` is a union (one adapter, or a team's list of members).
      if (input === undefined) return { path, detail: 'is required (an adapter name, or a list of them for a teaming driver)' };
      return { path, detail: `expected an adapter name or a list of adapter names, got ${describe(input)}` };
    case 'invalid_format':
      return { path, detail: `invalid name ${describe(input)} (names start with a letter or digit and use only letters, digits, '.', '_' and '-')` };
    case 'too_small':
      if (issue.origin === 'string') return { path, detail: 'must not be empty' };
      if (issue.origin === 'array') return { path, detail: `must list at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}` };
      return { path, detail: `${describe(input)} is below the minimum ${String(issue.minimum)}` };
    case 'too_big':
      return { path, detail: `${describe(input)} is above the maximum ${String(issue.maximum)}` };
    case 'invalid_value':
      return { path, detail: `${describe(input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, detail: issue.message };
  }
}

/** Checks the document's shape; throws the first problem as a ConfigError (unknown keys first). */
export function checkShape(file: string, data: unknown): RawStackConfig {
  if (data === null || data === undefined) throw new ConfigError(file, '', 'the file is empty (expected a mapping with at least `hosts`)');
  const r = StackConfigSchema.safeParse(data, { reportInput: true });
  if (r.success) return r.data;
  const issues = r.error.issues;
  const first = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  const { path, detail } = issueDetail(first, first.path.filter((e): e is PathElement => typeof e !== 'symbol'));
  throw new ConfigError(file, formatKeyPath(path), detail);
}
