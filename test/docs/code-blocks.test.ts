/**
 * Every code block in README.md, docs/ and the drivers' READMEs is compiled and run, validated, or
 * checked (test/docs/doc-project.ts says how, per language); a block that cannot run carries a
 * doc-test directive saying why (test/docs/markdown-blocks.ts), and this test lists those blocks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockWhere, documentBlocks, markdownDocuments, testDocument } from './doc-project.js';

const docs = markdownDocuments().filter((d) => documentBlocks(d).length > 0);

test('the documents with code blocks include the README and the guides', () => {
  for (const d of ['README.md', 'docs/writing-a-driver.md', 'docs/config-reference.md', 'docs/tcpip.md']) assert.ok(docs.includes(d), `${d} has no code blocks found`);
});

for (const doc of docs) {
  test(`${doc}: every code block runs or says why not`, { timeout: 10 * 60_000 }, async (t) => {
    const outcomes = await testDocument(doc);
    for (const o of outcomes) {
      if (o.failure === null) t.diagnostic(`${blockWhere(o.block)}: ${o.notRun === null ? 'ran' : `not run — ${o.notRun}`}`);
    }
    const failures = outcomes.filter((o) => o.failure !== null).map((o) => o.failure!);
    assert.deepEqual(failures, []);
  });
}
