#!/usr/bin/env node
// Same-run A/B of the virtual-wire data path between two builds: another checkout's dist/ (built with
// `npm run build` there) against this one's, loaded into ONE process and alternated round by round (the
// order swapped every round), so both see the same machine state. How docs/benchmarks.md measured the
// cost of NBL history with it off against the code from before it landed:
//   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
//   node scripts/compare-builds.mjs /tmp/before [rounds] [seconds]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [other, roundsArg = '8', secondsArg = '1.5'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
if (other === undefined || !Number.isInteger(rounds) || rounds < 1 || !(seconds > 0)) {
  console.error('usage: node scripts/compare-builds.mjs <other checkout> [rounds ≥ 1] [seconds > 0]');
  process.exit(2);
}
const load = (root) => import(pathToFileURL(resolve(root, 'dist', 'bench', 'datapath.js')).href);
const builds = { other: await load(other), this: await load(new URL('..', import.meta.url).pathname) };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const verifier of [false, true]) {
  const fps = { other: [], this: [] };
  // One unmeasured run of each first: the first run in a process pays for compiling the path.
  for (const which of ['other', 'this']) await builds[which].runDatapath(32, verifier, Math.min(seconds, 0.5));
  for (let i = 0; i < rounds; i++) {
    for (const which of i % 2 === 0 ? ['other', 'this'] : ['this', 'other']) {
      fps[which].push((await builds[which].runDatapath(32, verifier, seconds)).framesPerSecond);
    }
  }
  const a = median(fps.other);
  const b = median(fps.this);
  console.log(`batch 32, verifier ${verifier ? 'on' : 'off'}: other ${(a / 1e6).toFixed(2)} M frames/s, this ${(b / 1e6).toFixed(2)} M frames/s, ratio ${(b / a).toFixed(3)}`);
}
