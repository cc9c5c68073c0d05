/**
 * The binding engine: turns a StackDescription into running hosts. It is the netcfg of tsndis: for each
 * host it creates an NdisRuntime, registers the drivers the host uses, configures the wires, tells the
 * runtime what to put on the virtual miniports intermediate drivers will create (`adapterPolicy`), then
 * per physical adapter: add it, attach its filters, bind its protocols and the intermediates that sit on
 * it, start it. It waits until the runtime is idle (every virtual miniport up) and checks that every
 * configured adapter is running.
 *
 * Why it lives in config/ and not in core/: it is the composition root. It needs the built-in driver
 * registry (drivers/) and the wire registry of the virtual-wire miniport, and core must never import
 * drivers; the runtime keeps the mechanisms (ordering filters by FilterClass, pausing around changes,
 * creating virtual miniports), this module only decides what goes where. The CLI reaches it through
 * config/, which is what the layering table allows.
 *
 * Errors are RuntimeOperationErrors naming the host and adapter; whatever was built is shut down first.
 *
 * Running stacks keep the process alive until `shutdown()` (a LoopHold, as a listening Node server
 * does), unless `unref()`ed; the drivers' own timers and readers never do.
 */
import { NdisRuntime, type Logger } from '../core/runtime/runtime.js';
import { PROCESSORS_ENV, createProcessorSet, parseProcessorMode, type OwnedProcessorSet, type ProcessorMode } from '../core/processors/create.js';
import { RealScheduler, type Scheduler } from '../core/time/scheduler.js';
import type { VerifierOptions } from '../core/verifier/verifier.js';
import { BUILTIN_DRIVERS, type BuiltinProtocol } from '../drivers/builtin.js';
import type { RawProtocol } from '../drivers/protocol/raw/index.js';
import type { TcpIpProtocol } from '../drivers/protocol/tcpip/index.js';
import { VirtualWire } from '../drivers/miniport/virtual-wire/index.js';
import { ConfigError, RuntimeOperationError } from '../errors.js';
import type { ConfigValue, DriverCharacteristics } from '../ndis/driver-api.js';
import type { AdapterDescription, HostDescription, StackDescription } from './description.js';
import { LoopHold } from '../util/loop-hold.js';
import { withTimeout } from '../util/with-timeout.js';

const VIRTUAL_WIRE = 'tsndis.virtual-wire';
const TCPIP = 'tsndis.tcpip';
const RAW = 'tsndis.raw';

export interface BuildOptions {
  /** Overrides every host's `verifier` setting (the CLI's --no-verifier passes false). */
  verifier?: boolean;
  /** Further verifier options (limits, onViolation) for every host. */
  verifierOptions?: Omit<VerifierOptions, 'enabled'>;
  /** NBL history on every host whose verifier is on (the CLI's --nbl-history); default off. */
  nblHistory?: boolean;
  /**
   * One scheduler per host; default a RealScheduler. Tests pass ManualSchedulers. Not for hosts on more
   * than one processor: those run on their processor set's clock.
   */
  scheduler?: (host: string) => Scheduler;
  /** Overrides every host's `processors:` (the CLI's --processors). */
  processors?: number;
  /**
   * How hosts with more than one processor get their processors; default from the environment variable
   * TSNDIS_PROCESSORS (`sim:<seed>` or `threads`), else threads (core/processors/create.ts).
   */
  processorMode?: ProcessorMode;
  logger?: Logger;
  /**
   * Prefixed to every wire name (listed wires and virtual-wire adapters' Wire keyword), so stacks built
   * from the same config in one process do not share wires. Default ''.
   */
  wirePrefix?: string;
  /** How long to wait for each host's stack to settle (virtual miniports up). Default 10 000 ms. */
  settleTimeoutMs?: number;
  /**
   * false: the stacks do not hold the process even while they are being built (as after `unref()`), so
   * a caller that gives up on a build stuck in a driver (`tsndis verify`) can still exit. Default true.
   */
  ref?: boolean;
}

export interface BuiltHost {
  readonly name: string;
  readonly runtime: NdisRuntime;
  /** Per-host driver objects user code talks to, by driver name (e.g. 'tsndis.raw' → RawProtocol). */
  readonly protocols: Map<string, BuiltinProtocol>;
  /** The host's TCP/IP protocol (`tsndis.tcpip`); throws when the host does not bind it. */
  readonly tcpip: TcpIpProtocol;
  /** The host's raw protocol (`tsndis.raw`); throws when the host does not bind it. */
  readonly raw: RawProtocol;
  /** The per-host object of protocol driver `driver`; throws when the host has none. */
  protocol(driver: string): BuiltinProtocol;
}

