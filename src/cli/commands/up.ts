/**
 * `tsndis up --config <file>`: brings the stacks a config describes up and keeps them running until
 * Ctrl-C (SIGINT) or SIGTERM, printing one status line per host every few seconds; then shuts down in
 * order (pause, unbind, detach, halt) and exits 0. A stack that fails to come up exits with an error.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { buildStacks, loadStackConfig, type BuiltStacks, type StackDescription } from '../../config/index.js';
import { serviceAnnouncement, startServices } from '../tcpip-hosts.js';
import type { LogLevel, NdisRuntime } from '../../core/runtime/runtime.js';
import { LOG_LEVELS, stderrLogger } from '../log.js';
import { checkControlPath, serveControl } from '../control.js';
import { EXIT_OK, usageError } from '../exit.js';
import { DURATION, MAX_SECONDS, PROCESSORS, PROCESSORS_HELP, numberOption } from '../options.js';
import { parseListenAddress } from '../../metrics/listen-address.js';
import type { MetricsServer } from '../../metrics/prometheus.js';
import type { DashboardServer } from '../../dashboard/server.js';
import { RuntimeOperationError } from '../../errors.js';
import type { VerifierViolation } from '../../core/verifier/verifier.js';

/** Violations `up --nbl-history` prints as they happen (the rest are only counted in the status line). */
const MAX_PRINTED_VIOLATIONS = 100;

/** Where `--metrics` without a value listens: loopback only, the port Prometheus exporters commonly use. */
export const DEFAULT_METRICS = '127.0.0.1:9464';
/** Where `--dashboard` without a value listens: loopback only. */
export const DEFAULT_DASHBOARD = '127.0.0.1:9465';

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

