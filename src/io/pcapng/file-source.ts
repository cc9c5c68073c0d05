/**
 * A capture file read in chunks without blocking the event loop: one `fs.read` at a time into a
 * reusable chunk buffer, pushed into a CaptureReader, with read-ahead bounded by `readAheadBytes` (plus
 * one block the reader needs whole). The consumer pulls records synchronously with `next`; when the
 * reader needs more bytes a read is started and `onReadable` is called when it completed (data, end of
 * file or an I/O error), so a driver can queue its DPC and pull again.
 *
 * `rewind` starts over from byte 0 (replay loops); a read still in flight is ignored when it completes.
 * Opening is synchronous (so a missing file fails the caller's initialization); reading never is.
 */
import { close as fsClose, closeSync, fstatSync, openSync, read as fsRead, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BLOCK_TYPE_SECTION_HEADER, BYTE_ORDER_MAGIC, PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from './format.js';
import { CaptureReader, ReadStatus, type CaptureReaderOptions, type CaptureRecord } from './reader.js';

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Why `path` cannot be replayed as a capture file, or null when it starts like one: it must exist, be a
 * regular file that can be read, and begin with a pcap magic number (either byte order, micro- or
 * nanosecond) or a pcapng section header block with a valid byte-order magic. Only the first 12 bytes
 * are read (a file that is corrupt further on is found, and counted, while it is replayed).
 */
export function captureFileProblem(path: string): string | null {
  const where = isAbsolute(path) ? path : `${path} (relative to the current directory, ${resolve(path)})`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT') return `${where}: no such file`;
    if (code === 'EACCES' || code === 'EPERM') return `${where}: permission denied`;
    return `${where}: cannot open it (${e instanceof Error ? e.message : String(e)})`;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return `${where} is a directory, not a pcap or pcapng file`;
    const head = new Uint8Array(12);
    let n: number;
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } catch (e) {
      return `${where}: cannot read it (${e instanceof Error ? e.message : String(e)})`;
    }
    if (n === 0) return `${where} is empty, not a pcap or pcapng file`;
    if (n < 4) return `${where} is not a pcap or pcapng file (only ${n} byte${n === 1 ? '' : 's'} long)`;
    const view = new DataView(head.buffer, 0, n);
    const le = view.getUint32(0, true);
    const be = view.getUint32(0, false);
    if (le === PCAP_MAGIC_MICROSECONDS || le === PCAP_MAGIC_NANOSECONDS || be === PCAP_MAGIC_MICROSECONDS || be === PCAP_MAGIC_NANOSECONDS) return null;
    if (le === BLOCK_TYPE_SECTION_HEADER) {
      if (n >= 12 && (view.getUint32(8, true) === BYTE_ORDER_MAGIC || view.getUint32(8, false) === BYTE_ORDER_MAGIC)) return null;
      return `${where} starts with a pcapng section header block whose byte-order magic is missing or invalid`;
    }
    return `${where} is not a pcap or pcapng file (it starts with ${hex(head.subarray(0, 4))}, neither a pcap magic number nor a pcapng section header block)`;
  } finally {
    closeSync(fd);
  }
}

export interface CaptureFileSourceOptions extends CaptureReaderOptions {
  /** Bytes per read (default 64 KiB). */
  readonly chunkBytes?: number;
  /** Read ahead while fewer bytes than this are buffered (default 256 KiB). */
  readonly readAheadBytes?: number;
}

export type CaptureFileSourceOpenResult =
  | { readonly ok: true; readonly source: CaptureFileSource }
  | { readonly ok: false; readonly code: string; readonly message: string };

export class CaptureFileSource {
  readonly path: string;
  readonly reader: CaptureReader;
  /** Called (outside any `next` call) when a read completed, the file ended or reading failed. */
  onReadable: (() => void) | null = null;
  /** The I/O error that ended reading, if any (the reader then reports 'truncated' or ends). */
  ioError: string | null = null;
  readonly #chunk: Uint8Array;
  readonly #readAhead: number;
  #fd: number;
  #position = 0;
  #reading = false;
  #eof = false;
  #closed = false;
  #generation = 0;
  #readGeneration = 0;

  private constructor(path: string, fd: number, options: CaptureFileSourceOptions) {
    this.path = path;
    this.#fd = fd;
    this.reader = new CaptureReader(options);
    this.#chunk = new Uint8Array(options.chunkBytes ?? 64 * 1024);
    this.#readAhead = options.readAheadBytes ?? 256 * 1024;
  }

  static open(path: string, options: CaptureFileSourceOptions = {}): CaptureFileSourceOpenResult {
    try {
      return { ok: true, source: new CaptureFileSource(path, openSync(path, 'r'), options) };
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
      return { ok: false, code, message: `cannot open ${path}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Bytes read from the file so far in this pass. */
  get bytesRead(): number {
    return this.#position;
  }

  /** The next record (see CaptureReader.next); starts a read when more bytes are needed or read-ahead is low. */
  next(out: CaptureRecord): ReadStatus {
    const st = this.reader.next(out);
    if (st === ReadStatus.NeedMore || (st === ReadStatus.Record && this.reader.buffered < this.#readAhead)) this.#fill();
    return st;
  }

  /** Starts reading the file again from its first byte. */
  rewind(): void {
    this.#generation++;
    this.#position = 0;
    this.#eof = false;
    this.ioError = null;
    this.reader.reset();
    this.#fill();
  }

  /** Closes the file (after a read in flight completes). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onReadable = null;
    if (!this.#reading) this.#closeFd();
  }

  /** Starts one read unless one is running, the file ended or enough is buffered for a record. */
  #fill(): void {
    if (this.#reading || this.#eof || this.#closed) return;
    this.#reading = true;
    this.#readGeneration = this.#generation;
    fsRead(this.#fd, this.#chunk, 0, this.#chunk.length, this.#position, this.#onRead);
  }

  readonly #onRead = (err: NodeJS.ErrnoException | null, n: number): void => {
    this.#reading = false;
    if (this.#closed) {
      this.#closeFd();
      return;
    }
    if (this.#readGeneration !== this.#generation) {
      this.#fill(); // rewound while this read was in flight
      return;
    }
    if (err !== null) {
      this.ioError = `${err.code ?? 'EIO'}: ${err.message}`;
      this.#eof = true;
      this.reader.end();
    } else if (n === 0) {
      this.#eof = true;
      this.reader.end();
    } else {
      this.reader.push(this.#chunk, 0, n);
      this.#position += n;
      if (this.reader.buffered < this.#readAhead) this.#fill();
    }
    this.onReadable?.();
  };

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = -1;
    if (fd >= 0) fsClose(fd, () => {});
  }
}
