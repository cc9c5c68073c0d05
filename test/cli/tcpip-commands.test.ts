/**
 * The TCP/IP commands as a user runs them (child processes, bounded): `tsndis get` and `tsndis ping`
 * against examples/tcpip-services.yaml, whose server host runs the http, echo and discard services;
 * `tsndis up` announcing the services; bad URLs and bad service configs rejected with exit 2.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { handleControl } from '../../src/cli/control.js';
import { renderNetstat } from '../../src/cli/commands/netstat.js';
import { pickHost, upTcpIp } from '../../src/cli/tcpip-hosts.js';
import { MAIN, ROOT, stopChild, tsndis, upChild } from '../support/cli.js';

const CONFIG = join(ROOT, 'examples', 'tcpip-services.yaml');
const TIMEOUT = { timeout: 60_000 };

/** Runs tsndis, killing it after `limitMs`: resolves with the exit code (null when killed) and the time it took. */
function bounded(limitMs: number, ...args: string[]): Promise<{ code: number | null; ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, ms: performance.now() - started, stdout, stderr });
    });
  });
}

test('tsndis get fetches a file from the http service over IPv4 and IPv6, byte-exact', TIMEOUT, async () => {
  const page = readFileSync(join(ROOT, 'examples', 'www', 'index.html'), 'utf8');
  const v4 = await tsndis('get', 'http://198.18.0.2/', '--config', CONFIG);
  assert.equal(v4.code, 0, v4.stderr);
  assert.equal(v4.stdout, page);
  const v6 = await tsndis('get', 'http://[fd00::2]/index.html', '-i', '--config', CONFIG);
  assert.equal(v6.code, 0, v6.stderr);
  assert.match(v6.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(v6.stdout, /content-type: text\/html; charset=utf-8\r\n/i);
  assert.ok(v6.stdout.endsWith(`\r\n\r\n${page}`));
});

test('tsndis get: a 404 exits 1 naming the status; a non-http URL exits 2', TIMEOUT, async () => {
  const missing = await tsndis('get', 'http://198.18.0.2/missing', '--config', CONFIG);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: http:\/\/198\.18\.0\.2\/missing: HTTP 404 Not Found$/m);
  const https = await tsndis('get', 'https://198.18.0.2/', '--config', CONFIG);
  assert.equal(https.code, 2);
  assert.match(https.stderr, /only http:\/\/ URLs are supported/);
  const refused = await tsndis('get', 'http://198.18.0.2:81/', '--config', CONFIG);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ECONNREFUSED/);
});

test('tsndis get --host <unknown>: one error line, then the process exits 1', TIMEOUT, async () => {
  const r = await bounded(15_000, 'get', 'http://198.18.0.2/', '--config', CONFIG, '--host', 'nobody');
  assert.equal(r.code, 1, `exit code (null: still running after 15 s); stderr: ${r.stderr}`);
  assert.equal(r.stderr, "error: no host 'nobody' in the config (hosts with tsndis.tcpip: client, server)\n");
  assert.equal(r.stdout, '');
});

test('tsndis get --timeout bounds the whole request: an unanswered on-link address gives up in time, exit 1', TIMEOUT, async () => {
  // What starting the CLI and building the stacks costs on this machine now, from a request that is answered.
  const answered = await bounded(30_000, 'get', 'http://198.18.0.2/', '--config', CONFIG, '--timeout', '2');
  assert.equal(answered.code, 0, answered.stderr);
  // 198.18.0.77 is on the client's subnet and nobody has it: ARP goes unanswered, the SYN never leaves.
  // --timeout 2 must end the request after 2 s: the acceptance bound is 3 s on an idle machine. The
  // start-up cost measured above (with half again for a machine whose load varies) is allowed on top;
  // without a bound on connecting, the SYN is retried for about 125 s.
  const limit = Math.ceil(3_000 + 1.5 * answered.ms);
  const r = await bounded(limit + 10_000, 'get', 'http://198.18.0.77/', '--config', CONFIG, '--timeout', '2');
  assert.equal(r.code, 1, `exit code (null: still running); stderr: ${r.stderr}`);
  assert.ok(r.ms < limit, `exited after ${Math.round(r.ms)} ms, bound ${Math.round(limit)} ms`);
  assert.match(r.stderr, /^error: http:\/\/198\.18\.0\.77\/: no answer within 2 s \(connecting\)\n$/);
  assert.equal(r.stdout, '');
  // The bound is the whole request, not only the connect: a server that accepts and never answers.
  const dir = fixtureDir();
  const silent = writeFixture(dir, 'silent.yaml', readFileSync(CONFIG, 'utf8').replace('{ service: http, port: 80, root: ./www }', '{ service: discard, port: 80 }'));
  // 3 s, not 1: on a loaded 2-core machine the connect alone can take over a second, and the phase named
  // in the error must be the response, not the connect.
  const s = await bounded(limit + 10_000, 'get', 'http://198.18.0.2/', '--config', silent, '--timeout', '3');
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /^error: http:\/\/198\.18\.0\.2\/: no answer within 3 s \(waiting for the response\)\n$/);
});

