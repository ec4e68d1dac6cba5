import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { JourneyError, ensureError } from '../../common/index.js';
import { parseClusterNodes, parseInfo } from '../redis-replies.js';
import { CLUSTER_SLOTS } from '../hash-slot.js';
import { HOST, readPassword, type GridState } from './grid-files.js';
import { nodeText } from './node-commands.js';
import { livePid } from './nodes.js';

/** Creating a local cluster from its started nodes (`redis-cli --cluster create`) and waiting until it is healthy. */

export async function createCluster(redisCli: string, state: GridState, password: string, timeoutMs: number): Promise<void> {
  const args = ['--cluster', 'create', ...state.ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', String(state.replicasPerMaster), '--cluster-yes'];
  try {
    // The password through the environment (REDISCLI_AUTH), not `-a`: a command line is visible to every user.
    await promisify(execFile)(redisCli, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, REDISCLI_AUTH: password } });
  } catch (thrown: unknown) {
    const error = ensureError(thrown);
    const output = 'stdout' in error ? String(error.stdout) : '';
    throw new JourneyError('JE_GRID_START_FAILED', `redis-cli --cluster create failed: ${error.message}\n${output.split('\n').slice(-15).join('\n')}`, {
      cause: error,
    });
  }
}

/**
 * Why the cluster is not healthy yet, or null when it is: every live node reports
 * `cluster_state:ok` with all 16384 slots served, knows every node, sees `masters` masters with
 * slots, and every live replica is in sync with its master.
 */
export async function clusterProblem(dir: string, ports: number[], masters: number): Promise<string | null> {
  const live = ports.filter((port) => livePid(dir, port) !== undefined);
  if (live.length === 0) return 'no node is running';
  const password = readPassword(dir);
  for (const port of live) {
    const node = { port, password };
    const info = parseInfo(await nodeText(node, ['CLUSTER', 'INFO']));
    if (info['cluster_state'] !== 'ok') return `node ${port}: cluster_state:${info['cluster_state'] ?? '?'}`;
    if (info['cluster_slots_ok'] !== String(CLUSTER_SLOTS)) return `node ${port}: cluster_slots_ok:${info['cluster_slots_ok'] ?? '?'}`;
    if (Number(info['cluster_known_nodes']) < ports.length) return `node ${port}: knows ${info['cluster_known_nodes'] ?? '?'} of ${ports.length} nodes`;
    const entries = parseClusterNodes(await nodeText(node, ['CLUSTER', 'NODES']));
    const serving = entries.filter((entry) => entry.role === 'master' && entry.slots.length > 0 && !entry.failing);
    if (serving.length !== masters) return `node ${port}: sees ${serving.length} serving masters, expected ${masters}`;
    const myself = entries.find((entry) => entry.myself);
    if (myself?.role === 'replica') {
      const replication = parseInfo(await nodeText(node, ['INFO', 'replication']));
      if (replication['master_link_status'] !== 'up') return `replica ${port}: master_link_status:${replication['master_link_status'] ?? '?'}`;
    }
  }
  return null;
}

export async function waitForClusterHealthy(dir: string, ports: number[], masters: number, timeoutMs: number): Promise<void> {
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
