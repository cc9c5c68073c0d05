/**
 * The TCP engine's settings (TcpConfig) as keywords of tsndis.tcpip, so a stack config sets them like
 * any other keyword (`TcpSendBufferSize: 4194304` under the protocol's keywords). There is one engine
 * per host, so these keywords are `scope: 'host'`: every binding of a host that gives one must give the
 * same value (the config loader checks it; set them once, in `hosts.<h>.protocols`). A keyword left out
 * keeps the engine's value (DEFAULT_TCP_CONFIG, or what `new TcpIpProtocol({ tcp })` set).
 *
 * Ranges are those of `resolveTcpConfig`; the two orderings between keywords (RTO min ≤ initial ≤ max,
 * ephemeral port min ≤ max) are checked by `tcpKeywordProblem` against the values the engine ends up
 * with, so the loader can name the offending keyword.
 */
import type { ConfigValue, KeywordDefinition, KeywordSchema } from '../../../ndis/index.js';
import { DEFAULT_TCP_CONFIG, resolveTcpConfig, type TcpConfig } from './tcp/api.js';

type Field = Exclude<keyof TcpConfig, 'onCallbackError'>;

const int = (field: Field, min: number, max: number, description: string): [Field, KeywordDefinition] => [field, { type: 'int', description, min, max, scope: 'host' }];
const bool = (field: Field, description: string): [Field, KeywordDefinition] => [field, { type: 'boolean', description, scope: 'host' }];

const MAX_BUFFER = 1 << 30;
const MAX_COUNT = 1 << 24;
const MAX_MEMORY = 2 ** 44;

