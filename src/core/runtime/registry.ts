/**
 * Driver registration (NdisMRegisterMiniportDriver, NdisFRegisterFilterDriver, NdisRegisterProtocolDriver
 * and both together for intermediate drivers). Characteristics are checked all at once, so a driver
 * author sees every problem in one error: missing mandatory handlers, half of a handler pair, an NDIS
 * version that does not exist, a duplicate name.
 *
 * Handlers are methods of the driver's adapter / module / binding class, so they can be checked on the
 * class prototype before any object exists.
 */
import { FILTER_CLASSES, NDIS_INTERMEDIATE_DRIVER, NDIS_MINOR_VERSIONS, NdisMediumMax } from '../../ndis/constants.js';
import type {
  DriverCharacteristics,
  FilterDriverCharacteristics,
  IntermediateDriverCharacteristics,
  MiniportDriverCharacteristics,
  ProtocolDriverCharacteristics,
} from '../../ndis/driver-api.js';
import { RegistrationError } from '../../errors.js';

export const MINIPORT_REQUIRED = [
  'initialize', 'halt', 'shutdown', 'pause', 'restart', 'sendNetBufferLists', 'returnNetBufferLists',
  'cancelSend', 'devicePnPEventNotify', 'oidRequest', 'cancelOidRequest',
] as const;
export const FILTER_REQUIRED = ['attach', 'detach', 'pause', 'restart'] as const;
export const PROTOCOL_REQUIRED = [
  'bindAdapter', 'unbindAdapter', 'netPnPEvent', 'oidRequestComplete', 'receiveNetBufferLists', 'sendNetBufferListsComplete',
] as const;

export type RegisteredDriver =
  | { readonly kind: 'miniport'; readonly name: string; readonly chars: MiniportDriverCharacteristics }
  | { readonly kind: 'filter'; readonly name: string; readonly chars: FilterDriverCharacteristics; readonly order: number }
  | { readonly kind: 'protocol'; readonly name: string; readonly chars: ProtocolDriverCharacteristics }
  | {
      readonly kind: 'intermediate';
      readonly name: string;
      readonly chars: IntermediateDriverCharacteristics;
      readonly miniport: MiniportDriverCharacteristics;
      readonly protocol: ProtocolDriverCharacteristics;
    };

function hasMethod(cls: unknown, name: string): boolean {
  if (typeof cls !== 'function') return false;
  const proto = (cls as { prototype?: Record<string, unknown> }).prototype;
  return proto !== undefined && typeof proto[name] === 'function';
}

function checkClass(problems: string[], cls: unknown, what: string, required: readonly string[]): void {
  if (typeof cls !== 'function' || (cls as { prototype?: unknown }).prototype === undefined) {
    problems.push(`${what} must be a class`);
    return;
  }
  const missing = required.filter((m) => !hasMethod(cls, m));
  if (missing.length > 0) problems.push(`${what} is missing mandatory handler(s): ${missing.join(', ')}`);
}

function checkVersion(problems: string[], v: unknown): void {
  const ver = v as { major?: unknown; minor?: unknown } | undefined;
  if (ver === undefined || typeof ver !== 'object' || ver === null) {
    problems.push('ndisVersion is missing (NDIS_STATUS_BAD_VERSION)');
    return;
  }
  if (ver.major !== 6 || !(NDIS_MINOR_VERSIONS as readonly unknown[]).includes(ver.minor)) {
    problems.push(`ndisVersion ${String(ver.major)}.${String(ver.minor)} is not an NDIS 6 version (NDIS_STATUS_BAD_VERSION; minor must be one of ${NDIS_MINOR_VERSIONS.join(', ')})`);
  }
}

function checkMedium(problems: string[], m: unknown, what: string): void {
  if (!Number.isInteger(m) || (m as number) < 0 || (m as number) >= NdisMediumMax) problems.push(`${what} ${String(m)} is not an NDIS_MEDIUM value`);
}

export function miniportProblems(c: MiniportDriverCharacteristics, intermediate: boolean): string[] {
  const p: string[] = [];
  checkMedium(p, c.medium, 'medium');
  checkClass(p, c.adapter, 'adapter', MINIPORT_REQUIRED);
  const hang = hasMethod(c.adapter, 'checkForHang');
  const reset = hasMethod(c.adapter, 'reset');
  if (hang && !reset) p.push('checkForHang requires a reset handler');
  if (hasMethod(c.adapter, 'directOidRequest') !== hasMethod(c.adapter, 'cancelDirectOidRequest')) {
    p.push('directOidRequest and cancelDirectOidRequest must both be present or both absent');
  }
  if (intermediate && (hang || reset)) p.push('an intermediate (virtual) miniport must not register checkForHang or reset');
  const mp = c.multiProcessor;
  if (mp !== undefined) {
    if (typeof mp !== 'object' || mp === null || typeof mp.module !== 'string' || typeof mp.export !== 'string' || mp.module === '' || mp.export === '') {
      p.push('multiProcessor must name the module and export a worker loads the driver from');
    }
    if (!hasMethod(c.adapter, 'initializeReplica')) p.push('multiProcessor requires an initializeReplica handler');
  }
  return p;
}

