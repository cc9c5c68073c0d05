/**
 * NDIS_OFFLOAD values for tests: fast-check arbitraries (every field, in the ranges the binary layout
 * carries) and a typical full configuration.
 */
import fc from 'fast-check';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  type ChecksumOffloadDirection,
  type NdisOffload,
  type NdisOffloadParameters,
} from '../../src/ndis/offload.js';

const ulong = fc.integer({ min: 0, max: 0xffffffff });

function direction(v4: boolean): fc.Arbitrary<ChecksumOffloadDirection> {
  return fc.record({
    encapsulation: ulong,
    ipOptionsSupported: fc.boolean(),
    tcpOptionsSupported: fc.boolean(),
    tcpChecksum: fc.boolean(),
    udpChecksum: fc.boolean(),
    ipChecksum: v4 ? fc.boolean() : fc.constant(false),
  }, { noNullPrototype: true });
}

const lsoV2Family = fc.record({ encapsulation: ulong, maxOffLoadSize: ulong, minSegmentCount: ulong }, { noNullPrototype: true });

/** Any NDIS_OFFLOAD the REVISION_3 layout can carry. */
export const arbitraryOffload: fc.Arbitrary<NdisOffload> = fc.record({
  checksum: fc.record({ ipv4Transmit: direction(true), ipv4Receive: direction(true), ipv6Transmit: direction(false), ipv6Receive: direction(false) }, { noNullPrototype: true }),
  lsoV1: fc.record({
    ipv4: fc.record({ encapsulation: ulong, maxOffLoadSize: ulong, minSegmentCount: ulong, tcpOptions: fc.boolean(), ipOptions: fc.boolean() }, { noNullPrototype: true }),
  }, { noNullPrototype: true }),
  lsoV2: fc.record({
    ipv4: lsoV2Family,
    ipv6: fc.record({ encapsulation: ulong, maxOffLoadSize: ulong, minSegmentCount: ulong, ipExtensionHeadersSupported: fc.boolean(), tcpOptionsSupported: fc.boolean() }, { noNullPrototype: true }),
  }, { noNullPrototype: true }),
  rsc: fc.record({ ipv4Enabled: fc.boolean(), ipv6Enabled: fc.boolean() }, { noNullPrototype: true }),
  flags: ulong,
}, { noNullPrototype: true });

const byte = fc.integer({ min: 0, max: 255 });

/** Any NDIS_OFFLOAD_PARAMETERS the REVISION_3 layout can carry. */
export const arbitraryOffloadParameters: fc.Arbitrary<NdisOffloadParameters> = fc.record({
  ipv4Checksum: byte, tcpIpv4Checksum: byte, udpIpv4Checksum: byte, tcpIpv6Checksum: byte, udpIpv6Checksum: byte,
  lsoV1: byte, ipsecV1: byte, lsoV2IPv4: byte, lsoV2IPv6: byte, tcpConnectionIPv4: byte, tcpConnectionIPv6: byte,
  flags: ulong, ipsecV2: byte, ipsecV2IPv4: byte, rscIPv4: byte, rscIPv6: byte, encapsulatedPacketTaskOffload: byte, encapsulationTypes: byte,
}, { noNullPrototype: true });

const full = (v4: boolean): ChecksumOffloadDirection => ({
  encapsulation: NDIS_ENCAPSULATION_IEEE_802_3,
  ipOptionsSupported: true,
  tcpOptionsSupported: true,
  tcpChecksum: true,
  udpChecksum: true,
  ipChecksum: v4,
});

/** Checksum (both directions, IPv4 and IPv6), LSOv2 (64 000 bytes, 2 segments), RSC: what a TAP with a vnet header offers. */
export const FULL_OFFLOAD: NdisOffload = {
  checksum: { ipv4Transmit: full(true), ipv4Receive: full(true), ipv6Transmit: full(false), ipv6Receive: full(false) },
  lsoV1: { ipv4: { encapsulation: 0, maxOffLoadSize: 0, minSegmentCount: 0, tcpOptions: false, ipOptions: false } },
  lsoV2: {
    ipv4: { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 64000, minSegmentCount: 2 },
    ipv6: { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 64000, minSegmentCount: 2, ipExtensionHeadersSupported: true, tcpOptionsSupported: true },
  },
  rsc: { ipv4Enabled: true, ipv6Enabled: true },
  flags: 0,
};
