/**
 * The live dashboard in a real browser: Debian's chromium driven by playwright-core loads the page with
 * its token, finds every module of the config in the stack graph (an intermediate driver and its virtual
 * miniport included) and the virtual wire joining the hosts, sees the rates move under traffic, pauses
 * and restarts an adapter from the page (and the stack's state follows), captures from the page (the
 * file is a pcapng with the frames, downloadable once stopped), sees a verifier violation appear as it
 * happens, the TCP connection table, and queries an OID; without the token the server answers 401, with
 * a wrong one 403 (the event stream included), and ops the page has no use for are refused. Screenshots
 * are saved under dist/test-artifacts/. Skips with the reason without chromium.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { createStacks, loadStackConfig } from '../../src/config/index.js';
import { serveDashboard } from '../../src/dashboard/server.js';
import { tcpipOf } from '../../src/cli/tcpip-hosts.js';
import { readCapture } from '../../src/io/pcapng/index.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { spawn } from 'node:child_process';
import { MAIN, ROOT } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? null : `no browser at ${CHROMIUM} (apt-get install chromium)`;
if (skip !== null) console.log(`# skipping the dashboard browser test: ${skip}`);

const CONFIG = `
wires:
  lab: {}
hosts:
  hostA:
    services:
      - { service: traffic, target: 198.18.11.2, port: 9, rate: 200, size: 500, count: 100000 }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        filters: [tsndis.counters]
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.11.1/24], IPv6: false } }
  hostB:
    services:
      - { service: discard }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
      veth0:
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.11.2/24], IPv6: false } }
    intermediates:
      - { driver: tsndis.im-passthrough, lower: eth0, upper: [veth0] }
`;

test('dashboard: graph with wires and intermediates, live rates, pause/restart, capture, live violations, TCP table and an OID query from the page; the token guards every request', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const dir = fixtureDir();
  // The config's traffic service runs (createStacks starts sources), so the page has rates to show.
  const t = await createStacks(await loadStackConfig(writeFixture(dir, 'dashboard.yaml', CONFIG)), { addressTimeoutMs: 0 });
  const dash = await serveDashboard(t, { host: '127.0.0.1', port: 0, captureDir: dir });
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const base = dash.url.slice(0, dash.url.indexOf('?'));
    assert.equal((await fetch(base)).status, 401, 'no token');
    assert.equal((await fetch(`${base}api/snapshot`, { headers: { 'x-tsndis-token': 'x'.repeat(32) } })).status, 403, 'wrong token');
    assert.equal((await fetch(`${base}api/events`)).status, 401, 'the event stream needs the token too');
    assert.equal((await fetch(`${base}api/events?token=${'y'.repeat(32)}`)).status, 403);
    assert.equal((await fetch(`${base}api/snapshot?token=${dash.token}`)).status, 200);
    const post = (path: string, body: unknown): Promise<Response> => fetch(`${base}${path}`, { method: 'POST', headers: { 'x-tsndis-token': dash.token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('api/control', { op: 'property', adapter: 'hostA/eth0', action: 'get' })).status, 400);
    // Filters are attached only through the capture action, to a file the dashboard names.
    assert.equal((await post('api/control', { op: 'attach-filter', adapter: 'hostA/eth0', driver: 'tsndis.capture', keywords: { File: join(dir, 'elsewhere.pcapng') } })).status, 400);
    assert.equal((await post('api/capture', { adapter: 'hostA/eth0', action: 'start', file: '/etc/x' })).status, 200);
    assert.equal((await post('api/capture', { adapter: 'hostA/eth0', action: 'stop' })).status, 200);
    assert.equal((await post('api/capture', { adapter: 3, action: 'start' })).status, 400);
    assert.deepEqual(await (await post('api/control', { op: 'status', id: 'q1' })).json().then((r) => (r as { id: unknown }).id), 'q1', 'the id comes back');

    // A TCP connection from hostA to hostB's discard service, for the connection table.
    const conn = tcpipOf(t, 'hostA')!.connect({ host: '198.18.11.2', port: 9 });
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', resolve);
      conn.once('error', reject);
    });

    const page = await browser.newPage();
    await page.goto(dash.url);
    // Every module of the config is a node of the graph, the intermediate and its virtual miniport too.
    const want = ['hostA/eth0', 'hostA/eth0/tsndis.counters', 'hostA/eth0<-tsndis.tcpip', 'hostB/eth0', 'hostB/eth0<-tsndis.im-passthrough', 'hostB/veth0', 'hostB/veth0<-tsndis.tcpip'];
    for (const m of want) await page.waitForSelector(`#graph .node[data-module="${m}"]`, { timeout: 10_000 });
    const drawn = await page.$$eval('#graph .node', (nodes) => nodes.map((n) => n.getAttribute('data-module')));
    assert.deepEqual([...drawn].sort(), [...want].sort());
    assert.equal(await page.getAttribute('#graph .node[data-module="hostB/eth0<-tsndis.im-passthrough"]', 'data-role'), 'intermediate');
    assert.equal(await page.getAttribute('#graph .node[data-module="hostB/veth0"]', 'data-created-by'), 'hostB/eth0<-tsndis.im-passthrough');
    assert.equal(await page.$$eval('#graph line.im-link[data-from="hostB/eth0<-tsndis.im-passthrough"][data-to="hostB/veth0"]', (l) => l.length), 1);
    // The virtual wire joins the two hosts' miniports, drawn under them.
    assert.equal(await page.getAttribute('#graph .wire[data-wire="lab"]', 'data-adapters'), 'hostA/eth0 hostB/eth0');
    assert.deepEqual(await page.$$eval('#graph line.wire-link[data-wire="lab"]', (ls) => ls.map((l) => l.getAttribute('data-adapter'))), ['hostA/eth0', 'hostB/eth0']);
    // (The page's DOM, read in the browser: a string, as this file is compiled without DOM types.)
    const below = (await page.evaluate(`(() => {
      const box = (q) => document.querySelector(q).getBoundingClientRect();
      const wire = box('#graph .wire[data-wire="lab"] rect');
      const mp = box('#graph .node[data-module="hostB/eth0"] rect');
      const vmp = box('#graph .node[data-module="hostB/veth0"] rect');
      const im = box('#graph .node[data-module="hostB/eth0<-tsndis.im-passthrough"] rect');
      return { wireBelowMiniport: wire.top >= mp.bottom, virtualAboveIm: vmp.bottom <= im.top };
    })()`)) as { wireBelowMiniport: boolean; virtualAboveIm: boolean };
    assert.deepEqual(below, { wireBelowMiniport: true, virtualAboveIm: true }, 'wire under the miniports, the virtual miniport on its intermediate');

    // Rates move under the traffic service (200 datagrams/s from A to B).
    const cell = async (module: string, column: number): Promise<string> =>
      page.$$eval('#modules tbody tr', (rows, [m, c]) => rows.find((r) => r.children[0]?.textContent === m)?.children[c as number]?.textContent ?? '', [module, column] as const);
    let rx = 0;
    for (let i = 0; i < 50 && rx <= 0; i++) {
      await page.waitForTimeout(200);
      rx = Number(await cell('hostB/eth0', 3));
    }
    assert.ok(rx > 0, `hostB/eth0 receives: ${rx}/s`);
    assert.ok(Number(await cell('hostB/eth0', 5)) > 0, 'bytes/s of a miniport');

    // Pause and restart from the page: the stack follows, and the graph shows it.
    await page.click('button[data-action="pause"][data-adapter="hostB/eth0"]');
    await page.waitForSelector('#graph .node[data-module="hostB/eth0"][data-state="Paused"]', { timeout: 10_000 });
    assert.equal(t.hosts.get('hostB')!.runtime.adapter('hostB/eth0').state, 'Paused');
    assert.match((await page.textContent('#action')) ?? '', /hostB\/eth0: pause → Paused/);
    // While hostB is paused, hostA's frames to it are discarded by hostB's miniport: drops/s with the reason
    // its miniport recorded in the drop registry (what `tsndis drops` lists), not a statistics counter.
    let reasons = '';
    for (let i = 0; i < 50 && !/\bnotRunning \d/.test(reasons); i++) {
      await page.waitForTimeout(200);
      reasons = await cell('hostB/eth0', 7);
    }
    assert.match(reasons, /\bnotRunning \d/, `drop reasons of hostB/eth0: ${reasons}`);
    assert.ok(Number(await cell('hostB/eth0', 6)) > 0, 'drops/s');
    await page.screenshot({ path: join(artifacts(), 'dashboard-paused.png'), fullPage: true });
    await page.click('button[data-action="restart"][data-adapter="hostB/eth0"]');
    await page.waitForSelector('#graph .node[data-module="hostB/eth0"][data-state="Running"]', { timeout: 10_000 });
    assert.equal(t.hosts.get('hostB')!.runtime.adapter('hostB/eth0').state, 'Running');

    // A capture from the page: started, the traffic flows into it, stopped, then offered for download.
    await page.click('button[data-action="capture-start"][data-adapter="hostA/eth0"]');
    await page.waitForFunction("[...document.querySelectorAll('#captures tbody tr')].some((r) => r.children[0].textContent === 'hostA/eth0' && r.children[1].textContent === 'running')", undefined, { timeout: 10_000 });
    assert.equal(t.hosts.get('hostA')!.runtime.adapter('hostA/eth0').filters.some((f) => f.driver.name === 'tsndis.capture'), true, 'the capture filter is attached');
    await page.waitForTimeout(1000);
    await page.click('button[data-action="capture-stop"][data-adapter="hostA/eth0"]');
    await page.waitForSelector('#captures a[data-capture]:nth-of-type(1)', { timeout: 10_000 });
    const rows = await page.$$eval('#captures tbody tr', (trs) => trs.map((r) => [...r.children].map((c) => c.textContent)));
    const row = rows.filter((r) => r[1] === 'stopped').at(-1)!;
    assert.equal(row[0], 'hostA/eth0');
    const file = row[2]!;
    assert.ok(file.startsWith(dir) && file.endsWith('.pcapng'), `the file is where the page says: ${file}`);
    assert.match((await page.textContent('#capture-dir')) ?? '', new RegExp(`written on the server to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(t.hosts.get('hostA')!.runtime.adapter('hostA/eth0').filters.some((f) => f.driver.name === 'tsndis.capture'), false, 'detached again');
    const contents = readCapture(new Uint8Array(readFileSync(file)));
    assert.deepEqual(contents.interfaces.map((i) => i.name), ['hostA/eth0/tsndis.capture@miniport']);
    const sent = contents.frames.filter((f) => f.direction === 2).length;
    assert.ok(sent >= 50, `the capture holds hostA's traffic: ${sent} outbound frames`);
    assert.equal(Number(row[3]), statSync(file).size);
    const href = new URL((await page.$$eval('#captures a[data-capture]', (as) => as.map((a) => a.getAttribute('href') ?? ''))).at(-1)!, base).href;
    const download = await fetch(href);
    assert.equal(download.status, 200);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), new Uint8Array(readFileSync(file)), 'the download is the file');
    assert.equal((await fetch(href.slice(0, href.indexOf('?')))).status, 401, 'downloads need the token');
    assert.equal((await fetch(`${base}api/capture/..%2f..%2fetc%2fpasswd?token=${dash.token}`)).status, 404, 'only files the dashboard wrote');

    // A verifier violation appears on the page as it happens (pushed, with its host and module).
    const before = await page.$$eval('#violations tbody tr', (r) => r.length);
    t.hosts.get('hostB')!.runtime.verifier.report('NdisOidComplete', 'hostB/eth0', 'reported by the dashboard test');
    await page.waitForSelector('#violations tbody tr[data-rule="NdisOidComplete"]', { timeout: 5000 });
    const v = await page.$eval('#violations tbody tr[data-rule="NdisOidComplete"]', (tr) => [...tr.children].map((c) => c.textContent));
    assert.deepEqual(v.slice(1, 5), ['hostB', 'NdisOidComplete', 'hostB/eth0', 'reported by the dashboard test']);
    assert.equal(await page.$$eval('#violations tbody tr', (r) => r.length), before + 1);

    // The TCP connection table: hostB's discard listener and the connection from hostA, both ends.
    await page.waitForFunction("[...document.querySelectorAll('#connections tbody tr')].filter((r) => r.children[4].textContent === 'ESTABLISHED').length === 2", undefined, { timeout: 10_000 });
    const table = await page.$$eval('#connections tbody tr', (trs) => trs.map((r) => [...r.children].map((c) => c.textContent)));
    assert.ok(table.some((r) => r[0] === 'hostB' && r[2] === '0.0.0.0:9' && r[4] === 'LISTEN'), JSON.stringify(table));
    assert.ok(table.some((r) => r[0] === 'hostA' && r[3] === '198.18.11.2:9' && r[4] === 'ESTABLISHED'), JSON.stringify(table));
    conn.destroy();

    // An OID query from the page, answered as the CLI's is.
    await page.selectOption('#oid-adapter', 'hostA/eth0');
    await page.fill('#oid-name', 'OID_GEN_CURRENT_LOOKAHEAD');
    await page.click('#oid button');
    await page.waitForFunction("(document.getElementById('oid-result')?.textContent ?? '').includes('NDIS_STATUS_SUCCESS')", undefined, { timeout: 10_000 });
    const answer = JSON.parse((await page.textContent('#oid-result')) ?? '{}') as { oid: string; decoded: number };
    assert.equal(answer.oid, 'OID_GEN_CURRENT_LOOKAHEAD');
    assert.ok(answer.decoded > 0);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(artifacts(), 'dashboard.png'), fullPage: true });
  } finally {
    await browser.close();
    await dash.close();
    await t.close();
  }
});

function artifacts(): string {
  const dir = join(ROOT, 'dist', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

test('tsndis up --dashboard prints the URL with its token; a non-loopback address needs --allow-remote', { timeout: 60_000 }, async () => {
  const dir = fixtureDir();
  const config = writeFixture(dir, 'dashboard.yaml', CONFIG);
  const remote = spawn(process.execPath, [MAIN, 'up', '--config', config, '--dashboard', '0.0.0.0:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  remote.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  assert.equal(await new Promise<number | null>((r) => remote.once('exit', r)), 2);
  assert.match(err, /--dashboard 0\.0\.0\.0:0 is not a loopback address: add --allow-remote/);

  const child = spawn(process.execPath, [MAIN, 'up', '--config', config, '--dashboard', '127.0.0.1:0', '--duration', '20', '--status-interval', '60'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard line in: ${out}`)), 15_000);
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32})$/m.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>tsndis dashboard<\/title>/);
    assert.equal((await fetch(url.slice(0, url.indexOf('?')))).status, 401);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
});
