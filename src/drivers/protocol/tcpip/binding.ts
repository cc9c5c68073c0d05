/**
 * The NDIS side of tsndis.tcpip on one adapter (ProtocolBindingContext): open, packet filter and
 * multicast list, send pools, receive dispatch, pause/restart/unbind and status indications. The IP
 * state of the adapter lives in its `IpInterface`; this class is the interface's `LinkPort`.
 *
 * Bind: open the adapter, read the keywords, size the send pool for MTU frames plus the adapter's
 * DataBackFillSize (a TAP puts its virtio-net header there) plus our headroom, create the interface
 * (addresses, routes, static neighbours), then set the packet filter (directed | multicast | broadcast,
 * ALL_MULTICAST when our groups exceed the adapter's list) and OID_802_3_MULTICAST_LIST (IPv4
 * all-hosts, IPv6 all-nodes and the solicited-node group of every IPv6 address). An LSO pool of 64 KiB
 * buffers exists only when the adapter advertises LSOv2.
 *
 * Receive (Running only; else counted and returned): each NB is parsed in place when its frame is in one
 * MDL (copied into one reusable buffer otherwise), the whole indication is one stack batch, and every
 * NBL goes back before the handler returns (none is kept; with NDIS_RECEIVE_FLAGS_RESOURCES nothing is
 * returned, as the rule says).
 *
 * Send: frames queue on a chain that the stack flushes with one NdisSendNetBufferLists per batch. Pause
 * stops sending and completes when every send came back; unbind frees everything (pools end full).
 *
 * Addresses and routes are fixed at bind (keywords); restart and link-up re-announce them (gratuitous
 * ARP, DAD), which runs from a work item so no frame is sent before NDIS considers the binding Running.
 */
import {
  MediaConnectStateDisconnected,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG,
  NDIS_NBL_FLAGS_HD_SPLIT,
  CHECKSUM_RX_IP_CHECKSUM_FAILED,
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID,
  CHECKSUM_RX_TCP_CHECKSUM_FAILED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID,
  CHECKSUM_RX_UDP_CHECKSUM_FAILED,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  NdisMedium802_3,
  NdisOidRequest,
  NetEventPause,
  NetEventRestart,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_SET_ON,
  isOffloadNone,
  multicastListCodec,
  offloadEncapsulationCodec,
  packetFilterCodec,
  receiveScaleParametersCodec,
  rscCoalescedSegCount,
  type BindParameters,
  type ConfigurationReader,
  type NdisLinkState,
  type NdisHdSplitCurrentConfig,
  type NdisOffload,
  type NdisStatus,
  type NdisStatusIndication,
  type NdisDropSourceRegistration,
  type Mdl,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
  type UnbindParameters,
} from '../../../ndis/index.js';
import { mac as parseMac } from '../../../wire/index.js';
import { parseIpAddress, parsePrefix, parseRouteSpec } from './addr.js';
import { interfaceAddressProblem } from './keyword-checks.js';
import { nonZeroCounters } from './counters.js';
import { TcpLayer } from './tcp/layer.js';
import type { IpInterface, LinkPort } from './interface.js';
import { IP_HEADROOM, LINK_HEADROOM } from './output.js';
import { RxChecksum, TxBuffer, TxKind } from './packet.js';
import { tcpipRssParameters } from './rss.js';
import { Route } from './route.js';
import type { TcpIpStack } from './stack.js';

/** The largest frame a multi-MDL receive is copied into (a 64 KiB RSC frame plus headers). */
const COPY_BUFFER_SIZE = 65536 + 64;
/** LSO buffers: 64 KiB of TCP payload after the largest TCP header. */
const LSO_TRANSPORT_CAPACITY = 65535;

/** Where a binding is in its life (NDIS ProtocolBindAdapterEx … ProtocolUnbindAdapterEx, pause and restart). */
export type TcpIpBindingState = 'unbound' | 'binding' | 'paused' | 'restarting' | 'running' | 'pausing';

