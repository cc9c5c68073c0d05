/**
 * Config key paths as printed in ConfigError messages: `hosts.hostA.adapters.eth0.filters[1].keywords`,
 * with keys that are not plain identifiers quoted (`keywords["*JumboPacket"]`).
 */
export type PathElement = string | number;

const PLAIN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatKeyPath(path: readonly PathElement[]): string {
  let out = '';
  for (const el of path) {
    if (typeof el === 'number') out += `[${el}]`;
    else if (PLAIN.test(el)) out += out === '' ? el : `.${el}`;
    else out += `[${JSON.stringify(el)}]`;
  }
  return out;
}

/** Appends elements to an already formatted path. */
export function joinKeyPath(base: string, ...more: PathElement[]): string {
  const tail = formatKeyPath(more);
  if (base === '') return tail;
  return tail.startsWith('[') || tail === '' ? base + tail : `${base}.${tail}`;
}
