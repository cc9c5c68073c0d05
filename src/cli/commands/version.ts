/** `tsndis version`: the package version (from package.json) and the Node.js it runs on. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { EXIT_OK } from '../exit.js';

/** The version in the nearest package.json named tsndis above this file, or '0.0.0'. */
export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'tsndis' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

export function registerVersionCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('version')
    .description('print the tsndis version')
    .action(() =>
      run(async () => {
        process.stdout.write(`tsndis ${packageVersion()} (node ${process.version})\n`);
        return EXIT_OK;
      }),
    );
}
