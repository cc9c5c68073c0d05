/**
 * The README's library example, as a user runs it: `npm pack` the package, install the tarball into a
 * fresh project outside the repository, write the example (taken from README.md, not a copy) as a
 * .ts file, type-check it with the repository's own tsc against the installed package (strict,
 * NodeNext), run the compiled JavaScript with node and check what it prints — and that it exits by
 * itself. The example may import only 'tsndis' and node: built-ins (no deep import).
 *
 * Needs npm (and the npm registry or its cache for the package's dependencies); skips, saying why,
 * only when npm itself is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** Bound on each step (an install may fetch dependencies from the registry). */
const STEP_MS = 240_000;

function npmSkipReason(): string | null {
  const r = spawnSync('npm', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) return `needs npm on the PATH (${r.error.message})`;
  if (r.status !== 0) return `needs a working npm ('npm --version' exited ${String(r.status)})`;
  return null;
}

/** The first ```ts block of the README's "From code" section. */
function readmeExample(readme: string): string {
  const section = readme.indexOf('\n## From code');
  assert.ok(section >= 0, 'README.md has a "From code" section');
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(m !== null, 'the "From code" section has a ts code block');
  return m[1]!;
}

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: STEP_MS, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  assert.equal(r.error, undefined, `${command} ${args.join(' ')}: ${String(r.error)}`);
  assert.equal(r.status, 0, `${command} ${args.join(' ')} exited ${String(r.status)}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test('the README example imports only tsndis and node: built-ins', () => {
  const example = readmeExample(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const specifiers = [...example.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  assert.ok(specifiers.includes('tsndis'));
  assert.deepEqual(specifiers.filter((s) => s !== 'tsndis' && !s.startsWith('node:')), [], 'no deep import, no other package');
});

test('the README example compiles against the packed package and runs in a fresh project', { skip: npmSkipReason() ?? false, timeout: 5 * STEP_MS }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tsndis-readme-'));
  try {
    const packDir = join(work, 'pack');
    const project = join(work, 'project');
    mkdirSync(packDir);
    run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], ROOT);
    const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball !== undefined, 'npm pack wrote a tarball');

    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-example', version: '1.0.0', private: true, type: 'module' }, null, 2));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(packDir, tarball)], project);

    writeFileSync(join(project, 'demo.ts'), readmeExample(readFileSync(join(ROOT, 'README.md'), 'utf8')));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            types: ['node'],
            // @types/node of the repository: the user's own would do the same.
            typeRoots: [join(ROOT, 'node_modules', '@types')],
            skipLibCheck: true,
            outDir: 'out',
          },
          files: ['demo.ts'],
        },
        null,
        2,
      ),
    );
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], project);

    const r = run(process.execPath, [join('out', 'demo.js')], project);
    assert.equal(r.stdout, 'hello from 198.18.0.2\n');
    assert.equal(r.stderr, '');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
