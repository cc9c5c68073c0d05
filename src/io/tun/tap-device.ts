/**
 * Creating and configuring a Linux TAP device through /dev/net/tun: TUNSETIFF (TAP, no packet-info
 * prefix, optional virtio-net header and multi-queue), TUNSETVNETHDRSZ, TUNSETOFFLOAD, non-blocking fds.
 * Failures are `TapError`s that say what is missing (no /dev/net/tun, no CAP_NET_ADMIN, device busy …).
 */
import { TsndisError } from '../../errors.js';
import { interfaceNameProblem } from './interface-name.js';
import { EACCES, EBUSY, EINVAL, ENOENT, EPERM, F_GETFL, F_SETFL, O_NONBLOCK, O_RDWR, libc } from './libc.js';

export const TUNSETIFF = 0x400454ca;
export const TUNSETOFFLOAD = 0x400454d0;
export const TUNSETVNETHDRSZ = 0x400454d8;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFF_VNET_HDR = 0x4000;
export const IFF_MULTI_QUEUE = 0x0100;
/** TUNSETOFFLOAD bits: what the kernel may hand us unsegmented / without checksums. */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
export const TUN_F_TSO_ECN = 0x08;
export const TUN_F_UFO = 0x10;
/** USO over IPv4 / IPv6 (Linux 6.2+): the kernel may hand over, and takes, VIRTIO_NET_HDR_GSO_UDP_L4 frames. */
export const TUN_F_USO4 = 0x20;
export const TUN_F_USO6 = 0x40;

export class TapError extends TsndisError {
  readonly code = 'TSNDIS_TAP';
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
    this.name = 'TapError';
  }
}

export interface TapOptions {
  /** Interface name (≤ 15 characters; `tap%d` lets the kernel pick). */
  name: string;
  /** Prefix every frame with a 10-byte virtio_net_hdr (IFF_VNET_HDR). */
  vnetHeader: boolean;
  /** Number of queues; more than one opens the device with IFF_MULTI_QUEUE once per queue. */
  queues: number;
  /** TUNSETOFFLOAD bits (needs vnetHeader). */
  offloads?: number;
}

export interface TapDevice {
  readonly name: string;
  readonly fds: readonly number[];
  readonly vnetHeaderSize: number;
  /** TUNSETOFFLOAD (needs the virtio-net header): what the kernel may hand us unfinished. Returns 0 or the errno. */
  setOffloads(flags: number): number;
  close(): void;
}

function explain(op: string, name: string, errno: number): string {
  switch (errno) {
    case ENOENT:
      return `${op}: /dev/net/tun does not exist on this machine (no TUN/TAP support)`;
    case EPERM:
    case EACCES:
      return `${op} '${name}': permission denied — creating or attaching a TAP device needs CAP_NET_ADMIN (run as root or grant the capability) and read/write access to /dev/net/tun`;
    case EBUSY:
      return `${op} '${name}': the device exists and is busy (another process holds it, or it was created with different flags)`;
    case EINVAL:
      return `${op} '${name}': invalid argument (bad name, or the kernel refused the flags)`;
    default:
      return `${op} '${name}' failed with errno ${errno}`;
  }
}

function configureQueue(name: string, flags: number, vnet: boolean, offloads: number): { fd: number; name: string } {
  const c = libc();
  const fd = c.open('/dev/net/tun', O_RDWR);
  if (fd < 0) {
    const e = c.errno();
    throw new TapError(explain('opening /dev/net/tun for', name, e), e);
  }
  const fail = (op: string): never => {
    const e = c.errno();
    c.close(fd);
    throw new TapError(explain(op, name, e), e);
  };
  const ifr = new Uint8Array(40); // struct ifreq: name[16], then short flags
  const badName = interfaceNameProblem(name);
  if (badName !== null) {
    c.close(fd);
    throw new TapError(`TAP name: ${badName}`, EINVAL);
  }
  for (let i = 0; i < name.length; i++) ifr[i] = name.charCodeAt(i) & 0x7f;
  ifr[16] = flags & 0xff;
  ifr[17] = flags >> 8;
  if (c.ioctlPtr(fd, TUNSETIFF, ifr) < 0) fail('creating TAP device');
  let actual = '';
  for (let i = 0; i < 16 && ifr[i] !== 0; i++) actual += String.fromCharCode(ifr[i]!);
  if (vnet) {
    const size = Uint8Array.of(10, 0, 0, 0);
    if (c.ioctlPtr(fd, TUNSETVNETHDRSZ, size) < 0) fail('setting the virtio-net header size on');
    if (offloads !== 0 && c.ioctlVal(fd, TUNSETOFFLOAD, offloads) < 0) fail('enabling offloads (TUNSETOFFLOAD) on');
  }
  const fl = c.fcntl(fd, F_GETFL, 0);
  if (fl < 0 || c.fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) fail('making non-blocking');
  return { fd, name: actual };
}

/** Creates (or attaches to) a TAP device. Closing every fd removes a non-persistent device. */
export function openTap(o: TapOptions): TapDevice {
  const queues = Math.max(1, o.queues);
  let flags = IFF_TAP | IFF_NO_PI;
  if (o.vnetHeader) flags |= IFF_VNET_HDR;
  if (queues > 1) flags |= IFF_MULTI_QUEUE;
  const fds: number[] = [];
  let name = o.name;
  try {
    for (let q = 0; q < queues; q++) {
      const r = configureQueue(name, flags, o.vnetHeader, o.offloads ?? 0);
      fds.push(r.fd);
      name = r.name;
    }
  } catch (e) {
    for (const fd of fds) libc().close(fd);
    throw e;
  }
  let closed = false;
  return {
    name,
    fds,
    vnetHeaderSize: o.vnetHeader ? 10 : 0,
    setOffloads(flags: number): number {
      if (!o.vnetHeader) return flags === 0 ? 0 : EINVAL;
      // The offload features belong to the device: one queue's fd sets them for all.
      const c = libc();
      return c.ioctlVal(fds[0]!, TUNSETOFFLOAD, flags >>> 0) < 0 ? c.errno() : 0;
    },
    close(): void {
      if (closed) return;
      closed = true;
      for (const fd of fds) libc().close(fd);
    },
  };
}

const SIOCSIFMTU = 0x8922;

/**
 * Sets an interface's MTU (SIOCSIFMTU through a datagram socket in this network namespace). Returns the
 * errno on failure, 0 on success: a TAP already moved into another namespace cannot be changed from here.
 */
export function setInterfaceMtu(name: string, mtu: number): number {
  const c = libc();
  const s = c.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  if (s < 0) return c.errno();
  const ifr = new Uint8Array(40);
  for (let i = 0; i < name.length && i < 15; i++) ifr[i] = name.charCodeAt(i) & 0x7f;
  new DataView(ifr.buffer).setInt32(16, mtu, true);
  const r = c.ioctlPtr(s, SIOCSIFMTU, ifr);
  const e = r < 0 ? c.errno() : 0;
  c.close(s);
  return e;
}
