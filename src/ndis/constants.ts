/**
 * NDIS flag words, enums and object-header values other than statuses (status.ts) and OIDs (oids.ts).
 *
 * Names are the exact header spellings so the docs can be grepped; values come from the ndis-core digest
 * (section numbers in the group comments). C enums become plain numeric constants plus a `type X = number`
 * alias where the runtime passes them around. Flag values are unsigned 32-bit numbers; the one 64-bit
 * value (NDIS_LINK_SPEED_UNKNOWN) is a bigint because link speeds are ULONG64 fields.
 */

// ======================================================================================================
// §1.4 NDIS versions and characteristics
// ======================================================================================================

export const NDIS_MAJOR_VERSION = 6;
/** NDIS 6 minor versions defined by the 10.0.22000 SDK (6.0 … 6.86); newer WDKs add more. */
export const NDIS_MINOR_VERSIONS = [0, 1, 20, 30, 40, 50, 51, 60, 70, 80, 81, 82, 83, 84, 85, 86] as const;
export type NdisMinorVersion = (typeof NDIS_MINOR_VERSIONS)[number];

/** Miniport characteristics Flags. */
export const NDIS_INTERMEDIATE_DRIVER = 0x1;
export const NDIS_WDM_DRIVER = 0x2;

/** NDIS_OBJECT_HEADER.Type values named in the digests. */
export const NDIS_OBJECT_TYPE_DEFAULT = 0x80;
export const NDIS_OBJECT_TYPE_RSS_CAPABILITIES = 0x88;
export const NDIS_OBJECT_TYPE_RSS_PARAMETERS = 0x89;
export const NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS = 0x8a;
export const NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS = 0x8b;
export const NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS = 0x95;
export const NDIS_OBJECT_TYPE_OID_REQUEST = 0x96;
export const NDIS_OBJECT_TYPE_STATUS_INDICATION = 0x98;
export const NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES = 0xa0;
export const NDIS_OBJECT_TYPE_OFFLOAD = 0xa7;
export const NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION = 0xa8;
export const NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT = 0xa9;
export const NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES = 0xab;

/** Characteristics revisions: 2 adds direct OIDs (6.1), 3 adds synchronous OIDs (6.80). */
export const NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 = 1;
export const NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 = 2;
export const NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 = 3;
export const NDIS_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 = 1;
export const NDIS_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 = 2;
export const NDIS_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 = 3;
/** Revision 2 (6.1) adds DirectOidRequestCompleteHandler. */
export const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 = 1;
export const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 = 2;

/** Structure revisions used by the OID/status payloads. */
export const NDIS_OID_REQUEST_REVISION_1 = 1;
export const NDIS_STATUS_INDICATION_REVISION_1 = 1;
export const NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 = 1;
export const NDIS_LINK_STATE_REVISION_1 = 1;
export const NDIS_LINK_PARAMETERS_REVISION_1 = 1;
export const NDIS_STATISTICS_INFO_REVISION_1 = 1;
export const NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 = 1;

/**
 * NDIS_SIZEOF_*_REVISION_1 for the structures oid-codecs.ts handles (x64 natural alignment; checked against
 * the public SDK bindings: 40 / 32 / 152 / 12).
 */
export const NDIS_SIZEOF_LINK_STATE_REVISION_1 = 40;
export const NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1 = 32;
export const NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 = 152;
export const NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 = 12;
/** NDIS_OBJECT_HEADER {UCHAR Type; UCHAR Revision; USHORT Size}. */
export const NDIS_SIZEOF_OBJECT_HEADER = 4;

/** NDIS_OID_REQUEST.Flags (6.50+). */
export const NDIS_OID_REQUEST_FLAGS_VPORT_ID_VALID = 0x1;

// ======================================================================================================
// §1.2 Filter classes (INF FilterClass), ordered top → bottom of the modifying-filter stack
// ======================================================================================================

export const FILTER_CLASSES = [
  'scheduler',
  'encryption',
  'compression',
  'vpn',
  'loadbalance',
  'failover',
  'diagnostic',
  'custom',
  'provider_address',
  // Hyper-V extensible switch extensions (6.30+)
  'ms_switch_capture',
  'ms_switch_filter',
  'ms_switch_forward',
] as const;
export type FilterClass = (typeof FILTER_CLASSES)[number];

/** INF Characteristics bit of a lightweight filter; must not be combined with NCF_FILTER. */
export const NCF_LW_FILTER = 0x40000;
export const NCF_FILTER = 0x400;

