/**
 * The layering rules of docs/architecture.md, enforced on the source: drivers see NDIS only through
 * src/ndis (plus shared driver helpers and utilities), src/ndis depends on nothing above it, and the
 * runtime core never reaches into drivers, config, inspection or the CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of `file`, as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'"]*from\s+'(\.[^']+)'/g)) out.push(relative(root, resolve(dirname(file), m[1]!)));
  for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) out.push(relative(root, resolve(dirname(file), m[1]!)));
  return out;
}

function violations(fromDir: string, allowed: (target: string, file: string) => boolean): string[] {
  const bad: string[] = [];
  for (const f of files(join(root, fromDir))) {
    for (const target of importsOf(f)) if (!allowed(target, f)) bad.push(`${relative(root, f)} imports ${target}`);
  }
  return bad;
}

const under = (target: string, ...dirs: string[]): boolean => dirs.some((d) => target === d || target.startsWith(`${d}/`));

test('drivers import only src/ndis, src/wire, src/util, src/io (OS edges), shared driver helpers and other drivers', () => {
  const bad = violations('drivers', (t, f) => under(t, 'ndis', 'util', 'io', 'wire', 'drivers') || (f.endsWith('builtin.ts') && under(t, 'drivers')));
  assert.deepEqual(bad, []);
});

test('src/ndis depends on nothing above it', () => {
  assert.deepEqual(violations('ndis', (t) => under(t, 'ndis', 'errors.js')), []);
});

test('src/io (OS edges) depends only on itself, src/util and the error types', () => {
  assert.deepEqual(violations('io', (t) => under(t, 'io', 'util', 'errors.js')), []);
});

test('the runtime core never imports drivers, config, inspection or the CLI', () => {
  assert.deepEqual(violations('core', (t) => under(t, 'core', 'ndis', 'errors.js', 'util')), []);
});

test('src/wire (header views, Reprs, checksums) imports only src/wire', () => {
  assert.deepEqual(violations('wire', (t) => under(t, 'wire')), []);
});

test('src/wire imports no packages and no Node built-ins either (it runs anywhere a Uint8Array does)', () => {
  const bare = files(join(root, 'wire')).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/(?:import|export)[^'"]*from\s+'([^.][^']*)'|import\(\s*'([^.][^']*)'\s*\)/g)].map((m) => `${relative(root, f)} imports ${m[1] ?? m[2]!}`),
  );
  assert.deepEqual(bare, []);
});

test('the source tree has files to check (the scan is not vacuous)', () => {
  assert.ok(files(join(root, 'drivers')).length > 5);
  assert.ok(importsOf(join(root, 'drivers/miniport/virtual-wire/adapter.ts')).some((t) => t.startsWith('ndis/')));
  assert.ok(importsOf(join(root, 'wire/index.ts')).includes('wire/tcp.js'));
});
