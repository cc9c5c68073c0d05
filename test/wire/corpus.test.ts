/**
 * The wire corpus on disk (test/fuzz/corpus/wire/) against its sources: the synthetic frames must
 * equal their builders in corpus.ts (run with TSNDIS_WRITE_CORPUS=1 to rewrite them), the README
 * must list every file, and `describeFrame` must print what test/wire/golden/describe.txt says for
 * every frame (TSNDIS_UPDATE_GOLDEN=1 rewrites it after a deliberate change of the output).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { describeFrame } from '../../src/wire/index.js';
import { syntheticCorpus } from './corpus.js';
import { CORPUS_DIR, assertBytes, corpusFrame, corpusNames } from './helpers.js';

const GOLDEN = fileURLToPath(new URL('../../../test/wire/golden/describe.txt', import.meta.url));

test('corpus: every synthetic frame is on disk, byte for byte', () => {
  for (const { name, bytes } of syntheticCorpus()) {
    const path = join(CORPUS_DIR, `${name}.bin`);
    if (process.env['TSNDIS_WRITE_CORPUS'] === '1') writeFileSync(path, bytes);
    assert.ok(existsSync(path), `${name}.bin is missing (TSNDIS_WRITE_CORPUS=1 writes it)`);
    assertBytes(corpusFrame(name), bytes, name);
  }
});

test('corpus: the README names every frame, and every frame it names exists', () => {
  const readme = readFileSync(join(CORPUS_DIR, 'README.md'), 'utf8');
  const listed = [...readme.matchAll(/`([\w.-]+)\.bin`/g)].map((m) => m[1]!).sort();
  assert.deepEqual(listed, corpusNames());
});

test('corpus: describeFrame prints the golden text for every frame', () => {
  const text = corpusNames()
    .map((name) => {
      const f = corpusFrame(name);
      return [`# ${name}.bin (${String(f.length)} bytes)`, ...describeFrame(f, 0, f.length), ''].join('\n');
    })
    .join('\n');
  if (process.env['TSNDIS_UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, 'utf8'));
});
