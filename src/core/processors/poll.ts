/**
 * Poll sources (NdisRegisterPoll's idea): a receive queue that is not fed by a DPC but by memory another
 * processor writes — the virtual wire's frame rings — registers with the processor that owns it, and the
 * processor's loop polls it between its other work whenever `pending()` says a poll would make progress
 * (the simulated set as a step of its own; a worker's loop each iteration, before it sleeps; processor 0's
 * event-driven loop when kicked). On threads a sleeping loop does not look by itself: whoever gives a
 * source work from another processor (a producer that published into its ring, a queue whose drained
 * generation advanced) calls `requestPoll(n)`, which rings processor n's doorbell.
 */
import type { NdisPollRegistration, NdisPollSource } from '../../ndis/driver-api.js';
import type { RuntimeContext } from '../runtime/context.js';
import { Lane } from './lane.js';
import { Processor } from './processor.js';
import type { ProcessorSet } from './processor-set.js';

/** The processor a context's blocks run on, or null without a processor set. */
export function processorOf(rt: RuntimeContext): Processor | null {
  if (rt instanceof Lane) return rt.processor;
  // A WorkerLane (a host's lane on a worker thread) holds its processor too.
  const own = (rt as { readonly processor?: unknown }).processor;
  if (own instanceof Processor) return own;
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
    requestPoll: (n) => {
      // Processor 0's loop is kicked directly; another processor's doorbell is rung (a no-op when it is
      // awake, and on the simulated set, which steps every processor itself).
      if (n === p.number && p.onPending !== null) p.onPending();
      else p.wake?.(n);
    },
  };
}
