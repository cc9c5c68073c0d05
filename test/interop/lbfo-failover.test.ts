/**
 * tsndis.lbfo failover against Linux (the acceptance of issue 13): tsndis.tcpip on a team of two TAP
 * members whose kernel sides are ports of one Linux bridge in a namespace; a Linux host sits on the
 * bridge through a veth from a second namespace.
 *
 *   [tsndis.tcpip] team0 ── tsndis.lbfo ─┬─ m1 ═ TAP ═╗
 *                                        └─ m2 ═ TAP ═╬═ br0 ── veth ── [netns host: 198.18.141.1]
 *
 * TCP each way (python3 on the Linux host, SHA-256 on both ends) while the active member's TAP is
 * deleted from outside mid-transfer (surprise removal) and, in a second run, set down: byte-exact, the
 * longest stall (no frame received by the team) and the failover gap (last frame on the old member to
 * the first data frame on the new) printed, no verifier violation, every pool full afterwards. Real
 * time. Needs root, /dev/net/tun, ip and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { NDIS_ENCAPSULATION_NOT_SUPPORTED } from '../../src/ndis/index.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import { findTeam, lbfoDriver, type Team } from '../../src/drivers/intermediate/lbfo/index.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { assertClean } from '../support/hosts.js';
import { tcpSink, tcpSource } from '../support/linux-peer.js';
import { Netns, interopSkipReason, sh, uniqueName } from '../support/netns.js';
import { pattern, sha256 } from '../drivers/lbfo/helpers.js';

const skip = interopSkipReason('python3', 'ping');
if (skip !== null) console.log(`# skipping the lbfo interop tests: ${skip}`);

/** 200 MB each way, the size (TSNDIS_LBFO_FAILOVER_MB overrides it for a quicker run). */
const SIZE = (Number(process.env['TSNDIS_LBFO_FAILOVER_MB'] ?? '') || 200) << 20;
const SUBNET = '198.18.141';

interface Lab {
  rt: NdisRuntime;
  ip: TcpIpProtocol;
  bridgeNs: Netns;
  hostNs: Netns;
  taps: [string, string];
  team: Team;
  keepAlive: NodeJS.Timeout;
}

