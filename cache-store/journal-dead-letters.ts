/**
 * Dead letters: outbox rows whose back end's retries were spent (`dead`), listed, read, retried
 * (back to `pending` under the same outbox id) or discarded (`discarded`: recorded, never deleted)
 * by an operator. A row that was ever dead (`dead_at` set, or dead before migration 006 filled it
 * in) stays readable here whatever became of it: retrying, answered, dead again, discarded.
 *
 * Kinds: every outbox row is a `call` today; the listing reads the row's `kind`, so a second kind
 * (webhooks) that lives in the outbox joins it without another query.
 */
import { callFromRow } from './journal-outbox.js';
import type { PendingCall } from './journal-outbox.js';
import { ok, parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

export type DeadLetterKind = 'call';

/** The outbox row's status: `dead` waits for an operator; `pending` is a retry running; `done` a retry answered. */
export type DeadLetterStatus = 'dead' | 'discarded' | 'pending' | 'done';

/** Where a listing stopped: its last row in (created_at, outbox_id) order. */
export interface DeadLetterCursor {
  /** created_at to the microsecond, as text (a Date would drop the microseconds). */
  createdAt: string;
  id: string;
}

export interface DeadLetterFilter {
  /** `dead` (waiting for an operator, the default) or `discarded`. */
  status: 'dead' | 'discarded';
  kind?: DeadLetterKind;
  system?: string;
  journeyType?: string;
  after: DeadLetterCursor | null;
  limit: number;
}

export interface DeadLetterRecord {
  id: string;
  kind: DeadLetterKind;
  status: DeadLetterStatus;
  journeyId: string;
  /** Null when the journey row is gone (never, in practice: journeys are not deleted). */
  journeyType: string | null;
  version: string | null;
  tenant: string | null;
  /** The journey's `data.status` when it has one, else its lifecycle. */
  journeyStatus: string | null;
  system: string;
  operation: string;
  request: Record<string, unknown>;
  replyEvent: string;
  failureEvent: string;
  causedBy: string;
  /** Attempts at the back end, over all retries. */
  attempts: number;
  /** Operator retries. */
  retries: number;
  lastError: string | null;
  createdAt: Date;
  /** When its retries were last spent. */
  deadAt: Date;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  note: string | null;
  /** The events the call gave its journey (by their idempotency keys `call:<id>:failure|reply`). */
  delivered: { failure?: { eventId: string; status: string }; reply?: { eventId: string; status: string } };
}

export type DeadLetterResolution =
  | { result: 'retried'; call: PendingCall }
  | { result: 'discarded' }
  | { result: 'not-found' }
  /** Not dead now: retried already (`pending`, `done`) or discarded. */
  | { result: 'settled'; status: DeadLetterStatus };

const SELECT = `SELECT o.outbox_id, o.kind, o.status, o.journey_id, o.partition_no, o.system_name, o.operation, o.request, o.reply_event,
          o.failure_event, o.caused_by, o.attempts, o.retries, o.last_error, o.created_at, COALESCE(o.dead_at, o.updated_at) AS dead_at,
          o.resolved_by, o.resolved_at, o.resolution_note, DATE_FORMAT(o.created_at, '%Y-%m-%d %H:%i:%s.%f') AS created_key,
          j.type_name, j.type_version, j.tenant, COALESCE(JSON_VALUE(j.data, '$.status'), j.lifecycle) AS journey_status
     FROM outbox o LEFT JOIN journeys j ON j.journey_id = o.journey_id`;

/** Ever dead: an older release (before 006) leaves `dead_at` unset on the rows it dead-letters. */
const EVER_DEAD = `(o.dead_at IS NOT NULL OR o.status IN ('dead', 'discarded'))`;

function date(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function record(row: Row): Omit<DeadLetterRecord, 'delivered'> {
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : str(value));
  return {
    id: str(row.outbox_id),
    kind: str(row.kind) as DeadLetterKind,
    status: str(row.status) as DeadLetterStatus,
    journeyId: str(row.journey_id),
    journeyType: text(row.type_name),
    version: text(row.type_version),
    tenant: text(row.tenant),
    journeyStatus: text(row.journey_status),
    system: str(row.system_name),
    operation: str(row.operation),
    request: parseJson(row.request),
    replyEvent: text(row.reply_event) ?? '',
    failureEvent: text(row.failure_event) ?? '',
    causedBy: str(row.caused_by),
    attempts: toNumber(row.attempts),
    retries: toNumber(row.retries),
    lastError: text(row.last_error),
    createdAt: date(row.created_at),
    deadAt: date(row.dead_at),
    resolvedBy: text(row.resolved_by),
    resolvedAt: row.resolved_at === null || row.resolved_at === undefined ? null : date(row.resolved_at),
    note: text(row.resolution_note),
  };
}

/**
 * A page of dead letters, oldest first (index `pending_by_age`: status, created_at, outbox_id),
 * from just behind `after`; `next` is where the following page starts, null on the last page.
 */
export async function listDeadLetters(conn: Connection, filter: DeadLetterFilter): Promise<{ records: DeadLetterRecord[]; next: DeadLetterCursor | null }> {
  const where = ['o.status = ?'];
  const params: unknown[] = [filter.status];
  if (filter.kind !== undefined) {
    where.push('o.kind = ?');
    params.push(filter.kind);
  }
  if (filter.system !== undefined) {
    where.push('o.system_name = ?');
    params.push(filter.system);
  }
  if (filter.journeyType !== undefined) {
    where.push('j.type_name = ?');
    params.push(filter.journeyType);
  }
  if (filter.after !== null) {
    where.push('(o.created_at > ? OR (o.created_at = ? AND o.outbox_id > ?))');
    params.push(filter.after.createdAt, filter.after.createdAt, filter.after.id);
  }
  const rows = await conn.query<Row[]>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY o.created_at, o.outbox_id LIMIT ?`, [...params, filter.limit]);
  const last = rows[rows.length - 1];
  return {
    records: rows.map((row) => ({ ...record(row), delivered: {} })),
    next: rows.length < filter.limit || !last ? null : { createdAt: str(last.created_key), id: str(last.outbox_id) },
  };
}

/** One dead letter with the events it gave its journey; null when no call of that id was ever dead. */
export async function loadDeadLetter(conn: Connection, id: string): Promise<DeadLetterRecord | null> {
  const rows = await conn.query<Row[]>(`${SELECT} WHERE o.outbox_id = ? AND ${EVER_DEAD}`, [id]);
  const row = rows[0];
  if (!row) return null;
  const events = await conn.query<Row[]>(`SELECT event_id, status, idempotency_key FROM events WHERE idempotency_key IN (?, ?)`, [
    `call:${id}:failure`,
    `call:${id}:reply`,
  ]);
  const delivered: DeadLetterRecord['delivered'] = {};
  for (const event of events) {
    const which = str(event.idempotency_key).endsWith(':reply') ? 'reply' : 'failure';
    delivered[which] = { eventId: str(event.event_id), status: str(event.status) };
  }
  return { ...record(row), delivered };
}

/**
 * Retries or discards a dead letter, in one transaction: the row is locked and must be `dead`.
 * A retry makes it `pending` again (same outbox id, attempts kept, `retries` + 1) and returns the
 * call to queue; a discard makes it `discarded`. Both record who, when and why.
 */
export async function resolveDeadLetter(
  conn: Connection,
  id: string,
  action: 'retry' | 'discard',
  by: string,
  note: string | null,
): Promise<DeadLetterResolution> {
  const rows = await conn.query<Row[]>(
    `SELECT o.outbox_id, o.status, o.journey_id, o.partition_no, o.caused_by, o.system_name, o.operation, o.request, o.reply_event,
            o.failure_event, o.attempts
       FROM outbox o WHERE o.outbox_id = ? AND ${EVER_DEAD} FOR UPDATE`,
    [id],
  );
  const row = rows[0];
  if (!row) return { result: 'not-found' };
  const status = str(row.status) as DeadLetterStatus;
  if (status !== 'dead') return { result: 'settled', status };
  if (action === 'discard') {
    ok(
      await conn.query(`UPDATE outbox SET status = 'discarded', resolved_by = ?, resolved_at = NOW(6), resolution_note = ? WHERE outbox_id = ?`, [
        by,
        note,
        id,
      ]),
    );
    return { result: 'discarded' };
  }
  ok(
    await conn.query(
      `UPDATE outbox SET status = 'pending', retries = retries + 1, resolved_by = ?, resolved_at = NOW(6), resolution_note = ? WHERE outbox_id = ?`,
      [by, note, id],
    ),
  );
  return {
    result: 'retried',
    call: callFromRow(row),
  };
}

/** Dead letters waiting for an operator, by kind and system (the gauge `je_dead_letters`). */
export async function deadLetterCounts(conn: Connection): Promise<Array<{ kind: DeadLetterKind; system: string; count: number }>> {
  const rows = await conn.query<Row[]>(`SELECT kind, system_name, COUNT(*) AS n FROM outbox WHERE status = 'dead' GROUP BY kind, system_name`);
  return rows.map((row) => ({ kind: str(row.kind) as DeadLetterKind, system: str(row.system_name), count: toNumber(row.n) }));
}
