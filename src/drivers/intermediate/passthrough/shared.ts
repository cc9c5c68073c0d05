/** What the two edges of the pass-through intermediate driver share for one virtual miniport. */
import type { ImLowerBinding } from './lower-protocol.js';
import type { ImUpperAdapter } from './upper-miniport.js';

export interface ImPair {
  readonly instanceName: string;
  readonly lower: ImLowerBinding;
  upper: ImUpperAdapter | null;
}

/** Bytes of NBL context each edge pushes to remember the NBL's original SourceHandle. */
export const IM_CONTEXT_SIZE = 16;
