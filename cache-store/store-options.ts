import { JourneyError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { DurabilityVariables, SqlExecutor } from './store-types.js';

/** Options of {@link openStore}. Validated once at start; a bad value fails naming the setting. */
export interface StoreOptions {
  /**
   * `mariadb://user:password@host:port/database` (the `MARIADB_URL` setting). User and password
   * are URL-decoded. No query parameters are accepted.
   * @defaultValue database `journeys` when the path is empty; port 3306
   */
  url: string;
  /** Where the store logs (retries, unsafe durability, migrations). */
  logger: Logger;
  /**
   * Maximum connections in the pool.
   * @defaultValue 16
   */
  poolSize?: number;
  /**
   * Time allowed to open one TCP connection and authenticate, in milliseconds.
   * @defaultValue 5000
   */
  connectTimeoutMs?: number;
  /**
   * Time a caller may wait for a free pool connection before `JE_STORE_UNAVAILABLE`, in milliseconds.
   * @defaultValue 10000
   */
  acquireTimeoutMs?: number;
  /**
   * Session `innodb_lock_wait_timeout`, rounded up to whole seconds. Short, so a blocked writer
   * fails fast (1205) and retries instead of queueing behind a stuck one.
   * @defaultValue 5000
   */
  lockWaitTimeoutMs?: number;
  /**
   * Session `idle_transaction_timeout`, rounded up to whole seconds: the server kills a
   * connection whose transaction stays idle this long, so a paused (SIGSTOPped) process cannot
   * hold row locks forever. A transaction must never wait this long between two statements.
   * @defaultValue 30000
   */
  idleTransactionTimeoutMs?: number;
  /**
   * Start even when the server is not configured for durable commits
   * (`innodb_flush_log_at_trx_commit` ≠ 1, or `sync_binlog` ≠ 1 with the binlog on).
   * A loud warning is logged at every start. Never in production.
   * @defaultValue false
   */
  allowUnsafeDurability?: boolean;
  /**
   * Apply pending migrations at start.
   * @defaultValue true
   */
  migrate?: boolean;
  /**
   * Folder holding the `NNN_name.sql` migration files.
   * @defaultValue the `migrations/` folder next to this module (copied into `dist/` by the build)
   */
  migrationsDir?: string;
  /**
   * How long a start waits for another process that is migrating the same database, in milliseconds.
   * @defaultValue 30000
   */
  migrationLockTimeoutMs?: number;
  /**
   * Reads the durability settings. Only for tests, to exercise the refusal path without changing
   * the server's global settings.
   * @defaultValue reads `@@GLOBAL` variables from the server
   */
  durabilityVariablesReader?: (executor: SqlExecutor) => Promise<DurabilityVariables>;
}

/** Where the store connects, parsed from the URL. */
export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Options with defaults applied, frozen. */
export interface ResolvedStoreOptions {
  readonly target: Readonly<ConnectionTarget>;
  /** The URL with the password replaced by `***`, for logs and messages. */
  readonly redactedUrl: string;
  readonly logger: Logger;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly acquireTimeoutMs: number;
  readonly lockWaitTimeoutMs: number;
  readonly idleTransactionTimeoutMs: number;
  readonly allowUnsafeDurability: boolean;
  readonly migrate: boolean;
  readonly migrationsDir: string | undefined;
  readonly migrationLockTimeoutMs: number;
  readonly durabilityVariablesReader: ((executor: SqlExecutor) => Promise<DurabilityVariables>) | undefined;
}

export const STORE_DEFAULTS = {
  database: 'journeys',
  port: 3306,
  poolSize: 16,
  connectTimeoutMs: 5000,
  acquireTimeoutMs: 10_000,
  lockWaitTimeoutMs: 5000,
  idleTransactionTimeoutMs: 30_000,
  migrationLockTimeoutMs: 30_000,
} as const;

/** A database name we can always quote safely and that MariaDB accepts. */
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

function invalid(setting: string, message: string, details: Record<string, unknown> = {}): JourneyError {
  return new JourneyError('JE_CONFIG_INVALID', `${setting}: ${message}`, { details: { setting, ...details } });
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

/**
 * Parses `mariadb://user:pass@host:port/db`. Errors name `MARIADB_URL` and never echo the password.
 */
export function parseMariadbUrl(url: unknown): { target: ConnectionTarget; redactedUrl: string } {
  const setting = 'MARIADB_URL';
  if (typeof url !== 'string' || url.trim() === '') {
    throw invalid(setting, 'must be a non-empty string like mariadb://user:password@host:3306/journeys');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(setting, 'is not a valid URL; expected mariadb://user:password@host:3306/journeys');
  }
  const redactedUrl = redact(parsed);
  if (parsed.protocol !== 'mariadb:') {
    throw invalid(setting, `must use the mariadb:// scheme, got ${parsed.protocol}//`, { url: redactedUrl });
  }
  if (parsed.hostname === '') throw invalid(setting, 'names no host', { url: redactedUrl });
  if (parsed.search !== '' || parsed.hash !== '') {
    throw invalid(setting, 'must not carry query parameters or a fragment (none are supported)', { url: redactedUrl });
  }
  const port = parsed.port === '' ? STORE_DEFAULTS.port : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(setting, `has an invalid port ${parsed.port}`, { url: redactedUrl });
  }
  let database: string;
  let user: string;
  let password: string;
  try {
    database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    user = decodeURIComponent(parsed.username);
    password = decodeURIComponent(parsed.password);
  } catch {
    throw invalid(setting, 'has badly percent-encoded parts', { url: redactedUrl });
  }
  if (database === '') database = STORE_DEFAULTS.database;
  if (!DATABASE_NAME.test(database)) {
    throw invalid(setting, `database name "${database}" must match ${DATABASE_NAME.source}`, { url: redactedUrl });
  }
  if (user === '') throw invalid(setting, 'names no user', { url: redactedUrl });
  // IPv6 literals come back bracketed from URL; the driver wants them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { target: { host, port, user, password, database }, redactedUrl };
}

function positiveInteger(setting: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(setting, `must be an integer between 1 and ${max}, got ${JSON.stringify(value) ?? typeof value}`, { value });
  }
  return value;
}

