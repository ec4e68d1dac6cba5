/**
 * Reconciliation's reads and writes (migration 010): a back-end system's calls in outbox order
 * from behind a point, its high-water mark, and settling a call whose reply a reconciliation
 * replayed.
 */
import { callFromRow } from './journal-outbox.js';
import type { OutboxCursor, PendingCall } from './journal-outbox.js';
import { ok, str } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

/** A call as reconciliation sees it: the call, its outbox status, and where it sits in outbox order. */
export interface ReconcileCall {
  call: PendingCall;
  status: 'pending' | 'done' | 'dead' | 'discarded';
  /** Its place in (created_at, outbox_id) order; `createdAt` to the µs, as text. */
  at: OutboxCursor;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), as the cursors of the outbox write created_at. */
const CREATED_KEY = `DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f')`;

/** The calls of `system` just behind `after` (from the first when null), oldest first (index by_system). */
export async function callsOfSystem(conn: Connection, system: string, after: OutboxCursor | null, limit: number): Promise<ReconcileCall[]> {
  const rows = await conn.query<Row[]>(
    `SELECT outbox_id, journey_id, partition_no, caused_by, system_name, operation, request, reply_event, failure_event, attempts, status,
            ${CREATED_KEY} AS created_key
       FROM outbox
      WHERE system_name = ? ${after ? 'AND (created_at > ? OR (created_at = ? AND outbox_id > ?))' : ''}
      ORDER BY created_at, outbox_id
      LIMIT ?`,
    after ? [system, after.createdAt, after.createdAt, after.outboxId, limit] : [system, limit],
  );
  return rows.map((row) => ({
    call: callFromRow(row),
    status: str(row.status) as ReconcileCall['status'],
    at: { createdAt: str(row.created_key), outboxId: str(row.outbox_id) },
  }));
}

export async function reconcileMark(conn: Connection, system: string): Promise<OutboxCursor | null> {
  const rows = await conn.query<Row[]>(`SELECT ${CREATED_KEY} AS created_key, outbox_id FROM reconcile_marks WHERE system_name = ?`, [system]);
  const row = rows[0];
  return row ? { createdAt: str(row.created_key), outboxId: str(row.outbox_id) } : null;
}

/** Moves the mark of `system` to `to`, never back (two runs racing leave the further one). */
export async function advanceReconcileMark(conn: Connection, system: string, to: OutboxCursor): Promise<void> {
  // outbox_id first: its test still compares with the old created_at, which the second then moves.
  const further = `(VALUES(created_at) > created_at OR (VALUES(created_at) = created_at AND VALUES(outbox_id) > outbox_id))`;
  await conn.query(
    `INSERT INTO reconcile_marks (system_name, created_at, outbox_id) VALUES (?, ?, ?)
     ON DUPLICATE KEY UPDATE outbox_id = IF(${further}, VALUES(outbox_id), outbox_id), created_at = IF(${further}, VALUES(created_at), created_at)`,
    [system, to.createdAt, to.outboxId],
  );
}

/**
 * A call whose reply a reconciliation replayed (its event accepted under the call's reply key)
 * is `done`, from `pending` or `dead`, recording who settled it; false when it was neither (the
 * relay or another run finished it first).
 */
export async function settleReplayedCall(conn: Connection, outboxId: string, by: string, note: string): Promise<boolean> {
  const result = ok(
    await conn.query(
      `UPDATE outbox SET status = 'done', last_error = NULL, resolved_by = ?, resolved_at = NOW(6), resolution_note = ?
        WHERE outbox_id = ? AND status IN ('pending', 'dead')`,
      [by, note, outboxId],
    ),
  );
  return result.affectedRows > 0;
}
