/**
 * Hostile input: random frames and mutations of a corpus of valid ones (test/fuzz/corpus/tcpip, frames
 * addressed to this host, plus the wire layer's corpus of real Linux frames) go into a running stack,
 * as chains, with random NBL checksum/RSC info and RESOURCES indications, while fake time moves. Nothing
 * may throw, every frame must end in exactly one counter, memory stays within the configured limits,
 * and at shutdown every pool is full and the verifier saw nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { receiveInputs, terminalTotal } from '../../src/drivers/protocol/tcpip/index.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';
import { FakeTcp } from './packets.js';

const CORPUS = join(import.meta.dirname, '../../../test/fuzz/corpus');

function load(dir: string): Uint8Array[] {
  return readdirSync(join(CORPUS, dir))
    .filter((n) => n.endsWith('.bin'))
    .sort()
    .map((n) => new Uint8Array(readFileSync(join(CORPUS, dir, n))));
}

const OWN = load('tcpip');
const WIRE = load('wire');

const LIMITS = { maxDatagrams: 8, maxBytes: 32 * 1024, timeoutMs: 30_000, maxFragments: 16 };

async function target(): Promise<{ h: LabHost; tcp: FakeTcp }> {
  const h = await labHost(
    { IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, NeighborCacheSize: 8, NeighborQueueLength: 4, SendPoolSize: 64 },
    { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1), rxCapacity: 64, rxSlot: 4096 },
    { reassembly: LIMITS, icmpErrorBurst: 50, icmpErrorsPerSecond: 1000, udpReceiveQueue: 8 },
  );
  const tcp = new FakeTcp();
  h.ip.stack.attachTcp(tcp);
  const echo = h.ip.stack.udp.open(4).bind(7);
  echo.onMessage = (b, o, l, from) => echo.send(b.slice(o, o + l), from.address, from.port);
  h.ip.stack.udp.open(6).bind(7);
  h.ip.stack.udp.open(4).bind(5000).connect('198.18.0.1', 9);
  return { h, tcp };
}

function check(h: LabHost, tcp: FakeTcp): void {
  const s = h.ip.stack;
  assert.equal(terminalTotal(s.counters), receiveInputs(s.counters), 'every frame ends in exactly one counter');
  for (const r of [s.ipv4.reassembler, s.ipv6.reassembler]) {
    assert.ok(r.heldBytes <= LIMITS.maxBytes, `reassembly holds ${r.heldBytes} bytes`);
    assert.ok(r.inProgress <= LIMITS.maxDatagrams);
  }
  const iface = h.ip.interface('eth0');
  assert.ok(iface.neighbors4.size <= 8 && iface.neighbors6.size <= 8);
  assert.ok(iface.neighbors4.queuedPackets + iface.neighbors6.queuedPackets <= 2 * 8 * 4);
  assert.equal(h.rt.verifier.total, 0, h.rt.verifier.violations.map((v) => v.message).join('\n'));
  // What the stack sent is recorded by the lab adapter: keep memory flat.
  h.lab.take();
  tcp.segments.length = 0;
  tcp.errors.length = 0;
}

test('fuzz corpus: every seed frame takes its intended path through the stack', async () => {
  const { h, tcp } = await target();
  h.lab.inject(OWN);
  await labPump(h, 10);
  const c = h.ip.stack.counters;
  assert.equal(c.arp.inRequests + c.arp.inReplies, 2);
  assert.equal(c.icmp.echoRequestsIn, 2, 'IPv4 echo, plain and VLAN-priority-tagged');
  assert.equal(c.icmp6.echoRequestsIn, 1);
  assert.equal(c.icmp6.inByType[135]! + c.icmp6.inByType[136]! + c.icmp6.inByType[134]!, 3);
  assert.equal(c.reassembly.reassembled, 2);
  assert.equal(c.udp.noPorts, 1);
  assert.equal(c.udp.inDatagrams, 6, 'udp v4, v6, two reassembled, with options, with extension headers');
  assert.equal(tcp.segments.length, 2);
  assert.deepEqual(tcp.errors.map((e) => e.error), ['packet-too-big', 'packet-too-big']);
  assert.equal(c.icmp.errorsDelivered, 2, 'port unreachable to the connected UDP socket, frag-needed to TCP');
  assert.equal(c.ipv4.inBadOptions, 1, 'the router alert of length 1');
  assert.equal(c.udp.badChecksum + c.ipv4.inBadChecksum + c.link.truncated + c.ipv6.inBadExtensions, 0);
  check(h, tcp);
  await finishLab(h);
});

type Mutation = { kind: 'flip'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'grow'; bytes: number[] } | { kind: 'field16'; at: number; value: number };

function mutate(seed: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let f = seed.slice();
  for (const m of ms) {
    if (f.length === 0) break;
    switch (m.kind) {
      case 'flip':
        f[m.at % f.length] = m.value;
        break;
      case 'cut':
        f = f.slice(0, m.at % (f.length + 1));
        break;
      case 'grow':
        f = Uint8Array.from([...f, ...m.bytes]);
        break;
      case 'field16': {
        // Length, offset and checksum fields are 16 bits: boundary values find the interesting bugs.
        const at = m.at % Math.max(1, f.length - 1);
        f[at] = m.value >> 8;
        f[at + 1] = m.value & 0xff;
        break;
      }
    }
  }
  return f.subarray(0, 4000);
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(2000), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(2000) }),
  fc.record({ kind: fc.constant('grow' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }) }),
  fc.record({ kind: fc.constant('field16' as const), at: fc.nat(2000), value: fc.constantFrom(0, 1, 7, 8, 20, 40, 0x7fff, 0x8000, 0xfffe, 0xffff) }),
);

const frame: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 200 }) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...OWN), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, m]) => mutate(s, m)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...WIRE), fc.array(mutation, { maxLength: 3 })).map(([s, m]) => mutate(s, m)) },
  { weight: 1, arbitrary: fc.constantFrom(...OWN) },
);

const indication = fc.record({
  frames: fc.array(frame, { minLength: 1, maxLength: 8 }),
  checksum: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x1ff })),
  rsc: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  resources: fc.boolean(),
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40_000 })),
});

test('fuzz: random and mutated frames never throw, are all accounted for, and memory stays bounded', async () => {
  const { h, tcp } = await target();
  await fc.assert(
    fc.asyncProperty(fc.array(indication, { minLength: 1, maxLength: 6 }), async (batch) => {
      for (const ind of batch) {
        h.lab.inject(ind.frames, { checksum: ind.checksum, rsc: ind.rsc, resources: ind.resources });
        if (ind.advanceMs > 0) h.rt.scheduler.advance(ind.advanceMs);
      }
      await labPump(h, 0);
      check(h, tcp);
    }),
    { numRuns: 300 },
  );
  // Let every timer run out (reassembly, neighbours), then nothing may be left waiting.
  await labPump(h, 120_000, 10_000);
  check(h, tcp);
  assert.equal(h.ip.stack.ipv4.reassembler.inProgress + h.ip.stack.ipv6.reassembler.inProgress, 0);
  assert.ok(h.ip.stack.counters.link.framesIn > 1000, 'the fuzzer reached the stack');
  await finishLab(h);
});
