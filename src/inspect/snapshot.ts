/**
 * snapshotRuntime: reads one NdisRuntime into the inspector model (model.ts). It reads only public
 * fields of the runtime and its blocks, never changes anything and calls no driver code except an
 * optional `inspect()` method on a driver's adapter, module or binding object (a throwing `inspect()` is
 * shown as an error string, not propagated) and a miniport adapter's optional `statistics()`. Control-plane only: do not call it per packet.
 */
import type { NdisBlock } from '../core/runtime/block.js';
import type { FilterBlock } from '../core/runtime/filter-block.js';
import type { MiniportBlock } from '../core/runtime/miniport-block.js';
import type { OpenBlock } from '../core/runtime/open-block.js';
import type { RegisteredDriver } from '../core/runtime/registry.js';
import type { NdisRuntime } from '../core/runtime/runtime.js';
import type { NdisVersion } from '../ndis/driver-api.js';
import { describeOffload, isOffloadNone } from '../ndis/offload-config.js';
import type {
  CrossingEdgeSnapshot,
  ProcessorSnapshot,
  ProcessorsSnapshot,
  ReplicaSnapshot,
  AdapterSnapshot,
  BindingSnapshot,
  CountersSnapshot,
  DriverSnapshot,
  FilterSnapshot,
  LinkSnapshot,
  OffloadSnapshot,
  OidRequestSnapshot,
  OidsSnapshot,
  PoolSnapshot,
  RuntimeSnapshot,
} from './model.js';
import type { NdisOidRequest } from '../ndis/oid-request.js';
import { oidName, requestTypeName } from '../ndis/oids.js';
import { macString, mediumName, packetFilterNames } from './names.js';
import { adapterProcessors, processorSnapshots, sumNumericLeaves, summedStatistics } from './processors.js';

/** How many violations a snapshot lists in full. */
export const FIRST_VIOLATIONS = 10;

const LINK_SPEED_UNKNOWN = 0xffffffffffffffffn;
const MEDIA_CONNECT_CONNECTED = 1;
const MEDIA_CONNECT_DISCONNECTED = 2;
const DUPLEX_HALF = 1;
const DUPLEX_FULL = 2;

/**
 * Converts anything an `inspect()` method returns into JSON-able data: bigints become numbers (strings
 * beyond 2^53), Maps and Sets become objects and arrays, byte arrays become hex, functions are dropped,
 * cycles and depth beyond 6 become markers.
 */
