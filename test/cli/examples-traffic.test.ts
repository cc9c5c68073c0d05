/**
 * The examples that exist to show a driver at work under `tsndis up` (VXLAN, impairment, capture) carry
 * traffic by themselves, from their ping / traffic services: `up --duration N` ends with every adapter
 * of every host having received and sent frames, and the services' counters in the status lines. Each
 * example runs as written, except what must be unique per run (VXLAN's UDP ports, the capture file).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadStackConfig } from '../../src/config/index.js';
import { EXAMPLES, fixtureDir, writeFixture } from '../config/helpers.js';
import { runTsndis, type CliRun } from '../support/cli.js';

/** Each example runs for seconds, so these runs get a longer limit than the usual 30 s. */
function tsndis(...args: string[]): Promise<CliRun> {
  return runTsndis(args, 60_000);
}

/** A UDP port on loopback nobody uses right now. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The example's text with each `from` replaced (each must occur: the rest runs as written). */
function materialize(name: string, replacements: [string, string][]): string {
  let text = readFileSync(join(EXAMPLES, name), 'utf8');
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `${name} contains ${from}`);
    text = text.split(from).join(to);
  }
  return writeFixture(dir, name, text);
}

const dir = fixtureDir();

/** Runs `up` on `file` and checks the last status line of each host: every adapter rx > 0 and tx > 0. */
async function upShowsTraffic(file: string, seconds: number): Promise<string> {
  const r = await tsndis('up', '--config', file, '--duration', String(seconds), '--status-interval', '60');
  assert.equal(r.code, 0, r.stderr);
  const after = r.stdout.slice(r.stdout.indexOf('tsndis up: stopping'));
  const d = await loadStackConfig(file);
  for (const h of d.hosts) {
    const line = after.split('\n').find((l) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h.name}: `).test(l));
    assert.ok(line !== undefined, `a final status line for ${h.name}:\n${r.stdout}`);
    for (const a of h.adapters) {
      const m = new RegExp(`${a.name} Running rx (\\d+) tx (\\d+)`).exec(line);
      assert.ok(m !== null, `${h.name}/${a.name} in: ${line}`);
      assert.ok(Number(m[1]) > 0 && Number(m[2]) > 0, `${h.name}/${a.name} received and sent: ${line}`);
    }
  }
  return r.stdout;
}

test('examples/vxlan.yaml: up shows frames both ways over the overlay and the pings answered', { timeout: 90_000 }, async () => {
  const [p1, p2] = [await freeUdpPort(), await freeUdpPort()];
  const file = materialize('vxlan.yaml', [['47891', String(p1)], ['47892', String(p2)]]);
  const out = await upShowsTraffic(file, 3);
  assert.match(out, /^left: ping service to 198\.18\.42\.2: /m);
  assert.match(out, /left: ping 198\.18\.42\.2: .*pingsAnswered [1-9]/);
});

test('examples/impairment.yaml: up shows frames on both adapters, pings and UDP traffic through the impaired link', { timeout: 90_000 }, async () => {
  const out = await upShowsTraffic(join(EXAMPLES, 'impairment.yaml'), 3);
  assert.match(out, /hostA: ping 198\.18\.5\.2: .*pingsAnswered [1-9]/);
  assert.match(out, /hostA: traffic 198\.18\.5\.2:9: .*datagramsOut [1-9]/);
  assert.match(out, /hostB: discard \*:9: .*datagramsIn [1-9]/);
});

test('examples/capture.yaml: up shows frames on both adapters and the capture file fills', { timeout: 90_000 }, async () => {
  const base = join(dir, 'capture-hostA');
  const file = materialize('capture.yaml', [['/tmp/tsndis-hostA', base]]);
  await upShowsTraffic(file, 3);
  assert.ok(statSync(`${base}.pcapng`).size > 1000, 'frames were captured');
});

test('examples/overlay.yaml: up pings across the NVGRE tenant network; the tree shows the tunnel, its MTU and counters, and the stack JSON has them', { timeout: 90_000 }, async () => {
  const out = await upShowsTraffic(join(EXAMPLES, 'overlay.yaml'), 3);
  assert.match(out, /hostA: ping 198\.19\.1\.2: .*pingsAnswered [1-9]/);
  const r = await tsndis('stack', 'show', '--config', join(EXAMPLES, 'overlay.yaml'), '--json');
  assert.equal(r.code, 0, r.stderr);
  type Adapter = { shortName: string; createdBy: string | null; inspect: Record<string, unknown> };
  const hosts = (JSON.parse(r.stdout) as { hosts: { host: string; adapters: Adapter[] }[] }).hosts;
  const tenant = hosts.find((h) => h.host === 'hostA')!.adapters.find((x) => x.shortName === 'tenant')!;
  assert.equal(tenant.createdBy, 'hostA/eth0<-tsndis.overlay');
  assert.equal(tenant.inspect['encapsulation'], 'nvgre');
  assert.equal(tenant.inspect['virtualSubnetId'], 5001);
  assert.equal(tenant.inspect['mtu'], 1458);
  assert.equal(typeof tenant.inspect['txSoftwareLso'], 'number');
});

test('examples/vlan.yaml: up pings across both VLANs, every adapter (trunk and VLAN miniports) carries frames, and the tree shows the MUX', { timeout: 90_000 }, async () => {
  const out = await upShowsTraffic(join(EXAMPLES, 'vlan.yaml'), 3);
  assert.match(out, /hostA: ping 198\.18\.10\.2: .*pingsAnswered [1-9]/);
  assert.match(out, /hostA: ping 198\.18\.20\.2: .*pingsAnswered [1-9]/);
  const r = await tsndis('stack', 'show', '--config', join(EXAMPLES, 'vlan.yaml'), '--json');
  assert.equal(r.code, 0, r.stderr);
  type Adapter = { shortName: string; createdBy: string | null; inspect: Record<string, unknown>; bindings: { protocol: string; virtualMiniports: string[]; inspect: Record<string, unknown> }[] };
  const hosts = (JSON.parse(r.stdout) as { hosts: { host: string; adapters: Adapter[] }[] }).hosts;
  const a = hosts.find((h) => h.host === 'hostA')!.adapters;
  // The lower binding lists its virtual miniports and VLANs and carries the MUX counters…
  const mux = a.find((x) => x.shortName === 'eth0')!.bindings.find((b) => b.protocol === 'tsndis.vlan')!;
  assert.deepEqual(mux.virtualMiniports, ['hostA/vlan10', 'hostA/vlan20']);
  assert.deepEqual(mux.inspect['vlans'], { 10: 'hostA/vlan10', 20: 'hostA/vlan20' });
  assert.equal(mux.inspect['rxUnknownVlan'], 0);
  // …and each VLAN miniport its VlanID and per-VLAN counters.
  const v20 = a.find((x) => x.shortName === 'vlan20')!;
  assert.equal(v20.createdBy, 'hostA/eth0<-tsndis.vlan');
  assert.equal(v20.inspect['vlanId'], 20);
  assert.equal(typeof v20.inspect['txFrames'], 'number');
});
