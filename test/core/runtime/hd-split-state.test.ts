/**
 * NDIS's side of header-data split (src/core/runtime/hd-split-state.ts): the attributes' outputs and
 * checks, and making split frames contiguous in place for receivers that do not take them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HdSplitState } from '../../../src/core/runtime/hd-split-state.js';
import { HdSplitter } from '../../../src/drivers/common/hd-split.js';
import {
  BufferAllocator,
  HD_SPLIT_BACKFILL_SIZE,
  HD_SPLIT_MAX_HEADER_SIZE,
  NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT,
  NDIS_NBL_FLAGS_HD_SPLIT,
  NDIS_NBL_FLAGS_IS_IPV4,
  NDIS_NBL_FLAGS_IS_TCP,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NetBufferListPool,
  type MiniportHdSplitAttributes,
} from '../../../src/ndis/index.js';
import { eth, ipv4, tcp, TS_OPTION } from '../../support/hds-frames.js';

const attrs = (hw: number, cur: number): MiniportHdSplitAttributes => ({ hardwareCapabilities: hw, currentCapabilities: cur, hdSplitFlags: 0, backfillSize: 0, maxHeaderSize: 0 });

test('setAttributes: NDIS writes its outputs; current capabilities outside the hardware ones are refused', () => {
  const s = new HdSplitState();
  const a = attrs(0x7, 0x3);
  assert.equal(s.setAttributes(a), NDIS_STATUS_SUCCESS);
  assert.deepEqual([a.hdSplitFlags, a.backfillSize, a.maxHeaderSize], [NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT, HD_SPLIT_BACKFILL_SIZE, HD_SPLIT_MAX_HEADER_SIZE]);
  assert.deepEqual(s.config, { hardwareCapabilities: 7, currentCapabilities: 3, hdSplitFlags: 1, hdSplitCombineFlags: 0, backfillSize: 128, maxHeaderSize: 128 });
  const off = attrs(0x7, 0);
  assert.equal(new HdSplitState().setAttributes(off), NDIS_STATUS_SUCCESS);
  assert.equal(off.hdSplitFlags, 0);
  assert.equal(new HdSplitState().setAttributes(attrs(0x1, 0x3)), NDIS_STATUS_INVALID_PARAMETER);
  assert.equal(new HdSplitState().setAttributes(attrs(-1, 0)), NDIS_STATUS_INVALID_PARAMETER);
  assert.equal(new HdSplitState().setAttributes(null as never), NDIS_STATUS_INVALID_PARAMETER);
});

test('combineChain: a split frame becomes one MDL over the data buffer, byte-exact, split flags cleared; pool free restores', () => {
  const pool = new NetBufferListPool({ name: 'rx', capacity: 2, dataSize: 2048 }, new BufferAllocator());
  const frame = eth(Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 2), 0x0800, ipv4(6, tcp(TS_OPTION, 700)));
  const nbl = pool.allocate()!;
  const nb = nbl.firstNetBuffer!;
  const m = nb.poolMdl!;
  m.bytes.set(frame, m.byteOffset + 200);
  const splitter = new HdSplitter(2, 128, 128);
  assert.ok(splitter.split(nbl, m.bytes, m.byteOffset, m.byteOffset + 200, frame.length));
  // Overwrite the frame's header bytes in the slot: the rebuilt frame must take them from the header MDL.
  m.bytes.fill(0xee, m.byteOffset + 200, m.byteOffset + 266);
  const s = new HdSplitState();
  s.setAttributes(attrs(1, 1));
  s.combineChain(nbl);
  assert.equal(s.combined, 1);
  assert.equal(nb.currentMdl!.next, null);
  const out = new Uint8Array(frame.length);
  assert.equal(nb.copyOut(out, 0, 0, frame.length), frame.length);
  assert.deepEqual(out, frame);
  assert.equal(nb.currentMdl!.bytes, m.bytes, 'the payload did not move');
  assert.equal(nbl.nblFlags, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP);
  assert.equal(nbl.nblFlags & NDIS_NBL_FLAGS_HD_SPLIT, 0);
  pool.free(nbl);
  assert.equal(nb.mdlChain, m);
});

test('combineChain: a header longer than BackfillSize is left split and counted', () => {
  const pool = new NetBufferListPool({ name: 'rx', capacity: 2, dataSize: 2048 }, new BufferAllocator());
  const frame = eth(Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 2), 0x0800, ipv4(6, tcp(TS_OPTION, 100)));
  const nbl = pool.allocate()!;
  const m = nbl.firstNetBuffer!.poolMdl!;
  m.bytes.set(frame, m.byteOffset + 200);
  assert.ok(new HdSplitter(2, 128, 0).split(nbl, m.bytes, m.byteOffset, m.byteOffset + 200, frame.length));
  const s = new HdSplitState();
  s.statusIndicated({ hardwareCapabilities: 1, currentCapabilities: 1, hdSplitFlags: 1, hdSplitCombineFlags: 0, backfillSize: 32, maxHeaderSize: 128 });
  s.combineChain(nbl);
  assert.equal(s.notCombined, 1);
  assert.notEqual(nbl.nblFlags & NDIS_NBL_FLAGS_HD_SPLIT, 0);
  pool.free(nbl);
});
