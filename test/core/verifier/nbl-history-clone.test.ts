/**
 * NBL history records derivations: an NBL cloned (NdisAllocateCloneNetBufferList), fragmented or
 * reassembled shows `cloned-into` with the new NBL in its own history, and the new one starts with
 * `cloned-from` naming its parent — the module that derived it, the other NBL as pool#slot, and how.
 * With history off nothing is recorded and the pools are the plain ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NblHistoryEvent } from '../../../src/core/verifier/nbl-history.js';
import { RecordingNetBufferListPool } from '../../../src/core/verifier/nbl-history.js';
import { allocateFragmentNetBufferList, allocateReassembledNetBufferList, freeFragmentNetBufferList, freeReassembledNetBufferList, type NetBufferList } from '../../../src/ndis/index.js';
import { cloneForwardFilter } from '../../support/clone-forward.js';
import { PEER_MAC, TEST_MAC, seqFrame } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

const MP = 'T/eth0';
const CLONER = 'T/eth0/test.clone-forward';
const BINDING = 'T/eth0<-test.protocol0';

const nameOf = (nbl: NetBufferList): string => `${nbl.home.name}#${nbl.slot}`;
/** `event module[ -> to][ nbl (how)]`, what the tests compare. */
const brief = (events: readonly NblHistoryEvent[] | null | undefined): string[] =>
  (events ?? []).map((e) => `${e.event} ${e.module}${e.to === undefined ? '' : ` -> ${e.to}`}${e.nbl === undefined ? '' : ` ${e.nbl} (${String(e.how)})`}`);

test('a filter that sends clones: the original shows cloned-into, the clone cloned-from, both naming the other NBL', async () => {
  const s = await testStack({ protocols: [{}], extraFilters: [cloneForwardFilter] });
  s.rt.scheduler.advance(5);
  const [parent] = s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  assert.equal(s.binding().completions.length, 1, 'the original completed through the clone');
  const clonePool = [...s.rt.pools].find((p) => p.name === `${CLONER}:clones`)!;
  const clone = `${clonePool.name}#0`;
  const parentEvents = brief(s.rt.nblHistoryOf(parent!));
  const cloned = parentEvents.indexOf(`cloned-into ${CLONER} ${clone} (clone)`);
  assert.ok(cloned > 0, parentEvents.join(' | '));
  assert.ok(parentEvents.indexOf(`sent ${BINDING} -> ${CLONER}`) < cloned, 'cloned after the filter got it');
  assert.ok(parentEvents.findIndex((e) => e.startsWith(`completed ${CLONER} ->`)) > cloned, 'completed after the clone');
  assert.deepEqual(brief(s.rt.nblHistoryByName(clone)), [
    `allocated ${CLONER}`,
    `cloned-from ${CLONER} ${nameOf(parent!)} (clone)`,
    `sent ${CLONER} -> ${MP}`,
    `completed ${MP} -> ${CLONER}`,
    `freed ${CLONER}`,
  ]);
  // A violation about the parent prints the link too (formatNblHistory).
  const v = s.rt.verifier.report('NblChildrenOutstanding', CLONER, 'for the test', parent!);
  assert.match(v.format(), new RegExp(`cloned-into T/eth0/test\\.clone-forward ${clone.replace(/[.#/]/g, '\\$&')} \\(clone\\)`));
  await s.finish(['NblChildrenOutstanding']);
});

test('fragments and reassemblies record their parent the same way', async () => {
  const s = await testStack({ protocols: [{}] });
  const b = s.binding();
  const frags = b.ndis.allocateNetBufferListPool({ name: 'T/frags', capacity: 2, allocateNetBuffer: false });
  const nbs = b.ndis.allocateNetBufferPool({ capacity: 8 });
  const whole = b.ndis.allocateNetBufferListPool({ name: 'T/whole', capacity: 2, allocateNetBuffer: true });
  const [parent] = b.allocate([seqFrame(PEER_MAC, TEST_MAC, 1, 200)]);
  const frag = allocateFragmentNetBufferList(parent!, frags, nbs, 0, 64, 0, 0)!;
  const re = allocateReassembledNetBufferList(frag, whole, 0, 0, 0)!;
  assert.deepEqual(brief(s.rt.nblHistoryOf(parent!)).slice(-1), [`cloned-into ${BINDING} T/frags#0 (fragment)`]);
  assert.deepEqual(brief(s.rt.nblHistoryOf(frag)), [`allocated ${BINDING}`, `cloned-from ${BINDING} ${nameOf(parent!)} (fragment)`, `cloned-into ${BINDING} T/whole#0 (reassembly)`]);
  assert.deepEqual(brief(s.rt.nblHistoryOf(re)), [`allocated ${BINDING}`, `cloned-from ${BINDING} T/frags#0 (reassembly)`]);
  assert.ok(freeReassembledNetBufferList(re, 0));
  assert.ok(freeFragmentNetBufferList(frag, 0));
  b.ndis.freeNetBufferListPool(frags);
  b.ndis.freeNetBufferListPool(whole);
  b.ndis.freeNetBufferPool(nbs);
  parent!.home.free(parent!);
  await s.finish();
});

test('with history off a clone is recorded nowhere and the pools are plain', async () => {
  const s = await testStack({ protocols: [{}], extraFilters: [cloneForwardFilter], nblHistory: false });
  const [parent] = s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  assert.equal(s.binding().completions.length, 1);
  assert.equal(s.rt.nblHistoryOf(parent!), null);
  assert.equal(s.rt.nblHistoryByName(`${CLONER}:clones#0`), null);
  assert.ok([...s.rt.pools].every((p) => !(p instanceof RecordingNetBufferListPool)));
  await s.finish();
});
