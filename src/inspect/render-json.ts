/**
 * The JSON renderer: the inspector model as is, wrapped in `{ "hosts": [...] }` so fields can be added
 * at the top later without breaking readers. The model is already JSON-able (see model.ts).
 */
import type { RuntimeSnapshot } from './model.js';

export interface JsonReport {
  readonly hosts: readonly RuntimeSnapshot[];
}

/** Pretty-printed JSON, ending with a newline. */
export function renderJson(snapshots: readonly RuntimeSnapshot[]): string {
  const report: JsonReport = { hosts: snapshots };
  return `${JSON.stringify(report, null, 2)}\n`;
}
