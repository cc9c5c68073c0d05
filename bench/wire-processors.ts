/**
 * The virtual wire at batch 32 on 1 and on 2 processors: host A (one processor) sends 64-byte UDP frames
 * of 16 flows in chains of 32 through two filters and the virtual-wire miniport to host B, whose raw
 * protocol turned RSS on (OID_GEN_RECEIVE_SCALE_PARAMETERS, a 128-entry table alternating processors).
 * Frames/s counts frames delivered to B's raw protocol.
 *
 * What runs where on 2 processors (B on a ThreadedProcessorSet): A, the wire and B's primary are on
 * processor 0 (the main thread). The primary, as B's NIC, hashes every frame and copies it into the frame
 * ring of the queue its table names (rss-queues.ts); processor 0 polls queue 0, and the worker
 * (processor 1) polls queue 1 — it copies its frames into receive buffers and indicates them, and since
 * B's filters and raw protocol are single-processor, those indications cross back to processor 0
 * (descriptors, shells, returns). So only the receive queue's copy and indication leave processor 0; A's
 * send path, the hash, the copy into the rings and B's filters and protocol stay there. On 1 processor
 * the same frames and table: the primary hashes them (NBL hash info) and indicates all of them itself.
 *
 * The sender sends a chain only while every receive queue's frame ring has room for it (as a NIC's
 * queue depth paces its DMA): the virtual wire completes a send at once and a full ring refuses frames,
 * so an unpaced sender on processor 0 would mostly measure frames hashed and then refused. On 1
 * processor there are no rings and the sender is paced by the event loop as in bench/datapath.ts.
 */
import { ThreadedProcessorSet } from '../src/core/processors/threaded.js';
import { NdisRuntime } from '../src/core/runtime/runtime.js';
import { RealScheduler } from '../src/core/time/scheduler.js';
import { countersFilter } from '../src/drivers/filter/counters/index.js';
import { passThroughFilter } from '../src/drivers/filter/passthrough/index.js';
import type { VirtualWireAdapter } from '../src/drivers/miniport/virtual-wire/adapter.js';
import { VirtualWire, virtualWireMiniport } from '../src/drivers/miniport/virtual-wire/index.js';
import { FRAME_RING_SLOTS, type WireQueueCounters } from '../src/drivers/miniport/virtual-wire/rss-queues.js';
import { RawProtocol } from '../src/drivers/protocol/raw/index.js';
import { recycleChains } from './chains.js';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_UDP_IPV4,
  NDIS_STATUS_SUCCESS,
  NdisHashFunctionToeplitz,
  NdisOidRequest,
  type NetBufferList,
  receiveScaleParametersCodec,
} from '../src/ndis/index.js';

export interface WireProcessorsResult {
  processors: number;
  frames: number;
  seconds: number;
  framesPerSecond: number;
}

const BATCH = 32;
const FLOWS = 16;
const IN_FLIGHT = 512;
/** A chain is sent while every queue's ring holds at most this many frames (FRAME_RING_SLOTS − a chain). */
const RING_ROOM = FRAME_RING_SLOTS - BATCH;
const KEY = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);

async function host(name: string, wire: string, set: ThreadedProcessorSet | null): Promise<{ rt: NdisRuntime; raw: RawProtocol }> {
  const rt = new NdisRuntime({ name, ...(set === null ? { scheduler: new RealScheduler() } : { processors: set }), verifier: { enabled: false } });
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

/** A 64-byte UDP/IPv4 frame of flow `f` (its own source address and port; checksums left zero). */
function udpFrame(dst: Uint8Array, src: Uint8Array, f: number): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  b.set(dst, 0);
  b.set(src, 6);
  v.setUint16(12, 0x0800);
  b[14] = 0x45;
  v.setUint16(16, 50); // IP total length: 20 + 8 + 22
  b[22] = 64;
  b[23] = 17;
  b.set([10, 0, f, 1], 26);
  b.set([10, 1, 0, 2], 30);
  v.setUint16(34, 1000 + f * 17);
  v.setUint16(36, 5000);
  v.setUint16(38, 30);
  return b;
}

export async function runWireProcessors(processors: 1 | 2, seconds: number): Promise<WireProcessorsResult> {
  const wire = `bench-mp-${process.pid}-${processors}`;
  const set = processors === 2 ? new ThreadedProcessorSet({ count: 2, ringSlots: 1024 }) : null;
  try {
    if (set !== null) await set.ready;
    const a = await host('A', wire, null);
    const b = await host('B', wire, set);
    const tx = a.raw.endpoint('eth0');
    const rx = b.raw.endpoint('eth0');
    const status = await rx.oid(
      NdisOidRequest.set(receiveScaleParametersCodec, {
        flags: 0,
        baseCpuNumber: 0,
        hashInformation: NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NdisHashFunctionToeplitz,
        indirectionTable: Array.from({ length: 128 }, (_, i) => ({ group: 0, number: i % processors })),
        hashSecretKey: KEY,
        processorMasks: [{ mask: (1n << BigInt(processors)) - 1n, group: 0 }],
        defaultProcessorNumber: { group: 0, number: 0 },
      }),
    );
    if (status !== NDIS_STATUS_SUCCESS) throw new Error(`RSS parameters refused (status 0x${(status >>> 0).toString(16)})`);
    let received = 0;
    rx.receiveHandler = (_nbls, count) => {
      received += count;
    };
    const dst = b.rt.adapter('eth0').general!.currentMacAddress;
    const src = a.rt.adapter('eth0').general!.currentMacAddress;
    const frames = Array.from({ length: FLOWS }, (_, f) => udpFrame(dst, src, f));
    const free: NetBufferList[] = [];
    for (let c = 0, n = 0; c < IN_FLIGHT / BATCH; c++) {
      let head: NetBufferList | null = null;
      for (let i = 0; i < BATCH; i++) {
        const nbl = tx.allocate(frames[n++ % FLOWS]!)!;
        nbl.next = head;
        head = nbl;
      }
      free.push(head!);
    }
    // Completions come back whole here (the wire completes each chain as it sent it); regrouped if not.
    tx.sendCompleteHandler = recycleChains(BATCH, free);
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    const adapter = b.rt.adapter('eth0').instance as VirtualWireAdapter;
    const room = (): boolean => {
      const queues = (adapter.inspect() as { rssQueues?: WireQueueCounters[] }).rssQueues;
      return queues === undefined || queues.every((q) => q.depth <= RING_ROOM);
    };
    const run = async (ms: number): Promise<{ frames: number; seconds: number }> => {
      const start = performance.now();
      const before = received;
      while (performance.now() - start < ms) {
        for (let round = 0; round < 4; round++) {
          for (let k = free.length; k > 0 && room(); k--) tx.sendChain(free.pop()!, BATCH);
          await turn();
        }
      }
      return { frames: received - before, seconds: (performance.now() - start) / 1000 };
    };
    await run(Math.min(300, seconds * 250));
    const r = await run(seconds * 1000);
    await a.rt.shutdown();
    await b.rt.shutdown();
    VirtualWire.release(wire);
    return { processors, frames: r.frames, seconds: r.seconds, framesPerSecond: r.frames / r.seconds };
  } finally {
    await set?.close();
  }
}
