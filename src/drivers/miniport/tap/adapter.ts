/**
 * The TAP miniport adapter: an Ethernet NIC whose wire is a Linux TAP device, so frames go to and come
 * from the kernel's network stack (in this or another network namespace).
 *
 * Receive: one reader worker per TAP queue blocks in poll(2) and reads frames straight into posted
 * receive buffers (see queue.ts); the main thread is woken by Atomics.waitAsync, drains the fill ring in a
 * DPC and indicates NBL chains. Nothing on the main thread ever blocks on the device.
 * Transmit: each frame is written with one non-blocking write(2), prefixed by a virtio-net header when
 * the device was opened with IFF_VNET_HDR.
 *
 * With io_uring (`IoUring: auto | on`, see uring-io.ts and src/io/tun/uring.ts) both directions go through
 * one ring per adapter instead: receive is a multishot read per queue into the queue's receive NBLs, a
 * send chain is one batch of writes whose completions are reaped before the call returns (a write still
 * in flight then completes from the ring's DPC). The read()/write() path above is the fallback, unchanged.
 *
 * Task offloads (with the virtio-net header only; see offload.ts): checksum and LSOv2 on transmit become
 * the header's NEEDS_CSUM / GSO fields; on receive the kernel's DATA_VALID / NEEDS_CSUM become
 * checksum-succeeded bits and its GSO super-frames become RSC units. The standardized keywords set the
 * initial configuration, OID_TCP_OFFLOAD_PARAMETERS changes it, and receive offloads start once a
 * protocol set OID_OFFLOAD_ENCAPSULATION (TUNSETOFFLOAD follows both). With RSC possible, receive slots
 * hold a 64 KB frame each, so there are fewer of them (LargeReceiveBuffers).
 *
 * RSS (the standardized keywords, offered by default; see common/rss-miniport.ts): the kernel does not
 * know our key, so the receive DPC hashes each frame once a protocol enabled RSS with
 * OID_GEN_RECEIVE_SCALE_PARAMETERS, and the NBLs carry the hash value and hash info.
 *
 * Poll mode (`PollMode: on | adaptive`, `PollBudgetUs`; see util/poll-loop.ts): a queue that ran out
 * of frames is polled (the ring's CQ read from memory, else a non-blocking read) for up to the budget
 * before its wake-up is armed; the polling runs in slices from a DPC, so timers and control work still run.
 *
 * Link state: the adapter owns the TAP's carrier, so the link is up while the device is administratively
 * up. Writes to a down interface fail with EIO (→ NDIS_STATUS_MEDIA_DISCONNECTED and a link-down
 * indication); a later successful write or a received frame brings it back up. While the device is
 * visible in this namespace, its sysfs flags are also polled once a second. A device that disappears
 * (EBADFD on read or write) is reported as a surprise removal.
 */
import { isMainThread } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import {
  ETHERNET_HEADER_SIZE,
  LSO_V2_TRANSMIT_COMPLETE,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RECEIVE_FLAGS_SINGLE_QUEUE,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  SUPPLEMENTAL_IS_ENCAPSULATED_PACKET,
  NdisDevicePnPEventSurpriseRemoved,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  NdisPauseFunctionsUnsupported,
  NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC,
  OID_TCP_RSC_STATISTICS,
  ethernetGeneralAttributes,
  lsoType,
  lsoV1TransmitCompleteValue,
  parseMac,
  rscStatisticsCodec,
  type MiniportAdapter,
  type MiniportAdapterHandle,
  type MiniportInitParameters,
  type NdisDpc,
  type NdisLinkState,
  type NdisOffload,
  type NdisOffloadEncapsulation,
  type NdisOidRequest,
  type NdisStatus,
  type NdisTimerObject,
  type NetBuffer,
  type NetBufferList,
  type NetDevicePnPEvent,
} from '../../../ndis/index.js';
import { EAGAIN, EBADF, EBADFD, EINTR, EIO, ENODEV, libc } from '../../../io/tun/libc.js';
import { TUN_F_CSUM, TUN_F_TSO4, TUN_F_USO4, TUN_F_USO6, TapError, openTap, setInterfaceMtu, type TapDevice } from '../../../io/tun/tap-device.js';
import { writeEmptyVnetHeader } from '../../../io/tun/vnet-header.js';
import { TUN_F_UDP_TUNNEL_GSO, TapEncapSender } from './encap-send.js';
import { ETHERNET_OIDS, EthernetMiniportState, filterAccepts, handleEthernetOid } from '../../common/ethernet-miniport.js';
import { stableMac } from '../../common/mac.js';
import type { MiniportRunState } from '../../common/run-state.js';
import { MiniportOffloads, TASK_OFFLOAD_OIDS, offloadFromKeywords, withSoftwareEncapsulatedOffload } from '../../common/task-offload.js';
import { largeSendRefusal } from '../../common/offload-requests.js';
import { MAX_GSO_FRAME, TAP_MAX_PATCHES, TapOffload } from './offload.js';
import { tapHardwareOffload } from './offload-caps.js';
import { TapPollQueue, TapUvQueue, TapWorkerQueue, type ReaderMode, type RxQueue } from './queue.js';
import { uvPollAvailable } from '../../../io/tun/uv-poll.js';
import { ECANCELED, probeIoUring } from '../../../io/tun/uring.js';
import { TapRing, UringRxQueue, UringTxTable } from './uring-io.js';
import { LentIndication } from '../../common/receive-queue.js';
import { ReceiveDrops } from '../../common/receive-drops.js';
import { standardRssKeywords } from '../../common/rss-keywords.js';
import { RssState } from '../../common/rss-miniport.js';
import { HdSplitMiniport } from '../../common/hd-split-miniport.js';
import { PollBudget, PollLoop, type PollMode, type PollSource } from '../../../util/poll-loop.js';

const MAX_NBLS_PER_INDICATION = 256;
const DPC_BUDGET_INDICATIONS = 4;

/** At most 16 TAP queues; RSS uses one receive queue per processor. */
const RSS_LIMITS = { maxQueues: 16 } as const;
/** The standardized RSS keywords of this miniport (*RSS 1 by default: RSS is offered, off until a protocol sets it). */
export const TAP_RSS_KEYWORDS = standardRssKeywords(RSS_LIMITS);

/** Counters specific to the TAP device (the Ethernet ones are in `eth.stats`). */
export class TapCounters {
  writeCalls = 0;
  /** Frames written straight from the NBL's memory (virtio-net header in its backfill). */
  zeroCopyWrites = 0;
  writeErrors = 0;
  writeWouldBlock = 0;
  runts = 0;
  oversize = 0;
  filteredOut = 0;
  resourcesIndications = 0;
  /** TUNSETOFFLOAD calls the kernel refused. */
  setOffloadErrors = 0;
}

