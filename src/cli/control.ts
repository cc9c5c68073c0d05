/**
 * The control channel of a running `tsndis up`: a Unix socket speaking JSON lines, so other commands
 * (`tsndis capture --attach`) can change a live stack. One request per line, one response per line:
 *
 *   → {"op":"status"}
 *   ← {"ok":true,"hosts":[{"name":"hostA","adapters":["hostA/eth0"],"violations":0}]}
 *   → {"op":"attach-filter","adapter":"hostA/eth0","driver":"tsndis.capture","keywords":{"File":"x.pcapng"}}
 *   ← {"ok":true,"modules":["hostA/eth0/tsndis.capture@miniport"]}
 *   → {"op":"detach-filter","adapter":"hostA/eth0","driver":"tsndis.capture"}
 *   ← {"ok":true}
 *   → {"op":"netstat"}                       (or {"op":"netstat","host":"hostA"})
 *   ← {"ok":true,"hosts":[{"name":"hostA","netstat":{"ipv4":{…},"tcp":{…},"tcpEngine":{…},…}}]}
 *   → {"op":"stack"}                         (or {"op":"stack","host":"hostA"})
 *   ← {"ok":true,"hosts":[<the inspector's RuntimeSnapshot of each host: the live stack tree>]}
 *   → {"op":"oid",…} / {"op":"adapter",…} / {"op":"property",…} / {"op":"lbfo",…} / {"op":"connections"}
 *     (control-ops.ts: OID query/set, PnP, advanced properties, netstat -an)
 *   → {"op":"drops"} / {"op":"drop-capture",…}   (drops-ops.ts: drop reasons, the drop capture)
 *
 * Attaching and detaching run the runtime's pause → change → restart sequence, so they are safe under
 * traffic. A built-in filter that the config did not use is registered on first use.
 *
 * `"untilClose":true` on attach-filter ties the filter to the connection: the server detaches it when
 * that connection goes away without having detached it (`capture --attach` killed, its terminal closed),
 * so no client can leave a capture running behind. A connection's requests are handled in order.
 *
 * Every client is hostile until proven otherwise (ControlLimits): a request may carry an `id` (a JSON
 * scalar) and its reply carries it back, errors included; a line that is not a JSON object with a string
 * `op`, an unknown op or an ill-typed field gets one error reply and costs nothing else. A line over the
 * size limit or left incomplete too long, replies left unread beyond a bound and connections beyond the
 * cap get one error line (no id: it answers for the connection) and are closed. The stacks never wait
 * on a client: replies are written without waiting for the client to read them.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, rmSync } from 'node:fs';
import type { BuiltStacks } from '../config/index.js';
import type { Logger, NdisRuntime } from '../core/runtime/runtime.js';
import { BUILTIN_DRIVERS } from '../drivers/builtin.js';
import { tcpipOf } from './tcpip-hosts.js';
import { snapshotRuntime } from '../inspect/index.js';
import type { ConfigValue } from '../ndis/driver-api.js';
import { RuntimeOperationError } from '../errors.js';
import { usageError } from './exit.js';
import {
  controlAdapter,
  controlConnections,
  controlOid,
  controlProperty,
  controlLbfo,
  type AdapterControlRequest,
  type LbfoControlRequest,
  type ConnectionsControlRequest,
  type OidControlRequest,
  type PropertyControlRequest,
} from './control-ops.js';
import { controlDropCapture, controlDrops, type DropCaptureControlRequest, type DropsControlRequest } from './drops-ops.js';

export type ControlRequest =
  | { op: 'status' }
  | { op: 'attach-filter'; adapter: string; driver: string; keywords?: Record<string, ConfigValue>; untilClose?: boolean }
  | { op: 'detach-filter'; adapter: string; driver: string }
  | { op: 'netstat'; host?: string }
  | { op: 'stack'; host?: string }
  | { op: 'nbl'; nbl: string }
  | OidControlRequest
  | AdapterControlRequest
  | ConnectionsControlRequest
  | PropertyControlRequest
  | DropsControlRequest
  | DropCaptureControlRequest
  | LbfoControlRequest;

export type ControlResponse = { ok: true; [k: string]: unknown } | { ok: false; error: string; id?: ControlId };

/** A request's `id`: any JSON scalar. The reply to a request that carried one carries it back. */
export type ControlId = string | number | boolean | null;

