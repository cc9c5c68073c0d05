/**
 * Benches for the offload conformance battery (src/verify/offload-conformance.ts) over virtual wires:
 * a dut stack whose top carries tsndis.raw (the test protocol), and a peer on the same segment whose
 * raw binding sees what reaches the wire. The peer offers transmit checksums and LSOv2 (so the battery
 * can send it checksum-offloaded frames and large sends to coalesce) but no receive offloads and no RSC
 * (so it shows segments as the wire carries them).
 */
import assert from 'node:assert/strict';
import { createStacks, type RunningStacks } from '../../src/config/index.js';
import { formatOffloadConformance, runOffloadConformance, type OffloadConformanceReport } from '../../src/verify/offload-conformance.js';
import { assertClean, uniqueWire } from '../support/hosts.js';

export const ALL_OFFLOADS = {
  '*IPChecksumOffloadIPv4': 3,
  '*TCPChecksumOffloadIPv4': 3,
  '*TCPChecksumOffloadIPv6': 3,
  '*UDPChecksumOffloadIPv4': 3,
  '*UDPChecksumOffloadIPv6': 3,
  '*LsoV2IPv4': 1,
  '*LsoV2IPv6': 1,
  '*RscIPv4': 1,
  '*RscIPv6': 1,
  '*LsoV1IPv4': 1,
  '*UsoIPv4': 1,
  '*UsoIPv6': 1,
};
export const PEER_OFFLOADS = {
  '*IPChecksumOffloadIPv4': 1,
  '*TCPChecksumOffloadIPv4': 1,
  '*TCPChecksumOffloadIPv6': 1,
  '*UDPChecksumOffloadIPv4': 1,
  '*UDPChecksumOffloadIPv6': 1,
  '*LsoV2IPv4': 1,
  '*LsoV2IPv6': 1,
};
export const RAW = '{ driver: tsndis.raw, keywords: { SendFrameSize: 65600, SendPoolSize: 256, ReceiveQueueDepth: 1024 } }';

export function kw(k: Record<string, unknown>): string {
  return JSON.stringify(k);
}

/** Runs the battery on `dut` (the adapter the dut's raw binding is on) against the peer's `peer`, then closes the stacks. */
export async function runOn(yaml: string, name: string, dut: string, peer: string | null, ready?: () => void): Promise<OffloadConformanceReport> {
  const net: RunningStacks = await createStacks(yaml);
  const runtimes = [...net.hosts.values()].map((h) => h.runtime);
  try {
    const [dh, da] = dut.split('/') as [string, string];
    const d = net.host(dh).raw.endpoint(`${dh}/${da}`);
    let p = null;
    if (peer !== null) {
      const [ph, pa] = peer.split('/') as [string, string];
      p = net.host(ph).raw.endpoint(`${ph}/${pa}`);
    }
    // Bound and running (an intermediate's virtual miniport comes up asynchronously).
    const until = Date.now() + 5000;
    while ((!d.running || (p !== null && !p.running)) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    assert.ok(d.running && (p === null || p.running), 'the bindings are running');
    ready?.();
    return await runOffloadConformance({ name, dut: d, peer: p });
  } finally {
    await net.close();
    // Nothing the battery sent or was indicated is left behind (derived NBLs, retreat MDLs, clones).
    // The battery asks for offloads that are off on purpose: the verifier's NblOffloadNotEnabled says so.
    for (const rt of runtimes) assertClean(rt, ['NblOffloadNotEnabled']);
  }
}

/** Asserts the battery passed, printing its report otherwise. */
export function assertConforms(r: OffloadConformanceReport, offered: readonly string[]): void {
  assert.equal(r.failures.length, 0, formatOffloadConformance(r, 12));
  for (const f of offered) assert.equal(r.families.find((x) => x.family === f)?.status, 'pass', `${f} ran and passed:\n${formatOffloadConformance(r)}`);
}

export { uniqueWire };
