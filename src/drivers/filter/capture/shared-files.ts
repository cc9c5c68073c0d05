/**
 * One pcapng file per output path, shared by every capture module writing to it: a monitoring filter
 * has a module above the miniport and above each modifying filter of an adapter, and they all record
 * into the adapter's one file, each as its own interface. Reference-counted: the file closes when the
 * last module detaches.
 */
import { resolve } from 'node:path';
import { CaptureFile, type CaptureFileOptions } from '../../../io/pcapng/index.js';

interface Entry {
  readonly file: CaptureFile;
  refs: number;
}

const files = new Map<string, Entry>();
const closing = new Set<Promise<void>>();

export type AcquireResult = { readonly ok: true; readonly file: CaptureFile } | { readonly ok: false; readonly message: string };

/** The file for `options.basePath` (opened on first use; later users get the same file and its settings). */
export function acquireCaptureFile(options: CaptureFileOptions): AcquireResult {
  const key = resolve(options.basePath);
  const existing = files.get(key);
  if (existing !== undefined) {
    existing.refs++;
    return { ok: true, file: existing.file };
  }
  const r = CaptureFile.open({ ...options, basePath: key });
  if (!r.ok) return { ok: false, message: r.message };
  files.set(key, { file: r.file, refs: 1 });
  return { ok: true, file: r.file };
}

/** Drops one reference; the last one closes the file (asynchronously: see `captureFilesClosed`). */
export function releaseCaptureFile(file: CaptureFile): void {
  const key = file.options.basePath;
  const e = files.get(key);
  if (e === undefined || e.file !== file) return;
  if (--e.refs > 0) return;
  files.delete(key);
  const p = file.close().finally(() => closing.delete(p));
  closing.add(p);
}

/** Resolves when every file whose last module detached is closed (tests, CLI shutdown). */
export async function captureFilesClosed(): Promise<void> {
  while (closing.size > 0) await Promise.all([...closing]);
}
