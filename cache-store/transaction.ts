import type { Pool, PoolConnection } from 'mariadb';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { makeExecutor } from './sql-executor.js';
import { AmbiguousCommitError, driverErrno, isConnectionError, isRetryableTransactionError, wrapStoreError } from './store-errors.js';
import type { TransactionOptions, TxConnection } from './store-types.js';

/** Backoff between transaction attempts: full jitter over an exponential ceiling. */
export interface RetryBackoff {
  /** @defaultValue 20 */
  baseMs: number;
  /** @defaultValue 1000 */
  maxMs: number;
}

export const DEFAULT_TRANSACTION_RETRIES = 5;
const DEFAULT_BACKOFF: RetryBackoff = { baseMs: 20, maxMs: 1000 };

/** Delay before attempt `attempt + 1` (attempt counts from 1). */
export function retryDelayMs(attempt: number, backoff: RetryBackoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True for errors thrown by the driver (as opposed to the body's own errors). */
function isDriverError(thrown: unknown): boolean {
  return driverErrno(thrown) !== undefined || isConnectionError(thrown);
}

/**
 * Watches every statement a transaction body runs on its connection. The first failure is kept
 * even when the body swallows it, and the statements still in flight can be awaited: a
 * transaction whose statement failed must never be committed (after a deadlock InnoDB has already
 * rolled it back, and what ran after the failure belongs to no transaction of ours).
 */
class StatementGuard {
  failure: unknown = undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  track<R>(statement: Promise<R>): Promise<R> {
    this.inFlight.add(statement);
    statement.then(
      () => this.inFlight.delete(statement),
      (err: unknown) => {
        this.inFlight.delete(statement);
        this.failure ??= err;
      },
    );
    return statement;
  }

  /** Resolves once every statement sent so far has answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/** Methods that send a statement; their promises are tracked by the guard. */
const STATEMENT_METHODS: ReadonlySet<PropertyKey> = new Set(['query', 'batch', 'execute']);
/** Methods only runTransaction may call on the connection it owns. */
const OWNER_METHODS: ReadonlySet<PropertyKey> = new Set(['beginTransaction', 'commit', 'rollback', 'release', 'end', 'destroy']);

function guardedConnection(conn: PoolConnection, guard: StatementGuard, label: string): PoolConnection {
  return new Proxy(conn, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (STATEMENT_METHODS.has(property)) {
        return (...args: unknown[]) => guard.track((value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      if (OWNER_METHODS.has(property)) {
        return () => {
          throw new JourneyError('JE_INTERNAL', `withTransaction(${label}): the body must not call ${String(property)}() on its connection`);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function txConnection(conn: PoolConnection): TxConnection {
  return {
    connection: conn,
    ...makeExecutor((sql, params) => conn.query(sql, params === undefined ? undefined : [...params])),
  };
}

/**
 * Opens the transaction with autocommit off, both statements in one round trip. START
 * TRANSACTION alone is not enough: InnoDB ends a transaction on a deadlock, and with autocommit
 * on, every statement already pipelined behind the failed one would then commit on its own.
 */
async function begin(conn: PoolConnection, isolation: TransactionOptions['isolation']): Promise<void> {
  const statements = [conn.query('SET autocommit = 0')];
  // SET TRANSACTION applies to the next transaction only: the pooled connection keeps its default.
  if (isolation === 'read-committed') statements.push(conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED'));
  const results = await Promise.allSettled([...statements, conn.beginTransaction()]);
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
  }
}

/** Turns autocommit back on once the transaction has ended (pooled connections are shared with plain reads). */
async function restoreAutocommit(conn: PoolConnection, logger: Logger, label: string): Promise<boolean> {
  try {
    await conn.query('SET autocommit = 1');
    return true;
  } catch (err) {
    logger.warn({ err, label }, 'could not turn autocommit back on; the connection will be destroyed');
    return false;
  }
}

/** Returns the connection to the pool, or destroys it when its state is unknown. */
async function finish(conn: PoolConnection, healthy: boolean, logger: Logger): Promise<void> {
  if (!healthy) {
    try {
      conn.destroy();
    } catch (err) {
      logger.debug({ err }, 'destroying a broken connection failed');
    }
    return;
  }
  try {
    await conn.release();
  } catch (err) {
    logger.warn({ err }, 'releasing a connection failed; destroying it');
    try {
      conn.destroy();
    } catch {
      // already gone
    }
  }
}

/** Rolls back; false when that failed (the connection is then not reusable). */
async function rollback(conn: PoolConnection, logger: Logger, label: string): Promise<boolean> {
  try {
    // A plain statement, not the driver's rollback(): that one skips the round trip when the
    // driver believes no transaction is open, and after a deadlock a new one may be.
    await conn.query('ROLLBACK');
  } catch (err) {
    logger.warn({ err, label }, 'rollback failed; the connection will be destroyed');
    return false;
  }
  return restoreAutocommit(conn, logger, label);
}

/** See {@link Store.withTransaction}. */
export async function runTransaction<T>(pool: Pool, logger: Logger, fn: (tx: TxConnection) => Promise<T>, options: TransactionOptions): Promise<T> {
  const { label } = options;
  if (typeof label !== 'string' || label === '') {
    throw new JourneyError('JE_INTERNAL', 'withTransaction needs a non-empty label');
  }
  const retries = options.retries ?? DEFAULT_TRANSACTION_RETRIES;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new JourneyError('JE_INTERNAL', `withTransaction(${label}): retries must be a non-negative integer`);
  }

  for (let attempt = 1; ; attempt += 1) {
    const mayRetry = attempt <= retries;
    let conn: PoolConnection;
    try {
      conn = await pool.getConnection();
    } catch (err) {
      throw wrapStoreError(err, `${label} (getting a connection)`);
    }

    // BEGIN: a connection error here happened before any work, so another attempt is safe.
    try {
      await begin(conn, options.isolation);
    } catch (err) {
      await finish(conn, false, logger);
      if (mayRetry && isConnectionError(err)) {
        logger.warn({ label, attempt, err }, 'BEGIN failed on a broken connection; retrying on another');
        await sleep(retryDelayMs(attempt));
        continue;
      }
      throw wrapStoreError(err, `${label} (BEGIN)`);
    }

    // The body. Nothing is committed if it throws, or if any of its statements failed (even one
    // whose error it caught): wait for every statement it sent, then roll back and decide.
    let result: T;
    const guard = new StatementGuard();
    try {
      result = await fn(txConnection(guardedConnection(conn, guard, label)));
      await guard.settled();
      if (guard.failure !== undefined) throw ensureError(guard.failure);
    } catch (thrown) {
      await guard.settled();
      // A driver failure outranks whatever the body made of it.
      const err = guard.failure ?? thrown;
      const connectionLost = isConnectionError(err);
      const healthy = !connectionLost && (await rollback(conn, logger, label));
      await finish(conn, healthy, logger);
      if (!isDriverError(err)) throw ensureError(err); // the body's own error, e.g. JE_JOURNEY_NOT_FOUND
      if (mayRetry && isRetryableTransactionError(err)) {
        const delayMs = retryDelayMs(attempt);
        logger.warn({ label, attempt, errno: driverErrno(err), delayMs }, 'transaction conflict; retrying the whole transaction');
        await sleep(delayMs);
        continue;
      }
      throw wrapStoreError(err, label);
    }

    // COMMIT (a plain statement: the driver's commit() may skip it when it believes no
    // transaction is open). A broken connection here leaves the outcome unknown.
    try {
      await conn.query('COMMIT');
    } catch (err) {
      if (isConnectionError(err)) {
        await finish(conn, false, logger);
        throw new AmbiguousCommitError(`${label}: the connection failed during COMMIT; the transaction may or may not be committed. Re-read before retrying.`, {
          cause: ensureError(err),
          details: { label },
        });
      }
      // The server answered with an error: the transaction was not committed.
      const healthy = await rollback(conn, logger, label);
      await finish(conn, healthy, logger);
      if (mayRetry && isRetryableTransactionError(err)) {
        const delayMs = retryDelayMs(attempt);
        logger.warn({ label, attempt, errno: driverErrno(err), delayMs }, 'COMMIT conflict; retrying the whole transaction');
        await sleep(delayMs);
        continue;
      }
      throw wrapStoreError(err, `${label} (COMMIT)`);
    }
    await finish(conn, await restoreAutocommit(conn, logger, label), logger);
    return result;
  }
}
