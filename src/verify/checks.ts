/**
 * The checks of `tsndis verify`, in the order they run. Each gets fresh prepared stacks (harness.ts)
 * and returns what it found wrong (empty: nothing); the runner adds every verifier violation raised
 * while it ran and bounds it in time. A check that does not apply to the driver's kind says why.
 */
import type { VerifierLimits } from '../core/verifier/verifier.js';
import type { VerifierRule } from '../core/verifier/rules.js';
import { MediaConnectStateConnected, MediaConnectStateDisconnected } from '../ndis/constants.js';
import type { NdisLinkState } from '../ndis/structures.js';
import { NdisOidRequest as OidRequest } from '../ndis/oid-request.js';
import { OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_SUPPORTED_LIST, oidName } from '../ndis/oids.js';
import {
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  statusName,
} from '../ndis/status.js';
import { type Bench, burst, drainAll, Flow, flowProblems, sleep, tick } from './harness.js';
import { runOffloadConformance } from './offload-conformance.js';
import type { VerifySubject } from './subject.js';

const RAW = 'tsndis.raw';
const RAW_KEYWORDS = { ReceiveQueueDepth: 4096, SendPoolSize: 512 };

export interface CheckContext {
  readonly bench: Bench;
  readonly signal: AbortSignal;
  readonly limits: VerifierLimits;
  /** `p`, or a failure naming `what` once `ms` passed. */
  step<T>(p: Promise<T>, ms: number, what: string): Promise<T>;
}

export interface VerifyCheck {
  readonly name: string;
  /** One line: what the check does. */
  readonly title: string;
  /** The verifier rules the check exercises (any violation fails it; these are the ones it provokes). */
  readonly rules: readonly VerifierRule[];
  /** It sends test frames (and checks them end to end where the bench has a receiver). */
  readonly traffic: boolean;
  /** Why the check does not apply to `subject`, or null when it does. */
  skip(subject: VerifySubject): string | null;
  /** Runs the check; resolves with the problems found (none: pass). */
  run(ctx: CheckContext): Promise<string[]>;
  /** Runs only when named with --check (not part of the default battery). */
  readonly optIn?: boolean;
  /** Its bench has the virtual wires' task offloads on (BenchOptions.offloads). */
  readonly offloads?: boolean;
  /** Verifier rules the check breaks on purpose (reported, but not failing it). */
  readonly provokes?: readonly VerifierRule[];
}

let nextStream = 1;

/** The flows a bench carries: dut ⇄ peer where both have a raw binding; dut → nowhere without a peer; peer → protocol under test. */
function flows(b: Bench): Flow[] {
  const peer = b.peerRaw();
  if (b.top === null) return [new Flow(peer!, null, nextStream++)];
  const dut = b.dutRaw();
  if (peer === null) return [new Flow(dut, null, nextStream++)];
  return [new Flow(dut, peer, nextStream++), new Flow(peer, dut, nextStream++)];
}

const FLOW_NAMES = ['dut → peer', 'peer → dut'];

/**
 * What a protocol under test was indicated it must give back: a protocol may hold received NBLs (a raw
 * protocol queues them for its reader), but not across a pause. So: wait briefly for the returns, and
 * when NBLs are still held, pause the stack (bounded) — the pause cannot complete until they are back —
 * and restart it.
 */
async function receivesReturned(ctx: CheckContext): Promise<string[]> {
  const b = ctx.bench;
  const mb = b.adapter(b.bottom);
  if (mb === null) return [];
  const held = (): number => [...mb.pools].reduce((n, p) => n + p.inUse, 0);
  for (let i = 0; i < 20 && held() > 0; i++) await sleep(10, ctx.signal);
  if (held() === 0) return [];
  const bound = ctx.limits.filterPauseMs + 1000;
  await ctx.step(b.rt.pauseStack(b.bottom), bound, `pausing ${mb.name} while the protocol holds ${held()} received NBLs`);
  const left = held();
  await ctx.step(b.rt.restartStack(b.bottom), bound, `restarting ${mb.name}`);
  return left === 0 ? [] : [`${left} NBLs indicated by ${mb.name} were not returned by the time the stack paused`];
}

