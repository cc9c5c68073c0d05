/**
 * Runs the code blocks of one Markdown document as a reader would: in a fresh directory outside the
 * repository set up like docs/writing-a-driver.md's "Set up" (package.json with "type": "module", the
 * package installed as `tsndis` — here a link to this checkout, so its built dist/ is what runs —,
 * TypeScript and @types/node), with the document's files saved under their names.
 *
 *   ts      compiled together by the repository's tsc (with the document's own tsconfig.json block if it
 *           has one), then each run with node (a block holding node:test tests runs its tests)
 *   js      run with node
 *   yaml    loaded and validated by the config loader (parseStackConfig, relative to the directory)
 *   json    must parse
 *   sh      run with bash -e -o pipefail in the directory, with `tsndis`, `npx tsndis` and `npx tsc` the
 *           package's commands; `/tmp/` is redirected to a private directory; background jobs are ended
 *           when the script ends
 *   text    not code (diagrams, listings, program output)
 *
 * Paths `examples/…` in a document refer to the repository's examples (linked into the directory).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createProgram } from '../../src/cli/main.js';
import { parseStackConfig } from '../../src/config/index.js';
import { JSON_LANGS, JS_LANGS, SH_LANGS, TEXT_LANG, TS_LANGS, YAML_LANGS, codeBlocks, missingFragmentLine, type CodeBlock } from './markdown-blocks.js';

/** The repository root (tests run from dist/test/docs/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** Bounds on everything a document runs (a hang fails the block, it does not stall the suite). */
export const RUN_TIMEOUT_MS = 90_000;

/** Every Markdown document of the repository (README.md, docs/, drivers' READMEs …), repository-relative. */
export function markdownDocuments(): string[] {
  const out: string[] = [];
  const skipDirs = new Set(['node_modules', 'dist', '.git', 'docs/api']);
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(ROOT, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (skipDirs.has(name) || skipDirs.has(r)) continue;
      const st = statSync(join(ROOT, r));
      if (st.isDirectory()) walk(r);
      else if (name.endsWith('.md')) out.push(r);
    }
  };
  walk('');
  return out;
}

export function documentBlocks(doc: string): CodeBlock[] {
  return codeBlocks(doc, readFileSync(join(ROOT, doc), 'utf8'));
}

export interface Exec {
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly output: string;
}

/**
 * Runs `command` in its own process group and ends the whole group afterwards (background jobs of a
 * script included). Never inherits NODE_TEST_CONTEXT, so node:test in the child reports normally.
 */
export function exec(command: string, args: readonly string[], cwd: string, extraPath: string, timeoutMs = RUN_TIMEOUT_MS): Promise<Exec> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${extraPath}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' };
  delete env['NODE_TEST_CONTEXT'];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, timeoutMs);
    // When the command itself ends, so does whatever it left running (which may hold its output open).
    child.on('exit', () => killGroup('SIGKILL'));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** What became of one block. */
export interface BlockOutcome {
  readonly block: CodeBlock;
  /** Null when the block was run or checked and passed; else the failure. */
  readonly failure: string | null;
  /** Why it was not run (skip, text), or what was checked instead of running (fragment, synopsis). */
  readonly notRun: string | null;
}

const where = (b: CodeBlock): string => `${b.doc}:${b.line} (${b.lang || 'no language'})`;
export { where as blockWhere };

/** The directory a document's blocks are saved in and run from. */
export class DocProject {
  readonly dir: string;
  readonly bin: string;
  /** Blocks by the file name they are saved as. */
  readonly files = new Map<string, CodeBlock>();
  readonly #names = new Map<CodeBlock, string>();

  /** `edit` may change a file's text before it is written (used to check that tests can fail). */
  constructor(readonly doc: string, readonly blocks: readonly CodeBlock[], edit: (file: string, text: string) => string = (_f, t) => t) {
    this.dir = mkdtempSync(join(tmpdir(), `tsndis-doc-${doc.replace(/[^\w]+/g, '-')}-`));
    this.bin = join(this.dir, 'node_modules/.bin');
    for (const b of blocks) {
      if (b.directive?.kind === 'skip' || b.directive?.kind === 'fragment-of' || b.directive?.kind === 'synopsis') continue;
      let name = b.file;
      if (name === null && TS_LANGS.has(b.lang)) name = `block-${b.line}.ts`;
      if (name === null && JS_LANGS.has(b.lang)) name = `block-${b.line}.js`;
      if (name === null && SH_LANGS.has(b.lang)) name = `block-${b.line}.sh`;
      if (name === null) continue;
      if (this.files.has(name)) throw new Error(`${where(b)}: file ${name} is also saved by the block at line ${this.files.get(name)!.line}`);
      this.files.set(name, b);
      this.#names.set(b, name);
    }
    this.#setUp(edit);
  }

