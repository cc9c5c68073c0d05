/**
 * NET_BUFFER_LIST_INFO slots as typed fields (NET_BUFFER_LIST_INFO(nbl, X) becomes `nbl.info.x`).
 *
 * Bit-field slots (checksum, LSO, 802.1Q, hash info, RSC) hold the same 32-bit values NDIS stores in the
 * pointer-sized slot, so the pack/unpack helpers in `../nbl-info-bits.ts` apply unchanged. Pointer slots
 * hold any object. NDIS aliases several names onto one slot; the aliases here are accessors onto the same
 * field, so writing one is visible through the other, as in NDIS. Ordinals are deliberately absent: they
 * differ between NDIS versions and 32/64-bit builds, so nothing may depend on them.
 */
export class NetBufferListInfo {
  /** TcpIpChecksumNetBufferListInfo (alias TcpOffloadBytesTransferred). */
  tcpIpChecksum = 0;
  /** IPsecOffloadV1NetBufferListInfo (alias IPsecOffloadV2NetBufferListInfo). */
  ipsecOffload: unknown = null;
  /** TcpLargeSendNetBufferListInfo (alias TcpReceiveNoPush). */
  tcpLargeSend = 0;
  classificationHandle: unknown = null;
  /** Ieee8021QNetBufferListInfo: NDIS_NET_BUFFER_LIST_8021Q_INFO bits. */
  ieee8021Q = 0;
  /** NetBufferListCancelId; 0 means "no cancel id". */
  cancelId = 0;
  mediaSpecificInformation: unknown = null;
  /** NetBufferListFrameType (alias NetBufferListProtocolId): EtherType in network byte order. */
  frameType = 0;
  hashValue = 0;
  hashInfo = 0;
  wfp: unknown = null;
  ipsecOffloadV2Tunnel: unknown = null;
  ipsecOffloadV2Header: unknown = null;
  correlationId = 0;
  /** NetBufferListFilteringInfo: VMQ queue id + filter id. */
  filteringInfo = 0;
  mediaSpecificInformationEx: unknown = null;
  /** NblOriginalInterfaceIfIndex (alias NblReAuthWfpFlowContext). */
  nblOriginalInterfaceIfIndex = 0;
  /** TcpReceiveBytesTransferred (aliases NrtNameResolutionId, UdpRecvSegCoalesceOffloadInfo). */
  tcpReceiveBytesTransferred = 0;
  switchForwardingReserved: unknown = null;
  switchForwardingDetail: unknown = null;
  virtualSubnetInfo = 0;
  imReserved: unknown = null;
  /** TcpRecvSegCoalesceInfo (alias UdpSegmentationOffloadInfo). */
  tcpRecvSegCoalesceInfo = 0;
  /** RscTcpTimestampDelta (alias TcpSendOffloadsSupplementalNetBufferListInfo). */
  rscTcpTimestampDelta = 0;
  gftOffloadInformation: unknown = null;
  gftFlowEntryId = 0;

  get tcpOffloadBytesTransferred(): number { return this.tcpIpChecksum; }
  set tcpOffloadBytesTransferred(v: number) { this.tcpIpChecksum = v; }
  get tcpReceiveNoPush(): number { return this.tcpLargeSend; }
  set tcpReceiveNoPush(v: number) { this.tcpLargeSend = v; }
  get protocolId(): number { return this.frameType; }
  set protocolId(v: number) { this.frameType = v; }
  get udpSegmentationOffloadInfo(): number { return this.tcpRecvSegCoalesceInfo; }
  set udpSegmentationOffloadInfo(v: number) { this.tcpRecvSegCoalesceInfo = v; }
  get tcpSendOffloadsSupplemental(): number { return this.rscTcpTimestampDelta; }
  set tcpSendOffloadsSupplemental(v: number) { this.rscTcpTimestampDelta = v; }
  get udpRecvSegCoalesceOffloadInfo(): number { return this.tcpReceiveBytesTransferred; }
  set udpRecvSegCoalesceOffloadInfo(v: number) { this.tcpReceiveBytesTransferred = v; }

  clear(): void {
    this.tcpIpChecksum = 0;
    this.ipsecOffload = null;
    this.tcpLargeSend = 0;
    this.classificationHandle = null;
    this.ieee8021Q = 0;
    this.cancelId = 0;
    this.mediaSpecificInformation = null;
    this.frameType = 0;
    this.hashValue = 0;
    this.hashInfo = 0;
    this.wfp = null;
    this.ipsecOffloadV2Tunnel = null;
    this.ipsecOffloadV2Header = null;
    this.correlationId = 0;
    this.filteringInfo = 0;
    this.mediaSpecificInformationEx = null;
    this.nblOriginalInterfaceIfIndex = 0;
    this.tcpReceiveBytesTransferred = 0;
    this.switchForwardingReserved = null;
    this.switchForwardingDetail = null;
    this.virtualSubnetInfo = 0;
    this.imReserved = null;
    this.tcpRecvSegCoalesceInfo = 0;
    this.rscTcpTimestampDelta = 0;
    this.gftOffloadInformation = null;
    this.gftFlowEntryId = 0;
  }

