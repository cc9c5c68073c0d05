/**
 * A tsndis runtime with a TAP adapter inside a worker thread (for test/interop/tap.test.ts): brings the
 * adapter up with the keywords it is given, reports the reader design the adapter chose and the
 * runtime's warnings, then reports every UDP payload the raw protocol receives until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';

interface Data {
  keywords: Record<string, string>;
}

const port = parentPort!;
const { keywords } = workerData as Data;
const warnings: string[] = [];
const rt = new NdisRuntime({ name: 'worker', scheduler: new RealScheduler(), logger: (level, _source, message) => (level === 'warn' ? warnings.push(message) : undefined) });
rt.registerDriver(tapMiniport);
const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20 });
rt.registerDriver(raw.characteristics);
await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords });
await rt.bindProtocol('eth0', 'tsndis.raw');
await rt.startAdapter('eth0');
const adapter = rt.adapter('eth0').instance as TapAdapter;
port.postMessage({ type: 'up', readerMode: adapter.readerMode, warnings });
const stop = new AbortController();
port.on('message', () => stop.abort());
try {
  for await (const f of raw.frames('eth0', stop.signal)) {
    // IPv4 / UDP: report the payload.
    if (f[12] === 0x08 && f[13] === 0x00 && f[23] === 17) port.postMessage({ type: 'udp', payload: Buffer.from(f.subarray(42)).toString() });
  }
} catch {
  // aborted
}
await rt.shutdown();
port.postMessage({ type: 'down', violations: rt.verifier.total });
port.close();
