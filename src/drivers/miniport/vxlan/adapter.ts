/**
 * The VXLAN miniport adapter (RFC 7348): an Ethernet NIC whose "wire" is a UDP/IPv4 socket. Frames go
 * out as datagrams `[8-byte VXLAN header | Ethernet frame]` to remote VTEPs and come in the same way.
 *
 * Transmit (MiniportSendNetBufferLists → the send callbacks → the DPC):
 *   - Each NetBuffer is copied once into a preallocated encapsulation slot (header written at
 *     initialization, frame after it), then handed to the socket once per destination: the learned
 *     endpoint of a unicast destination MAC, or every static remote (`Remotes`) for broadcast, multicast
 *     and unknown unicast. Learned endpoints that are not static remotes get no flooded frames (Linux's
 *     rule: BUM traffic goes to the default remotes, the all-zeros FDB entries).
 *   - An NBL completes when the kernel took its datagrams: every `send` has a per-slot callback
 *     (preallocated, no closure per datagram) that runs when the datagram left libuv, on the next tick for
 *     a synchronous send. The callbacks only do bookkeeping; the DPC completes the finished NBLs in one
 *     NdisMSendNetBufferListsComplete. A NetBuffer counts as sent when at least one of its datagrams was
 *     taken (one unreachable remote does not fail a broadcast); an NBL fails (NDIS_STATUS_FAILURE, or
 *     ADAPTER_REMOVED after removal) when one of its NetBuffers reached no remote at all.
 *   - When every slot is busy (the kernel's send buffer is full and libuv is queueing), NBLs wait in a
 *     FIFO in the adapter and go out from the DPC as slots free up.
 *
 * Receive (socket callback → the DPC):
 *   - The header is checked (header.ts); wrong flags, another VNI, runt or oversize inner frames and loops
 *     (our own source MAC) are dropped with a named counter and a rate-limited log line, never a throw.
 *   - The inner source MAC is learned → (datagram source address, port): the port of the static remote
 *     with that address and source port, else of the first static remote with that address, else
 *     `LocalPort`; never the datagram's source port as such (Linux sends from hashed source ports and
 *     listens on its dstport only).
 *   - The packet filter and multicast list are applied, the frame is copied into the receive pool and the
 *     DPC indicates batches with NDIS_RECEIVE_FLAGS_PERFECT_FILTERED. No free buffer ⇒ dropped
 *     (rcvNoBuffer). Low on buffers ⇒ indicated with NDIS_RECEIVE_FLAGS_RESOURCES.
 *
 * States and ownership: sends are refused with NDIS_STATUS_PAUSED unless Running (ADAPTER_REMOVED after
 * surprise removal). Pause drops received frames not yet indicated, completes waiting sends with
 * NDIS_STATUS_PAUSED and pends until datagrams in flight came back from the socket and every indicated
 * NBL was returned. Surprise removal closes the socket (queued datagrams complete with ECANCELED); halt
 * closes it too. The socket is bound in MiniportInitializeEx, so a bad `LocalAddress` fails the adapter's
 * initialization with a logged reason.
 *
 * Not supported: IPv6 underlay, multicast underlay groups, checksum/LSO offloads, per-flow UDP source
 * ports (datagrams leave from `LocalPort`), static FDB entries other than the flooding remotes.
 */
import {
  ETHERNET_HEADER_SIZE,
  Mdl,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_ADDRESS,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_OPEN_FAILED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCE_CONFLICT,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventSurpriseRemoved,
  copyBytes,
  ethernetGeneralAttributes,
  formatMac,
  parseMac,
  type ConfigValue,
  type ConfigurationReader,
  type MiniportAdapter,
  type MiniportAdapterHandle,
  type MiniportInitParameters,
  type MiniportPauseParameters,
  type NdisDpc,
  type NdisDropCounter,
  type NdisOidRequest,
  type NdisStatus,
  type NdisTimerObject,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetDevicePnPEvent,
} from '../../../ndis/index.js';
import { UdpSocket, type UdpSendDone } from '../../../io/udp/index.js';
import { ETHERNET_OIDS, EthernetMiniportState, filterAccepts, handleEthernetOid } from '../../common/ethernet-miniport.js';
import { stableMac } from '../../common/mac.js';
import type { MiniportRunState } from '../../common/run-state.js';
import { parseIPv4, parseRemotes, type VxlanEndpoint } from './endpoints.js';
import { FdbLearn, ForwardingTable, type FdbEntry } from './fdb.js';
import { VXLAN_HEADER_SIZE, VXLAN_UDP_PORT, VXLAN_VNI_MAX, VxlanHeaderError, checkVxlanHeader, vxlanVni, writeVxlanHeader } from './header.js';
import { LentIndication, ReceiveQueue } from '../../common/receive-queue.js';
import { ReceiveDrops } from '../../common/receive-drops.js';

