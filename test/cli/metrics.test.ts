/**
 * Prometheus metrics of running stacks (src/metrics/prometheus.ts): scraped over HTTP while two hosts
 * move TCP data, parsed with a Prometheus text-format parser. The families are there with their types
 * and labels, the counters of the modules the data crossed and of the TCP/IP stack increase between two
 * scrapes, pool gauges stay within their capacity, and the exporter answers only GET /metrics. Then the
 * same through `tsndis up --metrics`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { pickHost, upTcpIp } from '../../src/cli/tcpip-hosts.js';
import { serveMetrics, parseListenAddress } from '../../src/metrics/prometheus.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { MAIN, ROOT } from '../support/cli.js';
import { parsePrometheus, sample } from '../support/prometheus-parse.js';

const TIMEOUT = { timeout: 90_000 };

const CONFIG = `
wires:
  lan: {}
hosts:
  a:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        filters: [tsndis.counters]
        protocols:
          - driver: tsndis.tcpip
            keywords: { IPAddress: [198.18.9.1/24], IPv6: false }
  b:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols:
          - driver: tsndis.tcpip
            keywords: { IPAddress: [198.18.9.2/24], IPv6: false }
`;

async function get(url: string, method = 'GET'): Promise<{ status: number; type: string | null; text: string }> {
  const r = await fetch(url, { method });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}

/** Moves `bytes` from b to a over TCP (a discards). */
async function transfer(t: Awaited<ReturnType<typeof upTcpIp>>, port: number, bytes: number): Promise<void> {
  const a = pickHost(t, 'a').ip;
  const b = pickHost(t, 'b').ip;
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const buf = new Uint8Array(65536);
  const ls = a.sockets.createListenSocket(4, {
    acceptEvent: (_l, s) => {
      s.dispatch = {
        receiveEvent: (sock) => {
          for (let n = sock.tryReceive(buf); n > 0; n = sock.tryReceive(buf)) got += n;
          if (got >= bytes) done();
        },
      };
    },
  });
  ls.bind({ address: '198.18.9.1', port });
  ls.listen();
  const c = await b.sockets.connect({ address: '198.18.9.1', port });
  const chunk = new Uint8Array(16384);
  let sent = 0;
  const deadline = Date.now() + 20_000;
  while (sent < bytes && Date.now() < deadline) {
    const n = c.trySend(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
    sent += n;
    if (n === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.race([finished, new Promise((_, rej) => setTimeout(() => rej(new Error(`transfer: ${got} of ${bytes}`)), 20_000))]);
  c.close();
  await ls.close();
}

test('metrics: families, labels and types parse; counters grow under traffic; only GET /metrics is served', TIMEOUT, async () => {
  const dir = fixtureDir();
  const t = await upTcpIp(writeFixture(dir, 'metrics.yaml', CONFIG), { family: 4 });
  const server = await serveMetrics(t.stacks, '127.0.0.1', 0);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await transfer(t, 5001, 200_000);
    const first = await get(server.url);
    assert.equal(first.status, 200);
    assert.match(first.type ?? '', /^text\/plain; version=0\.0\.4/);
    const m1 = parsePrometheus(first.text);
    const types: Record<string, string> = {
      tsndis_module_nbls_total: 'COUNTER',
      tsndis_module_outstanding_nbls: 'GAUGE',
      tsndis_module_up: 'GAUGE',
      tsndis_adapter_statistics_total: 'COUNTER',
      tsndis_adapter_link_up: 'GAUGE',
      tsndis_driver_value: 'GAUGE',
      tsndis_pool_capacity: 'GAUGE',
      tsndis_pool_in_use: 'GAUGE',
      tsndis_pool_exhausted_total: 'COUNTER',
      tsndis_tcpip_value: 'GAUGE',
      tsndis_metrics_scrapes_total: 'COUNTER',
    };
    for (const [name, type] of Object.entries(types)) assert.equal(m1.get(name)?.type, type, name);
    // Every module of the config is there, in its role and state.
    assert.equal(sample(m1, 'tsndis_module_up', { host: 'a', module: 'a/eth0', role: 'miniport', state: 'Running' }), 1);
    assert.equal(sample(m1, 'tsndis_module_up', { host: 'a', module: 'a/eth0/tsndis.counters', role: 'filter', state: 'Running' }), 1);
    assert.equal(sample(m1, 'tsndis_module_up', { host: 'b', module: 'b/eth0<-tsndis.tcpip', role: 'binding', state: 'Running' }), 1);
    assert.equal(sample(m1, 'tsndis_adapter_link_up', { host: 'a', adapter: 'a/eth0' }), 1);
    // Pools: in use within capacity.
    for (const s of m1.get('tsndis_pool_in_use')!.metrics) {
      const cap = sample(m1, 'tsndis_pool_capacity', { host: s.labels!['host']!, pool: s.labels!['pool']! });
      assert.ok(Number(s.value) >= 0 && Number(s.value) <= cap, `${s.labels!['pool']}: ${s.value} of ${cap}`);
    }

    const rx1 = sample(m1, 'tsndis_module_nbls_total', { host: 'a', module: 'a/eth0', role: 'miniport', event: 'received' });
    const seg1 = sample(m1, 'tsndis_tcpip_value', { host: 'a', section: 'tcp', name: 'inSegs' });
    assert.ok(rx1 > 100 && seg1 > 100, `after 200 kB: ${rx1} NBLs, ${seg1} segments`);
    await transfer(t, 5002, 300_000);
    const m2 = parsePrometheus((await get(server.url)).text);
    assert.ok(sample(m2, 'tsndis_module_nbls_total', { host: 'a', module: 'a/eth0', role: 'miniport', event: 'received' }) > rx1);
    assert.ok(sample(m2, 'tsndis_tcpip_value', { host: 'a', section: 'tcp', name: 'inSegs' }) > seg1);
    assert.ok(sample(m2, 'tsndis_module_nbls_total', { host: 'a', module: 'a/eth0/tsndis.counters', role: 'filter', event: 'received' }) > 0);
    assert.equal(sample(m2, 'tsndis_metrics_scrapes_total', {}), 2);

    assert.equal((await get(server.url.replace('/metrics', '/'))).status, 404);
    assert.equal((await get(server.url, 'POST')).status, 405);
  } finally {
    await server.close();
    await t.shutdown();
  }
});

test('metrics: listen addresses are host:port; anything else is refused with the reason', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  for (const bad of ['9464', 'localhost', '1.2.3.4:99999', ':80', '[::1]']) assert.throws(() => parseListenAddress(bad), /host:port|above 65535/);
});

test('tsndis up --metrics serves the stacks and prints where', TIMEOUT, async () => {
  const dir = fixtureDir();
  const config = writeFixture(dir, 'metrics.yaml', CONFIG);
  const child = spawn(process.execPath, [MAIN, 'up', '--config', config, '--metrics', '127.0.0.1:0', '--duration', '20', '--status-interval', '60'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no metrics line in: ${out}`)), 15_000);
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(out);
        if (m !== null) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    const m = parsePrometheus((await get(url)).text);
    assert.equal(sample(m, 'tsndis_module_up', { host: 'a', module: 'a/eth0', role: 'miniport', state: 'Running' }), 1);
    const bad = spawn(process.execPath, [MAIN, 'up', '--config', config, '--metrics', 'nowhere'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((r) => bad.once('exit', r));
    assert.equal(code, 2);
    assert.match(err, /'nowhere' is not host:port/);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
});