export function toJsonable(value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (depth > 6) return '[…]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Uint8Array) return Array.from(value.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join('') + (value.length > 64 ? '…' : '');
    if (Array.isArray(value)) return value.slice(0, 100).map((v) => toJsonable(v, depth + 1, seen));
    if (value instanceof Set) return [...value].slice(0, 100).map((v) => toJsonable(v, depth + 1, seen));
    if (value instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of value) out[String(k)] = toJsonable(v, depth + 1, seen);
      return out;
    }
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'function') continue;
      out[k] = toJsonable(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function inspectOf(instance: unknown): unknown {
  if (instance === null || typeof instance !== 'object') return null;
  const fn = (instance as { inspect?: unknown }).inspect;
  if (typeof fn !== 'function') return null;
  try {
    return toJsonable(fn.call(instance));
  } catch (e) {
    return `inspect() threw: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The adapter's optional `statistics()` hook: numbers only (anything else is left out); null without one. */
function statisticsOf(instance: unknown): Record<string, number> | null {
  if (instance === null || typeof instance !== 'object') return null;
  const fn = (instance as { statistics?: unknown }).statistics;
  if (typeof fn !== 'function') return null;
  try {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(fn.call(instance) as object)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    return out;
  } catch {
    return null;
  }
}

function counters(b: NdisBlock): CountersSnapshot {
  const s = b.stats;
  return { sent: s.sent, sendCompleted: s.sendCompleted, sendFailed: s.sendFailed, received: s.received, returned: s.returned, dropped: s.dropped };
}

function version(v: NdisVersion | undefined): string | null {
  return v === undefined ? null : `${v.major}.${v.minor}`;
}

function speed(bps: bigint): number | null {
  return bps === LINK_SPEED_UNKNOWN ? null : Number(bps);
}

function driverSnapshot(d: RegisteredDriver): DriverSnapshot {
  const base = { name: d.name, kind: d.kind, ndisVersion: version(d.chars.ndisVersion) ?? '?', driverVersion: version(d.chars.driverVersion), description: d.chars.description ?? null };
  switch (d.kind) {
    case 'miniport':
      return { ...base, filterType: null, filterClass: null, runType: null, medium: mediumName(d.chars.medium), media: [] };
    case 'filter':
      return { ...base, filterType: d.chars.filterType, filterClass: d.chars.filterClass, runType: d.chars.runType, medium: null, media: d.chars.mediaTypes.map(mediumName) };
    case 'protocol':
      return { ...base, filterType: null, filterClass: null, runType: null, medium: null, media: d.chars.mediumArray.map(mediumName) };
    case 'intermediate':
      return { ...base, filterType: null, filterClass: null, runType: null, medium: mediumName(d.miniport.medium), media: d.protocol.mediumArray.map(mediumName) };
  }
}

function linkSnapshot(mb: MiniportBlock): LinkSnapshot | null {
  const ls = mb.linkState;
  if (ls === null) return null;
  const state = ls.mediaConnectState === MEDIA_CONNECT_CONNECTED ? 'connected' : ls.mediaConnectState === MEDIA_CONNECT_DISCONNECTED ? 'disconnected' : 'unknown';
  return {
    connected: state === 'connected',
    mediaConnectState: state,
    duplex: ls.mediaDuplexState === DUPLEX_FULL ? 'full' : ls.mediaDuplexState === DUPLEX_HALF ? 'half' : 'unknown',
    xmitSpeedBps: speed(ls.xmitLinkSpeed),
    rcvSpeedBps: speed(ls.rcvLinkSpeed),
  };
}

function offloadSnapshot(mb: MiniportBlock): OffloadSnapshot | null {
  const o = mb.offload;
  if (isOffloadNone(o.protocolHardware) && isOffloadNone(o.protocolCurrent)) return null;
  return { current: describeOffload(o.protocolCurrent), hardware: describeOffload(o.protocolHardware) };
}

function filterSnapshot(f: FilterBlock): FilterSnapshot {
  const monitoring = f.driver.filterType === 'monitoring';
  return {
    name: f.name,
    driver: f.driver.name,
    type: f.driver.filterType,
    class: f.driver.filterClass,
    runType: f.driver.runType,
    state: f.state,
    level: f.level,
    above: monitoring ? f.above : null,
    failed: f.failed,
    counters: counters(f),
    originated: { sends: f.ownSendsOutstanding, receives: f.ownReceivesOutstanding },
    inspect: inspectOf(f.instance),
  };
}

function bindingSnapshot(rt: NdisRuntime, b: OpenBlock): BindingSnapshot {
  return {
    name: b.name,
    protocol: b.protocol.name,
    intermediate: b.intermediate !== null,
    state: b.state,
    packetFilter: b.packetFilter,
    packetFilterNames: packetFilterNames(b.packetFilter),
    failed: b.failed,
    counters: counters(b),
    outstanding: { sends: b.sendsOutstanding, receives: b.receivesHeld },
    virtualMiniports: [...b.virtualMiniportIds].map((id) => rt.blockById(id)?.name ?? `#${id}`).sort(),
    inspect: inspectOf(b.instance),
  };
}

function adapterSnapshot(rt: NdisRuntime, mb: MiniportBlock): AdapterSnapshot {
  const g = mb.general;
  const perProcessor = adapterProcessors(rt, mb, (instance) => ({ statistics: statisticsOf(instance), inspect: inspectOf(instance) }));
  return {
    name: mb.name,
    shortName: mb.name.startsWith(`${rt.name}/`) ? mb.name.slice(rt.name.length + 1) : mb.name,
    driver: mb.driver.name,
    state: mb.state,
    ifIndex: mb.ifIndex,
    createdBy: mb.imParent?.name ?? null,
    medium: mediumName(g?.mediaType ?? mb.driver.medium),
    mac: macString(g?.currentMacAddress),
    permanentMac: macString(g?.permanentMacAddress),
    mtu: g?.mtuSize ?? null,
    link: linkSnapshot(mb),
    offloads: offloadSnapshot(mb),
    hdSplit: mb.hdSplit.config === null ? null : { ...mb.hdSplit.config, combinedByNdis: mb.hdSplit.combined, notCombined: mb.hdSplit.notCombined },
    packetFilter: mb.packetFilter,
    packetFilterNames: packetFilterNames(mb.packetFilter),
    lookahead: mb.currentLookahead,
    multicastList: mb.multicastList.map((m) => macString(m) ?? ''),
    failed: mb.failed,
    resetInProgress: mb.resetInProgress,
    surpriseRemoved: mb.surpriseRemoved,
    counters: counters(mb),
    outstanding: { sends: mb.sendsOutstanding, receives: mb.receivesOutstanding },
    statistics: perProcessor === null ? statisticsOf(mb.instance) : summedStatistics(perProcessor),
    inspect: perProcessor === null ? inspectOf(mb.instance) : sumNumericLeaves(perProcessor.map((p) => p.inspect)),
    ...(perProcessor === null ? {} : { perProcessor }),
    filters: mb.filters.map(filterSnapshot),
    bindings: mb.bindings.map((b) => bindingSnapshot(rt, b)),
    oids: oidsSnapshot(rt, mb),
  };
}

function oidsSnapshot(rt: NdisRuntime, mb: MiniportBlock): OidsSnapshot {
  const now = rt.scheduler.now();
  const log = mb.oidLog;
  const one = (r: NdisOidRequest, where: OidRequestSnapshot['where']): OidRequestSnapshot => ({ requestId: r.requestId, oid: oidName(r.oid), type: requestTypeName(r.requestType), where, ageMs: now - (log.startedAt(r) ?? now) });
  const pending: OidRequestSnapshot[] = [];
  if (mb.oidInFlight !== null) pending.push(one(mb.oidInFlight, 'in-flight'));
  for (const r of mb.oidQueue) pending.push(one(r, 'queued'));
  for (const r of mb.directInFlight) pending.push(one(r, 'direct'));
  return { pending, recent: log.recent(), completed: log.total };
}

function poolSnapshots(rt: NdisRuntime): PoolSnapshot[] {
  const blocks = rt.allBlocks();
  return [...rt.pools]
    .map((p) => ({
      name: p.name,
      kind: 'forEachAllocated' in p ? ('NetBufferList' as const) : ('NetBuffer' as const),
      owner: blocks.find((b) => b.pools.has(p))?.name ?? null,
      capacity: p.capacity,
      inUse: p.inUse,
      exhausted: p.exhaustedCount,
      highWater: p.highWater,
      allocations: p.allocations,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The processors of a multi-processor host, their crossing edges and the adapters' replicas. */
function processorsSnapshot(rt: NdisRuntime): ProcessorsSnapshot | null {
  const set = rt.processors;
  if (set === null) return null;
  const processors: ProcessorSnapshot[] = processorSnapshots(set);
  const edges: CrossingEdgeSnapshot[] = rt.crossingEdges.map((e) => ({
    name: e.home.name.slice(0, e.home.name.lastIndexOf('@')),
    kind: e.kind,
    from: e.from,
    to: e.to,
    crossed: e.home.crossed,
    returned: e.home.returned,
    refused: e.home.refused,
    lent: e.home.lent,
    shellsOut: e.far.shellsOut,
  }));
  const replicas: ReplicaSnapshot[] = [];
  for (const mb of rt.adapters.values()) {
    for (const r of rt.replicasOf(mb.name)) replicas.push({ adapter: mb.name, processor: r.processorNumber, state: r.state, receivesOutstanding: r.receivesOutstanding, counters: counters(r) });
  }
  return { mode: set.kind, count: set.count, processors, edges, replicas };
}

/** A snapshot of `rt`: drivers, adapter stacks, pools, allocator, verifier (and processors, when several). */
export function snapshotRuntime(rt: NdisRuntime): RuntimeSnapshot {
  const v = rt.verifier;
  const byRule: Record<string, number> = {};
  for (const rule of [...v.counts.keys()].sort()) byRule[rule] = v.counts.get(rule)!;
  const a = rt.allocator;
  const usage = a.usage();
  const processors = processorsSnapshot(rt);
  const drops = rt.drops.rows();
  return {
    host: rt.name,
    ...(processors === null ? {} : { processors }),
    verifier: {
      enabled: v.enabled,
      total: v.total,
      byRule,
      first: v.violations.slice(0, FIRST_VIOLATIONS).map((x) => ({ rule: x.rule, module: x.module, detail: x.detail, time: x.time })),
    },
    log: { logged: rt.logCounters.logged, suppressed: rt.logCounters.suppressed },
    drivers: [...rt.drivers.values()].map(driverSnapshot),
    adapters: [...rt.adapters.values()].map((mb) => adapterSnapshot(rt, mb)).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    pools: poolSnapshots(rt),
    allocator: {
      mappings: { capacity: a.mappings.capacity, inUse: usage.mappings },
      small: { capacity: a.small.capacity, inUse: usage.small },
      large: { capacity: a.large.capacity, inUse: usage.large },
      contextBlocks: { capacity: a.contextCapacity, inUse: usage.contextBlocks },
    },
    ...(drops.length === 0 ? {} : { drops }),
  };
}