/** TcpConfig field → keyword definition (no `default`: an absent keyword leaves the engine's value). */
const DEFINITIONS: readonly [Field, KeywordDefinition][] = [
  int('sendBufferSize', 1024, MAX_BUFFER, 'initial send buffer of a connection, autotuned with cwnd (per-socket option sendBufferSize pins it)'),
  int('receiveBufferSize', 1024, MAX_BUFFER, 'initial receive buffer (window) of a connection, autotuned (per-socket receiveBufferSize pins it)'),
  int('sendBufferMin', 1024, MAX_BUFFER, 'send buffer every connection may use even beyond TcpMemoryHigh'),
  int('sendBufferMax', 1024, MAX_BUFFER, 'largest send buffer autotuning may reach'),
  int('receiveBufferMin', 1024, MAX_BUFFER, 'receive buffer every connection may use even beyond TcpMemoryHigh'),
  int('receiveBufferMax', 1024, MAX_BUFFER, 'largest receive buffer (window) autotuning may reach; the window scale is chosen for it'),
  bool('receiveBufferAutotuning', 'grow the receive buffer with the delivery rate × RTT (dynamic right-sizing)'),
  bool('sendBufferAutotuning', 'grow the send buffer with the congestion window'),
  int('memoryLow', 0, MAX_MEMORY, 'ring memory of all connections (bytes) below which memory pressure ends'),
  int('memoryPressure', 0, MAX_MEMORY, 'ring memory beyond which the stack is under pressure (no autotuning, idle rings released at once)'),
  int('memoryHigh', 0, MAX_MEMORY, 'ring memory beyond which no ring grows past its minimum (windows stop opening)'),
  int('bufferIdleMs', 1, 3_600_000, 'an empty ring goes back to the pool after about this long without traffic'),
  int('bufferPoolMaxBytes', 0, MAX_MEMORY, 'wholly free ring memory the pool keeps for reuse'),
  int('bufferPoolIdleMs', 0, 3_600_000, 'how long the pool keeps wholly free memory before it goes back to the system'),
  int('maxConnections', 1, MAX_COUNT, 'connections in the table, half-open and TIME-WAIT included'),
  int('maxHalfOpen', 0, MAX_COUNT, 'SYN-RECEIVED connections across all listeners'),
  int('maxHalfOpenPerListener', 0, MAX_COUNT, 'SYN-RECEIVED connections per listener'),
  bool('synCookies', 'answer SYNs beyond the half-open bounds with SYN cookies (off: the oldest half-open entry of the listener makes room)'),
  int('defaultBacklog', 1, MAX_COUNT, 'listen backlog (accept queue of completed connections) when listen() gives none'),
  int('timeWaitMs', 0, 3_600_000, 'TIME-WAIT length (2·MSL)'),
  int('maxTimeWait', 0, MAX_COUNT, 'connections in TIME-WAIT at once (beyond, closed at once and counted)'),
  int('finWait2TimeoutMs', 0, 3_600_000, 'how long an application-closed connection may sit in FIN-WAIT-2'),
  int('rtoInitialMs', 1, 3_600_000, 'initial retransmission timeout (between TcpRtoMinMs and TcpRtoMaxMs)'),
  int('rtoMinMs', 1, 60_000, 'lower bound of the retransmission timeout'),
  int('rtoMaxMs', 1, 3_600_000, 'upper bound of the retransmission timeout'),
  int('synRetries', 0, 255, 'SYN retransmissions before connect fails with ETIMEDOUT'),
  int('synAckRetries', 0, 255, 'SYN-ACK retransmissions before a half-open connection is dropped'),
  int('maxRetransmits', 1, 255, 'timeouts of one segment (or unanswered persist probes) before ETIMEDOUT'),
  bool('delayedAck', 'delay ACKs (per-socket option delayedAck overrides)'),
  int('delayedAckMs', 1, 500, 'delayed-ACK timeout'),
  bool('noDelay', 'disable Nagle’s algorithm by default (per-socket setNoDelay overrides)'),
  bool('keepAlive', 'keepalive probes by default (per-socket setKeepAlive overrides)'),
  int('keepAliveIdleMs', 1, 1_000_000_000, 'idle time before the first keepalive probe'),
  int('keepAliveIntervalMs', 1, 1_000_000_000, 'between keepalive probes'),
  int('keepAliveCount', 1, 1000, 'unanswered keepalive probes before the connection fails with ETIMEDOUT'),
  ['congestion', { type: 'enum', description: 'congestion control (per-socket option congestion overrides)', values: ['cubic', 'newreno', 'bbr', 'bbr1'], scope: 'host' }],
  bool('windowScaling', 'offer window scaling (RFC 7323)'),
  bool('sack', 'offer selective acknowledgements (RFC 2018)'),
  bool('timestamps', 'offer timestamps (RFC 7323)'),
  int('initialWindowSegments', 1, 1000, 'initial congestion window in segments'),
  bool('tailLossProbe', 'tail loss probes (RFC 8985 §7)'),
  int('maxOutOfOrderRanges', 1, 16384, 'out-of-order ranges preallocated per connection; the store grows on demand with the window'),
  int('maxSackRanges', 1, 256, 'SACK ranges the sender keeps'),
  int('challengeAcksPerSecond', 0, 1_000_000, 'challenge ACKs per connection per second (RFC 5961 §7)'),
  int('rstRateLimit', 0, 1_000_000, 'RSTs a second sent in answer to unexpected segments (no connection…); 0: no limit'),
  int('rstBurst', 1, 1_000_000, 'RSTs that may go out at once before TcpRstRateLimit applies'),
  int('outOfWindowAckIntervalMs', 0, 60_000, 'least time between answers to out-of-window segments, per connection'),
  int('ephemeralPortMin', 1, 65535, 'lowest ephemeral port'),
  int('ephemeralPortMax', 1, 65535, 'highest ephemeral port'),
  int('mss', 0, 65495, 'advertised MSS (0: from the route MTU)'),
  int('bbrLossThresholdPercent', 1, 50, 'loss rate per round trip BBR tolerates while probing for bandwidth (draft-ietf-ccwg-bbr: 2)'),
  int('sackCompressSegments', 0, 255, 'out-of-order segments whose ACKs may be merged after the first three per hole (Linux tcp_comp_sack_nr); 0: ACK each at once'),
  bool('pacing', 'pace transmissions and LSO bursts at the congestion controller’s pacing rate (default cwnd/SRTT × 2 in slow start, × 1.2 after)'),
];