// ======================================================================================================
// §1.3 NDIS_MEDIUM (ordinals 0–19)
// ======================================================================================================

export type NdisMedium = number;
export const NdisMedium802_3 = 0;
export const NdisMedium802_5 = 1;
export const NdisMediumFddi = 2;
export const NdisMediumWan = 3;
export const NdisMediumLocalTalk = 4;
export const NdisMediumDix = 5;
export const NdisMediumArcnetRaw = 6;
export const NdisMediumArcnet878_2 = 7;
export const NdisMediumAtm = 8;
export const NdisMediumWirelessWan = 9;
export const NdisMediumIrda = 10;
export const NdisMediumBpc = 11;
export const NdisMediumCoWan = 12;
export const NdisMedium1394 = 13;
export const NdisMediumInfiniBand = 14;
export const NdisMediumTunnel = 15;
export const NdisMediumNative802_11 = 16;
export const NdisMediumLoopback = 17;
export const NdisMediumWiMAX = 18;
export const NdisMediumIP = 19;
export const NdisMediumMax = 20;

// ======================================================================================================
// §4.3 NDIS_PHYSICAL_MEDIUM
// ======================================================================================================

export type NdisPhysicalMedium = number;
export const NdisPhysicalMediumUnspecified = 0;
export const NdisPhysicalMediumWirelessLan = 1;
export const NdisPhysicalMediumCableModem = 2;
export const NdisPhysicalMediumPhoneLine = 3;
export const NdisPhysicalMediumPowerLine = 4;
export const NdisPhysicalMediumDSL = 5;
export const NdisPhysicalMediumFibreChannel = 6;
export const NdisPhysicalMedium1394 = 7;
export const NdisPhysicalMediumWirelessWan = 8;
export const NdisPhysicalMediumNative802_11 = 9;
export const NdisPhysicalMediumBluetooth = 10;
export const NdisPhysicalMediumInfiniband = 11;
export const NdisPhysicalMediumWiMax = 12;
export const NdisPhysicalMediumUWB = 13;
export const NdisPhysicalMedium802_3 = 14;
export const NdisPhysicalMedium802_5 = 15;
export const NdisPhysicalMediumIrda = 16;
export const NdisPhysicalMediumWiredWAN = 17;
export const NdisPhysicalMediumWiredCoWan = 18;
export const NdisPhysicalMediumOther = 19;
export const NdisPhysicalMediumNative802_15_4 = 20;
export const NdisPhysicalMediumMax = 21;

// ======================================================================================================
// §4.3 NDIS_HARDWARE_STATUS, legacy NDIS_MEDIA_STATE, MAC options
// ======================================================================================================

export type NdisHardwareStatus = number;
export const NdisHardwareStatusReady = 0;
export const NdisHardwareStatusInitializing = 1;
export const NdisHardwareStatusReset = 2;
export const NdisHardwareStatusClosing = 3;
export const NdisHardwareStatusNotReady = 4;

/** OID_GEN_MEDIA_CONNECT_STATUS (legacy). Note connected is 0, unlike MediaConnectStateConnected. */
export type NdisMediaState = number;
export const NdisMediaStateConnected = 0;
export const NdisMediaStateDisconnected = 1;

export const NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA = 0x1;
export const NDIS_MAC_OPTION_RECEIVE_SERIALIZED = 0x2;
export const NDIS_MAC_OPTION_TRANSFERS_NOT_PEND = 0x4;
export const NDIS_MAC_OPTION_NO_LOOPBACK = 0x8;
/** Deprecated. */
export const NDIS_MAC_OPTION_FULL_DUPLEX = 0x10;
export const NDIS_MAC_OPTION_EOTX_INDICATION = 0x20;
export const NDIS_MAC_OPTION_8021P_PRIORITY = 0x40;
export const NDIS_MAC_OPTION_SUPPORTS_MAC_ADDRESS_OVERWRITE = 0x80;
export const NDIS_MAC_OPTION_RECEIVE_AT_DPC = 0x100;
export const NDIS_MAC_OPTION_8021Q_VLAN = 0x200;
export const NDIS_MAC_OPTION_RESERVED = 0x80000000;

// ======================================================================================================
// §4.4 Packet filter (NDIS_PACKET_TYPE_*)
// ======================================================================================================