/**
 * The fields each op reads and their JSON types (`?`: optional), checked before the op runs so an
 * ill-typed request is refused with a message naming the field rather than failing somewhere inside.
 * An op not listed here is passed on unchecked (handleControl refuses the ones it does not know).
 */
const REQUEST_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'attach-filter': { adapter: 'string', driver: 'string', keywords: 'object?', untilClose: 'boolean?' },
  'detach-filter': { adapter: 'string', driver: 'string' },
  netstat: { host: 'string?' },
  stack: { host: 'string?' },
  nbl: { nbl: 'string' },
  oid: { adapter: 'string', type: 'string', oid: 'string|number', length: 'number?', raw: 'string?' },
  adapter: { adapter: 'string', action: 'string' },
  connections: { host: 'string?' },
  property: { adapter: 'string', action: 'string', name: 'string?' },
  drops: { host: 'string?' },
  'drop-capture': { action: 'string', file: 'string?', untilClose: 'boolean?' },
  lbfo: { team: 'string', action: 'string', member: 'string?' },
};

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Why `req` is not a well-formed request of its op (a field missing or of the wrong type), or null. */
export function requestProblem(req: { op: string; [k: string]: unknown }): string | null {
  const fields = Object.hasOwn(REQUEST_FIELDS, req.op) ? REQUEST_FIELDS[req.op]! : undefined;
  if (fields === undefined) return null;
  for (const [name, spec] of Object.entries(fields)) {
    const optional = spec.endsWith('?');
    const types = (optional ? spec.slice(0, -1) : spec).split('|');
    const v = req[name];
    if (v === undefined && optional) continue;
    if (!types.includes(jsonType(v))) return `${req.op}: "${name}" must be ${types.map((t) => (t === 'object' ? 'an object' : `a ${t}`)).join(' or ')}${v === undefined ? '' : `, not ${jsonType(v)}`}`;
  }
  return null;
}

/** Replies handleControl gave to a request it refused, and why (the control server counts them). */
const refusals = new WeakMap<object, 'malformed' | 'unknown-op'>();
const refuse = (error: string, why: 'malformed' | 'unknown-op'): ControlResponse => {
  const r: ControlResponse = { ok: false, error };
  refusals.set(r, why);
  return r;
};

/** Every adapter of every host, as `host/adapter`, sorted. */
export function adapterNames(stacks: BuiltStacks): string[] {
  return [...stacks.hosts.values()].flatMap((h) => [...h.runtime.adapters.keys()]).sort();
}

/** Why `adapter` names none of `known` (host/adapter names), or null when it names one. */
export function adapterProblem(adapter: string, known: readonly string[]): string | null {
  if (known.includes(adapter)) return null;
  const why = adapter.includes('/') ? 'no such adapter' : 'name the adapter as host/adapter';
  return `${why} (adapters: ${known.length === 0 ? 'none' : known.join(', ')})`;
}

/** `r` when the request succeeded; otherwise its error, as a RuntimeOperationError (exit 1). */
export function expectOk(r: ControlResponse): ControlResponse & { ok: true } {
  if (!r.ok) throw new RuntimeOperationError(r.error);
  return r;
}

/**
 * For a command's `--adapter`: throws a usage error (exit 2) listing the adapters when `adapter` names
 * none of those in `status`, the response to `{op:"status"}`.
 */
export function checkAdapterOption(adapter: string, status: ControlResponse): void {
  const known = (expectOk(status)['hosts'] as { adapters: string[] }[]).flatMap((h) => h.adapters).sort();
  const problem = adapterProblem(adapter, known);
  if (problem !== null) throw usageError(`--adapter '${adapter}': ${problem}`);
}

