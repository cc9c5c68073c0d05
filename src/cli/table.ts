/**
 * A plain text table for the CLI: a header row and rows of cells, columns as wide as their widest cell,
 * two spaces between and before them, numeric columns right-aligned, trailing blanks trimmed.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], numeric: (column: number) => boolean = () => false): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: readonly string[]): string => `${`  ${c.map((x, i) => (numeric(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ')}`.trimEnd()}\n`;
  return line(head) + rows.map(line).join('');
}
