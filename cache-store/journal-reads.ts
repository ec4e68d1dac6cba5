/**
 * Reads of journeys, pending events, outcomes and histories (no transaction).
 */
import { EVENT_COLUMNS, eventFromRow, journeyFromRow, parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, EventStatus, JournalEvent, JourneyRow, Row } from './journal-rows.js';

export async function loadJourney(conn: Connection, journeyId: string): Promise<JourneyRow | null> {
  const rows = await conn.query<Row[]>(
    `SELECT journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at
       FROM journeys WHERE journey_id = ?`,
    [journeyId],
  );
  const row = rows[0];
  return row ? journeyFromRow(row) : null;
}

/** Pending events of one journey after a given seq, in order. */
export async function pendingEventsOfJourney(conn: Connection, journeyId: string, afterSeq: number, limit: number): Promise<JournalEvent[]> {
  const rows = await conn.query<Row[]>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE journey_id = ? AND journey_seq > ? AND status = 'pending'
      ORDER BY journey_seq LIMIT ?`,
    [journeyId, afterSeq, limit],
  );
  return rows.map(eventFromRow);
}

/**
 * Pending events of the given partitions, oldest first: recovery after a lease takeover and the
 * sweeper that re-delivers events whose wake-up message Redis lost.
 */
export async function pendingEventsOfPartitions(
  conn: Connection,
  partitions: number[],
  options: { olderThanMs: number; limit: number },
): Promise<JournalEvent[]> {
  if (partitions.length === 0) return [];
  const rows = await conn.query<Row[]>(
    `SELECT ${EVENT_COLUMNS} FROM events
      WHERE status = 'pending' AND partition_no IN (?) AND accepted_at <= NOW(6) - INTERVAL ? MICROSECOND
      ORDER BY accepted_at LIMIT ?`,
    [partitions, options.olderThanMs * 1000, options.limit],
  );
  return rows.map(eventFromRow);
}

export interface StoredOutcome {
  eventId: string;
  journeyId: string;
  journeySeq: number;
  status: EventStatus;
  outcome: Record<string, unknown> | null;
}

export async function loadOutcome(conn: Connection, eventId: string): Promise<StoredOutcome | null> {
  const rows = await conn.query<Row[]>(`SELECT event_id, journey_id, journey_seq, status, outcome FROM events WHERE event_id = ?`, [eventId]);
  const row = rows[0];
  if (!row) return null;
  return {
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    journeySeq: toNumber(row.journey_seq),
    status: row.status as EventStatus,
    outcome: row.outcome === null ? null : parseJson(row.outcome),
  };
}

export interface HistoryRow extends JournalEvent {
  acceptedAt: Date;
  status: EventStatus;
  outcome: Record<string, unknown> | null;
}

export async function journeyHistory(conn: Connection, journeyId: string, afterSeq: number, limit: number): Promise<HistoryRow[]> {
  const rows = await conn.query<Row[]>(
    `SELECT ${EVENT_COLUMNS}, accepted_at, status, outcome FROM events WHERE journey_id = ? AND journey_seq > ?
      ORDER BY journey_seq LIMIT ?`,
    [journeyId, afterSeq, limit],
  );
  return rows.map((row) => ({
    ...eventFromRow(row),
    acceptedAt: row.accepted_at as Date,
    status: row.status as EventStatus,
    outcome: row.outcome === null ? null : parseJson(row.outcome),
  }));
}

/** Search over indexed virtual columns; `columns` are already validated column names. */
export async function searchJourneys(
  conn: Connection,
  query: { typeName: string; typeVersion?: string; equals: Array<{ column: string; value: string }>; afterJourneyId: string; limit: number },
): Promise<JourneyRow[]> {
  const where = ['type_name = ?', 'journey_id > ?'];
  const params: unknown[] = [query.typeName, query.afterJourneyId];
  if (query.typeVersion !== undefined) {
    where.push('type_version = ?');
    params.push(query.typeVersion);
  }
  for (const { column, value } of query.equals) {
    if (!/^sf_[a-z][a-z0-9_]{0,63}$/.test(column)) throw new Error(`invalid search column ${column}`);
    where.push(`${column} = ?`);
    params.push(value);
  }
  params.push(query.limit);
  const rows = await conn.query<Row[]>(
    `SELECT journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at
       FROM journeys WHERE ${where.join(' AND ')} ORDER BY journey_id LIMIT ?`,
    params,
  );
  return rows.map(journeyFromRow);
}