/** Receive indications carry at most this many NBLs; the DPC requeues itself for the rest. */
const MAX_NBLS_PER_INDICATION = 256;
/** Indications per DPC run before it yields. */
const DPC_BUDGET_INDICATIONS = 4;
/** Entries the learning table holds (Linux's default fdb_max is unlimited; ours is fixed memory). */
export const VXLAN_FDB_CAPACITY = 4096;
/** A drop reason is logged at most once per this interval (with the count of drops not logged). */
export const VXLAN_LOG_INTERVAL_MS = 10_000;
/** Socket buffer sizes asked for (the kernel caps them at rmem_max / wmem_max). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** Named drop and event counters (the NDIS statistics are in `eth.stats`). */
export class VxlanCounters {
  // Receive: every datagram ends in exactly one of the rx* outcomes below (rxDatagrams is their sum).
  rxDatagrams = 0;
  /** Shorter than the VXLAN header. */
  rxTruncated = 0;
  /** I flag clear. */
  rxMissingIFlag = 0;
  /** A reserved bit set (an extension this driver does not parse). */
  rxReservedBits = 0;
  /** Another VNI than ours. */
  rxUnknownVni = 0;
  /** Inner frame shorter than an Ethernet header. */
  rxRunt = 0;
  /** Inner frame longer than *JumboPacket (+ one 802.1Q tag). */
  rxOversize = 0;
  /** Inner source MAC is ours: a loop. */
  rxOwnSource = 0;
  /** Not accepted by the packet filter / multicast list. */
  rxFiltered = 0;
  /** Receive pool empty. */
  rxNoBuffer = 0;
  /** Arrived while not Running. */
  rxNotRunning = 0;
  /** Copied into a receive buffer and queued for indication. */
  rxAccepted = 0;
  /** Accepted frames dropped before indication (pause, removal, halt). */
  rxDroppedQueued = 0;
  // Transmit
  /** NetBuffers handed to the socket (each once, however many destinations). */
  txFrames = 0;
  /** Datagrams handed to the socket. */
  txDatagrams = 0;
  /** NetBuffers sent to one learned endpoint. */
  txUnicastLearned = 0;
  /** NetBuffers flooded to the static remotes (broadcast, multicast, unknown unicast). */
  txFlooded = 0;
  /** NetBuffers with nowhere to go (flooding with no static remote). */
  txNoDestination = 0;
  /** Datagrams the socket did not take (the error is logged, rate-limited). */
  txSocketErrors = 0;
  /** NBLs refused for a NetBuffer shorter than an Ethernet header or longer than the MTU allows. */
  txInvalidLength = 0;
  /** Times every encapsulation slot was busy and NBLs had to wait. */
  txSlotsExhausted = 0;
  // Learning
  fdbLearned = 0;
  fdbMoved = 0;
  fdbAged = 0;
  fdbFull = 0;
  /** Socket errors after the bind, and exceptions caught at the socket boundary. */
  socketErrors = 0;
}

/** Drop reasons with their own log rate limit. */
const Drop = {
  Truncated: 0,
  MissingIFlag: 1,
  ReservedBits: 2,
  UnknownVni: 3,
  Runt: 4,
  Oversize: 5,
  OwnSource: 6,
  SendFailed: 7,
  SocketError: 8,
} as const;
type Drop = (typeof Drop)[keyof typeof Drop];
const DROP_REASONS = 9;

/** Parsed and validated keywords. */
export interface VxlanSettings {
  readonly localAddress: string;
  readonly localPort: number;
  readonly vni: number;
  readonly remotes: readonly VxlanEndpoint[];
  readonly mac: Uint8Array;
  /** Largest frame including the Ethernet header (*JumboPacket). */
  readonly frameSize: number;
  readonly learningAgeMs: number;
  readonly receiveBuffers: number;
  readonly transmitBuffers: number;
}

/** Reads an integer keyword strictly: absent ⇒ default; present but not an integer in range ⇒ an error. */
function intKeyword(k: ConfigurationReader, name: string, def: number, min: number, max: number, errors: string[]): number {
  const v: ConfigValue | undefined = k.read(name);
  if (v === undefined) return def;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    errors.push(`${name} ${JSON.stringify(v)} must be an integer in ${min}..${max}`);
    return def;
  }
  return n;
}

/** Parses the adapter's keywords; `errors` lists every problem (initialization fails if any). */
export function readVxlanSettings(k: ConfigurationReader, adapterName: string): { settings: VxlanSettings; errors: string[] } {
  const errors: string[] = [];
  const rawAddress = k.read('LocalAddress');
  let localAddress = '';
  if (rawAddress === undefined || rawAddress === '') errors.push('LocalAddress is required (the IPv4 address to bind)');
  else if (typeof rawAddress !== 'string' || parseIPv4(rawAddress.trim()) < 0) errors.push(`LocalAddress ${JSON.stringify(rawAddress)} is not an IPv4 address`);
  else localAddress = rawAddress.trim().split('.').map(Number).join('.');
  const localPort = intKeyword(k, 'LocalPort', VXLAN_UDP_PORT, 1, 65535, errors);
  let vni = 0;
  if (k.read('Vni') === undefined) errors.push(`Vni is required (1..${VXLAN_VNI_MAX})`);
  else vni = intKeyword(k, 'Vni', 0, 1, VXLAN_VNI_MAX, errors);
  const parsed = parseRemotes(k.read('Remotes'), localPort);
  for (const e of parsed.errors) errors.push(`Remotes: ${e}`);
  const configuredMac = k.read('NetworkAddress');
  let mac: Uint8Array | null = null;
  if (typeof configuredMac === 'string' && configuredMac.trim() !== '') {
    mac = parseMac(configuredMac);
    if (mac === null) errors.push(`NetworkAddress ${JSON.stringify(configuredMac)} is not a MAC address`);
    else if ((mac[0]! & 1) !== 0) errors.push(`NetworkAddress ${configuredMac} is a group address`);
  }
  const frameSize = intKeyword(k, '*JumboPacket', 1514, 1514, 16384, errors);
  const learningAgeSeconds = intKeyword(k, 'LearningAgeSeconds', 300, 0, 1_000_000, errors);
  const receiveBuffers = intKeyword(k, '*ReceiveBuffers', 512, 16, 65536, errors);
  const transmitBuffers = intKeyword(k, '*TransmitBuffers', 256, 16, 65536, errors);
  return {
    settings: {
      localAddress,
      localPort,
      vni,
      remotes: parsed.remotes,
      mac: mac ?? stableMac(`vxlan/${vni}/${localAddress}:${localPort}/${adapterName}`),
      frameSize,
      learningAgeMs: learningAgeSeconds * 1000,
      receiveBuffers,
      transmitBuffers,
    },
    errors,
  };
}

