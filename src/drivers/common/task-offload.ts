/**
 * The task-offload side of a miniport (offload digest §1, §10): the standardized keywords that set the
 * initial configuration, the offload attributes for MiniportInitializeEx, and the OIDs a miniport answers
 * itself — OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, OID_TCP_OFFLOAD_PARAMETERS (apply, then indicate
 * NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) and OID_OFFLOAD_ENCAPSULATION. The driver says how to put a
 * new configuration into effect through `apply`; everything else is common.
 */
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_SET_NO_CHANGE,
  NDIS_OFFLOAD_SET_OFF,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  OID_OFFLOAD_ENCAPSULATION,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  OID_TCP_OFFLOAD_PARAMETERS,
  ENCAPSULATED_MAX_HEADER_SIZE_DEFAULT,
  NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
  NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  NDIS_ENCAPSULATION_TYPE_VXLAN,
  VXLAN_UDP_PORT_DEFAULT,
  applyOffloadParameters,
  offloadParametersEnableIpsec,
  checkEncapsulatedParameters,
  withEncapsulatedOffload,
  type EncapsulatedOffloadFields,
  offloadEncapsulationCodec,
  offloadHardwareCapabilitiesCodec,
  offloadParametersCodec,
  type ChecksumOffloadDirection,
  type ConfigurationReader,
  type KeywordSchema,
  type MiniportAdapterHandle,
  type MiniportAdapterOffloadAttributes,
  type NdisOffload,
  type NdisOffloadEncapsulation,
  type NdisOffloadParameters,
  type NdisOidRequest,
  type NdisStatus,
  type OffloadEncapsulationFamily,
  type UdpSegmentationOffload,
} from '../../ndis/index.js';
import { offloadParametersInvalid } from './offload-requests.js';

const CHECKSUM_VALUES = [0, 1, 2, 3];

/**
 * The standardized offload keywords with their §10 values. `on`: the §10 defaults (everything enabled);
 * off: every default 0, for adapters whose offloads are opt-in.
 */
export function standardOffloadKeywords(on: boolean) {
  const checksum = (what: string) => ({ type: 'enum', description: `${what}: 0 disabled, 1 Tx, 2 Rx, 3 Rx & Tx`, default: on ? 3 : 0, values: CHECKSUM_VALUES }) as const;
  const onOff = (what: string) => ({ type: 'enum', description: `${what}: 0 disabled, 1 enabled`, default: on ? 1 : 0, values: [0, 1] }) as const;
  return {
    '*IPChecksumOffloadIPv4': checksum('IPv4 header checksum offload'),
    '*TCPChecksumOffloadIPv4': checksum('TCP checksum offload over IPv4'),
    '*TCPChecksumOffloadIPv6': checksum('TCP checksum offload over IPv6'),
    '*UDPChecksumOffloadIPv4': checksum('UDP checksum offload over IPv4'),
    '*UDPChecksumOffloadIPv6': checksum('UDP checksum offload over IPv6'),
    '*LsoV1IPv4': onOff('large send offload v1 (IPv4 only)'),
    '*LsoV2IPv4': onOff('large send offload v2 for IPv4'),
    '*LsoV2IPv6': onOff('large send offload v2 for IPv6'),
    '*RscIPv4': onOff('receive segment coalescing for IPv4'),
    '*RscIPv6': onOff('receive segment coalescing for IPv6'),
    '*UsoIPv4': onOff('UDP segmentation offload for IPv4'),
    '*UsoIPv6': onOff('UDP segmentation offload for IPv6'),
    '*EncapsulatedPacketTaskOffload': onOff('NVGRE/VXLAN encapsulated-packet task offload (checksums, LSO and RSS across the tunnel), on adapters that offer it'),
  } as const satisfies KeywordSchema;
}

/** The standardized offload keywords with their §10 values and defaults. */
export const STANDARD_OFFLOAD_KEYWORDS = standardOffloadKeywords(true);

/**
 * The keywords as OID_TCP_OFFLOAD_PARAMETERS values (§10 mapping: a checksum keyword v becomes v + 1, an
 * on/off keyword 0/1 becomes DISABLED/ENABLED = 1/2). Absent or invalid keywords read as their default.
 */
