/**
 * Sockets over the tsndis TCP/IP stack: the WSK-like API (wsk.ts), Node-style streams on top of it
 * (stream.ts) and node:http glue (http.ts).
 */
export * from './address.js';
export * from './wsk.js';
export * from './stream.js';
export * from './http.js';
