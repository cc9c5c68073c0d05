/**
 * Built-in services a host's TCP/IP stack can run (`services:` in a stack config, started by
 * `tsndis up`), each counting what it did:
 *
 *   - servers: echo (RFC 862) and discard (RFC 863) on TCP and UDP, as inetd runs them, and a
 *     static-file http server (TCP). Each listens on the given address, or on every IPv4 and IPv6
 *     address of the host.
 *   - traffic sources, so a stack carries frames without code: `ping` (ICMP / ICMPv6 echo requests to
 *     a target at an interval) and `traffic` (UDP datagrams of a size to a target port at a rate). Both
 *     stop after `count`: a flow a config starts is always bounded.
 *
 * The UDP echo does not answer datagrams from port 0 or from the ports of the echo, discard, daytime,
 * chargen and time services: two echo services (or an echo and a chargen) would otherwise bounce one
 * datagram between them forever (the same guard inetd has); such datagrams are counted as `refused`.
 */
import type { RequestListener } from 'node:http';
import type { TcpIpStack } from '../stack.js';
import { createHttpServer } from '../socket/http.js';
import { createServer, type TcpServer, type TcpSocket } from '../socket/stream.js';
import { WskProvider } from '../socket/wsk.js';
import type { UdpEndpoint, UdpSocket } from '../udp.js';
import { staticFiles } from './static-files.js';

export type ServiceKind = 'echo' | 'discard' | 'http' | 'ping' | 'traffic';

export interface ServiceSpec {
  readonly service: ServiceKind;
  /** Servers: the port listened on (TCP, and UDP for echo/discard). traffic: the destination port. ping: unused. */
  readonly port: number;
  /** Servers: the listen address literal, or null for every address. */
  readonly address: string | null;
  /** http: the directory served. */
  readonly root: string | null;
  /** ping, traffic: the address sent to. */
  readonly target?: string | null;
  /** ping: ms from one echo request to the next (default 1000). */
  readonly intervalMs?: number | null;
  /** traffic: datagrams per second (default 10). */
  readonly rate?: number | null;
  /** ping: ICMP data bytes (default 56); traffic: UDP payload bytes (default 512). */
  readonly size?: number | null;
  /** ping, traffic: requests / datagrams in all, then the flow stops (defaults 100 / 1000). */
  readonly count?: number | null;
}

export class ServiceCounters {
  /** TCP connections accepted, and those still open. */
  connections = 0;
  active = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** http requests. */
  requests = 0;
  errors = 0;
  /** UDP datagrams received / sent (echo, discard, traffic). */
  datagramsIn = 0;
  datagramsOut = 0;
  /** Echo: datagrams not answered because they came from a service port (a loop) or port 0. */
  refused = 0;
  /** ping: echo requests sent, replies received, and the last round-trip time in microseconds. */
  pingsSent = 0;
  pingsAnswered = 0;
  lastRttMicroseconds = 0;
}

export interface RunningService {
  readonly spec: ServiceSpec;
  readonly counters: ServiceCounters;
  /** The listening port (the configured one, or the ephemeral port chosen for 0); the destination port of traffic. */
  readonly port: number;
  /** `echo *:7`, `ping 198.18.0.2`, `traffic 198.18.0.2:9`: how netstat and status lines name it. */
  readonly name: string;
  /** A traffic source has sent all it will and stopped waiting for answers, or was closed (servers: always false). */
  readonly finished: boolean;
  /** One line for status output: the name and the non-zero counters. */
  summary(): string;
  close(): Promise<void>;
}

/**
 * What services run on: a TCP/IP protocol (`TcpIpProtocol` is one) whose running services netstat
 * reports, or only a socket provider (TCP servers only: no UDP, no ping).
 */
export interface ServiceHost {
  readonly sockets: WskProvider;
  readonly stack: TcpIpStack;
  readonly services?: Set<RunningService>;
}

/** Source ports the UDP echo never answers (see the module comment). */
const LOOP_PORTS = new Set([0, 7, 9, 13, 19, 37]);

/** How long a traffic source keeps its socket after the last datagram, for the answers still coming. */
const LINGER_MS = 1000;

/** What a ping or traffic source uses for a setting its spec leaves out (the config loader fills in the same). */
export const SOURCE_DEFAULTS = { intervalMs: 1000, pingSize: 56, pingCount: 100, rate: 10, trafficSize: 512, trafficCount: 1000 } as const;

function hostPort(address: string | null, port: number): string {
  return `${address === null ? '*' : address.includes(':') ? `[${address}]` : address}:${port}`;
}

