/**
 * tsndis.pcapng: an Ethernet miniport that replays a pcap or pcapng file as receive indications and
 * writes what it is sent to a pcapng file (see README.md in this folder for keywords and OIDs).
 */
import { NdisMedium802_3, type MiniportDriverCharacteristics } from '../../../ndis/index.js';
import { captureFileProblem } from '../../../io/pcapng/index.js';
import { PcapngAdapter } from './adapter.js';

export { PcapngAdapter, PcapngCounters, pcapngOutputsClosed, type PaceMode } from './adapter.js';

export const pcapngMiniport = {
  kind: 'miniport',
  name: 'tsndis.pcapng',
  description: 'Replays a pcap/pcapng file as received frames; writes sent frames to pcapng',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  medium: NdisMedium802_3,
  keywords: {
    InputFile: { type: 'edit', description: 'pcap or pcapng file replayed as received frames; none: nothing is received', check: (v) => (v === '' ? undefined : (captureFileProblem(String(v)) ?? undefined)) },
    OutputFile: { type: 'edit', description: 'pcapng file receiving every frame sent to the adapter (a .pcapng suffix is optional); none: sends are discarded' },
    Pace: { type: 'enum', description: "'none': as fast as buffers allow; 'timestamps': each frame at its timestamp's offset from the first", default: 'none', values: ['none', 'timestamps'] },
    Speed: { type: 'edit', description: 'pacing multiplier (2 = twice as fast, 0.5 = half speed)', default: '1' },
    Loop: { type: 'int', description: 'passes after the first: 0 = play once, n = n more times, -1 = forever', default: 0, min: -1, max: 2147483647 },
    StartDelayMs: { type: 'int', description: 'wait this long after the first restart before the first frame', default: 0, min: 0, max: 3600000 },
    LinkDownAtEnd: { type: 'boolean', description: 'indicate media disconnected when the replay ends', default: false },
    OutputQueueFrames: { type: 'int', description: 'sent frames queued for OutputFile before sends fail with NDIS_STATUS_RESOURCES', default: 1024, min: 1, max: 1048576 },
    NetworkAddress: { type: 'edit', description: 'MAC address (12 hex digits); default stable per adapter name' },
    '*JumboPacket': { type: 'int', description: 'largest frame in bytes including the Ethernet header (longer recorded frames are skipped)', default: 1514, min: 1514, max: 16384 },
    '*ReceiveBuffers': { type: 'int', description: 'receive buffers (NBLs) in the adapter pool', default: 256, min: 16, max: 65536 },
    LinkSpeedMbps: { type: 'int', description: 'reported link speed in Mbit/s', default: 10000, min: 1, max: 400000 },
  },
  adapter: PcapngAdapter,
} as const satisfies MiniportDriverCharacteristics;
