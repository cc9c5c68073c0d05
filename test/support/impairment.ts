/**
 * Harness for the impairment filter: hosts on a virtual wire with tsndis.impairment attached (manual
 * clock, verifier on), a sender that numbers frames without allocating per frame, a receiver that
 * records sequence numbers in arrival order, a wire tap that timestamps frames as they leave a host,
 * and the analysis the statistical tests share (loss, duplicates, late arrivals).
 */
import type { FilterBlock } from '../../src/core/runtime/filter-block.js';
import { NdisRuntime, type Logger } from '../../src/core/runtime/runtime.js';
import type { ManualScheduler } from '../../src/core/time/scheduler.js';
import { type ImpairmentFilterModule, impairmentFilter } from '../../src/drivers/filter/impairment/index.js';
import { VirtualWire, virtualWireMiniport, type WirePort } from '../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol, type RawBinding } from '../../src/drivers/protocol/raw/index.js';
import type { ConfigValue, NetBuffer, NetBufferList } from '../../src/ndis/index.js';
import { NDIS_STATUS_SUCCESS } from '../../src/ndis/index.js';
import { testStack, type StackSpec, type TestStack } from './test-stack.js';

export interface ImpairedHost {
  rt: NdisRuntime & { scheduler: ManualScheduler };
  raw: RawProtocol;
  ep: RawBinding;
  filter: ImpairmentFilterModule;
  mac: Uint8Array;
}

export interface ImpairedHostOptions {
  name: string;
  wire: string;
  /** tsndis.impairment keywords. */
  keywords?: Record<string, ConfigValue>;
  /** Receive NBLs of the virtual-wire adapter (default 4096). */
  receiveBuffers?: number;
  /** Send NBLs of the raw binding (default 4096). */
  sendPoolSize?: number;
  logger?: Logger;
}

/** A host with eth0 on `wire`, tsndis.impairment attached with `keywords`, and the raw protocol bound. */
export async function impairedHost(o: ImpairedHostOptions): Promise<ImpairedHost> {
  const rt = NdisRuntime.forTest({ name: o.name, verifier: { enabled: true }, ...(o.logger === undefined ? {} : { logger: o.logger }) });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(impairmentFilter);
  const raw = new RawProtocol('tsndis.raw', { sendPoolSize: o.sendPoolSize ?? 4096, receiveQueueDepth: 4096 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: o.wire, '*ReceiveBuffers': o.receiveBuffers ?? 4096 } });
  const [block] = await rt.attachFilter('eth0', 'tsndis.impairment', o.keywords ?? {});
  const filter = block!.instance as ImpairmentFilterModule;
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw, ep: raw.endpoint('eth0'), filter, mac: rt.adapter('eth0').general!.currentMacAddress };
}

/** Two impaired hosts A and B on a fresh wire. */
export async function impairedPair(wire: string, a: Partial<ImpairedHostOptions> = {}, b: Partial<ImpairedHostOptions> = {}): Promise<{ a: ImpairedHost; b: ImpairedHost }> {
  return { a: await impairedHost({ name: 'A', wire, ...a }), b: await impairedHost({ name: 'B', wire, ...b }) };
}

export interface ImpairedStack {
  s: TestStack;
  module: ImpairmentFilterModule;
  block: FilterBlock;
}

/** The scriptable test stack (TestMiniport, one TestBinding) with tsndis.impairment attached with `keywords`. */
export async function impairedStack(keywords: Record<string, ConfigValue> = {}, spec: StackSpec = {}): Promise<ImpairedStack> {
  const s = await testStack({ protocols: [{}], start: false, ...spec });
  s.rt.registerDriver(impairmentFilter);
  const [block] = await s.rt.attachFilter('eth0', 'tsndis.impairment', keywords);
  await s.rt.startAdapter('eth0');
  return { s, module: block!.instance as ImpairmentFilterModule, block: block! };
}

export const SEQ_OFFSET = 14;
export const TEST_ETHERTYPE = 0x88b5;

