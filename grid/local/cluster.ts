import { join, resolve } from 'node:path';
import { JourneyError, ensureError, silentLogger } from '../../common/index.js';
import { masterOfSlot, parseClusterNodes, replicasOf, type ClusterNodeEntry } from '../redis-replies.js';
import { hashSlot } from '../hash-slot.js';
import { createCluster, waitForClusterHealthy } from './cluster-health.js';
import { DEFAULT_CLUSTER_DIR, PASSWORD_FILE, readState, type GridState } from './grid-files.js';
import { LocalGridHandle } from './handle.js';
import { nodeRole, nodeText } from './node-commands.js';
import { livePid, stopLocalGrid } from './nodes.js';
import { requireRedisBinary } from './redis-processes.js';
import { attachExisting, checkPortBase, positiveInteger, spawnFresh } from './start-up.js';
import type { LocalClusterOptions, LocalGridOptions, LocalNode } from './types.js';

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
        return parseClusterNodes(await nodeText({ port, password: this.password }, ['CLUSTER', 'NODES']));
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
      if (pid !== undefined) nodes.push({ port, pid, role: await nodeRole({ port, password: this.password }) });
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
    const password = await spawnFresh(dir, state, redisServer, { nodeTimeoutMs, minReplicasToWrite }, deadline);
    logger.info({ dir, ports }, 'creating the cluster');
    await createCluster(redisCli, state, password, Math.max(1, Math.ceil(deadline - performance.now())));
    await waitForClusterHealthy(dir, ports, masters, Math.max(1, Math.ceil(deadline - performance.now())));
  } catch (thrown: unknown) {
    await stopLocalGrid({ dir, stopTimeoutMs }).catch(() => undefined);
    if (thrown instanceof JourneyError) throw thrown;
    throw new JourneyError('JE_GRID_START_FAILED', `Starting the local cluster in ${dir} failed`, { cause: ensureError(thrown) });
  }
  const cluster = new LocalCluster(dir, state, [], false, redisServer, stopTimeoutMs);
  const nodes = await cluster.currentNodes();
  logger.info({ dir, ports, passwordFile: join(dir, PASSWORD_FILE) }, 'local cluster is up');
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
