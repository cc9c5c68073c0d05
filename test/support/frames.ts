/**
 * Frame builders for interop tests: Ethernet, ARP, IPv4, ICMP echo and UDP with correct checksums, so
 * the Linux kernel accepts what tsndis sends. Byte layouts follow the RFCs; every field is written.
 */
export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

export function ip4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map((d) => Number(d)));
}

export function checksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) % 2 === 1) sum += b[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ethernet(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  f.set(payload, 14);
  return f;
}

/** ARP for IPv4 over Ethernet; op 1 = request, 2 = reply. */
export function arp(op: number, sha: Uint8Array, spa: Uint8Array, tha: Uint8Array, tpa: Uint8Array): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0, 1, 0x08, 0x00, 6, 4, 0, op]);
  a.set(sha, 8);
  a.set(spa, 14);
  a.set(tha, 18);
  a.set(tpa, 24);
  return a;
}

export function ipv4(src: Uint8Array, dst: Uint8Array, protocol: number, payload: Uint8Array, id = 0x1234, ttl = 64): Uint8Array {
  const h = new Uint8Array(20 + payload.length);
  const total = h.length;
  h.set([0x45, 0, total >> 8, total & 0xff, id >> 8, id & 0xff, 0x40, 0, ttl, protocol, 0, 0]);
  h.set(src, 12);
  h.set(dst, 16);
  const c = checksum(h, 0, 20);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  h.set(payload, 20);
  return h;
}

export function icmpEcho(type: number, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m.set([type, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff]);
  m.set(data, 8);
  const c = checksum(m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

export function udp(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const u = new Uint8Array(len);
  u.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0]);
  u.set(data, 8);
  const pseudo = new Uint8Array(12 + len);
  pseudo.set(src, 0);
  pseudo.set(dst, 4);
  pseudo.set([0, 17, len >> 8, len & 0xff], 8);
  pseudo.set(u, 12);
  const c = checksum(pseudo) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
