// Service facts shared by the global setup (main vitest process) and environment.ts (test workers).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mariadb';

/** Environment variables the test harness reads. */
export const TEST_ENV = {
  /** Comma-separated `redis://` seeds of an existing grid to test against instead of a local cluster. */
  redisUrl: 'JE_TEST_REDIS_URL',
  /** MariaDB server URL (no database). */
  mariadbUrl: 'JE_TEST_MARIADB_URL',
  /** Set by the global setup for child processes tests spawn: the seeds in use. */
  gridSeeds: 'JE_TEST_GRID_SEEDS',
  /** Set by the global setup: the local cluster folder (empty for an external grid). */
  gridDir: 'JE_TEST_GRID_DIR',
} as const;

export const DEFAULT_MARIADB_URL = 'mariadb://root@127.0.0.1:3306';

/** The MariaDB server URL the tests use. */
export function mariadbServerUrl(): string {
  return (process.env[TEST_ENV.mariadbUrl] ?? DEFAULT_MARIADB_URL).replace(/\/+$/, '');
}

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparsable URL>';
  }
}

/** Opens an admin connection (no database selected) to the server at `serverUrl`. */
export function mariadbAdmin(serverUrl: string): Promise<Connection> {
  const url = new URL(serverUrl);
  if (url.protocol !== 'mariadb:' && url.protocol !== 'mysql:') {
    throw new Error(`${TEST_ENV.mariadbUrl} must be a mariadb:// URL, got ${redactUrl(serverUrl)}`);
  }
  return createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    connectTimeout: 5_000,
  });
}

/** Temp folders of local grids the harness or a test started: `<tmpdir>/je-grid-test-*`. */
export const GRID_TEMP_PREFIX = 'je-grid-test-';
/** In such a folder: `{ "pid": <process that owns it> }`; the global setup reaps folders whose owner died. */
export const GRID_OWNER_FILE = 'owner.json';

/** A fresh temp folder for a local grid, owned by this process (reaped by a later run if it dies). */
export function ownedGridDir(): string {
  const dir = mkdtempSync(join(tmpdir(), GRID_TEMP_PREFIX));
  writeFileSync(join(dir, GRID_OWNER_FILE), JSON.stringify({ pid: process.pid }));
  return dir;
}
