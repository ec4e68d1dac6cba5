/**
 * Helpers for the local servers the engine starts itself (the Redis grid, a private MariaDB).
 * Servers are always stopped by the PID recorded when they were spawned, never by name, and only
 * after the caller checked that the PID still runs that server (PIDs are reused after a crash).
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JourneyError } from './errors.js';

/**
 * Finds an executable on PATH, then in `extraDirs` (or checks an absolute path); undefined when
 * missing. `extraDirs` is for sbin folders, which are not on a regular user's PATH everywhere.
 */
export function findExecutable(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  const candidates = isAbsolute(name) ? [name] : dirs.map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next folder
    }
  }
  return undefined;
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

/** PID 0 and negative PIDs name process groups for kill(2): never one of our servers. */
function isProcessId(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0;
}

/** True when a process with this PID exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (!isProcessId(pid)) return false;
  try {
    process.kill(pid, 0);
  } catch (error: unknown) {
    // EPERM: exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
  return procState(pid) !== 'Z';
}

/**
 * The command line of `pid` with arguments separated by spaces; undefined when it cannot be read
 * (no such process, or no /proc as on macOS: callers then trust their PID file).
 */
export function commandLineOf(pid: number): string | undefined {
  if (!isProcessId(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * Starts `binary args…` detached (own session: a Ctrl-C in the terminal does not reach it, and it
 * survives the parent), with stdout/stderr appended to `outputPath`. Returns the PID.
 */
export function spawnDetached(binary: string, args: readonly string[], outputPath: string, cwd: string): number {
  const output = openSync(outputPath, 'a');
  try {
    const child = spawn(binary, args, { cwd, detached: true, stdio: ['ignore', output, output] });
    // A spawn failure is reported asynchronously; the caller sees it as a server that never answers.
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new JourneyError('JE_INTERNAL', `Could not spawn ${binary} ${args.join(' ')}`);
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

/** Sends `name` to `pid`; false when there is no such process. */
export function sendSignal(pid: number, name: NodeJS.Signals): boolean {
  if (!isProcessId(pid)) return false;
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM (plus SIGCONT, so a stopped process can act on it), then SIGKILL after `timeoutMs`;
 * resolves once the process is gone (or 5 s after the SIGKILL at most).
 */
export async function terminate(pid: number, timeoutMs: number): Promise<void> {
  sendSignal(pid, 'SIGTERM');
  sendSignal(pid, 'SIGCONT');
  if (await waitForExit(pid, timeoutMs)) return;
  sendSignal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

/** Synchronous last-resort kill for exit/signal handlers (no event loop left to wait on). */
export function killNow(pid: number): void {
  sendSignal(pid, 'SIGKILL');
}
