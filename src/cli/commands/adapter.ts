/**
 * `tsndis adapter --attach <socket> <adapter> pause|restart|reset|remove|surprise-remove`: PnP on a live
 * adapter of a running `tsndis up --control <socket>` — the runtime's own sequences (pause top-down and
 * wait for outstanding NBLs, restart bottom-up, MiniportResetEx, halt after unbinding, surprise removal
 * then halt), exactly what code calling the runtime gets. Prints the adapter's state afterwards.
 */
import type { Command } from 'commander';
import { checkAdapterOption, ControlClient, expectOk } from '../control.js';
import { ADAPTER_ACTIONS, type AdapterAction } from '../control-ops.js';
import { EXIT_FAILURE, EXIT_OK, usageError } from '../exit.js';

export interface AdapterOptions {
  attach: string;
  json: boolean;
}

export async function adapterCommand(adapter: string, action: string, o: AdapterOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (!(ADAPTER_ACTIONS as readonly string[]).includes(action)) throw usageError(`'${action}' is not an adapter action (${ADAPTER_ACTIONS.join(', ')})`);
  const client = await ControlClient.connect(o.attach);
  try {
    checkAdapterOption(adapter, await client.request({ op: 'status' }));
    const r = expectOk(await client.request({ op: 'adapter', adapter, action: action as AdapterAction }, 60_000));
    const ok = r['statusCode'] === undefined || r['statusCode'] === 0;
    if (o.json) out.write(`${JSON.stringify({ adapter, action, state: r['state'], ...(r['status'] === undefined ? {} : { status: r['status'] }) })}\n`);
    else out.write(`${adapter}: ${action} → ${String(r['state'])}${r['status'] === undefined ? '' : ` (${String(r['status'])})`}\n`);
    return ok ? EXIT_OK : EXIT_FAILURE;
  } finally {
    client.close();
  }
}

export function registerAdapterCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('adapter')
    .description('pause, restart, reset or remove an adapter of a running `tsndis up --control <socket>`')
    .argument('<adapter>', 'host/adapter')
    .argument('<action>', ADAPTER_ACTIONS.join(' | '))
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--json', 'print JSON', false)
    .action((adapter: string, action: string, opts: AdapterOptions) => run(() => adapterCommand(adapter, action, opts)));
}
