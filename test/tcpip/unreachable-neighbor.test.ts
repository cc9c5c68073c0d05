/**
 * An on-link address that never answers ARP or Neighbor Discovery: when resolution gives up (three
 * solicitations RetransTimer apart, ~3 s), the senders of the packets it held are told the host is
 * unreachable, as Linux does (neigh_invalidate → error_report → ICMP host unreachable to itself): a
 * connect in SYN-SENT fails with EHOSTUNREACH then, not after the SYN retransmission schedule (~127 s);
 * a connected UDP socket gets EHOSTUNREACH; a ping records it per request. Manual clock throughout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SocketError } from '../../src/drivers/protocol/tcpip/index.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';

async function target(): Promise<LabHost> {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) });
  h.lab.take();
  return h;
}

/** Solicitations sent since the last call: ARP requests and neighbour solicitations. */
function solicitations(h: LabHost): number {
  return h.lab.take().filter(({ frame: f }) => (f[12] === 0x08 && f[13] === 0x06) || (f[12] === 0x86 && f[13] === 0xdd && f[14 + 6] === 58 && f[14 + 40] === 135)).length;
}

for (const [family, address] of [
  [4, '198.18.0.9'],
  [6, 'fd00::9'],
] as const) {
  test(`unreachable neighbour (IPv${family}): connect fails with EHOSTUNREACH when resolution gives up (~3 s), not after the SYN retries`, async () => {
    const h = await target();
    const start = h.rt.scheduler.now();
    const got: { error: (Error & { code?: string }) | null; at: number } = { error: null, at: -1 };
    const sock = h.ip.connect({ host: address, port: 80 });
    sock.on('error', (e: Error & { code?: string }) => {
      got.error = e;
      got.at = h.rt.scheduler.now() - start;
    });
    await labPump(h, 2900, 50);
    assert.equal(got.error === null, true, 'still resolving before the third solicitation timed out');
    assert.equal(solicitations(h), 3, 'three solicitations, RetransTimer apart');
    await labPump(h, 300, 50);
    assert.ok(got.error !== null, 'the connect failed within the resolution time');
    assert.equal(got.error.code, 'EHOSTUNREACH');
    assert.match(got.error.message, family === 4 ? /no ARP reply from 198\.18\.0\.9/ : /no neighbour advertisement from fd00::9/);
    assert.ok(got.at >= 3000 && got.at <= 3100, `failed after ${got.at} ms`);
    const n = h.ip.netstat();
    assert.equal((n['neighbor'] as Record<string, number>)['resolutionFailed'], 1);
    assert.ok((n['neighbor'] as Record<string, number>)['unreachableReported']! >= 1);
    assert.equal((n['tcpEngine'] as Record<string, number>)['connections'], 0, 'the connection is gone');
    assert.equal((n['tcpEngine'] as Record<string, number>)['attemptFails'], 1);
    await labPump(h, 200);
    await finishLab(h);
  });
}

test('unreachable neighbour: a connected UDP socket gets EHOSTUNREACH; an unconnected one is not told', async () => {
  const h = await target();
  const connected = h.ip.stack.udp.open(4).bind(0);
  connected.connect('198.18.0.9', 9);
  const errors: SocketError[] = [];
  connected.onError = (e) => errors.push(e);
  const loose = h.ip.stack.udp.open(4).bind(0);
  const looseErrors: SocketError[] = [];
  loose.onError = (e) => looseErrors.push(e);
  assert.equal(connected.send(Uint8Array.of(1, 2, 3)), true);
  assert.equal(loose.send(Uint8Array.of(4, 5, 6), '198.18.0.9', 9), true);
  await labPump(h, 2900, 50);
  assert.equal(errors.length, 0);
  await labPump(h, 300, 50);
  assert.deepEqual(errors.map((e) => e.code), ['EHOSTUNREACH']);
  assert.match(errors[0]!.message, /no ARP reply from 198\.18\.0\.9/);
  assert.deepEqual(looseErrors, []);
  assert.equal(h.ip.stack.counters.neighbor.failedDrops, 2);
  assert.equal(h.ip.stack.counters.neighbor.unreachableReported, 1);
  await finishLab(h);
});

test('unreachable neighbour: ping records EHOSTUNREACH for the requests the failed resolution held', async () => {
  const h = await target();
  const done = h.ip.stack.ping('198.18.0.9', { count: 2, intervalMs: 500, timeoutMs: 4000 });
  let result: Awaited<typeof done> | null = null;
  void done.then((r) => (result = r));
  for (let i = 0; i < 100 && result === null; i++) await labPump(h, 100, 50);
  assert.ok(result !== null);
  const r = result as Awaited<typeof done>;
  assert.equal(r.transmitted, 2);
  assert.equal(r.received, 0);
  assert.deepEqual(r.errors, ['EHOSTUNREACH', 'EHOSTUNREACH']);
  assert.equal(h.ip.stack.counters.neighbor.unreachableReported, 2);
  await finishLab(h);
});
