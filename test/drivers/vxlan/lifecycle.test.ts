/**
 * The VXLAN adapter's life: keyword errors and bind failures fail MiniportInitializeEx cleanly with a
 * logged reason; pause with frames in flight (datagrams the kernel has not taken yet, frames queued for
 * the DPC, frames held by the protocol); sends waiting for encapsulation slots and their cancellation;
 * surprise removal mid-burst between two hosts; halt closes the socket.
 *
 * "The kernel has not taken the datagram yet" (libuv queueing behind a full send buffer) cannot be
 * produced on loopback, whose sends never block; `HoldingSocket` stands in for the socket there and keeps
 * every datagram until the test releases it, like the real one completes queued datagrams with ECANCELED
 * on close. test/interop/vxlan.test.ts shows the same with the real kernel (an unresolved neighbour).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import type { UdpSendDone, UdpSocket } from '../../../src/io/udp/index.js';
import { vxlanMiniport } from '../../../src/drivers/miniport/vxlan/index.js';
import { NDIS_STATUS_ADAPTER_REMOVED, NDIS_STATUS_PAUSED, NDIS_STATUS_SEND_ABORTED, statusName } from '../../../src/ndis/index.js';
import { BROADCAST, assertClean, frame, settle } from '../../support/hosts.js';
import { TestFilterDriver, TestFilterModule } from '../../support/test-drivers.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import type { VxlanAdapter } from '../../../src/drivers/miniport/vxlan/index.js';
import { NDIS_STATUS_SUCCESS, type NdisStatus } from '../../../src/ndis/index.js';
import { PeerVtep, drain, freePorts, makeVxlanHost, until, vxlanDatagram, type VxlanHost } from './helpers.js';

const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0xb0, 0x01);

/** A socket whose datagrams stay "in the kernel's queue" until released. */
class HoldingSocket {
  readonly held: { bytes: Uint8Array; done: UdpSendDone }[] = [];
  closed = false;
  sent = 0;
  send(bytes: Uint8Array, offset: number, length: number, _port: number, _address: string, done: UdpSendDone): boolean {
    if (this.closed) return false;
    this.held.push({ bytes: bytes.slice(offset, offset + length), done });
    return true;
  }
  release(n = this.held.length, error: Error | null = null): void {
    for (const h of this.held.splice(0, n)) {
      if (error === null) this.sent++;
      process.nextTick(h.done, error);
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release(this.held.length, Object.assign(new Error('send ECANCELED'), { code: 'ECANCELED' }));
  }
}

/** A host whose adapter sends into a HoldingSocket (the real socket still receives). */
async function holdingHost(keywords: Record<string, number> = {}): Promise<{ h: VxlanHost; sock: HoldingSocket; real: UdpSocket }> {
  const [port] = await freePorts(1);
  const h = await makeVxlanHost({ localPort: port!, remotes: ['127.0.0.1:9'], keywords, rawOptions: { receiveQueueDepth: 1024 } });
  const real = h.vx.socket!;
  const sock = new HoldingSocket();
  h.vx.socket = sock as unknown as UdpSocket;
  return { h, sock, real };
}

test('vxlan init: missing or bad keywords fail MiniportInitializeEx with every problem logged', async () => {
  const logs: string[] = [];
  const rt = NdisRuntime.forTest({ name: 'cfg', logger: (_l, _s, m) => logs.push(m) });
  rt.registerDriver(vxlanMiniport);
  await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'tsndis.vxlan', keywords: {} }), /NDIS_STATUS_INVALID_PARAMETER/);
  assert.match(logs.join('\n'), /LocalAddress is required.*Vni is required/);
  logs.length = 0;
  await assert.rejects(
    rt.addAdapter({
      name: 'eth0',
      driver: 'tsndis.vxlan',
      keywords: { LocalAddress: '127.0.0.1', Vni: 1 << 24, Remotes: ['10.0.0.1:99999', 'x'], NetworkAddress: '01:00:5e:00:00:01', LocalPort: 'abc' },
    }),
    /NDIS_STATUS_INVALID_PARAMETER/,
  );
  const text = logs.join('\n');
  for (const re of [/Vni 16777216 must be an integer in 1\.\.16777215/, /port 99999 is outside/, /'x' is not an IPv4/, /is a group address/, /LocalPort "abc"/]) assert.match(text, re);
  assert.equal(rt.adapters.size, 0);
  await rt.shutdown();
  assertClean(rt);
});

