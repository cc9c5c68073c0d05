/**
 * The CLI's logger: what the runtime and its drivers log (already rate-limited by the runtime, see
 * core/runtime/log-limit.ts) goes to stderr, one line per message — ISO time, level, source, message —
 * from a minimum level up. Newlines in a message are escaped so one message stays one line.
 */
import type { LogLevel, Logger } from '../core/runtime/runtime.js';

/** Most severe first, as `--log-level` lists them. */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export function stderrLogger(min: LogLevel, out: NodeJS.WritableStream = process.stderr, clock: () => Date = () => new Date()): Logger {
  const max = LOG_LEVELS.indexOf(min);
  return (level, source, message) => {
    if (LOG_LEVELS.indexOf(level) > max) return;
    out.write(`${clock().toISOString()} ${level.padEnd(5)} ${source}: ${message.replace(/\r?\n/g, '\\n')}\n`);
  };
}
