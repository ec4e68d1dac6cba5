import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { JourneyError, ensureError, silentLogger, type Logger } from '../common/index.js';
import { masterOfSlot, parseClusterNodes, parseInfo, replicasOf, type ClusterNodeEntry } from './cluster-nodes.js';
import { CLUSTER_SLOTS, hashSlot } from './hash-slot.js';
import { nodeAnswers, nodeCommand, nodeText } from './node-client.js';
import { busyPorts, portsNeeded } from './ports.js';
import { isAlive, isRedisProcess, killNow, requireRedisBinary, sendSignal, spawnRedisServer, terminate, waitForExit } from './processes.js';

/**
 * A real Redis Cluster (or a single standalone server) made of local `redis-server` processes,
 * for development and tests.
 *
 * Layout of `dir` (default `.data/grid`, ignored by git):
 * - `grid.json` — what was started (kind, ports, shape); written before any process starts, so a
 *   crash half-way through start-up can still be cleaned by `down`.
 * - `node-<port>/` — `redis.conf`, `redis.pid` (the PID we spawned), `redis.log`, `nodes.conf`.
 *
 * Servers run `--daemonize no`, spawned detached (own session) so they outlive the CLI that
 * started them; they are stopped only by their recorded PID, after checking it still is that
 * `redis-server`.
 *
 * Configuration choices:
 * - `cluster-require-full-coverage no`: each journey lives in one slot, so while one shard fails
 *   over, journeys on the healthy shards keep being served; with `yes` the whole grid would refuse
 *   every command until the failover ends.
 * - `cluster-node-timeout` 2000 ms by default: a failover within a few seconds, for tests.
 * - `cluster-replica-validity-factor 0`: a replica always tries to take over, however long it was
 *   cut off. Redis holds only rebuildable hot state (MariaDB is the record), so availability wins.
 * - `appendonly no`, `save ""`: nothing is persisted; a restarted node is empty and resyncs.
 * - `min-replicas-to-write` 0 by default: with one replica per master, 1 would stop all writes to a
 *   shard whose replica was just promoted (it has no replica left) — see `minReplicasToWrite`.
 */

/** How a node serves the grid. */
export type LocalNodeRole = 'master' | 'replica' | 'standalone' | 'unknown';

/** What kind of local grid a folder holds. */
export type LocalGridKind = 'cluster' | 'standalone';

/** A node as the handle last saw it. */
export interface LocalNode {
  port: number;
  pid: number;
  role: LocalNodeRole;
}

/** Options shared by {@link startLocalCluster} and {@link startLocalStandalone}. */
export interface LocalGridOptions {
  /**
   * Folder for config, data, logs and PID files; relative paths resolve from the current directory.
   * @defaultValue `'.data/grid'` (`'.data/grid-standalone'` for a standalone server)
   */
  dir?: string;
  /**
   * First client port; node `i` listens on `portBase + i` (a cluster node's bus on that plus 10000).
   * @defaultValue 7101 (7100 for a standalone server)
   */
  portBase?: number;
  /** Longest wait for the servers to answer and, for a cluster, to report `cluster_state:ok`, in ms. @defaultValue 60000 */
  startTimeoutMs?: number;
  /** How long `stop` waits after SIGTERM before SIGKILL, in ms. @defaultValue 5000 */
  stopTimeoutMs?: number;
  /** The `redis-server` binary (name on PATH or absolute path). @defaultValue `'redis-server'` */
  redisServer?: string;
  /** Receives progress lines. @defaultValue a silent logger */
  logger?: Logger;
}

/** Options of {@link startLocalCluster}. */
export interface LocalClusterOptions extends LocalGridOptions {
  /** Master nodes (Redis needs at least 3 to create a cluster). @defaultValue 3 */
  masters?: number;
  /** Replicas of each master. @defaultValue 1 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a node may be unreachable before it counts as failed, in ms. @defaultValue 2000 */
  nodeTimeoutMs?: number;
  /**
   * `min-replicas-to-write`: a master refuses writes unless this many replicas are connected, so a
   * write fails loudly instead of vanishing in a failover. @defaultValue 0 (see the module notes)
   */
  minReplicasToWrite?: number;
  /** The `redis-cli` binary used for `--cluster create`. @defaultValue `'redis-cli'` */
  redisCli?: string;
}

