/**
 * The pcapng miniport adapter: an Ethernet NIC whose "wire" is a capture file. Frames of `InputFile`
 * (pcap or pcapng) are replayed as receive indications, as fast as buffers allow or paced by their
 * timestamps; frames the stack sends are written to `OutputFile` (pcapng) when one is configured.
 *
 * Receive (replay): a DPC pulls records from a CaptureFileSource (chunked asynchronous reads; the DPC
 * never waits — when the reader needs bytes it returns and the read's completion queues the DPC again),
 * copies each Ethernet frame into an NBL from the receive pool, applies the packet filter and multicast
 * list like a NIC, and indicates chains of at most MAX_NBLS_PER_INDICATION, DPC_BUDGET_INDICATIONS
 * indications per DPC run. Back-pressure: when the pool is empty the replay stops and waits for returns;
 * nothing is dropped for lack of buffers. With `Pace: timestamps` a frame due later is copied, held and
 * a timer set for its due time: due = start of the pass + (timestamp − first timestamp of the pass) /
 * Speed, on the runtime clock (handle.now / allocateTimer), so a manual clock paces it in tests.
 * Bad input never stops the stack: other link types, runts and oversize frames are skipped and counted;
 * a truncated or corrupt file ends the pass with a counter and a logged reason.
 *
 * The replay starts at the first restart once a packet filter is set (a NIC with filter 0 receives
 * nothing, so frames would only be lost), after `StartDelayMs`. `Loop` replays the file again after the
 * first pass (0 = once, n = n more times, -1 = forever; a pass that delivers no frame ends the looping).
 * Each pass starts right after the previous pass's last frame. When the replay ends the link stays up
 * unless `LinkDownAtEnd` is set, which indicates NDIS_STATUS_LINK_STATE disconnected.
 *
 * States and ownership: sends are completed at once (SUCCESS once recorded; RESOURCES when the output
 * queue is full; PAUSED, ADAPTER_REMOVED, MEDIA_DISCONNECTED, INVALID_LENGTH otherwise). Pause stops the
 * replay where it is (a held frame stays held, in our pool), waits for every indicated NBL to come back
 * and for the output file to be flushed; restart resumes where it stopped, shifting the pacing timeline
 * by the time spent paused.
 */
import {
  ETHERNET_HEADER_SIZE,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_FILE_NOT_FOUND,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_OPEN_FAILED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventSurpriseRemoved,
  NdisPauseFunctionsUnsupported,
  copyBytes,
  ethernetGeneralAttributes,
  parseMac,
  type MiniportAdapter,
  type MiniportAdapterHandle,
  type MiniportInitParameters,
  type MiniportPauseParameters,
  type NdisDpc,
  type NdisDropCounter,
  type NdisLinkState,
  type NdisOidRequest,
  type NdisStatus,
  type NdisTimerObject,
  type NetBuffer,
  type NetBufferList,
  type NetBufferListPool,
  type NetDevicePnPEvent,
} from '../../../ndis/index.js';
import {
  CaptureFile,
  CaptureFileSource,
  CaptureRecord,
  DIRECTION_OUTBOUND,
  LINKTYPE_ETHERNET,
  NanosecondClock,
  ReadStatus,
  TSRESOL_NANOSECONDS,
  enhancedPacketBlockLength,
  interfaceDescriptionBlock,
  sectionHeaderBlock,
  type ReaderCounters,
} from '../../../io/pcapng/index.js';
import { ETHERNET_OIDS, EthernetMiniportState, filterAccepts, handleEthernetOid } from '../../common/ethernet-miniport.js';
import { ReceiveDrops } from '../../common/receive-drops.js';
import { FrameRecorder } from '../../common/frame-recorder.js';
import { stableMac } from '../../common/mac.js';
import type { MiniportRunState } from '../../common/run-state.js';

/** Receive indications carry at most this many NBLs. */
const MAX_NBLS_PER_INDICATION = 256;
/** Indications per DPC run before it requeues itself (other work gets a turn). */
const DPC_BUDGET_INDICATIONS = 4;

export type PaceMode = 'none' | 'timestamps';

