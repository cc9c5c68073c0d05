/**
 * Control-channel operations that act on a live adapter (control.ts routes to them): an OID query or set
 * issued as NDIS issues its own (from the top of the stack, through every filter, with the codecs'
 * length and status semantics), PnP actions (pause, restart, reset, remove, surprise removal), and the
 * TCP connection table of a host (netstat -an).
 *
 *   → {"op":"oid","adapter":"h/eth0","type":"query","oid":"OID_GEN_LINK_STATE"}
 *   ← {"ok":true,"oid":"OID_GEN_LINK_STATE","status":"NDIS_STATUS_SUCCESS","statusCode":0,
 *      "bytesWritten":40,"bytesNeeded":0,"bytesRead":0,"hex":"8001…","decoded":{…}}
 *   → {"op":"oid","adapter":"h/eth0","type":"set","oid":"OID_GEN_CURRENT_PACKET_FILTER","value":11}
 *   → {"op":"oid","adapter":"h/eth0","type":"set","oid":"0x0001010e","raw":"0b000000"}
 *   → {"op":"adapter","adapter":"h/eth0","action":"pause"}          (restart | reset | remove | surprise-remove)
 *   ← {"ok":true,"state":"Paused"}
 *   → {"op":"lbfo","team":"h/team0","action":"show"}      (add | remove, with "member":"h/eth2")
 *   ← {"ok":true,"team":"h/team0","mode":"ActiveStandby","active":"m1","members":[…]}
 *   → {"op":"connections"}                 (or {"op":"connections","host":"h"})
 *   ← {"ok":true,"hosts":[{"name":"h","connections":[{"proto":"tcp","local":"198.18.0.2:80","remote":…}]}]}
 *
 * A failed OID is not a failed request: the reply is `ok` with the status the stack completed it with,
 * exactly what code calling `rt.oid` sees. Requests that cannot be issued at all (unknown adapter or OID
 * name, a value that does not encode) are errors.
 */
import type { BuiltStacks } from '../config/index.js';
import { checkKeywords } from '../config/keywords.js';
import type { ConfigValue } from '../ndis/driver-api.js';
import type { NdisRuntime } from '../core/runtime/runtime.js';
import { formatAddress } from '../drivers/protocol/tcpip/tcp/util.js';
import { NdisOidRequest, OID_CODECS, NDIS_STATUS_SUCCESS, oidFromName, oidName, statusName } from '../ndis/index.js';
import { findTeam } from '../drivers/intermediate/lbfo/index.js';
import { tcpipOf } from './tcpip-hosts.js';

export type OidControlRequest = {
  op: 'oid';
  adapter: string;
  type: 'query' | 'set';
  /** An OID_* name or a number (decimal or 0x hex). */
  oid: string | number;
  /** Query: bytes offered for the answer (default: room for any answer, 64 KiB). */
  length?: number;
  /** Set: the value, encoded with the OID's codec (a number for ULONG OIDs, an object for structures). */
  value?: unknown;
  /** Set: the InformationBuffer itself, as hex (for OIDs without a codec, or deliberately malformed sets). */
  raw?: string;
};

export type AdapterAction = 'pause' | 'restart' | 'reset' | 'remove' | 'surprise-remove';
export const ADAPTER_ACTIONS: readonly AdapterAction[] = ['pause', 'restart', 'reset', 'remove', 'surprise-remove'];

export type AdapterControlRequest = { op: 'adapter'; adapter: string; action: AdapterAction };
export type ConnectionsControlRequest = { op: 'connections'; host?: string };
export type LbfoControlRequest = { op: 'lbfo'; team: string; action: 'show' } | { op: 'lbfo'; team: string; action: 'add' | 'remove'; member: string };
export type PropertyControlRequest = { op: 'property'; adapter: string; action: 'get' } | { op: 'property'; adapter: string; action: 'set'; name: string; value: ConfigValue };

/** One advanced property of an adapter (a keyword of its miniport's schema). */
export interface PropertyRow {
  name: string;
  type: string;
  description: string;
  /** What the driver reads now (the configured value, else the default); null when neither exists. */
  value: ConfigValue | null;
  default: ConfigValue | null;
  /** Given in the config or set at run time, rather than the default. */
  configured: boolean;
  min?: number;
  max?: number;
  values?: readonly (string | number)[];
}

/** Largest query buffer and raw set a client may ask for. */
const MAX_OID_BUFFER = 1 << 16;

/** The OID named by `oid` (an exact OID_* name, or a number), or an error message. */
export function parseOid(oid: string | number): number | string {
  if (typeof oid === 'number') return Number.isInteger(oid) && oid >= 0 && oid <= 0xffffffff ? oid >>> 0 : `OID ${String(oid)} is not a 32-bit unsigned number`;
  const byName = oidFromName(oid);
  if (byName !== undefined) return byName;
  if (/^(0x[0-9a-f]{1,8}|\d+)$/i.test(oid)) {
    const n = Number(oid);
    if (n <= 0xffffffff) return n >>> 0;
  }
  return `unknown OID '${oid}' (an exact OID_* name, or a number such as 0x00010106)`;
}

