/**
 * A virtual-wire miniport adapter (netvmini's idea, in TypeScript): an Ethernet NIC whose "hardware" is
 * a VirtualWire. Sends are copied onto the wire and completed at once; frames arriving from the wire are
 * filtered by the adapter's packet filter and multicast list, copied into this adapter's receive pool and
 * indicated from a DPC in batches (NDIS_RECEIVE_FLAGS_PERFECT_FILTERED). When the receive pool runs low
 * the adapter indicates with NDIS_RECEIVE_FLAGS_RESOURCES and takes the buffers back at once.
 *
 * States and ownership: sends are rejected with NDIS_STATUS_PAUSED unless Running; pause drops frames
 * not yet indicated and completes when every indicated NBL came back.
 *
 * Task offloads (opt-in, the standardized keywords, all 0 by default; see offload.ts): checksum offload
 * and LSOv2 on send; a receiver with RSC takes LSO frames whole as RSC units (its receive slots then hold
 * 64 KB), any other receiver gets them segmented.
 *
 * RSS (the standardized keywords, offered by default; see common/rss-miniport.ts): the adapter hashes
 * like a NIC, as frames arrive from the wire, once a protocol enabled RSS with
 * OID_GEN_RECEIVE_SCALE_PARAMETERS; NBLs carry the hash value and hash info, and the counters say which
 * receive queue (processor) the indirection table chose.
 */
import {
  ByteSpan,
  ETHERNET_HEADER_SIZE,
  LSO_V2_TRANSMIT_COMPLETE,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_ADAPTER_REMOVED,
  ENCAPSULATED_MAX_HEADER_SIZE_DEFAULT,
  NDIS_STATUS_FAILURE,
  SUPPLEMENTAL_IS_ENCAPSULATED_PACKET,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventSurpriseRemoved,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  NDIS_OFFLOAD_NONE,
  NdisPauseFunctionsUnsupported,
  OID_GEN_RECEIVE_SCALE_PARAMETERS,
  copyBytes,
  ethernetGeneralAttributes,
  lsoType,
  lsoV1TransmitCompleteValue,
  usoIpVersion,
  lsoV2IpVersion,
  parseMac,
  type MiniportAdapter,
  type MiniportAdapterHandle,
  type MiniportInitParameters,
  type MiniportPauseParameters,
  type MiniportReplicaParameters,
  type NdisPollRegistration,
  type NdisDpc,
  type NdisDropCounter,
  type NdisLinkParameters,
  type NdisLinkState,
  type NdisOffload,
  type NdisOffloadEncapsulation,
  type NdisOidRequest,
  type NdisStatus,
  type NdisTimerObject,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetDevicePnPEvent,
} from '../../../ndis/index.js';
import { ETHERNET_OIDS, EthernetMiniportState, filterAccepts, handleEthernetOid } from '../../common/ethernet-miniport.js';
import { ENCAP_NOT_ENCAPSULATED } from '../../common/encap-segment.js';
import { MAX_GSO_FRAME } from '../../common/frame-layout.js';
import { LsoSegmenter, type SegmentTarget } from '../../common/lso-segment.js';
import { largeSendRefusal } from '../../common/offload-requests.js';
import { UsoSegmenter, type UsoLimits } from '../../common/uso-segment.js';
import { LARGE_SEND_BAD_MSS } from './offload.js';

/** The sender checked the send; the receiver only cuts it. */
const NO_USO_LIMITS: UsoLimits = { maxMss: 0, maxOffLoadSize: 0, minSegmentCount: 0 };
import { MiniportOffloads, TASK_OFFLOAD_OIDS, offloadFromKeywords, softwareOffloadCapabilities, standardOffloadKeywords, withSoftwareEncapsulatedOffload } from '../../common/task-offload.js';
import { WireOffload } from './offload.js';
import { VirtualWire, type WirePort } from './wire.js';
import { stableMac } from '../../common/mac.js';
import type { MiniportRunState } from '../../common/run-state.js';
import { LentIndication, ReceiveQueue } from '../../common/receive-queue.js';
import { ReceiveDrops } from '../../common/receive-drops.js';
import { standardRssKeywords } from '../../common/rss-keywords.js';
import { RssState } from '../../common/rss-miniport.js';
import { HdSplitMiniport } from '../../common/hd-split-miniport.js';
import { WireQueue, WireRssPort, WireRssProducer, type WireQueueHost, type WireRssShared } from './rss-queues.js';

/** The offload keywords of this miniport: the standardized ones, every default 0 (offloads are opt-in). */
export const VIRTUAL_WIRE_OFFLOAD_KEYWORDS = standardOffloadKeywords(false);

/**
 * The wire's offload work finds the headers behind one 802.1Q tag as well (frame-layout.ts, and the
 * segment length allows the tag), so checksums and LSO are declared for tagged frames too
 * (NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q): a VLAN MUX above may then offer them (§1.7).
 */
function taggedToo(o: NdisOffload): NdisOffload {
  const both = NDIS_ENCAPSULATION_IEEE_802_3 | NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q;
  const d = <T extends { encapsulation: number }>(x: T): T => (x.encapsulation === NDIS_ENCAPSULATION_IEEE_802_3 ? { ...x, encapsulation: both } : x);
  const c = o.checksum;
  return {
    ...o,
    checksum: { ipv4Transmit: d(c.ipv4Transmit), ipv4Receive: d(c.ipv4Receive), ipv6Transmit: d(c.ipv6Transmit), ipv6Receive: d(c.ipv6Receive) },
    lsoV2: { ipv4: d(o.lsoV2.ipv4), ipv6: d(o.lsoV2.ipv6) },
  };
}

