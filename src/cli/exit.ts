/**
 * How the CLI ends: exit codes and the one-line error report on stderr.
 *
 *   0  success
 *   1  the operation failed (runtime error, verifier violations where a command treats them as failure)
 *   2  bad input: an invalid config file (ConfigError) or CLI misuse (unknown option, bad argument)
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Writes `error: <message>` to stderr and returns the exit code for `e`. */
export function reportError(e: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  stderr.write(`error: ${msg}\n`);
  return code === 'TSNDIS_CONFIG_INVALID' ? EXIT_USAGE : EXIT_FAILURE;
}

/** An error the CLI reports with exit 2 (CLI misuse), like a ConfigError. */
export function usageError(message: string): Error {
  return Object.assign(new Error(message), { code: 'TSNDIS_CONFIG_INVALID' as const });
}
