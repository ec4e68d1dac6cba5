// The one helper integration tests use to reach the services the global setup provides
// (global-setup.ts): the Redis grid's seeds, a fault-injection handle on the local cluster, fresh
// MariaDB databases, and per-test namespaces. Each test works in its own namespace/database and
// cleans up after itself.
import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { connectGrid, openLocalCluster } from '../../grid/index.js';
import type { Grid, GridOptions, LocalCluster } from '../../grid/index.js';
import { TEST_ENV, mariadbAdmin, redactUrl } from './services.js';
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
