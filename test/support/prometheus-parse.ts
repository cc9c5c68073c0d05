/**
 * The Prometheus text format parsed by a parser (parse-prometheus-text-format, a port of the Python
 * client's), so a test checks what Prometheus would read, not what a regular expression happens to match.
 */
import { createRequire } from 'node:module';

export interface PromFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { labels?: Record<string, string>; value: string }[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

export function parsePrometheus(text: string): Map<string, PromFamily> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The value of the one sample of `family` whose labels include `labels`; throws when none or several match. */
export function sample(families: Map<string, PromFamily>, family: string, labels: Record<string, string>): number {
  const f = families.get(family);
  if (f === undefined) throw new Error(`no family ${family}`);
  const hits = f.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (hits.length !== 1) throw new Error(`${family}${JSON.stringify(labels)}: ${hits.length} samples`);
  return Number(hits[0]!.value);
}