  nameOf(block: CodeBlock): string | null {
    return this.#names.get(block) ?? null;
  }

  #setUp(edit: (file: string, text: string) => string): void {
    const d = this.dir;
    mkdirSync(join(d, 'tmp'));
    mkdirSync(this.bin, { recursive: true });
    mkdirSync(join(d, 'node_modules/@types'));
    symlinkSync(ROOT, join(d, 'node_modules/tsndis'), 'dir');
    symlinkSync(join(ROOT, 'node_modules/typescript'), join(d, 'node_modules/typescript'), 'dir');
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(d, 'node_modules/@types/node'), 'dir');
    // What npm would put in node_modules/.bin for the package and TypeScript.
    const wrapper = (name: string, target: string): void => {
      writeFileSync(join(this.bin, name), `#!/bin/sh\nexec "${process.execPath}" "${target}" "$@"\n`);
      chmodSync(join(this.bin, name), 0o755);
    };
    wrapper('tsndis', CLI);
    wrapper('tsc', TSC);
    if (this.blocks.some((b) => b.code.includes('examples/'))) symlinkSync(join(ROOT, 'examples'), join(d, 'examples'), 'dir');
    if (!this.files.has('package.json')) writeFileSync(join(d, 'package.json'), `${JSON.stringify({ name: 'doc-example', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    if (!this.files.has('tsconfig.json')) {
      const tsFiles = [...this.files.keys()].filter((f) => f.endsWith('.ts'));
      const config = {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'ESNext.Disposable'],
          module: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: tsFiles,
      };
      writeFileSync(join(d, 'tsconfig.json'), `${JSON.stringify(config, null, 2)}\n`);
    }
    for (const [name, b] of this.files) writeFileSync(join(d, name), edit(name, b.code));
  }

  get hasTypeScript(): boolean {
    return [...this.files.keys()].some((f) => f.endsWith('.ts'));
  }

  /** Compiles the document's TypeScript with the repository's tsc; errors point at document lines. */
  async compile(): Promise<string | null> {
    const r = await exec(process.execPath, [TSC, '-p', this.dir, '--pretty', 'false'], this.dir, this.bin);
    if (r.code === 0) return null;
    const mapped = r.output.replace(/([\w.-]+\.ts)\((\d+),(\d+)\)/g, (all, file: string, l: string, c: string) => {
      const b = this.files.get(file);
      return b === undefined ? all : `${b.doc}:${b.line + Number(l)}:${c} (${file})`;
    });
    return `tsc failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${mapped}`;
  }

  /** Runs one saved block. */
  async run(block: CodeBlock): Promise<string | null> {
    const name = this.nameOf(block);
    if (name === null) return `${where(block)}: not saved`;
    let r: Exec;
    if (SH_LANGS.has(block.lang)) {
      const script = join(this.dir, name);
      writeFileSync(script, block.code.replaceAll('/tmp/', `${this.dir}/tmp/`));
      r = await exec('bash', ['-e', '-o', 'pipefail', script], this.dir, this.bin);
    } else {
      // One reporter on every Node line (TAP was the default off a terminal before Node 23, spec since).
      r = await exec(process.execPath, ['--test-reporter=spec', join(this.dir, name.replace(/\.ts$/, '.js'))], this.dir, this.bin);
    }
    if (r.code === 0 && !r.timedOut) return null;
    return `${where(block)} failed (${r.timedOut ? `timed out after ${RUN_TIMEOUT_MS} ms` : r.signal !== null ? `signal ${r.signal}` : `exit ${r.code}`}):\n${r.output}`;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Synopsis blocks: commands and options checked against the CLI's own definition (what --help prints).

interface CommandInfo {
  readonly commands: ReadonlyMap<string, Command>;
  readonly options: ReadonlySet<string>;
}

/** A command's subcommands (with aliases) and option flags, as commander knows them (what --help prints). */
function infoOf(cmd: Command): CommandInfo {
  const commands = new Map<string, Command>();
  for (const c of cmd.commands) for (const n of [c.name(), ...c.aliases()]) commands.set(n, c);
  const options = new Set<string>(['-h', '--help']);
  for (const o of cmd.options) for (const f of [o.short, o.long]) if (f !== undefined) options.add(f);
  return { commands, options };
}

/** Problems with one line of a synopsis block (empty when it is fine). */
export function checkSynopsisLine(line: string): string[] {
  const text = line.replace(/\s#.*$/, '').trim();
  if (text === '') return [];
  const tokens = text.split(/\s+/);
  if (tokens[0] === 'npx') tokens.shift();
  if (tokens[0] === 'npm') {
    const script = tokens[1] === 'run' ? tokens[2] : tokens[1];
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
    return script !== undefined && script in scripts ? [] : [`npm script '${script}' is not in package.json`];
  }
  if (tokens[0] !== 'tsndis') return [`'${text}': a synopsis line must be a tsndis or npm command`];
  const path: string[] = [];
  let i = 1;
  let info = infoOf(createProgram().program);
  while (i < tokens.length && info.commands.has(tokens[i]!)) {
    info = infoOf(info.commands.get(tokens[i]!)!);
    path.push(tokens[i]!);
    i++;
  }
  if (path.length === 0) return [`'${text}': '${tokens[1] ?? ''}' is not a tsndis command`];
  const problems: string[] = [];
  for (const raw of tokens.slice(i)) {
    const t = raw.replace(/^[[(]+|[\])]+$/g, '').split('=')[0]!;
    if (!/^--?[A-Za-z][\w-]*$/.test(t)) continue;
    if (!info.options.has(t)) problems.push(`tsndis ${path.join(' ')}: option ${t} is not in \`tsndis ${path.join(' ')} --help\``);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// One document, every block.

