/**
 * RSS in the virtual-wire miniport, through the runtime (offload digest §3): the capabilities it
 * advertises (and NDIS answers), OID_GEN_RECEIVE_SCALE_PARAMETERS set and queried back, every bad request
 * refused with the spec's status and the previous settings left in force, frames over the wire carrying
 * exactly the hash of Microsoft's vectors, the per-queue counters in the inspector's JSON, and *RSS 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RssState } from '../../src/drivers/common/rss-miniport.js';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import { virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { checkKeywords } from '../../src/config/keywords.js';
import { Configuration } from '../../src/core/runtime/configuration.js';
import { renderJson } from '../../src/inspect/render-json.js';
import { snapshotRuntime } from '../../src/inspect/snapshot.js';
import type { RuntimeSnapshot } from '../../src/inspect/model.js';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_IPV6_EX,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_TCP_IPV6_EX,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_HASH_UDP_IPV6_EX,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX,
  NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_DISABLE_RSS,
  NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisHashFunctionReserved1,
  NdisHashFunctionToeplitz,
  NdisOidRequest,
  OID_GEN_RECEIVE_SCALE_CAPABILITIES,
  OID_GEN_RECEIVE_SCALE_PARAMETERS,
  OID_GEN_SUPPORTED_LIST,
  receiveScaleCapabilitiesCodec,
  receiveScaleParametersCodec,
  supportedListCodec,
  type MiniportAdapterHandle,
  type NdisReceiveScaleParameters,
  type NetBufferList,
  type ProcessorNumber,
} from '../../src/ndis/index.js';
import { arp, ip4, ipv4 } from '../support/frames.js';
import { assertClean, macOf, makeHost, settle, shutdownAll, uniqueWire, type TestHost } from '../support/hosts.js';
import { IPV4_VECTORS, IPV6_VECTORS, MS_KEY, ipv6Frame, ports, tcp4VectorFrame, tcp6VectorFrame, udp4VectorFrame, type RssVector } from '../support/rss.js';

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const TYPES = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6;
const P0: ProcessorNumber = { group: 0, number: 0 };
const table = (n: number, p: ProcessorNumber = P0): ProcessorNumber[] => Array.from({ length: n }, () => p);

/** A revision-3 set: every type but IPv6-EX, Toeplitz, the verification key, a 128-entry table on processor 0. */
function params(p: Partial<NdisReceiveScaleParameters> = {}): NdisReceiveScaleParameters {
  return {
    flags: 0,
    baseCpuNumber: 0,
    hashInformation: TYPES | NdisHashFunctionToeplitz,
    indirectionTable: table(128),
    hashSecretKey: MS_KEY,
    processorMasks: [{ mask: 1n, group: 0 }],
    defaultProcessorNumber: P0,
    ...p,
  };
}

async function setParams(h: TestHost, p: NdisReceiveScaleParameters): Promise<{ status: number; request: NdisOidRequest }> {
  const request = NdisOidRequest.set(receiveScaleParametersCodec, p);
  return { status: await h.raw.endpoint('eth0').oid(request), request };
}

async function queryParams(h: TestHost): Promise<NdisReceiveScaleParameters> {
  const q = NdisOidRequest.query(OID_GEN_RECEIVE_SCALE_PARAMETERS, 1024);
  assert.equal(await h.raw.endpoint('eth0').oid(q), NDIS_STATUS_SUCCESS);
  return q.queryResult(receiveScaleParametersCodec)!;
}

function adapterOf(h: TestHost): VirtualWireAdapter {
  return h.rt.adapter('eth0').instance as VirtualWireAdapter;
}

interface Got {
  frame: Uint8Array;
  hashValue: number;
  hashInfo: number;
}

function record(h: TestHost): Got[] {
  const got: Got[] = [];
  h.raw.endpoint('eth0').receiveHandler = (nbls) => {
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
      const nb = n.firstNetBuffer!;
      const frame = new Uint8Array(nb.dataLength);
      nb.copyOut(frame, 0, 0, nb.dataLength);
      got.push({ frame, hashValue: n.info.hashValue, hashInfo: n.info.hashInfo });
    }
  };
  return got;
}

/** `frame` readdressed to `to` (the builders use fixed MACs; the receiving adapter filters on its own). */
function to(h: TestHost, frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  f.set(macOf(h), 0);
  return f;
}

