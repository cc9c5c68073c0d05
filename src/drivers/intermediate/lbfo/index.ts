/**
 * tsndis.lbfo: load balancing and failover. One virtual miniport (the team) over N member adapters;
 * the config lists the members as the intermediate's `lower` and the team as its `upper`. Modes:
 * `ActiveStandby` (one member sends and receives, the others wait; failover on link down, pause or
 * removal, or a member that stops completing sends) and `AddressHash` (switch-independent: a flow's
 * NBLs hash to one member, receives come from every member).
 */
import { NdisMedium802_3, type IntermediateDriverCharacteristics } from '../../../ndis/index.js';
import { LbfoMember } from './member.js';
import { LbfoTeamAdapter } from './team-miniport.js';

export { LbfoMember, type MemberCounters } from './member.js';
export { LbfoTeamAdapter, type TeamCounters } from './team-miniport.js';
export { Team, findTeam, type FailoverRecord, type TeamSettings, type TeamingMode } from './team.js';
export { flowHash } from './flow-hash.js';

export const lbfoDriver = {
  kind: 'intermediate',
  name: 'tsndis.lbfo',
  description: 'Load balancing and failover: one team adapter over N member adapters',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  lowerAdapters: 'many',
  miniport: { medium: NdisMedium802_3, adapter: LbfoTeamAdapter },
  protocol: {
    mediumArray: [NdisMedium802_3],
    keywords: {
      UpperBindings: { type: 'multi', description: 'the team adapter (one name)' },
      TeamingMode: { type: 'enum', values: ['ActiveStandby', 'AddressHash'], default: 'ActiveStandby', description: 'one active member, or flows spread over every member by address hash' },
      PrimaryMember: { type: 'edit', default: '', description: 'adapter preferred as the active member (default: the first member)' },
      SendTimeoutMs: { type: 'int', min: 0, max: 600000, default: 2000, description: 'a member with sends outstanding and no completion for this long fails over (0 = never)' },
      SendPoolSize: { type: 'int', min: 16, max: 1048576, default: 4096, description: 'send clones per member (NBLs in flight through it)' },
      ReceivePoolSize: { type: 'int', min: 16, max: 1048576, default: 4096, description: 'receive clones of the team adapter (NBLs indicated up and not yet returned)' },
    },
    binding: LbfoMember,
  },
} as const satisfies IntermediateDriverCharacteristics;
