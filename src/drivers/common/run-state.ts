/**
 * Where a built-in miniport adapter is in its run cycle (its `state`): Halted before
 * MiniportInitializeEx and after MiniportHaltEx, Running after MiniportRestart, Pausing while a pause
 * waits for the frames it still has out (sends to complete, indications to come back), Paused after.
 */
export type MiniportRunState = 'Halted' | 'Paused' | 'Running' | 'Pausing';
