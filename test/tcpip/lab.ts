/**
 * A lab miniport for tsndis.tcpip tests: records every frame sent (bytes and NBL info), injects frames of
 * any size with chosen NBL info (checksum verdicts, RSC count, RESOURCES flag), indicates link state and
 * offload changes, and answers the Ethernet OIDs (so the packet filter and multicast list can be read).
 * `labHost` builds a runtime (manual clock, verifier on) with one lab adapter and the TCP/IP protocol.
 */
import assert from 'node:assert/strict';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { settle, type ManualScheduler } from '../../src/core/time/scheduler.js';
import { ETHERNET_OIDS, EthernetMiniportState, handleEthernetOid } from '../../src/drivers/common/ethernet-miniport.js';
import { TcpIpProtocol, receiveInputs, terminalTotal, type TcpIpOptions } from '../../src/drivers/protocol/tcpip/index.js';
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NdisMedium802_3,
  NdisPauseFunctionsUnsupported,
  ethernetGeneralAttributes,
  type ConfigValue,
  type MiniportAdapter,
  type MiniportAdapterHandle,
  type MiniportDriverCharacteristics,
  type MiniportInitParameters,
  type NdisOffload,
  type NdisOidRequest,
  type NdisStatus,
  type NetBufferList,
  type NetBufferListPool,
} from '../../src/ndis/index.js';
import { assertClean } from '../support/hosts.js';

export interface SentFrame {
  readonly frame: Uint8Array;
  /** TcpIpChecksumNetBufferListInfo and TcpLargeSendNetBufferListInfo as sent. */
  readonly checksumInfo: number;
  readonly lsoInfo: number;
  /** UdpSegmentationOffloadInfo of the NBL. */
  readonly usoInfo: number;
  /** NB DataOffset (the backfill in front of the frame). */
  readonly dataOffset: number;
  /** Index of the send call (frames of one NdisSendNetBufferLists share it). */
  readonly batch: number;
}

export interface LabOptions {
  mac?: Uint8Array;
  mtu?: number;
  backfill?: number;
  rxSlot?: number;
  rxCapacity?: number;
  maxMulticast?: number;
  connected?: boolean;
  /** Task offloads the adapter advertises (NdisMSetMiniportAttributes with offload attributes). */
  offload?: NdisOffload;
  /** What it could be switched to (default: `offload`). */
  offloadHardware?: NdisOffload;
}

export class LabAdapter implements MiniportAdapter {
  readonly ndis: MiniportAdapterHandle;
  eth!: EthernetMiniportState;
  rxPool: NetBufferListPool | null = null;
  readonly sent: SentFrame[] = [];
  /** 'complete': complete at once; 'hold': keep until completeHeld(). */
  sendMode: 'complete' | 'hold' = 'complete';
  readonly held: NetBufferList[] = [];
  sendCalls = 0;
  indicated = 0;
  #pausePending = false;
  running = false;

  constructor(
    ndis: MiniportAdapterHandle,
    readonly options: LabOptions,
    readonly onCreate: (a: LabAdapter) => void,
  ) {
    this.ndis = ndis;
  }

  initialize(_params: MiniportInitParameters): NdisStatus {
    this.onCreate(this);
    this.ndis.setRegistrationAttributes({ checkForHangTimeInSeconds: 0 });
    const general = {
      ...ethernetGeneralAttributes({
        macAddress: this.options.mac ?? Uint8Array.of(2, 0, 0, 0, 0x1a, 1),
        mtu: this.options.mtu ?? 1500,
        backfill: this.options.backfill ?? 0,
        connected: this.options.connected ?? true,
        supportedOidList: ETHERNET_OIDS,
        vendorDescription: 'tcpip lab miniport',
      }),
      maxMulticastListSize: this.options.maxMulticast ?? 32,
    };
    this.ndis.setGeneralAttributes(general);
    const o = this.options.offload;
    if (o !== undefined) this.ndis.setOffloadAttributes({ defaultOffloadConfiguration: o, hardwareOffloadCapabilities: this.options.offloadHardware ?? o });
    this.eth = new EthernetMiniportState(general);
    this.rxPool = this.ndis.allocateNetBufferListPool({ name: 'lab:rx', capacity: this.options.rxCapacity ?? 256, dataSize: this.options.rxSlot ?? 65536 + 128 });
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    if (this.rxPool !== null) this.ndis.freeNetBufferListPool(this.rxPool);
    this.rxPool = null;
  }
  shutdown(): void {}

  pause(): NdisStatus {
    this.running = false;
    if (this.held.length > 0) this.completeHeld();
    if (this.indicated === 0) return NDIS_STATUS_SUCCESS;
    this.#pausePending = true;
    return NDIS_STATUS_PENDING;
  }

  restart(): NdisStatus {
    this.running = true;
    return NDIS_STATUS_SUCCESS;
  }

