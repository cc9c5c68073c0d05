/**
 * `tsndis netstat --attach <socket> [--host h] [--all] [--json]`: the TCP/IP counters (netstat -s) of a
 * running `tsndis up --control <socket>`, per host: link, ARP, ND, IPv4, IPv6, ICMP, UDP, TCP segments
 * and the TCP engine (connections, retransmissions, recoveries, SYN cookies, drops by reason).
 * Only non-zero counters unless --all. With --connections, the connection table instead (netstat -an:
 * protocol, local and foreign address, state, Recv-Q, Send-Q; listeners with their accept queue).
 * Exits 1 when the stack cannot be reached or runs no tsndis.tcpip.
 */
import type { Command } from 'commander';
import { controlRequest } from '../control.js';
import type { ConnectionRow } from '../control-ops.js';
import { renderTable } from '../table.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';

export interface NetstatOptions {
  attach: string;
  host?: string;
  all: boolean;
  json: boolean;
  /** The connection table (netstat -an) instead of the counters. */
  connections?: boolean;
}

/** The connection table of one host, netstat -an style: listeners first, then connections. */
export function renderConnections(rows: readonly ConnectionRow[]): string {
  const head = ['Proto', 'Local Address', 'Foreign Address', 'State', 'Recv-Q', 'Send-Q'];
  return renderTable(head, rows.map((r) => [r.proto, r.local, r.remote, r.state, String(r.recvQ), String(r.sendQ)]), (i) => i >= 4);
}

/** Renders one host's netstat object as indented `name value` lines, sections in order. */
export function renderNetstat(netstat: Record<string, unknown>, all: boolean, indent = '  '): string {
  let out = '';
  for (const [k, v] of Object.entries(netstat)) {
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') {
      if (all || (v !== 0 && v !== false && v !== '')) out += `${indent}${k} ${String(v)}\n`;
    } else if (Array.isArray(v)) {
      if (v.length === 0 && !all) continue;
      out += `${indent}${k}:\n`;
      for (const item of v) out += `${indent}  ${String(item)}\n`;
    } else if (typeof v === 'object' && v !== null) {
      const inner = renderNetstat(v as Record<string, unknown>, all, `${indent}  `);
      if (inner !== '' || all) out += `${indent}${k}:\n${inner}`;
    }
  }
  return out;
}

export async function netstat(o: NetstatOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (o.connections === true) {
    const c = await controlRequest(o.attach, o.host === undefined ? { op: 'connections' } : { op: 'connections', host: o.host });
    if (!c.ok) throw new Error(c.error);
    const hosts = c['hosts'] as { name: string; connections: ConnectionRow[] }[];
    if (o.json) out.write(`${JSON.stringify(hosts, null, 2)}\n`);
    else for (const h of hosts) out.write(`${h.name}:\n${renderConnections(h.connections)}`);
    return EXIT_OK;
  }
  const r = await controlRequest(o.attach, o.host === undefined ? { op: 'netstat' } : { op: 'netstat', host: o.host });
  if (!r.ok) throw new Error(r.error);
  const hosts = r['hosts'] as { name: string; netstat: Record<string, unknown> }[];
  if (o.json) {
    out.write(`${JSON.stringify(hosts, null, 2)}\n`);
    return EXIT_OK;
  }
  for (const h of hosts) out.write(`${h.name}:\n${renderNetstat(h.netstat, o.all)}`);
  return hosts.length > 0 ? EXIT_OK : EXIT_FAILURE;
}

export function registerNetstatCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('netstat')
    .description('per-protocol TCP/IP counters (like netstat -s) of a running `tsndis up --control <socket>`')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--host <name>', 'only this host')
    .option('--all', 'print zero counters too', false)
    .option('-c, --connections', 'the TCP connection table with states and queues (like netstat -an) instead of the counters', false)
    .option('--json', 'print JSON', false)
    .action((opts: NetstatOptions) => run(() => netstat(opts)));
}
