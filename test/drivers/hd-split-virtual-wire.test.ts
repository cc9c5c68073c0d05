/**
 * Header-data split on the virtual wire, through NDIS: frames sent by another host arrive at a protocol
 * that takes split frames with the layout the rules give (byte-exact header/data MDL lengths, NblFlags,
 * BackfillSize of backfill before the data); a protocol without `headerDataSplit` sees the same frames
 * contiguous (NDIS combined them); OID_GEN_HD_SPLIT_PARAMETERS with COMBINE_ALL_HEADERS stops the split
 * and OID_GEN_HD_SPLIT_CURRENT_CONFIG / NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG say so; bad sets get the
 * spec's status.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { countersFilter } from '../../src/drivers/filter/counters/index.js';
import {
  HD_SPLIT_BACKFILL_SIZE,
  HD_SPLIT_MAX_HEADER_SIZE,
  NDIS_HD_SPLIT_COMBINE_ALL_HEADERS,
  NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT,
  NDIS_NBL_FLAGS_HD_SPLIT as HDS,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER as AT_HDR,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD as AT_PAY,
  NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  OID_GEN_HD_SPLIT_CURRENT_CONFIG,
  OID_GEN_HD_SPLIT_PARAMETERS,
  hdSplitCurrentConfigCodec,
  hdSplitParametersCodec,
  type NetBufferList,
  type ProtocolBindingHandle,
} from '../../src/ndis/index.js';
import { assertClean, macOf, makeHost, settle, shutdownAll, uniqueWire, VirtualWire } from '../support/hosts.js';
import { TestBinding, TestProtocolDriver } from '../support/test-drivers.js';
import { TS_OPTION, eth, hdsCases, ipv4, tcp } from '../support/hds-frames.js';

interface Layout {
  lengths: number[];
  bytes: Uint8Array;
  flags: number;
  backfill: number;
}

/** A binding that records each received NB's MDL layout before the usual handling. */
class LayoutBinding extends TestBinding {
  readonly layouts: Layout[] = [];
  override receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer!;
      const lengths: number[] = [];
      const out: number[] = [];
      let left = nb.dataLength;
      let skip = nb.currentMdlOffset;
      for (let m = nb.currentMdl; m !== null && left > 0; m = m.next) {
        const n = Math.min(m.byteCount - skip, left);
        lengths.push(n);
        out.push(...m.bytes.subarray(m.byteOffset + skip, m.byteOffset + skip + n));
        left -= n;
        skip = 0;
      }
      const data = nb.currentMdl?.next ?? null;
      this.layouts.push({ lengths, bytes: Uint8Array.from(out), flags: nbl.nblFlags, backfill: data === null ? -1 : data.byteOffset });
    }
    super.receiveNetBufferLists(nbls, portNumber, count, receiveFlags);
  }
}

function protocol(name: string, takesSplit: boolean): TestProtocolDriver {
  const d = new TestProtocolDriver({ name, bindingClass: LayoutBinding as unknown as new (h: ProtocolBindingHandle, d: TestProtocolDriver) => TestBinding });
  (d as { characteristics: unknown }).characteristics = { ...d.characteristics, headerDataSplit: takesSplit };
  return d;
}

async function splitHost(wire: string, protocols: TestProtocolDriver[], filter = false): Promise<NdisRuntime> {
  const rt = NdisRuntime.forTest({ name: 'B', verifier: { enabled: true } });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(countersFilter);
  for (const p of protocols) rt.registerDriver(p.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, '*HeaderDataSplit': 1 } });
  if (filter) await rt.attachFilter('eth0', 'tsndis.counters');
  for (const p of protocols) await rt.bindProtocol('eth0', p.characteristics.name);
  await rt.startAdapter('eth0');
  return rt;
}

