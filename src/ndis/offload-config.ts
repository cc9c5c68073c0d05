/**
 * Working with NDIS_OFFLOAD values on the control path: applying an OID_TCP_OFFLOAD_PARAMETERS set to a
 * current configuration (offload digest §1.4), intersecting two configurations for an intermediate
 * driver (§1.7), comparing, and a compact one-line description for the inspector and logs.
 * Everything here allocates freely; nothing runs per packet.
 */
import {
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_LSOV1_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_LSOV1_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
  type ChecksumOffloadDirection,
  type LargeSendOffloadV1,
  type LargeSendOffloadV2Family,
  type NdisOffload,
  type NdisOffloadParameters,
} from './offload.js';
import {
  NDIS_OFFLOAD_PARAMETERS_USO_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_USO_ENABLED,
  NDIS_UDP_SEGMENTATION_OFFLOAD_NONE,
  type UdpSegmentationOffload,
  type UdpSegmentationOffloadFamily,
} from './offload.js';
import { applyEncapsulatedParameters, describeEncapsulatedOffload, intersectEncapsulatedOffload, withEncapsulatedOffload } from './encapsulated-offload.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a checksum parameter value asks for: [transmit, receive]; null = no change (or an unknown value). */
function checksumSetting(value: number): readonly [boolean, boolean] | null {
  switch (value) {
    case NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED:
      return [false, false];
    case NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED:
      return [true, false];
    case NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED:
      return [false, true];
    case NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED:
      return [true, true];
    default:
      return null;
  }
}

/** A binary parameter (…_DISABLED = 1, …_ENABLED = 2); null = no change. */
function onOff(value: number, disabled: number, enabled: number): boolean | null {
  return value === disabled ? false : value === enabled ? true : null;
}

/**
 * One direction after a set: each checksum follows its parameter where given (never beyond what the
 * hardware can do); the encapsulation and option bits are the hardware's while any checksum is on.
 */
function direction(cur: ChecksumOffloadDirection, hw: ChecksumOffloadDirection, ip: boolean | null, tcp: boolean | null, udp: boolean | null): ChecksumOffloadDirection {
  const d: Mutable<ChecksumOffloadDirection> = { ...cur };
  if (ip !== null) d.ipChecksum = ip && hw.ipChecksum;
  if (tcp !== null) d.tcpChecksum = tcp && hw.tcpChecksum;
  if (udp !== null) d.udpChecksum = udp && hw.udpChecksum;
  const any = d.ipChecksum || d.tcpChecksum || d.udpChecksum;
  d.encapsulation = any ? hw.encapsulation : NDIS_ENCAPSULATION_NOT_SUPPORTED;
  d.ipOptionsSupported = any && hw.ipOptionsSupported;
  d.tcpOptionsSupported = any && hw.tcpOptionsSupported;
  return d;
}

/**
 * The current configuration after an OID_TCP_OFFLOAD_PARAMETERS set: NO_CHANGE fields keep `current`,
 * the others switch an offload on (as far as `hardware` supports it) or off. Values outside a field's
 * enumeration count as NO_CHANGE; IPsec and connection offloads are not modelled.
 */