function optionalBoolean(setting: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(setting, `must be a boolean, got ${typeof value}`);
  return value;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'url',
  'logger',
  'poolSize',
  'connectTimeoutMs',
  'acquireTimeoutMs',
  'lockWaitTimeoutMs',
  'idleTransactionTimeoutMs',
  'allowUnsafeDurability',
  'migrate',
  'migrationsDir',
  'migrationLockTimeoutMs',
  'durabilityVariablesReader',
]);

/** Validates {@link StoreOptions} and applies defaults; throws `JE_CONFIG_INVALID` naming the setting. */
export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw invalid(key, 'is not a store option');
  }
  const { target, redactedUrl } = parseMariadbUrl(options.url);
  const logger = options.logger as unknown;
  if (typeof logger !== 'object' || logger === null || typeof (logger as { warn?: unknown }).warn !== 'function') {
    throw invalid('logger', 'must be a pino logger (use silentLogger() when none is wanted)');
  }
  if (options.migrationsDir !== undefined && (typeof options.migrationsDir !== 'string' || options.migrationsDir === '')) {
    throw invalid('migrationsDir', 'must be a non-empty path');
  }
  if (options.durabilityVariablesReader !== undefined && typeof options.durabilityVariablesReader !== 'function') {
    throw invalid('durabilityVariablesReader', 'must be a function');
  }
  const hourMs = 3_600_000;
  return Object.freeze({
    target: Object.freeze(target),
    redactedUrl,
    logger: options.logger,
    poolSize: positiveInteger('poolSize', options.poolSize, STORE_DEFAULTS.poolSize, 1000),
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, STORE_DEFAULTS.connectTimeoutMs, hourMs),
    acquireTimeoutMs: positiveInteger('acquireTimeoutMs', options.acquireTimeoutMs, STORE_DEFAULTS.acquireTimeoutMs, hourMs),
    lockWaitTimeoutMs: positiveInteger('lockWaitTimeoutMs', options.lockWaitTimeoutMs, STORE_DEFAULTS.lockWaitTimeoutMs, hourMs),
    idleTransactionTimeoutMs: positiveInteger('idleTransactionTimeoutMs', options.idleTransactionTimeoutMs, STORE_DEFAULTS.idleTransactionTimeoutMs, hourMs),
    allowUnsafeDurability: optionalBoolean('allowUnsafeDurability', options.allowUnsafeDurability, false),
    migrate: optionalBoolean('migrate', options.migrate, true),
    migrationsDir: options.migrationsDir,
    migrationLockTimeoutMs: positiveInteger('migrationLockTimeoutMs', options.migrationLockTimeoutMs, STORE_DEFAULTS.migrationLockTimeoutMs, hourMs),
    durabilityVariablesReader: options.durabilityVariablesReader,
  });
}
