/**
 * Reads of journeys, pending events, outcomes and histories (no transaction).
 */
import { EVENT_COLUMNS, eventFromRow, journeyFromRow, parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, EventStatus, JournalEvent, JourneyRow, Row } from './journal-rows.js';

export async function loadJourney(conn: Connection, journeyId: string): Promise<JourneyRow | null> {
  const rows = await conn.query<Row[]>(
    `SELECT journey_id, tenant, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at
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
/** A page of journeys of one type, in journey-id order. */
export interface JourneySearch {
  typeName: string;
  typeVersion?: string;
  /** Only journeys of this tenant, when given. */
  tenant?: string;
  /** Already validated `sf_<name>` columns. */
  equals: Array<{ column: string; value: string }>;
  /** Only rows that pass it, when given (a reader's read rules, as far as SQL can say them). */
  where?: RowFilter;
  afterJourneyId: string;
  limit: number;
}

/** A scalar a search column is compared with. */
export type ColumnValue = string | number | boolean;

/**
 * A condition on a journey row's version and search columns (`sf_<name>`, validated again before
 * they reach SQL text; values are always parameters). SQL's NULL never passes a comparison.
 */
export type RowFilter =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'version'; version: string }
  | { kind: 'compare'; column: string; op: '=' | '<>' | '<' | '<=' | '>' | '>='; value: ColumnValue }
  | { kind: 'isNull'; column: string }
  | { kind: 'in'; column: string; values: ColumnValue[] }
  | { kind: 'and' | 'or'; items: RowFilter[] };

const SEARCH_COLUMN = /^sf_[a-z][a-z0-9_]{0,63}$/;

function searchColumn(column: string): string {
  if (!SEARCH_COLUMN.test(column)) throw new Error(`invalid search column ${column}`);
  return column;
}

/** SQL text of a row filter; its values go to `params` in order. */
function rowFilterSql(filter: RowFilter, params: unknown[]): string {
  switch (filter.kind) {
    case 'true':
      return 'TRUE';
    case 'false':
      return 'FALSE';
    case 'version':
      params.push(filter.version);
      return 'type_version = ?';
    case 'compare':
      params.push(filter.value);
      return `${searchColumn(filter.column)} ${filter.op} ?`;
    case 'isNull':
      return `${searchColumn(filter.column)} IS NULL`;
    case 'in':
      if (filter.values.length === 0) return 'FALSE';
      params.push(...filter.values);
      return `${searchColumn(filter.column)} IN (${filter.values.map(() => '?').join(',')})`;
    case 'and':
    case 'or':
      if (filter.items.length === 0) return filter.kind === 'and' ? 'TRUE' : 'FALSE';
      return `(${filter.items.map((item) => rowFilterSql(item, params)).join(filter.kind === 'and' ? ' AND ' : ' OR ')})`;
  }
}

export async function searchJourneys(conn: Connection, query: JourneySearch): Promise<JourneyRow[]> {
  const where = ['type_name = ?', 'journey_id > ?'];
  const params: unknown[] = [query.typeName, query.afterJourneyId];
  if (query.typeVersion !== undefined) {
    where.push('type_version = ?');
    params.push(query.typeVersion);
  }
  if (query.tenant !== undefined) {
    where.push('tenant = ?');
    params.push(query.tenant);
  }
  for (const { column, value } of query.equals) {
    where.push(`${searchColumn(column)} = ?`);
    params.push(value);
  }
  if (query.where !== undefined) where.push(rowFilterSql(query.where, params));
  params.push(query.limit);
  const rows = await conn.query<Row[]>(
    `SELECT journey_id, tenant, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at
       FROM journeys WHERE ${where.join(' AND ')} ORDER BY journey_id LIMIT ?`,
    params,
  );
  return rows.map(journeyFromRow);
}