export function applyOffloadParameters(current: NdisOffload, hardware: NdisOffload, p: NdisOffloadParameters): NdisOffload {
  const ip4 = checksumSetting(p.ipv4Checksum);
  const tcp4 = checksumSetting(p.tcpIpv4Checksum);
  const udp4 = checksumSetting(p.udpIpv4Checksum);
  const tcp6 = checksumSetting(p.tcpIpv6Checksum);
  const udp6 = checksumSetting(p.udpIpv6Checksum);
  const c = current.checksum;
  const h = hardware.checksum;
  const tx = (s: readonly [boolean, boolean] | null): boolean | null => (s === null ? null : s[0]);
  const rx = (s: readonly [boolean, boolean] | null): boolean | null => (s === null ? null : s[1]);
  const checksum = {
    ipv4Transmit: direction(c.ipv4Transmit, h.ipv4Transmit, tx(ip4), tx(tcp4), tx(udp4)),
    ipv4Receive: direction(c.ipv4Receive, h.ipv4Receive, rx(ip4), rx(tcp4), rx(udp4)),
    ipv6Transmit: direction(c.ipv6Transmit, h.ipv6Transmit, false, tx(tcp6), tx(udp6)),
    ipv6Receive: direction(c.ipv6Receive, h.ipv6Receive, false, rx(tcp6), rx(udp6)),
  };
  const v1 = onOff(p.lsoV1, NDIS_OFFLOAD_PARAMETERS_LSOV1_DISABLED, NDIS_OFFLOAD_PARAMETERS_LSOV1_ENABLED);
  const v2ip4 = onOff(p.lsoV2IPv4, NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED, NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED);
  const v2ip6 = onOff(p.lsoV2IPv6, NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED, NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED);
  const rsc4 = onOff(p.rscIPv4, NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED, NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED);
  const rsc6 = onOff(p.rscIPv6, NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED, NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED);
  const none = NDIS_OFFLOAD_NONE;
  // Encapsulated offload (NVGRE/VXLAN): a setting outside NO_CHANGE/SET_ON/SET_OFF counts as NO_CHANGE here;
  // MiniportOffloads refuses it before applying (checkEncapsulatedParameters).
  const encSetting = p.encapsulatedPacketTaskOffload <= 2 ? p.encapsulatedPacketTaskOffload : 0;
  const encapsulated = applyEncapsulatedParameters(current, hardware, encSetting, p.encapsulationTypes, p.vxlanUdpPortNumber ?? 0);
  return withEncapsulatedOffload({
    checksum,
    lsoV1: v1 === null ? current.lsoV1 : v1 ? hardware.lsoV1 : none.lsoV1,
    lsoV2: {
      ipv4: v2ip4 === null ? current.lsoV2.ipv4 : v2ip4 ? hardware.lsoV2.ipv4 : none.lsoV2.ipv4,
      ipv6: v2ip6 === null ? current.lsoV2.ipv6 : v2ip6 ? hardware.lsoV2.ipv6 : none.lsoV2.ipv6,
    },
    rsc: {
      ipv4Enabled: rsc4 === null ? current.rsc.ipv4Enabled : rsc4 && hardware.rsc.ipv4Enabled,
      ipv6Enabled: rsc6 === null ? current.rsc.ipv6Enabled : rsc6 && hardware.rsc.ipv6Enabled,
    },
    flags: current.flags,
    ...usoAfterParameters(current, hardware, p),
  }, encapsulated);
}

function andDirection(a: ChecksumOffloadDirection, b: ChecksumOffloadDirection): ChecksumOffloadDirection {
  return {
    encapsulation: a.encapsulation & b.encapsulation,
    ipOptionsSupported: a.ipOptionsSupported && b.ipOptionsSupported,
    tcpOptionsSupported: a.tcpOptionsSupported && b.tcpOptionsSupported,
    tcpChecksum: a.tcpChecksum && b.tcpChecksum,
    udpChecksum: a.udpChecksum && b.udpChecksum,
    ipChecksum: a.ipChecksum && b.ipChecksum,
  };
}

function andLsoV2(a: LargeSendOffloadV2Family, b: LargeSendOffloadV2Family): LargeSendOffloadV2Family {
  const encapsulation = a.encapsulation & b.encapsulation;
  if (encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) return NDIS_OFFLOAD_NONE.lsoV2.ipv4;
  return { encapsulation, maxOffLoadSize: Math.min(a.maxOffLoadSize, b.maxOffLoadSize), minSegmentCount: Math.max(a.minSegmentCount, b.minSegmentCount) };
}

function andLsoV1(a: LargeSendOffloadV1, b: LargeSendOffloadV1): LargeSendOffloadV1 {
  const encapsulation = a.ipv4.encapsulation & b.ipv4.encapsulation;
  if (encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) return NDIS_OFFLOAD_NONE.lsoV1;
  return {
    ipv4: {
      encapsulation,
      maxOffLoadSize: Math.min(a.ipv4.maxOffLoadSize, b.ipv4.maxOffLoadSize),
      minSegmentCount: Math.max(a.ipv4.minSegmentCount, b.ipv4.minSegmentCount),
      tcpOptions: a.ipv4.tcpOptions && b.ipv4.tcpOptions,
      ipOptions: a.ipv4.ipOptions && b.ipv4.ipOptions,
    },
  };
}

