/**
 * Underlay endpoints (VTEPs): parsing the `LocalAddress` and `Remotes` keywords. Addresses are IPv4
 * literals in dotted-quad form; a remote is `ip` (the port defaults to the adapter's `LocalPort`, as a
 * Linux vxlan device uses its one `dstport` both ways) or `ip:port`.
 */

export interface VxlanEndpoint {
  /** Dotted quad, normalized (no leading zeros): the string handed to the socket. */
  readonly address: string;
  readonly port: number;
}

/** The IPv4 address as an unsigned 32-bit number, or -1 when `text` is not a dotted quad. */
export function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Multicast (224/4), limited broadcast and 0.0.0.0: not usable as a remote VTEP here. */
function unusableRemote(v: number): string | null {
  if (v === 0) return '0.0.0.0 is not an address';
  if (v === 0xffffffff) return 'the limited broadcast address is not a VTEP';
  if (v >>> 28 === 0xe) return 'multicast underlay groups are not supported (list the remote VTEPs instead)';
  return null;
}

/** Parses one remote (`ip` or `ip:port`); returns a sentence saying what is wrong instead of throwing. */
export function parseRemote(text: string, defaultPort: number): VxlanEndpoint | string {
  const t = text.trim();
  const m = /^([0-9.]+)(?::([0-9]{1,5}))?$/.exec(t);
  const ip = m === null ? -1 : parseIPv4(m[1]!);
  if (m === null || ip < 0) return `'${text}' is not an IPv4 address or address:port`;
  const bad = unusableRemote(ip);
  if (bad !== null) return `'${text}': ${bad}`;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return `'${text}': port ${port} is outside 1..65535`;
  return { address: formatIPv4(ip), port };
}

/**
 * The `Remotes` keyword: a list of strings, or one string with entries separated by commas or spaces.
 * Duplicates are dropped (a frame is flooded once per endpoint).
 */
export function parseRemotes(value: unknown, defaultPort: number): { remotes: VxlanEndpoint[]; errors: string[] } {
  const items: string[] = [];
  if (Array.isArray(value)) {
    for (const v of value) items.push(...String(v).split(/[\s,]+/));
  } else if (typeof value === 'string') {
    items.push(...value.split(/[\s,]+/));
  } else if (value !== undefined && value !== null) {
    return { remotes: [], errors: [`Remotes must be a list of 'ip' or 'ip:port' strings, not ${typeof value}`] };
  }
  const remotes: VxlanEndpoint[] = [];
  const errors: string[] = [];
  for (const item of items) {
    if (item === '') continue;
    const r = parseRemote(item, defaultPort);
    if (typeof r === 'string') errors.push(r);
    else if (!remotes.some((x) => x.address === r.address && x.port === r.port)) remotes.push(r);
  }
  return { remotes, errors };
}
