/**
 * tsndis.impairment replays: the same seed and the same frames give the same decisions (which sequence
 * numbers were dropped, duplicated, held back), run after run; another seed gives others; and the send
 * and receive generators are distinct streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImpairmentDirectionName } from '../../src/drivers/filter/impairment/index.js';
import { assertClean, settle, uniqueWire } from '../support/hosts.js';
import { SeqRecorder, SeqSender, VirtualWire, analyse, impairedPair } from '../support/impairment.js';

const FRAMES = 20_000;

interface Decisions {
  dropped: number[];
  duplicated: number[];
  late: number[];
}

/** Streams FRAMES frames through loss, duplication and reordering seeded with `seed` (keyword Seed). */
async function decisions(direction: ImpairmentDirectionName, seed: number): Promise<Decisions> {
  const wire = uniqueWire('imp-replay');
  const prefix = direction === 'send' ? 'Send' : 'Receive';
  const keywords = { Seed: seed, [`${prefix}LossPercent`]: '5', [`${prefix}DuplicatePercent`]: '3', [`${prefix}ReorderPercent`]: '2', [`${prefix}CorruptPercent`]: '0' };
  const { a, b } = await impairedPair(wire, direction === 'send' ? { keywords } : {}, direction === 'receive' ? { keywords } : {});
  const impaired = direction === 'send' ? a : b;
  const rec = new SeqRecorder(b.ep);
  const sender = new SeqSender(a.ep, b.mac, a.mac);
  for (let seq = 0, batch = 1; seq < FRAMES; seq += 64, batch++) {
    sender.send(seq, Math.min(64, FRAMES - seq));
    if (batch % 8 === 0) await settle(1);
  }
  await settle();
  await impaired.rt.scheduler.advanceAsync(impaired.filter.params(direction).reorderMaxHoldMs);
  await settle();
  const r = analyse(rec.arrivals, FRAMES);
  await a.rt.shutdown();
  await b.rt.shutdown();
  assertClean(a.rt);
  assertClean(b.rt);
  VirtualWire.release(wire);
  return { dropped: r.lost, duplicated: r.duplicated, late: r.late };
}

for (const direction of ['send', 'receive'] as const) {
  test(`impairment (${direction}): the same seed replays the same drops, duplicates and reorders`, async () => {
    const first = await decisions(direction, 42);
    const again = await decisions(direction, 42);
    assert.ok(first.dropped.length > 0 && first.duplicated.length > 0 && first.late.length > 0, 'every impairment happened');
    assert.deepEqual(again, first);
  });

  test(`impairment (${direction}): another seed makes other decisions`, async () => {
    const first = await decisions(direction, 42);
    const other = await decisions(direction, 43);
    assert.notDeepEqual(other.dropped, first.dropped);
    assert.notDeepEqual(other.duplicated, first.duplicated);
    assert.notDeepEqual(other.late, first.late);
  });
}

test('impairment: send and receive draw from distinct streams of one seed', async () => {
  const send = await decisions('send', 7);
  const receive = await decisions('receive', 7);
  assert.notDeepEqual(send.dropped, receive.dropped);
});
