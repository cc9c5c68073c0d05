/**
 * The code blocks of a Markdown document and the doc-test directives that say how a block is tested
 * (the convention is documented in docs/doc-tests.md).
 *
 *   <!-- doc-test: skip REASON -->          the block is not run; REASON is printed by the test
 *   <!-- doc-test: fragment-of FILE -->     an excerpt: its lines appear, in order, in FILE (another
 *                                           block's file in the same document, or a repository path),
 *                                           which is itself compiled and run
 *   <!-- doc-test: synopsis -->             (sh) a command synopsis: every `tsndis` command and option in
 *                                           it must exist (checked against `tsndis … --help`)
 *   <!-- doc-test: file NAME -->            the file the block is saved as (for languages without
 *                                           comments, e.g. JSON); otherwise a first line `// NAME.ts` or
 *                                           `# NAME.yaml` names it
 *
 * A directive is the last non-blank line before the opening fence. Every fence must have a language;
 * diagrams and program output are `text`.
 */

export type Directive =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'fragment-of'; readonly target: string }
  | { readonly kind: 'synopsis' }
  | { readonly kind: 'file'; readonly name: string };

export interface CodeBlock {
  /** The document, relative to the repository root. */
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** First word of the info string, lower case ('' when the fence has none). */
  readonly lang: string;
  /** The block's text, ending with a newline. */
  readonly code: string;
  readonly directive: Directive | null;
  /** The file the block is saved as (from a `file` directive or a first-line comment), or null. */
  readonly file: string | null;
}

export class DocBlockError extends Error {}

const DIRECTIVE = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)?(.*)$/;

export const TS_LANGS = new Set(['ts', 'typescript']);
export const JS_LANGS = new Set(['js', 'javascript', 'mjs']);
export const YAML_LANGS = new Set(['yaml', 'yml']);
export const SH_LANGS = new Set(['sh', 'bash', 'shell']);
export const JSON_LANGS = new Set(['json']);
export const TEXT_LANG = 'text';

function parseDirective(body: string, where: string): Directive {
  const m = /^(\S+)\s*(.*)$/.exec(body);
  const word = m?.[1] ?? '';
  const rest = (m?.[2] ?? '').trim();
  switch (word) {
    case 'skip': {
      const reason = rest.replace(/^\((.*)\)$/, '$1').trim();
      if (reason === '') throw new DocBlockError(`${where}: 'doc-test: skip' needs a reason (<!-- doc-test: skip why it cannot run -->)`);
      return { kind: 'skip', reason };
    }
    case 'fragment-of':
      if (rest === '' || /\s/.test(rest)) throw new DocBlockError(`${where}: 'doc-test: fragment-of' needs one file name`);
      return { kind: 'fragment-of', target: rest };
    case 'synopsis':
      if (rest !== '') throw new DocBlockError(`${where}: 'doc-test: synopsis' takes no argument`);
      return { kind: 'synopsis' };
    case 'file':
      if (!/^[\w.-]+$/.test(rest)) throw new DocBlockError(`${where}: 'doc-test: file' needs a plain file name`);
      return { kind: 'file', name: rest };
    default:
      throw new DocBlockError(`${where}: unknown doc-test directive '${word}' (known: skip, fragment-of, synopsis, file)`);
  }
}

/** The file a block names in its first line (`// name.ts`, `# name.yaml`), if any. */
function firstLineFile(lang: string, code: string): string | null {
  const first = code.split('\n', 1)[0]!.trim();
  if (TS_LANGS.has(lang) || JS_LANGS.has(lang)) return /^\/\/\s*([\w.-]+\.(?:ts|mts|js|mjs))$/.exec(first)?.[1] ?? null;
  if (YAML_LANGS.has(lang)) return /^#\s*([\w.-]+\.ya?ml)$/.exec(first)?.[1] ?? null;
  if (SH_LANGS.has(lang)) return /^#\s*([\w.-]+\.sh)$/.exec(first)?.[1] ?? null;
  return null;
}

/** Every fenced code block of `text` (a Markdown document at repository path `doc`). */
export function codeBlocks(doc: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  const consumed = new Set<number>();
  /** Lines inside blocks: a directive shown in a block is an example, not a directive. */
  const inside = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const lang = (open[3] ?? '').toLowerCase();
    const where = `${doc}:${i + 1}`;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(l);
      if (close !== null && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      // Content lines lose up to the opening fence's indentation (CommonMark).
      let k = 0;
      while (k < indent && l[k] === ' ') k++;
      body.push(l.slice(k));
    }
    if (j === lines.length) throw new DocBlockError(`${where}: code block is never closed`);
    for (let k = i; k <= j; k++) inside.add(k);
    let directive: Directive | null = null;
    for (let p = i - 1; p >= 0; p--) {
      const prev = lines[p]!;
      if (prev.trim() === '') continue;
      const d = DIRECTIVE.exec(prev);
      if (d !== null) {
        directive = parseDirective(d[1]!, `${doc}:${p + 1}`);
        consumed.add(p);
      }
      break;
    }
    const code = body.length === 0 ? '' : `${body.join('\n')}\n`;
    const file = directive?.kind === 'file' ? directive.name : firstLineFile(lang, code);
    blocks.push({ doc, line: i + 1, lang, code, directive, file });
    i = j;
  }
  for (let p = 0; p < lines.length; p++) {
    if (DIRECTIVE.test(lines[p]!) && !consumed.has(p) && !inside.has(p)) throw new DocBlockError(`${doc}:${p + 1}: doc-test directive is not directly above a code block`);
  }
  return blocks;
}

/**
 * Checks that the non-blank lines of `fragment` appear, in order and whitespace-trimmed, among the lines
 * of `whole`. Returns null, or the first line that does not.
 */
export function missingFragmentLine(fragment: string, whole: string): string | null {
  const target = whole.split('\n').map((l) => l.trim());
  let at = 0;
  for (const raw of fragment.split('\n')) {
    const l = raw.trim();
    if (l === '') continue;
    const k = target.indexOf(l, at);
    if (k < 0) return raw;
    at = k + 1;
  }
  return null;
}
