/**
 * tsndis.impairment configuration: the keyword schema (both directions, types and ranges the config
 * loader enforces), keywords reaching the parameters, bad values falling back with a warning, the
 * run-time `configure` API refusing impossible values, the README documenting every keyword, and the
 * frame classifier's byte-level behaviour.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { checkKeywords } from '../../src/config/keywords.js';
import { FRAME_CLASSES, PARAM_SPECS, classifyFrame, defaultParams, impairmentFilter, parsePercent } from '../../src/drivers/filter/impairment/index.js';
import { ConfigError } from '../../src/errors.js';
import { assertClean, uniqueWire } from '../support/hosts.js';
import { VirtualWire, impairedHost, impairedStack } from '../support/impairment.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const schema = impairmentFilter.keywords;
const check = (given: Record<string, string | number | boolean>): Record<string, unknown> => checkKeywords('stack.yaml', 'hosts.a.adapters.eth0.filters[0].keywords', impairmentFilter.name, schema, given);

test('impairment keywords: every parameter has a Send and a Receive keyword, plus Seed', () => {
  for (const spec of Object.values(PARAM_SPECS)) {
    for (const prefix of ['Send', 'Receive']) {
      const def = schema[prefix + spec.suffix];
      assert.ok(def !== undefined, `${prefix}${spec.suffix} missing`);
      if (spec.kind === 'int') assert.deepEqual([def.type, def.min, def.max], ['int', spec.min, spec.max]);
      if (spec.kind === 'percent') assert.deepEqual([def.type, def.min, def.max], ['edit', 0, 100]);
    }
  }
  assert.equal(schema['Seed']?.type, 'int');
  assert.equal(Object.keys(schema).length, 2 * Object.keys(PARAM_SPECS).length + 1);
});

test('impairment keywords: the config loader enforces types and ranges', () => {
  assert.deepEqual(check({ SendDelayMs: 20, ReceiveLossPercent: 0.5, SendJitterDistribution: 'normal', SendJitterReorders: true, Seed: '0x10' }), {
    SendDelayMs: 20,
    ReceiveLossPercent: '0.5',
    SendJitterDistribution: 'normal',
    SendJitterReorders: true,
    Seed: 16,
  });
  assert.throws(() => check({ SendDelayMs: 20_000 }), (e: unknown) => e instanceof ConfigError && /SendDelayMs.*out of range 0\.\.10000/.test(e.message));
  assert.throws(() => check({ SendJitterDistribution: 'pareto' }), ConfigError);
  assert.throws(() => check({ SendLoss: 5 }), (e: unknown) => e instanceof ConfigError && /unknown keyword 'SendLoss'/.test(e.message));
});

test('impairment keywords: values reach both directions’ parameters', async () => {
  const wire = uniqueWire('imp-cfg');
  const h = await impairedHost({
    name: 'A',
    wire,
    keywords: { SendLossPercent: '12.5', SendDelayMs: 20, SendJitterMs: 3, SendJitterDistribution: 'normal', ReceiveDuplicatePercent: '1%', ReceiveDuplicateCount: 2, ReceiveRateBps: 1_000_000, ReceiveQueueFrames: 64, Seed: 9 },
  });
  const send = h.filter.params('send');
  const receive = h.filter.params('receive');
  assert.deepEqual([send.lossProbability, send.delayMs, send.jitterMs, send.jitterDistribution, send.seed], [0.125, 20, 3, 'normal', 9]);
  assert.deepEqual([receive.duplicateProbability, receive.duplicateCount, receive.rateBps, receive.queueFrames, receive.seed], [0.01, 2, 1_000_000, 64, 9]);
  assert.equal(receive.lossProbability, 0);
  await h.rt.shutdown();
  assertClean(h.rt);
  VirtualWire.release(wire);
});

test('impairment keywords: an unusable percent falls back to its default with a warning', async () => {
  const wire = uniqueWire('imp-cfg');
  const log: string[] = [];
  const h = await impairedHost({ name: 'A', wire, keywords: { SendLossPercent: 'lots', ReceiveCorruptPercent: '150' }, logger: (level, _src, m) => log.push(`${level}: ${m}`) });
  assert.equal(h.filter.params('send').lossProbability, 0);
  assert.equal(h.filter.params('receive').corruptProbability, 0);
  assert.ok(log.some((l) => /^warn: SendLossPercent: 'lots' is not a percentage/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => /^warn: ReceiveCorruptPercent: '150'/.test(l)));
  await h.rt.shutdown();
  assertClean(h.rt);
  VirtualWire.release(wire);
});

test('impairment: parsePercent takes decimals and a % sign, and nothing outside 0–100', () => {
  assert.deepEqual(['0', '0.5', '.25', '100', '7%', ' 3 ', 2.5].map(parsePercent), [0, 0.5, 0.25, 100, 7, 3, 2.5]);
  assert.deepEqual(['', '-1', '100.1', 'abc', '1e3', '0x10', 'NaN', true].map(parsePercent), [null, null, null, null, null, null, null, null]);
});

test('impairment: configure refuses impossible values and changes nothing', async () => {
  const { s, module } = await impairedStack({ SendQueueFrames: 100 });
  const before = module.params('send');
  assert.throws(() => module.configure('send', { lossProbability: 1.5 }), /lossProbability 1.5 is not a probability/);
  assert.throws(() => module.configure('send', { delayMs: -1 }), RangeError);
  assert.throws(() => module.configure('send', { duplicateCount: 0 }), RangeError);
  assert.throws(() => module.configure('send', { queueFrames: 101 }), /1\.\.100 \(the QueueFrames keyword/);
  assert.throws(() => module.configure('send', { jitterDistribution: 'pareto' as 'normal' }), RangeError);
  assert.deepEqual(module.params('send'), before);
  // 'both' checks both directions before changing either (receive's capacity is the default 1000).
  assert.throws(() => module.configure('both', { queueFrames: 500 }), RangeError);
  assert.deepEqual(module.params('receive'), defaultParams());
  module.configure('both', { lossProbability: 0.25, seed: 5 });
  assert.equal(module.params('send').lossProbability, 0.25);
  assert.equal(module.params('receive').seed, 5);
  await s.finish();
});

test('impairment: the README documents every keyword', () => {
  const readme = readFileSync(join(ROOT, 'src/drivers/filter/impairment/README.md'), 'utf8');
  for (const k of Object.keys(schema)) {
    const generic = k.replace(/^(Send|Receive)/, '{Send,Receive}');
    assert.ok(readme.includes(`\`${k}\``) || readme.includes(`\`${generic}\``), `${k} is not documented`);
  }
});

// Frame classifier, byte by byte.
const classOf = (bytes: number[]): string => FRAME_CLASSES[classifyFrame(Uint8Array.from(bytes), 0, bytes.length)]!;
const MACS = [...Array<number>(12).fill(0xaa)];

test('impairment classify: byte vectors for each class', () => {
  const ipv4 = (proto: number): number[] => [...MACS, 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const ipv6 = (next: number): number[] => [...MACS, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, next, 64];
  assert.equal(classOf(ipv4(6)), 'ipv4-tcp');
  assert.equal(classOf(ipv4(17)), 'ipv4-udp');
  assert.equal(classOf(ipv4(1)), 'ipv4-icmp');
  assert.equal(classOf(ipv4(50)), 'ipv4-other');
  assert.equal(classOf(ipv6(6)), 'ipv6-tcp');
  assert.equal(classOf(ipv6(17)), 'ipv6-udp');
  assert.equal(classOf(ipv6(58)), 'ipv6-icmp');
  assert.equal(classOf(ipv6(1)), 'ipv6-other', 'ICMP for IPv4 is not ICMPv6');
  assert.equal(classOf([...MACS, 0x08, 0x06, 0, 1]), 'arp');
  assert.equal(classOf([...MACS, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17]), 'ipv4-udp', 'after an 802.1Q tag');
  assert.equal(classOf([...MACS, 0x88, 0xa8, 0x00, 0x05, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 6]), 'ipv6-tcp', 'after an 802.1ad tag');
  assert.equal(classOf([...MACS, 0x88, 0xb5]), 'other');
  assert.equal(classOf([...MACS, 0x08]), 'other', 'a runt');
  assert.equal(classOf([...MACS, 0x08, 0x00, 0x45]), 'ipv4-other', 'IPv4 too short for its protocol byte');
  assert.equal(classOf([...MACS, 0x81, 0x00, 0x00]), 'other', 'a truncated tag');
});

test('impairment classify: never reads past the frame length', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 40 }),
      fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x88b5),
      fc.constantFrom(0x0800, 0x86dd, 0x0806),
      fc.uint8Array({ minLength: 40, maxLength: 40 }),
      fc.uint8Array({ minLength: 40, maxLength: 40 }),
      (frame, outer, inner, tailA, tailB) => {
      // Known EtherTypes where they would be, so every branch is reached; then the same frame followed
      // by two different tails must classify the same: the tail is never read.
      if (frame.length >= 14) [frame[12], frame[13]] = [outer >> 8, outer & 0xff];
      if (frame.length >= 18) [frame[16], frame[17]] = [inner >> 8, inner & 0xff];
      const a = new Uint8Array(frame.length + 40);
      const b = new Uint8Array(frame.length + 40);
      a.set(frame);
      b.set(frame);
      a.set(tailA, frame.length);
      b.set(tailB, frame.length);
      assert.equal(classifyFrame(a, 0, frame.length), classifyFrame(b, 0, frame.length));
      },
    ),
    { numRuns: 2000, seed: 7 },
  );
});