/** The wire's "hardware" has 16 receive queues; RSS uses one per processor. */
const RSS_LIMITS = { maxQueues: 16 } as const;
/** The standardized RSS keywords of this miniport (*RSS 1 by default: RSS is offered, off until a protocol sets it). */
export const VIRTUAL_WIRE_RSS_KEYWORDS = standardRssKeywords(RSS_LIMITS);

export { stableMac };

/** Receive indications carry at most this many NBLs; the DPC requeues itself for the rest. */
const MAX_NBLS_PER_INDICATION = 256;
/** Indications per DPC run before it yields (the NAPI-budget idea). */
const DPC_BUDGET_INDICATIONS = 4;

export class VirtualWireAdapter implements MiniportAdapter, WirePort {
  readonly ndis: MiniportAdapterHandle;
  portName = '';
  state: MiniportRunState = 'Halted';
  removed = false;
  wire: VirtualWire | null = null;
  eth!: EthernetMiniportState;
  mac: Uint8Array = new Uint8Array(6);
  frameSize = 1514;
  linkSpeedBps = 10_000_000_000n;
  /** Task offloads (null when no offload keyword is set): configuration and OIDs. */
  offloads: MiniportOffloads | null = null;
  readonly wireOffload = new WireOffload();
  /** Frames from the wire the packet filter / multicast list turned away (not for this NIC). */
  filteredOut = 0;
  /** RSS: capabilities from the keywords, parameters from the OID, the per-frame hash. */
  rss!: RssState;
  /** Header-data split (*HeaderDataSplit); null in a replica (the RSS receive queues k ≥ 1 do not split). */
  hds: HdSplitMiniport | null = null;
  /** Frames a multi-queue port could not take: the sender's processor has no rings into it. */
  rssNoRing = 0;
  /** Named drop counters (drops.ts), from the handle at initialize. */
  drops!: ReceiveDrops;
  #wireLoss: NdisDropCounter | null = null;

  /**
   * Multi-queue operation (a host with several processors and RSS offered): the port's shared record,
   * rings and counters; the senders' producers (by sending processor; the primary's only); this
   * object's queue (the primary's is queue 0, a replica's its processor's).
   */
  #mp: WireRssPort | null = null;
  readonly #producers: (WireRssProducer | undefined)[] = [];
  #queue: WireQueue | null = null;
  #pollRegistration: NdisPollRegistration | null = null;
  #queueTimer: NdisTimerObject | null = null;
  /** Non-contiguous frames are gathered here before they are hashed (multi-queue only). */
  #scratch = new Uint8Array(0);

