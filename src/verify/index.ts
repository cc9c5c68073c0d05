/**
 * `tsndis verify` as a library: an NDISTest-like conformance battery for one driver (a built-in service
 * name or a module path), run on prepared stacks on the in-process virtual wire with the verifier and
 * NBL history on. docs/verify.md describes each check and the report.
 */
export { runVerify, VERIFY_CHECK_NAMES, VERIFY_OPTIONAL_CHECK_NAMES, type VerifyOptions, type VerifyReport, type VerifyCheckResult, type VerifyCheckStatus, type VerifyViolationReport } from './runner.js';
export { loadVerifySubject, VerifyUsageError, VERIFY_KINDS, type VerifyKind, type VerifyKeywords, type VerifySubject } from './subject.js';
export {
  runOffloadConformance,
  formatOffloadConformance,
  OFFLOAD_FAMILIES,
  OFFLOAD_SET_REFUSALS,
  type OffloadConformanceTarget,
  type OffloadConformanceReport,
  type OffloadConformanceFailure,
  type OffloadFamilyResult,
  type OffloadFamily,
} from './offload-conformance.js';
