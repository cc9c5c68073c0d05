/**
 * What `tsndis verify` checks: a driver given by service name (a built-in, so CI can run the battery
 * against every one) or by module path (loaded exactly as a config's `drivers:` entry loads it, by the
 * config loader itself, so the same export and registration rules apply), and its kind — from its
 * characteristics, or `kind` when given (which must agree with them).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeStackConfig } from '../config/loader.js';
import { BUILTIN_DRIVERS } from '../drivers/builtin.js';
import type { ConfigValue, DriverCharacteristics } from '../ndis/driver-api.js';

export type VerifyKind = 'miniport' | 'filter' | 'protocol' | 'intermediate';
export const VERIFY_KINDS: readonly VerifyKind[] = ['miniport', 'filter', 'protocol', 'intermediate'];

/** The driver under test, ready to be put into prepared stacks. */
export interface VerifySubject {
  /** The driver's service name (characteristics `name`). */
  readonly name: string;
  readonly kind: VerifyKind;
  /** 'builtin', or the absolute path of the module it came from. */
  readonly source: 'builtin' | string;
  readonly characteristics: DriverCharacteristics;
}

/** A usage mistake (unknown driver, a module that is not a driver, a kind that does not match): exit 2. */
export class VerifyUsageError extends Error {
  readonly code = 'TSNDIS_CONFIG_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VerifyUsageError';
  }
}

function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || /\.(c|m)?js$/.test(spec);
}

/**
 * Resolves `spec` (a built-in service name or a module path, relative to `baseDir`) to the driver under
 * test. A module exporting several drivers is narrowed by `kind`; more than one left is refused (name
 * the kind). Rejects with VerifyUsageError.
 */
export async function loadVerifySubject(spec: string, kind?: VerifyKind, baseDir = process.cwd()): Promise<VerifySubject> {
  if (kind !== undefined && !VERIFY_KINDS.includes(kind)) throw new VerifyUsageError(`--kind must be one of ${VERIFY_KINDS.join(', ')}, got '${String(kind)}'`);
  let found: { characteristics: DriverCharacteristics; source: string }[];
  const builtin = BUILTIN_DRIVERS.get(spec);
  if (builtin !== undefined && !looksLikePath(spec)) {
    found = [{ characteristics: builtin().characteristics, source: 'builtin' }];
  } else {
    const path = resolve(baseDir, spec);
    if (!looksLikePath(spec) && !existsSync(path)) {
      throw new VerifyUsageError(`'${spec}' is neither a built-in driver (${[...BUILTIN_DRIVERS.keys()].join(', ')}) nor a driver module file`);
    }
    // The config loader imports and validates the module; a one-adapter host makes the config complete.
    const config = {
      drivers: [path],
      wires: { w: {} },
      hosts: { verify: { adapters: { eth0: { driver: 'tsndis.virtual-wire', keywords: { Wire: 'w' } } } } },
    };
    try {
      const d = await describeStackConfig(config, spec, baseDir);
      found = d.modules.flatMap((m) => m.characteristics.map((c) => ({ characteristics: c, source: m.path })));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new VerifyUsageError(msg.replace(/^.*?: drivers\[0\]: /, ''), { cause: e });
    }
  }
  const matching = kind === undefined ? found : found.filter((f) => f.characteristics.kind === kind);
  if (matching.length === 0) {
    throw new VerifyUsageError(`'${spec}' has no ${kind ?? ''} driver (it exports: ${found.map((f) => `${f.characteristics.name} (${f.characteristics.kind})`).join(', ')})`);
  }
  if (matching.length > 1) {
    throw new VerifyUsageError(`'${spec}' exports several drivers (${matching.map((f) => `${f.characteristics.name} (${f.characteristics.kind})`).join(', ')}): choose one with --kind`);
  }
  const m = matching[0]!;
  return { name: m.characteristics.name, kind: m.characteristics.kind, source: m.source, characteristics: m.characteristics };
}

/** Keywords given on the command line (`--keyword K=V`) for the driver under test. */
export type VerifyKeywords = Record<string, ConfigValue>;
