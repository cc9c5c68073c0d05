/**
 * tsndis.overlay against Linux's own VXLAN device: a tenant tsndis.tcpip behind the gateway on a TAP,
 * a `vxlan` device (VNI 42, port 4789) on the TAP's far side in a namespace. 200 MB of TCP each way,
 * SHA-256 equal on both ends, in three modes: the tenant sending LSO with the TAP's encapsulated-packet
 * offload on (the gateway hands each LSO NBL down whole with the supplemental info, the TAP miniport
 * segments and checksums across the tunnel), the same with that offload off on the TAP (the gateway
 * segments and checksums in software), and with every offload off (tenant and TAP). tshark, with IP/UDP/TCP
 * checksum validation on, reads the first frames of the underlay captured on the Linux side and finds
 * every inner and outer checksum of tsndis's frames good. Needs root, /dev/net/tun, ip, python3 and
 * tshark; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { withTimeout } from '../../src/util/with-timeout.js';
import type { TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { tcpSink, tcpSource } from '../support/linux-peer.js';
import { interopSkipReason, sh, waitExit } from '../support/netns.js';
import { OverlayTapHost } from '../support/overlay-host.js';

const BYTES = 200 * 1024 * 1024;
const TIMEOUT_S = 90;
const CAPTURE_FRAMES = 4000;
const OFF = { '*IPChecksumOffloadIPv4': 0, '*TCPChecksumOffloadIPv4': 0, '*TCPChecksumOffloadIPv6': 0, '*UDPChecksumOffloadIPv4': 0, '*UDPChecksumOffloadIPv6': 0, '*LsoV2IPv4': 0, '*LsoV2IPv6': 0 };
/** The TAP without encapsulated-packet offload: the gateway segments and checksums in software. */
const TAP_NO_ENCAP = { '*EncapsulatedPacketTaskOffload': 0 };
const TAP_OFF = { ...OFF, ...TAP_NO_ENCAP };

/**
 * 'offload': the tenant sends LSO, the TAP's encapsulated offload segments it (the gateway hands each LSO
 * NBL down whole with the supplemental info); 'gateway': the tenant sends LSO, the TAP has no encapsulated
 * offload, the gateway segments; 'off': every offload off on tenant and TAP.
 */
type Mode = 'offload' | 'gateway' | 'off';
const MODES: Record<Mode, { title: string; tapKeywords?: Record<string, number>; tenantKeywords?: Record<string, number> }> = {
  offload: { title: 'tenant LSO on, encapsulated offload on the TAP' },
  gateway: { title: 'tenant LSO on, gateway segments in software', tapKeywords: TAP_NO_ENCAP },
  off: { title: 'every offload off', tapKeywords: TAP_OFF, tenantKeywords: OFF },
};

function skip(t: TestContext): boolean {
  const reason = interopSkipReason('python3', 'tshark');
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  return false;
}

async function linuxToTsndis(h: OverlayTapHost, port: number): Promise<void> {
  let resolveGot!: (r: { bytes: number; sha256: string }) => void;
  const got = new Promise<{ bytes: number; sha256: string }>((r) => (resolveGot = r));
  const sockets = new Set<TcpSocket>();
  const server = h.ip.createServer((s) => {
    sockets.add(s);
    const hash = createHash('sha256');
    let n = 0;
    s.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      n += chunk.length;
    });
    s.on('end', () => resolveGot({ bytes: n, sha256: hash.digest('hex') }));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, h.ours, () => resolve());
  });
  try {
    const [sent, received] = await withTimeout(Promise.all([tcpSource(h.ns, h.ours, port, BYTES, 11, TIMEOUT_S), got]), (TIMEOUT_S + 10) * 1000, 'Linux → tsndis');
    assert.equal(received.bytes, BYTES, 'tsndis received every byte');
    assert.equal(received.sha256, sent.sha256, 'SHA-256 equal on both ends');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function tsndisToLinux(h: OverlayTapHost, port: number): Promise<void> {
  const sink = await tcpSink(h.ns, h.theirs, port, TIMEOUT_S);
  const one = randomBytes(1 << 20);
  const pool = Buffer.concat([one, one]);
  const hash = createHash('sha256');
  const socket = h.ip.connect({ host: h.theirs, port });
  try {
    const sent = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        let n = 0;
        let off = 0;
        const pump = (): void => {
          while (n < BYTES) {
            const k = Math.min(65536, BYTES - n);
            const chunk = pool.subarray(off, off + k);
            hash.update(chunk);
            n += k;
            off = (off + 65537 + 4099) % (1 << 20);
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end(() => resolve());
        };
        pump();
      });
    });
    const [, received] = await withTimeout(Promise.all([sent, sink.done]), (TIMEOUT_S + 10) * 1000, 'tsndis → Linux');
    assert.equal(received.bytes, BYTES, 'Linux received every byte');
    assert.equal(received.sha256, hash.digest('hex'), 'SHA-256 equal on both ends');
  } finally {
    socket.destroy();
  }
}

