/**
 * A tsndis TCP/IP host on a thread of its own (see tsndis-thread.ts): built from the stack config it is
 * given, on a virtual wire joined to the main thread's wire of the same name by a wire link. Commands
 * arrive as messages; each gets one reply (a sink gets two: listening, then its result with the host's
 * TCP counters at that moment).
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { createStacks } from '../../src/config/index.js';
import type { StackConfig } from '../../src/config/stack-config.js';
import { VirtualWire, WireLinkEndpoint, type WireLinkMemory } from '../../src/drivers/miniport/virtual-wire/index.js';
import type { WskConnectionSocket } from '../../src/drivers/protocol/tcpip/index.js';

interface Data {
  memory: WireLinkMemory;
  config: StackConfig;
  host: string;
  wire: string;
  wirePrefix: string;
}

export type ThreadCommand = { op: 'sink'; address: string; port: number; hash: boolean } | { op: 'counters' } | { op: 'stop' };

const port = parentPort!;
const d = workerData as Data;
const stacks = await createStacks(d.config, { verifier: false, wirePrefix: d.wirePrefix });
const link = new WireLinkEndpoint(VirtualWire.named(d.wirePrefix + d.wire), d.memory, 'b');
const tcpip = stacks.host(d.host).tcpip;

/** A discard listener: every readable byte taken at once; reports bytes and seconds from accept to FIN. */
function sink(address: string, p: number, hash: boolean): void {
  const buf = new Uint8Array(1 << 20);
  const digest = hash ? createHash('sha256') : null;
  let received = 0;
  let start = 0;
  const ls = tcpip.sockets.createListenSocket(4, {
    acceptEvent: (_l, s) => {
      start = performance.now();
      const drain = (sock: WskConnectionSocket): void => {
        for (let n = sock.tryReceive(buf); n > 0; n = sock.tryReceive(buf)) {
          received += n;
          digest?.update(buf.subarray(0, n));
        }
      };
      s.dispatch = {
        receiveEvent: drain,
        disconnectEvent: (sock) => {
          drain(sock);
          port.postMessage({ op: 'sunk', bytes: received, seconds: (performance.now() - start) / 1000, sha256: digest?.digest('hex') ?? null, tcp: { ...tcpip.tcp.counters } });
          void sock.close();
          void ls.close();
        },
      };
      drain(s);
    },
  });
  ls.bind({ address, port: p });
  ls.listen();
  port.postMessage({ op: 'listening' });
}

port.on('message', async (c: ThreadCommand) => {
  if (c.op === 'sink') sink(c.address, c.port, c.hash);
  else if (c.op === 'counters') port.postMessage({ op: 'counters', tcp: { ...tcpip.tcp.counters }, link: { ...link.counters } });
  else {
    link.close();
    await stacks.close();
    port.postMessage({ op: 'stopped' });
    port.close();
  }
});
port.postMessage({ op: 'up' });