test('tsndis get -o FILE writes the body to the file, like curl -o', TIMEOUT, async () => {
  const page = readFileSync(join(ROOT, 'examples', 'www', 'index.html'));
  const file = join(fixtureDir(), 'page.html');
  const r = await tsndis('get', 'http://198.18.0.2/', '--config', CONFIG, '-o', file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(readFileSync(file), page);
});

test('tsndis ping: replies from a tsndis host (v4, v6 with a large payload), exit 1 when nothing answers', TIMEOUT, async () => {
  const v4 = await tsndis('ping', '198.18.0.2', '-c', '3', '--config', CONFIG);
  assert.equal(v4.code, 0, v4.stderr);
  assert.match(v4.stdout, /^PING 198\.18\.0\.2 from client: 56 data bytes$/m);
  assert.equal(v4.stdout.match(/^64 bytes from 198\.18\.0\.2: icmp_seq=\d time=[\d.]+ ms$/gm)?.length, 3);
  assert.match(v4.stdout, /^3 packets transmitted, 3 received, 0% packet loss$/m);
  const v6 = await tsndis('ping', 'fd00::2', '-c', '2', '-s', '3000', '--config', CONFIG);
  assert.equal(v6.code, 0, v6.stderr);
  assert.equal(v6.stdout.match(/^3008 bytes from fd00::2:/gm)?.length, 2);
  const none = await tsndis('ping', '198.18.0.99', '-c', '2', '-W', '0.2', '-i', '0.05', '--config', CONFIG);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /^2 packets transmitted, 0 received, 100% packet loss$/m);
  const fromServer = await tsndis('ping', '198.18.0.1', '--count', '1', '--host', 'server', '--config', CONFIG);
  assert.equal(fromServer.code, 0, fromServer.stderr);
  assert.match(fromServer.stdout, /from server/);
  const noHost = await tsndis('ping', '198.18.0.1', '--host', 'nobody', '--config', CONFIG);
  assert.equal(noHost.code, 1);
  assert.match(noHost.stderr, /no host 'nobody' in the config/);
});

test('tsndis ping: an on-link address nobody answers ARP for is reported unreachable, as iputils ping does', TIMEOUT, async () => {
  // ARP gives up after three solicitations a second apart; the reply timeout outlasts that.
  const r = await tsndis('ping', '198.18.0.77', '-c', '1', '-W', '5', '--config', CONFIG);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^icmp_seq=1 Destination Host Unreachable \(EHOSTUNREACH\)$/m);
  assert.match(r.stdout, /^1 packets transmitted, 0 received, \+1 errors, 100% packet loss$/m);
});

test('tsndis up announces the services it started and stops cleanly', TIMEOUT, async () => {
  const r = await tsndis('up', '--config', CONFIG, '--duration', '0.5', '--status-interval', '10');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^server: http service on \*:80 serving .*examples\/www$/m);
  assert.match(r.stdout, /^server: echo service on \*:7$/m);
  assert.match(r.stdout, /^server: discard service on \*:9$/m);
});

test('services in a config are checked before anything starts: exit 2 naming the key', TIMEOUT, async () => {
  const dir = fixtureDir();
  const noIp = writeFixture(dir, 'no-ip.yaml', 'hosts:\n  h:\n    services: [{ service: echo }]\n    adapters:\n      eth0: { driver: tsndis.virtual-wire }\n');
  const a = await tsndis('up', '--config', noIp, '--duration', '0.1');
  assert.equal(a.code, 2);
  assert.match(a.stderr, /hosts\.h\.services\[0\].*needs the tsndis\.tcpip protocol/);
  const clash = writeFixture(
    dir,
    'clash.yaml',
    'hosts:\n  h:\n    services: [{ service: echo, port: 80 }, { service: http, port: 80 }]\n    protocols: [tsndis.tcpip]\n    adapters:\n      eth0: { driver: tsndis.virtual-wire }\n',
  );
  const b = await tsndis('up', '--config', clash, '--duration', '0.1');
  assert.equal(b.code, 2);
  assert.match(b.stderr, /hosts\.h\.services\[1\].*port 80 is already used by the echo service/);
  const badAddress = writeFixture(dir, 'addr.yaml', 'hosts:\n  h:\n    services: [{ service: echo, address: nope }]\n    protocols: [tsndis.tcpip]\n    adapters:\n      eth0: { driver: tsndis.virtual-wire }\n');
  const c = await tsndis('up', '--config', badAddress, '--duration', '0.1');
  assert.equal(c.code, 2);
  assert.match(c.stderr, /hosts\.h\.services\[0\]\.address.*'nope' is not an IPv4 or IPv6 address/);
  const noRoot = writeFixture(dir, 'root.yaml', 'hosts:\n  h:\n    services: [{ service: http, root: ./no-such-dir }]\n    protocols: [tsndis.tcpip]\n    adapters:\n      eth0: { driver: tsndis.virtual-wire }\n');
  const d = await tsndis('up', '--config', noRoot, '--duration', '0.1');
  assert.equal(d.code, 2);
  assert.match(d.stderr, /hosts\.h\.services\[0\]\.root.*is not a directory/);
});