/** Skip reasons logged once each (bits of #loggedSkips). */
const SKIP_LINK_TYPE = 1;
const SKIP_RUNT = 2;
const SKIP_OVERSIZE = 4;

/** What the replay and the output did; every skipped frame has a named reason. */
export class PcapngCounters {
  framesIndicated = 0;
  bytesIndicated = 0;
  /** Passes over InputFile completed (a pass ended by an error counts). */
  passesCompleted = 0;
  /** Records of a link type other than Ethernet (DLT 1). */
  skippedLinkType = 0;
  /** Frames shorter than an Ethernet header. */
  runtFrames = 0;
  /** Frames longer than *JumboPacket (+ 4 for a VLAN tag). */
  oversizeFrames = 0;
  /** Frames whose capture was cut by the snap length (replayed as captured). */
  snapTruncatedFrames = 0;
  /** Frames the packet filter / multicast list did not accept. */
  filteredFrames = 0;
  /** Times the replay stopped because the receive pool was empty (it resumes on returns). */
  waitsForBuffers = 0;
  /** Passes ended by a corrupt or truncated file, or an I/O error. */
  readErrors = 0;
  /** Sent frames written to OutputFile / refused because its queue was full. */
  framesRecorded = 0;
  outputDropped = 0;
}

const closingOutputs = new Set<Promise<void>>();

/** Resolves when the output files of halted adapters are closed (tests). */
export async function pcapngOutputsClosed(): Promise<void> {
  while (closingOutputs.size > 0) await Promise.all([...closingOutputs]);
}

export class PcapngAdapter implements MiniportAdapter {
  readonly ndis: MiniportAdapterHandle;
  readonly counters = new PcapngCounters();
  /** Named drop counters (drops.ts), from the handle at initialize. */
  drops!: ReceiveDrops;
  #outputQueueFull: NdisDropCounter | null = null;
  state: MiniportRunState = 'Halted';
  removed = false;
  eth!: EthernetMiniportState;
  mac: Uint8Array = new Uint8Array(6);
  frameSize = 1514;
  linkSpeedBps = 10_000_000_000n;
  pace: PaceMode = 'none';
  speed = 1;
  /** Passes after the first: -1 = forever. */
  loop = 0;
  startDelayMs = 0;
  linkDownAtEnd = false;
  linkUp = true;
  /** True once every pass is done. */
  finished = false;

  #source: CaptureFileSource | null = null;
  #output: CaptureFile | null = null;
  #recorder: FrameRecorder | null = null;
  #rxPool: NetBufferListPool | null = null;
  #dpc: NdisDpc | null = null;
  #timer: NdisTimerObject | null = null;
  readonly #record = new CaptureRecord();
  /** An allocated NBL not yet filled (kept across skipped records and DPC runs). */
  #spare: NetBufferList | null = null;
  /** A filled frame waiting for its due time (pacing). */
  #held: NetBufferList | null = null;
  #heldDueMs = 0;
  #indicated = 0;
  #waitingForBuffers = false;
  #pausePending = false;
  #outputFlushed = true;
  #pausedAtMs = -1;
  #started = false;
  #startAtMs = 0;
  /** Pacing: runtime time at which the current pass's first frame is due, and that frame's timestamp. */
  #passOriginMs = 0;
  #passFirstSeconds = 0;
  #passFirstNanoseconds = 0;
  #passHasFirst = false;
  #lastDueMs = 0;
  #passFrames = 0;
  #loggedSkips = 0;

  constructor(ndis: MiniportAdapterHandle) {
    this.ndis = ndis;
  }

  get rxPool(): NetBufferListPool | null {
    return this.#rxPool;
  }

  get indicatedOutstanding(): number {
    return this.#indicated;
  }

  get readerCounters(): ReaderCounters | null {
    return this.#source?.reader.counters ?? null;
  }

