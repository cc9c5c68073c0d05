/**
 * createStacks: the common case in one call. It validates a stack config (YAML text, a StackConfig
 * object, a file path, or an already loaded description), builds every host, starts the services the
 * hosts declare and waits until the hosts' addresses are usable (IPv6 Duplicate Address Detection
 * over), so the first connect from user code works:
 *
 * ```ts
 * const net = await createStacks(yaml);
 * net.host('server').tcpip.createServer((s) => s.pipe(s)).listen(7);
 * const socket = net.host('client').tcpip.connect(7, '198.18.0.2');
 * …
 * await net.close();
 * ```
 *
 * The running stacks keep the process alive until `close()` (or `unref()`), like a listening server.
 * The CLI's TCP/IP commands bring their stacks up with the same `startServices` and `addressesReady`.
 */
import { fileURLToPath } from 'node:url';
import { AddressState, TcpIpProtocol, startService, type RunningService } from '../drivers/protocol/tcpip/index.js';
import { buildStacks, type BuildOptions, type BuiltHost, type BuiltStacks } from './binding-engine.js';
import type { StackDescription } from './description.js';
import { describeStackConfig, loadStackConfig, parseStackConfig } from './loader.js';
import type { StackConfig } from './stack-config.js';
import { TCPIP_PROTOCOL } from './validate.js';

/** A service running on a host (`hosts.<host>.services[i]`). */
export interface HostService {
  readonly host: string;
  readonly service: RunningService;
}

export interface CreateStacksOptions extends BuildOptions {
  /**
   * For YAML text and config objects: the name errors give the config (default `'stack config'`), and
   * the directory its relative paths (driver modules, http roots) resolve against (default the current
   * directory). A file's own name and directory are used for a path.
   */
  file?: string;
  baseDir?: string;
  /** Bound on waiting for the hosts' IPv6 addresses to leave the tentative state. Default 5000 ms. */
  addressTimeoutMs?: number;
  /** false: start the configured servers only, not the ping/traffic sources (default true: all). */
  sources?: boolean;
}

/** Running stacks with their services: BuiltStacks plus what the config started. */
export interface RunningStacks extends BuiltStacks {
  readonly description: StackDescription;
  readonly services: readonly HostService[];
  /** Closes the services, then shuts every host down (idempotent; `await using` calls it). */
  close(): Promise<void>;
  /** The same as `close()`. */
  shutdown(): Promise<void>;
}

/** What createStacks takes: YAML text, a config object, a file path (or file URL), or a description. */
export type StackSource = string | URL | StackConfig | StackDescription;

function isDescription(v: StackConfig | StackDescription): v is StackDescription {
  return Array.isArray(v.hosts);
}

/**
 * A string is YAML text when it has a line break or starts with `{` (a flow mapping); otherwise it is a
 * file path. A missing file is a ConfigError naming it.
 */
async function describe(source: StackSource, options: CreateStacksOptions): Promise<StackDescription> {
  const file = options.file ?? 'stack config';
  const baseDir = options.baseDir ?? process.cwd();
  if (source instanceof URL) return loadStackConfig(fileURLToPath(source));
  if (typeof source === 'string') {
    const isText = source.includes('\n') || source.trimStart().startsWith('{');
    return isText ? parseStackConfig(source, file, baseDir) : loadStackConfig(source);
  }
  if (typeof source !== 'object' || source === null) throw new TypeError('createStacks: expected YAML text, a config object, a file path or a StackDescription');
  return isDescription(source) ? source : describeStackConfig(source, file, baseDir);
}

/** Builds the stacks of `source`, starts their services and waits until their addresses are usable. */
export async function createStacks(source: StackSource, options: CreateStacksOptions = {}): Promise<RunningStacks> {
  const description = await describe(source, options);
  const stacks = await buildStacks(description, options);
  let services: HostService[] = [];
  try {
    services = await startServices(description, stacks, options.sources === false ? { sources: false } : {});
    for (const h of stacks.hosts.values()) {
      const ip = h.protocols.get(TCPIP_PROTOCOL);
      if (ip instanceof TcpIpProtocol) await addressesReady(ip, options.addressTimeoutMs);
    }
  } catch (e) {
    await Promise.all(services.map((s) => s.service.close()));
    await stacks.shutdown();
    throw e;
  }
  return new Running(description, stacks, services);
}

class Running implements RunningStacks {
  #closed: Promise<void> | null = null;

  constructor(
    readonly description: StackDescription,
    readonly stacks: BuiltStacks,
    readonly services: readonly HostService[],
  ) {}

  get hosts(): Map<string, BuiltHost> {
    return this.stacks.hosts;
  }

  host(name: string): BuiltHost {
    return this.stacks.host(name);
  }

  ref(): this {
    this.stacks.ref();
    return this;
  }

  unref(): this {
    this.stacks.unref();
    return this;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await Promise.all(this.services.map((s) => s.service.close()));
      } finally {
        await this.stacks.shutdown();
      }
    })();
    return this.#closed;
  }

  shutdown(): Promise<void> {
    return this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts every host's configured services (rejects with the first listen error, after closing the rest).
 * `sources: false` starts the servers only: a client command (`get`, `ping`) needs the servers its
 * request goes to, not the config's ping/traffic flows running beside it.
 */
export async function startServices(description: StackDescription, stacks: BuiltStacks, options: { sources?: boolean } = {}): Promise<HostService[]> {
  const running: HostService[] = [];
  try {
    for (const h of description.hosts) {
      const wanted = options.sources === false ? h.services.filter((s) => s.target === null) : h.services;
      if (wanted.length === 0) continue;
      const ip = stacks.hosts.get(h.name)?.protocols.get(TCPIP_PROTOCOL);
      if (!(ip instanceof TcpIpProtocol)) throw new Error(`host '${h.name}' declares services but has no ${TCPIP_PROTOCOL} protocol`);
      for (const s of wanted) {
        try {
          running.push({ host: h.name, service: await startService(ip, s) });
        } catch (e) {
          const what = s.target === null ? `the ${s.service} service on port ${s.port}` : `the ${s.service} service to ${s.target}`;
          throw new Error(`${s.keyPath}: cannot start ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
      }
    }
  } catch (e) {
    await Promise.all(running.map((r) => r.service.close()));
    throw e;
  }
  return running;
}

/** Resolves when no IPv6 address of `ip` is tentative any more (DAD done), or after `timeoutMs`. */
export async function addressesReady(ip: TcpIpProtocol, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let tentative = false;
    for (const b of ip.bindings.values()) for (const a of b.iface?.v6 ?? []) if (a.state === AddressState.Tentative) tentative = true;
    if (!tentative || Date.now() >= end) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
