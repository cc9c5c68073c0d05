/**
 * The control channel treats every request as hostile: malformed JSON, JSON that is not a request
 * object, unknown ops and ill-typed fields each get one error reply; a line over the size limit, a line
 * left incomplete, a client that never reads its replies and connections beyond the cap are answered with
 * an error (where a reply can still reach them) and disconnected. Replies echo the request's `id` and
 * come in request order, pipelined or not, and the stacks keep forwarding frames throughout (checked
 * after every barrage). Real Unix sockets against in-process stacks on a virtual wire.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ControlClient, controlRequest, serveControl, type ControlLimits, type ControlServer } from '../../src/cli/control.js';
import { buildStacks, loadStackConfig, type BuiltStacks } from '../../src/config/index.js';
import { fixtureDir } from '../config/helpers.js';
import { ROOT } from '../support/cli.js';
import { frame, settle } from '../support/hosts.js';

const TIMEOUT = { timeout: 60_000 };

/** A raw client: writes whatever it is given, collects reply lines, knows when the server closed it. */
class RawClient {
  readonly lines: string[] = [];
  readonly closed: Promise<void>;
  readonly sock: Socket;
  #buf = '';
  #waiters: (() => void)[] = [];

  constructor(path: string) {
    this.sock = createConnection(path);
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d: string) => {
      this.#buf += d;
      for (let i = this.#buf.indexOf('\n'); i >= 0; i = this.#buf.indexOf('\n')) {
        this.lines.push(this.#buf.slice(0, i));
        this.#buf = this.#buf.slice(i + 1);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.sock.on('error', () => {});
    this.closed = new Promise((r) => this.sock.on('close', () => r()));
    this.closed.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves with the first `n` reply lines, parsed; rejects after `ms` (or when closed first). */
  async replies(n: number, ms = 10_000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + ms;
    while (this.lines.length < n) {
      if (this.sock.destroyed) throw new Error(`closed after ${this.lines.length} of ${n} replies: ${this.lines.join(' | ')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.lines.length} of ${n} replies within ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.lines.slice(0, n).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Resolves once the server closed the connection; rejects after `ms`. */
  async closedWithin(ms = 10_000): Promise<void> {
    let t!: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`still connected after ${ms} ms; replies: ${this.lines.join(' | ').slice(0, 300)}`)), ms)));
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
  }
}

interface Lab {
  stacks: BuiltStacks;
  server: ControlServer;
  sock: string;
  /** Sends `n` frames from hostA to hostB over the wire and asserts every one arrived. */
  forwards(n?: number): Promise<void>;
}

async function withLab(limits: ControlLimits, body: (lab: Lab) => Promise<void>): Promise<void> {
  const sock = join(fixtureDir(), 'control.sock');
  const stacks = await buildStacks(await loadStackConfig(join(ROOT, 'examples', 'two-hosts.yaml')), { wirePrefix: `hostile${process.pid}-` });
  const server = await serveControl(stacks, sock, () => {}, limits);
  const a = stacks.hosts.get('hostA')!;
  const b = stacks.hosts.get('hostB')!;
  const tx = a.raw.endpoint('eth0');
  const rx = b.raw.endpoint('eth0');
  const src = a.runtime.adapter('eth0').general!.currentMacAddress;
  const dst = b.runtime.adapter('eth0').general!.currentMacAddress;
  let seed = 0;
  const forwards = async (n = 10): Promise<void> => {
    for (let i = 0; i < n; i++) assert.ok(tx.send(frame(dst, src, 0x88b5, 46, seed++)), 'hostA sends');
    let received = 0;
    for (let tries = 0; tries < 100 && received < n; tries++) {
      await settle();
      while (rx.tryReceive() !== null) received++;
      if (received < n) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(received, n, 'the stack forwards every frame');
  };
  try {
    await body({ stacks, server, sock, forwards });
  } finally {
    await server.close();
    await stacks.shutdown();
  }
}

test('malformed JSON, non-objects, unknown ops and ill-typed fields each get one error reply, in order, with the id echoed', TIMEOUT, async () => {
  await withLab({}, async ({ sock, server, forwards }) => {
    await forwards();
    const c = new RawClient(sock);
    const lines = [
      '{"op":',
      '3',
      'null',
      '[]',
      '"status"',
      '{"id":1,"op":"no-such-op"}',
      '{"id":"a","op":"status"}',
      '{"id":2,"op":"attach-filter"}',
      '{"id":3,"op":"nbl","nbl":5}',
      '{"id":{"x":1},"op":"status"}',
      '{"id":null,"op":"stack","host":"hostB"}',
      '{"id":4.5,"op":"adapter","adapter":"hostA/eth0","action":7}',
      '{"id":true}',
      '{"op":"status"}',
      '',
    ];
    c.sock.write(`${lines.join('\n')}\n`);
    const r = await c.replies(lines.length);
    const errorOf = (i: number): string => {
      assert.equal(r[i]!['ok'], false, `line ${i} (${lines[i]}) is refused: ${JSON.stringify(r[i])}`);
      return r[i]!['error'] as string;
    };
    assert.match(errorOf(0), /^not a JSON line/);
    for (const i of [1, 2, 3, 4]) {
      assert.match(errorOf(i), /^a request is a JSON object with an "op"/);
      assert.equal('id' in r[i]!, false);
    }
    assert.match(errorOf(5), /^unknown op 'no-such-op'/);
    assert.equal(r[5]!['id'], 1);
    assert.equal(r[6]!['ok'], true);
    assert.equal(r[6]!['id'], 'a');
    assert.match(errorOf(7), /^attach-filter: "adapter" must be a string/);
    assert.equal(r[7]!['id'], 2);
    assert.match(errorOf(8), /^nbl: "nbl" must be a string/);
    assert.equal(r[8]!['id'], 3);
    assert.match(errorOf(9), /^"id" must be a string, number, boolean or null/);
    assert.equal('id' in r[9]!, false);
    assert.equal(r[10]!['ok'], true);
    assert.equal(r[10]!['id'], null);
    assert.deepEqual((r[10]!['hosts'] as { host: string }[]).map((h) => h.host), ['hostB']);
    assert.match(errorOf(11), /^adapter: "action" must be a string/);
    assert.equal(r[11]!['id'], 4.5);
    assert.match(errorOf(12), /^a request is a JSON object with an "op"/);
    assert.equal(r[12]!['id'], true);
    assert.equal(r[13]!['ok'], true);
    assert.equal('id' in r[13]!, false, 'no id, none echoed');
    assert.match(errorOf(14), /^not a JSON line/);
    const control = r[13]!['control'] as { malformed: number; unknownOps: number };
    assert.equal(control.malformed, 10, 'the malformed lines are counted (status reports them)');
    assert.equal(control.unknownOps, 1);
    assert.equal(server.stats.malformed, 11);
    assert.equal(c.sock.destroyed, false, 'bad requests do not cost the connection');
    c.sock.end();
    await c.closedWithin();
    await forwards();
  });
});

test('pipelined requests (slow ops among fast ones) are answered in request order, each with its id', TIMEOUT, async () => {
  await withLab({}, async ({ sock, stacks, forwards }) => {
    const c = new RawClient(sock);
    const reqs: Record<string, unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const k = i % 6;
      if (k === 0) reqs.push({ id: i, op: 'attach-filter', adapter: 'hostB/eth0', driver: 'tsndis.passthrough' });
      else if (k === 1) reqs.push({ id: `s${i}`, op: 'status' });
      else if (k === 2) reqs.push({ id: i, op: 'detach-filter', adapter: 'hostB/eth0', driver: 'tsndis.passthrough' });
      else if (k === 3) reqs.push({ id: i, op: 'bogus' });
      else if (k === 4) reqs.push({ id: i, op: 'adapter', adapter: 'hostA/eth0', action: i % 12 === 4 ? 'pause' : 'restart' });
      else reqs.push({ id: i, op: 'stack', host: 'hostA' });
    }
    c.sock.write(reqs.map((q) => `${JSON.stringify(q)}\n`).join(''));
    const r = await c.replies(reqs.length, 30_000);
    assert.deepEqual(r.map((x) => x['id']), reqs.map((q) => q['id']));
    for (const [i, x] of r.entries()) assert.equal(x['ok'], reqs[i]!['op'] !== 'bogus', JSON.stringify(x));
    // The pause/restart replies report the state each request left, in order.
    assert.deepEqual(r.filter((_, i) => reqs[i]!['op'] === 'adapter').map((x) => x['state']), reqs.filter((q) => q['op'] === 'adapter').map((q) => (q['action'] === 'pause' ? 'Paused' : 'Running')));
    assert.equal(stacks.hosts.get('hostA')!.runtime.adapter('eth0').state, 'Running');
    c.sock.end();
    await forwards();

    // ControlClient numbers its requests and matches replies by id, concurrent requests included.
    const client = await ControlClient.connect(sock);
    try {
      const [status, stack, nbl, bad] = await Promise.all([
        client.request({ op: 'status' }),
        client.request({ op: 'stack', host: 'hostB' }),
        client.request({ op: 'nbl', nbl: 'nothing#0' }),
        client.request({ op: 'netstat', host: 'nobody' }),
      ]);
      assert.equal(status.ok, true);
      assert.ok(Array.isArray(status['hosts']) && (status['hosts'] as { adapters?: unknown }[])[0]!.adapters !== undefined, 'status reply');
      assert.deepEqual((stack as unknown as { hosts: { host: string }[] }).hosts.map((h) => h.host), ['hostB']);
      assert.match(nbl.ok ? '' : nbl.error, /no NBL 'nothing#0'/);
      assert.match(bad.ok ? '' : bad.error, /no host 'nobody'/);
      assert.equal('id' in status, false, 'the client keeps the id to itself');
    } finally {
      client.close();
    }
  });
});

test('property: any line sequence gets exactly one reply per line, in order, echoing each scalar id', TIMEOUT, async () => {
  await withLab({}, async ({ sock, forwards }) => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const request = fc.record(
      { id: fc.oneof(scalar, fc.jsonValue()), op: fc.oneof(fc.constantFrom('status', 'stack', 'netstat', 'nbl', 'oid', 'connections', 'property', 'adapter', 'attach-filter', 'detach-filter'), fc.string(), fc.jsonValue()), adapter: fc.jsonValue(), host: fc.jsonValue(), nbl: fc.jsonValue(), type: fc.jsonValue(), oid: fc.jsonValue(), action: fc.jsonValue(), driver: fc.jsonValue() },
      { requiredKeys: [] },
    );
    const line = fc.oneof(
      request.map((q) => JSON.stringify(q)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), async (lines) => {
        const c = new RawClient(sock);
        try {
          c.sock.write(`${lines.join('\n')}\n`);
          const r = await c.replies(lines.length);
          for (const [i, l] of lines.entries()) {
            assert.equal(typeof r[i]!['ok'], 'boolean');
            if (r[i]!['ok'] === false) assert.equal(typeof r[i]!['error'], 'string');
            let q: unknown;
            try {
              q = JSON.parse(l);
            } catch {
              q = undefined;
            }
            const id = typeof q === 'object' && q !== null && !Array.isArray(q) ? (q as { id?: unknown }).id : undefined;
            if (id === null || ['string', 'number', 'boolean'].includes(typeof id)) assert.deepEqual(r[i]!['id'], id, `line ${i}: ${l}`);
            else assert.equal('id' in r[i]!, false, `line ${i}: ${l}`);
          }
          await new Promise((res) => setTimeout(res, 20));
          assert.equal(c.lines.length, lines.length, 'exactly one reply per line');
        } finally {
          c.sock.destroy();
        }
      }),
      { numRuns: 40, seed: 12 },
    );
    await forwards();
  });
});

test('a line over the size limit gets an error and a disconnect; so does a line left incomplete', TIMEOUT, async () => {
  await withLab({ maxLineBytes: 4096, lineTimeoutMs: 300 }, async ({ sock, server, forwards }) => {
    // A partial line that grows past the limit without a newline.
    const big = new RawClient(sock);
    big.sock.write(`{"op":"status","pad":"${'x'.repeat(5000)}`);
    await big.closedWithin();
    assert.match(big.lines.join('\n'), /"error":"request line over 4096 bytes; disconnecting"/);
    // A complete line over the limit, after a good one that is still answered.
    const whole = new RawClient(sock);
    whole.sock.write(`{"id":1,"op":"status"}\n{"id":2,"op":"status","pad":"${'y'.repeat(8000)}"}\n{"id":3,"op":"status"}\n`);
    await whole.closedWithin();
    const r = whole.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(r[0]!['id'], 1);
    assert.equal(r[0]!['ok'], true);
    assert.match(String(r[1]!['error']), /request line over 4096 bytes/);
    assert.equal(r.length, 2, 'nothing after the oversized line is served');
    assert.equal(server.stats.oversized, 2);
    await forwards();

    // A line that never ends.
    const stalled = new RawClient(sock);
    stalled.sock.write('{"op":"sta');
    await stalled.closedWithin(5000);
    assert.match(stalled.lines.join('\n'), /request line incomplete after 300 ms; disconnecting/);
    assert.equal(server.stats.stalled, 1);
    // An idle connection with no partial line is not timed out (capture --attach holds one open).
    const idle = new RawClient(sock);
    await idle.connected();
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(idle.sock.destroyed, false);
    idle.sock.write('{"id":"late","op":"status"}\n');
    assert.equal((await idle.replies(1))[0]!['id'], 'late');
    idle.sock.end();
    await forwards();
    assert.equal((await controlRequest(sock, { op: 'status' })).ok, true);
  });
});

test('a client that never reads its replies is disconnected once its unread replies pass the limit', TIMEOUT, async () => {
  await withLab({ maxUnreadBytes: 64 * 1024 }, async ({ sock, server, forwards }) => {
    const slow = new RawClient(sock);
    await slow.connected();
    slow.sock.pause();
    const req = `${JSON.stringify({ op: 'stack' })}\n`;
    // Far more reply bytes than a socket buffer holds (each stack snapshot is kilobytes).
    for (let i = 0; i < 2000 && !slow.sock.destroyed; i++) slow.sock.write(req);
    for (let i = 0; i < 200 && server.stats.slowReaders === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.stats.slowReaders, 1, 'the slow reader was disconnected');
    slow.sock.resume();
    await slow.closedWithin();
    await forwards();
    assert.equal((await controlRequest(sock, { op: 'status' })).ok, true, 'others are still served');
  });
});

test('connections beyond the cap are refused with an error line; the channel serves new clients once one leaves', TIMEOUT, async () => {
  await withLab({ maxClients: 4 }, async ({ sock, server, forwards }) => {
    const held = await Promise.all([0, 1, 2, 3].map(() => ControlClient.connect(sock)));
    for (const h of held) assert.equal((await h.request({ op: 'status' })).ok, true);
    // 20 more at once: each is refused with one error line and closed.
    const extra = Array.from({ length: 20 }, () => new RawClient(sock));
    await Promise.all(extra.map((e) => e.closedWithin()));
    for (const e of extra) assert.deepEqual(e.lines.map((l) => JSON.parse(l) as unknown), [{ ok: false, error: 'too many control connections (4 served at once); try again later' }]);
    assert.equal(server.stats.refused, 20);
    assert.equal(server.stats.clients, 4);
    await forwards();
    // ControlClient reports the refusal as the server worded it.
    await assert.rejects(controlRequest(sock, { op: 'status' }), /too many control connections/);
    // One leaves: a new client is served.
    held[0]!.close();
    await held[0]!.closed;
    for (let i = 0; i < 100 && server.stats.clients > 3; i++) await new Promise((r) => setTimeout(r, 20));
    const status = await controlRequest(sock, { op: 'status' });
    assert.equal(status.ok, true);
    assert.deepEqual((status['control'] as { refused: number }).refused, 21);
    for (const h of held.slice(1)) assert.equal((await h.request({ op: 'status' })).ok, true, 'the held ones keep working');
    for (const h of held.slice(1)) h.close();
    await forwards();
  });
});

test('ControlClient sends an id with each request and refuses a reply that carries another', TIMEOUT, async () => {
  // A server that answers two pipelined requests in the wrong order.
  const path = join(fixtureDir(), 'swapped.sock');
  const seen: unknown[] = [];
  const server = createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) seen.push((JSON.parse(l) as { id: unknown }).id);
      if (seen.length === 2) s.write(`${JSON.stringify({ ok: true, id: seen[1] })}\n${JSON.stringify({ ok: true, id: seen[0] })}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  const client = await ControlClient.connect(path);
  try {
    const [first, second] = await Promise.allSettled([client.request({ op: 'status' }), client.request({ op: 'status' })]);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(first.status, 'rejected');
    assert.match(String((first as PromiseRejectedResult).reason), /reply to request 2 where 1 was due/);
    assert.equal(second.status, 'rejected');
  } finally {
    client.close();
    server.close();
  }
});
