/**
 * ICMP errors for a connection (RFC 1122 §4.2.3.9, RFC 5927, RFC 1191/8201): packet-too-big lowers the
 * path MTU and resends the flight in smaller segments without a congestion response; unreachables
 * abort a connect in progress; everything else is remembered as a soft error, reported instead of
 * ETIMEDOUT if the connection later times out.
 */
import { TcpError, type TcpErrorCode } from './errors.js';
import type { TcpIcmpError } from './host.js';
import { output } from './output.js';
import { seqGe, seqGt, seqLt } from './seq.js';
import { St } from './state.js';
import type { Tcb } from './tcb.js';

const ERROR_CODE: Record<TcpIcmpError, TcpErrorCode> = {
  'net-unreachable': 'ENETUNREACH',
  'host-unreachable': 'EHOSTUNREACH',
  'protocol-unreachable': 'ECONNREFUSED',
  'port-unreachable': 'ECONNREFUSED',
  'admin-prohibited': 'EHOSTUNREACH',
  'packet-too-big': 'EHOSTUNREACH',
  'time-exceeded': 'EHOSTUNREACH',
  'parameter-problem': 'EHOSTUNREACH',
};

const HARD: ReadonlySet<TcpIcmpError> = new Set<TcpIcmpError>(['net-unreachable', 'host-unreachable', 'protocol-unreachable', 'port-unreachable', 'admin-prohibited']);

/** The smallest path MTU accepted from ICMP (Linux's min_pmtu for IPv4; the IPv6 minimum link MTU). */
export const MIN_PMTU_V4 = 552;
export const MIN_PMTU_V6 = 1280;

export function icmpArrives(t: Tcb, error: TcpIcmpError, nextHopMtu: number, quotedSeq: number | undefined, detail?: string): void {
  const c = t.counters;
  if (ERROR_CODE[error] === undefined) {
    c.icmpIgnored++;
    return;
  }
  // RFC 5927 §4.1: the quoted segment must be one in flight.
  if (quotedSeq !== undefined && (!Number.isInteger(quotedSeq) || seqLt(quotedSeq | 0, t.sndUna) || seqGe(quotedSeq | 0, t.sndMax))) {
    c.icmpIgnored++;
    return;
  }
  if (error === 'packet-too-big') {
    t.refreshRoute();
    const routeMtu = t.route !== null ? t.route.mtu : 0xffff;
    const current = t.pmtu > 0 ? Math.min(t.pmtu, routeMtu) : routeMtu;
    const next = Math.max(t.flow.family === 4 ? MIN_PMTU_V4 : MIN_PMTU_V6, Number.isFinite(nextHopMtu) ? Math.floor(nextHopMtu) : 0);
    if (!(nextHopMtu > 0) || next >= current) {
      c.icmpIgnored++;
      return;
    }
    t.pmtu = next;
    c.pmtuUpdates++;
    t.updateMss();
    if (t.synchronized() && seqGt(t.sndMax, t.sndUna)) {
      t.sndNxt = t.sndUna;
      t.rttActive = false;
      output(t);
    }
    return;
  }
  const code = ERROR_CODE[error];
  if (HARD.has(error) && (t.st === St.SynSent || (t.st === St.SynReceived && !t.passive))) {
    c.icmpHardErrors++;
    t.terminate(new TcpError(code, detail ?? `ICMP ${error}`));
    return;
  }
  c.icmpSoftErrors++;
  t.softError = code;
}
