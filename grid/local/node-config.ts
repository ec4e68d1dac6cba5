import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { HOST, type NodePaths } from './grid-files.js';
import type { LocalClusterOptions, LocalGridKind } from './types.js';

/**
 * The `redis.conf` of each local node.
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
 * - `requirepass` and `masterauth` (the grid's password, see grid-files.ts), `protected-mode yes`:
 *   the grid is not a trust boundary (the engine signs what it keeps there), but a local grid still
 *   refuses clients that do not know its password. The file is mode 0600, as it holds it.
 */
export function writeNodeConfig(
  kind: LocalGridKind,
  port: number,
  paths: NodePaths,
  options: Required<Pick<LocalClusterOptions, 'nodeTimeoutMs' | 'minReplicasToWrite'>>,
  password: string,
): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const lines = [
    '# Written by journey grid (grid/local/node-config.ts); recreated on every start.',
    `port ${port}`,
    `bind ${HOST}`,
    'protected-mode yes',
    // Hex: nothing to quote. Replicas authenticate to their master with the same password.
    `requirepass ${password}`,
    `masterauth ${password}`,
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
  writeFileSync(paths.config, `${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(paths.config, 0o600); // an existing file keeps its mode on write
}