export const NDIS_PACKET_TYPE_DIRECTED = 0x1;
export const NDIS_PACKET_TYPE_MULTICAST = 0x2;
export const NDIS_PACKET_TYPE_ALL_MULTICAST = 0x4;
export const NDIS_PACKET_TYPE_BROADCAST = 0x8;
export const NDIS_PACKET_TYPE_SOURCE_ROUTING = 0x10;
export const NDIS_PACKET_TYPE_PROMISCUOUS = 0x20;
export const NDIS_PACKET_TYPE_SMT = 0x40;
export const NDIS_PACKET_TYPE_ALL_LOCAL = 0x80;
export const NDIS_PACKET_TYPE_GROUP = 0x1000;
export const NDIS_PACKET_TYPE_ALL_FUNCTIONAL = 0x2000;
export const NDIS_PACKET_TYPE_FUNCTIONAL = 0x4000;
export const NDIS_PACKET_TYPE_MAC_FRAME = 0x8000;
export const NDIS_PACKET_TYPE_NO_LOCAL = 0x10000;

// ======================================================================================================
// §4.5 NDIS_STATISTICS_INFO.SupportedStatistics (0x800–0x4000 are unused)
// ======================================================================================================

export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV = 0x1;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV = 0x2;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV = 0x4;
export const NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV = 0x8;
export const NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS = 0x10;
export const NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR = 0x20;
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT = 0x40;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT = 0x80;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT = 0x100;
export const NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT = 0x200;
export const NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR = 0x400;
export const NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS = 0x8000;
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV = 0x10000;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV = 0x20000;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV = 0x40000;
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT = 0x80000;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT = 0x100000;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT = 0x200000;

// ======================================================================================================
// §5.3 Link state: NET_IF_MEDIA_CONNECT_STATE, NET_IF_MEDIA_DUPLEX_STATE, pause functions, autoneg flags
// ======================================================================================================

export type NdisMediaConnectState = number;
export const MediaConnectStateUnknown = 0;
export const MediaConnectStateConnected = 1;
export const MediaConnectStateDisconnected = 2;

export type NdisMediaDuplexState = number;
export const MediaDuplexStateUnknown = 0;
export const MediaDuplexStateHalf = 1;
export const MediaDuplexStateFull = 2;

export type NdisSupportedPauseFunctions = number;
export const NdisPauseFunctionsUnsupported = 0;
export const NdisPauseFunctionsSendOnly = 1;
export const NdisPauseFunctionsReceiveOnly = 2;
export const NdisPauseFunctionsSendAndReceive = 3;
export const NdisPauseFunctionsUnknown = 4;

export const NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED = 0x1;
export const NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED = 0x2;
export const NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED = 0x4;
export const NDIS_LINK_STATE_PAUSE_FUNCTIONS_AUTO_NEGOTIATED = 0x8;

/** (ULONG64)-1: speed not known. Same value as NET_IF_LINK_SPEED_UNKNOWN. */
export const NDIS_LINK_SPEED_UNKNOWN = 0xffffffffffffffffn;
export const NET_IF_LINK_SPEED_UNKNOWN = NDIS_LINK_SPEED_UNKNOWN;

// ======================================================================================================
// §2.1 NDIS_MINIPORT_PAUSE_PARAMETERS.PauseReason (bit flags)
// ======================================================================================================

export const NDIS_PAUSE_NDIS_INTERNAL = 0x1;
export const NDIS_PAUSE_LOW_POWER = 0x2;
export const NDIS_PAUSE_BIND_PROTOCOL = 0x4;
export const NDIS_PAUSE_UNBIND_PROTOCOL = 0x8;
export const NDIS_PAUSE_ATTACH_FILTER = 0x10;
export const NDIS_PAUSE_DETACH_FILTER = 0x20;
export const NDIS_PAUSE_FILTER_RESTART_STACK = 0x40;
export const NDIS_PAUSE_MINIPORT_DEVICE_REMOVE = 0x80;

// ======================================================================================================
// §3.1 NET_BUFFER_LIST.NblFlags and NET_BUFFER_LIST.Flags groups; §3.3 protocol ids; §3.5 clone flags
// ======================================================================================================

export const NDIS_NBL_FLAGS_SEND_READ_ONLY = 0x1;
export const NDIS_NBL_FLAGS_RECV_READ_ONLY = 0x2;
/** 6.1+: header-data split NBL. */
export const NDIS_NBL_FLAGS_HD_SPLIT = 0x100;
/** IS_IPV4 and IS_IPV6 are mutually exclusive. */
export const NDIS_NBL_FLAGS_IS_IPV4 = 0x200;
export const NDIS_NBL_FLAGS_IS_IPV6 = 0x400;
/** IS_TCP and IS_UDP are mutually exclusive and need IS_IPV4 or IS_IPV6. */
export const NDIS_NBL_FLAGS_IS_TCP = 0x800;
export const NDIS_NBL_FLAGS_IS_UDP = 0x1000;
/** SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER and _PAYLOAD are mutually exclusive (6.1+). */
export const NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER = 0x2000;
export const NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD = 0x4000;
export const NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET = 0x8000;
/** 6.82. */
export const NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT = 0x10000;

