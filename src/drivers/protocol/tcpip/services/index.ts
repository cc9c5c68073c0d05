/**
 * Built-in services a host's TCP/IP stack can run (`services:` in a stack config, started by
 * `tsndis up`): echo (RFC 862), discard (RFC 863) and a static-file http server. Each listens on the
 * given address, or on every IPv4 and IPv6 address of the host, and counts what it did.
 */
import type { RequestListener } from 'node:http';
import { createHttpServer } from '../socket/http.js';
import { createServer, type TcpServer, type TcpSocket } from '../socket/stream.js';
import type { WskProvider } from '../socket/wsk.js';
import { staticFiles } from './static-files.js';

export type ServiceKind = 'echo' | 'discard' | 'http';

export interface ServiceSpec {
  readonly service: ServiceKind;
  readonly port: number;
  /** Listen address literal, or null for every address. */
  readonly address: string | null;
  /** http: the directory served. */
  readonly root: string | null;
}

export class ServiceCounters {
  connections = 0;
  active = 0;
  bytesIn = 0;
  bytesOut = 0;
  requests = 0;
  errors = 0;
}

export interface RunningService {
  readonly spec: ServiceSpec;
  readonly counters: ServiceCounters;
  /** The listening port (the configured one, or the ephemeral port chosen for 0). */
  readonly port: number;
  close(): Promise<void>;
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

/** Starts `spec` on the stack behind `provider`; rejects with the listen error (EADDRINUSE …). */
export async function startService(provider: WskProvider, spec: ServiceSpec): Promise<RunningService> {
  const counters = new ServiceCounters();
  if (spec.service === 'http') {
    const handler: RequestListener = staticFiles(spec.root ?? process.cwd(), counters);
    const h = createHttpServer(provider, handler);
    h.tcp.on('connection', (s) => {
      counters.connections++;
      counters.active++;
      s.once('close', () => counters.active--);
    });
    const port = await listen(h.tcp, spec);
    return { spec, counters, port, close: () => h.close() };
  }
  const sockets = new Set<TcpSocket>();
  const server = createServer(provider, {}, (socket) => {
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
      if (spec.service === 'echo') {
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
  const port = await listen(server, spec);
  return {
    spec,
    counters,
    port,
    close: async () => {
      const closed = closeServer(server);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