/** Options of {@link stopLocalGrid} and {@link localGridStatus}. */
export interface LocalGridDirOptions {
  /** The folder given to start. @defaultValue `'.data/grid'` */
  dir?: string;
  /** How long to wait after SIGTERM before SIGKILL, in ms. @defaultValue 5000 */
  stopTimeoutMs?: number;
}

/** One node in {@link LocalGridStatus}. */
export interface LocalNodeStatus {
  port: number;
  /** The recorded PID, or null when there is no PID file. */
  pid: number | null;
  /** The recorded PID runs this node's `redis-server` and the node answers PING. */
  alive: boolean;
  role: LocalNodeRole;
  /** `cluster_state` as this node reports it (null for standalone or dead nodes). */
  clusterState: string | null;
}

/** What {@link localGridStatus} reports. */
export interface LocalGridStatus {
  dir: string;
  /** null when the folder holds no local grid. */
  kind: LocalGridKind | null;
  /** Every recorded node is alive (and, for a cluster, a live node reports `cluster_state:ok`). */
  healthy: boolean;
  nodes: LocalNodeStatus[];
  /** `cluster_state` from the first live node; null for standalone or when none is alive. */
  clusterState: string | null;
  /** `redis://` URLs of the recorded nodes. */
  seeds: string[];
}

/** What {@link stopLocalGrid} did. */
export interface LocalGridStopReport {
  /** PIDs that were running and were stopped. */
  stopped: number[];
  /** PID files whose process was already gone (a crash); removed. */
  stale: number[];
}

const HOST = '127.0.0.1';
const STATE_FILE = 'grid.json';
const DEFAULT_CLUSTER_DIR = '.data/grid';
const DEFAULT_STANDALONE_DIR = '.data/grid-standalone';

interface GridState {
  version: 1;
  kind: LocalGridKind;
  ports: number[];
  masters: number;
  replicasPerMaster: number;
  createdAt: string;
}

interface NodePaths {
  dir: string;
  config: string;
  pidFile: string;
  log: string;
  output: string;
}

function nodePaths(dir: string, port: number): NodePaths {
  const nodeDir = join(dir, `node-${port}`);
  return {
    dir: nodeDir,
    config: join(nodeDir, 'redis.conf'),
    pidFile: join(nodeDir, 'redis.pid'),
    log: join(nodeDir, 'redis.log'),
    output: join(nodeDir, 'stdout.log'),
  };
}

