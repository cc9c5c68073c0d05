/**
 * Prometheus metrics of running stacks (`tsndis up --metrics [host:port]`), built with prom-client. At
 * each scrape every host is snapshotted once (the inspector's `snapshotRuntime`, the TCP/IP stack's
 * `netstat()`), and the families below are filled from those snapshots: nothing is counted twice and the
 * data path does no metrics work at all.
 *
 * Families (labels in braces; `_total` ones are counters, the others gauges):
 *   tsndis_module_nbls_total{host,module,role,event}      NBLs per block: sent, send_completed,
 *                                                         send_failed, received, returned, dropped
 *   tsndis_module_outstanding_nbls{host,module,role,direction}
 *   tsndis_module_up{host,module,role,state}               1 for the state a block is in
 *   tsndis_adapter_statistics_total{host,adapter,statistic} OID_GEN_STATISTICS (ifHCInOctets …)
 *   tsndis_adapter_link_up{host,adapter}, tsndis_adapter_link_speed_bps{host,adapter,direction}
 *   tsndis_driver_value{host,module,name}                  every number a driver reports in its
 *                                                         inspect() (dotted path): a gauge, since only
 *                                                         the driver knows which of them only grow
 *   tsndis_pool_capacity / tsndis_pool_in_use{host,pool,kind,owner}, tsndis_pool_exhausted_total{…}
 *   tsndis_verifier_violations_total{host,rule}
 *   tsndis_drops_total{host,module,reason}                frames dropped under a named reason (drops.ts)
 *   tsndis_tcpip_value{host,section,name}                  every counter of `tsndis netstat`
 *   tsndis_processor_value{host,processor,name}            per-processor counters (multi-processor hosts)
 *
 * Generic families carry the counter's own name in a label (`name`, `statistic`, `event`) rather than
 * one metric name per counter: the drivers' counter sets are open-ended, and a label keeps the metric
 * names fixed and documented while every counter still reaches Prometheus.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { BuiltStacks } from '../config/index.js';
import { TcpIpProtocol } from '../drivers/protocol/tcpip/index.js';
import { snapshotRuntime, type CountersSnapshot, type RuntimeSnapshot } from '../inspect/index.js';

export { parseListenAddress } from './listen-address.js';

type Labels = Record<string, string>;

const EVENTS: readonly [keyof CountersSnapshot, string][] = [
  ['sent', 'sent'],
  ['sendCompleted', 'send_completed'],
  ['sendFailed', 'send_failed'],
  ['received', 'received'],
  ['returned', 'returned'],
  ['dropped', 'dropped'],
];

/** Every finite number under `v`, with its dotted path (arrays by index); at most `limit` of them. */
export function numericLeaves(v: unknown, prefix = '', out: [string, number][] = [], limit = 10_000): [string, number][] {
  if (out.length >= limit) return out;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) out.push([prefix, v]);
  } else if (typeof v === 'bigint') {
    out.push([prefix, Number(v)]);
  } else if (typeof v === 'boolean') {
    out.push([prefix, v ? 1 : 0]);
  } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = v as ArrayLike<unknown>;
    for (let i = 0; i < a.length && out.length < limit; i++) numericLeaves(a[i], prefix === '' ? String(i) : `${prefix}.${i}`, out, limit);
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (out.length >= limit) break;
      numericLeaves(x, prefix === '' ? k : `${prefix}.${k}`, out, limit);
    }
  }
  return out;
}

export class StackMetrics {
  readonly registry = new Registry();
  readonly #stacks: BuiltStacks;
  readonly #nbls: Counter;
  readonly #outstanding: Gauge;
  readonly #state: Gauge;
  readonly #statistics: Counter;
  readonly #linkUp: Gauge;
  readonly #linkSpeed: Gauge;
  readonly #driver: Gauge;
  readonly #poolCapacity: Gauge;
  readonly #poolInUse: Gauge;
  readonly #poolExhausted: Counter;
  readonly #violations: Counter;
  readonly #drops: Counter;
  readonly #tcpip: Gauge;
  readonly #processor: Gauge;
  readonly #scrapes: Counter;

