import { resolve } from 'node:path';
import { parseInfo } from '../redis-replies.js';
import { DEFAULT_CLUSTER_DIR, HOST, nodePaths, readPassword, readPid, readState } from './grid-files.js';
import { nodeAnswers, nodeRole, nodeText } from './node-commands.js';
import { livePid } from './nodes.js';
import type { LocalGridDirOptions, LocalGridStatus, LocalNodeStatus } from './types.js';

/** Reports each recorded node (PID, alive, role) and the cluster state; never throws for dead nodes. */
export async function localGridStatus(options: LocalGridDirOptions = {}): Promise<LocalGridStatus> {
  const dir = resolve(options.dir ?? DEFAULT_CLUSTER_DIR);
  const state = readState(dir);
  if (state === undefined) return { dir, kind: null, healthy: false, nodes: [], clusterState: null, seeds: [] };
  const password = readPassword(dir);
  const nodes = await Promise.all(
    state.ports.map(async (port): Promise<LocalNodeStatus> => {
      const node = { port, password };
      const pid = readPid(nodePaths(dir, port)) ?? null;
      const alive = livePid(dir, port) !== undefined && (await nodeAnswers(node));
      if (!alive) return { port, pid, alive, role: 'unknown', clusterState: null };
      if (state.kind === 'standalone') return { port, pid, alive, role: 'standalone', clusterState: null };
      let clusterState: string | null;
      try {
        clusterState = parseInfo(await nodeText(node, ['CLUSTER', 'INFO']))['cluster_state'] ?? null;
      } catch {
        clusterState = null;
      }
      return { port, pid, alive, role: await nodeRole(node), clusterState };
    }),
  );
  const clusterState = state.kind === 'cluster' ? (nodes.find((node) => node.alive)?.clusterState ?? null) : null;
  const healthy = nodes.every((node) => node.alive) && (state.kind === 'standalone' || clusterState === 'ok');
  return { dir, kind: state.kind, healthy, nodes, clusterState, seeds: state.ports.map((port) => `redis://${HOST}:${port}`) };
}
