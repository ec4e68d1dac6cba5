/**
 * A first run on a machine where nothing answers at the default MariaDB address: `journey serve`
 * with no MARIADB_URL starts a private MariaDB from the installed server binaries, durable and on
 * 127.0.0.1 only, says so in one log line, becomes ready on it, keeps its data for the next run,
 * and stops it (by PID) on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConnection } from 'mariadb';
import { findFreePortBase, isPortFree, isProcessAlive } from '../../grid/index.js';
import { stopLocalMariaDb } from '../../cli/local-mariadb.js';
import { gridSeeds, testNamespace } from '../support/environment.js';
import { ServeProcess } from '../support/serve-process.js';

const BUDGET_MS = 8_000;
/** Process start and exit around the budget: tsx, pino's last lines, a loaded 2-core machine. */
const EXIT_MARGIN_MS = 4_000;

describe('journey serve with no MariaDB at the default address', () => {
  const mariadbDir = mkdtempSync(join(tmpdir(), 'je-serve-mariadb-'));
  const keyPrefix = testNamespace();
  let serve: ServeProcess | undefined;
  const started: ServeProcess[] = [];

  afterAll(async () => {
    await Promise.all(started.map((node) => node.kill()));
    // A node SIGKILLed by a failed test leaves its server behind: stop it by the recorded PID.
    await stopLocalMariaDb(mariadbDir, 10_000);
    rmSync(mariadbDir, { recursive: true, force: true });
  });

  async function startServe(): Promise<{ port: number; line: Record<string, unknown> }> {
    const port = await findFreePortBase({ count: 1, cluster: false });
    // The default address points where nothing listens: a machine without a running MariaDB.
    const nowhere = await findFreePortBase({ count: 1, cluster: false });
    serve = new ServeProcess({
      MARIADB_DEFAULT_URL: `mariadb://root@127.0.0.1:${nowhere}/journeys`,
      MARIADB_DIR: mariadbDir,
      REDIS_URL: gridSeeds().join(','),
      GRID_KEY_PREFIX: keyPrefix,
      PORT: String(port),
      NODE_ID: `private-db-${port}`,
      PARTITIONS: '4',
      SHUTDOWN_TIMEOUT_MS: String(BUDGET_MS),
    });
    started.push(serve);
    await serve.waitReady(port, 150_000);
    const line = await serve.waitForLine(/^no MARIADB_URL and nothing answers at .*: using a private MariaDB/, 1_000);
    return { port, line };
  }

  async function stopServe(pid: number, port: number): Promise<void> {
    const node = serve;
    if (node === undefined) throw new Error('no node');
    node.signal('SIGTERM');
    const exit = await node.waitForExit(BUDGET_MS + EXIT_MARGIN_MS);
    expect(exit, `journey serve still runs after SIGTERM:\n${node.tail()}`).not.toBeNull();
    expect(exit?.signal).toBeNull();
    expect(isProcessAlive(pid), `the private mariadbd (pid ${pid}) survived the node`).toBe(false);
    expect(await isPortFree(port)).toBe(true);
  }

  it('starts a durable private server on 127.0.0.1, serves on it, and stops it on SIGTERM', async () => {
    const { line } = await startServe();
    expect(String(line['msg'])).toMatch(/set MARIADB_URL/);
    const url = new URL(String(line['url']));
    const pid = Number(line['pid']);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/journeys');
    expect(isProcessAlive(pid)).toBe(true);

    const conn = await createConnection({ host: '127.0.0.1', port: Number(url.port), user: 'root', database: 'journeys' });
    try {
      const [settings] = await conn.query<Array<Record<string, unknown>>>(
        'SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS flush, @@GLOBAL.log_bin AS logBin, @@GLOBAL.sync_binlog AS syncBinlog, @@GLOBAL.bind_address AS bind, @@GLOBAL.datadir AS datadir',
      );
      expect(Number(settings?.['flush'])).toBe(1);
      expect(Number(settings?.['logBin']) === 0 || Number(settings?.['syncBinlog']) === 1).toBe(true);
      expect(settings?.['bind']).toBe('127.0.0.1');
      expect(String(settings?.['datadir'])).toContain(mariadbDir);
      // Each deployed version's lane has 4 slots, all held by the one node.
      const [owned] = await conn.query<Array<{ n: bigint | number; versions: bigint | number }>>(
        'SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM deployments) AS versions FROM partitions WHERE owner_node IS NOT NULL',
      );
      expect(Number(owned?.n)).toBe(4 * Number(owned?.versions));
    } finally {
      await conn.end();
    }

    await stopServe(pid, Number(url.port));
  }, 240_000);

  it('a second start uses the same data again (nothing reinstalled, the store kept)', async () => {
    const { line } = await startServe();
    const url = new URL(String(line['url']));
    expect(serve?.lines().some((entry) => /creating the private MariaDB data directory/.test(String(entry['msg'])))).toBe(false);
    const conn = await createConnection({ host: '127.0.0.1', port: Number(url.port), user: 'root', database: 'journeys' });
    try {
      // The first run's migrations are still there: the schema was not applied again.
      const [migrations] = await conn.query<Array<{ n: bigint | number }>>('SELECT COUNT(*) AS n FROM schema_migrations');
      expect(Number(migrations?.n)).toBeGreaterThan(0);
    } finally {
      await conn.end();
    }
    expect(
      serve?.lines().some((entry) => entry['msg'] === 'cache store schema up to date' && Array.isArray(entry['applied']) && entry['applied'].length === 0),
    ).toBe(true);
    await stopServe(Number(line['pid']), Number(url.port));
  }, 240_000);
});
