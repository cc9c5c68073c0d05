/**
 * RSS in the TAP miniport against the Linux kernel: a namespace behind our TAP sends UDP, a TCP SYN and
 * an ICMP echo over IPv4 and IPv6 from known tuples; with RSS set through OID_GEN_RECEIVE_SCALE_PARAMETERS
 * (Microsoft's verification key), every one of those frames reaches the protocol with exactly the hash
 * value the independent bit-by-bit reference gives for its tuple, and the hash type of §3.1; the RSS
 * counters add up. The capabilities and parameters go through the runtime as on the virtual wire.
 * Needs root, /dev/net/tun, ip and /usr/bin/python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NdisHashFunctionToeplitz,
  NdisOidRequest,
  OID_GEN_RECEIVE_SCALE_CAPABILITIES,
  OID_GEN_RECEIVE_SCALE_PARAMETERS,
  receiveScaleCapabilitiesCodec,
  receiveScaleParametersCodec,
  type NetBufferList,
} from '../../src/ndis/index.js';
import { ipv6 } from '../../src/wire/address.js';
import { ip4 } from '../support/frames.js';
import { assertClean } from '../support/hosts.js';
import { Netns, interopSkipReason, sh, uniqueName, waitExit } from '../support/netns.js';
import { MS_KEY, referenceToeplitz } from '../support/rss.js';

const OUR_MAC = '02:00:00:00:6f:02';
const KERNEL_MAC = '02:00:00:00:6f:01';
const PY = '/usr/bin/python3';
const TYPES = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6;
const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function skipReason(): string | null {
  const reason = interopSkipReason();
  if (reason !== null) return reason;
  if (sh('sh', ['-c', `test -x ${PY} && echo ok || echo missing`]).trim() !== 'ok') return `needs ${PY}`;
  return null;
}

interface Got {
  frame: Uint8Array;
  hashValue: number;
  hashInfo: number;
}

/** What a frame from the kernel is, read from its bytes: the flow and the hash type §3.1 picks. */
interface Flow {
  readonly type: number;
  readonly input: Uint8Array;
  readonly what: string;
}

function flowOf(f: Uint8Array): Flow | null {
  const etherType = (f[12]! << 8) | f[13]!;
  if (etherType === 0x0800) {
    const ihl = (f[14]! & 0x0f) * 4;
    const proto = f[23]!;
    const addrs = f.subarray(26, 34);
    const l4 = 14 + ihl;
    if (proto === 6 || proto === 17) return { type: proto === 6 ? NDIS_HASH_TCP_IPV4 : NDIS_HASH_UDP_IPV4, input: Uint8Array.of(...addrs, ...f.subarray(l4, l4 + 4)), what: `${proto === 6 ? 'TCP' : 'UDP'}/IPv4` };
    return { type: NDIS_HASH_IPV4, input: addrs.slice(), what: `protocol ${proto}/IPv4` };
  }
  if (etherType === 0x86dd) {
    const next = f[20]!;
    const addrs = f.subarray(22, 54);
    // Only the frames this test sends (no extension headers) are checked.
    if (next === 6 || next === 17) return { type: next === 6 ? NDIS_HASH_TCP_IPV6 : NDIS_HASH_UDP_IPV6, input: Uint8Array.of(...addrs, ...f.subarray(54, 58)), what: `${next === 6 ? 'TCP' : 'UDP'}/IPv6` };
    if (next === 58) return { type: NDIS_HASH_IPV6, input: addrs.slice(), what: 'ICMPv6' };
  }
  return null;
}

