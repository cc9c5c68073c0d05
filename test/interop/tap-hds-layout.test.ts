/**
 * Header-data split layout on a real TAP: frames written by an AF_PACKET socket on the kernel side of
 * the TAP (in a network namespace) arrive at a protocol that takes split frames with the header and
 * data MDL lengths and NblFlags the rules give (test/support/hds-frames.ts), byte-exact, with at least
 * BackfillSize bytes before each data buffer. Needs root, /dev/net/tun, ip and python3; skips otherwise.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { HD_SPLIT_BACKFILL_SIZE, type NetBufferList } from '../../src/ndis/index.js';
import { mac } from '../support/frames.js';
import { hdsCases } from '../support/hds-frames.js';
import { assertClean } from '../support/hosts.js';
import { Netns, interopSkipReason, uniqueName } from '../support/netns.js';

const OUR_MAC = '02:00:00:00:6f:02';
const KERNEL_MAC = '02:00:00:00:6f:01';

interface Seen {
  lengths: number[];
  bytes: string;
  flags: number;
  backfill: number;
}

for (const readerMode of ['auto', 'worker'] as const) {
  test(`tap *HeaderDataSplit, ReaderMode ${readerMode}: frames from the kernel side are split per rule (layout, flags, backfill)`, { timeout: 60_000 }, async (t: TestContext) => {
    const reason = interopSkipReason('python3');
    if (reason !== null) {
      t.skip(reason);
      return;
    }
    const tapName = uniqueName('htap');
    const rt = new NdisRuntime({ name: 'hdsLayout', scheduler: new RealScheduler() });
    rt.registerDriver(tapMiniport);
    const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 1024 });
    // This protocol takes split frames (else NDIS would hand it contiguous ones).
    rt.registerDriver({ ...raw.characteristics, headerDataSplit: true });
    await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tapName, NetworkAddress: OUR_MAC, ReaderMode: readerMode, '*HeaderDataSplit': 1 } });
    await rt.bindProtocol('eth0', 'tsndis.raw');
    await rt.startAdapter('eth0');
    const seen: Seen[] = [];
    const ep = raw.endpoint('eth0');
    ep.receiveHandler = (nbls) => {
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
        const nb = n.firstNetBuffer!;
        const lengths: number[] = [];
        const out: number[] = [];
        let left = nb.dataLength;
        let skip = nb.currentMdlOffset;
        for (let m = nb.currentMdl; m !== null && left > 0; m = m.next) {
          const k = Math.min(m.byteCount - skip, left);
          lengths.push(k);
          out.push(...m.bytes.subarray(m.byteOffset + skip, m.byteOffset + skip + k));
          left -= k;
          skip = 0;
        }
        const data = nb.currentMdl?.next ?? null;
        // The backfill in front of the data inside its receive slot (slot size = the pool's DataSize).
        const slot = (n.home as unknown as { dataSize: number }).dataSize;
        seen.push({ lengths, bytes: Buffer.from(out).toString('hex'), flags: n.nblFlags, backfill: data === null ? -1 : data.byteOffset - nb.slot * slot });
      }
    };
    const ns = Netns.create();
    try {
      ns.adopt(tapName, { mac: KERNEL_MAC, address: `198.18.250.1/24` });
      const cases = hdsCases(mac(OUR_MAC), mac(KERNEL_MAC));
      const hex = cases.map((c) => Buffer.from(c.frame).toString('hex'));
      const program = [
        'import socket, sys',
        'sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
        `sock.bind((${JSON.stringify(tapName)}, 0))`,
        'for h in sys.argv[1:]:',
        '    sock.send(bytes.fromhex(h))',
        "print('sent', flush=True)",
      ].join('\n');
      const out = await ns.run('python3', ['-c', program, ...hex], 20_000);
      assert.match(out, /sent/);
      for (let i = 0; i < 200 && hex.some((h) => !seen.some((s) => s.bytes === h)); i++) await new Promise((r) => setTimeout(r, 10));
      for (const c of cases) {
        const h = Buffer.from(c.frame).toString('hex');
        const s = seen.find((x) => x.bytes === h);
        assert.ok(s !== undefined, `${c.name}: arrived byte-exact`);
        assert.deepEqual(s.lengths, c.lengths, c.name);
        assert.equal(s.flags, c.flags, c.name);
        if (c.flags !== 0) assert.ok(s.backfill >= HD_SPLIT_BACKFILL_SIZE + c.lengths[0]!, `${c.name}: backfill ${s.backfill}`);
      }
    } finally {
      ns.destroy();
      await rt.shutdown();
    }
    assertClean(rt);
  });
}
