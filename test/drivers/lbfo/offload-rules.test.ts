/**
 * tsndis.lbfo and the IM offload rules of offload digest §1.7 on scripted members (manual clock,
 * verifier on): the team's MaxOffLoadSize is the smaller member's; an LSO send larger than what the
 * chosen member reported fails with NDIS_STATUS_INVALID_LENGTH instead of reaching it (rule 4);
 * OID_TCP_OFFLOAD_PARAMETERS on the team goes to every member, completes after the last, and the
 * resulting intersection is indicated up (rule 3).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { findTeam, lbfoDriver } from '../../../src/drivers/intermediate/lbfo/index.js';
import {
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NdisOidRequest,
  OID_TCP_OFFLOAD_PARAMETERS,
  lsoV2Transmit,
  offloadParametersCodec,
  type NdisOffload,
} from '../../../src/ndis/index.js';
import { assertClean, settle } from '../../support/hosts.js';
import { FULL_OFFLOAD } from '../../support/offload.js';
import { PEER_MAC, TEST_MAC, TestMiniportDriver, TestProtocolDriver } from '../../support/test-drivers.js';

function withLsoMax(max: number): NdisOffload {
  return { ...FULL_OFFLOAD, lsoV2: { ipv4: { ...FULL_OFFLOAD.lsoV2.ipv4, maxOffLoadSize: max }, ipv6: { ...FULL_OFFLOAD.lsoV2.ipv6, maxOffLoadSize: max } } };
}

/** Ethernet + IPv4 + TCP (20-byte header) + `payload` bytes. */
function tcpFrame(payload: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20 + payload);
  f.set(PEER_MAC, 0);
  f.set(TEST_MAC, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 6;
  f[14 + 20 + 12] = 0x50;
  return f;
}

test('lbfo offload rules: MaxOffLoadSize is the smaller member\'s and an oversized LSO send fails; offload parameters fan out and the new intersection is indicated', async () => {
  const rt = NdisRuntime.forTest({ name: 'H', verifier: { enabled: true } });
  const a = new TestMiniportDriver({ name: 'test.mp-a', offload: { hardware: withLsoMax(1000) } });
  const b = new TestMiniportDriver({ name: 'test.mp-b', offload: { hardware: withLsoMax(4000) } });
  const proto = new TestProtocolDriver();
  for (const d of [a, b, proto]) rt.registerDriver(d.characteristics);
  rt.registerDriver(lbfoDriver);
  rt.adapterPolicy = (name) => (name === 'team0' ? { filters: [], protocols: [{ driver: 'test.protocol' }] } : undefined);
  for (const [m, d] of [['m1', 'test.mp-a'], ['m2', 'test.mp-b']] as const) {
    await rt.addAdapter({ name: m, driver: d });
    await rt.bindProtocol(m, 'tsndis.lbfo', { UpperBindings: ['team0'], SendTimeoutMs: 0 });
    await rt.startAdapter(m);
  }
  await rt.whenIdle();
  await settle();
  const team = findTeam('H/team0')!;
  const p = proto.binding('team0');
  const m1 = a.adapter('m1');
  assert.equal(team.current!.lsoV2.ipv4.maxOffLoadSize, 1000, 'the minimum over the members');
  assert.equal(p.bindParameters!.defaultOffloadConfiguration.lsoV2.ipv4.maxOffLoadSize, 1000, 'what the protocol was told');

  // Rule 4: the active member (m1) reported 1000; 1200 bytes of TCP payload never reach it.
  const lso = lsoV2Transmit({ mss: 500, tcpHeaderOffset: 34, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
  const send = (payload: number) => {
    const [nbl] = p.allocate([tcpFrame(payload)]);
    nbl!.info.tcpLargeSend = lso;
    p.sendsOutstanding++;
    p.ndis.sendNetBufferLists(nbl!, 0, 0);
  };
  send(1200);
  send(800);
  await settle();
  assert.deepEqual(p.completions.map((c) => [c.bytes.length, c.status]), [[1254, NDIS_STATUS_INVALID_LENGTH], [854, NDIS_STATUS_SUCCESS]]);
  assert.deepEqual(m1.sentFrames.map((f) => f.length), [854]);
  assert.equal(team.adapter!.counters.sendLsoRejected, 1);

  // Rule 3: LSOv2 off through the team: both members take it, then the team indicates the intersection.
  const before = p.statuses.filter((s) => s.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG).length;
  const params = { ipv4Checksum: 0, tcpIpv4Checksum: 0, udpIpv4Checksum: 0, tcpIpv6Checksum: 0, udpIpv6Checksum: 0, lsoV1: 0, ipsecV1: 0, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED, lsoV2IPv6: 0, tcpConnectionIPv4: 0, tcpConnectionIPv6: 0, flags: 0, ipsecV2: 0, ipsecV2IPv4: 0, rscIPv4: 0, rscIPv6: 0, encapsulatedPacketTaskOffload: 0, encapsulationTypes: 0 };
  const status = await p.oid(NdisOidRequest.set(offloadParametersCodec, params));
  assert.equal(status, NDIS_STATUS_SUCCESS);
  for (const m of team.members) {
    assert.ok((m.shortName === 'm1' ? a : b).adapter(m.shortName).oidsSeen.some((r) => r.oid === OID_TCP_OFFLOAD_PARAMETERS), `${m.shortName} got the parameters`);
    assert.equal(m.currentOffload.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, `${m.shortName} turned LSOv2 off`);
  }
  assert.equal(team.current!.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED);
  const indications = p.statuses.filter((s) => s.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG);
  assert.ok(indications.length > before, 'the new intersection was indicated');
  assert.equal((indications.at(-1)!.statusBuffer as NdisOffload).lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED);
  await rt.shutdown();
  assertClean(rt);
});