  sendNetBufferLists(nbls: NetBufferList): void {
    const batch = this.sendCalls++;
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
      const nb = n.firstNetBuffer!;
      const frame = new Uint8Array(nb.dataLength);
      nb.copyOut(frame, 0);
      this.sent.push({ frame, checksumInfo: n.info.tcpIpChecksum, lsoInfo: n.info.tcpLargeSend, usoInfo: n.info.udpSegmentationOffloadInfo, dataOffset: nb.dataOffset, batch });
    }
    if (!this.running || this.sendMode === 'complete') {
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) n.status = this.running ? NDIS_STATUS_SUCCESS : NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    for (let n: NetBufferList | null = nbls; n !== null; ) {
      const next: NetBufferList | null = n.next;
      n.next = null;
      this.held.push(n);
      n = next;
    }
  }

  completeHeld(): void {
    const list = this.held.splice(0);
    if (list.length === 0) return;
    for (let i = 0; i < list.length; i++) {
      list[i]!.status = NDIS_STATUS_SUCCESS;
      list[i]!.next = list[i + 1] ?? null;
    }
    this.ndis.sendNetBufferListsComplete(list[0]!, 0);
  }

  /** Indicates `frames` as one chain; `checksum`/`rsc` go to every NBL's info. Returns the count. */
  inject(frames: readonly Uint8Array[], opts: { checksum?: number; rsc?: number; resources?: boolean } = {}): number {
    const pool = this.rxPool!;
    const list: NetBufferList[] = [];
    for (const f of frames) {
      const nbl = pool.allocate();
      if (nbl === null) throw new Error('lab: receive pool empty');
      const nb = nbl.firstNetBuffer!;
      const n = Math.min(f.length, nb.dataLength);
      nb.dataLength = n;
      nb.copyIn(f, 0, n, 0);
      nbl.info.tcpIpChecksum = opts.checksum ?? 0;
      nbl.info.tcpRecvSegCoalesceInfo = opts.rsc ?? 0;
      nbl.sourceHandle = this.ndis;
      if (list.length > 0) list[list.length - 1]!.next = nbl;
      list.push(nbl);
    }
    if (list.length === 0) return 0;
    const resources = opts.resources === true;
    if (!resources) this.indicated += list.length;
    this.ndis.indicateReceiveNetBufferLists(list[0]!, 0, list.length, resources ? NDIS_RECEIVE_FLAGS_RESOURCES : 0);
    if (resources) for (const n of list) pool.free(n);
    return list.length;
  }

  returnNetBufferLists(nbls: NetBufferList): void {
    for (let n: NetBufferList | null = nbls; n !== null; ) {
      const next: NetBufferList | null = n.next;
      this.indicated--;
      n.home.free(n);
      n = next;
    }
    if (this.#pausePending && this.indicated === 0) {
      this.#pausePending = false;
      this.ndis.pauseComplete();
    }
  }

  setLink(up: boolean): void {
    this.ndis.indicateStatus({
      statusCode: NDIS_STATUS_LINK_STATE,
      statusBuffer: {
        mediaConnectState: up ? MediaConnectStateConnected : MediaConnectStateDisconnected,
        mediaDuplexState: MediaDuplexStateFull,
        xmitLinkSpeed: 10_000_000_000n,
        rcvLinkSpeed: 10_000_000_000n,
        pauseFunctions: NdisPauseFunctionsUnsupported,
        autoNegotiationFlags: 0,
      },
    });
  }

  indicateOffload(o: NdisOffload): void {
    this.ndis.indicateStatus({ statusCode: NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, statusBuffer: o });
  }

  /** Frames sent so far, removed from the record. */
  take(): SentFrame[] {
    return this.sent.splice(0);
  }

  cancelSend(): void {}
  devicePnPEventNotify(): void {}
  oidRequest(request: NdisOidRequest): NdisStatus {
    return handleEthernetOid(this.eth, request);
  }
  cancelOidRequest(): void {}
}

export interface LabHost {
  rt: NdisRuntime & { scheduler: ManualScheduler };
  ip: TcpIpProtocol;
  lab: LabAdapter;
}

/** One runtime with a lab adapter `eth0` and tsndis.tcpip bound with `keywords`, started. */
export async function labHost(keywords: Record<string, ConfigValue>, labOptions: LabOptions = {}, ipOptions: TcpIpOptions = {}): Promise<LabHost> {
  const rt = NdisRuntime.forTest({ name: 'L', verifier: { enabled: true } });
  let lab: LabAdapter | null = null;
  const chars: MiniportDriverCharacteristics = {
    kind: 'miniport',
    name: 'test.lab',
    ndisVersion: { major: 6, minor: 30 },
    medium: NdisMedium802_3,
    adapter: class extends LabAdapter {
      constructor(h: MiniportAdapterHandle) {
        super(h, labOptions, (a) => (lab = a));
      }
    },
  };
  rt.registerDriver(chars);
  const ip = new TcpIpProtocol({ seed: 11, ...ipOptions });
  rt.registerDriver(ip.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'test.lab' });
  await rt.bindProtocol('eth0', 'tsndis.tcpip', keywords);
  await rt.startAdapter('eth0');
  await settle();
  return { rt, ip, lab: lab! };
}

/** Advances the lab host's clock in steps, letting work items run. */
export async function labPump(h: LabHost, ms: number, stepMs = 10): Promise<void> {
  await settle();
  for (let t = 0; t < ms; t += stepMs) {
    h.rt.scheduler.advance(Math.min(stepMs, ms - t));
    await settle();
  }
}

/** Receive accounting holds, then shutdown: pools full, allocator free, no verifier violation. */
export async function finishLab(h: LabHost): Promise<void> {
  const c = h.ip.stack.counters;
  assert.equal(terminalTotal(c), receiveInputs(c), 'every frame ends in exactly one counter');
  await h.rt.shutdown();
  assertClean(h.rt);
}