function bindStatus(code: string): NdisStatus {
  switch (code) {
    case 'EADDRNOTAVAIL':
      return NDIS_STATUS_INVALID_ADDRESS;
    case 'EADDRINUSE':
      return NDIS_STATUS_RESOURCE_CONFLICT;
    case 'EACCES':
    case 'EPERM':
      return NDIS_STATUS_OPEN_FAILED;
    default:
      return NDIS_STATUS_FAILURE;
  }
}

function bindHint(code: string): string {
  switch (code) {
    case 'EADDRNOTAVAIL':
      return ' (LocalAddress is not an address of this host or network namespace)';
    case 'EADDRINUSE':
      return ' (another socket, or a Linux vxlan device, already uses this address and port)';
    case 'EACCES':
    case 'EPERM':
      return ' (not permitted)';
    default:
      return '';
  }
}

export class VxlanAdapter implements MiniportAdapter {
  readonly ndis: MiniportAdapterHandle;
  readonly counters = new VxlanCounters();
  /** Named drop counters (drops.ts), from the handle at initialize. */
  drops!: ReceiveDrops;
  #vxlanDrops: { truncated: NdisDropCounter; missingIFlag: NdisDropCounter; reservedBits: NdisDropCounter; unknownVni: NdisDropCounter; ownSource: NdisDropCounter } | null = null;
  state: MiniportRunState = 'Halted';
  removed = false;
  eth!: EthernetMiniportState;
  settings!: VxlanSettings;
  mac: Uint8Array = new Uint8Array(6);
  vni = 0;
  localPort = VXLAN_UDP_PORT;
  remotes: readonly VxlanEndpoint[] = [];
  /** @internal */
  socket: UdpSocket | null = null;
  /** Largest inner frame accepted either way: *JumboPacket plus one 802.1Q tag. */
  maxFrame = 1518;

  #fdb: ForwardingTable | null = null;
  #sweepTimer: NdisTimerObject | null = null;
  #lastSweep = 0;
  #dpc: NdisDpc | null = null;
  #pausePending = false;

