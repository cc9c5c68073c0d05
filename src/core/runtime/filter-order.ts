/**
 * Where filter modules go in an adapter's stack (ndis-core digest §1.2): modifying filters ordered by
 * FilterClass from the top (scheduler) to the bottom (provider_address), the earlier-installed lower
 * within a class; a monitoring filter gets one module directly above the miniport and one above each
 * modifying module, so it sees what every modifying filter did. The same rule holds on every adapter.
 */
import { FILTER_CLASSES } from '../../ndis/constants.js';
import type { ConfigValue, FilterDriverCharacteristics } from '../../ndis/driver-api.js';

/** A filter driver installed on an adapter, with its module keywords and installation order. */
export interface InstalledFilter {
  readonly driver: FilterDriverCharacteristics;
  readonly keywords: Record<string, ConfigValue>;
  readonly order: number;
}

export interface DesiredModule {
  /** Identity across reconfigurations: the driver name, plus `@<level>` for monitoring modules. */
  readonly key: string;
  readonly filter: InstalledFilter;
  /** For monitoring modules: 'miniport' or the modifying driver they sit above; '' otherwise. */
  readonly above: string;
}

/** The module list the installed filters call for, bottom → top. */
export function desiredModules(installed: readonly InstalledFilter[]): DesiredModule[] {
  const rank = (f: InstalledFilter): number => FILTER_CLASSES.indexOf(f.driver.filterClass);
  // Bottom first: a larger FilterClass index sits lower; within a class the earlier-installed is lower.
  const modifying = installed.filter((f) => f.driver.filterType === 'modifying').sort((a, b) => rank(b) - rank(a) || a.order - b.order);
  const monitoring = installed.filter((f) => f.driver.filterType === 'monitoring').sort((a, b) => a.order - b.order);
  const out: DesiredModule[] = [];
  for (const level of [null, ...modifying]) {
    if (level !== null) out.push({ key: level.driver.name, filter: level, above: '' });
    const aboveName = level === null ? 'miniport' : level.driver.name;
    for (const m of monitoring) out.push({ key: `${m.driver.name}@${aboveName}`, filter: m, above: aboveName });
  }
  return out;
}
