/**
 * tsndis.vlan against the Linux kernel (root): the MUX sits on a TAP whose kernel side lives in a network
 * namespace, with VLAN 10 and VLAN 20 virtual miniports and the raw protocol on each. scapy on the kernel
 * side sends frames tagged with VLANs 10, 20 and 30 and every priority, plus a double-tagged and a
 * truncated one. Each VLAN 10/20 frame reaches only its own virtual miniport, untagged byte-exact, with
 * VLAN and priority in Ieee8021QNetBufferListInfo; VLAN 30 and the malformed frames are counted drops.
 * Replies sent on each virtual miniport leave the TAP tagged: tshark on the kernel side decodes their
 * 802.1Q header (vlan.id, vlan.priority), and the rest of the frame is the reply byte-exact.
 * Needs root, /dev/net/tun, ip, tcpdump, tshark and python3 with scapy; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createStacks } from '../../src/config/index.js';
import type { VlanLowerBinding } from '../../src/drivers/intermediate/vlan/index.js';
import type { RawBinding } from '../../src/drivers/protocol/raw/index.js';
import { ieee8021QUserPriority, ieee8021QValue, ieee8021QVlanId, type NetBufferList } from '../../src/ndis/index.js';
import { Netns, interopSkipReason, uniqueName, waitExit } from '../support/netns.js';
import { readPcapFrames } from '../support/pcap-lite.js';

const OUR_MAC = '02:00:00:00:6e:02';
const KERNEL_MAC = '02:00:00:00:6e:01';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A python3 that has scapy (the Debian package installs it for the system python), or null. */
function scapyPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 20_000 });
      return py;
    } catch {
      // not this one
    }
  }
  return null;
}

interface Seen {
  bytes: Uint8Array;
  info: number;
}

function record(ep: RawBinding): Seen[] {
  const seen: Seen[] = [];
  ep.receiveHandler = (nbls: NetBufferList) => {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer!;
      const bytes = new Uint8Array(nb.dataLength);
      nb.copyOut(bytes, 0, 0, nb.dataLength);
      seen.push({ bytes, info: nbl.info.ieee8021Q });
    }
  };
  return seen;
}

