/**
 * The UDP echo and discard services against the Linux kernel: python3 in a network namespace, on the
 * far side of a TAP, sends datagrams (one large enough to be fragmented both ways) to tsndis over IPv4
 * and IPv6 and checks each echo byte for byte; discard stays silent. Needs root, /dev/net/tun, ip and
 * python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startService } from '../../src/drivers/protocol/tcpip/index.js';
import { assertClean } from '../support/hosts.js';
import { interopSkipReason } from '../support/netns.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';

const CLIENT = `
import socket
out = []
for fam, addr in ((socket.AF_INET, '198.18.94.2'), (socket.AF_INET6, 'fd00:94::2')):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    v = 6 if fam == socket.AF_INET6 else 4
    for size in (1, 1000, 3000):
        data = bytes((i * 7 + size) & 0xff for i in range(size))
        s.sendto(data, (addr, 7))
        got, frm = s.recvfrom(65535)
        out.append('echo%d:%d:%s:%d' % (v, size, 'same' if got == data else 'DIFFERENT', frm[1]))
    s.sendto(b'x' * 100, (addr, 9))
    s.settimeout(0.5)
    try:
        s.recvfrom(100)
        out.append('discard%d:answered' % v)
    except socket.timeout:
        out.append('discard%d:silent' % v)
    s.close()
print(' '.join(out))
`;

test('udp services interop: Linux gets its datagrams echoed byte-exact (IPv4, IPv6, fragmented) and discarded', { timeout: 60_000 }, async (t) => {
  const skip = interopSkipReason('python3');
  if (skip !== null) {
    t.skip(skip);
    return;
  }
  const host = await TapTcpIpHost.create({ name: 'udpSvc', tapKind: 'tus', ourMac: '02:00:00:00:94:02', kernelMac: '02:00:00:00:94:01', subnet: '198.18.94', subnet6: 'fd00:94:' });
  const echo = await startService(host.ip, { service: 'echo', port: 7, address: null, root: null });
  const discard = await startService(host.ip, { service: 'discard', port: 9, address: null, root: null });
  try {
    assert.ok(await host.ready(), 'addresses usable');
    const out = (await host.ns.run('python3', ['-c', CLIENT], 30_000)).trim();
    assert.equal(out, 'echo4:1:same:7 echo4:1000:same:7 echo4:3000:same:7 discard4:silent echo6:1:same:7 echo6:1000:same:7 echo6:3000:same:7 discard6:silent');
    assert.deepEqual([echo.counters.datagramsIn, echo.counters.datagramsOut, echo.counters.bytesOut], [6, 6, 2 * 4001]);
    assert.deepEqual([discard.counters.datagramsIn, discard.counters.bytesIn], [2, 200]);
    assert.ok(host.ip.stack.counters.reassembly.reassembled >= 2, 'the 3000-byte datagrams arrived fragmented');
  } finally {
    await echo.close();
    await discard.close();
    await host.destroy();
  }
  assertClean(host.rt);
});
