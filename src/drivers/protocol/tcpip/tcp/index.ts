/**
 * The TCP engine of tsndis (RFC 9293 and friends), independent of NDIS and of the IP layer: it talks to
 * the outside world only through `TcpHost` (host.ts) and uses `src/wire` for headers and options.
 *
 * ## Wiring (the IP layer)
 * ```ts
 * const tcp = new TcpLayer(host, { congestion: 'cubic', timeWaitMs: 60_000 });   // host: TcpHost
 * tcp.input(flow, bytes, offset, length, coalescedSegments);   // every TCP segment, checksum verified
 * tcp.icmpError(flow, 'packet-too-big', nextHopMtu, quotedSeq?);   // flow as seen from this host
 * tcp.abortAll('ENETDOWN');                                     // binding gone: no RSTs, onClosed(error)
 * tcp.inputBatchEnd();          // optional, at the end of each receive batch: merged ACKs go out
 * ```
 * `input` and `icmpError` must not be called from inside `host.transmit` or any other engine call
 * (defer loopback delivery to the next turn); such a call is dropped and counted (`reentrantInput`).
 * Ports are taken from the TCP header; `flow` supplies family and addresses (local = this host).
 * A connection keeps the `TcpRoute` object `host.route(flow)` returned and asks again only when that
 * object's `generation` changes: bump it on any change of the route, its disappearance included.
 *
 * ## Sockets (the socket layer)
 * ```ts
 * const l = tcp.listen({ family: 4, address: new Uint8Array(4), port: 80 }, { backlog: 128 }, {
 *   onConnection(conn) { conn.events = { onReadable, onWritable, onClosed }; },
 * });                                    // throws TcpError('EADDRINUSE'); port 0 picks one
 * const c = tcp.connect({ family: 4, address, port: 80 }, { noDelay: true }, {
 *   onConnected(conn) {}, onReadable(conn) {}, onWritable(conn) {}, onClosed(conn, err) {},
 * });                                    // throws ENETUNREACH / EADDRINUSE / EADDRNOTAVAIL / EMFILE
 * c.send(src, off, len)      → bytes queued (fewer when the send ring is full; onWritable follows, as it
 *                              does after writableLength read 0)
 * c.receive(dst, off, len)   → bytes copied out (opens the window; a window update goes out when useful)
 * c.receiveChunk(max?)       → in-order bytes in memory the caller owns, or null (from the first call
 *                              on, in-order bytes are stored as such chunks: one copy per byte, chunks.ts)
 * c.readableLength, c.writableLength, c.remoteClosed (EOF after the readable bytes), c.state
 * c.shutdown()               FIN after the queued data (half close)
 * c.close()                  shutdown + give up reading; RST instead if unread data remains (BSD)
 * c.abort()                  RST now; onClosed(conn, null)
 * c.setNoDelay(b), c.setKeepAlive(enable, idleMs?), c.info() → TcpInfo (TCP_INFO-like)
 * c.setCongestion('cubic' | 'newreno' | 'bbr' | 'bbr1')   TCP_CONGESTION: a fresh controller from the current cwnd
 * l.accept(), l.pause(), l.resume(), l.close(), l.halfOpenCount, l.acceptQueueLength
 * tcp.connections(), tcp.listeners(), tcp.counters (RFC 4022 names + drop reasons)
 * ```
 * Events run synchronously at the end of the engine call that caused them (input, timer, API call),
 * when the engine state is consistent: handlers may call any method. `onClosed` fires once: null for a
 * graceful end (both FINs exchanged; the engine may keep the tuple in TIME-WAIT), else a TcpError
 * (ECONNRESET, ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, or the `abortAll` reason). Unread
 * data stays readable after onClosed. After `close()`, onReadable/onWritable stop; onClosed still fires.
 * A listener's completed connections are delivered by onConnection; while it is paused (or has no
 * handler) they queue, bounded by the backlog, for `accept()` — check `readableLength`/`remoteClosed`
 * after accepting, since data may have arrived before. SYN-RECEIVED entries have their own budget
 * (`maxHalfOpen`, per listener and in total); a full accept queue drops SYNs and handshake ACKs.
 *
 * ## What is inside
 * Full state machine with simultaneous open/close; window scaling, MSS (from the route), SACK
 * (receiver blocks from the assembler, sender scoreboard with RFC 6675-style recovery and PRR), timestamps +
 * PAWS; RACK-TLP (RFC 8985) on a per-segment send log with delivery-rate samples for the controller
 * (sendlog.ts, rate.ts, rack.ts); pacing, LSO bursts included (pacing.ts);
 * RTO per RFC 6298 with backoff and Karn; NewReno (RFC 6582), CUBIC (RFC 9438, default) and
 * BBRv3 (draft-ietf-ccwg-bbr-06, bbr.ts, model-based: fed rate samples by the send path) and BBRv1
 * (Linux's mainline bbr, bbr1.ts);
 * Nagle (Minshall variant), delayed ACK, receiver and sender SWS avoidance, persist timer, keepalive,
 * window validation after idle; RFC 5961 (challenge ACKs, rate limited, ACK validation); RSTs answering unexpected
 * segments through a token bucket (`rstRateLimit`, `rstBurst`); RFC 6528 ISNs
 * (SipHash-2-4); SYN-flood bounds (per listener and total half-open budgets; the backlog bounds the
 * accept queue) with SYN cookies beyond them (RFC 4987; options ride in the timestamp echo as Linux
 * encodes them; `synCookies: false` evicts the oldest half-open entry instead); fewer SYN-ACK retries
 * for old half-open entries under pressure (Linux's rule); LSO (one buffer of
 * up to `route.lsoMaxPayload` bytes, `mss` passed to `transmit`) and RSC input; ICMP errors (PMTU,
 * hard errors in SYN-SENT, soft errors). Buffers take memory as data needs it, autotuned (receive:
 * dynamic right-sizing; send: with cwnd) within per-connection bounds and a stack-wide ceiling, and give
 * it back when idle (buffers.ts, memory.ts). Per segment nothing is allocated: one reused header view
 * and segment record, rings that grow rarely (amortised), an out-of-order assembler whose range store
 * grows (doubling) only when the path shows more reordering than before, one timer per connection
 * multiplexing all its deadlines. Receive side: D-SACK for every duplicate, ACKs every second full-sized
 * segment or per RSC frame, at once for hole fills, and out-of-order ACKs merged after the first three
 * per hole (SACK compression, sent at the end of the host's receive batch: `inputBatchEnd`).
 */
export { TcpLayer } from './layer.js';
export { TcpCounters } from './counters.js';
export { TcpError, type TcpErrorCode } from './errors.js';
export {
  DEFAULT_TCP_CONFIG,
  resolveTcpConfig,
  type TcpConfig,
  type TcpConnectOptions,
  type TcpConnection,
  type TcpConnectionEvents,
  type TcpEndpoint,
  type TcpInfo,
  type TcpListenOptions,
  type TcpListener,
  type TcpListenerEvents,
  type TcpSocketOptions,
  type TcpStateName,
} from './api.js';
export type { CongestionAlgorithm, CongestionControl, LostSegment, RateSample } from './congestion.js';
export { Bbr, type BbrOptions, type BbrState } from './bbr.js';
export { Bbr1, type Bbr1Options, type Bbr1State } from './bbr1.js';
export type { IpFamily, TcpFlow, TcpHost, TcpIcmpError, TcpInput, TcpOutputBuffer, TcpRoute, TcpTimer } from './host.js';
