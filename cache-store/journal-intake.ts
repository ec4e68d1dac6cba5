/**
 * Intake: accepting events, alone or in a group (one fsync for a burst), and idempotency look-ups.
 */
import { DEFAULT_TENANT } from '../common/index.js';
import { INSERT_EVENT, bulk, insertEventParams, ok, str, toNumber } from './journal-rows.js';
import type { Connection, NewEvent, Row } from './journal-rows.js';

/** Inserts a new journey and its initiating event (journey_seq 1). Runs inside a transaction. */
export async function insertInitiatingEvent(
  conn: Connection,
  journey: { journeyId: string; tenant?: string; typeName: string; typeVersion: string; partitionNo: number },
  event: NewEvent,
): Promise<void> {
  // The event first: a duplicate idempotency key fails before the journey row exists.
  await conn.query(INSERT_EVENT, insertEventParams(journey.journeyId, 1, journey.partitionNo, event));
  await conn.query(
    `INSERT INTO journeys (journey_id, tenant, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq,
       created_at, updated_at) VALUES (?,?,?,?,?,'pending',NULL,0,1,NOW(6),NOW(6))`,
    [journey.journeyId, journey.tenant ?? DEFAULT_TENANT, journey.typeName, journey.typeVersion, journey.partitionNo],
  );
}

/**
 * An event row whose slot is the journey row's, read under the lock this transaction holds on it
 * (it bumped `accepted_seq` first): an uplift that moved the journey either committed before, and
 * is seen, or waits for this transaction and then moves this event with the journey's others.
 * The slot the caller passes (from a cache) is ignored; the parameter list stays that of INSERT_EVENT.
 */
const INSERT_EVENT_IN_JOURNEY_SLOT = `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context,
  origin, caused_by, idempotency_key, request_hash, accepted_at)
  VALUES (?,?,?,COALESCE((SELECT j.partition_no FROM journeys j WHERE j.journey_id = ?), ?),?,?,?,?,?,?,?,NOW(6))`;

/** {@link insertEventParams} with the journey id once more, for the slot's look-up. */
function paramsInJourneySlot(journeyId: string, seq: number, partitionNo: number, event: NewEvent): unknown[] {
  const params = insertEventParams(journeyId, seq, partitionNo, event);
  return [...params.slice(0, 3), journeyId, ...params.slice(3)];
}

/**
 * Appends an event to an existing journey's inbox, assigning the next journey_seq under the
 * journey row's lock. Returns the seq, or null when the journey does not exist.
 */
export async function appendEvent(conn: Connection, journeyId: string, partitionNo: number, event: NewEvent): Promise<number | null> {
  const bumped = ok(await conn.query(`UPDATE journeys SET accepted_seq = LAST_INSERT_ID(accepted_seq + 1) WHERE journey_id = ?`, [journeyId]));
  if (bumped.affectedRows !== 1) return null;
  const seq = toNumber(bumped.insertId);
  await conn.query(INSERT_EVENT_IN_JOURNEY_SLOT, paramsInJourneySlot(journeyId, seq, partitionNo, event));
  return seq;
}

export interface IdempotentAnswer {
  eventId: string;
  journeyId: string;
  journeySeq: number;
  requestHash: string | null;
}

export async function findByIdempotencyKey(conn: Connection, idempotencyKey: string): Promise<IdempotentAnswer | null> {
  const rows = await conn.query<Row[]>(`SELECT event_id, journey_id, journey_seq, request_hash FROM events WHERE idempotency_key = ?`, [idempotencyKey]);
  const row = rows[0];
  if (!row) return null;
  return {
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    journeySeq: toNumber(row.journey_seq),
    requestHash: row.request_hash === null ? null : str(row.request_hash),
  };
}

export async function eventExists(conn: Connection, eventId: string): Promise<{ journeySeq: number } | null> {
  const rows = await conn.query<Row[]>(`SELECT journey_seq FROM events WHERE event_id = ?`, [eventId]);
  const row = rows[0];
  return row ? { journeySeq: toNumber(row.journey_seq) } : null;
}

export interface IntakeEntry {
  kind: 'initiate' | 'target';
  journeyId: string;
  /** For initiating entries: the tenant the new journey belongs to (default {@link DEFAULT_TENANT}). */
  tenant?: string;
  /** For initiating entries: the journey row to create. */
  typeName: string;
  typeVersion: string;
  partitionNo: number;
  event: NewEvent;
}

export type IntakeResult = { status: 'accepted'; journeySeq: number } | { status: 'not_found' };

/**
 * Accepts many events in one transaction (one fsync). Rows are locked in journey-id order so
 * concurrent batches (and handling commits, which use the same order) cannot deadlock; events of
 * one journey keep their queue order, so their journey_seq follows acceptance order.
 * Any SQL error (a duplicate idempotency key, say) fails the whole batch: the caller then retries
 * its entries one by one.
 */
export async function acceptBatch(conn: Connection, entries: IntakeEntry[]): Promise<IntakeResult[]> {
  const order = entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry.journeyId < b.entry.journeyId ? -1 : a.entry.journeyId > b.entry.journeyId ? 1 : a.index - b.index));
  const results: IntakeResult[] = entries.map(() => ({ status: 'not_found' }));
  const initiating = order.filter(({ entry }) => entry.kind === 'initiate');
  if (initiating.length > 0) {
    await conn.query(
      `INSERT INTO journeys (journey_id, tenant, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at)
       VALUES ${initiating.map(() => `(?,?,?,?,?,'pending',NULL,0,1,NOW(6),NOW(6))`).join(',')}`,
      initiating.flatMap(({ entry }) => [entry.journeyId, entry.tenant ?? DEFAULT_TENANT, entry.typeName, entry.typeVersion, entry.partitionNo]),
    );
    for (const { index } of initiating) results[index] = { status: 'accepted', journeySeq: 1 };
  }
  const targeted = order.filter(({ entry }) => entry.kind === 'target');
  const bumps = await bulk(
    conn,
    `UPDATE journeys SET accepted_seq = LAST_INSERT_ID(accepted_seq + 1) WHERE journey_id = ?`,
    targeted.map(({ entry }) => [entry.journeyId]),
  );
  targeted.forEach(({ index }, i) => {
    const bumped = ok(bumps[i]);
    if (bumped.affectedRows === 1) results[index] = { status: 'accepted', journeySeq: toNumber(bumped.insertId) };
  });
  const rows = order.filter(({ index }) => results[index]?.status === 'accepted');
  if (rows.length > 0) {
    await conn.query(
      `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context, origin, caused_by,
         idempotency_key, request_hash, accepted_at) VALUES ${rows.map(() => '(?,?,?,?,?,?,?,?,?,?,?,NOW(6))').join(',')}`,
      rows.flatMap(({ entry, index }) => {
        const result = results[index];
        return insertEventParams(entry.journeyId, result?.status === 'accepted' ? result.journeySeq : 0, entry.partitionNo, entry.event);
      }),
    );
  }
  return results;
}