/** NET_BUFFER_LIST.Flags ownership groups, NDIS 6.30+ values (6.30+ protocols may use 0x3). */
export const NBL_FLAGS_PROTOCOL_RESERVED = 0xfff00003;
export const NBL_FLAGS_MINIPORT_RESERVED = 0x0000f000;
export const NBL_FLAGS_SCRATCH = 0x000f0000;
export const NBL_FLAGS_NDIS_RESERVED = 0x00000ffc;
/** Not header names: the same two groups as defined for drivers built for NDIS before 6.30. */
export const NBL_FLAGS_PROTOCOL_RESERVED_BEFORE_NDIS630 = 0xfff00000;
export const NBL_FLAGS_NDIS_RESERVED_BEFORE_NDIS630 = 0x00000fff;

export const NDIS_PROTOCOL_ID_DEFAULT = 0x00;
export const NDIS_PROTOCOL_ID_TCP_IP = 0x02;
export const NDIS_PROTOCOL_ID_IP6 = 0x03;
export const NDIS_PROTOCOL_ID_IPX = 0x06;
export const NDIS_PROTOCOL_ID_NBF = 0x07;

export const NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS = 0x2;

// ======================================================================================================
// §3.7 Send / send-complete / receive / return flag words (switch bits differ per path)
// ======================================================================================================

export const NDIS_SEND_FLAGS_DISPATCH_LEVEL = 0x1;
export const NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK = 0x2;
export const NDIS_SEND_FLAGS_SINGLE_QUEUE = 0x4;
export const NDIS_SEND_FLAGS_SWITCH_DESTINATION_GROUP = 0x10;
export const NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE = 0x20;

export const NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL = 0x1;
export const NDIS_SEND_COMPLETE_FLAGS_SINGLE_QUEUE = 0x2;
export const NDIS_SEND_COMPLETE_FLAGS_SWITCH_SINGLE_SOURCE = 0x4;

export const NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL = 0x1;
/** Ownership returns to the indicator when the indicate call returns; receivers copy and never return. */
export const NDIS_RECEIVE_FLAGS_RESOURCES = 0x2;
export const NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE = 0x100;
export const NDIS_RECEIVE_FLAGS_SINGLE_VLAN = 0x200;
export const NDIS_RECEIVE_FLAGS_PERFECT_FILTERED = 0x400;
export const NDIS_RECEIVE_FLAGS_SINGLE_QUEUE = 0x800;
export const NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID = 0x1000;
/** Reserved. */
export const NDIS_RECEIVE_FLAGS_MORE_NBLS = 0x2000;
export const NDIS_RECEIVE_FLAGS_SWITCH_DESTINATION_GROUP = 0x4000;
export const NDIS_RECEIVE_FLAGS_SWITCH_SINGLE_SOURCE = 0x8000;

export const NDIS_RETURN_FLAGS_DISPATCH_LEVEL = 0x1;
export const NDIS_RETURN_FLAGS_SINGLE_QUEUE = 0x2;
export const NDIS_RETURN_FLAGS_SWITCH_SINGLE_SOURCE = 0x4;

// ======================================================================================================
// §6.1 NET_PNP_EVENT_CODE (pass unknown codes through unchanged)
// ======================================================================================================

export type NetPnPEventCode = number;
export const NetEventSetPower = 0;
export const NetEventQueryPower = 1;
export const NetEventQueryRemoveDevice = 2;
export const NetEventCancelRemoveDevice = 3;
export const NetEventReconfigure = 4;
export const NetEventBindList = 5;
export const NetEventBindsComplete = 6;
export const NetEventPnPCapabilities = 7;
export const NetEventPause = 8;
export const NetEventRestart = 9;
export const NetEventPortActivation = 10;
export const NetEventPortDeactivation = 11;
export const NetEventIMReEnableDevice = 12;
export const NetEventNDKEnable = 13;
export const NetEventNDKDisable = 14;
export const NetEventFilterPreDetach = 15;
export const NetEventBindFailed = 16;
export const NetEventSwitchActivate = 17;
export const NetEventAllowBindsAbove = 18;
export const NetEventInhibitBindsAbove = 19;
export const NetEventAllowStart = 20;
export const NetEventRequirePause = 21;
export const NetEventUploadGftFlowEntries = 22;
export const NetEventMaximum = 23;

