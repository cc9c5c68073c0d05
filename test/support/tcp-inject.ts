/**
 * Hand-made segments for TCP engine tests: build a segment with the wire emitter (checksum over the
 * right pseudo-header), hand it to a layer as if it came from the peer, and decode what came back.
 */
import type { Tcb } from '../../src/drivers/protocol/tcpip/tcp/tcb.js';
import type { TcpConnection } from '../../src/drivers/protocol/tcpip/tcp/api.js';
import type { TcpFlow } from '../../src/drivers/protocol/tcpip/tcp/host.js';
import { NO_TCP_OPTIONS, TcpFlags, emitTcp, isWireError, parseTcp, type PseudoHeader, type TcpOptions, type TcpRepr } from '../../src/wire/index.js';
import { reverseFlow, type TestTcpHost } from './tcp-link.js';

export interface SegmentSpec {
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: Partial<TcpOptions>;
  payload?: Uint8Array;
}

function pseudo(flow: TcpFlow): PseudoHeader {
  const a = flow.localAddress;
  const b = flow.remoteAddress;
  if (flow.family === 4) {
    const n = (x: Uint8Array): number => ((x[0]! << 24) | (x[1]! << 16) | (x[2]! << 8) | x[3]!) >>> 0;
    return { version: 4, src: n(a), dst: n(b) };
  }
  return { version: 6, src: a, dst: b };
}

/** A segment sent on `flow` (flow.local = the sender). */
export function buildSegment(flow: TcpFlow, spec: SegmentSpec): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const repr: TcpRepr = {
    srcPort: flow.localPort,
    dstPort: flow.remotePort,
    seqNumber: spec.seq >>> 0,
    ackNumber: (spec.ack ?? 0) >>> 0,
    flags: spec.flags,
    windowSize: spec.window ?? 65535,
    urgentPointer: 0,
    options: { ...NO_TCP_OPTIONS, sackBlocks: [], ...spec.options },
    payloadLength: payload.length,
  };
  const hl = 20 + (emitTcp(repr, new Uint8Array(60 + payload.length), 0, pseudo(flow)) - 20);
  const out = new Uint8Array(hl + payload.length);
  out.set(payload, hl);
  emitTcp(repr, out, 0, pseudo(flow));
  return out;
}

/** Delivers a segment to `host` as if its peer on `conn`'s flow sent it. */
export function injectTo(host: TestTcpHost, conn: TcpConnection, spec: SegmentSpec): void {
  const peerFlow = reverseFlow(conn.flow);
  const bytes = buildSegment(peerFlow, spec);
  host.layer.input(conn.flow, bytes, 0, bytes.length, 1);
}

export function decode(bytes: Uint8Array): TcpRepr {
  const r = parseTcp(bytes, 0, bytes.length, null);
  if (isWireError(r)) throw new Error(`undecodable segment: ${String(r)}`);
  return r;
}

export function has(r: TcpRepr, flag: number): boolean {
  return (r.flags & flag) !== 0;
}

export const F = TcpFlags;

/** The engine's internal control block behind a connection (white-box tests only). */
export function tcb(conn: TcpConnection): Tcb {
  return conn as unknown as Tcb;
}