function readState(dir: string): GridState | undefined {
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

function readPid(paths: NodePaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded PID when it still runs this node's redis-server. */
function livePid(dir: string, port: number): number | undefined {
  const paths = nodePaths(dir, port);
  const pid = readPid(paths);
  return pid !== undefined && isAlive(pid) && isRedisProcess(pid, port, paths.config) ? pid : undefined;
}

function logTail(paths: NodePaths, lines = 15): string {
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

function recordedPorts(dir: string, state: GridState | undefined): number[] {
  const ports = new Set(state?.ports ?? []);
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir)) {
      const match = /^node-(\d+)$/.exec(entry);
      if (match?.[1] !== undefined) ports.add(Number(match[1]));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

function writeNodeConfig(kind: LocalGridKind, port: number, paths: NodePaths, options: Required<Pick<LocalClusterOptions, 'nodeTimeoutMs' | 'minReplicasToWrite'>>): void {
  mkdirSync(paths.dir, { recursive: true });
  const lines = [
    '# Written by journey grid (grid/local-cluster.ts); recreated on every start.',
    `port ${port}`,
    `bind ${HOST}`,
    'protected-mode no',
    'daemonize no',
    `dir ${JSON.stringify(paths.dir)}`,
    `logfile ${JSON.stringify(paths.log)}`,
    'appendonly no',
    'save ""',
    'maxmemory-policy noeviction',
    'enable-debug-command local',
  ];
  if (kind === 'cluster') {
    lines.push(
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      `cluster-node-timeout ${options.nodeTimeoutMs}`,
      'cluster-require-full-coverage no',
      'cluster-replica-validity-factor 0',
      `min-replicas-to-write ${options.minReplicasToWrite}`,
    );
  }
  writeFileSync(paths.config, `${lines.join('\n')}\n`);
}

function startNode(binary: string, dir: string, port: number): number {
  const paths = nodePaths(dir, port);
  const pid = spawnRedisServer(binary, paths.config, paths.output, paths.dir);
  writeFileSync(paths.pidFile, `${pid}\n`);
  return pid;
}

async function waitForPing(dir: string, port: number, pid: number, deadline: number): Promise<void> {
  const paths = nodePaths(dir, port);
  for (;;) {
    if (await nodeAnswers(port, 500)) return;
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
 * Why the cluster is not healthy yet, or null when it is: every live node reports
 * `cluster_state:ok` with all 16384 slots served, knows every node, sees `masters` masters with
 * slots, and every live replica is in sync with its master.
 */
async function clusterProblem(dir: string, ports: number[], masters: number): Promise<string | null> {
  const live = ports.filter((port) => livePid(dir, port) !== undefined);
  if (live.length === 0) return 'no node is running';
  for (const port of live) {
    const info = parseInfo(await nodeText(port, ['CLUSTER', 'INFO']));
    if (info['cluster_state'] !== 'ok') return `node ${port}: cluster_state:${info['cluster_state'] ?? '?'}`;
    if (info['cluster_slots_ok'] !== String(CLUSTER_SLOTS)) return `node ${port}: cluster_slots_ok:${info['cluster_slots_ok'] ?? '?'}`;
    if (Number(info['cluster_known_nodes']) < ports.length) return `node ${port}: knows ${info['cluster_known_nodes'] ?? '?'} of ${ports.length} nodes`;
    const entries = parseClusterNodes(await nodeText(port, ['CLUSTER', 'NODES']));
    const serving = entries.filter((entry) => entry.role === 'master' && entry.slots.length > 0 && !entry.failing);
    if (serving.length !== masters) return `node ${port}: sees ${serving.length} serving masters, expected ${masters}`;
    const myself = entries.find((entry) => entry.myself);
    if (myself?.role === 'replica') {
      const replication = parseInfo(await nodeText(port, ['INFO', 'replication']));
      if (replication['master_link_status'] !== 'up') return `replica ${port}: master_link_status:${replication['master_link_status'] ?? '?'}`;
    }
  }
  return null;
}

async function waitForClusterHealthy(dir: string, ports: number[], masters: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let problem: string | null;
    try {
      problem = await clusterProblem(dir, ports, masters);
    } catch (thrown: unknown) {
      problem = ensureError(thrown).message;
    }
    if (problem === null) return;
    if (performance.now() >= deadline) {
      throw new JourneyError('JE_GRID_START_FAILED', `The local cluster in ${dir} did not become healthy within ${timeoutMs} ms: ${problem}`, {
        details: { dir, problem },
      });
    }
    await sleep(200);
  }
}

async function nodeRole(port: number): Promise<LocalNodeRole> {
  try {
    const reply = await nodeCommand(port, ['ROLE'], 1_000);
    const role = Array.isArray(reply) ? String(reply[0]) : '';
    return role === 'master' ? 'master' : role === 'slave' ? 'replica' : 'unknown';
  } catch {
    return 'unknown';
  }
}

function removeGridFiles(dir: string, ports: number[]): void {
  for (const port of ports) rmSync(nodePaths(dir, port).dir, { recursive: true, force: true });
  rmSync(join(dir, STATE_FILE), { force: true });
  try {
    // Only an empty folder is removed: `dir` may be one the user named, holding other files.
    rmdirSync(dir);
  } catch {
    // not empty or already gone
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

/** Reports each recorded node (PID, alive, role) and the cluster state; never throws for dead nodes. */
export async function localGridStatus(options: LocalGridDirOptions = {}): Promise<LocalGridStatus> {
  const dir = resolve(options.dir ?? DEFAULT_CLUSTER_DIR);
  const state = readState(dir);
  if (state === undefined) return { dir, kind: null, healthy: false, nodes: [], clusterState: null, seeds: [] };
  const nodes = await Promise.all(
    state.ports.map(async (port): Promise<LocalNodeStatus> => {
      const pid = readPid(nodePaths(dir, port)) ?? null;
      const alive = livePid(dir, port) !== undefined && (await nodeAnswers(port));
      if (!alive) return { port, pid, alive, role: 'unknown', clusterState: null };
      if (state.kind === 'standalone') return { port, pid, alive, role: 'standalone', clusterState: null };
      let clusterState: string | null;
      try {
        clusterState = parseInfo(await nodeText(port, ['CLUSTER', 'INFO']))['cluster_state'] ?? null;
      } catch {
        clusterState = null;
      }
      return { port, pid, alive, role: await nodeRole(port), clusterState };
    }),
  );
  const clusterState = state.kind === 'cluster' ? (nodes.find((node) => node.alive)?.clusterState ?? null) : null;
  const healthy = nodes.every((node) => node.alive) && (state.kind === 'standalone' || clusterState === 'ok');
  return { dir, kind: state.kind, healthy, nodes, clusterState, seeds: state.ports.map((port) => `redis://${HOST}:${port}`) };
}

/** Common handle behaviour for a local cluster or standalone server. */
abstract class LocalGridHandle {
  /** Absolute folder holding config, data, logs and PID files. */
  readonly dir: string;
  /** Client ports of every node, in start order. */
  readonly ports: readonly number[];
  /** `redis://` URLs of every node: the seeds for `connectGrid`. */
  readonly seeds: readonly string[];
  /** True when `start` found this grid already running and only attached to it. */
  readonly reused: boolean;
  /** Ports of crashed nodes that `start` restarted when it attached to a running grid. */
  restartedPorts: readonly number[] = [];
  protected readonly redisServer: string;
  protected readonly stopTimeoutMs: number;

  constructor(dir: string, ports: number[], reused: boolean, redisServer: string, stopTimeoutMs: number) {
    this.dir = dir;
    this.ports = Object.freeze([...ports]);
    this.seeds = Object.freeze(ports.map((port) => `redis://${HOST}:${port}`));
    this.reused = reused;
    this.redisServer = redisServer;
    this.stopTimeoutMs = stopTimeoutMs;
  }

  /** The PID running the node on `port`, or undefined when it is not running. */
  pidOf(port: number): number | undefined {
    this.checkPort(port);
    return livePid(this.dir, port);
  }

  /**
   * Sends `signal` to the node on `port` (fault injection). For SIGKILL/SIGTERM/SIGINT waits until
   * the process is gone; SIGSTOP/SIGCONT return at once.
   */
  async killNode(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pidOf(port);
    if (pid === undefined) throw new JourneyError('JE_INTERNAL', `No running node on port ${port} in ${this.dir}`);
    sendSignal(pid, signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') {
      if (signal !== 'SIGKILL') sendSignal(pid, 'SIGCONT');
      if (!(await waitForExit(pid, this.stopTimeoutMs))) {
        throw new JourneyError('JE_INTERNAL', `Node ${port} (pid ${pid}) did not exit after ${signal}`);
      }
    }
  }

  /** Starts the node on `port` again from its config (a cluster node rejoins from its nodes.conf); returns the new PID. */
  async restartNode(port: number, timeoutMs = 30_000): Promise<number> {
    if (this.pidOf(port) !== undefined) throw new JourneyError('JE_INTERNAL', `Node ${port} is still running; kill it first`);
    const pid = startNode(this.redisServer, this.dir, port);
    await waitForPing(this.dir, port, pid, performance.now() + timeoutMs);
    return pid;
  }

  /** Per-node PID, liveness, role and cluster state. */
  status(): Promise<LocalGridStatus> {
    return localGridStatus({ dir: this.dir });
  }

  /** Stops every node by PID and removes the folder's grid files. */
  async stop(): Promise<LocalGridStopReport> {
    return stopLocalGrid({ dir: this.dir, stopTimeoutMs: this.stopTimeoutMs });
  }

  protected checkPort(port: number): void {
    if (!this.ports.includes(port)) throw new JourneyError('JE_INTERNAL', `Port ${port} is not a node of the grid in ${this.dir}`);
  }
}

/** Where a slot is served, by port. */
export interface SlotOwner {
  slot: number;
  /** Port of the master serving the slot. */
  master: number;
  /** Ports of its replicas that are not flagged as failing. */
  replicas: number[];
}

/** A running local Redis Cluster. */
export class LocalCluster extends LocalGridHandle {
  readonly kind = 'cluster';
  /** The nodes and roles when the handle was made; roles change on failover, so ask {@link topology}. */
  readonly nodes: readonly LocalNode[];
  /** Masters the cluster was created with. */
  readonly masters: number;

  constructor(dir: string, state: GridState, nodes: LocalNode[], reused: boolean, redisServer: string, stopTimeoutMs: number) {
    super(dir, state.ports, reused, redisServer, stopTimeoutMs);
    this.nodes = Object.freeze(nodes);
    this.masters = state.masters;
  }

  /** `CLUSTER NODES` as seen by the first live node (or by `viaPort`). */
  async topology(viaPort?: number): Promise<ClusterNodeEntry[]> {
    const candidates = viaPort === undefined ? this.ports.filter((port) => this.pidOf(port) !== undefined) : [viaPort];
    let lastError: unknown = new Error('no node is running');
    for (const port of candidates) {
      try {
        return parseClusterNodes(await nodeText(port, ['CLUSTER', 'NODES']));
      } catch (thrown: unknown) {
        lastError = thrown;
      }
    }
    throw new JourneyError('JE_GRID_UNAVAILABLE', `No node of the local cluster in ${this.dir} answered CLUSTER NODES`, {
      cause: ensureError(lastError),
    });
  }

  /** The master (and replicas) serving `slot`, as the first live node sees it. */
  async slotOwner(slot: number, viaPort?: number): Promise<SlotOwner> {
    const entries = await this.topology(viaPort);
    const master = masterOfSlot(entries, slot);
    if (master === undefined) throw new JourneyError('JE_GRID_UNAVAILABLE', `No master serves slot ${slot}`);
    const replicas = replicasOf(entries, master.id).filter((entry) => !entry.failing);
    return { slot, master: master.port, replicas: replicas.map((entry) => entry.port) };
  }

  /** The master (and replicas) serving `key`'s slot. */
  keyOwner(key: string, viaPort?: number): Promise<SlotOwner> {
    return this.slotOwner(hashSlot(key), viaPort);
  }

  /** Current role of every running node (asked with `ROLE`). */
  async currentNodes(): Promise<LocalNode[]> {
    const nodes: LocalNode[] = [];
    for (const port of this.ports) {
      const pid = this.pidOf(port);
      if (pid !== undefined) nodes.push({ port, pid, role: await nodeRole(port) });
    }
    return nodes;
  }

  /**
   * Waits until every live node reports `cluster_state:ok` with all slots served by
   * {@link masters} masters and every live replica is in sync.
   */
  waitForHealthy(timeoutMs = 30_000): Promise<void> {
    return waitForClusterHealthy(this.dir, [...this.ports], this.masters, timeoutMs);
  }
}

/** A running local standalone Redis server. */
export class LocalStandalone extends LocalGridHandle {
  readonly kind = 'standalone';
  readonly port: number;
  /** The server's PID when the handle was made. */
  readonly pid: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;

  constructor(dir: string, port: number, pid: number, reused: boolean, redisServer: string, stopTimeoutMs: number) {
    super(dir, [port], reused, redisServer, stopTimeoutMs);
    this.port = port;
    this.pid = pid;
    this.url = `redis://${HOST}:${port}`;
  }
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new JourneyError('JE_CONFIG_INVALID', `${name} must be an integer >= ${min}, got ${value}`, { details: { setting: name, value } });
  }
  return value;
}

function checkPortBase(portBase: number, count: number, cluster: boolean): void {
  positiveInteger('portBase', portBase, 1024);
  const highest = portBase + count - 1 + (cluster ? 10000 : 0);
  if (highest > 65535) {
    throw new JourneyError('JE_CONFIG_INVALID', `portBase ${portBase} leaves no room for ${count} nodes${cluster ? ' and their bus ports (+10000)' : ''}`, {
      details: { setting: 'portBase', value: portBase },
    });
  }
}

/** Attaches to the grid already in `dir` when every node runs; restarts crashed ones; undefined when nothing runs. */
async function attachExisting(
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

async function spawnFresh(dir: string, state: GridState, redisServer: string, config: Required<Pick<LocalClusterOptions, 'nodeTimeoutMs' | 'minReplicasToWrite'>>, deadline: number): Promise<void> {
  const busy = await busyPorts(portsNeeded(state.ports[0] ?? 0, state.ports.length, state.kind === 'cluster'));
  if (busy.length > 0) {
    throw new JourneyError('JE_GRID_START_FAILED', `Ports in use: ${busy.join(', ')}; choose another port base`, { details: { ports: busy } });
  }
  // Leftovers of an earlier grid in these node folders (nodes.conf) would make `--cluster create` fail.
  for (const port of state.ports) rmSync(nodePaths(dir, port).dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  for (const port of state.ports) writeNodeConfig(state.kind, port, nodePaths(dir, port), config);
  const pids = state.ports.map((port) => startNode(redisServer, dir, port));
  await Promise.all(state.ports.map((port, index) => waitForPing(dir, port, pids[index] ?? 0, deadline)));
}

async function createCluster(redisCli: string, state: GridState, timeoutMs: number): Promise<void> {
  const args = ['--cluster', 'create', ...state.ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', String(state.replicasPerMaster), '--cluster-yes'];
  try {
    await promisify(execFile)(redisCli, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
  } catch (thrown: unknown) {
    const error = ensureError(thrown);
    const output = 'stdout' in error ? String(error.stdout) : '';
    throw new JourneyError('JE_GRID_START_FAILED', `redis-cli --cluster create failed: ${error.message}\n${output.split('\n').slice(-15).join('\n')}`, {
      cause: error,
    });
  }
}

/**
 * Starts a local Redis Cluster (default 3 masters with 1 replica each on ports 7101–7106) and
 * waits until it is healthy. Harmless when it already runs: attaches to it (restarting crashed
 * nodes). Stale PID files of a crashed grid are cleaned first. On failure, stops what it started.
 *
 * @throws JourneyError `JE_DEPENDENCY_MISSING` when redis-server/redis-cli are not installed,
 *   `JE_CONFIG_INVALID` for bad options, `JE_GRID_START_FAILED` when ports are taken or the
 *   cluster does not come up.
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const dir = resolve(options.dir ?? DEFAULT_CLUSTER_DIR);
  const logger = options.logger ?? silentLogger();
  const masters = positiveInteger('masters', options.masters ?? 3, 3);
  const replicasPerMaster = positiveInteger('replicasPerMaster', options.replicasPerMaster ?? 1, 0);
  const nodeTimeoutMs = positiveInteger('nodeTimeoutMs', options.nodeTimeoutMs ?? 2_000, 100);
  const minReplicasToWrite = positiveInteger('minReplicasToWrite', options.minReplicasToWrite ?? 0, 0);
  const startTimeoutMs = positiveInteger('startTimeoutMs', options.startTimeoutMs ?? 60_000, 1);
  const stopTimeoutMs = positiveInteger('stopTimeoutMs', options.stopTimeoutMs ?? 5_000, 0);
  const portBase = options.portBase ?? 7101;
  const count = masters * (1 + replicasPerMaster);
  checkPortBase(portBase, count, true);
  const redisServer = requireRedisBinary(options.redisServer ?? 'redis-server');
  const redisCli = requireRedisBinary(options.redisCli ?? 'redis-cli');
  const ports = Array.from({ length: count }, (_, index) => portBase + index);

  const existing = await attachExisting(dir, 'cluster', { ports, masters, replicasPerMaster }, redisServer, startTimeoutMs, logger);
  if (existing !== undefined) {
    await waitForClusterHealthy(dir, ports, masters, startTimeoutMs);
    logger.info({ dir, ports, restarted: existing.restarted }, 'local cluster already running');
    const probe = new LocalCluster(dir, existing.state, [], true, redisServer, stopTimeoutMs);
    const cluster = new LocalCluster(dir, existing.state, await probe.currentNodes(), true, redisServer, stopTimeoutMs);
    cluster.restartedPorts = Object.freeze(existing.restarted);
    return cluster;
  }

  const state: GridState = { version: 1, kind: 'cluster', ports, masters, replicasPerMaster, createdAt: new Date().toISOString() };
  const deadline = performance.now() + startTimeoutMs;
  try {
    await spawnFresh(dir, state, redisServer, { nodeTimeoutMs, minReplicasToWrite }, deadline);
    logger.info({ dir, ports }, 'creating the cluster');
    await createCluster(redisCli, state, Math.max(1, Math.ceil(deadline - performance.now())));
    await waitForClusterHealthy(dir, ports, masters, Math.max(1, Math.ceil(deadline - performance.now())));
  } catch (thrown: unknown) {
    await stopLocalGrid({ dir, stopTimeoutMs }).catch(() => undefined);
    if (thrown instanceof JourneyError) throw thrown;
    throw new JourneyError('JE_GRID_START_FAILED', `Starting the local cluster in ${dir} failed`, { cause: ensureError(thrown) });
  }
  const cluster = new LocalCluster(dir, state, [], false, redisServer, stopTimeoutMs);
  const nodes = await cluster.currentNodes();
  logger.info({ dir, seeds: cluster.seeds }, 'local cluster is up');
  return new LocalCluster(dir, state, nodes, false, redisServer, stopTimeoutMs);
}

/**
 * A handle on the local cluster already running from `dir` (for example one a test's global
 * setup started in another process), without starting anything.
 */
export function openLocalCluster(options: Pick<LocalGridOptions, 'dir' | 'stopTimeoutMs' | 'redisServer'> = {}): LocalCluster {
  const dir = resolve(options.dir ?? DEFAULT_CLUSTER_DIR);
  const state = readState(dir);
  if (state?.kind !== 'cluster') throw new JourneyError('JE_GRID_UNAVAILABLE', `No local cluster is recorded in ${dir}`);
  const nodes: LocalNode[] = state.ports.flatMap((port) => {
    const pid = livePid(dir, port);
    return pid === undefined ? [] : [{ port, pid, role: 'unknown' as const }];
  });
  return new LocalCluster(dir, state, nodes, true, options.redisServer ?? 'redis-server', options.stopTimeoutMs ?? 5_000);
}

/**
 * Starts one standalone (non-cluster) `redis-server` on `portBase` (default 7100), for small
 * installs and standalone-mode tests. Harmless when it already runs.
 */
export async function startLocalStandalone(options: LocalGridOptions = {}): Promise<LocalStandalone> {
  const dir = resolve(options.dir ?? DEFAULT_STANDALONE_DIR);
  const logger = options.logger ?? silentLogger();
  const port = options.portBase ?? 7100;
  checkPortBase(port, 1, false);
  const startTimeoutMs = positiveInteger('startTimeoutMs', options.startTimeoutMs ?? 60_000, 1);
  const stopTimeoutMs = positiveInteger('stopTimeoutMs', options.stopTimeoutMs ?? 5_000, 0);
  const redisServer = requireRedisBinary(options.redisServer ?? 'redis-server');
  const shape = { ports: [port], masters: 1, replicasPerMaster: 0 };
  const existing = await attachExisting(dir, 'standalone', shape, redisServer, startTimeoutMs, logger);
  if (existing === undefined) {
    const state: GridState = { version: 1, kind: 'standalone', ...shape, createdAt: new Date().toISOString() };
    try {
      await spawnFresh(dir, state, redisServer, { nodeTimeoutMs: 0, minReplicasToWrite: 0 }, performance.now() + startTimeoutMs);
    } catch (thrown: unknown) {
      await stopLocalGrid({ dir, stopTimeoutMs }).catch(() => undefined);
      throw thrown instanceof JourneyError ? thrown : new JourneyError('JE_GRID_START_FAILED', `Starting redis-server in ${dir} failed`, { cause: ensureError(thrown) });
    }
  }
  const pid = livePid(dir, port);
  if (pid === undefined) throw new JourneyError('JE_GRID_START_FAILED', `redis-server on port ${port} is not running`);
  logger.info({ dir, port, pid }, existing === undefined ? 'local redis-server is up' : 'local redis-server already running');
  const server = new LocalStandalone(dir, port, pid, existing !== undefined, redisServer, stopTimeoutMs);
  server.restartedPorts = Object.freeze(existing?.restarted ?? []);
  return server;
}
