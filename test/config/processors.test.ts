/**
 * `processors:` and `processorFailure:` on a host, and `TSNDIS_PROCESSORS`: validation (ConfigErrors at
 * the key path), the default of one processor (no set, today's runtime), the clear error for worker
 * threads this build does not have, and a config with `processors: 2` built on the simulated processor
 * set — its stack's JSON shows both processors and a multi-processor miniport's counters summed over its
 * replicas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStacks, createStacks } from '../../src/config/index.js';
import { processorModeFromEnv } from '../../src/config/binding-engine.js';
import { parseProcessorMode } from '../../src/core/processors/create.js';
import { SimulatedProcessorSet } from '../../src/core/processors/simulated.js';
import { ConfigError, RuntimeOperationError } from '../../src/errors.js';
import { renderJson, snapshotRuntime } from '../../src/inspect/index.js';
import { execFile } from 'node:child_process';
import { MAIN, type CliRun } from '../support/cli.js';
import type { MpTestDriver } from '../support/processors.js';
import { PEER_MAC, TEST_MAC, seqFrame } from '../support/test-drivers.js';
import { expectConfigError, fixtureDir, parse, writeFixture } from './helpers.js';

const dir = fixtureDir();
/** A config-loadable multi-processor test miniport: the MpTestDriver of test/support, exported as `mp` too. */
const support = new URL('../support/processors.js', import.meta.url).href;
writeFixture(dir, 'mp-driver.js', `import { MpTestDriver } from ${JSON.stringify(support)};
export const mp = new MpTestDriver('fx.mp-miniport');
export default mp.characteristics;
`);

const host = (extra: string) => `
hosts:
  h:
${extra}
    adapters:
      eth0:
        driver: tsndis.virtual-wire
`;

test('config: processors and processorFailure default to 1 and continue, and take their valid values', async () => {
  const d = await parse(host(''));
  assert.deepEqual([d.hosts[0]!.processors, d.hosts[0]!.processorFailure], [1, 'continue']);
  const e = await parse(host('    processors: 64\n    processorFailure: stop'));
  assert.deepEqual([e.hosts[0]!.processors, e.hosts[0]!.processorFailure], [64, 'stop']);
});

