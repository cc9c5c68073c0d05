/** tsndis.passthrough: a modifying filter that changes nothing (the template for new filters). */
import { NdisMedium802_3, type FilterDriverCharacteristics } from '../../../ndis/index.js';
import { PassThroughFilterModule } from './module.js';

export { PassThroughFilterModule } from './module.js';

export const passThroughFilter = {
  kind: 'filter',
  name: 'tsndis.passthrough',
  friendlyName: 'tsndis pass-through filter',
  ndisVersion: { major: 6, minor: 30 },
  filterType: 'modifying',
  runType: 'optional',
  filterClass: 'custom',
  mediaTypes: [NdisMedium802_3],
  module: PassThroughFilterModule,
} as const satisfies FilterDriverCharacteristics;
