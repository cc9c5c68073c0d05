/**
 * The dashboard page: HTML and one plain ES module, served as they are (no build step, no framework —
 * a graph of boxes, a few tables and two forms do not need one). The script polls /api/snapshot once a
 * second, keeps the previous snapshot to turn counters into rates, and redraws. Everything it shows is
 * built with textContent / setAttribute, never innerHTML, so names from configs cannot inject markup.
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
<table id="modules"><thead><tr><th>module</th><th>role</th><th>state</th><th>rx/s</th><th>tx/s</th><th>drops/s</th><th>actions</th></tr></thead><tbody></tbody></table>
<h2>OID query</h2>
<form id="oid"><select id="oid-adapter"></select> <input id="oid-name" value="OID_GEN_LINK_STATE" size="36"> <button type="submit">query</button></form>
<pre id="oid-result"></pre>
<h2>Pools</h2>
<table id="pools"><thead><tr><th>host</th><th>pool</th><th>owner</th><th>in use</th><th>capacity</th><th>exhausted</th></tr></thead><tbody></tbody></table>
<h2>Verifier</h2>
<table id="violations"><thead><tr><th>host</th><th>rule</th><th>module</th><th>detail</th></tr></thead><tbody></tbody></table>
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
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(tag === 'svg' || ['g', 'rect', 'text', 'line'].includes(tag) ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Every block of every host: miniports, filter modules, bindings, with their counters. */
function modules(snapshot) {
  const out = [];
  for (const h of snapshot.hosts) {
    for (const a of h.adapters) {
      out.push({ host: h.host, adapter: a.name, name: a.name, role: 'miniport', state: a.state, counters: a.counters });
      for (const f of a.filters) out.push({ host: h.host, adapter: a.name, name: f.name, role: 'filter', state: f.state, counters: f.counters });
      for (const b of a.bindings) out.push({ host: h.host, adapter: a.name, name: b.name, role: 'binding', state: b.state, counters: b.counters });
    }
  }
  return out;
}

function rates(snapshot) {
  const now = new Map(modules(snapshot).map((m) => [m.name, m]));
  const rate = new Map();
  const before = previous === null ? null : new Map(modules(previous).map((m) => [m.name, m]));
  const dt = previous === null ? 0 : (snapshot.time - previous.time) / 1000;
  for (const [name, m] of now) {
    const p = before?.get(name);
    const per = (k) => (p === undefined || dt <= 0 ? 0 : Math.max(0, (m.counters[k] - p.counters[k]) / dt));
    rate.set(name, { rx: per('received'), tx: per('sent'), drops: per('dropped') });
  }
  return rate;
}

const fmt = (x) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1));

function drawGraph(snapshot, rate) {
  const svg = document.getElementById('graph');
  svg.replaceChildren();
  const W = 230, H = 44, GAP = 10;
  let x = 10, maxY = 0;
  for (const h of snapshot.hosts) {
    svg.append(el('text', { x, y: 18, class: 'host-label', 'data-host': h.host }, 'host ' + h.host));
    for (const a of h.adapters) {
      // Top to bottom: bindings, filter modules (top-most first), the miniport.
      const column = [...a.bindings.map((b) => [b, 'binding']), ...[...a.filters].reverse().map((f) => [f, 'filter']), [a, 'miniport']];
      let y = 30;
      let last = null;
      for (const [m, role] of column) {
        const g = el('g', { class: 'node', 'data-module': m.name, 'data-role': role, 'data-state': m.state, transform: 'translate(' + x + ',' + y + ')' });
        g.append(el('rect', { width: W, height: H }));
        g.append(el('text', { x: 6, y: 15 }, m.name + '  [' + m.state + ']'));
        const r = rate.get(m.name) ?? { rx: 0, tx: 0, drops: 0 };
        g.append(el('text', { x: 6, y: 32, class: 'rate' }, 'rx ' + fmt(r.rx) + '/s  tx ' + fmt(r.tx) + '/s  drops ' + fmt(r.drops) + '/s'));
        if (last !== null) svg.append(el('line', { x1: x + W / 2, y1: last, x2: x + W / 2, y2: y, stroke: '#5b6b85' }));
        svg.append(g);
        last = y + H;
        y += H + GAP;
      }
      maxY = Math.max(maxY, y);
      x += W + 20;
    }
    x += 20;
  }
  svg.setAttribute('height', String(Math.max(120, maxY + 10)));
  svg.setAttribute('viewBox', '0 0 ' + Math.max(x, 400) + ' ' + Math.max(120, maxY + 10));
}

function fill(id, rows) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...rows.map((cells) => {
    const tr = el('tr');
    for (const c of cells) {
      if (c instanceof Node) { const td = el('td'); td.append(c); tr.append(td); }
      else tr.append(el('td', typeof c === 'number' ? { class: 'num' } : {}, String(c)));
    }
    return tr;
  }));
}

async function act(adapter, action) {
  const r = await api('/api/control', { op: 'adapter', adapter, action });
  document.getElementById('action').textContent = r.ok ? adapter + ': ' + action + ' → ' + r.state : 'error: ' + r.error;
  await refresh();
}

function draw(snapshot) {
  const rate = rates(snapshot);
  drawGraph(snapshot, rate);
  fill('modules', modules(snapshot).map((m) => {
    const r = rate.get(m.name);
    let actions = '';
    if (m.role === 'miniport') {
      actions = el('span');
      for (const a of ['pause', 'restart']) {
        const b = el('button', { 'data-action': a, 'data-adapter': m.name }, a);
        b.addEventListener('click', () => act(m.name, a));
        actions.append(b);
      }
    }
    return [m.name, m.role, m.state, Number(fmt(r.rx)), Number(fmt(r.tx)), Number(fmt(r.drops)), actions];
  }));
  fill('pools', snapshot.hosts.flatMap((h) => h.pools.map((p) => [h.host, p.name, p.owner ?? '-', p.inUse, p.capacity, p.exhausted])));
  fill('violations', snapshot.hosts.flatMap((h) => h.verifier.first.map((v) => [h.host, v.rule, v.module, v.detail])));
  fill('connections', snapshot.connections.flatMap((h) => h.connections.map((c) => [h.name, c.proto, c.local, c.remote, c.state, c.recvQ, c.sendQ])));
  const select = document.getElementById('oid-adapter');
  const names = snapshot.hosts.flatMap((h) => h.adapters.map((a) => a.name));
  if (select.options.length !== names.length) select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
  const violations = snapshot.hosts.reduce((n, h) => n + h.verifier.total, 0);
  document.getElementById('status').dataset.time = String(snapshot.time);
  document.getElementById('status').textContent = snapshot.hosts.length + ' host(s), ' + names.length + ' adapter(s), ' + violations + ' verifier violation(s), updated ' + new Date(snapshot.time).toLocaleTimeString();
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
setInterval(refresh, 1000);
`;