/** The scapy script: sends the frames and prints each tagged one as `vlan prio hex`. */
const SCAPY = `
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, sendp, conf
conf.verb = 0
iface, dst, src = sys.argv[1], sys.argv[2], sys.argv[3]
frames = []
for i in range(24):
    vlan = (10, 20, 30)[i % 3]
    prio = i % 8
    f = Ether(dst=dst, src=src) / Dot1Q(vlan=vlan, prio=prio) / IP(src='198.18.77.1', dst='198.18.77.2') / UDP(sport=4000 + i, dport=9) / Raw(load=bytes([i]) * (20 + i))
    frames.append(f)
    print(vlan, prio, bytes(f).hex())
double = Ether(dst=dst, src=src) / Dot1Q(vlan=10) / Dot1Q(vlan=20) / IP(src='198.18.77.1', dst='198.18.77.2') / UDP() / Raw(load=b'qinq' * 10)
truncated = Ether(dst=dst, src=src, type=0x8100) / Raw(load=b'\\x00\\x0a')
sendp(frames + [double, truncated], iface=iface)
`;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('vlan interop: scapy-tagged frames reach only their VLAN miniport untagged; replies leave tagged as tshark decodes them', { timeout: 120_000 }, async (t) => {
  const python = scapyPython();
  const reason = interopSkipReason('tcpdump', 'tshark') ?? (python === null ? 'needs python3 with scapy (apt-get install python3-scapy)' : null);
  if (reason !== null) {
    t.skip(reason);
    return;
  }
  const tap = uniqueName('vtap');
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-vlan-'));
  const net = await createStacks(`
hosts:
  h:
    adapters:
      eth0: { driver: tsndis.tap, keywords: { InterfaceName: ${tap}, NetworkAddress: ${OUR_MAC.replaceAll(':', '-')} } }
      v10: { keywords: { VlanID: 10 }, protocols: [tsndis.raw] }
      v20: { keywords: { VlanID: 20 }, protocols: [tsndis.raw] }
    intermediates:
      - { driver: tsndis.vlan, lower: eth0, upper: [v10, v20] }
`);
  const ns = Netns.create();
  try {
    ns.adopt(tap, { mac: KERNEL_MAC });
    const h = net.host('h');
    const got10 = record(h.raw.endpoint('v10'));
    const got20 = record(h.raw.endpoint('v20'));
    const lower = h.runtime.adapters.get('h/eth0')!.bindings.find((b) => b.intermediate === 'tsndis.vlan')!.instance as VlanLowerBinding;

    // tcpdump records what leaves the TAP towards the kernel; tshark decodes the file afterwards.
    const file = join(dir, 'kernel-side.pcap');
    const dump = ns.spawn('tcpdump', ['-i', tap, '--immediate-mode', '-U', '-n', '-w', file]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tcpdump did not start within 5 s')), 5000);
      dump.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const out = await ns.run(python!, ['-c', SCAPY, tap, OUR_MAC, KERNEL_MAC], 60_000);
    const sent = out.trim().split('\n').map((l) => {
      const [vlan, prio, h] = l.split(' ');
      return { vlan: Number(vlan), prio: Number(prio), bytes: Uint8Array.from(Buffer.from(h!, 'hex')) };
    });
    assert.equal(sent.length, 24);
    for (let i = 0; i < 200 && (got10.length < 8 || got20.length < 8 || lower.counters.rxTruncated < 1); i++) await sleep(10);
    for (const [vlan, got] of [[10, got10], [20, got20]] as const) {
      const expect = sent.filter((s) => s.vlan === vlan);
      assert.equal(got.length, expect.length, `VLAN ${vlan}: its ${expect.length} frames and nothing else`);
      got.forEach((g, k) => {
        const s = expect[k]!;
        // Untagged: scapy's frame without the 4 bytes after the source address.
        assert.equal(hex(g.bytes), hex(s.bytes.subarray(0, 12)) + hex(s.bytes.subarray(16)), `VLAN ${vlan} frame ${k}`);
        assert.equal(ieee8021QVlanId(g.info), vlan);
        assert.equal(ieee8021QUserPriority(g.info), s.prio);
      });
    }
    assert.equal(lower.counters.rxUnknownVlan, 8, 'the VLAN 30 frames');
    assert.equal(lower.counters.rxDoubleTagged, 1);
    assert.equal(lower.counters.rxTruncated, 1);

    // Replies: one on each VLAN, VLAN 10's with priority 6 from the NBL info.
    const reply = (n: number): Uint8Array => {
      const f = new Uint8Array(64);
      f.set(Buffer.from(KERNEL_MAC.replaceAll(':', ''), 'hex'), 0);
      f.set(Buffer.from(OUR_MAC.replaceAll(':', ''), 'hex'), 6);
      f[12] = 0x88;
      f[13] = 0xb5; // IEEE local experimental EtherType
      for (let i = 14; i < 64; i++) f[i] = (n + i) & 0xff;
      return f;
    };
    assert.ok(h.raw.endpoint('v10').send(reply(1), { ieee8021Q: ieee8021QValue(6, 0) }));
    assert.ok(h.raw.endpoint('v20').send(reply(2)));
    await sleep(500);
    dump.kill('SIGINT');
    await waitExit(dump, 5000);
    const fields = await new Promise<string>((resolve, reject) =>
      execFile('tshark', ['-r', file, '-Y', 'vlan && eth.type == 0x8100 && eth.src == ' + OUR_MAC, '-T', 'fields', '-E', 'separator=/t', '-e', 'vlan.id', '-e', 'vlan.priority', '-e', 'vlan.etype', '-e', 'frame.len'], { timeout: 30_000 }, (err, stdout, stderr) =>
        err !== null ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const rows = fields.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows, [['10', '6', '0x88b5', '68'], ['20', '0', '0x88b5', '68']], `tshark: ${fields}`);
    // Byte-exact: the reply with 81 00 + TCI (priority << 13 | VLAN) after the source address.
    const ours = readPcapFrames(file).filter((f) => hex(f.subarray(6, 12)) === OUR_MAC.replaceAll(':', ''));
    const tagged = (f: Uint8Array, tci: number): string => hex(f.subarray(0, 12)) + '8100' + tci.toString(16).padStart(4, '0') + hex(f.subarray(12));
    assert.deepEqual(ours.map(hex), [tagged(reply(1), (6 << 13) | 10), tagged(reply(2), 20)]);
    assert.deepEqual(h.runtime.verifier.violations, []);
  } finally {
    ns.destroy();
    await net.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
