/**
 * The NDIS state machines as tables (ndis-core digest §2, anchors §6.4): every (state, event) pair of every
 * table is fired through StateMachine, and each table is compared with a hand-written copy of the spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IllegalTransitionError } from '../../../src/errors.js';
import { StateMachine, type TransitionTable } from '../../../src/core/state/state-machine.js';
import {
  ADAPTER_EVENTS, ADAPTER_STATES, ADAPTER_TRANSITIONS, BINDING_EVENTS, BINDING_STATES, BINDING_TRANSITIONS,
  FILTER_EVENTS, FILTER_STATES, FILTER_TRANSITIONS,
} from '../../../src/core/state/tables.js';

interface Machine<S extends string, E extends string> {
  readonly name: string;
  readonly states: readonly S[];
  readonly events: readonly E[];
  readonly table: TransitionTable<S, E>;
  readonly initial: S;
  /** The spec's legal transitions, written out by hand: "From --event--> To". */
  readonly spec: readonly string[];
}

// ndis-core §2.1 Miniport adapter states.
const ADAPTER: Machine<(typeof ADAPTER_STATES)[number], (typeof ADAPTER_EVENTS)[number]> = {
  name: 'adapter',
  states: ADAPTER_STATES,
  events: ADAPTER_EVENTS,
  table: ADAPTER_TRANSITIONS,
  initial: 'Halted',
  spec: [
    'Halted --initialize--> Initializing',            // MiniportInitializeEx
    'Initializing --initializeComplete--> Paused',    // init succeeds: Paused, not Running
    'Initializing --initializeFailed--> Halted',      // no MiniportHaltEx after a failed init
    'Paused --restart--> Restarting',                 // MiniportRestart
    'Restarting --restartComplete--> Running',
    'Restarting --restartFailed--> Paused',
    'Running --pause--> Pausing',                     // MiniportPause, cannot fail
    'Pausing --pauseComplete--> Paused',
    'Paused --halt--> Halted',                        // MiniportHaltEx only from Paused
    'Paused --shutdown--> Shutdown',                  // MiniportShutdownEx from Paused, Restarting, Running, Pausing
    'Restarting --shutdown--> Shutdown',
    'Running --shutdown--> Shutdown',
    'Pausing --shutdown--> Shutdown',
    // Shutdown is terminal: no exits.
  ],
};

// ndis-core §2.2 Protocol binding states.
const BINDING: Machine<(typeof BINDING_STATES)[number], (typeof BINDING_EVENTS)[number]> = {
  name: 'binding',
  states: BINDING_STATES,
  events: BINDING_EVENTS,
  table: BINDING_TRANSITIONS,
  initial: 'Unbound',
  spec: [
    'Unbound --bind--> Opening',                      // ProtocolBindAdapterEx / NdisOpenAdapterEx
    'Opening --bindFailed--> Unbound',
    'Opening --bindComplete--> Paused',
    'Paused --restart--> Restarting',                 // NetEventRestart
    'Restarting --restartComplete--> Running',
    'Restarting --restartFailed--> Paused',
    'Running --pause--> Pausing',                     // NetEventPause
    'Pausing --pauseComplete--> Paused',
    'Paused --unbind--> Closing',                     // ProtocolUnbindAdapterEx / NdisCloseAdapterEx
    'Closing --unbindComplete--> Unbound',
  ],
};

// ndis-core §2.3 Filter module states (empty cells are invalid).
const FILTER: Machine<(typeof FILTER_STATES)[number], (typeof FILTER_EVENTS)[number]> = {
  name: 'filter',
  states: FILTER_STATES,
  events: FILTER_EVENTS,
  table: FILTER_TRANSITIONS,
  initial: 'Detached',
  spec: [
    'Detached --attach--> Attaching',                 // FilterAttach
    'Attaching --attachComplete--> Paused',
    'Attaching --attachFailed--> Detached',
    'Paused --detach--> Detached',                    // FilterDetach only from Paused
    'Paused --restart--> Restarting',                 // FilterRestart
    'Restarting --restartComplete--> Running',
    'Restarting --restartFailed--> Paused',
    'Running --pause--> Pausing',                     // FilterPause
    'Pausing --pauseComplete--> Paused',
  ],
};

function legalTransitions<S extends string, E extends string>(m: Machine<S, E>): string[] {
  const out: string[] = [];
  for (const s of m.states) for (const e of m.events) {
    const to = m.table[s][e];
    if (to !== undefined) out.push(`${s} --${e}--> ${to}`);
  }
  return out;
}

/** A machine sitting in `state` (the table is the only way in, so build the path by search). */
function machineIn<S extends string, E extends string>(m: Machine<S, E>, state: S, observer: ((f: S, e: E, t: S) => void) | null = null): StateMachine<S, E> {
  const path = pathTo(m, state);
  assert.ok(path !== null, `${m.name}: ${state} is reachable from ${m.initial}`);
  const sm = new StateMachine<S, E>(m.name, 'test-object', m.table, m.initial, null);
  for (const e of path) sm.fire(e);
  assert.equal(sm.state, state);
  return new StateMachine<S, E>(m.name, 'test-object', m.table, sm.state, observer);
}

