/**
 * Receive across processors, on real threads: a multi-processor bench miniport (its characteristics
 * opt in with `multiProcessor`) generates 64-byte frames in chains of 32 from its receive DPC, as fast as
 * its receive pool comes back, and a raw protocol (single-processor) counts them. On 2 processors the
 * replica on processor 1 (a worker) generates and its chains cross to processor 0 through the crossing
 * edge (descriptors, shells, returns, doorbells); the baseline is the same miniport's primary generating
 * on processor 0 of a 1-processor host. Frames/s counts frames delivered to the protocol.
 *
 * What it shows is the price and the overlap of a crossing: the worker builds and indicates while
 * processor 0 runs the protocol and returns. It is not the virtual wire on 2 processors (that needs the
 * multi-processor virtual wire).
 */
import { ThreadedProcessorSet } from '../src/core/processors/threaded.js';
import { NdisRuntime } from '../src/core/runtime/runtime.js';
import { RealScheduler } from '../src/core/time/scheduler.js';
import { ETHERNET_OIDS, EthernetMiniportState, handleEthernetOid } from '../src/drivers/common/ethernet-miniport.js';
import { RawProtocol } from '../src/drivers/protocol/raw/index.js';
import { ethernetGeneralAttributes } from '../src/ndis/attributes.js';
import type { NetBufferList } from '../src/ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool } from '../src/ndis/buffers/pools.js';
import { NdisMedium802_3 } from '../src/ndis/constants.js';
import type { MiniportAdapter, MiniportAdapterHandle, MiniportDriverCharacteristics, MiniportInitParameters, MiniportReplicaParameters, NdisDpc } from '../src/ndis/driver-api.js';
import type { NdisOidRequest } from '../src/ndis/oid-request.js';
import { NDIS_STATUS_PENDING, NDIS_STATUS_SUCCESS, type NdisStatus } from '../src/ndis/status.js';

const MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x11]);
const FRAME = new Uint8Array(64);
FRAME.set(MAC, 0);
FRAME.set([0x02, 0, 0, 0, 0, 0x22], 6);
FRAME[12] = 0x88;
FRAME[13] = 0xb5;
const BATCH = 32;
const POOL = 16 * BATCH;

class GeneratorAdapter implements MiniportAdapter {
  pool: NetBufferListPool | null = null;
  dpc: NdisDpc | null = null;
  eth: EthernetMiniportState | null = null;
  generate = false;
  running = false;
  pausing = false;
  outstanding = 0;
  #queued = false;

  constructor(readonly ndis: MiniportAdapterHandle) {}

  #setUp(generate: boolean): void {
    this.generate = generate;
    this.pool = this.ndis.allocateNetBufferListPool({ capacity: POOL, dataSize: 128 });
    this.dpc = this.ndis.allocateDpc(() => this.#receiveDpc());
  }

  initialize(params: MiniportInitParameters): NdisStatus {
    this.ndis.setRegistrationAttributes({});
    const general = ethernetGeneralAttributes({ macAddress: MAC, supportedOidList: ETHERNET_OIDS, vendorDescription: 'tsndis bench generator' });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    this.#setUp(params.keywords.readString('Generate', 'primary') === 'primary');
    return NDIS_STATUS_SUCCESS;
  }

  initializeReplica(params: MiniportReplicaParameters): NdisStatus {
    this.#setUp(params.keywords.readString('Generate', 'primary') === 'replicas');
    return NDIS_STATUS_SUCCESS;
  }

  #kick(): void {
    if (this.#queued || !this.running || !this.generate) return;
    this.#queued = true;
    this.dpc!.queue();
  }

  /** Indicates chains of 32 while the pool has them, at most a pool's worth per DPC run (returns may come back inside the indication). */
  #receiveDpc(): void {
    this.#queued = false;
    const pool = this.pool!;
    for (let chains = 0; chains < POOL / BATCH && this.running && pool.capacity - pool.inUse >= BATCH; chains++) {
      let head: NetBufferList | null = null;
      for (let i = 0; i < BATCH; i++) {
        const nbl = pool.allocate()!;
        const nb = nbl.firstNetBuffer!;
        nb.dataLength = FRAME.length;
        nb.copyIn(FRAME);
        nbl.sourceHandle = this.ndis;
        nbl.next = head;
        head = nbl;
      }
      this.outstanding += BATCH;
      this.ndis.indicateReceiveNetBufferLists(head!, 0, BATCH, 0);
    }
    if (this.running && pool.capacity - pool.inUse >= BATCH) this.#kick();
  }

  returnNetBufferLists(nbls: NetBufferList, _flags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      this.pool!.free(nbl);
      this.outstanding--;
      nbl = next;
    }
    if (this.pausing && this.outstanding === 0) {
      this.pausing = false;
      this.ndis.pauseComplete();
    }
    this.#kick();
  }

  pause(): NdisStatus {
    this.running = false;
    if (this.outstanding === 0) return NDIS_STATUS_SUCCESS;
    this.pausing = true;
    return NDIS_STATUS_PENDING;
  }

  restart(): NdisStatus {
    this.running = true;
    this.#kick();
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    if (this.pool !== null) this.ndis.freeNetBufferListPool(this.pool);
    this.pool = null;
  }

  shutdown(): void {}
  sendNetBufferLists(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_SUCCESS;
    this.ndis.sendNetBufferListsComplete(nbls, 0);
  }
  cancelSend(): void {}
  devicePnPEventNotify(): void {}
  oidRequest(request: NdisOidRequest): NdisStatus {
    return handleEthernetOid(this.eth!, request);
  }
  cancelOidRequest(): void {}
}

/** The bench miniport; a worker imports it from here (`multiProcessor`). */
export const generatorMiniport: MiniportDriverCharacteristics = {
  kind: 'miniport',
  name: 'bench.generator',
  ndisVersion: { major: 6, minor: 30 },
  medium: NdisMedium802_3,
  multiProcessor: { module: import.meta.url, export: 'generatorMiniport' },
  adapter: GeneratorAdapter,
};

export interface ProcessorsBenchResult {
  processors: number;
  frames: number;
  seconds: number;
  framesPerSecond: number;
}

/** Frames/s the raw protocol on processor 0 receives, generated on processor 0 (1) or on processor 1's replica (2). */
export async function runProcessorsBench(processors: 1 | 2, seconds: number): Promise<ProcessorsBenchResult> {
  const set = processors === 2 ? new ThreadedProcessorSet({ count: 2, ringSlots: 1024 }) : null;
  try {
    if (set !== null) await set.ready;
    const rt = new NdisRuntime({ name: `P${processors}`, ...(set === null ? { scheduler: new RealScheduler() } : { processors: set }), verifier: { enabled: false } });
    rt.registerDriver(generatorMiniport);
    const raw = new RawProtocol('tsndis.raw', { receiveQueueDepth: 64 });
    rt.registerDriver(raw.characteristics);
    await rt.addAdapter({ name: 'eth0', driver: 'bench.generator', keywords: { Generate: processors === 2 ? 'replicas' : 'primary' } });
    await rt.bindProtocol('eth0', 'tsndis.raw');
    let received = 0;
    raw.endpoint('eth0').receiveHandler = (_nbls, count) => {
      received += count;
    };
    await rt.startAdapter('eth0');
    await new Promise((r) => setTimeout(r, 300));
    const r0 = received;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const frames = received - r0;
    const elapsed = (performance.now() - t0) / 1000;
    await rt.shutdown();
    return { processors, frames, seconds: elapsed, framesPerSecond: frames / elapsed };
  } finally {
    await set?.close();
  }
}