function runtimeFor(stacks: BuiltStacks, adapter: string): NdisRuntime {
  const problem = adapterProblem(adapter, adapterNames(stacks));
  if (problem !== null) throw new Error(`adapter '${adapter}': ${problem}`);
  return stacks.hosts.get(adapter.slice(0, adapter.indexOf('/')))!.runtime;
}

function ensureDriver(rt: NdisRuntime, name: string): void {
  if (rt.drivers.has(name)) return;
  const factory = BUILTIN_DRIVERS.get(name);
  if (factory === undefined) throw new Error(`unknown driver '${name}'`);
  rt.registerDriver(factory().characteristics);
}

export async function handleControl(stacks: BuiltStacks, req: ControlRequest): Promise<ControlResponse> {
  if (typeof req !== 'object' || req === null || Array.isArray(req) || typeof req.op !== 'string') return refuse(NOT_A_REQUEST, 'malformed');
  const problem = requestProblem(req as { op: string });
  if (problem !== null) return refuse(problem, 'malformed');
  try {
    switch (req.op) {
      case 'status':
        return {
          ok: true,
          hosts: [...stacks.hosts].map(([name, h]) => ({ name, adapters: [...h.runtime.adapters.keys()], violations: h.runtime.verifier.total })),
        };
      case 'attach-filter': {
        const rt = runtimeFor(stacks, req.adapter);
        ensureDriver(rt, req.driver);
        const modules = await rt.attachFilter(req.adapter, req.driver, req.keywords ?? {});
        return { ok: true, modules: modules.map((m) => m.name) };
      }
      case 'detach-filter': {
        await runtimeFor(stacks, req.adapter).detachFilter(req.adapter, req.driver);
        return { ok: true };
      }
      case 'netstat': {
        if (req.host !== undefined && !stacks.hosts.has(req.host)) throw new Error(`no host '${req.host}'`);
        const hosts: { name: string; netstat: Record<string, unknown> }[] = [];
        for (const name of stacks.hosts.keys()) {
          if (req.host !== undefined && name !== req.host) continue;
          const ip = tcpipOf(stacks, name);
          if (ip !== null) hosts.push({ name, netstat: ip.netstat() });
        }
        if (hosts.length === 0) throw new Error(req.host === undefined ? 'no host runs tsndis.tcpip' : `host '${req.host}' does not run tsndis.tcpip`);
        return { ok: true, hosts };
      }
      case 'stack': {
        if (req.host !== undefined && !stacks.hosts.has(req.host)) throw new Error(`no host '${req.host}'`);
        const hosts = [...stacks.hosts].filter(([name]) => req.host === undefined || name === req.host).map(([, h]) => snapshotRuntime(h.runtime));
        return { ok: true, hosts };
      }
      case 'nbl': {
        // An NBL is named `pool#slot`, as violations name it; the history is read where it is kept.
        for (const [name, h] of stacks.hosts) {
          const history = h.runtime.nblHistoryByName(req.nbl);
          if (history === undefined) continue;
          if (history === null) throw new Error(`host '${name}' keeps no NBL history (run tsndis up --nbl-history)`);
          return { ok: true, host: name, nbl: req.nbl, history };
        }
        throw new Error(`no NBL '${req.nbl}' (name it pool#slot, as violations and inspect pools do)`);
      }
      case 'oid':
        return await controlOid(runtimeFor(stacks, req.adapter), req);
      case 'adapter':
        return await controlAdapter(runtimeFor(stacks, req.adapter), req);
      case 'connections':
        return controlConnections(stacks, req);
      case 'property':
        return await controlProperty(runtimeFor(stacks, req.adapter), req);
      case 'drops':
        return controlDrops(stacks, req);
      case 'drop-capture':
        return controlDropCapture(stacks, req);
      case 'lbfo':
        return await controlLbfo(runtimeFor(stacks, req.team), req);
      default:
        return refuse(`unknown op '${String((req as { op?: unknown }).op)}'`, 'unknown-op');
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

const NOT_A_REQUEST = 'a request is a JSON object with an "op" (a string)';

/** A request line read: the request and its id (undefined: it carried none), or the error to answer. */
type ParsedLine = { req: ControlRequest; id: ControlId | undefined } | { error: string; id: ControlId | undefined };

function parseLine(line: string): ParsedLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: 'not a JSON line', id: undefined };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: NOT_A_REQUEST, id: undefined };
  const id = (v as { id?: unknown }).id;
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'boolean') return { error: '"id" must be a string, number, boolean or null', id: undefined };
  if (typeof (v as { op?: unknown }).op !== 'string') return { error: NOT_A_REQUEST, id };
  return { req: v as ControlRequest, id };
}