/** Starts tshark on the namespace's TAP for the first frames of the underlay; returns a stop function and the file. */
async function capture(h: OverlayTapHost, dir: string): Promise<{ file: string; stop: () => Promise<void> }> {
  const file = join(dir, 'underlay.pcapng');
  const child = h.ns.spawn('timeout', ['60', 'tshark', '-q', '-i', h.tap, '-c', String(CAPTURE_FRAMES), '-w', file]);
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  return {
    file,
    stop: async () => {
      if ((await waitExit(child, 20_000)) === null) child.kill('SIGKILL');
    },
  };
}

/** tshark over the capture with checksum validation: tsndis's frames (from its VTEP) with good checksums only. */
function checkCapture(file: string, ourVtep: string): { frames: number; segments: number; bad: string[] } {
  const opts = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
  const rows = (filter: string, fields = ['frame.number']): string[] =>
    sh('tshark', ['-r', file, ...opts, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], 60_000)
      .split('\n')
      .filter((l) => l.trim() !== '');
  const ours = `ip.src == ${ourVtep} && vxlan`;
  return {
    frames: rows(ours).length,
    segments: rows(`${ours} && tcp.len > 1000`).length,
    // A malformed or bad-checksum frame is a defect; TCP sequence analysis (a segment the capture missed
    // on a loaded machine, a retransmission) is not, so tcp.analysis warnings are left out. Each bad frame
    // is described (number, lengths, the three checksum verdicts, tshark's expert messages) for the report.
    bad: rows(`${ours} && (ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || tcp.checksum.status == "Bad" || (_ws.expert.severity >= "Warning" && !tcp.analysis.flags))`, [
      'frame.number',
      'frame.len',
      'frame.cap_len',
      'ip.checksum.status',
      'udp.checksum.status',
      'tcp.checksum.status',
      '_ws.expert.message',
    ]),
  };
}

for (const mode of ['offload', 'gateway', 'off'] as const) {
  const m = MODES[mode];
  test(`overlay interop (${m.title}): Linux VXLAN ⇄ tsndis tenant behind the gateway on a TAP, 200 MB each way byte-exact, tshark finds no bad checksum`, { timeout: 240_000 }, async (t) => {
    if (skip(t)) return;
    const subnet = 40 + ((process.pid + ['offload', 'gateway', 'off'].indexOf(mode)) % 100);
    const h = await OverlayTapHost.create({ subnet, ...(m.tapKeywords === undefined ? {} : { tapKeywords: m.tapKeywords }), ...(m.tenantKeywords === undefined ? {} : { tenantKeywords: m.tenantKeywords }) });
    const dir = mkdtempSync(join(tmpdir(), 'tsndis-overlay-'));
    try {
      assert.ok(await h.ready(), 'the gateway resolved the Linux VTEP and the tenant interface is up');
      const cap = await capture(h, dir);
      await tsndisToLinux(h, 5002);
      await cap.stop();
      await linuxToTsndis(h, 5001);
      const c = h.tenant.counters;
      t.diagnostic(`send path: ${h.tenant.lsoPath} (underlay encapsulated offload ${h.tenant.transmit.lowerOffload.any ? 'on' : 'off'}); software LSO ${c.txSoftwareLso} → ${c.txSoftwareSegments} segments, offload LSO ${c.txOffloadLso}, software checksums ${c.txSoftwareChecksum}`);
      if (mode === 'offload') {
        assert.ok(h.tenant.transmit.lowerOffload.any, 'the TAP reports encapsulated offload');
        assert.ok(c.txOffloadLso > 100 && c.txSoftwareLso === 0, 'the tenant LSO went down whole to the TAP');
      } else {
        assert.ok(!h.tenant.transmit.lowerOffload.any, 'the TAP reports no encapsulated offload');
        if (mode === 'gateway') assert.ok(c.txSoftwareLso > 100 && c.txOffloadLso === 0, 'the gateway segmented the tenant LSO');
        else assert.equal(c.txSoftwareLso + c.txOffloadLso, 0, 'no LSO with the offloads off');
      }
      assert.equal(c.txMalformed + c.txOversize, 0);
      const r = checkCapture(cap.file, `198.18.${subnet}.2`);
      t.diagnostic(`capture: ${r.frames} VXLAN frames from tsndis, ${r.segments} full TCP segments, ${r.bad.length} with a bad checksum or an expert warning`);
      assert.ok(r.frames > 1000 && r.segments > 1000, 'the capture holds tsndis data segments');
      assert.deepEqual(r.bad, [], 'no bad inner or outer checksum (frame, len, caplen, ip/udp/tcp checksum status, expert messages)');
      const drops = h.net.host('h').runtime.drops.rows().filter((d) => d.module.includes('overlay'));
      assert.deepEqual(drops, [], 'no overlay drop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await h.destroy();
    }
  });
}
