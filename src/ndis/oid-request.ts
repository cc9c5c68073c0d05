/**
 * NDIS_OID_REQUEST. The InformationBuffer is real bytes in the OID's NDIS binary layout, so length
 * semantics (BytesNeeded, INVALID_LENGTH, BUFFER_TOO_SHORT) behave exactly as in NDIS; typed values go in
 * and out through the OID's codec (`setValue`, `completeQuery`, `readSet`, `queryResult`).
 *
 * Who owns a request: the issuer until it hands it to NDIS; NDIS/the lower driver until completion; the
 * issuer again after the synchronous return (non-PENDING) or the `oidRequestComplete` call (PENDING).
 */
import { NdisRequestMethod, NdisRequestQueryInformation, NdisRequestQueryStatistics, NdisRequestSetInformation, type NdisRequestType, oidName } from './oids.js';
import type { OidCodec } from './oid-codec-types.js';
import { NDIS_STATUS_BUFFER_TOO_SHORT, NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_SUCCESS, type NdisStatus } from './status.js';

let nextRequestId = 1;

export class NdisOidRequest {
  requestType: NdisRequestType;
  oid: number;
  portNumber = 0;
  /** Seconds; 0 = no timeout of its own (the verifier's 12 s rule still applies). */
  timeoutSec = 0;
  /** For cancel, and echoed by NDIS_STATUS_INDICATION.RequestId. */
  requestId: number;
  /** The issuer's handle (becomes DestinationHandle of an indication that completes it). */
  requestHandle: object | null = null;
  /** Query: room for the answer. Set: the data. Method: input, then output in place. */
  informationBuffer: Uint8Array;
  bytesWritten = 0;
  bytesRead = 0;
  bytesNeeded = 0;
  /** Method requests only. */
  methodId = 0;
  inputBufferLength = 0;
  outputBufferLength = 0;
  /** Set on a successful Set: the structure revision the handler understood. */
  supportedRevision = 0;
  /** Owner-private areas (filters keep the original request here when they forward a clone). */
  readonly sourceReserved: unknown[] = [null, null];
  readonly miniportReserved: unknown[] = [null, null];
  // NdisReserved: runtime bookkeeping.
  /** Who submitted the request at the current layer (completion goes back to it). */
  ndisIssuer: object | null = null;
  /** True from submission until the issuer learns the final status. */
  ndisPending = false;
  /** Set once the request has been completed towards its issuer (double-completion check). */
  ndisCompleted = false;

  constructor(requestType: NdisRequestType, oid: number, informationBuffer: Uint8Array, requestId = nextRequestId++) {
    this.requestType = requestType;
    this.oid = oid;
    this.informationBuffer = informationBuffer;
    this.requestId = requestId;
  }

  /** A query offering `bufferLength` bytes for the answer. */
  static query(oid: number, bufferLength: number): NdisOidRequest {
    return new NdisOidRequest(NdisRequestQueryInformation, oid, new Uint8Array(bufferLength));
  }

  static queryStatistics(oid: number, bufferLength: number): NdisOidRequest {
    return new NdisOidRequest(NdisRequestQueryStatistics, oid, new Uint8Array(bufferLength));
  }

  /** A set carrying `value` encoded with `codec`. */
  static set<T>(codec: OidCodec<T>, value: T): NdisOidRequest {
    const buf = new Uint8Array(codec.encodedLength(value));
    codec.encode(value, buf, 0);
    return new NdisOidRequest(NdisRequestSetInformation, codec.oid, buf);
  }

  /** A set carrying raw bytes (RNDIS, fuzzing, deliberately malformed requests). */
  static setRaw(oid: number, bytes: Uint8Array): NdisOidRequest {
    return new NdisOidRequest(NdisRequestSetInformation, oid, bytes);
  }

  static method(oid: number, methodId: number, input: Uint8Array, outputLength: number): NdisOidRequest {
    const buf = new Uint8Array(Math.max(input.length, outputLength));
    buf.set(input);
    const r = new NdisOidRequest(NdisRequestMethod, oid, buf);
    r.methodId = methodId;
    r.inputBufferLength = input.length;
    r.outputBufferLength = outputLength;
    return r;
  }

  get isQuery(): boolean {
    return this.requestType === NdisRequestQueryInformation || this.requestType === NdisRequestQueryStatistics;
  }

  get isSet(): boolean {
    return this.requestType === NdisRequestSetInformation;
  }

  get isMethod(): boolean {
    return this.requestType === NdisRequestMethod;
  }

  get oidName(): string {
    return oidName(this.oid);
  }

  /**
   * The miniport side of a query: writes `value` if it fits in the InformationBuffer (setting
   * BytesWritten) or sets BytesNeeded and returns NDIS_STATUS_BUFFER_TOO_SHORT without writing anything.
   */
  completeQuery<T>(codec: OidCodec<T>, value: T): NdisStatus {
    const need = codec.encodedLength(value);
    if (this.informationBuffer.length < need) {
      this.bytesNeeded = need;
      this.bytesWritten = 0;
      return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    this.bytesWritten = codec.encode(value, this.informationBuffer, 0);
    this.bytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * The miniport side of a set: the decoded value, or the status to complete with (INVALID_LENGTH with
   * BytesNeeded set, INVALID_PARAMETER, UNSUPPORTED_REVISION …). Sets BytesRead on success.
   */
  readSet<T>(codec: OidCodec<T>): { ok: true; value: T } | { ok: false; status: NdisStatus } {
    const r = codec.decode(this.informationBuffer, 0, this.informationBuffer.length);
    if (!r.ok) {
      this.bytesNeeded = r.bytesNeeded;
      this.bytesRead = 0;
      return { ok: false, status: r.status === NDIS_STATUS_BUFFER_TOO_SHORT ? NDIS_STATUS_INVALID_LENGTH : r.status };
    }
    this.bytesRead = Math.min(this.informationBuffer.length, codec.encodedLength(r.value));
    return { ok: true, value: r.value };
  }

  /** The issuer side after a successful query: decodes the answer (BytesWritten bytes). */
  queryResult<T>(codec: OidCodec<T>): T | undefined {
    const r = codec.decode(this.informationBuffer, 0, this.bytesWritten);
    return r.ok ? r.value : undefined;
  }

  /** Decodes the whole InformationBuffer (the value a Set carries). */
  decodeInformationBuffer<T>(codec: OidCodec<T>): T | undefined {
    const r = codec.decode(this.informationBuffer, 0, this.informationBuffer.length);
    return r.ok ? r.value : undefined;
  }

  /** Copies the outcome fields back into `original` (the filter clone-and-forward pattern). */
  copyResultTo(original: NdisOidRequest): void {
    original.bytesWritten = this.bytesWritten;
    original.bytesRead = this.bytesRead;
    original.bytesNeeded = this.bytesNeeded;
    original.supportedRevision = this.supportedRevision;
    if (this.informationBuffer !== original.informationBuffer && (this.isQuery || this.isMethod) && this.bytesWritten > 0) {
      original.informationBuffer.set(this.informationBuffer.subarray(0, Math.min(this.bytesWritten, original.informationBuffer.length)));
    }
  }

  /** NdisAllocateCloneOidRequest: same request, own identity, sharing the InformationBuffer. */
  clone(): NdisOidRequest {
    const c = new NdisOidRequest(this.requestType, this.oid, this.informationBuffer, this.requestId);
    c.portNumber = this.portNumber;
    c.timeoutSec = this.timeoutSec;
    c.methodId = this.methodId;
    c.inputBufferLength = this.inputBufferLength;
    c.outputBufferLength = this.outputBufferLength;
    return c;
  }
}
