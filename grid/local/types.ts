import type { Logger } from '../../common/index.js';

/** The local grid's public shapes: its options, nodes, status and stop report. */

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
   * write fails loudly instead of vanishing in a failover. @defaultValue 0 (see node-config.ts)
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
  /** `redis://` URLs of the recorded nodes, without the password (it is in the grid's `grid.password`). */
  seeds: string[];
}

/** What {@link stopLocalGrid} did. */
export interface LocalGridStopReport {
  /** PIDs that were running and were stopped. */
  stopped: number[];
  /** PID files whose process was already gone (a crash); removed. */
  stale: number[];
}
