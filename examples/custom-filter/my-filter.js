// example.ethertype-counter: a filter driver written as a plain JavaScript ES module, loaded by a stack
// config through `drivers: [./my-filter.js]`. It is a modifying filter that passes every frame through
// unchanged and counts frames by EtherType, per direction. `tsndis stack show` prints its counts through
// the module's inspect() method.
//
// It imports nothing: a driver module only has to export characteristics, and the few NDIS numbers it
// needs are written out below (values from the NDIS headers, as in src/ndis/).
//
// What a filter module must do (docs/config-reference.md, "Writing a driver module"):
//   - attach/detach/pause/restart are mandatory; everything else is optional, and a missing handler
//     makes NDIS bypass the module on that path (this one has no OID or status handlers);
//   - an NBL chain handed to a handler is the module's until it passes it on (send down, indicate up)
//     or gives it back (complete up, return down); never touch it after that;
//   - when not Running: complete sends with NDIS_STATUS_PAUSED, give receives straight back.

const NDIS_STATUS_SUCCESS = 0x00000000;
const NDIS_STATUS_PAUSED = 0xc023002a; // sends refused while the module is not running
const NDIS_RECEIVE_FLAGS_RESOURCES = 0x2; // the indicator takes the NBLs back when the call returns
const NdisMedium802_3 = 0; // NDIS_MEDIUM: Ethernet

const ETHERNET_HEADER_SIZE = 14;

/** Counts per EtherType for one direction; `runt` counts frames too short to have one. */
class EtherTypeTally {
  constructor() {
    this.byType = new Map();
    this.runt = 0;
  }

  count(nbls) {
    for (let nbl = nbls; nbl !== null; nbl = nbl.next) {
      for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        if (nb.dataLength < ETHERNET_HEADER_SIZE) {
          this.runt++;
          continue;
        }
        const type = (nb.byteAt(12) << 8) | nb.byteAt(13);
        this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
      }
    }
  }

  toJSON() {
    const out = {};
    for (const [type, n] of [...this.byType].sort((a, b) => a[0] - b[0])) out[`0x${type.toString(16).padStart(4, '0')}`] = n;
    if (this.runt > 0) out.runt = this.runt;
    return out;
  }
}

export class EtherTypeCounterModule {
  /** `ndis` is the module's FilterModuleHandle: its only door into NDIS. */
  constructor(ndis) {
    this.ndis = ndis;
    this.sent = new EtherTypeTally();
    this.received = new EtherTypeTally();
    this.countSends = true;
    this.countReceives = true;
  }

  /** FilterAttach: read the module's keywords. Synchronous. */
  attach(params) {
    const direction = params.keywords.readString('Direction', 'both');
    this.countSends = direction !== 'receive';
    this.countReceives = direction !== 'send';
    return NDIS_STATUS_SUCCESS;
  }

  detach() {}

  /** Nothing is held or originated here, so the pause completes at once. */
  pause() {
    return NDIS_STATUS_SUCCESS;
  }

  restart() {
    return NDIS_STATUS_SUCCESS;
  }

  sendNetBufferLists(nbls, portNumber, sendFlags) {
    if (this.ndis.state !== 'Running') {
      for (let nbl = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    if (this.countSends) this.sent.count(nbls);
    this.ndis.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  sendNetBufferListsComplete(nbls, flags) {
    this.ndis.sendNetBufferListsComplete(nbls, flags);
  }

  receiveNetBufferLists(nbls, portNumber, count, receiveFlags) {
    if (this.ndis.state !== 'Running') {
      if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.ndis.returnNetBufferLists(nbls, 0);
      return;
    }
    if (this.countReceives) this.received.count(nbls);
    this.ndis.indicateReceiveNetBufferLists(nbls, portNumber, count, receiveFlags);
  }

  returnNetBufferLists(nbls, returnFlags) {
    this.ndis.returnNetBufferLists(nbls, returnFlags);
  }

  /** Shown by the inspector (`tsndis stack show`). */
  inspect() {
    return { sent: this.sent.toJSON(), received: this.received.toJSON() };
  }
}

/** The characteristics (NDIS_FILTER_DRIVER_CHARACTERISTICS): what the config loader registers. */
export default {
  kind: 'filter',
  name: 'example.ethertype-counter',
  friendlyName: 'Example EtherType counter',
  description: 'Counts frames by EtherType (example filter driver module)',
  ndisVersion: { major: 6, minor: 30 }, // NDIS 6.30
  driverVersion: { major: 1, minor: 0 },
  filterType: 'modifying', // INF FilterType 2
  runType: 'optional', // INF FilterRunType 2: the stack runs without it if it fails to attach
  filterClass: 'custom', // INF FilterClass: orders modifying filters (custom sits below diagnostic)
  mediaTypes: [NdisMedium802_3], // INF FilterMediaTypes = ethernet
  keywords: {
    Direction: { type: 'enum', description: 'which frames to count', values: ['both', 'send', 'receive'], default: 'both' },
  },
  module: EtherTypeCounterModule,
};
