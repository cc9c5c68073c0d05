/**
 * What `npm pack` puts in the published tarball (read from `npm pack --dry-run --json`, scripts off so
 * nothing is rebuilt under the running tests): the compiled library with its declarations, the bin, the
 * sources its source maps name, README, LICENSE and docs — and no tests, CI scripts, benchmarks or build
 * info.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface PackedFile {
  path: string;
}

async function packedFiles(): Promise<Set<string>> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, timeout: 60_000, maxBuffer: 32 << 20 }, (err, out, stderr) => {
      if (err !== null) reject(new Error(`npm pack --dry-run failed: ${err.message}\n${stderr}`));
      else resolve(out);
    });
  });
  const result = JSON.parse(stdout) as { files: PackedFile[] }[];
  assert.equal(result.length, 1, 'one package');
  return new Set(result[0]!.files.map((f) => f.path));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [relative(ROOT, p)];
  });
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  license: string;
  bin: Record<string, string>;
  exports: Record<string, string>;
};

const packed = await packedFiles();
const strip = (p: string): string => p.replace(/^\.\//, '');

test('the tarball has no tests, CI scripts, benchmarks or build info', () => {
  const unwanted = [...packed].filter(
    (p) => /^(test|dist\/test|bench|dist\/bench|\.ci|scripts)\//.test(p) || p.endsWith('.tsbuildinfo') || p.endsWith('.test.js') || p.endsWith('.test.ts'),
  );
  assert.deepEqual(unwanted, []);
});

test('the tarball has what bin and exports point at, with declarations', () => {
  for (const target of Object.values(pkg.bin)) assert.ok(packed.has(strip(target)), `bin ${target}`);
  for (const target of Object.values(pkg.exports)) {
    assert.ok(packed.has(strip(target)), `export ${target}`);
    assert.ok(packed.has(strip(target).replace(/\.js$/, '.d.ts')), `declarations of ${target}`);
  }
  assert.ok(packed.has('dist/src/index.js') && packed.has('dist/src/index.d.ts'));
  assert.ok(packed.has('dist/src/cli/main.js'));
});

test('the tarball has every file of the compiled library and the sources its source maps name', () => {
  const missing = filesUnder(join(ROOT, 'dist', 'src')).filter((p) => !packed.has(p));
  assert.deepEqual(missing, []);
  const mapped = JSON.parse(readFileSync(join(ROOT, 'dist', 'src', 'index.js.map'), 'utf8')) as { sources: string[] };
  for (const source of mapped.sources) assert.ok(packed.has(relative(ROOT, join(ROOT, 'dist', 'src', source))), `source ${source}`);
});

test('the tarball has README, LICENSE (the license package.json names) and the docs', () => {
  for (const f of ['package.json', 'README.md', 'LICENSE', 'docs/architecture.md', 'docs/writing-a-driver.md']) assert.ok(packed.has(f), f);
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.equal(pkg.license, 'MIT');
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} the tsndis authors\n/);
});
