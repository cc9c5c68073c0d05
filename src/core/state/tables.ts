/**
 * The NDIS 6 state machines as data (ndis-core digest §2): miniport adapters, filter modules and protocol
 * bindings. Reset, media disconnect and low power are not states: they are separate fields.
 */
import type { TransitionTable } from './state-machine.js';

export const ADAPTER_STATES = ['Halted', 'Initializing', 'Paused', 'Restarting', 'Running', 'Pausing', 'Shutdown'] as const;
export type AdapterState = (typeof ADAPTER_STATES)[number];
export const ADAPTER_EVENTS = [
  'initialize', 'initializeComplete', 'initializeFailed',
  'restart', 'restartComplete', 'restartFailed',
  'pause', 'pauseComplete', 'halt', 'shutdown',
] as const;
export type AdapterEvent = (typeof ADAPTER_EVENTS)[number];

export const ADAPTER_TRANSITIONS: TransitionTable<AdapterState, AdapterEvent> = {
  Halted: { initialize: 'Initializing' },
  Initializing: { initializeComplete: 'Paused', initializeFailed: 'Halted' },
  Paused: { restart: 'Restarting', halt: 'Halted', shutdown: 'Shutdown' },
  Restarting: { restartComplete: 'Running', restartFailed: 'Paused', shutdown: 'Shutdown' },
  Running: { pause: 'Pausing', shutdown: 'Shutdown' },
  Pausing: { pauseComplete: 'Paused', shutdown: 'Shutdown' },
  Shutdown: {},
};

export const FILTER_STATES = ['Detached', 'Attaching', 'Paused', 'Restarting', 'Running', 'Pausing'] as const;
export type FilterState = (typeof FILTER_STATES)[number];
export const FILTER_EVENTS = [
  'attach', 'attachComplete', 'attachFailed', 'detach',
  'restart', 'restartComplete', 'restartFailed', 'pause', 'pauseComplete',
] as const;
export type FilterEvent = (typeof FILTER_EVENTS)[number];

export const FILTER_TRANSITIONS: TransitionTable<FilterState, FilterEvent> = {
  Detached: { attach: 'Attaching' },
  Attaching: { attachComplete: 'Paused', attachFailed: 'Detached' },
  Paused: { restart: 'Restarting', detach: 'Detached' },
  Restarting: { restartComplete: 'Running', restartFailed: 'Paused' },
  Running: { pause: 'Pausing' },
  Pausing: { pauseComplete: 'Paused' },
};

export const BINDING_STATES = ['Unbound', 'Opening', 'Paused', 'Restarting', 'Running', 'Pausing', 'Closing'] as const;
export type BindingState = (typeof BINDING_STATES)[number];
export const BINDING_EVENTS = [
  'bind', 'bindComplete', 'bindFailed',
  'restart', 'restartComplete', 'restartFailed',
  'pause', 'pauseComplete', 'unbind', 'unbindComplete',
] as const;
export type BindingEvent = (typeof BINDING_EVENTS)[number];

export const BINDING_TRANSITIONS: TransitionTable<BindingState, BindingEvent> = {
  Unbound: { bind: 'Opening' },
  Opening: { bindComplete: 'Paused', bindFailed: 'Unbound' },
  Paused: { restart: 'Restarting', unbind: 'Closing' },
  Restarting: { restartComplete: 'Running', restartFailed: 'Paused' },
  Running: { pause: 'Pausing' },
  Pausing: { pauseComplete: 'Paused' },
  Closing: { unbindComplete: 'Unbound' },
};
