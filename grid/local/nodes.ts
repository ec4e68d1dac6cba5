import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JourneyError } from '../../common/index.js';
import { DEFAULT_CLUSTER_DIR, logTail, nodePaths, readPassword, readPid, readState, recordedPorts, removeGridFiles, type GridState } from './grid-files.js';
import { nodeAnswers } from './node-commands.js';
import { isAlive, isRedisProcess, killNow, spawnRedisServer, terminate } from './redis-processes.js';
import type { LocalGridDirOptions, LocalGridStopReport } from './types.js';

/**
 * The local nodes' processes: which recorded PID still runs its node, starting a node and waiting
 * for it to answer, stopping them all.
 *
 * Servers run `--daemonize no`, spawned detached (own session) so they outlive the CLI that
 * started them; they are stopped only by their recorded PID, after checking it still is that
 * `redis-server`.
 */

/** The recorded PID when it still runs this node's redis-server. */
export function livePid(dir: string, port: number): number | undefined {
  const paths = nodePaths(dir, port);
  const pid = readPid(paths);
  return pid !== undefined && isAlive(pid) && isRedisProcess(pid, port, paths.config) ? pid : undefined;
}

/** Spawns the node on `port` from its config and records its PID; returns the PID. */
export function startNode(binary: string, dir: string, port: number): number {
  const paths = nodePaths(dir, port);
  const pid = spawnRedisServer(binary, paths.config, paths.output, paths.dir);
  writeFileSync(paths.pidFile, `${pid}\n`);
  return pid;
}

/** Waits until the node answers PING; fails with its log's tail when it exits or `deadline` (performance.now()) passes. */
export async function waitForPing(dir: string, port: number, pid: number, deadline: number): Promise<void> {
  const paths = nodePaths(dir, port);
  const password = readPassword(dir);
  for (;;) {
    if (await nodeAnswers({ port, password }, 500)) return;
    if (!isAlive(pid)) {
      throw new JourneyError('JE_GRID_START_FAILED', `redis-server on port ${port} exited during start-up:\n${logTail(paths)}`, {
        details: { port, pid },
      });
    }
    if (performance.now() >= deadline) {
      throw new JourneyError('JE_GRID_START_FAILED', `redis-server on port ${port} did not answer PING in time:\n${logTail(paths)}`, {
        details: { port, pid },
      });
    }
    await sleep(50);
  }
}

/**
 * Stops every node recorded in `dir` by its PID (SIGTERM, then SIGKILL after `stopTimeoutMs`) and
 * removes the node folders, PID files included — also when the processes had already crashed.
 */
export async function stopLocalGrid(options: LocalGridDirOptions = {}): Promise<LocalGridStopReport> {
  const dir = resolve(options.dir ?? DEFAULT_CLUSTER_DIR);
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  let state: GridState | undefined;
  try {
    state = readState(dir);
  } catch {
    state = undefined; // an unreadable state file must not prevent cleaning up the node folders
  }
  const ports = recordedPorts(dir, state);
  const report: LocalGridStopReport = { stopped: [], stale: [] };
  await Promise.all(
    ports.map(async (port) => {
      const paths = nodePaths(dir, port);
      const pid = readPid(paths);
      if (pid === undefined) return;
      if (isAlive(pid) && isRedisProcess(pid, port, paths.config)) {
        await terminate(pid, stopTimeoutMs);
        report.stopped.push(pid);
      } else {
        report.stale.push(pid);
      }
    }),
  );
  removeGridFiles(dir, ports);
  return report;
}

/**
 * Synchronous emergency stop for `exit`/signal handlers: SIGKILL to every recorded, live node,
 * then removes the files. Prefer {@link stopLocalGrid}.
 */
export function killLocalGridNow(dir: string): void {
  const absolute = resolve(dir);
  let state: GridState | undefined;
  try {
    state = readState(absolute);
  } catch {
    state = undefined;
  }
  const ports = recordedPorts(absolute, state);
  for (const port of ports) {
    const pid = livePid(absolute, port);
    if (pid !== undefined) killNow(pid);
  }
  removeGridFiles(absolute, ports);
}
