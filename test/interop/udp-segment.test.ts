/**
 * UDP segmented sends (UdpSocket.segmentSize, Linux's UDP_SEGMENT) from tsndis.tcpip over a TAP to a
 * Linux socket in a network namespace: every datagram arrives with the right size and the bytes in
 * order (sha-256 over the concatenation), and the kernel counts no UDP checksum error. Three paths:
 * USO cut by the kernel (VIRTIO_NET_HDR_GSO_UDP_L4), USO cut by the TAP's software engine
 * (`UsoKernel: off`), and no USO offered (`*UsoIPv4: 0`: the stack sends the train itself). IPv6 on the
 * kernel path too. Needs root, /dev/net/tun, ip and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { TapOffloadCounters } from '../../src/drivers/miniport/tap/offload.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { assertClean } from '../support/hosts.js';
import { interopSkipReason, waitExit } from '../support/netns.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';

const RECEIVER = `
import socket, sys, hashlib
fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(('', int(sys.argv[2])))
s.settimeout(5)
want = int(sys.argv[3])
sizes = []
h = hashlib.sha256()
print('ready', flush=True)
try:
    while len(sizes) < want:
        d = s.recv(65535)
        sizes.append(len(d))
        h.update(d)
except socket.timeout:
    pass
print(','.join(map(str, sizes)), h.hexdigest(), flush=True)
`;

function inCsumErrors(snmp: string, proto: 'Udp' | 'Udp6'): number {
  if (proto === 'Udp') {
    const lines = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return Number(values[names.indexOf('InCsumErrors')]);
  }
  const line = snmp.split('\n').find((l) => l.startsWith('Udp6InCsumErrors'));
  return Number(line!.split(/\s+/)[1]);
}

async function run(label: string, tapKeywords: Record<string, ConfigValue>, family: 4 | 6, octet: number): Promise<{ counters: TapOffloadCounters; uso: number; trains: number }> {
  const host = await TapTcpIpHost.create({ name: `uso${label}`, tapKind: 'tuso', ourMac: `02:00:00:00:${octet.toString(16)}:02`, kernelMac: `02:00:00:00:${octet.toString(16)}:01`, subnet: `198.18.${octet}`, subnet6: `fd00:${octet}:`, tapKeywords });
  try {
    assert.ok(await host.ready(), 'addresses usable');
    const port = 6000 + octet;
    // Two sends: 20 000 bytes (14 × 1400 + a 400-byte last datagram) and 14 000 (10 × 1400 exactly).
    const sends = [20000, 14000].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + k * 101 + (i >> 10)) & 0xff));
    const expectedSizes = [...Array(14).fill(1400), 400, ...Array(10).fill(1400)] as number[];
    const child = host.ns.spawn('python3', ['-c', RECEIVER, String(family), String(port), String(expectedSizes.length)]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(out.includes('ready'), 'the receiver is listening');
    const sock = host.ip.stack.udp.open(family);
    sock.segmentSize = 1400;
    for (const data of sends) assert.equal(sock.send(data, host.theirs[family], port), true);
    await waitExit(child, 10_000);
    for (let i = 0; i < 40 && out.split('\n').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const [sizes, digest] = out.split('\n')[1]!.trim().split(' ');
    assert.equal(sizes, expectedSizes.join(','), `${label}: every datagram, in order, with its size`);
    const h = createHash('sha256');
    for (const d of sends) h.update(d);
    assert.equal(digest, h.digest('hex'), `${label}: the bytes, in order`);
    const snmp = host.ns.exec('cat', family === 4 ? '/proc/net/snmp' : '/proc/net/snmp6');
    assert.equal(inCsumErrors(snmp, family === 4 ? 'Udp' : 'Udp6'), 0, `${label}: no UDP checksum error in the kernel`);
    sock.close();
    const udp = host.ip.stack.counters.udp;
    return { counters: { ...host.adapter.offload.counters }, uso: udp.usoSends, trains: udp.segmentedSends };
  } finally {
    await host.destroy();
    assertClean(host.rt);
  }
}

test('UDP segmented sends over TAP arrive at Linux as correct datagrams: USO by the kernel, by the software engine, and without USO', { timeout: 90_000 }, async (t) => {
  const skip = interopSkipReason('python3');
  if (skip !== null) {
    t.skip(skip);
    return;
  }
  const kernel = await run('k', {}, 4, 141);
  assert.equal(kernel.uso, 2, 'both sends went down as USO NBLs');
  assert.equal(kernel.counters.txUsoKernelFrames + kernel.counters.txUsoSoftwareFrames, 2);
  // Which engine cut them depends on this kernel's TAP (USO4/USO6 since Linux 6.2): report, then hold it to what the probe said.
  t.diagnostic(`kernel USO: ${kernel.counters.txUsoKernelFrames === 2 ? 'in effect (GSO_UDP_L4)' : 'not available, software engine used'}`);
  const kernel6 = await run('k6', {}, 6, 142);
  assert.equal(kernel6.uso, 2);
  const software = await run('s', { UsoKernel: 'off' }, 4, 143);
  assert.deepEqual([software.uso, software.counters.txUsoSoftwareFrames, software.counters.txUsoKernelFrames, software.counters.txUsoDatagrams], [2, 2, 0, 25]);
  const none = await run('n', { '*UsoIPv4': 0 }, 4, 144);
  assert.deepEqual([none.uso, none.trains, none.counters.txUsoDatagrams], [0, 2, 0], 'no USO offered: the stack sent the trains');
});
