/**
 * The gateway's two send paths, chosen from the lower adapter's current offload configuration as NDIS
 * reports it: over a test miniport advertising VXLAN encapsulated-packet offload (test/support/encap-nic),
 * a tenant LSO NBL goes down as ONE frame with LsoV2 info (MSS reduced to what fits the underlay behind the
 * overhead), outer checksum info and the supplemental info of §6.3, the inner frame untouched behind the
 * outer headers. After the miniport indicates NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG without the offload,
 * the same NBL goes down segmented in software (the MSS reduced the same way): one NetBuffer per segment, each a complete underlay frame
 * with good outer and inner checksums, payload in order, outer IP IDs consecutive. An LSO NBL whose
 * TcpHeaderOffset lies is failed with NDIS_STATUS_INVALID_PACKET and counted, nothing reaches the NIC.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createStacks } from '../../../src/config/index.js';
import { softwareOffloadCapabilities } from '../../../src/drivers/common/task-offload.js';
import { encapsulatedPacketOffsets, type OverlayTenantAdapter } from '../../../src/drivers/intermediate/overlay/index.js';
import {
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_TCP_CHECKSUM,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  checksumTxValue,
  lsoMss,
  lsoType,
  lsoV2IpVersion,
  lsoV2Transmit,
  type NetBuffer,
  type NetBufferList,
} from '../../../src/ndis/index.js';
import { ROOT } from '../../support/cli.js';
import { checksum, ip4, mac } from '../../support/frames.js';
import { encapNic } from '../../support/encap-nic.js';
import { checksumsValid, lsoV2Form, TCP_ACK, TCP_PSH, tcp4Frame } from '../../support/offload-frames.js';

const NIC_MODULE = join(ROOT, 'dist', 'test', 'support', 'encap-nic.js');
const PAYLOAD = 5000;

function config(): string {
  return `
drivers: [${NIC_MODULE}]
hosts:
  h:
    adapters:
      eth0: { driver: test.encap-nic }
      tenant:
        keywords: { Encapsulation: vxlan, VirtualSubnetId: 42, LocalAddress: 198.18.1.2, RemoteAddress: 198.18.1.1, RemoteMacAddress: 02-00-00-00-30-02, NetworkAddress: 02-00-00-00-31-02 }
        protocols: [{ driver: tsndis.raw, keywords: { SendFrameSize: 70000 } }]
    intermediates:
      - { driver: tsndis.overlay, lower: eth0, upper: [tenant] }
`;
}

function innerLso(): Uint8Array {
  const payload = Uint8Array.from({ length: PAYLOAD }, (_, i) => (i * 13 + 5) & 0xff);
  const full = tcp4Frame({ dstMac: mac('02:00:00:00:31:01'), srcMac: mac('02:00:00:00:31:02'), src: ip4('198.19.1.2'), dst: ip4('198.19.1.1'), sport: 40000, dport: 80, seq: 1000, ack: 5, flags: TCP_ACK | TCP_PSH, id: 0x200, payload });
  return lsoV2Form(full);
}

function nbBytes(nb: NetBuffer): Uint8Array {
  const b = new Uint8Array(nb.dataLength);
  nb.copyOut(b, 0, 0, nb.dataLength);
  return b;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await sleep(10);
}

test('overlay send paths: encapsulated LSO offload when the lower adapter reports it, software segmentation after it stops; a lying LSO offset is refused', { timeout: 60_000 }, async () => {
  const net = await createStacks(config());
  try {
    const h = net.host('h');
    const nic = encapNic.adapter('eth0');
    const tenant = h.runtime.adapters.get('h/tenant')!.instance as OverlayTenantAdapter;
    const ep = h.raw.endpoint('tenant');
    // The tenant adapter offers what the gateway does across the tunnel — checksums and LSOv2 — and nothing
    // it cannot carry out (no LSOv1, no USO, no encapsulated offload of its own), whatever the keywords' defaults.
    const bound = ep.boundOffload!;
    for (const o of [bound.hardware, bound.current]) {
      assert.ok(o.lsoV2.ipv4.encapsulation !== 0 && o.lsoV2.ipv6.encapsulation !== 0, 'LSOv2 offered');
      assert.equal(o.lsoV1.ipv4.encapsulation, 0, 'no LSOv1');
      assert.equal(o.uso, undefined, 'no USO');
      assert.equal(o.encapsulationTypes ?? 0, 0, 'no encapsulated offload');
    }
    const completed: NetBufferList[] = [];
    ep.sendCompleteHandler = (nbls) => {
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) completed.push(n);
    };
    assert.equal(tenant.lsoPath, 'offload', 'the lower adapter offers VXLAN LSO: the offload path is in effect');
    nic.sendMode = 'hold';
    const inner = innerLso();
    const lso = lsoV2Transmit({ mss: 1440, tcpHeaderOffset: 34, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });

    // Offload path: one NBL, one NB, outer headers + the inner frame as the tenant gave it.
    assert.ok(ep.send(inner, { tcpLargeSend: lso }));
    await until(() => nic.held.length === 1);
    assert.equal(nic.held.length, 1);
    const down = nic.held[0]!;
    assert.equal(down.netBufferCount, 1);
    const frame = nbBytes(down.firstNetBuffer!);
    assert.equal(frame.length, 50 + inner.length);
    assert.deepEqual(frame.subarray(50), inner, 'the inner LSO frame, untouched');
    assert.equal(checksum(frame.subarray(14, 34)), 0, 'outer IPv4 header checksum');
    assert.equal((frame[36]! << 8) | frame[37]!, 4789);
    assert.equal(lsoType(down.info.tcpLargeSend), NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE);
    assert.equal(lsoMss(down.info.tcpLargeSend), 1500 + 14 - 50 - 54, 'MSS reduced to what fits the underlay MTU behind 50 bytes of VXLAN');
    assert.equal(lsoV2IpVersion(down.info.tcpLargeSend), NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4, 'IPVersion names the outer header');
    assert.equal(down.info.tcpIpChecksum, checksumTxValue(CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IP_HEADER_CHECKSUM | CHECKSUM_TX_TCP_CHECKSUM, 0));
    assert.equal(down.info.tcpSendOffloadsSupplemental, encapsulatedPacketOffsets(50, 14, 20, false, false));
    assert.equal(down.info.tcpSendOffloadsSupplemental, 0x001438cb, 'bits: encapsulated, offsets valid, inner frame at 50, IP at +14, TCP at +20');
    nic.completeSends();
    await until(() => completed.length === 1);
    assert.equal(completed[0]!.status, NDIS_STATUS_SUCCESS);
    assert.equal(tenant.counters.txOffloadLso, 1);

    // The lower adapter's current configuration loses the offload: software path.
    nic.ndis.indicateStatus({ statusCode: NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, statusBuffer: softwareOffloadCapabilities(false) });
    assert.equal(tenant.lsoPath, 'software');
    assert.ok(ep.send(inner, { tcpLargeSend: lso }));
    await until(() => nic.held.length === 1);
    const soft = nic.held[0]!;
    assert.equal(soft.info.tcpLargeSend, 0, 'no offload info on the software path');
    assert.equal(soft.info.tcpIpChecksum, 0);
    const segs: Uint8Array[] = [];
    for (let nb: NetBuffer | null = soft.firstNetBuffer; nb !== null; nb = nb.next) segs.push(nbBytes(nb));
    assert.equal(segs.length, Math.ceil(PAYLOAD / 1410), 'one NetBuffer per segment, the MSS reduced to 1410 as on the offload path');
    const payload: number[] = [];
    let id0 = -1;
    segs.forEach((s, i) => {
      assert.ok(s.length <= 1514, `segment ${i} fits the underlay`);
      assert.equal(checksum(s.subarray(14, 34)), 0, `segment ${i}: outer IPv4 checksum`);
      assert.equal((s[16]! << 8) | s[17]!, s.length - 14, 'outer total length');
      const id = (s[18]! << 8) | s[19]!;
      if (i === 0) id0 = id;
      else assert.equal(id, (id0 + i) & 0xffff, 'outer IP IDs consecutive');
      const innerSeg = s.subarray(50);
      assert.ok(checksumsValid(innerSeg), `segment ${i}: inner IPv4 and TCP checksums`);
      payload.push(...innerSeg.subarray(54));
    });
    assert.deepEqual(Uint8Array.from(payload), inner.subarray(54), 'payload in order');
    nic.completeSends();
    await until(() => completed.length === 2);

    // A TcpHeaderOffset that is not where the TCP header is: refused, counted, nothing sent.
    assert.ok(ep.send(inner, { tcpLargeSend: lsoV2Transmit({ mss: 1440, tcpHeaderOffset: 38, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 }) }));
    await until(() => completed.length === 3);
    assert.equal(completed[2]!.status, NDIS_STATUS_INVALID_PACKET);
    assert.equal(tenant.counters.txMalformed, 1);
    assert.equal(nic.held.length, 0);
    for (const n of completed) ep.freeChain(n);
  } finally {
    await net.close();
  }
});