const ALL_CAPS =
  NdisHashFunctionToeplitz |
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 |
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 |
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX |
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4 |
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6 |
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX;

test('capabilities: Toeplitz over every IPv4, IPv6 and IPv6-EX type, one queue per processor, 128 entries; NDIS answers them from the general attributes', async () => {
  const h = await makeHost({ name: 'A', wire: uniqueWire('rss') });
  const q = NdisOidRequest.query(OID_GEN_RECEIVE_SCALE_CAPABILITIES, 64);
  assert.equal(await h.raw.endpoint('eth0').oid(q), NDIS_STATUS_SUCCESS);
  const caps = { capabilitiesFlags: ALL_CAPS, numberOfInterruptMessages: 1, numberOfReceiveQueues: 1, numberOfIndirectionTableEntries: 128 };
  assert.deepEqual(q.queryResult(receiveScaleCapabilitiesCodec), caps);
  // RecvScaleCapabilities of the general attributes: what protocols find in their bind parameters.
  assert.deepEqual(h.rt.adapter('eth0').general!.recvScaleCapabilities, caps);
  const list = NdisOidRequest.query(OID_GEN_SUPPORTED_LIST, 1024);
  assert.equal(await h.raw.endpoint('eth0').oid(list), NDIS_STATUS_SUCCESS);
  const oids = list.queryResult(supportedListCodec)!;
  assert.ok(oids.includes(OID_GEN_RECEIVE_SCALE_CAPABILITIES) && oids.includes(OID_GEN_RECEIVE_SCALE_PARAMETERS));
  // Before any set RSS is off: hash information 0, no key, no table.
  const before = await queryParams(h);
  assert.deepEqual([before.hashInformation, before.indirectionTable.length, before.hashSecretKey.length], [0, 0, 0]);
  await shutdownAll(h);
  assertClean(h.rt);
});

test('parameters: a set is queried back as it was given; the UNCHANGED flags keep what they name', async () => {
  const h = await makeHost({ name: 'A', wire: uniqueWire('rss') });
  const { status, request } = await setParams(h, params());
  assert.equal(status, NDIS_STATUS_SUCCESS);
  assert.equal(request.bytesRead, request.informationBuffer.length);
  const back = await queryParams(h);
  assert.deepEqual(
    { ...back, hashSecretKey: [...back.hashSecretKey] },
    { ...params({ revision: 3 }), hashSecretKey: [...MS_KEY] },
  );
  // A new table alone: the key and the hash information stay.
  const keep = NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED | NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED | NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED;
  assert.equal((await setParams(h, params({ flags: keep, hashInformation: 0, hashSecretKey: new Uint8Array(0), indirectionTable: table(8) }))).status, NDIS_STATUS_SUCCESS);
  const after = await queryParams(h);
  assert.deepEqual([after.indirectionTable.length, hex(after.hashInformation), [...after.hashSecretKey]], [8, hex(TYPES | NdisHashFunctionToeplitz), [...MS_KEY]]);
  // DISABLE_RSS: off, and the query says so; the key and table are kept for a later UNCHANGED set.
  assert.equal((await setParams(h, params({ flags: NDIS_RSS_PARAM_FLAG_DISABLE_RSS }))).status, NDIS_STATUS_SUCCESS);
  const off = await queryParams(h);
  assert.deepEqual([off.hashInformation, off.indirectionTable.length], [0, 8]);
  assert.equal(adapterOf(h).rss.active, false);
  assert.deepEqual([adapterOf(h).rss.counters.rssParameterSets, adapterOf(h).rss.counters.rssParameterSetsFailed], [3, 0]);
  await shutdownAll(h);
  assertClean(h.rt);
});

