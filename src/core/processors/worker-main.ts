/**
 * The entry point of a processor's worker thread (ThreadedProcessorSet starts one per processor 1…N-1).
 * It rebuilds the processor from the shared memory it is given — the ends of its rings, the doorbell
 * words, the process-wide slab id counter — and runs its ProcessorLoop. Control messages arrive on the
 * port (control-port.ts); lane code arrives as module functions to import and run (`run`).
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerBoot } from './control-port.js';
import { AtomicsDoorbell } from './doorbell.js';
import { RingConsumer, RingProducer, SpscRing } from './nbl-ring.js';
import { Processor } from './processor.js';
import { LoopScheduler, ProcessorLoop } from './processor-loop.js';
import { SlabRegistry } from './slab-registry.js';
import { WorkerLane } from './worker-lane.js';

const boot = workerData as WorkerBoot;
const port = boot.port;
const k = boot.processor;
const post = (m: FromWorker): void => port.postMessage(m);

const scheduler = new LoopScheduler();
scheduler.onError = (e, where) => post({ t: 'log', host: null, level: 'error', source: `processor ${k}`, message: `${where} threw: ${e instanceof Error ? e.message : String(e)}` });
const slabs = new SlabRegistry(new Int32Array(boot.slabCounter), (id, slab) => post({ t: 'control', to: -1, message: { kind: 'slab', id, slab } }));
const processor = new Processor(k, boot.count, scheduler, slabs, (to, message) => post({ t: 'control', to, message }));
processor.log = (message) => post({ t: 'log', host: null, level: 'warn', source: `processor ${k}`, message });
for (let q = 0; q < boot.count; q++) {
  if (q === k) continue;
  processor.nblIn[q] = new RingConsumer(SpscRing.attach(boot.nblIn[q]!));
  processor.nblOut[q] = new RingProducer(SpscRing.attach(boot.nblOut[q]!));
  processor.retIn[q] = new RingConsumer(SpscRing.attach(boot.retIn[q]!));
  processor.retOut[q] = new RingProducer(SpscRing.attach(boot.retOut[q]!));
}
const words = new Int32Array(boot.doorbells);
const doorbells = Array.from({ length: boot.count }, (_, i) => new AtomicsDoorbell(words, i));
processor.wake = (to) => {
  doorbells[to]!.ring();
};

const lanes = new Map<string, WorkerLane>();
const modules = new Map<string, Promise<Record<string, unknown>>>();
let asyncPending = 0;

async function run(m: Extract<ToWorker, { t: 'run' }>): Promise<void> {
  asyncPending++;
  try {
    let mod = modules.get(m.entry.module);
    if (mod === undefined) {
      mod = import(m.entry.module) as Promise<Record<string, unknown>>;
      modules.set(m.entry.module, mod);
    }
    const fn = (await mod)[m.entry.export];
    if (typeof fn !== 'function') throw new TypeError(`${m.entry.module} exports no function ${m.entry.export}`);
    let lane = lanes.get(m.host.name);
    if (lane === undefined) {
      lane = new WorkerLane(m.host, processor, post);
      lanes.set(m.host.name, lane);
    }
    const value: unknown = await (fn as (lane: WorkerLane, data: unknown) => unknown)(lane, m.data);
    post({ t: 'result', id: m.id, ok: true, value });
  } catch (e) {
    post({ t: 'result', id: m.id, ok: false, error: e instanceof Error ? `${e.message}` : String(e) });
  } finally {
    asyncPending--;
  }
}

let loop: ProcessorLoop | null = null;
// The port is read with receiveMessageOnPort (no listener keeps it alive) and a waitAsync sleep is only a
// promise: this handle keeps the thread alive until it is told to stop.
const keepAlive = setInterval(() => {}, 1 << 30);

function control(): number {
  let n = 0;
  for (let r = receiveMessageOnPort(port); r !== undefined; r = receiveMessageOnPort(port)) {
    n++;
    const m = r.message as ToWorker;
    if (m.t === 'control') processor.control(m.message);
    else if (m.t === 'run') void run(m);
    else if (m.t === 'stop') {
      loop?.stop();
      clearInterval(keepAlive);
      post({ t: 'stopped' });
      port.close();
      return n;
    }
  }
  return n;
}

loop = new ProcessorLoop(processor, boot.count, scheduler, doorbells[k]!, { control, asyncPending: () => asyncPending > 0, batch: boot.batch });
post({ t: 'ready' });
loop.start();
