/**
 * The runner of `tsndis verify`: loads the driver, runs every check on fresh prepared stacks with the
 * verifier and NBL history on, bounds each check (and its teardown) in time, and gathers a report. A
 * driver that hangs a check fails it with a timeout; the runner gives up on those stacks (they no longer
 * hold the process) and moves on.
 */
import type { VerifierRule } from '../core/verifier/rules.js';
import type { VerifierLimits, VerifierViolation } from '../core/verifier/verifier.js';
import type { NblHistoryEvent } from '../core/verifier/nbl-history.js';
import { withTimeout } from '../util/with-timeout.js';
import { type CheckContext, VERIFY_CHECKS } from './checks.js';
import { type Bench, buildBench, describeBench, miniportHasPeer, removeScratch, unavailableReason } from './harness.js';
import { loadVerifySubject, type VerifyKeywords, type VerifyKind, VerifyUsageError } from './subject.js';

export type VerifyCheckStatus = 'pass' | 'fail' | 'skip';

/** A verifier violation a check raised, with the NBL's history when it is about an NBL. */
export interface VerifyViolationReport {
  readonly rule: VerifierRule;
  readonly module: string;
  readonly detail: string;
  readonly history?: readonly NblHistoryEvent[];
}

export interface VerifyCheckResult {
  readonly name: string;
  readonly title: string;
  readonly status: VerifyCheckStatus;
  /** Skipped: why the check does not apply. */
  readonly reason?: string;
  /** Ran with a limitation the reader should know (a miniport without a peer: receives not checked). */
  readonly note?: string;
  /** What went wrong (failures), one sentence each. */
  readonly problems: readonly string[];
  /** The verifier rules the check exercises. */
  readonly rules: readonly VerifierRule[];
  /** The rules violated while it ran, each once, in the order first seen. */
  readonly violatedRules: readonly VerifierRule[];
  /** The violations (at most MAX_VIOLATIONS per check), with NBL histories. */
  readonly violations: readonly VerifyViolationReport[];
  readonly durationMs: number;
}

export interface VerifyReport {
  readonly driver: string;
  readonly kind: VerifyKind;
  /** 'builtin' or the module's absolute path. */
  readonly source: string;
  readonly checks: readonly VerifyCheckResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** No check failed. */
  readonly ok: boolean;
}

export interface VerifyOptions {
  /** Keywords for the driver under test (the miniport on both sides of a pair). */
  keywords?: VerifyKeywords;
  /** Run only these checks (names from VERIFY_CHECKS); the rest are left out of the report. */
  checks?: readonly string[];
  /** Bound on each check, teardown excluded (default 10 000 ms). The verifier's timed rules use a third of it. */
  timeoutMs?: number;
  /** Where a relative module path resolves from (default the current directory). */
  baseDir?: string;
  /** Called as each check starts (progress display). */
  onCheck?: (name: string, index: number, total: number) => void;
}

/** Violations kept per check in the report (the count of each rule is complete in `violatedRules`). */
const MAX_VIOLATIONS = 5;
let runs = 0;

/** The names of the checks run by default, in the order they run. */
export const VERIFY_CHECK_NAMES: readonly string[] = VERIFY_CHECKS.filter((c) => c.optIn !== true).map((c) => c.name);
/** Checks that run only when named (`--check offloads`). */
export const VERIFY_OPTIONAL_CHECK_NAMES: readonly string[] = VERIFY_CHECKS.filter((c) => c.optIn === true).map((c) => c.name);
const ALL_CHECK_NAMES = [...VERIFY_CHECK_NAMES, ...VERIFY_OPTIONAL_CHECK_NAMES];

