/**
 * Test support for the VXLAN miniport: hosts (a runtime on a manual clock with tsndis.vxlan + the raw
 * protocol), test VTEPs (plain dgram sockets on loopback that record and send VXLAN datagrams), free
 * loopback ports, and a real-time `until` (the socket is real I/O, so settling deferred tasks is not
 * enough to see a datagram arrive).
 */
import dgram from 'node:dgram';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import type { ManualScheduler } from '../../../src/core/time/scheduler.js';
import { type VxlanAdapter, vxlanMiniport } from '../../../src/drivers/miniport/vxlan/index.js';
import { RawProtocol, type RawBinding } from '../../../src/drivers/protocol/raw/index.js';
import type { ConfigValue } from '../../../src/ndis/index.js';

export interface VxlanHost {
  rt: NdisRuntime & { scheduler: ManualScheduler };
  raw: RawProtocol;
  ep: RawBinding;
  vx: VxlanAdapter;
  mac: Uint8Array;
  logs: string[];
}

export interface VxlanHostOptions {
  name?: string;
  localAddress?: string;
  localPort: number;
  vni?: number;
  remotes?: string[];
  mac?: string;
  keywords?: Record<string, ConfigValue>;
  rawOptions?: ConstructorParameters<typeof RawProtocol>[1];
}

export async function makeVxlanHost(o: VxlanHostOptions): Promise<VxlanHost> {
  const logs: string[] = [];
  const rt = NdisRuntime.forTest({ name: o.name ?? 'vx', logger: (level, source, message) => logs.push(`${level} ${source}: ${message}`) });
  rt.registerDriver(vxlanMiniport);
  const raw = new RawProtocol('tsndis.raw', o.rawOptions);
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({
    name: 'eth0',
    driver: 'tsndis.vxlan',
    keywords: {
      LocalAddress: o.localAddress ?? '127.0.0.1',
      LocalPort: o.localPort,
      Vni: o.vni ?? 42,
      ...(o.remotes === undefined ? {} : { Remotes: o.remotes }),
      ...(o.mac === undefined ? {} : { NetworkAddress: o.mac }),
      ...o.keywords,
    },
  });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const vx = rt.adapter('eth0').instance as VxlanAdapter;
  // A failing test must not hang on an open socket (shutdown closes it on the normal path).
  vx.socket?.unref();
  return { rt, raw, ep: raw.endpoint('eth0'), vx, mac: vx.mac, logs };
}

/** `n` distinct UDP ports that were free on 127.0.0.1 a moment ago (bound to port 0, read, closed). */
export async function freePorts(n: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise<dgram.Socket>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** Polls `cond` in real time (1 ms steps) until it holds or `timeoutMs` passes; returns the last value. */
export async function until(cond: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A VXLAN datagram: header (flags, VNI, reserved zero) + `frame`. */
export function vxlanDatagram(vni: number, frame: Uint8Array, flags = 0x08): Uint8Array {
  const d = new Uint8Array(8 + frame.length);
  d[0] = flags;
  d[4] = (vni >>> 16) & 0xff;
  d[5] = (vni >>> 8) & 0xff;
  d[6] = vni & 0xff;
  d.set(frame, 8);
  return d;
}

/** A test VTEP: a dgram socket that records every datagram it receives. */
export class PeerVtep {
  readonly received: { bytes: Uint8Array; address: string; port: number }[] = [];
  private constructor(readonly socket: dgram.Socket, readonly address: string, readonly port: number) {
    socket.unref();
    socket.on('message', (m, r) => this.received.push({ bytes: new Uint8Array(m), address: r.address, port: r.port }));
  }

  static async open(address = '127.0.0.1', port = 0): Promise<PeerVtep> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, address, () => resolve());
    });
    return new PeerVtep(s, address, s.address().port);
  }

  get endpoint(): string {
    return `${this.address}:${this.port}`;
  }

  send(datagram: Uint8Array, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(datagram, port, address, (e) => (e ? reject(e) : resolve())));
  }

  take(): { bytes: Uint8Array; address: string; port: number }[] {
    return this.received.splice(0);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** Drains the raw endpoint's receive queue. */
export function drain(ep: RawBinding): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) out.push(f);
  return out;
}
