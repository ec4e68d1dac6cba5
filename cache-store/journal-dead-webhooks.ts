/**
 * Undelivered webhooks as dead letters (kind `webhook`): a published event whose tries at one
 * webhook were spent (the webhook went on with the next events). Retried, the webhook's holder
 * delivers the same event again (same `webhook-id`, so the receiver can tell it saw it); discarded,
 * it stays recorded and nothing is sent. Its journey got nothing when it went dead and gets
 * nothing from a retry: publishing is the journey's last word.
 */
import { BASE_COLUMNS, EVER_DEAD, baseRecord, listingWhere, resolveLocked } from './dead-letter-records.js';
import type { DeadLetterRecord, DeadLetterSource } from './dead-letter-records.js';
import { str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

const SELECT = `SELECT x.dead_id, x.webhook_name, x.feed_seq, x.event_id, p.event_type, ${BASE_COLUMNS}
     FROM webhook_dead_letters x LEFT JOIN journeys j ON j.journey_id = x.journey_id LEFT JOIN published_events p ON p.event_id = x.event_id`;

function record(row: Row): DeadLetterRecord {
  return {
    ...baseRecord(row, str(row.dead_id)),
    // Migration 011 rewrote the `retrying` of the release before to `pending`: none is left to map.
    status: str(row.status) as DeadLetterRecord['status'],
    kind: 'webhook',
    // A call's parts: none; the webhook's name stands where a call's system does.
    system: str(row.webhook_name),
    operation: '',
    request: {},
    replyEvent: '',
    failureEvent: '',
    webhook: {
      name: str(row.webhook_name),
      eventId: str(row.event_id),
      eventType: row.event_type === null ? '' : str(row.event_type),
      cursor: String(row.feed_seq),
    },
    delivered: {},
  };
}

export const deadWebhooks: DeadLetterSource = {
  kind: 'webhook',

  async list(conn, filter) {
    const { where, params } = listingWhere(filter, 'dead_id');
    if (filter.system !== undefined) {
      where.push('x.webhook_name = ?');
      params.push(filter.system);
    }
    // Index `listing`: status, created_at, dead_id.
    const rows = await conn.query<Row[]>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY x.created_at, x.dead_id LIMIT ?`, [...params, filter.limit]);
    return rows.map((row) => ({ record: record(row), createdKey: str(row.created_key) }));
  },

  async load(conn: Connection, id: string) {
    const rows = await conn.query<Row[]>(`${SELECT} WHERE x.dead_id = ? AND ${EVER_DEAD}`, [id]);
    return rows[0] ? record(rows[0]) : null;
  },

  async resolve(conn, id, action, by, note) {
    const lock = async (locked: Connection): Promise<Row | undefined> =>
      (await locked.query<Row[]>(`SELECT x.dead_id, x.status FROM webhook_dead_letters x WHERE x.dead_id = ? AND ${EVER_DEAD} FOR UPDATE`, [id]))[0];
    const where = { table: 'webhook_dead_letters', idColumn: 'dead_id', id } as const;
    // Nothing to run here: the webhook's holder finds it `pending` on its next round.
    return resolveLocked(conn, where, lock, action, by, note, () => ({ result: 'retried', webhook: true }));
  },

  async counts(conn) {
    const rows = await conn.query<Row[]>(`SELECT webhook_name, COUNT(*) AS n FROM webhook_dead_letters WHERE status = 'dead' GROUP BY webhook_name`);
    return rows.map((row) => ({ kind: 'webhook' as const, system: str(row.webhook_name), count: toNumber(row.n) }));
  },
};