  // Receive
  #rxPool: NetBufferListPool | null = null;
  /** Frames decapsulated and waiting for the DPC. */
  readonly #ready = new ReceiveQueue();
  readonly #lent = new LentIndication();
  readonly #freeRx = (nbl: NetBufferList): void => {
    this.#rxPool!.free(nbl);
  };
  #indicated = 0;

  // Transmit: encapsulation slots (one slab, one Mdl per slot for word copies), the wait FIFO and the
  // list of NBLs whose datagrams are all done.
  #slab: Uint8Array = new Uint8Array(0);
  #slotSize = 0;
  #slotMdl: Mdl[] = [];
  #slotNbl: (NetBufferList | null)[] = [];
  #slotNb: (NetBuffer | null)[] = [];
  #slotRefs: Int32Array = new Int32Array(0);
  #slotOk: Int32Array = new Int32Array(0);
  #slotDone: UdpSendDone[] = [];
  #slotFree: Int32Array = new Int32Array(0);
  #slotTop = 0;
  #txHead: NetBufferList | null = null;
  #txTail: NetBufferList | null = null;
  /** Next NetBuffer of the head NBL to issue; null when the head has not started. */
  #txNb: NetBuffer | null = null;
  #doneHead: NetBufferList | null = null;
  #doneTail: NetBufferList | null = null;
  /** NBLs accepted for transmission and not yet completed. */
  #txOutstanding = 0;

  // Rate-limited logging, per drop reason.
  readonly #lastLog = new Float64Array(DROP_REASONS).fill(-Infinity);
  readonly #suppressed = new Int32Array(DROP_REASONS);

  constructor(ndis: MiniportAdapterHandle) {
    this.ndis = ndis;
  }

  get rxPool(): NetBufferListPool | null {
    return this.#rxPool;
  }

  get indicatedOutstanding(): number {
    return this.#indicated;
  }

  /** NBLs accepted for transmission and not completed yet. */
  get sendsOutstanding(): number {
    return this.#txOutstanding;
  }

  /** Encapsulation slots whose datagrams are still with the socket. */
  get slotsInUse(): number {
    return this.#slotFree.length - this.#slotTop;
  }

  /** Live learning-table entries (allocates; for inspection and tests). */
  learnedEndpoints(): FdbEntry[] {
    return this.#fdb?.entries(this.ndis.now()) ?? [];
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** MiniportInitializeEx: validates keywords, binds the socket, sets attributes, allocates pools. */
  initialize(params: MiniportInitParameters): NdisStatus {
    const { settings, errors } = readVxlanSettings(params.keywords, params.adapterName);
    if (errors.length > 0) {
      this.ndis.log('error', `invalid configuration: ${errors.join('; ')}`);
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    this.settings = settings;
    this.mac = settings.mac;
    this.vni = settings.vni;
    this.localPort = settings.localPort;
    this.remotes = settings.remotes;
    this.maxFrame = settings.frameSize + 4;

    const bound = UdpSocket.bind({
      address: settings.localAddress,
      port: settings.localPort,
      receiveBufferBytes: SOCKET_BUFFER_BYTES,
      sendBufferBytes: SOCKET_BUFFER_BYTES,
      onMessage: this.receiveDatagram,
      onError: this.#onSocketError,
    });
    if (!bound.ok) {
      this.ndis.log('error', `${bound.message}${bindHint(bound.code)}`);
      return bindStatus(bound.code);
    }
    this.socket = bound.socket;

    this.ndis.setRegistrationAttributes({ checkForHangTimeInSeconds: 0 });
    const general = ethernetGeneralAttributes({
      macAddress: this.mac,
      mtu: settings.frameSize - ETHERNET_HEADER_SIZE,
      connected: true, // the socket is bound: the "link" is up
      supportedOidList: ETHERNET_OIDS,
      vendorDescription: `tsndis VXLAN adapter (VNI ${settings.vni}, ${settings.localAddress}:${settings.localPort})`,
    });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    this.drops = new ReceiveDrops(this.ndis);
    this.#vxlanDrops = {
      truncated: this.ndis.dropCounter('vxlanTruncated'),
      missingIFlag: this.ndis.dropCounter('vxlanMissingIFlag'),
      reservedBits: this.ndis.dropCounter('vxlanReservedBits'),
      unknownVni: this.ndis.dropCounter('vxlanUnknownVni'),
      ownSource: this.ndis.dropCounter('vxlanOwnSource'),
    };

    // Receive buffers: slots rounded up so frames stay 64-byte aligned in the slab.
    const rxSlot = (this.maxFrame + 63) & ~63;
    this.#rxPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:rx`, capacity: settings.receiveBuffers, dataSize: rxSlot });
    this.#allocateSlots(settings.transmitBuffers);
    this.#dpc = this.ndis.allocateDpc(() => this.#dpcRoutine());
    if (settings.learningAgeMs > 0) {
      this.#fdb = new ForwardingTable(VXLAN_FDB_CAPACITY, settings.learningAgeMs);
      const period = Math.max(1000, Math.min(30_000, Math.floor(settings.learningAgeMs / 2)));
      this.#sweepTimer = this.ndis.allocateTimer(() => this.#sweep());
      this.#sweepTimer.set(period, period);
    }
    this.ndis.log(
      'info',
      `bound ${settings.localAddress}:${settings.localPort}, VNI ${settings.vni}, MAC ${formatMac(this.mac)}, ` +
        `remotes ${settings.remotes.length === 0 ? 'none' : settings.remotes.map((r) => `${r.address}:${r.port}`).join(' ')}`,
    );
    this.state = 'Paused';
    return NDIS_STATUS_SUCCESS;
  }

  #allocateSlots(n: number): void {
    // 8-byte header + frame, rounded to 4 bytes so every frame starts word-aligned (word copies).
    const size = (VXLAN_HEADER_SIZE + this.maxFrame + 3) & ~3;
    const slab = new Uint8Array(new ArrayBuffer(n * size));
    const words = new Int32Array(slab.buffer);
    this.#slab = slab;
    this.#slotSize = size;
    this.#slotMdl = [];
    this.#slotDone = [];
    for (let s = 0; s < n; s++) {
      writeVxlanHeader(slab, s * size, this.vni);
      const m = new Mdl(slab, s * size, size);
      m.words = words;
      this.#slotMdl.push(m);
      this.#slotDone.push((err: Error | null) => this.#slotSent(s, err));
    }
    this.#slotNbl = new Array<NetBufferList | null>(n).fill(null);
    this.#slotNb = new Array<NetBuffer | null>(n).fill(null);
    this.#slotRefs = new Int32Array(n);
    this.#slotOk = new Int32Array(n);
    this.#slotFree = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
    this.#slotTop = n;
  }

  /** MiniportHaltEx: from Paused with nothing outstanding. Closes the socket, frees everything. */
  halt(_haltAction: number): void {
    this.socket?.close();
    this.#dropQueued();
    this.#sweepTimer?.free();
    this.#sweepTimer = null;
    if (this.#rxPool !== null) this.ndis.freeNetBufferListPool(this.#rxPool);
    this.#rxPool = null;
    this.state = 'Halted';
  }

  shutdown(_shutdownAction: number): void {
    this.socket?.close();
  }

  /** MiniportPause: stop indicating, fail waiting sends, pend until the socket and the stack gave everything back. */
  pause(_params: MiniportPauseParameters): NdisStatus {
    this.state = 'Pausing';
    this.#dropQueued();
    this.#abortWaitingSends(NDIS_STATUS_PAUSED, -1);
    this.#flushCompletions();
    if (this.#txOutstanding === 0 && this.#indicated === 0) {
      this.state = 'Paused';
      return NDIS_STATUS_SUCCESS;
    }
    this.#pausePending = true;
    return NDIS_STATUS_PENDING;
  }

  restart(): NdisStatus {
    this.state = 'Running';
    return NDIS_STATUS_SUCCESS;
  }

  /** Surprise removal: the underlay is gone. Close the socket; everything outstanding fails with ADAPTER_REMOVED. */
  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    if (event.devicePnPEvent !== NdisDevicePnPEventSurpriseRemoved) return;
    this.removed = true;
    this.socket?.close();
    this.#dropQueued();
    this.#abortWaitingSends(NDIS_STATUS_ADAPTER_REMOVED, -1);
    this.#flushCompletions();
  }

  // ---------------------------------------------------------------------------------------------
  // Transmit

  /** MiniportSendNetBufferLists. Ownership: ours until completed (now if refused, else from the DPC). */
  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    const refuse = this.removed ? NDIS_STATUS_ADAPTER_REMOVED : this.state !== 'Running' ? NDIS_STATUS_PAUSED : NDIS_STATUS_SUCCESS;
    if (refuse !== NDIS_STATUS_SUCCESS) {
      const stats = this.eth.stats;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        nbl.status = refuse;
        stats.xmitDiscards++;
      }
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    let n = 0;
    let tail: NetBufferList = nbls;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.status = NDIS_STATUS_SUCCESS;
      tail = nbl;
      n++;
    }
    this.#txOutstanding += n;
    if (this.#txTail === null) this.#txHead = nbls;
    else this.#txTail.next = nbls;
    this.#txTail = tail;
    this.#pumpTransmit();
    // NBLs that finished without the socket (refused lengths, nowhere to go) complete now.
    this.#flushCompletions();
  }

  /** Issues waiting NetBuffers while encapsulation slots are free. */
  #pumpTransmit(): void {
    const socket = this.socket;
    if (socket === null) return;
    const stats = this.eth.stats;
    const c = this.counters;
    const slab = this.#slab;
    const slotSize = this.#slotSize;
    const remotes = this.remotes;
    const fdb = this.#fdb;
    const maxFrame = this.maxFrame;
    const now = fdb === null ? 0 : this.ndis.now();
    while (this.#txHead !== null) {
      const nbl = this.#txHead;
      if (this.#txNb === null) {
        // An NBL starts only with a free slot, so NBLs that wait have issued nothing (cancellable).
        if (this.#slotTop === 0) {
          c.txSlotsExhausted++;
          return;
        }
        // Starting this NBL: refuse it whole if a NetBuffer cannot be a frame.
        let ok = nbl.firstNetBuffer !== null;
        for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          if (nb.dataLength < ETHERNET_HEADER_SIZE || nb.dataLength > maxFrame) ok = false;
        }
        if (!ok) {
          this.#dequeueHead(nbl);
          nbl.status = NDIS_STATUS_INVALID_LENGTH;
          c.txInvalidLength++;
          stats.xmitErrors++;
          this.#nblDone(nbl);
          continue;
        }
        nbl.miniportReserved[0] = 1; // the issuing reference, dropped when every NetBuffer was issued
        this.#txNb = nbl.firstNetBuffer;
      }
      while (this.#txNb !== null) {
        if (this.#slotTop === 0) {
          c.txSlotsExhausted++;
          return; // the DPC resumes when a slot frees up
        }
        const nb: NetBuffer = this.#txNb;
        this.#txNb = nb.next;
        const s = this.#slotFree[--this.#slotTop]!;
        const base = s * slotSize;
        const len = nb.dataLength;
        nb.copyOutToMdl(this.#slotMdl[s]!, VXLAN_HEADER_SIZE, 0, len);
        const f = base + VXLAN_HEADER_SIZE; // the inner frame's destination MAC
        let slot = -1;
        if ((slab[f]! & 1) === 0 && fdb !== null) slot = fdb.lookup(slab, f, now);
        const targets = slot >= 0 ? 1 : remotes.length;
        if (targets === 0) {
          this.#slotFree[this.#slotTop++] = s;
          c.txNoDestination++;
          stats.xmitDiscards++;
          continue;
        }
        this.#slotNbl[s] = nbl;
        this.#slotNb[s] = nb;
        this.#slotOk[s] = 0;
        this.#slotRefs[s] = targets + 1; // + the issuing reference
        nbl.miniportReserved[0] = (nbl.miniportReserved[0] as number) + 1;
        c.txFrames++;
        const done = this.#slotDone[s]!;
        const length = VXLAN_HEADER_SIZE + len;
        if (slot >= 0) {
          c.txUnicastLearned++;
          c.txDatagrams++;
          if (!socket.send(slab, base, length, fdb!.portAt(slot), fdb!.addressAt(slot), done)) this.#slotRefs[s]--;
        } else {
          c.txFlooded++;
          for (let i = 0; i < remotes.length; i++) {
            const r = remotes[i]!;
            c.txDatagrams++;
            if (!socket.send(slab, base, length, r.port, r.address, done)) this.#slotRefs[s]--;
          }
        }
        this.#slotRelease(s);
      }
      // Every NetBuffer of the head NBL is issued.
      this.#dequeueHead(nbl);
      this.#nblRelease(nbl);
    }
  }

  #dequeueHead(nbl: NetBufferList): void {
    this.#txHead = nbl.next;
    if (this.#txHead === null) this.#txTail = null;
    nbl.next = null;
    this.#txNb = null;
  }

  /** A datagram of slot `s` left the socket (err null) or did not. Runs on a later tick: bookkeeping only. */
  #slotSent(s: number, err: Error | null): void {
    if (err === null) {
      this.#slotOk[s]!++;
    } else {
      this.counters.txSocketErrors++;
      this.#logDrop(Drop.SendFailed, '', 0, 0, (err as Error & { code?: string }).code ?? err.message);
    }
    this.#slotRelease(s);
    this.#dpc?.queue();
  }

  #slotRelease(s: number): void {
    if (--this.#slotRefs[s]! > 0) return;
    const nbl = this.#slotNbl[s]!;
    const nb = this.#slotNb[s]!;
    this.#slotNbl[s] = null;
    this.#slotNb[s] = null;
    this.#slotFree[this.#slotTop++] = s;
    if (this.#slotOk[s]! > 0) {
      this.eth.stats.countXmit(nb);
    } else {
      // No remote took this frame.
      nbl.status = this.removed ? NDIS_STATUS_ADAPTER_REMOVED : NDIS_STATUS_FAILURE;
      this.eth.stats.xmitErrors++;
    }
    this.#nblRelease(nbl);
  }

  #nblRelease(nbl: NetBufferList): void {
    const refs = (nbl.miniportReserved[0] as number) - 1;
    if (refs > 0) {
      nbl.miniportReserved[0] = refs;
      return;
    }
    nbl.miniportReserved[0] = null;
    this.#nblDone(nbl);
  }

  #nblDone(nbl: NetBufferList): void {
    nbl.next = null;
    if (this.#doneTail === null) this.#doneHead = nbl;
    else this.#doneTail.next = nbl;
    this.#doneTail = nbl;
  }

  /** Completes every finished NBL in one call (re-entrant: a protocol may send again from its handler). */
  #flushCompletions(): void {
    const head = this.#doneHead;
    if (head === null) return;
    this.#doneHead = this.#doneTail = null;
    let n = 0;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) n++;
    this.#txOutstanding -= n;
    this.ndis.sendNetBufferListsComplete(head, 0);
  }

  /**
   * Completes NBLs still waiting for a slot with `status` (all of them, or those whose cancel id is
   * `cancelId`). The head NBL, if partly issued, stops issuing and completes when its datagrams are done.
   */
  #abortWaitingSends(status: NdisStatus, cancelId: number): void {
    let prev: NetBufferList | null = null;
    for (let nbl = this.#txHead; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      const started = nbl === this.#txHead && this.#txNb !== null;
      if (cancelId >= 0 && (started || nbl.info.cancelId !== cancelId)) {
        prev = nbl;
        nbl = next;
        continue;
      }
      if (prev === null) this.#txHead = next;
      else prev.next = next;
      if (this.#txTail === nbl) this.#txTail = prev;
      nbl.next = null;
      nbl.status = status;
      this.eth.stats.xmitDiscards++;
      if (started) {
        this.#txNb = null;
        this.#nblRelease(nbl);
      } else {
        this.#nblDone(nbl);
      }
      nbl = next;
    }
  }

  /** MiniportCancelSend: NBLs still waiting for a slot complete with NDIS_STATUS_SEND_ABORTED. */
  cancelSend(cancelId: number): void {
    this.#abortWaitingSends(NDIS_STATUS_SEND_ABORTED, cancelId);
    this.#flushCompletions();
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  /**
   * One datagram from the socket (the "interrupt"): validate, learn, filter, copy into the receive pool
   * and queue for the DPC. Never throws on any input; every datagram ends in exactly one rx* counter.
   */
  readonly receiveDatagram = (b: Uint8Array, address: string, port: number): void => {
    const c = this.counters;
    c.rxDatagrams++;
    const stats = this.eth.stats;
    const len = b.length;
    // A drop capture gets the inner frame (what follows the VXLAN header, when there is one).
    const inner = len < VXLAN_HEADER_SIZE ? len : VXLAN_HEADER_SIZE;
    if (this.state !== 'Running' || this.removed) {
      c.rxNotRunning++;
      stats.rcvDiscards++;
      this.drops?.notRunning.dropBytes(b, inner, len - inner);
      return;
    }
    const vd = this.#vxlanDrops!;
    const err = checkVxlanHeader(b, 0, len);
    if (err !== VxlanHeaderError.None) {
      stats.rcvErrors++;
      if (err === VxlanHeaderError.Truncated) {
        c.rxTruncated++;
        vd.truncated.dropBytes(b, 0, len);
        this.#logDrop(Drop.Truncated, address, port, len, '');
      } else if (err === VxlanHeaderError.MissingIFlag) {
        c.rxMissingIFlag++;
        vd.missingIFlag.dropBytes(b, inner, len - inner);
        this.#logDrop(Drop.MissingIFlag, address, port, b[0]!, '');
      } else {
        c.rxReservedBits++;
        vd.reservedBits.dropBytes(b, inner, len - inner);
        this.#logDrop(Drop.ReservedBits, address, port, b[0]!, '');
      }
      return;
    }
    const vni = vxlanVni(b, 0);
    if (vni !== this.vni) {
      c.rxUnknownVni++;
      stats.rcvDiscards++;
      vd.unknownVni.dropBytes(b, inner, len - inner);
      this.#logDrop(Drop.UnknownVni, address, port, vni, '');
      return;
    }
    const frameLen = len - VXLAN_HEADER_SIZE;
    if (frameLen < ETHERNET_HEADER_SIZE) {
      c.rxRunt++;
      stats.rcvErrors++;
      this.drops.malformedFrame.dropBytes(b, VXLAN_HEADER_SIZE, frameLen);
      this.#logDrop(Drop.Runt, address, port, frameLen, '');
      return;
    }
    if (frameLen > this.maxFrame) {
      c.rxOversize++;
      stats.rcvErrors++;
      this.drops.malformedFrame.dropBytes(b, VXLAN_HEADER_SIZE, frameLen);
      this.#logDrop(Drop.Oversize, address, port, frameLen, '');
      return;
    }
    const mac = this.mac;
    const src = VXLAN_HEADER_SIZE + 6;
    if (b[src] === mac[0] && b[src + 1] === mac[1] && b[src + 2] === mac[2] && b[src + 3] === mac[3] && b[src + 4] === mac[4] && b[src + 5] === mac[5]) {
      c.rxOwnSource++;
      stats.rcvDiscards++;
      vd.ownSource.dropBytes(b, VXLAN_HEADER_SIZE, frameLen);
      this.#logDrop(Drop.OwnSource, address, port, 0, '');
      return;
    }
    // Learn unicast, non-zero source MACs (a switch learns from every frame, whatever its destination).
    if (this.#fdb !== null && (b[src]! & 1) === 0 && (b[src]! | b[src + 1]! | b[src + 2]! | b[src + 3]! | b[src + 4]! | b[src + 5]!) !== 0) {
      this.#learn(b, src, address, port);
    }
    const eth = this.eth;
    const cls = filterAccepts(eth.packetFilter, mac, eth.multicast, b, VXLAN_HEADER_SIZE);
    if (cls < 0) {
      c.rxFiltered++;
      this.drops.addressFiltered.dropBytes(b, VXLAN_HEADER_SIZE, frameLen);
      return;
    }
    const rx = this.#rxPool!.allocate();
    if (rx === null) {
      c.rxNoBuffer++;
      stats.rcvNoBuffer++;
      this.drops.rxBufferExhausted.dropBytes(b, VXLAN_HEADER_SIZE, frameLen);
      return;
    }
    const rnb = rx.firstNetBuffer!;
    const m = rnb.poolMdl!;
    copyBytes(b, VXLAN_HEADER_SIZE, m.bytes, m.byteOffset, frameLen);
    rnb.dataLength = frameLen;
    rx.sourceHandle = this.ndis;
    stats.countRcv(cls, frameLen);
    c.rxAccepted++;
    this.#ready.push(rx);
    this.#dpc!.queue();
  };

  /** The endpoint replies to `address` go to: see the module header for the port rule. */
  #replyPort(address: string, sourcePort: number): number {
    const remotes = this.remotes;
    let byAddress = -1;
    for (let i = 0; i < remotes.length; i++) {
      const r = remotes[i]!;
      if (r.address !== address) continue;
      if (r.port === sourcePort) return sourcePort;
      if (byAddress < 0) byAddress = r.port;
    }
    return byAddress >= 0 ? byAddress : this.localPort;
  }

  #learn(b: Uint8Array, o: number, address: string, sourcePort: number): void {
    const fdb = this.#fdb!;
    const now = this.ndis.now();
    let r = fdb.learn(b, o, address, this.#replyPort(address, sourcePort), now);
    if (r === FdbLearn.Full && now - this.#lastSweep >= 1000) {
      this.#sweep();
      r = fdb.learn(b, o, address, this.#replyPort(address, sourcePort), now);
    }
    if (r === FdbLearn.Learned) this.counters.fdbLearned++;
    else if (r === FdbLearn.Moved) this.counters.fdbMoved++;
    else if (r === FdbLearn.Full) this.counters.fdbFull++;
  }

  #sweep(): void {
    if (this.#fdb === null) return;
    const now = this.ndis.now();
    this.#lastSweep = now;
    this.counters.fdbAged += this.#fdb.sweep(now);
  }

  /** The DPC: complete finished sends, resume waiting ones, indicate received frames, finish a pause. */
  #dpcRoutine(): void {
    this.#flushCompletions();
    const running = this.state === 'Running' && !this.removed;
    if (running && this.#txHead !== null && this.#slotTop > 0) {
      this.#pumpTransmit();
      this.#flushCompletions();
    }
    if (!running) {
      this.#dropQueued();
    } else {
      for (let budget = DPC_BUDGET_INDICATIONS; budget > 0 && !this.#ready.isEmpty; budget--) this.#indicateOne();
      if (!this.#ready.isEmpty) this.#dpc!.queue();
    }
    this.#checkPauseComplete();
  }

  #indicateOne(): void {
    const ready = this.#ready;
    const head = ready.take(MAX_NBLS_PER_INDICATION)!;
    const n = ready.taken;
    const pool = this.#rxPool!;
    // Low on buffers: lend them only for the duration of the call.
    const resources = pool.available < pool.capacity >> 4;
    const flags = NDIS_RECEIVE_FLAGS_PERFECT_FILTERED | NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL;
    if (resources) {
      // Taken back NBL by NBL: receivers may relink `next` while they hold the chain.
      this.#lent.indicate(this.ndis, head, 0, n, flags | NDIS_RECEIVE_FLAGS_RESOURCES, this.#freeRx);
      return;
    }
    this.#indicated += n;
    this.ndis.indicateReceiveNetBufferLists(head, 0, n, flags);
  }

  /** MiniportReturnNetBufferLists. */
  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    const pool = this.#rxPool;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      this.#indicated--;
      if (pool !== null) pool.free(nbl);
      nbl = next;
    }
    this.#checkPauseComplete();
  }

  #checkPauseComplete(): void {
    if (this.#pausePending && this.#txOutstanding === 0 && this.#indicated === 0) {
      this.#pausePending = false;
      this.state = 'Paused';
      this.ndis.pauseComplete();
    }
  }

  /** Frees frames received but not indicated (pause, removal, halt). */
  #dropQueued(): void {
    const pool = this.#rxPool;
    if (pool === null) return;
    for (let nbl = this.#ready.clear(); nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      this.drops.notRunning.drop(nbl.firstNetBuffer);
      pool.free(nbl);
      this.counters.rxDroppedQueued++;
      this.eth.stats.rcvDiscards++;
      nbl = next;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors and logging

  readonly #onSocketError = (error: Error): void => {
    this.counters.socketErrors++;
    this.#logDrop(Drop.SocketError, '', 0, 0, error.message);
  };

  /** Logs a drop reason at most once per VXLAN_LOG_INTERVAL_MS (strings are built only when logging). */
  #logDrop(reason: Drop, address: string, port: number, value: number, text: string): void {
    const now = this.ndis.now();
    if (now - this.#lastLog[reason]! < VXLAN_LOG_INTERVAL_MS) {
      this.#suppressed[reason]!++;
      return;
    }
    this.#lastLog[reason] = now;
    const suppressed = this.#suppressed[reason]!;
    this.#suppressed[reason] = 0;
    const from = address === '' ? '' : ` from ${address}:${port}`;
    let why: string;
    switch (reason) {
      case Drop.Truncated: why = `dropped a ${value}-byte datagram${from}: shorter than the VXLAN header`; break;
      case Drop.MissingIFlag: why = `dropped a datagram${from}: VXLAN flags 0x${value.toString(16).padStart(2, '0')} without the I flag`; break;
      case Drop.ReservedBits: why = `dropped a datagram${from}: reserved VXLAN header bits set (flags 0x${value.toString(16).padStart(2, '0')})`; break;
      case Drop.UnknownVni: why = `dropped a datagram${from}: VNI ${value} is not ours (${this.vni})`; break;
      case Drop.Runt: why = `dropped a datagram${from}: inner frame of ${value} bytes is shorter than an Ethernet header`; break;
      case Drop.Oversize: why = `dropped a datagram${from}: inner frame of ${value} bytes exceeds ${this.maxFrame}`; break;
      case Drop.OwnSource: why = `dropped a datagram${from}: inner source MAC is ours (a loop)`; break;
      case Drop.SendFailed: why = `a datagram was not sent: ${text}`; break;
      default: why = `socket error: ${text}`; break;
    }
    this.ndis.log('warn', suppressed > 0 ? `${why} (${suppressed} more since the last message)` : why);
  }

  // ---------------------------------------------------------------------------------------------
  // OIDs and inspection

  oidRequest(request: NdisOidRequest): NdisStatus {
    return handleEthernetOid(this.eth, request);
  }

  cancelOidRequest(_requestId: number): void {
    // Every request completes synchronously.
  }

  /** The frame statistics (OID_GEN_STATISTICS), for the inspector. */
  statistics(): Record<string, number> {
    return this.eth.stats.snapshot();
  }

  inspect(): Record<string, unknown> {
    const s = this.settings;
    return {
      local: `${s.localAddress}:${s.localPort}`,
      vni: s.vni,
      remotes: s.remotes.map((r) => `${r.address}:${r.port}`),
      learned: this.learnedEndpoints().length,
      sendsOutstanding: this.#txOutstanding,
      slotsInUse: this.slotsInUse,
      counters: { ...this.counters },
    };
  }
}
