/**
 * Fuzzing the config parser path (YAML → shape → modules → meaning): random text, random YAML values,
 * config-like documents built from the real vocabulary, and mutations of a valid config. Whatever comes
 * in, parseStackConfig either resolves or rejects with a ConfigError; nothing else escapes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseStackConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { fixtureDir } from './helpers.js';

/** Every test here is bounded (the stacks settle in milliseconds; this only catches hangs). */
const TIMEOUT_MS = 60_000;

/** An empty directory: module paths in fuzzed configs resolve to nothing. */
const BASE = fixtureDir();
/** More with TSNDIS_FUZZ_RUNS=n (the default keeps the test under a few seconds). */
const RUNS = Number(process.env['TSNDIS_FUZZ_RUNS'] ?? 300);

async function parsesOrConfigError(text: string): Promise<void> {
  try {
    const d = await parseStackConfig(text, 'fuzz.yaml', BASE);
    for (const h of d.hosts) for (const a of h.adapters) assert.equal(typeof a.medium, 'number');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    assert.ok(e.message.startsWith('fuzz.yaml: '), e.message);
  }
}

const name = fc.constantFrom('h', 'h2', 'eth0', 'eth1', 'veth0', 'veth1', 'w', 'bad name', '', '__proto__', 'constructor', 'toString');
const driverName = fc.constantFrom(
  'tsndis.virtual-wire', 'tsndis.counters', 'tsndis.monitor', 'tsndis.passthrough', 'tsndis.raw', 'tsndis.im-passthrough', 'nope', '',
);
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const keywordName = fc.constantFrom('Wire', 'NetworkAddress', '*JumboPacket', '*ReceiveBuffers', 'LinkSpeedMbps', 'PacketFilter', 'UpperBindings', 'x', '__proto__', 'toString');
const keywordValue = fc.oneof(scalar, fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.constantFrom('w', '02-00-00-00-00-01', 1514, 16384, 0x0b));
const keywords = fc.oneof(fc.dictionary(keywordName, keywordValue, { maxKeys: 4 }), scalar);
const ref = fc.oneof(driverName, fc.record({ driver: driverName, keywords }, { requiredKeys: [] }), scalar);
const refs = fc.oneof(fc.array(ref, { maxLength: 4 }), ref);
const adapter = fc.oneof(fc.record({ driver: driverName, keywords, filters: refs, protocols: refs, extra: scalar }, { requiredKeys: [] }), scalar);
const intermediate = fc.record(
  { driver: driverName, lower: name, upper: fc.oneof(name, fc.array(name, { maxLength: 3 })), keywords },
  { requiredKeys: [] },
);
const host = fc.oneof(
  fc.record(
    {
      verifier: fc.oneof(fc.boolean(), scalar),
      filters: refs,
      protocols: refs,
      adapters: fc.oneof(fc.dictionary(name, adapter, { maxKeys: 4 }), scalar),
      intermediates: fc.oneof(fc.array(intermediate, { maxLength: 3 }), scalar),
    },
    { requiredKeys: [] },
  ),
  scalar,
);
const wire = fc.oneof(fc.record({ lossRate: fc.double(), delayMs: fc.double(), seed: fc.oneof(fc.integer(), fc.double()), link: fc.constantFrom('up', 'down', 'x') }, { requiredKeys: [] }), scalar);
const config = fc.record(
  {
    wires: fc.oneof(fc.dictionary(name, wire, { maxKeys: 3 }), scalar),
    drivers: fc.oneof(fc.array(fc.constantFrom('./missing.js', '.', '', 'nope'), { maxLength: 2 }), scalar),
    hosts: fc.oneof(fc.dictionary(name, host, { maxKeys: 3 }), scalar),
    extra: scalar,
  },
  { requiredKeys: [] },
);

const VALID = `
wires:
  w: { lossRate: 0, link: up }
hosts:
  h:
    filters: [tsndis.counters, tsndis.monitor]
    protocols: [{ driver: tsndis.raw, keywords: { PacketFilter: 11 } }]
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: w, NetworkAddress: 02-00-00-00-00-01 }
      veth0:
        filters: [tsndis.passthrough]
    intermediates:
      - driver: tsndis.im-passthrough
        lower: eth0
        upper: [veth0]
`;

test('fuzz: random text', { timeout: TIMEOUT_MS }, async () => {
  await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }), parsesOrConfigError), { numRuns: RUNS });
});

test('fuzz: random YAML values', { timeout: TIMEOUT_MS }, async () => {
  await fc.assert(fc.asyncProperty(fc.anything({ maxDepth: 4 }), (v) => parsesOrConfigError(String(stringify(v) ?? ''))), { numRuns: RUNS });
});

test('fuzz: config-like documents', { timeout: TIMEOUT_MS }, async () => {
  await fc.assert(fc.asyncProperty(config, (v) => parsesOrConfigError(stringify(v))), { numRuns: RUNS * 2 });
});

test('fuzz: mutations of a valid config', { timeout: TIMEOUT_MS }, async () => {
  await parsesOrConfigError(VALID);
  const mutation = fc.array(fc.tuple(fc.nat(VALID.length), fc.nat(8), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(mutation, async (edits) => {
      let text = VALID;
      for (const [at, del, ins] of edits) text = text.slice(0, at) + ins + text.slice(at + del);
      await parsesOrConfigError(text);
    }),
    { numRuns: RUNS * 2 },
  );
});
