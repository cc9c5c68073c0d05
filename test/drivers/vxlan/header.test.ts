/**
 * The VXLAN header codec (byte vectors and properties), the endpoint keyword parser, and the learning
 * table against a Map model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  FdbLearn,
  ForwardingTable,
  VxlanHeaderError,
  checkVxlanHeader,
  emitVxlanHeader,
  parseIPv4,
  parseRemote,
  parseRemotes,
  parseVxlanHeader,
  vxlanVni,
} from '../../../src/drivers/miniport/vxlan/index.js';

const hex = (...parts: string[]): Uint8Array => Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));

// RFC 7348 §5: flags 0x08 (I), 24 reserved bits, VNI 0x00002a, 8 reserved bits, then the inner frame.
const HEADER_VNI_42 = hex(
  '08',       // flags: I
  '00 00 00', // reserved
  '00 00 2a', // VNI 42
  '00',       // reserved
);

test('vxlan header: byte vector parses, and emit writes the same bytes', () => {
  assert.equal(checkVxlanHeader(HEADER_VNI_42, 0, 8), VxlanHeaderError.None);
  assert.equal(vxlanVni(HEADER_VNI_42, 0), 42);
  assert.deepEqual(parseVxlanHeader(HEADER_VNI_42), { vni: 42 });
  assert.deepEqual(emitVxlanHeader({ vni: 42 }), HEADER_VNI_42);
  assert.deepEqual(emitVxlanHeader({ vni: 0xabcdef }), hex('08 000000 abcdef 00'));
  assert.throws(() => emitVxlanHeader({ vni: 1 << 24 }), RangeError);
});

test('vxlan header: truncated, I flag clear and every reserved bit are refused with their own code', () => {
  assert.equal(checkVxlanHeader(HEADER_VNI_42, 0, 7), VxlanHeaderError.Truncated);
  assert.equal(checkVxlanHeader(HEADER_VNI_42.subarray(0, 7), 0, 8), VxlanHeaderError.Truncated, 'length beyond the buffer');
  assert.equal(checkVxlanHeader(new Uint8Array(0), 0, 0), VxlanHeaderError.Truncated);
  assert.equal(checkVxlanHeader(hex('00 000000 00002a 00'), 0, 8), VxlanHeaderError.MissingIFlag);
  assert.equal(checkVxlanHeader(hex('80 000000 00002a 00'), 0, 8), VxlanHeaderError.MissingIFlag, 'only a reserved flag');
  for (const [byte, bit] of [[0, 0], [0, 1], [0, 2], [0, 4], [0, 5], [0, 6], [0, 7], [1, 0], [2, 3], [3, 7], [7, 0], [7, 7]] as const) {
    const h = HEADER_VNI_42.slice();
    h[byte]! |= 1 << bit;
    assert.equal(checkVxlanHeader(h, 0, 8), VxlanHeaderError.ReservedBits, `byte ${byte} bit ${bit}`);
  }
});

test('vxlan header property: parse(emit(r)) = r for every VNI, at any offset', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 16 }), (vni, pad) => {
      const b = new Uint8Array(pad + 8).fill(0xa5);
      b.set(emitVxlanHeader({ vni }), pad);
      assert.deepEqual(parseVxlanHeader(b, pad), { vni });
    }),
  );
});

test('vxlan endpoints: ip and ip:port, duplicates dropped, bad entries named', () => {
  assert.equal(parseIPv4('198.18.3.1'), 0xc6120301);
  assert.equal(parseIPv4('198.18.3'), -1);
  assert.equal(parseIPv4('198.18.3.256'), -1);
  assert.equal(parseIPv4('1.2.3.-4'), -1);
  assert.deepEqual(parseRemote('198.18.3.2', 4789), { address: '198.18.3.2', port: 4789 });
  assert.deepEqual(parseRemote(' 127.0.0.1:4790 ', 4789), { address: '127.0.0.1', port: 4790 });
  assert.deepEqual(parseRemote('010.0.0.1', 1), { address: '10.0.0.1', port: 1 }, 'normalized as the socket reports it');
  assert.match(parseRemote('127.0.0.1:0', 4789) as string, /port 0 is outside/);
  assert.match(parseRemote('239.1.1.1', 4789) as string, /multicast underlay groups are not supported/);
  assert.match(parseRemote('host.example', 4789) as string, /not an IPv4 address/);
  assert.deepEqual(parseRemotes(['10.0.0.1', '10.0.0.1:4789', '10.0.0.2:5000'], 4789), {
    remotes: [{ address: '10.0.0.1', port: 4789 }, { address: '10.0.0.2', port: 5000 }],
    errors: [],
  });
  assert.deepEqual(parseRemotes('10.0.0.1, 10.0.0.3:1', 4789).remotes.length, 2);
  assert.deepEqual(parseRemotes(undefined, 4789), { remotes: [], errors: [] });
  assert.equal(parseRemotes(['10.0.0.1', 'nope'], 4789).errors.length, 1);
});

const mac = (n: number): Uint8Array => Uint8Array.of(0x02, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

test('vxlan fdb: learn, refresh, move, age, sweep, full', () => {
  const t = new ForwardingTable(4, 1000);
  assert.equal(t.learn(mac(1), 0, '10.0.0.1', 4789, 0), FdbLearn.Learned);
  assert.equal(t.learn(mac(1), 0, '10.0.0.1', 4789, 10), FdbLearn.Refreshed);
  assert.equal(t.learn(mac(1), 0, '10.0.0.2', 4789, 20), FdbLearn.Moved);
  const i = t.lookup(mac(1), 0, 500);
  assert.ok(i >= 0);
  assert.equal(t.addressAt(i), '10.0.0.2');
  assert.equal(t.portAt(i), 4789);
  assert.equal(t.lookup(mac(1), 0, 1019), i, 'live until ageMs after the last refresh');
  assert.equal(t.lookup(mac(1), 0, 1020), -1, 'expired');
  assert.equal(t.learn(mac(1), 0, '10.0.0.2', 4789, 1500), FdbLearn.Learned, 'an expired entry is learned again');
  for (let k = 2; k <= 4; k++) assert.equal(t.learn(mac(k), 0, '10.0.0.9', 1, 1500), FdbLearn.Learned);
  assert.equal(t.learn(mac(5), 0, '10.0.0.9', 1, 1500), FdbLearn.Full);
  assert.equal(t.size, 4);
  assert.equal(t.sweep(2499), 0);
  assert.equal(t.sweep(2500), 4);
  assert.equal(t.size, 0);
  assert.equal(t.learn(mac(5), 0, '10.0.0.9', 1, 2500), FdbLearn.Learned);
  assert.ok(t.delete(mac(5)));
  assert.ok(!t.delete(mac(5)));
  assert.deepEqual(t.entries(2500), []);
});

test('vxlan fdb property: agrees with a Map model under random learn / lookup / delete / sweep', () => {
  type Op = { k: 'learn'; m: number; a: number; dt: number } | { k: 'lookup'; m: number; dt: number } | { k: 'delete'; m: number } | { k: 'sweep'; dt: number };
  const macIds = fc.integer({ min: 0, max: 40 }).map((x) => (x * 2654435761) >>> 0); // clustered hashes too
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constant('learn' as const), m: macIds, a: fc.integer({ min: 0, max: 3 }), dt: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ k: fc.constant('lookup' as const), m: macIds, dt: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ k: fc.constant('delete' as const), m: macIds }),
    fc.record({ k: fc.constant('sweep' as const), dt: fc.integer({ min: 0, max: 100 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const age = 100;
      const cap = 24;
      const t = new ForwardingTable(cap, age);
      const model = new Map<number, { a: string; seen: number }>();
      let now = 0;
      for (const o of ops) {
        if (o.k === 'learn') {
          now += o.dt;
          const a = `10.0.0.${o.a}`;
          const r = t.learn(mac(o.m), 0, a, 4789, now);
          const prev = model.get(o.m);
          if (prev === undefined && model.size >= cap) {
            assert.equal(r, FdbLearn.Full);
          } else {
            const expected = prev === undefined || now - prev.seen >= age ? FdbLearn.Learned : prev.a === a ? FdbLearn.Refreshed : FdbLearn.Moved;
            assert.equal(r, expected);
            model.set(o.m, { a, seen: now });
          }
        } else if (o.k === 'lookup') {
          now += o.dt;
          const i = t.lookup(mac(o.m), 0, now);
          const e = model.get(o.m);
          if (e === undefined || now - e.seen >= age) assert.equal(i, -1);
          else assert.equal(t.addressAt(i), e.a);
        } else if (o.k === 'delete') {
          assert.equal(t.delete(mac(o.m)), model.delete(o.m));
        } else {
          now += o.dt;
          let expired = 0;
          for (const [m, e] of model) {
            if (now - e.seen >= age) {
              model.delete(m);
              expired++;
            }
          }
          assert.equal(t.sweep(now), expired);
        }
        assert.equal(t.size, model.size);
      }
      // Every live model entry is still found after all the shifting.
      for (const [m, e] of model) if (now - e.seen < age) assert.ok(t.lookup(mac(m), 0, now) >= 0);
    }),
    { numRuns: 300 },
  );
});
