/**
 * Write-space wakeups (onWritable) on the simulated link with a fake clock. An application may learn
 * that the send buffer is full either from a short `send` or from `writableLength` reading 0 (as a
 * poll() that reports "not writable"); either way it is woken when space frees, as Linux does
 * (tcp_poll sets SOCK_NOSPACE, and tcp_check_space wakes the writer once ACKs free space).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpConnection } from '../../../src/drivers/protocol/tcpip/tcp/api.js';
import { connectedPair, pattern } from '../../support/tcp-link.js';

test('writable: a sender that fills the send buffer exactly, sees writableLength 0 and waits, is woken by onWritable when ACKs free space', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 10 } });
  const data = pattern(1_000_000, 21);
  const conn: TcpConnection = client.conn!;
  let at = 0;
  let wakeups = 0;
  // Never a short send: it queues exactly what writableLength offers, then stops while that reads 0.
  const pump = (): void => {
    for (let guard = 0; guard < 1000 && at < data.length; guard++) {
      const n = Math.min(conn.writableLength, data.length - at);
      if (n === 0) break;
      assert.equal(conn.send(data, at, n), n);
      at += n;
    }
  };
  const onWritable = (): void => {
    wakeups++;
    pump();
  };
  conn.events = { ...client.events, onWritable };
  pump();
  assert.ok(at < data.length, 'the send buffer is smaller than the data');
  assert.equal(conn.writableLength, 0);
  assert.ok(link.runUntil(() => server.received === data.length, 60_000), `sent ${String(at)} of ${String(data.length)}, received ${String(server.received)}, ${String(wakeups)} wakeups`);
  assert.deepEqual(server.data(), data);
  assert.ok(wakeups > 0);
});