/** What answers on an existing socket: nothing (connect refused: stale), a tsndis, or something else. */
function probeSocket(path: string, timeoutMs = 2000): Promise<'stale' | 'tsndis' | 'other'> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const done = (v: 'stale' | 'tsndis' | 'other'): void => {
      clearTimeout(t);
      sock.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done('other'), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ op: 'status' })}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      let ok = false;
      try {
        ok = (JSON.parse(buf.slice(0, i)) as { ok?: unknown }).ok === true;
      } catch {
        // not JSON: not a tsndis
      }
      done(ok ? 'tsndis' : 'other');
    });
    sock.on('end', () => done('other'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      sock.destroy();
      // ENOENT: removed since the lstat; either way nothing listens there.
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolve('stale');
      else reject(usageError(`--control ${path}: cannot probe the socket: ${e.message}`));
    });
  });
}

/**
 * Checks that `path` can take a new control socket without harming anything: it is free, or it is a
 * stale socket (connecting is refused: its server is gone). Refuses (exit 2) a path that exists and is
 * not a socket — `up` must never delete a user's file — and a socket something still answers on, so a
 * second `up` cannot steal a running one's channel. Nothing is removed here.
 */
export async function checkControlPath(path: string): Promise<'free' | 'stale'> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'free';
    throw usageError(`--control ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isSocket) throw usageError(`--control ${path}: exists and is not a socket; refusing to replace it`);
  const who = await probeSocket(path);
  if (who === 'stale') return 'stale';
  throw usageError(
    who === 'tsndis'
      ? `--control ${path}: a running tsndis answers on this socket; stop it or choose another path`
      : `--control ${path}: another program listens on this socket; choose another path`,
  );
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** How much a control client may take; every bound is per connection except `maxClients`. */
export interface ControlLimits {
  /** Connections served at once; one more is answered with an error line and closed (default 64). */
  maxClients?: number;
  /** Longest request line in bytes; a longer one is answered with an error and the client disconnected (default 1 MiB). */
  maxLineBytes?: number;
  /** Replies a client has not read yet, in bytes, beyond which it is disconnected (default 8 MiB). */
  maxUnreadBytes?: number;
  /** How long a started request line may stay incomplete before the client is disconnected (default 10 s). */
  lineTimeoutMs?: number;
}

/** What the control channel refused, since it started (in the reply to `{"op":"status"}` as `control`). */
export interface ControlStats {
  /** Connections being served now. */
  clients: number;
  accepted: number;
  /** Connections refused because `maxClients` were being served. */
  refused: number;
  /** Lines that were not JSON, or not a request object. */
  malformed: number;
  /** Requests with an op the channel does not know. */
  unknownOps: number;
  /** Clients disconnected for a line over `maxLineBytes`. */
  oversized: number;
  /** Clients disconnected for leaving over `maxUnreadBytes` of replies unread. */
  slowReaders: number;
  /** Clients disconnected for a line left incomplete over `lineTimeoutMs`. */
  stalled: number;
}

/** A running control channel: `close()` ends every connection (detaching what they tied to themselves), then stops listening. */
export interface ControlServer {
  readonly path: string;
  readonly stats: Readonly<ControlStats>;
  close(): Promise<void>;
}

/** One client connection: its requests run in order on `queue`; `owned` is what it attached with untilClose. */
interface Connection {
  readonly sock: Socket;
  queue: Promise<void>;
  readonly owned: Set<string>;
  /** Resolves once the connection closed and what it owned was detached. */
  readonly ended: Promise<void>;
}

const ownerKey = (adapter: string, driver: string): string => `${adapter}\u0000${driver}`;
/** The owner key of a drop capture started with untilClose (not a filter: stopped, not detached). */
const DROP_CAPTURE_KEY = ownerKey('*', 'drop-capture');

/**
 * Serves the control channel on `path` (a Unix socket) until closed. An existing path is taken over only
 * when it is a stale socket (checkControlPath); anything else is refused with a usage error.
 */
export async function serveControl(stacks: BuiltStacks, path: string, log: Logger = () => {}, limits: ControlLimits = {}): Promise<ControlServer> {
  const stats: ControlStats = { clients: 0, accepted: 0, refused: 0, malformed: 0, unknownOps: 0, oversized: 0, slowReaders: 0, stalled: 0 };
  const connections = new Set<Connection>();
  /** Which connection a filter is tied to (attach-filter with untilClose), by adapter and driver. */
  const owners = new Map<string, Connection>();

  const handle = async (c: Connection, req: ControlRequest): Promise<ControlResponse> => {
    const r = await handleControl(stacks, req);
    if (!r.ok) return r;
    if (req.op === 'detach-filter') {
      const key = ownerKey(req.adapter, req.driver);
      owners.get(key)?.owned.delete(key);
      owners.delete(key);
    } else if (req.op === 'drop-capture') {
      if (req.action === 'start' && req.untilClose === true) {
        owners.set(DROP_CAPTURE_KEY, c);
        c.owned.add(DROP_CAPTURE_KEY);
      } else {
        owners.get(DROP_CAPTURE_KEY)?.owned.delete(DROP_CAPTURE_KEY);
        owners.delete(DROP_CAPTURE_KEY);
      }
    } else if (req.op === 'attach-filter') {
      const key = ownerKey(req.adapter, req.driver);
      if (req.untilClose === true) {
        owners.set(key, c);
        c.owned.add(key);
      } else {
        owners.delete(key);
      }
    }
    return r;
  };

  /** The connection is gone: detach what it tied to itself (after its own requests finished). */
  const release = async (c: Connection): Promise<void> => {
    for (const key of [...c.owned]) {
      if (owners.get(key) !== c) continue;
      owners.delete(key);
      const [adapter, driver] = key.split('\u0000') as [string, string];
      const r = await handleControl(stacks, key === DROP_CAPTURE_KEY ? { op: 'drop-capture', action: 'stop' } : { op: 'detach-filter', adapter, driver });
      log(r.ok ? 'info' : 'warn', adapter, r.ok ? `control client went away: detached ${driver}` : `control client went away: detaching ${driver} failed: ${r.error}`);
    }
    c.owned.clear();
  };

  const maxClients = limits.maxClients ?? 64;
  const maxLine = limits.maxLineBytes ?? 1 << 20;
  const maxUnread = limits.maxUnreadBytes ?? 8 << 20;
  const lineTimeoutMs = limits.lineTimeoutMs ?? 10_000;

  const server = createServer((sock) => {
    sock.on('error', () => sock.destroy());
    if (connections.size >= maxClients) {
      // Refused before reading anything: one error line, then the connection is gone.
      stats.refused++;
      sock.end(`${JSON.stringify({ ok: false, error: `too many control connections (${maxClients} served at once); try again later` })}\n`, () => sock.destroy());
      setTimeout(() => sock.destroy(), 2000).unref();
      return;
    }
    stats.accepted++;
    let ended!: () => void;
    const c: Connection = { sock, queue: Promise.resolve(), owned: new Set(), ended: new Promise((r) => (ended = r)) };
    connections.add(c);
    stats.clients = connections.size;
    /** The partial line so far (chunks kept apart: joining them on every byte of a slow line would be quadratic). */
    const partial: Buffer[] = [];
    let partialBytes = 0;
    let lineTimer: NodeJS.Timeout | null = null;
    /** Requests read and not answered yet; reading pauses while too many wait, so a flood waits in the socket. */
    let waiting = 0;
    let hungUp = false;

    const write = (r: ControlResponse, id: ControlId | undefined): void => {
      if (sock.destroyed || !sock.writable) return;
      sock.write(`${JSON.stringify(id === undefined ? r : { ...r, id })}\n`);
      // A client that does not read its replies must not grow this process without bound.
      if (sock.writableLength > maxUnread) {
        stats.slowReaders++;
        log('warn', 'control', `${path}: a client left over ${maxUnread} bytes of replies unread; disconnected`);
        sock.destroy();
      }
    };
    /** Answers `error` after every reply already due, then closes: nothing more this client sends is read. */
    const hangUp = (error: string): void => {
      if (hungUp) return;
      hungUp = true;
      if (lineTimer !== null) clearTimeout(lineTimer);
      partial.length = 0;
      sock.pause();
      c.queue = c.queue.then(() => {
        if (sock.destroyed) return;
        sock.end(`${JSON.stringify({ ok: false, error })}\n`, () => sock.destroy());
        setTimeout(() => sock.destroy(), 2000).unref();
      });
    };
    const request = (line: string): void => {
      const p = parseLine(line);
      waiting++;
      if (waiting >= 1024) sock.pause();
      c.queue = c.queue.then(async () => {
        // A client that is gone hears nothing: its queued requests are not run (release undoes what it owned).
        if (sock.destroyed) {
          waiting--;
          return;
        }
        let r: ControlResponse;
        if ('error' in p) {
          stats.malformed++;
          r = { ok: false, error: p.error };
        } else {
          r = await handle(c, p.req);
          const why = refusals.get(r);
          if (why === 'malformed') stats.malformed++;
          else if (why === 'unknown-op') stats.unknownOps++;
          if (r.ok && p.req.op === 'status') r = { ...r, control: { ...stats } };
        }
        write(r, p.id);
        if (--waiting === 512 && !hungUp) sock.resume();
      });
    };
    sock.on('data', (d: Buffer) => {
      if (hungUp) return;
      let start = 0;
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, start)) {
        if (partialBytes + i - start > maxLine) break;
        const bytes = partial.length === 0 ? d.subarray(start, i) : Buffer.concat([...partial, d.subarray(start, i)]);
        partial.length = 0;
        partialBytes = 0;
        request(bytes.toString('utf8'));
        start = i + 1;
      }
      const rest = d.length - start;
      if (partialBytes + rest > maxLine || (d.indexOf(10, start) >= 0)) {
        stats.oversized++;
        hangUp(`request line over ${maxLine} bytes; disconnecting`);
        return;
      }
      if (rest > 0) {
        partial.push(d.subarray(start));
        partialBytes += rest;
      }
      // A started line must end in time: a client cannot hold a connection with a line it never finishes.
      if (partialBytes === 0) {
        if (lineTimer !== null) clearTimeout(lineTimer);
        lineTimer = null;
      } else if (lineTimer === null || start > 0) {
        if (lineTimer !== null) clearTimeout(lineTimer);
        lineTimer = setTimeout(() => {
          stats.stalled++;
          hangUp(`request line incomplete after ${lineTimeoutMs} ms; disconnecting`);
        }, lineTimeoutMs);
        lineTimer.unref();
      }
    });
    sock.on('close', () => {
      if (lineTimer !== null) clearTimeout(lineTimer);
      c.queue = c.queue.then(() => release(c)).finally(() => {
        connections.delete(c);
        stats.clients = connections.size;
        ended();
      });
    });
  });
  try {
    await listen(server, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new RuntimeOperationError(`--control ${path}: cannot listen: ${e instanceof Error ? e.message : String(e)}`);
    if ((await checkControlPath(path)) === 'stale') rmSync(path, { force: true });
    await listen(server, path);
  }
  // A failed accept must not end the process: the stacks keep running, the failure is logged.
  server.on('error', (e) => log('error', 'control', `${path}: ${e.message}`));
  return {
    path,
    stats,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      const all = [...connections];
      for (const c of all) c.sock.destroy();
      await Promise.all(all.map((c) => c.ended));
      await closing;
    },
  };
}

export { ControlClient, controlRequest } from './control-client.js';
