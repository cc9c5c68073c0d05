/**
 * tsndis.tcpip's drop reasons (src/drivers/protocol/tcpip/drops.ts): frames the stack and its TCP engine
 * refuse show in the host's drop registry under `<host>/tsndis.tcpip` with exactly the count injected,
 * the same numbers netstat shows; with a drop capture attached each refused frame reaches it, byte for
 * byte, under its reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DroppedFrame } from '../../src/core/runtime/drops.js';
import { TcpFlags } from '../../src/wire/index.js';
import { finishLab, labHost } from './lab.js';
import { tcpFrame } from './packets.js';

const PEER = '02:00:00:00:0a:01';
const US = '02:00:00:00:1a:01';

const syn = (port: number): Uint8Array => tcpFrame({ family: 4, srcMac: PEER, dstMac: US, src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000 + port, dstPort: port, seq: 1, flags: TcpFlags.Syn });
function badIpChecksum(port: number): Uint8Array {
  const f = syn(port);
  f[24] = f[24]! ^ 0xff;
  return f;
}
function badTcpChecksum(port: number): Uint8Array {
  const f = syn(port);
  f[50] = f[50]! ^ 0xff;
  return f;
}
function unknownEtherType(): Uint8Array {
  const f = syn(1);
  f[12] = 0x88;
  f[13] = 0xb5;
  return f;
}

test('tcpip drop reasons: bad IPv4 and TCP checksums, no listener and an unknown EtherType are counted exactly and captured', async () => {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6: false, Neighbors: [`198.18.0.1 ${PEER.replaceAll(':', '-')}`] }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) });
  const rows = (): string[] => h.rt.drops.rows().filter((r) => r.module === 'L/tsndis.tcpip').map((r) => `${r.reason}=${r.count}`);
  assert.deepEqual(rows(), [], 'nothing dropped yet');
  h.lab.inject([badIpChecksum(1), badIpChecksum(2), badIpChecksum(3), badTcpChecksum(4), badTcpChecksum(5), syn(6), syn(7), syn(8), syn(9), unknownEtherType()]);
  await h.rt.scheduler.advanceAsync(1);
  assert.deepEqual(rows(), ['ipv4BadChecksum=3', 'tcpBadChecksum=2', 'tcpNoListener=4', 'unknownEtherType=1']);
  const netstat = h.ip.netstat() as { ipv4: { inBadChecksum: number }; tcp: { badChecksum: number }; tcpEngine: { noListener: number } };
  assert.deepEqual([netstat.ipv4.inBadChecksum, netstat.tcp.badChecksum, netstat.tcpEngine.noListener], [3, 2, 4], 'the same counters netstat shows');

  const captured: DroppedFrame[] = [];
  const sink = (f: DroppedFrame): void => void captured.push(f);
  h.rt.drops.attachSink(sink);
  const again = [badIpChecksum(11), badTcpChecksum(12), syn(13), unknownEtherType()];
  h.lab.inject(again);
  await h.rt.scheduler.advanceAsync(1);
  h.rt.drops.detachSink(sink);
  assert.deepEqual(
    captured.map((f) => [f.module, f.reason, Buffer.from(f.bytes!).toString('hex')]),
    [
      ['L/tsndis.tcpip', 'ipv4BadChecksum', Buffer.from(again[0]!).toString('hex')],
      ['L/tsndis.tcpip', 'tcpBadChecksum', Buffer.from(again[1]!).toString('hex')],
      ['L/tsndis.tcpip', 'tcpNoListener', Buffer.from(again[2]!).toString('hex')],
      ['L/tsndis.tcpip', 'unknownEtherType', Buffer.from(again[3]!).toString('hex')],
    ],
  );
  assert.deepEqual(rows(), ['ipv4BadChecksum=4', 'tcpBadChecksum=3', 'tcpNoListener=5', 'unknownEtherType=2']);
  await finishLab(h);
  assert.deepEqual(rows(), [], 'unbound: the stack left the registry');
});
