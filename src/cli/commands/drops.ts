/**
 * `tsndis drops --attach <socket> [--host h] [--json]`: the drop reasons of a running `tsndis up`
 * (pktmon's drop counters) — every module that dropped frames, under which named reason, how many. The
 * reasons and where each is recorded are listed in docs/architecture.md ("Drop reasons").
 */
import type { Command } from 'commander';
import type { DropRow } from '../../core/runtime/drops.js';
import { ControlClient, expectOk } from '../control.js';
import { EXIT_OK } from '../exit.js';
import { renderTable } from '../table.js';

export interface DropsOptions {
  attach: string;
  host?: string;
  json: boolean;
}

/** The table `tsndis drops` prints: one row per (module, reason), or a line saying nothing was dropped. */
export function renderDrops(hosts: readonly { name: string; drops: readonly DropRow[] }[]): string {
  const rows = hosts.flatMap((h) => h.drops.map((d) => [d.module, d.reason, String(d.count)]));
  if (rows.length === 0) return `no drops (${hosts.map((h) => h.name).join(', ') || 'no hosts'})\n`;
  return renderTable(['Module', 'Reason', 'Count'], rows, (c) => c === 2);
}

export async function dropsCommand(o: DropsOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const client = await ControlClient.connect(o.attach);
  try {
    const r = expectOk(await client.request(o.host === undefined ? { op: 'drops' } : { op: 'drops', host: o.host }));
    const hosts = r['hosts'] as { name: string; drops: DropRow[] }[];
    out.write(o.json ? `${JSON.stringify({ hosts }, null, 2)}\n` : renderDrops(hosts));
    return EXIT_OK;
  } finally {
    client.close();
  }
}

export function registerDropsCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('drops')
    .description('list the frames a running `tsndis up --control <socket>` dropped, by module and named reason (like pktmon)')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--host <name>', 'only this host')
    .option('--json', 'print JSON', false)
    .action((opts: DropsOptions) => run(() => dropsCommand(opts)));
}
