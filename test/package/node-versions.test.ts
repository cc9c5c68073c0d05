/**
 * The Node versions the project says it supports are the ones CI tests: `engines` in package.json names
 * exactly the machine's line (20) and the LTS lines .ci/run installs and runs the suite on, README and
 * DEPENDENCIES.md list the same, and the Node running this suite satisfies `engines`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (f: string): string => readFileSync(join(ROOT, f), 'utf8');

const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
const typesNode = (JSON.parse(read('package.json')) as { devDependencies: Record<string, string> }).devDependencies['@types/node']!;

/** The clauses of a range made of `^X.Y.Z` and `>=X.Y.Z` joined by `||` (the forms `engines` uses). */
function clauses(range: string): { op: '^' | '>='; v: [number, number, number] }[] {
  return range.split('||').map((c) => {
    const m = /^\s*(\^|>=)(\d+)\.(\d+)\.(\d+)\s*$/.exec(c);
    assert.ok(m !== null, `engines clause '${c}' is ^X.Y.Z or >=X.Y.Z`);
    return { op: m[1] as '^' | '>=', v: [Number(m[2]), Number(m[3]), Number(m[4])] };
  });
}

function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const cmp = (a: number[], b: number[]): number => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  return clauses(range).some((c) => cmp(v, c.v) >= 0 && (c.op === '>=' || v[0] === c.v[0]));
}

/** The majors .ci/run runs the suite on after the machine's Node. */
function ciLines(): number[] {
  const m = /^for major in ([\d ]+); do$/m.exec(read('.ci/run'));
  assert.ok(m !== null, '.ci/run has the loop over Node lines');
  return m[1]!.trim().split(/\s+/).map(Number);
}

test('engines names the machine Node line and exactly the lines .ci/run tests', () => {
  const lines = ciLines();
  assert.ok(lines.includes(26), 'the active LTS line is tested');
  const majors = clauses(engines).map((c) => c.v[0]);
  assert.deepEqual(majors, [20, ...lines]);
  const last = clauses(engines).at(-1)!;
  assert.equal(last.op, '>=', 'the newest tested line is open-ended');
  for (const c of clauses(engines).slice(0, -1)) assert.equal(c.op, '^');
});

test('@types/node is the oldest tested line', () => {
  assert.match(typesNode, /^\^(\d+)\./);
  assert.equal(Number(/^\^(\d+)\./.exec(typesNode)![1]), clauses(engines)[0]!.v[0]);
});

test('README and DEPENDENCIES.md list the tested lines', () => {
  const list = ciLines().join(', ').replace(/, (\d+)$/, ' and $1');
  for (const f of ['README.md', 'DEPENDENCIES.md']) {
    const text = read(f);
    assert.match(text, /^## Node versions$/m, `${f} has a Node versions section`);
    assert.ok(text.includes(list), `${f} lists ${list}`);
  }
});

test('the Node running these tests satisfies engines', () => {
  assert.ok(satisfies(process.versions.node, engines), `${process.versions.node} in ${engines}`);
  assert.ok(satisfies('26.12.1', engines) && satisfies('20.20.2', engines) && !satisfies('21.7.0', engines) && !satisfies('20.11.0', engines));
});
