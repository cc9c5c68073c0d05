/**
 * Linux network interface names, as the kernel checks them (dev_valid_name, and dev_alloc_name for a
 * `%d` pattern): 1 to 15 bytes (IFNAMSIZ 16 with the terminating NUL), not `.` or `..`, no `/`, `:` or
 * white space, and at most one `%`, which must be `%d` (the kernel then picks the number). Only printable
 * ASCII is accepted here: the name is copied into `struct ifreq` byte by byte.
 */

/** Longest interface name (IFNAMSIZ − 1). */
export const MAX_INTERFACE_NAME_LENGTH = 15;

/** Why `name` cannot be a Linux interface name, or null when it can. */
export function interfaceNameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  if (name.length > MAX_INTERFACE_NAME_LENGTH) return `'${name}' is ${name.length} characters long; Linux interface names have at most ${MAX_INTERFACE_NAME_LENGTH}`;
  if (name === '.' || name === '..') return `'${name}' is not allowed`;
  for (const c of name) {
    if (c === '/' || c === ':') return `'${name}' contains '${c}'`;
    const code = c.charCodeAt(0);
    if (code <= 0x20 || code >= 0x7f) return `'${name}' contains ${code === 0x20 ? 'a space' : `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`} (printable ASCII only, no white space)`;
  }
  const pct = name.indexOf('%');
  if (pct >= 0 && (name[pct + 1] !== 'd' || name.includes('%', pct + 2))) return `'${name}': '%' may appear once, as '%d' (the kernel fills in a number)`;
  return null;
}
