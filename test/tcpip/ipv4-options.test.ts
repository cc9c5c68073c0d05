/**
 * IPv4 options on input: a datagram whose option walk is broken (an option of length 0 or 1, one that
 * runs past the header, a kind without its length octet, a record route or timestamp with an
 * impossible pointer) is dropped whole and counted (`ipv4.inBadOptions`): no echo reply, no RST, no
 * port unreachable, no UDP delivery, no fragment stored. Well-formed options (NOP, end-of-list and the
 * padding after it, router alert) are skipped and the datagram is handled as usual. The datagrams are
 * written out byte by byte; the checksums are computed here, not by src/wire.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';

function hex(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

/** The ones'-complement sum of `b` as 16-bit words, plus `initial`, folded and complemented. */
function checksum(b: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const LAB_MAC = '020000001a01';
const PEER_MAC = '020000000a01';
const SRC = 'c6120001'; // 198.18.0.1
const DST = 'c6120002'; // 198.18.0.2

/** Ethernet + IPv4 (`options` padded by the caller to a multiple of 4) + `payload` of `protocol`; checksums filled. */
function datagram(options: string, protocol: number, payload: Uint8Array, flags = '4000'): Uint8Array {
  const o = hex(options);
  assert.equal(o.length % 4, 0);
  const hl = 20 + o.length;
  const ip = hex(`4${(hl >> 2).toString(16)}`, '00', (hl + payload.length).toString(16).padStart(4, '0'), '1234', flags, '40', protocol.toString(16).padStart(2, '0'), '0000', SRC, DST);
  const header = new Uint8Array(hl);
  header.set(ip);
  header.set(o, 20);
  const c = checksum(header);
  header[10] = c >> 8;
  header[11] = c & 0xff;
  const p = payload.slice();
  // Transport checksums: ICMP over the message, TCP over the pseudo-header too (UDP goes without, 0).
  if (protocol === 1 || protocol === 6) {
    const pseudo = protocol === 6 ? 0xc612 + 0x0001 + 0xc612 + 0x0002 + 6 + p.length : 0;
    const at = protocol === 1 ? 2 : 16;
    const s = checksum(p, pseudo);
    p[at] = s >> 8;
    p[at + 1] = s & 0xff;
  }
  const frame = new Uint8Array(14 + hl + p.length);
  frame.set(hex(LAB_MAC, PEER_MAC, '0800'));
  frame.set(header, 14);
  frame.set(p, 14 + hl);
  return frame;
}

const ECHO = hex('08 00 0000', '4242 0001', 'deadbeef'); // echo request, id 0x4242, seq 1, 4 data bytes
const UDP_OPEN = hex('9c40 0007 000c 0000', '68656c6f'); // 40000 → 7 (bound), length 12, no checksum, "helo"
const UDP_CLOSED = hex('9c41 0009 000c 0000', '68656c6f'); // 40001 → 9 (nobody)
const TCP_SYN = hex('9c42 0051', '00001000', '00000000', '50 02 ffff', '0000 0000'); // 40002 → 81 (closed), SYN

const PAYLOADS: Array<[string, number, Uint8Array]> = [
  ['echo request', 1, ECHO],
  ['UDP to a bound port', 17, UDP_OPEN],
  ['UDP to a closed port', 17, UDP_CLOSED],
  ['TCP SYN to a closed port', 6, TCP_SYN],
];

const MALFORMED: Array<[string, string]> = [
  ['an option of length 0', '94 00 0000'],
  ['an option of length 1', '94 01 0000'],
  ['an option running past the header', '01 94 08 00'],
  ['a kind without its length octet', '01 01 01 94'],
  ['record route with pointer 3', '07 07 03 00000000 00'],
  ['timestamps of length 3', '44 03 05 00'],
];

const WELL_FORMED: Array<[string, string]> = [
  ['NOP NOP NOP EOL', '01 01 01 00'],
  ['EOL, then padding that would not parse as options', '00 94 00 00'],
  ['router alert', '94 04 0000'],
];

async function target(): Promise<{ h: LabHost; udp: string[] }> {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6: false, Neighbors: ['198.18.0.1 02-00-00-00-0a-01'] }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) });
  const udp: string[] = [];
  h.ip.stack.udp.open(4).bind(7).onMessage = (b, o, l) => udp.push(Buffer.from(b.subarray(o, o + l)).toString());
  h.lab.take();
  return { h, udp };
}

