/**
 * `tsndis filter attach|detach|list --attach <socket>`: the filters of a running `tsndis up`, changed
 * and listed over its control channel. Attach and detach run the runtime's pause → change → restart
 * sequence (safe under traffic). A filter attached here stays until detached (or the stack stops);
 * `filter detach` also removes one a client left behind.
 *
 *   tsndis filter list   --attach /tmp/tsndis.sock [--adapter hostA/eth0] [--json]
 *   tsndis filter attach --attach /tmp/tsndis.sock --adapter hostA/eth0 --driver tsndis.capture --keyword File=/tmp/a
 *   tsndis filter detach --attach /tmp/tsndis.sock --adapter hostA/eth0 --driver tsndis.capture
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { RuntimeSnapshot } from '../../inspect/index.js';
import { checkAdapterOption, ControlClient, expectOk } from '../control.js';
import { EXIT_OK } from '../exit.js';

interface SocketOptions {
  attach: string;
}

export interface FilterChangeOptions extends SocketOptions {
  adapter: string;
  driver: string;
  keyword?: Record<string, string>;
}

export interface FilterListOptions extends SocketOptions {
  adapter?: string;
  json: boolean;
}

/** A --adapter naming no adapter of the running stack is CLI misuse (exit 2), the adapters listed. */
async function checkAdapter(client: ControlClient, adapter: string): Promise<void> {
  checkAdapterOption(adapter, await client.request({ op: 'status' }));
}

async function withClient<T>(path: string, fn: (c: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.connect(path);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

export function filterAttach(o: FilterChangeOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withClient(o.attach, async (c) => {
    await checkAdapter(c, o.adapter);
    const r = expectOk(await c.request({ op: 'attach-filter', adapter: o.adapter, driver: o.driver, keywords: o.keyword ?? {} }));
    out.write(`attached ${o.driver} to ${o.adapter}: ${(r['modules'] as string[]).join(', ')}\n`);
    return EXIT_OK;
  });
}

export function filterDetach(o: FilterChangeOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withClient(o.attach, async (c) => {
    await checkAdapter(c, o.adapter);
    expectOk(await c.request({ op: 'detach-filter', adapter: o.adapter, driver: o.driver }));
    out.write(`detached ${o.driver} from ${o.adapter}\n`);
    return EXIT_OK;
  });
}

/** Filter modules per adapter, top-most first (as the stack tree shows them). */
export function filterList(o: FilterListOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withClient(o.attach, async (c) => {
    if (o.adapter !== undefined) await checkAdapter(c, o.adapter);
    const hosts = expectOk(await c.request({ op: 'stack' }))['hosts'] as RuntimeSnapshot[];
    const adapters = hosts
      .flatMap((h) => h.adapters)
      .filter((a) => o.adapter === undefined || a.name === o.adapter)
      .map((a) => ({
        adapter: a.name,
        filters: [...a.filters].reverse().map((f) => ({ module: f.name, driver: f.driver, level: f.level, type: f.type, state: f.state })),
      }));
    if (o.json) {
      out.write(`${JSON.stringify(adapters, null, 2)}\n`);
      return EXIT_OK;
    }
    for (const a of adapters) {
      out.write(`${a.adapter}\n`);
      if (a.filters.length === 0) out.write('  (no filters)\n');
      const short = (f: { module: string }): string => f.module.slice(a.adapter.length + 1);
      const w = Math.max(0, ...a.filters.map((f) => short(f).length));
      const tw = Math.max(0, ...a.filters.map((f) => f.type.length));
      for (const f of a.filters) out.write(`  ${f.level}  ${short(f).padEnd(w)}  ${f.type.padEnd(tw)}  ${f.state}\n`);
    }
    return EXIT_OK;
  });
}

/** `--keyword Name=Value`, repeatable, into a keywords object. */
function keyword(v: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [v.slice(0, i)]: v.slice(i + 1) };
}

export function registerFilterCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const filter = program.command('filter').description('attach, detach and list the filters of a running `tsndis up --control <socket>`');
  filter
    .command('list')
    .description('list the filter modules of every adapter (or one), top-most first: level, module, type, state')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('-a, --adapter <host/adapter>', 'only this adapter, e.g. hostA/eth0')
    .option('--json', 'print JSON', false)
    .action((opts: FilterListOptions) => run(() => filterList(opts)));
  filter
    .command('attach')
    .description('attach a filter driver (built in or already loaded) to an adapter; it stays until detached')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .requiredOption('-a, --adapter <host/adapter>', 'adapter, e.g. hostA/eth0')
    .requiredOption('-d, --driver <name>', 'filter driver, e.g. tsndis.capture')
    .option('-k, --keyword <name=value>', 'a keyword of the filter (repeatable), e.g. File=/tmp/x', keyword)
    .action((opts: FilterChangeOptions) => run(() => filterAttach(opts)));
  filter
    .command('detach')
    .description('detach a filter driver from an adapter (every module it has there)')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .requiredOption('-a, --adapter <host/adapter>', 'adapter, e.g. hostA/eth0')
    .requiredOption('-d, --driver <name>', 'filter driver, e.g. tsndis.capture')
    .action((opts: FilterChangeOptions) => run(() => filterDetach(opts)));
}