// ======================================================================================================
// §6.2 Device PnP events, power profiles, device power states
// ======================================================================================================

export type NdisDevicePnPEvent = number;
export const NdisDevicePnPEventQueryRemoved = 0;
export const NdisDevicePnPEventRemoved = 1;
export const NdisDevicePnPEventSurpriseRemoved = 2;
export const NdisDevicePnPEventQueryStopped = 3;
export const NdisDevicePnPEventStopped = 4;
export const NdisDevicePnPEventPowerProfileChanged = 5;
export const NdisDevicePnPEventFilterListChanged = 6;
export const NdisDevicePnPEventMaximum = 7;

/** ULONG payload of NdisDevicePnPEventPowerProfileChanged. */
export const NdisPowerProfileBattery = 0;
export const NdisPowerProfileAcOnLine = 1;

/** NDIS_DEVICE_POWER_STATE (OID_PNP_SET_POWER / OID_PNP_QUERY_POWER payload). */
export type NdisDevicePowerState = number;
export const NdisDeviceStateUnspecified = 0;
export const NdisDeviceStateD0 = 1;
export const NdisDeviceStateD1 = 2;
export const NdisDeviceStateD2 = 3;
export const NdisDeviceStateD3 = 4;
export const NdisDeviceStateMaximum = 5;

// ======================================================================================================
// §6.4 NDIS_HALT_ACTION, NDIS_SHUTDOWN_ACTION
// ======================================================================================================

export type NdisHaltAction = number;
export const NdisHaltDeviceDisabled = 0;
export const NdisHaltDeviceInstanceDeInitialized = 1;
export const NdisHaltDevicePoweredDown = 2;
export const NdisHaltDeviceSurpriseRemoved = 3;
export const NdisHaltDeviceFailed = 4;
export const NdisHaltDeviceInitializationFailed = 5;
export const NdisHaltDeviceStopped = 6;

export type NdisShutdownAction = number;
export const NdisShutdownPowerOff = 0;
export const NdisShutdownBugCheck = 1;

// ======================================================================================================
// §7 Ports and interfaces
// ======================================================================================================

export type NdisPortNumber = number;
/** Always exists; never allocated or freed. */
export const NDIS_DEFAULT_PORT_NUMBER = 0;

export type NdisPortType = number;
export const NdisPortTypeUndefined = 0;
export const NdisPortTypeBridge = 1;
export const NdisPortTypeRasConnection = 2;
export const NdisPortType8021xSupplicant = 3;
/** 6.30. */
export const NdisPortTypeNdisImPlatform = 4;

/** IANA ifType values (ipifcons.h). */
export const IF_TYPE_OTHER = 1;
export const IF_TYPE_ETHERNET_CSMACD = 6;
export const IF_TYPE_SOFTWARE_LOOPBACK = 24;
export const IF_TYPE_PROP_VIRTUAL = 53;
export const IF_TYPE_IEEE80211 = 71;
export const IF_TYPE_TUNNEL = 131;

export type NetIfOperStatus = number;
export const NET_IF_OPER_STATUS_UP = 1;
export const NET_IF_OPER_STATUS_DOWN = 2;
export const NET_IF_OPER_STATUS_TESTING = 3;
export const NET_IF_OPER_STATUS_UNKNOWN = 4;
export const NET_IF_OPER_STATUS_DORMANT = 5;
export const NET_IF_OPER_STATUS_NOT_PRESENT = 6;
export const NET_IF_OPER_STATUS_LOWER_LAYER_DOWN = 7;

// ======================================================================================================
// §9 Interrupt moderation
// ======================================================================================================

export type NdisInterruptModeration = number;
export const NdisInterruptModerationUnknown = 0;
export const NdisInterruptModerationNotSupported = 1;
export const NdisInterruptModerationEnabled = 2;
export const NdisInterruptModerationDisabled = 3;

/** NDIS_INTERRUPT_MODERATION_PARAMETERS.Flags. */
export const NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_RESET = 0x1;
export const NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_REINITIALIZE = 0x2;

// ======================================================================================================
// §10 NDIS_PARAMETER_TYPE (NdisReadConfiguration)
// ======================================================================================================

export type NdisParameterType = number;
export const NdisParameterInteger = 0;
export const NdisParameterHexInteger = 1;
export const NdisParameterString = 2;
export const NdisParameterMultiString = 3;
export const NdisParameterBinary = 4;
