/**
 * The tsndis package: the NDIS surface for drivers, the runtime, the configuration loader and binding
 * engine, the inspector, every built-in driver with its adapter or module class, the helpers a miniport
 * author shares with the built-in ones, the TCP/IP protocol with its sockets and HTTP agent, and pcapng.
 * Everything a user needs is here: `import { … } from 'tsndis'`, never a path inside the package.
 *
 * Large families with generic names are namespaces (`wire`, `pcapng`) so they cannot clash with the
 * rest; their most used members are also exported by name.
 */
export * from './ndis/index.js';
export { NdisRuntime, type RuntimeOptions, type AdapterPolicy, type Logger, type LogLevel } from './core/runtime/runtime.js';
export { DEFAULT_LOG_LIMIT, type LogLimit, type LogCounters } from './core/runtime/log-limit.js';
// What NdisRuntime hands back (runtime.adapter(name), attachFilter, bindProtocol, registerDriver): the runtime's
// own record of each adapter, filter module and binding (a driver sees one only as its NDIS handle).
export type { NdisBlock, EdgeCounters } from './core/runtime/block.js';
export type { MiniportBlock } from './core/runtime/miniport-block.js';
export { OidLog, type OidRecord, type OidAnsweredBy } from './core/runtime/oid-log.js';
export { DropRegistry, DROP_CAPTURE_SNAPLEN, type DropRow, type DropSink, type DroppedFrame } from './core/runtime/drops.js';
export type { FilterBlock } from './core/runtime/filter-block.js';
export type { OpenBlock } from './core/runtime/open-block.js';
export type { RegisteredDriver } from './core/runtime/registry.js';
export type { Configuration } from './core/runtime/configuration.js';
export type { OffloadState as AdapterOffloadState } from './core/runtime/offload-state.js';
export type { HdSplitState as AdapterHdSplitState } from './core/runtime/hd-split-state.js';
export { RealScheduler, ManualScheduler, Scheduler, settle, type Clock, type Timer } from './core/time/scheduler.js';
export { Verifier, VerifierViolation, DEFAULT_VERIFIER_LIMITS, type VerifierOptions, type VerifierLimits } from './core/verifier/verifier.js';
export { VERIFIER_RULES, type VerifierRule } from './core/verifier/rules.js';
export { DEFAULT_NBL_HISTORY_DEPTH, formatNblHistory, type NblEventName, type NblHistoryEvent } from './core/verifier/nbl-history.js';
export { TsndisError, ConfigError, RegistrationError, IllegalTransitionError, RuntimeOperationError } from './errors.js';
export {
  createStacks,
  loadStackConfig,
  parseStackConfig,
  describeStackConfig,
  buildStacks,
  startServices,
  addressesReady,
  type CreateStacksOptions,
  type RunningStacks,
  type HostService,
  type StackSource,
  type StackConfig,
  type OneOrMore,
  type HostConfig,
  type AdapterConfig,
  type IntermediateConfig,
  type ServiceConfig,
  type WireConfig,
  type DriverRefConfig,
  type KeywordConfig,
  type BuildOptions,
  type ProcessorMode,
  type BuiltHost,
  type BuiltStacks,
  type StackDescription,
  type HostDescription,
  type AdapterDescription,
  type DriverUse,
  type IntermediateDescription,
  type KeywordValues,
  type ModuleDriverDescription,
  type ServiceDescription,
  type WireDescription,
} from './config/index.js';
export { snapshotRuntime, renderText, renderJson, type JsonReport } from './inspect/index.js';
export {
  runVerify,
  loadVerifySubject,
  VerifyUsageError,
  VERIFY_CHECK_NAMES,
  VERIFY_OPTIONAL_CHECK_NAMES,
  VERIFY_KINDS,
  runOffloadConformance,
  formatOffloadConformance,
  OFFLOAD_FAMILIES,
  type OffloadConformanceTarget,
  type OffloadConformanceReport,
  type OffloadConformanceFailure,
  type OffloadFamilyResult,
  type OffloadFamily,
  type VerifyOptions,
  type VerifyReport,
  type VerifyCheckResult,
  type VerifyCheckStatus,
  type VerifyViolationReport,
  type VerifyKind,
  type VerifyKeywords,
  type VerifySubject,
} from './verify/index.js';
export type * from './inspect/model.js';
export { BUILTIN_DRIVERS, type BuiltinDriver, type BuiltinDriverFactory, type BuiltinProtocol } from './drivers/builtin.js';
export { LoopHold, LoopHoldGroup } from './util/loop-hold.js';

