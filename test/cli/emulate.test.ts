/**
 * `tsndis emulate` run as a user runs it (child processes, bounded):
 *   - a bridge between two virtual wires with an impairment filter, a host pinging across it: the
 *     status lines show the bridge forwarding and the filter impairing, and --duration ends it (exit 0);
 *   - the same until SIGINT: it stops cleanly (exit 0, "stopping", the last status);
 *   - a config without tsndis.bridge is refused with exit 2 and one error line;
 *   - examples/emulator.yaml itself (root): its TAPs moved into two namespaces, which ping each other
 *     through the emulator, then SIGINT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAIN, ROOT, runTsndis, tsndis } from '../support/cli.js';
import { interopSkipReason, Netns, sh, uniqueName, waitExit } from '../support/netns.js';

/** Two wires joined by a bridge (impairment on port b); host left pings host right across it. */
function wiresConfig(subnet: string): string {
  return `wires: { left: {}, right: {} }
hosts:
  emu:
    adapters:
      a: { driver: tsndis.virtual-wire, keywords: { Wire: left }, protocols: [{ driver: tsndis.bridge }] }
      b:
        driver: tsndis.virtual-wire
        keywords: { Wire: right }
        filters: [{ driver: tsndis.impairment, keywords: { SendLossPercent: "20", SendDuplicatePercent: "20", SendDelayMs: 1, Seed: 5 } }]
        protocols: [{ driver: tsndis.bridge }]
  left:
    services: [{ service: ping, target: ${subnet}.2, intervalMs: 20, count: 10000 }]
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: left }, protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [${subnet}.1/24] } }] }
  right:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: right }, protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [${subnet}.2/24] } }] }
`;
}

/** The numbers of the last status line matching `re`'s first group. */
function last(stdout: string, re: RegExp): RegExpExecArray {
  const all = [...stdout.matchAll(new RegExp(re.source, 'gm'))];
  assert.ok(all.length > 0, `no line matching ${re} in:\n${stdout}`);
  return all[all.length - 1]! as RegExpExecArray;
}

test('emulate: a bridge with an impairment filter forwards and impairs, prints both, and stops after --duration', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-emulate-'));
  try {
    const file = join(dir, 'emu.yaml');
    writeFileSync(file, wiresConfig('198.18.141'));
    const r = await runTsndis(['emulate', '--config', file, '--duration', '2', '--status-interval', '0.5'], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^tsndis emulate: 3 host\(s\) running from /);
    const bridge = last(r.stdout, /^\S+ emu br0: 2 ports, (\d+) addresses; rx (\d+) forwarded (\d+) flooded (\d+) tx (\d+) dropped (\d+)$/);
    assert.equal(bridge[1], '2', 'both hosts learned');
    assert.ok(Number(bridge[3]) > 20, `forwarded ${bridge[3]}`);
    const send = last(r.stdout, /^\S+ emu\/b tsndis\.impairment: send offered (\d+) passed (\d+) lost (\d+) duplicated (\d+) /);
    assert.ok(Number(send[3]) > 0 && Number(send[4]) > 0, `lost ${send[3]}, duplicated ${send[4]}`);
    assert.match(r.stdout, /^\S+ {3}left: ping 198\.18\.141\.2: .*pingsAnswered [1-9]/m);
    assert.match(r.stdout, /^tsndis emulate: stopping$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('emulate: SIGINT stops a running emulator cleanly (exit 0, final status)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-emulate-'));
  try {
    const file = join(dir, 'emu.yaml');
    writeFileSync(file, wiresConfig('198.18.142'));
    const child = spawn(process.execPath, [MAIN, 'emulate', '--config', file, '--status-interval', '0.2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const forwarding = (): boolean => /forwarded [1-9]\d*/.test(out);
    for (let i = 0; i < 400 && !forwarding() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(forwarding(), `no forwarding seen:\n${out}${err}`);
    child.kill('SIGINT');
    assert.equal(await waitExit(child, 20_000), 0, err);
    assert.match(out, /^tsndis emulate: stopping$/m);
    assert.match(out.slice(out.indexOf('stopping')), /emu br0: 2 ports/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('emulate: a config that binds no tsndis.bridge exits 2 with one error line', async () => {
  const r = await tsndis('emulate', '--config', 'examples/two-hosts.yaml', '--duration', '1');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'error: examples/two-hosts.yaml: hosts: no adapter binds tsndis.bridge: an emulator joins adapters with it (see examples/emulator.yaml), or run the config with `tsndis up`\n');
});

const skip = interopSkipReason('ping');
test('emulate: examples/emulator.yaml joins two namespaces through its impaired bridge', { skip: skip ?? false, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-emulate-'));
  const tapA = uniqueName('xa');
  const tapB = uniqueName('xb');
  const nsA = Netns.create();
  const nsB = Netns.create();
  const child = (() => {
    // The example with interface names of this run (parallel runs and leftovers never collide).
    const file = join(dir, 'emulator.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'examples', 'emulator.yaml'), 'utf8').replaceAll('emu-a', tapA).replaceAll('emu-b', tapB));
    return spawn(process.execPath, [MAIN, 'emulate', '--config', file, '--status-interval', '0.5'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  })();
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    for (let i = 0; i < 400 && !out.includes('running from') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(out.includes('running from'), `did not start:\n${out}${err}`);
    nsA.adopt(tapA, { address: '198.18.143.1/24' });
    nsB.adopt(tapB, { address: '198.18.143.2/24' });
    const ping = await nsA.run('ping', ['-c', '40', '-i', '0.02', '-W', '2', '198.18.143.2']);
    const m = /(\d+) received/.exec(ping);
    assert.ok(m !== null && Number(m[1]) >= 25, `ping through 3 % loss each way: ${ping}`);
    assert.match(ping, /rtt min\/avg\/max\/mdev = ([4-9]|\d\d)\./, 'at least the 2 ms each way');
    await new Promise((r) => setTimeout(r, 600));
    child.kill('SIGINT');
    assert.equal(await waitExit(child, 20_000), 0, err);
    const send = last(out, /^\S+ emu\/b tsndis\.impairment: send offered (\d+) passed (\d+) lost (\d+)/);
    assert.ok(Number(send[1]) >= 40, `offered ${send[1]}`);
    const bridge = last(out, /^\S+ emu br0: 2 ports, (\d+) addresses; rx (\d+) forwarded (\d+)/);
    assert.ok(Number(bridge[3]) >= 60, `forwarded ${bridge[3]}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    nsA.destroy();
    nsB.destroy();
    for (const t of [tapA, tapB]) {
      try {
        sh('ip', ['link', 'del', t]);
      } catch {
        // gone with its namespace or the process
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
