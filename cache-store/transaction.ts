import type { Pool, PoolConnection } from 'mariadb';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { makeExecutor } from './sql-executor.js';
import {
  AmbiguousCommitError,
  driverErrno,
  isConnectionError,
  isRetryableTransactionError,
  wrapStoreError,
} from './store-errors.js';
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

function txConnection(conn: PoolConnection): TxConnection {
  return {
    connection: conn,
    ...makeExecutor((sql, params) => conn.query(sql, params === undefined ? undefined : [...params])),
  };
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
    await conn.rollback();
    return true;
  } catch (err) {
    logger.warn({ err, label }, 'rollback failed; the connection will be destroyed');
    return false;
  }
}

/** See {@link Store.withTransaction}. */
export async function runTransaction<T>(
  pool: Pool,
  logger: Logger,
  fn: (tx: TxConnection) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
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
      await conn.beginTransaction();
    } catch (err) {
      await finish(conn, false, logger);
      if (mayRetry && isConnectionError(err)) {
        logger.warn({ label, attempt, err }, 'BEGIN failed on a broken connection; retrying on another');
        await sleep(retryDelayMs(attempt));
        continue;
      }
      throw wrapStoreError(err, `${label} (BEGIN)`);
    }

    // The body. Nothing is committed if it throws: roll back and decide.
    let result: T;
    try {
      result = await fn(txConnection(conn));
    } catch (err) {
      const connectionLost = isConnectionError(err);
      const healthy = !connectionLost && (await rollback(conn, logger, label));
      await finish(conn, healthy, logger);
      if (!isDriverError(err)) throw ensureError(err); // the body's own error, e.g. JE_LEASE_LOST
      if (mayRetry && isRetryableTransactionError(err)) {
        const delayMs = retryDelayMs(attempt);
        logger.warn({ label, attempt, errno: driverErrno(err), delayMs }, 'transaction conflict; retrying the whole transaction');
        await sleep(delayMs);
        continue;
      }
      throw wrapStoreError(err, label);
    }

    // COMMIT. A broken connection here leaves the outcome unknown.
    try {
      await conn.commit();
    } catch (err) {
      if (isConnectionError(err)) {
        await finish(conn, false, logger);
        throw new AmbiguousCommitError(
          `${label}: the connection failed during COMMIT; the transaction may or may not be committed. Re-read before retrying.`,
          { cause: ensureError(err), details: { label } },
        );
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
    await finish(conn, true, logger);
    return result;
  }
}
