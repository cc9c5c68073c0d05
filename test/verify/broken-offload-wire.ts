/**
 * Broken on purpose: tsndis.virtual-wire with one offload rule broken, chosen by its `Break` keyword,
 * so the offload conformance battery can be seen to fail (test/verify/offload-conformance-broken.test.ts,
 * and `tsndis verify <this module> --check offloads`). The wire's "hardware" works where frames arrive,
 * so the breakage is in what this adapter indicates:
 *   psh       every TCP frame it receives gets PSH (a segmenter putting PSH on every segment, §2.4 rule 5);
 *   checksum  every TCP/UDP frame it receives gets its transport checksum computed, whatever was asked
 *             and enabled (a NIC computing checksums it must not, §2.2).
 * Checksums are kept consistent with the change, so only the rule in question breaks.
 */
import { virtualWireMiniport, VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/index.js';
import type { MiniportAdapterHandle, MiniportDriverCharacteristics, MiniportInitParameters, NdisStatus, NetBufferList } from '../../src/ndis/index.js';
import { finishChecksum, onesComplementSum, updateChecksum16 } from '../../src/wire/checksum.js';

function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}

/** Where the transport header of an untagged IPv4/IPv6 frame is: [offset, protocol], or null. */
function transport(b: Uint8Array, f: number, len: number): [number, number] | null {
  const type = get16(b, f + 12);
  if (type === 0x0800 && len >= 34) return [14 + (b[f + 14]! & 0x0f) * 4, b[f + 23]!];
  if (type === 0x86dd && len >= 54) return [54, b[f + 20]!];
  return null;
}

function pseudo(b: Uint8Array, f: number, proto: number, length: number): number {
  const v4 = get16(b, f + 12) === 0x0800;
  return proto + length + (v4 ? onesComplementSum(b, f + 26, 8) : onesComplementSum(b, f + 22, 32));
}

function breakFrame(mode: string, b: Uint8Array, f: number, len: number): void {
  const t = transport(b, f, len);
  if (t === null) return;
  const [l4, proto] = t;
  if (mode === 'psh' && proto === 6 && l4 + 20 <= len) {
    const before = get16(b, f + l4 + 12);
    b[f + l4 + 13]! |= 0x08;
    put16(b, f + l4 + 16, updateChecksum16(get16(b, f + l4 + 16), before, get16(b, f + l4 + 12)));
  } else if (mode === 'checksum' && (proto === 6 || proto === 17)) {
    const at = f + l4 + (proto === 6 ? 16 : 6);
    if (at + 2 > f + len) return;
    put16(b, at, 0);
    let c = finishChecksum(onesComplementSum(b, f + l4, len - l4, pseudo(b, f, proto, len - l4)));
    if (c === 0 && proto === 17) c = 0xffff;
    put16(b, at, c);
  }
}

class BrokenOffloadWireAdapter extends VirtualWireAdapter {
  mode = 'psh';

  constructor(ndis: MiniportAdapterHandle) {
    super(ndis);
    // The adapter's receive indications pass through here first (an own property shadowing the
    // handle's method: the handle itself must stay the same object, NDIS knows NBLs' sources by it).
    const indicate = ndis.indicateReceiveNetBufferLists.bind(ndis);
    (ndis as { indicateReceiveNetBufferLists: typeof indicate }).indicateReceiveNetBufferLists = (head: NetBufferList, port: number, n: number, flags: number) => {
      for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) {
        const nb = nbl.firstNetBuffer;
        const m = nb?.currentMdl;
        if (nb && m) breakFrame(this.mode, m.bytes, m.byteOffset + nb.currentMdlOffset, Math.min(nb.dataLength, m.byteCount - nb.currentMdlOffset));
      }
      indicate(head, port, n, flags);
    };
  }

  override initialize(params: MiniportInitParameters): NdisStatus {
    this.mode = params.keywords.readString('Break', 'psh');
    return super.initialize(params);
  }
}

export const brokenOffloadWire = {
  ...virtualWireMiniport,
  name: 'test.broken-offload-wire',
  description: 'tsndis.virtual-wire with an offload rule broken on purpose (Break: psh | checksum)',
  multiProcessor: undefined,
  keywords: { ...virtualWireMiniport.keywords, Break: { type: 'edit', description: 'the rule to break: psh or checksum', default: 'psh' } },
  adapter: BrokenOffloadWireAdapter,
} as const satisfies MiniportDriverCharacteristics;

export default brokenOffloadWire;
