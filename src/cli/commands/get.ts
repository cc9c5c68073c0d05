/**
 * `tsndis get <url> --config <file> [--host h] [-o file] [-i]`: an HTTP GET through a tsndis stack
 * (node:http over tsndis sockets), the body written to stdout or a file. Services the config declares
 * run meanwhile, so one config can hold both the server and the client host. Exits 0 for a 2xx
 * answer, 1 otherwise (like curl -f), with the status on stderr.
 */
import { createWriteStream } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { TsndisHttpAgent } from '../../drivers/protocol/tcpip/index.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import { pickHost, upTcpIp } from '../tcpip-hosts.js';

export interface GetOptions {
  config: string;
  host?: string;
  output?: string;
  include: boolean;
  timeout: number;
  verifier: boolean;
}

function usage(message: string): Error {
  return Object.assign(new Error(message), { code: 'TSNDIS_CONFIG_INVALID' });
}

export async function get(url: string, options: GetOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usage(`'${url}' is not a URL`);
  }
  if (u.protocol !== 'http:') throw usage(`only http:// URLs are supported (got ${u.protocol})`);
  const t = await upTcpIp(options.config, { verifier: options.verifier });
  const agent = new TsndisHttpAgent(pickHost(t, options.host).ip.sockets);
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(u, { agent, method: 'GET', headers: { 'user-agent': 'tsndis-get' } }, resolve);
      req.setTimeout(options.timeout * 1000, () => req.destroy(new Error(`no answer from ${u.host} within ${options.timeout} s`)));
      req.on('error', reject);
      req.end();
    });
    if (options.include) {
      out.write(`HTTP/${res.httpVersion} ${res.statusCode ?? 0} ${res.statusMessage ?? ''}\r\n`);
      for (let i = 0; i < res.rawHeaders.length; i += 2) out.write(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`);
      out.write('\r\n');
    }
    const status = res.statusCode ?? 0;
    if (options.output !== undefined) await pipeline(res, createWriteStream(options.output));
    else
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => out.write(chunk));
        res.on('end', resolve);
        res.on('error', reject);
      });
    if (status < 200 || status > 299) {
      err.write(`error: ${u.href}: HTTP ${status} ${res.statusMessage ?? ''}\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } finally {
    agent.destroy();
    await t.shutdown();
  }
}

export function registerGetCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('get')
    .description('fetch an http:// URL through a tsndis stack and write the body to stdout (services in the config run meanwhile)')
    .argument('<url>', 'http://<IPv4 or [IPv6] address>[:port]/path')
    .requiredOption('-c, --config <file>', 'stack config (YAML)')
    .option('--host <name>', 'host to fetch from (default: the only, or first client, host with tsndis.tcpip)')
    .option('-o, --output <file>', 'write the body to this file instead of stdout')
    .option('-i, --include', 'print the status line and headers first', false)
    .option('--timeout <seconds>', 'give up when nothing arrives for this long', (v) => Number(v), 10)
    .option('--no-verifier', 'run with the verifier off')
    .action((url: string, opts: GetOptions) => run(() => get(url, opts)));
}
