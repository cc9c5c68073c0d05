/**
 * NET_BUFFER_LIST_INFO as typed fields (ndis-core digest §3.1): aliases share a slot, clear() resets every
 * slot, and the copy helpers copy exactly the slots the WDK documents for NdisCopySendNetBufferListInfo and
 * NdisCopyReceiveNetBufferListInfo (wdk-ddi: nblapi/nf-nblapi-ndiscopysendnetbufferlistinfo,
 * nblapi/nf-nblapi-ndiscopyreceivenetbufferlistinfo, "Copied Item" tables).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NBL_INFO_SLOTS, NetBufferListInfo } from '../../../src/ndis/buffers/net-buffer-list-info.js';

type Slot = (typeof NBL_INFO_SLOTS)[number][1];
const SLOTS: readonly Slot[] = NBL_INFO_SLOTS.map(([, field]) => field);
const NUMERIC = new Set(SLOTS.filter((s) => typeof new NetBufferListInfo()[s] === 'number'));

/** Writes a distinct, non-default value into every slot: numbers base + index, pointers tagged objects. */
function filled(base: number): NetBufferListInfo {
  const info = new NetBufferListInfo();
  const w = info as unknown as Record<Slot, unknown>;
  SLOTS.forEach((s, i) => {
    w[s] = NUMERIC.has(s) ? base + i : { base, slot: s };
  });
  return info;
}

function read(info: NetBufferListInfo, s: Slot): unknown {
  return (info as unknown as Record<Slot, unknown>)[s];
}

test('NBL_INFO_SLOTS lists the NDIS slots in header order (64-bit, NDIS 6.80+) up to GftFlowEntryId', () => {
  assert.deepEqual(NBL_INFO_SLOTS.map(([name]) => name), [
    'TcpIpChecksumNetBufferListInfo',         // 0
    'IPsecOffloadV1NetBufferListInfo',        // 1
    'TcpLargeSendNetBufferListInfo',          // 2
    'ClassificationHandleNetBufferListInfo',  // 3
    'Ieee8021QNetBufferListInfo',             // 4
    'NetBufferListCancelId',                  // 5
    'MediaSpecificInformation',               // 6
    'NetBufferListFrameType',                 // 7
    'NetBufferListHashValue',                 // 8
    'NetBufferListHashInfo',                  // 9
    'WfpNetBufferListInfo',                   // 10
    'IPsecOffloadV2TunnelNetBufferListInfo',  // 11
    'IPsecOffloadV2HeaderNetBufferListInfo',  // 12
    'NetBufferListCorrelationId',             // 13
    'NetBufferListFilteringInfo',             // 14
    'MediaSpecificInformationEx',             // 15
    'NblOriginalInterfaceIfIndex',            // 16
    'TcpReceiveBytesTransferred',             // 17
    'SwitchForwardingReserved',               // 18
    'SwitchForwardingDetail',                 // 19
    'VirtualSubnetInfo',                      // 20
    'IMReserved',                             // 21
    'TcpRecvSegCoalesceInfo',                 // 22
    'RscTcpTimestampDelta',                   // 23
    'GftOffloadInformation',                  // 24
    'GftFlowEntryId',                         // 25
  ]);
});

test('every own field of NetBufferListInfo is a listed slot, and every slot a field', () => {
  assert.deepEqual(Object.keys(new NetBufferListInfo()).sort(), [...SLOTS].sort());
});

test('aliases read and write the same slot as their primary name', () => {
  const pairs = [
    ['tcpOffloadBytesTransferred', 'tcpIpChecksum'],              // TcpOffloadBytesTransferred = TcpIpChecksumNetBufferListInfo
    ['tcpReceiveNoPush', 'tcpLargeSend'],                         // TcpReceiveNoPush = TcpLargeSendNetBufferListInfo
    ['protocolId', 'frameType'],                                  // NetBufferListProtocolId = NetBufferListFrameType
    ['udpRecvSegCoalesceOffloadInfo', 'tcpReceiveBytesTransferred'],
    ['udpSegmentationOffloadInfo', 'tcpRecvSegCoalesceInfo'],
    ['tcpSendOffloadsSupplemental', 'rscTcpTimestampDelta'],
  ] as const;
  for (const [alias, primary] of pairs) {
    const info = new NetBufferListInfo();
    info[alias] = 0x0008;
    assert.equal(info[primary], 0x0008, `${alias} → ${primary}`);
    info[primary] = 0xdd86;
    assert.equal(info[alias], 0xdd86, `${primary} → ${alias}`);
    const others = SLOTS.filter((s) => s !== primary).map((s) => read(info, s));
    assert.ok(others.every((v) => v === 0 || v === null), `${alias} touches no other slot`);
  }
});

test('clear() resets every slot to 0 or null', () => {
  const info = filled(100);
  info.clear();
  for (const s of SLOTS) assert.equal(read(info, s), NUMERIC.has(s) ? 0 : null, s);
});

/** NdisCopySendNetBufferListInfo "Copied Item" table (NetBufferListProtocolId is the FrameType slot). */
const SEND_COPIED: readonly Slot[] = [
  'tcpIpChecksum', 'ipsecOffload', 'tcpLargeSend', 'ieee8021Q', 'mediaSpecificInformation', 'cancelId', 'frameType',
  'ipsecOffloadV2Tunnel', 'ipsecOffloadV2Header', 'virtualSubnetInfo', 'filteringInfo',
];

/** NdisCopyReceiveNetBufferListInfo "Copied Item" table (TcpReceiveNoPush is the TcpLargeSend slot). */
const RECEIVE_COPIED: readonly Slot[] = [
  'tcpIpChecksum', 'ipsecOffload', 'tcpLargeSend', 'ieee8021Q', 'mediaSpecificInformation', 'frameType', 'hashValue',
  'hashInfo', 'ipsecOffloadV2Tunnel', 'ipsecOffloadV2Header', 'virtualSubnetInfo', 'filteringInfo',
];

function assertCopied(copy: (dst: NetBufferListInfo, src: NetBufferListInfo) => void, copied: readonly Slot[]): void {
  const src = filled(1000);
  const dst = filled(2000);
  const untouched = filled(2000);
  copy(dst, src);
  for (const s of SLOTS) {
    if (copied.includes(s)) assert.equal(read(dst, s), read(src, s), `${s} copied`);
    else assert.deepEqual(read(dst, s), read(untouched, s), `${s} left alone`);
  }
}

test('copySendInfoFrom copies exactly the slots NdisCopySendNetBufferListInfo copies', () => {
  assertCopied((dst, src) => dst.copySendInfoFrom(src), SEND_COPIED);
});

test('copyReceiveInfoFrom copies exactly the slots NdisCopyReceiveNetBufferListInfo copies', () => {
  assertCopied((dst, src) => dst.copyReceiveInfoFrom(src), RECEIVE_COPIED);
});
