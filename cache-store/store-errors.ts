import { JourneyError, ensureError } from '../common/index.js';
import type { JourneyErrorOptions } from '../common/index.js';

/**
 * Classifies what the `mariadb` driver throws. The driver's `SqlError` carries a server `errno`
 * (1213, 1205, …) or a client one (45xxx), a `code` string, and `fatal` when the connection is
 * gone. Every classifier walks the `cause` chain, so a driver error wrapped in a `JourneyError`
 * is still recognised.
 */

/** Server error numbers we act on. */
export const SERVER_ERRNO = {
  /** ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back. */
  DEADLOCK: 1213,
  /** ER_LOCK_WAIT_TIMEOUT: with innodb_rollback_on_timeout=OFF only the statement was rolled back. */
  LOCK_WAIT_TIMEOUT: 1205,
  /** ER_CHECKREAD: record changed since last read. */
  RECORD_CHANGED: 1020,
  /** ER_DUP_ENTRY: a unique key already holds that value. */
  DUPLICATE_KEY: 1062,
  /** ER_SERVER_SHUTDOWN. */
  SERVER_SHUTDOWN: 1053,
  /** ER_CONNECTION_KILLED. */
  CONNECTION_KILLED: 1927,
  /** ER_CON_COUNT_ERROR: too many connections. */
  TOO_MANY_CONNECTIONS: 1040,
} as const;

/** Client-side (driver) error numbers that mean the connection is unusable or unreachable. */
const CONNECTION_CLIENT_ERRNOS: ReadonlySet<number> = new Set([
  45001, // ER_CONNECTION_ALREADY_CLOSED
  45004, // ER_CMD_NOT_EXECUTED_DESTROYED
  45009, // ER_SOCKET_UNEXPECTED_CLOSE
  45012, // ER_CONNECTION_TIMEOUT
  45013, // ER_CMD_CONNECTION_CLOSED
  45019, // ER_SOCKET
  45026, // ER_SOCKET_TIMEOUT
  45027, // ER_POOL_ALREADY_CLOSED
  45028, // ER_GET_CONNECTION_TIMEOUT
  45035, // ER_ADD_CONNECTION_CLOSED_POOL
  45037, // ER_CLOSING_POOL
  45039, // ER_INITIAL_TIMEOUT_ERROR
  45042, // ER_PING_TIMEOUT
  45060, // ER_POOL_NOT_INITIALIZED
  45061, // ER_POOL_NO_CONNECTION
]);

/** Server error numbers after which the connection (or the server) is gone. */
const CONNECTION_SERVER_ERRNOS: ReadonlySet<number> = new Set([
  SERVER_ERRNO.SERVER_SHUTDOWN,
  SERVER_ERRNO.CONNECTION_KILLED,
  SERVER_ERRNO.TOO_MANY_CONNECTIONS,
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (idle_transaction_timeout / wait_timeout expired)
]);

/** Node socket error codes that mean the server cannot be reached. */
const CONNECTION_NODE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
]);

