// Captures the linux-*.bin frames of this corpus. Linux sends them itself, through a TAP in a private
// network namespace (198.18.7.0/24, fd00:7::/64, with forwarding on to provoke ICMP errors), to a peer
// this script plays with the wire emitters (02:00:00:00:07:02, 198.18.7.2, fd00:7::2).
//
//   npx tsc -p . && sudo node test/fuzz/corpus/wire/capture-linux.mjs [output directory]
//
// Needs root, /dev/net/tun, iproute2, ping and python3. Identifiers, timestamps, sequence numbers and
// so checksums change from run to run: after a recapture into this directory, update the byte vectors
// in test/wire/*.test.ts and the golden text (TSNDIS_UPDATE_GOLDEN=1).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const here = new URL('.', import.meta.url);
const root = new URL('../../../../', here);
const out = process.argv[2] ? pathToFileURL(`${process.argv[2].replace(/\/?$/, '/')}`) : here;
const koffi = createRequire(new URL('package.json', root))('koffi');
const w = await import(new URL('dist/src/wire/index.js', root).href);

const libc = koffi.load('libc.so.6');
const open = libc.func('int open(const char *path, int flags)');
const ioctl = libc.func('int ioctl(int fd, unsigned long req, void *arg)');
const read = libc.func('long read(int fd, _Out_ uint8_t *buf, unsigned long n)');
const write = libc.func('long write(int fd, const uint8_t *buf, unsigned long n)');
const fcntl = libc.func('int fcntl(int fd, int cmd, int arg)');
const close = libc.func('int close(int fd)');
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const F_SETFL = 4;
const O_NONBLOCK = 0x800;

