/**
 * TCP through the whole stack on an impaired path: two tsndis hosts on a virtual wire, each with the
 * impairment filter between its TCP/IP binding and its adapter (3 % loss, 2 % reordering, 1 %
 * duplication, 2 ms delay in each direction, fixed seeds), a bulk transfer with each congestion control
 * (CUBIC, NewReno, BBRv3 `bbr`, BBRv1 `bbr1`). The data must arrive byte-exact, and loss recovery — SACK with RACK, PRR, tail loss probes — must repair every
 * loss without a retransmission timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { settle } from '../../src/core/time/scheduler.js';
import { impairmentFilter, type ImpairmentFilterModule } from '../../src/drivers/filter/impairment/index.js';
import { virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { TcpIpProtocol, type TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { assertClean } from '../support/hosts.js';
import { assertAccounted, MAC_A, MAC_B, pump, pumpUntil, releaseWire, wireName, type IpHost } from './helpers.js';
import { sha, patternBuffer as pattern } from '../support/pattern.js';

async function impairedIpHost(name: string, wire: string, mac: string, address: string, impairment: Record<string, ConfigValue>, tcpKeywords: Record<string, ConfigValue>): Promise<IpHost & { filter: ImpairmentFilterModule }> {
  const rt = NdisRuntime.forTest({ name, verifier: { enabled: true } });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(impairmentFilter);
  const ip = new TcpIpProtocol({ seed: 7 });
  rt.registerDriver(ip.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, NetworkAddress: mac } });
  const [block] = await rt.attachFilter('eth0', 'tsndis.impairment', impairment);
  await rt.bindProtocol('eth0', 'tsndis.tcpip', { IPAddress: [address], ...tcpKeywords });
  await rt.startAdapter('eth0');
  await settle();
  return { name, rt, ip, raw: null as never, filter: block!.instance as ImpairmentFilterModule };
}

const PROFILE = (seed: number): Record<string, ConfigValue> => ({
  SendLossPercent: '3',
  SendReorderPercent: '2',
  SendDuplicatePercent: '1',
  SendDelayMs: 2,
  Seed: seed,
});

for (const congestion of ['cubic', 'newreno', 'bbr', 'bbr1'] as const) {
test(`tcp on an impaired path (3 % loss, 2 % reorder, 1 % duplication, 2 ms each way): 3 MB with ${congestion}, byte-exact, every loss repaired without an RTO`, async () => {
  const wire = wireName(`tcp-impaired-${congestion}`);
  const tcp = { TcpCongestion: congestion, TcpSendBufferSize: 1 << 20, TcpReceiveBufferSize: 1 << 20 };
  const a = await impairedIpHost('A', wire, MAC_A, '198.18.0.1/24', PROFILE(101), tcp);
  const b = await impairedIpHost('B', wire, MAC_B, '198.18.0.2/24', PROFILE(202), tcp);
  let finished = false;
  try {
    const data = pattern(3 << 20, 9);
    const got: Buffer[] = [];
    let done = false;
    const server = b.ip.createServer((s: TcpSocket) => {
      s.on('data', (d: Buffer) => got.push(d));
      s.on('end', () => s.end());
      s.on('close', () => (done = true));
    });
    server.listen(5001);
    let clientError: Error | null = null;
    const client = a.ip.connect({ host: '198.18.0.2', port: 5001 });
    let clientDone = false;
    client.on('error', (e) => (clientError = e));
    client.on('close', () => (clientDone = true));
    client.resume(); // reads the server's FIN, so the socket closes (and stops holding the process)
    client.end(data);
    for (let t = 0; t < 600_000 && !(done && clientDone); t += 100) await pump([a, b], 100, 1);
    assert.equal(clientError, null);
    assert.ok(done && clientDone, 'the transfer finished');
    assert.equal(sha(Buffer.concat(got)), sha(data), 'byte-exact');
    const c = a.ip.tcp.counters;
    // The impairments happened, both ways.
    for (const h of [a, b]) {
      const s = h.filter.stats('send').totals;
      assert.ok(s.droppedRandom > 0 && s.reordered > 0 && s.duplicated > 0, `${h.name}: ${JSON.stringify(s)}`);
    }
    assert.ok(a.filter.stats('send').totals.droppedRandom > 50);
    assert.ok(c.retransSegs > 0 && c.rackLosses > 0);
    assert.equal(c.timeouts, 0, `RTOs (tail loss probes ${String(c.tailLossProbes)}, RACK losses ${String(c.rackLosses)}, reorder timeouts ${String(c.rackReorderTimeouts)})`);
    server.close();
    await pump([a, b], 500, 10);
    for (const h of [a, b]) assertAccounted(h);
    finished = true;
    // The filters hold delayed frames: shutting down waits for them, so fake time must move meanwhile.
    for (const h of [a, b]) await pumpUntil([a, b], h.rt.shutdown(), 10_000, 5);
    for (const h of [a, b]) assertClean(h.rt);
  } finally {
    // A failed assertion must not leave the runtimes (and the test process) running.
    if (!finished) for (const h of [a, b]) await pumpUntil([a, b], h.rt.shutdown(), 10_000, 5).catch(() => undefined);
    releaseWire(wire);
  }
});
}