// ---- Built-in miniports -------------------------------------------------------------------------
export { virtualWireMiniport, VirtualWire, VirtualWireAdapter, WireOffload, WireOffloadCounters, type WireCounters, type WireImpairment, type WirePort, WireLinkCounters, WireLinkEndpoint, createWireLinkMemory, type WireLinkMemory } from './drivers/miniport/virtual-wire/index.js';
export { tapMiniport, TapAdapter, TapCounters, TapOffload, TapOffloadCounters, tapHardwareOffload, TAP_LSO_MAX_OFFLOAD_SIZE, TapEncapSender, TUN_F_UDP_TUNNEL_GSO, TUN_F_UDP_TUNNEL_GSO_CSUM, type TapWrite, type TapReaderMode } from './drivers/miniport/tap/index.js';
export type { TapDevice } from './io/tun/tap-device.js';
export { pcapngMiniport, PcapngAdapter, PcapngCounters, pcapngOutputsClosed, type PaceMode } from './drivers/miniport/pcapng/index.js';
export { vxlanMiniport, VxlanAdapter, VxlanCounters, ForwardingTable, FdbLearn, type FdbEntry, type VxlanSettings, type VxlanEndpoint } from './drivers/miniport/vxlan/index.js';

// ---- Built-in filters and the intermediate driver -----------------------------------------------
export { passThroughFilter, PassThroughFilterModule } from './drivers/filter/passthrough/index.js';
export { countersFilter, CountersFilterModule, PathCounters } from './drivers/filter/counters/index.js';
export { monitorFilter, MonitorFilterModule, EtherTypeCounters } from './drivers/filter/monitor/index.js';
export { captureFilter, CaptureFilterModule, captureFilesClosed } from './drivers/filter/capture/index.js';
export {
  impairmentFilter,
  ImpairmentFilterModule,
  ImpairmentDirection,
  type ImpairmentParams,
  type ImpairmentDirectionName,
  type JitterDistribution,
  FRAME_CLASSES,
  IMPAIRMENT_COUNTERS,
  type DirectionStats,
  type FramePort,
  type ImpairmentDrops,
  type FrameClass,
  type ImpairmentCounter,
} from './drivers/filter/impairment/index.js';
export { imPassThroughDriver, ImLowerBinding, ImUpperAdapter, type ImPair } from './drivers/intermediate/passthrough/index.js';
export {
  vlanDriver,
  VlanLowerBinding,
  VlanUpperAdapter,
  VlanMuxCounters,
  VlanPortCounters,
  type VlanPort,
  classifyFrame,
  tagFrame,
  untagFrame,
  TagInfo,
  TagKind,
  VLAN_ID_MIN,
  VLAN_ID_MAX,
  writeTaggedHeader,
  writeUntaggedHeader,
  vlanOffload,
} from './drivers/intermediate/vlan/index.js';
export {
  lbfoDriver,
  LbfoMember,
  LbfoTeamAdapter,
  Team as LbfoTeam,
  findTeam as findLbfoTeam,
  flowHash as lbfoFlowHash,
  type MemberCounters as LbfoMemberCounters,
  type TeamCounters as LbfoTeamCounters,
  type FailoverRecord as LbfoFailoverRecord,
  type TeamSettings as LbfoTeamSettings,
  type TeamingMode as LbfoTeamingMode,
} from './drivers/intermediate/lbfo/index.js';
export {
  overlayDriver,
  OVERLAY_TENANT_KEYWORDS,
  OverlayLowerBinding,
  OverlayTenantAdapter,
  OverlayCounters,
  OverlayTransmit,
  TxPath as OverlayTxPath,
  TxResult as OverlayTxResult,
  type OverlayDrops,
  type OverlayPort,
  type UnderlayNeighbor,
  OverlayKind,
  TunnelHeader,
  DecapInfo,
  DecapResult,
  decapsulate,
  writeOuterHeaders,
  flowSourcePort,
  overheadOf,
  VXLAN_OVERHEAD,
  NVGRE_OVERHEAD,
  LowerEncapOffload,
  encapsulatedPacketOffsets,
} from './drivers/intermediate/overlay/index.js';

// ---- Built-in protocols --------------------------------------------------------------------------
export { RawProtocol, RawBinding, RawCounters, createRawProtocol, type RawOptions, type RawReceiveHandler, type RawSendCompleteHandler, type RawSendInfo, type RawStatusHandler } from './drivers/protocol/raw/index.js';
export { BridgeProtocol, Bridge, BridgePort, BridgeCounters, BridgePortCounters, MAX_BRIDGE_PORTS, type BridgeRegistry, type BridgeSettings, type BridgeTotals } from './drivers/protocol/bridge/index.js';
export * from './drivers/protocol/tcpip/index.js';

