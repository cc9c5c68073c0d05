/**
 * The live dashboard in a real browser: Debian's chromium driven by playwright-core loads the page with
 * its token, finds every module of the config in the stack graph, sees the rates move under traffic,
 * pauses and restarts an adapter from the page (and the stack's state follows), queries an OID from the
 * page; without the token the server answers 401, with a wrong one 403, and ops the page has no use for
 * are refused. A screenshot is saved under dist/test-artifacts/. Skips with the reason without chromium.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { createStacks, loadStackConfig } from '../../src/config/index.js';
import { serveDashboard } from '../../src/dashboard/server.js';
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
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.11.2/24], IPv6: false } }
`;

test('dashboard: graph, live rates, pause/restart and an OID query from the page; the token guards every request', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const dir = fixtureDir();
  // The config's traffic service runs (createStacks starts sources), so the page has rates to show.
  const t = await createStacks(await loadStackConfig(writeFixture(dir, 'dashboard.yaml', CONFIG)), { addressTimeoutMs: 0 });
  const dash = await serveDashboard(t, { host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const base = dash.url.slice(0, dash.url.indexOf('?'));
    assert.equal((await fetch(base)).status, 401, 'no token');
    assert.equal((await fetch(`${base}api/snapshot`, { headers: { 'x-tsndis-token': 'x'.repeat(32) } })).status, 403, 'wrong token');
    assert.equal((await fetch(`${base}api/snapshot?token=${dash.token}`)).status, 200);
    const refused = await fetch(`${base}api/control`, { method: 'POST', headers: { 'x-tsndis-token': dash.token, 'content-type': 'application/json' }, body: JSON.stringify({ op: 'property', adapter: 'hostA/eth0', action: 'get' }) });
    assert.equal(refused.status, 400);

    const page = await browser.newPage();
    await page.goto(dash.url);
    // Every module of the config is a node of the graph.
    const want = ['hostA/eth0', 'hostA/eth0/tsndis.counters', 'hostA/eth0<-tsndis.tcpip', 'hostB/eth0', 'hostB/eth0<-tsndis.tcpip'];
    for (const m of want) await page.waitForSelector(`#graph .node[data-module="${m}"]`, { timeout: 10_000 });
    const drawn = await page.$$eval('#graph .node', (nodes) => nodes.map((n) => n.getAttribute('data-module')));
    assert.deepEqual([...drawn].sort(), [...want].sort());

    // Rates move under the traffic service (200 datagrams/s from A to B).
    const rxOf = async (): Promise<number> => Number(await page.$eval('#modules tbody tr:nth-child(4) td:nth-child(4)', (td) => td.textContent));
    assert.equal(await page.$eval('#modules tbody tr:nth-child(4) td:nth-child(1)', (td) => td.textContent), 'hostB/eth0');
    let rx = 0;
    for (let i = 0; i < 50 && rx <= 0; i++) {
      await page.waitForTimeout(200);
      rx = await rxOf();
    }
    assert.ok(rx > 0, `hostB/eth0 receives: ${rx}/s`);

    // Pause and restart from the page: the stack follows, and the graph shows it.
    await page.click('button[data-action="pause"][data-adapter="hostB/eth0"]');
    await page.waitForSelector('#graph .node[data-module="hostB/eth0"][data-state="Paused"]', { timeout: 10_000 });
    assert.equal(t.hosts.get('hostB')!.runtime.adapter('hostB/eth0').state, 'Paused');
    assert.match((await page.textContent('#action')) ?? '', /hostB\/eth0: pause → Paused/);
    await page.screenshot({ path: join(artifacts(), 'dashboard-paused.png'), fullPage: true });
    await page.click('button[data-action="restart"][data-adapter="hostB/eth0"]');
    await page.waitForSelector('#graph .node[data-module="hostB/eth0"][data-state="Running"]', { timeout: 10_000 });
    assert.equal(t.hosts.get('hostB')!.runtime.adapter('hostB/eth0').state, 'Running');

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