function list(k: ConfigurationReader, keyword: string): string[] {
  const v = k.read(keyword);
  if (v === undefined || v === '') return [];
  if (Array.isArray(v)) return v.map(String).filter((s) => s.trim() !== '');
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export class TcpIpBinding implements ProtocolBinding, LinkPort {
  readonly ndis: ProtocolBindingHandle;
  /** The stack's drop source as registered through this binding (drops.ts); null while unbound. */
  #drops: NdisDropSourceRegistration | null = null;
  readonly stack: TcpIpStack;
  adapterName = '';
  state: TcpIpBindingState = 'unbound';
  iface: IpInterface | null = null;
  sendPool: NetBufferListPool | null = null;
  lsoPool: NetBufferListPool | null = null;
  sendsOutstanding = 0;
  /** @internal */
  transportStart = 0;
  /** @internal */
  transportCapacity = 0;
  /** @internal */
  largeTransportCapacity = 0;
  #txBuffers: (TxBuffer | null)[] = [];
  #lsoTxBuffers: (TxBuffer | null)[] = [];
  #head: NetBufferList | null = null;
  #tail: NetBufferList | null = null;
  #count = 0;
  #lsoPoolSize = 0;
  #copy: Uint8Array | null = null;
  /** Header-data split: the backfill the adapter keeps before each data buffer (0: no split frames). */
  #hdsBackfill = 0;
  #packetFilter = 0;
  #bindRequest: NdisOidRequest | null = null;
  #bindStage: 'filter' | 'multicast' | 'encapsulation' | 'rss' | null = null;
  /** The adapter can offload something: tell it our encapsulation at bind (OID_OFFLOAD_ENCAPSULATION). */
  #offloadCapable = false;
  /** ReceiveSideScaling: what became of the RSS set at bind ('' when the keyword is off). */
  #rss: '' | 'requested' | 'on' | 'not offered' | 'refused' = '';
  #rssCapabilities: BindParameters['generalAttributes']['recvScaleCapabilities'];
  #multicastRequest: NdisOidRequest | null = null;
  #multicastDirty = false;
  #maxMulticast = 0;
  #onBound: (b: TcpIpBinding) => void;
  #onUnbound: (b: TcpIpBinding) => void;

  constructor(ndis: ProtocolBindingHandle, stack: TcpIpStack, onBound: (b: TcpIpBinding) => void, onUnbound: (b: TcpIpBinding) => void) {
    this.ndis = ndis;
    this.stack = stack;
    this.#onBound = onBound;
    this.#onUnbound = onUnbound;
  }

  /** @internal */
  get handle(): ProtocolBindingHandle {
    return this.ndis;
  }

  // ---------------------------------------------------------------------------------------------
  // Bind / unbind

  bindAdapter(params: BindParameters): NdisStatus {
    const open = this.ndis.openAdapter([NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) return open.status;
    this.state = 'binding';
    this.adapterName = params.adapterName;
    this.#hdsBackfill = params.hdSplitCurrentConfig?.backfillSize ?? 0;
    const k = params.keywords;
    const g = params.generalAttributes;
    const configured = k.readInt('Mtu', 0, 0, 65535);
    const mtu = configured === 0 ? g.mtuSize : Math.min(configured, g.mtuSize);
    if (mtu < 68) {
      this.ndis.log('error', `MTU ${mtu} is below the IPv4 minimum of 68`);
      this.ndis.closeAdapter();
      return NDIS_STATUS_FAILURE;
    }
    const ipv6 = k.readBoolean('IPv6', true) && mtu >= 1280;
    // [adapter backfill][Ethernet + tag][IP (+ fragment header)][transport …], rounded to 64 bytes.
    this.transportStart = g.dataBackFillSize + LINK_HEADROOM + IP_HEADROOM;
    const slot = (this.transportStart + mtu + 63) & ~63;
    this.transportCapacity = slot - this.transportStart;
    const poolSize = k.readInt('SendPoolSize', 512, 16, 1 << 16);
    this.#lsoPoolSize = k.readInt('LsoPoolSize', 32, 0, 4096);
    this.sendPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:tcpip-tx`, capacity: poolSize, dataSize: slot });
    this.#txBuffers = new Array<TxBuffer | null>(poolSize).fill(null);
    this.#maxMulticast = g.maxMulticastListSize;
    const short = params.adapterName.slice(params.adapterName.lastIndexOf('/') + 1);
    const vlanId = k.readInt('VlanId', 0, 0, 4094);
    let iface: IpInterface;
    try {
      iface = this.stack.createInterface(this, short, params.adapterName, g.currentMacAddress.slice(), {
        mtu,
        vlanId,
        ipv6,
        dad: k.readBoolean('Dad', true),
        dadTransmits: k.readInt('DadTransmits', 1, 1, 10),
        neighborCacheSize: k.readInt('NeighborCacheSize', 256, 4, 65536),
        neighbor: {
          retransTimerMs: k.readInt('RetransTimerMs', 1000, 10, 600_000),
          reachableTimeMs: k.readInt('ReachableTimeMs', 30_000, 100, 3_600_000),
          queueLimit: k.readInt('NeighborQueueLength', 64, 1, 4096),
          maxIncomplete: k.readInt('NeighborMaxIncomplete', 64, 1, 65536),
          queueTotal: k.readInt('NeighborQueueTotal', 128, 1, 65536),
          solicitRate: k.readInt('NeighborSolicitRate', 100, 0, 1_000_000),
        },
      });
    } catch (e) {
      return this.#failBind(`cannot create the interface: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.iface = iface;
    iface.linkUp = g.mediaConnectState !== MediaConnectStateDisconnected;
    this.#adoptOffload(params.defaultOffloadConfiguration);
    this.#offloadCapable = !isOffloadNone(params.hardwareOffloadCapabilities);
    this.#rssCapabilities = g.recvScaleCapabilities;
    this.#rss = k.readBoolean('ReceiveSideScaling', false) ? (g.recvScaleCapabilities === undefined ? 'not offered' : 'requested') : '';
    try {
      this.#configure(k, iface);
    } catch (e) {
      return this.#failBind(e instanceof Error ? e.message : String(e));
    }
    const groups = iface.multicastMacs();
    this.#packetFilter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
    if (groups.length > this.#maxMulticast) this.#packetFilter |= NDIS_PACKET_TYPE_ALL_MULTICAST;
    this.#bindStage = 'filter';
    this.#bindRequest = NdisOidRequest.set(packetFilterCodec, this.#packetFilter);
    const status = this.ndis.oidRequest(this.#bindRequest);
    if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
    return this.#bindStep(status);
  }

  /** Addresses, gateways, routes and static neighbours from the keywords (throws on bad text). */
  #configure(k: ConfigurationReader, iface: IpInterface): void {
    for (const text of list(k, 'IPAddress')) {
      const why = interfaceAddressProblem(text, 4);
      if (why !== undefined) throw new TypeError(`IPAddress '${text}': ${why}`);
      const p = parsePrefix(text);
      if (p.address.family !== 4) throw new TypeError(`IPAddress '${text}' is not IPv4`);
      iface.addIpv4(p.address.v4, p.prefixLength);
    }
    if (iface.ipv6Enabled) {
      iface.addLinkLocal();
      for (const text of list(k, 'IPv6Address')) {
        const why = interfaceAddressProblem(text, 6);
        if (why !== undefined) throw new TypeError(`IPv6Address '${text}': ${why}`);
        const p = parsePrefix(text);
        if (p.address.family !== 6) throw new TypeError(`IPv6Address '${text}' is not IPv6`);
        iface.addIpv6(p.address.v6, p.prefixLength);
      }
    }
    const gw4 = k.readString('DefaultGateway', '').trim();
    if (gw4 !== '') {
      const a = parseIpAddress(gw4);
      if (a.family !== 4) throw new TypeError(`DefaultGateway '${gw4}' is not IPv4`);
      this.stack.addRoute(Route.v4(0, 0, a.v4, iface, k.readInt('GatewayMetric', 0, 0, 65535), 'default'));
    }
    const gw6 = k.readString('IPv6DefaultGateway', '').trim();
    if (gw6 !== '' && iface.ipv6Enabled) {
      const a = parseIpAddress(gw6);
      if (a.family !== 6) throw new TypeError(`IPv6DefaultGateway '${gw6}' is not IPv6`);
      this.stack.addRoute(Route.v6(new Uint8Array(16), 0, a.v6, iface, k.readInt('GatewayMetric', 0, 0, 65535), 'default'));
    }
    for (const text of list(k, 'Routes')) {
      const r = parseRouteSpec(text);
      const d = r.destination;
      if (d.address.family === 4) this.stack.addRoute(Route.v4(d.address.v4, d.prefixLength, r.gateway === null ? null : r.gateway.v4, iface, r.metric, 'static'));
      else if (iface.ipv6Enabled) this.stack.addRoute(Route.v6(d.address.v6, d.prefixLength, r.gateway === null ? null : r.gateway.v6, iface, r.metric, 'static'));
    }
    for (const text of list(k, 'Neighbors')) {
      const [addr, hw] = text.trim().split(/\s+/);
      if (addr === undefined || hw === undefined) throw new TypeError(`Neighbors '${text}': expected '<address> <mac>'`);
      const a = parseIpAddress(addr);
      const m = parseMac(hw);
      if (a.family === 4) iface.neighbors4.addStatic(a.v4, null, m);
      else iface.neighbors6.addStatic(0, a.v6, m);
    }
  }

  #failBind(why: string): NdisStatus {
    this.ndis.log('error', why);
    this.#release();
    this.ndis.closeAdapter();
    this.state = 'unbound';
    return NDIS_STATUS_FAILURE;
  }

  /** Packet filter done → multicast list → offload encapsulation → RSS parameters → bound. */
  #bindStep(status: NdisStatus): NdisStatus {
    if (this.#bindStage === 'filter') {
      if (status !== NDIS_STATUS_SUCCESS) return this.#failBind(`setting the packet filter failed (0x${status.toString(16)})`);
      if ((this.#packetFilter & NDIS_PACKET_TYPE_ALL_MULTICAST) === 0) {
        this.#bindStage = 'multicast';
        this.#bindRequest = NdisOidRequest.set(multicastListCodec, this.iface!.multicastMacs());
        const s = this.ndis.oidRequest(this.#bindRequest);
        return s === NDIS_STATUS_PENDING ? s : this.#bindStep(s);
      }
      this.#bindStage = 'multicast';
      status = NDIS_STATUS_SUCCESS;
    }
    if (this.#bindStage === 'multicast') {
      if (status !== NDIS_STATUS_SUCCESS) {
        // Without the list the adapter may drop ND multicasts; keep going, IPv4 works regardless.
        this.ndis.log('warn', `OID_802_3_MULTICAST_LIST failed (0x${status.toString(16)}): IPv6 neighbour discovery may not work`);
      }
      if (this.#offloadCapable) {
        // Adapters start receive offloads (checksum validation, RSC) only once they know the framing.
        this.#bindStage = 'encapsulation';
        const on = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
        this.#bindRequest = NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: on, ipv6: on });
        const s = this.ndis.oidRequest(this.#bindRequest);
        return s === NDIS_STATUS_PENDING ? s : this.#bindStep(s);
      }
    } else if (this.#bindStage === 'encapsulation' && status !== NDIS_STATUS_SUCCESS) {
      this.ndis.log('warn', `OID_OFFLOAD_ENCAPSULATION failed (0x${status.toString(16)}): the adapter keeps its receive offloads off`);
    }
    if (this.#bindStage !== 'rss' && this.#rss === 'requested') {
      // As Windows' TCP/IP: turn RSS on with our own key (ReceiveSideScaling keyword).
      this.#bindStage = 'rss';
      this.#bindRequest = NdisOidRequest.set(receiveScaleParametersCodec, tcpipRssParameters(this.#rssCapabilities!, [0]));
      const s = this.ndis.oidRequest(this.#bindRequest);
      return s === NDIS_STATUS_PENDING ? s : this.#bindStep(s);
    }
    if (this.#bindStage === 'rss') {
      this.#rss = status === NDIS_STATUS_SUCCESS ? 'on' : 'refused';
      if (status !== NDIS_STATUS_SUCCESS) this.ndis.log('warn', `OID_GEN_RECEIVE_SCALE_PARAMETERS failed (0x${status.toString(16)}): the adapter does not hash`);
    }
    this.#bindStage = null;
    this.#bindRequest = null;
    this.state = 'paused';
    const drops = this.stack.drops;
    if (drops !== null) {
      // One source per stack, shown as `<host>/<protocol>` (the handle is `<host>/<adapter><-<protocol>`).
      const name = this.ndis.name;
      if (drops.module === '') drops.module = `${name.slice(0, name.indexOf('/'))}/${name.slice(name.lastIndexOf('<-') + 2)}`;
      this.#drops = this.ndis.registerDropSource(drops);
    }
    this.#onBound(this);
    return NDIS_STATUS_SUCCESS;
  }

  unbindAdapter(_params: UnbindParameters): NdisStatus {
    this.#onUnbound(this);
    this.#release();
    this.ndis.closeAdapter();
    this.state = 'unbound';
    return NDIS_STATUS_SUCCESS;
  }

  /** Everything this binding holds goes back: interface (queued NBLs, timers), send chain, pools. */
  #release(): void {
    this.#drops?.remove();
    this.#drops = null;
    if (this.iface !== null) this.stack.removeInterface(this.iface);
    this.iface = null;
    this.#freeChain(this.#head);
    this.#head = this.#tail = null;
    this.#count = 0;
    if (this.sendPool !== null) this.ndis.freeNetBufferListPool(this.sendPool);
    if (this.lsoPool !== null) this.ndis.freeNetBufferListPool(this.lsoPool);
    this.sendPool = null;
    this.lsoPool = null;
    this.#txBuffers = [];
    this.#lsoTxBuffers = [];
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    if (request === this.#bindRequest) {
      const s = this.#bindStep(status);
      if (s !== NDIS_STATUS_PENDING) this.ndis.bindAdapterComplete(s);
      return;
    }
    if (request === this.#multicastRequest) {
      this.#multicastRequest = null;
      if (status !== NDIS_STATUS_SUCCESS) this.ndis.log('warn', `OID_802_3_MULTICAST_LIST failed (0x${status.toString(16)})`);
      if (this.#multicastDirty) this.multicastChanged();
    }
  }

  /** @internal Our multicast groups changed (an IPv6 address was added): tell the adapter. */
  multicastChanged(): void {
    if (this.state === 'binding' || this.state === 'unbound' || this.iface === null) return;
    if (this.#multicastRequest !== null) {
      this.#multicastDirty = true;
      return;
    }
    this.#multicastDirty = false;
    const groups = this.iface.multicastMacs();
    if (groups.length > this.#maxMulticast) return; // ALL_MULTICAST already covers them, or we live without
    const r = NdisOidRequest.set(multicastListCodec, groups);
    this.#multicastRequest = r;
    const s = this.ndis.oidRequest(r);
    if (s !== NDIS_STATUS_PENDING) this.oidRequestComplete(r, s);
  }

  // ---------------------------------------------------------------------------------------------
  // PnP and status

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    const iface = this.iface;
    if (event.netEvent === NetEventPause) {
      this.state = 'pausing';
      if (iface !== null) {
        iface.running = false;
        this.stack.batch(() => this.stack.interfaceStateChanged(iface, false));
      }
      this.#freeChain(this.#head);
      this.#head = this.#tail = null;
      this.#count = 0;
      if (this.sendsOutstanding === 0) {
        this.state = 'paused';
        return NDIS_STATUS_SUCCESS;
      }
      return NDIS_STATUS_PENDING;
    }
    if (event.netEvent === NetEventRestart) {
      // NDIS moves the binding to Running after this returns: start sending from a work item.
      this.state = 'restarting';
      this.ndis.queueWorkItem(() => {
        if (this.state !== 'restarting' || this.iface === null) return;
        this.state = 'running';
        const i = this.iface;
        i.running = true;
        this.stack.batch(() => this.stack.interfaceStateChanged(i, false));
      });
    }
    return NDIS_STATUS_SUCCESS;
  }

  status(indication: NdisStatusIndication): void {
    const iface = this.iface;
    if (iface === null) return;
    if (indication.statusCode === NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG) {
      const c = indication.statusBuffer as NdisHdSplitCurrentConfig | null;
      if (c !== null && typeof c === 'object' && typeof c.backfillSize === 'number') this.#hdsBackfill = c.backfillSize;
      return;
    }
    if (indication.statusCode === NDIS_STATUS_LINK_STATE) {
      const ls = indication.statusBuffer as NdisLinkState | null;
      if (ls === null || typeof ls !== 'object') return;
      const up = ls.mediaConnectState !== MediaConnectStateDisconnected;
      if (up === iface.linkUp) return;
      iface.linkUp = up;
      this.ndis.log('info', `link ${up ? 'up' : 'down'}`);
      this.stack.batch(() => this.stack.interfaceStateChanged(iface, true));
      return;
    }
    if (indication.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) {
      const o = indication.statusBuffer as NdisOffload | null;
      if (o === null || typeof o !== 'object' || !('checksum' in o)) return;
      this.#adoptOffload(o);
    }
  }

  #adoptOffload(o: Readonly<NdisOffload>): void {
    const iface = this.iface!;
    if (!iface.offload.update(o, iface.settings.vlanId > 0)) return;
    this.stack.routeGeneration++;
    this.ndis.log('info', `offloads: ${iface.offload.describe()}`);
    if ((iface.offload.anyLso || iface.offload.anyUso) && this.lsoPool === null && this.#lsoPoolSize > 0) {
      const slot = (this.transportStart + LSO_TRANSPORT_CAPACITY + 63) & ~63;
      this.lsoPool = this.ndis.allocateNetBufferListPool({ name: `${this.adapterName}:tcpip-lso`, capacity: this.#lsoPoolSize, dataSize: slot });
      this.#lsoTxBuffers = new Array<TxBuffer | null>(this.#lsoPoolSize).fill(null);
      this.largeTransportCapacity = slot - this.transportStart;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  /** States: any. Running: parse every frame, then return the chain; otherwise count and return at once. */
  receiveNetBufferLists(nbls: NetBufferList, _portNumber: number, _count: number, receiveFlags: number): void {
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const iface = this.iface;
    const s = this.stack;
    if (this.state !== 'running' || iface === null) {
      const c = s.counters.link;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          c.framesIn++;
          c.notRunning++;
        }
      }
      if (!resources) this.ndis.returnNetBufferLists(nbls, 0);
      return;
    }
    const capture = this.#drops !== null && this.#drops.capturing ? this.#drops : null;
    s.enter();
    try {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        const info = nbl.info;
        const csum = info.tcpIpChecksum;
        let bits = 0;
        if (csum !== 0) {
          if ((csum & (CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID)) !== 0) bits |= RxChecksum.IpOk;
          if ((csum & CHECKSUM_RX_IP_CHECKSUM_FAILED) !== 0) bits |= RxChecksum.IpFailed;
          if ((csum & (CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID)) !== 0) bits |= RxChecksum.TcpOk;
          if ((csum & CHECKSUM_RX_TCP_CHECKSUM_FAILED) !== 0) bits |= RxChecksum.TcpFailed;
          if ((csum & CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED) !== 0) bits |= RxChecksum.UdpOk;
          if ((csum & CHECKSUM_RX_UDP_CHECKSUM_FAILED) !== 0) bits |= RxChecksum.UdpFailed;
        }
        const segments = rscCoalescedSegCount(info.tcpRecvSegCoalesceInfo) || 1;
        for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          const len = nb.dataLength;
          const m = nb.currentMdl;
          if (capture !== null) {
            this.#receiveCapturing(capture, iface, nb, bits, segments);
          } else if (m !== null && nb.currentMdlOffset + len <= m.byteCount) {
            s.receiveFrame(iface, m.bytes, m.byteOffset + nb.currentMdlOffset, len, bits, segments);
          } else if ((nbl.nblFlags & NDIS_NBL_FLAGS_HD_SPLIT) !== 0 && m !== null && this.#joinSplit(nb, m)) {
            // A split frame made whole in its data buffer's backfill: only the header moved.
            s.receiveFrame(iface, m.next!.bytes, m.next!.byteOffset - (m.byteCount - nb.currentMdlOffset), len, bits, segments);
          } else if (len <= COPY_BUFFER_SIZE) {
            this.#copy ??= new Uint8Array(COPY_BUFFER_SIZE);
            const copy = this.#copy;
            const n = nb.copyOut(copy, 0, 0, len);
            s.counters.link.framesCopied++;
            s.counters.link.rxPayloadBytesCopied += n;
            s.receiveFrame(iface, copy, 0, n, bits, segments);
          } else {
            s.counters.link.framesIn++;
            s.counters.link.tooLong++;
          }
        }
      }
    } finally {
      s.exit();
      if (!resources) this.ndis.returnNetBufferLists(nbls, 0);
    }
  }

  /**
   * A header-data split NET_BUFFER (header MDL `h`, then one data MDL holding the rest): copies the header
   * into the data buffer's backfill, right before the data, so the frame is contiguous there. False when
   * the layout is not that (the header longer than the backfill NDIS promised, the data in several MDLs):
   * then the frame is copied like any multi-MDL frame.
   */
  #joinSplit(nb: NetBuffer, h: Mdl): boolean {
    const d = h.next;
    const hl = h.byteCount - nb.currentMdlOffset;
    if (d === null || hl <= 0 || hl > this.#hdsBackfill || hl > d.byteOffset || nb.dataLength - hl > d.byteCount) return false;
    const from = h.byteOffset + nb.currentMdlOffset;
    // A byte loop (at most BackfillSize bytes): no subarray per frame.
    const src = h.bytes;
    const dst = d.bytes;
    for (let i = 0, to = d.byteOffset - hl; i < hl; i++) dst[to + i] = src[from + i]!;
    const c = this.stack.counters.link;
    c.hdSplitFramesIn++;
    c.hdSplitHeaderBytesCopied += hl;
    return true;
  }

  /**
   * One frame while a drop capture is attached: the frame is copied first (the stack may rewrite what it
   * parses, and the capture wants what arrived), then handed to the capture under each drop reason whose
   * count it moved (drops.ts).
   */
  #receiveCapturing(reg: NdisDropSourceRegistration, iface: IpInterface, nb: NetBuffer, bits: number, segments: number): void {
    const s = this.stack;
    const drops = s.drops!;
    const len = nb.dataLength;
    if (len > COPY_BUFFER_SIZE) {
      s.counters.link.framesIn++;
      s.counters.link.tooLong++;
      reg.capture(drops.reasons.indexOf('frameTooLong'), new Uint8Array(0), 0, 0);
      return;
    }
    const frame = new Uint8Array(len);
    nb.copyOut(frame, 0, 0, len);
    const m = nb.currentMdl;
    if (m === null || nb.currentMdlOffset + len > m.byteCount) s.counters.link.framesCopied++;
    s.counters.link.rxPayloadBytesCopied += len;
    const original = frame.slice();
    drops.mark();
    s.receiveFrame(iface, frame, 0, len, bits, segments);
    drops.report(reg, original, 0, len);
  }

  // ---------------------------------------------------------------------------------------------
  // Send (LinkPort)

  /** @internal */
  allocateTx(large: boolean): TxBuffer | null {
    const pool = large ? this.lsoPool : this.sendPool;
    const nbl = pool === null ? null : pool.allocate();
    if (nbl === null) {
      this.stack.counters.link.txNoBuffer++;
      return null;
    }
    const buffers = large ? this.#lsoTxBuffers : this.#txBuffers;
    let tx = buffers[nbl.slot] ?? null;
    if (tx === null) {
      const m = nbl.firstNetBuffer!.poolMdl!;
      tx = new TxBuffer(large ? TxKind.Large : TxKind.Pool, m.bytes, m.byteOffset + this.transportStart, large ? this.largeTransportCapacity : this.transportCapacity);
      buffers[nbl.slot] = tx;
    }
    tx.nbl = nbl;
    tx.inUse = false;
    nbl.sourceHandle = this.ndis.sourceHandle;
    return tx;
  }

  /** @internal */
  queue(nbl: NetBufferList): void {
    if (this.state !== 'running') {
      this.stack.counters.link.txNotRunning++;
      this.free(nbl);
      return;
    }
    nbl.next = null;
    if (this.#tail === null) this.#head = nbl;
    else this.#tail.next = nbl;
    this.#tail = nbl;
    this.#count++;
    this.stack.portPending(this);
  }

  /** @internal */
  free(nbl: NetBufferList): void {
    nbl.next = null;
    nbl.home.free(nbl);
  }

  /** @internal The flush point: the queued chain goes down as one NdisSendNetBufferLists. */
  flush(): void {
    const head = this.#head;
    if (head === null) return;
    const n = this.#count;
    this.#head = this.#tail = null;
    this.#count = 0;
    if (this.state !== 'running') {
      this.stack.counters.link.txNotRunning += n;
      this.#freeChain(head);
      return;
    }
    this.sendsOutstanding += n;
    const c = this.stack.counters.link;
    c.framesOut += n;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) c.bytesOut += nbl.firstNetBuffer!.dataLength;
    this.ndis.sendNetBufferLists(head, 0, 0);
  }

  #freeChain(head: NetBufferList | null): void {
    for (let nbl = head; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      nbl.home.free(nbl);
      nbl = next;
    }
  }

  /** Our sends come back: count, free to their pool; completes a pending pause when the last returns. */
  sendNetBufferListsComplete(nbls: NetBufferList, _flags: number): void {
    const c = this.stack.counters.link;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      if (nbl.status === NDIS_STATUS_SUCCESS) c.txCompleted++;
      else c.txFailed++;
      nbl.next = null;
      nbl.home.free(nbl);
      n++;
      nbl = next;
    }
    this.sendsOutstanding -= n;
    if (this.state === 'pausing' && this.sendsOutstanding === 0) {
      this.state = 'paused';
      this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Shown under the binding in `tsndis stack show`. */
  inspect(): Record<string, unknown> {
    const out: Record<string, unknown> = { state: this.state };
    if (this.iface !== null) Object.assign(out, this.iface.describe());
    if (this.#rss !== '') out['rss'] = this.#rss;
    out['pools'] = {
      tx: this.sendPool === null ? 0 : `${this.sendPool.inUse}/${this.sendPool.capacity}`,
      lso: this.lsoPool === null ? 'none' : `${this.lsoPool.inUse}/${this.lsoPool.capacity}`,
    };
    // The stack-wide counters (non-zero ones) once per host: under its first interface.
    const first = this.stack.interfaces.find((i) => !i.isLoopback);
    if (first !== undefined && first === this.iface) {
      out['stack'] = nonZeroCounters(this.stack.counters);
      const tcp = this.stack.tcp;
      if (tcp instanceof TcpLayer) {
        // The connection and listener counts always, the counters when non-zero.
        const { connections, listeners, ...counters } = tcp.stats();
        out['tcp'] = { connections, listeners, ...Object.fromEntries(Object.entries(counters).filter(([, v]) => v !== 0)) };
      }
    }
    return out;
  }
}