/** The fields of a driver error we read; all optional because anything may be thrown. */
interface DriverErrorShape {
  errno?: unknown;
  code?: unknown;
  fatal?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Yields the error and its causes, outermost first (bounded, in case of cycles). */
function* causeChain(thrown: unknown): Generator<DriverErrorShape & { cause?: unknown }> {
  let current: unknown = thrown;
  for (let depth = 0; depth < 8 && isObject(current); depth += 1) {
    yield current;
    current = current.cause;
  }
}

/** The server or client error number of the first driver error in the cause chain, if any. */
export function driverErrno(thrown: unknown): number | undefined {
  for (const err of causeChain(thrown)) {
    if (typeof err.errno === 'number' && err.errno > 0) return err.errno;
  }
  return undefined;
}

function hasServerErrno(thrown: unknown, errnos: readonly number[]): boolean {
  for (const err of causeChain(thrown)) {
    if (typeof err.errno === 'number' && errnos.includes(err.errno)) return true;
  }
  return false;
}

/**
 * True for errors after which re-running the WHOLE transaction may succeed: deadlock (1213),
 * lock wait timeout (1205) and record changed (1020). Connection errors are not included.
 */
export function isRetryableTransactionError(thrown: unknown): boolean {
  return hasServerErrno(thrown, [SERVER_ERRNO.DEADLOCK, SERVER_ERRNO.LOCK_WAIT_TIMEOUT, SERVER_ERRNO.RECORD_CHANGED]);
}

/**
 * Errors a statement will meet again however often it is retried, because of what it carries:
 * too large for a packet, a value out of a column's range or type, invalid JSON, a failed check
 * constraint. Retrying such a commit only blocks everything batched with it.
 */
const PERMANENT_ERRNOS: readonly number[] = [
  1048, // ER_BAD_NULL_ERROR (e.g. a date the server cannot represent became NULL)
  1153, // ER_NET_PACKET_TOO_LARGE
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1292, // ER_TRUNCATED_WRONG_VALUE (an impossible date or time)
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1406, // ER_DATA_TOO_LONG
  1441, // ER_DATETIME_FUNCTION_OVERFLOW
  3140, // ER_INVALID_JSON_TEXT
  4025, // ER_CONSTRAINT_FAILED (JSON_VALID checks)
  45046, // driver: ER_MAX_ALLOWED_PACKET, refused before sending
];

export function isPermanentStatementError(thrown: unknown): boolean {
  return hasServerErrno(thrown, PERMANENT_ERRNOS);
}

/** True when a unique key rejected an insert or update (1062). */
export function isDuplicateKeyError(thrown: unknown): boolean {
  return hasServerErrno(thrown, [SERVER_ERRNO.DUPLICATE_KEY]);
}

/**
 * True when the error means the server could not be reached or the connection broke (refused,
 * reset, timed out, killed, server gone, pool could not get a connection). Such a connection must
 * be destroyed, not returned to the pool.
 */
export function isConnectionError(thrown: unknown): boolean {
  for (const err of causeChain(thrown)) {
    if (err.fatal === true) return true;
    if (typeof err.errno === 'number') {
      if (CONNECTION_CLIENT_ERRNOS.has(err.errno) || CONNECTION_SERVER_ERRNOS.has(err.errno)) return true;
    }
    if (typeof err.code === 'string' && CONNECTION_NODE_CODES.has(err.code)) return true;
  }
  return false;
}

/** Facts about a driver error worth putting in `JourneyError.details` (never SQL parameters). */
export function driverErrorDetails(thrown: unknown): Record<string, unknown> {
  for (const err of causeChain(thrown)) {
    if (typeof err.errno === 'number' || typeof err.sqlState === 'string') {
      return {
        errno: err.errno,
        driverCode: typeof err.code === 'string' ? err.code : undefined,
        sqlState: typeof err.sqlState === 'string' ? err.sqlState : undefined,
      };
    }
  }
  return {};
}

/**
 * The commit outcome is unknown: the connection failed while COMMIT was in flight. The caller
 * must re-read what the transaction would have written before deciding to retry; re-applying
 * blindly can apply the same change twice.
 */
export class AmbiguousCommitError extends JourneyError {
  override name = 'AmbiguousCommitError';
  /** Always true: lets callers test `err.ambiguous` without an `instanceof`. */
  readonly ambiguous = true;

  constructor(message: string, options: JourneyErrorOptions = {}) {
    super('JE_STORE_COMMIT_UNKNOWN', message, { ...options, details: { ambiguous: true, ...options.details } });
  }
}

/** True when the outcome of a commit is unknown (see {@link AmbiguousCommitError}). */
export function isAmbiguousCommitError(thrown: unknown): thrown is AmbiguousCommitError {
  return thrown instanceof AmbiguousCommitError;
}

/**
 * Wraps anything a store operation threw into an `Error` out of the registry: `JourneyError`s pass
 * through untouched; connection failures become `JE_STORE_UNAVAILABLE`; lock conflicts
 * `JE_STORE_CONFLICT`; other SQL errors `JE_STORE_QUERY_FAILED`. The original is the `cause`.
 */
export function wrapStoreError(thrown: unknown, what: string): Error {
  if (thrown instanceof JourneyError) return thrown;
  const cause = ensureError(thrown);
  const details = { operation: what, ...driverErrorDetails(thrown) };
  // Before the connection check: a packet too large also drops the connection, yet the store is
  // up and the same statement fails again however often it is sent.
  if (isPermanentStatementError(thrown)) {
    return new JourneyError('JE_STORE_QUERY_FAILED', `The store cannot hold what ${what} wrote: ${cause.message}`, { cause, details });
  }
  if (isConnectionError(thrown)) {
    return new JourneyError('JE_STORE_UNAVAILABLE', `MariaDB unavailable during ${what}: ${cause.message}`, {
      cause,
      details,
      retryAfterMs: 1000,
    });
  }
  if (isRetryableTransactionError(thrown)) {
    return new JourneyError('JE_STORE_CONFLICT', `Lock conflict during ${what}: ${cause.message}`, {
      cause,
      details,
      retryAfterMs: 100,
    });
  }
  return new JourneyError('JE_STORE_QUERY_FAILED', `SQL failed during ${what}: ${cause.message}`, { cause, details });
}