/** The verifier's limits for a run whose checks are bounded by `timeoutMs`: the timed rules fire well inside it. */
function limitsFor(timeoutMs: number): VerifierLimits {
  const t = Math.max(300, Math.round(timeoutMs / 3));
  return { oidCompleteMs: t, dataSendMs: t, dataHangMs: t, filterPauseMs: t, filterDataSendMs: t, filterDataReceiveMs: t };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function violationsOf(bench: Bench | null): VerifierViolation[] {
  if (bench === null) return [];
  return [...bench.stacks.hosts.values()].flatMap((h) => h.runtime.verifier.violations);
}

/**
 * Runs the battery against `driver` (a built-in service name or a module path) and resolves with the
 * report. Rejects with VerifyUsageError (code TSNDIS_CONFIG_INVALID) for an unknown driver, a module
 * that is not one, a kind that does not match or an unknown check name.
 */
export async function runVerify(driver: string, kind?: VerifyKind, options: VerifyOptions = {}): Promise<VerifyReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new VerifyUsageError(`the check timeout must be more than 0 ms, got ${timeoutMs}`);
  for (const c of options.checks ?? []) if (!ALL_CHECK_NAMES.includes(c)) throw new VerifyUsageError(`no check named '${c}' (checks: ${ALL_CHECK_NAMES.join(', ')})`);
  const baseDir = options.baseDir ?? process.cwd();
  const subject = await loadVerifySubject(driver, kind, baseDir);
  const limits = limitsFor(timeoutMs);
  const teardownMs = limits.filterPauseMs + 1000;
  const selected = VERIFY_CHECKS.filter((c) => (options.checks === undefined ? c.optIn !== true : options.checks.includes(c.name)));
  const unavailable = unavailableReason(subject);
  if (unavailable === null) {
    // The keywords are checked against the driver's schema once, before any check runs.
    try {
      const scratch: string[] = [];
      await describeBench(subject, { keywords: options.keywords ?? {}, limits, run: 0, baseDir }, scratch).finally(() => removeScratch(scratch));
    } catch (e) {
      // The validator's message names the keyword; where the generated config put it means nothing to the user.
      const why = message(e).replace(/^verify [^:]*: /, '').replace(/^hosts\.[^:\s]*?\.keywords\.[^:\s]+: /, '');
      throw new VerifyUsageError(why, { cause: e });
    }
  }
  const results: VerifyCheckResult[] = [];
  const partial = subject.kind === 'miniport' && !miniportHasPeer(subject) ? 'no peer: frames sent are checked for completion, none are received' : null;

  for (const [i, check] of selected.entries()) {
    options.onCheck?.(check.name, i, selected.length);
    const start = performance.now();
    const skip = unavailable ?? check.skip(subject);
    const base = { name: check.name, title: check.title, rules: check.rules, ...(partial === null || !check.traffic ? {} : { note: partial }) };
    if (skip !== null) {
      results.push({ name: check.name, title: check.title, rules: check.rules, status: 'skip', reason: skip, problems: [], violatedRules: [], violations: [], durationMs: 0 });
      continue;
    }
    const problems: string[] = [];
    const abort = new AbortController();
    let bench: Bench | null = null;
    try {
      bench = await withTimeout(buildBench(subject, { keywords: options.keywords ?? {}, limits, run: ++runs, baseDir, offloads: check.offloads === true }), timeoutMs, 'building the stacks');
      const b = bench;
      const ctx: CheckContext = { bench: b, signal: abort.signal, limits, step: (p, ms, what) => withTimeout(p, ms, what) };
      problems.push(...(await withTimeout(check.run(ctx), timeoutMs, `the check`)));
    } catch (e) {
      problems.push(message(e));
    } finally {
      abort.abort(new Error('check over'));
    }
    if (bench !== null) {
      try {
        await withTimeout(bench.teardown(), teardownMs, 'tearing the stacks down');
      } catch (e) {
        problems.push(message(e));
      }
    }
    const violations = violationsOf(bench).filter((v) => !(check.provokes ?? []).includes(v.rule));
    const unique = [...new Set(problems)];
    const violatedRules = [...new Set(violations.map((v) => v.rule))];
    const failed = unique.length > 0 || violations.length > 0;
    results.push({
      ...base,
      status: failed ? 'fail' : 'pass',
      problems: unique,
      violatedRules,
      violations: violations.slice(0, MAX_VIOLATIONS).map((v) => ({ rule: v.rule, module: v.module, detail: v.detail, ...(v.history === undefined ? {} : { history: v.history }) })),
      durationMs: Math.round(performance.now() - start),
    });
  }
  const count = (s: VerifyCheckStatus): number => results.filter((r) => r.status === s).length;
  return { driver: subject.name, kind: subject.kind, source: subject.source, checks: results, passed: count('pass'), failed: count('fail'), skipped: count('skip'), ok: count('fail') === 0 };
}
