/**
 * Every counter the TCP/IP stack keeps reaches netstat: found by walking the counter objects (the
 * stack's per-protocol sections, the TCP engine's, each interface's), each set to a value of its own,
 * then looked up in `TcpIpProtocol.netstat()`, in `tsndis netstat --json` and in the text of
 * `tsndis netstat`, both read over the control channel of a running stack (a child process attached
 * to the socket this test serves). A counter hidden or overwritten anywhere on that path fails.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveControl } from '../../src/cli/control.js';
import { pickHost, upTcpIp } from '../../src/cli/tcpip-hosts.js';
import type { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { tsndis } from '../support/cli.js';

const TIMEOUT = { timeout: 60_000 };

const CONFIG = `
hosts:
  h:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        protocols:
          - driver: tsndis.tcpip
            keywords: { IPAddress: [198.18.0.2/24], IPv6: false }
`;

/** One counter: where it should show in netstat, and the value it was given. */
interface Expected {
  path: string[];
  value: number;
  /** For the per-type ICMP arrays: the type number (its key is a name or `type<n>`). */
  icmpType?: number;
}

/**
 * Gives every counter of `ip` a distinct value and returns where each must appear. The counter objects
 * are found by walking, not listed: each section of `stack.counters`, the engine's `tcp.counters`, and
 * every interface's `counters`; in each, every numeric field and every per-type array.
 */
function setEveryCounter(ip: TcpIpProtocol): Expected[] {
  const out: Expected[] = [];
  let next = 1_000_003;
  const fill = (o: object, path: string[]): void => {
    const rec = o as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      const v = rec[key];
      if (typeof v === 'number') {
        rec[key] = next;
        out.push({ path: [...path, key], value: next });
        next += 7;
      } else if (v instanceof Uint32Array) {
        // inByType → in, outByType → out.
        const name = key.replace(/ByType$/, '');
        for (let t = 0; t < v.length; t++) {
          v[t] = next;
          out.push({ path: [...path, name], value: next, icmpType: t });
          next += 7;
        }
      }
    }
  };
  for (const [section, counters] of Object.entries(ip.stack.counters)) fill(counters as object, [section]);
  fill(ip.tcp.counters, ['tcpEngine']);
  for (const iface of ip.stack.interfaces) fill(iface.counters, ['interfaces', iface.name]);
  return out;
}

function lookup(root: Record<string, unknown>, path: string[]): unknown {
  let at: unknown = root;
  for (const p of path) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[p] : undefined;
  return at;
}

/** Asserts every expected counter is in `netstat` with its value; `where` names the source. */
function assertAll(netstat: Record<string, unknown>, expected: Expected[], where: string): void {
  const missing: string[] = [];
  for (const e of expected) {
    if (e.icmpType === undefined) {
      const v = lookup(netstat, e.path);
      if (v !== e.value) missing.push(`${e.path.join('.')} = ${String(v)} (set to ${String(e.value)})`);
      continue;
    }
    const byType = lookup(netstat, e.path) as Record<string, unknown> | undefined;
    const keys = Object.entries(byType ?? {}).filter(([, v]) => v === e.value).map(([k]) => k);
    const t = e.icmpType;
    if (keys.length !== 1 || (/^type\d+$/.test(keys[0]!) && keys[0] !== `type${String(t)}`)) missing.push(`${e.path.join('.')}[type ${String(t)}]: ${JSON.stringify(keys)}`);
  }
  assert.deepEqual(missing, [], `${where}: ${String(missing.length)} of ${String(expected.length)} counters missing or wrong`);
}

/** The text of `tsndis netstat` (one host) back into nested objects by indentation. */
function parseText(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const stack: Array<{ indent: number; obj: Record<string, unknown> }> = [{ indent: -1, obj: root }];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!.obj;
    const m = /^(\S+?):$/.exec(line.trim());
    if (m !== null) {
      const child: Record<string, unknown> = {};
      parent[m[1]!] = child;
      stack.push({ indent, obj: child });
    } else {
      const [k, ...rest] = line.trim().split(' ');
      const v = rest.join(' ');
      parent[k!] = /^\d+$/.test(v) ? Number(v) : v;
    }
  }
  return root;
}

test('netstat shows every counter the stack keeps: netstat(), tsndis netstat --json and its text', TIMEOUT, async () => {
  const dir = fixtureDir();
  const config = writeFixture(dir, 'one-host.yaml', CONFIG);
  const sock = join(dir, 'control.sock');
  const t = await upTcpIp(config);
  const server = await serveControl(t.stacks, sock);
  try {
    const { ip } = pickHost(t, 'h');
    const expected = setEveryCounter(ip);
    // Each protocol section, the reassembly counters among them, and the engine's and interfaces' counters.
    for (const s of ['link', 'arp', 'neighbor', 'ipv4', 'ipv6', 'reassembly', 'icmp', 'icmp6', 'udp', 'tcp', 'loopback', 'tcpEngine', 'interfaces']) {
      assert.ok(expected.some((e) => e.path[0] === s), `the walk found the ${s} counters`);
    }
    assert.ok(expected.some((e) => e.path.join('.') === 'reassembly.timeouts'));
    assertAll(ip.netstat(), expected, 'TcpIpProtocol.netstat()');

    const json = await tsndis('netstat', '--attach', sock, '--json');
    assert.equal(json.code, 0, json.stderr);
    const hosts = JSON.parse(json.stdout) as { name: string; netstat: Record<string, unknown> }[];
    assert.deepEqual(hosts.map((h) => h.name), ['h']);
    assertAll(hosts[0]!.netstat, expected, 'tsndis netstat --json');

    const text = await tsndis('netstat', '--attach', sock);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^h:\n/);
    const parsed = parseText(text.stdout.slice('h:\n'.length));
    assertAll(parsed, expected, 'tsndis netstat (text)');
    // The in-progress gauge sits beside the counters, not over them.
    assert.equal(lookup(ip.netstat(), ['reassembly', 'inProgress']), 0);
  } finally {
    await server.close();
    await t.shutdown();
  }
});
