/**
 * The standardized RSS keywords (offload digest §10): the schema's ranges and enumerations as the config
 * loader enforces them, their reading with defaults for absent or out-of-range values, and the
 * processors they select.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinKeyPath } from '../../src/config/key-path.js';
import { checkKeywords } from '../../src/config/keywords.js';
import { Configuration } from '../../src/core/runtime/configuration.js';
import {
  NdisRssProfileClosestProcessor,
  NdisRssProfileNumaStatic,
  STANDARD_RSS_KEYWORDS,
  rssKeywordSettings,
  rssProcessors,
  standardRssKeywords,
} from '../../src/drivers/common/rss-keywords.js';
import { ConfigError } from '../../src/errors.js';

const check = (given: Record<string, string | number>, schema = STANDARD_RSS_KEYWORDS) => checkKeywords('stack.yaml', 'hosts.h.adapters.eth0.keywords', 'x.miniport', schema, given);

test('the config loader takes the §10 values of each RSS keyword', () => {
  assert.deepEqual(check({ '*RSS': '0', '*NumRSSQueues': 16, '*RssBaseProcNumber': '0x3f', '*MaxRssProcessors': 2048, '*RSSProfile': 5 }), {
    '*RSS': 0,
    '*NumRSSQueues': 16,
    '*RssBaseProcNumber': 63,
    '*MaxRssProcessors': 2048,
    '*RSSProfile': 5,
  });
});

test('the config loader refuses values outside the §10 ranges and enumerations, at the keyword', () => {
  for (const [keyword, value, problem] of [
    ['*RSS', 2, /2 is not one of 0, 1/],
    ['*NumRSSQueues', 0, /0 is out of range 1\.\.16/],
    ['*NumRSSQueues', 17, /17 is out of range 1\.\.16/],
    ['*RssBaseProcNumber', 64, /64 is out of range 0\.\.63/],
    ['*MaxRssProcessors', 0, /out of range 1\.\.2048/],
    ['*MaxRssProcessors', 2049, /out of range 1\.\.2048/],
    ['*RSSProfile', 0, /0 is not one of 1, 2, 3, 4, 5/],
    ['*RSSProfile', 6, /6 is not one of/],
  ] as const) {
    assert.throws(
      () => check({ [keyword]: value }),
      (e: unknown) => e instanceof ConfigError && e.keyPath === joinKeyPath('hosts.h.adapters.eth0.keywords', keyword) && problem.test(e.message),
      `${keyword}: ${value}`,
    );
  }
});

test('standardized (*) keywords are registry values: any case names the declared keyword, in the config loader and when read', () => {
  // The spelling and the spec's, and any other case, all name the declared keyword.
  assert.deepEqual(check({ '*RSSBaseProcNumber': 1, '*MaxRSSProcessors': '4', '*rss': 0, '*numrssqueues': 2, '*RssProfile': 1 }), {
    '*RssBaseProcNumber': 1,
    '*MaxRssProcessors': 4,
    '*RSS': 0,
    '*NumRSSQueues': 2,
    '*RSSProfile': 1,
  });
  // The value is still checked, and reported at the keyword as written.
  assert.throws(
    () => check({ '*RSSBaseProcNumber': 64 }),
    (e: unknown) => e instanceof ConfigError && e.keyPath === joinKeyPath('hosts.h.adapters.eth0.keywords', '*RSSBaseProcNumber') && /64 is out of range 0\.\.63/.test(e.message),
  );
  // One keyword given twice under two spellings is ambiguous.
  assert.throws(() => check({ '*RSS': 1, '*rss': 0 }), /keyword '\*rss' .*same keyword as '\*RSS'/);
  // Reading ignores case too, for drivers configured from code.
  const read = rssKeywordSettings(new Configuration({ '*RSSBaseProcNumber': 3, '*MaxRSSProcessors': 5, '*rss': 0 }, STANDARD_RSS_KEYWORDS));
  assert.deepEqual([read.baseProcNumber, read.maxProcessors, read.enabled], [3, 5, false]);
  const c = new Configuration({ '*numrssqueues': 2 }, STANDARD_RSS_KEYWORDS);
  assert.deepEqual([c.read('*NumRSSQueues'), c.read('*NUMRSSQUEUES'), c.readInt('*NumRssQueues', 9)], [2, 2, 2]);
});

test('keywords without the star keep their exact spelling: another case is a near miss the loader names', () => {
  const schema = { ...STANDARD_RSS_KEYWORDS, Queues: { type: 'int', description: 'q', default: 1, min: 1, max: 16 } } as const;
  assert.throws(() => check({ queues: 2 }, schema), /unknown keyword 'queues'.*did you mean 'Queues'/);
  assert.equal(new Configuration({ queues: 2 }, schema).readInt('Queues', 1), 1);
  // a star keyword no driver declares is unknown, whatever its case
  assert.throws(() => check({ '*RSSX': 1 }), /unknown keyword '\*RSSX'/);
});

test('a device with fewer queues narrows *NumRSSQueues and sets its defaults', () => {
  const schema = standardRssKeywords({ maxQueues: 4, defaultMaxProcessors: 2 });
  assert.throws(() => check({ '*NumRSSQueues': 5 }, schema), /out of range 1\.\.4/);
  assert.deepEqual(rssKeywordSettings(new Configuration({}, schema), { maxQueues: 4, defaultMaxProcessors: 2 }), {
    enabled: true,
    numQueues: 4,
    baseProcNumber: 0,
    maxProcessors: 2,
    profile: NdisRssProfileNumaStatic,
  });
});

test('reading: the configured values, else the defaults; out-of-range or fractional values read as the default', () => {
  assert.deepEqual(rssKeywordSettings(new Configuration({})), { enabled: true, numQueues: 16, baseProcNumber: 0, maxProcessors: 16, profile: NdisRssProfileNumaStatic });
  assert.deepEqual(rssKeywordSettings(new Configuration({ '*RSS': 0, '*NumRSSQueues': '2', '*RssBaseProcNumber': 1, '*MaxRssProcessors': 3, '*RSSProfile': 1 })), {
    enabled: false,
    numQueues: 2,
    baseProcNumber: 1,
    maxProcessors: 3,
    profile: NdisRssProfileClosestProcessor,
  });
  assert.deepEqual(rssKeywordSettings(new Configuration({ '*RSS': 7, '*NumRSSQueues': 99, '*RssBaseProcNumber': -1, '*MaxRssProcessors': 1.5, '*RSSProfile': 'x' })), {
    enabled: true,
    numQueues: 16,
    baseProcNumber: 0,
    maxProcessors: 16,
    profile: NdisRssProfileNumaStatic,
  });
});

test('the processors RSS may use: from the base, bounded by queues, *MaxRssProcessors and the stack', () => {
  const s = rssKeywordSettings(new Configuration({}));
  assert.deepEqual(rssProcessors(s, 1), [0]);
  assert.deepEqual(rssProcessors(s, 4), [0, 1, 2, 3]);
  assert.deepEqual(rssProcessors({ ...s, baseProcNumber: 2 }, 4), [2, 3]);
  assert.deepEqual(rssProcessors({ ...s, baseProcNumber: 1, numQueues: 2 }, 8), [1, 2]);
  assert.deepEqual(rssProcessors({ ...s, maxProcessors: 3 }, 8), [0, 1, 2]);
  assert.deepEqual(rssProcessors({ ...s, baseProcNumber: 9 }, 2), [0, 1], 'a base beyond the stack starts at 0');
  assert.deepEqual(rssProcessors({ ...s, enabled: false }, 4), []);
});
