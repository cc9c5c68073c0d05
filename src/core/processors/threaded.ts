/**
 * Real processors: processor 0 is the main thread, processors 1…N-1 are worker threads, each running a
 * ProcessorLoop (processor-loop.ts) over the same Processor objects, SAB rings and descriptors the
 * simulated set steps on one thread.
 *
 *   main thread = processor 0                          worker k = processor k
 *   Processor 0, RealScheduler, MainProcessorLoop      Processor k, LoopScheduler, ProcessorLoop
 *        ▲▼ NblRing 0→k / ReturnRing k→0, NblRing k→0 / ReturnRing 0→k (SAB, SPSC)
 *        ▲▼ control port (MessagePort, control-port.ts): slab announcements, reclaims, lane code, logs
 *        doorbell words (SAB, doorbell.ts): a producer rings only a sleeping consumer
 *
 * Everything a processor needs is made here, on processor 0, before the workers start: rings for every
 * ordered pair, the doorbell words, the shared slab-id counter. Every wait on a worker (`run`, `ready`,
 * `close`) is raced against the worker's exit and a deadline, so nothing hangs on a dead thread.
 *
 * Objects cannot cross isolates, so a worker's blocks are made there, by module functions it imports
 * (`run(k, { module, export }, data)`: the function gets the host's `WorkerLane` on processor k). On
 * processor 0, `processor(k)` for k ≥ 1 is a stand-in that refuses to schedule work: a lane of the host on
 * a worker exists only inside that worker.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { NdisBlock } from '../runtime/block.js';
import type { RuntimeContext } from '../runtime/context.js';
import { RealScheduler, Scheduler } from '../time/scheduler.js';
import type { VerifierRule } from '../verifier/rules.js';
import type { FromWorker, LaneEntry, ToWorker, WorkerBoot } from './control-port.js';
import { AtomicsDoorbell } from './doorbell.js';
import { NBL_SLOT_WORDS, RETURN_ENTRY_WORDS, RingConsumer, RingProducer, SpscRing } from './nbl-ring.js';
import { type ControlMessage, Processor } from './processor.js';
import { LOOP_BATCH, MainProcessorLoop } from './processor-loop.js';
import type { ProcessorSet } from './processor-set.js';
import { SlabRegistry } from './slab-registry.js';

export interface ThreadedProcessorSetOptions {
  /** Processors, 2…64 (processor 0 is the calling thread). */
  count: number;
  /** Slots per NblRing (default 256). */
  ringSlots?: number;
  /** Entries per ReturnRing (default 1024). */
  returnSlots?: number;
  /** Ring batch per loop iteration (default 32). */
  batch?: number;
  /** Deadline of a wait on a worker (start, `run`) in ms (default 10 000). */
  deadlineMs?: number;
}

/** Processor 0's view of a processor that runs on a worker: scheduling on it from here is a bug. */
class RemoteScheduler extends Scheduler {
  constructor(readonly processor: number) {
    super();
  }
  now(): number {
    return performance.now();
  }
  protected armed(earliestDue: number | null): void {
    if (earliestDue !== null) throw new Error(`processor ${this.processor} runs on a worker thread: its timers are set there (ThreadedProcessorSet.run)`);
  }
  override defer(): void {
    throw new Error(`processor ${this.processor} runs on a worker thread: its DPCs are queued there (ThreadedProcessorSet.run)`);
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  processor: number;
}

export class ThreadedProcessorSet implements ProcessorSet {
  readonly kind = 'threads' as const;
  readonly count: number;
  readonly deadlineMs: number;
  onLog: ((message: string) => void) | null = null;
  /** The last messages the processors reported (bounded). */
  readonly messages: string[] = [];
  /** Resolves when every worker runs its loop; rejects if one exits or misses the deadline. */
  readonly ready: Promise<void>;
  readonly #processors: Processor[] = [];
  readonly #workers: (Worker | null)[] = [null];
  readonly #ports: (MessagePort | null)[] = [null];
  readonly #doorbells: AtomicsDoorbell[];
  readonly #loop: MainProcessorLoop;
  readonly #edgeCounter = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, Pending>();
  readonly #hosts = new Map<string, RuntimeContext>();
  /** Processor 0's stand-ins for blocks on workers (RemoteReplica), by the worker block's name. */
  readonly #standIns = new Map<string, NdisBlock>();
  readonly #exited: (number | null)[];
  readonly #exitWaiters: (() => void)[][];
  #runIds = 0;
  #closed = false;

