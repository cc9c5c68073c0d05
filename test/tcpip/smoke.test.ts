import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finish, pair, pump, pumpUntil } from './helpers.js';

test('smoke: ping v4 and v6 between two hosts', async () => {
  const { a, b } = await pair();
  const r4 = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  console.log(r4, a.ip.stack.snapshot());
  assert.equal(r4.received, 1);
  await pump([a, b], 1500);
  const r6 = await pumpUntil([a, b], a.ip.stack.ping('fd00::2'));
  console.log(r6);
  assert.equal(r6.received, 1);
  await finish(a, b);
});