/** `sendBufferSize` → `TcpSendBufferSize`. */
function keywordOf(field: Field): string {
  return `Tcp${field[0]!.toUpperCase()}${field.slice(1)}`;
}

const FIELD_OF = new Map<string, Field>(DEFINITIONS.map(([f]) => [keywordOf(f), f]));

/** The stack-wide TCP keywords of tsndis.tcpip (merged into TCPIP_KEYWORDS). */
export const TCP_KEYWORDS: KeywordSchema = Object.fromEntries(DEFINITIONS.map(([f, d]) => [keywordOf(f), d]));

/** The TcpConfig field a keyword sets, or undefined for other keywords. */
export function tcpConfigField(keyword: string): keyof TcpConfig | undefined {
  return FIELD_OF.get(keyword);
}

/**
 * The TcpConfig a binding's keywords ask for: the TCP keywords present in `given` (values as the
 * loader normalized them: numbers, booleans, the enum's string). Other keywords are ignored.
 */
export function tcpConfigFromKeywords(given: Iterable<readonly [string, ConfigValue]>): Partial<TcpConfig> {
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of given) {
    const field = FIELD_OF.get(keyword);
    if (field === undefined) continue;
    const def = TCP_KEYWORDS[keyword]!;
    if (def.type === 'int') out[field] = typeof value === 'number' ? value : Number(value);
    else if (def.type === 'boolean') out[field] = value === true || value === 1 || (typeof value === 'string' && /^(1|true)$/i.test(value.trim()));
    else out[field] = String(value);
  }
  return out as Partial<TcpConfig>;
}

/** Pairs of fields that must be ordered (lower ≤ upper). */
const ORDERED: readonly [Field, Field][] = [
  ['rtoMinMs', 'rtoInitialMs'],
  ['rtoInitialMs', 'rtoMaxMs'],
  ['ephemeralPortMin', 'ephemeralPortMax'],
  ['sendBufferMin', 'sendBufferMax'],
  ['receiveBufferMin', 'receiveBufferMax'],
  ['memoryLow', 'memoryPressure'],
  ['memoryPressure', 'memoryHigh'],
];

/**
 * What is wrong with the TCP keywords of `given` once merged over `base` (default DEFAULT_TCP_CONFIG):
 * the keyword to blame (one that was given) and why, or null when the engine accepts them.
 */
export function tcpKeywordProblem(given: Readonly<Record<string, ConfigValue>>, base: Readonly<TcpConfig> = DEFAULT_TCP_CONFIG): { keyword: string; problem: string } | null {
  const partial = tcpConfigFromKeywords(Object.entries(given));
  const merged = { ...base, ...partial };
  for (const [lo, hi] of ORDERED) {
    if (merged[lo] <= merged[hi]) continue;
    const blame = hi in partial ? hi : lo;
    const other = blame === hi ? lo : hi;
    const source = other in partial ? '' : ', its default';
    const relation = blame === hi ? 'below' : 'above';
    return { keyword: keywordOf(blame), problem: `${merged[blame]} is ${relation} ${keywordOf(other)} (${merged[other]}${source})` };
  }
  try {
    resolveTcpConfig(partial, base);
  } catch (e) {
    const field = /TcpConfig\.(\w+)/.exec(e instanceof Error ? e.message : '')?.[1] as Field | undefined;
    const keyword = field !== undefined && field in partial ? keywordOf(field) : (Object.keys(given).find((k) => FIELD_OF.has(k)) ?? '');
    return { keyword, problem: e instanceof Error ? e.message : String(e) };
  }
  return null;
}
