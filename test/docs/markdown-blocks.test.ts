/**
 * The documentation harness itself: it finds every fenced block with its directive, and it fails a
 * block that does not compile, throws, fails its own tests, does not load as a stack description, is
 * not in the file it claims to be a fragment of, names a command option that does not exist, or has no
 * language and no directive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSynopsisLine, testDocument } from './doc-project.js';
import { DocBlockError, codeBlocks, missingFragmentLine } from './markdown-blocks.js';

const md = (...parts: string[]): string => parts.join('\n');
const fence = (info: string, ...lines: string[]): string => md(`\`\`\`${info}`, ...lines, '```');

test('codeBlocks: fences, languages, directives, file names and lines', () => {
  const text = md(
    '# Title',
    '',
    fence('ts', '// my-driver.ts', 'export const x = 1;'),
    '',
    '<!-- doc-test: skip (needs root) -->',
    '',
    fence('sh', 'sudo ip link'),
    '<!-- doc-test: file tsconfig.json -->',
    fence('json', '{}'),
    '  ~~~~yaml',
    '  # stack.yaml',
    '  hosts: {}',
    '  ~~~~',
    fence(''),
  );
  const blocks = codeBlocks('x.md', text);
  assert.deepEqual(
    blocks.map((b) => [b.line, b.lang, b.file, b.directive]),
    [
      [3, 'ts', 'my-driver.ts', null],
      [10, 'sh', null, { kind: 'skip', reason: 'needs root' }],
      [14, 'json', 'tsconfig.json', { kind: 'file', name: 'tsconfig.json' }],
      [17, 'yaml', 'stack.yaml', null],
      [21, '', null, null],
    ],
  );
  assert.equal(blocks[0]!.code, '// my-driver.ts\nexport const x = 1;\n');
  assert.equal(blocks[3]!.code, '# stack.yaml\nhosts: {}\n');
});

test('codeBlocks: malformed directives and unclosed fences are errors naming the line', () => {
  assert.throws(() => codeBlocks('x.md', md('<!-- doc-test: skip -->', fence('sh', 'x'))), (e: unknown) => e instanceof DocBlockError && /x\.md:1: .*needs a reason/.test(e.message));
  assert.throws(() => codeBlocks('x.md', md('<!-- doc-test: maybe -->', fence('sh', 'x'))), /x\.md:1: unknown doc-test directive 'maybe'/);
  assert.throws(() => codeBlocks('x.md', md('<!-- doc-test: synopsis -->', 'text between', fence('sh', 'x'))), /x\.md:1: doc-test directive is not directly above a code block/);
  assert.throws(() => codeBlocks('x.md', md('```ts', 'let a = 1;')), /x\.md:1: code block is never closed/);
  // A directive shown inside a block is an example of one, not a directive.
  assert.equal(codeBlocks('x.md', fence('text', '<!-- doc-test: skip why -->', 'prose')).length, 1);
});

test('missingFragmentLine: every non-blank line, in order', () => {
  const whole = md('a: 1', 'b:', '  - c', 'd: 2');
  assert.equal(missingFragmentLine(md('b:', '', '    - c'), whole), null);
  assert.equal(missingFragmentLine(md('d: 2', 'a: 1'), whole), 'a: 1');
  assert.equal(missingFragmentLine('e: 3', whole), 'e: 3');
});

test('checkSynopsisLine: commands and options against --help', () => {
  assert.deepEqual(checkSynopsisLine('npx tsndis stack show --config examples/two-hosts.yaml [--json]   # comment --nope'), []);
  assert.deepEqual(checkSynopsisLine('tsndis stack show --jsn'), ['tsndis stack show: option --jsn is not in `tsndis stack show --help`']);
  assert.match(checkSynopsisLine('tsndis stak show')[0]!, /'stak' is not a tsndis command/);
  assert.deepEqual(checkSynopsisLine('npm run no-such-script'), ["npm script 'no-such-script' is not in package.json"]);
  assert.match(checkSynopsisLine('curl http://x/')[0]!, /must be a tsndis or npm command/);
});

test('testDocument: a failing block fails, with the document line; text and skips are listed', { timeout: 5 * 60_000 }, async () => {
  const doc = md(
    fence('ts', '// ok.ts', "import { NDIS_STATUS_SUCCESS } from 'tsndis';", 'if (NDIS_STATUS_SUCCESS !== 0) process.exit(3);'),
    fence('ts', "import { test } from 'node:test';", "import assert from 'node:assert/strict';", "test('fails', () => assert.equal(1, 2));"),
    fence('ts', 'const n: number = "one";', 'console.log(n);'),
    fence('yaml', 'hosts:', '  h: { adapters: { eth0: { driver: tsndis.nope } } }'),
    fence('sh', 'sleep 30 &', 'tsndis stack show --config examples/two-hosts.yaml --json > /tmp/out.json', 'grep -q hostB /tmp/out.json', 'exit 7'),
    fence('text', 'a diagram'),
    '<!-- doc-test: skip not for machines -->',
    fence('sh', 'rm -rf /'),
    '<!-- doc-test: fragment-of ok.ts -->',
    fence('ts', "import { NDIS_STATUS_SUCCESS } from 'tsndis';", 'process.exit(0);'),
    fence('', 'untagged'),
    fence('python', 'print(1)'),
  );
  const outcomes = await testDocument('x.md', codeBlocks('x.md', doc));
  const [ok, failingTest, typeError, yaml, sh, text, skipped, fragment, untagged, python] = outcomes;
  assert.equal(outcomes.length, 10);
  // The type error fails every TypeScript block of the document (they compile together); the first
  // one reports it, at its document line.
  assert.match(ok!.failure!, /tsc failed[\s\S]*x\.md:12:7 \(block-11\.ts\): error TS2322/);
  for (const o of [failingTest, typeError]) assert.match(o!.failure!, /not run, the document's TypeScript does not compile/);
  assert.match(yaml!.failure!, /unknown driver 'tsndis\.nope'/);
  assert.match(sh!.failure!, /x\.md:19 \(sh\): not run, the document's TypeScript does not compile/);
  assert.equal(text!.notRun, 'text (diagram, listing or output)');
  assert.equal(skipped!.notRun, 'skipped: not for machines');
  assert.match(fragment!.failure!, /fragment-of ok\.ts: this line is not in ok\.ts \(in order\): process\.exit\(0\);/);
  assert.match(untagged!.failure!, /without a language/);
  assert.match(python!.failure!, /no runner for language 'python'/);

  // Without the type error, the passing blocks pass and the failing node:test test fails its block.
  const fixed = await testDocument('y.md', codeBlocks('y.md', doc.replace('const n: number = "one";', 'const n: number = 1;')));
  assert.deepEqual(fixed.slice(0, 3).map((o) => o.failure?.split('\n')[0] ?? null), [null, 'y.md:6 (ts) failed (exit 1):', null]);
  assert.match(fixed[1]!.failure!, /^✖ fails \(/m);
  // The script got past tsndis and grep (its /tmp/ is private), and its background `sleep 30` did not hold it.
  assert.match(fixed[4]!.failure!, /y\.md:19 \(sh\) failed \(exit 7\)/);
});
