/**
 * `tsndis drops --attach` and `tsndis capture --attach --drops` against a running `tsndis up`: host A
 * sends through tsndis.impairment losing half its sends, so its filter module drops frames under
 * `impairmentLoss` all the time. The table, `--json`, `--host` and the drop capture (read back by tshark
 * with the reason and module in each packet comment) all show it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControlClient, controlRequest, serveControl } from '../../src/cli/control.js';
import { buildStacks, loadStackConfig } from '../../src/config/index.js';
import { readCapture } from '../../src/io/pcapng/index.js';
import { StackMetrics } from '../../src/metrics/prometheus.js';
import { parsePrometheus, sample } from '../support/prometheus-parse.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { stopChild, tsndis, upChild } from '../support/cli.js';
import { which } from '../support/netns.js';

const TIMEOUT = { timeout: 90_000 };
const MODULE = 'hostA/eth0/tsndis.impairment';

const CONFIG = `
wires:
  lab: {}
hosts:
  hostA:
    services:
      - { service: traffic, target: 198.18.14.2, port: 9, rate: 200, size: 100, count: 100000 }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        filters:
          - { driver: tsndis.impairment, keywords: { SendLossPercent: "50", Seed: 3 } }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.14.1/24], IPv6: false } }
  hostB:
    services:
      - { service: discard }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.14.2/24], IPv6: false } }
`;

interface Row {
  module: string;
  reason: string;
  count: number;
}

async function dropsJson(sock: string, ...more: string[]): Promise<{ name: string; drops: Row[] }[]> {
  const r = await tsndis('drops', '--attach', sock, '--json', ...more);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { hosts: { name: string; drops: Row[] }[] }).hosts;
}

const lossOf = (hosts: { name: string; drops: Row[] }[]): number => hosts.flatMap((h) => h.drops).find((d) => d.module === MODULE && d.reason === 'impairmentLoss')?.count ?? 0;

test('tsndis drops --attach: the modules of a running stack with their named reasons and counts', TIMEOUT, async () => {
  const dir = fixtureDir();
  const sock = join(dir, 'drops.sock');
  const up = await upChild(writeFixture(dir, 'drops.yaml', CONFIG), sock, 60);
  try {
    let first = 0;
    for (let i = 0; i < 100 && first === 0; i++) {
      first = lossOf(await dropsJson(sock));
      if (first === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(first > 0, 'the impairment filter dropped frames');

    const table = await tsndis('drops', '--attach', sock);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0]!, /^ {2}Module +Reason +Count$/);
    const row = lines.find((l) => l.includes(MODULE) && l.includes('impairmentLoss'));
    assert.ok(row !== undefined, table.stdout);
    const shown = Number(row.trim().split(/\s+/)[2]);
    assert.ok(shown >= first, `the table's count ${shown} is at least the earlier ${first}`);

    // Counters only grow; --host narrows to one host (B loses nothing on its own).
    await new Promise((r) => setTimeout(r, 300));
    const later = await dropsJson(sock);
    assert.deepEqual(later.map((h) => h.name), ['hostA', 'hostB']);
    assert.ok(lossOf(later) > shown);
    const b = await dropsJson(sock, '--host', 'hostB');
    assert.deepEqual(b.map((h) => h.name), ['hostB']);
    assert.equal(b[0]!.drops.some((d) => d.reason.startsWith('impairment')), false);
    const bad = await tsndis('drops', '--attach', sock, '--host', 'nobody');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: no host 'nobody'$/m);

    // The inspector's tree shows the same rows.
    const tree = await tsndis('inspect', '--attach', sock);
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, new RegExp(`drops \\d+[\\s\\S]*${MODULE.replaceAll('/', '\\/')} {2}impairmentLoss {2}\\d+`));
  } finally {
    assert.equal(await stopChild(up), 0);
  }
});

function tsharkComments(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.comment'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`tshark -r ${file} failed: ${err.message}\n${stderr}`));
      else resolve(stdout.split('\n').filter((l) => l !== ''));
    });
  });
}

test('tsndis capture --attach --drops: the dropped frames to pcapng, each with its reason and module', TIMEOUT, async (t) => {
  const dir = fixtureDir();
  const sock = join(dir, 'drops.sock');
  const file = join(dir, 'dropped.pcapng');
  const up = await upChild(writeFixture(dir, 'drops.yaml', CONFIG), sock, 60);
  try {
    const misuse = await tsndis('capture', '--attach', sock, '--drops', '--adapter', 'hostA/eth0', '-w', file);
    assert.equal(misuse.code, 2);
    assert.match(misuse.stderr, /^error: --drops records the drops of every adapter: give no --adapter$/m);

    const r = await tsndis('capture', '--attach', sock, '--drops', '-w', file, '--duration', '1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^capturing dropped frames of hostA, hostB to ${file.replaceAll('/', '\\/')}; 1 s$`, 'm'));
    const m = /^drop capture stopped: (\d+) frame\(s\)$/m.exec(r.stdout);
    assert.ok(m !== null, r.stdout);
    const frames = Number(m[1]);
    assert.ok(frames > 0, 'about 100 frames a second are dropped');
    assert.ok(existsSync(file));
    if (!which('tshark')) {
      t.diagnostic("tshark check skipped: needs the 'tshark' command (apt-get install tshark)");
      return;
    }
    const comments = await tsharkComments(file);
    assert.equal(comments.length, frames);
    assert.ok(comments.every((c) => c === `drop: impairmentLoss module: ${MODULE}`), comments.slice(0, 5).join('\n'));

    // The first capture was released when it stopped: another one starts.
    const again = await tsndis('capture', '--attach', sock, '--drops', '-w', join(dir, 'other.pcapng'), '--duration', '1');
    assert.equal(again.code, 0, again.stderr);
  } finally {
    assert.equal(await stopChild(up), 0);
  }
});

test('drop capture over the control channel: one at a time, stopped when its client goes away, bad requests answered', TIMEOUT, async () => {
  const dir = fixtureDir();
  const sock = join(dir, 'drops-inproc.sock');
  const stacks = await buildStacks(await loadStackConfig(writeFixture(dir, 'one.yaml', 'hosts:\n  h:\n    adapters:\n      eth0: { driver: tsndis.virtual-wire }\n')));
  const server = await serveControl(stacks, sock);
  try {
    const first = await ControlClient.connect(sock);
    const started = await first.request({ op: 'drop-capture', action: 'start', file: join(dir, 'a.pcapng'), untilClose: true });
    assert.deepEqual(started, { ok: true, file: join(dir, 'a.pcapng'), hosts: ['h'] });
    const busy = await controlRequest(sock, { op: 'drop-capture', action: 'start', file: join(dir, 'b.pcapng') });
    assert.deepEqual(busy, { ok: false, error: `a drop capture is already running (to ${join(dir, 'a.pcapng')})` });
    // A frame dropped now reaches the capture: counted in the registry and in the capture.
    stacks.hosts.get('h')!.runtime.adapter('eth0').dropCounter('malformedFrame').dropBytes(Uint8Array.of(1, 2, 3), 0, 3);
    first.close();
    await first.closed;
    // The server stopped it when the client went away: a new one starts, and stopping it reports its own frames.
    let again: Awaited<ReturnType<typeof controlRequest>> = { ok: false, error: 'not tried' };
    for (let i = 0; i < 50 && !again.ok; i++) {
      again = await controlRequest(sock, { op: 'drop-capture', action: 'start', file: join(dir, 'b.pcapng') });
      if (!again.ok) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.deepEqual(await controlRequest(sock, { op: 'drop-capture', action: 'stop' }), { ok: true, file: join(dir, 'b.pcapng'), frames: 0, lost: 0 });
    assert.deepEqual(await controlRequest(sock, { op: 'drop-capture', action: 'stop' }), { ok: false, error: 'no drop capture is running' });
    assert.deepEqual(await controlRequest(sock, { op: 'drop-capture', action: 'start', file: '' }), { ok: false, error: 'drop-capture start needs a file' });
    assert.match(String((await controlRequest(sock, { op: 'drop-capture', action: 'start', file: join(dir, 'no', 'such', 'dir.pcapng') }) as { error: string }).error), /ENOENT/);
    assert.deepEqual(await controlRequest(sock, { op: 'drops' }), { ok: true, hosts: [{ name: 'h', drops: [{ module: 'h/eth0', reason: 'malformedFrame', count: 1 }] }] });
    // The metrics carry the same count, as a counter with the module and reason as labels.
    const metrics = parsePrometheus(await new StackMetrics(stacks).scrape());
    assert.equal(metrics.get('tsndis_drops_total')?.type, 'COUNTER');
    assert.equal(sample(metrics, 'tsndis_drops_total', { host: 'h', module: 'h/eth0', reason: 'malformedFrame' }), 1);
    // The first capture holds the one frame dropped while it ran, with its comment.
    const capture = readCapture(readFileSync(join(dir, 'a.pcapng')));
    assert.equal(capture.error, null);
    assert.deepEqual(capture.frames.map((f) => [...f.data]), [[1, 2, 3]]);
    assert.deepEqual(capture.interfaces.map((i) => i.name), ['h/eth0']);
  } finally {
    await server.close();
    await stacks.shutdown();
  }
});