export function serviceName(spec: ServiceSpec): string {
  if (spec.service === 'ping') return `ping ${spec.target ?? '?'}`;
  if (spec.service === 'traffic') return `traffic ${hostPort(spec.target ?? null, spec.port)}`;
  return `${spec.service} ${hostPort(spec.address, spec.port)}`;
}

function summarize(name: string, counters: ServiceCounters, finished: boolean): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(counters)) if (typeof v === 'number' && v !== 0 && k !== 'lastRttMicroseconds') parts.push(`${k} ${v}`);
  if (counters.lastRttMicroseconds > 0) parts.push(`rtt ${(counters.lastRttMicroseconds / 1000).toFixed(3)} ms`);
  return `${name}: ${parts.join(', ') || 'idle'}${finished ? ' (done)' : ''}`;
}

function listen(server: TcpServer, spec: ServiceSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: spec.port, ...(spec.address !== null ? { host: spec.address } : {}) }, () => {
      server.off('error', reject);
      resolve(server.address()?.port ?? spec.port);
    });
  });
}

function closeServer(server: TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A timer that never holds the process open (the CLI keeps itself alive while it runs services). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    t.unref();
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Starts `spec` on `host`; rejects with the listen/bind error (EADDRINUSE …). */
export async function startService(host: ServiceHost | WskProvider, spec: ServiceSpec): Promise<RunningService> {
  const h: Partial<ServiceHost> & { sockets: WskProvider } = host instanceof WskProvider ? { sockets: host } : host;
  const counters = new ServiceCounters();
  const name = serviceName(spec);
  let running: RunningService;
  if (spec.service === 'ping' || spec.service === 'traffic') {
    if (h.stack === undefined) throw new TypeError(`the ${spec.service} service needs a TCP/IP stack, not only a socket provider`);
    running = startSource(h.stack, spec, name, counters);
  } else if (spec.service === 'http') {
    const handler: RequestListener = staticFiles(spec.root ?? process.cwd(), counters);
    const http = createHttpServer(h.sockets, handler);
    http.tcp.on('connection', (s) => {
      counters.connections++;
      counters.active++;
      s.once('close', () => counters.active--);
    });
    const port = await listen(http.tcp, spec);
    running = server(spec, name, counters, port, () => http.close());
  } else {
    running = await startInetService(h, spec, name, counters);
  }
  if (h.services !== undefined) {
    // Registered while it runs, so netstat reports it; closing unregisters it.
    const registry = h.services;
    const r = running;
    const close = r.close;
    (r as { close: () => Promise<void> }).close = async () => {
      registry.delete(r);
      await close();
    };
    registry.add(r);
  }
  return running;
}

function server(spec: ServiceSpec, name: string, counters: ServiceCounters, port: number, close: () => Promise<void>): RunningService {
  return { spec, counters, port, name, finished: false, summary: () => summarize(name, counters, false), close };
}

/** echo / discard on TCP and, with a stack, on UDP. */
async function startInetService(h: Partial<ServiceHost> & { sockets: WskProvider }, spec: ServiceSpec, name: string, counters: ServiceCounters): Promise<RunningService> {
  const echo = spec.service === 'echo';
  const sockets = new Set<TcpSocket>();
  const tcp = createServer(h.sockets, {}, (socket) => {
    counters.connections++;
    counters.active++;
    sockets.add(socket);
    socket.once('close', () => {
      counters.active--;
      sockets.delete(socket);
    });
    socket.on('error', () => counters.errors++);
    socket.on('data', (chunk: Buffer) => {
      counters.bytesIn += chunk.length;
      if (echo) {
        counters.bytesOut += chunk.length;
        // Back-pressure: stop reading while the echo cannot be queued.
        if (!socket.write(chunk)) {
          socket.pause();
          socket.once('drain', () => socket.resume());
        }
      }
    });
    socket.on('end', () => socket.end());
  });
  const port = await listen(tcp, spec);
  const udp: UdpSocket[] = [];
  try {
    if (h.stack !== undefined) {
      const families: (4 | 6)[] = spec.address === null ? [4, 6] : [spec.address.includes(':') ? 6 : 4];
      for (const family of families) {
        const sock = h.stack.udp.open(family);
        udp.push(sock);
        sock.bind(port, spec.address ?? undefined);
        sock.onMessage = (bytes: Uint8Array, offset: number, length: number, from: UdpEndpoint): void => {
          counters.datagramsIn++;
          counters.bytesIn += length;
          if (!echo) return;
          if (LOOP_PORTS.has(from.port)) {
            counters.refused++;
            return;
          }
          // Straight back out of the interface it came in on; the bytes are valid during this call only.
          if (sock.layer.sendTo(sock, bytes.subarray(offset, offset + length), from.address4, from.address6, from.port, from.iface)) {
            counters.datagramsOut++;
            counters.bytesOut += length;
          } else counters.errors++;
        };
      }
    }
  } catch (e) {
    for (const s of udp) s.close();
    await closeServer(tcp);
    throw e;
  }
  return server(spec, name, counters, port, async () => {
    for (const s of udp) s.close();
    const closed = closeServer(tcp);
    for (const s of sockets) s.destroy();
    await closed;
  });
}

/** ping / traffic: runs until `count` is sent or the service is closed. */
function startSource(stack: TcpIpStack, spec: ServiceSpec, name: string, counters: ServiceCounters): RunningService {
  const target = spec.target ?? '';
  const destination = stack.parseDestination(target); // throws on a bad literal before anything is sent
  const stop = new AbortController();
  let finished = false;
  const run = spec.service === 'ping' ? runPing(stack, spec, target, counters, stop.signal) : runTraffic(stack, spec, destination.family, target, counters, stop.signal);
  const done = run.then(
    () => {
      finished = true;
    },
    () => {
      counters.errors++;
      finished = true;
    },
  );
  return {
    spec,
    counters,
    port: spec.port,
    name,
    get finished() {
      return finished;
    },
    summary: () => summarize(name, counters, finished),
    close: async () => {
      stop.abort();
      await done;
    },
  };
}

async function runPing(stack: TcpIpStack, spec: ServiceSpec, target: string, counters: ServiceCounters, signal: AbortSignal): Promise<void> {
  const interval = spec.intervalMs ?? SOURCE_DEFAULTS.intervalMs;
  const size = spec.size ?? SOURCE_DEFAULTS.pingSize;
  const count = spec.count ?? SOURCE_DEFAULTS.pingCount;
  for (let i = 0; i < count && !signal.aborted; i++) {
    const started = Date.now();
    try {
      // One request at a time, so the counters move as replies come; a reply later than the interval
      // (or 1 s, whichever is longer) counts as lost.
      const r = await stack.ping(target, { count: 1, size, timeoutMs: Math.max(interval, 1000), signal });
      counters.pingsSent += r.transmitted;
      counters.bytesOut += r.transmitted * size;
      counters.pingsAnswered += r.received;
      counters.bytesIn += r.received * size;
      const rtt = r.rttMs[0];
      if (rtt !== null && rtt !== undefined) counters.lastRttMicroseconds = Math.round(rtt * 1000);
    } catch {
      counters.errors++; // no route, no buffers: counted, and the next request tries again
    }
    if (i + 1 < count) await sleep(Math.max(0, started + interval - Date.now()), signal);
  }
}

async function runTraffic(stack: TcpIpStack, spec: ServiceSpec, family: 4 | 6, target: string, counters: ServiceCounters, signal: AbortSignal): Promise<void> {
  const rate = spec.rate ?? SOURCE_DEFAULTS.rate;
  const count = spec.count ?? SOURCE_DEFAULTS.trafficCount;
  const payload = Uint8Array.from({ length: spec.size ?? SOURCE_DEFAULTS.trafficSize }, (_, i) => i & 0xff);
  const sock = stack.udp.open(family);
  try {
    sock.connect(target, spec.port);
    // Answers (from an echo service) and ICMP errors (nothing listening) are counted, not kept.
    sock.onMessage = (_b, _o, length) => {
      counters.datagramsIn++;
      counters.bytesIn += length;
    };
    sock.onError = () => counters.errors++;
    // Sent in ticks of at least 10 ms, as many as the rate allows by then: the rate holds on average
    // whatever the timer resolution.
    const tickMs = Math.max(10, 1000 / rate);
    const start = Date.now();
    let sent = 0;
    while (sent < count && !signal.aborted) {
      const due = Math.min(count, Math.floor(((Date.now() - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        let ok = false;
        try {
          ok = sock.send(payload);
        } catch {
          ok = false;
        }
        if (ok) {
          counters.datagramsOut++;
          counters.bytesOut += payload.length;
        } else counters.errors++;
      }
      if (sent < count) await sleep(tickMs, signal);
    }
    // The last datagrams may still be waiting for a neighbour or on their way back from an echo: keep
    // the socket a moment, so answers are counted rather than met with port unreachable.
    await sleep(LINGER_MS, signal);
  } finally {
    sock.close();
  }
}
