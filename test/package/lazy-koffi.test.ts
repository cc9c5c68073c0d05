/**
 * koffi (the native FFI) is loaded only by the code that needs it: the TAP miniport's libc calls and
 * its libuv poll reader. A program that imports the package and builds stacks on a virtual wire never
 * loads it, so it runs where koffi cannot load (no prebuilt binary for the platform, a locked-down
 * runtime). Checked in a child process, by package name, in two independent ways: the CommonJS module
 * cache (koffi is CommonJS, whether imported or required) and the shared objects mapped into the
 * process (/proc/self/maps lists koffi's native library once it is loaded). A control run loads libc
 * through the TAP code's own loader and must see koffi both ways, so the check can fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const CHILD = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildStacks, parseStackConfig } from 'tsndis';

const YAML = \`
wires:
  lan: { link: up }
hosts:
  hostA:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan, NetworkAddress: 02-00-00-00-00-0a }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24] } }]
  hostB:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan, NetworkAddress: 02-00-00-00-00-0b }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.2/24] } }]
\`;

const require = createRequire(import.meta.url);
const koffi = () => ({
  modules: Object.keys(require.cache).filter((k) => k.includes('koffi')).length,
  mapped: readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('koffi')).length,
});

const stacks = await buildStacks(await parseStackConfig(YAML, 'two-hosts.yaml', process.cwd()));
const hosts = [...stacks.hosts.keys()];
const afterBuild = koffi();
await stacks.shutdown();
if (process.env.TSNDIS_TEST_LOAD_LIBC === '1') {
  const { libc } = await import('./dist/src/io/tun/libc.js');
  libc();
}
console.log(JSON.stringify({ hosts, afterBuild, atEnd: koffi() }));
`;

interface Report {
  hosts: string[];
  afterBuild: { modules: number; mapped: number };
  atEnd: { modules: number; mapped: number };
}

function child(loadLibc: boolean): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD],
      { cwd: ROOT, timeout: 30_000, env: { ...process.env, TSNDIS_TEST_LOAD_LIBC: loadLibc ? '1' : '0' } },
      (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`child failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Report);
      },
    );
  });
}

test("import 'tsndis' and a two-host virtual-wire stack load no koffi", { timeout: 60_000 }, async () => {
  const r = await child(false);
  assert.deepEqual(r.hosts, ['hostA', 'hostB']);
  assert.deepEqual(r.afterBuild, { modules: 0, mapped: 0 });
  assert.deepEqual(r.atEnd, { modules: 0, mapped: 0 });
});

test('control: the TAP code loading libc does load koffi, and both checks see it', { timeout: 60_000 }, async () => {
  const r = await child(true);
  assert.deepEqual(r.afterBuild, { modules: 0, mapped: 0 });
  assert.ok(r.atEnd.modules > 0, 'koffi in the module cache');
  assert.ok(r.atEnd.mapped > 0, "koffi's native library mapped");
});