/** What the host sent since the last call: 'icmp type/code', 'tcp flags'. */
function sent(h: LabHost): string[] {
  return h.lab.take().map(({ frame: f }) => {
    const p = 14 + ((f[14]! & 0x0f) << 2);
    if (f[23] === 1) return `icmp ${String(f[p])}/${String(f[p + 1])}`;
    if (f[23] === 6) return `tcp ${f[p + 13]!.toString(16)}`;
    return `protocol ${String(f[23])}`;
  });
}

test('ipv4 options: a malformed option walk drops the whole datagram, counted, unanswered and undelivered', async () => {
  const { h, udp } = await target();
  const c = h.ip.stack.counters;
  for (const [shape, options] of MALFORMED) {
    for (const [what, protocol, payload] of PAYLOADS) {
      const before = c.ipv4.inBadOptions;
      h.lab.inject([datagram(options, protocol, payload)]);
      await labPump(h, 0);
      assert.equal(c.ipv4.inBadOptions, before + 1, `${what} with ${shape}: counted`);
      assert.deepEqual(sent(h), [], `${what} with ${shape}: not answered`);
    }
  }
  assert.deepEqual(udp, [], 'nothing delivered to the UDP socket');
  assert.equal(c.ipv4.inDelivers, 0);
  assert.equal(c.icmp.inMsgs + c.udp.inDatagrams + c.udp.noPorts + c.tcp.inSegs, 0);
  assert.equal(h.ip.tcp.counters.inSegs, 0);
  assert.equal(c.ipv4.inBadOptions, MALFORMED.length * PAYLOADS.length);
  // netstat shows it under ipv4.
  assert.equal((h.ip.netstat()['ipv4'] as Record<string, number>)['inBadOptions'], MALFORMED.length * PAYLOADS.length);
  await finishLab(h);
});

test('ipv4 options: a fragment with malformed options is dropped before reassembly', async () => {
  const { h } = await target();
  const c = h.ip.stack.counters;
  // First fragment (MF, offset 0) of a UDP datagram, options of length 1.
  h.lab.inject([datagram('94 01 0000', 17, hex('9c40 0007 0020 0000', '00'.repeat(8)), '2000')]);
  await labPump(h, 0);
  assert.equal(c.ipv4.inBadOptions, 1);
  assert.equal(c.ipv4.inFragments + c.reassembly.fragments + c.reassembly.stored, 0);
  assert.equal(h.ip.stack.ipv4.reassembler.inProgress, 0);
  assert.deepEqual(sent(h), []);
  await finishLab(h);
});

test('ipv4 options: NOP, end-of-list (and the padding after it) and router alert are skipped; the datagram is handled', async () => {
  const { h, udp } = await target();
  const c = h.ip.stack.counters;
  for (const [shape, options] of WELL_FORMED) {
    h.lab.inject([datagram(options, 1, ECHO)]);
    await labPump(h, 0);
    assert.deepEqual(sent(h), ['icmp 0/0'], `${shape}: echo reply`);
    h.lab.inject([datagram(options, 17, UDP_OPEN)]);
    await labPump(h, 0);
    assert.deepEqual(sent(h), [], `${shape}: UDP delivered, nothing sent`);
    h.lab.inject([datagram(options, 17, UDP_CLOSED)]);
    await labPump(h, 0);
    assert.deepEqual(sent(h), ['icmp 3/3'], `${shape}: port unreachable`);
    h.lab.inject([datagram(options, 6, TCP_SYN)]);
    await labPump(h, 0);
    assert.deepEqual(sent(h), ['tcp 14'], `${shape}: RST+ACK`);
  }
  assert.deepEqual(udp, ['helo', 'helo', 'helo']);
  assert.equal(c.ipv4.inBadOptions, 0);
  assert.equal(c.ipv4.inDelivers, WELL_FORMED.length * PAYLOADS.length);
  await finishLab(h);
});