export interface BuiltStacks extends AsyncDisposable {
  readonly hosts: Map<string, BuiltHost>;
  /** The host named `name`; throws naming the known hosts when there is none. */
  host(name: string): BuiltHost;
  /**
   * Removes every adapter on every host and releases the wires; the servers and sockets still open on
   * the hosts' stacks stop holding the process. Idempotent.
   */
  shutdown(): Promise<void>;
  /** The running stacks keep the process alive until shut down (the default) … */
  ref(): this;
  /** … or not, once unref'd (servers and sockets still hold it on their own, as in Node). */
  unref(): this;
}

class Host implements BuiltHost {
  readonly protocols = new Map<string, BuiltinProtocol>();
  /** The drivers' `stopped` hooks, run once the runtime is down. */
  readonly stopped: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly runtime: NdisRuntime,
    /** The host's processor set (more than one processor), closed after the runtime shut down. */
    readonly processorSet: OwnedProcessorSet | null = null,
  ) {}

  protocol(driver: string): BuiltinProtocol {
    const p = this.protocols.get(driver);
    if (p === undefined) throw new Error(`host '${this.name}' does not bind ${driver} (it binds: ${[...this.protocols.keys()].join(', ') || 'no protocol with a per-host object'})`);
    return p;
  }

  get tcpip(): TcpIpProtocol {
    return this.protocol(TCPIP) as TcpIpProtocol;
  }

  get raw(): RawProtocol {
    return this.protocol(RAW) as RawProtocol;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `op`; any failure becomes a RuntimeOperationError prefixed with `where`. */
async function step<T>(where: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw new RuntimeOperationError(`${where}: ${message(e)}`, { cause: e });
  }
}

class Stacks implements BuiltStacks {
  readonly hosts = new Map<string, Host>();
  readonly wires = new Set<string>();
  readonly #hold = new LoopHold();
  #down: Promise<void> | null = null;

