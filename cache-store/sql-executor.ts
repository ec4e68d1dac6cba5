import type { SqlExecutor, SqlParams, WriteResult } from './store-types.js';

/** Runs one statement and returns what the driver returned. */
export type RawRunner = (sql: string, params: SqlParams | undefined) => Promise<unknown>;

function toWriteResult(result: unknown): WriteResult {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return { affectedRows: 0, insertId: 0, warningStatus: 0 };
  }
  const r = result as { affectedRows?: unknown; insertId?: unknown; warningStatus?: unknown };
  return {
    affectedRows: Number(r.affectedRows ?? 0),
    insertId: Number(r.insertId ?? 0),
    warningStatus: Number(r.warningStatus ?? 0),
  };
}

/** Builds the {@link SqlExecutor} methods on top of a raw runner. */
export function makeExecutor(run: RawRunner): SqlExecutor {
  const query = async <Row>(sql: string, params?: SqlParams): Promise<Row[]> => {
    const result = await run(sql, params);
    // The driver returns an array (with a non-enumerable `meta`) for result sets.
    return Array.isArray(result) ? (result as Row[]) : [];
  };
  return {
    query,
    queryOne: async <Row>(sql: string, params?: SqlParams): Promise<Row | undefined> => {
      const rows = await query<Row>(sql, params);
      return rows[0];
    },
    execute: async (sql: string, params?: SqlParams): Promise<WriteResult> => toWriteResult(await run(sql, params)),
  };
}
