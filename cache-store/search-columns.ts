import { createHash } from 'node:crypto';
import { JourneyError } from '../common/index.js';
import { makeExecutor } from './sql-executor.js';
import { wrapStoreError } from './store-errors.js';
import type { SqlExecutor, Store } from './store-types.js';

/**
 * Search fields are named VIRTUAL columns on `journeys`, computed from `data` with JSON_VALUE,
 * each indexed together with `type_name`; queries name the column (`WHERE type_name = ? AND
 * sf_owner = ?`). Column and index names and the path are validated against strict patterns
 * before they reach SQL text, so nothing can be injected.
 *
 * Column types:
 * - `string`  → `VARCHAR(255) utf8mb4_bin`: the text of any JSON scalar (a number 5 indexes as
 *   `'5'`), truncated to 255 characters; objects, arrays and null index as NULL.
 * - `number`  → `DOUBLE`: JSON numbers only (any other JSON type indexes as NULL). DOUBLE holds
 *   exactly what a JS number holds; DECIMAL would truncate fractions and overflow on large values.
 * - `boolean` → `TINYINT(1)`: 1 for JSON true, 0 for false, NULL otherwise (the string "true" is
 *   not a boolean).
 * The expressions never raise an error for unexpected data, so a journey commit cannot fail
 * because a search field holds a value of another type.
 *
 * The definition (path, type) is kept in the column COMMENT; the same name with another
 * definition is refused (`JE_SEARCH_FIELD_CONFLICT`): columns are shared by all journey types.
 */

/** One search field of a journey type. */
export interface SearchFieldSpec {
  /** Name used in queries; the column is `sf_<name>`. Must match `^[a-z][a-z0-9_]{0,40}$`. */
  name: string;
  /** JSON path into journey data: `$.a` or `$.a.b` (identifier segments only, at most 8). */
  path: string;
  type: 'string' | 'number' | 'boolean';
}

// At most 30 characters: with snake_case underscores added, `ix_sf_<name>` stays within 64.
const FIELD_NAME = /^[a-z][A-Za-z0-9_]{0,29}$/;
const FIELD_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,8}$/;
const FIELD_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'boolean']);
const COMMENT_PREFIX = 'je-search-field ';
/** How long an ALTER may wait for running transactions to let go of the table, in seconds. */
const ALTER_LOCK_WAIT_S = 10;

function invalid(message: string, details: Record<string, unknown>): JourneyError {
  return new JourneyError('JE_SEARCH_FIELD_INVALID', message, { details });
}

