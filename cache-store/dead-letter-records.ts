/**
 * Dead letters as the store keeps them, whatever their kind: a back-end call whose retries were
 * spent (the outbox, journal-dead-letters.ts) or a message between journeys that could not be
 * delivered (journey_messages, journal-dead-messages.ts). Each kind is one source with the same
 * four operations (list a page, load one, retry or discard one, count); a new kind (undelivered
 * webhooks) is one more source and one more member of DEAD_LETTER_KINDS.
 */
import type { PendingCall } from './journal-outbox.js';
import type { PendingMessage } from './journal-messages.js';
import { nullableText, ok, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

export const DEAD_LETTER_KINDS = ['call', 'message', 'webhook'] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

/** A call's outbox status: `dead` waits for an operator; `pending` is a retry running; `done` a retry answered. */
export type DeadLetterStatus = 'dead' | 'discarded' | 'pending' | 'done';
/** A message's status: as a call's, but a retry that got through is `delivered`. */
export type DeadMessageStatus = 'dead' | 'discarded' | 'pending' | 'delivered';

/** Where a listing stopped: its last row in (created_at, id) order (ids are ULIDs, unique across kinds). */
export interface DeadLetterCursor {
  /** created_at to the microsecond, as text (a Date would drop the microseconds). */
  createdAt: string;
  id: string;
}

export interface DeadLetterFilter {
  /** `dead` (waiting for an operator, the default) or `discarded`. */
  status: 'dead' | 'discarded';
  kind?: DeadLetterKind;
  /** A call's back-end system (a filter no message matches). */
  system?: string;
  /** The type of the journey the dead letter belongs to (the caller, the sender). */
  journeyType?: string;
  after: DeadLetterCursor | null;
  limit: number;
}

/** An event a dead letter gave a journey, found by its idempotency key. */
export interface DeliveredEvent {
  eventId: string;
  status: string;
}

/** A message between journeys that went dead: what it was and where it went. */
export interface DeadMessageParts {
  /** `send` (or `reply`) to a journey, or `start` of one. */
  kind: 'send' | 'start';
  /** The journey it goes to (a start: the id the new journey gets). */
  targetJourneyId: string;
  /** A start: the type and version to start. */
  targetType: string | null;
  targetVersion: string | null;
  /** Null: a start with the version's one initiating event. */
  eventType: string | null;
  payload: Record<string, unknown>;
  /** The key its receiver takes it under: `journey:<sending event id>:<n>`. */
  idempotencyKey: string;
}

/**
 * A dead letter of any kind. What every kind has, then a call's `system`, `operation`, `request`
 * and `replyEvent` (empty for other kinds), and a message's `message`.
 */
export interface DeadLetterRecord {
  id: string;
  kind: DeadLetterKind;
  status: DeadLetterStatus | DeadMessageStatus;
  /** The journey that made the call or sent the message (and got its failure event). */
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
  /** The journey's event when it went dead ('' when a message names none). */
  failureEvent: string;
  /** The event whose handling made the call or sent the message. */
  causedBy: string;
  /** Attempts that failed (a call: at the back end, over all retries; a message: for a while, our store or engine). */
  attempts: number;
  /** Operator retries. */
  retries: number;
  lastError: string | null;
  createdAt: Date;
  /** When it last went dead. */
  deadAt: Date;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  note: string | null;
  /** Kind `message`: the message. */
  message?: DeadMessageParts;
  /** Kind `webhook`: the webhook and the published event it could not deliver (`cursor`: its place in the feed). */
  webhook?: { name: string; eventId: string; eventType: string; cursor: string };
  /**
   * The events it gave, by their idempotency keys: a call's failure and reply (`call:<id>:failure|reply`),
   * a message's failure (its key + `:failure`) and the event it became at its receiver (`message`).
   */
  delivered: { failure?: DeliveredEvent; reply?: DeliveredEvent; message?: DeliveredEvent };
}

export type DeadLetterResolution =
  | { result: 'retried'; call: PendingCall }
  | { result: 'retried'; message: PendingMessage }
  /** A webhook delivery: its webhook's holder delivers it on its next round; nothing to run here. */
  | { result: 'retried'; webhook: true }
  | { result: 'discarded' }
  | { result: 'not-found' }
  /** Not dead now: retried already (`pending`, `done`, `delivered`) or discarded. */
  | { result: 'settled'; status: DeadLetterStatus | DeadMessageStatus };

/** One kind of dead letter, where it is stored. */
export interface DeadLetterSource {
  kind: DeadLetterKind;
  /** A page in (created_at, id) order; `created_key` of each record's row for the cursor. */
  list(conn: Connection, filter: DeadLetterFilter): Promise<Array<{ record: DeadLetterRecord; createdKey: string }>>;
  load(conn: Connection, id: string): Promise<DeadLetterRecord | null>;
  /** Within the caller's transaction: the row locked, and changed only while `dead`. */
  resolve(conn: Connection, id: string, action: 'retry' | 'discard', by: string, note: string | null): Promise<DeadLetterResolution>;
  counts(conn: Connection): Promise<Array<{ kind: DeadLetterKind; system: string; count: number }>>;
}

export function date(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** The columns of the dead letter's journey and the operator's decision, read alike for every kind (row alias `x`, journey `j`). */
export const BASE_COLUMNS = `x.status, x.journey_id, x.caused_by, x.attempts, x.retries, x.last_error, x.created_at, COALESCE(x.dead_at, x.updated_at) AS dead_at,
          x.resolved_by, x.resolved_at, x.resolution_note, DATE_FORMAT(x.created_at, '%Y-%m-%d %H:%i:%s.%f') AS created_key,
          j.type_name, j.type_version, j.tenant, COALESCE(JSON_VALUE(j.data, '$.status'), j.lifecycle) AS journey_status`;

/** Ever dead: an older release leaves `dead_at` unset on the rows it dead-letters. */
export const EVER_DEAD = `(x.dead_at IS NOT NULL OR x.status IN ('dead', 'discarded'))`;

/** What every kind has, from a row read with BASE_COLUMNS. */
export function baseRecord(
  row: Row,
  id: string,
): Omit<DeadLetterRecord, 'kind' | 'system' | 'operation' | 'request' | 'replyEvent' | 'failureEvent' | 'delivered'> {
  return {
    id,
    status: str(row.status) as DeadLetterRecord['status'],
    journeyId: str(row.journey_id),
    journeyType: nullableText(row.type_name),
    version: nullableText(row.type_version),
    tenant: nullableText(row.tenant),
    journeyStatus: nullableText(row.journey_status),
    causedBy: str(row.caused_by),
    attempts: toNumber(row.attempts),
    retries: toNumber(row.retries),
    lastError: nullableText(row.last_error),
    createdAt: date(row.created_at),
    deadAt: date(row.dead_at),
    resolvedBy: nullableText(row.resolved_by),
    resolvedAt: row.resolved_at === null || row.resolved_at === undefined ? null : date(row.resolved_at),
    note: nullableText(row.resolution_note),
  };
}

/** The WHERE of a listing page: status, the sender's type, behind the cursor (`idColumn` of alias `x`). */
export function listingWhere(filter: DeadLetterFilter, idColumn: string): { where: string[]; params: unknown[] } {
  const where = ['x.status = ?'];
  const params: unknown[] = [filter.status];
  if (filter.journeyType !== undefined) {
    where.push('j.type_name = ?');
    params.push(filter.journeyType);
  }
  if (filter.after !== null) {
    where.push(`(x.created_at > ? OR (x.created_at = ? AND x.${idColumn} > ?))`);
    params.push(filter.after.createdAt, filter.after.createdAt, filter.after.id);
  }
  return { where, params };
}

/** The events given under these idempotency keys, by key. */
export async function eventsByKey(conn: Connection, keys: string[]): Promise<Map<string, DeliveredEvent>> {
  const rows = await conn.query<Row[]>(`SELECT event_id, status, idempotency_key FROM events WHERE idempotency_key IN (?)`, [keys]);
  return new Map(rows.map((row) => [str(row.idempotency_key), { eventId: str(row.event_id), status: str(row.status) }]));
}

/**
 * Retries or discards the dead letter `id` of `table`, whose row `lock` reads FOR UPDATE (only a
 * row that was ever dead): changed only while `dead` — back to `pending` (`retries` + 1, and
 * `retried` says what to run again) or `discarded` — recording who, when and why.
 */
export async function resolveLocked(
  conn: Connection,
  where: { table: 'outbox' | 'journey_messages' | 'webhook_dead_letters'; idColumn: string; id: string },
  lock: (conn: Connection) => Promise<Row | undefined>,
  action: 'retry' | 'discard',
  by: string,
  note: string | null,
  retried: (row: Row) => DeadLetterResolution,
): Promise<DeadLetterResolution> {
  const row = await lock(conn);
  if (!row) return { result: 'not-found' };
  const status = str(row.status) as DeadLetterRecord['status'];
  if (status !== 'dead') return { result: 'settled', status };
  const change = action === 'retry' ? `status = 'pending', retries = retries + 1` : `status = 'discarded'`;
  ok(
    await conn.query(`UPDATE ${where.table} SET ${change}, resolved_by = ?, resolved_at = NOW(6), resolution_note = ? WHERE ${where.idColumn} = ?`, [
      by,
      note,
      where.id,
    ]),
  );
  return action === 'discard' ? { result: 'discarded' } : retried(row);
}