function pathTo<S extends string, E extends string>(m: Machine<S, E>, target: S): E[] | null {
  const seen = new Map<S, E[]>([[m.initial, []]]);
  const queue: S[] = [m.initial];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (s === target) return seen.get(s)!;
    for (const e of m.events) {
      const to = m.table[s][e];
      if (to !== undefined && !seen.has(to)) {
        seen.set(to, [...seen.get(s)!, e]);
        queue.push(to);
      }
    }
  }
  return null;
}

function machineTests<S extends string, E extends string>(m: Machine<S, E>): void {
  test(`${m.name}: the table holds exactly the spec's legal transitions`, () => {
    assert.deepEqual(legalTransitions(m).sort(), [...m.spec].sort());
  });

  test(`${m.name}: the table has a row for every state and only declared events`, () => {
    assert.deepEqual(Object.keys(m.table).sort(), [...m.states].sort());
    for (const s of m.states) for (const [e, to] of Object.entries(m.table[s])) {
      assert.ok((m.events as readonly string[]).includes(e), `${s}: unknown event ${e}`);
      assert.ok((m.states as readonly string[]).includes(to as string), `${s} --${e}--> unknown state ${String(to)}`);
    }
  });

  test(`${m.name}: every state is reachable from ${m.initial}`, () => {
    for (const s of m.states) assert.ok(pathTo(m, s) !== null, s);
  });

  test(`${m.name}: each legal (state, event) reaches the table's state and notifies the observer once`, () => {
    let checked = 0;
    for (const s of m.states) for (const e of m.events) {
      const to = m.table[s][e];
      if (to === undefined) continue;
      const calls: [string, string, string][] = [];
      const sm = machineIn(m, s, (f, ev, t) => calls.push([f, ev, t]));
      assert.ok(sm.can(e));
      assert.equal(sm.next(e), to);
      assert.equal(sm.fire(e), to);
      assert.equal(sm.state, to);
      assert.deepEqual(calls, [[s, e, to]], `${s} --${e}-->`);
      checked++;
    }
    assert.equal(checked, m.spec.length);
  });

  test(`${m.name}: each illegal (state, event) throws IllegalTransitionError and leaves the state alone`, () => {
    let checked = 0;
    for (const s of m.states) for (const e of m.events) {
      if (m.table[s][e] !== undefined) continue;
      const calls: unknown[] = [];
      const sm = machineIn(m, s, (...args) => calls.push(args));
      assert.equal(sm.can(e), false);
      assert.equal(sm.next(e), undefined);
      assert.throws(
        () => sm.fire(e),
        (err: unknown) => {
          assert.ok(err instanceof IllegalTransitionError);
          assert.equal(err.code, 'TSNDIS_ILLEGAL_TRANSITION');
          assert.deepEqual([err.machine, err.object, err.from, err.event], [m.name, 'test-object', s, e]);
          assert.ok(err.message.includes(m.name) && err.message.includes(s) && err.message.includes(e), err.message);
          return true;
        },
      );
      assert.equal(sm.state, s);
      assert.equal(calls.length, 0, 'no observer call');
      checked++;
    }
    assert.equal(checked, m.states.length * m.events.length - m.spec.length);
  });
}

machineTests(ADAPTER);
machineTests(BINDING);
machineTests(FILTER);

test('adapter: Shutdown is terminal and unreachable from Halted and Initializing', () => {
  assert.deepEqual(ADAPTER_TRANSITIONS.Shutdown, {});
  assert.equal(ADAPTER_TRANSITIONS.Halted.shutdown, undefined);
  assert.equal(ADAPTER_TRANSITIONS.Initializing.shutdown, undefined);
});

test('adapter: a full life cycle walks init, restart, pause, halt', () => {
  const seen: string[] = [];
  const sm = new StateMachine(ADAPTER.name, 'nic0', ADAPTER_TRANSITIONS, 'Halted', (f, e, t) => seen.push(`${f}>${e}>${t}`));
  for (const e of ['initialize', 'initializeComplete', 'restart', 'restartComplete', 'pause', 'pauseComplete', 'halt'] as const) sm.fire(e);
  assert.equal(sm.state, 'Halted');
  assert.deepEqual(seen, [
    'Halted>initialize>Initializing', 'Initializing>initializeComplete>Paused', 'Paused>restart>Restarting',
    'Restarting>restartComplete>Running', 'Running>pause>Pausing', 'Pausing>pauseComplete>Paused', 'Paused>halt>Halted',
  ]);
});

test('filter: detach is refused while Running and names the machine, object, state and event', () => {
  const sm = machineIn(FILTER, 'Running');
  assert.throws(() => sm.fire('detach'), { name: 'IllegalTransitionError', message: "filter test-object: 'detach' is not allowed in state Running" });
  assert.equal(sm.state, 'Running');
});

test('a machine without an observer still changes state', () => {
  const sm = new StateMachine('binding', 'b0', BINDING_TRANSITIONS, 'Unbound');
  assert.equal(sm.fire('bind'), 'Opening');
  assert.equal(sm.state, 'Opening');
});
