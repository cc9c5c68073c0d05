#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's own test runner (spec reporter) and ends
// with one summary line, "N passed, N failed, N skipped", which CI reads. Extra arguments filter files by
// substring; `--exclude <substring>` (repeatable) leaves files out; `--root <dir>` runs the *.test.js
// files under another directory (the runner's own test).
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
if (rootAt >= 0 && (args[rootAt + 1] === undefined || args[rootAt + 1].startsWith('--'))) {
  console.error('error: --root needs a directory');
  process.exit(2);
}
const root = rootAt >= 0 ? resolve(args.splice(rootAt, 2)[1]) : new URL('../dist/test/', import.meta.url).pathname;
const excludes = [];
for (let i = args.indexOf('--exclude'); i >= 0; i = args.indexOf('--exclude')) {
  if (args[i + 1] === undefined || args[i + 1].startsWith('--')) {
    console.error('error: --exclude needs a substring');
    process.exit(2);
  }
  excludes.push(args.splice(i, 2)[1]);
}
const filters = args;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(root).filter((f) => {
  const rel = relative(root, f);
  return (filters.length === 0 || filters.some((s) => rel.includes(s))) && !excludes.some((s) => rel.includes(s));
});
if (files.length === 0) {
  console.error(`no test files under ${root}${filters.length ? ` matching ${filters.join(', ')}` : ''}${excludes.length ? ` outside ${excludes.join(', ')}` : ''}`);
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const stream = run({ files, concurrency: 2, timeout: 10 * 60 * 1000 });
// node:test reports a skipped test (t.skip() or { skip }) as a pass with `skip` set: count it apart, so
// that tests skipped for want of root or a tool never read as passed.
stream.on('test:pass', (e) => {
  if (e.details?.type === 'suite') return;
  if (e.skip !== undefined && e.skip !== false) skipped++;
  else passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type !== 'suite') failed++;
});
stream.compose(spec).pipe(process.stdout);
stream.on('end', () => {
  // Let the reporter flush before the summary line.
  setImmediate(() => {
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.exitCode = failed > 0 ? 1 : 0;
  });
});
