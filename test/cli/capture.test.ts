/**
 * `tsndis capture --attach`: a running stack (built from examples/two-hosts.yaml, serving the control
 * channel) gets the capture filter attached under traffic, and detached again; every frame sent while it
 * was attached is in the pcapng file, and the stack never stopped carrying frames.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { capture } from '../../src/cli/commands/capture.js';
import { handleControl, serveControl } from '../../src/cli/control.js';
import { buildStacks, loadStackConfig } from '../../src/config/index.js';
import { readCapture } from '../../src/io/pcapng/index.js';
import { captureFilesClosed } from '../../src/drivers/filter/capture/index.js';
import { assertClean } from '../support/hosts.js';
import { spawn } from 'node:child_process';
import { MAIN, ROOT, tsndis, upChild } from '../support/cli.js';

test('capture --attach records every frame sent while attached to a running stack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-capture-'));
  const stacks = await buildStacks(await loadStackConfig('examples/two-hosts.yaml'), { wirePrefix: `cap${process.pid}-` });
  const sock = join(dir, 'control.sock');
  const server = await serveControl(stacks, sock);
  try {
    const a = stacks.hosts.get('hostA')!;
    const b = stacks.hosts.get('hostB')!;
    const tx = a.raw.endpoint('eth0');
    const rx = b.raw.endpoint('eth0');
    const dst = b.runtime.adapter('eth0').general!.currentMacAddress;
    const src = a.runtime.adapter('eth0').general!.currentMacAddress;
    let seq = 0;
    const frame = (): Uint8Array => {
      const f = new Uint8Array(60);
      f.set(dst, 0);
      f.set(src, 6);
      f[12] = 0x88;
      f[13] = 0xb5;
      new DataView(f.buffer).setUint32(14, seq++);
      return f;
    };
    const signals = new EventEmitter();
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    const running = capture({ attach: sock, adapter: 'hostA/eth0', output: join(dir, 'live'), duration: 0, verifier: true }, sink, signals);
    // Traffic while the capture filter is attached (the attach pauses and restarts hostA's stack).
    let sentWhileAttached = 0;
    let received = 0;
    for (let round = 0; round < 40; round++) {
      const attached = a.runtime.adapter('eth0').filters.some((f) => f.driver.name === 'tsndis.capture' && f.state === 'Running');
      if (attached && tx.send(frame())) sentWhileAttached++;
      else if (!attached) tx.send(frame());
      await new Promise((r) => setTimeout(r, 5));
      while (rx.tryReceive() !== null) received++;
    }
    signals.emit('SIGINT');
    assert.equal(await running, 0);
    assert.ok(sentWhileAttached > 10, `frames sent while attached: ${sentWhileAttached}`);
    assert.equal(received, seq, 'the stack carried every frame, before, during and after the attach');
    const contents = readCapture(new Uint8Array(readFileSync(join(dir, 'live.pcapng'))));
    // One capture point by default (above the miniport): each frame once, though hostA has a modifying filter.
    assert.deepEqual(contents.interfaces.map((i) => i.name), ['hostA/eth0/tsndis.capture@miniport']);
    const outbound = contents.frames.filter((f) => f.direction === 2);
    assert.equal(outbound.length, sentWhileAttached);
    assert.ok(out.join('').includes('capture stopped'));
    assert.equal(a.runtime.adapter('eth0').filters.some((f) => f.driver.name === 'tsndis.capture'), false, 'detached again');
  } finally {
    await server.close();
    await stacks.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const h of stacks.hosts.values()) assertClean(h.runtime);
});

test('capture --adapter without host/ (or naming no adapter) exits 2 saying adapters are host/adapter and listing them', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-capture-'));
  try {
    for (const adapter of ['hostA', 'hostC/eth0', 'hostA/eth9']) {
      const r = await tsndis('capture', '--config', 'examples/two-hosts.yaml', '--adapter', adapter, '--output', join(dir, 'x'), '--duration', '1');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `error: --adapter '${adapter}': ${adapter === 'hostA' ? 'name the adapter as host/adapter' : 'no such adapter'} (adapters: hostA/eth0, hostB/eth0)\n`);
    }
    // The control channel says the same to any client.
    const stacks = await buildStacks(await loadStackConfig('examples/two-hosts.yaml'), { wirePrefix: `cap${process.pid}-name-` });
    try {
      const r = await handleControl(stacks, { op: 'detach-filter', adapter: 'hostA', driver: 'tsndis.capture' });
      assert.deepEqual(r, { ok: false, error: "adapter 'hostA': name the adapter as host/adapter (adapters: hostA/eth0, hostB/eth0)" });
    } finally {
      await stacks.shutdown();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a capture --attach client killed with SIGKILL: the server detaches its filter and the pcapng file is complete', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-capture-'));
  const stacks = await buildStacks(await loadStackConfig('examples/two-hosts.yaml'), { wirePrefix: `cap${process.pid}-kill-` });
  const sock = join(dir, 'control.sock');
  const server = await serveControl(stacks, sock);
  const a = stacks.hosts.get('hostA')!;
  const capturing = (): boolean => a.runtime.adapter('eth0').filters.some((f) => f.driver.name === 'tsndis.capture');
  const child = spawn(process.execPath, [MAIN, 'capture', '--attach', sock, '--adapter', 'hostA/eth0', '-w', join(dir, 'killed')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    for (let i = 0; i < 400 && !out.includes('capturing'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(out, /^capturing hostA\/eth0 to /, 'the child attached its capture');
    assert.ok(capturing());
    const tx = a.raw.endpoint('eth0');
    const dst = stacks.hosts.get('hostB')!.runtime.adapter('eth0').general!.currentMacAddress;
    const src = a.runtime.adapter('eth0').general!.currentMacAddress;
    for (let i = 0; i < 25; i++) {
      const f = new Uint8Array(60);
      f.set(dst, 0);
      f.set(src, 6);
      f.set([0x88, 0xb5, 0, i], 12);
      assert.ok(tx.send(f));
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 400 && capturing(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(capturing(), false, 'the filter went with the connection');
    await captureFilesClosed();
    const contents = readCapture(new Uint8Array(readFileSync(join(dir, 'killed.pcapng'))));
    assert.equal(contents.error, null);
    assert.equal(contents.frames.filter((f) => f.interfaceId === 0).length, 25, 'every frame sent while attached is in the file');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.close();
    await stacks.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const h of stacks.hosts.values()) assertClean(h.runtime);
});

test('tsndis up stops promptly while a capture --attach client is connected; the client exits 1 saying why', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-capture-'));
  const sock = join(dir, 'control.sock');
  const up = await upChild('examples/two-hosts.yaml', sock);
  try {
    const cap = spawn(process.execPath, [MAIN, 'capture', '--attach', sock, '--adapter', 'hostB/eth0', '--output', join(dir, 'b')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    cap.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    cap.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    for (let i = 0; i < 400 && !out.includes('capturing'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(out, /^capturing hostB\/eth0/);
    const capExit = new Promise<number | null>((r) => cap.once('exit', (code) => r(code)));
    const upExit = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
    up.kill('SIGINT');
    assert.equal(await upExit, 0);
    assert.equal(await capExit, 1);
    assert.match(err, /^error: .*control\.sock: the running tsndis closed the control connection; the capture ended\n$/);
    // The file is complete: a section header and the interface, readable.
    const contents = readCapture(new Uint8Array(readFileSync(join(dir, 'b.pcapng'))));
    assert.equal(contents.error, null);
    assert.ok(contents.interfaces.length >= 1);
  } finally {
    if (up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('capture --points all records at every module (one interface each); the default records once', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-capture-'));
  try {
    const all = await tsndis('capture', '--config', 'examples/two-hosts.yaml', '--adapter', 'hostA/eth0', '-w', join(dir, 'all'), '--duration', '0.2', '--points', 'all');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^capturing hostA\/eth0 to .*all at every point \(2 module\(s\)\)/);
    const names = readCapture(new Uint8Array(readFileSync(join(dir, 'all.pcapng')))).interfaces.map((i) => i.name);
    assert.deepEqual(names, ['hostA/eth0/tsndis.capture@miniport', 'hostA/eth0/tsndis.capture@tsndis.counters']);
    // --file is the former name of -w/--output and still works.
    const one = await tsndis('capture', '--config', 'examples/two-hosts.yaml', '--adapter', 'hostA/eth0', '--file', join(dir, 'one'), '--duration', '0.2');
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^capturing hostA\/eth0 to .*one above the miniport;/);
    assert.deepEqual(readCapture(new Uint8Array(readFileSync(join(dir, 'one.pcapng')))).interfaces.map((i) => i.name), ['hostA/eth0/tsndis.capture@miniport']);
    const bad = await tsndis('capture', '--config', 'examples/two-hosts.yaml', '--adapter', 'hostA/eth0', '--file', join(dir, 'x'), '--points', 'some');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--points <where>' argument 'some' is invalid\. Allowed choices are miniport, all/);
    const noFile = await tsndis('capture', '--config', 'examples/two-hosts.yaml', '--adapter', 'hostA/eth0', '--duration', '0.2');
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /^error: required option '-w, --output <path>' not specified$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
