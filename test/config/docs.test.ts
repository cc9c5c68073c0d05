/** docs/config-reference.md stays in step with the built-in drivers: every driver and keyword is documented. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILTIN_DRIVERS } from '../../src/drivers/builtin.js';
import { ROOT } from './helpers.js';

test('config reference documents every built-in driver and keyword', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'config-reference.md'), 'utf8');
  for (const [name, factory] of BUILTIN_DRIVERS) {
    const c = factory().characteristics;
    const start = doc.indexOf(`### ${name} (`);
    assert.ok(start >= 0, `no section for ${name}`);
    const end = doc.indexOf('\n### ', start + 1);
    const section = doc.slice(start, end < 0 ? undefined : end);
    const keywords = c.kind === 'intermediate' ? { ...c.miniport.keywords, ...c.protocol.keywords } : (c.keywords ?? {});
    for (const k of Object.keys(keywords)) assert.ok(section.includes(`\`${k}\``), `${name}: keyword ${k} is not documented`);
  }
});
