/**
 * A team host over an in-process switch, for tsndis.lbfo tests without root:
 *
 *   host t: tcpip on team0 ── tsndis.lbfo ── m1 (wire A), m2 (wire B)
 *   host sw: tsndis.bridge over a (wire A), b (wire B), c (wire C)
 *   host p: tcpip on eth0 (wire C)
 *
 * The bridge learns the team's MAC on the port its frames come from, as a hardware switch would.
 */
import { createHash } from 'node:crypto';
import { createStacks, type RunningStacks } from '../../../src/config/index.js';
import { findTeam, type Team } from '../../../src/drivers/intermediate/lbfo/index.js';
import type { TcpSocket } from '../../../src/drivers/protocol/tcpip/index.js';
import { VirtualWire } from '../../../src/drivers/miniport/virtual-wire/wire.js';
import { uniqueWire } from '../../support/hosts.js';

export interface TeamLab {
  net: RunningStacks;
  wires: { a: string; b: string; c: string };
  team(): Team;
  close(): Promise<void>;
}

export interface TeamLabOptions {
  mode?: 'ActiveStandby' | 'AddressHash';
  /** Extra keywords for member m1 / m2 (virtual-wire). */
  m1?: Record<string, unknown>;
  m2?: Record<string, unknown>;
  sendTimeoutMs?: number;
}

export async function teamLab(o: TeamLabOptions = {}): Promise<TeamLab> {
  const a = uniqueWire('lbA');
  const b = uniqueWire('lbB');
  const c = uniqueWire('lbC');
  const kw = (x: Record<string, unknown> | undefined) => JSON.stringify(x ?? {}).slice(1, -1);
  const yaml = `
wires: { ${a}: {}, ${b}: {}, ${c}: {} }
hosts:
  t:
    adapters:
      m1: { driver: tsndis.virtual-wire, keywords: { Wire: ${a}, NetworkAddress: "02-00-00-00-0a-01"${o.m1 === undefined ? '' : `, ${kw(o.m1)}`} } }
      m2: { driver: tsndis.virtual-wire, keywords: { Wire: ${b}, NetworkAddress: "02-00-00-00-0a-02"${o.m2 === undefined ? '' : `, ${kw(o.m2)}`} } }
      team0:
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: 198.18.0.1/24, IPv6: false } }]
    intermediates:
      - { driver: tsndis.lbfo, lower: [m1, m2], upper: team0, keywords: { TeamingMode: ${o.mode ?? 'ActiveStandby'}, SendTimeoutMs: ${o.sendTimeoutMs ?? 2000} } }
  sw:
    adapters:
      a: { driver: tsndis.virtual-wire, keywords: { Wire: ${a} }, protocols: [{ driver: tsndis.bridge }] }
      b: { driver: tsndis.virtual-wire, keywords: { Wire: ${b} }, protocols: [{ driver: tsndis.bridge }] }
      c: { driver: tsndis.virtual-wire, keywords: { Wire: ${c} }, protocols: [{ driver: tsndis.bridge }] }
  p:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${c}, NetworkAddress: "02-00-00-00-0c-01" } }
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: 198.18.0.2/24, IPv6: false } }]
`;
  const net = await createStacks(yaml);
  return {
    net,
    wires: { a, b, c },
    team: () => {
      const t = findTeam('t/team0');
      if (t === undefined) throw new Error('no team t/team0');
      return t;
    },
    async close() {
      await net.close();
      for (const w of [a, b, c]) VirtualWire.release(w);
    },
  };
}

/** Deterministic test data. */
export function pattern(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Writes `data` on `socket` and ends it. */
export function sendAll(socket: TcpSocket, data: Buffer): void {
  socket.end(data);
}

/** Reads `socket` to its end. */
export function readAll(socket: TcpSocket): Promise<Buffer> {
  const parts: Buffer[] = [];
  socket.on('data', (d: Buffer) => parts.push(d));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(parts)));
    socket.once('error', reject);
  });
}
