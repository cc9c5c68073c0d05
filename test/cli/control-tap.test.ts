/**
 * The control-channel commands against a running `tsndis up` whose adapter is a real TAP: tsndis.tcpip
 * on tsndis.tap, the TAP's kernel side moved into a namespace this test creates once `up` brought it
 * up, and Linux there pinging tsndis, holding a TCP connection to its echo service and sending frames
 * tsndis must drop. Then `inspect` (tree and adapter view), `oid` query/set, `adapter pause|restart`,
 * `drops`, `netstat --connections` and a metrics scrape, each checked for what it says:
 *
 *   tsndis up (child)  lab/eth0 tsndis.tap ═ TAP ═ [netns: Linux 198.18.21.1]
 *                      tsndis.tcpip 198.18.21.2, echo on :7
 *
 * Needs root and /dev/net/tun (skips with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { controlRequest } from '../../src/cli/control.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { MAIN, ROOT, stopChild, tsndis } from '../support/cli.js';
import { interopSkipReason, Netns, uniqueName, waitExit } from '../support/netns.js';
import { parsePrometheus, sample } from '../support/prometheus-parse.js';

const SKIP = interopSkipReason('python3');
const TIMEOUT = { timeout: 120_000 };
const OURS = '198.18.21.2';
const THEIRS = '198.18.21.1';
const MAC = '02-00-00-00-21-02';
const ADAPTER = 'lab/eth0';

/** Frames from Linux's side of the TAP: `count` copies of `size` bytes to `dst` (EtherType 0x88b5, local experimental). */
const INJECT = `
import socket, sys
ifname, dst, count, size = sys.argv[1], bytes.fromhex(sys.argv[2].replace('-', '')), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
frame = dst + bytes.fromhex('02aabbccddee') + b'\\x88\\xb5' + bytes(size - 14)
for _ in range(count): s.send(frame)
`;

/** A TCP connection to tsndis's echo service, kept open until killed: prints its local port once echoed. */
const CONNECT = `
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=10)
s.sendall(b'hello\\n')
assert s.recv(16) == b'hello\\n'
print(s.getsockname()[1], flush=True)
time.sleep(60)
`;

const config = (ifname: string): string => `
hosts:
  lab:
    services:
      - { service: echo }
    adapters:
      eth0:
        driver: tsndis.tap
        # RSC off: receive slots are MTU-sized, so a longer frame arrives cut (an oversize drop).
        keywords: { InterfaceName: ${ifname}, NetworkAddress: ${MAC}, "*RscIPv4": 0, "*RscIPv6": 0 }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [${OURS}/24], IPv6: false } }
`;