/**
 * What is true on every path (§1.7 rule 1): flags and encapsulation masks AND, MaxOffLoadSize the
 * minimum, MinSegmentCount the maximum. An intermediate driver over several adapters advertises this.
 */
export function intersectOffload(a: NdisOffload, b: NdisOffload): NdisOffload {
  const v6 = andLsoV2(a.lsoV2.ipv6, b.lsoV2.ipv6);
  return withEncapsulatedOffload({
    checksum: {
      ipv4Transmit: andDirection(a.checksum.ipv4Transmit, b.checksum.ipv4Transmit),
      ipv4Receive: andDirection(a.checksum.ipv4Receive, b.checksum.ipv4Receive),
      ipv6Transmit: andDirection(a.checksum.ipv6Transmit, b.checksum.ipv6Transmit),
      ipv6Receive: andDirection(a.checksum.ipv6Receive, b.checksum.ipv6Receive),
    },
    lsoV1: andLsoV1(a.lsoV1, b.lsoV1),
    lsoV2: {
      ipv4: andLsoV2(a.lsoV2.ipv4, b.lsoV2.ipv4),
      ipv6: {
        ...v6,
        ipExtensionHeadersSupported: v6.encapsulation !== 0 && a.lsoV2.ipv6.ipExtensionHeadersSupported && b.lsoV2.ipv6.ipExtensionHeadersSupported,
        tcpOptionsSupported: v6.encapsulation !== 0 && a.lsoV2.ipv6.tcpOptionsSupported && b.lsoV2.ipv6.tcpOptionsSupported,
      },
    },
    rsc: { ipv4Enabled: a.rsc.ipv4Enabled && b.rsc.ipv4Enabled, ipv6Enabled: a.rsc.ipv6Enabled && b.rsc.ipv6Enabled },
    flags: a.flags & b.flags,
    ...intersectUso(a, b),
  }, intersectEncapsulatedOffload(a, b));
}

/** Field-by-field equality. */
export function offloadEquals(a: NdisOffload, b: NdisOffload): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A deep, frozen copy (caches keep their own; a driver may reuse the object it passed in). */
export function freezeOffload(o: NdisOffload): NdisOffload {
  const copy = JSON.parse(JSON.stringify(o)) as NdisOffload;
  const deepFreeze = (x: object): void => {
    Object.freeze(x);
    for (const v of Object.values(x)) if (v !== null && typeof v === 'object') deepFreeze(v as object);
  };
  deepFreeze(copy);
  return copy;
}

function checksumList(d: ChecksumOffloadDirection): string {
  const parts: string[] = [];
  if (d.ipChecksum) parts.push('ip');
  if (d.tcpChecksum) parts.push('tcp');
  if (d.udpChecksum) parts.push('udp');
  return parts.join('+');
}

/**
 * One line: `csum tx v4:ip+tcp+udp v6:tcp+udp rx v4:… v6:… | lsov2 v4 v6 ≤65000 | rsc v4 v6`, each group
 * only when something in it is on; `none` when nothing is.
 */
