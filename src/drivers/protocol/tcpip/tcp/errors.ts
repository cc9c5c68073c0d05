/** Errors the TCP engine reports, with Node's error codes so socket layers can pass them on as they are. */
export type TcpErrorCode =
  | 'ECONNRESET'
  | 'ECONNREFUSED'
  | 'ECONNABORTED'
  | 'ETIMEDOUT'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ENETDOWN'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EPIPE'
  | 'EMFILE'
  | 'EINVAL'
  | 'ENOTCONN';

const MESSAGES: Record<TcpErrorCode, string> = {
  ECONNRESET: 'connection reset by peer',
  ECONNREFUSED: 'connection refused',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network is down',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  EPIPE: 'broken pipe: the connection cannot send any more',
  EMFILE: 'too many connections',
  EINVAL: 'invalid argument',
  ENOTCONN: 'not connected',
};

export class TcpError extends Error {
  readonly code: TcpErrorCode;
  constructor(code: TcpErrorCode, detail?: string) {
    super(detail === undefined ? `${code}: ${MESSAGES[code]}` : `${code}: ${MESSAGES[code]} (${detail})`);
    this.name = 'TcpError';
    this.code = code;
  }
}
