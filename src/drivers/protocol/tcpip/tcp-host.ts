/**
 * The IP layer's side of the TCP contract (tcp/host.ts): `StackTcpHost` implements `TcpHost` for the
 * engine (buffers from the binding's send pools, routes with path MTU and LSO limits, timers on the
 * stack's clock) and feeds it segments (`TcpInput.input`) and ICMP errors (`TcpInput.icmpError`).
 *
 * - `allocate` returns the preallocated TxBuffer of a pooled NBL (no allocation per segment); buffers
 *   beyond one MTU come from the LSO pool, which exists only when the adapter advertises LSOv2.
 * - `transmit` checksums (or leaves it to the adapter), adds the IP and Ethernet headers, resolves the
 *   neighbour and queues the NBL; inside a receive indication or timer it goes down with the rest of the
 *   batch, otherwise at once.
 * - Until an engine is attached (`stack.attachTcp`), segments are counted (`tcp.noEngine`) and dropped.
 */
import { IPV4_HEADER_LEN, IPV6_HEADER_LEN, IpProtocol, TCP_MAX_HEADER_LEN, TcpView, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum } from '../../../wire/index.js';
import { copy6, isLinkLocal6, type IpFamily } from './addr.js';
import type { IpInterface } from './interface.js';
import { Cast, RouteResult, RxChecksum, TxBuffer, type Datagram } from './packet.js';
import type { TcpIpStack } from './stack.js';
import type { TcpFlow, TcpHost, TcpIcmpError, TcpOutputBuffer, TcpRoute, TcpTimer } from './tcp/host.js';

/** A route answer whose generation follows the stack's: when it changes, the engine asks again. */
class HostRoute implements TcpRoute {
  constructor(
    readonly mtu: number,
    readonly ipHeaderLength: number,
    readonly lsoMaxPayload: number,
    readonly lsoMinSegments: number,
    readonly stack: TcpIpStack,
  ) {}
  get generation(): number {
    return this.stack.routeGeneration;
  }
}

/** A flow the host fills per received segment (valid during the call only). */
class RxFlow implements TcpFlow {
  localPort = 0;
  remotePort = 0;
  readonly localAddress: Uint8Array;
  readonly remoteAddress: Uint8Array;
  constructor(readonly family: IpFamily) {
    this.localAddress = new Uint8Array(family === 4 ? 4 : 16);
    this.remoteAddress = new Uint8Array(family === 4 ? 4 : 16);
  }
}