  constructor(stacks: BuiltStacks) {
    this.#stacks = stacks;
    const r = [this.registry];
    const counter = (name: string, help: string, labelNames: string[]): Counter => new Counter({ name, help, labelNames, registers: r });
    const gauge = (name: string, help: string, labelNames: string[]): Gauge => new Gauge({ name, help, labelNames, registers: r });
    this.#nbls = counter('tsndis_module_nbls_total', 'NET_BUFFER_LISTs through a block (miniport, filter module, binding), by event', ['host', 'module', 'role', 'event']);
    this.#outstanding = gauge('tsndis_module_outstanding_nbls', 'NET_BUFFER_LISTs a block has handed on and not yet got back', ['host', 'module', 'role', 'direction']);
    this.#state = gauge('tsndis_module_up', '1 for the state each block is in (Running, Paused, …)', ['host', 'module', 'role', 'state']);
    this.#statistics = counter('tsndis_adapter_statistics_total', "an adapter's OID_GEN_STATISTICS counters", ['host', 'adapter', 'statistic']);
    this.#linkUp = gauge('tsndis_adapter_link_up', '1 when the adapter reports media connected', ['host', 'adapter']);
    this.#linkSpeed = gauge('tsndis_adapter_link_speed_bps', 'link speed the adapter reports, bits per second', ['host', 'adapter', 'direction']);
    this.#driver = gauge('tsndis_driver_value', "every number a driver reports about a module (its inspect()), by dotted name", ['host', 'module', 'name']);
    this.#poolCapacity = gauge('tsndis_pool_capacity', 'NBL/NB pool size', ['host', 'pool', 'kind', 'owner']);
    this.#poolInUse = gauge('tsndis_pool_in_use', 'NBL/NB pool entries allocated now', ['host', 'pool', 'kind', 'owner']);
    this.#poolExhausted = counter('tsndis_pool_exhausted_total', 'allocations refused because the pool was empty', ['host', 'pool', 'kind', 'owner']);
    this.#violations = counter('tsndis_verifier_violations_total', 'verifier rule violations', ['host', 'rule']);
    this.#drops = counter('tsndis_drops_total', 'frames a module dropped, by named reason (tsndis drops)', ['host', 'module', 'reason']);
    this.#tcpip = gauge('tsndis_tcpip_value', 'every counter of the TCP/IP stack (tsndis netstat), by section and name', ['host', 'section', 'name']);
    this.#processor = gauge('tsndis_processor_value', 'per-processor counters of a multi-processor host', ['host', 'processor', 'name']);
    this.#scrapes = counter('tsndis_metrics_scrapes_total', 'scrapes this exporter served', []);
  }

  /** Refills every family from fresh snapshots. */
  update(): void {
    for (const m of [this.#nbls, this.#outstanding, this.#state, this.#statistics, this.#linkUp, this.#linkSpeed, this.#driver, this.#poolCapacity, this.#poolInUse, this.#poolExhausted, this.#violations, this.#drops, this.#tcpip, this.#processor]) m.reset();
    for (const [name, host] of this.#stacks.hosts) {
      this.#runtime(snapshotRuntime(host.runtime));
      for (const p of host.protocols.values()) {
        if (!(p instanceof TcpIpProtocol)) continue;
        for (const [path, v] of numericLeaves(p.netstat())) {
          const dot = path.indexOf('.');
          this.#tcpip.set({ host: name, section: dot < 0 ? path : path.slice(0, dot), name: dot < 0 ? path : path.slice(dot + 1) }, v);
        }
      }
    }
  }

  #block(host: string, module: string, role: string, state: string, c: CountersSnapshot, outstanding: { sends: number; receives: number }, inspect: unknown): void {
    const base: Labels = { host, module, role };
    for (const [key, event] of EVENTS) this.#nbls.inc({ ...base, event }, c[key]);
    this.#outstanding.set({ ...base, direction: 'send' }, outstanding.sends);
    this.#outstanding.set({ ...base, direction: 'receive' }, outstanding.receives);
    this.#state.set({ ...base, state }, 1);
    for (const [path, v] of numericLeaves(inspect)) this.#driver.set({ host, module, name: path }, v);
  }

  #runtime(s: RuntimeSnapshot): void {
    const host = s.host;
    for (const a of s.adapters) {
      this.#block(host, a.name, 'miniport', a.state, a.counters, a.outstanding, a.inspect);
      for (const [statistic, v] of Object.entries(a.statistics ?? {})) if (Number.isFinite(v) && v >= 0) this.#statistics.inc({ host, adapter: a.name, statistic }, v);
      if (a.link !== null) {
        this.#linkUp.set({ host, adapter: a.name }, a.link.connected ? 1 : 0);
        if (a.link.xmitSpeedBps !== null) this.#linkSpeed.set({ host, adapter: a.name, direction: 'transmit' }, a.link.xmitSpeedBps);
        if (a.link.rcvSpeedBps !== null) this.#linkSpeed.set({ host, adapter: a.name, direction: 'receive' }, a.link.rcvSpeedBps);
      }
      for (const f of a.filters) this.#block(host, f.name, 'filter', f.state, f.counters, f.originated, f.inspect);
      for (const b of a.bindings) this.#block(host, b.name, 'binding', b.state, b.counters, b.outstanding, b.inspect);
    }
    for (const p of s.pools) {
      const labels = { host, pool: p.name, kind: p.kind, owner: p.owner ?? '' };
      this.#poolCapacity.set(labels, p.capacity);
      this.#poolInUse.set(labels, p.inUse);
      this.#poolExhausted.inc(labels, p.exhausted);
    }
    for (const [rule, n] of Object.entries(s.verifier.byRule)) this.#violations.inc({ host, rule }, n);
    for (const d of s.drops ?? []) this.#drops.inc({ host, module: d.module, reason: d.reason }, d.count);
    for (const p of s.processors?.processors ?? []) {
      for (const [name, v] of Object.entries(p.counters)) this.#processor.set({ host, processor: String(p.number), name }, v);
    }
  }

  /** The Prometheus text exposition of the stacks now. */
  async scrape(): Promise<string> {
    this.#scrapes.inc();
    this.update();
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` for `stacks` on `host:port`; anything else is 404, a non-GET 405. */
export async function serveMetrics(stacks: BuiltStacks, host: string, port: number): Promise<MetricsServer> {
  const metrics = new StackMetrics(stacks);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  // Slow or idle clients cannot hold the exporter: whole requests within 10 s, idle sockets closed.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
