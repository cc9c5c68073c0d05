/**
 * Data-path benchmark: 64-byte frames from a raw protocol on host A, down through two filters and the
 * virtual-wire miniport, across the wire, up through host B's miniport and two filters to B's raw
 * protocol — with every send completion and receive return travelling back. Frames/s counts frames
 * delivered to B's protocol.
 *
 * The sender resends the same NBLs (a send-complete handler recycles them), and the receiver counts and
 * returns each chain at once, so what is measured is tsndis, not the test's allocation.
 */
import { NdisRuntime } from '../src/core/runtime/runtime.js';
import { RealScheduler } from '../src/core/time/scheduler.js';
import { countersFilter } from '../src/drivers/filter/counters/index.js';
import { passThroughFilter } from '../src/drivers/filter/passthrough/index.js';
import { VirtualWire, virtualWireMiniport } from '../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../src/drivers/protocol/raw/index.js';
import type { NetBufferList } from '../src/ndis/index.js';
import { recycleChains } from './chains.js';

export interface DatapathResult {
  batch: number;
  verifier: boolean;
  /** NBL history on (needs the verifier). */
  nblHistory: boolean;
  frames: number;
  seconds: number;
  framesPerSecond: number;
}

const FRAME_BYTES = 64;
/** Frames kept in flight per event-loop turn. */
const IN_FLIGHT = 512;

async function host(name: string, wire: string, verifier: boolean, nblHistory: boolean): Promise<{ rt: NdisRuntime; raw: RawProtocol }> {
  const rt = new NdisRuntime({ name, scheduler: new RealScheduler(), verifier: { enabled: verifier }, nblHistory });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(countersFilter);
  rt.registerDriver(passThroughFilter);
  const raw = new RawProtocol('tsndis.raw', { sendPoolSize: IN_FLIGHT * 2, receiveQueueDepth: 64 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, '*ReceiveBuffers': IN_FLIGHT * 4 } });
  await rt.attachFilter('eth0', 'tsndis.counters');
  await rt.attachFilter('eth0', 'tsndis.passthrough');
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw };
}

export async function runDatapath(batch: number, verifier: boolean, seconds: number, nblHistory = false): Promise<DatapathResult> {
  const wire = `bench-${process.pid}-${batch}-${verifier ? 'v' : 'n'}${nblHistory ? 'h' : ''}`;
  const a = await host('A', wire, verifier, nblHistory);
  const b = await host('B', wire, verifier, nblHistory);
  const tx = a.raw.endpoint('eth0');
  const rx = b.raw.endpoint('eth0');
  let received = 0;
  rx.receiveHandler = (_nbls, count) => {
    received += count;
  };
  // Chains of `batch` NBLs, each a 64-byte frame to B, resent as soon as they complete.
  const dst = b.rt.adapter('eth0').general!.currentMacAddress;
  const src = a.rt.adapter('eth0').general!.currentMacAddress;
  const payload = new Uint8Array(FRAME_BYTES);
  payload.set(dst, 0);
  payload.set(src, 6);
  payload[12] = 0x88;
  payload[13] = 0xb5;
  const free: NetBufferList[] = [];
  const chains = IN_FLIGHT / batch;
  for (let c = 0; c < chains; c++) {
    let head: NetBufferList | null = null;
    for (let i = 0; i < batch; i++) {
      const nbl = tx.allocate(payload)!;
      nbl.next = head;
      head = nbl;
    }
    free.push(head!);
  }
  tx.sendCompleteHandler = recycleChains(batch, free);
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

  const run = async (ms: number): Promise<{ frames: number; seconds: number }> => {
    const start = performance.now();
    const before = received;
    while (performance.now() - start < ms) {
      // Several rounds per turn so the DPC sees real batches, then let B's DPC run.
      for (let round = 0; round < 4; round++) {
        // Sends complete synchronously and refill `free`: send only what was free at the start of the round.
        for (let k = free.length; k > 0; k--) tx.sendChain(free.pop()!, batch);
        await turn();
      }
    }
    return { frames: received - before, seconds: (performance.now() - start) / 1000 };
  };
  await run(Math.min(300, seconds * 250)); // warm-up: JIT and pools
  const r = await run(seconds * 1000);
  await a.rt.shutdown();
  await b.rt.shutdown();
  VirtualWire.release(wire);
  return { batch, verifier, nblHistory, frames: r.frames, seconds: r.seconds, framesPerSecond: r.frames / r.seconds };
}
