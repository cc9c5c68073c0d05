/**
 * The drop counters every Ethernet miniport's receive path records under (src/ndis/drops.ts), taken
 * from the adapter's handle once at initialize so the data path only increments.
 */
import type { NdisDropCounter, NdisHandleBase } from '../../ndis/index.js';

export class ReceiveDrops {
  /** Runt, oversize, or a broken offload header. */
  readonly malformedFrame: NdisDropCounter;
  /** No free receive buffer. */
  readonly rxBufferExhausted: NdisDropCounter;
  /** The receive queue (ring) had no room. */
  readonly receiveQueueFull: NdisDropCounter;
  /** Arrived while the adapter was not running. */
  readonly notRunning: NdisDropCounter;
  /** The packet filter / multicast list refused it. */
  readonly addressFiltered: NdisDropCounter;

  constructor(ndis: NdisHandleBase) {
    this.malformedFrame = ndis.dropCounter('malformedFrame');
    this.rxBufferExhausted = ndis.dropCounter('rxBufferExhausted');
    this.receiveQueueFull = ndis.dropCounter('receiveQueueFull');
    this.notRunning = ndis.dropCounter('notRunning');
    this.addressFiltered = ndis.dropCounter('addressFiltered');
  }
}
