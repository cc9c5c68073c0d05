/**
 * Impairment parameters of one direction: the programmatic form (`ImpairmentParams`, probabilities in
 * 0–1, times in ms), its keyword form (INF-like `Send…` / `Receive…` keywords, percentages), and the one
 * table both are derived from, so a parameter cannot exist in one form and not the other.
 *
 * Percent keywords are declared `edit` (a string such as "0.5"): the config schema's `int` type cannot
 * say 0.5 %, and a loss emulator needs fractions of a percent. Their range (0–100) is checked here, when
 * the module attaches; an unusable value falls back to the default with a warning in the log, as NDIS
 * drivers treat a bad registry value.
 */
import type { ConfigurationReader, KeywordDefinition, KeywordSchema } from '../../../ndis/index.js';

export type ImpairmentDirectionName = 'send' | 'receive';
export type JitterDistribution = 'uniform' | 'normal';

/** What one direction does to the frames passing it. Every field has a neutral default (nothing happens). */
export interface ImpairmentParams {
  /** Random (Bernoulli) loss per frame, 0–1. */
  readonly lossProbability: number;
  /** Gilbert–Elliott burst loss: probability per frame of moving good → bad; 0 switches the model off. */
  readonly burstEnterProbability: number;
  /** Probability per frame of moving bad → good. */
  readonly burstExitProbability: number;
  /** Loss probability while in the good state. */
  readonly burstLossGoodProbability: number;
  /** Loss probability while in the bad state. */
  readonly burstLossBadProbability: number;
  /** Fixed one-way delay added to every frame. */
  readonly delayMs: number;
  /** Jitter amplitude: uniform in ±jitterMs, or normal with σ = jitterMs (cut at ±3σ). */
  readonly jitterMs: number;
  readonly jitterDistribution: JitterDistribution;
  /** False (default): a frame never leaves before one that entered earlier. True: jitter may reorder (netem). */
  readonly jitterReorders: boolean;
  /** Probability that a frame is held back until `reorderGap` later frames went ahead of it. */
  readonly reorderProbability: number;
  readonly reorderGap: number;
  /** A held-back frame leaves after this long even when fewer than `reorderGap` frames followed. */
  readonly reorderMaxHoldMs: number;
  /** Probability that a frame is duplicated; it is then followed by `duplicateCount` copies. */
  readonly duplicateProbability: number;
  readonly duplicateCount: number;
  /** Probability that a frame is corrupted: `corruptBits` distinct bits flipped, none in the first `corruptSkipBytes`. */
  readonly corruptProbability: number;
  readonly corruptBits: number;
  readonly corruptSkipBytes: number;
  /** Token-bucket rate in bit/s (frame bytes × 8); 0 = unlimited. */
  readonly rateBps: number;
  /** Bucket depth in bytes; 0 = one frame (frames leave back to back at the rate). */
  readonly rateBurstBytes: number;
  /** Frames this direction may hold at once (delay line, rate backlog and held-back frames together). */
  readonly queueFrames: number;
  /** Seed of this direction's generator (the same seed and frames give the same decisions). */
  readonly seed: number;
}

type ParamField = Exclude<keyof ImpairmentParams, 'seed'>;

interface ParamSpec {
  /** Keyword name without the `Send` / `Receive` prefix. */
  readonly suffix: string;
  readonly kind: 'percent' | 'int' | 'enum' | 'boolean';
  /** Default in keyword units (percent for `percent`). */
  readonly default: number | string | boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly description: string;
}

export const MAX_DELAY_MS = 10_000;
export const MAX_DUPLICATE_COUNT = 16;
export const MAX_CORRUPT_BITS = 64;
export const MAX_QUEUE_FRAMES = 65_536;

