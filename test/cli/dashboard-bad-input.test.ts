/**
 * The dashboard server treats requests as hostile (no browser needed): bodies that are not JSON, not a
 * request object or too big are refused with a status and a message; connections beyond its cap are
 * closed at once while the ones it serves keep working, and it serves new ones once others leave.
 */
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { test } from 'node:test';
import { createStacks, loadStackConfig } from '../../src/config/index.js';
import { serveDashboard, DASHBOARD_MAX_CONNECTIONS } from '../../src/dashboard/server.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';

const CONFIG = `
wires:
  lab: {}
hosts:
  hostA:
    protocols: [tsndis.raw]
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: lab } }
`;

test('dashboard: malformed, non-object and oversized bodies are refused; connections beyond the cap are closed', { timeout: 60_000 }, async () => {
  const t = await createStacks(await loadStackConfig(writeFixture(fixtureDir(), 'bad.yaml', CONFIG)), { addressTimeoutMs: 0 });
  const dash = await serveDashboard(t, { host: '127.0.0.1', port: 0 });
  const held: Socket[] = [];
  try {
    const base = dash.url.slice(0, dash.url.indexOf('?'));
    const post = (path: string, body: string): Promise<Response> => fetch(`${base}${path}`, { method: 'POST', headers: { 'x-tsndis-token': dash.token, 'content-type': 'application/json' }, body });
    assert.equal((await post('api/control', '{"op":')).status, 400);
    for (const body of ['3', 'null', '[]', '"status"', '{"id":1}']) {
      const r = await post('api/control', body);
      assert.equal(r.status, 400, body);
      assert.match(((await r.json()) as { error: string }).error, /control request/);
    }
    assert.equal((await post('api/control', JSON.stringify({ op: 'status', pad: 'x'.repeat(70_000) }))).status, 413);
    assert.equal((await post('api/capture', '{"adapter":"hostA/eth0","action":"explode"}')).status, 400);
    const bad = (await (await post('api/control', '{"op":"adapter","adapter":5,"action":"pause","id":7}')).json()) as { ok: boolean; error: string; id: number };
    assert.deepEqual(bad, { ok: false, error: 'adapter: "adapter" must be a string, not number', id: 7 });

    // Fill every connection slot, and 10 more: the extra ones are closed by the server.
    const port = Number(new URL(base).port);
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = createConnection(port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    for (let i = 0; i < DASHBOARD_MAX_CONNECTIONS; i++) held.push(await open());
    const extra = await Promise.all(Array.from({ length: 10 }, open));
    const closedSoon = (s: Socket): Promise<boolean> =>
      new Promise((r) => {
        if (s.destroyed) return r(true);
        const t = setTimeout(() => r(false), 5000);
        s.once('close', () => {
          clearTimeout(t);
          r(true);
        });
      });
    const closed = await Promise.all(extra.map(closedSoon));
    assert.deepEqual(closed, extra.map(() => true), 'connections beyond the cap are closed');
    for (const s of held.splice(0, 5)) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const r = await fetch(`${base}api/snapshot`, { headers: { 'x-tsndis-token': dash.token } });
    assert.equal(r.status, 200, 'served again once others left');
  } finally {
    for (const s of held) s.destroy();
    await dash.close();
    await t.close();
  }
});
