/**
 * `services:` in a stack config: the traffic sources (ping, traffic) and which keys each kind takes.
 * A target must be an address of a host in the config (generated flows stay inside it) that the
 * sender can reach with an address of its own family; defaults are filled in; every mistake names its key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectConfigError, parse } from './helpers.js';

const config = (services: string, bIPv6 = true): string => `
wires: { lan: {} }
hosts:
  a:
    services: ${services}
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24] } }]
  b:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.2/24]${bIPv6 ? ", IPv6Address: ['fd00:0::2/64']" : ''} } }]
`;
const S0 = 'hosts.a.services[0]';

describe('traffic-source services', () => {
  test('defaults are filled in; a target may be written in any spelling of a config address', async () => {
    const d = await parse(config("[{ service: ping, target: 198.18.0.2 }, { service: traffic, target: 198.18.0.2 }, { service: echo }]"));
    const [ping, traffic, echo] = d.hosts[0]!.services;
    assert.deepEqual({ ...ping, keyPath: '' }, { service: 'ping', port: 0, address: null, root: null, target: '198.18.0.2', intervalMs: 1000, rate: null, size: 56, count: 100, keyPath: '' });
    assert.deepEqual([traffic!.port, traffic!.rate, traffic!.size, traffic!.count, traffic!.intervalMs], [9, 10, 512, 1000, null]);
    assert.deepEqual([echo!.port, echo!.target, echo!.count], [7, null, null]);
    // traffic to port 9 and a discard server on port 9 do not clash: only listeners share ports.
    await parse(config("[{ service: traffic, target: 198.18.0.2 }, { service: discard }]"));
  });

  test('a target that is no host of the config, or no address at all', async () => {
    await expectConfigError(config('[{ service: ping, target: 192.0.2.1 }]'), `${S0}.target`, /^192\.0\.2\.1 is not an address of a host in this config \(ping only sends inside the config; addresses: 198\.18\.0\.1, 198\.18\.0\.2, fd00::2\)$/);
    await expectConfigError(config('[{ service: traffic, target: 198.18.0.256 }]'), `${S0}.target`, /'198\.18\.0\.256' is not an IPv4 or IPv6 address \(256 is above 255\)/);
    await expectConfigError(config('[{ service: ping }]'), S0, /the ping service needs a target/);
  });

  test('the sender needs an address of the target family', async () => {
    await expectConfigError(config("[{ service: ping, target: 'fd00::2' }]"), `${S0}.target`, /host 'a' has no IPv6 address to send to fd00::2 from \(give it an IPv6Address\)/);
  });

  test('each key belongs to some kinds only', async () => {
    await expectConfigError(config('[{ service: ping, target: 198.18.0.2, port: 7 }]'), `${S0}.port`, /'port' is not a key of the ping service \(only echo, discard, http, traffic take it\)/);
    await expectConfigError(config('[{ service: traffic, target: 198.18.0.2, intervalMs: 50 }]'), `${S0}.intervalMs`, /'intervalMs' is not a key of the traffic service \(only ping takes it\)/);
    await expectConfigError(config('[{ service: ping, target: 198.18.0.2, address: 198.18.0.1 }]'), `${S0}.address`, /'address' is not a key of the ping service/);
    await expectConfigError(config('[{ service: echo, count: 5 }]'), `${S0}.count`, /'count' is not a key of the echo service \(only ping, traffic take it\)/);
    await expectConfigError(config('[{ service: echo, root: . }]'), `${S0}.root`, /'root' is not a key of the echo service \(only http takes it\)/);
    await expectConfigError(config('[{ service: ping, target: 198.18.0.2, count: 0 }]'), `${S0}.count`, /below the minimum 1/);
    await expectConfigError(config('[{ service: traffic, target: 198.18.0.2, rate: 1000000 }]'), `${S0}.rate`, /above the maximum 100000/);
    await expectConfigError(config('[{ service: ping, target: 198.18.0.2, sizee: 5 }]'), `${S0}.sizee`, /unknown key 'sizee' \(allowed here: service, port, address, root, target, intervalMs, rate, size, count\)/);
  });
});