/** The one table: every parameter, its keyword suffix, type, default and range. */
export const PARAM_SPECS: { readonly [F in ParamField]: ParamSpec } = {
  lossProbability: { suffix: 'LossPercent', kind: 'percent', default: 0, description: 'random loss: percent of frames dropped (decimals allowed, e.g. 0.5)' },
  burstEnterProbability: { suffix: 'BurstLossEnterPercent', kind: 'percent', default: 0, description: 'Gilbert–Elliott burst loss: percent chance per frame of entering the bad state; 0 switches burst loss off' },
  burstExitProbability: { suffix: 'BurstLossExitPercent', kind: 'percent', default: 50, description: 'Gilbert–Elliott: percent chance per frame of leaving the bad state' },
  burstLossGoodProbability: { suffix: 'BurstLossGoodPercent', kind: 'percent', default: 0, description: 'Gilbert–Elliott: loss percent in the good state' },
  burstLossBadProbability: { suffix: 'BurstLossBadPercent', kind: 'percent', default: 100, description: 'Gilbert–Elliott: loss percent in the bad state' },
  delayMs: { suffix: 'DelayMs', kind: 'int', default: 0, min: 0, max: MAX_DELAY_MS, description: 'fixed delay added to every frame, in ms' },
  jitterMs: { suffix: 'JitterMs', kind: 'int', default: 0, min: 0, max: MAX_DELAY_MS, description: 'jitter in ms: ± this (uniform) or σ (normal, cut at ±3σ); the total delay never goes below 0' },
  jitterDistribution: { suffix: 'JitterDistribution', kind: 'enum', default: 'uniform', values: ['uniform', 'normal'], description: 'distribution of the jitter' },
  jitterReorders: { suffix: 'JitterReorders', kind: 'boolean', default: false, description: 'let frames with less jitter overtake earlier ones (netem behaviour); default keeps order' },
  reorderProbability: { suffix: 'ReorderPercent', kind: 'percent', default: 0, description: 'percent of frames held back until ReorderGap later frames went ahead' },
  reorderGap: { suffix: 'ReorderGap', kind: 'int', default: 3, min: 1, max: 1000, description: 'later frames that overtake a held-back frame' },
  reorderMaxHoldMs: { suffix: 'ReorderMaxHoldMs', kind: 'int', default: 100, min: 1, max: MAX_DELAY_MS, description: 'a held-back frame leaves after this many ms even if fewer frames followed' },
  duplicateProbability: { suffix: 'DuplicatePercent', kind: 'percent', default: 0, description: 'percent of frames duplicated' },
  duplicateCount: { suffix: 'DuplicateCount', kind: 'int', default: 1, min: 1, max: MAX_DUPLICATE_COUNT, description: 'copies sent after a duplicated frame' },
  corruptProbability: { suffix: 'CorruptPercent', kind: 'percent', default: 0, description: 'percent of frames corrupted' },
  corruptBits: { suffix: 'CorruptBits', kind: 'int', default: 1, min: 1, max: MAX_CORRUPT_BITS, description: 'distinct bits flipped in a corrupted frame (fewer if the frame is shorter)' },
  corruptSkipBytes: { suffix: 'CorruptSkipBytes', kind: 'int', default: 14, min: 0, max: 65_535, description: 'leading bytes never corrupted (14 keeps the Ethernet header intact)' },
  rateBps: { suffix: 'RateBps', kind: 'int', default: 0, min: 0, max: 1_000_000_000_000, description: 'token-bucket rate limit in bit/s of frame bytes; 0 = unlimited' },
  rateBurstBytes: { suffix: 'RateBurstBytes', kind: 'int', default: 0, min: 0, max: 16_777_216, description: 'token-bucket depth in bytes; 0 = one frame' },
  queueFrames: { suffix: 'QueueFrames', kind: 'int', default: 1000, min: 1, max: MAX_QUEUE_FRAMES, description: 'frames held at most (delay line, rate backlog, held-back frames); more are dropped and counted' },
};

const FIELDS = Object.keys(PARAM_SPECS) as ParamField[];

/** Keyword prefix of a direction. */
export function keywordPrefix(direction: ImpairmentDirectionName): 'Send' | 'Receive' {
  return direction === 'send' ? 'Send' : 'Receive';
}

/** Neutral parameters: nothing is lost, delayed, reordered, duplicated, corrupted or limited. */
export function defaultParams(seed = 1): ImpairmentParams {
  const out: Record<string, unknown> = { seed };
  for (const f of FIELDS) {
    const s = PARAM_SPECS[f];
    out[f] = s.kind === 'percent' ? (s.default as number) / 100 : s.default;
  }
  return out as unknown as ImpairmentParams;
}

/** The keyword schema (characteristics `keywords`): every parameter for both directions, plus `Seed`. */
export function impairmentKeywordSchema(): KeywordSchema {
  const schema: Record<string, KeywordDefinition> = {};
  for (const direction of ['send', 'receive'] as const) {
    const prefix = keywordPrefix(direction);
    for (const f of FIELDS) {
      const s = PARAM_SPECS[f];
      const description = `${direction}: ${s.description}`;
      switch (s.kind) {
        case 'percent':
          schema[prefix + s.suffix] = { type: 'edit', description: `${description}; 0–100`, default: String(s.default), min: 0, max: 100 };
          break;
        case 'int':
          schema[prefix + s.suffix] = { type: 'int', description, default: s.default, ...(s.min === undefined ? {} : { min: s.min }), ...(s.max === undefined ? {} : { max: s.max }) };
          break;
        case 'enum':
          schema[prefix + s.suffix] = { type: 'enum', description, default: s.default, values: s.values ?? [] };
          break;
        case 'boolean':
          schema[prefix + s.suffix] = { type: 'boolean', description, default: s.default };
          break;
      }
    }
  }
  schema['Seed'] = { type: 'int', description: 'seed of the random decisions (send uses it as is, receive a value derived from it)', default: 1, min: 0, max: 0xffffffff };
  return schema;
}

