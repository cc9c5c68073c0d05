/**
 * tsndis.capture: a monitoring filter that records every frame passing it, both directions, to pcapng
 * (see README.md in this folder for keywords, files and counters).
 */
import { NdisMedium802_3, type FilterDriverCharacteristics } from '../../../ndis/index.js';
import { CAPTURE_DEFAULTS, CaptureFilterModule } from './module.js';

export { CaptureFilterModule, captureBasePath } from './module.js';
export { captureFilesClosed } from './shared-files.js';

export const captureFilter = {
  kind: 'filter',
  name: 'tsndis.capture',
  friendlyName: 'tsndis pcapng capture filter',
  description: 'Records the frames of an adapter, both directions, to a pcapng file (above the miniport, or at every module: one interface each)',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  filterType: 'monitoring',
  runType: 'optional',
  filterClass: 'diagnostic',
  mediaTypes: [NdisMedium802_3],
  keywords: {
    Points: { type: 'enum', description: "where on the stack to record: 'miniport' = once, directly above the miniport (each frame once); 'all' = at every module (above the miniport and above each modifying filter), each its own interface", default: CAPTURE_DEFAULTS.Points, values: ['miniport', 'all'] },
    File: { type: 'edit', description: 'output path; files are <File>.pcapng, <File>.1.pcapng, … (a .pcapng suffix is optional); default tsndis-<host>-<adapter>' },
    MaxFileBytes: { type: 'int', description: 'rotate before a file grows past this many bytes; 0 = one file, never rotated', default: CAPTURE_DEFAULTS.MaxFileBytes, min: 0 },
    MaxFiles: { type: 'int', description: 'files kept when rotating, the current one included', default: CAPTURE_DEFAULTS.MaxFiles, min: 1, max: 1000 },
    QueueFrames: { type: 'int', description: 'frames the in-memory queue holds before dropping', default: CAPTURE_DEFAULTS.QueueFrames, min: 1, max: 1048576 },
    SnapLength: { type: 'int', description: 'bytes recorded per frame (longer frames are truncated)', default: CAPTURE_DEFAULTS.SnapLength, min: 64, max: 262144 },
  },
  module: CaptureFilterModule,
} as const satisfies FilterDriverCharacteristics;
