/**
 * What an adapter did with OID requests, for the inspector (ndiskd's pending OIDs and a short history):
 * the requests it holds now come from the block's own queue and in-flight slots; completed ones are kept
 * here, the last `capacity` of them, with how they were answered and how long they took. Control path
 * only: nothing here runs per packet.
 */
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import { oidName, requestTypeName } from '../../ndis/oids.js';
import { statusName, type NdisStatus } from '../../ndis/status.js';

export type OidAnsweredBy = 'miniport' | 'ndis' | 'direct' | 'aborted';

export interface OidRecord {
  readonly requestId: number;
  readonly oid: string;
  readonly type: string;
  readonly status: string;
  readonly answeredBy: OidAnsweredBy;
  /** Scheduler time the adapter got it and when it completed, ms. */
  readonly started: number;
  readonly durationMs: number;
}

export class OidLog {
  readonly #records: (OidRecord | undefined)[];
  #next = 0;
  /** Requests completed since the adapter started. */
  total = 0;
  readonly #started = new WeakMap<NdisOidRequest, number>();

  constructor(readonly capacity = 32) {
    this.#records = new Array<OidRecord | undefined>(capacity);
  }

  /** The adapter got `request` at `now`. */
  arrived(request: NdisOidRequest, now: number): void {
    this.#started.set(request, now);
  }

  startedAt(request: NdisOidRequest): number | undefined {
    return this.#started.get(request);
  }

  completed(request: NdisOidRequest, status: NdisStatus, answeredBy: OidAnsweredBy, now: number): void {
    const started = this.#started.get(request) ?? now;
    this.#records[this.#next] = { requestId: request.requestId, oid: oidName(request.oid), type: requestTypeName(request.requestType), status: statusName(status), answeredBy, started, durationMs: now - started };
    this.#next = (this.#next + 1) % this.capacity;
    this.total++;
  }

  /** The kept records, oldest first. */
  recent(): OidRecord[] {
    const out: OidRecord[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const r = this.#records[(this.#next + i) % this.capacity];
      if (r !== undefined) out.push(r);
    }
    return out;
  }
}