test('every bad set is refused with the spec status and leaves the previous settings in force', async () => {
  const h = await makeHost({ name: 'A', wire: uniqueWire('rss') });
  const good = params({ indirectionTable: table(16) });
  assert.equal((await setParams(h, good)).status, NDIS_STATUS_SUCCESS);
  const inForce = await queryParams(h);
  const bad: [string, NdisReceiveScaleParameters, number][] = [
    ['table of 3 entries (not a power of two)', params({ indirectionTable: table(3) }), NDIS_STATUS_INVALID_PARAMETER],
    ['table of 0 entries', params({ indirectionTable: [] }), NDIS_STATUS_INVALID_PARAMETER],
    ['table of 256 entries (above the capability)', params({ indirectionTable: table(256) }), NDIS_STATUS_INVALID_PARAMETER],
    ['39-byte key', params({ hashSecretKey: MS_KEY.subarray(0, 39) }), NDIS_STATUS_INVALID_PARAMETER],
    ['41-byte key', params({ hashSecretKey: Uint8Array.of(...MS_KEY, 1) }), NDIS_STATUS_INVALID_PARAMETER],
    ['no hash type', params({ hashInformation: NdisHashFunctionToeplitz }), NDIS_STATUS_INVALID_PARAMETER],
    ['a type bit that is no NDIS_HASH_* type', params({ hashInformation: 0x00020000 | NDIS_HASH_IPV4 | NdisHashFunctionToeplitz }), NDIS_STATUS_INVALID_PARAMETER],
    ['TCP and UDP without the 2-tuple type', params({ hashInformation: NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NdisHashFunctionToeplitz }), NDIS_STATUS_INVALID_PARAMETER],
    ['a hash function the miniport does not offer', params({ hashInformation: NDIS_HASH_IPV4 | NdisHashFunctionReserved1 }), NDIS_STATUS_NOT_SUPPORTED],
    ['a table entry on processor 1 (the stack has one)', params({ indirectionTable: [...table(15), { group: 0, number: 1 }] }), NDIS_STATUS_INVALID_PARAMETER],
    ['a table entry in group 1', params({ indirectionTable: table(4, { group: 1, number: 0 }) }), NDIS_STATUS_INVALID_PARAMETER],
    ['default processor 1', params({ defaultProcessorNumber: { group: 0, number: 1 } }), NDIS_STATUS_INVALID_PARAMETER],
    ['BaseCpuNumber 2', params({ baseCpuNumber: 2 }), NDIS_STATUS_INVALID_PARAMETER],
  ];
  let failed = 0;
  for (const [what, p, expected] of bad) {
    assert.equal(hex((await setParams(h, p)).status), hex(expected), what);
    failed++;
    const now = await queryParams(h);
    assert.deepEqual({ ...now, hashSecretKey: [...now.hashSecretKey] }, { ...inForce, hashSecretKey: [...inForce.hashSecretKey] }, `${what}: the previous settings stay`);
  }
  // A buffer cut short: INVALID_LENGTH with the bytes it needs.
  const whole = NdisOidRequest.set(receiveScaleParametersCodec, params());
  const cut = NdisOidRequest.setRaw(OID_GEN_RECEIVE_SCALE_PARAMETERS, whole.informationBuffer.subarray(0, whole.informationBuffer.length - 8));
  assert.equal(await h.raw.endpoint('eth0').oid(cut), NDIS_STATUS_INVALID_LENGTH);
  assert.equal(cut.bytesNeeded, whole.informationBuffer.length);
  failed++;
  assert.deepEqual((await queryParams(h)).indirectionTable.length, 16);
  const rss = adapterOf(h).rss;
  assert.deepEqual([rss.counters.rssParameterSets, rss.counters.rssParameterSetsFailed], [1, failed]);
  assert.match(rss.lastSetFailure, /ends at byte/);
  // Capabilities cannot be set.
  const capsSet = NdisOidRequest.set(receiveScaleCapabilitiesCodec, rss.capabilities!);
  assert.notEqual(await h.raw.endpoint('eth0').oid(capsSet), NDIS_STATUS_SUCCESS);
  await shutdownAll(h);
  assertClean(h.rt);
});

test('a hash type the miniport did not advertise is NOT_SUPPORTED (a device that hashes no IPv6-EX)', () => {
  const logged: string[] = [];
  const handle = { log: (_l: string, m: string) => logged.push(m) } as unknown as MiniportAdapterHandle;
  const caps = NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 | NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6;
  const rss = new RssState(handle, new Configuration({}), { hashTypes: caps });
  const set = (hashInformation: number) => rss.handleOid(NdisOidRequest.set(receiveScaleParametersCodec, params({ hashInformation })));
  assert.equal(set(TYPES | NdisHashFunctionToeplitz), NDIS_STATUS_SUCCESS);
  for (const t of [NDIS_HASH_IPV6_EX, NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX, NDIS_HASH_IPV6_EX | NDIS_HASH_UDP_IPV6_EX]) {
    assert.equal(set(t | NdisHashFunctionToeplitz), NDIS_STATUS_NOT_SUPPORTED, hex(t));
  }
  assert.equal(rss.settings.hashInformation, TYPES | NdisHashFunctionToeplitz, 'the accepted set stays in force');
  assert.equal(logged.length, 3);
});

