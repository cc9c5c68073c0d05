/**
 * TCP through the whole stack: two tsndis hosts on a virtual wire (NDIS runtime, miniports, the IP
 * layer, the TCP engine and Node-style sockets), with loss injected on the wire, over both families,
 * and with the virtual wire's task offloads (checksum, LSOv2, RSC) on. Data must arrive byte-exact,
 * every pool full at the end and the verifier silent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualWire } from '../../src/drivers/miniport/virtual-wire/index.js';
import type { TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { finish, ipHost, MAC_A, MAC_B, pump, releaseWire, wireName, type IpHost } from './helpers.js';
import { sha, patternBuffer as pattern } from '../support/pattern.js';

async function hosts(miniportKeywords: Record<string, ConfigValue> = {}): Promise<{ a: IpHost; b: IpHost; wire: string }> {
  const wire = wireName('tcp');
  const a = await ipHost('A', [{ wire, mac: MAC_A, miniportKeywords, keywords: { IPAddress: ['198.18.0.1/24'], IPv6Address: ['fd00::1/64'] } }]);
  const b = await ipHost('B', [{ wire, mac: MAC_B, miniportKeywords, keywords: { IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'] } }]);
  await pump([a, b], 1500); // IPv6 DAD
  return { a, b, wire };
}

/** A sends `up` to B's echo-less sink, B answers with `down` after A's FIN; both ends check digests. */
async function exchange(a: IpHost, b: IpHost, host: string, up: Buffer, down: Buffer, maxMs: number): Promise<void> {
  const serverGot: Buffer[] = [];
  let serverDone = false;
  const server = b.ip.createServer((s: TcpSocket) => {
    s.on('data', (d: Buffer) => serverGot.push(d));
    s.on('end', () => s.end(down));
    s.on('close', () => (serverDone = true));
  });
  server.listen(5001);
  const clientGot: Buffer[] = [];
  let clientDone = false;
  let clientError: Error | null = null;
  const client = a.ip.connect({ host, port: 5001 });
  client.on('data', (d: Buffer) => clientGot.push(d));
  client.on('error', (e) => (clientError = e));
  client.on('close', () => (clientDone = true));
  client.end(up);
  for (let t = 0; t < maxMs && !(serverDone && clientDone); t += 50) await pump([a, b], 50, 5);
  assert.equal(clientError, null);
  assert.ok(serverDone && clientDone, `transfer did not finish in ${maxMs} ms of fake time`);
  assert.equal(sha(Buffer.concat(serverGot)), sha(up), 'A → B');
  assert.equal(sha(Buffer.concat(clientGot)), sha(down), 'B → A');
  server.close();
}

test('tcp over the virtual wire: 1 MB each way over IPv4 with 3 % loss on the wire, byte-exact', async () => {
  const { a, b, wire } = await hosts();
  try {
    VirtualWire.named(wire).configure({ lossRate: 0.03, seed: 11 });
    await exchange(a, b, '198.18.0.2', pattern(1 << 20, 1), pattern(1 << 20, 2), 600_000);
    const ca = a.ip.tcp.counters;
    assert.ok(ca.retransSegs > 0, 'loss caused retransmissions');
    VirtualWire.named(wire).configure({ lossRate: 0 });
    await pump([a, b], 200);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});

test('tcp over the virtual wire: IPv6, delay and loss, byte-exact', async () => {
  const { a, b, wire } = await hosts();
  try {
    VirtualWire.named(wire).configure({ lossRate: 0.02, delayMs: 5, seed: 5 });
    await exchange(a, b, 'fd00::2', pattern(300_000, 3), pattern(300_000, 4), 600_000);
    VirtualWire.named(wire).configure({ lossRate: 0, delayMs: 0 });
    await pump([a, b], 200);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});

test('tcp over the virtual wire with checksum, LSOv2 and RSC offloads: large sends go down as LSO units', async () => {
  const on = { '*TCPChecksumOffloadIPv4': 3, '*TCPChecksumOffloadIPv6': 3, '*LsoV2IPv4': 1, '*LsoV2IPv6': 1, '*RscIPv4': 1, '*RscIPv6': 1 };
  const { a, b, wire } = await hosts(on);
  try {
    const before = a.ip.tcp.counters.lsoBuffers;
    await exchange(a, b, '198.18.0.2', pattern(4 << 20, 5), pattern(64 << 10, 6), 600_000);
    const units = a.ip.tcp.counters.lsoBuffers - before;
    assert.ok(units > 20, `A sent ${units} LSO buffers for 4 MiB`);
    // B's adapter hands the LSO units up whole (RSC), so B's TCP sees coalesced segments.
    assert.ok(b.ip.tcp.counters.coalescedBuffers > 20, `B received ${b.ip.tcp.counters.coalescedBuffers} coalesced buffers`);
    await finish(a, b);
  } finally {
    releaseWire(wire);
  }
});