  constructor(options: ThreadedProcessorSetOptions) {
    const { count } = options;
    if (!Number.isInteger(count) || count < 2 || count > 64) throw new RangeError(`processor count ${count} is not in 2…64 (one processor needs no set)`);
    this.count = count;
    this.deadlineMs = options.deadlineMs ?? 10_000;
    const batch = options.batch ?? LOOP_BATCH;
    this.#exited = new Array<number | null>(count).fill(null);
    this.#exitWaiters = Array.from({ length: count }, () => []);
    const words = AtomicsDoorbell.createWords(count);
    this.#doorbells = Array.from({ length: count }, (_, i) => new AtomicsDoorbell(words, i));
    const slabCounter = SlabRegistry.createCounter();
    const main = new Processor(
      0,
      count,
      new RealScheduler(),
      new SlabRegistry(slabCounter, (id, slab) => this.#broadcast(0, { kind: 'slab', id, slab })),
      (to, message) => this.#send(to, message),
    );
    main.log = (m) => this.#log(m);
    main.wake = (to) => {
      this.#doorbells[to]!.ring();
    };
    this.#processors.push(main);
    for (let k = 1; k < count; k++) {
      this.#processors.push(new Processor(k, count, new RemoteScheduler(k), new SlabRegistry(slabCounter, () => {}), () => {}));
    }
    // Rings for every ordered pair; processor 0 keeps its own ends, a worker gets the SABs of its own.
    const ringSlots = options.ringSlots ?? 256;
    const returnSlots = options.returnSlots ?? 1024;
    const nbl: SharedArrayBuffer[][] = [];
    const ret: SharedArrayBuffer[][] = [];
    for (let a = 0; a < count; a++) {
      nbl.push([]);
      ret.push([]);
      for (let b = 0; b < count; b++) {
        nbl[a]!.push(a === b ? new SharedArrayBuffer(0) : SpscRing.create(ringSlots, NBL_SLOT_WORDS).sab);
        ret[a]!.push(a === b ? new SharedArrayBuffer(0) : SpscRing.create(returnSlots, RETURN_ENTRY_WORDS).sab);
      }
    }
    // nbl[a][b]: descriptors a → b; ret[a][b]: returns a → b.
    for (let q = 1; q < count; q++) {
      main.nblOut[q] = new RingProducer(SpscRing.attach(nbl[0]![q]!));
      main.nblIn[q] = new RingConsumer(SpscRing.attach(nbl[q]![0]!));
      main.retOut[q] = new RingProducer(SpscRing.attach(ret[0]![q]!));
      main.retIn[q] = new RingConsumer(SpscRing.attach(ret[q]![0]!));
    }
    this.#loop = new MainProcessorLoop(main, count, this.#doorbells[0]!, batch);
    const ready: Promise<void>[] = [];
    const workerUrl = new URL('./worker-main.js', import.meta.url);
    for (let k = 1; k < count; k++) {
      const channel = new MessageChannel();
      const pick = (rings: SharedArrayBuffer[][], own: 'from' | 'to') => Array.from({ length: count }, (_, q) => (q === k ? null : own === 'from' ? rings[k]![q]! : rings[q]![k]!));
      const boot: WorkerBoot = {
        processor: k,
        count,
        nblIn: pick(nbl, 'to'),
        nblOut: pick(nbl, 'from'),
        retIn: pick(ret, 'to'),
        retOut: pick(ret, 'from'),
        doorbells: words.buffer as SharedArrayBuffer,
        slabCounter: slabCounter.buffer as SharedArrayBuffer,
        batch,
        port: channel.port2,
      };
      const worker = new Worker(workerUrl, { workerData: boot, transferList: [channel.port2], name: `tsndis processor ${k}` });
      this.#workers.push(worker);
      this.#ports.push(channel.port1);
      let markReady: () => void = () => {};
      ready.push(
        this.#raced(
          k,
          new Promise<void>((r) => {
            markReady = r;
          }),
          `processor ${k} did not start`,
        ),
      );
      channel.port1.on('message', (m: FromWorker) => {
        if (m.t === 'ready') markReady();
        else this.#fromWorker(k, m);
      });
      worker.on('error', (e) => this.#log(`processor ${k}: worker error: ${e.message}`));
      worker.on('exit', (code) => this.#workerExited(k, code));
    }
    this.ready = Promise.all(ready).then(() => undefined);
    // A start failure is reported by whoever awaits `ready`; keep it from being an unhandled rejection.
    this.ready.catch(() => {});
    this.#loop.start();
  }

  processor(n: number): Processor {
    const p = this.#processors[n];
    if (p === undefined) throw new RangeError(`no processor ${n} in a set of ${this.count}`);
    return p;
  }

  allocateEdgeId(): number {
    return Atomics.add(this.#edgeCounter, 0, 1) + 1;
  }

  /** @internal Registers processor 0's stand-in for a block made on a worker (its failures land there). */
  registerStandIn(name: string, block: NdisBlock | null): void {
    if (block === null) this.#standIns.delete(name);
    else this.#standIns.set(name, block);
  }

  /** Times processor 0 woke a sleeping worker (doorbell rings that notified). */
  get wakeups(): number {
    let n = 0;
    for (const d of this.#doorbells) n += d.rings;
    return n;
  }

  /** Processor 0's loop (its counters: iterations). */
  get mainLoop(): MainProcessorLoop {
    return this.#loop;
  }

  /**
   * Runs `entry` in host `host`'s lane on processor `k` (a worker) with `data` (structured-cloned), and
   * resolves with what it returns (cloned back). Rejects when the function throws, the worker exits or
   * the deadline passes.
   */
  run<T = unknown>(k: number, entry: LaneEntry, data: unknown, host: RuntimeContext, deadlineMs = this.deadlineMs): Promise<T> {
    if (k < 1 || k >= this.count || !Number.isInteger(k)) return Promise.reject(new RangeError(`processor ${k} is not a worker of a set of ${this.count}`));
    if (this.#closed) return Promise.reject(new Error('the processor set is closed'));
    if (this.#exited[k] !== null) return Promise.reject(new Error(`processor ${k}'s worker exited (code ${this.#exited[k]})`));
    this.#hosts.set(host.name, host);
    const id = ++this.#runIds;
    const p = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`processor ${k}: ${entry.export} did not answer within ${deadlineMs} ms`));
      }, deadlineMs);
      this.#pending.set(id, { resolve, reject, timer, processor: k });
    });
    this.#post(k, { t: 'run', id, entry, host: { name: host.name, processorCount: host.processorCount, verifying: host.verifying }, data });
    return p as Promise<T>;
  }

