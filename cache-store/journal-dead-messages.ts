/**
 * Dead messages between journeys as dead letters (kind `message`): a `send` or `start` that could
 * never be delivered (its sender got its failure event, when it names one). Retried, it is the
 * same message again — same id, same idempotency key — so its receiver takes it at most once
 * however often it is delivered; discarded, it stays recorded and nothing is sent.
 */
import { BASE_COLUMNS, EVER_DEAD, baseRecord, eventsByKey, listingWhere, resolveLocked } from './dead-letter-records.js';
import type { DeadLetterRecord, DeadLetterSource } from './dead-letter-records.js';
import { MESSAGE_COLUMNS, messageFromRow } from './journal-messages.js';
import { str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

const SELECT = `SELECT x.message_id, x.partition_no, x.kind, x.target_journey, x.target_type, x.target_version, x.event_type, x.payload, x.failure_event,
          x.idempotency_key, ${BASE_COLUMNS}
     FROM journey_messages x LEFT JOIN journeys j ON j.journey_id = x.journey_id`;

function record(row: Row): DeadLetterRecord {
  const { messageId, kind, targetJourneyId, targetType, targetVersion, eventType, payload, idempotencyKey, failureEvent } = messageFromRow(row);
  return {
    ...baseRecord(row, messageId),
    kind: 'message',
    // A call's parts: none.
    system: '',
    operation: '',
    request: {},
    replyEvent: '',
    failureEvent: failureEvent ?? '',
    message: { kind, targetJourneyId, targetType, targetVersion, eventType, payload, idempotencyKey },
    delivered: {},
  };
}

export const deadMessages: DeadLetterSource = {
  kind: 'message',

  async list(conn, filter) {
    // Messages go to journeys, not to a back-end system.
    if (filter.system !== undefined) return [];
    const { where, params } = listingWhere(filter, 'message_id');
    const rows = await conn.query<Row[]>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY x.created_at, x.message_id LIMIT ?`, [...params, filter.limit]);
    return rows.map((row) => ({ record: record(row), createdKey: str(row.created_key) }));
  },

  async load(conn: Connection, id: string) {
    const rows = await conn.query<Row[]>(`${SELECT} WHERE x.message_id = ? AND ${EVER_DEAD}`, [id]);
    const row = rows[0];
    if (!row) return null;
    const found = record(row);
    const key = str(row.idempotency_key);
    const events = await eventsByKey(conn, [key, `${key}:failure`]);
    const message = events.get(key);
    const failure = events.get(`${key}:failure`);
    return { ...found, delivered: { ...(failure ? { failure } : {}), ...(message ? { message } : {}) } };
  },

  async resolve(conn, id, action, by, note) {
    const lock = async (locked: Connection): Promise<Row | undefined> =>
      (await locked.query<Row[]>(`SELECT ${MESSAGE_COLUMNS}, status FROM journey_messages x WHERE message_id = ? AND ${EVER_DEAD} FOR UPDATE`, [id]))[0];
    const where = { table: 'journey_messages', idColumn: 'message_id', id } as const;
    return resolveLocked(conn, where, lock, action, by, note, (row) => ({ result: 'retried', message: messageFromRow(row) }));
  },

  async counts(conn) {
    const rows = await conn.query<Row[]>(`SELECT COUNT(*) AS n FROM journey_messages WHERE status = 'dead'`);
    const count = toNumber(rows[0]?.n ?? 0);
    // No back-end system: the label is empty.
    return count === 0 ? [] : [{ kind: 'message' as const, system: '', count }];
  },
};
