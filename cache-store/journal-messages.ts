/**
 * Messages between journeys (`send`, `reply` and `start` steps): written by the handling commit
 * of the outcome that sends them (journal-handling.ts), then delivered, found again by the sweep,
 * and finished here.
 */
import { nullableText, parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

/** A message as the handling commit writes it. */
export interface JourneyMessage {
  messageId: string;
  kind: 'send' | 'start';
  /** The journey it goes to: the target of a send, the id a start gives the new journey. */
  targetJourneyId: string;
  /** A start: the type and version of the journey to start. */
  targetType: string | null;
  targetVersion: string | null;
  /** Null: a start with the version's one initiating event. */
  eventType: string | null;
  payloadJson: string;
  /** The sender's event when the message cannot be delivered, if it names one. */
  failureEvent: string | null;
  /** The idempotency key of the event it becomes: `journey:<sending event id>:<n>`. */
  idempotencyKey: string;
}

/** A message still to deliver, with its sender. */
export interface PendingMessage extends Omit<JourneyMessage, 'payloadJson'> {
  /** The sender, its slot, and the event whose outcome sent the message. */
  journeyId: string;
  partitionNo: number;
  causedBy: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export const INSERT_MESSAGE = `INSERT INTO journey_messages (message_id, journey_id, partition_no, caused_by, idempotency_key, kind,
    target_journey, target_type, target_version, event_type, payload, failure_event, status, created_at, updated_at)
  VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'pending',NOW(6),NOW(6))`;

export function insertMessageParams(journeyId: string, partitionNo: number, causedBy: string, message: JourneyMessage): unknown[] {
  return [
    message.messageId,
    journeyId,
    partitionNo,
    causedBy,
    message.idempotencyKey,
    message.kind,
    message.targetJourneyId,
    message.targetType,
    message.targetVersion,
    message.eventType,
    message.payloadJson,
    message.failureEvent,
  ];
}

/** Pending messages of these slots untouched for `olderThanMs`, oldest first (index `pending_by_age`). */
export async function pendingMessages(conn: Connection, partitions: number[], olderThanMs: number, limit: number): Promise<PendingMessage[]> {
  if (partitions.length === 0) return [];
  const rows = await conn.query<Row[]>(
    `SELECT ${MESSAGE_COLUMNS}
       FROM journey_messages
      WHERE status = 'pending' AND partition_no IN (?) AND updated_at <= NOW(6) - INTERVAL ? MICROSECOND
      ORDER BY created_at, message_id
      LIMIT ?`,
    [partitions, olderThanMs * 1000, limit],
  );
  return rows.map(messageFromRow);
}

/** The columns `messageFromRow` reads. */
export const MESSAGE_COLUMNS = `message_id, journey_id, partition_no, caused_by, idempotency_key, kind, target_journey, target_type, target_version,
            event_type, payload, failure_event, attempts`;

/** A message from its row (MESSAGE_COLUMNS): for the sweep, and for a dead letter's retry. */
export function messageFromRow(row: Row): PendingMessage {
  return {
    messageId: str(row.message_id),
    journeyId: str(row.journey_id),
    partitionNo: toNumber(row.partition_no),
    causedBy: str(row.caused_by),
    idempotencyKey: str(row.idempotency_key),
    kind: str(row.kind) === 'start' ? 'start' : 'send',
    targetJourneyId: str(row.target_journey),
    targetType: nullableText(row.target_type),
    targetVersion: nullableText(row.target_version),
    eventType: nullableText(row.event_type),
    payload: parseJson(row.payload),
    failureEvent: nullableText(row.failure_event),
    attempts: toNumber(row.attempts),
  };
}

/** Delivered (the event it became) or dead (a dead letter from `dead_at`, and the failure event, if any); only while pending. */
export async function finishMessage(
  conn: Connection,
  messageId: string,
  status: 'delivered' | 'dead',
  lastError: string | null,
  eventId: string | null,
): Promise<void> {
  await conn.query(
    `UPDATE journey_messages SET status = ?, last_error = ?, delivered_event = ?, dead_at = IF(? = 'dead', NOW(6), dead_at), updated_at = NOW(6)
      WHERE message_id = ? AND status = 'pending'`,
    [status, lastError, eventId, status, messageId],
  );
}

/** Whether a start of this journey is still to be delivered: a send to it waits, it is not missing. */
export async function startPending(conn: Connection, journeyId: string): Promise<boolean> {
  const rows = await conn.query<Row[]>(`SELECT 1 FROM journey_messages WHERE target_journey = ? AND kind = 'start' AND status = 'pending' LIMIT 1`, [
    journeyId,
  ]);
  return rows.length > 0;
}

/** A delivery that failed for a while (the store, the engine): counted, and left for the sweep. */
export async function touchMessage(conn: Connection, messageId: string, lastError: string | null): Promise<void> {
  await conn.query(`UPDATE journey_messages SET attempts = attempts + 1, last_error = ?, updated_at = NOW(6) WHERE message_id = ? AND status = 'pending'`, [
    lastError,
    messageId,
  ]);
}
