/**
 * Timers: the due ones by the database's clock, and firing one exactly once.
 */
import { DATETIME_FROM_MICROS, ok, parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

export interface DueTimer {
  timerId: string;
  journeyId: string;
  partitionNo: number;
  name: string;
  eventType: string;
  payload: Record<string, unknown>;
}

/**
 * Scheduled timers of the given partitions that are due by the database's clock (`NOW(6)`): a
 * node's own clock, which may be days off, never decides. `atMs` replaces the database's now only
 * where a clock stands in for it on purpose (tests that move time by hand).
 */
export async function dueTimers(conn: Connection, partitions: number[], limit: number, atMs?: number): Promise<DueTimer[]> {
  if (partitions.length === 0) return [];
  const rows = await conn.query<Row[]>(
    `SELECT timer_id, journey_id, partition_no, timer_name, event_type, payload FROM timers
      WHERE status = 'scheduled' AND partition_no IN (?) AND fire_at <= ${atMs === undefined ? 'NOW(6)' : DATETIME_FROM_MICROS} ORDER BY fire_at LIMIT ?`,
    atMs === undefined ? [partitions, limit] : [partitions, Math.round(atMs * 1000), limit],
  );
  return rows.map((row) => ({
    timerId: str(row.timer_id),
    journeyId: str(row.journey_id),
    partitionNo: toNumber(row.partition_no),
    name: str(row.timer_name),
    eventType: str(row.event_type),
    payload: parseJson(row.payload),
  }));
}

/**
 * How long until the earliest scheduled timer of the partitions falls due. One index dive per
 * partition (a loose scan of `due`, grouped by partition), not a scan of every scheduled timer.
 */
export async function nextTimerDueInMs(conn: Connection, partitions: number[], atMs?: number): Promise<number | null> {
  if (partitions.length === 0) return null;
  const now = atMs === undefined ? 'NOW(6)' : DATETIME_FROM_MICROS;
  const rows = await conn.query<Row[]>(
    `SELECT CAST(TIMESTAMPDIFF(MICROSECOND, ${now}, MIN(first)) AS SIGNED) AS micros FROM
       (SELECT MIN(fire_at) AS first FROM timers WHERE status = 'scheduled' AND partition_no IN (?) GROUP BY partition_no) AS per_partition`,
    atMs === undefined ? [partitions] : [Math.round(atMs * 1000), partitions],
  );
  const micros = rows[0]?.micros;
  return micros === null || micros === undefined ? null : toNumber(micros) / 1000;
}

/**
 * The database's clock, ms since the epoch: the one clock every node's timers, leases and
 * forwarding deadlines are measured against (nodes correct their own by it).
 */
export async function databaseNowMs(conn: Connection): Promise<number> {
  const rows = await conn.query<Row[]>(`SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS UNSIGNED) AS micros`);
  return toNumber(rows[0]?.micros) / 1000;
}

/** Marks a timer fired, exactly once; returns false if it was fired or cancelled meanwhile. */
export async function markTimerFired(conn: Connection, timerId: string, eventId: string): Promise<boolean> {
  const result = ok(await conn.query(`UPDATE timers SET status = 'fired', fired_event_id = ? WHERE timer_id = ? AND status = 'scheduled'`, [eventId, timerId]));
  return result.affectedRows === 1;
}
