/**
 * TcpIpProtocol's Node-style entry points take their arguments as node:net does:
 * `createServer([options][, listener])` and `connect(options[, listener])` / `connect(port[, host][, listener])`.
 * The former order `createServer(listener, options)` still works (a function first is unambiguous).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpServer, TcpServerOptions, TcpSocket } from '../../../src/drivers/protocol/tcpip/index.js';
import { finish, pair, pump, pumpUntil, releaseWire, type IpHost } from '../helpers.js';

/** Connects to `server` on port `port` and resolves with the server's side of the connection. */
async function accepted(a: IpHost, b: IpHost, server: TcpServer, port: number, connect: () => TcpSocket): Promise<{ peer: TcpSocket; client: TcpSocket }> {
  const peer = new Promise<TcpSocket>((resolve) => server.once('connection', resolve));
  server.listen(port);
  const client = connect();
  const got = await pumpUntil([a, b], peer, 10_000);
  await pumpUntil([a, b], new Promise((r) => (client.pending ? client.once('connect', r) : r(undefined))), 10_000);
  return { peer: got, client };
}

async function close(a: IpHost, b: IpHost, server: TcpServer, ...sockets: TcpSocket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  const closed = new Promise((r) => server.close(() => r(undefined)));
  await pumpUntil([a, b], closed, 10_000);
}

test('createServer(options, listener): Node order; the options apply to accepted sockets and the listener gets them', async () => {
  const { a, b, wire } = await pair();
  try {
    const seen: TcpSocket[] = [];
    const options: TcpServerOptions = { allowHalfOpen: true };
    const server = b.ip.createServer(options, (s) => seen.push(s));
    const { peer, client } = await accepted(a, b, server, 7100, () => a.ip.connect({ host: '198.18.0.2', port: 7100 }));
    assert.deepEqual(seen, [peer]);
    assert.equal(peer.allowHalfOpen, true, 'the options reached the accepted socket');
    await close(a, b, server, client, peer);
    await pump([a, b], 100);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});

test('createServer(listener) and createServer(options) alone', async () => {
  const { a, b, wire } = await pair();
  try {
    const seen: TcpSocket[] = [];
    const s1 = b.ip.createServer((s) => seen.push(s));
    const r1 = await accepted(a, b, s1, 7101, () => a.ip.connect(7101, '198.18.0.2'));
    assert.deepEqual(seen, [r1.peer]);
    assert.equal(r1.peer.allowHalfOpen, false);
    const s2 = b.ip.createServer({ allowHalfOpen: true });
    const r2 = await accepted(a, b, s2, 7102, () => a.ip.connect({ host: '198.18.0.2', port: 7102 }));
    assert.equal(r2.peer.allowHalfOpen, true);
    assert.equal(seen.length, 1, 'the first listener saw only its own connection');
    await close(a, b, s1, r1.client, r1.peer);
    await close(a, b, s2, r2.client, r2.peer);
    await pump([a, b], 100);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});

test('the former order createServer(listener, options) still works', async () => {
  const { a, b, wire } = await pair();
  try {
    const seen: TcpSocket[] = [];
    const server = b.ip.createServer((s) => seen.push(s), { allowHalfOpen: true });
    let connected = false;
    const { peer, client } = await accepted(a, b, server, 7103, () => a.ip.connect(7103, '198.18.0.2', () => (connected = true)));
    assert.deepEqual(seen, [peer]);
    assert.equal(peer.allowHalfOpen, true);
    assert.equal(connected, true, 'connect(port, host, listener) calls the listener');
    await close(a, b, server, client, peer);
    await pump([a, b], 100);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});

test('createServer with two listeners or a non-object option is a TypeError', async () => {
  const { a, b, wire } = await pair();
  try {
    const f = (): void => undefined;
    assert.throws(() => b.ip.createServer(f as unknown as TcpServerOptions, f), TypeError);
    assert.throws(() => b.ip.createServer(7 as unknown as TcpServerOptions), TypeError);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});
