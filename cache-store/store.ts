import mariadb from 'mariadb';
import type { Connection, Pool, PoolConfig } from 'mariadb';
import { performance } from 'node:perf_hooks';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { assertDurability, readDurabilityVariables } from './durability.js';
import { runMigrations } from './migrations.js';
import type { MigrationReport } from './migrations.js';
import { makeExecutor } from './sql-executor.js';
import { wrapStoreError } from './store-errors.js';
import { resolveStoreOptions } from './store-options.js';
import type { ResolvedStoreOptions, StoreOptions } from './store-options.js';
import type { SqlExecutor, Store, StoreHealth, TransactionOptions, TxConnection } from './store-types.js';
import { runTransaction } from './transaction.js';

/**
 * Strict SQL mode on every session, whatever the server default: a value that does not fit its
 * column is an error, never silently truncated or zeroed.
 */
const SQL_MODE = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

/**
 * Driver settings shared by the bootstrap connection and the pool.
 *
 * - `bigIntAsNumber` + `checkNumberRange`: BIGINT columns (sequences, epochs, counts) come back as
 *   JS numbers; they stay far below 2^53, and a value beyond it throws instead of losing digits.
 * - `insertIdAsNumber`: same for insert ids (our tables use none).
 * - `decimalAsNumber: false`: DECIMAL stays a string (exact); we declare no DECIMAL columns.
 * - `dateStrings: false` + `timezone: 'Z'`: DATETIME(6) columns are UTC and read as `Date`
 *   (millisecond precision); the driver also sets the session `time_zone` to `+00:00`, so
 *   `CURRENT_TIMESTAMP(6)` is UTC. Compare times in SQL with the database clock.
 * - `autoJsonMap: false`: JSON columns are LONGTEXT; we stringify and parse them ourselves.
 * - `foundRows: true`: `affectedRows` counts matched rows, which is what fencing checks need.
 * - `multipleStatements: false`: one statement per call (migrations are split first).
 */
function driverConfig(options: ResolvedStoreOptions): PoolConfig {
  const { target, logger } = options;
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    connectTimeout: options.connectTimeoutMs,
    bigIntAsNumber: true,
    insertIdAsNumber: true,
    checkNumberRange: true,
    decimalAsNumber: false,
    dateStrings: false,
    timezone: 'Z',
    autoJsonMap: false,
    foundRows: true,
    multipleStatements: false,
    collation: 'UTF8MB4_BIN',
    logger: {
      error: (err: Error) => logger.debug({ err }, 'mariadb driver error'),
      warning: (msg: string) => logger.warn({ driverMessage: msg }, 'mariadb driver warning'),
    },
  };
}

/** Session settings every pooled connection gets when it is created. */
function sessionInitSql(options: ResolvedStoreOptions): string[] {
  const lockWaitS = Math.max(1, Math.ceil(options.lockWaitTimeoutMs / 1000));
  const idleTxS = Math.max(1, Math.ceil(options.idleTransactionTimeoutMs / 1000));
  return [
    // Correctness relies on row locks (FOR UPDATE) and conditional updates, not snapshots:
    // READ COMMITTED takes fewer gap locks, so fewer deadlocks.
    'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
    `SET SESSION innodb_lock_wait_timeout = ${lockWaitS}`,
    // A paused process must not hold row locks forever: the server kills its connection.
    `SET SESSION idle_transaction_timeout = ${idleTxS}`,
    `SET SESSION sql_mode = '${SQL_MODE}'`,
  ];
}