export class TapAdapter implements MiniportAdapter {
  readonly ndis: MiniportAdapterHandle;
  readonly counters = new TapCounters();
  /** Named drop counters (drops.ts), from the handle at initialize. */
  drops!: ReceiveDrops;
  state: MiniportRunState = 'Halted';
  removed = false;
  device: TapDevice | null = null;
  eth!: EthernetMiniportState;
  mac: Uint8Array = new Uint8Array(6);
  frameSize = 1514;
  vnet = 0;
  linkUp = true;
  linkSpeedBps = 10_000_000_000n;
  /** @internal */
  queues: RxQueue[] = [];
  /** The receive design in use (ReaderMode, after the main-thread check; 'uring' with io_uring). */
  readerMode: ReaderMode = 'uv';
  /** io_uring: 'on', 'off' (IoUring off, or an explicit ReaderMode), or 'unavailable: <why>' (auto fell back). */
  ioUring = 'off';
  #ring: TapRing | null = null;
  #tx: UringTxTable | null = null;
  #ringDpc: NdisDpc | null = null;
  /** NBLs of the send call in progress whose writes are not all complete. */
  #syncPending = 0;
  /** Send NBLs whose writes completed after their call returned, for the ring DPC to complete. */
  #asyncHead: NetBufferList | null = null;
  #asyncTail: NetBufferList | null = null;
  /** Task offloads (null without the virtio-net header): configuration and OIDs, and the per-frame work. */
  offloads: MiniportOffloads | null = null;
  readonly offload = new TapOffload();
  /** The TUNSETOFFLOAD bits in effect. */
  tunOffloads = 0;
  /** Encapsulated (NVGRE / VXLAN) sends: the software path (encap-send.ts); null without a virtio-net header. */
  encapSender: TapEncapSender | null = null;
  /** Whether this kernel's TAP takes UDP-tunnel GSO (TUNSETOFFLOAD 0x80, Linux 6.17+), probed at initialization. */
  kernelUdpTunnelGso: boolean | null = null;
  #encapFd = -1;
  readonly #encapWrite = (b: Uint8Array, n: number): number => {
    const c = libc();
    let w = c.write(this.#encapFd, b, n);
    if (w < 0 && c.errno() === EINTR) w = c.write(this.#encapFd, b, n);
    return w;
  };
  /** RSS: capabilities from the keywords, parameters from the OID, the per-frame hash in the receive DPC. */
  rss!: RssState;
  /** Header-data split (*HeaderDataSplit): the split engine, its OIDs and counters. */
  hds!: HdSplitMiniport;
  #dpcs: NdisDpc[] = [];
  /** Poll mode: the loop over this adapter's queues (null with PollMode off) and one source per queue. */
  #pollLoop: PollLoop | null = null;
  #pollSources: PollSource[] = [];
  #staging = new Uint8Array(0);
  #usoScratch = new Uint8Array(0);
  #indicated = 0;
  #pausePending = false;
  #probe: NdisTimerObject | null = null;
  /** NBLs of a RESOURCES indication in progress. */
  readonly #lent = new LentIndication();
  readonly #takeBack = (nbl: NetBufferList): void => this.#recycle(nbl);

  constructor(ndis: MiniportAdapterHandle) {
    this.ndis = ndis;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  initialize(params: MiniportInitParameters): NdisStatus {
    const k = params.keywords;
    const shortName = params.adapterName.slice(params.adapterName.lastIndexOf('/') + 1);
    const ifname = k.readString('InterfaceName', `tsn${shortName}`.slice(0, 15));
    const queues = k.readInt('Queues', 1, 1, 16);
    // 'auto': 'uv' where it can work, else 'poll'. The libuv loop koffi can name is the main thread's;
    // a worker thread's loop is out of reach.
    const mode = k.readString('ReaderMode', 'auto');
    const uvUsable = isMainThread && uvPollAvailable();
    let readerMode: ReaderMode = mode === 'worker' || mode === 'poll' || mode === 'uv' ? mode : uvUsable ? 'uv' : 'poll';
    if (readerMode === 'uv' && !uvUsable) {
      this.ndis.log('warn', `ReaderMode 'uv' needs the main thread's libuv loop (${isMainThread ? 'koffi cannot reach libuv' : 'this runtime runs in a worker thread'}): using 'poll'`);
      readerMode = 'poll';
    }
    this.readerMode = readerMode;
    // io_uring: 'auto' uses it unless ReaderMode names a reader (then that reader's read()/write() path);
    // 'on' insists and fails initialization with the reason when it cannot be had.
    const ioUring = k.readString('IoUring', 'auto');
    let useRing = false;
    if (ioUring === 'on' && mode !== 'auto') {
      this.ndis.log('error', `IoUring 'on' reads through the ring, so ReaderMode '${mode}' cannot apply: leave ReaderMode 'auto' or set IoUring 'off'`);
      return NDIS_STATUS_FAILURE;
    }
    if (ioUring === 'on' || (ioUring === 'auto' && mode === 'auto')) {
      const probe = isMainThread && uvUsable ? probeIoUring() : null;
      const why = !isMainThread ? 'the ring is watched by the main thread\'s libuv loop and this runtime runs in a worker thread' : !uvUsable ? 'koffi cannot reach libuv to watch the ring' : probe!.usable ? null : probe!.reason;
      if (why === null) useRing = true;
      else if (ioUring === 'on') {
        this.ndis.log('error', `IoUring 'on': io_uring is unavailable: ${why}`);
        return NDIS_STATUS_FAILURE;
      } else this.ioUring = `unavailable: ${why}`;
    }
    const pollMode = k.readString('PollMode', 'off') as PollMode;
    const pollBudgetUs = k.readInt('PollBudgetUs', 50, 1, 100_000);
    const vnet = k.readBoolean('VnetHeader', true);
    this.frameSize = k.readInt('*JumboPacket', 1514, 1514, 65535);
    this.linkSpeedBps = BigInt(k.readInt('LinkSpeedMbps', 10_000, 1, 400_000)) * 1_000_000n;
    const rxBuffers = k.readInt('*ReceiveBuffers', 1024, 16, 65536);
    // RSC needs room for 64 KB super-frames in every receive slot: decided here, once.
    const largeRx = vnet && (k.readInt('*RscIPv4', 1, 0, 1) === 1 || k.readInt('*RscIPv6', 1, 0, 1) === 1);
    const largeRxBuffers = k.readInt('LargeReceiveBuffers', 128, 16, 4096);
    const configured = k.read('NetworkAddress');
    this.mac = (typeof configured === 'string' && configured !== '' ? parseMac(configured) : null) ?? stableMac(`tap/${params.adapterName}`);
    try {
      this.device = openTap({ name: ifname, vnetHeader: vnet, queues });
    } catch (e) {
      this.ndis.log('error', e instanceof TapError ? e.message : `TAP device '${ifname}': ${e instanceof Error ? e.message : String(e)}`);
      return NDIS_STATUS_FAILURE;
    }
    this.vnet = this.device.vnetHeaderSize;
    if (this.vnet > 0) {
      // Does this kernel's TAP take UDP-tunnel GSO? (Tunnel GSO needs a plain GSO bit beside it.) Shown in
      // the inspector; encapsulated sends take the software path either way (encap-send.ts says why).
      this.kernelUdpTunnelGso = this.device.setOffloads(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_UDP_TUNNEL_GSO) === 0;
      this.device.setOffloads(this.tunOffloads);
    }
    const mtu = this.frameSize - ETHERNET_HEADER_SIZE;
    if (mtu !== 1500) {
      const e = setInterfaceMtu(this.device.name, mtu);
      if (e !== 0) this.ndis.log('warn', `could not set the MTU of ${this.device.name} to ${mtu} (errno ${e}); set it on the kernel side`);
    }
    this.rss = new RssState(this.ndis, k, { limits: RSS_LIMITS, classification: NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC });
    this.drops = new ReceiveDrops(this.ndis);
    this.ndis.setRegistrationAttributes({ checkForHangTimeInSeconds: 0 });
    // One header buffer per receive NBL that can be indicated at once.
    this.hds = new HdSplitMiniport(this.ndis, k, (largeRx ? largeRxBuffers : rxBuffers) * this.device.fds.length);
    const oids = [...ETHERNET_OIDS, ...(this.vnet > 0 ? [...TASK_OFFLOAD_OIDS, ...(largeRx ? [OID_TCP_RSC_STATISTICS] : [])] : []), ...this.rss.oids, ...this.hds.oids];
    const general = ethernetGeneralAttributes({
      macAddress: this.mac,
      mtu,
      linkSpeedBps: this.linkSpeedBps,
      connected: true,
      supportedOidList: oids,
      vendorDescription: `tsndis TAP adapter (${this.device.name}${vnet ? ', virtio-net header' : ''}${queues > 1 ? `, ${queues} queues` : ''})`,
      backfill: this.vnet,
      ...(this.rss.capabilities === null ? {} : { recvScaleCapabilities: this.rss.capabilities }),
    });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    if (this.vnet > 0) {
      const hardware = withSoftwareEncapsulatedOffload(tapHardwareOffload(largeRx));
      this.offloads = new MiniportOffloads(this.ndis, hardware, offloadFromKeywords(k, hardware), {
        apply: (next) => this.#applyOffloads(next, this.offloads!.encapsulation),
        encapsulationChanged: (e) => void this.#applyOffloads(this.offloads!.current, e),
      });
      this.offload.configure(this.offloads.current, false, false);
      this.offload.mtu = mtu;
      this.offload.kernelUso = k.readString('UsoKernel', 'auto') === 'auto' && this.#probeKernelUso();
      this.encapSender = new TapEncapSender(this.vnet, this.frameSize + 4);
      this.encapSender.configure(this.offloads.current);
      this.rss.setEncapsulation(this.offloads.current);
      this.ndis.setOffloadAttributes(this.offloads.attributes);
    }
    // Receive slots hold the virtio-net header, the frame (a GSO super-frame with RSC) and room for one
    // VLAN tag, 64-byte aligned.
    const maxRxFrame = Math.max(this.frameSize + 4, largeRx ? MAX_GSO_FRAME : 0);
    // With header-data split each slot starts with BackfillSize bytes of headroom (the data buffers' backfill).
    const headroom = this.hds.headroom;
    const slot = (headroom + this.vnet + maxRxFrame + 63) & ~63;
    this.#staging = new Uint8Array(this.vnet + Math.max(this.frameSize + 4, this.vnet > 0 ? MAX_GSO_FRAME : 0));
    // One datagram at a time for software USO (the large frame stays where it is, or in #staging).
    if (this.vnet > 0) this.#usoScratch = new Uint8Array(this.vnet + this.frameSize + 4);
    if (useRing) {
      const perQueue = largeRx ? largeRxBuffers : rxBuffers;
      const dpc = this.ndis.allocateDpc(() => this.#ringService());
      try {
        this.#ring = new TapRing(perQueue * this.device.fds.length, () => dpc.queue());
        this.#ringDpc = dpc;
        this.#tx = new UringTxTable(this.#ring.ring, {
          frameDone: (nbl, nb, fd, address, len, res, notSubmitted) => this.#frameDone(nbl, nb, fd, address, len, res, notSubmitted),
          nblDone: (nbl) => this.#nblDone(nbl),
        });
        this.readerMode = 'uring';
        this.ioUring = 'on';
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        if (ioUring === 'on') {
          this.ndis.log('error', `IoUring 'on': cannot set up the ring for ${this.device.name}: ${why}`);
          this.#teardown();
          return NDIS_STATUS_FAILURE;
        }
        this.ioUring = `unavailable: ${why}`;
      }
    }
    try {
      for (let q = 0; q < this.device.fds.length; q++) {
        const pool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:rx${q}`, capacity: largeRx ? largeRxBuffers : rxBuffers, dataSize: slot });
        this.hds.reserveHeadroom(pool);
        const dpc = this.ndis.allocateDpc(() => this.#receiveDpc(q));
        this.#dpcs.push(dpc);
        if (pollMode !== 'off') this.#pollSources.push(this.#pollSource(q, new PollBudget(pollMode, pollBudgetUs)));
        const fd = this.device.fds[q]!;
        const ready = (): void => {
          dpc.queue();
        };
        this.queues.push(
          this.#ring !== null ? new UringRxQueue(q, fd, pool, this.#ring, ready) : readerMode === 'uv' ? new TapUvQueue(q, fd, pool, ready) : readerMode === 'poll' ? new TapPollQueue(q, fd, pool, ready) : new TapWorkerQueue(q, fd, pool, ready),
        );
      }
    } catch (e) {
      this.ndis.log('error', `TAP device '${this.device.name}': cannot start the reader: ${e instanceof Error ? e.message : String(e)}`);
      this.#teardown();
      return NDIS_STATUS_FAILURE;
    }
    if (pollMode !== 'off') {
      const pollDpc = this.ndis.allocateDpc(() => this.#pollLoop?.slice());
      this.#pollLoop = new PollLoop(() => this.ndis.now() * 1000, () => void pollDpc.queue());
    }
    this.#probe = this.ndis.allocateTimer(() => this.#probeLink());
    this.#probe.set(1000, 1000);
    this.state = 'Paused';
    return NDIS_STATUS_SUCCESS;
  }

  /** The kernel-side interface name (the keyword may have been a pattern). */
  get interfaceName(): string {
    return this.device?.name ?? '';
  }

  halt(): void {
    this.#teardown();
    this.state = 'Halted';
  }

  #teardown(): void {
    this.#probe?.free();
    this.#probe = null;
    const device = this.device;
    // Writes still in flight finish first (bounded); then the queues stop, then the ring closes, then the fds.
    if (this.#tx !== null) {
      this.#txFlush();
      this.#completeAsync();
      this.#tx.close();
      this.#tx = null;
    }
    const ring = this.#ring;
    this.#ring = null;
    const closeDevice = (): void => {
      if (ring === null) device?.close();
      else ring.close(() => device?.close());
    };
    for (const source of this.#pollSources) this.#pollLoop?.remove(source);
    this.#pollLoop = null;
    let pending = this.queues.length;
    const closeWhenDone = (): void => {
      if (--pending === 0) closeDevice();
    };
    for (const q of this.queues) {
      q.stop(closeWhenDone);
      q.releaseBuffers();
      this.ndis.freeNetBufferListPool(q.pool);
    }
    if (this.queues.length === 0) closeDevice();
    this.queues = [];
  }

  shutdown(): void {
    for (const q of this.queues) q.stop(() => undefined);
  }

  pause(): NdisStatus {
    this.state = 'Pausing';
    if (this.#indicated === 0 && (this.#tx?.inFlight ?? 0) === 0) {
      this.state = 'Paused';
      return NDIS_STATUS_SUCCESS;
    }
    this.#pausePending = true;
    return NDIS_STATUS_PENDING;
  }

  restart(): NdisStatus {
    this.state = 'Running';
    for (const q of this.queues) q.arm();
    return NDIS_STATUS_SUCCESS;
  }

  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    if (event.devicePnPEvent === NdisDevicePnPEventSurpriseRemoved) this.removed = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  #receiveDpc(q: number): void {
    const queue = this.queues[q];
    if (queue === undefined) return;
    if (queue.error !== 0 && !this.removed) {
      this.removed = true;
      const e = queue.error;
      this.ndis.reportSurpriseRemoval(`TAP device ${this.interfaceName} went away (read failed with ${e === EBADFD ? 'EBADFD: the device was deleted' : `errno ${e}`})`);
    }
    const poll = this.#pollLoop === null ? undefined : this.#pollSources[q];
    if (poll !== undefined && queue.hasWork()) poll.budget.woke(this.ndis.now() * 1000);
    for (let budget = DPC_BUDGET_INDICATIONS; budget > 0 && queue.hasWork(); budget--) this.#indicateBatch(queue);
    if (queue.hasWork()) this.#dpcs[q]!.queue();
    else if (poll !== undefined) this.#pollLoop!.idle(poll);
    else queue.arm();
  }

  /** Queue `q` as a poll source: a poll takes what it finds inline, as the receive DPC would. */
  #pollSource(q: number, budget: PollBudget): PollSource {
    return {
      budget,
      poll: () => {
        const queue = this.queues[q];
        if (queue === undefined || !queue.pollNow()) return 0;
        let frames = 0;
        for (let n = DPC_BUDGET_INDICATIONS; n > 0 && queue.hasWork(); n--) frames += this.#indicateBatch(queue);
        // More than a DPC's share (or a device error): the receive DPC takes over and polls again after.
        if (queue.hasWork() || queue.error !== 0) this.#dpcs[q]!.queue();
        return frames;
      },
      sleep: () => this.queues[q]?.arm(),
    };
  }

  #head: NetBufferList | null = null;
  #tail: NetBufferList | null = null;
  #count = 0;
  #queue: RxQueue | null = null;

  readonly #take = (nbl: NetBufferList, length: number): void => {
    const queue = this.#queue!;
    const stats = this.eth.stats;
    const vnet = this.vnet;
    const drops = this.drops;
    const nb = nbl.firstNetBuffer!;
    const m = nb.poolMdl!;
    const start = m.byteOffset + vnet;
    const frameLen = length - vnet;
    if (this.state !== 'Running' || this.removed) {
      stats.rcvDiscards++;
      drops.notRunning.dropBytes(m.bytes, start, frameLen);
      queue.repost(nbl);
      return;
    }
    if (frameLen < ETHERNET_HEADER_SIZE) {
      this.counters.runts++;
      stats.rcvErrors++;
      drops.malformedFrame.dropBytes(m.bytes, start, frameLen);
      queue.repost(nbl);
      return;
    }
    if (length >= m.byteCount) {
      // The frame filled the whole slot: it was longer than the MTU allows and got cut.
      this.counters.oversize++;
      stats.rcvErrors++;
      drops.malformedFrame.dropBytes(m.bytes, start, frameLen);
      queue.repost(nbl);
      return;
    }
    const cls = filterAccepts(this.eth.packetFilter, this.mac, this.eth.multicast, m.bytes, start);
    if (cls < 0) {
      this.counters.filteredOut++;
      drops.addressFiltered.dropBytes(m.bytes, start, frameLen);
      queue.repost(nbl);
      return;
    }
    // The virtio-net header stays in front of the frame, as backfill.
    nb.dataOffset = vnet;
    nb.currentMdlOffset = vnet;
    nb.dataLength = frameLen;
    // Offload flags or a GSO type in the virtio-net header: checksum / RSC info (or a drop).
    if (vnet > 0 && (m.bytes[m.byteOffset]! | m.bytes[m.byteOffset + 1]!) !== 0 && !this.offload.receive(nbl, m.bytes, m.byteOffset, start, frameLen)) {
      stats.rcvErrors++;
      drops.malformedFrame.dropBytes(m.bytes, start, frameLen);
      queue.repost(nbl);
      return;
    }
    // Header-data split (RSC super-frames too): header into the header block, data left in place.
    if (this.hds.active) this.hds.split(nbl, m.bytes, m.byteOffset - this.hds.headroom, start, frameLen);
    nbl.info.filteringInfo = queue.index;
    nbl.sourceHandle = this.ndis;
    stats.countRcv(cls, frameLen);
    if (this.#tail === null) this.#head = nbl;
    else this.#tail.next = nbl;
    this.#tail = nbl;
    this.#count++;
  };

  /** One indication from `queue`; the frames taken from it (indicated or dropped). */
  #indicateBatch(queue: RxQueue): number {
    this.#queue = queue;
    this.#head = this.#tail = null;
    this.#count = 0;
    const taken = queue.drain(MAX_NBLS_PER_INDICATION, this.#take);
    const head = this.#head as NetBufferList | null;
    const n = this.#count;
    this.#head = this.#tail = null;
    if (head === null) {
      queue.buffersChanged();
      return taken;
    }
    if (!this.linkUp) this.#setLink(true);
    if (this.rss.active) this.rss.hashChain(head);
    // Few buffers left with the reader: lend these only for the duration of the call.
    const resources = queue.postedFree < queue.pool.capacity >> 3;
    let flags = NDIS_RECEIVE_FLAGS_PERFECT_FILTERED | NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL;
    if (this.queues.length > 1) flags |= NDIS_RECEIVE_FLAGS_SINGLE_QUEUE;
    if (resources) {
      flags |= NDIS_RECEIVE_FLAGS_RESOURCES;
      this.counters.resourcesIndications++;
    } else {
      this.#indicated += n;
    }
    if (resources) {
      this.#lent.indicate(this.ndis, head, 0, n, flags, this.#takeBack);
    } else {
      this.ndis.indicateReceiveNetBufferLists(head, 0, n, flags);
    }
    queue.buffersChanged();
    return taken;
  }

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) n++;
    this.#indicated -= n;
    this.#recycle(nbls);
    for (const q of this.queues) q.buffersChanged();
    this.#maybePauseComplete();
  }

  #maybePauseComplete(): void {
    if (this.#pausePending && this.#indicated === 0 && (this.#tx?.inFlight ?? 0) === 0) {
      this.#pausePending = false;
      this.state = 'Paused';
      this.ndis.pauseComplete();
    }
  }

  /** Buffers back from the stack: reset (free + allocate) and post them to their queue again. */
  #recycle(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      const queue = this.queues[nbl.info.filteringInfo];
      if (queue === undefined) {
        (nbl.home as { free(n: NetBufferList): boolean }).free(nbl);
      } else {
        queue.pool.free(nbl);
        const fresh = queue.pool.allocate();
        if (fresh !== null) queue.repost(fresh);
      }
      nbl = next;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transmit

  /**
   * §2.4: an LSO send the current configuration does not offer (rule 10), or outside its limits (MSS
   * over the MTU, fewer segments than MinSegmentCount, more than MaxOffLoadSize, headers not in the
   * first MDL, more than one NET_BUFFER), is failed before anything reaches the kernel.
   */
  #largeSendRefusal(nbl: NetBufferList, lso: number): NdisStatus {
    const nb = nbl.firstNetBuffer;
    const status = this.offloads === null || nb === null || this.vnet === 0 ? NDIS_STATUS_FAILURE : largeSendRefusal(nb, nb.next !== null, lso, this.offloads.current, this.frameSize);
    if (status !== NDIS_STATUS_SUCCESS) this.offload.counters.txOffloadRefused++;
    return status;
  }

  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    if (this.#tx !== null) {
      this.#sendRing(nbls);
      return;
    }
    const device = this.device;
    const stats = this.eth.stats;
    const c = libc();
    const staging = this.#staging;
    const vnet = this.vnet;
    const maxLen = this.frameSize + 4;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (this.removed || device === null) {
        nbl.status = NDIS_STATUS_ADAPTER_REMOVED;
        continue;
      }
      if (this.state !== 'Running') {
        nbl.status = NDIS_STATUS_PAUSED;
        stats.xmitDiscards++;
        continue;
      }
      const fd = device.fds[device.fds.length > 1 ? nbl.info.hashValue % device.fds.length : 0]!;
      if ((nbl.info.tcpSendOffloadsSupplemental & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) !== 0 && (nbl.info.tcpIpChecksum | nbl.info.tcpLargeSend) !== 0) {
        nbl.status = this.#sendEncapsulated(nbl, fd);
        continue;
      }
      // Offload work only when the NBL asks for it and there is a header to carry it.
      const lso = nbl.info.tcpLargeSend;
      const uso = nbl.info.udpSegmentationOffloadInfo;
      const offloaded = vnet > 0 && (nbl.info.tcpIpChecksum | lso | uso) !== 0;
      const limit = offloaded && (lso | uso) !== 0 ? MAX_GSO_FRAME : maxLen;
      let largeSendPayload = 0;
      let status: NdisStatus = lso === 0 ? NDIS_STATUS_SUCCESS : this.#largeSendRefusal(nbl, lso);
      if (status !== NDIS_STATUS_SUCCESS) stats.xmitErrors++;
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null && status === NDIS_STATUS_SUCCESS; nb = nb.next) {
        const len = nb.dataLength;
        if (len < ETHERNET_HEADER_SIZE || len > limit) {
          status = NDIS_STATUS_INVALID_LENGTH;
          stats.xmitErrors++;
          break;
        }
        this.counters.writeCalls++;
        let w: number;
        const m = nb.currentMdl!;
        if (m.words !== null && nb.currentMdlOffset >= vnet && nb.currentMdlOffset + len <= m.byteCount) {
          // Zero copy: the frame is contiguous in slab memory with room for the header in its backfill.
          const start = m.byteOffset + nb.currentMdlOffset - vnet;
          if (offloaded) {
            status = this.offload.transmit(nbl, m.bytes, start, start + vnet, len);
            if (status !== NDIS_STATUS_SUCCESS) {
              stats.xmitErrors++;
              break;
            }
            if (this.offload.softwareUso) {
              status = this.#sendUsoSoftware(nb, uso, m.bytes, start + vnet, len, fd);
              largeSendPayload += this.offload.largeSendPayload;
              continue;
            }
            largeSendPayload += this.offload.largeSendPayload;
          } else if (vnet > 0) {
            writeEmptyVnetHeader(m.bytes, start);
          }
          if (m.mappedSystemVa < 0) m.mappedSystemVa = c.address(m.bytes);
          w = c.writeAt(fd, m.mappedSystemVa + start, vnet + len);
          if (w < 0 && c.errno() === EINTR) w = c.writeAt(fd, m.mappedSystemVa + start, vnet + len);
          // The header fields patched for the kernel go back as the protocol wrote them.
          if (offloaded) this.offload.restore(m.bytes);
          this.counters.zeroCopyWrites++;
        } else {
          nb.copyOut(staging, vnet, 0, len);
          if (offloaded) {
            status = this.offload.transmit(nbl, staging, 0, vnet, len, firstMdlBytes(nb, len));
            if (status !== NDIS_STATUS_SUCCESS) {
              stats.xmitErrors++;
              break;
            }
            largeSendPayload += this.offload.largeSendPayload;
            if (this.offload.softwareUso) {
              status = this.#sendUsoSoftware(nb, uso, staging, vnet, len, fd);
              continue;
            }
          } else if (vnet > 0) {
            writeEmptyVnetHeader(staging, 0);
          }
          w = c.write(fd, staging, vnet + len);
          if (w < 0 && c.errno() === EINTR) w = c.write(fd, staging, vnet + len);
        }
        if (w >= 0) {
          stats.countXmit(nb);
          continue;
        }
        status = this.#writeFailed(c.errno());
      }
      if (status === NDIS_STATUS_SUCCESS && !this.linkUp) this.#setLink(true);
      // LSO NBLs always complete with the transmit-complete form of their info (§2.3).
      if (lso !== 0) nbl.info.tcpLargeSend = lsoCompleteValue(lso, status === NDIS_STATUS_SUCCESS ? largeSendPayload : 0);
      nbl.status = status;
    }
    this.ndis.sendNetBufferListsComplete(nbls, 0);
  }

  /**
   * Software USO: the checked large datagram `src[f, f + len)` goes out as MSS-sized datagrams, each
   * written with write(2) from the scratch buffer (empty virtio-net header). Counted per datagram.
   */
  #sendUsoSoftware(nb: NetBuffer, uso: number, src: Uint8Array, f: number, len: number, fd: number): NdisStatus {
    const c = libc();
    const scratch = this.#usoScratch;
    let status: NdisStatus = NDIS_STATUS_SUCCESS;
    const stats = this.eth.stats;
    this.offload.segmentUso(uso, src, f, len, scratch, this.vnet, (length) => {
      this.counters.writeCalls++;
      let w = c.write(fd, scratch, length);
      if (w < 0 && c.errno() === EINTR) w = c.write(fd, scratch, length);
      if (w >= 0) {
        stats.countXmitSegment(nb, length - this.vnet);
        return true;
      }
      status = this.#writeFailed(c.errno());
      return false;
    });
    return status;
  }

  /** Probes whether this kernel's TAP takes USO (TUNSETOFFLOAD USO4|USO6), then puts the flags back. */
  #probeKernelUso(): boolean {
    const device = this.device!;
    const ok = device.setOffloads(TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6) === 0;
    device.setOffloads(this.tunOffloads);
    return ok;
  }

  /** An encapsulated send (§6): checked, then finished or segmented in software and written frame by frame. */
  #sendEncapsulated(nbl: NetBufferList, fd: number): NdisStatus {
    const stats = this.eth.stats;
    const lso = nbl.info.tcpLargeSend;
    let status: NdisStatus = NDIS_STATUS_FAILURE;
    if (this.encapSender !== null) {
      this.#encapFd = fd;
      status = this.encapSender.send(nbl, nbl.info.tcpSendOffloadsSupplemental, this.#encapWrite);
    }
    if (status === NDIS_STATUS_SUCCESS) {
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) stats.countXmit(nb);
    } else {
      stats.xmitErrors++;
    }
    if (lso !== 0) nbl.info.tcpLargeSend = lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE ? LSO_V2_TRANSMIT_COMPLETE : 0;
    return status;
  }

  #writeFailed(errno: number): NdisStatus {
    const stats = this.eth.stats;
    this.counters.writeErrors++;
    stats.xmitErrors++;
    if (errno === EAGAIN) {
      this.counters.writeWouldBlock++;
      return NDIS_STATUS_RESOURCES;
    }
    if (errno === EIO) {
      // The interface is administratively down.
      if (this.linkUp) this.#setLink(false);
      return NDIS_STATUS_MEDIA_DISCONNECTED;
    }
    if (errno === EBADFD || errno === EBADF || errno === ENODEV) {
      if (!this.removed) {
        this.removed = true;
        this.ndis.reportSurpriseRemoval(`TAP device ${this.interfaceName} went away (write failed with errno ${errno})`);
      }
      return NDIS_STATUS_ADAPTER_REMOVED;
    }
    return NDIS_STATUS_FAILURE;
  }

  // ---------------------------------------------------------------------------------------------
  // Transmit through io_uring: the same checks and offload work as above, then one write SQE per frame;
  // the chain is submitted with one io_uring_enter and its completions reaped before returning.

  #sendRing(nbls: NetBufferList): void {
    const device = this.device;
    const stats = this.eth.stats;
    const ring = this.#ring!.ring;
    const tx = this.#tx!;
    const c = libc();
    const vnet = this.vnet;
    const maxLen = this.frameSize + 4;
    this.#syncPending = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.status = NDIS_STATUS_SUCCESS;
      // One extra count while its frames are being posted: the NBL cannot finish before the last one.
      nbl.miniportReserved[0] = 1;
      nbl.miniportReserved[1] = false;
      this.#syncPending++;
      if (this.removed || device === null) {
        nbl.status = NDIS_STATUS_ADAPTER_REMOVED;
        this.#txRelease(nbl);
        continue;
      }
      if (this.state !== 'Running') {
        nbl.status = NDIS_STATUS_PAUSED;
        stats.xmitDiscards++;
        this.#txRelease(nbl);
        continue;
      }
      const fd = device.fds[device.fds.length > 1 ? nbl.info.hashValue % device.fds.length : 0]!;
      if ((nbl.info.tcpSendOffloadsSupplemental & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) !== 0 && (nbl.info.tcpIpChecksum | nbl.info.tcpLargeSend) !== 0) {
        // Software-made frames by write(2), after whatever is in flight (frame order).
        this.#txFlush();
        nbl.status = this.#sendEncapsulated(nbl, fd);
        this.#txRelease(nbl);
        continue;
      }
      const lso = nbl.info.tcpLargeSend;
      const uso = nbl.info.udpSegmentationOffloadInfo;
      const offloaded = vnet > 0 && (nbl.info.tcpIpChecksum | lso | uso) !== 0;
      const limit = offloaded && (lso | uso) !== 0 ? MAX_GSO_FRAME : maxLen;
      let largeSendPayload = 0;
      const refusal = lso === 0 ? NDIS_STATUS_SUCCESS : this.#largeSendRefusal(nbl, lso);
      if (refusal !== NDIS_STATUS_SUCCESS) {
        nbl.status = refusal;
        stats.xmitErrors++;
        this.#txRelease(nbl);
        continue;
      }
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        const len = nb.dataLength;
        if (len < ETHERNET_HEADER_SIZE || len > limit) {
          nbl.status = NDIS_STATUS_INVALID_LENGTH;
          stats.xmitErrors++;
          break;
        }
        this.counters.writeCalls++;
        const m = nb.currentMdl!;
        if (m.words !== null && nb.currentMdlOffset >= vnet && nb.currentMdlOffset + len <= m.byteCount) {
          const start = m.byteOffset + nb.currentMdlOffset - vnet;
          if (offloaded) {
            const status = this.offload.transmit(nbl, m.bytes, start, start + vnet, len);
            if (status !== NDIS_STATUS_SUCCESS) {
              this.offload.restore(m.bytes);
              nbl.status = status;
              stats.xmitErrors++;
              break;
            }
            largeSendPayload += this.offload.largeSendPayload;
            if (this.offload.softwareUso) {
              // Written now, one datagram at a time, after whatever is in flight (frame order).
              this.#txFlush();
              const s2 = this.#sendUsoSoftware(nb, uso, m.bytes, start + vnet, len, fd);
              if (s2 !== NDIS_STATUS_SUCCESS && nbl.status === NDIS_STATUS_SUCCESS) nbl.status = s2;
              continue;
            }
          } else if (vnet > 0) {
            writeEmptyVnetHeader(m.bytes, start);
          }
          if (m.mappedSystemVa < 0) m.mappedSystemVa = c.address(m.bytes);
          const address = m.mappedSystemVa + start;
          this.counters.zeroCopyWrites++;
          const i = this.#txReserve();
          if (i < 0) {
            // Every entry still in flight after a bounded wait: this one goes by write(2).
            this.#frameDone(nbl, nb, fd, address, vnet + len, 0, true);
            if (offloaded) this.offload.restore(m.bytes);
            continue;
          }
          const patched = offloaded ? this.offload.movePatches(tx.patchAt, tx.patchWas, i * TAP_MAX_PATCHES) : 0;
          tx.patchCount[i] = patched;
          tx.post(i, fd, address, vnet + len, nbl, nb, patched > 0 ? m.bytes : null);
        } else {
          // The one staging buffer: whatever is in flight goes first (frame order), then a write(2).
          this.#txFlush();
          nb.copyOut(this.#staging, vnet, 0, len);
          if (offloaded) {
            const status = this.offload.transmit(nbl, this.#staging, 0, vnet, len, firstMdlBytes(nb, len));
            if (status !== NDIS_STATUS_SUCCESS) {
              nbl.status = status;
              stats.xmitErrors++;
              break;
            }
            largeSendPayload += this.offload.largeSendPayload;
            if (this.offload.softwareUso) {
              const s2 = this.#sendUsoSoftware(nb, uso, this.#staging, vnet, len, fd);
              if (s2 !== NDIS_STATUS_SUCCESS && nbl.status === NDIS_STATUS_SUCCESS) nbl.status = s2;
              continue;
            }
          } else if (vnet > 0) {
            writeEmptyVnetHeader(this.#staging, 0);
          }
          this.#frameDone(nbl, nb, fd, c.address(this.#staging), vnet + len, 0, true);
        }
      }
      // The LSOv1 write-back needs the payload at completion (#nblDone); it rides in miniportReserved.
      if (lso !== 0) nbl.miniportReserved[2] = largeSendPayload;
      this.#txRelease(nbl);
    }
    this.#txSubmit();
    // TAP writes complete inside io_uring_enter: their completions are normally here already.
    const deadline = performance.now() + 1000;
    while (this.#syncPending > 0 && this.#ring !== null) {
      if (ring.reap() > 0) continue;
      if (performance.now() > deadline) break;
      ring.submit(1, 10_000_000);
    }
    if (this.#syncPending === 0) {
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    // Some writes are still in flight (the kernel deferred them): complete the rest now, those later.
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if ((nbl.miniportReserved[0] as number) > 0) {
        nbl.miniportReserved[1] = true;
        this.#ring!.counters.asyncCompletions++;
      } else {
        if (tail === null) head = nbl;
        else tail.next = nbl;
        tail = nbl;
      }
      nbl = next;
    }
    this.#syncPending = 0;
    if (head !== null) this.ndis.sendNetBufferListsComplete(head, 0);
  }

  /** A free write entry with room in the SQ, or -1 when none frees up within a bounded wait. */
  #txReserve(): number {
    const ring = this.#ring!.ring;
    if (ring.sqSpace === 0) this.#txSubmit();
    let i = this.#tx!.reserve();
    for (let tries = 0; i < 0 && tries < 10; tries++) {
      this.#txSubmit();
      if (ring.reap() === 0) ring.submit(1, 10_000_000);
      i = this.#tx!.reserve();
    }
    return ring.sqSpace > 0 ? i : -1;
  }

  /** Hands the prepared SQEs to the kernel; if it keeps refusing them, they are written with write(2). */
  #txSubmit(): void {
    const ring = this.#ring?.ring;
    if (ring === undefined || ring.unsubmitted === 0) return;
    let r = ring.submit();
    if (r < 0 && r !== -EINTR) {
      ring.reap();
      r = ring.submit();
      if (r < 0 && r !== -EINTR) ring.failUnsubmitted(r);
    }
  }

  /** Submits and waits (bounded) until no write is in flight. */
  #txFlush(): void {
    const ring = this.#ring?.ring;
    const tx = this.#tx;
    if (ring === undefined || tx === null) return;
    this.#txSubmit();
    const deadline = performance.now() + 1000;
    while (tx.inFlight > 0 && !ring.closed && performance.now() < deadline) {
      if (ring.reap() === 0) ring.submit(1, 10_000_000);
    }
  }

  /** Drops the count an NBL holds while its frames are posted. */
  #txRelease(nbl: NetBufferList): void {
    const left = (nbl.miniportReserved[0] as number) - 1;
    nbl.miniportReserved[0] = left;
    if (left === 0) this.#nblDone(nbl);
  }

  /** One write finished (`notSubmitted`: it never reached the ring, so write(2) does it now). */
  #frameDone(nbl: NetBufferList, nb: NetBuffer, fd: number, address: number, len: number, res: number, notSubmitted: boolean): void {
    if (notSubmitted) {
      const c = libc();
      this.#ring!.counters.fallbacks++;
      res = c.writeAt(fd, address, len);
      if (res < 0 && c.errno() === EINTR) res = c.writeAt(fd, address, len);
      if (res < 0) res = -c.errno();
    } else if (res < 0) {
      this.#ring!.counters.cqeErrors++;
    }
    if (res === len) {
      this.eth.stats.countXmit(nb);
      return;
    }
    let status: NdisStatus;
    if (res === -ECANCELED) {
      this.counters.writeErrors++;
      this.eth.stats.xmitErrors++;
      status = NDIS_STATUS_SEND_ABORTED;
    } else if (res < 0) {
      status = this.#writeFailed(-res);
    } else {
      // A short write: TAP takes whole frames, so the kernel refused this one.
      this.counters.writeErrors++;
      this.eth.stats.xmitErrors++;
      status = NDIS_STATUS_FAILURE;
    }
    if (nbl.status === NDIS_STATUS_SUCCESS) nbl.status = status;
  }

  /** Every write of `nbl` completed: finish it as the read()/write() path does. */
  #nblDone(nbl: NetBufferList): void {
    if (nbl.status === NDIS_STATUS_SUCCESS && !this.linkUp) this.#setLink(true);
    const lso = nbl.info.tcpLargeSend;
    if (lso !== 0) nbl.info.tcpLargeSend = lsoCompleteValue(lso, nbl.status === NDIS_STATUS_SUCCESS ? ((nbl.miniportReserved[2] as number | undefined) ?? 0) : 0);
    if (nbl.miniportReserved[1] !== true) {
      this.#syncPending--;
      return;
    }
    nbl.miniportReserved[1] = false;
    nbl.next = null;
    if (this.#asyncTail === null) this.#asyncHead = nbl;
    else this.#asyncTail.next = nbl;
    this.#asyncTail = nbl;
    this.#ringDpc?.queue();
  }

  #completeAsync(): void {
    const head = this.#asyncHead;
    if (head === null) return;
    this.#asyncHead = this.#asyncTail = null;
    this.ndis.sendNetBufferListsComplete(head, 0);
    this.#maybePauseComplete();
  }

  /** The ring DPC (its fd became readable): reap every completion, finish late sends, watch again. */
  #ringService(): void {
    const tap = this.#ring;
    if (tap === null) return;
    tap.ring.reap();
    this.#completeAsync();
    // Frames reaped here are indicated now: their queue's DPC (which the completions queued) would run
    // only on the next turn of the event loop, a second wake-up's worth of latency; it then finds nothing.
    for (let q = 0; q < this.queues.length; q++) if (this.queues[q]!.hasWork()) this.#receiveDpc(q);
    if (tap.ring.ready > 0 || tap.ring.kernelHasWork) this.#ringDpc!.queue();
    // While queues poll, the poll reads the CQ; the watcher is armed again when they sleep (arm()).
    else if ((this.#pollLoop?.polling ?? 0) === 0) tap.watch();
  }

  cancelSend(_cancelId: number): void {
    // Every send is written (or failed) before sendNetBufferLists returns: nothing is queued.
  }

  // ---------------------------------------------------------------------------------------------
  // Link and OIDs

  /** While the device is visible in this namespace, its sysfs flags tell admin state and carrier. */
  #probeLink(): void {
    if (this.removed || this.device === null) return;
    const dir = `/sys/class/net/${this.device.name}`;
    if (!existsSync(dir)) return;
    try {
      const flags = parseInt(readFileSync(`${dir}/flags`, 'utf8').trim(), 16);
      const up = (flags & 0x1) !== 0;
      if (up !== this.linkUp) this.#setLink(up);
    } catch {
      // Gone between the check and the read: the reader reports the removal.
    }
  }

  #setLink(up: boolean): void {
    this.linkUp = up;
    if (this.state === 'Halted') return;
    const linkState: NdisLinkState = {
      mediaConnectState: up ? MediaConnectStateConnected : MediaConnectStateDisconnected,
      mediaDuplexState: MediaDuplexStateFull,
      xmitLinkSpeed: this.linkSpeedBps,
      rcvLinkSpeed: this.linkSpeedBps,
      pauseFunctions: NdisPauseFunctionsUnsupported,
      autoNegotiationFlags: 0,
    };
    this.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: linkState });
  }

  oidRequest(request: NdisOidRequest): NdisStatus {
    if (this.offloads !== null) {
      const status = this.offloads.handleOid(request);
      if (status !== NDIS_STATUS_INVALID_OID) return status;
      if (request.oid === OID_TCP_RSC_STATISTICS) {
        if (!request.isQuery || !this.offloads.hardware.rsc.ipv4Enabled) return NDIS_STATUS_NOT_SUPPORTED;
        const o = this.offload.counters;
        return request.completeQuery(rscStatisticsCodec, {
          coalescedPkts: BigInt(o.rxCoalescedSegments),
          coalescedOctets: BigInt(o.rxCoalescedBytes),
          coalesceEvents: BigInt(o.rxCoalescedFrames),
          aborts: 0n,
        });
      }
    }
    const rss = this.rss.handleOid(request);
    if (rss !== NDIS_STATUS_INVALID_OID) return rss;
    const hds = this.hds.handleOid(request);
    if (hds !== NDIS_STATUS_INVALID_OID) return hds;
    return handleEthernetOid(this.eth, request);
  }

  /**
   * Puts an offload configuration into effect: the per-frame masks, then TUNSETOFFLOAD (receive offloads
   * only for the IP versions OID_OFFLOAD_ENCAPSULATION enabled).
   */
  #applyOffloads(next: NdisOffload, encapsulation: NdisOffloadEncapsulation): NdisStatus {
    const before = this.tunOffloads;
    this.offload.configure(next, encapsulation.ipv4.enabled === 1, encapsulation.ipv6.enabled === 1);
    this.encapSender?.configure(next);
    this.rss.setEncapsulation(next);
    const flags = this.offload.tunFlags;
    if (flags === before || this.device === null) return NDIS_STATUS_SUCCESS;
    const e = this.device.setOffloads(flags);
    if (e !== 0) {
      this.counters.setOffloadErrors++;
      this.ndis.log('error', `TUNSETOFFLOAD 0x${flags.toString(16)} on ${this.interfaceName} failed with errno ${e}`);
      this.offload.configure(this.offloads!.current, encapsulation.ipv4.enabled === 1, encapsulation.ipv6.enabled === 1);
      return NDIS_STATUS_FAILURE;
    }
    this.tunOffloads = flags;
    return NDIS_STATUS_SUCCESS;
  }

  cancelOidRequest(_requestId: number): void {}

  /** The frame statistics (OID_GEN_STATISTICS), for the inspector. */
  statistics(): Record<string, number> {
    return this.eth.stats.snapshot();
  }

  /** Poll mode, the budget in force and the counters summed over the queues (one budget per queue). */
  pollSnapshot(): Record<string, number | string> {
    const first = this.#pollSources[0];
    if (first === undefined) return { mode: 'off' };
    const sum = { polls: 0, pollsWithWork: 0, pollMicros: 0, checks: 0, wakeups: 0 };
    for (const s of this.#pollSources) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += s.budget.counters[k];
    sum.pollMicros = Math.round(sum.pollMicros);
    return { mode: first.budget.mode, budgetUs: Math.max(...this.#pollSources.map((s) => s.budget.budgetUs)), baseUs: first.budget.baseUs, ...sum };
  }

  /** Shown by the inspector. */
  inspect(): Record<string, unknown> {
    return {
      device: this.interfaceName,
      vnetHeader: this.vnet > 0,
      queues: this.queues.length,
      readerMode: this.readerMode,
      linkUp: this.linkUp,
      ioUring: this.#ring === null ? { state: this.ioUring } : { state: this.ioUring, ...this.#ring.ring.refreshCounters(), ...this.#ring.counters },
      poll: this.pollSnapshot(),
      ...this.counters,
      rcvNoBuffer: this.eth.stats.rcvNoBuffer,
      ...(this.offloads === null ? {} : { tunOffloads: `0x${this.tunOffloads.toString(16)}`, usoEngine: this.offload.kernelUso ? 'kernel' : 'software', offload: { ...this.offload.counters, ...this.offloads.setCounters } }),
      ...(this.encapSender === null
        ? {}
        : {
            encapsulatedOffload: {
              path: this.encapSender.path,
              kernelUdpTunnelGso: this.kernelUdpTunnelGso,
              framesWritten: this.encapSender.framesWritten,
              writeErrors: this.encapSender.writeErrors,
              ...this.encapSender.engine.counters,
            },
          }),
      ...this.rss?.snapshot(),
      ...(this.hds?.splitter == null ? {} : { hdSplit: this.hds.snapshot() }),
    };
  }
}

/** Bytes of the frame in the NET_BUFFER's first MDL (LSO/USO need every header there). */
function firstMdlBytes(nb: NetBuffer, len: number): number {
  const m = nb.currentMdl;
  return m === null ? 0 : Math.min(len, m.byteCount - nb.currentMdlOffset);
}

/** The transmit-complete form of an LSO info (§2.3): LSOv2 → Type V2, Reserved 0; LSOv1 → TcpPayload sent. */
function lsoCompleteValue(lso: number, payload: number): number {
  return lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE ? LSO_V2_TRANSMIT_COMPLETE : lsoV1TransmitCompleteValue(payload);
}
