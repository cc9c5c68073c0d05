/**
 * What keeps a program alive, as with Node's own servers and sockets: a listening TcpServer, an open
 * TcpSocket and a running stack hold Node's event loop open until they are closed (or shut down), and
 * none of them does after `unref()`. Each case runs a small program in a child process that sets things
 * up, arms an *unref'd* timer that closes them after a delay, and returns: if something holds the loop,
 * the timer fires and the program prints `closed` before it exits; if nothing does, it exits at once
 * and never prints it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const INDEX = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../src/index.js')).href;
/** How long the unref'd timer waits before closing what holds the loop. */
const CLOSE_AFTER_MS = 400;
/** Bound on each child (it exits well before unless something is never released). */
const CHILD_TIMEOUT_MS = 30_000;

/** Two hosts on a wire; `server` answers on 198.18.0.2. */
const SETUP = `
import { buildStacks, parseStackConfig } from ${JSON.stringify(INDEX)};
const description = await parseStackConfig(\`
wires: { w: {} }
hosts:
  client:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6: false } }]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } } }
  server:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.2/24], IPv6: false } }]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } } }
\`, 'loop.yaml', '.');
const stacks = await buildStacks(description);
const ip = (host) => stacks.hosts.get(host).protocols.get('tsndis.tcpip');
const later = (what) => setTimeout(async () => { await what(); console.log('closed'); }, ${CLOSE_AFTER_MS}).unref();
`;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runProgram(body: string): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-loop-'));
  try {
    const file = join(dir, 'program.mjs');
    writeFileSync(file, `${SETUP}\n${body}\nconsole.log('returned');\n`);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(killer);
    return { code, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertHeldUntilClosed(o: Outcome): void {
  assert.equal(o.code, 0, o.stderr);
  assert.deepEqual(o.stdout.trim().split('\n'), ['returned', 'closed'], 'the program stays alive until the timer closes what holds it');
}

function assertExitedAtOnce(o: Outcome): void {
  assert.equal(o.code, 0, o.stderr);
  assert.deepEqual(o.stdout.trim().split('\n'), ['returned'], 'nothing holds the loop: the program exits before the timer fires');
}

test('a running stack keeps the process alive until shut down', { timeout: 60_000 }, async () => {
  assertHeldUntilClosed(await runProgram(`later(() => stacks.shutdown());`));
});

test('an unref()ed stack does not keep the process alive', { timeout: 60_000 }, async () => {
  assertExitedAtOnce(await runProgram(`stacks.unref(); later(() => stacks.shutdown());`));
});

test('a listening server keeps the process alive until closed', { timeout: 60_000 }, async () => {
  assertHeldUntilClosed(
    await runProgram(`
stacks.unref();
const server = ip('server').createServer((s) => s.pipe(s)).listen(7);
await new Promise((r) => server.once('listening', r));
later(async () => { await new Promise((r) => server.close(r)); await stacks.shutdown(); });`),
  );
});

test('an unref()ed listening server does not keep the process alive', { timeout: 60_000 }, async () => {
  assertExitedAtOnce(
    await runProgram(`
stacks.unref();
const server = ip('server').createServer((s) => s.pipe(s)).listen(7);
server.unref();
later(async () => { server.close(); await stacks.shutdown(); });`),
  );
});

test('shutting the stacks down releases the servers and sockets still open on them', { timeout: 60_000 }, async () => {
  const o = await runProgram(`
const server = ip('server').createServer((s) => s.pipe(s)).listen(7);
const socket = ip('client').connect({ host: '198.18.0.2', port: 7 });
await new Promise((r) => socket.once('connect', r));
later(() => stacks.shutdown());`);
  assertHeldUntilClosed(o);
});

test('an open socket keeps the process alive until it is closed', { timeout: 60_000 }, async () => {
  assertHeldUntilClosed(
    await runProgram(`
stacks.unref();
const server = ip('server').createServer((s) => s.pipe(s)).listen(7);
server.unref();
const socket = ip('client').connect({ host: '198.18.0.2', port: 7 });
await new Promise((r) => socket.once('connect', r));
socket.write('ping');
const [echo] = await Promise.all([new Promise((r) => socket.once('data', r))]);
if (String(echo) !== 'ping') throw new Error('no echo');
later(async () => { socket.end(); await new Promise((r) => socket.once('close', r)); server.close(); await stacks.shutdown(); });`),
  );
});

test('an unref()ed socket does not keep the process alive', { timeout: 60_000 }, async () => {
  assertExitedAtOnce(
    await runProgram(`
stacks.unref();
const server = ip('server').createServer((s) => { s.unref(); s.pipe(s); }).listen(7);
server.unref();
const socket = ip('client').connect({ host: '198.18.0.2', port: 7 });
socket.unref();
await new Promise((r) => socket.once('connect', r));
later(async () => { socket.destroy(); server.close(); await stacks.shutdown(); });`),
  );
});