  get output(): CaptureFile | null {
    return this.#output;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  initialize(params: MiniportInitParameters): NdisStatus {
    const k = params.keywords;
    const configured = k.read('NetworkAddress');
    const mac = typeof configured === 'string' && configured !== '' ? parseMac(configured) : null;
    this.mac = mac ?? stableMac(`pcapng/${params.adapterName}`);
    this.frameSize = k.readInt('*JumboPacket', 1514, 1514, 16384);
    this.linkSpeedBps = BigInt(k.readInt('LinkSpeedMbps', 10_000, 1, 400_000)) * 1_000_000n;
    const rxBuffers = k.readInt('*ReceiveBuffers', 256, 16, 65536);
    this.pace = k.readString('Pace', 'none') === 'timestamps' ? 'timestamps' : 'none';
    const speed = Number(k.readString('Speed', '1'));
    if (Number.isFinite(speed) && speed > 0) this.speed = speed;
    else this.ndis.log('warn', `Speed '${k.readString('Speed', '1')}' is not a positive number; replaying at speed 1`);
    this.loop = k.readInt('Loop', 0, -1, 0x7fffffff);
    this.startDelayMs = k.readInt('StartDelayMs', 0, 0, 3_600_000);
    this.linkDownAtEnd = k.readBoolean('LinkDownAtEnd', false);

    const input = k.readString('InputFile', '');
    if (input !== '') {
      const r = CaptureFileSource.open(input);
      if (!r.ok) {
        this.ndis.log('error', `InputFile: ${r.message}`);
        return r.code === 'ENOENT' ? NDIS_STATUS_FILE_NOT_FOUND : NDIS_STATUS_OPEN_FAILED;
      }
      this.#source = r.source;
    } else {
      this.finished = true;
    }
    const output = k.readString('OutputFile', '');
    if (output !== '') {
      const queueFrames = k.readInt('OutputQueueFrames', 1024, 1, 1 << 20);
      const snap = this.frameSize + 4;
      const o = CaptureFile.open({
        basePath: output.endsWith('.pcapng') ? output.slice(0, -'.pcapng'.length) : output,
        maxFileBytes: 0,
        maxFiles: 1,
        queueBytes: queueFrames * enhancedPacketBlockLength(snap, DIRECTION_OUTBOUND),
        queueBlocks: queueFrames,
        sectionHeader: sectionHeaderBlock({ userApplication: 'tsndis', hardware: params.adapterName }),
        log: (level, message) => this.ndis.log(level, message),
      });
      if (!o.ok) {
        this.#source?.close();
        this.#source = null;
        this.ndis.log('error', `OutputFile: ${o.message}`);
        return NDIS_STATUS_OPEN_FAILED;
      }
      this.#output = o.file;
      const id = o.file.addInterface(
        interfaceDescriptionBlock({ linkType: LINKTYPE_ETHERNET, snapLength: snap, name: params.adapterName, description: 'frames sent to tsndis.pcapng', tsresol: TSRESOL_NANOSECONDS }),
      );
      this.#recorder = new FrameRecorder(o.file, id, snap, NanosecondClock.forRuntimeClock());
    }

    this.ndis.setRegistrationAttributes({ checkForHangTimeInSeconds: 0 });
    const general = ethernetGeneralAttributes({
      macAddress: this.mac,
      mtu: this.frameSize - ETHERNET_HEADER_SIZE,
      linkSpeedBps: this.linkSpeedBps,
      connected: true,
      supportedOidList: ETHERNET_OIDS,
      vendorDescription: input === '' ? 'tsndis pcapng adapter' : `tsndis pcapng adapter (${input})`,
    });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    this.drops = new ReceiveDrops(this.ndis);
    this.#outputQueueFull = this.ndis.dropCounter('outputQueueFull');
    const slot = (this.frameSize + 4 + 63) & ~63;
    this.#rxPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:rx`, capacity: rxBuffers, dataSize: slot });
    this.#dpc = this.ndis.allocateDpc(() => this.#replay());
    this.#timer = this.ndis.allocateTimer(() => this.#replay());
    if (this.#source !== null) this.#source.onReadable = () => this.#dpc?.queue();
    this.state = 'Paused';
    return NDIS_STATUS_SUCCESS;
  }

  halt(): void {
    this.#timer?.free();
    this.#timer = null;
    this.#freeOwn();
    if (this.#rxPool !== null) this.ndis.freeNetBufferListPool(this.#rxPool);
    this.#rxPool = null;
    this.#source?.close();
    this.#source = null;
    const out = this.#output;
    this.#output = null;
    this.#recorder = null;
    if (out !== null) {
      const p = out.close().finally(() => closingOutputs.delete(p));
      closingOutputs.add(p);
    }
    this.state = 'Halted';
  }

  shutdown(): void {
    this.#timer?.cancel();
  }

  pause(_params: MiniportPauseParameters): NdisStatus {
    this.state = 'Pausing';
    this.#timer?.cancel();
    this.#pausedAtMs = this.ndis.now();
    this.#outputFlushed = this.#output === null || this.#output.whenFlushed(() => {
      this.#outputFlushed = true;
      this.#completePauseIfDone();
    });
    if (this.#indicated === 0 && this.#outputFlushed) {
      this.state = 'Paused';
      return NDIS_STATUS_SUCCESS;
    }
    this.#pausePending = true;
    return NDIS_STATUS_PENDING;
  }