test('vxlan init: a LocalAddress this host does not have (EADDRNOTAVAIL) or a port in use fails cleanly with the reason', async () => {
  const logs: string[] = [];
  const rt = NdisRuntime.forTest({ name: 'bind', logger: (_l, _s, m) => logs.push(m) });
  rt.registerDriver(vxlanMiniport);
  // 198.18.255.254 (RFC 2544 range) is configured nowhere.
  await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'tsndis.vxlan', keywords: { LocalAddress: '198.18.255.254', Vni: 7 } }), /NDIS_STATUS_INVALID_ADDRESS/);
  assert.match(logs.join('\n'), /cannot bind UDP 198\.18\.255\.254:4789: .*EADDRNOTAVAIL.*\(LocalAddress is not an address of this host or network namespace\)/);
  const busy = await PeerVtep.open();
  await assert.rejects(
    rt.addAdapter({ name: 'eth0', driver: 'tsndis.vxlan', keywords: { LocalAddress: '127.0.0.1', LocalPort: busy.port, Vni: 7 } }),
    /NDIS_STATUS_RESOURCE_CONFLICT/,
  );
  assert.match(logs.join('\n'), /EADDRINUSE.*already uses this address and port/);
  await busy.close();
  assert.equal(rt.adapters.size, 0);
  assertClean(rt);
  // The same runtime takes a good adapter afterwards.
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.vxlan', keywords: { LocalAddress: '127.0.0.1', LocalPort: busy.port, Vni: 7 } });
  (rt.adapter('eth0').instance as VxlanAdapter).socket!.unref();
  await rt.startAdapter('eth0');
  await rt.shutdown();
  assertClean(rt);
});

test('vxlan halt closes the socket (the port can be bound again); no timers or pools left behind', async () => {
  const [port] = await freePorts(1);
  const h = await makeVxlanHost({ localPort: port! });
  const sock = h.vx.socket!;
  await h.rt.shutdown();
  assert.equal(sock.closed, true);
  assert.equal(h.vx.state, 'Halted');
  assertClean(h.rt);
  const again = await PeerVtep.open('127.0.0.1', port!);
  await again.close();
});

test('vxlan pause with frames in flight: waits for datagrams the socket still holds, drops frames not yet indicated, gets held ones back', async () => {
  const { h, sock, real } = await holdingHost();
  // 40 sends the "kernel" has not taken yet.
  const frames = Array.from({ length: 40 }, (_, i) => frame(BROADCAST, h.mac, 0x88b5, 46, i));
  assert.equal(h.ep.sendBatch(frames), 40);
  assert.equal(sock.held.length, 40);
  assert.equal(h.vx.sendsOutstanding, 40);
  // Received frames: 5 indicated and held by the raw protocol, 3 more queued for the DPC.
  for (let i = 0; i < 5; i++) h.vx.receiveDatagram(vxlanDatagram(42, frame(h.mac, PEER_MAC, 0x88b5, 46, i)), '127.0.0.1', 9);
  await settle();
  assert.equal(h.vx.indicatedOutstanding, 5);
  for (let i = 5; i < 8; i++) h.vx.receiveDatagram(vxlanDatagram(42, frame(h.mac, PEER_MAC, 0x88b5, 46, i)), '127.0.0.1', 9);

  let paused = false;
  const pause = h.rt.pauseStack('eth0').then(() => (paused = true));
  await settle(10);
  assert.equal(paused, false, 'pause waits for the datagrams in flight');
  assert.equal(h.vx.counters.rxNotRunning + h.vx.counters.rxDroppedQueued, 0);
  sock.release(25);
  await settle(10);
  assert.equal(paused, false);
  assert.equal(h.ep.counters.sendCompleted, 25);
  sock.release();
  await pause;
  assert.equal(h.vx.state, 'Paused');
  assert.equal(h.ep.counters.sendCompleted, 40, 'every datagram the kernel took completes with SUCCESS');
  assert.equal(h.vx.sendsOutstanding, 0);
  assert.equal(h.vx.indicatedOutstanding, 0, 'held receives came back');
  assert.equal(h.vx.counters.rxDroppedQueued + h.ep.queued, 8, 'the 3 queued ones were dropped or indicated before the pause');
  // While paused: sends refused with PAUSED, datagrams dropped as not running.
  assert.equal(h.ep.send(frames[0]!), false, 'the raw binding refuses while paused');
  h.vx.receiveDatagram(vxlanDatagram(42, frame(h.mac, PEER_MAC, 0x88b5, 46)), '127.0.0.1', 9);
  assert.equal(h.vx.counters.rxNotRunning, 1);
  await h.rt.restartStack('eth0');
  assert.ok(h.ep.send(frames[0]!));
  sock.release();
  await until(() => h.ep.sendsOutstanding === 0);
  drain(h.ep);
  h.vx.socket = real;
  await h.rt.shutdown();
  assertClean(h.rt);
});

