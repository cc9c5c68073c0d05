/**
 * The text renderer: an `!ndiskd.netreport` / `!ndiskd.miniports`-like tree per host. Each adapter
 * shows its stack as NDIS layers it, top to bottom: protocol bindings, filter modules (top-most first),
 * the miniport; states in brackets, edge counters under each layer, and a driver's own `inspect()`
 * output where it has one. Pools, allocator use and verifier findings follow each host.
 *
 * Deterministic: the output depends only on the snapshot (no clock, no timestamps; adapters and pools
 * are sorted by name in the model), so it can be compared with golden files.
 */
import type { AdapterSnapshot, BindingSnapshot, CountersSnapshot, FilterSnapshot, OutstandingSnapshot, ProcessorsSnapshot, RuntimeSnapshot } from './model.js';
import { speedString } from './names.js';

interface TreeNode {
  readonly label: string;
  readonly details: readonly string[];
  readonly children: readonly TreeNode[];
}

const WRAP = 100;

function node(label: string, details: readonly string[] = [], children: readonly TreeNode[] = []): TreeNode {
  return { label, details, children };
}

function renderTree(root: TreeNode): string[] {
  const lines = [root.label];
  const detailPrefix = root.children.length > 0 ? '│  ' : '   ';
  for (const d of root.details) lines.push(`${detailPrefix}${d}`);
  renderChildren(root.children, '', lines);
  return lines;
}

function renderChildren(children: readonly TreeNode[], prefix: string, lines: string[]): void {
  children.forEach((c, i) => {
    const last = i === children.length - 1;
    lines.push(`${prefix}${last ? '└── ' : '├── '}${c.label}`);
    const inner = prefix + (last ? '    ' : '│   ');
    const detailPrefix = inner + (c.children.length > 0 ? '│  ' : '   ');
    for (const d of c.details) lines.push(`${detailPrefix}${d}`.trimEnd());
    renderChildren(c.children, inner, lines);
  });
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function filterText(value: number, names: readonly string[]): string {
  return names.length === 0 ? `${hex(value)} (none)` : `${hex(value)} ${names.join('|')}`;
}

function countersText(c: CountersSnapshot, o: OutstandingSnapshot | null, heldWord = 'receives'): string {
  const parts = [`sent ${c.sent}`, `completed ${c.sendCompleted}`];
  if (c.sendFailed > 0) parts.push(`failed ${c.sendFailed}`);
  parts.push(`received ${c.received}`, `returned ${c.returned}`, `dropped ${c.dropped}`);
  if (o !== null) parts.push(`outstanding ${o.sends} sends / ${o.receives} ${heldWord}`);
  return parts.join('  ');
}

/** `{a: {b: 1}, c: 2}` → ['a.b=1', 'c=2']. */
function flatten(value: unknown, path: string, out: string[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && path !== '') out.push(`${path}={}`);
    for (const [k, v] of entries) flatten(v, path === '' ? k : `${path}.${k}`, out);
    return;
  }
  const text = Array.isArray(value) ? `[${value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',')}]` : String(value);
  out.push(path === '' ? text : `${path}=${text}`);
}

/** inspect() output as wrapped `key=value` lines. */
function inspectLines(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const pairs: string[] = [];
  flatten(value, '', pairs);
  return wrapped('inspect:', pairs);
}

