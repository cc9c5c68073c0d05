/**
 * The shared-memory parts of the virtual wire's RSS queues on real threads: a sending thread hashes UDP
 * flows with a port's key and table and copies them into the frame rings of the queues, while the main
 * thread keeps writing new tables (seqlock) and a receiving thread reads every ring. Every frame read is
 * byte-exact, sits in the ring its generation's table names, and each ring's generations and each
 * flow's sequence numbers within a ring never go backwards; nothing is lost except what a full ring
 * refused, which the producer counted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { FrameRing, FrameRingConsumer, FrameRingProducer, frameSlotBytes } from '../../src/drivers/miniport/virtual-wire/frame-ring.js';
import { WireRssPort } from '../../src/drivers/miniport/virtual-wire/rss-queues.js';
import { NDIS_HASH_IPV4, NDIS_HASH_UDP_IPV4, NdisHashFunctionToeplitz, RSS_SETTINGS_DISABLED, type RssSettings } from '../../src/ndis/index.js';
import { MS_KEY } from '../support/rss.js';

test('frame ring: slots keep their bytes, a full ring refuses, positions wrap', () => {
  const ring = FrameRing.create(4, frameSlotBytes(100));
  const p = new FrameRingProducer(ring);
  const c = new FrameRingConsumer(FrameRing.attach(ring.sab));
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 4; i++) {
      const off = p.reserve();
      assert.ok(off >= 0);
      ring.words[off >> 2] = round * 4 + i;
      p.commit();
    }
    assert.equal(p.reserve(), -1, 'full');
    assert.equal(c.available(), 0, 'nothing visible before publish');
    p.publish();
    assert.equal(c.available(), 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(ring.words[c.headOffset >> 2], round * 4 + i);
      c.release();
    }
    c.commit();
  }
  assert.throws(() => FrameRing.attach(new SharedArrayBuffer(256)), /not a frame ring/);
  assert.throws(() => FrameRing.create(3, 64), RangeError);
});

const QUEUES = 3;
const FLOWS = 8;

function settings(gen: number): RssSettings {
  const n = [4, 8, 16, 128][gen % 4]!;
  return {
    ...RSS_SETTINGS_DISABLED,
    enabled: true,
    hashInformation: NDIS_HASH_IPV4 | NDIS_HASH_UDP_IPV4 | NdisHashFunctionToeplitz,
    hashSecretKey: MS_KEY,
    indirectionTable: Array.from({ length: n }, (_, i) => ({ group: 0, number: (i * 7 + gen * 5 + (i >> 2)) % QUEUES })),
  };
}

const THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { shared, role, total, deadline, rssUrl, ringUrl, tables } = workerData;
Promise.all([import(rssUrl), import(ringUrl)]).then(([{ WireRssPort, WireRssProducer }, { FrameRingConsumer }]) => {
  const port = WireRssPort.attach(shared);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const frame = (flow, seq) => {
    const f = new Uint8Array(14 + 20 + 8 + 12);
    f[12] = 0x08; f[14] = 0x45; f[16] = 0; f[17] = 40; f[22] = 64; f[23] = 17;
    f.set([10, 0, flow, 1], 26); f.set([10, 1, 0, 2], 30);
    f[34] = 4; f[35] = flow; f[36] = 0x13; f[37] = 0x88; f[39] = 20;
    new DataView(f.buffer).setUint32(42, flow); new DataView(f.buffer).setUint32(46, seq);
    for (let i = 50; i < f.length; i++) f[i] = (flow * 31 + seq + i) & 0xff;
    return f;
  };
  if (role === 'producer') {
    const p = new WireRssProducer(port, 0);
    const next = new Array(${FLOWS}).fill(0);
    let sent = 0, refused = 0;
    while (sent + refused < total && Date.now() < deadline) {
      p.begin();
      for (let i = 0; i < 16 && sent + refused < total; i++) {
        const flow = (sent + refused + i * 3) % ${FLOWS};
        const f = frame(flow, next[flow]++);
        const q = p.select(f, 0, f.length);
        const at = p.reserve(q);
        if (at < 0) { refused++; continue; }
        p.bytes(q).set(f, at);
        p.commit(q, f.length, 0);
        sent++;
      }
      p.end();
      if ((sent & 255) === 0) Atomics.wait(nap, 0, 0, 0.02);
    }
    parentPort.postMessage({ sent, refused, bad: 0 });
  } else {
    const rings = [];
    for (let q = 0; q < port.queues; q++) rings.push(new FrameRingConsumer(port.ring(0, q)));
    const lastGen = new Array(port.queues).fill(0);
    const lastSeq = Array.from({ length: port.queues }, () => new Array(${FLOWS}).fill(-1));
    let got = 0, bad = 0, fences = 0, enough = false;
    const why = [];
    const fail = (m) => { bad++; if (why.length < 5) why.push(m); };
    while (!enough && Date.now() < deadline) {
      let took = 0;
      for (let q = 0; q < rings.length; q++) {
        const c = rings[q];
        let n = c.available();
        const w = c.ring.words, b = c.ring.bytes;
        while (n-- > 0) {
          const o = c.headOffset, h = o >> 2;
          const kind = w[h], len = w[h + 1], gen = w[h + 2];
          if (gen < lastGen[q]) fail('generation went back in ring ' + q);
          lastGen[q] = gen;
          if (kind === 2) fences++;
          else {
            const f = b.subarray(o + 32, o + 32 + len);
            const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
            const flow = v.getUint32(42), seq = v.getUint32(46);
            for (let i = 50; i < len; i++) if (f[i] !== ((flow * 31 + seq + i) & 0xff)) { fail('torn frame'); break; }
            if (seq <= lastSeq[q][flow]) fail('flow ' + flow + ' went back in ring ' + q);
            lastSeq[q][flow] = seq;
            const table = tables[gen];
            const want = table === undefined ? 0 : table[(w[h + 3] >>> 0) % table.length];
            if (want !== q) fail('frame of generation ' + gen + ' in ring ' + q + ', its table says ' + want);
            got++;
          }
          c.release(); took++;
        }
        c.commit();
      }
      if (took === 0) {
        if (Atomics.load(nap, 0) === 0 && workerData.stop && Atomics.load(new Int32Array(workerData.stop), 0) === 1) enough = true;
        else Atomics.wait(nap, 0, 0, 0.05);
      }
    }
    parentPort.postMessage({ got, bad, fences, why });
  }
});
`;

test('frame rings on threads: a sender hashes and copies while the main thread changes tables; every frame lands whole in its generation\'s queue, in order', async () => {
  const port = WireRssPort.create(QUEUES, 1518, 64);
  const gens = 40;
  // tables[g] is what generation g maps; generation 0 is RSS off (everything to queue 0).
  const tables: (number[] | undefined)[] = [undefined];
  for (let g = 1; g <= gens; g++) tables.push(settings(g).indirectionTable.map((p) => p.number));
  const stop = new SharedArrayBuffer(4);
  const total = 60_000;
  const deadline = Date.now() + 40_000;
  const run = (role: string) =>
    new Promise<{ sent?: number; refused?: number; got?: number; bad: number; fences?: number; why?: string[] }>((resolve, reject) => {
      const rssUrl = new URL('../../src/drivers/miniport/virtual-wire/rss-queues.js', import.meta.url).href;
      const ringUrl = new URL('../../src/drivers/miniport/virtual-wire/frame-ring.js', import.meta.url).href;
      const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { shared: port.shared, role, total, deadline, rssUrl, ringUrl, tables, stop } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const consumer = run('consumer');
  const producer = run('producer');
  let done = false;
  void producer.then(() => {
    done = true;
  });
  for (let g = 1; g <= gens && !done; g++) {
    port.write(settings(g));
    await new Promise((r) => setTimeout(r, 5));
  }
  const p = await producer;
  Atomics.store(new Int32Array(stop), 0, 1);
  const c = await consumer;
  assert.deepEqual(c.why, [], 'no torn, misplaced or reordered frame');
  assert.equal(c.bad, 0);
  assert.equal((p.sent ?? 0) + (p.refused ?? 0), total, 'the sender finished within the deadline');
  assert.equal(c.got, p.sent, 'every frame the sender put in a ring was read');
  const counted = Array.from({ length: QUEUES }, (_, q) => port.queueCounters(q));
  assert.equal(counted.reduce((a, q) => a + q.ringFull, 0), p.refused, 'refusals counted');
  assert.equal(counted.reduce((a, q) => a + q.enqueued, 0), p.sent);
  assert.ok((c.fences ?? 0) > 0, 'the sender fenced its rings on table changes');
});
