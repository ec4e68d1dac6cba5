import type { Pool, PoolConnection } from 'mariadb';

/** A SQL parameter list; values are escaped by the driver (`?` placeholders). */
export type SqlParams = readonly unknown[];

/** What an INSERT/UPDATE/DELETE reports. */
export interface WriteResult {
  /**
   * Rows MATCHED by the statement's WHERE (the pool sets `foundRows`), not only rows whose values
   * changed: a fencing `UPDATE … WHERE id=? AND epoch=?` that writes identical values still
   * reports 1. For `INSERT … ON DUPLICATE KEY UPDATE`: 1 inserted, 2 updated.
   */
  affectedRows: number;
  /** AUTO_INCREMENT id of the first inserted row (0 when none); our tables use none. */
  insertId: number;
  /** Number of warnings the statement raised. */
  warningStatus: number;
}

/**
 * Runs SQL: implemented by the {@link Store} (autocommit, one pooled connection per call) and by
 * the {@link TxConnection} a transaction body receives.
 */
export interface SqlExecutor {
  /** Runs a SELECT and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<Row[]>;
  /** Runs a SELECT and returns the first row, or `undefined`. */
  queryOne<Row = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<Row | undefined>;
  /** Runs an INSERT/UPDATE/DELETE/DDL statement. */
  execute(sql: string, params?: SqlParams): Promise<WriteResult>;
}

/**
 * The connection a transaction body receives. Its methods throw the driver's errors unchanged
 * (so a body may catch a duplicate key with `isDuplicateKeyError` and go on);
 * `withTransaction` classifies whatever escapes the body. Do not commit, roll back or release.
 */
export interface TxConnection extends SqlExecutor {
  /** The raw pooled connection, for `batch` or streaming. Never commit/rollback/release it. */
  readonly connection: PoolConnection;
}

/** Options of {@link Store.withTransaction}. */
export interface TransactionOptions {
  /** Names the transaction in logs and errors, e.g. `journal.append`. */
  label: string;
  /**
   * How many times the WHOLE transaction is re-run after a deadlock (1213), lock wait timeout
   * (1205) or record-changed (1020) error, with jittered exponential backoff.
   * @defaultValue 5
   */
  retries?: number;
  /**
   * READ COMMITTED for a transaction that must take no gap locks (the feed's sequencer: a gap
   * lock of its would hold up handling commits). Absent: the server's default (REPEATABLE READ).
   */
  isolation?: 'read-committed';
}

/** The server settings that decide whether a commit survives a crash. */
export interface DurabilityVariables {
  /** `@@GLOBAL.innodb_flush_log_at_trx_commit`: must be 1. */
  innodbFlushLogAtTrxCommit: number;
  /** `@@GLOBAL.log_bin`: whether the binary log is on. */
  logBin: boolean;
  /** `@@GLOBAL.sync_binlog`: must be 1 when the binlog is on. */
  syncBinlog: number;
}

/** What {@link Store.health} reports. */
export interface StoreHealth {
  /** True when a round trip to the server succeeded. */
  ok: boolean;
  /** Round-trip time of the probe, in milliseconds. */
  latencyMs: number;
  /** The failure, when `ok` is false. */
  error?: string;
  /** Pool counters at the time of the probe. */
  pool: { active: number; idle: number; total: number; waiting: number };
}

/** An open MariaDB cache store. */
export interface Store extends SqlExecutor {
  /** The database name in use. */
  readonly database: string;
  /**
   * The server's `max_allowed_packet`, read at open: no statement (one row of an insert, one
   * journey's data) can be larger. The pool refuses such a statement before sending it (a
   * non-fatal driver error) instead of letting the server drop the connection.
   */
  readonly maxAllowedPacketBytes: number;
  /**
   * The underlying pool. Every connection runs at READ COMMITTED with a short lock wait timeout
   * and an idle-transaction timeout; BIGINTs come back as numbers (range-checked), DATETIMEs as
   * UTC `Date`s (millisecond precision: never use one as an equality key).
   */
  readonly pool: Pool;
  /**
   * Runs `fn` in a transaction on one connection: BEGIN, `fn`, COMMIT. On a deadlock, lock wait
   * timeout or record-changed error the whole transaction is rolled back and re-run (so `fn` must
   * be safe to re-run: no side effects outside the database). Errors out:
   * `JE_STORE_UNAVAILABLE` (connection failed before COMMIT: nothing was committed),
   * `AmbiguousCommitError` (`JE_STORE_COMMIT_UNKNOWN`: connection failed during COMMIT: re-read),
   * `JE_STORE_CONFLICT` (retries exhausted), `JE_STORE_QUERY_FAILED` (other SQL errors);
   * `JourneyError`s thrown by `fn` pass through unchanged after the rollback.
   */
  withTransaction<T>(fn: (tx: TxConnection) => Promise<T>, options: TransactionOptions): Promise<T>;
  /** A cheap round trip (`SELECT 1`); never throws. */
  health(): Promise<StoreHealth>;
  /** Closes the pool; waits for borrowed connections to come back. Idempotent. */
  close(): Promise<void>;
}
