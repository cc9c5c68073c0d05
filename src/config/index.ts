/**
 * Stack configuration: YAML → validated StackDescription (loader.ts, schema.ts, validate.ts) and the
 * binding engine that builds running hosts from it (binding-engine.ts). See docs/config-reference.md.
 */
export { loadStackConfig, parseStackConfig, describeStackConfig } from './loader.js';
export { buildStacks, type BuildOptions, type BuiltHost, type BuiltStacks } from './binding-engine.js';
export type { ProcessorMode } from '../core/processors/create.js';
export { createStacks, startServices, addressesReady, type CreateStacksOptions, type RunningStacks, type HostService, type StackSource } from './create-stacks.js';
export type { StackConfig, OneOrMore, HostConfig, AdapterConfig, IntermediateConfig, ServiceConfig, WireConfig, DriverRefConfig, KeywordConfig } from './stack-config.js';
export { UPPER_BINDINGS_KEYWORD } from './validate.js';
export type {
  AdapterDescription,
  DriverUse,
  HostDescription,
  IntermediateDescription,
  KeywordValues,
  ModuleDriverDescription,
  ServiceDescription,
  StackDescription,
  WireDescription,
} from './description.js';
