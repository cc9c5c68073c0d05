/**
 * The built-in driver registry: every driver that ships with tsndis, by service name, as a factory.
 * A factory returns the characteristics to register and, for drivers user code talks to (the raw
 * protocol), the per-host object that owns the bindings. The config loader calls factories to learn a
 * driver's kind, media and keyword schema; the binding engine calls them once per host it builds.
 *
 * Not here: drivers loaded from module paths (config `drivers:`), which the config loader imports.
 */
import type { DriverCharacteristics } from '../ndis/index.js';
import { countersFilter } from './filter/counters/index.js';
import { monitorFilter } from './filter/monitor/index.js';
import { passThroughFilter } from './filter/passthrough/index.js';
import { imPassThroughDriver } from './intermediate/passthrough/index.js';
import { vlanDriver } from './intermediate/vlan/index.js';
import { lbfoDriver } from './intermediate/lbfo/index.js';
import { overlayDriver } from './intermediate/overlay/index.js';
import { captureFilter } from './filter/capture/index.js';
import { impairmentFilter } from './filter/impairment/index.js';
import { pcapngMiniport } from './miniport/pcapng/index.js';
import { tapMiniport } from './miniport/tap/index.js';
import { vxlanMiniport } from './miniport/vxlan/index.js';
import { virtualWireMiniport } from './miniport/virtual-wire/index.js';
import { BridgeProtocol } from './protocol/bridge/index.js';
import { RawProtocol } from './protocol/raw/index.js';
import { TcpIpProtocol } from './protocol/tcpip/index.js';

/** The per-host objects of the built-in protocols, which user code talks to. */
export type BuiltinProtocol = RawProtocol | TcpIpProtocol | BridgeProtocol;

export interface BuiltinDriver {
  readonly characteristics: DriverCharacteristics;
  /** The object user code reaches the driver through on one host (e.g. a RawProtocol), if any. */
  readonly instance?: BuiltinProtocol;
  /**
   * Called once the host's runtime has shut down: the driver lets go of what outlives its bindings
   * (the TCP/IP stack's servers and sockets stop holding the process open).
   */
  readonly stopped?: () => void;
}

export type BuiltinDriverFactory = () => BuiltinDriver;

/** Service name → factory. Iteration order is the order drivers are listed in docs and error messages. */
export const BUILTIN_DRIVERS: ReadonlyMap<string, BuiltinDriverFactory> = new Map<string, BuiltinDriverFactory>([
  ['tsndis.virtual-wire', () => ({ characteristics: virtualWireMiniport })],
  ['tsndis.tap', () => ({ characteristics: tapMiniport })],
  ['tsndis.pcapng', () => ({ characteristics: pcapngMiniport })],
  ['tsndis.vxlan', () => ({ characteristics: vxlanMiniport })],
  ['tsndis.counters', () => ({ characteristics: countersFilter })],
  ['tsndis.monitor', () => ({ characteristics: monitorFilter })],
  ['tsndis.passthrough', () => ({ characteristics: passThroughFilter })],
  ['tsndis.capture', () => ({ characteristics: captureFilter })],
  ['tsndis.impairment', () => ({ characteristics: impairmentFilter })],
  [
    'tsndis.raw',
    () => {
      const raw = new RawProtocol('tsndis.raw');
      return { characteristics: raw.characteristics, instance: raw };
    },
  ],
  [
    'tsndis.tcpip',
    () => {
      const tcpip = new TcpIpProtocol();
      return { characteristics: tcpip.characteristics, instance: tcpip, stopped: () => tcpip.sockets.holds.releaseAll() };
    },
  ],
  [
    'tsndis.bridge',
    () => {
      const bridge = new BridgeProtocol('tsndis.bridge');
      return { characteristics: bridge.characteristics, instance: bridge };
    },
  ],
  ['tsndis.im-passthrough', () => ({ characteristics: imPassThroughDriver })],
  ['tsndis.vlan', () => ({ characteristics: vlanDriver })],
  ['tsndis.lbfo', () => ({ characteristics: lbfoDriver })],
  ['tsndis.overlay', () => ({ characteristics: overlayDriver })],
]);