test('netstat over the control channel: the counters match the traffic (echoes, a TCP connection, listeners), per host', TIMEOUT, async () => {
  const t = await upTcpIp(CONFIG);
  try {
    const { ip } = pickHost(t, undefined);
    const r = await ip.stack.ping('198.18.0.2', { count: 3, intervalMs: 10, timeoutMs: 1000 });
    assert.equal(r.received, 3);
    // One TCP connection to the echo service: 5 bytes there and back.
    const sock = ip.connect({ host: '198.18.0.2', port: 7 });
    const echoed = await new Promise<string>((resolve, reject) => {
      let got = '';
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.length >= 5) resolve(got);
      });
      sock.write('hello');
    });
    assert.equal(echoed, 'hello');
    sock.destroy();
    const res = await handleControl(t.stacks, { op: 'netstat' });
    assert.ok(res.ok, JSON.stringify(res));
    const hosts = res['hosts'] as { name: string; netstat: Record<string, Record<string, unknown>> }[];
    assert.deepEqual(hosts.map((h) => h.name).sort(), ['client', 'server']);
    const client = hosts.find((h) => h.name === 'client')!.netstat;
    const server = hosts.find((h) => h.name === 'server')!.netstat;
    assert.deepEqual((client['icmp']!['out'] as Record<string, number>)['echoRequest'], 3);
    assert.deepEqual((client['icmp']!['in'] as Record<string, number>)['echoReply'], 3);
    assert.deepEqual((server['icmp']!['in'] as Record<string, number>)['echoRequest'], 3);
    assert.equal(client['tcpEngine']!['activeOpens'], 1);
    assert.equal(server['tcpEngine']!['passiveOpens'], 1);
    assert.equal(server['tcpEngine']!['listeners'], 6, 'http, echo and discard listen, on IPv4 and IPv6 each');
    // The snapshot is the live counters, not a copy taken earlier.
    assert.equal(client['ipv4']!['outRequests'], ip.stack.counters.ipv4.outRequests);
    const text = renderNetstat(client, false);
    assert.match(text, /^ {2}icmp:\n(?: {4}.*\n)* {4}out:\n(?: {6}.*\n)* {6}echoRequest 3$/m);
    assert.doesNotMatch(text, / 0$/m, 'zero counters are left out without --all');
    assert.match(renderNetstat(client, true), /^ {4}noPorts 0$/m);
    const one = await handleControl(t.stacks, { op: 'netstat', host: 'nobody' });
    assert.deepEqual(one, { ok: false, error: "no host 'nobody'" });
  } finally {
    await t.shutdown();
  }
});

test('tsndis netstat --attach reads a running tsndis up (JSON and text); a missing socket exits 1', TIMEOUT, async () => {
  const dir = fixtureDir();
  const sock = join(dir, 'control.sock');
  const up = await upChild(CONFIG, sock, 20);
  try {
    assert.ok(existsSync(sock), 'tsndis up serves its control socket');
    const json = await tsndis('netstat', '--attach', sock, '--host', 'server', '--json');
    assert.equal(json.code, 0, json.stderr);
    const hosts = JSON.parse(json.stdout) as { name: string; netstat: Record<string, Record<string, unknown>> }[];
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0]!.name, 'server');
    assert.equal(hosts[0]!.netstat['tcpEngine']!['listeners'], 6);
    const text = await tsndis('netstat', '--attach', sock);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^client:$/m);
    assert.match(text.stdout, /^server:$/m);
    assert.match(text.stdout, /^ {2}tcpEngine:\n {4}listeners 6$/m);
    const noHost = await tsndis('netstat', '--attach', sock, '--host', 'nobody');
    assert.equal(noHost.code, 1);
    assert.match(noHost.stderr, /^error: no host 'nobody'$/m);
  } finally {
    await stopChild(up);
  }
  const gone = await tsndis('netstat', '--attach', sock);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot reach a running tsndis/);
});