export function filterProblems(c: FilterDriverCharacteristics): string[] {
  const p: string[] = [];
  if (c.filterType !== 'monitoring' && c.filterType !== 'modifying') p.push(`filterType '${String(c.filterType)}' must be 'monitoring' or 'modifying'`);
  if (c.runType !== 'mandatory' && c.runType !== 'optional') p.push(`runType '${String(c.runType)}' must be 'mandatory' or 'optional'`);
  if (!(FILTER_CLASSES as readonly string[]).includes(c.filterClass)) p.push(`filterClass '${String(c.filterClass)}' is not one of ${FILTER_CLASSES.join(', ')}`);
  if (!Array.isArray(c.mediaTypes) || c.mediaTypes.length === 0) p.push('mediaTypes must list at least one NDIS_MEDIUM');
  else for (const m of c.mediaTypes) checkMedium(p, m, 'mediaTypes entry');
  checkClass(p, c.module, 'module', FILTER_REQUIRED);
  if (hasMethod(c.module, 'oidRequest') && !hasMethod(c.module, 'oidRequestComplete')) p.push('oidRequest requires oidRequestComplete (forwarded requests come back there)');
  if (hasMethod(c.module, 'directOidRequest') && !(hasMethod(c.module, 'directOidRequestComplete') && hasMethod(c.module, 'cancelDirectOidRequest'))) {
    p.push('directOidRequest requires directOidRequestComplete and cancelDirectOidRequest');
  }
  return p;
}

export function protocolProblems(c: ProtocolDriverCharacteristics): string[] {
  const p: string[] = [];
  if (!Array.isArray(c.mediumArray) || c.mediumArray.length === 0) p.push('mediumArray must list at least one NDIS_MEDIUM');
  else for (const m of c.mediumArray) checkMedium(p, m, 'mediumArray entry');
  checkClass(p, c.binding, 'binding', PROTOCOL_REQUIRED);
  return p;
}

/** Validates `chars` and returns the registered form; throws RegistrationError naming every problem. */
export function validateDriver(chars: DriverCharacteristics, existing: ReadonlyMap<string, RegisteredDriver>, order: number): RegisteredDriver {
  const c = chars as DriverCharacteristics | undefined;
  const name = typeof c?.name === 'string' && c.name !== '' ? c.name : '(unnamed)';
  const problems: string[] = [];
  if (c === undefined || c === null || typeof c !== 'object') throw new RegistrationError(name, ['characteristics must be an object']);
  if (name === '(unnamed)') problems.push('name must be a non-empty string');
  if (existing.has(name)) problems.push(`a driver named '${name}' is already registered`);
  checkVersion(problems, c.ndisVersion);
  switch (c.kind) {
    case 'miniport':
      problems.push(...miniportProblems(c, ((c.flags ?? 0) & NDIS_INTERMEDIATE_DRIVER) !== 0));
      break;
    case 'filter':
      problems.push(...filterProblems(c));
      break;
    case 'protocol':
      problems.push(...protocolProblems(c));
      break;
    case 'intermediate':
      if (c.miniport === undefined || c.protocol === undefined) problems.push('an intermediate driver needs both miniport and protocol characteristics');
      else {
        problems.push(...miniportProblems({ ...c.miniport, kind: 'miniport', name, ndisVersion: c.ndisVersion }, true).map((s) => `miniport edge: ${s}`));
        problems.push(...protocolProblems({ ...c.protocol, kind: 'protocol', name, ndisVersion: c.ndisVersion }).map((s) => `protocol edge: ${s}`));
      }
      break;
    default:
      problems.push(`kind '${String((c as { kind?: unknown }).kind)}' must be miniport, filter, protocol or intermediate`);
  }
  if (problems.length > 0) throw new RegistrationError(name, problems);
  switch (c.kind) {
    case 'miniport':
      return { kind: 'miniport', name, chars: c };
    case 'filter':
      return { kind: 'filter', name, chars: c, order };
    case 'protocol':
      return { kind: 'protocol', name, chars: c };
    case 'intermediate':
      return {
        kind: 'intermediate',
        name,
        chars: c,
        miniport: { ...c.miniport, kind: 'miniport', name, ndisVersion: c.ndisVersion, flags: (c.miniport.flags ?? 0) | NDIS_INTERMEDIATE_DRIVER },
        protocol: { ...c.protocol, kind: 'protocol', name, ndisVersion: c.ndisVersion },
      };
  }
}
