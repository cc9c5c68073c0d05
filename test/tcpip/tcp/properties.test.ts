/**
 * Property tests over random impairment schedules (fast-check): whatever the loss, reordering,
 * duplication, jitter, MTU, LSO/RSC and option choices, data arrives byte-exact in both directions,
 * the connection always ends (gracefully), and both engines give back every timer and buffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Endpoint, SERVER_PORT, TcpLink, pattern, type DirectionParams } from '../../support/tcp-link.js';

const directionArb: fc.Arbitrary<Partial<DirectionParams>> = fc.record({
  delayMs: fc.integer({ min: 0, max: 30 }),
  jitterMs: fc.constantFrom(0, 0, 3, 20),
  lossRate: fc.constantFrom(0, 0.01, 0.05, 0.15),
  reorderRate: fc.constantFrom(0, 0.05, 0.2),
  reorderDelayMs: fc.integer({ min: 1, max: 40 }),
  duplicateRate: fc.constantFrom(0, 0.05, 0.2),
  rsc: fc.boolean(),
});

const scenarioArb = fc.record({
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  family: fc.constantFrom(4 as const, 6 as const),
  ab: directionArb,
  ba: directionArb,
  up: fc.integer({ min: 0, max: 120_000 }),
  down: fc.integer({ min: 0, max: 60_000 }),
  sack: fc.boolean(),
  timestamps: fc.boolean(),
  windowScaling: fc.boolean(),
  congestion: fc.constantFrom('cubic' as const, 'newreno' as const),
  lso: fc.constantFrom(0, 0, 16_384, 65_000),
  buffer: fc.constantFrom(4096, 20_000, 1 << 20),
  delayedAck: fc.boolean(),
  noDelay: fc.boolean(),
});

test('tcp: random loss/reorder/duplication schedules still deliver byte-exact data and always end', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const config = {
        sack: s.sack,
        timestamps: s.timestamps,
        windowScaling: s.windowScaling,
        congestion: s.congestion,
        sendBufferSize: s.buffer,
        receiveBufferSize: s.buffer,
        delayedAck: s.delayedAck,
        noDelay: s.noDelay,
        timeWaitMs: 1000,
      };
      const link = new TcpLink({ seed: s.seed, family: s.family, ab: s.ab, ba: s.ba, config, trace: false });
      if (s.lso > 0) {
        link.a.setRoute({ lsoMaxPayload: s.lso });
        link.b.setRoute({ lsoMaxPayload: s.lso });
      }
      const client = new Endpoint();
      const server = new Endpoint();
      link.b.layer.listen({ family: s.family, address: new Uint8Array(s.family === 4 ? 4 : 16), port: SERVER_PORT }, {}, {
        onConnection: (c) => {
          server.attach(c);
          server.write(pattern(s.down, 2), true);
        },
      });
      client.attach(link.a.layer.connect({ family: s.family, address: link.b.address, port: SERVER_PORT }, {}, client.events));
      client.write(pattern(s.up, 1), true);
      const ended = link.runUntil(() => client.closed && server.closed, 30 * 60_000, 5);
      const why = JSON.stringify({ c: client.conn?.info(), s: server.conn?.info() });
      assert.ok(ended, `did not end: ${why}`);
      assert.equal(client.error, null, why);
      assert.equal(server.error, null, why);
      assert.deepEqual(server.data(), pattern(s.up, 1));
      assert.deepEqual(client.data(), pattern(s.down, 2));
      link.run(5_000);
      for (const h of [link.a, link.b]) {
        assert.equal(h.layer.connectionCount, 0);
        assert.equal(h.liveTimers, 0);
        assert.equal(h.outstandingBuffers, 0);
        assert.equal(h.layer.internalErrors, 0);
        assert.equal(h.layer.counters.currEstab, 0);
        // Every segment on the wire is counted once: new (tcpOutSegs) or retransmitted.
        assert.equal(h.segmentsSent, h.layer.counters.outSegs + h.layer.counters.retransSegs);
      }
    }),
    { numRuns: Number(process.env.TCP_RUNS ?? 120) },
  );
});