/** The column that holds search field `name`: `sf_<name>`. Throws `JE_SEARCH_FIELD_INVALID` on a bad name. */
export function searchColumnName(name: string): string {
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
    throw invalid(`search field name ${JSON.stringify(String(name)).slice(0, 80)} must match ${FIELD_NAME.source}`, {
      name: String(name).slice(0, 80),
    });
  }
  // Column names are case-insensitive in MariaDB: camelCase becomes snake_case (debtorIban → sf_debtor_iban).
  return `sf_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** The index on (`type_name`, `sf_<name>`). */
export function searchIndexName(name: string): string {
  return `ix_${searchColumnName(name)}`;
}

/** Validates one field; throws `JE_SEARCH_FIELD_INVALID`. */
export function validateSearchField(field: SearchFieldSpec): void {
  searchColumnName(field.name);
  if (typeof field.path !== 'string' || !FIELD_PATH.test(field.path)) {
    throw invalid(`search field ${field.name}: path ${JSON.stringify(String(field.path)).slice(0, 80)} must look like $.a or $.a.b`, {
      name: field.name,
      path: String(field.path).slice(0, 80),
    });
  }
  if (!FIELD_TYPES.has(field.type)) {
    throw invalid(`search field ${field.name}: type must be string, number or boolean`, { name: field.name, type: String(field.type) });
  }
}

function definitionComment(field: SearchFieldSpec): string {
  return `${COMMENT_PREFIX}${JSON.stringify({ path: field.path, type: field.type })}`;
}

/** The column definition; only validated names and paths are interpolated. */
function columnDefinition(field: SearchFieldSpec): string {
  const p = `'${field.path}'`;
  const comment = `'${definitionComment(field)}'`;
  switch (field.type) {
    case 'string':
      return `VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin AS (LEFT(JSON_VALUE(data, ${p}), 255)) VIRTUAL COMMENT ${comment}`;
    case 'number':
      return `DOUBLE AS (CASE WHEN JSON_TYPE(JSON_EXTRACT(data, ${p})) IN ('INTEGER', 'DOUBLE') THEN CAST(JSON_VALUE(data, ${p}) AS DOUBLE) END) VIRTUAL COMMENT ${comment}`;
    case 'boolean':
      return `TINYINT(1) AS (CASE JSON_EXTRACT(data, ${p}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END) VIRTUAL COMMENT ${comment}`;
  }
}

interface ColumnRow {
  name: string;
  comment: string;
}

interface ExistingColumns {
  /** Column name → its COMMENT. */
  comments: Map<string, string>;
  /** Names of the search indexes present. */
  indexes: Set<string>;
}

async function existingSearchColumns(executor: SqlExecutor): Promise<ExistingColumns> {
  const columns = await executor.query<ColumnRow>(
    `SELECT COLUMN_NAME AS name, COLUMN_COMMENT AS comment FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'journeys' AND COLUMN_NAME LIKE 'sf\\_%'`,
  );
  const indexes = await executor.query<{ name: string }>(
    `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'journeys' AND INDEX_NAME LIKE 'ix\\_sf\\_%'`,
  );
  return {
    comments: new Map(columns.map((row) => [String(row.name), String(row.comment)])),
    indexes: new Set(indexes.map((row) => String(row.name))),
  };
}

function describeComment(comment: string): string {
  return comment.startsWith(COMMENT_PREFIX) ? comment.slice(COMMENT_PREFIX.length) : `(not a search field: ${JSON.stringify(comment)})`;
}

/** What {@link ensureSearchColumns} did. */
export interface SearchColumnsReport {
  /** Columns added by this call. */
  created: string[];
  /** Columns found already in place with the same definition. */
  existing: string[];
}

/**
 * Makes sure every field has its `sf_<name>` virtual column and `(type_name, sf_<name>)` index.
 * Idempotent and safe to run from several processes at once (a named lock serialises the
 * ALTERs). Errors: `JE_SEARCH_FIELD_INVALID` (bad name/path/type, or one name twice with two
 * definitions), `JE_SEARCH_FIELD_CONFLICT` (the column exists with another definition).
 *
 * Adding an index scans `journeys`; on a large table run it at deploy time.
 */
export async function ensureSearchColumns(store: Store, fields: readonly SearchFieldSpec[]): Promise<SearchColumnsReport> {
  const wanted = new Map<string, SearchFieldSpec>();
  for (const field of fields) {
    validateSearchField(field);
    const column = searchColumnName(field.name);
    const seen = wanted.get(column);
    if (seen !== undefined && (seen.path !== field.path || seen.type !== field.type)) {
      throw invalid(`search field ${field.name} is declared twice with different definitions`, { name: field.name });
    }
    wanted.set(column, { name: field.name, path: field.path, type: field.type });
  }
  const report: SearchColumnsReport = { created: [], existing: [] };
  if (wanted.size === 0) return report;

  /** Throws on a conflicting definition; returns the fields whose column or index is missing. */
  const checkConflicts = (existing: ExistingColumns): SearchFieldSpec[] => {
    const missing: SearchFieldSpec[] = [];
    for (const [column, field] of wanted) {
      const comment = existing.comments.get(column);
      if (comment === undefined || !existing.indexes.has(searchIndexName(field.name))) missing.push(field);
      if (comment !== undefined && comment !== definitionComment(field)) {
        throw new JourneyError(
          'JE_SEARCH_FIELD_CONFLICT',
          `search field ${field.name} already exists as ${describeComment(comment)}; cannot redefine it as ${JSON.stringify({ path: field.path, type: field.type })} (choose another name)`,
          { details: { name: field.name, existing: describeComment(comment), wanted: { path: field.path, type: field.type } } },
        );
      }
    }
    return missing;
  };

  // Fast path: nothing to add, no lock needed.
  const missingBeforeLock = checkConflicts(await existingSearchColumns(store));
  if (missingBeforeLock.length === 0) {
    report.existing.push(...wanted.keys());
    return report;
  }

  let conn;
  try {
    conn = await store.pool.getConnection();
  } catch (err) {
    throw wrapStoreError(err, 'ensureSearchColumns (getting a connection)');
  }
  const c = conn;
  const executor = makeExecutor((sql, params) => c.query(sql, params === undefined ? undefined : [...params]));
  const lockName = `je_search_${createHash('sha256').update(store.database).digest('hex').slice(0, 32)}`;
  let locked = false;
  let healthy = true;
  try {
    const lock = await executor.queryOne<{ got: number | null }>('SELECT GET_LOCK(?, 30) AS got', [lockName]);
    if (lock?.got !== 1) {
      throw new JourneyError('JE_STORE_CONFLICT', 'another process is adding search columns; try again', {
        details: { lockName },
        retryAfterMs: 1000,
      });
    }
    locked = true;
    // Re-read under the lock: another process may have added some meanwhile.
    const missing = checkConflicts(await existingSearchColumns(executor));
    // An ALTER waits for a metadata lock behind running transactions, and every new query on the
    // table queues behind the ALTER: bound that wait.
    await executor.execute(`SET SESSION lock_wait_timeout = ${ALTER_LOCK_WAIT_S}`);
    for (const field of missing) {
      const column = searchColumnName(field.name);
      await executor.execute(
        `ALTER TABLE journeys ADD COLUMN IF NOT EXISTS ${column} ${columnDefinition(field)}, ` +
          `ADD INDEX IF NOT EXISTS ${searchIndexName(field.name)} (type_name, ${column})`,
      );
      report.created.push(column);
    }
    report.existing.push(...[...wanted.keys()].filter((column) => !report.created.includes(column)));
    return report;
  } catch (err) {
    if (!(err instanceof JourneyError)) healthy = false;
    throw wrapStoreError(err, 'ensureSearchColumns');
  } finally {
    if (healthy) {
      try {
        await executor.execute('SET SESSION lock_wait_timeout = DEFAULT');
        if (locked) await executor.queryOne('SELECT RELEASE_LOCK(?)', [lockName]);
      } catch {
        healthy = false;
      }
    }
    if (healthy) await conn.release();
    else conn.destroy();
  }
}
