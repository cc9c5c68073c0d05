/**
 * tsndis.monitor: a monitoring filter. It never modifies, drops or originates anything; it watches the
 * frames passing its position and counts them by EtherType. As a monitoring filter NDIS attaches one
 * module directly above the miniport and one above each modifying filter module, so comparing the
 * modules' counts shows what each modifying filter did.
 */
import { NDIS_RECEIVE_FLAGS_RESOURCES, NdisMedium802_3, type FilterDriverCharacteristics, type NetBuffer, type NetBufferList } from '../../../ndis/index.js';
import { PassThroughFilterModule } from '../passthrough/module.js';

export class EtherTypeCounters {
  ipv4 = 0;
  ipv6 = 0;
  arp = 0;
  vlan = 0;
  other = 0;
  runt = 0;
}

function etherType(nb: NetBuffer): number {
  if (nb.dataLength < 14) return -1;
  return (nb.byteAt(12) << 8) | nb.byteAt(13);
}

function count(c: EtherTypeCounters, nbls: NetBufferList): void {
  for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
    for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
      const t = etherType(nb);
      if (t === 0x0800) c.ipv4++;
      else if (t === 0x86dd) c.ipv6++;
      else if (t === 0x0806) c.arp++;
      else if (t === 0x8100) c.vlan++;
      else if (t < 0) c.runt++;
      else c.other++;
    }
  }
}

export class MonitorFilterModule extends PassThroughFilterModule {
  readonly sent = new EtherTypeCounters();
  readonly received = new EtherTypeCounters();

  override sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    if (this.ndis.state === 'Running') count(this.sent, nbls);
    super.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  override receiveNetBufferLists(nbls: NetBufferList, portNumber: number, n: number, receiveFlags: number): void {
    if (this.ndis.state === 'Running' || (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) count(this.received, nbls);
    super.receiveNetBufferLists(nbls, portNumber, n, receiveFlags);
  }

  inspect(): Record<string, unknown> {
    return { sent: { ...this.sent }, received: { ...this.received } };
  }
}

export const monitorFilter = {
  kind: 'filter',
  name: 'tsndis.monitor',
  friendlyName: 'tsndis monitoring filter',
  ndisVersion: { major: 6, minor: 30 },
  filterType: 'monitoring',
  runType: 'optional',
  filterClass: 'diagnostic',
  mediaTypes: [NdisMedium802_3],
  module: MonitorFilterModule,
} as const satisfies FilterDriverCharacteristics;