export function offloadParametersFromKeywords(k: ConfigurationReader): NdisOffloadParameters {
  const cs = (name: keyof typeof STANDARD_OFFLOAD_KEYWORDS): number => k.readInt(name, 3, 0, 3) + 1;
  const bin = (name: keyof typeof STANDARD_OFFLOAD_KEYWORDS): number => k.readInt(name, 1, 0, 1) + 1;
  return {
    ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
    ipv4Checksum: cs('*IPChecksumOffloadIPv4'),
    tcpIpv4Checksum: cs('*TCPChecksumOffloadIPv4'),
    tcpIpv6Checksum: cs('*TCPChecksumOffloadIPv6'),
    udpIpv4Checksum: cs('*UDPChecksumOffloadIPv4'),
    udpIpv6Checksum: cs('*UDPChecksumOffloadIPv6'),
    lsoV2IPv4: bin('*LsoV2IPv4'),
    lsoV2IPv6: bin('*LsoV2IPv6'),
    rscIPv4: bin('*RscIPv4'),
    rscIPv6: bin('*RscIPv6'),
    lsoV1: bin('*LsoV1IPv4'),
    udpSegmentationIPv4: bin('*UsoIPv4'),
    udpSegmentationIPv6: bin('*UsoIPv6'),
    // §6.2: the keyword switches every encapsulation type the adapter supports (apply keeps only those).
    encapsulatedPacketTaskOffload: k.readInt('*EncapsulatedPacketTaskOffload', 1, 0, 1) === 1 ? NDIS_OFFLOAD_SET_ON : NDIS_OFFLOAD_SET_OFF,
    encapsulationTypes: NDIS_ENCAPSULATION_TYPE_GRE_MAC | NDIS_ENCAPSULATION_TYPE_VXLAN,
  };
}

/** The initial current configuration: the keywords applied to the hardware capabilities. */
export function offloadFromKeywords(k: ConfigurationReader, hardware: NdisOffload): NdisOffload {
  return applyOffloadParameters(NDIS_OFFLOAD_NONE, hardware, offloadParametersFromKeywords(k));
}

export interface MiniportOffloadHooks {
  /**
   * Puts `next` into effect (reprogram the device). A failure status keeps `previous` and fails the
   * OID_TCP_OFFLOAD_PARAMETERS set with it.
   */
  apply?(next: NdisOffload, previous: NdisOffload): NdisStatus;
  /** OID_OFFLOAD_ENCAPSULATION changed which IP versions may use offloads. */
  encapsulationChanged?(encapsulation: NdisOffloadEncapsulation): void;
}

const FAMILY_OFF: OffloadEncapsulationFamily = Object.freeze({ enabled: NDIS_OFFLOAD_SET_OFF, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 });

/** One miniport's offload state and OID handling. */
export class MiniportOffloads {
  readonly hardware: NdisOffload;
  current: NdisOffload;
  /** The last OID_OFFLOAD_ENCAPSULATION (both families off until a protocol sets it). */
  encapsulation: NdisOffloadEncapsulation = { ipv4: FAMILY_OFF, ipv6: FAMILY_OFF };
  /** OID_TCP_OFFLOAD_PARAMETERS sets applied / refused by the driver's `apply`. */
  parameterSets = 0;
  parameterSetsFailed = 0;
  /** Sets refused because they asked for IPsec offload (tsndis has none; counted in parameterSetsFailed too). */
  ipsecRefused = 0;
  /** …of which refused for their encapsulated-offload part (a type or port not advertised, a bad value). */
  encapsulatedSetsRefused = 0;

  constructor(
    readonly ndis: MiniportAdapterHandle,
    hardware: NdisOffload,
    current: NdisOffload,
    readonly hooks: MiniportOffloadHooks = {},
  ) {
    this.hardware = hardware;
    this.current = current;
  }

  /** The OID_TCP_OFFLOAD_PARAMETERS counters, for a miniport's `inspect()`. */
  get setCounters(): { offloadParameterSets: number; offloadParameterSetsFailed: number; ipsecRefused: number } {
    return { offloadParameterSets: this.parameterSets, offloadParameterSetsFailed: this.parameterSetsFailed, ipsecRefused: this.ipsecRefused };
  }

  /** For `handle.setOffloadAttributes` in MiniportInitializeEx. */
  get attributes(): MiniportAdapterOffloadAttributes {
    return { defaultOffloadConfiguration: this.current, hardwareOffloadCapabilities: this.hardware };
  }

  /** OID_OFFLOAD_ENCAPSULATION enabled the family (IPv4 or IPv6); tsndis miniports start receive offloads for it then. */
  encapsulationOn(v6: boolean): boolean {
    return (v6 ? this.encapsulation.ipv6 : this.encapsulation.ipv4).enabled === NDIS_OFFLOAD_SET_ON;
  }

