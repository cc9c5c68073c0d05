/**
 * tsndis.overlay end to end without root: two hosts on one virtual wire, each with a tenant tsndis.tcpip
 * behind the gateway. TCP moves byte-exact both ways inside NVGRE and inside VXLAN (the tenant sends LSO;
 * the virtual wire reports no encapsulated offload, so the gateway segments and checksums in software),
 * the underlay neighbours were resolved by ARP (what the tenants sent before that waited, none failed), and the tenant MTU is the underlay's minus the overhead.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStacks } from '../../../src/config/index.js';
import type { TcpSocket } from '../../../src/drivers/protocol/tcpip/index.js';
import type { OverlayTenantAdapter } from '../../../src/drivers/intermediate/overlay/index.js';
import type { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { uniqueWire } from '../../support/hosts.js';
import { patternBuffer, sha } from '../../support/pattern.js';

const TIMEOUT = { timeout: 120_000 };

export function overlayConfig(wire: string, encap: 'nvgre' | 'vxlan', extra = ''): string {
  const host = (me: number, peer: number): string => `
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire} } }
      tenant:
        keywords: { Encapsulation: ${encap}, VirtualSubnetId: 5001, FlowId: 7, LocalAddress: 198.18.1.${me}, RemoteAddress: 198.18.1.${peer}${extra} }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.19.1.${me}/24] } }]
    intermediates:
      - { driver: tsndis.overlay, lower: eth0, upper: [tenant] }`;
  return `
wires: { ${wire}: {} }
hosts:
  a:${host(1, 2)}
  b:${host(2, 1)}
`;
}

export function tenant(rt: NdisRuntime): OverlayTenantAdapter {
  return rt.adapters.get(`${rt.name}/tenant`)!.instance as OverlayTenantAdapter;
}

async function exchange(client: TcpSocket, up: Buffer): Promise<Buffer> {
  const got: Buffer[] = [];
  client.on('data', (d: Buffer) => got.push(d));
  const done = new Promise<void>((resolve, reject) => {
    client.once('end', resolve);
    client.once('error', reject);
  });
  client.end(up);
  await done;
  return Buffer.concat(got);
}

for (const encap of ['nvgre', 'vxlan'] as const) {
  test(`tsndis.overlay (${encap}): tenant TCP between two hosts over a virtual wire, byte-exact both ways, LSO segmented by the gateway`, TIMEOUT, async () => {
    const net = await createStacks(overlayConfig(uniqueWire(), encap));
    try {
      const b = net.host('b');
      const server = b.tcpip.createServer((s: TcpSocket) => s.pipe(s)).listen(7000);
      const up = patternBuffer(2_000_000, 3);
      const back = await exchange(net.host('a').tcpip.connect(7000, '198.19.1.2'), up);
      assert.equal(back.length, up.length);
      assert.equal(sha(back), sha(up), 'echoed byte-exact');
      server.close();
      const ta = tenant(net.host('a').runtime);
      const tb = tenant(net.host('b').runtime);
      assert.equal(ta.mtu, 1500 - (encap === 'nvgre' ? 42 : 50), 'tenant MTU = underlay MTU − overhead');
      assert.ok(ta.counters.txSoftwareLso > 0 && ta.counters.txSoftwareSegments > ta.counters.txSoftwareLso, 'the tenant sent LSO, segmented by the gateway');
      assert.equal(ta.counters.txOffloadLso, 0, 'the virtual wire does no encapsulated offload');
      assert.ok(tb.counters.rxFrames > 1000 && ta.counters.rxFrames > 1000);
      assert.ok(ta.counters.arpLearned + tb.counters.arpLearned >= 2 && ta.counters.txMalformed === 0);
      // What the tenants sent before the remote VTEP's MAC was known (gratuitous ARP, DAD) waited for it.
      for (const t of [ta, tb]) assert.deepEqual([t.counters.txFailed, t.counters.txNoNeighbor], [0, 0], 'no tenant send failed');
      for (const h of ['a', 'b']) {
        const rows = net.host(h).runtime.drops.rows().filter((r) => r.module.includes('overlay'));
        assert.deepEqual(rows, [], `host ${h}: no overlay drop`);
        assert.deepEqual(net.host(h).runtime.verifier.violations, [], `host ${h}: no verifier violation`);
      }
    } finally {
      await net.close();
    }
  });
}
