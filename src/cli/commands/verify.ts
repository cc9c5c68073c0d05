/**
 * `tsndis verify <driver> [--kind filter|miniport|protocol|intermediate]`: the conformance battery of
 * src/verify run against one driver — a built-in service name or a driver module path — and its report:
 * a table of the checks, then for each failure what went wrong and the verifier violations with the
 * NBL histories; `--json` for CI. Exit 0 when every check passed (or was skipped), 1 when one failed,
 * 2 for misuse (unknown driver, a module that is not one, a bad keyword or check name).
 */
import { isAbsolute, relative } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { formatNblHistory } from '../../core/verifier/nbl-history.js';
import { runVerify, VERIFY_CHECK_NAMES, VERIFY_OPTIONAL_CHECK_NAMES, type VerifyReport } from '../../verify/index.js';
import { VERIFY_KINDS, type VerifyKind } from '../../verify/subject.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import { numberOption, POSITIVE_SECONDS } from '../options.js';
import { StatusLine, type ProgressStream } from '../progress.js';
import { renderTable } from '../table.js';

export interface VerifyCommandOptions {
  kind?: string;
  keyword?: Record<string, string>;
  check?: string[];
  timeout: number;
  json: boolean;
}

/** Violations printed per failed check (the JSON report keeps up to five). */
const TEXT_VIOLATIONS = 2;

/** The text report: a header, one row per check, a summary, then each failure in detail. */
export function renderVerifyReport(r: VerifyReport): string {
  const rel = relative(process.cwd(), r.source);
  const where = r.source === 'builtin' ? 'built in' : rel.startsWith('..') || isAbsolute(rel) ? r.source : rel;
  let out = `tsndis verify: ${r.driver} (${r.kind}, ${where})\n\n`;
  const rows = r.checks.map((c) => [
    c.name,
    c.status.toUpperCase(),
    c.status === 'skip' ? '' : `${c.durationMs} ms`,
    c.status === 'skip' ? `skipped: ${c.reason ?? ''}` : c.status === 'fail' ? (c.violatedRules.length > 0 ? c.violatedRules.join(', ') : 'none (see below)') : (c.note ?? ''),
  ]);
  out += renderTable(['CHECK', 'RESULT', 'TIME', 'RULES VIOLATED / NOTE'], rows, (i) => i === 2);
  out += `\n${r.checks.length} check${r.checks.length === 1 ? '' : 's'}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`;
  for (const c of r.checks) {
    if (c.status !== 'fail') continue;
    out += `\nFAIL ${c.name}: ${c.title}\n`;
    for (const p of c.problems) out += `  - ${p}\n`;
    for (const v of c.violations.slice(0, TEXT_VIOLATIONS)) {
      out += `  [${v.rule}] ${v.module}: ${v.detail}\n`;
      if (v.history !== undefined && v.history.length > 0) out += `    history (oldest first):\n${formatNblHistory(v.history).replace(/^/gm, '  ')}\n`;
    }
    if (c.violations.length > TEXT_VIOLATIONS) out += `  (${c.violations.length - TEXT_VIOLATIONS} more in --json)\n`;
  }
  return out;
}

export async function verifyCommand(driver: string, o: VerifyCommandOptions, out: NodeJS.WritableStream = process.stdout, progressStream: ProgressStream = process.stderr): Promise<number> {
  let status: StatusLine | null = null;
  const report = await runVerify(driver, o.kind as VerifyKind | undefined, {
    ...(o.keyword === undefined ? {} : { keywords: o.keyword }),
    ...(o.check === undefined ? {} : { checks: o.check }),
    timeoutMs: o.timeout * 1000,
    onCheck: (name, _i, total) => {
      status ??= new StatusLine(progressStream, 'verify', total);
      status.next(name);
    },
  }).finally(() => (status as StatusLine | null)?.end());
  out.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerifyReport(report));
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

function keyword(v: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [v.slice(0, i)]: v.slice(i + 1) };
}

function kind(v: string): string {
  if (!(VERIFY_KINDS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${VERIFY_KINDS.join(', ')}`);
  return v;
}

function check(v: string, previous: string[] | undefined): string[] {
  const names = [...VERIFY_CHECK_NAMES, ...VERIFY_OPTIONAL_CHECK_NAMES];
  if (!names.includes(v)) throw new InvalidArgumentError(`expected one of ${names.join(', ')}`);
  return [...(previous ?? []), v];
}

export function registerVerifyCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('verify')
    .description('run the conformance battery (NDISTest-like) against a driver: a built-in service name or a driver module path')
    .argument('<driver>', 'a built-in driver (e.g. tsndis.counters) or the path of a driver module (e.g. ./my-filter.js)')
    .option('--kind <kind>', `the driver's kind when the module exports several (${VERIFY_KINDS.join(', ')})`, kind)
    .option('-k, --keyword <name=value>', 'a keyword of the driver under test (repeatable)', keyword)
    .option('--check <name>', 'run only this check (repeatable)', check)
    .option('--timeout <seconds>', 'give up on a check after this long; the verifier’s timed rules use a third of it', numberOption(POSITIVE_SECONDS), 10)
    .option('--json', 'print the report as JSON', false)
    .action((driver: string, opts: VerifyCommandOptions) => run(() => verifyCommand(driver, opts)));
}
