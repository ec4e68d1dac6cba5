import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mariadb from 'mariadb';
import type { Connection } from 'mariadb';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isJourneyError, silentLogger } from '../../common/index.js';
import type { Logger } from '../../common/index.js';
import { AmbiguousCommitError, DEFAULT_MIGRATIONS_DIR, isAmbiguousCommitError, loadMigrations, openStore } from '../../cache-store/index.js';
import type { Store, StoreOptions } from '../../cache-store/index.js';

/** The server under test; a missing server fails the run (never skipped). */
const SERVER_URL = process.env.JE_TEST_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';
const DATABASE = `je_test_${randomBytes(6).toString('hex')}`;
const URL_WITH_DB = `${SERVER_URL}/${DATABASE}`;

function admin(): Promise<Connection> {
  const u = new URL(SERVER_URL);
  return mariadb.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
}

/** A logger whose lines are collected, to count what the store logged. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const stores: Store[] = [];
async function open(options: Partial<StoreOptions> = {}): Promise<Store> {
  const store = await openStore({ url: URL_WITH_DB, logger: silentLogger(), poolSize: 4, ...options });
  stores.push(store);
  return store;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const conn = await admin();
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  } finally {
    await conn.end();
  }
});

describe('openStore: migrations', () => {
  it('three concurrent starts create the database and apply each migration exactly once', async () => {
    const captures = [capturingLogger(), capturingLogger(), capturingLogger()];
    await Promise.all(captures.map((c) => open({ logger: c.logger })));
    const appliedLogs = captures.flatMap((c) => c.lines.filter((l) => l.msg === 'applied migration'));
    const migrations = loadMigrations();
    expect(appliedLogs.map((l) => Number(l.version)).sort((a, b) => a - b)).toEqual(migrations.map((m) => m.version));

    const store = stores[0]!;
    const rows = await store.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    expect(rows.map((r) => r.checksum)).toEqual(migrations.map((m) => m.checksum));

    const tables = await store.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [
      DATABASE,
    ]);
    expect(tables.map((r) => r.t).sort()).toEqual(
      [
        'cluster_meta',
        'deployments',
        'events',
        'feed_sequence',
        'journey_messages',
        'journeys',
        'outbox',
        'partitions',
        'published_events',
        'reconcile_marks',
        'schema_migrations',
        'timers',
        'webhook_cursors',
        'webhook_dead_letters',
      ].sort(),
    );
  });

  it('re-opening is a no-op for migrations', async () => {
    const capture = capturingLogger();
    await open({ logger: capture.logger });
    expect(capture.lines.filter((l) => l.msg === 'applied migration')).toEqual([]);
    const done = capture.lines.find((l) => l.msg === 'cache store schema up to date');
    expect(done?.applied).toEqual([]);
  });

  it('refuses to start when an applied migration changed on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'je-migrations-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const file of readdirSync(DEFAULT_MIGRATIONS_DIR)) copyFileSync(join(DEFAULT_MIGRATIONS_DIR, file), join(dir, file));
    writeFileSync(join(dir, '001_initial.sql'), '-- edited after being applied\nSELECT 1;\n');
    const err: unknown = await open({ migrationsDir: dir }).catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_MIGRATION_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/001_initial was changed after it was applied/);
  });

  it('applies a new migration file once, in order, split into statements', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'je-migrations-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const file of readdirSync(DEFAULT_MIGRATIONS_DIR)) copyFileSync(join(DEFAULT_MIGRATIONS_DIR, file), join(dir, file));
    writeFileSync(
      join(dir, '900_test_extra.sql'),
      'CREATE TABLE IF NOT EXISTS t_extra (k VARCHAR(10) PRIMARY KEY, v VARCHAR(50));\n' +
        '-- a comment with a ; inside\n' +
        "INSERT IGNORE INTO t_extra VALUES ('a', 'semi;colon'), ('b', 'it''s; \\'quoted\\'');\n",
    );
    const store = await open({ migrationsDir: dir });
    expect(await store.query('SELECT k, v FROM t_extra ORDER BY k')).toEqual([
      { k: 'a', v: 'semi;colon' },
      { k: 'b', v: "it's; 'quoted'" },
    ]);
    await open({ migrationsDir: dir });
    expect(await store.queryOne('SELECT COUNT(*) AS n FROM schema_migrations WHERE version = 900')).toEqual({ n: 1 });
  });
});

describe('openStore: configuration and connectivity', () => {
  it('rejects a bad URL naming MARIADB_URL, without echoing the password', async () => {
    for (const url of ['not a url', 'mysql://u:p@h/db', 'mariadb://u:secret@h:99999/db', 'mariadb://u:secret@h/bad-name!', 'mariadb://u@h/db?ssl=1']) {
      const err: unknown = await openStore({ url, logger: silentLogger() }).catch((e: unknown) => e);
      expect(isJourneyError(err, 'JE_CONFIG_INVALID'), url).toBe(true);
      expect((err as Error).message).toMatch(/^MARIADB_URL/);
      expect((err as Error).message).not.toContain('secret');
    }
    const err: unknown = await openStore({ url: URL_WITH_DB, logger: silentLogger(), poolSize: 0 }).catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^poolSize/);
  });

  it('a refused connection is JE_STORE_UNAVAILABLE (retryable)', async () => {
    const err: unknown = await openStore({ url: 'mariadb://root@127.0.0.1:1/x', logger: silentLogger(), connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_UNAVAILABLE')).toBe(true);
    expect(isJourneyError(err) && err.retryable).toBe(true);
  });

  it('sessions run READ COMMITTED, UTC, strict, with short lock and idle-transaction timeouts', async () => {
    const store = await open({ lockWaitTimeoutMs: 3000, idleTransactionTimeoutMs: 20_000 });
    const row = await store.withTransaction(
      (tx) =>
        tx.queryOne<Record<string, unknown>>(
          'SELECT @@tx_isolation AS iso, @@time_zone AS tz, @@innodb_lock_wait_timeout AS lw, @@idle_transaction_timeout AS it, @@sql_mode AS sm',
        ),
      { label: 'test.session' },
    );
    expect(row).toMatchObject({ iso: 'READ-COMMITTED', tz: '+00:00', lw: 3, it: 20 });
    expect(String(row?.sm)).toContain('STRICT_ALL_TABLES');
  });

  it('health() reports a round trip', async () => {
    const store = await open();
    const health = await store.health();
    expect(health.ok).toBe(true);
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });
});

describe('openStore: durability assertion', () => {
  it('passes on this server (innodb_flush_log_at_trx_commit=1)', async () => {
    await expect(open()).resolves.toBeDefined();
  });

  it('refuses innodb_flush_log_at_trx_commit=2, naming the setting and the fix', async () => {
    const err: unknown = await open({
      durabilityVariablesReader: () => Promise.resolve({ innodbFlushLogAtTrxCommit: 2, logBin: false, syncBinlog: 0 }),
    }).catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_DURABILITY')).toBe(true);
    expect((err as Error).message).toMatch(/innodb_flush_log_at_trx_commit=2 \(must be 1\).*SET GLOBAL innodb_flush_log_at_trx_commit=1/);
  });

  it('refuses sync_binlog=0 when the binlog is on', async () => {
    const err: unknown = await open({
      durabilityVariablesReader: () => Promise.resolve({ innodbFlushLogAtTrxCommit: 1, logBin: true, syncBinlog: 0 }),
    }).catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_DURABILITY')).toBe(true);
    expect((err as Error).message).toMatch(/sync_binlog=0/);
  });

  it('starts with allowUnsafeDurability and logs a loud warning', async () => {
    const capture = capturingLogger();
    await open({
      logger: capture.logger,
      allowUnsafeDurability: true,
      durabilityVariablesReader: () => Promise.resolve({ innodbFlushLogAtTrxCommit: 0, logBin: false, syncBinlog: 0 }),
    });
    const warning = capture.lines.find((l) => String(l.msg).startsWith('UNSAFE DURABILITY'));
    expect(warning?.level).toBe(40);
  });
});

describe('withTransaction', () => {
  let store: Store;
  beforeAll(async () => {
    store = await open({ lockWaitTimeoutMs: 1000 });
    await store.execute('CREATE TABLE IF NOT EXISTS t_tx (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
    await store.execute('INSERT IGNORE INTO t_tx VALUES (1, 0), (2, 0)');
  });

  it('commits and returns the body result', async () => {
    const result = await store.withTransaction(
      async (tx) => {
        const write = await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 1');
        return write.affectedRows;
      },
      { label: 'test.commit' },
    );
    expect(result).toBe(1);
  });

  it('rolls back when the body throws, and passes its error through unchanged', async () => {
    const before = await store.queryOne<{ v: number }>('SELECT v FROM t_tx WHERE id = 2');
    const boom = new Error('boom');
    await expect(
      store.withTransaction(
        async (tx) => {
          await tx.execute('UPDATE t_tx SET v = v + 100 WHERE id = 2');
          throw boom;
        },
        { label: 'test.rollback' },
      ),
    ).rejects.toBe(boom);
    expect(await store.queryOne('SELECT v FROM t_tx WHERE id = 2')).toEqual(before);
  });

  it('retries the whole transaction after a real deadlock, and both sides commit', async () => {
    let attempts = 0;
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothLocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const side = (first: number, second: number) =>
      store.withTransaction(
        async (tx) => {
          attempts += 1;
          await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = ?', [first]);
          if (attempts <= 2) {
            arrived += 1;
            if (arrived === 2) release();
            await bothLocked; // both hold their first row: the second update deadlocks
          }
          await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = ?', [second]);
          return first;
        },
        { label: `test.deadlock.${first}` },
      );
    const before = await store.query<{ v: number }>('SELECT v FROM t_tx ORDER BY id');
    await expect(Promise.all([side(1, 2), side(2, 1)])).resolves.toEqual([1, 2]);
    expect(attempts).toBeGreaterThanOrEqual(3);
    const after = await store.query<{ v: number }>('SELECT v FROM t_tx ORDER BY id');
    expect(after.map((r, i) => r.v - before[i]!.v)).toEqual([2, 2]);
  });

  it('retries after a lock wait timeout (1205), rolling back itself', async () => {
    const blocker = await store.pool.getConnection();
    await blocker.beginTransaction();
    await blocker.query('SELECT * FROM t_tx WHERE id = 1 FOR UPDATE');
    setTimeout(() => void blocker.rollback().then(() => blocker.release()), 1500);
    let attempts = 0;
    await store.withTransaction(
      async (tx) => {
        attempts += 1;
        await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 2');
        await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 1'); // waits 1 s, times out once
      },
      { label: 'test.lockwait' },
    );
    expect(attempts).toBeGreaterThanOrEqual(2);
  });

  it('gives up with JE_STORE_CONFLICT when retries are exhausted', async () => {
    const blocker = await store.pool.getConnection();
    await blocker.beginTransaction();
    await blocker.query('SELECT * FROM t_tx WHERE id = 1 FOR UPDATE');
    try {
      const err: unknown = await store
        .withTransaction((tx) => tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 1'), { label: 'test.exhausted', retries: 0 })
        .catch((e: unknown) => e);
      expect(isJourneyError(err, 'JE_STORE_CONFLICT')).toBe(true);
    } finally {
      await blocker.rollback();
      await blocker.release();
    }
  });

  it('a connection lost inside the body is JE_STORE_UNAVAILABLE (nothing committed)', async () => {
    const err: unknown = await store
      .withTransaction(
        async (tx) => {
          await tx.execute('UPDATE t_tx SET v = 999 WHERE id = 2');
          await store.execute(`KILL ${tx.connection.threadId ?? 0}`);
          await tx.execute('UPDATE t_tx SET v = 998 WHERE id = 2');
        },
        { label: 'test.killed-body' },
      )
      .catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_UNAVAILABLE')).toBe(true);
    expect(isAmbiguousCommitError(err)).toBe(false);
    expect(await store.queryOne<{ v: number }>('SELECT v FROM t_tx WHERE id = 2')).not.toEqual({ v: 999 });
  });

  it('a connection lost at COMMIT is an AmbiguousCommitError (JE_STORE_COMMIT_UNKNOWN)', async () => {
    const err: unknown = await store
      .withTransaction(
        async (tx) => {
          await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 2');
          await store.execute(`KILL ${tx.connection.threadId ?? 0}`);
        },
        { label: 'test.killed-commit' },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmbiguousCommitError);
    expect(isJourneyError(err, 'JE_STORE_COMMIT_UNKNOWN')).toBe(true);
    expect((err as AmbiguousCommitError).details.ambiguous).toBe(true);
    // The pool still works: the broken connection was destroyed, not returned.
    expect(await store.health()).toMatchObject({ ok: true });
  });

  it('the server kills a transaction left idle longer than idleTransactionTimeoutMs', async () => {
    const short = await open({ idleTransactionTimeoutMs: 1000 });
    const err: unknown = await short
      .withTransaction(
        async (tx) => {
          await tx.execute('SELECT * FROM t_tx WHERE id = 1 FOR UPDATE');
          await sleep(2500); // a paused process
          await tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 1');
        },
        { label: 'test.idle' },
      )
      .catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_UNAVAILABLE')).toBe(true);
    // The row lock was released with the connection.
    await store.withTransaction((tx) => tx.execute('UPDATE t_tx SET v = v + 1 WHERE id = 1'), { label: 'test.after-idle', retries: 0 });
  });

  it('a SQL error that is neither a conflict nor a lost connection is JE_STORE_QUERY_FAILED', async () => {
    const err: unknown = await store.withTransaction((tx) => tx.execute('INSERT INTO t_tx VALUES (1, 0)'), { label: 'test.dup' }).catch((e: unknown) => e);
    expect(isJourneyError(err, 'JE_STORE_QUERY_FAILED')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details.errno).toBe(1062);
  });
});
