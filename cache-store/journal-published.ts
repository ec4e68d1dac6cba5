/**
 * Published events (`publish` in the DSL): written by the handling commit of the outcome that
 * emitted them (journal-handling.ts), numbered into the feed by the sequencer, read by feed
 * consumers and webhooks. Migration 008 explains why the numbering gives an order without gaps.
 */
import { parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

/** A published event as the handling commit writes it. */
export interface PublishedEvent {
  eventId: string;
  eventType: string;
  payloadJson: string;
  typeName: string;
  typeVersion: string;
}

/** A published event as the feed gives it. */
export interface FeedEntry {
  feedSeq: number;
  eventId: string;
  eventType: string;
  journeyId: string;
  typeName: string;
  typeVersion: string;
  /** The emitting event's place in its journey: one journey's entries come in this order. */
  journeySeq: number;
  causedBy: string;
  publishedAt: string;
  payload: Record<string, unknown>;
}

export interface FeedQuery {
  /** `enterprise/domain/journey`; absent: every type (webhooks filter by their own list). */
  typeNames?: readonly string[];
  version?: string;
  eventTypes?: readonly string[];
  /** Only journeys of this tenant. */
  tenant?: string;
  after: number;
  limit: number;
}

export const INSERT_PUBLISHED = `INSERT INTO published_events (event_id, journey_id, type_name, type_version, journey_seq, caused_by, event_type, payload, published_at)
  VALUES (?,?,?,?,?,?,?,?,NOW(6))`;

export function insertPublishedParams(journeyId: string, journeySeq: number, causedBy: string, event: PublishedEvent): unknown[] {
  return [event.eventId, journeyId, event.typeName, event.typeVersion, journeySeq, causedBy, event.eventType, event.payloadJson];
}

const FEED = 'published';

/**
 * Numbers up to `limit` committed, unnumbered events, in insertion order; returns how many and
 * the last number given. Runs in a READ COMMITTED transaction: the counter row's lock makes sequencers
 * take turns, SKIP LOCKED passes over rows whose outcome is still committing (they get the next
 * turn), and no gap lock ever holds up a handling commit's insert.
 */
export async function sequencePublished(conn: Connection, limit: number): Promise<{ numbered: number; lastSeq: number }> {
  const [counter] = await conn.query<Row[]>(`SELECT last_seq FROM feed_sequence WHERE feed_name = ? FOR UPDATE`, [FEED]);
  const rows = await conn.query<Row[]>(`SELECT row_no FROM published_events WHERE feed_seq IS NULL ORDER BY row_no LIMIT ? FOR UPDATE SKIP LOCKED`, [limit]);
  let seq = toNumber(counter?.last_seq ?? 0);
  if (rows.length === 0) return { numbered: 0, lastSeq: seq };
  const numbered = rows.map((row) => [(seq += 1), row.row_no]);
  await conn.batch(`UPDATE published_events SET feed_seq = ? WHERE row_no = ?`, numbered);
  await conn.query(`UPDATE feed_sequence SET last_seq = ? WHERE feed_name = ?`, [seq, FEED]);
  return { numbered: rows.length, lastSeq: seq };
}

/** Whether any committed event waits for its number (a cheap look before taking the lock). */
export async function anyUnsequenced(conn: Connection): Promise<boolean> {
  const rows = await conn.query<Row[]>(`SELECT 1 AS x FROM published_events WHERE feed_seq IS NULL LIMIT 1`);
  return rows.length > 0;
}

/** The last number given in the feed: where a consumer starting "now" begins. */
export async function feedHead(conn: Connection): Promise<number> {
  const [row] = await conn.query<Row[]>(`SELECT last_seq FROM feed_sequence WHERE feed_name = ?`, [FEED]);
  return toNumber(row?.last_seq ?? 0);
}

/** A page of the feed after `query.after`, in feed order. */
export async function readFeed(conn: Connection, query: FeedQuery): Promise<FeedEntry[]> {
  const where = ['p.feed_seq > ?'];
  const params: unknown[] = [query.after];
  if (query.typeNames !== undefined) {
    if (query.typeNames.length === 0) return [];
    where.push('p.type_name IN (?)');
    params.push(query.typeNames);
  }
  if (query.version !== undefined) {
    where.push('p.type_version = ?');
    params.push(query.version);
  }
  if (query.eventTypes !== undefined && query.eventTypes.length > 0) {
    where.push('p.event_type IN (?)');
    params.push(query.eventTypes);
  }
  const tenantJoin = query.tenant === undefined ? '' : 'JOIN journeys j ON j.journey_id = p.journey_id AND j.tenant = ?';
  if (query.tenant !== undefined) params.unshift(query.tenant);
  params.push(query.limit);
  const rows = await conn.query<Row[]>(
    `SELECT p.feed_seq, p.event_id, p.event_type, p.journey_id, p.type_name, p.type_version, p.journey_seq, p.caused_by, p.published_at, p.payload
       FROM published_events p ${tenantJoin}
      WHERE ${where.join(' AND ')} ORDER BY p.feed_seq LIMIT ?`,
    params,
  );
  return rows.map((row) => ({
    feedSeq: toNumber(row.feed_seq),
    eventId: str(row.event_id),
    eventType: str(row.event_type),
    journeyId: str(row.journey_id),
    typeName: str(row.type_name),
    typeVersion: str(row.type_version),
    journeySeq: toNumber(row.journey_seq),
    causedBy: str(row.caused_by),
    publishedAt: (row.published_at as Date).toISOString(),
    payload: parseJson(row.payload),
  }));
}

/** One feed entry by its number (a dead letter's retry re-reads what it delivers). */
export async function feedEntry(conn: Connection, feedSeq: number): Promise<FeedEntry | null> {
  const [entry] = await readFeed(conn, { after: feedSeq - 1, limit: 1 });
  return entry?.feedSeq === feedSeq ? entry : null;
}
