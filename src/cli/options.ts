/**
 * The one parser for every numeric command-line option (the CLI's and the benchmark's). Commander's
 * usual `(v) => Number(v)` accepts 'abc' (NaN), '' (0), '1e9' and '0x10', so a misspelt `--duration`
 * ran forever and `--status-interval 0` printed without pause. Here a value must be written as a plain
 * decimal (an integer where the rule says so) within the rule's bounds; anything else throws commander's
 * InvalidArgumentError, which commander reports as `error: option '--x <n>' argument 'v' is invalid.
 * expected …` and main.ts turns into exit 2, before anything starts.
 */
import { InvalidArgumentError } from 'commander';

export interface NumberRule {
  /** Whole numbers only. */
  readonly integer?: boolean;
  readonly min: number;
  /** The value must be greater than `min` (intervals and timeouts, where 0 makes no sense). */
  readonly minExclusive?: boolean;
  readonly max: number;
}

/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_SECONDS = Math.floor(0x7fffffff / 1000);

/** A run length: 0 means "until Ctrl-C". */
export const DURATION: NumberRule = { min: 0, max: MAX_SECONDS };
/** A timeout or an interval in seconds: more than 0. */
export const POSITIVE_SECONDS: NumberRule = { min: 0, minExclusive: true, max: MAX_SECONDS };

/** `--processors <n>`: a host's processors (the config key `processors:`). */
export const PROCESSORS: NumberRule = { integer: true, min: 1, max: 64 };
/** The help text of `--processors`, the same on every command. */
export const PROCESSORS_HELP = "run every host on this many processors (overrides each host's processors:; more than 1 needs TSNDIS_PROCESSORS=sim:<seed> until worker threads exist)";

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function expected(rule: NumberRule): string {
  const kind = rule.integer === true ? 'an integer' : 'a number';
  return rule.minExclusive === true ? `${kind} greater than ${rule.min} and at most ${rule.max}` : `${kind} from ${rule.min} to ${rule.max}`;
}

/** `value` as a number obeying `rule`, or an InvalidArgumentError saying what was expected. */
export function parseNumber(value: string, rule: NumberRule): number {
  const text = value.trim();
  const n = Number(text);
  const ok =
    (rule.integer === true ? INTEGER.test(text) && Number.isSafeInteger(n) : DECIMAL.test(text) && Number.isFinite(n)) &&
    (rule.minExclusive === true ? n > rule.min : n >= rule.min) &&
    n <= rule.max;
  if (!ok) throw new InvalidArgumentError(`expected ${expected(rule)}`);
  return n;
}

/** A commander argument parser for `rule`: `.option('--count <n>', '…', numberOption({ … }), 4)`. */
export function numberOption(rule: NumberRule): (value: string) => number {
  return (value) => parseNumber(value, rule);
}
