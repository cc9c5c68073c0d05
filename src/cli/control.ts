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
 *
 * Attaching and detaching run the runtime's pause → change → restart sequence, so they are safe under
 * traffic. A built-in filter that the config did not use is registered on first use.
 *
 * `"untilClose":true` on attach-filter ties the filter to the connection: the server detaches it when
 * that connection goes away without having detached it (`capture --attach` killed, its terminal closed),
 * so no client can leave a capture running behind. A connection's requests are handled in order.
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
  | LbfoControlRequest;

export type ControlResponse = { ok: true; [k: string]: unknown } | { ok: false; error: string };

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
      case 'lbfo':
        return await controlLbfo(runtimeFor(stacks, req.team), req);
      default:
        return { ok: false, error: `unknown op '${String((req as { op?: unknown }).op)}'` };
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
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

/** A running control channel: `close()` ends every connection (detaching what they tied to themselves), then stops listening. */
export interface ControlServer {
  readonly path: string;
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

/**
 * Serves the control channel on `path` (a Unix socket) until closed. An existing path is taken over only
 * when it is a stale socket (checkControlPath); anything else is refused with a usage error.
 */
export async function serveControl(stacks: BuiltStacks, path: string, log: Logger = () => {}): Promise<ControlServer> {
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
      const r = await handleControl(stacks, { op: 'detach-filter', adapter, driver });
      log(r.ok ? 'info' : 'warn', adapter, r.ok ? `control client went away: detached ${driver}` : `control client went away: detaching ${driver} failed: ${r.error}`);
    }
    c.owned.clear();
  };

  const server = createServer((sock) => {
    let ended!: () => void;
    const c: Connection = { sock, queue: Promise.resolve(), owned: new Set(), ended: new Promise((r) => (ended = r)) };
    connections.add(c);
    let buf = '';
    sock.setEncoding('utf8');
    const answer = (r: ControlResponse): void => {
      if (!sock.destroyed && sock.writable) sock.write(`${JSON.stringify(r)}\n`);
    };
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > 1 << 20) {
        sock.destroy();
        return;
      }
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let req: ControlRequest;
        try {
          req = JSON.parse(line) as ControlRequest;
        } catch {
          c.queue = c.queue.then(() => answer({ ok: false, error: 'not a JSON line' }));
          continue;
        }
        c.queue = c.queue.then(async () => answer(await handle(c, req)));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      c.queue = c.queue.then(() => release(c)).finally(() => {
        connections.delete(c);
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