  /**
   * NdisCopySendNetBufferListInfo: exactly the slots of the DDI page's "Copied Item" table
   * (wdk-ddi: nblapi/nf-nblapi-ndiscopysendnetbufferlistinfo); NetBufferListProtocolId is the FrameType slot.
   */
  copySendInfoFrom(src: NetBufferListInfo): void {
    this.tcpIpChecksum = src.tcpIpChecksum;
    this.ipsecOffload = src.ipsecOffload;
    this.tcpLargeSend = src.tcpLargeSend;
    this.ieee8021Q = src.ieee8021Q;
    this.mediaSpecificInformation = src.mediaSpecificInformation;
    this.cancelId = src.cancelId;
    this.frameType = src.frameType;
    this.ipsecOffloadV2Tunnel = src.ipsecOffloadV2Tunnel;
    this.ipsecOffloadV2Header = src.ipsecOffloadV2Header;
    this.virtualSubnetInfo = src.virtualSubnetInfo;
    this.filteringInfo = src.filteringInfo;
  }

  /**
   * NdisCopyReceiveNetBufferListInfo: exactly the slots of the DDI page's "Copied Item" table
   * (wdk-ddi: nblapi/nf-nblapi-ndiscopyreceivenetbufferlistinfo); TcpReceiveNoPush is the TcpLargeSend slot.
   */
  copyReceiveInfoFrom(src: NetBufferListInfo): void {
    this.tcpIpChecksum = src.tcpIpChecksum;
    this.ipsecOffload = src.ipsecOffload;
    this.tcpLargeSend = src.tcpLargeSend;
    this.ieee8021Q = src.ieee8021Q;
    this.mediaSpecificInformation = src.mediaSpecificInformation;
    this.frameType = src.frameType;
    this.hashValue = src.hashValue;
    this.hashInfo = src.hashInfo;
    this.ipsecOffloadV2Tunnel = src.ipsecOffloadV2Tunnel;
    this.ipsecOffloadV2Header = src.ipsecOffloadV2Header;
    this.virtualSubnetInfo = src.virtualSubnetInfo;
    this.filteringInfo = src.filteringInfo;
  }
}

/** NDIS slot names (as in NDIS_NET_BUFFER_LIST_INFO) → field, for the inspector and docs. */
export const NBL_INFO_SLOTS = [
  ['TcpIpChecksumNetBufferListInfo', 'tcpIpChecksum'],
  ['IPsecOffloadV1NetBufferListInfo', 'ipsecOffload'],
  ['TcpLargeSendNetBufferListInfo', 'tcpLargeSend'],
  ['ClassificationHandleNetBufferListInfo', 'classificationHandle'],
  ['Ieee8021QNetBufferListInfo', 'ieee8021Q'],
  ['NetBufferListCancelId', 'cancelId'],
  ['MediaSpecificInformation', 'mediaSpecificInformation'],
  ['NetBufferListFrameType', 'frameType'],
  ['NetBufferListHashValue', 'hashValue'],
  ['NetBufferListHashInfo', 'hashInfo'],
  ['WfpNetBufferListInfo', 'wfp'],
  ['IPsecOffloadV2TunnelNetBufferListInfo', 'ipsecOffloadV2Tunnel'],
  ['IPsecOffloadV2HeaderNetBufferListInfo', 'ipsecOffloadV2Header'],
  ['NetBufferListCorrelationId', 'correlationId'],
  ['NetBufferListFilteringInfo', 'filteringInfo'],
  ['MediaSpecificInformationEx', 'mediaSpecificInformationEx'],
  ['NblOriginalInterfaceIfIndex', 'nblOriginalInterfaceIfIndex'],
  ['TcpReceiveBytesTransferred', 'tcpReceiveBytesTransferred'],
  ['SwitchForwardingReserved', 'switchForwardingReserved'],
  ['SwitchForwardingDetail', 'switchForwardingDetail'],
  ['VirtualSubnetInfo', 'virtualSubnetInfo'],
  ['IMReserved', 'imReserved'],
  ['TcpRecvSegCoalesceInfo', 'tcpRecvSegCoalesceInfo'],
  ['RscTcpTimestampDelta', 'rscTcpTimestampDelta'],
  ['GftOffloadInformation', 'gftOffloadInformation'],
  ['GftFlowEntryId', 'gftFlowEntryId'],
] as const satisfies ReadonlyArray<readonly [string, keyof NetBufferListInfo]>;
