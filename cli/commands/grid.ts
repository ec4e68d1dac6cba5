import { parseArgs } from 'node:util';
import { isJourneyError } from '../../common/index.js';
import { join } from 'node:path';
import { LOCAL_GRID_PASSWORD_FILE, localGridStatus, redactRedisUrl, startLocalCluster, stopLocalGrid } from '../../grid/index.js';
import type { LocalGridStatus } from '../../grid/index.js';
import { EXIT, UsageError, withUsage, type CliCommand } from '../command.js';

const HELP = `Usage: journey grid <up|down|status> [options]

Runs a local Redis Cluster from the redis-server binary (apt-get install redis-server), for
development and tests. Nodes listen on 127.0.0.1 only and require a password, generated at a
fresh start into <dir>/grid.password (mode 0600; never printed); data, logs and PID files live
in --dir too. journey serve without REDIS_URL finds it there; to name the grid yourself use
REDIS_URL=redis://:<password>@127.0.0.1:<port>.

Commands:
  up       Start the cluster and wait until every node reports cluster_state:ok, then print the
           seed URLs (password masked) and the password file. Harmless when it already runs (crashed nodes are restarted).
  down     Stop every node by its recorded PID (SIGTERM, then SIGKILL) and remove its files,
           also after a crash (stale PID files).
  status   Print each node's port, PID, role and liveness, and the cluster state.
           Exit code 0 when healthy, 3 when not running or unhealthy.

Options:
  --port-base <n>        First port; node i listens on n+i, its cluster bus on n+i+10000 (default 7101)
  --dir <path>           Folder for data, logs and PID files (default .data/grid)
  --masters <n>          Masters, at least 3 (default 3)
  --replicas <n>         Replicas per master (default 1)
  --node-timeout-ms <n>  cluster-node-timeout: failure detection time (default 2000)
  --json                 Print JSON instead of text (up, status)
  -h, --help             Show this help

Exit codes: 0 ok, 2 bad command line, 3 failure.`;

function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  return parsed;
}

function printStatus(status: LocalGridStatus): void {
  if (status.kind === null) {
    console.log(`No local grid in ${status.dir}.`);
    return;
  }
  console.log(
    `Local ${status.kind} in ${status.dir}: ${status.healthy ? 'healthy' : 'NOT healthy'}${status.clusterState === null ? '' : ` (cluster_state:${status.clusterState})`}`,
  );
  console.log(`  ${'PORT'.padEnd(6)} ${'PID'.padEnd(8)} ${'ROLE'.padEnd(10)} ${'ALIVE'.padEnd(6)} CLUSTER_STATE`);
  for (const node of status.nodes) {
    console.log(
      `  ${String(node.port).padEnd(6)} ${String(node.pid ?? '-').padEnd(8)} ${node.role.padEnd(10)} ${(node.alive ? 'yes' : 'no').padEnd(6)} ${node.clusterState ?? '-'}`,
    );
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      'port-base': { type: 'string' },
      dir: { type: 'string' },
      masters: { type: 'string' },
      replicas: { type: 'string' },
      'node-timeout-ms': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, ...extra] = positionals;
  if (action === undefined || extra.length > 0 || !['up', 'down', 'status'].includes(action)) {
    throw new UsageError(action === undefined ? 'missing <up|down|status>' : `unexpected '${[action, ...extra].join(' ')}'`);
  }
  const dir = values.dir;
  const json = values.json;

  if (action === 'up') {
    const portBase = integerOption('port-base', values['port-base']);
    if (!json) console.log(`Starting a local Redis Cluster in ${dir ?? '.data/grid'} ...`);
    const cluster = await startLocalCluster({
      dir,
      portBase,
      masters: integerOption('masters', values.masters),
      replicasPerMaster: integerOption('replicas', values.replicas),
      nodeTimeoutMs: integerOption('node-timeout-ms', values['node-timeout-ms']),
    });
    if (json) {
      console.log(
        JSON.stringify(
          {
            dir: cluster.dir,
            reused: cluster.reused,
            restartedPorts: cluster.restartedPorts,
            seeds: cluster.seeds.map(redactRedisUrl),
            ...(cluster.password === undefined ? {} : { passwordFile: join(cluster.dir, LOCAL_GRID_PASSWORD_FILE) }),
            nodes: cluster.nodes,
          },
          null,
          2,
        ),
      );
    } else {
      const restarted = cluster.restartedPorts.length > 0 ? `; restarted crashed node(s) ${cluster.restartedPorts.join(', ')}` : '; nothing started';
      console.log(cluster.reused ? `Already running${restarted}.` : 'Cluster is up (cluster_state:ok, all 16384 slots covered).');
      for (const node of cluster.nodes) console.log(`  ${node.role.padEnd(8)} 127.0.0.1:${node.port}  pid ${node.pid}`);
      console.log(`Seeds: ${cluster.seeds.map(redactRedisUrl).join(',')}`);
      if (cluster.password !== undefined) console.log(`Password: in ${join(cluster.dir, LOCAL_GRID_PASSWORD_FILE)} (the *** above)`);
    }
    return EXIT.ok;
  }

  if (action === 'down') {
    const report = await stopLocalGrid({ dir });
    if (report.stopped.length === 0 && report.stale.length === 0) {
      console.log(`No local grid was running in ${dir ?? '.data/grid'}.`);
    } else {
      console.log(
        `Stopped ${report.stopped.length} node(s)${report.stale.length > 0 ? `, removed ${report.stale.length} stale PID file(s)` : ''}; removed the grid files.`,
      );
    }
    return EXIT.ok;
  }

  const status = await localGridStatus({ dir });
  if (json) console.log(JSON.stringify(status, null, 2));
  else printStatus(status);
  return status.healthy ? EXIT.ok : EXIT.failure;
}

/** `journey grid up|down|status`: a local Redis Cluster for development and tests. */
export const gridCommand: CliCommand = {
  name: 'grid',
  summary: 'Start, stop or inspect a local Redis Cluster (development and tests)',
  help: HELP,
  run: withUsage('grid', HELP, run, (error) => {
    if (!isJourneyError(error)) return undefined;
    console.error(`journey grid: [${error.code}] ${error.message}`);
    return error.code === 'JE_CONFIG_INVALID' ? EXIT.usage : EXIT.failure;
  }),
};