test('vxlan pause pends in the miniport while indicated NBLs are out (a filter keeps them past its own pause)', async () => {
  /** Holds received NBLs and keeps holding them when paused (it gives them back later). */
  class Keeper extends TestFilterModule {
    override pause(): NdisStatus {
      return NDIS_STATUS_SUCCESS;
    }
  }
  const filter = new TestFilterDriver({ name: 'test.keeper', moduleClass: Keeper });
  const [port] = await freePorts(1);
  const rt = NdisRuntime.forTest({ name: 'keep' });
  rt.registerDriver(vxlanMiniport);
  rt.registerDriver(filter.characteristics);
  const raw = new RawProtocol('tsndis.raw');
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.vxlan', keywords: { LocalAddress: '127.0.0.1', LocalPort: port!, Vni: 42 } });
  await rt.attachFilter('eth0', 'test.keeper');
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const vx = rt.adapter('eth0').instance as VxlanAdapter;
  vx.socket!.unref();
  filter.module.holdReceives = true;
  for (let i = 0; i < 6; i++) vx.receiveDatagram(vxlanDatagram(42, frame(vx.mac, PEER_MAC, 0x88b5, 46, i)), '127.0.0.1', 9);
  await settle();
  assert.equal(filter.module.heldReceives.length, 6);
  let paused = false;
  const pause = rt.pauseStack('eth0').then(() => (paused = true));
  await settle(10);
  assert.equal(vx.state, 'Pausing', 'MiniportPause returned PENDING');
  assert.equal(paused, false);
  filter.module.returnHeldReceives();
  await pause;
  assert.equal(vx.state, 'Paused', 'NdisMPauseComplete once the last NBL came back');
  assert.equal(vx.indicatedOutstanding, 0);
  await rt.shutdown();
  assertClean(rt);
});

test('vxlan: NBLs waiting for encapsulation slots go out as slots free, can be cancelled, and finish before a pause completes', async () => {
  const { h, sock, real } = await holdingHost({ '*TransmitBuffers': 16 });
  const frames = Array.from({ length: 30 }, (_, i) => frame(BROADCAST, h.mac, 0x88b5, 46, i));
  assert.equal(h.ep.sendBatch(frames.slice(0, 20)), 20);
  assert.equal(sock.held.length, 16, 'one datagram per slot');
  assert.equal(h.vx.sendsOutstanding, 20);
  assert.ok(h.vx.counters.txSlotsExhausted > 0);
  sock.release(10);
  await settle();
  assert.equal(h.ep.counters.sendCompleted, 10);
  assert.equal(sock.held.length, 10, 'the waiting four went out from the DPC');
  // Cancel: NBLs tagged with a cancel id that still wait complete with SEND_ABORTED.
  const cancelId = h.ep.ndis.generatePartialCancelId() | 1;
  let head = null;
  for (let i = 29; i >= 20; i--) {
    const nbl = h.ep.allocate(frames[i]!)!;
    nbl.info.cancelId = cancelId;
    nbl.next = head;
    head = nbl;
  }
  h.ep.sendChain(head!, 10);
  assert.equal(sock.held.length, 16);
  h.ep.ndis.cancelSendNetBufferLists(cancelId);
  await settle();
  assert.equal(h.ep.counters.failedByStatus.get(statusName(NDIS_STATUS_SEND_ABORTED)), 4, '6 had slots, 4 waited');
  // Slots full and 5 more waiting when the pause starts: the protocol waits for its sends, the adapter
  // sends the waiting ones as slots free, and the pause ends once all came back.
  assert.equal(h.ep.sendBatch(frames.slice(0, 5)), 5);
  let paused = false;
  const pause = h.rt.pauseStack('eth0').then(() => (paused = true));
  await settle();
  for (let i = 0; i < 10 && !paused; i++) {
    sock.release();
    await settle();
  }
  await pause;
  const c = h.ep.counters;
  assert.equal(c.sendCompleted + c.sendFailed, c.framesSent);
  assert.equal(c.sendCompleted, 20 + 6 + 5, 'the first 20, the 6 uncancelled, the last 5');
  assert.equal(c.failedByStatus.get(statusName(NDIS_STATUS_PAUSED)) ?? 0, 0);
  h.vx.socket = real;
  await h.rt.shutdown();
  assertClean(h.rt);
});

