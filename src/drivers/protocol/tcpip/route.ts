/**
 * The routing tables (one per family): connected routes from interface addresses, default gateways and
 * static routes from each binding's keywords, over any number of interfaces. Lookup is longest-prefix
 * match, then lowest metric, then the order routes were added; routes through an interface that is
 * down (link or binding) are skipped, so traffic falls over to the next best route.
 *
 * Tables are small (a host has a handful of routes), kept sorted by prefix length, and scanned in
 * order: the first usable match is the answer. Local delivery (own addresses, 127/8, ::1) is decided
 * before the table is consulted (stack.ts).
 */
import { copy6, eq6, mask4, prefixMatch6, type IpFamily } from './addr.js';
import type { IpInterface } from './interface.js';

export type RouteOrigin = 'connected' | 'static' | 'default';

const ORIGIN_RANK: Readonly<Record<RouteOrigin, number>> = { connected: 0, static: 1, default: 2 };

export class Route {
  readonly dest6 = new Uint8Array(16);
  readonly gateway6 = new Uint8Array(16);
  dest4 = 0;
  mask4 = 0;
  gateway4 = 0;

  constructor(
    readonly family: IpFamily,
    readonly prefixLength: number,
    /** False for on-link routes: the destination itself is the next hop. */
    readonly hasGateway: boolean,
    readonly iface: IpInterface,
    readonly metric: number,
    readonly origin: RouteOrigin,
  ) {}

  static v4(dest: number, prefixLength: number, gateway: number | null, iface: IpInterface, metric: number, origin: RouteOrigin): Route {
    const r = new Route(4, prefixLength, gateway !== null, iface, metric, origin);
    r.mask4 = mask4(prefixLength);
    r.dest4 = dest & r.mask4;
    r.gateway4 = (gateway ?? 0) | 0;
    return r;
  }

  static v6(dest: Uint8Array, prefixLength: number, gateway: Uint8Array | null, iface: IpInterface, metric: number, origin: RouteOrigin): Route {
    const r = new Route(6, prefixLength, gateway !== null, iface, metric, origin);
    copy6(r.dest6, 0, dest, 0);
    // Clear the host bits so equal prefixes compare equal.
    for (let bit = prefixLength; bit < 128; bit++) r.dest6[bit >>> 3] = r.dest6[bit >>> 3]! & ~(0x80 >>> (bit & 7));
    if (gateway !== null) copy6(r.gateway6, 0, gateway, 0);
    return r;
  }

  matches4(dst: number): boolean {
    return (dst & this.mask4) === this.dest4;
  }

  matches6(dst: Uint8Array, off: number): boolean {
    return prefixMatch6(dst, off, this.dest6, 0, this.prefixLength);
  }

  sameAs(o: Route): boolean {
    if (o.family !== this.family || o.prefixLength !== this.prefixLength || o.iface !== this.iface || o.hasGateway !== this.hasGateway) return false;
    if (this.family === 4) return o.dest4 === this.dest4 && o.gateway4 === this.gateway4;
    return eq6(o.dest6, 0, this.dest6, 0) && eq6(o.gateway6, 0, this.gateway6, 0);
  }
}

export class RouteTable {
  #routes: Route[] = [];

  constructor(readonly family: IpFamily) {}

  get routes(): readonly Route[] {
    return this.#routes;
  }

  /**
   * Adds `r` unless an identical route exists. The table stays sorted by longest prefix, lowest metric,
   * then connected before static before default routes and by interface, so the order (and the lookup
   * among equals) does not depend on when addresses came and went; ties keep insertion order.
   */
  add(r: Route): void {
    if (this.#routes.some((x) => x.sameAs(r))) return;
    const list = [...this.#routes, r];
    list.sort((a, b) => b.prefixLength - a.prefixLength || a.metric - b.metric || ORIGIN_RANK[a.origin] - ORIGIN_RANK[b.origin] || a.iface.index - b.iface.index);
    this.#routes = list;
  }

  removeWhere(pred: (r: Route) => boolean): void {
    this.#routes = this.#routes.filter((r) => !pred(r));
  }

  /** Longest-prefix match for `dst` over usable interfaces (`via`, when given, restricts to it). */
  lookup4(dst: number, via: IpInterface | null): Route | null {
    const list = this.#routes;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if ((via === null || r.iface === via) && r.iface.usable && r.matches4(dst)) return r;
    }
    return null;
  }

  lookup6(dst: Uint8Array, off: number, via: IpInterface | null): Route | null {
    const list = this.#routes;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if ((via === null || r.iface === via) && r.iface.usable && r.matches6(dst, off)) return r;
    }
    return null;
  }
}
