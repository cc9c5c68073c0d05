/**
 * How OID requests move between layers. Every layer that submits a request (a binding, a filter
 * forwarding its clone, NDIS itself) is recorded as the request's issuer; the final status goes back to
 * that issuer either as the synchronous return value or, after PENDING, through `completeOid`. The
 * request carries the bookkeeping (`ndisPending`, `ndisCompleted`) that catches double requests and
 * double completions.
 */
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import { NDIS_STATUS_FAILURE, NDIS_STATUS_PENDING, type NdisStatus } from '../../ndis/status.js';
import type { NdisBlock, OidIssuer, OidSink } from './block.js';

/** Hands `request` to `sink` on behalf of `issuer`. Returns the final status or PENDING. */
export function submitOid(reporter: NdisBlock, request: NdisOidRequest, issuer: OidIssuer, sink: OidSink, direct: boolean): NdisStatus {
  if (request.ndisPending) {
    reporter.report('NdisOidDoubleRequest', `${request.oidName} (request ${request.requestId}) submitted again while still pending`);
    return NDIS_STATUS_FAILURE;
  }
  request.ndisIssuer = issuer;
  request.ndisPending = true;
  request.ndisCompleted = false;
  const status = sink.deliverOid(request, direct);
  if (status !== NDIS_STATUS_PENDING) {
    if (request.ndisCompleted) {
      reporter.report('NdisOidDoubleComplete', `${request.oidName} completed and also returned a final status`);
    }
    request.ndisPending = false;
    request.ndisCompleted = true;
  }
  return status;
}

/** Delivers the final status of a pended request to whoever submitted it. */
export function completeOid(reporter: NdisBlock, request: NdisOidRequest, status: NdisStatus, direct: boolean): void {
  if (request.ndisCompleted) {
    reporter.report('NdisOidDoubleComplete', `${request.oidName} (request ${request.requestId}) completed twice`);
    return;
  }
  if (status === NDIS_STATUS_PENDING) {
    reporter.report('NdisOidComplete', `${request.oidName} completed with NDIS_STATUS_PENDING`);
    status = NDIS_STATUS_FAILURE;
  }
  request.ndisCompleted = true;
  request.ndisPending = false;
  const issuer = request.ndisIssuer as OidIssuer | null;
  if (issuer !== null) issuer.onOidComplete(request, status, direct);
}