test('vxlan surprise removal with datagrams held by the socket: they complete with ADAPTER_REMOVED, pools full, no violations', async () => {
  const { h, sock, real } = await holdingHost({ '*TransmitBuffers': 16 });
  assert.equal(h.ep.sendBatch(Array.from({ length: 30 }, (_, i) => frame(BROADCAST, h.mac, 0x88b5, 46, i))), 30);
  for (let i = 0; i < 4; i++) h.vx.receiveDatagram(vxlanDatagram(42, frame(h.mac, PEER_MAC, 0x88b5, 46, i)), '127.0.0.1', 9);
  sock.release(3);
  await settle();
  real.close();
  await h.rt.surpriseRemove('eth0');
  assert.equal(sock.closed, true, 'removal closes the socket');
  assert.equal(h.rt.adapters.size, 0);
  const c = h.ep.counters;
  assert.equal(c.sendCompleted, 3);
  assert.equal(c.failedByStatus.get(statusName(NDIS_STATUS_ADAPTER_REMOVED)), 27);
  assert.equal(h.vx.removed, true);
  assert.equal(h.vx.state, 'Halted');
  await h.rt.shutdown();
  assertClean(h.rt);
});

test('vxlan surprise removal mid-burst between two hosts: everything completes, pools full, the survivor keeps running', async () => {
  const [pa, pb] = await freePorts(2);
  const a = await makeVxlanHost({ name: 'A', localPort: pa!, remotes: [`127.0.0.1:${pb}`], keywords: { '*TransmitBuffers': 32 } });
  const b = await makeVxlanHost({ name: 'B', localPort: pb!, remotes: [`127.0.0.1:${pa}`], keywords: { '*TransmitBuffers': 32 }, rawOptions: { receiveQueueDepth: 64 } });
  let removal: Promise<void> | null = null;
  for (let round = 0; round < 30; round++) {
    a.ep.sendBatch(Array.from({ length: 100 }, (_, i) => frame(b.mac, a.mac, 0x88b5, 46, round * 100 + i)));
    if (b.rt.adapters.size > 0 && removal === null) b.ep.sendBatch(Array.from({ length: 100 }, (_, i) => frame(a.mac, b.mac, 0x88b5, 46, i)));
    if (round === 15) removal = b.rt.surpriseRemove('eth0');
    await new Promise((r) => setImmediate(r));
    if (round % 5 === 0) drain(a.ep);
  }
  await removal;
  await until(() => a.ep.sendsOutstanding === 0);
  assert.equal(b.rt.adapters.size, 0);
  const cb = b.ep.counters;
  assert.equal(cb.sendCompleted + cb.sendFailed, cb.framesSent, 'every send of B completed');
  for (const [status] of cb.failedByStatus) assert.equal(status, statusName(NDIS_STATUS_ADAPTER_REMOVED));
  assert.ok(b.vx.socket!.closed);
  await b.rt.shutdown();
  assertClean(b.rt);
  // A: untouched; its sends all completed (datagrams to a closed port are still sent).
  assert.equal(a.rt.adapter('eth0').state, 'Running');
  assert.equal(a.ep.counters.sendFailed, 0);
  drain(a.ep);
  await a.rt.shutdown();
  assertClean(a.rt);
});