  /** The task-offload OIDs; NDIS_STATUS_INVALID_OID for any other (the caller tries its own next). */
  handleOid(req: NdisOidRequest): NdisStatus {
    switch (req.oid) {
      case OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
        return req.isQuery ? req.completeQuery(offloadHardwareCapabilitiesCodec, this.hardware) : NDIS_STATUS_NOT_SUPPORTED;
      case OID_TCP_OFFLOAD_PARAMETERS: {
        if (!req.isSet) return NDIS_STATUS_NOT_SUPPORTED;
        const r = req.readSet(offloadParametersCodec);
        return r.ok ? this.setParameters(r.value) : r.status;
      }
      case OID_OFFLOAD_ENCAPSULATION: {
        if (req.isQuery) return req.completeQuery(offloadEncapsulationCodec, this.encapsulation);
        if (!req.isSet) return NDIS_STATUS_NOT_SUPPORTED;
        const r = req.readSet(offloadEncapsulationCodec);
        return r.ok ? this.setEncapsulation(r.value) : r.status;
      }
      default:
        return NDIS_STATUS_INVALID_OID;
    }
  }

  /** Applies an OID_TCP_OFFLOAD_PARAMETERS set and indicates the resulting current configuration. */
  setParameters(p: NdisOffloadParameters): NdisStatus {
    // A value outside a field's enumeration: the contents are invalid (OID_TCP_OFFLOAD_PARAMETERS).
    if (offloadParametersInvalid(p)) {
      this.parameterSetsFailed++;
      return NDIS_STATUS_INVALID_DATA;
    }
    // tsndis has no IPsec offload: asking to enable AH/ESP is a request this adapter cannot carry out, so
    // the set is refused as invalid data (oid-tcp-offload-parameters.md) and the configuration is kept.
    if (offloadParametersEnableIpsec(p)) {
      this.ipsecRefused++;
      this.parameterSetsFailed++;
      return NDIS_STATUS_INVALID_DATA;
    }
    const previous = this.current;
    // Encapsulated offload (§6.2): a type or VXLAN port the adapter did not advertise is refused.
    const encap = checkEncapsulatedParameters(this.hardware, p.encapsulatedPacketTaskOffload, p.encapsulationTypes, p.vxlanUdpPortNumber ?? 0);
    if (encap !== null) {
      this.parameterSetsFailed++;
      this.encapsulatedSetsRefused++;
      return encap === 'bad-value' ? NDIS_STATUS_INVALID_PARAMETER : NDIS_STATUS_NOT_SUPPORTED;
    }
    const next = applyOffloadParameters(previous, this.hardware, p);
    const status = this.hooks.apply?.(next, previous) ?? NDIS_STATUS_SUCCESS;
    if (status !== NDIS_STATUS_SUCCESS) {
      this.parameterSetsFailed++;
      return status;
    }
    this.current = next;
    this.parameterSets++;
    // Every successful set is followed by the new configuration (§1.4), changed or not.
    this.ndis.indicateStatus({ statusCode: NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, statusBuffer: next });
    return NDIS_STATUS_SUCCESS;
  }

  /** Only Ethernet II framing with a 14-byte header is supported; NO_CHANGE keeps a family as it is. */
  setEncapsulation(e: NdisOffloadEncapsulation): NdisStatus {
    const family = (cur: OffloadEncapsulationFamily, f: OffloadEncapsulationFamily): OffloadEncapsulationFamily | null => {
      if (f.enabled === NDIS_OFFLOAD_SET_NO_CHANGE) return cur;
      if (f.enabled === NDIS_OFFLOAD_SET_OFF) return { ...cur, enabled: NDIS_OFFLOAD_SET_OFF };
      if (f.enabled !== NDIS_OFFLOAD_SET_ON) return null;
      if (f.encapsulationType !== NDIS_ENCAPSULATION_IEEE_802_3 || f.headerSize !== 14) return null;
      return { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: f.encapsulationType, headerSize: f.headerSize };
    };
    const ipv4 = family(this.encapsulation.ipv4, e.ipv4);
    const ipv6 = family(this.encapsulation.ipv6, e.ipv6);
    if (ipv4 === null || ipv6 === null) {
      const bad = ipv4 === null ? e.ipv4 : e.ipv6;
      return bad.enabled === NDIS_OFFLOAD_SET_ON ? NDIS_STATUS_NOT_SUPPORTED : NDIS_STATUS_INVALID_PARAMETER;
    }
    this.encapsulation = { ipv4, ipv6 };
    this.hooks.encapsulationChanged?.(this.encapsulation);
    return NDIS_STATUS_SUCCESS;
  }
}

