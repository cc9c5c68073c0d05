/**
 * Meaning checks of a well-shaped config against the drivers' characteristics, producing the
 * StackDescription. Checked here (ndis-core §1.2–§1.3, §10):
 *
 *   - every driver named exists and is of the kind its slot takes (a miniport drives an adapter, filters
 *     go under `filters`, protocols under `protocols`, intermediate drivers under `intermediates`);
 *   - media: an adapter-level filter's FilterMediaTypes / protocol's MediumArray include the adapter's
 *     medium (a physical adapter's miniport medium, a virtual adapter's intermediate miniport medium);
 *     host-level filters and protocols go only to adapters whose medium they support;
 *   - keywords fit each driver's schema and pass its own checks (keywords.ts), which see the names of
 *     the wires the config defines (an undefined `Wire` is an error); keywords of scope 'host' (a
 *     protocol's stack-wide settings, such as tsndis.tcpip's Tcp… keywords) agree on every binding of a
 *     host, and tsndis.tcpip's TCP keywords are consistent with each other (RTO min ≤ initial ≤ max, …);
 *   - the intermediate graph: each virtual adapter is created by exactly one intermediate, is not also a
 *     physical adapter, and no intermediate sits (directly or through other intermediates) on one of the
 *     adapters it creates;
 *   - no driver is placed twice on one adapter.
 *
 * Not checked here: anything only a running driver can tell (a miniport that reports another medium in
 * its general attributes than it declared fails at bind time, in the binding engine).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ConfigValue, DriverCharacteristics, KeywordCheckContext, KeywordSchema } from '../ndis/driver-api.js';
import { SOURCE_DEFAULTS } from '../drivers/protocol/tcpip/services/index.js';
import { tcpKeywordProblem } from '../drivers/protocol/tcpip/tcp-keywords.js';
import { mediumName } from '../inspect/names.js';
import { formatIpv4, formatIpv6, ipAddressProblem, ipv6, parseIpv4Address } from '../wire/index.js';
import type { AdapterDescription, DriverUse, HostDescription, IntermediateDescription, ServiceDescription, WireDescription } from './description.js';
import { joinKeyPath } from './key-path.js';
import { checkKeywords } from './keywords.js';
import type { RawAdapter, RawDriverRef, RawHost, RawService, RawStackConfig } from './schema.js';

type Kind = DriverCharacteristics['kind'];

/** The keyword an intermediate's binding receives its `upper` list in. */
export const UPPER_BINDINGS_KEYWORD = 'UpperBindings';

/** The protocol driver built-in services run on. */
export const TCPIP_PROTOCOL = 'tsndis.tcpip';
/** Default ports: where servers listen; where traffic sends (the discard service). */
const SERVICE_PORTS = { echo: 7, discard: 9, http: 80, traffic: 9 } as const;

type ServiceKind = RawService['service'];
/** Service keys that only some kinds take. */
const SERVICE_KEYS: readonly (readonly [Exclude<keyof RawService, 'service'>, readonly ServiceKind[]])[] = [
  ['port', ['echo', 'discard', 'http', 'traffic']],
  ['address', ['echo', 'discard', 'http']],
  ['root', ['http']],
  ['target', ['ping', 'traffic']],
  ['intervalMs', ['ping']],
  ['rate', ['traffic']],
  ['size', ['ping', 'traffic']],
  ['count', ['ping', 'traffic']],
];

/** An address literal in one spelling (`fd00:0::2` and `fd00::2` compare equal), or null if it is none. */
function canonicalAddress(text: string): string | null {
  if (ipAddressProblem(text) !== null) return null;
  return text.includes(':') ? formatIpv6(ipv6(text)) : formatIpv4(parseIpv4Address(text));
}

const SLOT_HINT: Record<Kind, string> = {
  miniport: 'miniport drivers drive adapters: adapters.<name>.driver',
  filter: 'filter drivers go under `filters`',
  protocol: 'protocol drivers go under `protocols`',
  intermediate: 'intermediate drivers go under `intermediates`',
};

