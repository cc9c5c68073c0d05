/**
 * The socket layer over two TCP engines on the simulated link (fake time): the WSK-like API, Node-style
 * streams with back-pressure, node:http over them, and the built-in services.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createConnection, createServer, type TcpSocket, TsndisHttpAgent, createHttpServer, WskError, type WskConnectionSocket } from '../../../src/drivers/protocol/tcpip/socket/index.js';
import { startService } from '../../../src/drivers/protocol/tcpip/services/index.js';
import { lab } from '../../support/wsk-lab.js';
import { sha, pattern } from '../../support/pattern.js';

test('wsk: listen/accept and connect; send and receive byte-exact both ways; graceful disconnect ends receive with 0', async () => {
  const { a, b, pump } = lab();
  const ls = b.createListenSocket(4);
  ls.bind({ address: '198.18.0.2', port: 7000 });
  ls.listen();
  let server: WskConnectionSocket | null = null;
  void ls.accept().then((s) => (server = s));
  let client: WskConnectionSocket | null = null;
  void a.connect({ address: '198.18.0.2', port: 7000 }).then((s) => (client = s));
  assert.ok(await pump(() => client !== null && server !== null));
  const c = client as unknown as WskConnectionSocket;
  const s = server as unknown as WskConnectionSocket;
  assert.equal(c.remoteAddress?.address, '198.18.0.2');
  assert.equal(c.remoteAddress?.port, 7000);
  assert.equal(s.remoteAddress?.address, '198.18.0.1');
  assert.equal(s.localAddress?.port, 7000);

  const data = pattern(300_000, 7);
  let sent = -1;
  void c.send(data).then((n) => (sent = n));
  const got = new Uint8Array(data.length);
  let at = 0;
  let ended = false;
  const readLoop = async (): Promise<void> => {
    for (;;) {
      const n = await s.receive(got.subarray(at, Math.min(got.length, at + 65536)));
      if (n === 0) {
        ended = true;
        return;
      }
      at += n;
      if (at === got.length) {
        // one more receive must see the end once the client disconnects
        const tail = new Uint8Array(1);
        const last = await s.receive(tail);
        ended = last === 0;
        return;
      }
    }
  };
  const reading = readLoop();
  assert.ok(await pump(() => sent === data.length));
  await c.disconnect();
  assert.ok(await pump(() => ended));
  await reading;
  assert.equal(sha(got), sha(data));
  assert.equal(s.bytesReceived, data.length);
  assert.equal(c.bytesSent, data.length);

  // The other direction, then close both.
  const back = pattern(50_000, 9);
  void s.send(back);
  await s.disconnect();
  const got2 = new Uint8Array(back.length + 1);
  let at2 = 0;
  let eof = false;
  void (async () => {
    for (;;) {
      const n = await c.receive(got2.subarray(at2));
      if (n === 0) {
        eof = true;
        return;
      }
      at2 += n;
    }
  })();
  assert.ok(await pump(() => eof));
  assert.equal(sha(got2.subarray(0, at2)), sha(back));
  await c.close();
  await s.close();
  await ls.close();
});

test('wsk: event-callback mode: receiveEvent hands data, disconnectEvent reports graceful and abortive ends', async () => {
  const { a, b, pump } = lab();
  const events: string[] = [];
  const received: number[] = [];
  const ls = b.createListenSocket(4, {
    acceptEvent: (_l, s) => {
      events.push('accept');
      s.dispatch = {
        receiveEvent: (sock, n) => {
          const buf = new Uint8Array(n);
          received.push(sock.tryReceive(buf));
        },
        disconnectEvent: (_s, abortive, error) => events.push(abortive ? `abortive:${error?.code ?? ''}` : 'graceful'),
      };
    },
  });
  ls.bind({ port: 7001 });
  ls.listen();
  const c = await (async () => {
    let s: WskConnectionSocket | null = null;
    void a.connect({ address: '198.18.0.2', port: 7001 }).then((x) => (s = x));
    assert.ok(await pump(() => s !== null));
    return s as unknown as WskConnectionSocket;
  })();
  void c.send(pattern(10_000, 1));
  assert.ok(await pump(() => received.reduce((x, y) => x + y, 0) === 10_000));
  await c.disconnect();
  assert.ok(await pump(() => events.includes('graceful')));

  const c2 = await (async () => {
    let s: WskConnectionSocket | null = null;
    void a.connect({ address: '198.18.0.2', port: 7001 }).then((x) => (s = x));
    assert.ok(await pump(() => s !== null));
    return s as unknown as WskConnectionSocket;
  })();
  await c2.disconnect({ abortive: true });
  assert.ok(await pump(() => events.some((e) => e.startsWith('abortive:'))));
  assert.deepEqual(events, ['accept', 'graceful', 'accept', 'abortive:ECONNRESET']);
  // Operations after an abortive disconnect fail with the abort.
  await assert.rejects(c2.send(new Uint8Array(1)), (e: unknown) => e instanceof WskError);
});

test('wsk: connect to a closed port is ECONNREFUSED; bad addresses and ports are EINVAL; a taken port is EADDRINUSE', async () => {
  const { a, b, pump } = lab();
  let err: unknown = null;
  void a.connect({ address: '198.18.0.2', port: 9 }).catch((e: unknown) => (err = e));
  assert.ok(await pump(() => err !== null));
  assert.ok(err instanceof WskError);
  assert.equal(err.code, 'ECONNREFUSED');
  await assert.rejects(a.connect({ address: 'not-an-ip', port: 80 }), { code: 'EINVAL' });
  await assert.rejects(a.connect({ address: '198.18.0.2', port: 70000 }), { code: 'EINVAL' });
  const l1 = b.createListenSocket(4);
  l1.bind({ port: 80 });
  l1.listen();
  const l2 = b.createListenSocket(4);
  l2.bind({ port: 80 });
  assert.throws(() => l2.listen(), { code: 'EADDRINUSE' });
});

test('streams: a 2 MB transfer each way through the streams is byte-exact over a lossy, reordering link', async () => {
  const { a, b, pump } = lab({ seed: 5, params: { lossRate: 0.02, reorderRate: 0.02, reorderDelayMs: 3, duplicateRate: 0.01 } });
  const up = pattern(2_000_000, 11);
  const down = pattern(2_000_000, 13);
  const serverGot: Buffer[] = [];
  let serverEnded = false;
  const server = createServer(b, {}, (s) => {
    s.on('data', (d: Buffer) => serverGot.push(d));
    s.on('end', () => {
      serverEnded = true;
      s.end(Buffer.from(down));
    });
  });
  server.listen(8000, '198.18.0.2');
  const clientGot: Buffer[] = [];
  let clientClosed = false;
  const client = createConnection(a, { port: 8000, host: '198.18.0.2' });
  client.on('data', (d: Buffer) => clientGot.push(d));
  client.on('close', () => (clientClosed = true));
  client.end(Buffer.from(up));
  assert.ok(await pump(() => serverEnded && clientClosed, 600_000), 'transfer did not finish');
  assert.equal(sha(Buffer.concat(serverGot)), sha(up));
  assert.equal(sha(Buffer.concat(clientGot)), sha(down));
  assert.equal(client.bytesWritten, up.length);
  assert.equal(client.bytesRead, down.length);
  assert.equal(client.remoteAddress, '198.18.0.2');
  assert.equal(client.remotePort, 8000);
  assert.equal(client.remoteFamily, 'IPv4');
  server.close();
});

test('streams: back-pressure: a paused reader closes the window and write() returns false; resuming delivers everything', async () => {
  const { a, b, pump } = lab({ config: { sendBufferSize: 64 * 1024, sendBufferMax: 64 * 1024, receiveBufferSize: 64 * 1024, receiveBufferMax: 64 * 1024 } });
  let serverSocket: TcpSocket | null = null;
  const server = createServer(b, {}, (s) => {
    serverSocket = s;
    s.pause();
  });
  server.listen(8001);
  const client = createConnection(a, { port: 8001, host: '198.18.0.2' });
  assert.ok(await pump(() => serverSocket !== null && !client.connecting && !client.pending));
  // A well-behaved writer: write until write() says stop, continue on 'drain'.
  const chunk = Buffer.alloc(16 * 1024, 0x5a);
  let writes = 0;
  const writeMore = (): void => {
    while (writes < 1000) {
      writes++;
      if (!client.write(chunk)) return;
    }
  };
  client.on('drain', writeMore);
  writeMore();
  await pump(() => false, 5_000);
  // The paused reader stalled the writer: what it wrote fits in the receive ring, the send ring and
  // one stream buffer, and it is waiting for 'drain'.
  const s = serverSocket as unknown as TcpSocket;
  assert.ok(writes < 1000, 'the writer was never stopped');
  assert.ok(writes * chunk.length <= 64 * 1024 * 2 + 2 * chunk.length + client.writableHighWaterMark, `${writes} chunks written`);
  assert.ok(client.writableNeedDrain);
  assert.equal(s.wsk!.readableLength, 65535, 'the receiver holds a full window');
  assert.equal(client.wsk!.connection!.info().sndWnd, 0, 'the window is closed');
  client.off('drain', writeMore);
  let got = 0;
  s.on('data', (d: Buffer) => (got += d.length));
  s.resume();
  client.end();
  assert.ok(await pump(() => got === writes * chunk.length, 60_000));
  server.close();
});

test('streams: connection refused emits error ECONNREFUSED and close; destroy() resets the peer', async () => {
  const { a, b, pump } = lab();
  const c = createConnection(a, { port: 4444, host: '198.18.0.2' });
  let err: (Error & { code?: string }) | null = null;
  let closed = false;
  c.on('error', (e) => (err = e));
  c.on('close', () => (closed = true));
  assert.ok(await pump(() => closed));
  assert.equal(err!.code, 'ECONNREFUSED');

  let peerError: (Error & { code?: string }) | null = null;
  const server = createServer(b, {}, (s) => s.on('error', (e) => (peerError = e)));
  server.listen(4445);
  const c2 = createConnection(a, { port: 4445, host: '198.18.0.2' });
  await pump(() => !c2.connecting);
  c2.destroy();
  assert.ok(await pump(() => peerError !== null));
  assert.equal(peerError!.code, 'ECONNRESET');
});

test('node:http over tsndis: an http.Server fed by a TcpServer, requests through TsndisHttpAgent', async () => {
  const { a, b, pump } = lab({ family: 6 });
  const body = pattern(500_000, 3);
  const h = createHttpServer(b, (req, res) => {
    if (req.url === '/data') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(Buffer.from(body));
    } else {
      res.writeHead(404);
      res.end('nope');
    }
  });
  h.tcp.listen(80);
  const agent = new TsndisHttpAgent(a);
  const fetch = (path: string): Promise<{ status: number; body: Buffer }> =>
    new Promise((resolve, reject) => {
      httpGet({ host: 'fd00:0:0:7::2', port: 80, path, agent }, (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      }).on('error', reject);
    });
  let r1: { status: number; body: Buffer } | null = null;
  void fetch('/data').then((r) => (r1 = r));
  assert.ok(await pump(() => r1 !== null, 120_000));
  assert.equal(r1!.status, 200);
  assert.equal(sha(r1!.body), sha(body));
  let r2: { status: number; body: Buffer } | null = null;
  void fetch('/missing').then((r) => (r2 = r));
  assert.ok(await pump(() => r2 !== null, 120_000));
  assert.equal(r2!.status, 404);
  agent.destroy();
  let closed = false;
  void h.close().then(() => (closed = true));
  assert.ok(await pump(() => closed, 120_000));
});

test('services: echo returns every byte, discard swallows them, http serves files under its root only', async () => {
  const { a, b, pump } = lab();
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-svc-'));
  try {
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'index.html'), '<h1>tsndis</h1>\n');
    const file = pattern(200_000, 21);
    writeFileSync(join(dir, 'www', 'blob.bin'), file);
    writeFileSync(join(dir, 'secret.txt'), 'outside the root\n');
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'www', 'link.txt'));
    const echo = await startService(b, { service: 'echo', port: 7, address: null, root: null });
    const discard = await startService(b, { service: 'discard', port: 9, address: null, root: null });
    const http = await startService(b, { service: 'http', port: 80, address: '198.18.0.2', root: join(dir, 'www') });

    const msg = pattern(100_000, 4);
    const back: Buffer[] = [];
    let done = false;
    const e = createConnection(a, { port: 7, host: '198.18.0.2' });
    e.on('data', (d: Buffer) => back.push(d));
    e.on('end', () => (done = true));
    e.end(Buffer.from(msg));
    assert.ok(await pump(() => done, 60_000));
    assert.equal(sha(Buffer.concat(back)), sha(msg));
    assert.equal(echo.counters.bytesIn, msg.length);
    assert.equal(echo.counters.bytesOut, msg.length);

    let discarded = false;
    const d = createConnection(a, { port: 9, host: '198.18.0.2' });
    d.on('data', () => assert.fail('discard answered'));
    d.on('end', () => (discarded = true));
    d.end(Buffer.from(msg));
    assert.ok(await pump(() => discarded, 60_000));
    assert.equal(discard.counters.bytesIn, msg.length);

    const agent = new TsndisHttpAgent(a);
    const fetch = async (path: string): Promise<{ status: number; body: Buffer }> => {
      let r: { status: number; body: Buffer } | null = null;
      httpGet({ host: '198.18.0.2', port: 80, path, agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (x: Buffer) => parts.push(x));
        res.on('end', () => (r = { status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      });
      assert.ok(await pump(() => r !== null, 60_000));
      return r!;
    };
    const blob = await fetch('/blob.bin');
    assert.equal(blob.status, 200);
    assert.equal(sha(blob.body), sha(file));
    assert.equal((await fetch('/')).body.toString(), '<h1>tsndis</h1>\n');
    assert.equal((await fetch('/../secret.txt')).status, 404);
    assert.equal((await fetch('/%2e%2e/secret.txt')).status, 404);
    assert.equal((await fetch('/link.txt')).status, 404);
    assert.equal((await fetch('/nothing-here')).status, 404);
    assert.equal(http.counters.requests, 6);
    agent.destroy();
    let closed = 0;
    for (const s of [echo, discard, http]) void s.close().then(() => closed++);
    assert.ok(await pump(() => closed === 3, 60_000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setCongestion on the WSK socket and on the stream socket switches the connection’s controller (TCP_CONGESTION)', async () => {
  const { a, b, pump } = lab();
  let accepted: TcpSocket | null = null;
  const server = createServer(b, { congestion: 'newreno' }, (s) => {
    accepted = s;
  });
  server.listen(8100, '198.18.0.2');
  const client = createConnection(a, { port: 8100, host: '198.18.0.2', congestion: 'bbr' });
  assert.ok(await pump(() => accepted !== null && !client.connecting));
  const peer = accepted as unknown as TcpSocket;
  assert.equal(client.wsk!.connection!.info().congestion, 'bbr', 'the per-socket option');
  assert.equal(peer.wsk!.connection!.info().congestion, 'newreno', 'the server’s option on what it accepts');
  assert.equal(client.setCongestion('cubic'), client);
  assert.equal(client.wsk!.connection!.info().congestion, 'cubic');
  peer.wsk!.setCongestion('bbr');
  assert.equal(peer.wsk!.connection!.info().congestion, 'bbr');
  assert.equal(client.setCongestion('bbr1'), client);
  assert.equal(client.wsk!.connection!.info().congestion, 'bbr1');
  peer.wsk!.setCongestion('bbr1');
  assert.equal(peer.wsk!.connection!.info().congestion, 'bbr1');
  assert.throws(() => peer.wsk!.setCongestion('vegas' as never), /must be one of 'cubic', 'newreno', 'bbr', 'bbr1'/);
  client.destroy();
  peer.destroy();
  server.close();
});
