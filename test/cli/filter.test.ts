/**
 * `tsndis filter attach|list|detach --attach <socket>`: filters of a running `tsndis up` changed and
 * listed from the command line (child processes, bounded), including detaching a filter a capture
 * client left behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureDir } from '../config/helpers.js';
import { ROOT, stopChild, tsndis, upChild } from '../support/cli.js';

const TIMEOUT = { timeout: 90_000 };

test('filter attach, list and detach on a running tsndis up', TIMEOUT, async () => {
  const dir = fixtureDir();
  const sock = join(dir, 'control.sock');
  const up = await upChild(join(ROOT, 'examples', 'two-hosts.yaml'), sock, 40);
  try {
    const before = await tsndis('filter', 'list', '--attach', sock, '--adapter', 'hostA/eth0');
    assert.equal(before.code, 0, before.stderr);
    assert.equal(
      before.stdout,
      'hostA/eth0\n' +
        '  3  tsndis.monitor@tsndis.counters  monitoring  Running\n' +
        '  2  tsndis.counters                 modifying   Running\n' +
        '  1  tsndis.monitor@miniport         monitoring  Running\n',
    );
    const att = await tsndis('filter', 'attach', '--attach', sock, '--adapter', 'hostA/eth0', '--driver', 'tsndis.capture', '--keyword', `File=${join(dir, 'left')}`, '--keyword', 'SnapLength=128');
    assert.equal(att.code, 0, att.stderr);
    assert.equal(att.stdout, 'attached tsndis.capture to hostA/eth0: hostA/eth0/tsndis.capture@miniport, hostA/eth0/tsndis.capture@tsndis.counters\n');
    // Attached by a command that has exited: it stays (only capture --attach ties it to its connection).
    const json = await tsndis('filter', 'list', '--attach', sock, '--json');
    assert.equal(json.code, 0, json.stderr);
    const adapters = JSON.parse(json.stdout) as { adapter: string; filters: { module: string; driver: string; level: number; type: string; state: string }[] }[];
    assert.deepEqual(adapters.map((a) => a.adapter), ['hostA/eth0', 'hostB/eth0']);
    assert.deepEqual(adapters[0]!.filters.filter((f) => f.driver === 'tsndis.capture').map((f) => [f.module, f.state]), [
      ['hostA/eth0/tsndis.capture@tsndis.counters', 'Running'],
      ['hostA/eth0/tsndis.capture@miniport', 'Running'],
    ]);
    assert.equal(existsSync(join(dir, 'left.pcapng')), true);
    const det = await tsndis('filter', 'detach', '--attach', sock, '--adapter', 'hostA/eth0', '--driver', 'tsndis.capture');
    assert.equal(det.code, 0, det.stderr);
    assert.equal(det.stdout, 'detached tsndis.capture from hostA/eth0\n');
    const after = await tsndis('filter', 'list', '--attach', sock, '--adapter', 'hostA/eth0');
    assert.equal(after.stdout, before.stdout);
    const again = await tsndis('filter', 'detach', '--attach', sock, '--adapter', 'hostA/eth0', '--driver', 'tsndis.capture');
    assert.equal(again.code, 1);
    assert.equal(again.stderr, "error: filter 'tsndis.capture' is not attached to hostA/eth0\n");
    const badAdapter = await tsndis('filter', 'detach', '--attach', sock, '--adapter', 'hostA', '--driver', 'tsndis.capture');
    assert.equal(badAdapter.code, 2);
    assert.equal(badAdapter.stderr, "error: --adapter 'hostA': name the adapter as host/adapter (adapters: hostA/eth0, hostB/eth0)\n");
    const badKeyword = await tsndis('filter', 'attach', '--attach', sock, '--adapter', 'hostA/eth0', '--driver', 'tsndis.capture', '--keyword', 'File');
    assert.equal(badKeyword.code, 2);
    assert.match(badKeyword.stderr, /--keyword <name=value>' argument 'File' is invalid\. expected name=value/);
  } finally {
    await stopChild(up);
  }
});
