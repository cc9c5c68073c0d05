/**
 * The rules the runtime verifier enforces. Names are those of Driver Verifier's NDIS/WIFI option and
 * Static Driver Verifier's NDIS DDI-compliance rules where such a rule exists (with its 0xC4 bug-check
 * parameter where documented). The NDIS documents imply further contracts without naming a rule; those
 * get a name in the same style and `named: false`, so nobody mistakes them for Microsoft rule names.
 */
export interface RuleInfo {
  readonly description: string;
  /** Bug check 0xC4 parameter 1, where the rule page documents one. */
  readonly bugCheck?: number;
  /** True when Microsoft's verifiers use exactly this name. */
  readonly named: boolean;
}

export const VERIFIER_RULES = {
  NdisOidComplete: { named: true, description: 'an OID completed with a status that is not legal for it (never PENDING)' },
  NdisOidDoubleComplete: { named: true, description: 'an OID request completed twice, or completed after a synchronous return' },
  NdisOidDoubleRequest: { named: true, bugCheck: 0x0009100e, description: 'a second regular OID request reached a miniport while one was pending, or a pending request was submitted again' },
  DoubleComplete: { named: true, description: 'a pended operation (pause, restart, reset, bind, PnP event) completed more than once' },
  NdisTimedOidComplete: { named: true, bugCheck: 0x00092003, description: 'a miniport did not complete an OID request within the limit (12 s)' },
  NdisTimedDataSend: { named: true, bugCheck: 0x0009200d, description: 'a miniport did not complete a send within the limit (30 s)' },
  NdisTimedDataHang: { named: true, bugCheck: 0x0009200f, description: 'sends were pending and none completed within the limit (22 s)' },
  NdisFilterTimedPauseComplete: { named: true, bugCheck: 0x00092010, description: 'a filter module did not complete FilterPause within the limit (10 s)' },
  NdisFilterTimedDataSend: { named: true, bugCheck: 0x00092011, description: 'a filter module held a send NBL longer than the limit (30 s)' },
  NdisFilterTimedDataReceive: { named: true, bugCheck: 0x00092012, description: 'a filter module held a received NBL longer than the limit (30 s)' },
  NdisMNetPnPEventInOIDRequest: { named: true, description: 'a PnP event was raised from inside OID request handling' },
  NblDoubleComplete: { named: false, description: 'an NBL was completed or returned twice' },
  NblNotOwned: { named: false, description: 'a driver sent, completed, returned or freed an NBL it does not own' },
  NblResourcesReturned: { named: false, description: 'an NBL indicated with NDIS_RECEIVE_FLAGS_RESOURCES was returned' },
  NblOwnReturnedUp: { named: false, description: 'an originator completed or returned its own NBL instead of freeing it' },
  NblChildrenOutstanding: { named: false, description: 'an NBL was completed, returned or freed while clones/fragments of it were alive' },
  NblBadFree: { named: false, description: 'an NBL or NB was freed twice or to the wrong pool' },
  NblSourceHandle: { named: false, description: 'an originator did not set SourceHandle, or a non-originator changed it' },
  NblOffloadNotEnabled: { named: false, description: 'a send reached a miniport with checksum, LSO or USO NBL info for an offload its current configuration does not enable (or an LSOv2 / USO NBL with more than one NET_BUFFER)' },
  NblReceiveCount: { named: false, description: 'NumberOfNetBufferLists does not match the chain length' },
  SendWhilePaused: { named: false, description: 'a driver originated a send or receive indication while Paused or Pausing' },
  PrematurePauseComplete: { named: false, description: 'a pause completed while NBLs the driver originated were still outstanding' },
  IllegalStateTransition: { named: false, description: 'a driver called an NDIS function that is not legal in its current state' },
  CompletionWithoutPending: { named: false, description: 'a completion call for an operation that did not return PENDING (or is not in progress)' },
  TeardownLeak: { named: false, description: 'pools, NBLs, timers or requests still alive when a module halted, detached or unbound' },
  HandlerException: { named: false, description: 'a driver handler threw an exception' },
  NblInfoNotTransferable: { named: false, description: 'an NBL crossed to another processor with a pointer-valued info slot set (only numeric slots cross; the shell has it cleared)' },
  ReplicaControlCall: { named: false, description: 'a replica of a multi-processor module (processor 1 or above) called a control-path function (attributes, status, OID or PnP completion): only the primary on processor 0 may' },
  ImSendCompletedBeforeLower: { named: false, description: 'an intermediate driver completed a send upward before the lower adapter completed what it forwarded for it (the same NBL, or a derived NBL of it)' },
  DerivedNblLeak: { named: false, description: 'a derived (clone, fragment, reassembled) NBL outlived its parent: still alive when a parent indicated with NDIS_RECEIVE_FLAGS_RESOURCES went back to its miniport' },
  Registration: { named: false, description: 'characteristics are missing a mandatory handler or pair, or carry a bad version' },
} as const satisfies Record<string, RuleInfo>;

export type VerifierRule = keyof typeof VERIFIER_RULES;