async function makeLab(tag: string, memberKeywords: readonly [Record<string, boolean>, Record<string, boolean>] = [{}, {}]): Promise<Lab> {
  const keepAlive = setInterval(() => undefined, 1000);
  const rt = new NdisRuntime({ name: `lbfo${tag}`, scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  rt.registerDriver(lbfoDriver);
  const ip = new TcpIpProtocol();
  rt.registerDriver(ip.characteristics);
  const taps: [string, string] = [uniqueName('lb1'), uniqueName('lb2')];
  rt.adapterPolicy = (name) => (name === 'team0' ? { filters: [], protocols: [{ driver: 'tsndis.tcpip', keywords: { IPAddress: [`${SUBNET}.2/24`], IPv6: false } }] } : undefined);
  const bridgeNs = Netns.create();
  const hostNs = Netns.create();
  try {
    for (const [i, tap] of taps.entries()) {
      await rt.addAdapter({ name: `m${i + 1}`, driver: 'tsndis.tap', keywords: { InterfaceName: tap, NetworkAddress: `02-00-00-00-41-0${i + 1}`, ...memberKeywords[i] } });
      await rt.bindProtocol(`m${i + 1}`, 'tsndis.lbfo', { UpperBindings: ['team0'], TeamingMode: 'ActiveStandby', SendTimeoutMs: 2000 });
      await rt.startAdapter(`m${i + 1}`);
    }
    await rt.whenIdle();
    bridgeNs.ip('link', 'add', 'br0', 'type', 'bridge');
    for (const tap of taps) {
      bridgeNs.adopt(tap);
      bridgeNs.ip('link', 'set', tap, 'master', 'br0');
    }
    const vh = uniqueName('vh');
    const vp = uniqueName('vp');
    bridgeNs.ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vp);
    bridgeNs.ip('link', 'set', vh, 'master', 'br0');
    bridgeNs.ip('link', 'set', vh, 'up');
    bridgeNs.ip('link', 'set', 'br0', 'up');
    sh('ip', ['-n', bridgeNs.name, 'link', 'set', vp, 'netns', hostNs.name]);
    hostNs.ip('addr', 'add', `${SUBNET}.1/24`, 'dev', vp);
    hostNs.ip('link', 'set', vp, 'up');
    const team = findTeam(`lbfo${tag}/team0`);
    assert.ok(team !== undefined);
    const iface = ip.interface('team0');
    for (let i = 0; i < 500 && !(iface.usable && team.linkUp); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(iface.usable && team.linkUp, 'team up');
    // Both sides learn each other's addresses (and the bridge the team's port) before the clock starts.
    await hostNs.run('ping', ['-c', '3', '-i', '0.2', '-W', '5', `${SUBNET}.2`], 30_000);
    return { rt, ip, bridgeNs, hostNs, taps, team, keepAlive };
  } catch (e) {
    bridgeNs.destroy();
    hostNs.destroy();
    await rt.shutdown();
    clearInterval(keepAlive);
    throw e;
  }
}

async function destroy(lab: Lab): Promise<void> {
  lab.hostNs.destroy();
  lab.bridgeNs.destroy();
  await lab.rt.shutdown();
  // Sockets and servers hold the event loop while open; the stack is gone, so let them go.
  lab.ip.sockets.holds.releaseAll();
  clearInterval(lab.keepAlive);
}

/**
 * Longest time the team received nothing (data one way, ACKs the other) once the transfer was flowing,
 * sampled every 5 ms (connection setup is not a stall).
 */
function stallMeter(team: Team): { stop(): number } {
  const received = (): number => team.members.reduce((n, m) => n + m.counters.receivedNbls, 0);
  let seen = received();
  let last = 0;
  let longest = 0;
  const t = setInterval(() => {
    const n = received();
    const now = Date.now();
    if (n !== seen) {
      seen = n;
      if (last !== 0) longest = Math.max(longest, now - last);
      last = now;
    }
  }, 5);
  return {
    stop() {
      clearInterval(t);
      return longest;
    },
  };
}

async function untilSent(team: Team, bytes: number, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  const total = (): number => team.members.reduce((n, m) => n + m.counters.sentBytes + m.counters.receivedBytes, 0);
  while (total() < bytes) {
    if (Date.now() > end) throw new Error('the transfer did not get halfway');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function failoverRun(kind: 'delete' | 'down', direction: 'out' | 'in'): Promise<void> {
  const lab = await makeLab(`${kind}${direction}`);
  const { team, rt, ip } = lab;
  const what = kind === 'delete' ? 'TAP deleted' : 'link set down';
  const breakActive = (): void => {
    const active = team.active;
    assert.ok(active !== null && active.shortName === 'm1', 'm1 is active when it breaks');
    if (kind === 'delete') lab.bridgeNs.ip('link', 'del', lab.taps[0]);
    else lab.bridgeNs.ip('link', 'set', lab.taps[0], 'down');
  };
  try {
    const meter = stallMeter(team);
    let sentSha: string;
    let gotSha: string;
    let gotBytes: number;
    if (direction === 'out') {
      const sink = await tcpSink(lab.hostNs, `${SUBNET}.1`, 5401, 120);
      const data = pattern(SIZE, 41);
      ip.connect(5401, `${SUBNET}.1`).end(data);
      await untilSent(team, SIZE / 2);
      breakActive();
      const got = await sink.done;
      sentSha = sha256(data);
      gotSha = got.sha256;
      gotBytes = got.bytes;
    } else {
      const received: Buffer[] = [];
      let n = 0;
      let broken = false;
      const done = new Promise<Buffer>((resolve, reject) => {
        const server = ip.createServer((s) => {
          s.on('data', (d: Buffer) => {
            received.push(d);
            n += d.length;
            if (!broken && n >= SIZE / 2) {
              broken = true;
              breakActive();
            }
          });
          s.once('end', () => {
            server.close();
            resolve(Buffer.concat(received));
          });
          s.once('error', reject);
        });
        server.listen(5402);
      });
      const [inbound, sent] = await Promise.all([done, tcpSource(lab.hostNs, `${SUBNET}.2`, 5402, SIZE, 42, 120)]);
      sentSha = sent.sha256;
      gotSha = sha256(inbound);
      gotBytes = inbound.length;
    }
    const stall = meter.stop();
    assert.equal(gotBytes, SIZE);
    assert.equal(gotSha, sentSha, 'byte-exact');
    assert.equal(team.active?.shortName, 'm2');
    const fo = team.failoverLog[0]!;
    assert.equal(fo.from, 'm1');
    assert.equal(fo.to, 'm2');
    console.log(`# lbfo interop, ${what}, ${direction === 'out' ? 'tsndis → Linux' : 'Linux → tsndis'} ${SIZE >> 20} MB: failover on "${fo.reason}", gap ${String(fo.gapMs)} ms (last frame on m1 to first data frame on m2), longest stall ${stall} ms`);
  } finally {
    await destroy(lab);
  }
  assertClean(rt);
}

test("lbfo interop: the active member's TAP deleted mid-transfer (surprise removal), tsndis → Linux: failover, TCP byte-exact, pools full", { skip: skip ?? false, timeout: 180_000 }, async () => {
  await failoverRun('delete', 'out');
});

test("lbfo interop: the active member's TAP deleted mid-transfer (surprise removal), Linux → tsndis: failover, TCP byte-exact, pools full", { skip: skip ?? false, timeout: 180_000 }, async () => {
  await failoverRun('delete', 'in');
});

test("lbfo interop: the active member's TAP set down mid-transfer, tsndis → Linux: failover, TCP byte-exact, pools full", { skip: skip ?? false, timeout: 180_000 }, async () => {
  await failoverRun('down', 'out');
});

test("lbfo interop: the active member's TAP set down mid-transfer, Linux → tsndis: failover, TCP byte-exact, pools full", { skip: skip ?? false, timeout: 180_000 }, async () => {
  await failoverRun('down', 'in');
});

/** `bytes` from tsndis to the Linux host through the team; byte-exact. */
async function sendToLinux(lab: Lab, port: number, bytes: number, seed: number): Promise<void> {
  const sink = await tcpSink(lab.hostNs, `${SUBNET}.1`, port, 60);
  const data = pattern(bytes, seed);
  lab.ip.connect(port, `${SUBNET}.1`).end(data);
  const got = await sink.done;
  assert.equal(got.bytes, bytes);
  assert.equal(got.sha256, sha256(data), 'byte-exact');
}

test('lbfo interop: a TAP member without the virtio-net header (no offloads) keeps the team to the intersection; its TAP deleted, the larger set is indicated and TCP uses LSO', { skip: skip ?? false, timeout: 120_000 }, async () => {
  // m1 (active) runs without the virtio-net header, so it offers no checksum or LSO offload; m2 has them.
  const lab = await makeLab('offl', [{ VnetHeader: false }, {}]);
  const { team, rt, ip } = lab;
  try {
    const m2 = team.members.find((m) => m.shortName === 'm2')!;
    assert.notEqual(m2.currentOffload.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'the TAP with the virtio-net header offers LSO');
    assert.equal(team.current!.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'the team does not: its other member cannot');
    const counters = ip.stack.counters.tcp;
    await sendToLinux(lab, 5411, 8 << 20, 51);
    assert.equal(counters.lsoSends, 0, 'no LSO while the member without offloads is in the team');

    const before = team.offloadIndications;
    lab.bridgeNs.ip('link', 'del', lab.taps[0]);
    const deadline = Date.now() + 10_000;
    while (team.members.some((m) => m.shortName === 'm1') || team.offloadIndications === before) {
      assert.ok(Date.now() < deadline, 'm1 left the team and the new set was indicated');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.notEqual(team.current!.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'the larger set: LSO');
    assert.notEqual(rt.adapter(`lbfooffl/team0`).offload.protocolCurrent.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'the protocol above was told');
    await sendToLinux(lab, 5412, 8 << 20, 52);
    assert.ok(counters.lsoSends > 0, `TCP above hands LSO buffers to the team (lsoSends ${counters.lsoSends})`);
    console.log(`# lbfo interop, offloads: ${counters.lsoSends} LSO sends after the member without offloads left`);
  } finally {
    await destroy(lab);
  }
  assertClean(rt);
});
