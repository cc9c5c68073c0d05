/**
 * An in-process wire: a hub joining any number of virtual-wire adapters (in one runtime or in several
 * runtimes of the same process). A frame sent by one port reaches every other port, unless the wire's
 * link is down or its seeded loss decides to drop it; receivers copy the frame into their own receive
 * buffers, so the sender's NBL can complete at once, as a real NIC completes after DMA.
 *
 * Wires are found by name in a process-wide registry, which is how two "hosts" in one process share one.
 */
import type { NetBufferList } from '../../../ndis/index.js';
import { SeededRandom } from '../../../util/random.js';

export interface WirePort {
  readonly portName: string;
  /**
   * Frames from another port: every NetBuffer of every NBL whose status is NDIS_STATUS_SUCCESS. The
   * receiver copies what it accepts before returning (asking `wire.lose()` per frame when lossy).
   */
  receiveChain(nbls: NetBufferList, wire: VirtualWire, from?: WirePort): void;
  /** The processor the port's sends run on (a multi-queue receiver keeps rings per sending processor). */
  readonly processorNumber?: number;
  /** The wire's link went up or down. */
  linkChanged(up: boolean): void;
}

export interface WireImpairment {
  /** Fraction of frames lost per receiving port, 0–1. */
  lossRate?: number;
  /** One-way delay added to every frame. */
  delayMs?: number;
  /** Seed of the loss decisions (same seed, same decisions). */
  seed?: number;
}

export class WireCounters {
  frames = 0;
  delivered = 0;
  lost = 0;
  /** Frames offered while the link was down. */
  linkDown = 0;
}

export class VirtualWire {
  static readonly #registry = new Map<string, VirtualWire>();

  /** The wire called `name`, created on first use. */
  static named(name: string): VirtualWire {
    let w = VirtualWire.#registry.get(name);
    if (w === undefined) {
      w = new VirtualWire(name);
      VirtualWire.#registry.set(name, w);
    }
    return w;
  }

  static exists(name: string): boolean {
    return VirtualWire.#registry.has(name);
  }

  /** Forgets a wire with no ports left (tests and the CLI clean up with this). */
  static release(name: string): void {
    const w = VirtualWire.#registry.get(name);
    if (w !== undefined && w.#ports.length === 0) VirtualWire.#registry.delete(name);
  }

  readonly name: string;
  readonly counters = new WireCounters();
  #ports: WirePort[] = [];
  #linkUp = true;
  #lossRate = 0;
  #delayMs = 0;
  #random = new SeededRandom(1);

  private constructor(name: string) {
    this.name = name;
  }

  get linkUp(): boolean {
    return this.#linkUp;
  }

  get ports(): readonly WirePort[] {
    return this.#ports;
  }

  get impairment(): Required<WireImpairment> {
    return { lossRate: this.#lossRate, delayMs: this.#delayMs, seed: this.#random.seed };
  }

  configure(imp: WireImpairment): void {
    if (imp.lossRate !== undefined) {
      if (!(imp.lossRate >= 0 && imp.lossRate <= 1)) throw new RangeError(`wire ${this.name}: lossRate ${imp.lossRate} outside 0..1`);
      this.#lossRate = imp.lossRate;
    }
    if (imp.delayMs !== undefined) {
      if (!(imp.delayMs >= 0)) throw new RangeError(`wire ${this.name}: delayMs ${imp.delayMs} is negative`);
      this.#delayMs = imp.delayMs;
    }
    if (imp.seed !== undefined) this.#random = new SeededRandom(imp.seed);
  }

  attach(port: WirePort): void {
    if (!this.#ports.includes(port)) this.#ports = [...this.#ports, port];
  }

  detach(port: WirePort): void {
    this.#ports = this.#ports.filter((p) => p !== port);
  }

  /** Brings the link up or down; every port is told (adapters indicate NDIS_STATUS_LINK_STATE). */
  setLink(up: boolean): void {
    if (this.#linkUp === up) return;
    this.#linkUp = up;
    for (const p of this.#ports) p.linkChanged(up);
  }

  get lossy(): boolean {
    return this.#lossRate > 0;
  }

  get delayMs(): number {
    return this.#delayMs;
  }

  /** One seeded loss decision for one frame towards one port (counted). */
  lose(): boolean {
    if (this.#random.next() < this.#lossRate) {
      this.counters.lost++;
      return true;
    }
    return false;
  }

  /**
   * Offers `frames` frames (the successful NetBuffers of `nbls`) from `from` to every other port.
   * Returns false when the link is down.
   */
  transmitChain(from: WirePort, nbls: NetBufferList, frames: number): boolean {
    const c = this.counters;
    c.frames += frames;
    if (!this.#linkUp) {
      c.linkDown += frames;
      return false;
    }
    const ports = this.#ports;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p !== from) p.receiveChain(nbls, this, from);
    }
    return true;
  }
}
