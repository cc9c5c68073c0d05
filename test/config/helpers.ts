/**
 * Helpers for config tests: parse inline YAML as `stack.yaml`, expect a ConfigError at a key path, and
 * write driver-module fixtures into a temporary directory (module drivers are loaded from files).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStackConfig, type StackDescription } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

export const FILE = 'stack.yaml';

/** The repository root (tests run from dist/test/config/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples');

/** A fresh directory for driver modules and config files of one test file, removed when the process exits. */
export function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-config-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFixture(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function parse(yaml: string, baseDir = ROOT): Promise<StackDescription> {
  return parseStackConfig(yaml, FILE, baseDir);
}

/** Asserts `yaml` is rejected with a ConfigError for `stack.yaml` at `keyPath`, detail matching `detail`. */
export async function expectConfigError(yaml: string, keyPath: string, detail: RegExp, baseDir = ROOT): Promise<ConfigError> {
  let caught: unknown;
  try {
    await parse(yaml, baseDir);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.file, FILE);
  assert.equal(caught.keyPath, keyPath, `key path of: ${caught.message}`);
  assert.ok(caught.message.startsWith(keyPath === '' ? `${FILE}: ` : `${FILE}: ${keyPath}: `), caught.message);
  assert.match(caught.detail, detail);
  return caught;
}

/** A filter-module class body every fixture filter shares (pass-through, NDIS values inlined). */
export const FILTER_MODULE_JS = `
export class Module {
  constructor(ndis) { this.ndis = ndis; }
  attach() { return 0; }
  detach() {}
  pause() { return 0; }
  restart() { return 0; }
}
`;