  constructor() {
    this.#hold.start();
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host '${name}' (hosts: ${[...this.hosts.keys()].join(', ')})`);
    return h;
  }

  ref(): this {
    this.#hold.ref();
    return this;
  }

  unref(): this {
    this.#hold.unref();
    return this;
  }

  shutdown(): Promise<void> {
    this.#down ??= (async () => {
      const errors: unknown[] = [];
      try {
        for (const h of [...this.hosts.values()].reverse()) {
          try {
            await h.runtime.shutdown();
          } catch (e) {
            errors.push(e);
          }
          for (const stopped of h.stopped) stopped();
          await h.processorSet?.close();
        }
        for (const w of this.wires) VirtualWire.release(w);
      } finally {
        // Only now: until shutdown completes, the caller awaiting it is what keeps the process alive.
        this.#hold.stop();
      }
      if (errors.length > 0) throw new RuntimeOperationError(`shutdown failed: ${errors.map(message).join('; ')}`, { cause: errors[0] });
    })();
    return this.#down;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/** Builds and starts every host of `description`. */
export async function buildStacks(description: StackDescription, options: BuildOptions = {}): Promise<BuiltStacks> {
  const stacks = new Stacks();
  if (options.ref === false) stacks.unref();
  const prefix = options.wirePrefix ?? '';
  try {
    for (const w of description.wires) {
      const name = prefix + w.name;
      stacks.wires.add(name);
      const wire = VirtualWire.named(name);
      wire.configure({ lossRate: w.lossRate, delayMs: w.delayMs, seed: w.seed });
      wire.setLink(w.link === 'up');
    }
    for (const host of description.hosts) await buildHost(description, host, options, stacks);
  } catch (e) {
    // Bounded: a driver that never completes its pause must not hang the caller's error path.
    await withTimeout(stacks.shutdown(), options.settleTimeoutMs ?? 10_000, 'shutting down after the failure').catch(() => undefined);
    stacks.unref(); // even if that shutdown is stuck, stacks that never started do not hold the process
    throw e;
  }
  return stacks;
}

function characteristicsOf(description: StackDescription, name: string): { characteristics: DriverCharacteristics; instance?: BuiltinProtocol; stopped?: () => void } {
  const builtin = description.moduleDriverNames.has(name) ? undefined : BUILTIN_DRIVERS.get(name);
  if (builtin !== undefined) return builtin();
  const chars = description.drivers.get(name);
  if (chars === undefined) throw new RuntimeOperationError(`driver '${name}' is neither built in nor loaded`);
  return { characteristics: chars };
}

/** The processor mode TSNDIS_PROCESSORS asks for (threads when unset); a bad value is reported like a config error. */
export function processorModeFromEnv(env: NodeJS.ProcessEnv = process.env): ProcessorMode {
  const v = env[PROCESSORS_ENV];
  if (v === undefined || v.trim() === '') return { kind: 'threads' };
  try {
    return parseProcessorMode(v);
  } catch (e) {
    throw new ConfigError(PROCESSORS_ENV, '', message(e), { cause: e });
  }
}

/** The set a host with more than one processor runs on, or null for one processor (today's runtime). */
function hostProcessorSet(host: HostDescription, options: BuildOptions): OwnedProcessorSet | null {
  const count = options.processors ?? host.processors;
  if (count === 1) return null;
  const where = `host ${host.name}`;
  if (options.scheduler !== undefined) throw new RuntimeOperationError(`${where}: ${count} processors run on their processor set's clock; a scheduler cannot be passed for this host`);
  const mode = options.processorMode ?? processorModeFromEnv();
  try {
    return createProcessorSet(count, mode);
  } catch (e) {
    throw new RuntimeOperationError(`${where}: ${message(e)}`, { cause: e });
  }
}

async function buildHost(description: StackDescription, host: HostDescription, options: BuildOptions, stacks: Stacks): Promise<void> {
  const errors: string[] = [];
  const userLogger = options.logger;
  const logger: Logger = (level, source, msg) => {
    if (level === 'error') errors.push(`${source}: ${msg}`);
    userLogger?.(level, source, msg);
  };
  const processorSet = hostProcessorSet(host, options);
  let runtime: NdisRuntime;
  try {
    runtime = new NdisRuntime({
      name: host.name,
      ...(processorSet === null ? { scheduler: options.scheduler?.(host.name) ?? new RealScheduler() } : { processors: processorSet.set }),
      verifier: { ...options.verifierOptions, enabled: options.verifier ?? host.verifier },
      // History is recorded on the verifier's checked handoffs: a host with the verifier off keeps none.
      nblHistory: options.nblHistory === true && (options.verifier ?? host.verifier),
      logger,
    });
  } catch (e) {
    await processorSet?.close();
    throw e;
  }
  const built = new Host(host.name, runtime, processorSet);
  stacks.hosts.set(host.name, built);
  const where = `host ${host.name}`;

  for (const name of host.drivers) {
    const d = characteristicsOf(description, name);
    try {
      runtime.registerDriver(d.characteristics);
    } catch (e) {
      throw new RuntimeOperationError(`${where}: ${message(e)}`, { cause: e });
    }
    if (d.instance !== undefined) built.protocols.set(name, d.instance);
    if (d.stopped !== undefined) built.stopped.push(d.stopped);
  }

  const prefix = options.wirePrefix ?? '';
  const keywordsOf = (a: AdapterDescription): Record<string, ConfigValue> => {
    if (a.driver !== VIRTUAL_WIRE) return { ...a.keywords };
    const wire = prefix + String(a.keywords['Wire'] ?? 'default');
    stacks.wires.add(wire);
    return { ...a.keywords, Wire: wire };
  };
  const intermediatesOn = (adapter: string) => host.intermediates.filter((im) => im.lowers.includes(adapter));
  const byName = new Map(host.adapters.map((a) => [a.name, a]));

  // Virtual miniports get their filters, protocols and stacked intermediates when they appear.
  runtime.adapterPolicy = (shortName) => {
    const a = byName.get(shortName);
    if (a === undefined || a.driver !== null) return undefined;
    return {
      keywords: { ...a.keywords },
      filters: a.effectiveFilters.map((u) => ({ driver: u.driver, keywords: { ...u.keywords } })),
      protocols: [
        ...a.effectiveProtocols.map((u) => ({ driver: u.driver, keywords: { ...u.keywords } })),
        ...intermediatesOn(a.name).map((im) => ({ driver: im.driver, keywords: { ...im.keywords } })),
      ],
    };
  };

  for (const a of host.adapters) {
    if (a.driver === null) continue;
    const at = `${where}: adapter ${host.name}/${a.name}`;
    await step(at, () => runtime.addAdapter({ name: a.name, driver: a.driver!, keywords: keywordsOf(a) }));
    for (const f of a.effectiveFilters) await step(`${at}: filter ${f.driver} (${f.keyPath})`, () => runtime.attachFilter(a.name, f.driver, { ...f.keywords }));
    for (const p of a.effectiveProtocols) await step(`${at}: protocol ${p.driver} (${p.keyPath})`, () => runtime.bindProtocol(a.name, p.driver, { ...p.keywords }));
    for (const im of intermediatesOn(a.name)) await step(`${at}: intermediate ${im.driver} (${im.keyPath})`, () => runtime.bindProtocol(a.name, im.driver, { ...im.keywords }));
    await step(at, () => runtime.startAdapter(a.name));
  }

  await step(where, () => withTimeout(runtime.whenIdle(), options.settleTimeoutMs ?? 10_000, 'bringing up the stack'));

  for (const a of host.adapters) {
    const mb = runtime.adapters.get(`${host.name}/${a.name}`);
    if (mb !== undefined && mb.state === 'Running') continue;
    const why = errors;
    const creator = a.createdBy === null ? '' : ` (virtual miniport of ${host.intermediates[a.createdBy]!.driver} over '${host.intermediates[a.createdBy]!.lower}')`;
    throw new RuntimeOperationError(
      `${where}: adapter ${host.name}/${a.name}${creator} ${mb === undefined ? 'was not created' : `is ${mb.state}, not Running`}${why.length > 0 ? `: ${why.join('; ')}` : ''}`,
    );
  }
}
