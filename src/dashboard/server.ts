/**
 * The live dashboard of running stacks (`tsndis up --dashboard [host:port]`), served with Fastify: one
 * page (page.ts: plain ES module, no framework) that polls the stacks' snapshot once a second and draws
 * the stack graph, per-module rates, pools, verifier violations and the TCP connections, with actions
 * that go through the same control operations as the CLI (control.ts: pause/restart, OID query,
 * attach/detach a capture).
 *
 *   GET  /                 the page              GET /api/snapshot   hosts' stack trees + connections
 *   POST /api/control      one control request (the control channel's JSON), its reply
 *
 * Every request needs the dashboard's token — `?token=` on the page's URL (printed at start), then the
 * `x-tsndis-token` header the page sends: none is 401, a wrong one 403, compared in constant time.
 * Bodies are limited to 64 KiB and requests to 10 s; it listens on loopback unless told otherwise.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { BuiltStacks } from '../config/index.js';
import { handleControl, type ControlRequest } from '../cli/control.js';
import { controlConnections } from '../cli/control-ops.js';
import { snapshotRuntime, toJsonable } from '../inspect/index.js';
import { DASHBOARD_PAGE, DASHBOARD_SCRIPT } from './page.js';

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
}

/** Control operations the page may run (the read-only ones and the page's actions). */
const PAGE_OPS: ReadonlySet<string> = new Set(['status', 'stack', 'netstat', 'connections', 'oid', 'adapter', 'attach-filter', 'detach-filter']);

function tokenProblem(given: string | undefined, token: Buffer): 401 | 403 | null {
  if (given === undefined || given === '') return 401;
  const g = Buffer.from(given);
  return g.length === token.length && timingSafeEqual(g, token) ? null : 403;
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
  return { time: Date.now(), hosts, connections };
}

export async function serveDashboard(stacks: BuiltStacks, o: DashboardOptions): Promise<DashboardServer> {
  const token = o.token ?? randomBytes(16).toString('hex');
  const tokenBytes = Buffer.from(token);
  const app: FastifyInstance = Fastify({ bodyLimit: 64 * 1024, requestTimeout: 10_000, connectionTimeout: 10_000, logger: false });
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
    if (!PAGE_OPS.has(body.op)) return reply.code(400).send({ ok: false, error: `op '${body.op}' is not available from the dashboard` });
    return reply.send(await handleControl(stacks, body));
  });
  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    token,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
