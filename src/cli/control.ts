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
 *
 * Attaching and detaching run the runtime's pause → change → restart sequence, so they are safe under
 * traffic. A built-in filter that the config did not use is registered on first use.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { lstatSync, rmSync } from 'node:fs';
import type { BuiltStacks } from '../config/index.js';
import type { NdisRuntime } from '../core/runtime/runtime.js';
import { BUILTIN_DRIVERS } from '../drivers/builtin.js';
import { tcpipOf } from './tcpip-hosts.js';
import { snapshotRuntime } from '../inspect/index.js';
import type { ConfigValue } from '../ndis/driver-api.js';
import { RuntimeOperationError } from '../errors.js';
import { usageError } from './exit.js';

export type ControlRequest =
  | { op: 'status' }
  | { op: 'attach-filter'; adapter: string; driver: string; keywords?: Record<string, ConfigValue> }
  | { op: 'detach-filter'; adapter: string; driver: string }
  | { op: 'netstat'; host?: string }
  | { op: 'stack'; host?: string };

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

/**
 * Serves the control channel on `path` (a Unix socket) until closed. An existing path is taken over only
 * when it is a stale socket (checkControlPath); anything else is refused with a usage error.
 */
export async function serveControl(stacks: BuiltStacks, path: string): Promise<Server> {
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
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
          sock.write(`${JSON.stringify({ ok: false, error: 'not a JSON line' })}\n`);
          continue;
        }
        void handleControl(stacks, req).then((r) => sock.write(`${JSON.stringify(r)}\n`));
      }
    });
    sock.on('error', () => sock.destroy());
  });
  try {
    await listen(server, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new RuntimeOperationError(`--control ${path}: cannot listen: ${e instanceof Error ? e.message : String(e)}`);
    if ((await checkControlPath(path)) === 'stale') rmSync(path, { force: true });
    await listen(server, path);
  }
  return server;
}

/** Sends one request to a running `tsndis up` and resolves with its response. */
export function controlRequest(path: string, req: ControlRequest, timeoutMs = 15_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(t);
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, i)) as ControlResponse);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(t);
      reject(new Error(`cannot reach a running tsndis at ${path}: ${e.message}`));
    });
  });
}