/** Bytes of an even-length hex string (spaces, colons and a 0x prefix allowed), or an error message. */
export function parseHex(hex: string): Uint8Array | string {
  const s = hex.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(s)) return `'${hex}' is not hex bytes`;
  if (s.length / 2 > MAX_OID_BUFFER) return `more than ${MAX_OID_BUFFER} bytes`;
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

/** A decoded OID value as JSON: bigints as decimal strings (they exceed 2^53), byte arrays as hex. */
export function oidValueToJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(oidValueToJson);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, oidValueToJson(x)]));
  return v;
}

export async function controlOid(rt: NdisRuntime, req: OidControlRequest): Promise<{ ok: true; [k: string]: unknown }> {
  const oid = parseOid(req.oid);
  if (typeof oid === 'string') throw new Error(oid);
  const codec = OID_CODECS.get(oid);
  let request: NdisOidRequest;
  if (req.type === 'query') {
    const length = req.length ?? MAX_OID_BUFFER;
    if (!Number.isInteger(length) || length < 0 || length > MAX_OID_BUFFER) throw new Error(`query length ${String(length)} outside 0 … ${MAX_OID_BUFFER}`);
    request = NdisOidRequest.query(oid, length);
  } else if (req.type === 'set') {
    if (req.raw !== undefined) {
      const bytes = parseHex(req.raw);
      if (typeof bytes === 'string') throw new Error(`raw: ${bytes}`);
      request = NdisOidRequest.setRaw(oid, bytes);
    } else {
      if (req.value === undefined) throw new Error('a set needs a value (or raw hex bytes)');
      if (codec === undefined) throw new Error(`${oidName(oid)} has no codec here: give the InformationBuffer as raw hex`);
      try {
        request = NdisOidRequest.set(codec, req.value);
      } catch (e) {
        throw new Error(`${codec.name}: cannot encode ${JSON.stringify(req.value)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } else {
    throw new Error(`OID request type '${String((req as { type?: unknown }).type)}' is not query or set`);
  }
  const status = await rt.oid(req.adapter, request);
  const out: { ok: true; [k: string]: unknown } = {
    ok: true,
    oid: oidName(oid),
    type: req.type,
    status: statusName(status),
    statusCode: status >>> 0,
    bytesWritten: request.bytesWritten,
    bytesRead: request.bytesRead,
    bytesNeeded: request.bytesNeeded,
  };
  if (req.type === 'query' && status === NDIS_STATUS_SUCCESS) {
    const answer = request.informationBuffer.subarray(0, request.bytesWritten);
    out['hex'] = Buffer.from(answer).toString('hex');
    if (codec !== undefined) {
      const d = codec.decode(answer, 0, answer.length);
      if (d.ok) out['decoded'] = oidValueToJson(d.value);
      else out['decodeError'] = `${statusName(d.status)}: ${d.reason}`;
    }
  }
  return out;
}

export async function controlAdapter(rt: NdisRuntime, req: AdapterControlRequest): Promise<{ ok: true; [k: string]: unknown }> {
  const name = req.adapter;
  switch (req.action) {
    case 'pause':
      await rt.pauseStack(name);
      break;
    case 'restart':
      await rt.restartStack(name);
      break;
    case 'reset': {
      const status = await rt.resetAdapter(name);
      return { ok: true, status: statusName(status), statusCode: status >>> 0, state: rt.adapter(name).state };
    }
    case 'remove':
      await rt.removeAdapter(name);
      return { ok: true, state: 'Removed' };
    case 'surprise-remove':
      await rt.surpriseRemove(name);
      return { ok: true, state: rt.adapters.has(name) ? rt.adapter(name).state : 'Removed' };
    default:
      throw new Error(`unknown adapter action '${String((req as { action?: unknown }).action)}' (one of ${ADAPTER_ACTIONS.join(', ')})`);
  }
  return { ok: true, state: rt.adapter(name).state };
}

/** One row of the connection table. */
export interface ConnectionRow {
  proto: 'tcp' | 'tcp6';
  local: string;
  remote: string;
  state: string;
  /** Bytes received and not yet read by the application (netstat's Recv-Q). */
  recvQ: number;
  /** Bytes sent and not yet acknowledged (Send-Q); for a listener, the accept queue. */
  sendQ: number;
  /** Listeners: half-open (SYN-RECEIVED) entries and the backlog. */
  halfOpen?: number;
  backlog?: number;
}

const endpoint = (family: 4 | 6, address: Uint8Array, port: number): string => `${formatAddress(family, address)}:${String(port)}`;

export function controlConnections(stacks: BuiltStacks, req: ConnectionsControlRequest): { ok: true; hosts: { name: string; connections: ConnectionRow[] }[] } {
  if (req.host !== undefined && !stacks.hosts.has(req.host)) throw new Error(`no host '${req.host}'`);
  const hosts: { name: string; connections: ConnectionRow[] }[] = [];
  for (const name of stacks.hosts.keys()) {
    if (req.host !== undefined && name !== req.host) continue;
    const ip = tcpipOf(stacks, name);
    if (ip === null) continue;
    const rows: ConnectionRow[] = [];
    for (const l of ip.tcp.listeners()) {
      const e = l.localEndpoint;
      rows.push({ proto: e.family === 4 ? 'tcp' : 'tcp6', local: endpoint(e.family, e.address, e.port), remote: e.family === 4 ? '0.0.0.0:*' : '[::]:*', state: 'LISTEN', recvQ: 0, sendQ: l.acceptQueueLength, halfOpen: l.halfOpenCount, backlog: l.backlog });
    }
    for (const c of ip.tcp.connections()) {
      const l = c.localEndpoint;
      const r = c.remoteEndpoint;
      rows.push({ proto: l.family === 4 ? 'tcp' : 'tcp6', local: endpoint(l.family, l.address, l.port), remote: endpoint(r.family, r.address, r.port), state: c.state, recvQ: c.readableLength, sendQ: c.info().unacked });
    }
    hosts.push({ name, connections: rows });
  }
  if (hosts.length === 0) throw new Error(req.host === undefined ? 'no host runs tsndis.tcpip' : `host '${req.host}' does not run tsndis.tcpip`);
  return { ok: true, hosts };
}

/**
 * Advanced properties (the `Get-/Set-NetAdapterAdvancedProperty` analogue): `get` lists every keyword of
 * the adapter's miniport with the value in force; `set` checks the value against the keyword's schema
 * exactly as the config loader does, then applies it as Windows does — the adapter is disabled and
 * enabled again with the new value (`NdisRuntime.reinitializeAdapter`), its filters and bindings put back.
 */
export async function controlProperty(rt: NdisRuntime, req: PropertyControlRequest): Promise<{ ok: true; [k: string]: unknown }> {
  const mb = rt.adapter(req.adapter);
  const schema = mb.driver.keywords ?? {};
  if (req.action === 'set') {
    const checked = checkKeywords('<control>', `${req.adapter}.keywords`, mb.driver.name, schema, { [req.name]: req.value });
    await rt.reinitializeAdapter(req.adapter, checked);
  } else if (req.action !== 'get') {
    throw new Error(`property action '${String((req as { action?: unknown }).action)}' is not get or set`);
  }
  const now = rt.adapter(req.adapter);
  const rows: PropertyRow[] = Object.entries(schema).map(([name, def]) => {
    const value = now.keywords.read(name) ?? null;
    const row: PropertyRow = { name, type: def.type, description: def.description, value, default: def.default ?? null, configured: value !== null && JSON.stringify(value) !== JSON.stringify(def.default ?? null) };
    if (def.min !== undefined) row.min = def.min;
    if (def.max !== undefined) row.max = def.max;
    if (def.values !== undefined) row.values = def.values;
    return row;
  });
  return { ok: true, adapter: req.adapter, driver: mb.driver.name, properties: rows, state: now.state };
}

/**
 * A tsndis.lbfo team at run time: `show` is the team adapter's inspection (mode, link, active member,
 * failovers, each member's role, state and counters); `add` binds the team's driver to another adapter
 * with the keywords its members have (it joins the team); `remove` unbinds it from a member (its sends
 * in flight complete first, the team fails over if it was active).
 */
export async function controlLbfo(rt: NdisRuntime, req: LbfoControlRequest): Promise<{ ok: true; [k: string]: unknown }> {
  const team = findTeam(req.team);
  if (team === undefined || team.adapter === null) throw new Error(`'${req.team}' is not a tsndis.lbfo team adapter`);
  if (req.action === 'add' || req.action === 'remove') {
    const member = req.member;
    if (!rt.adapters.has(member)) throw new Error(`no adapter '${member}'`);
    if (req.action === 'add') {
      const model = team.members[0];
      const keywords = model === undefined ? { UpperBindings: [req.team.slice(req.team.lastIndexOf('/') + 1)] } : Object.fromEntries(model.keywords.entries());
      await rt.bindProtocol(member, 'tsndis.lbfo', keywords);
    } else {
      if (!team.members.some((m) => m.adapterName === member)) throw new Error(`'${member}' is not a member of ${req.team}`);
      if (team.members.length === 1) throw new Error(`'${member}' is the last member of ${req.team} (remove the team adapter instead)`);
      await rt.unbindProtocol(member, 'tsndis.lbfo');
    }
  } else if (req.action !== 'show') {
    throw new Error(`lbfo action '${String((req as { action?: unknown }).action)}' is not show, add or remove`);
  }
  return { ok: true, team: req.team, ...team.adapter.inspect() };
}
