/**
 * The live dashboard of running stacks (`tsndis up --dashboard [host:port]`), served with Fastify: one
 * page (page.ts: plain ES module, no framework) that polls the stacks' snapshot once a second and draws
 * the stack graph, per-module rates, pools, verifier violations and the TCP connections, with actions
 * that go through the same control operations as the CLI (control.ts: pause/restart, OID query,
 * attach/detach a capture).
 *
 *   GET  /                 the page              GET /api/snapshot   hosts' stack trees, wires, connections
 *   POST /api/control      one control request (the control channel's JSON), its reply
 *   GET  /api/violations   the latest verifier violations;  GET /api/events: each new one as it happens
 *                          (server-sent events, `?token=` as EventSource sends no headers)
 *   POST /api/capture      {"adapter","action":"start"|"stop"}: a capture of the adapter (captures.ts)
 *   GET  /api/capture/<name>  a stopped capture's pcapng, as a download
 *
 * Every request needs the dashboard's token — `?token=` on the page's URL (printed at start), then the
 * `x-tsndis-token` header the page sends: none is 401, a wrong one 403, compared in constant time.
 * Bodies are limited to 64 KiB (413 beyond), requests to 10 s and connections to DASHBOARD_MAX_CONNECTIONS
 * at once (more are closed); bodies that are not a request get 400. It listens on loopback unless told
 * otherwise.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { BuiltStacks } from '../config/index.js';
import { createReadStream } from 'node:fs';
import { handleControl, type ControlId, type ControlRequest } from '../cli/control.js';
import { controlConnections } from '../cli/control-ops.js';
import { snapshotRuntime, toJsonable } from '../inspect/index.js';
import { DashboardCaptures } from './captures.js';
import { DASHBOARD_PAGE, DASHBOARD_SCRIPT } from './page.js';
import { ViolationFeed } from './violations.js';

/** Connections the dashboard serves at once (pages poll on one or two each); more are closed at once. */
export const DASHBOARD_MAX_CONNECTIONS = 64;

export interface DashboardServer {
  /** The page's URL with its token, e.g. `http://127.0.0.1:8080/?token=…`. */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  host: string;
  port: number;
  /** Default: 32 random hex digits. */
  token?: string;
  /** Where the page's captures are written (default: a new directory under the system's temporary directory). */
  captureDir?: string;
}

/** Virtual wires and the adapters on each (tsndis.virtual-wire adapters whose Wire keyword names it). */
export interface DashboardWire {
  readonly name: string;
  readonly adapters: readonly string[];
}

/**
 * Control operations the page may run (the read-only ones and the page's actions). Filters are attached
 * only through /api/capture: an attach-filter from the page could name any file on the server.
 */
const PAGE_OPS: ReadonlySet<string> = new Set(['status', 'stack', 'netstat', 'connections', 'oid', 'adapter']);

const VIRTUAL_WIRE = 'tsndis.virtual-wire';

function tokenProblem(given: string | undefined, token: Buffer): 401 | 403 | null {
  if (given === undefined || given === '') return 401;
  const g = Buffer.from(given);
  return g.length === token.length && timingSafeEqual(g, token) ? null : 403;
}

/** The virtual wires joining the stacks' adapters, by name, each with its adapters (sorted). */
export function dashboardWires(stacks: BuiltStacks): DashboardWire[] {
  const wires = new Map<string, string[]>();
  for (const h of stacks.hosts.values()) {
    for (const [name, mb] of h.runtime.adapters) {
      if (mb.driver.name !== VIRTUAL_WIRE) continue;
      const wire = mb.keywords.read('Wire');
      if (typeof wire !== 'string') continue;
      const on = wires.get(wire) ?? [];
      on.push(name);
      wires.set(wire, on);
    }
  }
  return [...wires].sort(([a], [b]) => a.localeCompare(b)).map(([name, adapters]) => ({ name, adapters: adapters.sort() }));
}

/** The stacks now, as the page draws them. */
export function dashboardSnapshot(stacks: BuiltStacks): unknown {
  const hosts = [...stacks.hosts.values()].map((h) => toJsonable(snapshotRuntime(h.runtime)));
  let connections: unknown = [];
  try {
    connections = controlConnections(stacks, { op: 'connections' }).hosts;
  } catch {
    // no host runs tsndis.tcpip
  }
  return { time: Date.now(), hosts, wires: dashboardWires(stacks), connections };
}

