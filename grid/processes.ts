import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, closeSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JourneyError } from '../common/index.js';

/**
 * Process helpers for the local Redis servers. Servers are always stopped by the PID we recorded
 * when we spawned them, never by name, and only after checking that the PID still belongs to a
 * `redis-server` (PIDs are reused after a crash).
 */

/** Finds an executable on PATH (or checks an absolute path); undefined when missing. */
export function findExecutable(name: string): string | undefined {
  const candidates = isAbsolute(name) ? [name] : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

/** Resolves a Redis binary or fails with the install hint. */
export function requireRedisBinary(name: string): string {
  const found = findExecutable(name);
  if (found === undefined) {
    throw new JourneyError(
      'JE_DEPENDENCY_MISSING',
      `'${name}' was not found on PATH. Install Redis 7 (Debian/Ubuntu: apt-get install redis-server; it brings redis-cli too).`,
      { details: { binary: name } },
    );
  }
  return found;
}

function procState(pid: number): string | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." — the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** True when a process with this PID exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error: unknown) {
    // EPERM: exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
  return procState(pid) !== 'Z';
}

/**
 * True when `pid` runs `redis-server` for `port` (its title or command line names the port or the
 * config file). Where /proc is missing (macOS), trusts the PID file.
 */
export function isRedisProcess(pid: number, port: number, configPath: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return isAlive(pid);
  }
  return cmdline.includes('redis-server') && (cmdline.includes(`:${port}`) || cmdline.includes(configPath));
}

/**
 * Starts `redis-server <configPath>` detached (own process group, survives the parent), with
 * stdout/stderr appended to `outputPath`. Returns the PID.
 */
export function spawnRedisServer(binary: string, configPath: string, outputPath: string, cwd: string): number {
  const output = openSync(outputPath, 'a');
  try {
    const child = spawn(binary, [configPath], { cwd, detached: true, stdio: ['ignore', output, output] });
    // A spawn failure is reported asynchronously; the caller sees it as a node that never answers.
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) {
      throw new JourneyError('JE_GRID_START_FAILED', `Could not spawn ${binary} ${configPath}`);
    }
    return child.pid;
  } finally {
    closeSync(output);
  }
}

/** Waits until `pid` is gone; true if it went within `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (isAlive(pid)) {
    if (performance.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** SIGTERM (plus SIGCONT, in case it was stopped), then SIGKILL after `timeoutMs`. */
export async function terminate(pid: number, timeoutMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  signal(pid, 'SIGCONT');
  if (await waitForExit(pid, timeoutMs)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

/** Synchronous last-resort kill for exit/signal handlers (no event loop left to wait on). */
export function killNow(pid: number): void {
  signal(pid, 'SIGKILL');
}

/** Sends `name` to `pid`; false when there is no such process. */
export function sendSignal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