test('TAP RSS: kernel frames carry the reference Toeplitz hash of their tuple and the §3.1 type', async (t: TestContext) => {
  const reason = skipReason();
  if (reason !== null) {
    t.skip(reason);
    return;
  }
  const n = 60 + (process.pid % 150);
  const tapName = uniqueName('rtap');
  const rt = new NdisRuntime({ name: 'rssHost', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 1024 });
  rt.registerDriver(raw.characteristics);
  // The spelling of a standardized keyword names the same keyword.
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tapName, NetworkAddress: OUR_MAC, '*MaxRSSProcessors': 1 } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const ep = raw.endpoint('eth0');
  const tap = rt.adapter('eth0').instance as TapAdapter;
  const got: Got[] = [];
  ep.receiveHandler = (nbls) => {
    for (let x: NetBufferList | null = nbls; x !== null; x = x.next) {
      const nb = x.firstNetBuffer!;
      const frame = new Uint8Array(nb.dataLength);
      nb.copyOut(frame, 0, 0, nb.dataLength);
      got.push({ frame, hashValue: x.info.hashValue, hashInfo: x.info.hashInfo });
    }
  };
  const r = Netns.create();
  try {
    r.adopt(tapName, { mac: KERNEL_MAC, address: `198.18.${n}.1/24` });
    r.exec('sysctl', '-qw', `net.ipv6.conf.${tapName}.disable_ipv6=0`);
    r.ip('-6', 'addr', 'add', `2001:2:0:${n}::1/64`, 'dev', tapName, 'nodad');
    r.ip('neigh', 'replace', `198.18.${n}.2`, 'lladdr', OUR_MAC, 'dev', tapName, 'nud', 'permanent');
    r.ip('-6', 'neigh', 'replace', `2001:2:0:${n}::2`, 'lladdr', OUR_MAC, 'dev', tapName, 'nud', 'permanent');

    // Capabilities (answered by NDIS from the general attributes): software classification in the DPC.
    const caps = NdisOidRequest.query(OID_GEN_RECEIVE_SCALE_CAPABILITIES, 64);
    assert.equal(await ep.oid(caps), NDIS_STATUS_SUCCESS);
    const c = caps.queryResult(receiveScaleCapabilitiesCodec)!;
    assert.ok((c.capabilitiesFlags & NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC) !== 0 && (c.capabilitiesFlags & NdisHashFunctionToeplitz) !== 0);
    assert.deepEqual([c.numberOfReceiveQueues, c.numberOfIndirectionTableEntries], [1, 128]);
    const params = {
      flags: 0,
      baseCpuNumber: 0,
      hashInformation: TYPES | NdisHashFunctionToeplitz,
      indirectionTable: Array.from({ length: 64 }, () => ({ group: 0, number: 0 })),
      hashSecretKey: MS_KEY,
      processorMasks: [{ mask: 1n, group: 0 }],
      defaultProcessorNumber: { group: 0, number: 0 },
    };
    // A processor outside the stack is refused and changes nothing; the good set is queried back.
    assert.equal(await ep.oid(NdisOidRequest.set(receiveScaleParametersCodec, { ...params, indirectionTable: [{ group: 0, number: 1 }] })), NDIS_STATUS_INVALID_PARAMETER);
    assert.equal(await ep.oid(NdisOidRequest.set(receiveScaleParametersCodec, params)), NDIS_STATUS_SUCCESS);
    const q = NdisOidRequest.query(OID_GEN_RECEIVE_SCALE_PARAMETERS, 1024);
    assert.equal(await ep.oid(q), NDIS_STATUS_SUCCESS);
    const back = q.queryResult(receiveScaleParametersCodec)!;
    assert.deepEqual([hex(back.hashInformation), back.indirectionTable.length, [...back.hashSecretKey]], [hex(TYPES | NdisHashFunctionToeplitz), 64, [...MS_KEY]]);

    const program = `
import socket, struct, time
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('198.18.${n}.1', 40001)); u.sendto(b'rss-udp4', ('198.18.${n}.2', 7001))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(('198.18.${n}.1', 40002)); t.setblocking(False)
try: t.connect(('198.18.${n}.2', 7002))
except BlockingIOError: pass
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
h = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'rss-icmp'
icmp.sendto(h[:2] + struct.pack('!H', csum(h)) + h[4:], ('198.18.${n}.2', 0))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.bind(('2001:2:0:${n}::1', 40003)); u6.sendto(b'rss-udp6', ('2001:2:0:${n}::2', 7003))
t6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t6.bind(('2001:2:0:${n}::1', 40004)); t6.setblocking(False)
try: t6.connect(('2001:2:0:${n}::2', 7004))
except BlockingIOError: pass
i6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
i6.sendto(struct.pack('!BBHHH', 128, 0, 0, 0x4243, 1) + b'rss-icmp6', ('2001:2:0:${n}::2', 0))
time.sleep(0.3)
print('sent', flush=True)
`;
    const child = r.spawn(PY, ['-u', '-c', program]);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    assert.equal(await waitExit(child, 10_000), 0, `python: ${err}`);

    // The six frames this test sent, by what identifies them.
    const v4src = ip4(`198.18.${n}.1`);
    const v6src = ipv6(`2001:2:0:${n}::1`);
    const ours = (g: Got): string | null => {
      const f = g.frame;
      const et = (f[12]! << 8) | f[13]!;
      if (et === 0x0800 && f.subarray(26, 30).every((b, i) => b === v4src[i])) {
        const proto = f[23]!;
        const l4 = 14 + (f[14]! & 0x0f) * 4;
        const sport = (f[l4]! << 8) | f[l4 + 1]!;
        if (proto === 17 && sport === 40001) return 'udp4';
        if (proto === 6 && sport === 40002) return 'tcp4';
        if (proto === 1 && f[l4] === 8) return 'icmp4';
      }
      if (et === 0x86dd && f.subarray(22, 38).every((b, i) => b === v6src[i])) {
        const next = f[20]!;
        const sport = (f[54]! << 8) | f[55]!;
        if (next === 17 && sport === 40003) return 'udp6';
        if (next === 6 && sport === 40004) return 'tcp6';
        if (next === 58 && f[54] === 128) return 'icmp6';
      }
      return null;
    };
    const want = ['udp4', 'tcp4', 'icmp4', 'udp6', 'tcp6', 'icmp6'];
    for (let i = 0; i < 200 && !want.every((w) => got.some((g) => ours(g) === w)); i++) await sleep(10);
    const checked = new Set<string>();
    for (const g of got) {
      const id = ours(g);
      if (id === null) continue;
      const flow = flowOf(g.frame)!;
      assert.deepEqual(
        { value: hex(g.hashValue), info: hex(g.hashInfo) },
        { value: hex(referenceToeplitz(MS_KEY, flow.input)), info: hex(flow.type | NdisHashFunctionToeplitz) },
        `${id} (${flow.what})`,
      );
      checked.add(id);
    }
    assert.deepEqual([...checked].sort(), [...want].sort(), 'every kind of frame arrived and was checked');
    // Every frame counted once, all on the one queue; ARP and the like (if any) have no hash.
    const counters = tap.rss.counters;
    assert.equal(counters.rssHashed + counters.rssNoHash, got.length);
    assert.deepEqual(counters.rssQueueFrames, [got.length]);
    assert.equal(got.filter((g) => g.hashInfo === 0).length, counters.rssNoHash);
    assert.deepEqual((tap.inspect()['rss'] as { processors: number[] }).processors, [0]);
  } finally {
    r.destroy();
    await rt.shutdown();
  }
  assertClean(rt);
});
