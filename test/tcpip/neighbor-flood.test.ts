/**
 * The neighbour cache under a flood of unresolvable destinations (answers to spoofed on-link sources):
 * INCOMPLETE entries are bounded and the oldest goes first, packets held are bounded per entry and in
 * total, solicitations are rate limited, and a resolved peer (REACHABLE, or STALE and in use) is never
 * evicted or delayed. Fake owner and clock as in neighbor-cache.test.ts; a property test checks the
 * accounting (no packet lost or duplicated) and the bounds under any sequence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StackCounters } from '../../src/drivers/protocol/tcpip/counters.js';
import { NeighborCache, NeighborState, neighborStateName, type NeighborEntry, type NeighborOwner, type NeighborTimings } from '../../src/drivers/protocol/tcpip/neighbor.js';
import { TimerQueue } from '../../src/drivers/protocol/tcpip/timers.js';
import { NetBufferList } from '../../src/ndis/index.js';
import { FakeClock } from './fake-clock.js';

const HOME = { allocator: null as never, name: 'test', free: () => true };
let nblSerial = 0;
function nbl(): NetBufferList {
  return new NetBufferList(HOME, nblSerial++, null);
}

class Owner implements NeighborOwner {
  readonly solicits: { addr: number; unicast: boolean; at: number }[] = [];
  readonly sent: number[] = [];
  readonly freed: number[] = [];
  readonly reported: number[] = [];
  constructor(readonly clock: FakeClock) {}
  solicit(e: NeighborEntry, unicast: boolean): void {
    this.solicits.push({ addr: e.addr4, unicast, at: this.clock.time });
  }
  sendQueued(_e: NeighborEntry, head: NetBufferList): void {
    for (let n: NetBufferList | null = head; n !== null; n = n.next) this.sent.push(n.slot);
  }
  freeQueued(head: NetBufferList): void {
    for (let n: NetBufferList | null = head; n !== null; n = n.next) this.freed.push(n.slot);
  }
  unreachable(_family: number, head: NetBufferList): void {
    for (let n: NetBufferList | null = head; n !== null; n = n.next) this.reported.push(n.slot);
  }
  random(): number {
    return 0.5;
  }
}

function setup(capacity: number, t: Partial<NeighborTimings>) {
  const clock = new FakeClock();
  const timers = new TimerQueue({ enter() {}, exit() {} });
  timers.useClock(clock.handle);
  const owner = new Owner(clock);
  const counters = new StackCounters().neighbor;
  const cache = new NeighborCache(4, capacity, { retransTimerMs: 1000, reachableTimeMs: 30_000, queueLimit: 4, ...t }, owner, counters, timers);
  return { clock, owner, counters, cache };
}

const MAC1 = Uint8Array.of(2, 0, 0, 0, 0, 1);
const PEER = 0xc6120001;
const SPOOF = 0xc6130000;

function confirm(solicited: boolean) {
  return { mac: MAC1, macOffset: 0, solicited, override: true, create: false, isRouter: null };
}

function state(cache: NeighborCache, addr: number): string {
  const e = cache.lookup4(addr);
  return e === null ? 'none' : neighborStateName(e.state);
}

function incomplete(cache: NeighborCache): number {
  return cache.entries.filter((e) => e.inUse && e.state === NeighborState.Incomplete).length;
}

test('neighbour flood: INCOMPLETE entries are bounded, the oldest goes first, and a resolved peer is never touched', () => {
  const { clock, counters, cache } = setup(32, { maxIncomplete: 8, solicitRate: 0 });
  cache.resolve(PEER, null, 0, nbl());
  cache.update(PEER, null, 0, confirm(true));
  cache.resolve(PEER + 1, null, 0, nbl());
  cache.update(PEER + 1, null, 0, confirm(true));
  clock.advance(30_000); // PEER + 1 goes STALE; PEER is confirmed again
  cache.update(PEER, null, 0, confirm(true));
  for (let i = 0; i < 1000; i++) {
    clock.advance(1);
    assert.equal(cache.resolve(SPOOF + i, null, 0, nbl()), null);
    assert.ok(incomplete(cache) <= 8);
  }
  assert.equal(incomplete(cache), 8);
  assert.equal(counters.incompleteEvicted, 1000 - 8);
  assert.equal(state(cache, SPOOF + 991), 'none', 'older ones went');
  assert.equal(state(cache, SPOOF + 999), 'INCOMPLETE', 'the newest stays');
  assert.equal(state(cache, PEER), 'REACHABLE');
  assert.equal(state(cache, PEER + 1), 'STALE');
  // The peer is used at once, nothing queued behind the flood.
  assert.notEqual(cache.resolve(PEER, null, 0, nbl()), null);
  assert.ok(cache.size <= 10);
});

test('neighbour flood: a full cache evicts INCOMPLETE entries first, then the least recently used STALE one, never a REACHABLE one', () => {
  const { clock, owner, counters, cache } = setup(4, { solicitRate: 0 });
  for (let i = 0; i < 4; i++) {
    clock.advance(10);
    cache.resolve(PEER + i, null, 0, nbl());
    cache.update(PEER + i, null, 0, confirm(true));
  }
  // Full of REACHABLE peers: a new destination finds no room; its packet is dropped and counted.
  const p = nbl();
  assert.equal(cache.resolve(SPOOF, null, 0, p), null);
  assert.equal(counters.cacheFull, 1);
  assert.deepEqual(owner.freed, [p.slot]);
  for (let i = 0; i < 4; i++) assert.equal(state(cache, PEER + i), 'REACHABLE');
  assert.equal(counters.evicted, 0);
  // Two go STALE (no confirmation); one of the others is kept REACHABLE by confirmations.
  clock.advance(30_000);
  cache.update(PEER + 2, null, 0, confirm(true));
  cache.update(PEER + 3, null, 0, confirm(true));
  cache.resolve(PEER + 1, null, 0, nbl()); // PEER + 1 used (DELAY); PEER is the least recently used STALE
  clock.advance(1);
  cache.resolve(SPOOF, null, 0, nbl());
  assert.equal(state(cache, PEER), 'none');
  assert.equal(state(cache, SPOOF), 'INCOMPLETE');
  // Now an INCOMPLETE entry exists: it goes before any resolved one.
  cache.resolve(SPOOF + 1, null, 0, nbl());
  assert.equal(state(cache, SPOOF), 'none');
  assert.equal(state(cache, SPOOF + 1), 'INCOMPLETE');
  assert.equal(state(cache, PEER + 1), 'DELAY');
  assert.equal(state(cache, PEER + 2), 'REACHABLE');
  assert.equal(state(cache, PEER + 3), 'REACHABLE');
});

test('neighbour flood: packets held are bounded in total; the oldest packet of the oldest INCOMPLETE entry goes', () => {
  const { owner, counters, cache } = setup(16, { queueLimit: 3, queueTotal: 5, solicitRate: 0 });
  const a = [nbl(), nbl(), nbl()];
  const b = [nbl(), nbl(), nbl()];
  for (const n of a) cache.resolve(SPOOF, null, 0, n);
  for (const n of b) cache.resolve(SPOOF + 1, null, 0, n);
  assert.equal(cache.queuedPackets, 5);
  assert.equal(counters.queueTotalOverflow, 1);
  assert.deepEqual(owner.freed, [a[0]!.slot]);
  const c = nbl();
  cache.resolve(SPOOF + 2, null, 0, c);
  assert.equal(cache.queuedPackets, 5);
  assert.deepEqual(owner.freed, [a[0]!.slot, a[1]!.slot]);
  cache.update(SPOOF + 1, null, 0, confirm(true));
  assert.deepEqual(owner.sent, b.map((n) => n.slot));
  assert.equal(cache.queuedPackets, 2);
});

test('neighbour flood: solicitations are rate limited; a new destination beyond the bucket gets no entry, retries wait for tokens', () => {
  const { clock, owner, counters, cache } = setup(256, { solicitRate: 10 });
  cache.resolve(PEER, null, 0, nbl());
  cache.update(PEER, null, 0, confirm(true));
  const before = owner.solicits.length;
  for (let i = 0; i < 50; i++) cache.resolve(SPOOF + i, null, 0, nbl());
  // The peer's solicitation took one token of 10.
  assert.equal(owner.solicits.length - before, 9);
  assert.equal(incomplete(cache), 9);
  assert.equal(counters.solicitRateLimited, 41);
  assert.equal(state(cache, SPOOF + 20), 'none');
  assert.ok(owner.freed.length === 41, 'the packets of refused resolutions are freed');
  // A resolved peer needs no solicitation: never delayed.
  assert.notEqual(cache.resolve(PEER, null, 0, nbl()), null);
  // One second later the bucket is full again: the nine retries go out.
  clock.advance(1000);
  assert.equal(owner.solicits.length - before, 18);
  clock.advance(10_000);
  assert.equal(incomplete(cache), 0);
  assert.equal(counters.resolutionFailed, 9);
});

test('neighbour flood (property): bounds hold and no packet is lost or duplicated under any mix of sends, answers and time', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant('send' as const), addr: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ kind: fc.constant('answer' as const), addr: fc.integer({ min: 0, max: 20 }), solicited: fc.boolean() }),
    fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 5000 }) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 120 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 20 }), (events, maxIncomplete, queueTotal, solicitRate) => {
      const { clock, owner, cache } = setup(8, { queueLimit: 3, maxIncomplete, queueTotal, solicitRate });
      let offered = 0;
      let direct = 0;
      for (const ev of events) {
        if (ev.kind === 'send') {
          offered++;
          if (cache.resolve(PEER + ev.addr, null, 0, nbl()) !== null) direct++;
        } else if (ev.kind === 'answer') {
          cache.update(PEER + ev.addr, null, 0, confirm(ev.solicited));
        } else {
          clock.advance(ev.ms);
        }
        assert.ok(incomplete(cache) <= maxIncomplete);
        assert.ok(cache.queuedPackets <= queueTotal);
        assert.ok(cache.size <= 8);
      }
      const accounted = direct + owner.sent.length + owner.freed.length + owner.reported.length + cache.queuedPackets;
      assert.equal(accounted, offered);
      assert.equal(new Set([...owner.sent, ...owner.freed, ...owner.reported]).size, owner.sent.length + owner.freed.length + owner.reported.length);
    }),
    { numRuns: 300 },
  );
});
