/**
 * Keyword checking against a driver's INF-like keyword schema (`characteristics.keywords`, the
 * `Ndi\params` analogue): unknown keywords, wrong types, values outside min/max or the enum, and missing
 * required keywords are ConfigErrors. Accepted values are normalized to the schema's type (an `int`
 * given as "0x0b" becomes 11, a single string for a `multi` becomes a one-element list), so drivers read
 * exactly what the config meant. Then each keyword's own `check` (if the driver declares one) runs on the
 * value the driver will read, the configured one or else the default, so what only the driver knows (an
 * address that does not parse, a wire no one defined) is also a ConfigError before anything starts.
 *
 * Standardized keywords (`*` names) are matched without regard to case, as registry value names are
 * (keyword-names.ts), and come out under their declared spelling; other keywords must match exactly.
 */
import { ConfigError } from '../errors.js';
import type { ConfigValue, KeywordCheckContext, KeywordDefinition, KeywordSchema } from '../ndis/driver-api.js';
import { declaredKeyword } from '../ndis/keyword-names.js';
import { joinKeyPath } from './key-path.js';

const INT_LITERAL = /^[+-]?(0x[0-9a-f]+|\d+)$/i;
const MAC = /^[0-9a-f]{12}$/i;

export interface KeywordCheckOptions {
  /** Keywords the engine sets itself (an intermediate's UpperBindings); configuring them is an error. */
  readonly implicit?: readonly string[];
  /** Required keywords the engine supplies, so their absence is not an error. */
  readonly supplied?: readonly string[];
  /** Passed to the keywords' `check` functions; without it they are not run. */
  readonly context?: KeywordCheckContext;
}

/**
 * Runs `def.check` on `value` (each entry of a list); throws a ConfigError at the keyword (and entry).
 * A check that throws is a driver bug, reported as such rather than as the user's mistake.
 */
