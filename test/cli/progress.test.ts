/**
 * Progress on a terminal (`tsndis get`'s meter, `npm run bench`'s status line): the meter redraws one line at most five times a second with bytes, share and
 * rate, erases it at the end, and writes nothing at all to a stream that is not a TTY. `tsndis get`
 * shows it on a terminal's stderr while the body arrives, and leaves stdout to the body alone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { get } from '../../src/cli/commands/get.js';
import { Progress, StatusLine, byteSize } from '../../src/cli/progress.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';

class Capture extends Writable {
  text = '';
  bytes = 0;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    done();
  }
}

test('progress: redraws at most every 200 ms, shows bytes, share and rate, erases itself; silent when not a TTY', () => {
  let now = 0;
  const tty = new Capture(true);
  const p = new Progress(tty, 'x', 4096, () => now);
  for (let i = 0; i < 40; i++) {
    now += 25;
    p.add(100);
  }
  const draws = tty.text.split('\r').filter((s) => s.startsWith('x:'));
  assert.equal(draws.length, 5, '1 s of updates every 25 ms: five draws');
  assert.equal(draws.at(-1), 'x: 3.9 KiB of 4.0 KiB (97 %), 3.9 KiB/s\x1b[K');
  p.end();
  assert.ok(tty.text.endsWith('\r\x1b[K'));
  const pipe = new Capture(false);
  const q = new Progress(pipe, 'x', null, () => (now += 300));
  for (let i = 0; i < 10; i++) q.add(1000);
  q.end();
  assert.equal(pipe.text, '');
  assert.deepEqual([byteSize(0), byteSize(1023), byteSize(1536), byteSize(5 * 2 ** 30)], ['0 B', '1023 B', '1.5 KiB', '5.0 GiB']);
});

test('status line: step k of n with what runs and the time so far, erased at the end; silent when not a TTY', () => {
  let now = 0;
  const tty = new Capture(true);
  const s = new StatusLine(tty, 'bench', 3, () => now);
  s.next('virtual wire');
  now += 61_400;
  s.next('TAP');
  s.end();
  assert.equal(tty.text, '\rbench 1/3: virtual wire, 0 s\x1b[K\rbench 2/3: TAP, 61 s\x1b[K\r\x1b[K');
  const pipe = new Capture(false);
  const q = new StatusLine(pipe, 'bench', 3, () => now);
  q.next('x');
  q.end();
  assert.equal(pipe.text, '');
});

test('tsndis get: the body goes to stdout whole, the meter to a terminal stderr, nothing to a piped one', { timeout: 60_000 }, async () => {
  const dir = fixtureDir();
  const www = join(dir, 'www');
  mkdirSync(www);
  const body = Buffer.alloc(3 << 20, 7);
  writeFileSync(join(www, 'big.bin'), body);
  const config = writeFixture(
    dir,
    'get.yaml',
    `
wires:
  lan: {}
hosts:
  client:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.12.1/24], IPv6: false } }]
  server:
    services:
      - { service: http, port: 80, root: ${www} }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.12.2/24], IPv6: false } }]
`,
  );
  const options = { config, include: false, timeout: 30, verifier: true };
  for (const tty of [true, false]) {
    const out = new Capture(false);
    const err = new Capture(tty);
    assert.equal(await get('http://198.18.12.2/big.bin', options, out, err), 0, err.text);
    assert.equal(out.bytes, body.length, 'the whole body on stdout');
    if (tty) {
      assert.match(err.text, /\rhttp:\/\/198\.18\.12\.2\/big\.bin: [\d.]+ [KM]iB of 3\.0 MiB \(\d+ %\), [\d.]+ [KMG]?i?B\/s/);
      assert.ok(err.text.endsWith('\r\x1b[K'), 'the meter erased at the end');
    } else {
      assert.equal(err.text, '', 'nothing on a piped stderr');
    }
  }
});
