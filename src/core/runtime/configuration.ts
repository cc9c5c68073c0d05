/**
 * The registry analogue: a typed keyword document per adapter, filter module or binding, read by drivers
 * through NdisReadConfiguration-style calls. Absent keywords fall back to the driver's schema defaults.
 */
import type { ConfigurationReader, ConfigValue, KeywordSchema } from '../../ndis/driver-api.js';

export class Configuration implements ConfigurationReader {
  readonly #values: Map<string, ConfigValue>;

  constructor(values: Readonly<Record<string, ConfigValue>> = {}, schema?: KeywordSchema) {
    this.#values = new Map();
    if (schema !== undefined) {
      for (const [k, def] of Object.entries(schema)) if (def.default !== undefined) this.#values.set(k, def.default);
    }
    for (const [k, v] of Object.entries(values)) this.#values.set(k, v);
  }

  read(keyword: string): ConfigValue | undefined {
    return this.#values.get(keyword);
  }

  readInt(keyword: string, defaultValue: number, min = -Infinity, max = Infinity): number {
    const v = this.#values.get(keyword);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    // Out-of-range or non-numeric values fall back to the default, as NDIS drivers are told to do.
    return Number.isFinite(n) && n >= min && n <= max ? n : defaultValue;
  }

  readString(keyword: string, defaultValue: string): string {
    const v = this.#values.get(keyword);
    return v === undefined ? defaultValue : Array.isArray(v) ? v.join(',') : String(v);
  }

  readBoolean(keyword: string, defaultValue: boolean): boolean {
    const v = this.#values.get(keyword);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return /^(1|true|yes|on|enabled)$/i.test(v.trim());
    return defaultValue;
  }

  entries(): ReadonlyArray<readonly [string, ConfigValue]> {
    return [...this.#values.entries()];
  }
}