test('config: a bad processors or processorFailure value is a ConfigError at its key path', async () => {
  await expectConfigError(host('    processors: 0'), 'hosts.h.processors', /number 0 is below the minimum 1/);
  await expectConfigError(host('    processors: 65'), 'hosts.h.processors', /number 65 is above the maximum 64/);
  await expectConfigError(host('    processors: 1.5'), 'hosts.h.processors', /expected an integer|integer/);
  await expectConfigError(host('    processors: two'), 'hosts.h.processors', /expected a number, got the string "two"/);
  await expectConfigError(host('    processorFailure: panic'), 'hosts.h.processorFailure', /the string "panic" is not one of "continue", "stop"/);
  await expectConfigError(host('    processor: 2'), 'hosts.h.processor', /unknown key 'processor' \(allowed here: .*processors, processorFailure/);
});

test('TSNDIS_PROCESSORS: threads or sim:<seed>; anything else is a ConfigError naming the variable', () => {
  assert.deepEqual(processorModeFromEnv({}), { kind: 'threads' });
  assert.deepEqual(processorModeFromEnv({ TSNDIS_PROCESSORS: 'sim:42' }), { kind: 'simulated', seed: 42 });
  assert.deepEqual(processorModeFromEnv({ TSNDIS_PROCESSORS: ' threads ' }), { kind: 'threads' });
  assert.deepEqual(parseProcessorMode('sim:2147483647'), { kind: 'simulated', seed: 2147483647 });
  for (const bad of ['sim', 'sim:', 'sim:-1', 'sim:2147483648', 'sim:1x', 'simulated:1', '2']) {
    assert.throws(
      () => processorModeFromEnv({ TSNDIS_PROCESSORS: bad }),
      (e: unknown) => e instanceof ConfigError && e.file === 'TSNDIS_PROCESSORS' && /is not a processor mode \(expected 'threads' or 'sim:<seed>'/.test(e.message),
      bad,
    );
  }
});

test('processors: 2 on worker threads is refused with a clear error until threads exist; processors: 1 builds no set', async () => {
  await assert.rejects(
    buildStacks(await parse(host('    processors: 2')), { processorMode: { kind: 'threads' }, settleTimeoutMs: 2000 }),
    (e: unknown) => e instanceof RuntimeOperationError && /host h: 2 processors need worker threads, which this build does not have yet; set TSNDIS_PROCESSORS=sim:<seed>/.test(e.message),
  );
  const one = await buildStacks(await parse(host('    processors: 1')), { processorMode: { kind: 'threads' } });
  try {
    assert.equal(one.host('h').runtime.processors, null);
    assert.equal(one.host('h').runtime.processorCount, 1);
    assert.equal(snapshotRuntime(one.host('h').runtime).processors, undefined);
  } finally {
    await one.shutdown();
  }
});

test('processors: 2 under sim:<seed>: the stack runs on two simulated processors, the JSON shows both and the miniport\'s counters summed over its replicas', async () => {
  const { mp } = (await import(new URL('mp-driver.js', `file://${dir}/`).href)) as { mp: MpTestDriver };
  const yaml = `
drivers: [./mp-driver.js]
hosts:
  h:
    processors: 2
    processorFailure: stop
    adapters:
      eth0:
        driver: fx.mp-miniport
        protocols: [tsndis.raw]
`;
  const stacks = await createStacks(yaml, { baseDir: dir, processorMode: parseProcessorMode('sim:7'), settleTimeoutMs: 5000 });
  try {
    const rt = stacks.host('h').runtime;
    assert.ok(rt.processors instanceof SimulatedProcessorSet && rt.processors.freeRunning, 'a free-running simulated set');
    assert.equal(rt.processors.seed, 7);
    assert.equal(rt.processorCount, 2);
    assert.deepEqual(rt.replicasOf('eth0').map((r) => [r.processorNumber, r.state]), [[1, 'Running']]);
    const frames = (k: number, n: number) => Array.from({ length: n }, (_, i) => seqFrame(TEST_MAC, PEER_MAC, k * 100 + i, 60));
    mp.queues[0]!.inject(frames(0, 2));
    mp.queues[1]!.inject(frames(1, 3));
    const deadline = Date.now() + 5000;
    // tsndis.raw holds what it received until read (queue mode), so the NBLs stay out until the stack stops.
    const binding = rt.adapter('eth0').bindings[0]!;
    while (binding.stats.received < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const json = JSON.parse(renderJson([snapshotRuntime(rt)])).hosts[0];
    assert.equal(json.processors.mode, 'simulated');
    assert.deepEqual(json.processors.processors.map((p: { number: number; kind: string }) => [p.number, p.kind]), [[0, 'main'], [1, 'simulated']]);
    assert.equal(json.processors.edges[0].crossed, 3, 'processor 1\'s frames crossed to processor 0');
    const eth0 = json.adapters[0];
    assert.deepEqual(eth0.statistics, { ifHCInUcastPkts: 5, ifInDiscards: 0 });
    assert.equal(eth0.inspect.queue.indicated, 5);
    assert.deepEqual(eth0.perProcessor.map((p: { processor: number; statistics: { ifHCInUcastPkts: number } }) => [p.processor, p.statistics.ifHCInUcastPkts]), [[0, 2], [1, 3]]);
    assert.equal(eth0.bindings[0].counters.received, 5, 'tsndis.raw on processor 0 got every frame');
  } finally {
    await stacks.close();
  }
  assert.ok(!(stacks.host('h').runtime.processors as SimulatedProcessorSet).freeRunning, 'the set stopped with the stacks');
  assert.ok(stacks.host('h').runtime.poolsFull());
});

/** `tsndis <args>` in a child with TSNDIS_PROCESSORS set to `mode` (unset: undefined). */
function tsndisWith(mode: string | undefined, ...args: string[]): Promise<CliRun> {
  const env = { ...process.env };
  delete env['TSNDIS_PROCESSORS'];
  if (mode !== undefined) env['TSNDIS_PROCESSORS'] = mode;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: dir, env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

test('CLI: stack show --json and up on the simulated set (TSNDIS_PROCESSORS, --processors), and the errors without it', async () => {
  writeFixture(dir, 'three.yaml', `
drivers: [./mp-driver.js]
hosts:
  h:
    processors: 3
    adapters:
      eth0:
        driver: fx.mp-miniport
`);
  writeFixture(dir, 'one.yaml', `
drivers: [./mp-driver.js]
hosts:
  h:
    adapters:
      eth0:
        driver: fx.mp-miniport
`);
  const three = await tsndisWith('sim:11', 'stack', 'show', '--config', 'three.yaml', '--json');
  assert.equal(three.code, 0, three.stderr);
  const h = JSON.parse(three.stdout).hosts[0];
  assert.equal(h.processors.count, 3);
  assert.deepEqual(h.processors.processors.map((p: { kind: string; state: string }) => `${p.kind}/${p.state}`), ['main/running', 'simulated/running', 'simulated/running']);
  assert.deepEqual(h.processors.replicas.map((r: { processor: number }) => r.processor), [1, 2]);
  assert.deepEqual(h.adapters[0].perProcessor.map((p: { processor: number }) => p.processor), [0, 1, 2]);

  const text = await tsndisWith('sim:11', 'stack', 'show', '--config', 'one.yaml', '--processors', '2');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /processors 2 \(simulated\)\n.*processor 0 \(main\) \[running\]/);
  assert.match(text.stdout, /replica h\/eth0@1 \[Running\]/);

  const up = await tsndisWith('sim:11', 'up', '--config', 'one.yaml', '--processors', '2', '--duration', '0.3', '--status-interval', '10');
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /h: eth0 Running rx 0 tx 0; processors 2 \(simulated\); violations 0/);

  const noThreads = await tsndisWith(undefined, 'stack', 'show', '--config', 'three.yaml');
  assert.equal(noThreads.code, 1);
  assert.match(noThreads.stderr, /^error: host h: 3 processors need worker threads, which this build does not have yet; set TSNDIS_PROCESSORS=sim:<seed>/);
  const bogus = await tsndisWith('bogus', 'stack', 'show', '--config', 'three.yaml');
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /^error: TSNDIS_PROCESSORS: "bogus" is not a processor mode/);
  const zero = await tsndisWith('sim:1', 'up', '--config', 'one.yaml', '--processors', '0');
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--processors <n>.*expected an integer from 1 to 64/);
});