/** Runs or checks every block of `doc` in order; the project directory is removed afterwards. */
export async function testDocument(doc: string, blocks: readonly CodeBlock[] = documentBlocks(doc)): Promise<BlockOutcome[]> {
  const outcomes: BlockOutcome[] = [];
  const project = new DocProject(doc, blocks);
  try {
    const compileError = project.hasTypeScript ? await project.compile() : null;
    for (const b of blocks) {
      const d = b.directive;
      const ok = (notRun: string | null = null): void => void outcomes.push({ block: b, failure: null, notRun });
      const fail = (failure: string): void => void outcomes.push({ block: b, failure, notRun: null });
      if (d?.kind === 'skip') {
        ok(`skipped: ${d.reason}`);
        continue;
      }
      if (d?.kind === 'fragment-of') {
        const inDoc = project.files.get(d.target);
        const path = join(ROOT, d.target);
        const whole = inDoc !== undefined ? inDoc.code : existsSync(path) ? readFileSync(path, 'utf8') : null;
        if (whole === null) fail(`${where(b)}: fragment-of ${d.target}: no block of this document and no repository file has that name`);
        else {
          const missing = missingFragmentLine(b.code, whole);
          if (missing === null) ok(`fragment of ${d.target} (its lines are in it, in order)`);
          else fail(`${where(b)}: fragment-of ${d.target}: this line is not in ${d.target} (in order): ${missing.trim()}`);
        }
        continue;
      }
      if (d?.kind === 'synopsis') {
        if (!SH_LANGS.has(b.lang)) fail(`${where(b)}: 'doc-test: synopsis' is for sh blocks`);
        else {
          const problems = b.code.split('\n').flatMap(checkSynopsisLine);
          if (problems.length === 0) ok('synopsis: every command and option checked against --help');
          else fail(`${where(b)}: ${problems.join('; ')}`);
        }
        continue;
      }
      if (b.lang === TEXT_LANG) {
        ok('text (diagram, listing or output)');
        continue;
      }
      if (b.lang === '') {
        fail(`${where(b)}: code block without a language: give it one (\`\`\`text for diagrams and output), or a doc-test directive`);
        continue;
      }
      if (TS_LANGS.has(b.lang)) {
        if (compileError !== null) {
          // The document's TypeScript compiles as one project: its errors are reported once.
          fail(outcomes.some((o) => o.failure?.includes('tsc failed') === true) ? `${where(b)}: not run, the document's TypeScript does not compile` : `${where(b)}: ${compileError}`);
        }
        else {
          const f = await project.run(b);
          if (f === null) ok();
          else fail(f);
        }
        continue;
      }
      if (JS_LANGS.has(b.lang) || SH_LANGS.has(b.lang)) {
        // Shell blocks may use what TypeScript blocks produced.
        if (SH_LANGS.has(b.lang) && compileError !== null) {
          fail(`${where(b)}: not run, the document's TypeScript does not compile`);
          continue;
        }
        const f = await project.run(b);
        if (f === null) ok();
        else fail(f);
        continue;
      }
      if (YAML_LANGS.has(b.lang)) {
        try {
          await parseStackConfig(b.code, b.file ?? `${doc}:${b.line}`, project.dir);
          ok();
        } catch (e) {
          fail(`${where(b)}: the stack description does not load: ${e instanceof Error ? e.message : String(e)}`);
        }
        continue;
      }
      if (JSON_LANGS.has(b.lang)) {
        try {
          JSON.parse(b.code);
          ok();
        } catch (e) {
          fail(`${where(b)}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
        continue;
      }
      fail(`${where(b)}: no runner for language '${b.lang}': mark it (<!-- doc-test: skip REASON -->) or use text`);
    }
  } finally {
    project.dispose();
  }
  return outcomes;
}
