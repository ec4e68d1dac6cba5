// The one helper integration tests use to reach the services the global setup provides
// (global-setup.ts): the Redis grid's seeds, a fault-injection handle on the local cluster, fresh
// MariaDB databases, and per-test namespaces. Each test works in its own namespace/database and
// cleans up after itself.
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { inject } from 'vitest';
import { connectGrid, findFreePortBase, killLocalGridNow, openLocalCluster, startLocalCluster, startLocalStandalone } from '../../grid/index.js';
import type { Grid, GridOptions, LocalCluster, LocalClusterOptions, LocalStandalone } from '../../grid/index.js';
import { TEST_ENV, mariadbAdmin, ownedGridDir, redactUrl } from './services.js';
import './provided-context.js';

/** `redis://` seed URLs of the grid under test (the local cluster, or JE_TEST_REDIS_URL's). */
export function gridSeeds(): string[] {
  const seeds = inject('gridSeeds');
  if (seeds.length === 0) throw new Error('No grid seeds were provided: is test/support/global-setup.ts wired into this vitest project?');
  return seeds;
}

/** A key prefix no other test uses, e.g. `t-3f2a…`; pass it as `keyPrefix` to `connectGrid`. */
export function testNamespace(): string {
  return `t-${randomUUID()}`;
}

/**
 * Connects to the grid under test in a fresh namespace (so keys never collide with other tests).
 * The caller closes it.
 */
export function connectTestGrid(options: Partial<GridOptions> = {}): Promise<Grid> {
  return connectGrid({ urls: gridSeeds(), keyPrefix: testNamespace(), watchdogIntervalMs: 0, ...options });
}

/**
 * The local cluster the global setup started, for fault injection (kill/restart nodes, find the
 * master of a slot). Fails when the tests run against an external grid (JE_TEST_REDIS_URL), which
 * this harness cannot kill nodes of. Tests that break nodes must heal the cluster afterwards
 * (`restartNode` + `waitForHealthy`), since later test files share it.
 */
export function cluster(): LocalCluster {
  const dir = inject('gridDir');
  if (dir === null) {
    throw new Error(`Fault injection needs the harness's own local cluster; unset ${TEST_ENV.redisUrl} to run this test.`);
  }
  return openLocalCluster({ dir });
}

/** A database created for one test file or test. */
export interface TestDatabase {
  /** `mariadb://…/<name>`: the server URL with this database selected. */
  url: string;
  /** `je_test_<random>` */
  name: string;
  /** Drops the database; idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named, empty MariaDB database `je_test_<random>` on the server the global
 * setup checked (JE_TEST_MARIADB_URL, default `mariadb://root@127.0.0.1:3306`). Drop it in
 * `afterAll`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('mariadbUrl');
  const name = `je_test_${randomBytes(6).toString('hex')}`;
  const admin = await mariadbAdmin(serverUrl).catch((thrown: unknown) => {
    throw new Error(`MariaDB is not reachable at ${redactUrl(serverUrl)}`, { cause: thrown });
  });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  return {
    url: `${serverUrl}/${name}`,
    name,
    async drop() {
      if (dropped) return;
      const connection = await mariadbAdmin(serverUrl);
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        dropped = true;
      } finally {
        await connection.end();
      }
    },
  };
}

/** Grids started by this worker, killed on exit if a test did not dispose of them. */
const ownGrids = new Set<string>();
let exitHookInstalled = false;

function trackGrid(dir: string): void {
  ownGrids.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const grid of ownGrids) {
      killLocalGridNow(grid);
      rmSync(grid, { recursive: true, force: true });
    }
  });
}

async function withFreshDir<T extends { dir: string }>(start: (dir: string, portBase: number) => Promise<T>, count: number, cluster: boolean): Promise<T> {
  let lastError: unknown;
  // Another suite may bind the probed ports first: try a few ranges.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = ownedGridDir();
    try {
      const handle = await start(dir, await findFreePortBase({ count, cluster }));
      trackGrid(handle.dir);
      return handle;
    } catch (thrown: unknown) {
      lastError = thrown;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

/**
 * A private local cluster for a test that breaks things the shared one must not suffer (or needs
 * its own shape), on free ports in an owned temp folder. Dispose of it with {@link disposeTestGrid}.
 */
export function startTestCluster(options: Omit<LocalClusterOptions, 'dir' | 'portBase'> = {}): Promise<LocalCluster> {
  const count = (options.masters ?? 3) * (1 + (options.replicasPerMaster ?? 1));
  return withFreshDir((dir, portBase) => startLocalCluster({ ...options, dir, portBase }), count, true);
}

/** A private standalone redis-server on a free port. Dispose of it with {@link disposeTestGrid}. */
export function startTestStandalone(): Promise<LocalStandalone> {
  return withFreshDir((dir, portBase) => startLocalStandalone({ dir, portBase }), 1, false);
}

/** Stops a grid from {@link startTestCluster}/{@link startTestStandalone} by PID and removes its folder. */
export async function disposeTestGrid(grid: LocalCluster | LocalStandalone | undefined): Promise<void> {
  if (grid === undefined) return;
  await grid.stop();
  rmSync(grid.dir, { recursive: true, force: true });
  ownGrids.delete(grid.dir);
}