function listenAddress(v: string): string {
  try {
    parseListenAddress(v);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
  return v;
}

export interface UpOptions {
  config: string;
  /** Serve the control channel (JSON lines) on this Unix socket path. */
  control?: string;
  verifier: boolean;
  /** NBL history on (needs the verifier): violations about an NBL print with its recent events. */
  nblHistory?: boolean;
  /** Overrides every host's `processors:`. */
  processors?: number;
  statusInterval: number;
  /** Stop by itself after this many seconds (tests, demos); 0 = run until a signal. */
  duration: number;
  /** Messages from this level up go to stderr (default warn). */
  logLevel?: LogLevel;
  /** Serve Prometheus metrics: true for DEFAULT_METRICS, or host:port. */
  metrics?: string | true;
  /** Serve the live dashboard: true for DEFAULT_DASHBOARD, or host:port (loopback unless allowRemote). */
  dashboard?: string | true;
  /** Let --dashboard listen on an address other than loopback. */
  allowRemote?: boolean;
}

/** One line: adapters with state and frames in/out, drops, violations. */
export function statusLine(host: string, rt: NdisRuntime): string {
  const parts: string[] = [];
  for (const mb of rt.adapters.values()) {
    const s = mb.stats;
    const short = mb.name.slice(mb.name.indexOf('/') + 1);
    parts.push(`${short} ${mb.state}${mb.mediaConnected ? '' : ' (no link)'} rx ${s.received} tx ${s.sent}${s.dropped > 0 ? ` dropped ${s.dropped}` : ''}`);
  }
  const processors = rt.processors === null ? '' : `; processors ${rt.processorCount} (${rt.processors.kind})`;
  return `${host}: ${parts.join('; ') || 'no adapters'}${processors}; violations ${rt.verifier.total}`;
}

/** What a command built on `up` adds: its name, a check of the config, more status lines. */
export interface RunHooks {
  /** The command's name in its banner lines (default 'tsndis up'). */
  readonly name?: string;
  /** Refuses a config the command cannot run (throws, before anything starts). */
  readonly check?: (description: StackDescription, file: string) => void;
  /** Status lines after the per-host ones, at every interval and at the end. */
  readonly status?: (stacks: BuiltStacks) => string[];
}

export function up(options: UpOptions, out: NodeJS.WritableStream = process.stdout, signals: NodeJS.EventEmitter = process, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return runStacks(options, {}, out, signals, err);
}

/** `up` with a command's hooks: brings the config's stacks up, prints status until a signal or the duration, shuts down. */
export async function runStacks(options: UpOptions, hooks: RunHooks, out: NodeJS.WritableStream = process.stdout, signals: NodeJS.EventEmitter = process, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const command = hooks.name ?? 'tsndis up';
  const description = await loadStackConfig(options.config);
  hooks.check?.(description, options.config);
  // A control path that is in use or not a socket is refused before anything starts.
  if (options.control !== undefined) await checkControlPath(options.control);
  const logger = stderrLogger(options.logLevel ?? 'warn', err);
  if (options.nblHistory === true && !options.verifier) throw usageError('--nbl-history needs the verifier (drop --no-verifier)');
  // With NBL history each violation prints as it happens, with the history of the NBL it is about (bounded).
  let printed = 0;
  const history = options.nblHistory === true ? { nblHistory: true, verifierOptions: { onViolation: (v: VerifierViolation) => void (printed++ < MAX_PRINTED_VIOLATIONS && err.write(`violation: ${v.format()}\n`)) } } : {};
  const stacks = await buildStacks(description, { logger, ...history, ...(options.verifier ? {} : { verifier: false }), ...(options.processors === undefined ? {} : { processors: options.processors }) });
  let services: Awaited<ReturnType<typeof startServices>>;
  try {
    services = await startServices(description, stacks);
  } catch (e) {
    await stacks.shutdown();
    throw e;
  }
  let server: Awaited<ReturnType<typeof serveControl>> | null = null;
  let metrics: MetricsServer | null = null;
  let dashboard: DashboardServer | null = null;
  try {
    if (options.dashboard !== undefined) {
      const at = parseListenAddress(options.dashboard === true ? DEFAULT_DASHBOARD : options.dashboard);
      if (!isLoopback(at.host) && options.allowRemote !== true) throw usageError(`--dashboard ${at.host}:${at.port} is not a loopback address: add --allow-remote to serve it there (the token still guards it)`);
      const { serveDashboard } = await import('../../dashboard/server.js');
      dashboard = await serveDashboard(stacks, at).catch((e: unknown) => {
        throw new RuntimeOperationError(`--dashboard ${at.host}:${at.port}: cannot listen: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    server = options.control === undefined ? null : await serveControl(stacks, options.control, logger);
    if (options.metrics !== undefined) {
      const at = parseListenAddress(options.metrics === true ? DEFAULT_METRICS : options.metrics);
      // prom-client loads only when metrics are asked for.
      const { serveMetrics } = await import('../../metrics/prometheus.js');
      metrics = await serveMetrics(stacks, at.host, at.port).catch((e: unknown) => {
        throw new RuntimeOperationError(`--metrics ${at.host}:${at.port}: cannot listen: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
  } catch (e) {
    await dashboard?.close();
    await server?.close();
    await Promise.all(services.map((s) => s.service.close()));
    await stacks.shutdown();
    throw e;
  }
  const print = (): void => {
    const t = new Date().toISOString().slice(11, 19);
    for (const [name, h] of stacks.hosts) {
      out.write(`${t} ${statusLine(name, h.runtime)}\n`);
      // Each service that did something: its counters (a traffic source's progress, a server's load).
      for (const { host, service: s } of services) if (host === name && !s.summary().endsWith(': idle')) out.write(`${t}   ${host}: ${s.summary()}\n`);
    }
    for (const line of hooks.status?.(stacks) ?? []) out.write(`${t} ${line}\n`);
  };
  out.write(`${command}: ${stacks.hosts.size} host(s) running from ${options.config}${server === null ? '' : `, control on ${options.control}`}; Ctrl-C to stop\n`);
  for (const { host, service: s } of services) out.write(`${host}: ${serviceAnnouncement(s)}\n`);
  if (metrics !== null) out.write(`metrics: ${metrics.url}\n`);
  if (dashboard !== null) out.write(`dashboard: ${dashboard.url}\n`);
  print();
  await new Promise<void>((resolve) => {
    const timer = setInterval(print, Math.max(0.1, options.statusInterval) * 1000);
    const stopTimer = options.duration > 0 ? setTimeout(stop, options.duration * 1000) : null;
    function stop(): void {
      clearInterval(timer);
      if (stopTimer !== null) clearTimeout(stopTimer);
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve();
    }
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
  out.write(`${command}: stopping\n`);
  print();
  if (server !== null) await server.close();
  await metrics?.close();
  await dashboard?.close();
  await Promise.all(services.map((s) => s.service.close()));
  await stacks.shutdown();
  return EXIT_OK;
}

export function registerUpCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('up')
    .description('bring the stacks of a config up and keep them running until Ctrl-C, printing a status line per host')
    .requiredOption('-c, --config <file>', 'stack config (YAML)')
    .option('--no-verifier', 'run with the verifier off (overrides the config)')
    .option('--nbl-history', "keep each NBL's recent events and print verifier violations with the history of the NBL they are about", false)
    .option('--processors <n>', PROCESSORS_HELP, numberOption(PROCESSORS))
    .option('--control <socket>', 'serve a control channel (JSON lines) on this Unix socket, e.g. for tsndis capture --attach')
    .option('--metrics [host:port]', `serve Prometheus metrics at http://host:port/metrics (default ${DEFAULT_METRICS}, loopback)`, listenAddress)
    .option('--dashboard [host:port]', `serve the live dashboard (default ${DEFAULT_DASHBOARD}; the URL with its token is printed)`, listenAddress)
    .option('--allow-remote', 'let --dashboard listen on an address other than loopback', false)
    .option('--status-interval <seconds>', 'seconds between status lines (at least 0.1)', numberOption({ min: 0.1, max: MAX_SECONDS }), 5)
    .option('--duration <seconds>', 'stop after this many seconds (0 = until Ctrl-C)', numberOption(DURATION), 0)
    .addOption(new Option('--log-level <level>', 'log messages from this level up to stderr (rate-limited)').choices(LOG_LEVELS).default('warn'))
    .action((opts: UpOptions) => run(() => up(opts)));
}
