/**
 * tsndis.raw: a raw Ethernet protocol driver in the spirit of the ndisprot sample. User code reaches
 * each binding through `RawProtocol.endpoint(adapterName)`: send frames, and read received frames with
 * `for await (const frame of protocol.frames(adapter))` (bounded queue, back-pressure, see binding.ts).
 */
import { NdisMedium802_3, type ProtocolBindingHandle, type ProtocolDriverCharacteristics } from '../../../ndis/index.js';
import { RawBinding, type RawOptions } from './binding.js';

export { RawBinding, RawCounters, type RawOptions, type RawReceiveHandler, type RawSendCompleteHandler, type RawSendInfo, type RawStatusHandler } from './binding.js';

export class RawProtocol {
  readonly characteristics: ProtocolDriverCharacteristics;
  /** Bound endpoints by adapter name (full name, e.g. `hostA/eth0`). */
  readonly endpoints = new Map<string, RawBinding>();
  #waiters: { adapter: string; resolve: (b: RawBinding) => void }[] = [];

  constructor(readonly name = 'tsndis.raw', options: RawOptions = {}) {
    const registry = this;
    class Binding extends RawBinding {
      constructor(handle: ProtocolBindingHandle) {
        super(handle, options, (b) => registry.#bound(b), (b) => registry.endpoints.delete(b.adapterName));
      }
    }
    this.characteristics = {
      kind: 'protocol',
      name,
      description: 'Raw Ethernet frames to and from user code (ndisprot-like)',
      ndisVersion: { major: 6, minor: 30 },
      driverVersion: { major: 1, minor: 0 },
      mediumArray: [NdisMedium802_3],
      keywords: {
        PacketFilter: { type: 'int', description: 'NDIS_PACKET_TYPE_* bits to set on bind', default: options.packetFilter ?? 0xb },
        ReceiveQueueDepth: { type: 'int', description: 'received frames held before dropping', default: options.receiveQueueDepth ?? 256, min: 1 },
        SendPoolSize: { type: 'int', description: 'NBLs in the send pool', default: options.sendPoolSize ?? 256, min: 1 },
        SendFrameSize: { type: 'int', description: 'largest frame one send buffer holds (0: the MTU); raise for LSO', default: options.sendFrameSize ?? 0, min: 0, max: 1 << 20 },
      },
      binding: Binding,
    };
  }

  #bound(b: RawBinding): void {
    this.endpoints.set(b.adapterName, b);
    this.#waiters = this.#waiters.filter((w) => {
      if (w.adapter !== b.adapterName) return true;
      w.resolve(b);
      return false;
    });
  }

  /** The binding on `adapterName` (full or short name); throws when not bound. */
  endpoint(adapterName: string): RawBinding {
    const b = this.endpoints.get(adapterName) ?? [...this.endpoints.values()].find((x) => x.adapterName.endsWith(`/${adapterName}`));
    if (b === undefined) throw new Error(`${this.name} is not bound to ${adapterName}`);
    return b;
  }

  /** Resolves when the protocol is bound to `adapterName`. */
  whenBound(adapterName: string): Promise<RawBinding> {
    const b = this.endpoints.get(adapterName);
    if (b !== undefined) return Promise.resolve(b);
    return new Promise((resolve) => this.#waiters.push({ adapter: adapterName, resolve }));
  }

  /** Received frames as an async iterator; ends when the binding goes away or `signal` aborts. */
  async *frames(adapterName: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const b = this.endpoint(adapterName);
    while (signal?.aborted !== true) {
      const f = b.tryReceive();
      if (f !== null) {
        yield f;
        continue;
      }
      if (!this.endpoints.has(b.adapterName)) return;
      await b.waitForFrame(signal);
    }
  }
}

/** A raw protocol with the default name, for configs that name 'tsndis.raw'. */
export function createRawProtocol(options: RawOptions & { name?: string } = {}): RawProtocol {
  return new RawProtocol(options.name ?? 'tsndis.raw', options);
}
