import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JourneyError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { splitSqlStatements } from './sql-split.js';
import type { SqlExecutor } from './store-types.js';

/**
 * Migration files live in `cache-store/migrations/NNN_name.sql` (see its README.md). They are
 * resolved next to this module: from source (tsx/vitest) that is `cache-store/migrations/`;
 * from the build it is `dist/cache-store/migrations/`, which the `build` script copies there.
 */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const MIGRATION_FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** One migration file, parsed. */
export interface Migration {
  version: number;
  name: string;
  /** sha256 (hex) of the file with line endings normalised to `\n`. */
  checksum: string;
  statements: string[];
}

/** What {@link runMigrations} did. */
export interface MigrationReport {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** Versions found already applied. */
  alreadyApplied: number[];
}

function migrationError(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}): JourneyError {
  return new JourneyError('JE_STORE_MIGRATION_FAILED', message, options);
}

/** Reads and parses every `NNN_name.sql` in `dir`, sorted by version. Other files are ignored. */
export function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  if (!existsSync(dir)) {
    throw migrationError(`migrations folder not found at ${dir} (from dist/, run the full "npm run build", which copies cache-store/migrations)`, {
      details: { dir },
    });
  }
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = MIGRATION_FILE.exec(file);
    if (match === null) continue;
    const text = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    let statements: string[];
    try {
      statements = splitSqlStatements(text);
    } catch (err) {
      throw migrationError(`migration ${file} cannot be split into statements`, { cause: err, details: { file } });
    }
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw migrationError(`two migration files share version ${version}`, { details: { file } });
    }
    migrations.push({
      version,
      name: match[2] ?? file,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements,
    });
  }
  if (migrations.length === 0) throw migrationError(`no migration files in ${dir}`, { details: { dir } });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies pending migrations in version order and records each in `schema_migrations`.
 *
 * - Concurrent starts are serialised by a named lock (`GET_LOCK`), scoped to the database, taken
 *   on `executor`, which must therefore be ONE dedicated connection, not the pool.
 * - An applied migration whose file changed (checksum mismatch) refuses the start.
 * - DDL auto-commits, so a migration that fails half-way is not rolled back: each statement must
 *   be idempotent (`IF NOT EXISTS`) so that re-running the whole file after a fix is safe. A
 *   migration is recorded only after all its statements succeeded.
 * - Versions recorded in the database but unknown to this code (a newer release migrated) are
 *   logged as a warning, not refused: migrations are expand-only.
 */
export async function runMigrations(
  executor: SqlExecutor,
  options: { database: string; logger: Logger; migrations?: Migration[]; lockTimeoutMs: number; dir?: string },
): Promise<MigrationReport> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  const lockName = migrationLockName(options.database);
  const lockTimeoutS = Math.max(1, Math.ceil(options.lockTimeoutMs / 1000));
  const lock = await executor.queryOne<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [lockName, lockTimeoutS]);
  if (lock?.got !== 1) {
    throw migrationError(`could not take the migration lock ${lockName} within ${lockTimeoutS}s (another process is migrating, or a stuck one holds it)`, {
      details: { lockName },
    });
  }
  try {
    await executor.execute(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT UNSIGNED NOT NULL,
        name VARCHAR(200) NOT NULL,
        checksum CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        PRIMARY KEY (version)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    const appliedRows = await executor.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    const applied = new Map(appliedRows.map((row) => [Number(row.version), row]));

    for (const migration of migrations) {
      const row = applied.get(migration.version);
      if (row !== undefined && row.checksum !== migration.checksum) {
        throw migrationError(
          `migration ${pad(migration.version)}_${migration.name} was changed after it was applied (checksum ${row.checksum} in the database, ${migration.checksum} on disk); applied migrations are immutable, add a new one instead`,
          { details: { version: migration.version, expected: row.checksum, actual: migration.checksum } },
        );
      }
    }
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied.keys()].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      options.logger.warn({ versions: unknown }, 'schema has migrations this release does not know (a newer release ran)');
    }

    const report: MigrationReport = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      if (applied.has(migration.version)) {
        report.alreadyApplied.push(migration.version);
        continue;
      }
      const label = `${pad(migration.version)}_${migration.name}`;
      if (migration.version === VERSION_LANES) await beforeVersionLanes(executor);
      for (const [index, statement] of migration.statements.entries()) {
        try {
          await executor.execute(statement);
        } catch (err) {
          throw migrationError(`migration ${label} failed at statement ${index + 1}: ${errorMessage(err)}`, {
            cause: err,
            details: { version: migration.version, statement: index + 1 },
          });
        }
      }
      await executor.execute('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      options.logger.info({ version: migration.version, name: migration.name }, 'applied migration');
      report.applied.push(migration.version);
    }
    return report;
  } finally {
    try {
      await executor.queryOne('SELECT RELEASE_LOCK(?)', [lockName]);
    } catch {
      // The lock dies with the connection, which the caller closes anyway.
    }
  }
}

/** 004 moves journeys to their version's slots: not expand-only (see the file). */
const VERSION_LANES = 4;

/**
 * Nodes of a release before 004 place journeys by `hash % P` and fence on those partitions: while
 * one holds a live lease, moving its journeys under it would let two nodes handle one journey.
 */
async function beforeVersionLanes(executor: SqlExecutor): Promise<void> {
  const live = await executor.queryOne<{ n: number | bigint }>(
    `SELECT COUNT(*) AS n FROM partitions p JOIN cluster_meta m ON m.meta_key = 'partition_count'
      WHERE p.partition_no < CAST(m.meta_value AS UNSIGNED) AND p.owner_node IS NOT NULL AND p.lease_expires_at > NOW(6)`,
  );
  if (Number(live?.n ?? 0) > 0) {
    throw migrationError(
      'migration 004_version_lanes places journeys by version, and nodes of an older release still hold partition leases: stop every node of the older release, then start this one (this upgrade cannot roll)',
      { details: { version: VERSION_LANES, liveLeases: Number(live?.n) } },
    );
  }
}

/** The named lock is server-wide; scope it to the database (≤ 64 characters). */
export function migrationLockName(database: string): string {
  return `je_migrations_${createHash('sha256').update(database).digest('hex').slice(0, 32)}`;
}

function pad(version: number): string {
  return String(version).padStart(3, '0');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
