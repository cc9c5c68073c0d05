/**
 * What a crossing costs on real threads: processor 0 (the main thread) lends chains of `batch` NBLs to
 * processor 1 (a worker) through a receive crossing edge; the worker's target returns each shell at once
 * and the originals come home to processor 0, which offers the next chain as soon as its pool has room.
 * Prints NBLs per second and the cost per NBL of the whole round trip (lend, encode, ring, wake-up when
 * the worker slept, validate, shell, deliver, return entry, ledger, give back), verifier off.
 *
 *   node dist/bench/crossing-threads.js [--seconds 2] [--batch 32]
 */
import { CrossingEdge, CrossingHome, type CrossingFar } from '../src/core/processors/crossing-edge.js';
import { ThreadedProcessorSet } from '../src/core/processors/threaded.js';
import { NdisRuntime } from '../src/core/runtime/runtime.js';
import type { NetBufferList } from '../src/ndis/buffers/net-buffer-list.js';
import { LaneSource, flowFrame } from '../test/support/processors.js';

export interface CrossingBenchResult {
  batch: number;
  nbls: number;
  seconds: number;
  nblsPerSecond: number;
  nsPerNbl: number;
  /** CPU time of the process (both threads) per NBL. */
  cpuNsPerNbl: number;
  /** Per chain of `batch`: times processor 0 woke the worker, and processor 0 loop iterations. */
  wakeupsPerChain: number;
  mainIterationsPerChain: number;
}

/** A source that offers the next chain whenever a whole batch is free again. */
class LoopSource extends LaneSource {
  onBack: (() => void) | null = null;
  override deliverReturn(nbls: NetBufferList, flags: number, count: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      this.pool.free(nbl);
      nbl = next;
    }
    void flags;
    void count;
    this.onBack?.();
  }
}

export async function runCrossingThreadsBench(seconds = 2, batch = 32): Promise<CrossingBenchResult> {
  const set = new ThreadedProcessorSet({ count: 2, ringSlots: 2048 });
  try {
    await set.ready;
    const rt = new NdisRuntime({ name: 'B', processors: set, verifier: { enabled: false } });
    const source = new LoopSource(rt, 'B/x.source', batch * 24, 128);
    const id = set.allocateEdgeId();
    const spec = { name: 'x', from: 0, to: 1, ledgerCapacity: batch * 24, shellCapacity: batch * 24 };
    const home = new CrossingHome(rt, 'B/x@0', id, { ...spec, kind: 'receive', target: source as never, back: source }, set.processor(0));
    set.processor(0).homeEnds.set(id, home);
    source.edge = new CrossingEdge(id, 'receive', 0, 1, home, null as unknown as CrossingFar);
    await set.run(1, { module: new URL('../test/support/lane-worker.js', import.meta.url).href, export: 'makeEnd' }, { id, name: 'x', kind: 'receive', from: 0, to: 1, capacity: 0, ledgerCapacity: spec.ledgerCapacity, shellCapacity: spec.shellCapacity, holdSeed: null, discard: true }, rt);
    const frame = flowFrame(1, 1, 60);
    const frames = Array.from({ length: batch }, () => frame);
    let running = true;
    let scheduled = false;
    const pump = (): void => {
      scheduled = false;
      while (running && source.pool.capacity - source.pool.inUse >= batch) {
        const refused = home.refused;
        source.offer(source.build(frames));
        // A refused chain came straight back: wait for returns instead of spinning.
        if (home.refused !== refused) break;
      }
    };
    source.onBack = () => {
      if (!scheduled && running) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    // Warm up, then measure.
    pump();
    await new Promise((r) => setTimeout(r, 300));
    const w0 = set.processor(0).counters.backHome;
    const r0 = set.wakeups;
    const i0 = set.mainLoop.iterations;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const back = set.processor(0).counters.backHome - w0;
    const chains = back / batch;
    const wakeupsPerChain = (set.wakeups - r0) / chains;
    const mainIterationsPerChain = (set.mainLoop.iterations - i0) / chains;
    running = false;
    const elapsed = (t1 - t0) / 1000;
    return { batch, nbls: back, seconds: elapsed, nblsPerSecond: back / elapsed, nsPerNbl: (elapsed * 1e9) / back, cpuNsPerNbl: ((cpu.user + cpu.system) * 1000) / back, wakeupsPerChain, mainIterationsPerChain };
  } finally {
    await set.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? d : Number(process.argv[i + 1]);
  };
  const r = await runCrossingThreadsBench(arg('--seconds', 2), arg('--batch', 32));
  console.log(`crossing 0 → 1 → 0 on threads, batch ${r.batch}: ${(r.nblsPerSecond / 1e6).toFixed(2)} M NBLs/s, ${r.nsPerNbl.toFixed(0)} ns per NBL, ${r.cpuNsPerNbl.toFixed(0)} ns of CPU per NBL on both threads (${r.nbls} NBLs in ${r.seconds.toFixed(2)} s; per chain ${r.wakeupsPerChain.toFixed(2)} worker wake-ups, ${r.mainIterationsPerChain.toFixed(2)} main loop iterations)`);
}
