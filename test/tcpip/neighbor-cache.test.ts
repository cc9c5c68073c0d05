/**
 * The neighbour cache on its own (RFC 4861 §7.3 state machine, shared by ARP and ND): a fake owner
 * records solicitations and what happens to queued packets, a fake clock drives the timers. One
 * behaviour per test, then a fast-check state-machine property: whatever the sequence of sends,
 * confirmations and time, no packet is lost or duplicated, queues stay bounded, states stay legal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StackCounters } from '../../src/drivers/protocol/tcpip/counters.js';
import { NeighborCache, NeighborState, neighborStateName, type NeighborEntry, type NeighborOwner, type NeighborUpdate } from '../../src/drivers/protocol/tcpip/neighbor.js';
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
  /** Packets handed back when resolution failed (their senders are told). */
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
  unreachable(family: number, head: NetBufferList): void {
    assert.equal(family, 4);
    for (let n: NetBufferList | null = head; n !== null; n = n.next) this.reported.push(n.slot);
  }
  random(): number {
    return 0.5; // ReachableTime × 1.0
  }
}

function setup(capacity = 8, queueLimit = 3) {
  const clock = new FakeClock();
  const timers = new TimerQueue({ enter() {}, exit() {} });
  timers.useClock(clock.handle);
  const owner = new Owner(clock);
  const counters = new StackCounters().neighbor;
  const cache = new NeighborCache(4, capacity, { retransTimerMs: 1000, reachableTimeMs: 30_000, queueLimit }, owner, counters, timers);
  return { clock, owner, counters, cache };
}

const MAC1 = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC2 = Uint8Array.of(2, 0, 0, 0, 0, 2);
const ADDR = 0xc6120001;

function confirm(mac: Uint8Array | null, solicited: boolean, override = true, create = false): NeighborUpdate {
  return { mac, macOffset: 0, solicited, override, create, isRouter: null };
}

function state(cache: NeighborCache, addr = ADDR): string {
  const e = cache.lookup4(addr);
  return e === null ? 'none' : neighborStateName(e.state);
}

test('neighbour: an unanswered resolution solicits MAX_MULTICAST_SOLICIT times, then hands its queue back as unreachable', () => {
  const { clock, owner, counters, cache } = setup();
  const first = nbl();
  assert.equal(cache.resolve(ADDR, null, 0, first), null);
  assert.equal(state(cache), 'INCOMPLETE');
  clock.advance(2999);
  assert.deepEqual(owner.solicits.map((s) => [s.at, s.unicast]), [[0, false], [1000, false], [2000, false]]);
  assert.equal(state(cache), 'INCOMPLETE');
  clock.advance(1);
  assert.equal(state(cache), 'none');
  assert.deepEqual(owner.reported, [first.slot], 'the sender is told, not just dropped');
  assert.deepEqual(owner.freed, []);
  assert.equal(counters.resolutionFailed, 1);
  assert.equal(counters.failedDrops, 1);
});

test('neighbour: the queue of an INCOMPLETE entry is bounded; the oldest packet is dropped', () => {
  const { owner, counters, cache } = setup(8, 3);
  const p = Array.from({ length: 5 }, nbl);
  for (const n of p) assert.equal(cache.resolve(ADDR, null, 0, n), null);
  assert.deepEqual(owner.freed, [p[0]!.slot, p[1]!.slot]);
  assert.equal(counters.queueOverflow, 2);
  cache.update(ADDR, null, 0, confirm(MAC1, true));
  assert.deepEqual(owner.sent, [p[2]!.slot, p[3]!.slot, p[4]!.slot], 'the rest go in order once resolved');
  assert.equal(owner.solicits.length, 1, 'one solicitation for five packets');
});

test('neighbour: REACHABLE → STALE after ReachableTime → DELAY on use → PROBE (unicast) → REACHABLE on confirmation', () => {
  const { clock, owner, cache } = setup();
  cache.resolve(ADDR, null, 0, nbl());
  cache.update(ADDR, null, 0, confirm(MAC1, true));
  assert.equal(state(cache), 'REACHABLE');
  clock.advance(30_000);
  assert.equal(state(cache), 'STALE');
  assert.notEqual(cache.resolve(ADDR, null, 0, nbl()), null, 'a STALE entry is usable');
  assert.equal(state(cache), 'DELAY');
  clock.advance(5000);
  assert.equal(state(cache), 'PROBE');
  assert.deepEqual(owner.solicits.at(-1), { addr: ADDR, unicast: true, at: 35_000 });
  cache.update(ADDR, null, 0, confirm(MAC1, true, false));
  assert.equal(state(cache), 'REACHABLE');
});

