/**
 * A tsndis TCP/IP host on a worker thread — a processor of its own — on the same layer-2 segment as the
 * main thread's stacks: the worker builds the host from a stack config and plugs it into its own copy
 * of a virtual wire, which a wire link joins to the main thread's wire of that name. Used where the main
 * thread is busy with other work (the network emulator's bridge and impairment filter) and tsndis's own
 * TCP work should not share that thread, as a Linux receiver's runs in the kernel beside it.
 */
import { Worker } from 'node:worker_threads';
import type { StackConfig } from '../../src/config/stack-config.js';
import { VirtualWire, WireLinkEndpoint, createWireLinkMemory } from '../../src/drivers/miniport/virtual-wire/index.js';
import type { ThreadCommand } from './tsndis-thread-worker.js';

/** How long any command may take before the thread is declared stuck. */
const COMMAND_MS = 10_000;

export interface SinkResult {
  bytes: number;
  seconds: number;
  sha256: string | null;
  tcp: Record<string, number>;
}

export class TsndisThread {
  readonly #worker: Worker;
  readonly #link: WireLinkEndpoint;
  readonly #exited: Promise<number>;
  #failure: Error | null = null;

  private constructor(worker: Worker, link: WireLinkEndpoint) {
    this.#worker = worker;
    this.#link = link;
    this.#exited = new Promise((r) => worker.once('exit', r));
    worker.on('error', (e) => (this.#failure = e));
  }

  /**
   * Starts host `host` of `config` on a worker; its adapters on wire `wire` (after `wirePrefix`) reach
   * the main thread's wire `wirePrefix + wire`.
   */
  static async start(config: StackConfig, host: string, wire: string, wirePrefix: string): Promise<TsndisThread> {
    const memory = createWireLinkMemory(8 << 20);
    const link = new WireLinkEndpoint(VirtualWire.named(wirePrefix + wire), memory, 'a');
    const worker = new Worker(new URL('./tsndis-thread-worker.js', import.meta.url), { workerData: { memory, config, host, wire, wirePrefix } });
    const t = new TsndisThread(worker, link);
    try {
      await t.#reply('up');
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  /** The next message of kind `op`, raced against the worker's death and a deadline. */
  #reply<T extends { op: string }>(op: string, ms = COMMAND_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`tsndis thread: no '${op}' within ${ms} ms`)), ms);
      const onMessage = (m: T): void => {
        if (m.op === op) done(null, m);
      };
      const onExit = (): void => done(this.#failure ?? new Error(`tsndis thread exited before '${op}'`));
      const done = (e: Error | null, m?: T): void => {
        clearTimeout(timer);
        this.#worker.off('message', onMessage);
        this.#worker.off('exit', onExit);
        if (e !== null) reject(e);
        else resolve(m!);
      };
      this.#worker.on('message', onMessage);
      this.#worker.once('exit', onExit);
    });
  }

  #send(c: ThreadCommand): void {
    this.#worker.postMessage(c);
  }

  /**
   * Starts a discard listener on the thread's host; resolves once it listens, with the promise of the
   * transfer's result (bytes, seconds from accept to FIN, the SHA-256 of the bytes when `hash`, the
   * host's TCP counters then), which may take up to `maxMs`.
   */
  async sink(address: string, port: number, maxMs: number, hash = false): Promise<{ result: Promise<SinkResult> }> {
    const listening = this.#reply('listening');
    const result = this.#reply<SinkResult & { op: string }>('sunk', maxMs);
    result.catch(() => undefined);
    this.#send({ op: 'sink', address, port, hash });
    await listening;
    return { result: result.then(({ op: _op, ...r }) => r) };
  }

  /** The thread host's TCP counters and its side of the link's counters. */
  async counters(): Promise<{ tcp: Record<string, number>; link: Record<string, number> }> {
    const r = this.#reply<{ op: string; tcp: Record<string, number>; link: Record<string, number> }>('counters');
    this.#send({ op: 'counters' });
    const m = await r;
    return { tcp: m.tcp, link: m.link };
  }

  /** This side's link counters. */
  get linkCounters(): Record<string, number> {
    return { ...this.#link.counters };
  }

  /** Stops the host (its stacks closed) and the thread; bounded, the thread is terminated if it hangs. */
  async close(): Promise<void> {
    const stopped = this.#reply('stopped', 5000).catch(() => undefined);
    try {
      this.#send({ op: 'stop' });
    } catch {
      // already gone
    }
    await stopped;
    this.#link.close();
    await this.#worker.terminate();
    await this.#exited;
  }
}