function runCheck(file: string, keyPath: string, driverName: string, keyword: string, def: KeywordDefinition, value: ConfigValue, given: boolean, context: KeywordCheckContext): void {
  const check = def.check;
  if (check === undefined) return;
  const entries: readonly [ConfigValue, number | null][] = Array.isArray(value) ? value.map((v, i) => [v, i]) : [[value as ConfigValue, null]];
  for (const [v, i] of entries) {
    let problem: string | undefined;
    try {
      problem = check(v, context);
    } catch (e) {
      problem = `the driver's check of this keyword failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (problem === undefined) continue;
    if (!given) throw new ConfigError(file, keyPath, `keyword '${keyword}' of driver '${driverName}' is not set; its default ${show(v)} does not fit: ${problem}`);
    const at = i === null ? joinKeyPath(keyPath, keyword) : joinKeyPath(keyPath, keyword, i);
    throw new ConfigError(file, at, `keyword '${keyword}' of driver '${driverName}': ${problem}`);
  }
}

function toInt(v: ConfigValue): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v === 'string' && INT_LITERAL.test(v.trim())) {
    const t = v.trim();
    const neg = t.startsWith('-');
    const body = t.replace(/^[+-]/, '');
    const n = body.toLowerCase().startsWith('0x') ? parseInt(body.slice(2), 16) : parseInt(body, 10);
    return Number.isSafeInteger(n) ? (neg ? -n : n) : null;
  }
  return null;
}

function show(v: ConfigValue): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v);
}

/** Checks one value; returns the normalized value or a problem description. */
function checkValue(keyword: string, def: KeywordDefinition, v: ConfigValue): { value: ConfigValue } | { problem: string } {
  switch (def.type) {
    case 'int': {
      const n = toInt(v);
      if (n === null) return { problem: `expected an integer, got ${show(v)}` };
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        return { problem: `${n} is out of range ${def.min ?? '-∞'}..${def.max ?? '∞'}` };
      }
      return { value: n };
    }
    case 'enum': {
      const allowed = def.values ?? [];
      for (const a of allowed) {
        if (a === v) return { value: a };
        if (typeof a === 'number' && toInt(v) === a) return { value: a };
        if (typeof a === 'string' && typeof v === 'number' && a === String(v)) return { value: a };
      }
      return { problem: `${show(v)} is not one of ${allowed.map((a) => show(a)).join(', ')}` };
    }
    case 'edit': {
      if (typeof v !== 'string' && typeof v !== 'number') return { problem: `expected a string, got ${show(v)}` };
      const s = typeof v === 'number' ? String(v) : v;
      if (keyword === 'NetworkAddress' && s !== '' && !MAC.test(s.replace(/[-:]/g, ''))) {
        return { problem: `${show(s)} is not a MAC address (12 hex digits, '-' or ':' optional; quote it in YAML)` };
      }
      return { value: s };
    }
    case 'boolean':
      if (typeof v === 'boolean') return { value: v };
      if (v === 0 || v === 1) return { value: v === 1 };
      return { problem: `expected true or false, got ${show(v)}` };
    case 'multi':
      if (typeof v === 'string') return { value: [v] };
      if (Array.isArray(v)) return { value: v };
      return { problem: `expected a list of strings, got ${show(v)}` };
    default:
      return { value: v };
  }
}

/**
 * Validates `given` for `driverName` at `keyPath` (the path of the `keywords` mapping). Returns the
 * normalized keywords; throws ConfigError naming the keyword's path.
 */
export function checkKeywords(
  file: string,
  keyPath: string,
  driverName: string,
  schema: KeywordSchema | undefined,
  given: Readonly<Record<string, ConfigValue>>,
  options: KeywordCheckOptions = {},
): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  const defs = schema ?? {};
  const known = Object.keys(defs).filter((k) => !(options.implicit ?? []).includes(k));
  /** Declared name → the spelling the config used, to name both when one keyword is given twice. */
  const spelledAs = new Map<string, string>();
  for (const [keyword, value] of Object.entries(given)) {
    const at = joinKeyPath(keyPath, keyword);
    if (options.implicit?.includes(keyword)) throw new ConfigError(file, at, `keyword '${keyword}' of driver '${driverName}' is set by the configuration itself and cannot be given here`);
    const name = declaredKeyword(known, keyword) ?? keyword;
    const def = Object.hasOwn(defs, name) ? defs[name] : undefined;
    if (def === undefined || def === null || typeof def !== 'object') {
      if (known.length === 0) throw new ConfigError(file, at, `driver '${driverName}' takes no keywords`);
      const near = known.find((k) => k.toLowerCase() === keyword.toLowerCase());
      throw new ConfigError(file, at, `unknown keyword '${keyword}' for driver '${driverName}'${near === undefined ? '' : ` (did you mean '${near}'?)`} (known: ${known.join(', ')})`);
    }
    const before = spelledAs.get(name);
    if (before !== undefined) {
      throw new ConfigError(file, at, `keyword '${keyword}' of driver '${driverName}' is the same keyword as '${before}' (standardized keyword names ignore case, as registry value names do); give it once`);
    }
    spelledAs.set(name, keyword);
    const r = checkValue(name, def, value);
    if ('problem' in r) throw new ConfigError(file, at, `keyword '${keyword}' of driver '${driverName}': ${r.problem}`);
    out[name] = r.value;
  }
  for (const [keyword, def] of Object.entries(defs)) {
    if (def?.required === true && !Object.hasOwn(out, keyword) && !(options.supplied ?? []).includes(keyword)) {
      throw new ConfigError(file, keyPath, `required keyword '${keyword}' of driver '${driverName}' is missing (${def.description})`);
    }
  }
  if (options.context !== undefined) {
    for (const [keyword, def] of Object.entries(defs)) {
      if (def === null || typeof def !== 'object' || (options.implicit ?? []).includes(keyword)) continue;
      const given = Object.hasOwn(out, keyword);
      const value = given ? out[keyword] : def.default;
      if (value !== undefined) runCheck(file, keyPath, driverName, keyword, def, value, given, options.context);
    }
  }
  return out;
}
