/**
 * `tsndis oid --attach <socket> <adapter> query <OID> [--length n] [--raw] [--json]` and
 * `tsndis oid --attach <socket> <adapter> set <OID> <value> [--raw] [--json]`: an OID request to a live
 * adapter of a running `tsndis up --control <socket>`, issued as NDIS issues its own — from the top of
 * the stack, through every filter — so the answer is what a protocol would get: the completion status,
 * BytesWritten / BytesRead / BytesNeeded, and for a successful query the value decoded by the OID's codec
 * (or the bytes in hex with --raw, or for an OID without a codec).
 *
 * A set's value is encoded by the OID's codec: a number (decimal or 0x hex) for ULONG OIDs such as
 * OID_GEN_CURRENT_PACKET_FILTER, a JSON object for a structure; with --raw the value is the
 * InformationBuffer itself in hex. Exit 0 when the request completed with NDIS_STATUS_SUCCESS, 1 when it
 * completed with another status (printed with the lengths, as a caller would see them), 2 for a
 * command line that names no adapter or OID or gives a value that cannot be encoded.
 */
import type { Command } from 'commander';
import { checkAdapterOption, ControlClient, expectOk } from '../control.js';
import { parseHex, parseOid } from '../control-ops.js';
import { EXIT_FAILURE, EXIT_OK, usageError } from '../exit.js';
import { renderNetstat } from './netstat.js';

export interface OidOptions {
  attach: string;
  length?: string;
  raw: boolean;
  json: boolean;
}

/** The value argument of a set: a number, a JSON value, or (with --raw) hex bytes. */
export function parseSetValue(value: string, raw: boolean): { value?: unknown; raw?: string } {
  if (raw) {
    const bytes = parseHex(value);
    if (typeof bytes === 'string') throw usageError(`value: ${bytes}`);
    return { raw: value };
  }
  if (/^(0x[0-9a-f]+|\d+)$/i.test(value)) return { value: Number(value) };
  try {
    return { value: JSON.parse(value) as unknown };
  } catch {
    throw usageError(`value '${value}' is not a number or JSON (give the InformationBuffer as hex with --raw)`);
  }
}

export async function oidCommand(adapter: string, type: string, oid: string, value: string | undefined, o: OidOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (type !== 'query' && type !== 'set') throw usageError(`'${type}' is not query or set`);
  const parsed = parseOid(oid);
  if (typeof parsed === 'string') throw usageError(parsed);
  if (type === 'set' && value === undefined) throw usageError('set needs a value');
  if (type === 'query' && value !== undefined) throw usageError(`query takes no value (got '${value}')`);
  let length: number | undefined;
  if (o.length !== undefined) {
    length = Number(o.length);
    if (!Number.isInteger(length) || length < 0) throw usageError(`--length ${o.length} is not a byte count`);
  }
  const client = await ControlClient.connect(o.attach);
  try {
    checkAdapterOption(adapter, await client.request({ op: 'status' }));
    const req =
      type === 'query'
        ? { op: 'oid' as const, adapter, type: 'query' as const, oid: parsed, ...(length === undefined ? {} : { length }) }
        : { op: 'oid' as const, adapter, type: 'set' as const, oid: parsed, ...parseSetValue(value!, o.raw) };
    const r = await client.request(req);
    if (!r.ok && /cannot encode|has no codec|raw:/.test(r.error)) throw usageError(r.error);
    const a = expectOk(r);
    const ok = a['statusCode'] === 0;
    if (o.json) {
      out.write(`${JSON.stringify({ adapter, ...a, ok: undefined }, null, 2)}\n`);
      return ok ? EXIT_OK : EXIT_FAILURE;
    }
    const lengths = `written ${String(a['bytesWritten'])}, read ${String(a['bytesRead'])}, needed ${String(a['bytesNeeded'])}`;
    out.write(`${adapter} ${type} ${String(a['oid'])}: ${String(a['status'])} (${lengths})\n`);
    if (type === 'query' && ok) {
      const decoded = a['decoded'];
      if (o.raw || decoded === undefined) out.write(`  ${String(a['hex'])}\n`);
      else if (typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded)) out.write(renderNetstat(decoded as Record<string, unknown>, true));
      else out.write(`  ${Array.isArray(decoded) ? decoded.map(String).join(' ') : typeof decoded === 'number' ? `${String(decoded)} (0x${decoded.toString(16)})` : String(decoded)}\n`);
      if (a['decodeError'] !== undefined) out.write(`  (does not decode: ${String(a['decodeError'])})\n`);
    }
    return ok ? EXIT_OK : EXIT_FAILURE;
  } finally {
    client.close();
  }
}

export function registerOidCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('oid')
    .description('query or set an OID on an adapter of a running `tsndis up --control <socket>`, as NDIS issues it (through every filter)')
    .argument('<adapter>', 'host/adapter')
    .argument('<type>', 'query or set')
    .argument('<oid>', 'an OID_* name or its number (0x…)')
    .argument('[value]', 'set: a number, a JSON structure, or hex bytes with --raw')
    .requiredOption('--attach <socket>', 'the control socket of a running `tsndis up`')
    .option('--length <bytes>', 'query: the InformationBufferLength offered (default 65536)')
    .option('--raw', 'query: print the answer as hex; set: the value is the InformationBuffer in hex', false)
    .option('--json', 'print JSON', false)
    .action((adapter: string, type: string, oid: string, value: string | undefined, opts: OidOptions) => run(() => oidCommand(adapter, type, oid, value, opts)));
}
