/**
 * ARP (RFC 826) over the shared neighbour cache: requests for our addresses are answered (and teach
 * us the sender, STALE as an NS would in RFC 4861), replies confirm (REACHABLE), other packets only
 * refresh entries we already have (gratuitous ARP). Requests go out broadcast while resolving and
 * unicast while probing (NUD). A gratuitous ARP announces each address when it is added or the link
 * comes up; another host using one of our addresses is counted and logged (RFC 5227 conflict), and
 * never enters the cache.
 *
 * Not supported: proxy ARP, RARP/InARP (other operation codes are counted and ignored).
 */
import { ARP_LEN, ArpField, ArpOperation, ArpView, EtherType, MAC_BROADCAST, WireError, formatIpv4, formatMac } from '../../../wire/index.js';
import { isBadSource4, read4 } from './addr.js';
import type { IpInterface } from './interface.js';
import type { NeighborUpdate } from './neighbor.js';
import type { TcpIpStack } from './stack.js';

const ZERO_MAC = new Uint8Array(6);

export class ArpLayer {
  readonly #stack: TcpIpStack;
  readonly #view = new ArpView();
  readonly #update: NeighborUpdate = { mac: null, macOffset: 0, solicited: false, override: true, create: false, isRouter: null };

  constructor(stack: TcpIpStack) {
    this.#stack = stack;
  }

  input(iface: IpInterface, bytes: Uint8Array, off: number, len: number): void {
    const c = this.#stack.counters.arp;
    const err = ArpView.check(bytes, off, len);
    if (err !== 0) {
      if (err === WireError.Unsupported) c.unsupported++;
      else c.malformed++;
      return;
    }
    const v = this.#view.bind(bytes, off);
    const shaOff = v.senderHardwareAddrOffset;
    if ((bytes[shaOff]! & 1) !== 0 || v.senderHardwareAddrEquals(iface.mac)) {
      c.invalidSender++;
      return;
    }
    const op = v.operation;
    const spa = read4(bytes, off + ArpField.SenderProtocolAddr);
    const tpa = read4(bytes, off + ArpField.TargetProtocolAddr);
    if (spa !== 0 && isBadSource4(spa)) {
      c.invalidSender++;
      return;
    }
    if (op === ArpOperation.Request) c.inRequests++;
    else if (op === ArpOperation.Reply) c.inReplies++;
    else c.inOther++;
    if (spa !== 0 && iface.findIpv4(spa) !== null) {
      c.addressConflicts++;
      iface.log('warn', `ARP: ${formatMac(bytes, shaOff)} claims our address ${formatIpv4(spa)}`);
      return;
    }
    const targetIsUs = iface.findIpv4(tpa) !== null;
    if (spa !== 0) {
      const u = this.#update;
      u.mac = bytes;
      u.macOffset = shaOff;
      u.create = targetIsUs;
      u.solicited = targetIsUs && op === ArpOperation.Reply;
      iface.neighbors4.update(spa, null, 0, u);
      u.mac = null;
    }
    if (op === ArpOperation.Request && targetIsUs) this.#send(iface, ArpOperation.Reply, tpa, bytes, shaOff, spa, bytes, shaOff);
  }

  /** Who has `target`? Broadcast, or unicast to `unicastMac` (a NUD probe). */
  sendRequest(iface: IpInterface, target: number, unicastMac: Uint8Array | null): void {
    const spa = iface.sourceFor4(target);
    if (spa === 0) return;
    this.#stack.counters.arp.outRequests++;
    this.#send(iface, ArpOperation.Request, spa, ZERO_MAC, 0, target, unicastMac ?? MAC_BROADCAST, 0);
  }

  /** Gratuitous ARP: a request for our own `address`, broadcast. */
  announce(iface: IpInterface, address: number): void {
    if (iface.isLoopback) return;
    this.#stack.counters.arp.outGratuitous++;
    this.#send(iface, ArpOperation.Request, address, ZERO_MAC, 0, address, MAC_BROADCAST, 0);
  }

  #send(iface: IpInterface, op: number, spa: number, tha: Uint8Array, thaOff: number, tpa: number, dst: Uint8Array, dstOff: number): void {
    const tx = iface.controlBuffer();
    if (tx === null) return;
    const b = tx.bytes;
    const v = this.#view.bind(b, tx.offset);
    v.hardwareType = 1;
    v.protocolType = EtherType.Ipv4;
    v.hardwareLength = 6;
    v.protocolLength = 4;
    v.operation = op;
    v.setSenderHardwareAddr(iface.mac);
    v.senderProtocolAddr = spa;
    v.setTargetHardwareAddr(tha, thaOff);
    v.targetProtocolAddr = tpa;
    if (op === ArpOperation.Reply) this.#stack.counters.arp.outReplies++;
    iface.sendControl(tx, EtherType.Arp, ARP_LEN, dst, dstOff);
  }
}
