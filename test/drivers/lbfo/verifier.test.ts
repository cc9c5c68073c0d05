/**
 * The verifier catches the IM mistakes of seed 003 in a teaming driver: broken variants of tsndis.lbfo's
 * team adapter — completing an NBL it forwarded before the member completed its clone, indicating
 * receives while paused — each reported under its rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { LbfoTeamAdapter, lbfoDriver, type LbfoMember } from '../../../src/drivers/intermediate/lbfo/index.js';
import { NDIS_STATUS_SUCCESS, type IntermediateDriverCharacteristics, type NetBufferList } from '../../../src/ndis/index.js';
import { settle } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, TestMiniportDriver, TestProtocolDriver, seqFrame } from '../../support/test-drivers.js';

/** Completes the original at once, while the member still holds its clone. */
class EarlyCompleter extends LbfoTeamAdapter {
  override sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    super.sendNetBufferLists(nbls, portNumber, sendFlags);
    nbls.status = NDIS_STATUS_SUCCESS;
    this.ndis.sendNetBufferListsComplete(nbls, 0);
  }
}

/** Indicates whatever a member gives it, paused or not. */
class PausedIndicator extends LbfoTeamAdapter {
  override indicateFromMember(m: LbfoMember, nbls: NetBufferList, portNumber: number, flags: number): boolean {
    const running = this.running;
    this.running = true;
    try {
      return super.indicateFromMember(m, nbls, portNumber, flags);
    } finally {
      this.running = running;
    }
  }
}

async function lab(name: string, adapter: typeof LbfoTeamAdapter) {
  const rt = NdisRuntime.forTest({ name, verifier: { enabled: true } });
  const mp = new TestMiniportDriver();
  const proto = new TestProtocolDriver();
  const driver: IntermediateDriverCharacteristics = { ...lbfoDriver, name: `fx.${name}`, miniport: { ...lbfoDriver.miniport, adapter } };
  rt.registerDriver(mp.characteristics);
  rt.registerDriver(driver);
  rt.registerDriver(proto.characteristics);
  rt.adapterPolicy = (n) => (n === 'team0' ? { filters: [], protocols: [{ driver: 'test.protocol' }] } : undefined);
  for (const m of ['m1', 'm2']) {
    await rt.addAdapter({ name: m, driver: 'test.miniport' });
    await rt.bindProtocol(m, driver.name, { UpperBindings: ['team0'], SendTimeoutMs: 0 });
    await rt.startAdapter(m);
  }
  await rt.whenIdle();
  await settle();
  return { rt, p: proto.binding('team0'), m1: mp.adapter('m1') };
}

const rules = (rt: NdisRuntime) => new Set(rt.verifier.violations.map((v) => v.rule));

test('verifier: an IM completing a forwarded NBL before the member completed its clone (ImSendCompletedBeforeLower)', async () => {
  const { rt, p, m1 } = await lab('lbfo-early', EarlyCompleter);
  m1.sendMode = 'hold';
  p.send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  await settle();
  assert.ok(rules(rt).has('ImSendCompletedBeforeLower'), [...rules(rt)].join(', '));
  m1.completeSends();
  await settle();
  await rt.shutdown();
});

test('verifier: an IM indicating on its paused virtual miniport (SendWhilePaused)', async () => {
  const { rt, m1 } = await lab('lbfo-paused', PausedIndicator);
  await rt.pauseStack('lbfo-paused/team0');
  m1.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 1)]);
  await settle();
  assert.ok(rules(rt).has('SendWhilePaused'), [...rules(rt)].join(', '));
  // No orderly shutdown: the indication was refused, so the broken team never gets it back and a pause
  // would wait for it forever (the manual clock holds nothing open).
});
