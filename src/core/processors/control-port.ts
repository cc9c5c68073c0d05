/**
 * The control port between processor 0 and a worker processor (ThreadedProcessorSet): what crosses a
 * MessagePort, as opposed to the SAB rings that carry the data path. Rare and structured: slab
 * announcements and reclaim requests (`ControlMessage`, relayed by processor 0 when they are for
 * another worker), running a module's function in a lane of the worker (`run` → `result`), the
 * worker's log lines and verifier violations, and the stop handshake.
 *
 * The worker takes its messages synchronously (`receiveMessageOnPort`) at the start of every loop
 * iteration and before it sleeps, and processor 0 rings its doorbell after each post, so a message never
 * waits behind a sleeping thread. Processor 0 listens with an ordinary 'message' handler.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ControlMessage } from './processor.js';

/** A module function a lane runs: `module` is an importable URL, `export` names a function of it. */
export interface LaneEntry {
  module: string;
  export: string;
}

/** What a worker needs to stand in for a host on its processor. */
export interface LaneHostInfo {
  name: string;
  processorCount: number;
  verifying: boolean;
}

/** workerData of a processor's worker. */
export interface WorkerBoot {
  processor: number;
  count: number;
  /** Per peer processor (null on the diagonal): the SABs of the rings this processor consumes / produces. */
  nblIn: (SharedArrayBuffer | null)[];
  nblOut: (SharedArrayBuffer | null)[];
  retIn: (SharedArrayBuffer | null)[];
  retOut: (SharedArrayBuffer | null)[];
  doorbells: SharedArrayBuffer;
  slabCounter: SharedArrayBuffer;
  batch: number;
  port: MessagePort;
}

/** Processor 0 → worker. */
export type ToWorker =
  | { t: 'control'; message: ControlMessage }
  | { t: 'run'; id: number; entry: LaneEntry; host: LaneHostInfo; data: unknown }
  | { t: 'stop' };

/** Worker → processor 0. `to` -1 means every other processor (an announcement). */
export type FromWorker =
  | { t: 'ready' }
  | { t: 'control'; to: number; message: ControlMessage }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: string }
  | { t: 'log'; host: string | null; level: 'debug' | 'info' | 'warn' | 'error'; source: string; message: string }
  | { t: 'violation'; host: string; rule: string; module: string; detail: string }
  /** A module's handler threw on the worker (its block `module` failed there). */
  | { t: 'failed'; host: string; module: string }
  | { t: 'stopped' };
