/**
 * tsndis.vlan: an IEEE 802.1Q MUX intermediate driver. One protocol binding to the adapter carrying the
 * tagged traffic, one virtual miniport per VLAN above it (the config's `upper:` list, each with its
 * `VlanID` keyword). Sends are tagged on the way down, receives untagged and demultiplexed on the way
 * up, both as derived NBLs (ndis seed 003); unknown, untagged, double-tagged and truncated frames are
 * counted drops. See docs/writing-a-driver.md, "Intermediate drivers", for a walk through the code.
 */
import { NdisMedium802_3, type IntermediateDriverCharacteristics } from '../../../ndis/index.js';
import { VlanLowerBinding } from './lower-binding.js';
import { VLAN_ID_MAX, VLAN_ID_MIN } from './tag.js';
import { VlanUpperAdapter } from './upper-miniport.js';

export { VlanLowerBinding } from './lower-binding.js';
export { VlanUpperAdapter } from './upper-miniport.js';
export { VlanMuxCounters, VlanPortCounters, type VlanPort } from './shared.js';
export { classifyFrame, tagFrame, TagInfo, TagKind, untagFrame, VLAN_ID_MAX, VLAN_ID_MIN, writeTaggedHeader, writeUntaggedHeader } from './tag.js';
export { vlanOffload } from './offload.js';

export const vlanDriver = {
  kind: 'intermediate',
  name: 'tsndis.vlan',
  description: 'IEEE 802.1Q VLAN MUX: one virtual miniport per VLAN over one adapter',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  miniport: {
    medium: NdisMedium802_3,
    adapter: VlanUpperAdapter,
    keywords: {
      VlanID: {
        type: 'int',
        description: 'the 802.1Q VLAN ID of this virtual miniport: frames it sends are tagged with it, tagged frames of this VLAN are indicated by it',
        min: VLAN_ID_MIN,
        max: VLAN_ID_MAX,
        required: true,
        unique: 'lower',
      },
    },
  },
  protocol: {
    mediumArray: [NdisMedium802_3],
    keywords: { UpperBindings: { type: 'multi', description: 'names of the virtual miniports (one per VLAN) to create over the lower adapter' } },
    binding: VlanLowerBinding,
  },
} as const satisfies IntermediateDriverCharacteristics;
