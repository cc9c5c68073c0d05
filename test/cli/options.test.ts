/**
 * Every numeric option of every command goes through one parser (src/cli/options.ts): the parser's
 * rules as properties, then each command run as a user runs it (child processes, bounded) with bad
 * values, which must exit 2 naming the option before anything starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { parseNumber, type NumberRule } from '../../src/cli/options.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BENCH = join(ROOT, 'dist', 'bench', 'main.js');
const CONFIG = join(ROOT, 'examples', 'tcpip-services.yaml');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a script; a run that is still going after `limitMs` is killed (signal set, code null). */
function run(script: string, args: readonly string[], limitMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: ROOT, timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

describe('parseNumber', () => {
  const rule: NumberRule = { min: 0, max: 100 };
  test('accepts every decimal written plainly within the bounds and returns its value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 3 }), (scaled, digits) => {
        const v = scaled / 1000;
        if (v > 100) return;
        const text = v.toFixed(digits);
        assert.equal(parseNumber(text, rule), Number(text));
      }),
    );
  });

  test('rejects what Number() would quietly turn into a number', () => {
    for (const bad of ['', ' ', 'abc', '1e3', '0x10', 'Infinity', 'NaN', '1,5', '5s', '--1', '.', '1.2.3']) {
      assert.throws(() => parseNumber(bad, rule), InvalidArgumentError, `'${bad}'`);
    }
  });

  test('bounds: below min, above max, min itself when excluded, fractions for integers', () => {
    assert.throws(() => parseNumber('-1', rule), /expected a number from 0 to 100/);
    assert.throws(() => parseNumber('100.5', rule), /expected a number from 0 to 100/);
    assert.equal(parseNumber('100', rule), 100);
    assert.equal(parseNumber('0', rule), 0);
    const positive: NumberRule = { min: 0, minExclusive: true, max: 10 };
    assert.throws(() => parseNumber('0', positive), /expected a number greater than 0 and at most 10/);
    assert.throws(() => parseNumber('0.000', positive), /greater than 0/);
    assert.equal(parseNumber('0.001', positive), 0.001);
    const count: NumberRule = { integer: true, min: 1, max: 5 };
    assert.throws(() => parseNumber('1.5', count), /expected an integer from 1 to 5/);
    assert.throws(() => parseNumber('99999999999999999999', count), /expected an integer from 1 to 5/);
    assert.equal(parseNumber('+5', count), 5);
  });
});

/** [command line, option as commander names it, bad value]: every numeric option of every command. */
const MISUSE: [string[], string, string][] = [
  [['demo'], '--frames <n>', '0'],
  [['demo'], '--frames <n>', '1.5'],
  [['demo'], '--timeout <seconds>', 'abc'],
  [['demo'], '--timeout <seconds>', '0'],
  [['up', '--config', CONFIG], '--duration <seconds>', 'abc'],
  [['up', '--config', CONFIG], '--duration <seconds>', '-1'],
  [['up', '--config', CONFIG], '--status-interval <seconds>', 'abc'],
  [['up', '--config', CONFIG], '--status-interval <seconds>', '0'],
  [['up', '--config', CONFIG], '--duration <seconds>', '1e9'],
  [['capture', '--config', CONFIG, '--adapter', 'client/eth0', '--output', '/nonexistent/x'], '--duration <seconds>', 'abc'],
  [['capture', '--config', CONFIG, '--adapter', 'client/eth0', '--output', '/nonexistent/x'], '--duration <seconds>', '-5'],
  [['get', 'http://198.18.0.2/', '--config', CONFIG], '--timeout <seconds>', 'abc'],
  [['get', 'http://198.18.0.2/', '--config', CONFIG], '--timeout <seconds>', '0'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--count <n>', 'abc'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--count <n>', '0'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--size <bytes>', '-1'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--size <bytes>', '65508'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--interval <seconds>', 'abc'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--interval <seconds>', '0'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--timeout <seconds>', '-1'],
  [['ping', '198.18.0.2', '--config', CONFIG], '--timeout <seconds>', ''],
];

describe('every numeric option rejects bad values with exit 2, naming the option', { concurrency: 4 }, () => {
  for (const [cmd, option, value] of MISUSE) {
    const long = option.slice(0, option.indexOf(' '));
    test(`tsndis ${cmd[0]} ${long} '${value}'`, { timeout: 30_000 }, async () => {
      // `--opt=value` so a value starting with '-' is not read as an option.
      const r = await run(MAIN, [...cmd, `${long}=${value}`]);
      assert.equal(r.signal, null, `still running after 15 s: ${r.stdout.slice(0, 200)}`);
      assert.equal(r.code, 2, r.stderr);
      const flags = option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(r.stderr, new RegExp(`^error: option '(?:-\\w, )?${flags}' argument '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is invalid\\. expected (?:a number|an integer) `, 'm'));
      assert.equal(r.stdout, '', 'nothing started');
    });
  }

  test('npm run bench: --seconds and --repeats are checked the same way', { timeout: 30_000 }, async () => {
    for (const [option, value] of [['--seconds <n>', 'abc'], ['--seconds <n>', '0'], ['--repeats <n>', '0'], ['--repeats <n>', '2.5']] as const) {
      const long = option.slice(0, option.indexOf(' '));
      const r = await run(BENCH, [`${long}=${value}`]);
      assert.equal(r.signal, null, `bench ${long}=${value} still running after 15 s`);
      assert.equal(r.code, 2, `${long}=${value}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: option '${option}' argument '${value}' is invalid\\. expected `, 'm'));
    }
  });
});