/** The vectors as frames, each with the hash value and the single type the NBL must carry. */
function vectorFrames(): { frame: Uint8Array; value: number; type: number; what: string }[] {
  const out: { frame: Uint8Array; value: number; type: number; what: string }[] = [];
  for (const v of IPV4_VECTORS) {
    out.push({ frame: tcp4VectorFrame(v), value: v.fourTuple, type: NDIS_HASH_TCP_IPV4, what: `TCP ${v.src}` });
    out.push({ frame: udp4VectorFrame(v), value: v.fourTuple, type: NDIS_HASH_UDP_IPV4, what: `UDP ${v.src}` });
    // ICMP: no transport type applies, the 2-tuple does.
    out.push({ frame: ipv4Frame2(v), value: v.twoTuple, type: NDIS_HASH_IPV4, what: `ICMP ${v.src}` });
  }
  for (const v of IPV6_VECTORS) {
    out.push({ frame: tcp6VectorFrame(v), value: v.fourTuple, type: NDIS_HASH_TCP_IPV6, what: `TCP ${v.src}` });
    out.push({ frame: ipv6Frame(v.src, v.dst, [], 17, ports(v.sport, v.dport, 8)), value: v.fourTuple, type: NDIS_HASH_UDP_IPV6, what: `UDP ${v.src}` });
    out.push({ frame: ipv6Frame(v.src, v.dst, [], 58, new Uint8Array(8)), value: v.twoTuple, type: NDIS_HASH_IPV6, what: `ICMPv6 ${v.src}` });
  }
  return out;
}

function ipv4Frame2(v: RssVector): Uint8Array {
  const f = tcp4VectorFrame(v);
  const src = ip4(v.src);
  const dst = ip4(v.dst);
  const packet = ipv4(src, dst, 1, new Uint8Array(8));
  const out = new Uint8Array(14 + packet.length);
  out.set(f.subarray(0, 12), 0);
  out[12] = 0x08;
  out.set(packet, 14);
  return out;
}

