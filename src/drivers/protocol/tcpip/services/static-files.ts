/**
 * The http service's request handler: GET and HEAD of files under one directory, with a content type
 * by extension, index.html for directories, and no way out of the root (`..`, encoded or not, and
 * symlinks pointing outside are refused).
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { ServiceCounters } from './index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.pcapng': 'application/octet-stream',
};

function fail(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function staticFiles(rootDir: string, counters: ServiceCounters): RequestListener {
  const root = realpathSync(resolve(rootDir));
  return (req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      fail(res, 405, 'method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      fail(res, 400, 'bad request\n');
      return;
    }
    if (path.includes('\0')) {
      fail(res, 400, 'bad request\n');
      return;
    }
    let file = resolve(join(root, path));
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      file = realpathSync(file);
    } catch {
      fail(res, 404, 'not found\n');
      return;
    }
    if (file !== root && !file.startsWith(root + sep)) {
      fail(res, 404, 'not found\n');
      return;
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      fail(res, 404, 'not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('data', (chunk) => (counters.bytesOut += chunk.length));
    stream.on('error', () => {
      counters.errors++;
      res.destroy();
    });
    stream.pipe(res);
  };
}
