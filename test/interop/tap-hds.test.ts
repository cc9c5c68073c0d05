/**
 * Header-data split over a real TAP: tsndis.tap with `*HeaderDataSplit: 1` under tsndis.tcpip, the Linux
 * kernel in a network namespace sending 50 MB of TCP (RSC on, so coalesced super-frames are split too).
 * The bytes arrive byte-exact (SHA-256 on both ends), the TAP split frames, tcpip took them in place
 * (hdSplitFramesIn > 0) and copied no payload before the socket (rxPayloadBytesCopied 0). A second run
 * with OID_GEN_HD_SPLIT_PARAMETERS COMBINE_ALL_HEADERS: no split frame reaches the stack. Needs root,
 * /dev/net/tun, ip and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import type { TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { NDIS_HD_SPLIT_COMBINE_ALL_HEADERS, NDIS_STATUS_SUCCESS, NdisOidRequest, hdSplitParametersCodec } from '../../src/ndis/index.js';
import { assertClean } from '../support/hosts.js';
import { tcpSource } from '../support/linux-peer.js';
import { interopSkipReason } from '../support/netns.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';
import { withTimeout } from '../../src/util/with-timeout.js';

const MB = 1_000_000;

async function receive(host: TapTcpIpHost, bytes: number, timeoutS: number): Promise<void> {
  const port = 5011;
  let resolveGot!: (r: { bytes: number; sha256: string }) => void;
  const got = new Promise<{ bytes: number; sha256: string }>((r) => (resolveGot = r));
  const sockets = new Set<TcpSocket>();
  const server = host.ip.createServer((s) => {
    sockets.add(s);
    const h = createHash('sha256');
    let n = 0;
    s.on('data', (chunk: Buffer) => {
      h.update(chunk);
      n += chunk.length;
    });
    s.on('end', () => resolveGot({ bytes: n, sha256: h.digest('hex') }));
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.ours[4], () => resolve());
  });
  try {
    const [sent, received] = await withTimeout(Promise.all([tcpSource(host.ns, host.ours[4], port, bytes, 11, timeoutS), got]), (timeoutS + 10) * 1000, 'Linux → tsndis');
    assert.equal(sent.bytes, bytes);
    assert.equal(received.bytes, bytes, 'tsndis received every byte');
    assert.equal(received.sha256, sent.sha256, 'SHA-256 equal on both ends');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let serial = 0;

async function hdsHost(): Promise<TapTcpIpHost> {
  const n = 150 + ((process.pid + serial++) % 40);
  return TapTcpIpHost.create({
    name: 'hdsHost',
    tapKind: 'ths',
    ourMac: '02:00:00:00:7d:02',
    kernelMac: '02:00:00:00:7d:01',
    subnet: `198.18.${n}`,
    tapKeywords: { '*HeaderDataSplit': 1 },
  });
}

test('tap *HeaderDataSplit: 50 MB Linux → tsndis byte-exact, split frames taken in place, no payload copied before the socket', { timeout: 120_000 }, async (t: TestContext) => {
  const reason = interopSkipReason('python3');
  if (reason !== null) {
    t.skip(reason);
    return;
  }
  const host = await hdsHost();
  try {
    await receive(host, 50 * MB, 60);
    const link = host.ip.stack.counters.link;
    const tap = host.rt.adapter('eth0').instance as TapAdapter;
    const hds = tap.inspect()['hdSplit'] as Record<string, number>;
    t.diagnostic(JSON.stringify({ hdSplitFramesIn: link.hdSplitFramesIn, rxPayloadBytesCopied: link.rxPayloadBytesCopied, framesCopied: link.framesCopied, tap: hds }));
    assert.ok(hds['splitFrames']! > 0, 'the TAP split frames');
    assert.ok(link.hdSplitFramesIn > 0, 'split frames reached the stack');
    assert.equal(link.rxPayloadBytesCopied, 0, 'no received byte was copied before the socket');
    assert.equal(link.framesCopied, 0);
    // COMBINE_ALL_HEADERS: the miniport stops splitting.
    const before = link.hdSplitFramesIn;
    // Issued by the bound protocol, as a stack would (the TAP completes it synchronously).
    const status = host.ip.binding('eth0').ndis.oidRequest(NdisOidRequest.set(hdSplitParametersCodec, { hdSplitCombineFlags: NDIS_HD_SPLIT_COMBINE_ALL_HEADERS }));
    assert.equal(status, NDIS_STATUS_SUCCESS);
    assert.equal((tap.inspect()['hdSplit'] as Record<string, unknown>)['active'], false);
    await receive(host, 2 * MB, 30);
    assert.equal(link.hdSplitFramesIn, before, 'no split frame after COMBINE_ALL_HEADERS');
    assert.equal(link.rxPayloadBytesCopied, 0);
  } finally {
    await host.destroy();
  }
  assertClean(host.rt);
});
