/**
 * Stack config loading: YAML text → shape check (schema.ts) → module drivers imported → meaning checks
 * (validate.ts) → StackDescription. Every failure is a ConfigError naming the file and the key path
 * (or the line, for YAML syntax errors); nothing is started until all of it passed.
 *
 * Module drivers (`drivers:`) are plain ES modules, resolved against the config file's directory and
 * loaded with `import()`. A module exports its characteristics as the default export, or as `driver`
 * (one) or `drivers` (an array); the first of those present is used. Each is checked with the runtime's
 * own registration rules (mandatory handlers, NDIS version, duplicate names) before any host exists.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { validateDriver, type RegisteredDriver } from '../core/runtime/registry.js';
import { BUILTIN_DRIVERS } from '../drivers/builtin.js';
import { ConfigError, RegistrationError } from '../errors.js';
import type { DriverCharacteristics } from '../ndis/driver-api.js';
import type { ModuleDriverDescription, StackDescription } from './description.js';
import { joinKeyPath } from './key-path.js';
import { checkShape } from './schema.js';
import { Validator } from './validate.js';

/** Aliases expanded beyond this many are refused (YAML "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** Parses YAML into plain data; syntax errors become ConfigErrors with line and column. */
function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, logLevel: 'silent' });
  const err = doc.errors[0];
  if (err !== undefined) {
    const pos = err.linePos?.[0];
    const where = pos === undefined ? '' : `line ${pos.line}, column ${pos.col}: `;
    const what = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(file, '', `${where}YAML syntax error: ${err.code === 'DUPLICATE_KEY' ? 'duplicate key (map keys must be unique)' : what}`, { cause: err });
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError(file, '', `YAML error: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

const KINDS = new Set(['miniport', 'filter', 'protocol', 'intermediate']);

function looksLikeCharacteristics(v: unknown): v is DriverCharacteristics {
  return typeof v === 'object' && v !== null && KINDS.has((v as { kind?: unknown }).kind as string) && typeof (v as { name?: unknown }).name === 'string';
}

/** The characteristics a driver module exports (default, then `driver`, then `drivers`). */
function exportedCharacteristics(mod: Record<string, unknown>): { found: unknown[]; from: string } | null {
  for (const name of ['default', 'driver', 'drivers']) {
    const v = mod[name];
    if (v === undefined || v === null) continue;
    return { found: Array.isArray(v) ? v : [v], from: name === 'default' ? 'the default export' : `export '${name}'` };
  }
  return null;
}

async function loadModules(
  file: string,
  baseDir: string,
  specs: readonly string[],
  registered: Map<string, RegisteredDriver>,
): Promise<ModuleDriverDescription[]> {
  const out: ModuleDriverDescription[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const keyPath = joinKeyPath('drivers', i);
    const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
    const earlier = out.find((m) => m.path === path);
    if (earlier !== undefined) throw new ConfigError(file, keyPath, `'${spec}' is already loaded by ${earlier.keyPath}`);
    if (!existsSync(path)) throw new ConfigError(file, keyPath, `cannot find driver module '${spec}' (looked for ${path})`);
    if (!statSync(path).isFile()) throw new ConfigError(file, keyPath, `driver module '${spec}' is not a file (${path})`);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(file, keyPath, `cannot load driver module '${spec}': ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { cause: e });
    }
    const exported = exportedCharacteristics(mod);
    if (exported === null || exported.found.length === 0) {
      throw new ConfigError(file, keyPath, `'${spec}' does not export driver characteristics (expected a default export, or an export named 'driver' or 'drivers', holding DriverCharacteristics or an array of them)`);
    }
    const characteristics: DriverCharacteristics[] = [];
    exported.found.forEach((c, j) => {
      const which = exported.found.length > 1 ? `${exported.from}[${j}]` : exported.from;
      if (!looksLikeCharacteristics(c)) {
        throw new ConfigError(file, keyPath, `'${spec}': ${which} is not driver characteristics (needs \`kind\`: miniport, filter, protocol or intermediate, and a \`name\`)`);
      }
      try {
        registered.set(c.name, validateDriver(c, registered, registered.size));
      } catch (e) {
        if (e instanceof RegistrationError) throw new ConfigError(file, keyPath, `'${spec}': ${e.message}`, { cause: e });
        throw new ConfigError(file, keyPath, `'${spec}': invalid characteristics in ${which}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      characteristics.push(c);
    });
    out.push({ specifier: spec, path, keyPath, characteristics });
  }
  return out;
}

/**
 * Validates a stack config given as text. `fileName` is used in error messages; module paths are
 * resolved against `baseDir`. Rejects with ConfigError only.
 */
export async function parseStackConfig(text: string, fileName: string, baseDir: string): Promise<StackDescription> {
  if (typeof text !== 'string') throw new TypeError('parseStackConfig: text must be a string');
  return describeStackConfig(parseYaml(text, fileName), fileName, baseDir);
}

/**
 * Validates a stack config given as data (what its YAML would parse to, e.g. a StackConfig written in
 * code), exactly as `parseStackConfig` validates text. Rejects with ConfigError only.
 */
export async function describeStackConfig(data: unknown, fileName: string, baseDir: string): Promise<StackDescription> {
  const raw = checkShape(fileName, data);

  const registered = new Map<string, RegisteredDriver>();
  const drivers = new Map<string, DriverCharacteristics>();
  for (const [name, factory] of BUILTIN_DRIVERS) {
    const chars = factory().characteristics;
    registered.set(name, validateDriver(chars, registered, registered.size));
    drivers.set(name, chars);
  }
  const modules = await loadModules(fileName, resolve(baseDir), raw.drivers ?? [], registered);
  const moduleDriverNames = new Set<string>();
  for (const m of modules) {
    for (const c of m.characteristics) {
      drivers.set(c.name, c);
      moduleDriverNames.add(c.name);
    }
  }

  const v = new Validator(fileName, drivers, [...moduleDriverNames], baseDir);
  const wires = v.wires(raw.wires);
  const hosts = Object.entries(raw.hosts).map(([name, h]) => v.host(name, h));
  if (hosts.length === 0) throw new ConfigError(fileName, 'hosts', 'no hosts are configured');
  v.targets(hosts);
  return { file: fileName, baseDir: resolve(baseDir), wires, modules, hosts, drivers, moduleDriverNames };
}

/** Reads and validates a stack config file. Rejects with ConfigError only. */
export async function loadStackConfig(file: string): Promise<StackDescription> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : e instanceof Error ? e.message : String(e);
    throw new ConfigError(file, '', `cannot read the config file: ${why}`, { cause: e });
  }
  return parseStackConfig(text, file, dirname(resolve(file)));
}