/** Parses a percent keyword value ("0.5", "0.5%", 2); null when it is not a number in 0–100. */
export function parsePercent(value: unknown): number | null {
  if (typeof value === 'number') return value >= 0 && value <= 100 ? value : null;
  if (typeof value !== 'string') return null;
  const t = value.trim().replace(/%$/, '').trim();
  if (t === '' || !/^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : null;
}

/**
 * One direction's parameters from the module's keywords. Unusable values fall back to their default;
 * each is reported through `warn` (the module logs it).
 */
export function paramsFromKeywords(k: ConfigurationReader, direction: ImpairmentDirectionName, warn: (message: string) => void): ImpairmentParams {
  const prefix = keywordPrefix(direction);
  const out: Record<string, unknown> = { seed: k.readInt('Seed', 1, 0, 0xffffffff) >>> 0 };
  for (const f of FIELDS) {
    const s = PARAM_SPECS[f];
    const name = prefix + s.suffix;
    const raw = k.read(name);
    switch (s.kind) {
      case 'percent': {
        let pct = s.default as number;
        if (raw !== undefined) {
          const v = parsePercent(raw);
          if (v === null) warn(`${name}: '${String(raw)}' is not a percentage in 0–100; using ${pct}`);
          else pct = v;
        }
        out[f] = pct / 100;
        break;
      }
      case 'int': {
        let v = s.default as number;
        if (raw !== undefined) {
          const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
          if (Number.isInteger(n) && n >= (s.min ?? -Infinity) && n <= (s.max ?? Infinity)) v = n;
          else warn(`${name}: '${String(raw)}' is not an integer in ${s.min ?? '-∞'}..${s.max ?? '∞'}; using ${v}`);
        }
        out[f] = v;
        break;
      }
      case 'enum': {
        const v = k.readString(name, s.default as string);
        if (!(s.values ?? []).includes(v)) {
          warn(`${name}: '${v}' is not one of ${(s.values ?? []).join(', ')}; using ${String(s.default)}`);
          out[f] = s.default;
        } else {
          out[f] = v;
        }
        break;
      }
      case 'boolean':
        out[f] = k.readBoolean(name, s.default as boolean);
        break;
    }
  }
  return out as unknown as ImpairmentParams;
}

function isProbability(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v <= 1;
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * `base` with `change` applied, checked as a whole. An impossible value is a bug in the caller, so it
 * throws RangeError (naming the field) and nothing changes. `capacity` is the queue the module
 * allocated at attach; `queueFrames` cannot exceed it.
 */
export function mergeParams(base: ImpairmentParams, change: Partial<ImpairmentParams>, capacity: number): ImpairmentParams {
  const next = { ...base, ...change };
  const bad = (field: string, why: string): never => {
    throw new RangeError(`impairment: ${field} ${String((next as Record<string, unknown>)[field])} ${why}`);
  };
  for (const f of FIELDS) {
    const s = PARAM_SPECS[f];
    const v = next[f];
    if (s.kind === 'percent' && !isProbability(v)) bad(f, 'is not a probability in 0..1');
  }
  const nonNegativeMs = (f: 'delayMs' | 'jitterMs' | 'reorderMaxHoldMs', min = 0): void => {
    const v = next[f];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= min && v <= MAX_DELAY_MS)) bad(f, `is not a time in ${min}..${MAX_DELAY_MS} ms`);
  };
  nonNegativeMs('delayMs');
  nonNegativeMs('jitterMs');
  nonNegativeMs('reorderMaxHoldMs', Number.MIN_VALUE);
  if (next.jitterDistribution !== 'uniform' && next.jitterDistribution !== 'normal') bad('jitterDistribution', "is not 'uniform' or 'normal'");
  if (typeof next.jitterReorders !== 'boolean') bad('jitterReorders', 'is not a boolean');
  if (!isIntIn(next.reorderGap, 1, 1000)) bad('reorderGap', 'is not an integer in 1..1000');
  if (!isIntIn(next.duplicateCount, 1, MAX_DUPLICATE_COUNT)) bad('duplicateCount', `is not an integer in 1..${MAX_DUPLICATE_COUNT}`);
  if (!isIntIn(next.corruptBits, 1, MAX_CORRUPT_BITS)) bad('corruptBits', `is not an integer in 1..${MAX_CORRUPT_BITS}`);
  if (!isIntIn(next.corruptSkipBytes, 0, 65_535)) bad('corruptSkipBytes', 'is not an integer in 0..65535');
  if (!(typeof next.rateBps === 'number' && Number.isFinite(next.rateBps) && next.rateBps >= 0)) bad('rateBps', 'is not a rate ≥ 0 bit/s');
  if (!isIntIn(next.rateBurstBytes, 0, 16_777_216)) bad('rateBurstBytes', 'is not an integer in 0..16777216');
  if (!isIntIn(next.queueFrames, 1, capacity)) bad('queueFrames', `is not an integer in 1..${capacity} (the QueueFrames keyword sets the capacity at attach)`);
  if (!isIntIn(next.seed, 0, 0xffffffff)) bad('seed', 'is not an integer in 0..2^32-1');
  return next;
}

/** The parameters that differ from the neutral defaults (what the inspector shows). */
export function changedParams(p: ImpairmentParams): Record<string, number | string | boolean> {
  const d = defaultParams();
  const out: Record<string, number | string | boolean> = {};
  for (const f of FIELDS) if (p[f] !== d[f]) out[f] = p[f];
  return out;
}
