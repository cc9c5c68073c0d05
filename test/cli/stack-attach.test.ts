/**
 * `tsndis stack show --attach <socket>`: the live stack tree of a running `tsndis up`, over the control
 * channel ({op:"stack"}), with the miniports' own counters (statistics and driver counters such as
 * frames the address filter dropped). In process against a stack carrying traffic, and as a user runs
 * it against a child `tsndis up`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { stackShow } from '../../src/cli/commands/stack.js';
import { serveControl } from '../../src/cli/control.js';
import { buildStacks, loadStackConfig } from '../../src/config/index.js';
import type { RuntimeSnapshot } from '../../src/inspect/index.js';
import { fixtureDir } from '../config/helpers.js';
import { ROOT, stopChild, tsndis, upChild } from '../support/cli.js';
import { frame, settle } from '../support/hosts.js';

const TIMEOUT = { timeout: 60_000 };

function sink(): { out: NodeJS.WritableStream; text: () => string } {
  const parts: string[] = [];
  return { out: { write: (s: string) => parts.push(s) } as unknown as NodeJS.WritableStream, text: () => parts.join('') };
}

test('stack show --attach prints the live tree of a running stack with the miniports\' own counters', TIMEOUT, async () => {
  const dir = fixtureDir();
  const sock = join(dir, 'control.sock');
  const stacks = await buildStacks(await loadStackConfig(join(ROOT, 'examples', 'two-hosts.yaml')), { wirePrefix: `attach${process.pid}-` });
  const server = await serveControl(stacks, sock);
  try {
    const a = stacks.hosts.get('hostA')!;
    const b = stacks.hosts.get('hostB')!;
    const tx = a.raw.endpoint('eth0');
    const rx = b.raw.endpoint('eth0');
    const src = a.runtime.adapter('eth0').general!.currentMacAddress;
    const dst = b.runtime.adapter('eth0').general!.currentMacAddress;
    const elsewhere = Uint8Array.of(2, 0, 0, 0, 0, 0x77);
    // 7 frames for hostB, 5 for a MAC nobody has (hostB's address filter drops them).
    for (let i = 0; i < 7; i++) assert.ok(tx.send(frame(dst, src, 0x88b5, 46, i)));
    for (let i = 0; i < 5; i++) assert.ok(tx.send(frame(elsewhere, src, 0x88b5, 46, i)));
    await settle();
    let received = 0;
    while (rx.tryReceive() !== null) received++;
    assert.equal(received, 7);

    const json = sink();
    assert.equal(await stackShow({ attach: sock, json: true, verifier: true }, json.out), 0);
    const hosts = (JSON.parse(json.text()) as { hosts: RuntimeSnapshot[] }).hosts;
    assert.deepEqual(hosts.map((h) => h.host), ['hostA', 'hostB']);
    const ma = hosts[0]!.adapters[0]!;
    const mb = hosts[1]!.adapters[0]!;
    assert.equal(ma.statistics!['directedFramesXmit'], 12);
    assert.equal(ma.statistics!['xmitOk'], 12);
    assert.equal(mb.statistics!['directedFramesRcv'], 7);
    assert.equal((mb.inspect as { filteredOut: number }).filteredOut, 5, 'frames the address filter dropped reach the tree');
    assert.deepEqual(hosts[0]!.log, { logged: a.runtime.logCounters.logged, suppressed: 0 });

    const text = sink();
    assert.equal(await stackShow({ attach: sock, json: false, verifier: true }, text.out), 0);
    assert.match(text.text(), /^host hostB$/m);
    assert.match(text.text(), /^│ {10}statistics: directedFramesRcv=7 directedBytesRcv=420 rcvOk=7 bytesRcv=420$/m);
    assert.match(text.text(), /^│ {10}inspect: .*filteredOut=5/m);
    const one = sink();
    assert.equal(await stackShow({ attach: sock, host: 'hostB', json: true, verifier: true }, one.out), 0);
    assert.deepEqual((JSON.parse(one.text()) as { hosts: RuntimeSnapshot[] }).hosts.map((h) => h.host), ['hostB']);
    await assert.rejects(stackShow({ attach: sock, host: 'nobody', json: true, verifier: true }, sink().out), /^Error: no host 'nobody'$/);
  } finally {
    await server.close();
    await stacks.shutdown();
  }
});

test('tsndis stack show --attach against a child tsndis up (text and JSON); --config with --attach is misuse', TIMEOUT, async () => {
  const sock = join(fixtureDir(), 'control.sock');
  const up = await upChild(join(ROOT, 'examples', 'tcpip-services.yaml'), sock);
  try {
    const text = await tsndis('stack', 'show', '--attach', sock);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^host client$/m);
    assert.match(text.stdout, /^host server$/m);
    assert.match(text.stdout, /└── miniport {2}tsndis\.virtual-wire +\[Running\]/);
    const json = await tsndis('stack', 'show', '--attach', sock, '--json');
    assert.equal(json.code, 0, json.stderr);
    const hosts = (JSON.parse(json.stdout) as { hosts: RuntimeSnapshot[] }).hosts;
    // The TCP/IP hosts announced themselves (gratuitous ARP, IPv6 neighbour discovery): the miniport counted it.
    const client = hosts.find((h) => h.host === 'client')!.adapters[0]!;
    assert.ok((client.statistics!['broadcastFramesXmit'] as number) + (client.statistics!['multicastFramesXmit'] as number) > 0, JSON.stringify(client.statistics));
    const both = await tsndis('stack', 'show', '--attach', sock, '--config', join(ROOT, 'examples', 'two-hosts.yaml'));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error: give exactly one of --config <file> \(build the stacks here\) or --attach <socket> \(a running tsndis up\)\n$/);
  } finally {
    await stopChild(up);
  }
  const neither = await tsndis('stack', 'show');
  assert.equal(neither.code, 2);
});