/** A request body's `id` when it is a JSON scalar (echoed in the reply, as the control channel does). */
function scalarId(body: unknown): ControlId | undefined {
  const id = (body as { id?: unknown }).id;
  return id === null || typeof id === 'string' || typeof id === 'number' || typeof id === 'boolean' ? id : undefined;
}

export async function serveDashboard(stacks: BuiltStacks, o: DashboardOptions): Promise<DashboardServer> {
  const token = o.token ?? randomBytes(16).toString('hex');
  const tokenBytes = Buffer.from(token);
  const violations = new ViolationFeed(stacks);
  const captures = new DashboardCaptures(stacks, o.captureDir);
  const app: FastifyInstance = Fastify({ bodyLimit: 64 * 1024, requestTimeout: 10_000, connectionTimeout: 10_000, logger: false });
  // Beyond the cap Node closes a new connection at once; idle and slow ones end with connectionTimeout.
  app.server.maxConnections = DASHBOARD_MAX_CONNECTIONS;
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const q = (req.query as Record<string, string | undefined> | undefined)?.['token'];
    const h = req.headers['x-tsndis-token'];
    const problem = tokenProblem(typeof h === 'string' ? h : q, tokenBytes);
    if (problem !== null) await reply.code(problem).type('text/plain').send(problem === 401 ? 'the dashboard needs its token (the URL tsndis printed)\n' : 'wrong token\n');
  });
  const page = DASHBOARD_PAGE.replace('__TOKEN__', encodeURIComponent(token));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page));
  app.get('/app.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-store').send(DASHBOARD_SCRIPT));
  app.get('/api/snapshot', async (_req, reply) => reply.header('cache-control', 'no-store').send(dashboardSnapshot(stacks)));
  app.post('/api/control', async (req, reply) => {
    const body = req.body as ControlRequest | null;
    if (body === null || typeof body !== 'object' || typeof (body as { op?: unknown }).op !== 'string') return reply.code(400).send({ ok: false, error: 'expected a control request: {"op": …}' });
    const id = scalarId(body);
    const withId = <T extends object>(r: T): T => (id === undefined ? r : { ...r, id });
    if (!PAGE_OPS.has(body.op)) return reply.code(400).send(withId({ ok: false, error: `op '${body.op}' is not available from the dashboard` }));
    return reply.send(withId(await handleControl(stacks, body)));
  });
  app.get('/api/violations', async (_req, reply) => reply.header('cache-control', 'no-store').send({ violations: violations.latest() }));
  app.get('/api/events', async (_req, reply) => {
    reply.hijack();
    if (!violations.listen(reply.raw)) {
      reply.raw.writeHead(503, { 'content-type': 'text/plain' });
      reply.raw.end('too many pages listen for violations\n');
    }
  });
  app.post('/api/capture', async (req, reply) => {
    const body = req.body as { adapter?: unknown; action?: unknown } | null;
    if (body === null || typeof body !== 'object' || typeof body.adapter !== 'string' || (body.action !== 'start' && body.action !== 'stop')) {
      return reply.code(400).send({ ok: false, error: 'expected {"adapter": "host/adapter", "action": "start" | "stop"}' });
    }
    const r = body.action === 'start' ? await captures.start(body.adapter) : await captures.stop(body.adapter);
    return reply.send(r.ok ? { ...r, dir: captures.dir } : r);
  });
  app.get('/api/captures', async (_req, reply) => reply.header('cache-control', 'no-store').send({ captures: captures.list() }));
  app.get('/api/capture/:name', async (req, reply) => {
    const c = captures.byName((req.params as { name: string }).name);
    if (c === undefined) return reply.code(404).send({ ok: false, error: 'no such capture' });
    if (c.running) return reply.code(409).send({ ok: false, error: `the capture of ${c.adapter} is still running: stop it first` });
    return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${c.name}"`).header('cache-control', 'no-store').send(createReadStream(c.file));
  });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    violations.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    token,
    close: async () => {
      violations.close();
      await captures.stopAll();
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