test('neighbour: PROBE without answers ends after MAX_UNICAST_SOLICIT probes', () => {
  const { clock, owner, cache } = setup();
  cache.resolve(ADDR, null, 0, nbl());
  cache.update(ADDR, null, 0, confirm(MAC1, true));
  clock.advance(30_000);
  cache.resolve(ADDR, null, 0, nbl());
  clock.advance(5000 + 2999);
  assert.equal(owner.solicits.filter((s) => s.unicast).length, 3);
  assert.equal(state(cache), 'PROBE');
  clock.advance(1);
  assert.equal(state(cache), 'none');
});

test('neighbour: news with another MAC — override replaces it (STALE), a non-override answer only casts doubt', () => {
  const { cache } = setup();
  cache.resolve(ADDR, null, 0, nbl());
  cache.update(ADDR, null, 0, confirm(MAC1, true));
  cache.update(ADDR, null, 0, confirm(MAC2, false, false));
  let e = cache.lookup4(ADDR)!;
  assert.equal(neighborStateName(e.state), 'STALE');
  assert.deepEqual(e.mac, MAC1, 'not replaced without O');
  cache.update(ADDR, null, 0, confirm(MAC2, false, true));
  e = cache.lookup4(ADDR)!;
  assert.deepEqual(e.mac, MAC2);
  assert.equal(neighborStateName(e.state), 'STALE');
});

test('neighbour: an unsolicited message creates an entry only when asked to (NS/ARP for us), as STALE', () => {
  const { cache } = setup();
  assert.equal(cache.update(ADDR, null, 0, confirm(MAC1, false, true, false)), null, 'gratuitous news about a stranger is ignored');
  assert.equal(state(cache), 'none');
  cache.update(ADDR, null, 0, confirm(MAC1, false, true, true));
  assert.equal(state(cache), 'STALE');
});

test('neighbour: static entries are PERMANENT: usable at once, never changed, never evicted', () => {
  const { clock, owner, cache } = setup(4);
  assert.ok(cache.addStatic(ADDR, null, MAC1));
  const e = cache.resolve(ADDR, null, 0, nbl());
  assert.ok(e !== null && e.state === NeighborState.Permanent);
  cache.update(ADDR, null, 0, confirm(MAC2, true, true));
  assert.deepEqual(cache.lookup4(ADDR)!.mac, MAC1);
  for (let i = 0; i < 10; i++) cache.resolve(ADDR + 1 + i, null, 0, nbl());
  clock.advance(100_000);
  assert.equal(state(cache), 'PERMANENT');
  assert.equal(owner.solicits.filter((s) => s.addr === ADDR).length, 0);
});

test('neighbour: a full cache evicts its least recently used entry (dropping what it queued)', () => {
  const { clock, owner, counters, cache } = setup(4, 2);
  const queued: NetBufferList[] = [];
  for (let i = 0; i < 4; i++) {
    clock.advance(10);
    const n = nbl();
    queued.push(n);
    cache.resolve(ADDR + i, null, 0, n);
  }
  cache.resolve(ADDR + 9, null, 0, nbl());
  assert.equal(counters.evicted, 1);
  assert.equal(cache.lookup4(ADDR), null, 'the oldest went');
  assert.deepEqual(owner.freed, [queued[0]!.slot]);
  assert.equal(cache.size, 4);
});

test('neighbour (property): no packet is lost or duplicated; queues bounded; states legal', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant('send' as const), addr: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ kind: fc.constant('news' as const), addr: fc.integer({ min: 0, max: 5 }), mac: fc.constantFrom(MAC1, MAC2, null), solicited: fc.boolean(), override: fc.boolean(), create: fc.boolean() }),
    fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      const { clock, owner, cache } = setup(4, 2);
      let offered = 0;
      let usedDirectly = 0;
      for (const ev of events) {
        if (ev.kind === 'send') {
          offered++;
          if (cache.resolve(ADDR + ev.addr, null, 0, nbl()) !== null) usedDirectly++;
        } else if (ev.kind === 'news') {
          cache.update(ADDR + ev.addr, null, 0, confirm(ev.mac, ev.solicited, ev.override, ev.create));
        } else {
          clock.advance(ev.ms);
        }
        for (const e of cache.entries) {
          if (!e.inUse) continue;
          assert.ok(e.queueLength <= 2);
          assert.ok(e.state >= NeighborState.Incomplete && e.state <= NeighborState.Permanent);
          if (e.state !== NeighborState.Incomplete) assert.equal(e.queueLength, 0, 'only INCOMPLETE entries hold packets');
        }
      }
      const accounted = usedDirectly + owner.sent.length + owner.freed.length + owner.reported.length + cache.queuedPackets;
      assert.equal(accounted, offered);
      assert.equal(new Set([...owner.sent, ...owner.freed, ...owner.reported]).size, owner.sent.length + owner.freed.length + owner.reported.length, 'no packet twice');
    }),
    { numRuns: 300 },
  );
});
