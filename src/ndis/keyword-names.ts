/**
 * Keyword names as NDIS drivers see them. Keywords are registry values, and Windows compares registry
 * value names without regard to case, so a standardized keyword (its name starts with `*`) is the same
 * keyword however an INF or a user spells it: `*RSSBaseProcNumber` is `*RssBaseProcNumber`. tsndis's
 * own keywords (no star) keep their exact spelling, so a near miss there is still an error that names
 * the declared keyword.
 */

/** A standardized keyword: its name starts with `*` (offload digest §10). */
export function isStandardizedKeyword(name: string): boolean {
  return name.startsWith('*');
}

/** The case-folded form standardized keyword names are compared in. */
export function foldKeyword(name: string): string {
  return name.toUpperCase();
}

/**
 * The declared spelling of `keyword`: itself when `declared` has it; for a standardized keyword, the one
 * declared standardized keyword equal to it ignoring case (none when two declared names are); else
 * undefined.
 */
export function declaredKeyword(declared: readonly string[], keyword: string): string | undefined {
  if (declared.includes(keyword)) return keyword;
  if (!isStandardizedKeyword(keyword)) return undefined;
  const folded = foldKeyword(keyword);
  const matches = declared.filter((d) => isStandardizedKeyword(d) && foldKeyword(d) === folded);
  return matches.length === 1 ? matches[0] : undefined;
}
