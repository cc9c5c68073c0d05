/**
 * `tsndis property --attach <socket> <adapter> [get [name]] [--json]` and
 * `tsndis property --attach <socket> <adapter> set <name> <value>`: the advanced properties of a live
 * adapter — the keywords of its miniport (`Get-NetAdapterAdvancedProperty`). `get` lists each with the
 * value in force, the default and the allowed range; `set` checks the value against the keyword's schema
 * as the config loader does (a bad value is exit 2 with the reason) and applies it as Windows applies an
 * advanced property: the adapter is disabled and enabled again with the new value, its filters and
 * bindings put back (connections over it are reset, as on Windows).
 */
import type { Command } from 'commander';
import { checkAdapterOption, ControlClient, expectOk } from '../control.js';
import type { PropertyRow } from '../control-ops.js';
import { EXIT_OK, usageError } from '../exit.js';
import { renderTable } from '../table.js';

export interface PropertyOptions {
  attach: string;
  json: boolean;
}

const show = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));

function range(p: PropertyRow): string {
  if (p.values !== undefined) return p.values.join('|');
  if (p.min !== undefined || p.max !== undefined) return `${show(p.min)}…${show(p.max)}`;
  return p.type;
}

export function renderProperties(rows: readonly PropertyRow[]): string {
  return renderTable(
    ['Name', 'Value', 'Default', 'Allowed'],
    rows.map((p) => [p.name, `${show(p.value)}${p.configured ? ' *' : ''}`, show(p.default), range(p)]),
  );
}

export async function propertyCommand(adapter: string, action: string | undefined, name: string | undefined, value: string | undefined, o: PropertyOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const act = action ?? 'get';
  if (act !== 'get' && act !== 'set') throw usageError(`'${act}' is not get or set`);
  if (act === 'set' && (name === undefined || value === undefined)) throw usageError('set needs a keyword name and a value');
  const client = await ControlClient.connect(o.attach);
  try {
    checkAdapterOption(adapter, await client.request({ op: 'status' }));
    const r = await client.request(act === 'get' ? { op: 'property', adapter, action: 'get' } : { op: 'property', adapter, action: 'set', name: name!, value: value! }, 60_000);
    // A value the schema refuses is the user's mistake (exit 2), like a bad config.
    if (!r.ok && r.error.includes(`${adapter}.keywords`)) throw usageError(r.error);
    const a = expectOk(r);
    let rows = a['properties'] as PropertyRow[];
    if (act === 'get' && name !== undefined) {
      rows = rows.filter((p) => p.name.toLowerCase() === name.toLowerCase());
      if (rows.length === 0) throw usageError(`${adapter} has no property '${name}'`);
    }
    if (act === 'set') rows = rows.filter((p) => p.name.toLowerCase() === name!.toLowerCase());
    if (o.json) out.write(`${JSON.stringify({ adapter, driver: a['driver'], state: a['state'], properties: rows }, null, 2)}\n`);
    else {
      if (act === 'set') out.write(`${adapter}: ${name!} set; the adapter restarted (${String(a['state'])})\n`);
      out.write(`${adapter} (${String(a['driver'])}):\n${renderProperties(rows)}`);
    }
    return EXIT_OK;
  } finally {
    client.close();
  }
}

export function registerPropertyCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('property')
    .description("list or change an adapter's advanced properties (its miniport's keywords) in a running `tsndis up --control <socket>`")
    .argument('<adapter>', 'host/adapter')
    .argument('[action]', 'get (default) or set')
    .argument('[name]', 'the keyword')
    .argument('[value]', 'set: the new value (checked against the keyword)')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--json', 'print JSON', false)
    .action((adapter: string, action: string | undefined, name: string | undefined, value: string | undefined, opts: PropertyOptions) => run(() => propertyCommand(adapter, action, name, value, opts)));
}
