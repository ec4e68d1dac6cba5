/**
 * The outbox of back-end calls: the sweep, and finishing a call.
 */
import { parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

export interface PendingCall {
  outboxId: string;
  journeyId: string;
  partitionNo: number;
  causedBy: string;
  system: string;
  operation: string;
  request: Record<string, unknown>;
  replyEvent: string;
  failureEvent: string;
  attempts: number;
}

/** Where a sweep of the outbox stopped: its last row in (created_at, outbox_id) order. */
/** A call as its outbox row holds it. */
export function callFromRow(row: Row): PendingCall {
  return {
    outboxId: str(row.outbox_id),
    journeyId: str(row.journey_id),
    partitionNo: toNumber(row.partition_no),
    causedBy: str(row.caused_by),
    system: str(row.system_name),
    operation: str(row.operation),
    request: parseJson(row.request),
    replyEvent: str(row.reply_event),
    failureEvent: str(row.failure_event),
    attempts: toNumber(row.attempts),
  };
}

export interface OutboxCursor {
  /** created_at to the microsecond, as text: a Date would drop the microseconds and repeat rows. */
  createdAt: string;
  outboxId: string;
}

/**
 * Pending calls of these partitions untouched for `olderThanMs`, oldest first, from just behind
 * `after` (index `pending_by_age`). `next` is where the following page starts, null when this page
 * reached the end: a sweep that pages on passes over rows it cannot move (their jobs are alive)
 * instead of reading the same first page every time and never reaching the rows behind it.
 */
export async function pendingCalls(
  conn: Connection,
  partitions: number[],
  olderThanMs: number,
  limit: number,
  after: OutboxCursor | null = null,
): Promise<{ calls: PendingCall[]; next: OutboxCursor | null }> {
  if (partitions.length === 0) return { calls: [], next: null };
  const rows = await conn.query<Row[]>(
    `SELECT outbox_id, journey_id, partition_no, caused_by, system_name, operation, request, reply_event, failure_event, attempts,
            DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') AS created_key
       FROM outbox
      WHERE status = 'pending' AND partition_no IN (?) AND updated_at <= NOW(6) - INTERVAL ? MICROSECOND
        ${after ? 'AND (created_at > ? OR (created_at = ? AND outbox_id > ?))' : ''}
      ORDER BY created_at, outbox_id
      LIMIT ?`,
    after ? [partitions, olderThanMs * 1000, after.createdAt, after.createdAt, after.outboxId, limit] : [partitions, olderThanMs * 1000, limit],
  );
  const calls = rows.map(callFromRow);
  const last = rows[rows.length - 1];
  return { calls, next: rows.length < limit || !last ? null : { createdAt: str(last.created_key), outboxId: str(last.outbox_id) } };
}

/** Which of these calls are still pending: the sweep re-checks before it re-queues a call whose job ended. */
export async function stillPendingCalls(conn: Connection, outboxIds: string[]): Promise<Set<string>> {
  if (outboxIds.length === 0) return new Set();
  const rows = await conn.query<Row[]>(`SELECT outbox_id FROM outbox WHERE outbox_id IN (?) AND status = 'pending'`, [outboxIds]);
  return new Set(rows.map((row) => str(row.outbox_id)));
}

/** Ends a pending call: `done` (answered), or `dead` (its back end's retries spent: a dead letter, from `dead_at`). */
export async function finishCall(conn: Connection, outboxId: string, status: 'done' | 'dead', lastError: string | null): Promise<void> {
  await conn.query(
    `UPDATE outbox SET status = ?, last_error = ?, updated_at = NOW(6), dead_at = IF(? = 'dead', NOW(6), dead_at) WHERE outbox_id = ? AND status = 'pending'`,
    [status, lastError, status, outboxId],
  );
}

export async function touchCall(conn: Connection, outboxId: string, lastError: string | null): Promise<void> {
  await conn.query(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, updated_at = NOW(6) WHERE outbox_id = ?`, [lastError, outboxId]);
}
