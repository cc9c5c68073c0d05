/**
 * Progress of a long-running command on a terminal: one line rewritten in place (`\r`), at most five
 * times a second, erased when the work ends. On anything that is not a TTY (a pipe, a file, a test's
 * stream) it writes nothing, so piped output and logs stay clean.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

const INTERVAL_MS = 200;

/** One line of a terminal, rewritten in place and erased at the end; a stream that is not a TTY gets nothing. */
class TtyLine {
  readonly #stream: ProgressStream;
  #shown = false;

  constructor(stream: ProgressStream) {
    this.#stream = stream;
  }

  get active(): boolean {
    return this.#stream.isTTY === true;
  }

  draw(text: string): void {
    if (!this.active) return;
    const width = this.#stream.columns ?? 80;
    this.#stream.write(`\r${text.length > width - 1 ? text.slice(0, width - 1) : text}\x1b[K`);
    this.#shown = true;
  }

  erase(): void {
    if (this.#shown) this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }
}

/** 1536 → '1.5 KiB'. */
export function byteSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let x = n;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${u === 0 ? String(x) : x.toFixed(1)} ${units[u]}`;
}

export class Progress {
  readonly #line: TtyLine;
  readonly #label: string;
  readonly #total: number | null;
  readonly #now: () => number;
  readonly #start: number;
  #done = 0;
  #last = 0;

  constructor(stream: ProgressStream, label: string, total: number | null = null, now: () => number = () => performance.now()) {
    this.#line = new TtyLine(stream);
    this.#label = label;
    this.#total = total !== null && Number.isFinite(total) && total > 0 ? total : null;
    this.#now = now;
    this.#start = now();
  }

  get active(): boolean {
    return this.#line.active;
  }

  /** `n` more bytes done; redraws when the last draw is old enough. */
  add(n: number): void {
    this.#done += n;
    if (!this.active) return;
    const t = this.#now();
    if (t - this.#last < INTERVAL_MS) return;
    this.#last = t;
    const seconds = Math.max(0.001, (t - this.#start) / 1000);
    const rate = `${byteSize(Math.round(this.#done / seconds))}/s`;
    const of = this.#total === null ? byteSize(this.#done) : `${byteSize(this.#done)} of ${byteSize(this.#total)} (${Math.min(100, Math.floor((100 * this.#done) / this.#total))} %)`;
    this.#line.draw(`${this.#label}: ${of}, ${rate}`);
  }

  /** Erases the line (the command's own output follows on a clean line). */
  end(): void {
    this.#line.erase();
  }
}

/**
 * What a long run is doing now, on one line of a terminal (`npm run bench`: "bench 3/9: TAP rows, 42 s"):
 * rewritten in place on every step, erased at the end; nothing at all on a stream that is not a TTY.
 */
export class StatusLine {
  readonly #line: TtyLine;
  readonly #label: string;
  readonly #steps: number;
  readonly #now: () => number;
  readonly #start: number;
  #step = 0;

  constructor(stream: ProgressStream, label: string, steps: number, now: () => number = () => performance.now()) {
    this.#line = new TtyLine(stream);
    this.#label = label;
    this.#steps = steps;
    this.#now = now;
    this.#start = now();
  }

  /** The next step begins: `what` it is. */
  next(what: string): void {
    this.#step = Math.min(this.#steps, this.#step + 1);
    if (!this.#line.active) return;
    this.#line.draw(`${this.#label} ${this.#step}/${this.#steps}: ${what}, ${Math.round((this.#now() - this.#start) / 1000)} s`);
  }

  end(): void {
    this.#line.erase();
  }
}
