/**
 * The inspector: a plain model of a running host (snapshot.ts → model.ts) and its two renderings, an
 * ndiskd-like text tree and JSON. The CLI and the dashboard share it; it never changes the runtime.
 */
export { snapshotRuntime, toJsonable, FIRST_VIOLATIONS } from './snapshot.js';
export { renderText } from './render-text.js';
export { renderJson, type JsonReport } from './render-json.js';
export { macString, mediumName, packetFilterNames, speedString } from './names.js';
export type * from './model.js';
