/**
 * Poll sources (NdisRegisterPoll's idea): a receive queue that is not fed by a DPC but by memory another
 * processor writes — the virtual wire's frame rings — registers with the processor that owns it, and the
 * processor's loop polls it between its other work whenever `pending()` says a poll would make progress
 * (the simulated set as a step of its own; a worker's loop each iteration, before it sleeps).
 */
import type { NdisPollRegistration, NdisPollSource } from '../../ndis/driver-api.js';
import type { RuntimeContext } from '../runtime/context.js';
import { Lane } from './lane.js';
import type { Processor } from './processor.js';
import type { ProcessorSet } from './processor-set.js';

/** The processor a context's blocks run on, or null without a processor set. */
export function processorOf(rt: RuntimeContext): Processor | null {
  if (rt instanceof Lane) return rt.processor;
  const set = (rt as { readonly processors?: ProcessorSet | null }).processors;
  return set === undefined || set === null ? null : set.processor(rt.processorNumber);
}

/** Registers `source` with the processor of `rt`; null without a processor set. */
export function registerPollSource(rt: RuntimeContext, source: NdisPollSource): NdisPollRegistration | null {
  const p = processorOf(rt);
  if (p === null) return null;
  p.polls.push(source);
  return {
    remove: () => {
      const i = p.polls.indexOf(source);
      if (i >= 0) p.polls.splice(i, 1);
    },
  };
}