  restart(): NdisStatus {
    if (this.#pausedAtMs >= 0 && this.#started) {
      // Pacing resumes where it stopped: the timeline moves by the time spent paused.
      const shift = this.ndis.now() - this.#pausedAtMs;
      this.#passOriginMs += shift;
      this.#heldDueMs += shift;
      this.#lastDueMs += shift;
      this.#startAtMs += shift;
    }
    this.#pausedAtMs = -1;
    this.state = 'Running';
    this.#dpc?.queue();
    return NDIS_STATUS_SUCCESS;
  }

  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    if (event.devicePnPEvent === NdisDevicePnPEventSurpriseRemoved) {
      this.removed = true;
      this.#timer?.cancel();
    }
  }

  #completePauseIfDone(): void {
    if (!this.#pausePending || this.#indicated !== 0 || !this.#outputFlushed) return;
    this.#pausePending = false;
    this.state = 'Paused';
    this.ndis.pauseComplete();
  }

  /** Gives the spare and held NBLs back to the pool (halt). */
  #freeOwn(): void {
    const pool = this.#rxPool;
    if (pool === null) return;
    if (this.#spare !== null) pool.free(this.#spare);
    if (this.#held !== null) pool.free(this.#held);
    this.#spare = this.#held = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Replay (DPC and pacing timer; dispatch context)

  #replay(): void {
    if (this.state !== 'Running' || this.removed || this.finished || this.#source === null) return;
    if (this.eth.packetFilter === 0) return; // packetFilterChanged queues the DPC
    const now = this.ndis.now();
    if (!this.#started) {
      this.#started = true;
      this.#startAtMs = now + this.startDelayMs;
    }
    if (now < this.#startAtMs) {
      this.#timer!.set(this.#startAtMs - now);
      return;
    }
    const pool = this.#rxPool!;
    const source = this.#source;
    const rec = this.#record;
    const pacing = this.pace === 'timestamps';
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let n = 0;
    let indications = 0;
    for (;;) {
      let nbl: NetBufferList | null;
      if (this.#held !== null) {
        if (this.#heldDueMs > now) {
          this.#timer!.set(this.#heldDueMs - now);
          break;
        }
        nbl = this.#held;
        this.#held = null;
      } else {
        nbl = this.#spare ?? pool.allocate();
        this.#spare = null;
        if (nbl === null) {
          this.counters.waitsForBuffers++;
          this.#waitingForBuffers = true;
          break;
        }
        const st = source.next(rec);
        if (st !== ReadStatus.Record) {
          this.#spare = nbl;
          if (st === ReadStatus.NeedMore || !this.#endOfPass(st)) break;
          continue; // rewound for the next pass
        }
        const due = this.#fill(nbl, rec, now);
        if (due < 0) {
          this.#spare = nbl; // skipped: reuse the buffer for the next record
          continue;
        }
        this.#passFrames++;
        if (pacing && due > now) {
          this.#held = nbl;
          this.#heldDueMs = due;
          this.#timer!.set(due - now);
          break;
        }
      }
      if (tail === null) head = nbl;
      else tail.next = nbl;
      tail = nbl;
      n++;
      if (n === MAX_NBLS_PER_INDICATION) {
        this.#indicate(head!, n);
        head = tail = null;
        n = 0;
        if (++indications === DPC_BUDGET_INDICATIONS) {
          this.#dpc!.queue();
          break;
        }
      }
    }
    if (head !== null) this.#indicate(head, n);
  }

  /**
   * Copies the record into `nbl` if it is a frame this NIC would receive. Returns its due time (runtime
   * ms; 0 when not pacing) or -1 when the record is skipped (counted by reason).
   */
  #fill(nbl: NetBufferList, rec: CaptureRecord, now: number): number {
    const c = this.counters;
    if (rec.linkType !== LINKTYPE_ETHERNET) {
      c.skippedLinkType++;
      if ((this.#loggedSkips & SKIP_LINK_TYPE) === 0) this.#logSkip(SKIP_LINK_TYPE, rec, `a record of link type ${rec.linkType} (only Ethernet, 1, is replayed)`);
      return -1;
    }
    const len = rec.capturedLength;
    if (len < ETHERNET_HEADER_SIZE) {
      c.runtFrames++;
      this.eth.stats.rcvErrors++;
      this.drops.malformedFrame.dropBytes(rec.bytes, rec.offset, len);
      if ((this.#loggedSkips & SKIP_RUNT) === 0) this.#logSkip(SKIP_RUNT, rec, `a ${len}-byte runt frame`);
      return -1;
    }
    if (len > this.frameSize + 4) {
      c.oversizeFrames++;
      this.eth.stats.rcvErrors++;
      this.drops.malformedFrame.dropBytes(rec.bytes, rec.offset, len);
      if ((this.#loggedSkips & SKIP_OVERSIZE) === 0) this.#logSkip(SKIP_OVERSIZE, rec, `a ${len}-byte frame (larger than *JumboPacket ${this.frameSize} + 4)`);
      return -1;
    }
    const cls = filterAccepts(this.eth.packetFilter, this.mac, this.eth.multicast, rec.bytes, rec.offset);
    if (cls < 0) {
      c.filteredFrames++;
      this.drops.addressFiltered.dropBytes(rec.bytes, rec.offset, len);
      return -1;
    }
    if (len < rec.originalLength) c.snapTruncatedFrames++;
    const nb = nbl.firstNetBuffer!;
    nb.dataLength = len;
    const m = nb.currentMdl!;
    copyBytes(rec.bytes, rec.offset, m.bytes, m.byteOffset + nb.currentMdlOffset, len);
    nbl.sourceHandle = this.ndis;
    this.eth.stats.countRcv(cls, len);
    if (this.pace !== 'timestamps') return 0;
    if (!rec.hasTimestamp) return this.#lastDueMs; // simple packet blocks: no time of their own
    if (!this.#passHasFirst) {
      this.#passHasFirst = true;
      this.#passFirstSeconds = rec.seconds;
      this.#passFirstNanoseconds = rec.nanoseconds;
      this.#passOriginMs = this.counters.passesCompleted === 0 ? now : Math.max(this.#lastDueMs, 0);
    }
    const relMs = (rec.seconds - this.#passFirstSeconds) * 1000 + (rec.nanoseconds - this.#passFirstNanoseconds) / 1e6;
    const due = this.#passOriginMs + relMs / this.speed;
    if (due > this.#lastDueMs) this.#lastDueMs = due;
    return due;
  }

  /** First skip of each kind: logged with the reason and offset; later ones are only counted. */
  #logSkip(kind: number, rec: CaptureRecord, what: string): void {
    this.#loggedSkips |= kind;
    this.ndis.log('warn', `InputFile ${this.#source?.path ?? ''}: skipping ${what} at offset ${rec.fileOffset}; further ones are counted, not logged`);
  }

  /** The input ended (cleanly or not). Returns true when the source was rewound for another pass. */
  #endOfPass(st: ReadStatus): boolean {
    const source = this.#source!;
    if (st === ReadStatus.Error) {
      this.counters.readErrors++;
      const why = source.reader.error?.toString() ?? 'unknown error';
      this.ndis.log('warn', `InputFile ${source.path}: ${source.ioError ?? why}; this pass ends here`);
    }
    this.counters.passesCompleted++;
    const delivered = this.#passFrames;
    this.#passFrames = 0;
    this.#passHasFirst = false;
    const more = this.loop === -1 || this.counters.passesCompleted <= this.loop;
    if (more && delivered > 0) {
      source.rewind();
      return true;
    }
    if (more) this.ndis.log('warn', `InputFile ${source.path}: a pass delivered no frame; looping stops`);
    this.finished = true;
    this.ndis.log('info', `replay of ${source.path} finished after ${this.counters.passesCompleted} pass(es), ${this.counters.framesIndicated} frame(s)`);
    if (this.linkDownAtEnd) this.#setLink(false);
    return false;
  }

  #indicate(head: NetBufferList, n: number): void {
    let bytes = 0;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) bytes += nbl.firstNetBuffer!.dataLength;
    this.counters.framesIndicated += n;
    this.counters.bytesIndicated += bytes;
    this.#indicated += n;
    this.ndis.indicateReceiveNetBufferLists(head, 0, n, NDIS_RECEIVE_FLAGS_PERFECT_FILTERED | NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
  }

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    const pool = this.#rxPool;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      this.#indicated--;
      if (pool !== null) pool.free(nbl);
      nbl = next;
    }
    if (this.#waitingForBuffers) {
      this.#waitingForBuffers = false;
      this.#dpc?.queue();
    }
    this.#completePauseIfDone();
  }

  // ---------------------------------------------------------------------------------------------
  // Send: to OutputFile

  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    const stats = this.eth.stats;
    const maxLen = this.frameSize + 4;
    const recorder = this.#recorder;
    const base =
      this.removed ? NDIS_STATUS_ADAPTER_REMOVED
      : this.state !== 'Running' ? NDIS_STATUS_PAUSED
      : !this.linkUp ? NDIS_STATUS_MEDIA_DISCONNECTED
      : NDIS_STATUS_SUCCESS;
    if (recorder !== null && base === NDIS_STATUS_SUCCESS) recorder.stamp(this.ndis.now());
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      let status = base;
      if (status === NDIS_STATUS_SUCCESS) {
        for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          if (nb.dataLength < ETHERNET_HEADER_SIZE || nb.dataLength > maxLen) status = NDIS_STATUS_INVALID_LENGTH;
        }
        if (status !== NDIS_STATUS_SUCCESS) stats.xmitErrors++;
      } else {
        stats.xmitDiscards++;
      }
      if (status === NDIS_STATUS_SUCCESS) {
        for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
          if (recorder !== null && !recorder.recordNetBuffer(nb, DIRECTION_OUTBOUND)) {
            status = NDIS_STATUS_RESOURCES;
            this.counters.outputDropped++;
            this.#outputQueueFull!.drop(nb);
            continue;
          }
          if (recorder !== null) this.counters.framesRecorded++;
          stats.countXmit(nb);
        }
        if (status !== NDIS_STATUS_SUCCESS) stats.xmitDiscards++;
      }
      nbl.status = status;
    }
    if (recorder !== null) recorder.file.kick();
    this.ndis.sendNetBufferListsComplete(nbls, 0);
  }

  cancelSend(_cancelId: number): void {
    // Sends complete before sendNetBufferLists returns: nothing is queued to cancel.
  }

  // ---------------------------------------------------------------------------------------------
  // Link and OIDs

  #setLink(up: boolean): void {
    this.linkUp = up;
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

  oidRequest(request: NdisOidRequest): NdisStatus {
    return handleEthernetOid(this.eth, request, { packetFilterChanged: () => this.#dpc?.queue() });
  }

  cancelOidRequest(_requestId: number): void {
    // Every request completes synchronously.
  }

  /** The frame statistics (OID_GEN_STATISTICS), for the inspector. */
  statistics(): Record<string, number> {
    return this.eth.stats.snapshot();
  }

  /** Shown under the adapter by `tsndis stack show`. */
  inspect(): Record<string, unknown> {
    const reader = this.#source?.reader;
    return {
      input: this.#source?.path ?? null,
      output: this.#output?.path ?? null,
      pace: this.pace,
      speed: this.speed,
      loop: this.loop,
      finished: this.finished,
      ...this.counters,
      ...(reader === undefined ? {} : { reader: { ...reader.counters }, readerError: reader.error?.toString() ?? null }),
      ...(this.#output === null ? {} : { outputFile: { ...this.#output.counters } }),
    };
  }
}
