/**
 * UvPoll (ReaderMode 'uv'): a libuv poll watcher on Node's own loop, made through koffi. Checked on a
 * non-blocking pipe — no root needed: it fires only when the fd is readable, once per start (the owner
 * re-arms), never after stop, and close releases it through libuv's close callback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { libc } from '../../../src/io/tun/libc.js';
import { UvPoll, uvPollAvailable } from '../../../src/io/tun/uv-poll.js';

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setTimeout(r, 2));
};

test('UvPoll: fires on readability only, once per start, not after stop; close runs its callback', async (t) => {
  if (!uvPollAvailable()) {
    t.skip('koffi cannot reach libuv in this process');
    return;
  }
  const c = libc();
  const fds = new Int32Array(2);
  assert.equal(c.pipe(fds), 0);
  const [rd, wr] = [fds[0]!, fds[1]!];
  const events: number[] = [];
  const poll = new UvPoll(rd, (status) => events.push(status));
  try {
    poll.start();
    await turns(5);
    assert.deepEqual(events, [], 'nothing to read: no event');
    const byte = new Uint8Array([7]);
    assert.equal(c.write(wr, byte, 1), 1);
    await turns(5);
    assert.deepEqual(events, [0], 'one event: the watcher stops itself before calling back');
    assert.equal(poll.started, false);
    // Still readable (nothing was read): a new start fires again at once.
    poll.start();
    await turns(3);
    assert.deepEqual(events, [0, 0]);
    const buf = new Uint8Array(8);
    assert.equal(c.read(rd, buf, 8), 1);
    // Stopped watchers stay quiet whatever arrives.
    poll.start();
    poll.stop();
    assert.equal(c.write(wr, byte, 1), 1);
    await turns(5);
    assert.deepEqual(events, [0, 0]);
  } finally {
    await new Promise<void>((resolve) => poll.close(resolve));
    c.close(rd);
    c.close(wr);
  }
  // Closing twice is harmless and still calls back.
  await new Promise<void>((resolve) => poll.close(resolve));
});

test('UvPoll: an fd libuv cannot poll is a clear error, not a crash', (t) => {
  if (!uvPollAvailable()) {
    t.skip('koffi cannot reach libuv in this process');
    return;
  }
  assert.throws(() => new UvPoll(-1, () => undefined), /uv_poll_init\(fd -1\)/);
});
