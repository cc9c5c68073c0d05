/**
 * tsndis.tap: an Ethernet miniport over a Linux TAP device (see README.md in this folder).
 */
import { NdisMedium802_3, type MiniportDriverCharacteristics } from '../../../ndis/index.js';
import { STANDARD_OFFLOAD_KEYWORDS } from '../../common/task-offload.js';
import { HD_SPLIT_KEYWORDS } from '../../common/hd-split-miniport.js';
import { interfaceNameProblem } from '../../../io/tun/interface-name.js';
import { TAP_RSS_KEYWORDS, TapAdapter } from './adapter.js';

export { TapAdapter, TapCounters, TAP_RSS_KEYWORDS } from './adapter.js';
export { TapOffload, TapOffloadCounters, FrameLayout, locateHeaders, MAX_GSO_FRAME } from './offload.js';
export { tapHardwareOffload, TAP_LSO_MAX_OFFLOAD_SIZE } from './offload-caps.js';
export { TapEncapSender, TUN_F_UDP_TUNNEL_GSO, TUN_F_UDP_TUNNEL_GSO_CSUM, type TapWrite } from './encap-send.js';
export type { ReaderMode as TapReaderMode } from './queue.js';

export const tapMiniport = {
  kind: 'miniport',
  name: 'tsndis.tap',
  description: 'Linux TAP device (with virtio-net header and multi-queue)',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  medium: NdisMedium802_3,
  keywords: {
    InterfaceName: { type: 'edit', description: 'TAP interface name (≤ 15 characters; "tap%d" lets the kernel choose); default tsn<adapter>', check: (v) => interfaceNameProblem(String(v)) ?? undefined },
    VnetHeader: { type: 'boolean', description: 'open with IFF_VNET_HDR: a virtio-net header on every frame (needed for offloads)', default: true },
    ReaderMode: { type: 'enum', description: "receive design: 'uv' (Node's event loop watches the fd, no worker: lowest latency; main thread only), 'poll' (a worker waits for readability, the main thread reads in batches), 'worker' (a worker reads frames into posted buffers), or 'auto': 'uv' on the main thread, 'poll' in a worker thread", default: 'auto', values: ['auto', 'uv', 'poll', 'worker'] },
    IoUring: { type: 'enum', description: "batched TAP I/O through io_uring (multishot reads into the receive buffers, a send chain as one batch of writes): 'auto' uses it when the kernel has what it needs and ReaderMode is 'auto', else the read()/write() path; 'on' fails initialization with the reason when it is unavailable; 'off' never uses it", default: 'auto', values: ['auto', 'on', 'off'] },
    PollMode: { type: 'enum', description: "poll mode: a receive queue that ran out of frames keeps polling (the io_uring CQ read from memory, else a non-blocking read) for up to PollBudgetUs before it sleeps; 'on': that budget, 'adaptive': doubled (up to 8×) after a poll that found work, halved after one that did not; 'off': sleep at once", default: 'off', values: ['off', 'on', 'adaptive'] },
    PollBudgetUs: { type: 'int', description: "poll mode's budget in µs since the last frame (adaptive: the smallest budget)", default: 50, min: 1, max: 100000 },
    Queues: { type: 'int', description: 'TAP queues (IFF_MULTI_QUEUE when > 1), one receive queue and reader worker each', default: 1, min: 1, max: 16 },
    NetworkAddress: { type: 'edit', description: 'MAC address of this adapter (12 hex digits); default stable per adapter name' },
    '*JumboPacket': { type: 'int', description: 'largest frame in bytes including the Ethernet header (sets the TAP MTU)', default: 1514, min: 1514, max: 65535 },
    '*ReceiveBuffers': { type: 'int', description: 'receive buffers per queue', default: 1024, min: 16, max: 65536 },
    LinkSpeedMbps: { type: 'int', description: 'reported link speed in Mbit/s', default: 10000, min: 1, max: 400000 },
    LargeReceiveBuffers: { type: 'int', description: 'receive buffers per queue when RSC is possible (each holds a 64 KB super-frame)', default: 128, min: 16, max: 4096 },
    // Task offloads (standardized keywords; only with VnetHeader). *RscIPv4/*RscIPv6 at 0 for both also
    // keep the receive slots small.
    ...STANDARD_OFFLOAD_KEYWORDS,
    UsoKernel: { type: 'enum', description: "USO sends: 'auto' hands them to the kernel as VIRTIO_NET_HDR_GSO_UDP_L4 frames when it takes them (TUNSETOFFLOAD USO4|USO6 probed at start, Linux 6.2+), else cuts them with the software engine; 'off' always uses the software engine", default: 'auto', values: ['auto', 'off'] },
    // Receive side scaling: offered unless *RSS is 0; a protocol turns it on with OID_GEN_RECEIVE_SCALE_PARAMETERS.
    ...TAP_RSS_KEYWORDS,
    // Header-data split (offload digest §5): off by default.
    ...HD_SPLIT_KEYWORDS,
  },
  adapter: TapAdapter,
} as const satisfies MiniportDriverCharacteristics;
