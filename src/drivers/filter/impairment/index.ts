/**
 * tsndis.impairment: a modifying filter that impairs the link it sits on, per direction (send =
 * outbound, receive = inbound) — the NDIS-world analogue of Microsoft's Network Emulator (NEWT) and
 * Linux netem: random and Gilbert–Elliott burst loss, delay with uniform or normal jitter, reordering,
 * duplication, bit corruption and a token-bucket rate limit with a bounded queue, all from a seeded
 * generator per direction so a run can be replayed. Keywords and semantics: README.md in this folder.
 */
import { NdisMedium802_3, type FilterDriverCharacteristics } from '../../../ndis/index.js';
import { ImpairmentFilterModule } from './module.js';
import { impairmentKeywordSchema } from './params.js';

export { ImpairmentFilterModule } from './module.js';
export { ImpairmentDirection, type DirectionStats, type FramePort, type ImpairmentDrops } from './direction.js';
export {
  COUNTER,
  FRAME_CLASSES,
  IMPAIRMENT_COUNTERS,
  classifyFrame,
  type FrameClass,
  type ImpairmentCounter,
} from './classify.js';
export {
  PARAM_SPECS,
  defaultParams,
  impairmentKeywordSchema,
  keywordPrefix,
  parsePercent,
  type ImpairmentDirectionName,
  type ImpairmentParams,
  type JitterDistribution,
} from './params.js';

export const impairmentFilter = {
  kind: 'filter',
  name: 'tsndis.impairment',
  friendlyName: 'tsndis network impairment filter',
  description: 'Loss, burst loss, delay and jitter, reordering, duplication, corruption and rate limiting per direction (NEWT / netem-like)',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  filterType: 'modifying',
  runType: 'optional',
  // Below the diagnostic filters (tsndis.counters counts what the protocols sent, before impairment).
  filterClass: 'custom',
  mediaTypes: [NdisMedium802_3],
  keywords: impairmentKeywordSchema(),
  module: ImpairmentFilterModule,
} as const satisfies FilterDriverCharacteristics;
