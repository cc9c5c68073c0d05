/**
 * The registry analogue: a typed keyword document per adapter, filter module or binding, read by drivers
 * through NdisReadConfiguration-style calls. Absent keywords fall back to the driver's schema defaults.
 * Standardized (`*`) keywords are read without regard to case, as registry values are (keyword-names.ts).
 */
import type { ConfigurationReader, ConfigValue, KeywordSchema } from '../../ndis/driver-api.js';
import { foldKeyword, isStandardizedKeyword } from '../../ndis/keyword-names.js';

export class Configuration implements ConfigurationReader {
  readonly #values: Map<string, ConfigValue>;
  /** Folded name → stored spelling of every standardized (`*`) keyword: those are read without regard to case. */
  readonly #standardized = new Map<string, string>();

  constructor(values: Readonly<Record<string, ConfigValue>> = {}, schema?: KeywordSchema) {
    this.#values = new Map();
    if (schema !== undefined) {
      for (const [k, def] of Object.entries(schema)) {
        this.#name(k);
        if (def.default !== undefined) this.#values.set(k, def.default);
      }
    }
    for (const [k, v] of Object.entries(values)) this.#values.set(this.#name(k), v);
  }

  /** The stored spelling of `keyword`: a standardized keyword's first spelling (the schema's), any other as is. */
  #name(keyword: string): string {
    if (!isStandardizedKeyword(keyword)) return keyword;
    const folded = foldKeyword(keyword);
    const known = this.#standardized.get(folded);
    if (known !== undefined) return known;
    this.#standardized.set(folded, keyword);
    return keyword;
  }

  #get(keyword: string): ConfigValue | undefined {
    const v = this.#values.get(keyword);
    if (v !== undefined || !isStandardizedKeyword(keyword)) return v;
    const known = this.#standardized.get(foldKeyword(keyword));
    return known === undefined ? undefined : this.#values.get(known);
  }

  read(keyword: string): ConfigValue | undefined {
    return this.#get(keyword);
  }

  readInt(keyword: string, defaultValue: number, min = -Infinity, max = Infinity): number {
    const v = this.#get(keyword);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    // Out-of-range or non-numeric values fall back to the default, as NDIS drivers are told to do.
    return Number.isFinite(n) && n >= min && n <= max ? n : defaultValue;
  }

  readString(keyword: string, defaultValue: string): string {
    const v = this.#get(keyword);
    return v === undefined ? defaultValue : Array.isArray(v) ? v.join(',') : String(v);
  }

  readBoolean(keyword: string, defaultValue: boolean): boolean {
    const v = this.#get(keyword);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return /^(1|true|yes|on|enabled)$/i.test(v.trim());
    return defaultValue;
  }

  entries(): ReadonlyArray<readonly [string, ConfigValue]> {
    return [...this.#values.entries()];
  }
}
