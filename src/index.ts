/**
 * The tsndis package: the NDIS surface for drivers, the runtime, the configuration loader and binding
 * engine, the inspector, and the built-in drivers.
 */
export * from './ndis/index.js';
export { NdisRuntime, type RuntimeOptions, type AdapterPolicy, type Logger, type LogLevel } from './core/runtime/runtime.js';
export { RealScheduler, ManualScheduler, Scheduler, settle, type Clock } from './core/time/scheduler.js';
export { Verifier, VerifierViolation, DEFAULT_VERIFIER_LIMITS, type VerifierOptions, type VerifierLimits } from './core/verifier/verifier.js';
export { VERIFIER_RULES, type VerifierRule } from './core/verifier/rules.js';
export { TsndisError, ConfigError, RegistrationError, IllegalTransitionError, RuntimeOperationError } from './errors.js';
export { loadStackConfig, parseStackConfig, buildStacks, type BuildOptions, type BuiltHost, type BuiltStacks } from './config/index.js';
export { snapshotRuntime, renderText, renderJson } from './inspect/index.js';
export { BUILTIN_DRIVERS } from './drivers/builtin.js';
export { virtualWireMiniport, VirtualWire, VirtualWireAdapter } from './drivers/miniport/virtual-wire/index.js';
export { RawProtocol, RawBinding, createRawProtocol } from './drivers/protocol/raw/index.js';
export { passThroughFilter, PassThroughFilterModule } from './drivers/filter/passthrough/index.js';
export { countersFilter, CountersFilterModule } from './drivers/filter/counters/index.js';
export { monitorFilter, MonitorFilterModule } from './drivers/filter/monitor/index.js';
export { imPassThroughDriver } from './drivers/intermediate/passthrough/index.js';
export * from './drivers/common/miniport-helpers.js';
