/**
 * The control channel's socket path, as a user meets it (child processes, bounded): `tsndis up
 * --control <path>` refuses a path that is not a socket (the file stays intact) and a socket a live
 * tsndis answers on (the first one keeps serving); it reuses a stale socket (nothing listens: connect
 * is refused).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { controlRequest } from '../../src/cli/control.js';
import { fixtureDir } from '../config/helpers.js';
import { ROOT, stopChild, tsndis, upChild } from '../support/cli.js';

const EXAMPLE = join(ROOT, 'examples', 'two-hosts.yaml');
const TIMEOUT = { timeout: 60_000 };

test('up --control on a regular file refuses with exit 2 and leaves the file intact', TIMEOUT, async () => {
  const file = join(fixtureDir(), 'precious.txt');
  writeFileSync(file, 'do not delete me\n');
  const r = await tsndis('up', '--config', EXAMPLE, '--control', file, '--duration', '5');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: --control .*precious\.txt: exists and is not a socket; refusing to replace it\n$/);
  assert.equal(readFileSync(file, 'utf8'), 'do not delete me\n');
  assert.doesNotMatch(r.stdout, /tsndis up: \d+ host/, 'nothing started');
});

test('a second up on the socket a live tsndis serves is refused; the first keeps serving', TIMEOUT, async () => {
  const sock = join(fixtureDir(), 'control.sock');
  const first = await upChild(EXAMPLE, sock);
  try {
    const r = await tsndis('up', '--config', EXAMPLE, '--control', sock, '--duration', '5');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --control .*control\.sock: a running tsndis answers on this socket/m);
    const status = await controlRequest(sock, { op: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.deepEqual((status['hosts'] as { name: string }[]).map((h) => h.name), ['hostA', 'hostB']);
  } finally {
    assert.equal(await stopChild(first), 0);
  }
});

test('a stale socket (nothing listens) is removed and reused', TIMEOUT, async () => {
  const sock = join(fixtureDir(), 'stale.sock');
  // A process that binds the path and dies without closing: the socket file stays, connect is refused.
  const dead = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`], { stdio: 'ignore' });
  await new Promise((r) => dead.once('exit', r));
  assert.ok(lstatSync(sock).isSocket(), 'the dead listener left its socket behind');
  await assert.rejects(controlRequest(sock, { op: 'status' }, 2000), /ECONNREFUSED/);
  const up = await upChild(EXAMPLE, sock);
  assert.equal(await stopChild(up), 0);
  assert.equal(existsSync(sock), false, 'a clean stop removes the socket');
});
