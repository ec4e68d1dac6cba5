// Global setup of the `integration`, `chaos` and `docker` vitest projects (runs in the main vitest
// process). Each names this file, and vitest calls it once per project: the first call starts the
// services, later ones (a run of several projects) share them, and the last teardown stops them,
// so one run never starts two Redis Clusters nor hands two grids' seeds to its child processes.
//
// - MariaDB: checks the server at JE_TEST_MARIADB_URL (default mariadb://root@127.0.0.1:3306)
//   answers; tests create their own databases (environment.ts `createTestDatabase`).
// - Redis: uses the grid named by JE_TEST_REDIS_URL (comma-separated seeds) when set; otherwise
//   starts a fresh local Redis Cluster (3 masters + 1 replica each) from the redis-server binary on
//   a free random port range, in a unique temp folder, and stops it by PID at teardown — also on
//   Ctrl-C / SIGTERM (vitest then exits without teardown, so an exit handler kills the recorded
//   PIDs). Clusters left by a run that was SIGKILLed are reaped at the next start.
// - A missing service fails the run with a message saying what to start; nothing is skipped.
// - Docker: not used. Where a Docker engine is reachable, testcontainers could provide the same
//   services, but the local binaries are faster and are what CI has; see docker-compose.yml for
//   laptops.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureError, isJourneyError } from '../../common/index.js';
import { connectGrid, findFreePortBase, killLocalGridNow, redactRedisUrl, startLocalCluster, stopLocalGrid } from '../../grid/index.js';
import type { LocalCluster } from '../../grid/index.js';
import { GRID_OWNER_FILE, GRID_TEMP_PREFIX, TEST_ENV, mariadbAdmin, mariadbServerUrl, ownedGridDir, redactUrl } from './services.js';
import { CHAOS_SUMMARY_HEADER } from './chaos-summary.js';
import './provided-context.js';

async function checkMariaDb(url: string): Promise<void> {
  try {
    const connection = await mariadbAdmin(url);
    try {
      await connection.query('SELECT 1');
    } finally {
      await connection.end();
    }
  } catch (thrown: unknown) {
    throw new Error(
      `MariaDB is not reachable at ${redactUrl(url)}: ${ensureError(thrown).message}\n` +
        `Start it (Debian: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd, as .ci/run does) ` +
        `or point ${TEST_ENV.mariadbUrl} at a running server.`,
      { cause: thrown },
    );
  }
}

async function checkExternalGrid(seeds: string[]): Promise<void> {
  try {
    const grid = await connectGrid({ urls: seeds, watchdogIntervalMs: 0 });
    try {
      const health = await grid.health();
      if (!health.ok) throw new Error(health.error ?? 'unhealthy');
    } finally {
      await grid.close();
    }
  } catch (thrown: unknown) {
    throw new Error(`The Redis grid named by ${TEST_ENV.redisUrl} (${seeds.map(redactRedisUrl).join(', ')}) is not usable: ${ensureError(thrown).message}`, {
      cause: thrown,
    });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops grids whose vitest process or worker died without cleaning up (SIGKILL, OOM, Ctrl-C in a worker). */
async function reapOrphans(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(GRID_TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let owner: number;
    try {
      owner = (JSON.parse(readFileSync(join(dir, GRID_OWNER_FILE), 'utf8')) as { pid: number }).pid;
    } catch {
      continue; // not ours, or being created right now
    }
    if (processAlive(owner)) continue;
    await stopLocalGrid({ dir });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startCluster(): Promise<LocalCluster> {
  let lastError: unknown;
  // Another engineer's suite may grab the same range between our probe and redis binding it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const portBase = await findFreePortBase({ count: 6, cluster: true });
    const dir = ownedGridDir();
    try {
      return await startLocalCluster({ dir, portBase, masters: 3, replicasPerMaster: 1 });
    } catch (thrown: unknown) {
      lastError = thrown;
      rmSync(dir, { recursive: true, force: true });
      if (isJourneyError(thrown, 'JE_DEPENDENCY_MISSING')) break;
    }
  }
  throw new Error(`Could not start the local Redis Cluster for the tests: ${ensureError(lastError).message}`, { cause: lastError });
}

/** The services of one vitest run, whichever of its projects asked first. */
interface RunServices {
  gridSeeds: string[];
  gridDir: string | null;
  mariadbUrl: string;
  /** Projects whose teardown has not run yet. */
  users: number;
  stop: () => Promise<void>;
}

// On globalThis: vitest may load this file once per project, each with its own module state.
const SHARED_RUN = Symbol.for('journey-engine.test.global-setup');
type WithSharedRun = typeof globalThis & { [SHARED_RUN]?: Promise<RunServices> };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const holder = globalThis as WithSharedRun;
  holder[SHARED_RUN] ??= startServices();
  const services = await holder[SHARED_RUN];
  services.users += 1;
  project.provide('gridSeeds', services.gridSeeds);
  project.provide('gridDir', services.gridDir);
  project.provide('mariadbUrl', services.mariadbUrl);
  let tornDown = false;
  return async () => {
    if (tornDown) return;
    tornDown = true;
    services.users -= 1;
    if (services.users > 0) return;
    delete holder[SHARED_RUN];
    await services.stop();
  };
}

async function startServices(): Promise<RunServices> {
  const mariadbUrl = mariadbServerUrl();
  const external = process.env[TEST_ENV.redisUrl]?.trim();
  const seeds = external
    ? external
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean)
    : undefined;

  await checkMariaDb(mariadbUrl);
  let cluster: LocalCluster | undefined;
  if (seeds !== undefined) {
    await checkExternalGrid(seeds);
  } else {
    await reapOrphans();
    cluster = await startCluster();
  }
  const gridSeeds = seeds ?? [...(cluster?.seeds ?? [])];
  const gridDir = cluster?.dir ?? null;

  // The chaos scenarios append their summary rows here; the teardown prints one table.
  const chaosSummary = join(tmpdir(), `je-chaos-summary-${process.pid}-${Date.now()}.md`);
  process.env.JE_CHAOS_SUMMARY = chaosSummary;
  // For processes the tests spawn (engines started as child processes).
  process.env[TEST_ENV.gridSeeds] = gridSeeds.join(',');
  process.env[TEST_ENV.gridDir] = gridDir ?? '';

  let cleanedUp = false;
  const killNow = (): void => {
    if (cleanedUp || gridDir === null) return;
    cleanedUp = true;
    killLocalGridNow(gridDir);
    rmSync(gridDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killNow();
    // vitest installs its own handlers that exit; exit ourselves only when nobody else listens.
    if (process.listenerCount(signal) <= 1) process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.on('exit', killNow);
  for (const signal of signals) process.on(signal, onSignal);

  const stop = async (): Promise<void> => {
    printChaosSummary(chaosSummary);
    process.off('exit', killNow);
    for (const signal of signals) process.off(signal, onSignal);
    if (cleanedUp || gridDir === null) return;
    cleanedUp = true;
    await stopLocalGrid({ dir: gridDir });
    rmSync(gridDir, { recursive: true, force: true });
  };
  return { gridSeeds, gridDir, mariadbUrl, users: 0, stop };
}

function printChaosSummary(file: string): void {
  if (!existsSync(file)) return;
  const rows = readFileSync(file, 'utf8').trim();
  rmSync(file, { force: true });
  if (rows === '') return;
  console.log(`\nFault injection summary (lost and doubled must be 0):\n${CHAOS_SUMMARY_HEADER}\n${rows}\n`);
}