  /** Stops every worker (asks, then terminates what did not stop within `deadlineMs`). Idempotent. */
  async close(deadlineMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#loop.stop();
    const exits: Promise<void>[] = [];
    for (let k = 1; k < this.count; k++) {
      const w = this.#workers[k]!;
      if (this.#exited[k] !== null) continue;
      const exited = new Promise<void>((r) => this.#exitWaiters[k]!.push(r));
      this.#post(k, { t: 'stop' });
      let timer: NodeJS.Timeout | null = null;
      const late = new Promise<void>((r) => {
        timer = setTimeout(() => {
          void w.terminate().then(() => r(), () => r());
        }, deadlineMs);
      });
      exits.push(Promise.race([exited, late]).finally(() => clearTimeout(timer!)));
    }
    await Promise.all(exits);
    for (let k = 1; k < this.count; k++) this.#ports[k]?.close();
  }

  #post(k: number, m: ToWorker): void {
    if (this.#exited[k] !== null) return;
    this.#ports[k]!.postMessage(m);
    this.#doorbells[k]!.ring();
  }

  #send(to: number, message: ControlMessage): void {
    if (to === 0) {
      this.#processors[0]!.control(message);
      this.#loop.kick();
    } else this.#post(to, { t: 'control', message });
  }

  #broadcast(from: number, message: ControlMessage): void {
    for (let to = 0; to < this.count; to++) if (to !== from) this.#send(to, message);
  }

  #fromWorker(k: number, m: FromWorker): void {
    switch (m.t) {
      case 'control':
        if (m.to === -1) this.#broadcast(k, m.message);
        else if (m.to >= 0 && m.to < this.count && m.to !== k) this.#send(m.to, m.message);
        break;
      case 'result': {
        const p = this.#pending.get(m.id);
        if (p === undefined) break;
        this.#pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(`processor ${k}: ${m.error}`));
        break;
      }
      case 'log': {
        const host = m.host === null ? undefined : this.#hosts.get(m.host);
        if (host !== undefined) host.log(m.level, m.source, m.message);
        else this.#log(`${m.source}: ${m.message}`);
        break;
      }
      case 'violation': {
        const host = this.#hosts.get(m.host);
        if (host !== undefined) host.verifier.report(m.rule as VerifierRule, m.module, `${m.detail} (on processor ${k})`);
        else this.#log(`processor ${k}: verifier: [${m.rule}] ${m.module}: ${m.detail}`);
        break;
      }
      case 'failed': {
        const block = this.#standIns.get(m.module);
        const host = this.#hosts.get(m.host);
        if (block !== undefined && host !== undefined) host.moduleFailed(block);
        else this.#log(`processor ${k}: module ${m.module} failed`);
        break;
      }
      default:
        break;
    }
  }

  #workerExited(k: number, code: number): void {
    this.#exited[k] = code;
    if (!this.#closed) this.#log(`processor ${k}: its worker exited (code ${code})`);
    for (const [id, p] of this.#pending) {
      if (p.processor !== k) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Error(`processor ${k}'s worker exited (code ${code})`));
    }
    for (const w of this.#exitWaiters[k]!.splice(0)) w();
  }

  /** `p`, or a rejection when processor k's worker exits first or the deadline passes. */
  #raced<T>(k: number, p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} within ${this.deadlineMs} ms`)), this.deadlineMs);
      this.#exitWaiters[k]!.push(() => reject(new Error(`${what}: its worker exited (code ${this.#exited[k]})`)));
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  #log(message: string): void {
    if (this.messages.length >= 100) this.messages.shift();
    this.messages.push(message);
    this.onLog?.(message);
  }
}