test('frames over the wire carry exactly the hash of Microsoft vectors, and the counters reach the inspector JSON', async () => {
  const wire = uniqueWire('rss');
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire });
  const got = record(b);
  // RSS off: no hash, no cost, no counts.
  const frames = vectorFrames();
  assert.ok(a.raw.endpoint('eth0').send(to(b, frames[0]!.frame)));
  await settle();
  assert.deepEqual([got[0]!.hashValue, got[0]!.hashInfo], [0, 0]);
  assert.equal(adapterOf(b).rss.counters.rssQueueFrames[0], 0);
  got.length = 0;

  assert.equal((await setParams(b, params())).status, NDIS_STATUS_SUCCESS);
  for (const f of frames) assert.ok(a.raw.endpoint('eth0').send(to(b, f.frame)));
  const arpFrame = to(b, arp(1, macOf(a), ip4('10.0.0.1'), new Uint8Array(6), ip4('10.0.0.2')));
  assert.ok(a.raw.endpoint('eth0').send(arpFrame));
  await settle();
  assert.equal(got.length, frames.length + 1);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    assert.deepEqual(got[i]!.frame, to(b, f.frame), `${f.what}: the frame byte-exact`);
    assert.deepEqual({ value: hex(got[i]!.hashValue), info: hex(got[i]!.hashInfo) }, { value: hex(f.value), info: hex(f.type | NdisHashFunctionToeplitz) }, f.what);
  }
  assert.deepEqual([got[frames.length]!.hashValue, got[frames.length]!.hashInfo], [0, 0], 'ARP: no hash');

  const json = JSON.parse(renderJson([snapshotRuntime(b.rt)])) as { hosts: RuntimeSnapshot[] };
  const inspect = json.hosts[0]!.adapters[0]!.inspect as Record<string, unknown>;
  assert.deepEqual(
    { hashed: inspect['rssHashed'], noHash: inspect['rssNoHash'], queues: inspect['rssQueueFrames'], sets: inspect['rssParameterSets'] },
    { hashed: frames.length, noHash: 1, queues: [frames.length + 1], sets: 1 },
  );
  assert.deepEqual(inspect['rss'], {
    offered: true,
    enabled: true,
    hashInformation: `0x${(TYPES | NdisHashFunctionToeplitz).toString(16)}`,
    indirectionTableEntries: 128,
    defaultProcessor: 0,
    processors: [0],
    queues: 1,
    profile: 4,
  });

  // IPv6-EX types with a home address: the EX type and the home address's hash.
  got.length = 0;
  const ex = NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_UDP_IPV6_EX;
  assert.equal((await setParams(b, params({ hashInformation: ex | NdisHashFunctionToeplitz, flags: NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED }))).status, NDIS_STATUS_SUCCESS);
  const v = IPV6_VECTORS[0]!;
  assert.ok(a.raw.endpoint('eth0').send(to(b, tcp6VectorFrame(v))));
  await settle();
  assert.deepEqual({ value: hex(got[0]!.hashValue), info: hex(got[0]!.hashInfo) }, { value: hex(v.fourTuple), info: hex(NDIS_HASH_TCP_IPV6_EX | NdisHashFunctionToeplitz) });

  // Off again: no hash.
  got.length = 0;
  assert.equal((await setParams(b, params({ flags: NDIS_RSS_PARAM_FLAG_DISABLE_RSS }))).status, NDIS_STATUS_SUCCESS);
  assert.ok(a.raw.endpoint('eth0').send(to(b, frames[0]!.frame)));
  await settle();
  assert.deepEqual([got[0]!.hashValue, got[0]!.hashInfo], [0, 0]);
  assert.equal(adapterOf(b).rss.counters.rssHashed, frames.length + 1);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('*RSS 0 (in any case): no RSS capability, the RSS OIDs are not supported, frames get no hash', async () => {
  const wire = uniqueWire('rss');
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire, keywords: { '*rss': 0 } });
  assert.equal(b.rt.adapter('eth0').general!.recvScaleCapabilities, undefined);
  const list = NdisOidRequest.query(OID_GEN_SUPPORTED_LIST, 1024);
  assert.equal(await b.raw.endpoint('eth0').oid(list), NDIS_STATUS_SUCCESS);
  const oids = list.queryResult(supportedListCodec)!;
  assert.ok(!oids.includes(OID_GEN_RECEIVE_SCALE_CAPABILITIES) && !oids.includes(OID_GEN_RECEIVE_SCALE_PARAMETERS));
  assert.equal(await b.raw.endpoint('eth0').oid(NdisOidRequest.query(OID_GEN_RECEIVE_SCALE_CAPABILITIES, 64)), NDIS_STATUS_NOT_SUPPORTED);
  assert.equal(await b.raw.endpoint('eth0').oid(NdisOidRequest.query(OID_GEN_RECEIVE_SCALE_PARAMETERS, 1024)), NDIS_STATUS_NOT_SUPPORTED);
  assert.equal((await setParams(b, params())).status, NDIS_STATUS_NOT_SUPPORTED);
  const got = record(b);
  assert.ok(a.raw.endpoint('eth0').send(to(b, tcp4VectorFrame(IPV4_VECTORS[0]!))));
  await settle();
  assert.deepEqual([got.length, got[0]!.hashInfo, adapterOf(b).rss.counters.rssHashed], [1, 0, 0]);
  assert.equal((adapterOf(b).inspect()['rss'] as { offered: boolean }).offered, false);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('the RSS keywords of both spellings configure the built-in miniport', () => {
  const schema = virtualWireMiniport.keywords;
  const given = { '*RSSBaseProcNumber': 0, '*MaxRSSProcessors': 1, '*RssBaseProcNumber': 0 };
  assert.throws(() => checkKeywords('s.yaml', 'k', 'tsndis.virtual-wire', schema, given), /same keyword as '\*RSSBaseProcNumber'/);
  const out = checkKeywords('s.yaml', 'k', 'tsndis.virtual-wire', schema, { '*RSSBaseProcNumber': 0, '*MaxRSSProcessors': 1, '*numrssqueues': 4 });
  assert.deepEqual(out, { '*RssBaseProcNumber': 0, '*MaxRssProcessors': 1, '*NumRSSQueues': 4 });
  const rss = new RssState({ log: () => undefined } as unknown as MiniportAdapterHandle, new Configuration(out, schema));
  assert.deepEqual([rss.keywords.maxProcessors, rss.keywords.numQueues, rss.processors], [1, 4, [0]]);
});