/** LSO limits of the software offloads: the usual NIC MaxOffLoadSize, and at least two segments. */
export const SOFTWARE_LSO_MAX_OFFLOAD_SIZE = 64000;
export const SOFTWARE_LSO_MIN_SEGMENT_COUNT = 2;

/**
 * Everything a miniport that does the work in software (or hands it to a kernel) can offer: checksums
 * both ways for TCP and UDP over IPv4 and IPv6 with options / extension headers, the IPv4 header checksum,
 * LSOv1 (IPv4), LSOv2 for both IP versions, USO for both, and RSC when `rsc` (its receive buffers hold
 * 64 KB units).
 */
export function softwareOffloadCapabilities(rsc: boolean): NdisOffload {
  const direction = (v4: boolean): ChecksumOffloadDirection => ({
    encapsulation: NDIS_ENCAPSULATION_IEEE_802_3,
    ipOptionsSupported: true,
    tcpOptionsSupported: true,
    tcpChecksum: true,
    udpChecksum: true,
    ipChecksum: v4,
  });
  const lso = { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: SOFTWARE_LSO_MAX_OFFLOAD_SIZE, minSegmentCount: SOFTWARE_LSO_MIN_SEGMENT_COUNT };
  return {
    checksum: { ipv4Transmit: direction(true), ipv4Receive: direction(true), ipv6Transmit: direction(false), ipv6Receive: direction(false) },
    lsoV1: { ipv4: { ...lso, tcpOptions: true, ipOptions: true } },
    lsoV2: { ipv4: lso, ipv6: { ...lso, ipExtensionHeadersSupported: true, tcpOptionsSupported: true } },
    rsc: { ipv4Enabled: rsc, ipv6Enabled: rsc },
    flags: 0,
    uso: softwareUsoCapabilities(),
  };
}

/**
 * USO as the software engine (or a kernel behind a TAP) does it: both IP versions, IPv4 options and IPv6
 * extension headers, a sub-MSS last datagram, the LSO size limits. MinSegmentCount is a 6-bit field.
 */
export function softwareUsoCapabilities(): UdpSegmentationOffload {
  const f = { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: SOFTWARE_LSO_MAX_OFFLOAD_SIZE, minSegmentCount: SOFTWARE_LSO_MIN_SEGMENT_COUNT, subMssFinalSegmentSupported: true };
  return { ipv4: f, ipv6: { ...f, ipExtensionHeadersSupported: true } };
}

/**
 * The encapsulated-packet offload (NVGRE and VXLAN, §6.2) of a miniport that does it in software
 * (encap-segment.ts): checksums both ways, LSOv2 and RSS on the inner headers for every inner/outer IP
 * version mix, headers up to 256 bytes, VXLAN on 4789 with the port configurable.
 */
export const SOFTWARE_ENCAPSULATED_OFFLOAD: EncapsulatedOffloadFields = Object.freeze({
  encapsulatedPacketTaskOffloadGre: Object.freeze({
    transmitChecksumOffloadSupported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    receiveChecksumOffloadSupported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    lsoV2Supported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    rssSupported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    vmqSupported: 0,
    usoSupported: 0,
    maxHeaderSizeSupported: ENCAPSULATED_MAX_HEADER_SIZE_DEFAULT,
  }),
  encapsulatedPacketTaskOffloadVxlan: Object.freeze({
    transmitChecksumOffloadSupported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    receiveChecksumOffloadSupported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    lsoV2Supported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    rssSupported: NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL,
    vmqSupported: 0,
    usoSupported: 0,
    maxHeaderSizeSupported: ENCAPSULATED_MAX_HEADER_SIZE_DEFAULT,
    vxlanUdpPortNumber: VXLAN_UDP_PORT_DEFAULT,
    vxlanUdpPortNumberConfigurable: true,
  }),
  encapsulationTypes: NDIS_ENCAPSULATION_TYPE_GRE_MAC | NDIS_ENCAPSULATION_TYPE_VXLAN,
});

/** `base` plus the software encapsulated offload (hardware capabilities of the TAP and the virtual wire). */
export function withSoftwareEncapsulatedOffload(base: NdisOffload): NdisOffload {
  return withEncapsulatedOffload(base, SOFTWARE_ENCAPSULATED_OFFLOAD);
}

/** The OIDs a miniport using MiniportOffloads adds to its supported list. */
export const TASK_OFFLOAD_OIDS: readonly number[] = [OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, OID_TCP_OFFLOAD_PARAMETERS, OID_OFFLOAD_ENCAPSULATION];
