/**
 * `tsndis inspect --attach <socket> [view] [name] [--json]`: a live look into a running
 * `tsndis up --control <socket>`, in the spirit of ndiskd:
 *
 *   tree (default)        the stack tree of every host (as `stack show --attach`)
 *   adapter <host/name>   one miniport: state, attributes, link, offloads, counters, outstanding NBLs,
 *                         the driver's own figures (RSS, processors, …), pending and recent OIDs
 *   filter <module>       one filter module; binding <name>: one protocol binding
 *   pools                 every NBL/NB pool: size, in use, high-water mark, exhausted, allocations/s
 *                         (from two snapshots `--interval` seconds apart)
 *   oids                  per adapter: the OID requests held now and the last ones completed, with
 *                         their status, who answered and how long they took
 *   nbl <pool#slot>       one NBL's recent events, oldest first (`tsndis up --nbl-history`; ndiskd's
 *                         `!nbl -log`)
 */
import type { Command } from 'commander';
import type { AdapterSnapshot, RuntimeSnapshot } from '../../inspect/index.js';
import { renderText } from '../../inspect/index.js';
import { ControlClient, expectOk } from '../control.js';
import { formatNblHistory, type NblHistoryEvent } from '../../core/verifier/nbl-history.js';
import { EXIT_OK, usageError } from '../exit.js';
import { numberOption } from '../options.js';
import { renderNetstat } from './netstat.js';
import { renderTable } from '../table.js';

export interface InspectOptions {
  attach: string;
  json: boolean;
  interval: number;
}

export const INSPECT_VIEWS = ['tree', 'adapter', 'filter', 'binding', 'pools', 'oids', 'nbl'] as const;


async function snapshots(c: ControlClient): Promise<RuntimeSnapshot[]> {
  return expectOk(await c.request({ op: 'stack' }))['hosts'] as RuntimeSnapshot[];
}

export async function inspect(view: string | undefined, name: string | undefined, o: InspectOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const v = view ?? 'tree';
  if (!(INSPECT_VIEWS as readonly string[]).includes(v)) throw usageError(`'${v}' is not a view (${INSPECT_VIEWS.join(', ')})`);
  const needsName = v === 'adapter' || v === 'filter' || v === 'binding' || v === 'nbl';
  if (needsName && name === undefined) throw usageError(`${v} needs a name`);
  if (!needsName && name !== undefined) throw usageError(`${v} takes no name (got '${name}')`);
  const client = await ControlClient.connect(o.attach);
  try {
    if (v === 'nbl') {
      // ndiskd's `!nbl -log`: the NBL's recent events (needs `tsndis up --nbl-history`).
      const r = await client.request({ op: 'nbl', nbl: name! });
      if (!r.ok) throw usageError(r.error);
      const history = r['history'] as NblHistoryEvent[];
      out.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `nbl ${name!} (host ${String(r['host'])}), oldest first\n${formatNblHistory(history)}\n`);
      return EXIT_OK;
    }
    const hosts = await snapshots(client);
    const adapters = hosts.flatMap((h) => h.adapters);
    const write = (json: unknown, text: () => string): number => {
      out.write(o.json ? `${JSON.stringify(json, null, 2)}\n` : text());
      return EXIT_OK;
    };
    switch (v) {
      case 'tree':
        return write(hosts, () => renderText(hosts));
      case 'adapter': {
        const a = adapters.find((x) => x.name === name);
        if (a === undefined) throw usageError(`no adapter '${name!}' (adapters: ${adapters.map((x) => x.name).join(', ') || 'none'})`);
        const { filters, bindings, ...rest } = a;
        return write(a, () => `adapter ${a.name}\n${renderNetstat({ ...rest, filters: filters.map((f) => f.name), bindings: bindings.map((b) => b.name) } as Record<string, unknown>, true)}`);
      }
      case 'filter':
      case 'binding': {
        const all = adapters.flatMap((a: AdapterSnapshot) => (v === 'filter' ? a.filters : a.bindings) as readonly { name: string }[]);
        const m = all.find((x) => x.name === name);
        if (m === undefined) throw usageError(`no ${v} '${name!}' (${v === 'filter' ? 'filter modules' : 'bindings'}: ${all.map((x) => x.name).join(', ') || 'none'})`);
        return write(m, () => `${v} ${m.name}\n${renderNetstat(m as unknown as Record<string, unknown>, true)}`);
      }
      case 'pools': {
        await new Promise((r) => setTimeout(r, o.interval * 1000));
        const later = await snapshots(client);
        const before = new Map(hosts.flatMap((h) => h.pools.map((p) => [`${h.host}\u0000${p.name}`, p.allocations] as const)));
        const rows = later.flatMap((h) =>
          h.pools.map((p) => ({ host: h.host, ...p, allocationsPerSecond: Math.max(0, (p.allocations - (before.get(`${h.host}\u0000${p.name}`) ?? p.allocations)) / o.interval) })),
        );
        return write(rows, () =>
          renderTable(
            ['host', 'pool', 'kind', 'owner', 'size', 'in use', 'high water', 'exhausted', 'alloc/s'],
            rows.map((p) => [p.host, p.name, p.kind === 'NetBufferList' ? 'NBL' : 'NB', p.owner ?? '-', String(p.capacity), String(p.inUse), String(p.highWater), String(p.exhausted), p.allocationsPerSecond.toFixed(0)]),
            (i) => i >= 4,
          ),
        );
      }
      default: {
        const rows = adapters.map((a) => ({ adapter: a.name, ...a.oids }));
        return write(rows, () =>
          rows
            .map(
              (a) =>
                `${a.adapter}: ${a.pending.length} pending, ${a.completed} completed\n` +
                (a.pending.length === 0 ? '' : renderTable(['pending', 'oid', 'type', 'where', 'age ms'], a.pending.map((p) => [String(p.requestId), p.oid, p.type, p.where, p.ageMs.toFixed(1)]), (i) => i === 4)) +
                (a.recent.length === 0 ? '' : renderTable(['recent', 'oid', 'type', 'status', 'answered by', 'ms'], a.recent.map((r) => [String(r.requestId), r.oid, r.type, r.status, r.answeredBy, r.durationMs.toFixed(2)]), (i) => i === 5)),
            )
            .join(''),
        );
      }
    }
  } finally {
    client.close();
  }
}

export function registerInspectCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('inspect')
    .description('look into a running `tsndis up --control <socket>`: tree, adapter|filter|binding <name>, pools, oids, nbl <pool#slot> (with --nbl-history)')
    .argument('[view]', INSPECT_VIEWS.join(' | '))
    .argument('[name]', 'for adapter, filter and binding: which one; for nbl: pool#slot')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--interval <seconds>', 'pools: seconds between the two snapshots the allocation rate comes from', numberOption({ min: 0.1, max: 60 }), 1)
    .option('--json', 'print JSON', false)
    .action((view: string | undefined, name: string | undefined, opts: InspectOptions) => run(() => inspect(view, name, opts)));
}
