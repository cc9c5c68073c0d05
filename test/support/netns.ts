/**
 * Linux network namespaces for interop tests (see /work/shared/testing-with-linux.md): create, run
 * commands in, and always tear down. Every name carries a per-run prefix so parallel runs and leftovers
 * never collide, and teardown also runs at setup. Tests call `interopSkipReason()` first and skip with
 * the printed reason when not root, when /dev/net/tun or `ip` is missing.
 *
 * Traffic stays here: only 198.18.0.0/15 addresses (RFC 2544), never a default route, never eth0.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

let serial = 0;

/** A short unique prefix for interface and namespace names (interface names are ≤ 15 characters). */
export function uniqueName(kind: string): string {
  return `nd${process.pid % 1000}${kind}${++serial}`.slice(0, 15);
}

export function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why interop tests cannot run here, or null when they can. */
export function interopSkipReason(...tools: string[]): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const t of ['ip', ...tools]) if (!which(t)) return `needs the '${t}' command (apt-get install ${t === 'ip' ? 'iproute2' : t})`;
  return null;
}

/** Runs a command with a time bound; returns stdout. Throws with stderr on failure. */
export function sh(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
  return execFileSync(cmd, args, { timeout: timeoutMs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Like sh, but never throws (teardown). */
export function shQuiet(cmd: string, args: readonly string[]): void {
  try {
    execFileSync(cmd, args, { timeout: 10_000, stdio: 'ignore' });
  } catch {
    // already gone
  }
}

export class Netns {
  readonly #children = new Set<ChildProcess>();
  private constructor(readonly name: string) {}

  static create(name = uniqueName('ns')): Netns {
    shQuiet('ip', ['netns', 'del', name]);
    sh('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.ip('link', 'set', 'lo', 'up');
    // IPv6 in a fresh namespace sends MLD / RS frames that would disturb frame counts.
    ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    return ns;
  }

  /** `ip -n <ns> …` */
  ip(...args: string[]): string {
    return sh('ip', ['-n', this.name, ...args]);
  }

  /** A command inside the namespace, bounded in time. */
  exec(cmd: string, ...args: string[]): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], 20_000);
  }

  /** A long-running command inside the namespace (killed at destroy). */
  spawn(cmd: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /**
   * A command inside the namespace that does not block the event loop (a tsndis stack in this process
   * must keep answering while it runs; `exec` is synchronous). Resolves with stdout; rejects on a
   * non-zero exit or after `timeoutMs` (the process is killed).
   */
  async run(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<string> {
    const child = this.spawn(cmd, args);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // 'exit' can come before the output pipes are drained ('close'): wait for those too, bounded, or a
    // command that printed and exited 0 may read as having printed nothing.
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const code = await waitExit(child, timeoutMs);
    if (code !== null) await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${String(code)}: ${out}${err}`);
    return out;
  }

  /** Moves a root-namespace interface into this namespace and configures it (after the move: moving resets it). */
  adopt(ifname: string, opts: { mac?: string; address?: string; mtu?: number } = {}): void {
    sh('ip', ['link', 'set', ifname, 'netns', this.name]);
    if (opts.mac !== undefined) this.ip('link', 'set', ifname, 'address', opts.mac);
    if (opts.mtu !== undefined) this.ip('link', 'set', ifname, 'mtu', String(opts.mtu));
    if (opts.address !== undefined) this.ip('addr', 'add', opts.address, 'dev', ifname);
    this.ip('link', 'set', ifname, 'up');
  }

  /** Kills what it started and deletes the namespace (and the devices in it). Idempotent. */
  destroy(): void {
    for (const c of this.#children) c.kill('SIGKILL');
    this.#children.clear();
    // Anything else still running in the namespace (children those processes forked) would outlive it.
    let pids: string[] = [];
    try {
      pids = sh('ip', ['netns', 'pids', this.name]).split(/\s+/).filter((p) => p !== '');
    } catch {
      // no such namespace
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    shQuiet('ip', ['netns', 'del', this.name]);
  }
}

/** Waits for a child process to exit (bounded). */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}
