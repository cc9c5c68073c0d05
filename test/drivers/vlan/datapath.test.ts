/**
 * tsndis.vlan's data path through a running stack (no root): a peer on the same virtual wire sends
 * frames tagged with VLANs 10, 20 and 30 (and priorities), untagged, double-tagged and truncated ones.
 * Each frame of VLAN 10/20 reaches only the raw protocol bound to that VLAN's virtual miniport, untagged
 * byte-exact, with VLAN and priority in Ieee8021QNetBufferListInfo; everything else is a counted drop.
 * Sends from a virtual miniport leave tagged with its VLAN and the NBL's priority, byte-exact; an NBL
 * whose info names another VLAN is refused. OID_GEN_VLAN_ID answers and moves a miniport to another VLAN.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createStacks } from '../../../src/config/index.js';
import { tagFrame, type VlanLowerBinding, type VlanUpperAdapter } from '../../../src/drivers/intermediate/vlan/index.js';
import type { RawBinding } from '../../../src/drivers/protocol/raw/index.js';
import type { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { ieee8021QUserPriority, ieee8021QValue, ieee8021QVlanId, NdisOidRequest, OID_GEN_VLAN_ID, ulongCodec, type NetBufferList } from '../../../src/ndis/index.js';
import { uniqueWire } from '../../support/hosts.js';

const TIMEOUT = { timeout: 60_000 };
const MUX_MAC = [0x02, 0, 0, 0, 0x10, 0x01];
const PEER_MAC = [0x02, 0, 0, 0, 0x10, 0x02];

function config(wire: string): string {
  return `
wires: { ${wire}: {} }
hosts:
  mux:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire}, NetworkAddress: 02-00-00-00-10-01 } }
      v10: { keywords: { VlanID: 10 }, protocols: [tsndis.raw] }
      v20: { keywords: { VlanID: 20 }, protocols: [tsndis.raw] }
    intermediates:
      - { driver: tsndis.vlan, lower: eth0, upper: [v10, v20] }
  peer:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire}, NetworkAddress: 02-00-00-00-10-02 }, protocols: [tsndis.raw] }
`;
}

/** An untagged Ethernet frame to the MUX host: IPv4 EtherType, a numbered payload. */
function frame(n: number, length = 100, dst = MUX_MAC, src = PEER_MAC): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  for (let i = 14; i < length; i++) f[i] = (n * 31 + i) & 0xff;
  return f;
}

interface Seen {
  bytes: Uint8Array;
  info: number;
}

function record(ep: RawBinding): Seen[] {
  const seen: Seen[] = [];
  ep.receiveHandler = (nbls: NetBufferList) => {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer!;
      const bytes = new Uint8Array(nb.dataLength);
      nb.copyOut(bytes, 0, 0, nb.dataLength);
      seen.push({ bytes, info: nbl.info.ieee8021Q });
    }
  };
  return seen;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  assert.ok(cond(), `timed out waiting for ${what}`);
}

function upper(rt: NdisRuntime, name: string): VlanUpperAdapter {
  return rt.adapters.get(`${rt.name}/${name}`)!.instance as VlanUpperAdapter;
}

