/**
 * The walkthroughs of docs/writing-a-driver.md test what they claim: each walkthrough's own test (the
 * block the reader saves and runs) fails when its driver is changed in a way the text says matters.
 * (code-blocks.test.ts compiles and runs every block as written, and they pass.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocProject, documentBlocks } from './doc-project.js';
import type { CodeBlock } from './markdown-blocks.js';

const DOC = 'docs/writing-a-driver.md';
const TIMEOUT = { timeout: 5 * 60_000 };

/** The walkthrough test: the TypeScript block that holds node:test tests of `driverName`. */
function testBlockOf(blocks: readonly CodeBlock[], driverName: string): CodeBlock {
  const found = blocks.filter((b) => b.lang === 'ts' && b.code.includes("from 'node:test'") && b.code.includes(driverName));
  assert.equal(found.length, 1, `one test block for ${driverName} in ${DOC}`);
  return found[0]!;
}

/**
 * Saves the document's files with `from` replaced by `to` in `file` (where it must occur once), compiles
 * them and runs the walkthrough test of `driverName`. Returns null when the test passed, else its output.
 */
async function runWalkthroughTest(driverName: string, file?: string, from?: string, to?: string): Promise<string | null> {
  const blocks = documentBlocks(DOC);
  const test = testBlockOf(blocks, driverName);
  if (file !== undefined) {
    const block = blocks.find((b) => b.file === file);
    assert.ok(block !== undefined, `${DOC} has a block saved as ${file}`);
    assert.equal(block.code.split(from!).length, 2, `${file} contains, once: ${from}`);
  }
  const project = new DocProject(DOC, blocks, (name, text) => (name === file ? text.replace(from!, to!) : text));
  try {
    const compileError = await project.compile();
    assert.equal(compileError, null, 'the edited walkthrough still compiles');
    return await project.run(test);
  } finally {
    project.dispose();
  }
}

const DROP = 'example.drop';
const ETHERTYPE_READ = 'const type = (nb.byteAt(12) << 8) | nb.byteAt(13);';

test('drop filter walkthrough: its test fails for a filter that compares only the low byte of the EtherType', TIMEOUT, async () => {
  const out = await runWalkthroughTest(DROP, 'my-drop-filter.ts', ETHERTYPE_READ, 'const type = (this.etherType & 0xff00) | nb.byteAt(13);');
  assert.notEqual(out, null, 'the walkthrough test passed although the filter ignores byte 12');
});

test('drop filter walkthrough: its test fails for a filter that compares only the high byte of the EtherType', TIMEOUT, async () => {
  const out = await runWalkthroughTest(DROP, 'my-drop-filter.ts', ETHERTYPE_READ, 'const type = (nb.byteAt(12) << 8) | (this.etherType & 0xff);');
  assert.notEqual(out, null, 'the walkthrough test passed although the filter ignores byte 13');
});

const MIRROR = 'example.mirror';

test('mirror miniport walkthrough: its test fails for a miniport that does not swap the addresses', TIMEOUT, async () => {
  assert.notEqual(await runWalkthroughTest(MIRROR, 'mirror-miniport.ts', 'f[i] = f[6 + i]!;', 'f[i] = d;'), null);
});

test('mirror miniport walkthrough: its test fails for a miniport that ignores the packet filter', TIMEOUT, async () => {
  assert.notEqual(await runWalkthroughTest(MIRROR, 'mirror-miniport.ts', 'const cls = filterAccepts(this.#eth.packetFilter, this.#mac, this.#eth.multicast, f, 0);', 'const cls = 0;'), null);
});

const RESPONDER = 'example.responder';

test('responder protocol walkthrough: its test fails for a protocol that answers every EtherType', TIMEOUT, async () => {
  assert.notEqual(await runWalkthroughTest(RESPONDER, 'responder-protocol.ts', 'type !== this.etherType || ', ''), null);
});

test('responder protocol walkthrough: its test fails for replies that keep the requester as source', TIMEOUT, async () => {
  assert.notEqual(await runWalkthroughTest(RESPONDER, 'responder-protocol.ts', 'f.set(this.#mac, 6);', ''), null);
});

test('responder protocol walkthrough: its test fails for replies not marked as replies', TIMEOUT, async () => {
  assert.notEqual(await runWalkthroughTest(RESPONDER, 'responder-protocol.ts', 'f[14] = REPLY;', ''), null);
});
