/**
 * `journey serve` with its embedded local grid, stopped the ways a terminal and a process
 * manager stop it: Ctrl-C under `npm start` (npm forwards the SIGINT the terminal already sent,
 * so the node gets two at once), and SIGTERM after its Redis was frozen, killed, or killed and
 * restarted. Whatever happens, the shutdown ends within its budget, the partitions are handed
 * back in MariaDB (owner NULL), and no redis-server the node started survives it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnection } from 'mariadb';
import { findFreePortBase, isPortFree, isProcessAlive, killLocalGridNow, openLocalCluster } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { ServeProcess } from '../support/serve-process.js';

const PARTITIONS = 8;
const BUDGET_MS = 6_000;
/** Process start and exit around the budget: tsx, pino's last lines, a loaded 2-core machine. */
const EXIT_MARGIN_MS = 4_000;

interface Node {
  serve: ServeProcess;
  gridDir: string;
  port: number;
  database: TestDatabase;
}

const started: Node[] = [];

afterEach(async () => {
  for (const node of started.splice(0)) {
    await node.serve.kill();
    killLocalGridNow(node.gridDir);
    rmSync(node.gridDir, { recursive: true, force: true });
    await node.database.drop();
  }
});

async function startNode(): Promise<Node> {
  const gridDir = mkdtempSync(join(tmpdir(), 'je-serve-grid-'));
  const database = await createTestDatabase();
  const port = await findFreePortBase({ count: 1, cluster: false });
  const serve = new ServeProcess({
    GRID_DIR: gridDir,
    GRID_PORT_BASE: String(await findFreePortBase({ count: 6, cluster: true })),
    MARIADB_URL: database.url,
    PORT: String(port),
    NODE_ID: `shutdown-${port}`,
    PARTITIONS: String(PARTITIONS),
    SHUTDOWN_TIMEOUT_MS: String(BUDGET_MS),
  });
  const node = { serve, gridDir, port, database };
  started.push(node);
  await serve.waitReady(port, 90_000);
  return node;
}

/** port → PID of every redis-server the node's grid recorded. */
function gridPids(gridDir: string): Map<number, number> {
  const pids = new Map<number, number>();
  for (const entry of readdirSync(gridDir)) {
    const match = /^node-(\d+)$/.exec(entry);
    const pidFile = join(gridDir, entry, 'redis.pid');
    if (match?.[1] !== undefined && existsSync(pidFile)) pids.set(Number(match[1]), Number(readFileSync(pidFile, 'utf8').trim()));
  }
  return pids;
}

/** The lease rows (one per partition of each deployed version's lane), and how many a node holds, per version deployed. */
async function partitionOwners(database: TestDatabase): Promise<{ total: number; owned: number }> {
  const url = new URL(database.url);
  const conn = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    database: database.name,
  });
  try {
    const [row] = await conn.query<Array<{ total: bigint | number; owned: bigint | number | null; versions: bigint | number }>>(
      'SELECT COUNT(*) AS total, SUM(owner_node IS NOT NULL) AS owned, (SELECT COUNT(*) FROM deployments) AS versions FROM partitions',
    );
    const versions = Math.max(1, Number(row?.versions ?? 1));
    return { total: Number(row?.total ?? 0) / versions, owned: Number(row?.owned ?? 0) / versions };
  } finally {
    await conn.end();
  }
}

async function expectCleanlyStopped(node: Node, pids: Map<number, number>, withinMs: number): Promise<void> {
  const exit = await node.serve.waitForExit(withinMs);
  expect(exit, `journey serve still runs ${withinMs} ms after the signal:\n${node.serve.tail()}`).not.toBeNull();
  expect(exit?.signal, `journey serve was killed by a signal instead of shutting down:\n${node.serve.tail()}`).toBeNull();
  const survivors = [...pids].filter(([, pid]) => isProcessAlive(pid));
  expect(survivors, `redis-servers of ${node.gridDir} still running (port, pid)`).toEqual([]);
  for (const port of pids.keys()) expect(await isPortFree(port)).toBe(true);
  expect(await partitionOwners(node.database)).toEqual({ total: PARTITIONS, owned: 0 });
}

