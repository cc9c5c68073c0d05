/**
 * The capture filter module: a monitoring filter that records every frame passing its position, both
 * directions, to pcapng. NDIS gives a monitoring filter a module directly above the miniport and one
 * above each modifying filter; with `Points` 'miniport' (the default) only the module directly above the
 * miniport records (what goes to and comes from the wire, each frame once), the others pass frames on
 * untouched; with 'all' every module records, each as its own interface of the shared file. It changes nothing: sends go down and receives go up exactly as they came
 * (PassThroughFilterModule); on the way the frame bytes are copied into the shared file's ring.
 *
 * States: frames are recorded only while Running (what a paused module sees does not pass it).
 * Pause may pend: it completes when everything recorded so far has been written (or counted lost).
 * Detach (always after a pause) drops the module's reference on the file; the last one closes it.
 * Ownership: never holds an NBL — the copy is made before the chain is handed on.
 */
import { basename, dirname, extname, join } from 'node:path';
import {
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  type FilterAttachParameters,
  type FilterPauseParameters,
  type NdisStatus,
  type NetBufferList,
} from '../../../ndis/index.js';
import {
  DIRECTION_INBOUND,
  DIRECTION_OUTBOUND,
  LINKTYPE_ETHERNET,
  NanosecondClock,
  TSRESOL_NANOSECONDS,
  enhancedPacketBlockLength,
  interfaceDescriptionBlock,
  sectionHeaderBlock,
  type CaptureFile,
} from '../../../io/pcapng/index.js';
import { FrameRecorder } from '../../common/frame-recorder.js';
import { PassThroughFilterModule } from '../passthrough/module.js';
import { acquireCaptureFile, releaseCaptureFile } from './shared-files.js';

export const CAPTURE_DEFAULTS = {
  Points: 'miniport',
  MaxFileBytes: 0,
  MaxFiles: 8,
  QueueFrames: 4096,
  SnapLength: 65535,
} as const;

/** `File` keyword → base path without `.pcapng`; default `tsndis-<host>-<adapter>` in the working directory. */
export function captureBasePath(file: string, baseMiniportName: string): string {
  if (file === '') return `tsndis-${baseMiniportName.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
  return extname(file) === '.pcapng' ? join(dirname(file), basename(file, '.pcapng')) : file;
}

export class CaptureFilterModule extends PassThroughFilterModule {
  #recorder: FrameRecorder | null = null;
  #file: CaptureFile | null = null;
  /** False for a module that is not a capture point (Points 'miniport', not directly above the miniport). */
  #recording = true;

  /** Frames captured / dropped (queue full) and bytes captured by this module. */
  get counters(): { captured: number; dropped: number; bytes: number } {
    return this.#recorder?.counters ?? { captured: 0, dropped: 0, bytes: 0 };
  }

  /** The shared file (null before attach and after detach). */
  get file(): CaptureFile | null {
    return this.#file;
  }

  get interfaceId(): number {
    return this.#recorder?.interfaceId ?? -1;
  }

  /** Whether this module records (it is a capture point under the Points keyword). */
  get recording(): boolean {
    return this.#recording;
  }

  override attach(params: FilterAttachParameters): NdisStatus {
    super.attach(params);
    const k = params.keywords;
    let points = k.readString('Points', CAPTURE_DEFAULTS.Points);
    if (points !== 'miniport' && points !== 'all') {
      this.ndis.log('warn', `Points '${points}' is neither 'miniport' nor 'all'; using 'miniport'`);
      points = 'miniport';
    }
    this.#recording = points === 'all' || params.monitoringPoint === 'miniport';
    if (!this.#recording) return NDIS_STATUS_SUCCESS;
    const snap = k.readInt('SnapLength', CAPTURE_DEFAULTS.SnapLength, 64, 262144);
    const queueFrames = k.readInt('QueueFrames', CAPTURE_DEFAULTS.QueueFrames, 1, 1 << 20);
    const typical = enhancedPacketBlockLength(Math.min(snap, params.generalAttributes.mtuSize + 18), DIRECTION_OUTBOUND);
    const largest = enhancedPacketBlockLength(snap, DIRECTION_OUTBOUND);
    const base = captureBasePath(k.readString('File', ''), params.baseMiniportName);
    const r = acquireCaptureFile({
      basePath: base,
      maxFileBytes: k.readInt('MaxFileBytes', CAPTURE_DEFAULTS.MaxFileBytes, 0, Number.MAX_SAFE_INTEGER),
      maxFiles: k.readInt('MaxFiles', CAPTURE_DEFAULTS.MaxFiles, 1, 1000),
      queueBytes: Math.max(queueFrames * typical, largest),
      queueBlocks: queueFrames,
      sectionHeader: sectionHeaderBlock({ userApplication: 'tsndis', hardware: params.baseMiniportName }),
      log: (level, message) => this.ndis.log(level, message),
    });
    if (!r.ok) {
      this.ndis.log('error', r.message);
      return NDIS_STATUS_FAILURE;
    }
    const idb = interfaceDescriptionBlock({
      linkType: LINKTYPE_ETHERNET,
      snapLength: snap,
      name: params.moduleName,
      description: `tsndis.capture on ${params.baseMiniportName}`,
      tsresol: TSRESOL_NANOSECONDS,
    });
    this.#file = r.file;
    this.#recorder = new FrameRecorder(r.file, r.file.addInterface(idb), snap, NanosecondClock.forRuntimeClock());
    this.#recorder.dropCounter = this.ndis.dropCounter('captureQueueFull');
    return NDIS_STATUS_SUCCESS;
  }

  override detach(): void {
    if (this.#file !== null) releaseCaptureFile(this.#file);
    this.#file = null;
  }

  /** Pends until everything recorded so far is in the file. */
  override pause(_params: FilterPauseParameters): NdisStatus {
    const file = this.#file;
    if (file === null || file.whenFlushed(() => this.ndis.pauseComplete())) return NDIS_STATUS_SUCCESS;
    return NDIS_STATUS_PENDING;
  }

  override sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    if (this.ndis.state === 'Running' && this.#recorder !== null) this.#recorder.recordChain(nbls, this.ndis.now(), DIRECTION_OUTBOUND);
    super.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  override receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    // RESOURCES indications are copied now, before the indicator takes the buffers back.
    if (this.ndis.state === 'Running' && this.#recorder !== null) this.#recorder.recordChain(nbls, this.ndis.now(), DIRECTION_INBOUND);
    super.receiveNetBufferLists(nbls, portNumber, count, receiveFlags);
  }

  /** Shown under the module by `tsndis stack show`. */
  inspect(): Record<string, unknown> {
    if (!this.#recording) return { recording: false, points: 'miniport' };
    const f = this.#file;
    return {
      file: f?.path ?? null,
      interfaceId: this.interfaceId,
      ...this.counters,
      ...(f === null
        ? {}
        : {
            filesRotated: f.counters.filesRotated,
            writeErrors: f.counters.writeErrors,
            framesWritten: f.counters.framesWritten,
            framesLost: f.counters.framesLost,
            queuedBytes: f.ring.usedBytes,
          }),
    };
  }
}

