/**
 * tsndis's error hierarchy for control-plane failures (bad configs, missing privileges, illegal
 * operations on the runtime). Data-path outcomes are NDIS statuses, never exceptions; driver rule
 * breaches are verifier violations. Every error has a stable literal `code` to switch on.
 */
export abstract class TsndisError extends Error {
  abstract readonly code: `TSNDIS_${string}`;
}

/** A state machine was asked for a transition its table does not have. */
export class IllegalTransitionError extends TsndisError {
  readonly code = 'TSNDIS_ILLEGAL_TRANSITION';
  constructor(
    readonly machine: string,
    readonly object: string,
    readonly from: string,
    readonly event: string,
  ) {
    super(`${machine} ${object}: '${event}' is not allowed in state ${from}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Driver registration rejected (missing mandatory handler, bad NDIS version, duplicate name, …). */
export class RegistrationError extends TsndisError {
  readonly code = 'TSNDIS_REGISTRATION';
  constructor(
    readonly driver: string,
    readonly problems: readonly string[],
  ) {
    super(`cannot register driver '${driver}': ${problems.join('; ')}`);
    this.name = 'RegistrationError';
  }
}

/** A stack configuration is invalid; names the file and the key path at fault. */
export class ConfigError extends TsndisError {
  readonly code = 'TSNDIS_CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${keyPath === '' ? '' : `${keyPath}: `}${detail}`, options);
    this.name = 'ConfigError';
  }
}

/** A runtime operation could not be carried out (unknown adapter, operation on a removed device, …). */
export class RuntimeOperationError extends TsndisError {
  readonly code = 'TSNDIS_OPERATION';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RuntimeOperationError';
  }
}