  #rxPool: NetBufferListPool | null = null;
  /** Bytes a receive slot holds (a 64 KB unit with RSC). */
  #slotBytes = 0;
  /** Receive path: the chain being built from one sender's chain. */
  readonly #in = new ReceiveQueue();
  // LSO frames: gathered contiguous when the sender's data is not, then segmented or taken whole.
  #gather = new Uint8Array(0);
  readonly #span = new ByteSpan();
  readonly #segmenter = new LsoSegmenter();
  readonly #usoSegmenter = new UsoSegmenter();
  /** The headers of an encapsulated send, gathered for the sender's check (MaxHeaderSizeSupported). */
  readonly #encapHeader = new Uint8Array(ENCAPSULATED_MAX_HEADER_SIZE_DEFAULT);
  /** Send path: (NBL, checksum request) pairs reduced for the wire, restored after it. */
  readonly #csSaved: (NetBufferList | number)[] = [];
  #segNbl: NetBufferList | null = null;
  #segCls = 0;
  #segBits = 0;
  /** The segmenter stopped for want of a receive buffer (not a malformed frame). */
  #segNoBuffer = false;
  #dpc: NdisDpc | null = null;
  #delayTimer: NdisTimerObject | null = null;
  /** Frames copied in and waiting for the DPC. */
  readonly #ready = new ReceiveQueue();
  /** Frames held back by the wire's delay: arrival due times in `miniportReserved[0]`. */
  #delayed: NetBufferList[] = [];
  /** Indicated NBLs not yet returned. */
  #indicated = 0;
  #pausePending = false;
  readonly #lent = new LentIndication();
  readonly #freeRx = (nbl: NetBufferList): void => {
    this.#rxPool!.free(nbl);
  };

  constructor(ndis: MiniportAdapterHandle) {
    this.ndis = ndis;
  }

  get rxPool(): NetBufferListPool | null {
    return this.#rxPool;
  }

  get indicatedOutstanding(): number {
    return this.#indicated;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  initialize(params: MiniportInitParameters): NdisStatus {
    const k = params.keywords;
    const wireName = k.readString('Wire', 'default');
    this.portName = params.adapterName;
    const configured = k.read('NetworkAddress');
    const mac = typeof configured === 'string' && configured !== '' ? parseMac(configured) : null;
    this.mac = mac ?? stableMac(`${wireName}/${params.adapterName}`);
    this.frameSize = k.readInt('*JumboPacket', 1514, 1514, 16384);
    this.linkSpeedBps = BigInt(k.readInt('LinkSpeedMbps', 10_000, 1, 400_000)) * 1_000_000n;
    const rxBuffers = k.readInt('*ReceiveBuffers', 512, 16, 65536);
    this.wire = VirtualWire.named(wireName);
    const anyOffload = Object.keys(VIRTUAL_WIRE_OFFLOAD_KEYWORDS).some((kw) => k.readInt(kw, 0) !== 0);
    // RSC means 64 KB receive slots, decided once: fewer of them.
    const largeRx = anyOffload && (k.readInt('*RscIPv4', 0, 0, 1) === 1 || k.readInt('*RscIPv6', 0, 0, 1) === 1);

    this.rss = new RssState(this.ndis, k, { limits: RSS_LIMITS });
    this.drops = new ReceiveDrops(this.ndis);
    this.#wireLoss = this.ndis.dropCounter('wireLoss');

    this.ndis.setRegistrationAttributes({ checkForHangTimeInSeconds: 0 });
    const rxCapacity = largeRx ? k.readInt('LargeReceiveBuffers', 128, 16, 4096) : rxBuffers;
    this.hds = new HdSplitMiniport(this.ndis, k, rxCapacity);
    const general = ethernetGeneralAttributes({
      macAddress: this.mac,
      mtu: this.frameSize - ETHERNET_HEADER_SIZE,
      linkSpeedBps: this.linkSpeedBps,
      connected: this.wire.linkUp,
      supportedOidList: [...ETHERNET_OIDS, ...(anyOffload ? TASK_OFFLOAD_OIDS : []), ...this.rss.oids, ...this.hds.oids],
      vendorDescription: `tsndis virtual wire adapter (${wireName})`,
      ...(this.rss.capabilities === null ? {} : { recvScaleCapabilities: this.rss.capabilities }),
    });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    if (anyOffload) {
      const hardware = taggedToo(withSoftwareEncapsulatedOffload(softwareOffloadCapabilities(largeRx)));
      this.offloads = new MiniportOffloads(this.ndis, hardware, offloadFromKeywords(k, hardware), {
        apply: (next) => {
          this.#configureOffloads(next, this.offloads!.encapsulation);
          return NDIS_STATUS_SUCCESS;
        },
        encapsulationChanged: (e) => this.#configureOffloads(this.offloads!.current, e),
      });
      this.#configureOffloads(this.offloads.current, this.offloads.encapsulation);
      this.wireOffload.mtu = this.frameSize - ETHERNET_HEADER_SIZE;
      this.ndis.setOffloadAttributes(this.offloads.attributes);
      this.#gather = new Uint8Array(MAX_GSO_FRAME);
    } else {
      this.wireOffload.configure(NDIS_OFFLOAD_NONE, false, false);
    }
    // Slots rounded up so frames stay 64-byte aligned in the slab.
    // With header-data split each slot starts with BackfillSize bytes of headroom (the data buffers' backfill).
    const headroom = this.hds.headroom;
    const slot = ((largeRx ? MAX_GSO_FRAME : this.frameSize + 4) + headroom + 63) & ~63;
    this.#slotBytes = slot - headroom;
    this.#rxPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:rx`, capacity: rxCapacity, dataSize: slot });
    this.hds.reserveHeadroom(this.#rxPool);
    this.#dpc = this.ndis.allocateDpc(() => this.#indicateReady());
    this.#delayTimer = this.ndis.allocateTimer(() => this.#releaseDelayed());
    if (this.rss.processorCount > 1 && this.rss.capabilities !== null && this.ndis.registerPoll !== undefined) {
      // One receive queue per processor: the replicas find the port's shared memory in the publication.
      const port = WireRssPort.create(this.rss.processorCount, this.frameSize + 4);
      this.#mp = port;
      this.#scratch = new Uint8Array(this.frameSize + 4);
      this.ndis.publish?.({ wireRss: port.shared });
      this.#startQueue(port, 0);
    }
    this.wire.attach(this);
    this.state = 'Paused';
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * The object of processor k ≥ 1 of a multi-queue port: receive queue k, fed by the rings the senders
   * write, indicated on processor k. It never sends, never sees OIDs and is not on the wire itself.
   */
  initializeReplica(params: MiniportReplicaParameters): NdisStatus {
    const shared = (params.published as { wireRss?: WireRssShared } | null)?.wireRss;
    if (shared === undefined) return NDIS_STATUS_FAILURE;
    const k = params.keywords;
    this.portName = params.adapterName;
    this.frameSize = k.readInt('*JumboPacket', 1514, 1514, 16384);
    const slot = (this.frameSize + 4 + 63) & ~63;
    this.#slotBytes = slot;
    const capacity = k.readInt('*ReceiveBuffers', 512, 16, 65536);
    this.drops = new ReceiveDrops(this.ndis);
    this.#wireLoss = this.ndis.dropCounter('wireLoss');
    this.#rxPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:rx@${params.processorNumber}`, capacity, dataSize: slot });
    const port = WireRssPort.attach(shared);
    this.#mp = port;
    this.#startQueue(port, params.processorNumber);
    this.state = 'Paused';
    return NDIS_STATUS_SUCCESS;
  }

  #startQueue(port: WireRssPort, q: number): void {
    const adapter = this;
    const host: WireQueueHost = {
      get running() {
        return adapter.state === 'Running' && !adapter.removed;
      },
      get pool() {
        return adapter.#rxPool!;
      },
      indicate: (head, n) => {
        this.#indicated += n;
        this.ndis.indicateReceiveNetBufferLists(head, 0, n, NDIS_RECEIVE_FLAGS_PERFECT_FILTERED | NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
      },
      now: () => this.ndis.now(),
      armTimer: (ms) => this.#queueTimer!.set(ms),
      cancelTimer: () => this.#queueTimer!.cancel(),
      requestPoll: (processor) => this.#pollRegistration?.requestPoll(processor),
    };
    const queue = new WireQueue(port, q, host);
    this.#queue = queue;
    this.#queueTimer = this.ndis.allocateTimer(() => queue.timer());
    this.#pollRegistration = this.ndis.registerPoll!(queue);
  }

  halt(): void {
    this.wire?.detach(this);
    this.#pollRegistration?.remove();
    this.#pollRegistration = null;
    this.#queue?.retire();
    this.#queueTimer?.free();
    this.#dropQueued();
    this.#delayTimer?.free();
    if (this.#rxPool !== null) this.ndis.freeNetBufferListPool(this.#rxPool);
    this.#rxPool = null;
    this.state = 'Halted';
  }

  shutdown(): void {
    this.wire?.detach(this);
  }

  pause(_params: MiniportPauseParameters): NdisStatus {
    this.state = 'Pausing';
    this.#dropQueued();
    if (this.#indicated === 0) {
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

  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    if (event.devicePnPEvent === NdisDevicePnPEventSurpriseRemoved) {
      this.removed = true;
      this.wire?.detach(this);
      this.#dropQueued();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Send

  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    const wire = this.wire!;
    const stats = this.eth.stats;
    const maxLen = this.frameSize + 4; // room for one 802.1Q tag
    const base =
      this.removed ? NDIS_STATUS_ADAPTER_REMOVED
      : this.state !== 'Running' ? NDIS_STATUS_PAUSED
      : !wire.linkUp ? NDIS_STATUS_MEDIA_DISCONNECTED
      : NDIS_STATUS_SUCCESS;
    let frames = 0;
    let lsoSeen = false;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      let status = base;
      const lso = nbl.info.tcpLargeSend;
      const uso = nbl.info.udpSegmentationOffloadInfo;
      let limit = maxLen;
      if (lso !== 0) {
        lsoSeen = true;
        // §2.4 rule 10: LSO that is not (or no longer) enabled is refused.
        if (this.offloads !== null && this.wireOffload.lsoAllowed(lso)) {
          limit = MAX_GSO_FRAME;
          // An encapsulated LSO frame's TcpHeaderOffset is not valid (§6.5): the encapsulated check below covers it.
          if (status === NDIS_STATUS_SUCCESS && (nbl.info.tcpSendOffloadsSupplemental & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) === 0) {
            // The limits: MSS, headers in the first MDL, MinSegmentCount (counted by kind), then the rest
            // of what the configuration offers (MaxOffLoadSize, one NET_BUFFER).
            status = this.#checkLargeSend(nbl, lso, false);
            const nb = nbl.firstNetBuffer;
            if (status === NDIS_STATUS_SUCCESS && nb !== null) {
              status = largeSendRefusal(nb, nb.next !== null, lso, this.offloads.current, this.frameSize);
              if (status !== NDIS_STATUS_SUCCESS) this.wireOffload.counters.txLsoRefused++;
            }
          }
        } else if (status === NDIS_STATUS_SUCCESS) {
          status = NDIS_STATUS_FAILURE;
          this.wireOffload.counters.txLsoRefused++;
        }
      } else if (uso !== 0) {
        // USO turned off (or never on) is refused like LSO; the receiver cuts the datagram.
        if (this.offloads !== null && this.wireOffload.usoAllowed(uso)) {
          limit = MAX_GSO_FRAME;
          if (status === NDIS_STATUS_SUCCESS) status = this.#checkLargeSend(nbl, uso, true);
        } else if (status === NDIS_STATUS_SUCCESS) {
          status = NDIS_STATUS_FAILURE;
          this.wireOffload.counters.txUsoRefused++;
        }
      }
      // Encapsulated (NVGRE / VXLAN) offload requests: checked against the frame before it goes out.
      const supp = nbl.info.tcpSendOffloadsSupplemental;
      if ((supp & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) !== 0 && (nbl.info.tcpIpChecksum | lso) !== 0 && status === NDIS_STATUS_SUCCESS) {
        status = this.#encapSendStatus(nbl, supp);
      }
      const cs = nbl.info.tcpIpChecksum;
      if (cs !== 0 && status === NDIS_STATUS_SUCCESS) {
        // §2.2: only the checksums this adapter's configuration enables go to the wire's "hardware".
        const allowed = this.wireOffload.txChecksumRequest(cs);
        if (allowed !== cs) {
          this.#csSaved.push(nbl, cs);
          nbl.info.tcpIpChecksum = allowed;
        }
      }
      if (status === NDIS_STATUS_SUCCESS) {
        for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          const len = nb.dataLength;
          if (len < ETHERNET_HEADER_SIZE || len > limit) status = NDIS_STATUS_INVALID_LENGTH;
        }
        if (status === NDIS_STATUS_SUCCESS) {
          for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
            // Directed frames (the common case) are told apart by one byte: the group bit of the destination.
            const m = nb.currentMdl!;
            if (nb.currentMdlOffset < m.byteCount && (m.bytes[m.byteOffset + nb.currentMdlOffset]! & 1) === 0) {
              stats.directedFramesXmit++;
              stats.directedBytesXmit += nb.dataLength;
            } else {
              stats.countXmit(nb);
            }
            frames++;
          }
        } else {
          stats.xmitErrors++;
        }
      } else {
        stats.xmitDiscards++;
      }
      nbl.status = status;
    }
    // The peers copy what they accept now, so every send can complete at once (the NIC's DMA is done).
    if (frames > 0) wire.transmitChain(this, nbls, frames);
    // The protocol's checksum requests as it wrote them (reduced only for the wire's receivers).
    if (this.#csSaved.length > 0) {
      const saved = this.#csSaved;
      for (let i = 0; i < saved.length; i += 2) (saved[i] as NetBufferList).info.tcpIpChecksum = saved[i + 1] as number;
      saved.length = 0;
    }
    // LSO NBLs complete with the transmit-complete form of their info (§2.3), once the peers have read it.
    if (lsoSeen) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        const lso = nbl.info.tcpLargeSend;
        if (lso === 0) continue;
        if (lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE) nbl.info.tcpLargeSend = LSO_V2_TRANSMIT_COMPLETE;
        else {
          // LSOv1: TcpPayload = the TCP payload sent (all of it, or nothing for a refused send).
          let sent = 0;
          if (nbl.status === NDIS_STATUS_SUCCESS) for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) sent += Math.max(0, this.wireOffload.checkLargeSend(nb, lso, false));
          nbl.info.tcpLargeSend = lsoV1TransmitCompleteValue(sent);
        }
      }
    }
    this.ndis.sendNetBufferListsComplete(nbls, 0);
  }

  /** The sender's checks of an LSO/USO NBL (every NET_BUFFER); SUCCESS or the status to fail it with. */
  #checkLargeSend(nbl: NetBufferList, info: number, udp: boolean): NdisStatus {
    const o = this.wireOffload;
    for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
      const r = o.checkLargeSend(nb, info, udp);
      if (r >= 0) continue;
      o.countRefusal(r, udp);
      return r === LARGE_SEND_BAD_MSS ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_INVALID_PACKET;
    }
    return NDIS_STATUS_SUCCESS;
  }

  /** §6.3: every frame of an encapsulated send must match its supplemental info; a lying one fails the NBL. */
  #encapSendStatus(nbl: NetBufferList, supp: number): NdisStatus {
    const o = this.wireOffload;
    if (this.offloads === null) {
      o.encap.refused(ENCAP_NOT_ENCAPSULATED);
      return NDIS_STATUS_FAILURE;
    }
    const span = this.#span;
    for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
      const n = Math.min(nb.dataLength, o.encapMaxHeader);
      const m = nb.currentMdl;
      if (m === null || !nb.getDataBuffer(n, this.#encapHeader, span)) return NDIS_STATUS_INVALID_PACKET;
      const status = o.encapSendStatus(supp, span.bytes, span.offset, n, m.byteCount - nb.currentMdlOffset);
      if (status !== NDIS_STATUS_SUCCESS) return status;
    }
    return NDIS_STATUS_SUCCESS;
  }

  cancelSend(_cancelId: number): void {
    // Sends complete before sendNetBufferLists returns: nothing is ever queued to cancel.
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  /** From the wire, in the sender's call: filter, copy into receive buffers, queue them for the DPC. */
  receiveChain(nbls: NetBufferList, wire: VirtualWire, from?: WirePort): void {
    if (this.#mp !== null) {
      this.#receiveChainQueues(nbls, wire, from?.processorNumber ?? 0);
      return;
    }
    const stats = this.eth.stats;
    const drops = this.drops;
    if (this.state !== 'Running' || this.removed) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        if (nbl.status !== NDIS_STATUS_SUCCESS) continue;
        for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          stats.rcvDiscards++;
          drops.notRunning.drop(nb);
        }
      }
      return;
    }
    const pool = this.#rxPool!;
    const eth = this.eth;
    const packetFilter = eth.packetFilter;
    const multicast = eth.multicast;
    const mac = this.mac;
    const maxLen = this.frameSize + 4;
    const lossy = wire.lossy;
    const counters = wire.counters;
    const source = this.ndis;
    this.#in.clear();
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (nbl.status !== NDIS_STATUS_SUCCESS) continue;
      // The sender's offload requests: done here, on this adapter's copy.
      const cs = nbl.info.tcpIpChecksum;
      const lso = nbl.info.tcpLargeSend;
      const uso = lso === 0 ? nbl.info.udpSegmentationOffloadInfo : 0;
      const supp = nbl.info.tcpSendOffloadsSupplemental;
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        const len = nb.dataLength;
        if (len < ETHERNET_HEADER_SIZE || len > ((lso | uso) === 0 ? maxLen : MAX_GSO_FRAME)) {
          stats.rcvErrors++;
          drops.malformedFrame.drop(nb);
          continue;
        }
        if (lossy && wire.lose()) {
          this.#wireLoss!.drop(nb);
          continue;
        }
        counters.delivered++;
        const m = nb.currentMdl!;
        let cls: number;
        if (nb.currentMdlOffset + 6 <= m.byteCount) {
          cls = filterAccepts(packetFilter, mac, multicast, m.bytes, m.byteOffset + nb.currentMdlOffset);
        } else {
          const dst = new Uint8Array(6);
          nb.copyOut(dst, 0, 0, 6);
          cls = filterAccepts(packetFilter, mac, multicast, dst, 0);
        }
        if (cls < 0) {
          // Not for us: a NIC's address filter drops it without an error; counted for the inspector.
          this.filteredOut++;
          drops.addressFiltered.drop(nb);
          continue;
        }
        if (lso !== 0) {
          this.#receiveLargeSend(nb, len, lso, cls, supp);
          continue;
        }
        if (uso !== 0) {
          this.#receiveUdpSegmentation(nb, len, uso, cls);
          continue;
        }
        const rx = pool.allocate();
        if (rx === null) {
          stats.rcvNoBuffer++;
          drops.rxBufferExhausted.drop(nb);
          continue;
        }
        const rnb = rx.firstNetBuffer!;
        nb.copyOutToMdl(rnb.poolMdl!, 0, 0, len);
        rnb.dataLength = len;
        if (cs !== 0) rx.info.tcpIpChecksum = this.wireOffload.finishFrame(cs, supp, rnb.poolMdl!.bytes, rnb.poolMdl!.byteOffset, len);
        rx.sourceHandle = source;
        stats.countRcv(cls, len);
        this.#split(rx);
        this.#in.push(rx);
      }
    }
    if (this.#in.isEmpty) return;
    // The NIC's classification, as the frames land in its receive buffers.
    if (this.rss.active) this.rss.hashChain(this.#in.head);
    const delayMs = wire.delayMs;
    if (delayMs > 0) {
      const head = this.#in.clear();
      const due = this.ndis.now() + delayMs;
      const wasEmpty = this.#delayed.length === 0;
      for (let rx: NetBufferList | null = head; rx !== null; ) {
        const next: NetBufferList | null = rx.next;
        rx.next = null;
        rx.miniportReserved[0] = due;
        this.#delayed.push(rx);
        rx = next;
      }
      if (wasEmpty) this.#delayTimer!.set(delayMs);
      return;
    }
    this.#ready.pushAll(this.#in);
    this.#dpc!.queue();
  }

  /** The sending processor (the wire tells receivers, whose rings are per sender). */
  get processorNumber(): number {
    return this.ndis.processorNumber;
  }

  /**
   * receiveChain of a multi-queue port, on the sending processor: the NIC's classification before its
   * DMA. Each frame is filtered, hashed with this port's key and copied into the ring of the queue the
   * indirection table selects (the default processor's without a hash); that queue's processor indicates
   * it. LSO frames take the one-processor path (segmented or whole into processor 0's buffers).
   */
  #receiveChainQueues(nbls: NetBufferList, wire: VirtualWire, sender: number): void {
    const stats = this.eth.stats;
    const drops = this.drops;
    const port = this.#mp!;
    if (this.state !== 'Running' || this.removed || sender >= port.queues) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        if (nbl.status !== NDIS_STATUS_SUCCESS) continue;
        for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          stats.rcvDiscards++;
          if (sender >= port.queues) {
            this.rssNoRing++;
            drops.receiveQueueFull.drop(nb);
          } else {
            drops.notRunning.drop(nb);
          }
        }
      }
      return;
    }
    let producer = this.#producers[sender];
    if (producer === undefined) {
      producer = new WireRssProducer(port, sender);
      producer.requestPoll = (q) => this.#pollRegistration?.requestPoll(q);
      this.#producers[sender] = producer;
    }
    const eth = this.eth;
    const packetFilter = eth.packetFilter;
    const multicast = eth.multicast;
    const mac = this.mac;
    const maxLen = this.frameSize + 4;
    const lossy = wire.lossy;
    const counters = wire.counters;
    const scratch = this.#scratch;
    this.#in.clear();
    producer.begin();
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (nbl.status !== NDIS_STATUS_SUCCESS) continue;
      const cs = nbl.info.tcpIpChecksum;
      const lso = nbl.info.tcpLargeSend;
      const uso = lso === 0 ? nbl.info.udpSegmentationOffloadInfo : 0;
      const supp = nbl.info.tcpSendOffloadsSupplemental;
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        const len = nb.dataLength;
        if (len < ETHERNET_HEADER_SIZE || len > ((lso | uso) === 0 ? maxLen : MAX_GSO_FRAME)) {
          stats.rcvErrors++;
          drops.malformedFrame.drop(nb);
          continue;
        }
        if (lossy && wire.lose()) {
          this.#wireLoss!.drop(nb);
          continue;
        }
        counters.delivered++;
        const m = nb.currentMdl!;
        let src = m.bytes;
        let at = m.byteOffset + nb.currentMdlOffset;
        if ((lso | uso) === 0 && m.byteCount - nb.currentMdlOffset < len) {
          nb.copyOut(scratch, 0, 0, len);
          src = scratch;
          at = 0;
        }
        let cls: number;
        if (nb.currentMdlOffset + 6 <= m.byteCount) cls = filterAccepts(packetFilter, mac, multicast, m.bytes, m.byteOffset + nb.currentMdlOffset);
        else {
          nb.copyOut(scratch, 0, 0, 6);
          cls = filterAccepts(packetFilter, mac, multicast, scratch, 0);
        }
        if (cls < 0) {
          this.filteredOut++;
          drops.addressFiltered.drop(nb);
          continue;
        }
        if (lso !== 0) {
          this.#receiveLargeSend(nb, len, lso, cls, supp);
          continue;
        }
        if (uso !== 0) {
          this.#receiveUdpSegmentation(nb, len, uso, cls);
          continue;
        }
        const q = producer.select(src, at, len);
        const dst = producer.reserve(q);
        if (dst < 0) {
          stats.rcvNoBuffer++;
          drops.receiveQueueFull.drop(nb);
          continue;
        }
        const bytes = producer.bytes(q);
        copyBytes(src, at, bytes, dst, len);
        producer.commit(q, len, cs === 0 ? 0 : this.wireOffload.finishFrame(cs, supp, bytes, dst, len));
        stats.countRcv(cls, len);
      }
    }
    producer.end();
    if (this.#in.isEmpty) return;
    this.#ready.pushAll(this.#in);
    this.#dpc!.queue();
  }

  /** An LSO frame from the wire: whole, as an RSC unit, when RSC is on for its IP version; else segmented. */
  #receiveLargeSend(nb: NetBuffer, len: number, lso: number, cls: number, supp: number): void {
    const stats = this.eth.stats;
    const o = this.wireOffload;
    const span = this.#span;
    // A receiver without offloads of its own still takes a sender's large send (segmented): its gather
    // buffer is made the first time one arrives.
    if (this.#gather.length < len && len <= MAX_GSO_FRAME) this.#gather = new Uint8Array(MAX_GSO_FRAME);
    if (this.#gather.length < len || !nb.getDataBuffer(len, this.#gather, span)) {
      o.counters.rxOffloadDropped++;
      stats.rcvErrors++;
      this.drops.malformedFrame.drop(nb);
      return;
    }
    if ((supp & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) !== 0) {
      this.#receiveEncapsulatedLargeSend(nb, len, lso, cls, supp);
      return;
    }
    const pool = this.#rxPool!;
    if (lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE && o.rscOn(lso) && len <= this.#slotBytes) {
      const rx = pool.allocate();
      if (rx === null) {
        stats.rcvNoBuffer++;
        this.drops.rxBufferExhausted.drop(nb);
        return;
      }
      const rnb = rx.firstNetBuffer!;
      const m = rnb.poolMdl!;
      copyBytes(span.bytes, span.offset, m.bytes, m.byteOffset, len);
      if (!o.finishSuperFrame(lso, rx, m.bytes, m.byteOffset, len)) {
        pool.free(rx);
        stats.rcvErrors++;
        this.drops.malformedFrame.drop(nb);
        return;
      }
      rnb.dataLength = len;
      rx.sourceHandle = this.ndis;
      stats.countRcv(cls, len);
      this.#split(rx);
      this.#in.push(rx);
      return;
    }
    this.#segCls = cls;
    this.#segBits = o.tcpValidBits(lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE && lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6);
    this.#segNoBuffer = false;
    const made = this.#segmenter.segment(span.bytes, span.offset, len, lso, this.#segNext, this.#segDone);
    if (made < 0) {
      o.counters.rxOffloadDropped++;
      stats.rcvErrors++;
      (this.#segNoBuffer ? this.drops.rxBufferExhausted : this.drops.malformedFrame).drop(nb);
      return;
    }
    o.counters.rxSegmentedFrames++;
  }

  /** A USO datagram from the wire: cut here into the datagrams the sender's NIC would have sent. */
  #receiveUdpSegmentation(nb: NetBuffer, len: number, uso: number, cls: number): void {
    const stats = this.eth.stats;
    const o = this.wireOffload;
    const span = this.#span;
    if (this.#gather.length < len || !nb.getDataBuffer(len, this.#gather, span)) {
      o.counters.rxOffloadDropped++;
      stats.rcvErrors++;
      this.drops.malformedFrame.drop(nb);
      return;
    }
    this.#segCls = cls;
    this.#segBits = o.udpValidBits(usoIpVersion(uso) === NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6);
    this.#segNoBuffer = false;
    const made = this.#usoSegmenter.segment(span.bytes, span.offset, len, uso, NO_USO_LIMITS, this.#segNext, this.#segDone);
    if (made < 0) {
      o.counters.rxOffloadDropped++;
      stats.rcvErrors++;
      (this.#segNoBuffer ? this.drops.rxBufferExhausted : this.drops.malformedFrame).drop(nb);
      return;
    }
    o.counters.rxUsoSegmentedFrames++;
    o.counters.rxUsoDatagrams += made;
  }

  /** An encapsulated LSO frame (gathered in #span): always cut into encapsulated MSS-sized segments (§6.5). */
  #receiveEncapsulatedLargeSend(nb: NetBuffer, len: number, lso: number, cls: number, supp: number): void {
    const o = this.wireOffload;
    const span = this.#span;
    this.#segCls = cls;
    this.#segNoBuffer = false;
    let made = -1;
    if (o.locateEncapsulatedLso(supp, span.bytes, span.offset, len)) {
      this.#segBits = o.encapTcpValidBits();
      made = o.encap.segment(span.bytes, span.offset, len, lso, this.#segNext, this.#segDone);
    }
    if (made < 0) {
      o.counters.rxOffloadDropped++;
      this.eth.stats.rcvErrors++;
      (this.#segNoBuffer ? this.drops.rxBufferExhausted : this.drops.malformedFrame).drop(nb);
      return;
    }
    o.counters.rxSegmentedFrames++;
  }

  /** Each segment goes straight into a receive buffer of this adapter. */
  readonly #segNext = (length: number, _index: number, t: SegmentTarget): boolean => {
    if (length > this.#slotBytes) return false;
    const rx = this.#rxPool!.allocate();
    if (rx === null) {
      this.eth.stats.rcvNoBuffer++;
      this.#segNoBuffer = true;
      return false;
    }
    const m = rx.firstNetBuffer!.poolMdl!;
    this.#segNbl = rx;
    t.bytes = m.bytes;
    t.offset = m.byteOffset;
    return true;
  };

  readonly #segDone = (length: number): void => {
    const rx = this.#segNbl!;
    this.#segNbl = null;
    rx.firstNetBuffer!.dataLength = length;
    rx.info.tcpIpChecksum = this.#segBits;
    rx.sourceHandle = this.ndis;
    this.eth.stats.countRcv(this.#segCls, length);
    this.wireOffload.counters.rxSegments++;
    this.#split(rx);
    this.#in.push(rx);
  };

  /** Header-data split of a frame just copied into a receive buffer (at the slot's start: the header is the backfill). */
  #split(rx: NetBufferList): void {
    const hds = this.hds;
    if (hds === null || !hds.active) return;
    const nb = rx.firstNetBuffer!;
    const m = nb.poolMdl!;
    hds.split(rx, m.bytes, m.byteOffset - hds.headroom, m.byteOffset, nb.dataLength);
  }

  #releaseDelayed(): void {
    const now = this.ndis.now();
    let i = 0;
    const d = this.#delayed;
    while (i < d.length && (d[i]!.miniportReserved[0] as number) <= now) {
      const nbl = d[i++]!;
      nbl.miniportReserved[0] = null;
      this.#ready.push(nbl);
    }
    if (i > 0) {
      d.splice(0, i);
      this.#dpc!.queue();
    }
    if (d.length > 0) this.#delayTimer!.set(Math.max(0, (d[0]!.miniportReserved[0] as number) - now));
  }

  /**
   * The DPC: indicate what is ready, at most MAX_NBLS_PER_INDICATION per indication and
   * DPC_BUDGET_INDICATIONS indications per run (then it requeues itself, so other work gets a turn).
   */
  #indicateReady(): void {
    if (this.state !== 'Running' || this.removed) {
      this.#dropQueued();
      return;
    }
    for (let budget = DPC_BUDGET_INDICATIONS; budget > 0 && !this.#ready.isEmpty; budget--) this.#indicateOne();
    if (!this.#ready.isEmpty) this.#dpc!.queue();
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
      this.#lent.indicate(this.ndis, head, 0, n, flags | NDIS_RECEIVE_FLAGS_RESOURCES, this.#freeRx);
      return;
    }
    this.#indicated += n;
    this.ndis.indicateReceiveNetBufferLists(head, 0, n, flags);
  }

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    const pool = this.#rxPool;
    const queue = this.#queue;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      this.#indicated--;
      if (queue !== null && nbl.miniportReserved[1] !== null) {
        queue.returned(nbl);
        nbl.miniportReserved[1] = null;
      }
      if (pool !== null) pool.free(nbl);
      nbl = next;
    }
    if (this.#pausePending && this.#indicated === 0) {
      this.#pausePending = false;
      this.state = 'Paused';
      this.ndis.pauseComplete();
    }
  }

  /** Frees frames copied in but not indicated (pause, removal, halt). */
  #dropQueued(): void {
    const pool = this.#rxPool;
    if (pool === null) return;
    for (let nbl = this.#ready.clear(); nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      this.drops.notRunning.drop(nbl.firstNetBuffer);
      pool.free(nbl);
      this.eth.stats.rcvDiscards++;
      nbl = next;
    }
    for (const nbl of this.#delayed) {
      nbl.miniportReserved[0] = null;
      this.drops.notRunning.drop(nbl.firstNetBuffer);
      pool.free(nbl);
      this.eth.stats.rcvDiscards++;
    }
    this.#delayed = [];
    this.#delayTimer?.cancel();
  }

  // ---------------------------------------------------------------------------------------------
  // Link and OIDs

  linkChanged(up: boolean): void {
    if (this.state === 'Halted' || this.removed) return;
    const linkState: NdisLinkState = {
      mediaConnectState: up ? MediaConnectStateConnected : MediaConnectStateDisconnected,
      mediaDuplexState: MediaDuplexStateFull,
      xmitLinkSpeed: this.linkSpeedBps,
      rcvLinkSpeed: this.linkSpeedBps,
      pauseFunctions: NdisPauseFunctionsUnsupported,
      autoNegotiationFlags: NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED,
    };
    this.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: linkState });
  }

  #configureOffloads(current: NdisOffload, e: NdisOffloadEncapsulation): void {
    this.wireOffload.configure(current, e.ipv4.enabled === 1, e.ipv6.enabled === 1);
    this.rss.setEncapsulation(current);
  }

  oidRequest(request: NdisOidRequest): NdisStatus {
    if (this.offloads !== null) {
      const status = this.offloads.handleOid(request);
      if (status !== NDIS_STATUS_INVALID_OID) return status;
    }
    const hds = this.hds?.handleOid(request) ?? NDIS_STATUS_INVALID_OID;
    if (hds !== NDIS_STATUS_INVALID_OID) return hds;
    const rss = this.rss.handleOid(request);
    if (rss !== NDIS_STATUS_INVALID_OID) {
      // A new table for the senders: a new generation, fenced in every ring (rss-queues.ts).
      if (rss === NDIS_STATUS_SUCCESS && this.#mp !== null && request.isSet && request.oid === OID_GEN_RECEIVE_SCALE_PARAMETERS) {
        this.#mp.write(this.rss.settings);
        // Every queue drains the new generation, traffic or not.
        for (let q = 0; q < this.#mp.queues; q++) this.#pollRegistration?.requestPoll(q);
      }
      return rss;
    }
    return handleEthernetOid(this.eth, request, {
      linkParameters: (p: NdisLinkParameters) => {
        if (p.xmitLinkSpeed > 0n) this.linkSpeedBps = p.xmitLinkSpeed;
        this.linkChanged(this.wire?.linkUp ?? false);
        return NDIS_STATUS_SUCCESS;
      },
    });
  }

  cancelOidRequest(_requestId: number): void {
    // Every request completes synchronously.
  }

  /** The frame statistics (OID_GEN_STATISTICS), for the inspector. */
  statistics(): Record<string, number> {
    return this.eth.stats.snapshot();
  }

  /** Shown by the inspector: the address filter's drops, the wire's counters, offload work when configured, RSS. */
  inspect(): Record<string, unknown> {
    const w = this.wire;
    return {
      filteredOut: this.filteredOut,
      ...(w === null ? {} : { wire: { ...w.counters } }),
      ...(this.offloads === null ? {} : { offload: { ...this.wireOffload.counters, ...this.offloads.setCounters }, encapsulatedOffload: { ...this.wireOffload.encap.counters } }),
      ...this.rss?.snapshot(),
      ...(this.hds?.splitter == null ? {} : { hdSplit: this.hds.snapshot() }),
      ...(this.#mp === null ? {} : { rssNoRing: this.rssNoRing, rssQueues: Array.from({ length: this.#mp.queues }, (_, q) => this.#mp!.queueCounters(q)) }),
    };
  }
}
