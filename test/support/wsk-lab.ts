/**
 * Two WSK providers joined by a simulated link (tcp-link.ts), for socket tests. The providers' engines
 * go away with the test file, as a stack does at shutdown: what a test leaves open (a listener, a
 * connection stopped mid-close by the end of fake time) stops holding the process then, as
 * `BuiltStacks.shutdown()` makes it.
 */
import { after } from 'node:test';
import { WskProvider } from '../../src/drivers/protocol/tcpip/socket/index.js';
import { TcpLink, type LinkOptions } from './tcp-link.js';

const providers: WskProvider[] = [];
after(() => {
  for (const p of providers) p.holds.releaseAll();
});

/** Two providers joined by a simulated link; `pump` moves fake time while letting promises run. */
export function lab(options: LinkOptions = {}): { link: TcpLink; a: WskProvider; b: WskProvider; pump: (until: () => boolean, maxMs?: number) => Promise<boolean> } {
  const link = new TcpLink({ trace: false, ...options });
  const a = new WskProvider(link.a.layer);
  const b = new WskProvider(link.b.layer);
  providers.push(a, b);
  const pump = async (until: () => boolean, maxMs = 60_000): Promise<boolean> => {
    const end = link.scheduler.now() + maxMs;
    for (;;) {
      // Let promise callbacks and stream machinery (nextTick, microtasks, setImmediate) run.
      await new Promise((r) => setImmediate(r));
      if (until()) return true;
      if (link.scheduler.now() >= end) return false;
      link.run(1);
    }
  };
  return { link, a, b, pump };
}
