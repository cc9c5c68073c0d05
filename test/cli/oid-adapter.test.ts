/**
 * `tsndis oid`, `tsndis adapter` and `tsndis netstat --connections` against a running stack: a child
 * process of the CLI attached to the control socket this test serves over live stacks. Each answer is
 * checked against the stack itself — the same OID issued from code (`rt.oid`) gets the same status and
 * lengths, a set is seen by a query from code, a pause leaves the adapter Paused, and the connection
 * table lists the listener and both ends of a real connection with their addresses and states.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveControl } from '../../src/cli/control.js';
import { pickHost, upTcpIp } from '../../src/cli/tcpip-hosts.js';
import type { WskConnectionSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { NdisOidRequest, NDIS_STATUS_SUCCESS, OID_CODECS, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_LINK_STATE, statusName } from '../../src/ndis/index.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { tsndis } from '../support/cli.js';

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
            keywords: { IPAddress: [198.18.7.1/24], IPv6: false }
  b:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols:
          - driver: tsndis.tcpip
            keywords: { IPAddress: [198.18.7.2/24], IPv6: false }
`;

async function withStack(fn: (sock: string, t: Awaited<ReturnType<typeof upTcpIp>>) => Promise<void>): Promise<void> {
  const dir = fixtureDir();
  const t = await upTcpIp(writeFixture(dir, 'two-hosts.yaml', CONFIG), { family: 4 });
  const sock = join(dir, 'control.sock');
  const server = await serveControl(t.stacks, sock);
  try {
    await fn(sock, t);
  } finally {
    await server.close();
    await t.shutdown();
  }
}

test('tsndis oid: query decodes, a short buffer gets the status and BytesNeeded code gets, a set is seen from code', TIMEOUT, async () => {
  await withStack(async (sock, t) => {
    const rt = t.stacks.hosts.get('a')!.runtime;
    const q = await tsndis('oid', '--attach', sock, 'a/eth0', 'query', 'OID_GEN_LINK_STATE', '--json');
    assert.equal(q.code, 0, q.stderr);
    const link = JSON.parse(q.stdout) as { status: string; bytesWritten: number; decoded: Record<string, unknown>; hex: string };
    assert.equal(link.status, 'NDIS_STATUS_SUCCESS');
    const fromCode = await rt.query('a/eth0', OID_GEN_LINK_STATE, 1024);
    assert.equal(fromCode.status, NDIS_STATUS_SUCCESS);
    assert.equal(link.bytesWritten, fromCode.request.bytesWritten);
    assert.equal(link.hex, Buffer.from(fromCode.request.informationBuffer.subarray(0, fromCode.request.bytesWritten)).toString('hex'));
    assert.equal(link.decoded['mediaConnectState'], 1, 'connected');
    assert.equal(link.decoded['xmitLinkSpeed'], '10000000000', '10 Gbit/s, a 64-bit value as a decimal string');

    // The text form names the fields; --raw prints the bytes.
    const text = await tsndis('oid', '--attach', sock, 'a/eth0', 'query', 'OID_GEN_LINK_STATE');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^a\/eth0 query OID_GEN_LINK_STATE: NDIS_STATUS_SUCCESS \(written \d+, read 0, needed 0\)\n/);
    assert.match(text.stdout, /\n\s+mediaConnectState 1\n/);
    const raw = await tsndis('oid', '--attach', sock, 'a/eth0', 'query', 'OID_GEN_LINK_STATE', '--raw');
    assert.ok(raw.stdout.includes(`  ${link.hex}\n`));

    // Too small a buffer: the status and BytesNeeded code gets for the same request.
    const short = await tsndis('oid', '--attach', sock, 'a/eth0', 'query', 'OID_GEN_LINK_STATE', '--length', '8', '--json');
    assert.equal(short.code, 1, 'a request completed with a failure status exits 1');
    const s = JSON.parse(short.stdout) as { status: string; bytesNeeded: number };
    const same = NdisOidRequest.query(OID_GEN_LINK_STATE, 8);
    const status = await rt.oid('a/eth0', same);
    assert.equal(s.status, statusName(status));
    assert.notEqual(status, NDIS_STATUS_SUCCESS);
    assert.equal(s.bytesNeeded, same.bytesNeeded);
    assert.ok(s.bytesNeeded > 8);

    // A set through the CLI; code reads the new value back.
    const set = await tsndis('oid', '--attach', sock, 'a/eth0', 'set', 'OID_GEN_CURRENT_PACKET_FILTER', '0x0b');
    assert.equal(set.code, 0, set.stderr + set.stdout);
    assert.match(set.stdout, /NDIS_STATUS_SUCCESS \(written 0, read 4, needed 0\)/);
    const back = await rt.query('a/eth0', OID_GEN_CURRENT_PACKET_FILTER, 4);
    assert.equal(new DataView(back.request.informationBuffer.buffer).getUint32(0, true), 0x0b);
    const json = await tsndis('oid', '--attach', sock, 'a/eth0', 'query', 'OID_GEN_CURRENT_PACKET_FILTER', '--json');
    assert.equal((JSON.parse(json.stdout) as { decoded: number }).decoded, 0x0b);

    // A raw set two bytes long: the miniport's INVALID_LENGTH with BytesNeeded 4, exit 1.
    const rawSet = await tsndis('oid', '--attach', sock, 'a/eth0', 'set', 'OID_GEN_CURRENT_PACKET_FILTER', '0b00', '--raw', '--json');
    assert.equal(rawSet.code, 1);
    const r = JSON.parse(rawSet.stdout) as { status: string; bytesNeeded: number };
    assert.equal(r.status, 'NDIS_STATUS_INVALID_LENGTH');
    assert.equal(r.bytesNeeded, 4);
  });
});

test('tsndis oid: bad command lines exit 2 with the reason, and nothing reaches the stack', TIMEOUT, async () => {
  await withStack(async (sock) => {
    const cases: [string[], RegExp][] = [
      [['a/eth0', 'query', 'OID_GEN_NO_SUCH_THING'], /unknown OID 'OID_GEN_NO_SUCH_THING'/],
      [['a/eth9', 'query', 'OID_GEN_LINK_STATE'], /no such adapter \(adapters: a\/eth0, b\/eth0\)/],
      [['a/eth0', 'poke', 'OID_GEN_LINK_STATE'], /'poke' is not query or set/],
      [['a/eth0', 'set', 'OID_GEN_CURRENT_PACKET_FILTER'], /set needs a value/],
      [['a/eth0', 'set', 'OID_GEN_CURRENT_PACKET_FILTER', 'zz', '--raw'], /not hex bytes/],
      [['a/eth0', 'set', 'OID_GEN_CURRENT_PACKET_FILTER', 'eleven'], /not a number or JSON/],
    ];
    for (const [args, why] of cases) {
      const r = await tsndis('oid', '--attach', sock, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, why);
    }
  });
});

test('tsndis adapter: pause, restart and reset act on the live adapter; a bad action exits 2', TIMEOUT, async () => {
  await withStack(async (sock, t) => {
    const rt = t.stacks.hosts.get('a')!.runtime;
    const pause = await tsndis('adapter', '--attach', sock, 'a/eth0', 'pause');
    assert.equal(pause.code, 0, pause.stderr);
    assert.equal(pause.stdout, 'a/eth0: pause → Paused\n');
    assert.equal(rt.adapter('a/eth0').state, 'Paused');
    const restart = await tsndis('adapter', '--attach', sock, 'a/eth0', 'restart', '--json');
    assert.deepEqual(JSON.parse(restart.stdout), { adapter: 'a/eth0', action: 'restart', state: 'Running' });
    assert.equal(rt.adapter('a/eth0').state, 'Running');
    // The virtual wire has no MiniportResetEx: the CLI reports the status code gets, and exits 1.
    const reset = await tsndis('adapter', '--attach', sock, 'a/eth0', 'reset', '--json');
    assert.equal(reset.code, 1, reset.stderr + reset.stdout);
    const fromCode = statusName(await rt.resetAdapter('a/eth0'));
    assert.equal(fromCode, 'NDIS_STATUS_NOT_RESETTABLE');
    assert.deepEqual(JSON.parse(reset.stdout), { adapter: 'a/eth0', action: 'reset', state: 'Running', status: fromCode });
    const bad = await tsndis('adapter', '--attach', sock, 'a/eth0', 'unplug');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'unplug' is not an adapter action/);
    const remove = await tsndis('adapter', '--attach', sock, 'b/eth0', 'remove');
    assert.equal(remove.code, 0, remove.stderr);
    assert.equal(t.stacks.hosts.get('b')!.runtime.adapters.has('b/eth0'), false);
  });
});

test('tsndis netstat --connections: the listener and both ends of a connection, with states and queues', TIMEOUT, async () => {
  await withStack(async (sock, t) => {
    const a = pickHost(t, 'a').ip;
    const b = pickHost(t, 'b').ip;
    let server: WskConnectionSocket | null = null;
    const ls = a.sockets.createListenSocket(4, { acceptEvent: (_l, s) => {
        server = s;
      },
    });
    ls.bind({ address: '198.18.7.1', port: 5555 });
    ls.listen();
    const client = await b.sockets.connect({ address: '198.18.7.1', port: 5555 });
    // 1000 bytes the server does not read: they show as its Recv-Q.
    client.trySend(new Uint8Array(1000));
    const deadline = Date.now() + 5000;
    while ((server === null || (server as WskConnectionSocket).readableLength < 1000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    try {
      const j = await tsndis('netstat', '--attach', sock, '--connections', '--json');
      assert.equal(j.code, 0, j.stderr);
      const hosts = JSON.parse(j.stdout) as { name: string; connections: { proto: string; local: string; remote: string; state: string; recvQ: number; sendQ: number }[] }[];
      const ha = hosts.find((h) => h.name === 'a')!.connections;
      const hb = hosts.find((h) => h.name === 'b')!.connections;
      assert.ok(ha.some((c) => c.state === 'LISTEN' && c.local === '198.18.7.1:5555' && c.remote === '0.0.0.0:*'));
      const sa = ha.find((c) => c.state === 'ESTABLISHED')!;
      const cb = hb.find((c) => c.state === 'ESTABLISHED')!;
      assert.equal(sa.local, '198.18.7.1:5555');
      assert.equal(sa.remote, cb.local);
      assert.equal(cb.remote, '198.18.7.1:5555');
      assert.equal(sa.recvQ, 1000);
      const text = await tsndis('netstat', '--attach', sock, '--connections', '--host', 'a');
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.split('\n');
      assert.equal(lines[0], 'a:');
      assert.match(lines[1]!, /^ {2}Proto\s+Local Address\s+Foreign Address\s+State\s+Recv-Q\s+Send-Q$/);
      assert.ok(lines.some((l) => /^ {2}tcp\s+198\.18\.7\.1:5555\s+198\.18\.7\.2:\d+\s+ESTABLISHED\s+1000\s+0$/.test(l)), text.stdout);
    } finally {
      client.close();
      await ls.close();
    }
  });
});

test('tsndis property: lists the keywords in force; a set restarts the adapter with the value, its filters and bindings back', TIMEOUT, async () => {
  await withStack(async (sock, t) => {
    const rt = t.stacks.hosts.get('a')!.runtime;
    const get = await tsndis('property', '--attach', sock, 'a/eth0', '--json');
    assert.equal(get.code, 0, get.stderr);
    const props = (JSON.parse(get.stdout) as { properties: { name: string; value: unknown; default: unknown; min?: number; max?: number; configured: boolean }[] }).properties;
    const speed = props.find((p) => p.name === 'LinkSpeedMbps')!;
    assert.deepEqual([speed.value, speed.default, speed.min, speed.max, speed.configured], [10000, 10000, 1, 400000, false]);
    assert.ok(props.some((p) => p.name === '*ReceiveBuffers'));

    const set = await tsndis('property', '--attach', sock, 'a/eth0', 'set', 'LinkSpeedMbps', '1000');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^a\/eth0: LinkSpeedMbps set; the adapter restarted \(Running\)\n/);
    assert.match(set.stdout, /\n {2}LinkSpeedMbps\s+1000 \*\s+10000\s+1…400000\n/);
    // The driver reads the new value (the link speed it reports), and the stack is whole again.
    const link = await rt.query('a/eth0', OID_GEN_LINK_STATE, 1024);
    const decoded = OID_CODECS.get(OID_GEN_LINK_STATE)!.decode(link.request.informationBuffer, 0, link.request.bytesWritten);
    assert.ok(decoded.ok);
    assert.equal((decoded.value as { xmitLinkSpeed: bigint }).xmitLinkSpeed, 1_000_000_000n);
    assert.deepEqual(rt.adapter('a/eth0').filters.map((f) => f.driver.name), ['tsndis.counters']);
    assert.deepEqual(rt.adapter('a/eth0').bindings.map((b) => b.protocol.name), ['tsndis.tcpip']);
    const b = pickHost(t, 'b').ip;
    const conn = await b.sockets.connect({ address: '198.18.7.1', port: 9 }).catch((e: unknown) => e);
    assert.match(String(conn), /ECONNREFUSED/, 'tsndis.tcpip on a answers again (an RST from a closed port)');

    // The schema refuses a value as the config loader does: exit 2, nothing restarted.
    const bad = await tsndis('property', '--attach', sock, 'a/eth0', 'set', 'LinkSpeedMbps', '0');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /LinkSpeedMbps/);
    const unknown = await tsndis('property', '--attach', sock, 'a/eth0', 'set', 'LinkSpeed', '5');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown keyword 'LinkSpeed'.*did you mean|unknown keyword 'LinkSpeed'/);

    const mac = await tsndis('property', '--attach', sock, 'a/eth0', 'set', 'NetworkAddress', 'not-a-mac');
    assert.equal(mac.code, 2);
    assert.match(mac.stderr, /NetworkAddress/);
    assert.equal(rt.adapter('a/eth0').keywords.read('LinkSpeedMbps'), 1000, 'refused sets change nothing');
  });
});
