import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JourneyError, ensureError } from '../../common/index.js';
import type { LocalGridKind } from './types.js';

/**
 * A real Redis Cluster (or a single standalone server) made of local `redis-server` processes,
 * for development and tests.
 *
 * Layout of `dir` (default `.data/grid`, ignored by git):
 * - `grid.json` — what was started (kind, ports, shape); written before any process starts, so a
 *   crash half-way through start-up can still be cleaned by `down`.
 * - `grid.password` — the password every node requires (`requirepass`, and `masterauth` for
 *   replicas), generated at a fresh start, mode 0600: the local grid refuses unauthenticated
 *   clients. The grid's seed URLs carry it (`redis://:<password>@127.0.0.1:<port>`).
 * - `node-<port>/` — `redis.conf`, `redis.pid` (the PID we spawned), `redis.log`, `nodes.conf`.
 */

export const HOST = '127.0.0.1';
export const STATE_FILE = 'grid.json';
export const PASSWORD_FILE = 'grid.password';
export const DEFAULT_CLUSTER_DIR = '.data/grid';
export const DEFAULT_STANDALONE_DIR = '.data/grid-standalone';

export interface GridState {
  version: 1;
  kind: LocalGridKind;
  ports: number[];
  masters: number;
  replicasPerMaster: number;
  createdAt: string;
}

export interface NodePaths {
  dir: string;
  config: string;
  pidFile: string;
  log: string;
  output: string;
}

export function nodePaths(dir: string, port: number): NodePaths {
  const nodeDir = join(dir, `node-${port}`);
  return {
    dir: nodeDir,
    config: join(nodeDir, 'redis.conf'),
    pidFile: join(nodeDir, 'redis.pid'),
    log: join(nodeDir, 'redis.log'),
    output: join(nodeDir, 'stdout.log'),
  };
}

export function readState(dir: string): GridState | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as GridState;
    if (state.version !== 1 || !Array.isArray(state.ports)) throw new Error('unknown state file version');
    return state;
  } catch (thrown: unknown) {
    throw new JourneyError('JE_GRID_START_FAILED', `${file} is not a local grid state file; remove the folder by hand`, {
      cause: ensureError(thrown),
    });
  }
}

/**
 * The password of the grid in `dir`; undefined when it has none (a grid started by an older
 * build, which runs without one until it is started afresh).
 */
export function readPassword(dir: string): string | undefined {
  try {
    const password = readFileSync(join(dir, PASSWORD_FILE), 'utf8').trim();
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

/** Writes a new random password for a fresh grid in `dir` (mode 0600: only its owner reads it). */
export function writeNewPassword(dir: string): string {
  const password = randomBytes(24).toString('hex');
  rmSync(join(dir, PASSWORD_FILE), { force: true });
  writeFileSync(join(dir, PASSWORD_FILE), `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/** `redis://` URLs of the nodes on `ports`, carrying the password when the grid has one. */
export function seedUrls(ports: readonly number[], password: string | undefined): string[] {
  const credentials = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return ports.map((port) => `redis://${credentials}${HOST}:${port}`);
}

export function readPid(paths: NodePaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function logTail(paths: NodePaths, lines = 15): string {
  const tail: string[] = [];
  for (const file of [paths.output, paths.log]) {
    try {
      tail.push(...readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines));
    } catch {
      // no log yet
    }
  }
  return tail.join('\n');
}

export function recordedPorts(dir: string, state: GridState | undefined): number[] {
  const ports = new Set(state?.ports ?? []);
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir)) {
      const match = /^node-(\d+)$/.exec(entry);
      if (match?.[1] !== undefined) ports.add(Number(match[1]));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export function removeGridFiles(dir: string, ports: number[]): void {
  for (const port of ports) rmSync(nodePaths(dir, port).dir, { recursive: true, force: true });
  rmSync(join(dir, STATE_FILE), { force: true });
  rmSync(join(dir, PASSWORD_FILE), { force: true });
  try {
    // Only an empty folder is removed: `dir` may be one the user named, holding other files.
    rmdirSync(dir);
  } catch {
    // not empty or already gone
  }
}
