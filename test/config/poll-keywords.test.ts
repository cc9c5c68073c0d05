/**
 * The TAP miniport's poll-mode keywords through the config loader: `PollMode` takes off | on | adaptive
 * (default off) and `PollBudgetUs` an integer from 1 to 100 000 (default 50); anything else is a
 * ConfigError naming the keyword's key path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectConfigError, parse } from './helpers.js';

const tap = (keywords: string): string => `hosts:\n  h:\n    adapters:\n      eth0: { driver: tsndis.tap, keywords: ${keywords} }\n`;
const KW = 'hosts.h.adapters.eth0.keywords';

test('tsndis.tap PollMode and PollBudgetUs: good values load, bad ones are ConfigErrors at their key path', async () => {
  for (const mode of ['off', 'on', 'adaptive']) {
    const ok = await parse(tap(`{ PollMode: ${mode}, PollBudgetUs: 200 }`));
    assert.equal(ok.hosts[0]!.adapters[0]!.keywords['PollMode'], mode);
    assert.equal(ok.hosts[0]!.adapters[0]!.keywords['PollBudgetUs'], 200);
  }
  await expectConfigError(tap('{ PollMode: busy }'), `${KW}.PollMode`, /busy/);
  await expectConfigError(tap('{ PollMode: 1 }'), `${KW}.PollMode`, /PollMode/);
  await expectConfigError(tap('{ PollBudgetUs: 0 }'), `${KW}.PollBudgetUs`, /PollBudgetUs/);
  await expectConfigError(tap('{ PollBudgetUs: 100001 }'), `${KW}.PollBudgetUs`, /PollBudgetUs/);
  await expectConfigError(tap('{ PollBudgetUs: 12.5 }'), `${KW}.PollBudgetUs`, /PollBudgetUs/);
  await expectConfigError(tap("{ PollBudgetUs: 'fast' }"), `${KW}.PollBudgetUs`, /PollBudgetUs/);
});
