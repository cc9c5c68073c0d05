/**
 * `tsndis lbfo --attach <socket> show <team>` and `… add|remove <team> <member>`: a tsndis.lbfo team in a
 * running `tsndis up --control <socket>` — its mode, link, active member and failovers, and each member
 * with its role, state and counters; `add` binds the team to another adapter (it joins as a member),
 * `remove` unbinds a member (the team fails over if it was the active one).
 */
import type { Command } from 'commander';
import { ControlClient, expectOk } from '../control.js';
import { EXIT_OK, usageError } from '../exit.js';
import { renderTable } from '../table.js';

export interface LbfoOptions {
  attach: string;
  json: boolean;
}

interface MemberRow {
  adapter: string;
  role: string;
  state: string;
  sentNbls: number;
  receivedNbls: number;
  receiveDropped: number;
  sendErrors: number;
  announcements: number;
}

export function renderTeam(t: Record<string, unknown>): string {
  const last = t['lastFailover'] as { from: string; to: string | null; reason: string; gapMs: number | null } | null;
  const head =
    `${String(t['team'])}: ${String(t['mode'])}, link ${t['linkUp'] === true ? `up ${String(Number(t['linkSpeed']) / 1e6)} Mb/s` : 'down'}, active ${String(t['active'] ?? '-')}, ` +
    `failovers ${String(t['failovers'])}${last === null ? '' : ` (last: ${last.from} → ${last.to ?? '-'}, ${last.reason}${last.gapMs === null ? '' : `, gap ${String(last.gapMs)} ms`})`}\n`;
  const rows = (t['members'] as MemberRow[]).map((m) => [m.adapter, m.role, m.state, String(m.sentNbls), String(m.receivedNbls), String(m.receiveDropped), String(m.sendErrors), String(m.announcements)]);
  return head + renderTable(['Member', 'Role', 'State', 'Sent', 'Received', 'RxDropped', 'SendErrors', 'Announce'], rows);
}

export async function lbfoCommand(action: string, team: string, member: string | undefined, o: LbfoOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (action !== 'show' && action !== 'add' && action !== 'remove') throw usageError(`'${action}' is not show, add or remove`);
  if (action !== 'show' && member === undefined) throw usageError(`${action} needs a member adapter (host/adapter)`);
  const client = await ControlClient.connect(o.attach);
  try {
    const r = await client.request(action === 'show' ? { op: 'lbfo', team, action } : { op: 'lbfo', team, action, member: member! }, 60_000);
    const t = expectOk(r);
    out.write(o.json ? `${JSON.stringify(t, null, 2)}\n` : renderTeam(t));
    return EXIT_OK;
  } finally {
    client.close();
  }
}

export function registerLbfoCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('lbfo')
    .description('show a tsndis.lbfo team, or add/remove a member, in a running `tsndis up --control <socket>`')
    .argument('<action>', 'show, add or remove')
    .argument('<team>', 'the team adapter, host/adapter')
    .argument('[member]', 'add/remove: the member adapter, host/adapter')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--json', 'print JSON', false)
    .action((action: string, team: string, member: string | undefined, opts: LbfoOptions) => run(() => lbfoCommand(action, team, member, opts)));
}