function v4FromBytes(a: Uint8Array): number {
  return (a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!;
}

function v4ToBytes(v: number, out: Uint8Array): void {
  out[0] = v >>> 24;
  out[1] = v >>> 16;
  out[2] = v >>> 8;
  out[3] = v;
}

export class StackTcpHost implements TcpHost {
  readonly #stack: TcpIpStack;
  readonly #rr = new RouteResult();
  readonly #flow4 = new RxFlow(4);
  readonly #flow6 = new RxFlow(6);
  readonly #view = new TcpView();

  /** @internal */
  constructor(stack: TcpIpStack) {
    this.#stack = stack;
  }

  now(): number {
    return this.#stack.timers.now();
  }

  createTimer(callback: () => void): TcpTimer {
    return this.#stack.timers.create(callback);
  }

  random32(): number {
    return this.#stack.random.nextU32();
  }

  receiveMemory(size: number): Uint8Array {
    // Uninitialised (the engine writes every byte it hands out); small sizes from Node's pool.
    return Buffer.allocUnsafe(size);
  }

  /** Looks up the route towards `remote` (for link-local, through the interface owning `local`). */
  #route(family: IpFamily, remote: Uint8Array, local: Uint8Array | null): RouteResult | null {
    const s = this.#stack;
    const rr = this.#rr;
    if (family === 4) return s.route4(v4FromBytes(remote), null, rr) ? rr : null;
    let via: IpInterface | null = null;
    if (local !== null && isLinkLocal6(remote, 0)) via = s.interfaceOf6(local, 0);
    return s.route6(remote, 0, via, rr) ? rr : null;
  }

  sourceAddress(family: IpFamily, remote: Uint8Array): Uint8Array | null {
    const rr = this.#route(family, remote, null);
    if (rr === null) return null;
    if (family === 4) {
      const out = new Uint8Array(4);
      v4ToBytes(rr.src4, out);
      return out;
    }
    return rr.src6.slice();
  }

  route(flow: TcpFlow): TcpRoute | null {
    const s = this.#stack;
    const rr = this.#route(flow.family, flow.remoteAddress, flow.localAddress);
    if (rr === null) return null;
    const ipHeaderLength = flow.family === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    let lsoMax = 0;
    let lsoMin = 0;
    const iface = rr.iface!;
    if (!rr.local && iface.port !== null) {
      const o = iface.offload;
      const max = flow.family === 4 ? o.lso4MaxPayload : o.lso6MaxPayload;
      // What fits in an LSO pool buffer after the largest TCP header.
      lsoMax = Math.min(max, iface.port.largeTransportCapacity - TCP_MAX_HEADER_LEN);
      if (lsoMax <= 0) lsoMax = 0;
      lsoMin = lsoMax > 0 ? (flow.family === 4 ? o.lso4MinSegments : o.lso6MinSegments) : 0;
    }
    return new HostRoute(rr.mtu, ipHeaderLength, lsoMax, lsoMin, s);
  }

  allocate(flow: TcpFlow, length: number): TcpOutputBuffer | null {
    const s = this.#stack;
    const rr = this.#route(flow.family, flow.remoteAddress, flow.localAddress);
    if (rr === null) {
      s.counters.tcp.allocateFailed++;
      return null;
    }
    const v6 = flow.family === 6;
    const tx = s.output.begin(flow.family, rr, v6 ? 0 : v4FromBytes(flow.remoteAddress), v6 ? flow.remoteAddress : null, 0, IpProtocol.Tcp, length, true);
    if (tx === null) {
      s.counters.tcp.allocateFailed++;
      return null;
    }
    if (v6) copy6(tx.src6, 0, flow.localAddress, 0);
    else {
      tx.src4 = v4FromBytes(flow.localAddress);
      tx.dontFragment = true;
    }
    return tx;
  }

  transmit(_flow: TcpFlow, buffer: TcpOutputBuffer, length: number, tcpHeaderLength: number, mss: number): void {
    const tx = buffer as TxBuffer;
    if (!(tx instanceof TxBuffer) || !tx.inUse) throw new TypeError('transmit: not a buffer from allocate, or already sent');
    this.#stack.counters.tcp.outSegs++;
    this.#stack.output.send(tx, length, tcpHeaderLength, mss);
  }

  release(buffer: TcpOutputBuffer): void {
    this.#stack.output.release(buffer as TxBuffer);
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  /** @internal A datagram for TCP; counts exactly one outcome. */
  input(dg: Datagram): void {
    const s = this.#stack;
    const c = s.counters.tcp;
    if (dg.cast !== Cast.Unicast) {
      c.badAddress++;
      return;
    }
    if (TcpView.check(dg.bytes, dg.offset, dg.length) !== 0) {
      c.malformed++;
      return;
    }
    if ((dg.checksum & RxChecksum.TcpFailed) !== 0) {
      c.hwChecksumFailed++;
      return;
    }
    const v = this.#view.bind(dg.bytes, dg.offset);
    if ((dg.checksum & RxChecksum.TcpOk) === 0) {
      const pseudo = dg.family === 4 ? ipv4PseudoHeaderSum(dg.src4, dg.dst4, IpProtocol.Tcp, dg.length) : ipv6PseudoHeaderSum(dg.src6, dg.dst6, IpProtocol.Tcp, dg.length);
      if (!v.verifyChecksum(dg.length, pseudo)) {
        c.badChecksum++;
        return;
      }
    }
    const tcp = s.tcp;
    if (tcp === null) {
      c.noEngine++;
      return;
    }
    c.inSegs++;
    let flow: RxFlow;
    if (dg.family === 4) {
      flow = this.#flow4;
      v4ToBytes(dg.dst4, flow.localAddress);
      v4ToBytes(dg.src4, flow.remoteAddress);
    } else {
      flow = this.#flow6;
      copy6(flow.localAddress, 0, dg.dst6, 0);
      copy6(flow.remoteAddress, 0, dg.src6, 0);
    }
    flow.localPort = v.dstPort;
    flow.remotePort = v.srcPort;
    tcp.input(flow, dg.bytes, dg.offset, dg.length, dg.segments);
  }

  /** @internal An ICMP error quoting a segment we sent (local = quoted source). False when no engine is attached. */
  icmpError(family: IpFamily, src4: number, dst4: number, src6: Uint8Array, dst6: Uint8Array, localPort: number, remotePort: number, kind: TcpIcmpError, mtu: number, quotedSeq?: number, detail?: string): boolean {
    const tcp = this.#stack.tcp;
    if (tcp === null) return false;
    let flow: RxFlow;
    if (family === 4) {
      flow = this.#flow4;
      v4ToBytes(src4, flow.localAddress);
      v4ToBytes(dst4, flow.remoteAddress);
    } else {
      flow = this.#flow6;
      copy6(flow.localAddress, 0, src6, 0);
      copy6(flow.remoteAddress, 0, dst6, 0);
    }
    flow.localPort = localPort;
    flow.remotePort = remotePort;
    tcp.icmpError(flow, kind, kind === 'packet-too-big' ? mtu : 0, quotedSeq, detail);
    return true;
  }
}
