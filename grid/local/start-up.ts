import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JourneyError, type Logger } from '../../common/index.js';
import { STATE_FILE, nodePaths, readState, writeNewPassword, type GridState } from './grid-files.js';
import { writeNodeConfig } from './node-config.js';
import { livePid, startNode, stopLocalGrid, waitForPing } from './nodes.js';
import { busyPorts, portsNeeded } from './tcp-ports.js';
import type { LocalClusterOptions, LocalGridKind } from './types.js';

/** Start-up shared by a local cluster and a standalone server: option checks, attaching to a running grid, spawning a fresh one. */

export function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new JourneyError('JE_CONFIG_INVALID', `${name} must be an integer >= ${min}, got ${value}`, { details: { setting: name, value } });
  }
  return value;
}

export function checkPortBase(portBase: number, count: number, cluster: boolean): void {
  positiveInteger('portBase', portBase, 1024);
  const highest = portBase + count - 1 + (cluster ? 10000 : 0);
  if (highest > 65535) {
    throw new JourneyError('JE_CONFIG_INVALID', `portBase ${portBase} leaves no room for ${count} nodes${cluster ? ' and their bus ports (+10000)' : ''}`, {
      details: { setting: 'portBase', value: portBase },
    });
  }
}

/** Attaches to the grid already in `dir` when every node runs; restarts crashed ones; undefined when nothing runs. */
export async function attachExisting(
  dir: string,
  kind: LocalGridKind,
  expected: Pick<GridState, 'ports' | 'masters' | 'replicasPerMaster'>,
  redisServer: string,
  timeoutMs: number,
  logger: Logger,
): Promise<{ state: GridState; restarted: number[] } | undefined> {
  const state = readState(dir);
  if (state === undefined) return undefined;
  const ports = state.ports;
  const live = ports.filter((port) => livePid(dir, port) !== undefined);
  if (live.length === 0) {
    logger.info({ dir }, 'removing a stopped local grid (stale PID files)');
    await stopLocalGrid({ dir });
    return undefined;
  }
  const sameShape =
    state.kind === kind &&
    state.masters === expected.masters &&
    state.replicasPerMaster === expected.replicasPerMaster &&
    ports.length === expected.ports.length &&
    ports.every((port, index) => port === expected.ports[index]);
  if (!sameShape) {
    throw new JourneyError(
      'JE_GRID_START_FAILED',
      `A different local grid runs from ${dir} (${state.kind}, ports ${ports.join(',')}); stop it first (journey grid down --dir ${dir})`,
      { details: { dir, ports } },
    );
  }
  const deadline = performance.now() + timeoutMs;
  const restarted = ports.filter((port) => !live.includes(port));
  for (const port of restarted) {
    logger.info({ port }, 'restarting a crashed node');
    await waitForPing(dir, port, startNode(redisServer, dir, port), deadline);
  }
  for (const port of ports) await waitForPing(dir, port, livePid(dir, port) ?? 0, deadline);
  return { state, restarted };
}

/** Writes the state, a new password and the node configs, starts every node; returns the password. */
export async function spawnFresh(
  dir: string,
  state: GridState,
  redisServer: string,
  config: Required<Pick<LocalClusterOptions, 'nodeTimeoutMs' | 'minReplicasToWrite'>>,
  deadline: number,
): Promise<string> {
  const busy = await busyPorts(portsNeeded(state.ports[0] ?? 0, state.ports.length, state.kind === 'cluster'));
  if (busy.length > 0) {
    throw new JourneyError('JE_GRID_START_FAILED', `Ports in use: ${busy.join(', ')}; choose another port base`, { details: { ports: busy } });
  }
  // Leftovers of an earlier grid in these node folders (nodes.conf) would make `--cluster create` fail.
  for (const port of state.ports) rmSync(nodePaths(dir, port).dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  const password = writeNewPassword(dir);
  for (const port of state.ports) writeNodeConfig(state.kind, port, nodePaths(dir, port), config, password);
  const pids = state.ports.map((port) => startNode(redisServer, dir, port));
  await Promise.all(state.ports.map((port, index) => waitForPing(dir, port, pids[index] ?? 0, deadline)));
  return password;
}
