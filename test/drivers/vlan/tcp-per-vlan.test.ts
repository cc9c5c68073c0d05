/**
 * tsndis.vlan end to end without root: hosts on one virtual wire, each with VLAN virtual miniports
 * running tsndis.tcpip. TCP works inside VLAN 10 and inside VLAN 20 (byte-exact both ways), and the VLANs
 * are isolated: a host on VLAN 20 that owns an address of VLAN 10's subnet reaches nothing of VLAN 10
 * (its ARP requests reach only VLAN 20 miniports), and no frame of it is indicated on a VLAN 10 miniport.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStacks } from '../../../src/config/index.js';
import type { TcpSocket } from '../../../src/drivers/protocol/tcpip/index.js';
import type { VlanUpperAdapter } from '../../../src/drivers/intermediate/vlan/index.js';
import type { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import type { NetBufferList } from '../../../src/ndis/index.js';
import { uniqueWire } from '../../support/hosts.js';
import { patternBuffer, sha } from '../../support/pattern.js';

const TIMEOUT = { timeout: 90_000 };

function host(vlans: readonly (readonly [number, string])[], raw = false): string {
  const names = vlans.map(([id]) => `vlan${id}`);
  return `
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: WIRE } }
${vlans.map(([id, ip]) => `      vlan${id}: { keywords: { VlanID: ${id} }, protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [${ip}] } }${raw ? ', tsndis.raw' : ''}] }`).join('\n')}
    intermediates:
      - { driver: tsndis.vlan, lower: eth0, upper: [${names.join(', ')}] }`;
}

function config(wire: string): string {
  return `
wires: { ${wire}: {} }
hosts:
  a:${host([[10, '198.18.10.1/24'], [20, '198.18.20.1/24']])}
  b:${host([[10, '198.18.10.2/24'], [20, '198.18.20.2/24']], true)}
  c:${host([[20, '198.18.10.3/24']])}
`.replaceAll('WIRE', wire);
}

function miniport(rt: NdisRuntime, name: string): VlanUpperAdapter {
  const mb = rt.adapters.get(`${rt.name}/${name}`);
  assert.ok(mb !== undefined, `${name} exists`);
  return mb.instance as VlanUpperAdapter;
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

test('tsndis.vlan: TCP inside VLAN 10 and VLAN 20 between two hosts, byte-exact, and VLAN 20 cannot reach VLAN 10', TIMEOUT, async () => {
  const net = await createStacks(config(uniqueWire()));
  try {
    const b = net.host('b');
    // An echo server on b (every address): each VLAN's client talks to b's address in its own VLAN.
    const server = b.tcpip.createServer((s: TcpSocket) => s.pipe(s)).listen(7000);
    for (const [vlan, peer, seed] of [[10, '198.18.10.2', 1], [20, '198.18.20.2', 2]] as const) {
      const up = patternBuffer(300_000, seed);
      const back = await exchange(net.host('a').tcpip.connect(7000, peer), up);
      assert.equal(sha(back), sha(up), `VLAN ${vlan}: echoed byte-exact`);
    }
    const a10 = miniport(net.host('a').runtime, 'vlan10');
    const a20 = miniport(net.host('a').runtime, 'vlan20');
    assert.ok(a10.counters.txFrames > 100 && a10.counters.rxFrames > 100, 'VLAN 10 carried the first transfer');
    assert.ok(a20.counters.txFrames > 100 && a20.counters.rxFrames > 100, 'VLAN 20 carried the second');
    assert.equal(a10.vlanId, 10);

    // Isolation: c sits on VLAN 20 with an address of VLAN 10's subnet. A raw protocol beside TCP/IP on
    // b's VLAN miniports records the source address of every frame they indicate.
    const cMac = Buffer.from(net.host('c').runtime.adapter('eth0').general!.currentMacAddress).toString('hex');
    const fromC = (name: string): (() => number) => {
      let n = 0;
      b.raw.endpoint(name).receiveHandler = (nbls: NetBufferList) => {
        for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
          const src = new Uint8Array(6);
          nbl.firstNetBuffer!.copyOut(src, 0, 6, 6);
          if (Buffer.from(src).toString('hex') === cMac) n++;
        }
      };
      return () => n;
    };
    const c10 = fromC('vlan10');
    const c20 = fromC('vlan20');
    const r = await net.host('c').tcpip.stack.ping('198.18.10.2', { count: 2, intervalMs: 100, timeoutMs: 1500 });
    assert.equal(r.received, 0, 'no echo reply crosses from VLAN 10 to VLAN 20');
    assert.equal(c10(), 0, "no frame of c's reached b's VLAN 10 miniport");
    assert.ok(c20() > 0, "c's ARP requests did reach VLAN 20 (its own VLAN)");
    // …while from VLAN 10 the same address answers.
    const ok = await net.host('a').tcpip.stack.ping('198.18.10.2', { count: 1, timeoutMs: 2000 });
    assert.equal(ok.received, 1);
    server.close();
    for (const h of ['a', 'b', 'c']) assert.deepEqual(net.host(h).runtime.verifier.violations, [], `host ${h}: no verifier violation`);
  } finally {
    await net.close();
  }
});