/** A miniport's statistics, non-zero counters only (the JSON has them all). */
function statisticsLines(s: Readonly<Record<string, number>> | null): string[] {
  if (s === null) return [];
  const pairs = Object.entries(s).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`);
  return wrapped('statistics:', pairs.length === 0 ? ['all zero'] : pairs);
}

/** `label p1 p2 …`, wrapped at WRAP columns with continuation lines indented. */
function wrapped(label: string, pairs: readonly string[]): string[] {
  const lines: string[] = [];
  let cur = label;
  for (const p of pairs) {
    if (cur.length + 1 + p.length > WRAP && cur.length > label.length) {
      lines.push(cur);
      cur = `${' '.repeat(label.length)}${p}`;
    } else {
      cur += ` ${p}`;
    }
  }
  lines.push(cur);
  return lines;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** A replicated adapter (its statistics and inspect above are sums): each processor's non-zero numbers. */
function perProcessorLines(a: AdapterSnapshot): string[] {
  if (a.perProcessor === undefined) return [];
  const lines: string[] = [];
  for (const p of a.perProcessor) {
    const pairs: string[] = [];
    flatten({ ...(p.statistics ?? {}), ...(p.inspect !== null && typeof p.inspect === 'object' && !Array.isArray(p.inspect) ? p.inspect : {}) }, '', pairs);
    const nonZero = pairs.filter((x) => !/=(0|\[(0,)*0\])$/.test(x));
    lines.push(...wrapped(`processor ${p.processor} [${p.state}]:`, nonZero.length === 0 ? ['all zero'] : nonZero));
  }
  return lines;
}

function bindingNode(b: BindingSnapshot, width: number): TreeNode {
  const upper = b.virtualMiniports.length > 0 ? `  → ${b.virtualMiniports.map((n) => n.slice(n.lastIndexOf('/') + 1)).join(', ')}` : '';
  const role = b.intermediate ? 'im-lower' : 'binding';
  const details = [`packet filter ${filterText(b.packetFilter, b.packetFilterNames)}${b.failed ? '  FAILED' : ''}`, countersText(b.counters, b.outstanding, 'held'), ...inspectLines(b.inspect)];
  return node(`${pad(role, 9)} ${pad(b.protocol, width)} [${b.state}]${upper}`, details);
}

function filterNode(f: FilterSnapshot, width: number): TreeNode {
  const name = f.above === null ? f.driver : `${f.driver}@${f.above}`;
  const kind = f.type === 'monitoring' ? `monitoring, ${f.runType}` : `${f.type}, ${f.class}, ${f.runType}`;
  const originated = f.originated.sends > 0 || f.originated.receives > 0 ? `  originated ${f.originated.sends} sends / ${f.originated.receives} receives outstanding` : '';
  const details = [`level ${f.level}, ${kind}${f.failed ? ', FAILED' : ''}`, countersText(f.counters, null) + originated, ...inspectLines(f.inspect)];
  return node(`${pad('filter', 9)} ${pad(name, width)} [${f.state}]`, details);
}

function adapterNode(a: AdapterSnapshot): TreeNode {
  const names = [...a.bindings.map((b) => b.protocol), ...a.filters.map((f) => (f.above === null ? f.driver : `${f.driver}@${f.above}`)), a.driver];
  const width = Math.max(...names.map((n) => n.length));
  const header: string[] = [];
  if (a.createdBy !== null) header.push(`virtual miniport of ${a.createdBy}`);
  const link = a.link === null ? 'link unknown' : `link ${a.link.mediaConnectState}${a.link.xmitSpeedBps === null ? '' : ` ${speedString(a.link.xmitSpeedBps)}`}${a.link.duplex === 'unknown' ? '' : ` ${a.link.duplex} duplex`}`;
  header.push(`${a.medium}  MAC ${a.mac ?? 'none'}  MTU ${a.mtu ?? '?'}  ${link}`);
  if (a.offloads !== null) header.push(`offloads ${a.offloads.current}${a.offloads.hardware === a.offloads.current ? '' : `  (hardware: ${a.offloads.hardware})`}`);
  header.push(`packet filter ${filterText(a.packetFilter, a.packetFilterNames)}  lookahead ${a.lookahead}${a.multicastList.length > 0 ? `  multicast ${a.multicastList.join(' ')}` : ''}`);
  const flags = [a.failed ? 'FAILED' : '', a.resetInProgress ? 'reset in progress' : '', a.surpriseRemoved ? 'surprise removed' : ''].filter((s) => s !== '');
  if (flags.length > 0) header.push(flags.join(', '));

  const miniport = node(`${pad('miniport', 9)} ${pad(a.driver, width)} [${a.state}]`, [countersText(a.counters, a.outstanding), ...statisticsLines(a.statistics), ...inspectLines(a.inspect), ...perProcessorLines(a)]);
  const layers = [...a.bindings.map((b) => bindingNode(b, width)), ...[...a.filters].reverse().map((f) => filterNode(f, width)), miniport];
  return node(`adapter ${a.shortName}  ifIndex ${a.ifIndex}  [${a.state}]`, header, layers);
}

function poolsNode(s: RuntimeSnapshot): TreeNode {
  const rows = s.pools.map((p) => [p.name, p.kind === 'NetBufferList' ? 'NBL' : 'NB', p.owner ?? '-', String(p.capacity), String(p.inUse), String(p.exhausted)]);
  const head = ['name', 'kind', 'owner', 'capacity', 'in use', 'exhausted'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : pad(c, widths[i]!))).join('  ').trimEnd();
  const a = s.allocator;
  const alloc = `allocator in use: mappings ${a.mappings.inUse}/${a.mappings.capacity}  small ${a.small.inUse}/${a.small.capacity}  large ${a.large.inUse}/${a.large.capacity}  context blocks ${a.contextBlocks.inUse}/${a.contextBlocks.capacity}`;
  const table = rows.length === 0 ? ['(no pools)'] : [line(head), ...rows.map(line)];
  return node(`pools (${s.pools.length})`, [...table, alloc]);
}

/** Drop reasons: one line per (module, reason) that counted a frame. */
function dropsNode(drops: NonNullable<RuntimeSnapshot['drops']>): TreeNode {
  const total = drops.reduce((n, d) => n + d.count, 0);
  return node(`drops ${total}`, drops.map((d) => `${d.module}  ${d.reason}  ${d.count}`));
}

function verifierNode(s: RuntimeSnapshot): TreeNode {
  const v = s.verifier;
  if (!v.enabled) return node('verifier off');
  const details = Object.entries(v.byRule).map(([rule, n]) => `${rule}: ${n}`);
  for (const x of v.first) details.push(`[${x.rule}] ${x.module}: ${x.detail}`);
  if (v.total > v.first.length) details.push(`… ${v.total - v.first.length} more`);
  return node(`verifier on, ${v.total} violation${v.total === 1 ? '' : 's'}`, details);
}

/** Processors (multi-processor hosts): non-zero crossing counters per processor, edges, replicas. */
function processorsNode(p: ProcessorsSnapshot): TreeNode {
  const lines: string[] = [];
  for (const x of p.processors) {
    const nonZero = Object.entries(x.counters).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`);
    const waiting = x.rings.filter((r) => r.descriptors !== 0 || r.returns !== 0).map((r) => `from ${r.from}: ${r.descriptors < 0 ? 'dead' : r.descriptors} in, ${r.returns < 0 ? 'dead' : r.returns} back`);
    const queued = x.dpcsQueued !== null && x.dpcsQueued > 0 ? [`dpcs queued ${x.dpcsQueued}`] : [];
    const detail = [...nonZero, ...queued, ...(waiting.length === 0 ? [] : [`rings ${waiting.join(', ')}`])];
    lines.push(`processor ${x.number} (${x.kind}) [${x.state}]: ${detail.length === 0 ? 'idle' : detail.join('  ')}`);
  }
  for (const e of p.edges) {
    lines.push(`edge ${e.name} (${e.kind} ${e.from}→${e.to}): crossed ${e.crossed}  returned ${e.returned}  refused ${e.refused}  lent ${e.lent}  shells out ${e.shellsOut}`);
  }
  for (const r of p.replicas) lines.push(`replica ${r.adapter}@${r.processor} [${r.state}]: ${countersText(r.counters, { sends: 0, receives: r.receivesOutstanding })}`);
  return node(`processors ${p.count} (${p.mode})`, lines);
}

function hostLines(s: RuntimeSnapshot): string[] {
  const drivers = s.drivers.map((d) => d.name).join(', ');
  const log = s.log.suppressed > 0 ? [`log: ${s.log.logged} messages, ${s.log.suppressed} suppressed by the rate limit`] : [];
  const processors = s.processors === undefined ? [] : [processorsNode(s.processors)];
  return renderTree(node(`host ${s.host}`, [`drivers: ${drivers || 'none'}`, ...log], [...processors, ...s.adapters.map(adapterNode), poolsNode(s), ...(s.drops === undefined ? [] : [dropsNode(s.drops)]), verifierNode(s)]));
}

/** The tree for every host, hosts separated by a blank line; ends with a newline. */
export function renderText(snapshots: readonly RuntimeSnapshot[]): string {
  return `${snapshots.map((s) => hostLines(s).join('\n')).join('\n\n')}\n`;
}
