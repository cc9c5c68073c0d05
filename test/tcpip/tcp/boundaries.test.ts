/**
 * The TCP engine's own layering (docs/tcpip.md): it imports only its folder and src/wire — nothing of
 * the IP layer being written next to it, no NDIS, no packages, no Node built-ins — so it runs (and is
 * tested) anywhere with a host and a clock.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../src');
const dir = join(src, 'drivers/protocol/tcpip/tcp');

test('tcp engine: imports only ./ and src/wire, no packages or built-ins', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 15);
  const bad: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) {
        bad.push(`${f} imports ${spec}`);
        continue;
      }
      const target = relative(src, resolve(dir, spec));
      if (!target.startsWith('drivers/protocol/tcpip/tcp/') && !target.startsWith('wire/')) bad.push(`${f} imports ${target}`);
    }
    if (/\b(setTimeout|setImmediate|Date\.now|performance\.now|process\.|Buffer\b)/.test(text)) bad.push(`${f} uses a host facility directly`);
  }
  assert.deepEqual(bad, []);
});