test('tsndis.vlan: receive demultiplexes by VLAN, untags byte-exact into the NBL info, and counts every drop', TIMEOUT, async () => {
  const net = await createStacks(config(uniqueWire()));
  try {
    const mux = net.host('mux');
    const peer = net.host('peer').raw.endpoint('eth0');
    const got10 = record(mux.raw.endpoint('v10'));
    const got20 = record(mux.raw.endpoint('v20'));
    const sent: [number, number, Uint8Array][] = [];
    for (let i = 0; i < 24; i++) {
      const vlan = [10, 20, 30][i % 3]!;
      const prio = i % 8;
      const f = frame(i);
      sent.push([vlan, prio, f]);
      assert.ok(peer.send(tagFrame(f, vlan, prio)));
    }
    const untagged = frame(100);
    assert.ok(peer.send(untagged));
    const double = tagFrame(tagFrame(frame(101), 10, 0), 10, 0); // 802.1Q inside 802.1Q
    assert.ok(peer.send(double));
    const qinq = tagFrame(frame(102), 10, 0);
    qinq[12] = 0x88;
    qinq[13] = 0xa8; // an 802.1ad outer tag
    assert.ok(peer.send(qinq));
    assert.ok(peer.send(tagFrame(frame(103), 10, 0).subarray(0, 16))); // ends inside the tag
    assert.ok(peer.send(tagFrame(frame(104), 10, 0).subarray(0, 18))); // a tag and nothing behind it
    assert.ok(peer.send(tagFrame(frame(105), 0, 6))); // priority tag (VID 0): no VLAN
    const lower = mux.runtime.adapters.get('mux/eth0')!.bindings.find((b) => b.intermediate === 'tsndis.vlan')!.instance as VlanLowerBinding;
    await until('every frame at the MUX', () => lower.counters.rxFrames >= 30);
    await until('VLAN 10 and 20 frames upstairs', () => got10.length === 8 && got20.length === 8);
    for (const [vlan, got] of [[10, got10], [20, got20]] as const) {
      const expect = sent.filter(([v]) => v === vlan);
      assert.equal(got.length, expect.length, `VLAN ${vlan}: only its own frames`);
      got.forEach((g, k) => {
        const [, prio, f] = expect[k]!;
        assert.deepEqual(g.bytes, f, `VLAN ${vlan} frame ${k}: untagged, byte-exact`);
        assert.equal(ieee8021QVlanId(g.info), vlan);
        assert.equal(ieee8021QUserPriority(g.info), prio);
      });
    }
    const c = lower.counters;
    assert.equal(c.rxUnknownVlan, 8 + 1, 'VLAN 30 frames and the priority-tagged one');
    assert.equal(c.rxUntagged, 1);
    assert.equal(c.rxDoubleTagged, 2);
    assert.equal(c.rxTruncated, 2);
    assert.equal(upper(mux.runtime, 'v10').counters.rxFrames, 8);
    assert.deepEqual(mux.runtime.verifier.violations, []);
  } finally {
    await net.close();
  }
});

test('tsndis.vlan: sends leave tagged with the miniport VLAN and the NBL priority, byte-exact; another VLAN in the info is refused', TIMEOUT, async () => {
  const net = await createStacks(config(uniqueWire()));
  try {
    const mux = net.host('mux');
    const out = record(net.host('peer').raw.endpoint('eth0'));
    const v10 = mux.raw.endpoint('v10');
    const v20 = mux.raw.endpoint('v20');
    const f1 = frame(1, 200, PEER_MAC, MUX_MAC);
    const f2 = frame(2, 60, PEER_MAC, MUX_MAC);
    assert.ok(v10.send(f1, { ieee8021Q: ieee8021QValue(5, 0) }));
    assert.ok(v20.send(f2));
    assert.ok(v10.send(frame(3, 80, PEER_MAC, MUX_MAC), { ieee8021Q: ieee8021QValue(1, 10) }));
    await until('three tagged frames at the peer', () => out.length === 3);
    assert.deepEqual(out[0]!.bytes, tagFrame(f1, 10, 5));
    assert.deepEqual(out[1]!.bytes, tagFrame(f2, 20, 0));
    assert.deepEqual(out[2]!.bytes.subarray(12, 16), Uint8Array.of(0x81, 0x00, 0x20, 0x0a));
    // An NBL naming VLAN 20 sent on VLAN 10's miniport: refused with INVALID_PARAMETER, counted, not sent.
    assert.ok(v10.send(frame(4, 80, PEER_MAC, MUX_MAC), { ieee8021Q: ieee8021QValue(0, 20) }));
    await until('the refusal', () => v10.counters.sendFailed === 1);
    assert.equal(upper(mux.runtime, 'v10').counters.txVlanMismatch, 1);
    assert.equal(v10.counters.failedByStatus.get('NDIS_STATUS_INVALID_PARAMETER'), 1);
    await sleep(50);
    assert.equal(out.length, 3);

    // OID_GEN_VLAN_ID: the VLAN, and a set moving v20 to VLAN 30 (VLAN 10 is taken: refused).
    const codec = ulongCodec(OID_GEN_VLAN_ID);
    const q = NdisOidRequest.query(OID_GEN_VLAN_ID, 4);
    assert.equal(await v20.oid(q), 0);
    assert.equal(q.queryResult(codec), 20);
    assert.notEqual(await v20.oid(NdisOidRequest.set(codec, 10)), 0, 'VLAN 10 already has a miniport');
    assert.notEqual(await v20.oid(NdisOidRequest.set(codec, 4095)), 0, '4095 is not a VLAN ID');
    assert.equal(await v20.oid(NdisOidRequest.set(codec, 30)), 0);
    assert.ok(v20.send(f2));
    await until('the frame on VLAN 30', () => out.length === 4);
    assert.deepEqual(out[3]!.bytes, tagFrame(f2, 30, 0));
    assert.deepEqual(mux.runtime.verifier.violations, []);
  } finally {
    await net.close();
  }
});