/** One connection without a default database: creates the database, checks durability; returns max_allowed_packet. */
async function bootstrap(options: ResolvedStoreOptions): Promise<number> {
  let conn: Connection | undefined;
  try {
    conn = await mariadb.createConnection(driverConfig(options));
    const c = conn;
    const executor = makeExecutor((sql, params) => c.query(sql, params === undefined ? undefined : [...params]));
    const variables = await (options.durabilityVariablesReader ?? readDurabilityVariables)(executor);
    assertDurability(variables, { allowUnsafe: options.allowUnsafeDurability, logger: options.logger });
    // The name is validated against ^[A-Za-z0-9_]{1,64}$, so quoting is safe.
    await executor.execute(`CREATE DATABASE IF NOT EXISTS \`${options.target.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const packet = await executor.queryOne<{ bytes: number }>('SELECT @@GLOBAL.max_allowed_packet AS bytes');
    return Number(packet?.bytes ?? DEFAULT_MAX_ALLOWED_PACKET);
  } catch (err) {
    throw wrapStoreError(err, `connecting to ${options.redactedUrl}`);
  } finally {
    if (conn !== undefined) await endQuietly(conn, options.logger);
  }
}

async function endQuietly(conn: Connection, logger: Logger): Promise<void> {
  try {
    await conn.end();
  } catch (err) {
    logger.debug({ err }, 'closing a connection failed');
    conn.destroy();
  }
}

/** MariaDB's default, for a server that does not say. */
const DEFAULT_MAX_ALLOWED_PACKET = 16 * 1024 * 1024;

function createPool(options: ResolvedStoreOptions, maxAllowedPacket: number): Pool {
  const pool = mariadb.createPool({
    ...driverConfig(options),
    // The driver refuses a larger statement before sending it (an error on that statement
    // only); the server would instead drop the connection mid-transaction.
    maxAllowedPacket,
    database: options.target.database,
    connectionLimit: options.poolSize,
    acquireTimeout: options.acquireTimeoutMs,
    initSql: sessionInitSql(options),
    // Check a connection that sat idle before handing it out.
    minDelayValidation: 500,
    // Let the kernel notice a dead peer on idle sockets.
    keepAliveDelay: 10_000,
    leakDetectionTimeout: 0,
  });
  // The pool emits 'error' when it cannot open a connection in the background; an unhandled
  // 'error' event would crash the process. Callers see the failure on getConnection().
  (pool as unknown as NodeJS.EventEmitter).on('error', (err: unknown) => {
    options.logger.warn({ err: ensureError(err) }, 'mariadb pool could not open a connection');
  });
  return pool;
}

async function migrateWithPool(pool: Pool, options: ResolvedStoreOptions): Promise<MigrationReport> {
  let conn;
  try {
    conn = await pool.getConnection();
  } catch (err) {
    throw wrapStoreError(err, 'getting a connection for migrations');
  }
  let healthy = true;
  try {
    const c = conn;
    const executor = makeExecutor((sql, params) => c.query(sql, params === undefined ? undefined : [...params]));
    // DDL waits for a metadata lock behind open transactions (any client's), and new queries on
    // the table queue behind it; the server default wait is a year. Bound it.
    await executor.execute(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(options.migrationLockTimeoutMs / 1000))}`);
    return await runMigrations(executor, {
      database: options.target.database,
      logger: options.logger,
      lockTimeoutMs: options.migrationLockTimeoutMs,
      ...(options.migrationsDir === undefined ? {} : { dir: options.migrationsDir }),
    });
  } catch (err) {
    healthy = false;
    throw wrapStoreError(err, 'running migrations');
  } finally {
    if (healthy) {
      await conn.query('SET SESSION lock_wait_timeout = DEFAULT').then(
        () => conn.release(),
        () => conn.destroy(),
      );
    } else {
      conn.destroy();
    }
  }
}

class MariadbStore implements Store {
  readonly database: string;
  readonly pool: Pool;
  readonly maxAllowedPacketBytes: number;
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;
  private readonly executor: SqlExecutor;

  constructor(pool: Pool, options: ResolvedStoreOptions, maxAllowedPacketBytes: number) {
    this.pool = pool;
    this.maxAllowedPacketBytes = maxAllowedPacketBytes;
    this.database = options.target.database;
    this.logger = options.logger;
    this.executor = makeExecutor(async (sql, params) => {
      try {
        return (await pool.query(sql, params === undefined ? undefined : [...params])) as unknown;
      } catch (err) {
        throw wrapStoreError(err, 'query');
      }
    });
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.executor.query<Row>(sql, params);
  }

  queryOne<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    return this.executor.queryOne<Row>(sql, params);
  }

  execute(sql: string, params?: readonly unknown[]): ReturnType<SqlExecutor['execute']> {
    return this.executor.execute(sql, params);
  }

  withTransaction<T>(fn: (tx: TxConnection) => Promise<T>, options: TransactionOptions): Promise<T> {
    return runTransaction(this.pool, this.logger, fn, options);
  }

  async health(): Promise<StoreHealth> {
    const started = performance.now();
    const pool = {
      active: this.pool.activeConnections(),
      idle: this.pool.idleConnections(),
      total: this.pool.totalConnections(),
      waiting: this.pool.taskQueueSize(),
    };
    try {
      await this.pool.query('SELECT 1');
      return { ok: true, latencyMs: performance.now() - started, pool };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - started, error: ensureError(err).message, pool };
    }
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end().catch((err: unknown) => {
      this.logger.warn({ err: ensureError(err) }, 'closing the mariadb pool failed');
    });
    return this.closing;
  }
}

/**
 * Opens the MariaDB cache store: validates `options` (`JE_CONFIG_INVALID`), connects
 * (`JE_STORE_UNAVAILABLE`), checks durability settings (`JE_STORE_DURABILITY`), creates the
 * database when missing, opens the pool and applies pending migrations
 * (`JE_STORE_MIGRATION_FAILED`). Safe to call from several processes at once.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const { logger } = resolved;
  const maxAllowedPacket = await bootstrap(resolved);
  const pool = createPool(resolved, maxAllowedPacket);
  try {
    if (resolved.migrate) {
      const report = await migrateWithPool(pool, resolved);
      logger.info({ database: resolved.target.database, ...report }, 'cache store schema up to date');
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err instanceof JourneyError ? err : wrapStoreError(err, 'opening the store');
  }
  return new MariadbStore(pool, resolved, maxAllowedPacket);
}
