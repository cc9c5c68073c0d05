/**
 * The dashboard page: HTML and one plain ES module, served as they are (no build step, no framework —
 * a graph of boxes, a few tables and two forms do not need one). The script polls /api/snapshot once a
 * second, keeps the previous snapshot to turn counters into rates, and redraws; verifier violations come
 * as they happen over /api/events (server-sent events). Everything it shows is built with textContent /
 * setAttribute, never innerHTML, so names from configs cannot inject markup.
 *
 * The graph: one column per adapter, bottom → top as NDIS stacks it (miniport, filter modules,
 * bindings); an intermediate driver's virtual miniport stands on the binding that created it, joined to
 * it by a line; virtual wires run under the miniports they join. Drops/s is the sum of a module's drop
 * counters — the runtime's own and the named reasons of the host's drop registry (what `tsndis drops`
 * lists); a module that recorded none there falls back to its miniport's discard/error statistics and its
 * driver's counters named as drops (dropped…, …Discards, …Errors, filteredOut) — each shown as a reason.
 */

/** The page; `__TOKEN__` is replaced by the dashboard's token (hex), so the script's request carries it too. */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tsndis dashboard</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #1d2430; background: #f6f7f9; }
  h1 { font-size: 18px; margin: 0 0 8px; } h2 { font-size: 14px; margin: 18px 0 6px; }
  #status { color: #667; margin-bottom: 8px; }
  svg { background: #fff; border: 1px solid #d5d9e0; border-radius: 6px; }
  .node rect { stroke: #5b6b85; fill: #eef3fb; rx: 5; }
  .node[data-state="Paused"] rect, .node[data-state="Pausing"] rect { fill: #fff4d6; stroke: #b8860b; }
  .node[data-role="miniport"] rect { fill: #e4f4ea; }
  .node[data-role="intermediate"] rect { fill: #f1e8fb; stroke: #7a5aa6; }
  .wire rect { fill: #5b6b85; } .wire text { font-size: 11px; fill: #fff; font-weight: 600; }
  .im-link { stroke: #7a5aa6; stroke-width: 2; stroke-dasharray: 4 3; }
  .wire-link { stroke: #5b6b85; stroke-width: 2; }
  td.reasons { color: #8a3b12; font-size: 12px; }
  #violations tr.new td { background: #fde8e8; }
  .node text { font-size: 11px; fill: #1d2430; }
  .host-label { font-weight: 600; font-size: 12px; }
  table { border-collapse: collapse; background: #fff; }
  th, td { border: 1px solid #d5d9e0; padding: 2px 8px; text-align: left; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  button { font: inherit; margin-right: 4px; }
  pre { background: #fff; border: 1px solid #d5d9e0; padding: 6px; max-height: 240px; overflow: auto; }
</style>
</head>
<body>
<h1>tsndis</h1>
<div id="status">connecting…</div>
<div id="action"></div>
<svg id="graph" width="100%" height="300" preserveAspectRatio="xMinYMin meet"></svg>
<h2>Modules</h2>
<table id="modules"><thead><tr><th>module</th><th>role</th><th>state</th><th>rx/s</th><th>tx/s</th><th>bytes/s</th><th>drops/s</th><th>drop reasons</th><th>actions</th></tr></thead><tbody></tbody></table>
<h2>Captures</h2>
<div id="capture-dir">Capture starts a pcapng capture of an adapter (as tsndis capture --attach) into a file on the server; stop it to download the file.</div>
<table id="captures"><thead><tr><th>adapter</th><th>state</th><th>file on the server</th><th>bytes</th><th>download</th></tr></thead><tbody></tbody></table>
<h2>OID query</h2>
<form id="oid"><select id="oid-adapter"></select> <input id="oid-name" value="OID_GEN_LINK_STATE" size="36"> <button type="submit">query</button></form>
<pre id="oid-result"></pre>
<h2>Pools</h2>
<table id="pools"><thead><tr><th>host</th><th>pool</th><th>owner</th><th>in use</th><th>high water</th><th>capacity</th><th>exhausted</th></tr></thead><tbody></tbody></table>
<h2>Verifier violations</h2>
<div id="violation-count">none</div>
<table id="violations"><thead><tr><th>#</th><th>host</th><th>rule</th><th>module</th><th>detail</th><th>NBL history</th></tr></thead><tbody></tbody></table>
<h2>TCP connections</h2>
<table id="connections"><thead><tr><th>host</th><th>proto</th><th>local</th><th>remote</th><th>state</th><th>recv-q</th><th>send-q</th></tr></thead><tbody></tbody></table>
<script type="module" src="app.js?token=__TOKEN__"></script>
</body>
</html>
`;

export const DASHBOARD_SCRIPT = `
const token = new URLSearchParams(location.search).get('token') ?? '';
const headers = { 'x-tsndis-token': token };
let previous = null;

async function api(path, body) {
  const r = await fetch(path, body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok && r.status !== 400) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

const SVG = new Set(['svg', 'g', 'rect', 'text', 'line']);
function el(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG.has(tag) ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Every block of every host: miniports, filter modules, bindings (intermediate ones apart), with their counters. */
function modules(snapshot) {
  const out = [];
  for (const h of snapshot.hosts) {
    const named = namedDrops(h);
    for (const a of h.adapters) {
      out.push({ host: h.host, adapter: a.name, name: a.name, role: 'miniport', state: a.state, counters: a.counters, statistics: a.statistics, inspect: a.inspect, drops: named.get(a.name) });
      for (const f of a.filters) out.push({ host: h.host, adapter: a.name, name: f.name, role: 'filter', state: f.state, counters: f.counters, inspect: f.inspect, drops: named.get(f.name) });
      for (const b of a.bindings) out.push({ host: h.host, adapter: a.name, name: b.name, role: b.intermediate ? 'intermediate' : 'binding', state: b.state, counters: b.counters, inspect: b.inspect, drops: named.get(b.name) });
    }
  }
  return out;
}

const STAT_DROPS = ['rcvDiscards', 'rcvErrors', 'rcvNoBuffer', 'xmitDiscards', 'xmitErrors'];
const DROP_NAME = /^(dropped|filteredOut$)|Dropped$|Discards$|Drops$|NoBuffer$|Errors$/;
/** Breakdowns and a wire's own counters (shared by every adapter on it) are not the module's drops. */
const SKIP = new Set(['classes', 'wire']);

/** The host's drop-reason registry (core/runtime/drops.ts, as \`tsndis drops\` lists it): module → reason → count. */
function namedDrops(h) {
  const by = new Map();
  for (const d of h.drops ?? []) {
    let m = by.get(d.module);
    if (m === undefined) by.set(d.module, (m = {}));
    m[d.reason] = d.count;
  }
  return by;
}

/**
 * A module's drop counters by reason: the runtime's, then the named reasons it recorded in the drop
 * registry; a module that recorded none falls back to its statistics' and its driver's counters named as drops.
 */
function dropCounters(m) {
  const out = { dropped: m.counters.dropped };
  if (m.drops !== undefined) return Object.assign(out, m.drops);
  for (const k of STAT_DROPS) if (typeof m.statistics?.[k] === 'number') out[k] = m.statistics[k];
  const walk = (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (SKIP.has(k)) continue;
      const p = path === '' ? k : path + '.' + k;
      if (typeof x === 'number') { if (DROP_NAME.test(k)) out[p] = x; }
      else walk(x, p);
    }
  };
  walk(m.inspect, '');
  return out;
}

function rates(snapshot) {
  const rate = new Map();
  const before = previous === null ? null : new Map(modules(previous).map((m) => [m.name, m]));
  const dt = previous === null ? 0 : (snapshot.time - previous.time) / 1000;
  const per = (now, then) => (then === undefined || dt <= 0 ? 0 : Math.max(0, (now - then) / dt));
  for (const m of modules(snapshot)) {
    const p = before?.get(m.name);
    const bytes = (x) => (x?.statistics ? (x.statistics.bytesRcv ?? 0) + (x.statistics.bytesXmit ?? 0) : undefined);
    const drops = dropCounters(m);
    const before_ = p === undefined ? {} : dropCounters(p);
    const reasons = [];
    let total = 0;
    for (const [k, v] of Object.entries(drops)) {
      const r = per(v, before_[k]);
      total += r;
      if (r > 0) reasons.push([k, r]);
    }
    reasons.sort((x, y) => y[1] - x[1]);
    rate.set(m.name, { rx: per(m.counters.received, p?.counters.received), tx: per(m.counters.sent, p?.counters.sent), bytes: m.statistics ? per(bytes(m), bytes(p)) : null, drops: total, reasons });
  }
  return rate;
}

const fmt = (x) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1));

/**
 * Adapters of a host in drawing order: each physical one, then what intermediates built on it. A virtual
 * miniport made by the top-most binding of its lower adapter stands right on it (same column); others
 * (more than one, or a binding with others above it) get columns of their own.
 */
function columns(h) {
  const creator = new Map();
  for (const a of h.adapters) a.bindings.forEach((b, i) => creator.set(b.name, { adapter: a, index: 1 + a.filters.length + i, top: i === a.bindings.length - 1 }));
  const out = [];
  const seen = new Set();
  const visit = (a, bottom, on) => {
    if (seen.has(a.name)) return;
    seen.add(a.name);
    out.push({ a, bottom, on });
    let stacked = false;
    for (const v of h.adapters) {
      const c = v.createdBy === null ? undefined : creator.get(v.createdBy);
      if (c === undefined || c.adapter !== a) continue;
      visit(v, bottom + c.index + 1, c.top && !stacked ? a.name : null);
      stacked ||= c.top;
    }
  };
  for (const a of h.adapters) if (a.createdBy === null || !creator.has(a.createdBy)) visit(a, 0, null);
  for (const a of h.adapters) visit(a, 0, null);
  return out;
}

function drawGraph(snapshot, rate) {
  const svg = document.getElementById('graph');
  svg.replaceChildren();
  const W = 260, H = 44, GAP = 10, TOP = 30;
  // Place every column first (x, bottom slot), then turn slots into y with the tallest on top.
  const placed = [];
  let x = 10, topSlot = 0;
  for (const h of snapshot.hosts) {
    svg.append(el('text', { x, y: 18, class: 'host-label', 'data-host': h.host }, 'host ' + h.host));
    const xOf = new Map();
    for (const { a, bottom, on } of columns(h)) {
      const blocks = [[a, 'miniport'], ...a.filters.map((f) => [f, 'filter']), ...a.bindings.map((b) => [b, b.intermediate ? 'intermediate' : 'binding'])];
      // 'on': the adapter whose column this one stands on.
      const at = on === null ? x : xOf.get(on);
      xOf.set(a.name, at);
      placed.push({ a, x: at, bottom, blocks });
      topSlot = Math.max(topSlot, bottom + blocks.length - 1);
      if (on === null) x += W + 20;
    }
    x += 20;
  }
  const yOf = (slot) => TOP + (topSlot - slot) * (H + GAP);
  const centre = new Map();
  for (const { a, x, bottom, blocks } of placed) {
    blocks.forEach(([m, role], i) => {
      const y = yOf(bottom + i);
      const attrs = { class: 'node', 'data-module': m.name, 'data-role': role, 'data-state': m.state, transform: 'translate(' + x + ',' + y + ')' };
      if (role === 'miniport' && a.createdBy !== null) attrs['data-created-by'] = a.createdBy;
      const g = el('g', attrs);
      g.append(el('rect', { width: W, height: H }));
      g.append(el('text', { x: 6, y: 15 }, m.name + '  [' + m.state + ']'));
      const r = rate.get(m.name) ?? { rx: 0, tx: 0, drops: 0 };
      g.append(el('text', { x: 6, y: 32, class: 'rate' }, 'rx ' + fmt(r.rx) + '/s  tx ' + fmt(r.tx) + '/s  drops ' + fmt(r.drops) + '/s'));
      if (i > 0) svg.append(el('line', { x1: x + W / 2, y1: y + H, x2: x + W / 2, y2: y + H + GAP, stroke: '#5b6b85' }));
      svg.append(g);
      centre.set(m.name, { x: x + W / 2, top: y, bottom: y + H });
    });
  }
  // An intermediate's binding to each virtual miniport it created.
  for (const { a } of placed) {
    if (a.createdBy === null) continue;
    const from = centre.get(a.createdBy), to = centre.get(a.name);
    if (from === undefined || to === undefined) continue;
    svg.append(el('line', { class: 'im-link', 'data-from': a.createdBy, 'data-to': a.name, x1: from.x, y1: from.top, x2: to.x, y2: to.bottom }));
  }
  // Virtual wires under the miniports they join.
  let y = yOf(0) + H + 24;
  for (const w of snapshot.wires ?? []) {
    const ends = w.adapters.map((n) => [n, centre.get(n)]).filter(([, c]) => c !== undefined);
    if (ends.length === 0) continue;
    const x1 = Math.min(...ends.map(([, c]) => c.x)) - 40, x2 = Math.max(...ends.map(([, c]) => c.x)) + 40;
    for (const [n, c] of ends) svg.append(el('line', { class: 'wire-link', 'data-wire': w.name, 'data-adapter': n, x1: c.x, y1: c.bottom, x2: c.x, y2: y }));
    const g = el('g', { class: 'wire', 'data-wire': w.name, 'data-adapters': w.adapters.join(' ') });
    g.append(el('rect', { x: x1, y, width: x2 - x1, height: 18, rx: 4 }));
    g.append(el('text', { x: x1 + 8, y: y + 13 }, 'wire ' + w.name + ' (' + w.adapters.length + ' adapter' + (w.adapters.length === 1 ? '' : 's') + ')'));
    svg.append(g);
    y += 30;
  }
  const height = Math.max(120, y + 10);
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', '0 0 ' + Math.max(x, 400) + ' ' + height);
}

function fill(id, rows) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...rows.map((cells) => {
    const tr = el('tr');
    for (const c of cells) {
      if (c instanceof Node) { const td = el('td'); td.append(c); tr.append(td); }
      else if (Array.isArray(c)) tr.append(el('td', { class: c[0] }, String(c[1])));
      else tr.append(el('td', typeof c === 'number' ? { class: 'num' } : {}, String(c)));
    }
    return tr;
  }));
}

function say(text) {
  document.getElementById('action').textContent = text;
}

async function act(adapter, action) {
  const r = await api('/api/control', { op: 'adapter', adapter, action });
  say(r.ok ? adapter + ': ' + action + ' → ' + r.state : 'error: ' + r.error);
  await refresh();
}

async function captureAction(adapter, action) {
  const r = await api('/api/capture', { adapter, action });
  say(r.ok ? adapter + ': capture ' + (action === 'start' ? 'started → ' : 'stopped → ') + r.capture.file : 'error: ' + r.error);
  if (r.ok) document.getElementById('capture-dir').textContent = 'Captures are written on the server to ' + r.dir + '; stop one to download it.';
  await drawCaptures();
}

async function drawCaptures() {
  const { captures } = await api('/api/captures');
  fill('captures', captures.map((c) => {
    let link = '-';
    if (!c.running) {
      link = el('a', { href: 'api/capture/' + encodeURIComponent(c.name) + '?token=' + encodeURIComponent(token), download: c.name, 'data-capture': c.name }, 'download');
    }
    return [c.adapter, c.running ? 'running' : 'stopped', c.file, c.bytes, link];
  }));
}

function button(action, adapter, label, onClick) {
  const b = el('button', { 'data-action': action, 'data-adapter': adapter }, label);
  b.addEventListener('click', onClick);
  return b;
}

function draw(snapshot) {
  const rate = rates(snapshot);
  drawGraph(snapshot, rate);
  fill('modules', modules(snapshot).map((m) => {
    const r = rate.get(m.name);
    let actions = '';
    if (m.role === 'miniport') {
      actions = el('span');
      for (const a of ['pause', 'restart']) actions.append(button(a, m.name, a, () => act(m.name, a)));
      actions.append(button('capture-start', m.name, 'capture', () => captureAction(m.name, 'start')));
      actions.append(button('capture-stop', m.name, 'stop capture', () => captureAction(m.name, 'stop')));
    }
    const reasons = r.reasons.map(([k, v]) => k + ' ' + fmt(v) + '/s').join(', ');
    return [m.name, m.role, m.state, Number(fmt(r.rx)), Number(fmt(r.tx)), r.bytes === null ? '-' : Number(fmt(r.bytes)), Number(fmt(r.drops)), ['reasons', reasons], actions];
  }));
  fill('pools', snapshot.hosts.flatMap((h) => h.pools.map((p) => [h.host, p.name, p.owner ?? '-', p.inUse, p.highWater, p.capacity, p.exhausted])));
  fill('connections', snapshot.connections.flatMap((h) => h.connections.map((c) => [h.name, c.proto, c.local, c.remote, c.state, c.recvQ, c.sendQ])));
  const select = document.getElementById('oid-adapter');
  const names = snapshot.hosts.flatMap((h) => h.adapters.map((a) => a.name));
  if (select.options.length !== names.length) select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
  const violations = snapshot.hosts.reduce((n, h) => n + h.verifier.total, 0);
  document.getElementById('status').dataset.time = String(snapshot.time);
  document.getElementById('status').textContent = snapshot.hosts.length + ' host(s), ' + names.length + ' adapter(s), ' + (snapshot.wires ?? []).length + ' wire(s), ' + violations + ' verifier violation(s), updated ' + new Date(snapshot.time).toLocaleTimeString();
}

// Verifier violations as they happen, newest first (by the dashboard's sequence number).
const seen = new Map();
function showViolations(list) {
  for (const v of list) seen.set(v.seq, v);
  const rows = [...seen.values()].sort((a, b) => b.seq - a.seq).slice(0, 200);
  const body = document.querySelector('#violations tbody');
  body.replaceChildren(...rows.map((v) => {
    const tr = el('tr', { 'data-seq': v.seq, 'data-rule': v.rule });
    for (const c of [v.seq, v.host, v.rule, v.module, v.detail]) tr.append(el('td', {}, String(c)));
    const td = el('td');
    if (v.history !== undefined) td.append(el('pre', {}, v.history.map((e) => e.time.toFixed(3) + ' ' + e.event + ' ' + e.module + (e.to ? ' → ' + e.to : '') + (e.status !== undefined ? ' status 0x' + (e.status >>> 0).toString(16) : '')).join('\\n')));
    tr.append(td);
    return tr;
  }));
  document.getElementById('violation-count').textContent = seen.size === 0 ? 'none' : seen.size + ' shown (newest first)';
}

async function followViolations() {
  showViolations((await api('/api/violations')).violations);
  const events = new EventSource('api/events?token=' + encodeURIComponent(token));
  events.addEventListener('violation', (e) => showViolations([JSON.parse(e.data)]));
  // After a reconnect, fetch what was missed meanwhile.
  events.addEventListener('open', () => api('/api/violations').then((r) => showViolations(r.violations), () => {}));
}

async function refresh() {
  try {
    const s = await api('/api/snapshot');
    draw(s);
    previous = s;
  } catch (e) {
    document.getElementById('status').textContent = 'error: ' + e.message;
  }
}

document.getElementById('oid').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api('/api/control', { op: 'oid', adapter: document.getElementById('oid-adapter').value, type: 'query', oid: document.getElementById('oid-name').value.trim() });
  document.getElementById('oid-result').textContent = JSON.stringify(r, null, 2);
});

await refresh();
await drawCaptures();
await followViolations();
setInterval(refresh, 1000);
`;