function article(kind: Kind): string {
  return kind === 'intermediate' ? `an ${kind}` : `a ${kind}`;
}

export class Validator {
  readonly #file: string;
  readonly #drivers: ReadonlyMap<string, DriverCharacteristics>;
  readonly #moduleDrivers: readonly string[];
  readonly #baseDir: string;
  /** What keyword checks may know of the config (the wires it defines). */
  #context: KeywordCheckContext = { wires: new Set() };

  constructor(file: string, drivers: ReadonlyMap<string, DriverCharacteristics>, moduleDrivers: readonly string[], baseDir = '.') {
    this.#file = file;
    this.#baseDir = resolve(baseDir);
    this.#drivers = drivers;
    this.#moduleDrivers = moduleDrivers;
  }

  #fail(keyPath: string, detail: string): never {
    throw new ConfigError(this.#file, keyPath, detail);
  }

  /** The characteristics of `name`, which must be of kind `want`. */
  #driver<K extends Kind>(keyPath: string, name: string, want: K): Extract<DriverCharacteristics, { kind: K }> {
    const chars = this.#drivers.get(name);
    if (chars === undefined) {
      const known = [...this.#drivers.values()].filter((c) => c.kind === want).map((c) => c.name);
      this.#fail(keyPath, `unknown driver '${name}' (known: ${known.length > 0 ? known.join(', ') : `no ${want} drivers`})`);
    }
    if (chars.kind !== want) this.#fail(keyPath, `driver '${name}' is ${article(chars.kind)} driver, not ${article(want)} driver (${SLOT_HINT[chars.kind]})`);
    return chars as Extract<DriverCharacteristics, { kind: K }>;
  }

  #keywords(keyPath: string, name: string, schema: KeywordSchema | undefined, given: Readonly<Record<string, ConfigValue>> | null | undefined, implicit: readonly string[] = []): Record<string, ConfigValue> {
    return checkKeywords(this.#file, joinKeyPath(keyPath, 'keywords'), name, schema, given ?? {}, { implicit, supplied: implicit, context: this.#context });
  }

