/**
 * `tsndis get <url> --config <file> [--host h] [-o file] [-i] [-m seconds]`: an HTTP GET through a tsndis
 * stack (node:http over tsndis sockets), the body written to stdout or a file (`-o`, as curl). Services
 * the config declares run meanwhile, so one config can hold both the server and the client host. Exits 0
 * for a 2xx answer, 1 otherwise (like curl -f), with the status on stderr. `--timeout` (`-m`, curl's
 * --max-time) bounds the whole request: connecting, sending, the response and its body. On a terminal,
 * stderr shows the body's progress (bytes, share of Content-Length, rate); piped, nothing.
 */
import { createWriteStream } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { TsndisHttpAgent } from '../../drivers/protocol/tcpip/index.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import { numberOption, POSITIVE_SECONDS } from '../options.js';
import { Progress, type ProgressStream } from '../progress.js';
import { addressFamily, pickHost, upTcpIp } from '../tcpip-hosts.js';

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

export async function get(url: string, options: GetOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream & ProgressStream = process.stderr): Promise<number> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usage(`'${url}' is not a URL`);
  }
  if (u.protocol !== 'http:') throw usage(`only http:// URLs are supported (got ${u.protocol})`);
  // --timeout bounds everything from here: bringing the stacks up (IPv6 addresses wait for DAD) counts.
  const deadline = performance.now() + options.timeout * 1000;
  const family = addressFamily(u.hostname);
  const t = await upTcpIp(options.config, { verifier: options.verifier, ...(family === undefined ? {} : { family }), addressTimeoutMs: options.timeout * 1000 });
  let agent: TsndisHttpAgent | null = null;
  try {
    // Inside the try: a bad --host must still shut the stacks down, or the process never exits.
    agent = new TsndisHttpAgent(pickHost(t, options.host).ip.sockets);
    const res = await fetchBounded(u, agent, options, Math.max(0, deadline - performance.now()), out, err);
    if (res.statusCode < 200 || res.statusCode > 299) {
      err.write(`error: ${u.href}: HTTP ${res.statusCode} ${res.statusMessage}\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } finally {
    agent?.destroy();
    await t.shutdown();
  }
}

/**
 * The GET itself, bounded as a whole by what is left of `options.timeout` (`remainingMs`). Node's `req.setTimeout` only starts once the
 * socket has connected and only measures idleness, so an address nobody answers (no ARP reply, the SYN
 * retransmitted for minutes) was never covered; one timer over everything is. When it fires the request
 * and its socket are destroyed (the connection reset) and the error names the phase it was in.
 */
async function fetchBounded(u: URL, agent: TsndisHttpAgent, options: GetOptions, remainingMs: number, out: NodeJS.WritableStream, err: ProgressStream): Promise<{ statusCode: number; statusMessage: string }> {
  let phase = 'connecting';
  let req: ClientRequest | null = null;
  let res: IncomingMessage | null = null;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`${u.href}: no answer within ${options.timeout} s (${phase})`);
      reject(e);
      res?.destroy(e);
      req?.destroy(e);
    }, remainingMs);
  });
  const work = (async () => {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = request(u, { agent, method: 'GET', headers: { 'user-agent': 'tsndis-get' } }, resolve);
      req = r;
      r.on('socket', (socket) => {
        const connected = (): void => {
          phase = 'waiting for the response';
        };
        if ((socket as { connecting?: boolean }).connecting === true) socket.once('connect', connected);
        else connected();
      });
      r.on('error', reject);
      r.end();
    });
    res = response;
    phase = 'receiving the body';
    // On a terminal, the body's progress on stderr (curl's meter); nothing when stderr is piped.
    const length = Number(response.headers['content-length']);
    const progress = new Progress(err, u.href, Number.isFinite(length) ? length : null);
    if (progress.active) response.on('data', (chunk: Buffer) => progress.add(chunk.length));
    response.once('end', () => progress.end());
    response.once('close', () => progress.end());
    if (options.include) {
      out.write(`HTTP/${response.httpVersion} ${response.statusCode ?? 0} ${response.statusMessage ?? ''}\r\n`);
      for (let i = 0; i < response.rawHeaders.length; i += 2) out.write(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}\r\n`);
      out.write('\r\n');
    }
    if (options.output !== undefined) await pipeline(response, createWriteStream(options.output));
    else
      await new Promise<void>((resolve, reject) => {
        response.on('data', (chunk: Buffer) => out.write(chunk));
        response.on('end', resolve);
        response.on('error', reject);
      });
    return { statusCode: response.statusCode ?? 0, statusMessage: response.statusMessage ?? '' };
  })();
  // After the deadline won, `work` still settles (rejected by the destroy): nothing waits for it.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
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
    .option('-m, --timeout <seconds>', 'give up when the whole request (connect, response, body) takes longer (curl -m)', numberOption(POSITIVE_SECONDS), 10)
    .option('--no-verifier', 'run with the verifier off')
    .action((url: string, opts: GetOptions) => run(() => get(url, opts)));
}
