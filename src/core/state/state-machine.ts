/**
 * One helper drives every NDIS state machine from a transition table: a missing cell is an illegal
 * transition. All changes go through `fire`, which reports old→new to one observer (the inspector and
 * diagnostics channels), as smoltcp's `set_state` does.
 */
import { IllegalTransitionError } from '../../errors.js';

export type TransitionTable<S extends string, E extends string> = { readonly [K in S]: Partial<Readonly<Record<E, S>>> };

export type StateObserver<S extends string, E extends string> = (from: S, event: E, to: S) => void;

export class StateMachine<S extends string, E extends string> {
  #state: S;
  constructor(
    readonly machine: string,
    readonly object: string,
    readonly table: TransitionTable<S, E>,
    initial: S,
    private readonly observer: StateObserver<S, E> | null = null,
  ) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  /** The state `event` leads to from the current state, or undefined when illegal. */
  next(event: E): S | undefined {
    return this.table[this.#state][event];
  }

  can(event: E): boolean {
    return this.next(event) !== undefined;
  }

  /** Applies `event`; throws IllegalTransitionError (changing nothing) when the table has no cell for it. */
  fire(event: E): S {
    const to = this.next(event);
    if (to === undefined) throw new IllegalTransitionError(this.machine, this.object, this.#state, event);
    const from = this.#state;
    this.#state = to;
    if (this.observer !== null) this.observer(from, event, to);
    return to;
  }
}