/** `count` frames each way (or one way), checked end to end; a protocol under test must return every indication. */
async function exchange(ctx: CheckContext, count: number, label: string): Promise<string[]> {
  const fs = flows(ctx.bench);
  await burst(fs, count, ctx.signal);
  const problems = fs.flatMap((f, i) => flowProblems(`${label}, ${fs.length === 1 ? (ctx.bench.top === null ? 'peer → dut' : 'dut → wire') : FLOW_NAMES[i]!}`, f, count));
  if (ctx.bench.top === null) problems.push(...(await receivesReturned(ctx)));
  return problems;
}

/** Runs `flows` (pump and drain every turn) until `during` settles; resolves with its outcome. */
async function underTraffic<T>(fs: readonly Flow[], during: () => Promise<T>, ctx: CheckContext, lead = 8): Promise<T> {
  for (let i = 0; i < lead; i++) {
    for (const f of fs) f.pump(16);
    drainAll(fs);
    await tick(ctx.signal);
  }
  let settled = false;
  // Caught at once: a failing operation is re-thrown below, after the traffic settled (an unhandled
  // rejection meanwhile would end the process).
  const op = during().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void op.then(() => {
    settled = true;
  });
  while (!settled) {
    for (const f of fs) f.pump(16);
    drainAll(fs);
    await tick(ctx.signal);
  }
  // Let what is still in flight land.
  for (let i = 0; i < 20; i++) {
    drainAll(fs);
    await tick(ctx.signal);
  }
  const outcome = await op;
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** What traffic under a disruption may not do: duplicate, corrupt, or leave sends uncompleted (loss is allowed). */
function disruptedProblems(fs: readonly Flow[], label: string): string[] {
  const out: string[] = [];
  fs.forEach((f, i) => {
    const name = `${label}, ${FLOW_NAMES[i] ?? 'flow'}`;
    if (f.completed !== f.sent) out.push(`${name}: ${f.sent} sends, ${f.completed} completed`);
    if (f.tally.duplicated > 0) out.push(`${name}: ${f.tally.duplicated} frames duplicated`);
    if (f.tally.corrupted > 0) out.push(`${name}: ${f.tally.corrupted} frames corrupted`);
  });
  return out;
}

function stateProblem(b: Bench, adapter: string, want: string, when: string): string[] {
  const mb = b.adapter(adapter);
  const state = mb === null ? 'gone' : mb.state;
  return state === want ? [] : [`${when}: ${mb?.name ?? `${adapter}`} is ${state}, not ${want}`];
}

// =====================================================================================================

const attachDetach: VerifyCheck = {
  name: 'attach-detach',
  title: 'detach and attach the driver twice (unbind/bind, remove/add); the stack carries traffic after each',
  rules: ['IllegalStateTransition', 'CompletionWithoutPending', 'DoubleComplete', 'TeardownLeak', 'HandlerException'],
  traffic: true,
  skip: () => null,
  async run(ctx) {
    const b = ctx.bench;
    const { rt } = b;
    const name = b.subject.name;
    const bound = ctx.limits.filterPauseMs + 1000;
    const problems: string[] = [];
    for (let round = 1; round <= 2 && problems.length === 0; round++) {
      const r = `round ${round}`;
      switch (b.subject.kind) {
        case 'filter': {
          await ctx.step(rt.detachFilter('eth0', name), bound, `${r}: detaching the filter`);
          if (b.adapter('eth0')!.filters.some((f) => f.driver.name === name)) problems.push(`${r}: the module is still in the stack after detach`);
          problems.push(...stateProblem(b, 'eth0', 'Running', `${r}: after detach`));
          await ctx.step(rt.attachFilter('eth0', name, { ...b.keywords }), bound, `${r}: attaching the filter`);
          const f = b.adapter('eth0')!.filters.find((x) => x.driver.name === name);
          if (f?.state !== 'Running') problems.push(`${r}: after attach the module is ${f?.state ?? 'missing'}, not Running`);
          break;
        }
        case 'protocol': {
          await ctx.step(rt.unbindProtocol('eth0', name), bound, `${r}: unbinding the protocol`);
          await ctx.step(rt.bindProtocol('eth0', name, { ...b.keywords }), bound, `${r}: binding the protocol`);
          const o = b.adapter('eth0')!.bindings.find((x) => x.protocol.name === name);
          if (o?.state !== 'Running') problems.push(`${r}: after bind the binding is ${o?.state ?? 'missing'}, not Running`);
          break;
        }
        case 'intermediate': {
          await ctx.step(rt.unbindProtocol('eth0', name), bound, `${r}: unbinding the intermediate (its virtual miniport goes)`);
          if (b.adapter('vm0') !== null) problems.push(`${r}: the virtual miniport is still there after the intermediate unbound`);
          await ctx.step(rt.bindProtocol('eth0', name, { ...b.keywords }), bound, `${r}: binding the intermediate`);
          await ctx.step(rt.whenIdle(), bound, `${r}: bringing the virtual miniport up`);
          problems.push(...stateProblem(b, 'vm0', 'Running', `${r}: after bind`));
          break;
        }
        case 'miniport': {
          await ctx.step(rt.removeAdapter('eth0'), bound, `${r}: removing the adapter (halt)`);
          await ctx.step(rt.addAdapter({ name: 'eth0', driver: name, keywords: b.readdKeywords(round) }), bound, `${r}: adding the adapter (initialize)`);
          await ctx.step(rt.bindProtocol('eth0', RAW, { ...RAW_KEYWORDS }), bound, `${r}: binding the raw protocol`);
          await ctx.step(rt.startAdapter('eth0'), bound, `${r}: starting the adapter`);
          problems.push(...stateProblem(b, 'eth0', 'Running', `${r}: after initialize`));
          break;
        }
      }
      if (problems.length === 0) problems.push(...(await exchange(ctx, 20, `${r}: traffic after`)));
    }
    return problems;
  },
};

const pauseRestart: VerifyCheck = {
  name: 'pause-restart',
  title: 'pause the stack while NBLs are outstanding (received frames held above, traffic running), then restart it',
  rules: ['PrematurePauseComplete', 'SendWhilePaused', 'NdisFilterTimedPauseComplete', 'DoubleComplete', 'CompletionWithoutPending', 'IllegalStateTransition'],
  traffic: true,
  skip: () => null,
  async run(ctx) {
    const b = ctx.bench;
    const bound = ctx.limits.filterPauseMs + 1000;
    const problems: string[] = [];
    const targets = b.subject.kind === 'intermediate' ? ['vm0', 'eth0'] : ['eth0'];
    for (const target of targets) {
      // Held: frames the dut's raw binding queues without reading keep their NBLs outstanding below it.
      const peer = b.peerRaw();
      const held = b.top !== null && peer !== null ? new Flow(peer, b.dutRaw(), nextStream++, 64) : null;
      if (held !== null) {
        held.pump(64);
        const until = performance.now() + 2000;
        while (b.dutRaw().queued < 64 && performance.now() < until) await sleep(5, ctx.signal);
        if (b.dutRaw().queued < 64) problems.push(`before pausing ${target}: only ${b.dutRaw().queued} of 64 frames arrived`);
      }
      const fs = flows(b);
      // The held flow is drained with the others (its frames are told apart by stream) but sends no more.
      await underTraffic(held === null ? fs : [...fs, held], () => ctx.step(b.rt.pauseStack(target), bound, `pausing ${target}`), ctx);
      problems.push(...stateProblem(b, target, 'Paused', `after pausing ${target}`));
      if (target === b.top && b.dutRaw().send(new Uint8Array(60))) problems.push(`while ${target} is paused the raw binding above could still send`);
      await ctx.step(b.rt.restartStack(target), bound, `restarting ${target}`);
      problems.push(...stateProblem(b, target, 'Running', `after restarting ${target}`));
      problems.push(...disruptedProblems(fs, `traffic across pausing ${target}`));
      if (held !== null) {
        drainAll([held]);
        const lost = held.tally.missing(64);
        if (lost > 0) problems.push(`${lost} of the 64 frames held across the pause were lost`);
        if (held.tally.duplicated + held.tally.corrupted > 0) problems.push(`frames held across the pause: ${held.tally.duplicated} duplicated, ${held.tally.corrupted} corrupted`);
      }
      if (problems.length > 0) break;
      problems.push(...(await exchange(ctx, 50, `traffic after restarting ${target}`)));
    }
    return problems;
  },
};

const UNKNOWN_OID = 0xffa5a5a5; // vendor-specific range, defined by nobody
const NOT_SUPPORTED = [NDIS_STATUS_NOT_SUPPORTED, NDIS_STATUS_INVALID_OID];
const TOO_SHORT = [NDIS_STATUS_BUFFER_TOO_SHORT, NDIS_STATUS_INVALID_LENGTH];
const MAX_OIDS = 96;

const oidLengths: VerifyCheck = {
  name: 'oid-lengths',
  title: 'OID length semantics from the top of the stack: short buffers get BUFFER_TOO_SHORT/INVALID_LENGTH with a sufficient BytesNeeded, unknown OIDs NOT_SUPPORTED',
  rules: ['NdisOidComplete', 'NdisOidDoubleComplete', 'NdisTimedOidComplete', 'CompletionWithoutPending'],
  traffic: false,
  skip: (s) => (s.kind === 'protocol' ? 'a protocol issues OID requests; it does not answer them' : null),
  async run(ctx) {
    const b = ctx.bench;
    const target = b.top!;
    const bound = ctx.limits.oidCompleteMs + 1000;
    const problems: string[] = [];
    const ask = async (r: OidRequest): Promise<number> => (await ctx.step(b.rt.oid(target, r), bound, `${r.isQuery ? 'query' : 'set'} ${oidName(r.oid)}`)) >>> 0;
    const s = (st: number): string => statusName(st);

    const probe = OidRequest.query(OID_GEN_SUPPORTED_LIST, 0);
    const st0 = await ask(probe);
    if (!TOO_SHORT.includes(st0) || probe.bytesNeeded === 0) {
      problems.push(`query OID_GEN_SUPPORTED_LIST with a 0-byte buffer: ${s(st0)}, BytesNeeded ${probe.bytesNeeded} (expected BUFFER_TOO_SHORT or INVALID_LENGTH with BytesNeeded > 0)`);
    }
    const list = OidRequest.query(OID_GEN_SUPPORTED_LIST, Math.max(probe.bytesNeeded, 4));
    const st1 = await ask(list);
    if (st1 !== NDIS_STATUS_SUCCESS) return [...problems, `query OID_GEN_SUPPORTED_LIST with BytesNeeded (${list.informationBuffer.length}) bytes: ${s(st1)}, not SUCCESS`];
    const view = new DataView(list.informationBuffer.buffer, list.informationBuffer.byteOffset, list.bytesWritten);
    const oids: number[] = [];
    for (let i = 0; i + 4 <= list.bytesWritten; i += 4) oids.push(view.getUint32(i, true));

    for (const oid of oids.slice(0, MAX_OIDS)) {
      const full = OidRequest.query(oid, 4096);
      if ((await ask(full)) !== NDIS_STATUS_SUCCESS || full.bytesWritten === 0) continue; // set-only, or nothing to say
      const short = OidRequest.query(oid, 0);
      const st = await ask(short);
      if (!TOO_SHORT.includes(st) || short.bytesNeeded === 0 || short.bytesWritten !== 0) {
        problems.push(`query ${oidName(oid)} with a 0-byte buffer: ${s(st)}, BytesWritten ${short.bytesWritten}, BytesNeeded ${short.bytesNeeded} (expected BUFFER_TOO_SHORT or INVALID_LENGTH, nothing written, BytesNeeded > 0)`);
        continue;
      }
      const enough = OidRequest.query(oid, short.bytesNeeded);
      const st2 = await ask(enough);
      if (st2 !== NDIS_STATUS_SUCCESS) problems.push(`query ${oidName(oid)} with the BytesNeeded it asked for (${short.bytesNeeded}): ${s(st2)}, not SUCCESS`);
    }
    if (oids.includes(OID_GEN_CURRENT_PACKET_FILTER)) {
      const set = OidRequest.setRaw(OID_GEN_CURRENT_PACKET_FILTER, new Uint8Array(1));
      const st = await ask(set);
      if (!TOO_SHORT.includes(st) || set.bytesNeeded < 4) problems.push(`set OID_GEN_CURRENT_PACKET_FILTER with 1 byte: ${s(st)}, BytesNeeded ${set.bytesNeeded} (expected INVALID_LENGTH or BUFFER_TOO_SHORT with BytesNeeded ≥ 4)`);
    }
    const unknownQ = OidRequest.query(UNKNOWN_OID, 64);
    const stq = await ask(unknownQ);
    if (!NOT_SUPPORTED.includes(stq)) problems.push(`query of an unknown OID (0x${UNKNOWN_OID.toString(16)}): ${s(stq)} (expected NOT_SUPPORTED or INVALID_OID)`);
    const unknownS = OidRequest.setRaw(UNKNOWN_OID, new Uint8Array(4));
    const sts = await ask(unknownS);
    if (!NOT_SUPPORTED.includes(sts)) problems.push(`set of an unknown OID (0x${UNKNOWN_OID.toString(16)}): ${s(sts)} (expected NOT_SUPPORTED or INVALID_OID)`);
    return problems;
  },
};

function linkStateSeen(b: Bench, from: number, state: number): boolean {
  for (let i = from; i < b.statuses.length; i++) {
    const ind = b.statuses[i]!;
    if (ind.statusCode === NDIS_STATUS_LINK_STATE && (ind.statusBuffer as NdisLinkState | null)?.mediaConnectState === state) return true;
  }
  return false;
}

const statusIndications: VerifyCheck = {
  name: 'status-indications',
  title: 'link down and up on the wire below: both NDIS_STATUS_LINK_STATE indications reach the top of the stack',
  rules: ['HandlerException', 'IllegalStateTransition'],
  traffic: false,
  skip: (s) =>
    s.kind === 'miniport' && !(s.source === 'builtin' && s.name === 'tsndis.virtual-wire')
      ? 'verify cannot make this miniport indicate a status (it flaps the virtual wire under the other kinds)'
      : null,
  async run(ctx) {
    const b = ctx.bench;
    const at = b.top ?? 'eth0';
    b.watchStatus(at);
    const problems: string[] = [];
    for (const [up, state, what] of [
      [false, MediaConnectStateDisconnected, 'link down'],
      [true, MediaConnectStateConnected, 'link up'],
    ] as const) {
      const from = b.statuses.length;
      b.setLink(up);
      const until = performance.now() + 2000;
      while (!linkStateSeen(b, from, state) && performance.now() < until) await sleep(10, ctx.signal);
      if (!linkStateSeen(b, from, state)) problems.push(`${what}: no NDIS_STATUS_LINK_STATE saying so reached the top of ${b.dut.name}/${at} within 2 s`);
    }
    return problems;
  },
};

const surpriseRemoval: VerifyCheck = {
  name: 'surprise-removal',
  title: 'surprise-remove the adapter at the bottom of the stack while traffic runs both ways',
  rules: ['TeardownLeak', 'NblDoubleComplete', 'NblNotOwned', 'NdisTimedDataSend', 'NdisFilterTimedPauseComplete', 'IllegalStateTransition'],
  traffic: true,
  skip: () => null,
  async run(ctx) {
    const b = ctx.bench;
    const fs = flows(b);
    await underTraffic(fs, () => ctx.step(b.rt.surpriseRemove('eth0'), ctx.limits.filterPauseMs + 1000, 'surprise removal'), ctx);
    const problems = disruptedProblems(fs, 'traffic across the removal');
    if (b.adapter('eth0') !== null) problems.push('the adapter is still there after surprise removal');
    if (b.subject.kind === 'intermediate' && b.adapter('vm0') !== null) problems.push("the intermediate's virtual miniport is still there after its lower adapter went");
    return problems;
  },
};

const filterDetachUnderTraffic: VerifyCheck = {
  name: 'filter-detach-under-traffic',
  title: 'detach the filter while traffic runs both ways; nothing duplicated or corrupted, traffic flows after',
  rules: ['NblNotOwned', 'NblDoubleComplete', 'PrematurePauseComplete', 'SendWhilePaused', 'TeardownLeak'],
  traffic: true,
  skip: (s) => (s.kind === 'filter' ? null : 'only filter modules are detached from a running stack'),
  async run(ctx) {
    const b = ctx.bench;
    const fs = flows(b);
    await underTraffic(fs, () => ctx.step(b.rt.detachFilter('eth0', b.subject.name), ctx.limits.filterPauseMs + 1000, 'detaching the filter'), ctx);
    const problems = disruptedProblems(fs, 'traffic across the detach');
    if (b.adapter('eth0')!.filters.some((f) => f.driver.name === b.subject.name)) problems.push('the module is still in the stack after detach');
    if (problems.length === 0) problems.push(...(await exchange(ctx, 50, 'traffic after the detach')));
    return problems;
  },
};

const BURST = 1000;

const trafficBurst: VerifyCheck = {
  name: 'traffic-burst',
  title: `${BURST} frames of 60–1514 bytes each way: every one arrives once and intact, every send completes once`,
  rules: ['NblDoubleComplete', 'NblNotOwned', 'NblSourceHandle', 'NblReceiveCount', 'NblResourcesReturned', 'NblOwnReturnedUp', 'NblBadFree', 'NblChildrenOutstanding'],
  traffic: true,
  skip: () => null,
  run: (ctx) => exchange(ctx, BURST, 'burst'),
};

const poolsFull: VerifyCheck = {
  name: 'no-leaks',
  title: 'after traffic and teardown every NBL pool is full and every buffer free (nothing leaked)',
  rules: ['TeardownLeak', 'NblBadFree'],
  traffic: true,
  skip: () => null,
  async run(ctx) {
    const b = ctx.bench;
    const problems = await exchange(ctx, 200, 'traffic before teardown');
    await ctx.step(b.teardown(), ctx.limits.filterPauseMs + 1000, 'tearing the stacks down');
    problems.push(...b.busyPools().map((p) => `after teardown, pool ${p}`));
    if (!b.rt.allocator.allFree) problems.push(`after teardown, buffers still allocated: ${JSON.stringify(b.rt.allocator.usage())}`);
    return problems;
  },
};

const offloadConformance: VerifyCheck = {
  name: 'offloads',
  title: 'the offload conformance battery (checksum both paths, LSO, USO, RSC, the OID_TCP_OFFLOAD_PARAMETERS walk) from a protocol at the top, against the wire',
  rules: [],
  // The battery asks for offloads that are off on purpose (a miniport must then not perform them).
  provokes: ['NblOffloadNotEnabled'],
  traffic: true,
  optIn: true,
  offloads: true,
  skip: (s) => (s.kind === 'protocol' ? 'a protocol asks for offloads; the battery checks the drivers that perform them' : null),
  async run(ctx) {
    const b = ctx.bench;
    const r = await runOffloadConformance({ name: b.subject.name, dut: b.dutRaw(), peer: b.peerRaw(), signal: ctx.signal });
    const notOffered = r.families.filter((f) => f.status === 'not-offered').map((f) => f.family);
    // One line per broken rule: its first failure (with the frame) and how many more there were.
    const byRule = new Map<string, { first: (typeof r.failures)[number]; more: number }>();
    for (const f of r.failures) {
      const key = `[${f.family}] ${f.rule}`;
      const seen = byRule.get(key);
      if (seen === undefined) byRule.set(key, { first: f, more: 0 });
      else seen.more++;
    }
    const problems = [...byRule].map(([key, { first: f, more }]) => `${key} — ${f.detail}${more > 0 ? ` (and ${more} more)` : ''}${f.frame === '' ? '' : `; frame ${f.frame}`}`);
    if (problems.length > 0 && notOffered.length > 0) problems.push(`(not offered, so not checked: ${notOffered.join(', ')})`);
    return problems;
  },
};

/** Every check, in the order they run (the opt-in ones only when named). */
export const VERIFY_CHECKS: readonly VerifyCheck[] = [attachDetach, pauseRestart, oidLengths, statusIndications, surpriseRemoval, filterDetachUnderTraffic, trafficBurst, poolsFull, offloadConformance];