describe('journey serve shutdown with the embedded local grid', () => {
  it('Ctrl-C under npm (a second SIGINT during the shutdown) still stops the grid and hands the partitions back', async () => {
    const node = await startNode();
    expect(await partitionOwners(node.database)).toEqual({ total: PARTITIONS, owned: PARTITIONS });
    const pids = gridPids(node.gridDir);
    expect(pids.size).toBe(6);
    // The terminal's SIGINT, then npm's forwarded copy while the node is already stopping. (Two
    // sent in the same instant may merge into one pending signal, which would prove nothing.)
    node.serve.signal('SIGINT');
    await node.serve.waitForLine(/^shutting down$/, 5_000);
    node.serve.signal('SIGINT');
    await expectCleanlyStopped(node, pids, BUDGET_MS + EXIT_MARGIN_MS);
    expect(node.serve.lines().some((line) => /ignored/.test(String(line['msg'])) && line['signal'] === 'SIGINT')).toBe(true);
  }, 150_000);

  it.each([
    ['frozen (SIGSTOP)', 'SIGSTOP'],
    ['dead (SIGKILL)', 'SIGKILL'],
  ] as const)(
    'SIGTERM with every redis-server %s ends within the budget and releases the partitions',
    async (_what, signal) => {
      const node = await startNode();
      const pids = gridPids(node.gridDir);
      for (const pid of pids.values()) process.kill(pid, signal);
      const signalledAt = performance.now();
      node.serve.signal('SIGTERM');
      await expectCleanlyStopped(node, pids, BUDGET_MS + EXIT_MARGIN_MS);
      expect(performance.now() - signalledAt).toBeLessThan(BUDGET_MS + EXIT_MARGIN_MS);
    },
    150_000,
  );

  it('a third signal exits at once and still kills the local redis-servers', async () => {
    const node = await startNode();
    const pids = gridPids(node.gridDir);
    // Frozen Redis keeps the shutdown busy for a while: the later signals arrive during it.
    for (const pid of pids.values()) process.kill(pid, 'SIGSTOP');
    node.serve.signal('SIGTERM');
    await node.serve.waitForLine(/^shutting down$/, 5_000);
    node.serve.signal('SIGTERM');
    await node.serve.waitForLine(/^already shutting down/, 5_000);
    const forcedAt = performance.now();
    node.serve.signal('SIGTERM');
    const exit = await node.serve.waitForExit(3_000);
    expect(exit, `journey serve did not exit at the third signal:\n${node.serve.tail()}`).toEqual({ code: 143, signal: null });
    expect(performance.now() - forcedAt).toBeLessThan(3_000);
    expect([...pids].filter(([, pid]) => isProcessAlive(pid))).toEqual([]);
  }, 150_000);

  it('SIGTERM after a Redis master was killed and restarted ends within the budget', async () => {
    const node = await startNode();
    const cluster = openLocalCluster({ dir: node.gridDir });
    const master = (await cluster.currentNodes()).find((entry) => entry.role === 'master');
    expect(master).toBeDefined();
    await cluster.killNode(master?.port ?? 0, 'SIGKILL');
    await cluster.restartNode(master?.port ?? 0);
    const pids = gridPids(node.gridDir);
    node.serve.signal('SIGTERM');
    await expectCleanlyStopped(node, pids, BUDGET_MS + EXIT_MARGIN_MS);
  }, 150_000);
});

describe('journey serve shutdown of several worker processes at once', () => {
  const workers: ServeProcess[] = [];
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill()));
    await database?.drop();
  });

  it('SIGTERM to every worker at once: all exit within the budget and no partition stays owned', async () => {
    database = await createTestDatabase();
    const keyPrefix = testNamespace();
    const partitions = 12;
    for (let i = 0; i < 3; i++) {
      const port = await findFreePortBase({ count: 1, cluster: false });
      workers.push(
        new ServeProcess({
          REDIS_URL: gridSeeds().join(','),
          GRID_KEY_PREFIX: keyPrefix,
          MARIADB_URL: database.url,
          ROLES: 'worker',
          PORT: String(port),
          NODE_ID: `herd-${i}-${port}`,
          PARTITIONS: String(partitions),
          LEASE_TTL_MS: '3000',
          SHUTDOWN_TIMEOUT_MS: String(BUDGET_MS),
        }),
      );
    }
    await Promise.all(workers.map((worker) => worker.waitForLine(/^engine started$/, 90_000)));
    const db = database;
    // Membership settles: every worker holds a share and every partition is held.
    const deadline = performance.now() + 60_000;
    for (;;) {
      const url = new URL(db.url);
      const conn = await createConnection({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username || 'root'),
        database: db.name,
      });
      const rows = await conn.query<Array<{ owner: string | null; n: bigint | number }>>(
        `SELECT SUBSTRING_INDEX(owner_node, ':', 1) AS owner, COUNT(*) AS n FROM partitions WHERE lease_expires_at > NOW(6) GROUP BY 1`,
      );
      // A lane of `partitions` slots per deployed version.
      const [slots] = await conn.query<Array<{ n: bigint | number }>>(`SELECT COUNT(*) AS n FROM partitions`);
      await conn.end();
      const held = rows.reduce((sum, row) => sum + Number(row.n), 0);
      if (held === Number(slots?.n) && held >= partitions && rows.length === workers.length) break;
      if (performance.now() > deadline)
        throw new Error(`partitions did not settle: ${JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const signalledAt = performance.now();
    for (const worker of workers) worker.signal('SIGTERM');
    const exits = await Promise.all(workers.map((worker) => worker.waitForExit(BUDGET_MS + EXIT_MARGIN_MS)));
    expect(exits.map((exit, i) => (exit === null ? `worker ${i} still running:\n${workers[i]?.tail() ?? ''}` : exit.signal))).toEqual([null, null, null]);
    expect(performance.now() - signalledAt).toBeLessThan(BUDGET_MS + EXIT_MARGIN_MS);
    expect(await partitionOwners(db)).toEqual({ total: partitions, owned: 0 });
  }, 180_000);
});
