/**
 * tsndis.tcpip and RSS: with its ReceiveSideScaling keyword on, the binding turns RSS on at bind like
 * Windows' TCP/IP (Toeplitz over the adapter's IPv4/IPv6 types, a random key, a full table), and traffic
 * still flows with every IP frame hashed; off by default; an adapter that offers no RSS is left alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import { tcpipRssParameters } from '../../src/drivers/protocol/tcpip/rss.js';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX,
  NdisHashFunctionToeplitz,
} from '../../src/ndis/index.js';
import { finish, ipHost, pumpUntil, wireName, MAC_A, MAC_B, type IpHost } from './helpers.js';

const adapter = (h: IpHost): VirtualWireAdapter => h.rt.adapter('eth0').instance as VirtualWireAdapter;
const bindingRss = (h: IpHost): unknown => [...h.ip.bindings.values()][0]!.inspect()['rss'];

async function pairWith(keywordsB: Record<string, unknown>, miniportB: Record<string, number> = {}): Promise<{ a: IpHost; b: IpHost }> {
  const wire = wireName('rss');
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPAddress: ['198.18.0.1/24'], IPv6Address: ['fd00::1/64'], Dad: false } }]);
  const b = await ipHost('B', [{ wire, mac: MAC_B, keywords: { IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, ...keywordsB }, miniportKeywords: miniportB }]);
  return { a, b };
}

test('ReceiveSideScaling: the binding sets Toeplitz, the adapter types, a 128-entry table and a fresh key; frames arrive hashed', async () => {
  const { a, b } = await pairWith({ ReceiveSideScaling: true });
  const rss = adapter(b).rss;
  assert.equal(bindingRss(b), 'on');
  assert.equal(rss.active, true);
  const types = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6;
  assert.equal(rss.settings.hashInformation, types | NdisHashFunctionToeplitz);
  assert.equal(rss.settings.indirectionTable.length, 128);
  assert.equal(rss.settings.hashSecretKey.length, 40);
  assert.equal(adapter(a).rss.active, false, 'off by default');
  assert.equal(bindingRss(a), undefined);
  const r4 = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2', { count: 2, intervalMs: 50 }));
  const r6 = await pumpUntil([a, b], a.ip.stack.ping('fd00::2', { count: 2, intervalMs: 50 }));
  assert.deepEqual([r4.received, r6.received], [2, 2]);
  // Echo requests (and ND) hashed; ARP is not.
  assert.ok(rss.counters.rssHashed >= 4, `hashed ${rss.counters.rssHashed}`);
  assert.ok(rss.counters.rssNoHash >= 1, 'the ARP request');
  assert.equal(rss.counters.rssQueueFrames[0], rss.counters.rssHashed + rss.counters.rssNoHash);
  // Two bindings never share a key.
  const { a: c, b: d } = await pairWith({ ReceiveSideScaling: true });
  assert.notDeepEqual([...adapter(d).rss.settings.hashSecretKey], [...rss.settings.hashSecretKey]);
  await finish(a, b);
  await finish(c, d);
});

test('ReceiveSideScaling on an adapter without RSS (*RSS 0): the binding leaves it alone and says so', async () => {
  const { a, b } = await pairWith({ ReceiveSideScaling: true }, { '*RSS': 0 });
  assert.equal(bindingRss(b), 'not offered');
  assert.equal(adapter(b).rss.counters.rssParameterSets + adapter(b).rss.counters.rssParameterSetsFailed, 0);
  const r = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  assert.equal(r.received, 1);
  await finish(a, b);
});

test('the parameters follow the capabilities: only advertised types, never IPv6-EX, the table the adapter takes, round-robin processors', () => {
  const key = new Uint8Array(40).fill(7);
  const p = tcpipRssParameters({ capabilitiesFlags: NdisHashFunctionToeplitz | NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX, numberOfInterruptMessages: 1, numberOfReceiveQueues: 2, numberOfIndirectionTableEntries: 8 }, [1, 2], key);
  assert.equal(p.hashInformation, NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NdisHashFunctionToeplitz);
  assert.deepEqual(p.indirectionTable.map((e) => e.number), [1, 2, 1, 2, 1, 2, 1, 2]);
  assert.deepEqual(p.processorMasks, [{ mask: 6n, group: 0 }]);
  assert.deepEqual(p.defaultProcessorNumber, { group: 0, number: 1 });
  assert.equal(p.hashSecretKey, key);
});
