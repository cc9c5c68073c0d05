/**
 * The baseline every data-path figure is divided by, measured in the same run: the same 64-byte frames
 * passed through four plain function calls (protocol → filter → filter → miniport), in batches, with a
 * counter at the end. It is what moving a frame through four JavaScript layers costs with no NDIS at all.
 */
export interface BaselineResult {
  batch: number;
  frames: number;
  seconds: number;
  framesPerSecond: number;
}

let sink = 0;
function miniport(frames: Uint8Array[], n: number): void {
  for (let i = 0; i < n; i++) sink += frames[i]!.length;
}
function filter2(frames: Uint8Array[], n: number): void {
  miniport(frames, n);
}
function filter1(frames: Uint8Array[], n: number): void {
  filter2(frames, n);
}
function protocol(frames: Uint8Array[], n: number): void {
  filter1(frames, n);
}

export function runBaseline(batch: number, seconds: number): BaselineResult {
  const frames = Array.from({ length: batch }, () => new Uint8Array(64));
  const run = (ms: number): { frames: number; seconds: number } => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      for (let i = 0; i < 4096; i++) {
        if (batch === 1) protocol(frames, 1);
        else protocol(frames, batch);
      }
      n += 4096 * batch;
    }
    return { frames: n, seconds: (performance.now() - start) / 1000 };
  };
  run(200);
  const r = run(seconds * 1000);
  if (sink === -1) console.log(sink);
  return { batch, frames: r.frames, seconds: r.seconds, framesPerSecond: r.frames / r.seconds };
}
