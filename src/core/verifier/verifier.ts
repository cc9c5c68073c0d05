/**
 * The runtime verifier: collects rule violations as typed errors and owns the deadlines of the timed
 * rules. On by default in tests (and in the CLI unless switched off). Detection never changes what the
 * runtime does to keep the stack consistent; it only decides what is checked and recorded.
 */
import { TsndisError } from '../../errors.js';
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { formatNblHistory, type NblHistoryEvent } from './nbl-history.js';
import { VERIFIER_RULES, type VerifierRule } from './rules.js';

export interface VerifierLimits {
  oidCompleteMs: number;
  dataSendMs: number;
  dataHangMs: number;
  filterPauseMs: number;
  filterDataSendMs: number;
  filterDataReceiveMs: number;
}

export const DEFAULT_VERIFIER_LIMITS: Readonly<VerifierLimits> = {
  oidCompleteMs: 12_000,
  dataSendMs: 30_000,
  dataHangMs: 22_000,
  filterPauseMs: 10_000,
  filterDataSendMs: 30_000,
  filterDataReceiveMs: 30_000,
};

export interface VerifierOptions {
  /** Ownership checks on every handoff, timestamps for the timed rules and periodic scans. */
  enabled?: boolean;
  limits?: Partial<VerifierLimits>;
  /** How often (ms of runtime clock) outstanding NBLs are scanned for the timed data rules. */
  scanIntervalMs?: number;
  /** Called for every violation (the CLI prints them; tests may throw). */
  onViolation?: (v: VerifierViolation) => void;
}

export class VerifierViolation extends TsndisError {
  readonly code = 'TSNDIS_VERIFIER_VIOLATION';
  constructor(
    readonly rule: VerifierRule,
    /** Name of the module at fault (adapter, filter module or binding path). */
    readonly module: string,
    readonly detail: string,
    readonly time: number,
    /** With NBL history on: the recent events of the NBL the violation is about, oldest first. */
    readonly history?: readonly NblHistoryEvent[],
  ) {
    super(`[${rule}] ${module}: ${detail}`);
    this.name = 'VerifierViolation';
  }

  /** The message, followed by the NBL's history (one event a line) when the violation carries one. */
  format(): string {
    if (this.history === undefined || this.history.length === 0) return this.message;
    return `${this.message}\n  history (oldest first):\n${formatNblHistory(this.history)}`;
  }

  get bugCheck(): number | undefined {
    const info = VERIFIER_RULES[this.rule];
    return 'bugCheck' in info ? info.bugCheck : undefined;
  }

  toJSON(): { rule: string; module: string; detail: string; time: number; history?: readonly NblHistoryEvent[] } {
    const j = { rule: this.rule, module: this.module, detail: this.detail, time: this.time };
    return this.history === undefined ? j : { ...j, history: this.history };
  }
}

export class Verifier {
  readonly enabled: boolean;
  readonly limits: VerifierLimits;
  readonly scanIntervalMs: number;
  readonly violations: VerifierViolation[] = [];
  /** Bounded: after this many, violations are only counted. */
  readonly maxRecorded = 1000;
  readonly counts = new Map<VerifierRule, number>();
  onViolation: ((v: VerifierViolation) => void) | null;
  /** Set by a runtime with NBL history on: decodes the history a violation about an NBL carries. */
  historyOf: ((nbl: NetBufferList) => NblHistoryEvent[] | null) | null = null;

  constructor(
    options: VerifierOptions = {},
    private readonly now: () => number = () => 0,
  ) {
    this.enabled = options.enabled ?? true;
    this.limits = { ...DEFAULT_VERIFIER_LIMITS, ...options.limits };
    this.scanIntervalMs = options.scanIntervalMs ?? 1000;
    this.onViolation = options.onViolation ?? null;
  }

  /** `nbl`: the NBL the violation is about (its history goes with the violation when history is on). */
  report(rule: VerifierRule, module: string, detail: string, nbl?: NetBufferList): VerifierViolation {
    const history = nbl === undefined || this.historyOf === null ? undefined : (this.historyOf(nbl) ?? undefined);
    const v = new VerifierViolation(rule, module, detail, this.now(), history);
    this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);
    if (this.violations.length < this.maxRecorded) this.violations.push(v);
    if (this.onViolation !== null) this.onViolation(v);
    return v;
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** Violations of `rule` (tests). */
  of(rule: VerifierRule): VerifierViolation[] {
    return this.violations.filter((v) => v.rule === rule);
  }
}