test('virtual wire *HeaderDataSplit: split layout per rule, NDIS combines for a protocol without headerDataSplit, COMBINE_ALL_HEADERS stops it', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  const aware = protocol('test.hds', true);
  const plain = protocol('test.plain', false);
  const rt = await splitHost(wire, [aware]);
  const b = macOf({ rt } as never);
  const src = macOf(a);
  const cases: [string, Uint8Array, readonly number[], number][] = [
    ...hdsCases(b, src).map((c) => [c.name, c.frame, c.lengths, c.flags] as [string, Uint8Array, readonly number[], number]),
    ['tiny IPv4', eth(b, src, 0x0800, [0x45, 0, 0, 20]), [18], 0],
  ];
  for (const [, f] of cases) assert.ok(a.raw.endpoint('eth0').send(f));
  await settle();
  const got = (aware.binding() as LayoutBinding).layouts;
  assert.equal(got.length, cases.length);
  for (let i = 0; i < cases.length; i++) {
    const [name, f, lengths, flags] = cases[i]!;
    assert.deepEqual(got[i]!.lengths, lengths, name);
    assert.deepEqual(got[i]!.bytes, f, name);
    assert.equal(got[i]!.flags, flags, name);
    if (flags !== 0) assert.ok(got[i]!.backfill >= HD_SPLIT_BACKFILL_SIZE + lengths[0]!, `${name}: backfill ${got[i]!.backfill}`);
  }
  const binding = aware.binding();
  const cfg = binding.bindParameters!.hdSplitCurrentConfig!;
  assert.equal(cfg.hdSplitFlags, NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT);
  assert.equal(cfg.backfillSize, HD_SPLIT_BACKFILL_SIZE);
  assert.equal(cfg.maxHeaderSize, HD_SPLIT_MAX_HEADER_SIZE);

  // Bad sets: short buffer (INVALID_LENGTH, BytesNeeded 8), unknown combine flag (INVALID_PARAMETER).
  const short = NdisOidRequest.setRaw(OID_GEN_HD_SPLIT_PARAMETERS, new Uint8Array(4));
  assert.equal(binding.ndis.oidRequest(short), NDIS_STATUS_INVALID_LENGTH);
  assert.equal(short.bytesNeeded, 8);
  assert.equal(binding.ndis.oidRequest(NdisOidRequest.set(hdSplitParametersCodec, { hdSplitCombineFlags: 2 })), NDIS_STATUS_INVALID_PARAMETER);

  // COMBINE_ALL_HEADERS: no more split frames; the query and the status indication say so.
  assert.equal(binding.ndis.oidRequest(NdisOidRequest.set(hdSplitParametersCodec, { hdSplitCombineFlags: NDIS_HD_SPLIT_COMBINE_ALL_HEADERS })), NDIS_STATUS_SUCCESS);
  const st = binding.statuses.find((s) => s.statusCode === NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG);
  assert.ok(st !== undefined, 'NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG indicated');
  assert.equal((st.statusBuffer as { hdSplitCombineFlags: number }).hdSplitCombineFlags, NDIS_HD_SPLIT_COMBINE_ALL_HEADERS);
  const q = NdisOidRequest.query(OID_GEN_HD_SPLIT_CURRENT_CONFIG, 28);
  assert.equal(binding.ndis.oidRequest(q), NDIS_STATUS_SUCCESS);
  assert.equal(q.queryResult(hdSplitCurrentConfigCodec)!.hdSplitCombineFlags, NDIS_HD_SPLIT_COMBINE_ALL_HEADERS);
  got.length = 0;
  assert.ok(a.raw.endpoint('eth0').send(cases[0]![1]));
  await settle();
  assert.deepEqual(got.map((l) => [l.lengths, l.flags]), [[[1054], 0]]);
  const snap = (rt.adapter('eth0').instance as unknown as { inspect(): { hdSplit: { splitFrames: number; active: boolean; notSplitNonIp: number; notSplitMalformed: number; notSplitNoData: number; notSplitUnrecognised: number } } }).inspect().hdSplit;
  assert.equal(snap.splitFrames, 7);
  assert.equal(snap.notSplitNonIp + snap.notSplitMalformed + snap.notSplitNoData + snap.notSplitUnrecognised, 4);
  assert.equal(snap.active, false);
  await shutdownAll(a, { rt } as never);
  assertClean(a.rt);
  assertClean(rt);

  // A protocol without headerDataSplit bound beside one with it: NDIS makes the frames contiguous.
  const wire2 = uniqueWire();
  const a2 = await makeHost({ name: 'A', wire: wire2 });
  const aware2 = protocol('test.hds', true);
  const rt2 = await splitHost(wire2, [aware2, plain]);
  const b2 = macOf({ rt: rt2 } as never);
  const f = eth(b2, macOf(a2), 0x0800, ipv4(6, tcp(TS_OPTION, 1000)));
  assert.ok(a2.raw.endpoint('eth0').send(f));
  await settle();
  for (const p of [aware2, plain]) {
    const l = (p.binding() as LayoutBinding).layouts;
    assert.deepEqual(l.map((x) => [x.lengths, x.flags & (HDS | AT_HDR | AT_PAY)]), [[[f.length], 0]], p.characteristics.name);
    assert.deepEqual(l[0]!.bytes, f);
  }
  assert.equal(plain.binding().bindParameters!.hdSplitCurrentConfig, null);
  assert.equal(rt2.adapter('eth0').hdSplit.combined, 1);
  await shutdownAll(a2, { rt: rt2 } as never);
  assertClean(a2.rt);
  assertClean(rt2);
  VirtualWire.release(wire);
  VirtualWire.release(wire2);
});

test('virtual wire *HeaderDataSplit: a filter without headerDataSplit in the stack → NDIS combines before it', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  const aware = protocol('test.hds', true);
  const rt = await splitHost(wire, [aware], true);
  const f = eth(macOf({ rt } as never), macOf(a), 0x0800, ipv4(17, [0, 1, 0, 2, 0, 108, 0, 0, ...new Array<number>(100).fill(9)]));
  assert.ok(a.raw.endpoint('eth0').send(f));
  await settle();
  const l = (aware.binding() as LayoutBinding).layouts;
  assert.deepEqual(l.map((x) => [x.lengths, x.flags & (HDS | AT_HDR | AT_PAY)]), [[[f.length], 0]]);
  assert.deepEqual(l[0]!.bytes, f);
  assert.equal(rt.adapter('eth0').hdSplit.combined, 1);
  await shutdownAll(a, { rt } as never);
  assertClean(a.rt);
  assertClean(rt);
  VirtualWire.release(wire);
});
