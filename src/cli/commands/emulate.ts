/**
 * `tsndis emulate --config <file>`: runs a network emulator — a config whose adapters are joined by
 * tsndis.bridge, usually with tsndis.impairment on a member (examples/emulator.yaml) — like `tsndis up`,
 * and prints at every status interval what the emulator did: per bridge its ports, learned addresses,
 * frames forwarded, flooded and dropped (by reason); per impairment filter, each direction's frames
 * offered, passed, lost, duplicated, reordered, corrupted, delayed and held. Stops on Ctrl-C/SIGTERM or
 * after --duration, shutting down in order. A config without a tsndis.bridge binding is refused (exit 2).
 */
import { Option, type Command } from 'commander';
import type { BuiltStacks, StackDescription } from '../../config/index.js';
import type { DirectionStats, ImpairmentFilterModule } from '../../drivers/filter/impairment/index.js';
import type { BridgeProtocol, BridgeTotals } from '../../drivers/protocol/bridge/index.js';
import { ConfigError } from '../../errors.js';
import { LOG_LEVELS } from '../log.js';
import { DURATION, MAX_SECONDS, numberOption } from '../options.js';
import { runStacks, type UpOptions } from './up.js';

const BRIDGE = 'tsndis.bridge';
const IMPAIRMENT = 'tsndis.impairment';

/** Refuses a config in which no adapter binds tsndis.bridge: there would be nothing to emulate. */
export function checkEmulatorConfig(description: StackDescription, file: string): void {
  const bridged = description.hosts.some((h) => h.adapters.some((a) => a.effectiveProtocols.some((p) => p.driver === BRIDGE)));
  if (!bridged) throw new ConfigError(file, 'hosts', `no adapter binds ${BRIDGE}: an emulator joins adapters with it (see examples/emulator.yaml), or run the config with \`tsndis up\``);
}

export function bridgeLine(host: string, t: BridgeTotals): string {
  const drops = Object.entries(t.droppedBy).map(([k, v]) => `${k} ${v}`);
  return `${host} ${t.name}: ${t.ports} ports, ${t.entries} addresses; rx ${t.rxFrames} forwarded ${t.forwarded} flooded ${t.flooded} tx ${t.txFrames}${t.txFailed > 0 ? ` txFailed ${t.txFailed}` : ''} dropped ${t.dropped}${drops.length > 0 ? ` (${drops.join(', ')})` : ''}`;
}

function direction(s: DirectionStats): string {
  const t = s.totals;
  const lost = t.droppedRandom + t.droppedBurst;
  const other = t.droppedQueue + t.droppedNoResources + t.droppedFlushed;
  return `offered ${t.offered} passed ${t.passed} lost ${lost} duplicated ${t.duplicated} reordered ${t.reordered} corrupted ${t.corrupted} delayed ${t.delayed} held ${s.held}${other > 0 ? ` dropped ${other}` : ''}${t.copyFailed > 0 ? ` copyFailed ${t.copyFailed}` : ''}`;
}

/** The emulator's status lines: each bridge's totals, each impairment filter's directions. */
export function emulatorStatus(stacks: BuiltStacks): string[] {
  const lines: string[] = [];
  for (const [name, h] of stacks.hosts) {
    const bridge = h.protocols.get(BRIDGE) as BridgeProtocol | undefined;
    for (const t of bridge?.totals() ?? []) lines.push(bridgeLine(name, t));
    for (const mb of h.runtime.adapters.values()) {
      for (const f of mb.filters) {
        if (f.driver.name !== IMPAIRMENT || f.instance === null) continue;
        const m = f.instance as ImpairmentFilterModule;
        lines.push(`${mb.name} ${IMPAIRMENT}: send ${direction(m.stats('send'))}`);
        lines.push(`${mb.name} ${IMPAIRMENT}: receive ${direction(m.stats('receive'))}`);
      }
    }
  }
  return lines;
}

export function emulate(options: UpOptions, out: NodeJS.WritableStream = process.stdout, signals: NodeJS.EventEmitter = process, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return runStacks(options, { name: 'tsndis emulate', check: checkEmulatorConfig, status: emulatorStatus }, out, signals, err);
}

export function registerEmulateCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('emulate')
    .description('run a network emulator (adapters joined by tsndis.bridge, impaired by tsndis.impairment) until Ctrl-C, printing its counters')
    .requiredOption('-c, --config <file>', 'stack config (YAML) binding tsndis.bridge, e.g. examples/emulator.yaml')
    .option('--no-verifier', 'run with the verifier off (overrides the config)')
    .option('--control <socket>', 'serve a control channel (JSON lines) on this Unix socket, e.g. for tsndis stack show --attach')
    .option('--status-interval <seconds>', 'seconds between status lines (at least 0.1)', numberOption({ min: 0.1, max: MAX_SECONDS }), 5)
    .option('--duration <seconds>', 'stop after this many seconds (0 = until Ctrl-C)', numberOption(DURATION), 0)
    .addOption(new Option('--log-level <level>', 'log messages from this level up to stderr (rate-limited)').choices(LOG_LEVELS).default('warn'))
    .action((opts: UpOptions) => run(() => emulate(opts)));
}