/** Sends numbered frames (sequence number at byte 14) from one reusable buffer: no allocation per frame. */
export class SeqSender {
  readonly frame: Uint8Array;
  readonly #view: DataView;
  constructor(
    readonly ep: RawBinding,
    dst: Uint8Array,
    src: Uint8Array,
    payloadLength = 46,
  ) {
    this.frame = new Uint8Array(14 + Math.max(4, payloadLength));
    this.frame.set(dst, 0);
    this.frame.set(src, 6);
    this.frame[12] = TEST_ETHERTYPE >> 8;
    this.frame[13] = TEST_ETHERTYPE & 0xff;
    for (let i = 18; i < this.frame.length; i++) this.frame[i] = (i * 7) & 0xff;
    this.#view = new DataView(this.frame.buffer);
  }

  /** Sends `first … first + n - 1` as one chain; returns how many the binding accepted. */
  send(first: number, n: number): number {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let k = 0;
    for (; k < n; k++) {
      this.#view.setUint32(SEQ_OFFSET, first + k);
      const nbl = this.ep.allocate(this.frame);
      if (nbl === null) break;
      if (tail === null) head = nbl;
      else tail.next = nbl;
      tail = nbl;
    }
    if (head !== null) this.ep.sendChain(head, k);
    return k;
  }
}

function seqOfNb(nb: NetBuffer): number {
  if (nb.dataLength < SEQ_OFFSET + 4) return -1;
  return ((nb.byteAt(SEQ_OFFSET) << 24) | (nb.byteAt(SEQ_OFFSET + 1) << 16) | (nb.byteAt(SEQ_OFFSET + 2) << 8) | nb.byteAt(SEQ_OFFSET + 3)) >>> 0;
}

/** Records the sequence numbers a raw binding receives, in arrival order (handler mode: NBLs go back at once). */
export class SeqRecorder {
  readonly arrivals: number[] = [];
  readonly times: number[] = [];
  readonly frames: Uint8Array[] = [];
  constructor(
    ep: RawBinding,
    readonly clock: (() => number) | null = null,
    readonly keepFrames = false,
  ) {
    ep.receiveHandler = (nbls) => {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        const nb = nbl.firstNetBuffer!;
        this.arrivals.push(seqOfNb(nb));
        if (this.clock !== null) this.times.push(this.clock());
        if (this.keepFrames) {
          const f = new Uint8Array(nb.dataLength);
          nb.copyOut(f, 0, 0, nb.dataLength);
          this.frames.push(f);
        }
      }
    };
  }
}

/** Sees every frame a wire carries, timestamped with `clock` at the moment it leaves the sending host. */
export class WireTap implements WirePort {
  readonly portName = 'tap';
  readonly seqs: number[] = [];
  readonly times: number[] = [];
  constructor(readonly clock: () => number) {}
  receiveChain(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (nbl.status !== NDIS_STATUS_SUCCESS) continue;
      for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        this.seqs.push(seqOfNb(nb));
        this.times.push(this.clock());
      }
    }
  }
  linkChanged(): void {}
}

export interface ArrivalAnalysis {
  received: number;
  distinct: number;
  /** Sent sequence numbers never received. */
  lost: number[];
  /** Sequence numbers received more than once (each listed once). */
  duplicated: number[];
  /** Extra copies received (received - distinct). */
  extra: number;
  /** First arrivals of a sequence number lower than one already seen. */
  late: number[];
}

export function analyse(arrivals: readonly number[], sent: number): ArrivalAnalysis {
  const seen = new Uint8Array(sent);
  const late: number[] = [];
  const duplicated: number[] = [];
  let max = -1;
  let distinct = 0;
  for (const s of arrivals) {
    if (s < 0 || s >= sent) throw new Error(`unexpected sequence number ${s}`);
    if (seen[s] === 0) {
      distinct++;
      if (s < max) late.push(s);
    } else if (seen[s] === 1) {
      duplicated.push(s);
    }
    if (seen[s]! < 255) seen[s]!++;
    if (s > max) max = s;
  }
  const lost: number[] = [];
  for (let s = 0; s < sent; s++) if (seen[s] === 0) lost.push(s);
  return { received: arrivals.length, distinct, lost, duplicated, extra: arrivals.length - distinct, late };
}

/** Binomial tolerance: `sigmas` standard deviations of the count of successes in `n` trials of probability `p`. */
export function binomialTolerance(n: number, p: number, sigmas = 5): number {
  return sigmas * Math.sqrt(n * p * (1 - p));
}

export { VirtualWire };
