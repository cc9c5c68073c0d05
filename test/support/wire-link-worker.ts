/**
 * The far side of a wire link, in a worker thread (for test/drivers/wire-link.test.ts): a host with a
 * virtual-wire adapter on its own wire, joined to the main thread's wire by a WireLinkEndpoint, whose raw
 * protocol sends every frame it receives back with the MAC addresses swapped. Stops when told to and
 * reports its link counters and whether its pools ended full.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import { VirtualWire, WireLinkEndpoint, type WireLinkMemory, virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import type { NetBufferList } from '../../src/ndis/index.js';

const port = parentPort!;
const { memory } = workerData as { memory: WireLinkMemory };
const wire = 'far';
const rt = new NdisRuntime({ name: 'far', scheduler: new RealScheduler(), verifier: { enabled: true } });
rt.registerDriver(virtualWireMiniport);
const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, sendPoolSize: 4096 });
rt.registerDriver(raw.characteristics);
await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, '*ReceiveBuffers': 2048 } });
await rt.bindProtocol('eth0', 'tsndis.raw');
await rt.startAdapter('eth0');
const link = new WireLinkEndpoint(VirtualWire.named(wire), memory, 'b');
const ep = raw.endpoint('eth0');
let echoed = 0;
ep.receiveHandler = (nbls) => {
  const out: Uint8Array[] = [];
  for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
    const nb = nbl.firstNetBuffer!;
    const r = new Uint8Array(nb.dataLength);
    nb.copyOut(r, 0);
    const dst = r.slice(0, 6);
    r.copyWithin(0, 6, 12);
    r.set(dst, 6);
    out.push(r);
  }
  echoed += ep.sendBatch(out);
};
port.postMessage({ type: 'up', mac: [...rt.adapter('eth0').general!.currentMacAddress] });
port.once('message', async () => {
  link.close();
  await rt.shutdown();
  const busy = [...rt.pools].filter((p) => p.inUse > 0).map((p) => p.name);
  port.postMessage({ type: 'down', echoed, counters: { ...link.counters }, busy, violations: rt.verifier.total });
  port.close();
});