const NS = `wc${process.pid % 1000}`;
const TAP = `wct${process.pid % 1000}`;
const sh = (...argv) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (...argv) => sh('ip', 'netns', 'exec', NS, ...argv);
const spawnInNs = (...argv) => spawn('ip', ['netns', 'exec', NS, ...argv], { stdio: 'ignore' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const LINUX_MAC = '02:00:00:00:07:01';
const PEER_MAC = w.mac('02:00:00:00:07:02');
const LINUX4 = w.ipv4(198, 18, 7, 1);
const PEER4 = w.ipv4(198, 18, 7, 2);
const LINUX6 = w.ipv6('fd00:7::1');
const PEER6 = w.ipv6('fd00:7::2');
const PING = Uint8Array.of(0x70, 0x69, 0x6e, 0x67);

const fd = open('/dev/net/tun', 2);
const ifr = Buffer.alloc(40);
ifr.write(TAP, 0, 'latin1');
ifr.writeUInt16LE(IFF_TAP | IFF_NO_PI, 16);
if (fd < 0 || ioctl(fd, TUNSETIFF, ifr) < 0) throw new Error('cannot open a TAP (root? /dev/net/tun?)');
fcntl(fd, F_SETFL, O_NONBLOCK);

const frames = [];
const buf = new Uint8Array(70000);
async function collect(ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) {
    for (let n = read(fd, buf, buf.length); n > 0; n = read(fd, buf, buf.length)) frames.push(buf.slice(0, n));
  }
}
function send(f) {
  if (write(fd, f, f.length) !== f.length) throw new Error('TAP write failed');
}

const eth = (etherType, dst = w.mac(LINUX_MAC)) => ({ dst, src: PEER_MAC, vlan: null, etherType });
const ip4 = (protocol, payloadLength, extra = {}) => ({
  dscp: 0, ecn: 0, identification: 0x4242, dontFragment: true, moreFragments: false, fragmentOffset: 0,
  ttl: 64, protocol, src: PEER4, dst: LINUX4, options: new Uint8Array(0), payloadLength, ...extra,
});
const ip6 = (nextHeader, payloadLength, extra = {}) => ({
  trafficClass: 0, flowLabel: 0, nextHeader, hopLimit: 64, src: PEER6, dst: LINUX6, payloadLength, ...extra,
});
/** Ethernet + IPv4 + UDP with `payload` (zeros when a number), from the peer. */
function udp4(dstPort, payload, extra = {}) {
  const data = typeof payload === 'number' ? new Uint8Array(payload) : payload;
  const f = new Uint8Array(14 + 20 + 8 + data.length);
  let o = w.emitEthernet(eth(0x0800), f, 0);
  const ip = ip4(17, 8 + data.length, extra);
  o += w.emitIpv4(ip, f, o);
  f.set(data, o + 8);
  w.emitUdp({ srcPort: 40000 + dstPort % 1000, dstPort, payloadLength: data.length }, f, o, { version: 4, src: ip.src, dst: ip.dst });
  return f;
}
/** Ethernet + IPv6 + UDP, from the peer. */
function udp6(dstPort, payload, extra = {}) {
  const data = typeof payload === 'number' ? new Uint8Array(payload) : payload;
  const f = new Uint8Array(14 + 40 + 8 + data.length);
  let o = w.emitEthernet(eth(0x86dd), f, 0);
  const ip = ip6(17, 8 + data.length, extra);
  o += w.emitIpv6(ip, f, o);
  f.set(data, o + 8);
  w.emitUdp({ srcPort: 40000 + dstPort % 1000, dstPort, payloadLength: data.length }, f, o, { version: 6, src: ip.src, dst: ip.dst });
  return f;
}
/** Ethernet + IPv4 + a TCP SYN, from the peer. */
function syn4(srcPort, dstPort, options) {
  const repr = { srcPort, dstPort, seqNumber: 5000, ackNumber: 0, flags: w.TcpFlags.Syn, windowSize: 64240, urgentPointer: 0, options, payloadLength: 0 };
  const f = new Uint8Array(14 + 20 + w.tcpHeaderLength(repr));
  let o = w.emitEthernet(eth(0x0800), f, 0);
  o += w.emitIpv4(ip4(6, w.tcpHeaderLength(repr)), f, o);
  w.emitTcp(repr, f, o, { version: 4, src: PEER4, dst: LINUX4 });
  return f;
}
/** Ethernet + IPv6 + an ICMPv6 message, from the peer. */
function icmp6(repr, dst, dstMac, length) {
  const f = new Uint8Array(14 + 40 + length);
  let o = w.emitEthernet(eth(0x86dd, dstMac), f, 0);
  o += w.emitIpv6(ip6(58, length, { dst, hopLimit: 255 }), f, o);
  w.emitIcmpv6(repr, f, o, { version: 6, src: PEER6, dst });
  return f;
}

try {
  sh('ip', 'netns', 'add', NS);
  inNs('ip', 'link', 'set', 'lo', 'up');
  sh('ip', 'link', 'set', TAP, 'netns', NS);
  inNs('ip', 'link', 'set', TAP, 'address', LINUX_MAC);
  inNs('sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs('ip', 'addr', 'add', '198.18.7.1/24', 'dev', TAP);
  inNs('ip', '-6', 'addr', 'add', 'fd00:7::1/64', 'dev', TAP, 'nodad');
  inNs('ip', 'link', 'set', TAP, 'up');
  await collect(2500); // router solicitation, MLDv2 reports (hop-by-hop), DAD

  try {
    inNs('ping', '-c', '1', '-W', '1', '198.18.7.2'); // ARP who-has, never answered
  } catch {}
  await collect(300);
  inNs('ip', 'neigh', 'replace', '198.18.7.2', 'lladdr', '02:00:00:00:07:02', 'dev', TAP, 'nud', 'permanent');
  inNs('ip', '-6', 'neigh', 'replace', 'fd00:7::2', 'lladdr', '02:00:00:00:07:02', 'dev', TAP, 'nud', 'permanent');
  spawnInNs('ping', '-c', '1', '-W', '1', '198.18.7.2');
  spawnInNs('ping', '-c', '1', '-W', '1', '-M', 'dont', '-s', '1600', '198.18.7.2'); // two IPv4 fragments
  spawnInNs('ping', '-R', '-c', '1', '-W', '1', '198.18.7.2'); // record-route option
  spawnInNs('ping', '-6', '-c', '1', '-W', '1', '-s', '1600', 'fd00:7::2'); // two IPv6 fragments
  spawnInNs('ping', '-6', '-c', '1', '-W', '1', 'fd00:7::3'); // neighbor solicitation
  spawnInNs('python3', '-c', "import socket\ns=socket.socket()\ns.settimeout(0.5)\ntry: s.connect(('198.18.7.2',80))\nexcept Exception: pass");
  spawnInNs('python3', '-c', "import socket\nsocket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'ping',('198.18.7.2',7))");
  spawnInNs('python3', '-c', "import socket\nsocket.socket(socket.AF_INET6,socket.SOCK_DGRAM).sendto(b'ping',('fd00:7::2',7))");
  spawnInNs('timeout', '3', 'python3', '-c', "import socket,time\ns=socket.socket()\ns.bind(('198.18.7.1',8080))\ns.listen()\ntime.sleep(2.5)");
  await collect(800);

  // What the peer sends, for Linux's answers.
  const echo = new Uint8Array(14 + 20 + 12);
  w.emitIcmpv4({ type: 8, identifier: 0x1234, sequenceNumber: 1, data: PING }, echo, 14 + w.emitIpv4(ip4(1, 12), echo, w.emitEthernet(eth(0x0800), echo, 0)));
  send(echo); // echo reply
  send(udp4(9, PING)); // port unreachable
  inNs('ip', 'route', 'add', '198.18.8.0/24', 'via', '198.18.7.2', 'mtu', 'lock', '1280');
  send(udp4(33434, PING, { ttl: 1, dst: w.ipv4(198, 18, 8, 5) })); // time exceeded
  send(udp4(9, 1400 - 28, { dst: w.ipv4(198, 18, 8, 5) })); // fragmentation needed (DF over MTU 1280)
  send(syn4(40003, 9, w.NO_TCP_OPTIONS)); // RST-ACK from a closed port
  send(syn4(40004, 8080, { mss: 1460, windowScale: 7, sackPermitted: true, sackBlocks: [], timestamps: { value: 1, echo: 0 } })); // SYN-ACK
  send(udp6(9, PING)); // ICMPv6 port unreachable
  const echo6 = new Uint8Array(14 + 40 + 12);
  w.emitIcmpv6({ type: 128, identifier: 0x1234, sequenceNumber: 1, data: PING }, echo6, 54, { version: 6, src: PEER6, dst: LINUX6 });
  w.emitIpv6(ip6(58, 12), echo6, w.emitEthernet(eth(0x86dd), echo6, 0));
  send(echo6); // ICMPv6 echo reply
  send(icmp6({ type: 135, targetAddr: LINUX6, sourceLinkLayerAddr: PEER_MAC }, w.ipv6('ff02::1:ff00:1'), w.mac('33:33:ff:00:00:01'), 32)); // NA
  inNs('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
  inNs('ip', '-6', 'route', 'add', 'fd00:8::/64', 'via', 'fd00:7::2', 'mtu', 'lock', '1280');
  send(udp6(33434, PING, { hopLimit: 1, dst: w.ipv6('fd00:8::5') })); // ICMPv6 time exceeded
  send(udp6(9, 1400 - 48, { dst: w.ipv6('fd00:8::5') })); // packet too big
  await collect(1500);
} finally {
  close(fd);
  try {
    sh('ip', 'netns', 'del', NS);
  } catch {}
}

/** Which captured frame becomes which file: the first whose description matches. */
const PICK = {
  'linux-mldv2-report-hbh': /fe80::ff:fe00:701 > ff02::16[\s\S]*icmp6 type 143/,
  'linux-ns-dad-nonce': /who has fe80::ff:fe00:701/,
  'linux-router-solicitation': /router solicitation/,
  'linux-arp-request': /arp who-has/,
  'linux-icmp-echo-request': /length 84, cksum[\s\S]*icmp echo request/,
  'linux-icmp-echo-request-record-route': /options 40 bytes/,
  'linux-ipv4-fragment-first': /flags \[MF\], offset 0/,
  'linux-ipv4-fragment-last': /offset 1480/,
  'linux-ipv6-fragment-first': /ipv6-frag offset 0/,
  'linux-ipv6-fragment-last': /ipv6-frag offset 1448/,
  'linux-ns-src-ll': /who has fd00:7::3/,
  'linux-udp-ipv6': /fd00:7::1 > fd00:7::2: next UDP[\s\S]*udp \d+ > 7,/,
  'linux-udp-ipv4': /ipv4 198.18.7.1 > 198.18.7.2: UDP[\s\S]*udp \d+ > 7,/,
  'linux-tcp-syn': /flags \[S\],/,
  'linux-tcp-syn-ack': /flags \[S\.\],/,
  'linux-tcp-rst-ack': /flags \[R\.\],/,
  'linux-icmp-echo-reply': /icmp echo reply/,
  'linux-icmp-port-unreachable': /icmp unreachable port/,
  'linux-icmp-time-exceeded': /icmp time exceeded/,
  'linux-icmp-fragmentation-needed': /fragmentation-needed/,
  'linux-icmp6-port-unreachable': /icmp6 unreachable port/,
  'linux-icmp6-echo-reply': /icmp6 echo reply/,
  'linux-na': /neighbor advertisement/,
  'linux-icmp6-time-exceeded': /icmp6 time exceeded/,
  'linux-icmp6-packet-too-big': /packet too big/,
};
mkdirSync(out, { recursive: true });
for (const [name, pattern] of Object.entries(PICK)) {
  const f = frames.find((g) => pattern.test(w.describeFrame(g, 0, g.length).join('\n')));
  if (!f) {
    console.log(`not captured: ${name}`);
    continue;
  }
  writeFileSync(new URL(`${name}.bin`, out), f);
  console.log(`${name.padEnd(40)} ${String(f.length)} bytes`);
}
