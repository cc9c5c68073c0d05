/**
 * Load-time checks of the address texts in tsndis.tcpip keywords (`KeywordDefinition.check`): the config
 * loader runs them, so a bad address is a ConfigError naming the keyword and entry before anything
 * starts, with the reason, rather than a failed bind with the reason in a log. The binding applies the
 * interface-address rule again at bind time, for keywords given in code.
 *
 * Interface addresses need their prefix length (`198.18.0.2/24`): without one the address would be a
 * /32 (or /128) with no on-link subnet, which is never what was meant. A route's destination without
 * one is a host route, as in `ip route`.
 */
import { ipAddressProblem, mac } from '../../../wire/index.js';
import { parseRouteSpec } from './addr.js';

type Family = 4 | 6;

/** The prefix length suggested for an address written without one. */
const USUAL_PREFIX: Record<Family, number> = { 4: 24, 6: 64 };

function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** An address literal, `%zone` allowed when `zone` (link-local gateways need one). */
function addressProblem(address: string, zone: boolean): string | undefined {
  const pct = address.indexOf('%');
  const body = pct < 0 ? address : address.slice(0, pct);
  if (pct >= 0 && !zone) return `'${address}': an address here takes no zone (the interface it is configured on is its zone)`;
  if (pct >= 0 && pct === address.length - 1) return `'${address}': the zone after '%' is empty`;
  const why = ipAddressProblem(body);
  return why === null ? undefined : `'${body}' is not an IPv${familyOf(body)} address: ${why}`;
}

function prefixLengthProblem(text: string, family: Family): string | undefined {
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(text) && Number(text) <= max ? undefined : `'/${text}' is not a prefix length from 0 to ${max}`;
}

function wrongFamily(address: string, want: Family, keyword: string): string {
  return `${address} is an IPv${familyOf(address)} address, not IPv${want} (${familyOf(address) === 4 ? 'IPv4 addresses go in IPAddress' : 'IPv6 addresses go in IPv6Address'}${keyword === '' ? '' : `; ${keyword} takes IPv${want}`})`;
}

/** `IPAddress` / `IPv6Address` entries: an address of `family` with its prefix length. */
export function interfaceAddressProblem(text: string, family: Family): string | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const address = slash < 0 ? t : t.slice(0, slash);
  const bad = addressProblem(address, false);
  if (bad !== undefined) return bad;
  if (familyOf(address) !== family) return wrongFamily(address, family, '');
  if (slash < 0) return `${address} has no prefix length; write ${address}/${USUAL_PREFIX[family]}`;
  return prefixLengthProblem(t.slice(slash + 1), family);
}

/** `DefaultGateway` / `IPv6DefaultGateway`: empty (none) or an address of `family`. */
export function gatewayProblem(text: string, family: Family, keyword: string): string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const bad = addressProblem(t, family === 6);
  if (bad !== undefined) return bad;
  return familyOf(t) === family ? undefined : wrongFamily(t, family, keyword);
}

/** `Routes` entries: `dest[/len] [via gateway] [metric n]`. */
export function routeProblem(text: string): string | undefined {
  const parts = text.trim().split(/\s+/);
  const dest = parts[0] ?? '';
  const slash = dest.indexOf('/');
  const address = slash < 0 ? dest : dest.slice(0, slash);
  const bad = addressProblem(address, false);
  if (bad !== undefined) return bad;
  if (slash >= 0) {
    const p = prefixLengthProblem(dest.slice(slash + 1), familyOf(address));
    if (p !== undefined) return p;
  }
  for (let i = 1; i < parts.length; i += 2) {
    const key = parts[i]!;
    const value = parts[i + 1];
    if (key !== 'via' && key !== 'metric') return `'${key}': expected 'via <gateway>' or 'metric <n>' after the destination`;
    if (value === undefined) return `'${key}' needs a value`;
    if (key === 'via') {
      const g = addressProblem(value, true);
      if (g !== undefined) return `gateway ${g}`;
      if (familyOf(value) !== familyOf(address)) return `gateway ${value} is IPv${familyOf(value)}, the destination ${address} is IPv${familyOf(address)}`;
    } else if (!/^\d{1,9}$/.test(value)) return `metric '${value}' is not a whole number`;
  }
  try {
    parseRouteSpec(text);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return undefined;
}

/** `Neighbors` entries: `address MAC`. */
export function neighborProblem(text: string): string | undefined {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] === '') return `expected '<address> <MAC>', e.g. '198.18.0.1 02-00-00-00-00-01'`;
  const bad = addressProblem(parts[0]!, true);
  if (bad !== undefined) return bad;
  try {
    mac(parts[1]!);
  } catch {
    return `'${parts[1]}' is not a MAC address (6 hex bytes separated by ':' or '-')`;
  }
  return undefined;
}