// ---- What miniport authors share with the built-in miniports ------------------------------------
export {
  EthernetMiniportState,
  EthernetStatistics,
  ETHERNET_OIDS,
  destinationClass,
  filterAccepts,
  handleEthernetOid,
  type EthernetOidHooks,
} from './drivers/common/ethernet-miniport.js';
export { ReceiveQueue, LentIndication } from './drivers/common/receive-queue.js';
export { ReceiveDrops } from './drivers/common/receive-drops.js';
export {
  MiniportOffloads,
  STANDARD_OFFLOAD_KEYWORDS,
  SOFTWARE_LSO_MAX_OFFLOAD_SIZE,
  SOFTWARE_LSO_MIN_SEGMENT_COUNT,
  TASK_OFFLOAD_OIDS,
  offloadFromKeywords,
  offloadParametersFromKeywords,
  softwareOffloadCapabilities,
  standardOffloadKeywords,
  type MiniportOffloadHooks,
} from './drivers/common/task-offload.js';
export {
  STANDARD_RSS_KEYWORDS,
  RSS_PROFILES,
  NdisRssProfileClosestProcessor,
  NdisRssProfileClosestProcessorStatic,
  NdisRssProfileNuma,
  NdisRssProfileNumaStatic,
  NdisRssProfileConservative,
  standardRssKeywords,
  rssKeywordSettings,
  rssProcessors,
  type RssKeywordLimits,
  type RssKeywordSettings,
} from './drivers/common/rss-keywords.js';
export { RssState, RssCounters, RSS_OIDS, RSS_CAPS_ALL_HASH_TYPES, stackProcessorCount, type RssMiniportOptions } from './drivers/common/rss-miniport.js';
export { LsoSegmenter, SegmentTarget, LSO_SEGMENT_MALFORMED, LSO_SEGMENT_BAD_MSS, type SegmentAllocator, type SegmentDone } from './drivers/common/lso-segment.js';
export { UsoSegmenter, USO_SEGMENT_MALFORMED, USO_SEGMENT_BAD_MSS, USO_SEGMENT_TOO_LARGE, USO_SEGMENT_TOO_FEW, type UsoLimits } from './drivers/common/uso-segment.js';
export { FrameLayout, MAX_GSO_FRAME, locateHeaders } from './drivers/common/frame-layout.js';
export {
  EncapSegmenter,
  EncapLayout,
  EncapOffloadCounters,
  locateEncapsulated,
  finishEncapsulatedChecksums,
  ENCAP_OK,
  ENCAP_NOT_ENCAPSULATED,
  ENCAP_BAD_INNER,
  ENCAP_OFFSETS_MISMATCH,
  ENCAP_HEADERS_TOO_LONG,
  ENCAP_BAD_LSO,
  TUNNEL_NONE,
  TUNNEL_GRE,
  TUNNEL_VXLAN,
  VXLAN_ANY_PORT,
} from './drivers/common/encap-segment.js';
export { SOFTWARE_ENCAPSULATED_OFFLOAD, withSoftwareEncapsulatedOffload } from './drivers/common/task-offload.js';
export { FrameRecorder, RecorderCounters } from './drivers/common/frame-recorder.js';
export { HdSplitter, HdSplitDecision, HdSplitMiss, decideHdSplit, newHdSplitCounters, HD_SPLIT_NBL_FLAGS, HD_SPLIT_ALL_NBL_FLAGS, HD_SPLIT_MINIPORT_CAPS, type HdSplitCounters } from './drivers/common/hd-split.js';
export { HdSplitMiniport, HD_SPLIT_KEYWORDS } from './drivers/common/hd-split-miniport.js';
export { offloadMask, RX_TCP4, RX_UDP4, RX_IP4, RX_TCP6, RX_UDP6, RSC4, RSC6, LSO4, LSO6 } from './drivers/common/offload-mask.js';
export { stableMac } from './drivers/common/mac.js';

// ---- pcap / pcapng --------------------------------------------------------------------------------
export { CaptureReader, CaptureRecord, CaptureInterface, CaptureError, ReadStatus, readCapture, CaptureFile, CaptureFileSource, type CapturedFrame, type CaptureContents, type CaptureReaderOptions, type CaptureFileOptions } from './io/pcapng/index.js';
export * as pcapng from './io/pcapng/index.js';

// ---- Frame parsing and building (Ethernet, ARP, IPv4/IPv6, ICMP, UDP, TCP) -----------------------
export * as wire from './wire/index.js';
export * from './drivers/common/miniport-helpers.js';
