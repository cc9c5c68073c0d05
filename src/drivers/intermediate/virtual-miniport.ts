/**
 * The pause bookkeeping every intermediate driver's virtual miniport keeps (pass-through, VLAN MUX, LBFO
 * team): MiniportPause completes at once when nothing is out, else when the last forwarded send completes
 * and the last indicated receive comes back (`maybeFinishPause` after each decrement); MiniportRestart
 * just runs again. The subclass counts what it has out in `sendsOutstanding` / `indicatedOutstanding`.
 */
import type { MiniportAdapterHandle } from '../../ndis/driver-api.js';
import { NDIS_STATUS_PENDING, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../ndis/status.js';

export abstract class ImVirtualMiniport {
  readonly ndis: MiniportAdapterHandle;
  running = false;
  /** Sends passed down and not yet completed; receives indicated and not yet returned. */
  sendsOutstanding = 0;
  indicatedOutstanding = 0;
  #pausePending = false;

  constructor(ndis: MiniportAdapterHandle) {
    this.ndis = ndis;
  }

  pause(): NdisStatus {
    this.running = false;
    if (this.sendsOutstanding === 0 && this.indicatedOutstanding === 0) return NDIS_STATUS_SUCCESS;
    this.#pausePending = true;
    return NDIS_STATUS_PENDING;
  }

  restart(): NdisStatus {
    this.running = true;
    return NDIS_STATUS_SUCCESS;
  }

  /** After a send completion or a receive return: completes a pending pause once nothing is out. */
  protected maybeFinishPause(): void {
    if (this.#pausePending && this.sendsOutstanding === 0 && this.indicatedOutstanding === 0) {
      this.#pausePending = false;
      this.ndis.pauseComplete();
    }
  }
}