  /** A list of filters or protocols, checked for kind, keywords and duplicates. */
  #uses(keyPath: string, refs: readonly RawDriverRef[] | null | undefined, kind: 'filter' | 'protocol'): DriverUse[] {
    const out: DriverUse[] = [];
    (refs ?? []).forEach((ref, i) => {
      const at = joinKeyPath(keyPath, i);
      const chars = this.#driver(joinKeyPath(at, 'driver'), ref.driver, kind);
      const j = out.findIndex((u) => u.driver === ref.driver);
      if (j >= 0) this.#fail(at, `${kind} '${ref.driver}' is listed twice (also at ${out[j]!.keyPath})`);
      const keywords = this.#keywords(at, ref.driver, chars.keywords, ref.keywords);
      if (ref.driver === TCPIP_PROTOCOL) {
        const bad = tcpKeywordProblem(keywords);
        if (bad !== null) this.#fail(joinKeyPath(at, 'keywords', bad.keyword), `keyword '${bad.keyword}' of driver '${ref.driver}': ${bad.problem}`);
      }
      out.push({ driver: ref.driver, keywords, keyPath: at });
    });
    return out;
  }

  /**
   * Keywords of scope 'host' set what a protocol driver has once per host (tsndis.tcpip's TCP engine):
   * every binding of the host that gives one must give the same value.
   */
  #hostScoped(adapters: readonly AdapterDescription[]): void {
    const first = new Map<string, { value: ConfigValue; keyPath: string }>();
    for (const a of adapters) {
      for (const u of a.effectiveProtocols) {
        const chars = this.#drivers.get(u.driver);
        const schema = chars?.kind === 'protocol' ? (chars.keywords ?? {}) : {};
        for (const [keyword, value] of Object.entries(u.keywords)) {
          if (schema[keyword]?.scope !== 'host') continue;
          const at = joinKeyPath(u.keyPath, 'keywords', keyword);
          const seen = first.get(`${u.driver} ${keyword}`);
          if (seen === undefined) first.set(`${u.driver} ${keyword}`, { value, keyPath: at });
          else if (String(seen.value) !== String(value)) {
            this.#fail(at, `keyword '${keyword}' of driver '${u.driver}' is a setting of the whole host, not of one adapter: ${String(value)} here but ${String(seen.value)} at ${seen.keyPath} (give it once, under the host's protocols)`);
          }
        }
      }
    }
  }

  #supports(use: DriverUse, medium: number): boolean {
    const c = this.#drivers.get(use.driver)!;
    if (c.kind === 'filter') return c.mediaTypes.includes(medium);
    if (c.kind === 'protocol') return c.mediumArray.includes(medium);
    return false;
  }

  #mediaOf(use: DriverUse): string {
    const c = this.#drivers.get(use.driver)!;
    const list = c.kind === 'filter' ? c.mediaTypes : c.kind === 'protocol' ? c.mediumArray : [];
    return list.map(mediumName).join(', ');
  }

  /** The wires; call it before `host` (keyword checks see which wires exist). */
  wires(raw: RawStackConfig['wires']): WireDescription[] {
    this.#context = { wires: new Set(Object.keys(raw ?? {})) };
    return Object.entries(raw ?? {}).map(([name, w]) => ({
      name,
      keyPath: joinKeyPath('wires', name),
      lossRate: w?.lossRate ?? 0,
      delayMs: w?.delayMs ?? 0,
      seed: w?.seed ?? 1,
      link: w?.link ?? 'up',
    }));
  }

  host(name: string, raw: RawHost | null): HostDescription {
    const hp = joinKeyPath('hosts', name);
    const h = raw ?? {};
    const filters = this.#uses(joinKeyPath(hp, 'filters'), h.filters, 'filter');
    const protocols = this.#uses(joinKeyPath(hp, 'protocols'), h.protocols, 'protocol');
    const rawAdapters = Object.entries(h.adapters ?? {}).map(([n, a]) => [n, a ?? {}] as [string, RawAdapter]);
    const listed = new Map(rawAdapters);
    const ap = (n: string) => joinKeyPath(hp, 'adapters', n);

    // Physical adapters: their miniport and keywords.
    const miniportMedium = new Map<string, number>();
    for (const [n, a] of rawAdapters) {
      if (a.driver === null || a.driver === undefined) continue;
      const chars = this.#driver(joinKeyPath(ap(n), 'driver'), a.driver, 'miniport');
      miniportMedium.set(n, chars.medium);
    }

    // Intermediates: drivers, keywords, which virtual adapter each creates.
    const creator = new Map<string, number>();
    const ims: IntermediateDescription[] = [];
    (h.intermediates ?? []).forEach((im, i) => {
      const ip = joinKeyPath(hp, 'intermediates', i);
      const chars = this.#driver(joinKeyPath(ip, 'driver'), im.driver, 'intermediate');
      const keywords = this.#keywords(ip, im.driver, chars.protocol.keywords, im.keywords, [UPPER_BINDINGS_KEYWORD]);
      im.upper.forEach((u, j) => {
        const up = joinKeyPath(ip, 'upper', j);
        if (im.upper.indexOf(u) !== j) this.#fail(up, `'${u}' is listed twice in upper`);
        if (miniportMedium.has(u)) this.#fail(up, `'${u}' is a physical adapter (it has a driver at ${joinKeyPath(ap(u), 'driver')}); an intermediate's upper adapters are virtual`);
        const other = creator.get(u);
        if (other !== undefined) this.#fail(up, `virtual adapter '${u}' is already created by ${joinKeyPath(hp, 'intermediates', other)} (${ims[other]!.driver})`);
        creator.set(u, i);
      });
      const lowers = this.#lowers(ip, im.driver, chars, im.lower);
      ims.push({ driver: im.driver, lower: lowers[0]!, lowers, upper: [...im.upper], keywords: { ...keywords, [UPPER_BINDINGS_KEYWORD]: [...im.upper] }, keyPath: ip });
    });

    for (const [n] of rawAdapters) {
      if (!miniportMedium.has(n) && !creator.has(n)) {
        this.#fail(ap(n), `adapter '${n}' has no driver and no intermediate creates it (give it a driver, or list it in an intermediate's upper)`);
      }
    }
    const allNames = [...rawAdapters.map(([n]) => n), ...[...creator.keys()].filter((u) => !listed.has(u))];

    // Lower edges: existing adapters, one binding per (driver, lower), no cycles, matching media.
    ims.forEach((im, i) => {
      im.lowers.forEach((lower, j) => {
        const lp = im.lowers.length === 1 && typeof (h.intermediates ?? [])[i]?.lower === 'string' ? joinKeyPath(im.keyPath, 'lower') : joinKeyPath(im.keyPath, 'lower', j);
        if (!allNames.includes(lower)) this.#fail(lp, `no adapter '${lower}' on host '${name}' (adapters: ${allNames.join(', ') || 'none'})`);
        const twin = ims.findIndex((o, k) => k < i && o.driver === im.driver && o.lowers.includes(lower));
        if (twin >= 0) this.#fail(lp, `intermediate '${im.driver}' is already bound to '${lower}' by ${ims[twin]!.keyPath}`);
        // Walk down from the lower adapter through the intermediates that create it; reaching one of our
        // own upper adapters is a cycle. (A cycle that does not pass through this intermediate stops the
        // walk here and is reported at the entry of an intermediate on it.)
        const chain: string[] = [];
        let cur: string | undefined = lower;
        while (cur !== undefined && !chain.includes(cur)) {
          chain.push(cur);
          if (im.upper.includes(cur)) {
            const route = chain.length === 1 ? `'${cur}'` : chain.join(' → ');
            this.#fail(lp, `cycle: this intermediate creates '${cur}' and also sits on it (lower ${route})`);
          }
          const c = creator.get(cur);
          cur = c === undefined ? undefined : ims[c]!.lower;
        }
      });
    });
    const mediumOf = (n: string): number => miniportMedium.get(n) ?? this.#imMiniportMedium(ims[creator.get(n)!]!.driver);
    ims.forEach((im, i) => {
      const chars = this.#drivers.get(im.driver) as Extract<DriverCharacteristics, { kind: 'intermediate' }>;
      const listed = typeof (h.intermediates ?? [])[i]?.lower !== 'string';
      const lp = (j: number): string => (listed ? joinKeyPath(im.keyPath, 'lower', j) : joinKeyPath(im.keyPath, 'lower'));
      im.lowers.forEach((lower, j) => {
        const m = mediumOf(lower);
        if (!chars.protocol.mediumArray.includes(m)) {
          this.#fail(lp(j), `intermediate '${im.driver}' does not bind to medium ${mediumName(m)} of adapter '${lower}' (its MediumArray: ${chars.protocol.mediumArray.map(mediumName).join(', ')})`);
        }
        // A team sends every frame of the upper adapter through whichever member it picks: they must be one medium.
        if (j > 0 && m !== mediumOf(im.lowers[0]!)) {
          this.#fail(lp(j), `team members of different media: '${lower}' is ${mediumName(m)}, '${im.lowers[0]}' is ${mediumName(mediumOf(im.lowers[0]!))}`);
        }
      });
    });

    // Adapters: keywords, adapter-level filters and protocols (media, duplicates), effective lists.
    const adapters: AdapterDescription[] = allNames.map((n) => {
      const a = listed.get(n) ?? {};
      const p = ap(n);
      const medium = mediumOf(n);
      const driver = a.driver ?? null;
      let keywords: Record<string, ConfigValue> = {};
      if (driver !== null) keywords = this.#keywords(p, driver, this.#driver(joinKeyPath(p, 'driver'), driver, 'miniport').keywords, a.keywords);
      else keywords = this.#virtualKeywords(n, p, listed.has(n), a.keywords, ims[creator.get(n)!]!);
      const own = (kind: 'filter' | 'protocol', hostLevel: readonly DriverUse[]): { listed: DriverUse[]; effective: DriverUse[] } => {
        const list = this.#uses(joinKeyPath(p, `${kind}s`), kind === 'filter' ? a.filters : a.protocols, kind);
        for (const u of list) {
          if (!this.#supports(u, medium)) {
            this.#fail(u.keyPath, `${kind} '${u.driver}' does not ${kind === 'filter' ? 'attach' : 'bind'} to medium ${mediumName(medium)} of adapter '${n}' (its ${kind === 'filter' ? 'FilterMediaTypes' : 'MediumArray'}: ${this.#mediaOf(u)})`);
          }
          const dup = hostLevel.find((x) => x.driver === u.driver);
          if (dup !== undefined) this.#fail(u.keyPath, `${kind} '${u.driver}' is already installed for every adapter at ${dup.keyPath}`);
        }
        return { listed: list, effective: [...hostLevel.filter((u) => this.#supports(u, medium)), ...list] };
      };
      const f = own('filter', filters);
      const pr = own('protocol', protocols);
      return {
        name: n,
        keyPath: p,
        driver,
        medium,
        keywords,
        filters: f.listed,
        protocols: pr.listed,
        effectiveFilters: f.effective,
        effectiveProtocols: pr.effective,
        createdBy: creator.get(n) ?? null,
        implicit: !listed.has(n),
      };
    });
    this.#uniquePerLower(ims, adapters);
    // Physical adapters first (the engine adds them), virtual ones after (their intermediates create them).
    adapters.sort((x, y) => Number(x.driver === null) - Number(y.driver === null));
    this.#hostScoped(adapters);
    this.#teamMembersExclusive(h, ims, adapters);

    const order: string[] = [];
    const use = (d: string | null): void => {
      if (d !== null && !order.includes(d)) order.push(d);
    };
    for (const u of [...filters, ...protocols]) use(u.driver);
    for (const a of adapters) {
      use(a.driver);
      for (const u of [...a.filters, ...a.protocols]) use(u.driver);
    }
    for (const im of ims) use(im.driver);
    for (const d of this.#moduleDrivers) use(d);

    const services = this.#services(hp, name, h.services, adapters.some((a) => a.effectiveProtocols.some((u) => u.driver === TCPIP_PROTOCOL)));
    return { name, keyPath: hp, verifier: h.verifier ?? true, processors: h.processors ?? 1, processorFailure: h.processorFailure ?? 'continue', filters, protocols, adapters, intermediates: ims, services, drivers: order };
  }

  #services(hostPath: string, host: string, raw: readonly RawService[] | null | undefined, hasTcpIp: boolean): ServiceDescription[] {
    const out: ServiceDescription[] = [];
    (raw ?? []).forEach((r, i) => {
      const sp = joinKeyPath(hostPath, 'services', i);
      if (!hasTcpIp) this.#fail(sp, `service '${r.service}' needs the ${TCPIP_PROTOCOL} protocol bound on host '${host}' (add it under protocols)`);
      const source = r.service === 'ping' || r.service === 'traffic';
      // Each key belongs to some kinds only; one given to another kind is a mistake, not ignored.
      for (const [key, kinds] of SERVICE_KEYS) {
        if (r[key] !== null && r[key] !== undefined && !kinds.includes(r.service)) {
          this.#fail(joinKeyPath(sp, key), `'${key}' is not a key of the ${r.service} service (only ${kinds.join(', ')} take${kinds.length === 1 ? 's' : ''} it)`);
        }
      }
      const address = r.address ?? null;
      if (address !== null) {
        const why = ipAddressProblem(address);
        if (why !== null) this.#fail(joinKeyPath(sp, 'address'), `'${address}' is not an IPv4 or IPv6 address (${why})`);
      }
      let root: string | null = null;
      if (r.root !== null && r.root !== undefined) {
        root = isAbsolute(r.root) ? r.root : resolve(this.#baseDir, r.root);
      } else if (r.service === 'http') root = this.#baseDir;
      if (root !== null && !(existsSync(root) && statSync(root).isDirectory())) this.#fail(joinKeyPath(sp, 'root'), `'${root}' is not a directory`);
      const target = r.target ?? null;
      if (source) {
        if (target === null) this.#fail(sp, `the ${r.service} service needs a target (the address of a host in this config to send to)`);
        const why = ipAddressProblem(target);
        if (why !== null) this.#fail(joinKeyPath(sp, 'target'), `'${target}' is not an IPv4 or IPv6 address (${why})`);
      }
      const port = r.service === 'ping' ? 0 : (r.port ?? SERVICE_PORTS[r.service]);
      if (!source) {
        const clash = out.find((o) => o.port === port && o.target === null && (o.address === null || address === null || o.address === address));
        if (clash !== undefined) this.#fail(sp, `port ${port} is already used by the ${clash.service} service at ${clash.keyPath}`);
      }
      out.push({
        service: r.service,
        port,
        address,
        root,
        target,
        intervalMs: r.service === 'ping' ? (r.intervalMs ?? SOURCE_DEFAULTS.intervalMs) : null,
        rate: r.service === 'traffic' ? (r.rate ?? SOURCE_DEFAULTS.rate) : null,
        size: source ? (r.size ?? (r.service === 'ping' ? SOURCE_DEFAULTS.pingSize : SOURCE_DEFAULTS.trafficSize)) : null,
        count: source ? (r.count ?? (r.service === 'ping' ? SOURCE_DEFAULTS.pingCount : SOURCE_DEFAULTS.trafficCount)) : null,
        keyPath: sp,
      });
    });
    return out;
  }

  /**
   * After every host: a ping or traffic target must be an address some host of this config has (flows a
   * config starts stay inside it), and the sending host needs an address of the target's family.
   */
  targets(hosts: readonly HostDescription[]): void {
    const owned = new Set<string>();
    const families = new Map<string, Set<4 | 6>>();
    for (const h of hosts) {
      const fams = new Set<4 | 6>();
      for (const a of h.adapters) {
        for (const u of a.effectiveProtocols) {
          if (u.driver !== TCPIP_PROTOCOL) continue;
          for (const [keyword, family] of [['IPAddress', 4], ['IPv6Address', 6]] as const) {
            const list = u.keywords[keyword];
            for (const text of Array.isArray(list) ? list : []) {
              const literal = canonicalAddress(text.slice(0, text.includes('/') ? text.indexOf('/') : text.length).trim());
              if (literal === null) continue;
              fams.add(family);
              owned.add(literal);
            }
          }
        }
      }
      families.set(h.name, fams);
    }
    for (const h of hosts) {
      for (const s of h.services) {
        if (s.target === null) continue;
        const at = joinKeyPath(s.keyPath, 'target');
        const literal = canonicalAddress(s.target);
        if (literal === null || !owned.has(literal)) {
          const known = [...owned];
          this.#fail(at, `${s.target} is not an address of a host in this config (${s.service} only sends inside the config; addresses: ${known.join(', ') || 'none'})`);
        }
        const family = s.target.includes(':') ? 6 : 4;
        if (!families.get(h.name)!.has(family)) this.#fail(at, `host '${h.name}' has no IPv${family} address to send to ${s.target} from (give it an ${family === 4 ? 'IPAddress' : 'IPv6Address'})`);
      }
    }
  }

  /**
   * Keywords of a virtual adapter are its virtual miniport's (MiniportInitParameters.keywords), checked
   * against the intermediate's `miniport.keywords`. An adapter only named in `upper` has none of its
   * own, so a required keyword missing there is reported at that `upper` entry.
   */
  #virtualKeywords(n: string, p: string, listed: boolean, given: Readonly<Record<string, ConfigValue>> | null | undefined, im: IntermediateDescription): Record<string, ConfigValue> {
    const chars = this.#drivers.get(im.driver) as Extract<DriverCharacteristics, { kind: 'intermediate' }>;
    const schema = chars.miniport.keywords ?? {};
    if (Object.keys(schema).length === 0) {
      if (given !== null && given !== undefined && Object.keys(given).length > 0) {
        this.#fail(joinKeyPath(p, 'keywords'), `virtual adapter '${n}' takes no keywords (its miniport is created by ${im.keyPath}; configure the intermediate instead)`);
      }
      return {};
    }
    return this.#keywords(listed ? p : joinKeyPath(im.keyPath, 'upper', im.upper.indexOf(n)), im.driver, schema, given);
  }

  /** Keywords declared `unique: 'lower'` differ among the virtual adapters one intermediate creates. */
  #uniquePerLower(ims: readonly IntermediateDescription[], adapters: readonly AdapterDescription[]): void {
    for (const im of ims) {
      const chars = this.#drivers.get(im.driver) as Extract<DriverCharacteristics, { kind: 'intermediate' }>;
      for (const [keyword, def] of Object.entries(chars.miniport.keywords ?? {})) {
        if (def?.unique !== 'lower') continue;
        const seen = new Map<string, string>();
        for (const u of im.upper) {
          const a = adapters.find((x) => x.name === u);
          const value = a?.keywords[keyword];
          if (a === undefined || value === undefined) continue;
          const first = seen.get(String(value));
          if (first !== undefined) {
            this.#fail(
              joinKeyPath(a.keyPath, 'keywords', keyword),
              `keyword '${keyword}' of driver '${im.driver}': ${String(value)} is already the ${keyword} of '${first}' over the same lower adapter '${im.lower}' (${im.keyPath}); each virtual adapter there needs its own`,
            );
          }
          seen.set(String(value), u);
        }
      }
    }
  }

  /** `lower` as a list: one adapter, or a teaming driver's members (at least one, no repeats). */
  #lowers(ip: string, driver: string, chars: Extract<DriverCharacteristics, { kind: 'intermediate' }>, lower: string | readonly string[]): string[] {
    if (typeof lower === 'string') return [lower];
    const lp = joinKeyPath(ip, 'lower');
    if (chars.lowerAdapters !== 'many') {
      if (lower.length === 1) return [lower[0]!];
      this.#fail(lp, `intermediate '${driver}' binds to one lower adapter; only a teaming driver (like tsndis.lbfo) takes a list of members`);
    }
    if (lower.length === 0) this.#fail(lp, `a team needs at least one member adapter (lower is an empty list)`);
    lower.forEach((m, j) => {
      if (lower.indexOf(m) !== j) this.#fail(joinKeyPath(ip, 'lower', j), `'${m}' is listed twice in lower`);
    });
    return [...lower];
  }

  /**
   * A team member carries only the team: a protocol bound to it, or another intermediate on it, would
   * send with the member's own address and take frames meant for the team (teaming drivers unbind
   * everything else from their members).
   */
  #teamMembersExclusive(host: RawHost, ims: readonly IntermediateDescription[], adapters: readonly AdapterDescription[]): void {
    ims.forEach((im, i) => {
      const chars = this.#drivers.get(im.driver) as Extract<DriverCharacteristics, { kind: 'intermediate' }>;
      if (chars.lowerAdapters !== 'many') return;
      const listed = typeof (host.intermediates ?? [])[i]?.lower !== 'string';
      im.lowers.forEach((m, j) => {
        const lp = listed ? joinKeyPath(im.keyPath, 'lower', j) : joinKeyPath(im.keyPath, 'lower');
        const a = adapters.find((x) => x.name === m);
        const p = a?.effectiveProtocols[0];
        if (p !== undefined) this.#fail(lp, `team member '${m}' also has protocol '${p.driver}' bound (${p.keyPath}); a team member carries only the team (bind protocols to its upper adapter)`);
        const other = ims.findIndex((o, k) => k !== i && o.lowers.includes(m));
        if (other >= 0) this.#fail(lp, `team member '${m}' is also the lower adapter of ${ims[other]!.keyPath} (${ims[other]!.driver}); a team member carries only the team`);
      });
    });
  }

  #imMiniportMedium(driver: string): number {
    return (this.#drivers.get(driver) as Extract<DriverCharacteristics, { kind: 'intermediate' }>).miniport.medium;
  }
}
