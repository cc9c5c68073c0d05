/**
 * node:http over tsndis: an `http.Agent` whose connections are TcpSockets, and a helper that feeds an
 * `http.Server` with the connections of a TcpServer. Node's HTTP parser and serializer run unchanged;
 * only the transport underneath is ours.
 */
import { Agent, type AgentOptions, type ClientRequestArgs, type RequestListener, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { createConnection, createServer, type TcpServer, type TcpServerOptions } from './stream.js';
import type { WskProvider } from './wsk.js';

export class TsndisHttpAgent extends Agent {
  constructor(
    readonly provider: WskProvider,
    options: AgentOptions = {},
  ) {
    super(options);
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const port = Number(options.port ?? 80);
    const host = String(options.host ?? options.hostname ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
    const socket = createConnection(this.provider, { port, host });
    if (callback !== undefined) {
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (e) => callback(e, socket));
    }
    return socket;
  }
}

/** An http.Server fed by a TcpServer listening on `port` of the tsndis stack. Close both with `close()`. */
export function createHttpServer(provider: WskProvider, handler: RequestListener, options: TcpServerOptions = {}): { http: HttpServer; tcp: TcpServer; close(): Promise<void> } {
  const http = new HttpServer(handler);
  const tcp = createServer(provider, options, (socket) => http.emit('connection', socket));
  return {
    http,
    tcp,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        tcp.close(() => resolve());
      }),
  };
}
