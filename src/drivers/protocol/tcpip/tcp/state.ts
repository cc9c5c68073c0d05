/** Connection states (RFC 9293 §3.3.2) as small integers, with their names for the API. */
import type { TcpStateName } from './api.js';

export const St = {
  Closed: 0,
  Listen: 1,
  SynSent: 2,
  SynReceived: 3,
  Established: 4,
  FinWait1: 5,
  FinWait2: 6,
  CloseWait: 7,
  Closing: 8,
  LastAck: 9,
  TimeWait: 10,
} as const;
export type St = (typeof St)[keyof typeof St];

export const STATE_NAMES: readonly TcpStateName[] = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
];

/** States in which received data is accepted into the receive ring. */
export function receivesData(s: St): boolean {
  return s === St.Established || s === St.FinWait1 || s === St.FinWait2;
}

/** States counted by RFC 4022 tcpCurrEstab. */
export function isCurrEstab(s: St): boolean {
  return s === St.Established || s === St.CloseWait;
}