/** `tsndis up --control --metrics 127.0.0.1:0` as a child; resolves with the metrics URL once the control socket answers. */
async function upWithMetrics(cfg: string, sock: string): Promise<{ child: ChildProcess; metrics: string }> {
  const child = spawn(process.execPath, [MAIN, 'up', '--config', cfg, '--control', sock, '--metrics', '127.0.0.1:0', '--duration', '110', '--status-interval', '60'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let i = 0; i < 300; i++) {
    const m = /^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(out);
    if (m !== null && existsSync(sock) && lstatSync(sock).isSocket()) {
      const r = await controlRequest(sock, { op: 'status' }, 2000).catch(() => null);
      if (r?.ok === true) return { child, metrics: m[1]! };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`tsndis up did not come up: ${out}`);
}

interface DropRow {
  module: string;
  reason: string;
  count: number;
}

async function drops(sock: string): Promise<DropRow[]> {
  const r = await tsndis('drops', '--attach', sock, '--json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { hosts: { name: string; drops: DropRow[] }[] }).hosts.flatMap((h) => h.drops);
}

const countOf = (rows: DropRow[], module: string, reason: string): number => rows.find((d) => d.module === module && d.reason === reason)?.count ?? 0;

/** Polls `drops` (bounded, ~5 s) until `module`/`reason` reaches `want`; returns the rows last seen. */
async function dropsUntil(sock: string, module: string, reason: string, want: number): Promise<DropRow[]> {
  let rows = await drops(sock);
  for (let i = 0; i < 50 && countOf(rows, module, reason) < want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    rows = await drops(sock);
  }
  return rows;
}

async function adapterState(sock: string): Promise<string> {
  const r = await tsndis('inspect', '--attach', sock, 'adapter', ADAPTER, '--json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { state: string }).state;
}

test('control commands on a TAP adapter: inspect, oid, adapter pause/restart, drops, netstat, metrics', { ...TIMEOUT, skip: SKIP ?? false }, async () => {
  const dir = fixtureDir();
  const tap = uniqueName('tc');
  const sock = join(dir, 'tap.sock');
  const { child: up, metrics } = await upWithMetrics(writeFixture(dir, 'tap.yaml', config(tap)), sock);
  let ns: Netns | null = null;
  try {
    ns = Netns.create();
    ns.adopt(tap, { address: `${THEIRS}/24` });
    const ping = (): Promise<string> => ns!.run('ping', ['-c', '1', '-W', '2', OURS], 10_000);
    assert.match(await ping(), /1 received/);

    // inspect: the tree names the TAP device and the binding; the adapter view its offload state.
    const tree = await tsndis('inspect', '--attach', sock);
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, /^host lab\n/);
    assert.match(tree.stdout, new RegExp(`├── adapter eth0 {2}ifIndex \\d+ {2}\\[Running\\]\\n[^]*MAC ${MAC} {2}MTU 1500 {2}link connected`));
    assert.match(tree.stdout, /├── binding {3}tsndis\.tcpip \[Running\]/);
    assert.match(tree.stdout, new RegExp(`└── miniport {2}tsndis\\.tap {3}\\[Running\\][^]*inspect: device=${tap} vnetHeader=true queues=1`));
    assert.match(tree.stdout, new RegExp(`ipv4=\\[${OURS.replaceAll('.', '\\.')}/24\\]`));
    const view = await tsndis('inspect', '--attach', sock, 'adapter', ADAPTER, '--json');
    assert.equal(view.code, 0, view.stderr);
    const a = JSON.parse(view.stdout) as { driver: string; state: string; mac: string; offloads: { current: string; hardware: string }; bindings: { name: string; state: string }[]; inspect: { device: string; linkUp: boolean } };
    assert.equal(a.driver, 'tsndis.tap');
    assert.equal(a.state, 'Running');
    assert.equal(a.mac, MAC);
    assert.equal(a.inspect.device, tap);
    assert.equal(a.inspect.linkUp, true);
    assert.deepEqual(a.bindings.map((b) => [b.name, b.state]), [[`${ADAPTER}<-tsndis.tcpip`, 'Running']]);
    // The keywords turned RSC off; checksum, LSOv1, LSOv2 and USO are on (the TAP's defaults), in force and in hardware.
    for (const o of [a.offloads.current, a.offloads.hardware]) {
      assert.match(o, /^csum tx v4:ip\+tcp\+udp v6:tcp\+udp rx v4:ip\+tcp\+udp v6:tcp\+udp \| lsov1 v4 ≤64000 \| lsov2 v4 v6 ≤64000 \| uso v4 v6 ≤64000 \| encap gre vxlan:4789 ≤256$/, o);
    }
    const viewText = await tsndis('inspect', '--attach', sock, 'adapter', ADAPTER);
    assert.match(viewText.stdout, /\n {2}offloads:\n {4}current csum tx /);

    // oid: the link state decoded (connected), then the packet filter set and read back.
    const link = await tsndis('oid', '--attach', sock, ADAPTER, 'query', 'OID_GEN_LINK_STATE', '--json');
    assert.equal(link.code, 0, link.stderr);
    const l = JSON.parse(link.stdout) as { status: string; decoded: Record<string, unknown> };
    assert.equal(l.status, 'NDIS_STATUS_SUCCESS');
    assert.equal(l.decoded['mediaConnectState'], 1, 'connected');
    const linkText = await tsndis('oid', '--attach', sock, ADAPTER, 'query', 'OID_GEN_LINK_STATE');
    assert.match(linkText.stdout, /\n {2}mediaConnectState 1\n/);

    // DIRECTED|BROADCAST: multicast frames are refused from now on, on the TAP's own receive path.
    const set = await tsndis('oid', '--attach', sock, ADAPTER, 'set', 'OID_GEN_CURRENT_PACKET_FILTER', '0x09');
    assert.equal(set.code, 0, set.stderr + set.stdout);
    assert.match(set.stdout, /NDIS_STATUS_SUCCESS \(written 0, read 4, needed 0\)/);
    const filter = await tsndis('oid', '--attach', sock, ADAPTER, 'query', 'OID_GEN_CURRENT_PACKET_FILTER', '--json');
    const f = JSON.parse(filter.stdout) as { status: string; decoded: number; hex: string };
    assert.deepEqual([f.status, f.decoded, f.hex], ['NDIS_STATUS_SUCCESS', 0x09, '09000000']);

    // drops: frames Linux sends that the TAP miniport refuses, counted under its reasons.
    const before = await drops(sock);
    const filtered0 = countOf(before, ADAPTER, 'addressFiltered');
    const malformed0 = countOf(before, ADAPTER, 'malformedFrame');
    await ns.run('python3', ['-c', INJECT, tap, '02-00-00-00-99-99', '5', '60']); // another station's MAC
    await ns.run('python3', ['-c', INJECT, tap, '01-00-5e-00-00-01', '3', '60']); // multicast, filtered out by 0x09
    // Longer than the MTU tsndis gave the TAP: Linux may send it once its side's MTU is raised; it arrives cut.
    ns.ip('link', 'set', tap, 'mtu', '4000');
    await ns.run('python3', ['-c', INJECT, tap, MAC, '4', '3000']);
    const after = await dropsUntil(sock, ADAPTER, 'malformedFrame', malformed0 + 4);
    assert.equal(countOf(after, ADAPTER, 'addressFiltered') - filtered0, 5 + 3);
    assert.equal(countOf(after, ADAPTER, 'malformedFrame') - malformed0, 4);
    const table = await tsndis('drops', '--attach', sock);
    assert.match(table.stdout, new RegExp(`\\n {2}lab/eth0 +addressFiltered +${filtered0 + 8}\\n`));
    assert.match(table.stdout, new RegExp(`\\n {2}lab/eth0 +malformedFrame +${malformed0 + 4}\\n`));
    ns.ip('link', 'set', tap, 'mtu', '1500');
    const back = await tsndis('oid', '--attach', sock, ADAPTER, 'set', 'OID_GEN_CURRENT_PACKET_FILTER', '0x0b');
    assert.equal(back.code, 0, back.stderr);

    // adapter pause / restart: the state is seen by inspect, Linux gets no answer while paused and one after.
    const pause = await tsndis('adapter', '--attach', sock, ADAPTER, 'pause');
    assert.equal(pause.code, 0, pause.stderr);
    assert.equal(pause.stdout, `${ADAPTER}: pause → Paused\n`);
    assert.equal(await adapterState(sock), 'Paused');
    await assert.rejects(ns.run('ping', ['-c', '1', '-W', '1', OURS], 10_000), /exited 1/);
    const restart = await tsndis('adapter', '--attach', sock, ADAPTER, 'restart', '--json');
    assert.equal(restart.code, 0, restart.stderr);
    assert.deepEqual(JSON.parse(restart.stdout), { adapter: ADAPTER, action: 'restart', state: 'Running' });
    assert.equal(await adapterState(sock), 'Running');
    assert.match(await ping(), /1 received/);

    // netstat: Linux's TCP connection to the echo service, both ends' addresses and its state.
    const conn = ns.spawn('python3', ['-c', CONNECT, OURS]);
    const port = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`no connection: ${out}`)), 15_000);
      conn.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /^(\d+)\n/.exec(out);
        if (m !== null) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      conn.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`python3 exited ${String(code)}: ${out}`));
      });
    });
    const ns1 = await tsndis('netstat', '--attach', sock, '--connections', '--json');
    assert.equal(ns1.code, 0, ns1.stderr);
    const rows = (JSON.parse(ns1.stdout) as { name: string; connections: { proto: string; local: string; remote: string; state: string; recvQ: number; sendQ: number }[] }[]).find((h) => h.name === 'lab')!.connections;
    assert.ok(rows.some((c) => c.proto === 'tcp' && c.state === 'LISTEN' && c.local === '0.0.0.0:7'), JSON.stringify(rows));
    const est = rows.find((c) => c.state === 'ESTABLISHED');
    assert.deepEqual(est && [est.proto, est.local, est.remote, est.recvQ, est.sendQ], ['tcp', `${OURS}:7`, `${THEIRS}:${port}`, 0, 0], JSON.stringify(rows));
    const text = await tsndis('netstat', '--attach', sock, '--connections', '--host', 'lab');
    assert.ok(text.stdout.split('\n').some((line) => new RegExp(`^ {2}tcp\\s+${OURS}:7\\s+${THEIRS}:${port}\\s+ESTABLISHED\\s+0\\s+0$`).test(line)), text.stdout);

    // metrics: parsed as Prometheus text; the adapter, its drops and the TCP connection are there, and counters grow under ping.
    const m1 = parsePrometheus(await (await fetch(metrics)).text());
    assert.equal(sample(m1, 'tsndis_module_up', { host: 'lab', module: ADAPTER, role: 'miniport', state: 'Running' }), 1);
    assert.equal(sample(m1, 'tsndis_module_up', { host: 'lab', module: `${ADAPTER}<-tsndis.tcpip`, role: 'binding', state: 'Running' }), 1);
    assert.equal(sample(m1, 'tsndis_adapter_link_up', { host: 'lab', adapter: ADAPTER }), 1);
    assert.equal(sample(m1, 'tsndis_drops_total', { host: 'lab', module: ADAPTER, reason: 'malformedFrame' }), malformed0 + 4);
    assert.ok(sample(m1, 'tsndis_drops_total', { host: 'lab', module: ADAPTER, reason: 'addressFiltered' }) >= filtered0 + 8);
    const rx1 = sample(m1, 'tsndis_module_nbls_total', { host: 'lab', module: ADAPTER, role: 'miniport', event: 'received' });
    await ns.run('ping', ['-c', '3', '-i', '0.2', '-W', '2', OURS], 10_000);
    const m2 = parsePrometheus(await (await fetch(metrics)).text());
    assert.ok(sample(m2, 'tsndis_module_nbls_total', { host: 'lab', module: ADAPTER, role: 'miniport', event: 'received' }) >= rx1 + 3);
    assert.ok(sample(m2, 'tsndis_tcpip_value', { host: 'lab', section: 'tcp', name: 'inSegs' }) > 0);
    conn.kill('SIGKILL');
    await waitExit(conn, 5000);
  } finally {
    assert.equal(await stopChild(up), 0);
    ns?.destroy();
  }
});
