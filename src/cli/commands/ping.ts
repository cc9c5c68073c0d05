/**
 * `tsndis ping <address> --config <file> [--host h] [-c count] [-s size] [-i interval] [-W timeout]`:
 * ICMP/ICMPv6 echo through a tsndis stack, printed like ping(8), whose short options it keeps: so here
 * `-c` is the count and `--config` has no short form. Exits 0 when at least one reply came back, 1
 * otherwise.
 */
import type { Command } from 'commander';
import type { SocketErrorCode } from '../../drivers/protocol/tcpip/index.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import { MAX_SECONDS, numberOption, POSITIVE_SECONDS } from '../options.js';
import { addressFamily, pickHost, upTcpIp } from '../tcpip-hosts.js';

export interface PingOptions {
  config: string;
  host?: string;
  count: number;
  size: number;
  interval: number;
  timeout: number;
  verifier: boolean;
}

/** How iputils ping words the errors a request can get instead of a reply. */
const ERROR_TEXT: Partial<Record<SocketErrorCode, string>> = {
  EHOSTUNREACH: 'Destination Host Unreachable',
  ENETUNREACH: 'Destination Net Unreachable',
  ECONNREFUSED: 'Destination Port Unreachable',
  EPROTO: 'Destination Protocol Unreachable',
  EMSGSIZE: 'Frag needed',
  EACCES: 'Packet filtered',
};

/** The largest ICMP payload in one IPv4 datagram: 65535 - 20 (IPv4 header) - 8 (ICMP header). */
const MAX_SIZE = 65_507;

export async function ping(address: string, options: PingOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { count, size } = options;
  const family = addressFamily(address);
  const t = await upTcpIp(options.config, { verifier: options.verifier, ...(family === undefined ? {} : { family }) });
  try {
    const { host, ip } = pickHost(t, options.host);
    out.write(`PING ${address} from ${host}: ${size} data bytes\n`);
    const r = await ip.stack.ping(address, { count, size, intervalMs: options.interval * 1000, timeoutMs: options.timeout * 1000 });
    let errors = 0;
    r.rttMs.forEach((rtt, i) => {
      const error = r.errors[i] ?? null;
      if (rtt !== null) out.write(`${size + 8} bytes from ${r.address}: icmp_seq=${i + 1} time=${rtt.toFixed(3)} ms\n`);
      else if (error !== null) {
        errors++;
        out.write(`icmp_seq=${i + 1} ${ERROR_TEXT[error] ?? error} (${error})\n`);
      } else out.write(`no reply from ${r.address}: icmp_seq=${i + 1}\n`);
    });
    const got = r.rttMs.filter((x): x is number => x !== null);
    out.write(`\n--- ${address} ping statistics ---\n`);
    const loss = (((r.transmitted - r.received) / Math.max(1, r.transmitted)) * 100).toFixed(0);
    out.write(`${r.transmitted} packets transmitted, ${r.received} received, ${errors > 0 ? `+${errors} errors, ` : ''}${loss}% packet loss\n`);
    if (got.length > 0) {
      const avg = got.reduce((a, b) => a + b, 0) / got.length;
      out.write(`rtt min/avg/max = ${Math.min(...got).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...got).toFixed(3)} ms\n`);
    }
    return r.received > 0 ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await t.shutdown();
  }
}

export function registerPingCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('ping')
    .description('send ICMP/ICMPv6 echo requests through a tsndis stack (services in the config run meanwhile)')
    .argument('<address>', 'IPv4 or IPv6 address (fe80::…%eth0 for link-local)')
    .requiredOption('--config <file>', 'stack config (YAML); no -c here: -c is the count, as in ping(8)')
    .option('--host <name>', 'host to ping from (default: the only, or first client, host with tsndis.tcpip)')
    .option('-c, --count <n>', 'echo requests to send', numberOption({ integer: true, min: 1, max: 1_000_000 }), 4)
    .option('-s, --size <bytes>', 'payload bytes per request', numberOption({ integer: true, min: 0, max: MAX_SIZE }), 56)
    .option('-i, --interval <seconds>', 'seconds between requests', numberOption({ min: 0.001, max: MAX_SECONDS }), 0.2)
    .option('-W, --timeout <seconds>', 'seconds to wait for each reply', numberOption(POSITIVE_SECONDS), 1)
    .option('--no-verifier', 'run with the verifier off')
    .action((address: string, opts: PingOptions) => run(() => ping(address, opts)));
}
