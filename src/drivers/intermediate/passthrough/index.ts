/**
 * tsndis.im-passthrough: an intermediate driver that puts a virtual miniport over an adapter and passes
 * everything through, the smallest complete example of an IM driver (both edges, virtual miniport
 * lifecycle, SourceHandle save/restore in the NBL context, OID forwarding, unbind waiting for halt).
 */
import { NdisMedium802_3, type IntermediateDriverCharacteristics } from '../../../ndis/index.js';
import { ImLowerBinding } from './lower-protocol.js';
import { ImUpperAdapter } from './upper-miniport.js';

export { ImLowerBinding } from './lower-protocol.js';
export { ImUpperAdapter } from './upper-miniport.js';
export type { ImPair } from './shared.js';

export const imPassThroughDriver = {
  kind: 'intermediate',
  name: 'tsndis.im-passthrough',
  description: 'Pass-through intermediate driver: one virtual miniport per lower binding',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  miniport: { medium: NdisMedium802_3, adapter: ImUpperAdapter },
  protocol: {
    mediumArray: [NdisMedium802_3],
    keywords: { UpperBindings: { type: 'multi', description: 'names of the virtual miniports to create over the lower adapter' } },
    binding: ImLowerBinding,
  },
} as const satisfies IntermediateDriverCharacteristics;