export function describeOffload(o: NdisOffload): string {
  const groups: string[] = [];
  const c = o.checksum;
  const dir = (label: string, v4: ChecksumOffloadDirection, v6: ChecksumOffloadDirection): string | null => {
    const a = checksumList(v4);
    const b = checksumList(v6);
    if (a === '' && b === '') return null;
    return `${label}${a === '' ? '' : ` v4:${a}`}${b === '' ? '' : ` v6:${b}`}`;
  };
  const tx = dir('tx', c.ipv4Transmit, c.ipv6Transmit);
  const rx = dir('rx', c.ipv4Receive, c.ipv6Receive);
  if (tx !== null || rx !== null) groups.push(['csum', tx, rx].filter((s) => s !== null).join(' '));
  const lso = (label: string, v4: LargeSendOffloadV2Family | null, v6: LargeSendOffloadV2Family | null): void => {
    const on4 = v4 !== null && v4.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED;
    const on6 = v6 !== null && v6.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED;
    if (!on4 && !on6) return;
    const max = Math.max(on4 ? v4.maxOffLoadSize : 0, on6 ? v6.maxOffLoadSize : 0);
    groups.push(`${label}${on4 ? ' v4' : ''}${on6 ? ' v6' : ''} ≤${max}`);
  };
  lso('lsov1', o.lsoV1.ipv4, null);
  lso('lsov2', o.lsoV2.ipv4, o.lsoV2.ipv6);
  if (o.uso !== undefined) lso('uso', o.uso.ipv4, o.uso.ipv6);
  if (o.rsc.ipv4Enabled || o.rsc.ipv6Enabled) groups.push(`rsc${o.rsc.ipv4Enabled ? ' v4' : ''}${o.rsc.ipv6Enabled ? ' v6' : ''}`);
  const encap = describeEncapsulatedOffload(o);
  if (encap !== '') groups.push(encap);
  return groups.length === 0 ? 'none' : groups.join(' | ');
}

/** True when nothing at all is on (every encapsulation NOT_SUPPORTED, RSC off). */
export function isOffloadNone(o: NdisOffload): boolean {
  return describeOffload(o) === 'none';
}

// ------------------------------------------------------------------------------------------------------
// USO (NDIS_OFFLOAD.UdpSegmentation, NDIS_OFFLOAD_PARAMETERS.UdpSegmentation): the same rules as LSOv2,
// per IP version. A configuration without `uso` stays without it unless the hardware offers USO.
// ------------------------------------------------------------------------------------------------------

/** The `uso` part of the configuration after a set (empty when neither side has USO). */
function usoAfterParameters(current: NdisOffload, hardware: NdisOffload, p: NdisOffloadParameters): Pick<NdisOffload, 'uso'> {
  if (current.uso === undefined && hardware.uso === undefined) return {};
  const cur = current.uso ?? NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
  const hw = hardware.uso ?? NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
  const none = NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
  const v4 = onOff(p.udpSegmentationIPv4 ?? 0, NDIS_OFFLOAD_PARAMETERS_USO_DISABLED, NDIS_OFFLOAD_PARAMETERS_USO_ENABLED);
  const v6 = onOff(p.udpSegmentationIPv6 ?? 0, NDIS_OFFLOAD_PARAMETERS_USO_DISABLED, NDIS_OFFLOAD_PARAMETERS_USO_ENABLED);
  return {
    uso: {
      ipv4: v4 === null ? cur.ipv4 : v4 ? hw.ipv4 : none.ipv4,
      ipv6: v6 === null ? cur.ipv6 : v6 ? hw.ipv6 : none.ipv6,
    },
  };
}

function andUsoFamily(a: UdpSegmentationOffloadFamily, b: UdpSegmentationOffloadFamily): UdpSegmentationOffloadFamily | null {
  const encapsulation = a.encapsulation & b.encapsulation;
  if (encapsulation === NDIS_ENCAPSULATION_NOT_SUPPORTED) return null;
  return {
    encapsulation,
    maxOffLoadSize: Math.min(a.maxOffLoadSize, b.maxOffLoadSize),
    minSegmentCount: Math.max(a.minSegmentCount, b.minSegmentCount),
    subMssFinalSegmentSupported: a.subMssFinalSegmentSupported && b.subMssFinalSegmentSupported,
  };
}

/** §1.7 rule 1 for USO; a side without `uso` has none, so the result has none either. */
function intersectUso(a: NdisOffload, b: NdisOffload): Pick<NdisOffload, 'uso'> {
  if (a.uso === undefined && b.uso === undefined) return {};
  const x: UdpSegmentationOffload = a.uso ?? NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
  const y: UdpSegmentationOffload = b.uso ?? NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
  const none = NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
  const v6 = andUsoFamily(x.ipv6, y.ipv6);
  return {
    uso: {
      ipv4: andUsoFamily(x.ipv4, y.ipv4) ?? none.ipv4,
      ipv6: v6 === null ? none.ipv6 : { ...v6, ipExtensionHeadersSupported: x.ipv6.ipExtensionHeadersSupported && y.ipv6.ipExtensionHeadersSupported },
    },
  };
}
