/**
 * The verifier's timed data rules, checked by a periodic scan of allocated NBLs (never per packet):
 * NdisTimedDataSend (a miniport holds a send too long), NdisFilterTimedDataSend / …Receive (a filter holds
 * an NBL too long) and NdisTimedDataHang (sends pending and none completing). Every handoff into a
 * miniport or filter is timestamped when the verifier is on; Infinity marks an NBL already reported.
 */
import { FilterBlock } from './filter-block.js';
import { MiniportBlock } from './miniport-block.js';
import { OpenBlock } from './open-block.js';
import type { NdisRuntime } from './runtime.js';

export function scanTimedRules(rt: NdisRuntime): void {
  const now = rt.scheduler.now();
  const L = rt.verifier.limits;
  for (const pool of rt.pools) {
    if (!('forEachAllocated' in pool)) continue;
    pool.forEachAllocated((nbl) => {
      const owner = rt.blockById(nbl.ndisOwner);
      // Every handoff into a miniport or filter is stamped (0 is a valid time on a manual clock);
      // Infinity marks an NBL already reported.
      if (owner === undefined || !Number.isFinite(nbl.ndisStamp)) return;
      const src = nbl.sourceHandle;
      const age = now - nbl.ndisStamp;
      if (owner instanceof MiniportBlock && src !== owner && age > L.dataSendMs) {
        owner.report('NdisTimedDataSend', `send NBL ${pool.name}#${nbl.slot} not completed after ${Math.round(age)} ms`);
        nbl.ndisStamp = Infinity;
      } else if (owner instanceof FilterBlock && src !== owner) {
        const fromAbove = src instanceof OpenBlock || (src instanceof FilterBlock && src.level > owner.level);
        const limit = fromAbove ? L.filterDataSendMs : L.filterDataReceiveMs;
        if (age > limit) {
          owner.report(fromAbove ? 'NdisFilterTimedDataSend' : 'NdisFilterTimedDataReceive', `held NBL ${pool.name}#${nbl.slot} for ${Math.round(age)} ms`);
          nbl.ndisStamp = Infinity;
        }
      }
    });
  }
  for (const mb of rt.adapters.values()) {
    if (mb.sendsOutstanding > 0 && !mb.hangReported && now - mb.sendsPendingSince > L.dataHangMs) {
      mb.hangReported = true;
      mb.report('NdisTimedDataHang', `${mb.sendsOutstanding} send(s) pending and none completed for ${Math.round(now - mb.sendsPendingSince)} ms`);
    }
  }
}
