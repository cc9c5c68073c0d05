/**
 * tsndis.overlay's NVGRE against implementations that are not tsndis: frames built by scapy (python3)
 * — GRE with the key only, with the C bit (scapy computes the GRE checksum), with the S bit, with both —
 * reach the tenant adapter as exactly the inner frame scapy put in; a wrong VSID and a broken GRE
 * checksum are counted drops. The other way, tsndis's NVGRE frames written to a pcapng file are decoded
 * by tshark as GRE (K bit, key VSID<<8|FlowID, protocol 0x6558) carrying the inner Ethernet/IPv4/UDP frame,
 * with checksum validation on and no expert warning. No root needed; skips without python3 + scapy or tshark.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { createStacks } from '../../../src/config/index.js';
import type { NetBufferList } from '../../../src/ndis/index.js';
import { concatBytes, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from '../../../src/io/pcapng/writer.js';
import { uniqueWire } from '../../support/hosts.js';
import { ethernet, ip4, ipv4, mac, udp } from '../../support/frames.js';
import type { RawBinding } from '../../../src/drivers/protocol/raw/index.js';

const PY = '/usr/bin/python3';
const GW_MAC = '02:00:00:00:20:01';
const PEER_MAC = '02:00:00:00:20:02';
const TENANT_MAC = '02:00:00:00:21:01';

function missing(): string | null {
  try {
    execFileSync(PY, ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    return `needs ${PY} with scapy`;
  }
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    return 'needs tshark';
  }
  return null;
}

function skip(t: TestContext): boolean {
  const r = missing();
  if (r !== null) t.skip(r);
  return r !== null;
}

function config(wire: string): string {
  return `
wires: { ${wire}: {} }
hosts:
  gw:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire}, NetworkAddress: ${GW_MAC} } }
      tenant:
        keywords: { Encapsulation: nvgre, VirtualSubnetId: 5001, FlowId: 7, LocalAddress: 198.18.1.1, RemoteAddress: 198.18.1.2, RemoteMacAddress: ${PEER_MAC}, NetworkAddress: ${TENANT_MAC} }
        protocols: [tsndis.raw]
    intermediates:
      - { driver: tsndis.overlay, lower: eth0, upper: [tenant] }
  peer:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire}, NetworkAddress: ${PEER_MAC} }, protocols: [{ driver: tsndis.raw, keywords: { PacketFilter: 0x20 } }] }
`;
}

function record(ep: RawBinding): Uint8Array[] {
  const seen: Uint8Array[] = [];
  ep.receiveHandler = (nbls: NetBufferList) => {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer!;
      const b = new Uint8Array(nb.dataLength);
      nb.copyOut(b, 0, 0, nb.dataLength);
      seen.push(b);
    }
  };
  return seen;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
}

const SCAPY = String.raw`
from scapy.all import Ether, IP, UDP, GRE, Raw, raw
import sys
def inner(n):
    return Ether(dst='${TENANT_MAC}', src='02:00:00:00:21:02')/IP(src='198.19.1.2', dst='198.19.1.1', id=n)/UDP(sport=1000+n, dport=9)/Raw(bytes(range(n, n + 40)))
def outer(g, n):
    return Ether(dst='${GW_MAC}', src='${PEER_MAC}')/IP(src='198.18.1.2', dst='198.18.1.1', flags='DF')/g/inner(n)
key = (5001 << 8) | 7
cases = [
    ('plain', GRE(key_present=1, key=key, proto=0x6558)),
    ('c', GRE(chksum_present=1, key_present=1, key=key, proto=0x6558)),
    ('s', GRE(key_present=1, seqnum_present=1, key=key, seqence_number=77, proto=0x6558)),
    ('cs', GRE(chksum_present=1, key_present=1, seqnum_present=1, key=key, seqence_number=78, proto=0x6558)),
    ('wrongvsid', GRE(key_present=1, key=(5002 << 8) | 7, proto=0x6558)),
    ('badcsum', GRE(chksum_present=1, chksum=0x1234, key_present=1, key=key, proto=0x6558)),
]
for i, (name, g) in enumerate(cases):
    print(name, raw(outer(g, i)).hex(), raw(inner(i)).hex())
`;

test('overlay NVGRE: scapy-built frames (GRE key only, C, S, C+S) decapsulated byte-exact; wrong VSID and bad GRE checksum dropped', { timeout: 60_000 }, async (t) => {
  if (skip(t)) return;
  const lines = execFileSync(PY, ['-c', SCAPY], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n').filter((l) => /^[a-z]+ [0-9a-f]+ [0-9a-f]+$/.test(l));
  assert.equal(lines.length, 6, 'scapy printed every case');
  const net = await createStacks(config(uniqueWire()));
  try {
    const got = record(net.host('gw').raw.endpoint('tenant'));
    const peer = net.host('peer').raw.endpoint('eth0');
    const want: Uint8Array[] = [];
    for (const l of lines) {
      const [name, outer, inner] = l.split(' ') as [string, string, string];
      assert.ok(peer.send(Buffer.from(outer, 'hex')));
      if (name !== 'wrongvsid' && name !== 'badcsum') want.push(Buffer.from(inner, 'hex'));
    }
    await until(() => got.length >= want.length);
    await sleep(50);
    assert.equal(got.length, 4, 'the four good frames, nothing else');
    got.forEach((g, i) => {
      assert.deepEqual(Buffer.from(g), Buffer.from(want[i]!), `frame ${i}: the inner frame, byte-exact`);
    });
    const drops = Object.fromEntries(net.host('gw').runtime.drops.rows().map((r) => [r.reason, r.count]));
    assert.equal(drops['overlayWrongVni'], 1);
    assert.equal(drops['overlayBadOuterChecksum'], 1);
  } finally {
    await net.close();
  }
});

test("overlay NVGRE: tsndis's frames in a pcapng file decode in tshark as GRE/NVGRE with the right key and inner frame, no expert warning", { timeout: 60_000 }, async (t) => {
  if (skip(t)) return;
  const net = await createStacks(config(uniqueWire()));
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-nvgre-'));
  try {
    const wire = record(net.host('peer').raw.endpoint('eth0'));
    const tenant = net.host('gw').raw.endpoint('tenant');
    for (let i = 0; i < 5; i++) {
      const payload = udp(ip4('198.19.1.1'), ip4('198.19.1.2'), 2000 + i, 9, Uint8Array.from({ length: 100 + i }, (_, k) => k ^ i));
      assert.ok(tenant.send(ethernet(mac('02:00:00:00:21:02'), mac(TENANT_MAC), 0x0800, ipv4(ip4('198.19.1.1'), ip4('198.19.1.2'), 17, payload, 0x100 + i))));
    }
    await until(() => wire.filter((f) => f[23] === 47).length >= 5);
    const frames = wire.filter((f) => f[23] === 47);
    assert.equal(frames.length, 5);
    const file = join(dir, 'nvgre.pcapng');
    writeFileSync(
      file,
      concatBytes([
        sectionHeaderBlock(),
        interfaceDescriptionBlock({ linkType: 1, snapLength: 0, name: 'peer/eth0' }),
        ...frames.map((data, i) => enhancedPacketBlock({ interfaceId: 0, seconds: 1_700_000_000 + i, nanoseconds: 0, data })),
      ]),
    );
    const opts = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    const fields = execFileSync('tshark', ['-r', file, ...opts, '-T', 'fields', '-E', 'separator=;', '-e', 'gre.flags.key', '-e', 'gre.key', '-e', 'gre.proto', '-e', 'ip.src', '-e', 'udp.srcport', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status'], { encoding: 'utf8', timeout: 60_000 }).trim().split('\n');
    assert.equal(fields.length, 5);
    fields.forEach((l, i) => {
      const [k, key, proto, ips, port, ipStatus, udpStatus] = l.split(';');
      assert.equal(k, '1', 'K bit');
      assert.equal(Number(key), (5001 << 8) | 7, 'key = VSID << 8 | FlowID');
      assert.equal(Number(proto), 0x6558);
      assert.equal(ips, '198.18.1.1,198.19.1.1', 'outer then inner IPv4 source');
      assert.equal(Number(port), 2000 + i);
      assert.equal(ipStatus, '1,1', 'outer and inner IPv4 checksums good (1 = PROTO_CHECKSUM_E_GOOD)');
      assert.equal(udpStatus, '1', 'inner UDP checksum good');
    });
    const expert = execFileSync('tshark', ['-r', file, ...opts, '-Y', '_ws.expert', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', timeout: 60_000 }).trim();
    assert.equal(expert, '', 'no expert info on any frame');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await net.close();
  }
});
