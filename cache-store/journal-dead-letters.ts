/**
 * Dead letters: what could not be done and waits for an operator, of every kind — back-end calls
 * whose retries were spent (outbox rows, here) and messages between journeys that could not be
 * delivered (journal-dead-messages.ts). Listed, read, retried (back to `pending` under the same
 * id) or discarded (`discarded`: recorded, never deleted). A row that was ever dead (`dead_at`
 * set, or dead before its migration filled it in) stays readable whatever became of it since.
 *
 * Kinds: each is a DeadLetterSource (dead-letter-records.ts); a listing of all kinds reads each
 * source's page and merges them in (created_at, id) order, so a third kind (webhooks) is one more
 * source in SOURCES.
 */
import { BASE_COLUMNS, DEAD_LETTER_KINDS, EVER_DEAD, baseRecord, eventsByKey, listingWhere, resolveLocked } from './dead-letter-records.js';
import type { DeadLetterCursor, DeadLetterFilter, DeadLetterKind, DeadLetterRecord, DeadLetterResolution, DeadLetterSource } from './dead-letter-records.js';
import { deadMessages } from './journal-dead-messages.js';
import { deadWebhooks } from './journal-dead-webhooks.js';

export type { DeadLetterCursor, DeadLetterFilter, DeadLetterKind, DeadLetterRecord, DeadLetterResolution, DeadLetterStatus } from './dead-letter-records.js';
import { callFromRow } from './journal-outbox.js';
import { nullableText, parseJson, str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

const SELECT = `SELECT x.outbox_id, x.kind, x.system_name, x.operation, x.request, x.reply_event, x.failure_event, ${BASE_COLUMNS}
     FROM outbox x LEFT JOIN journeys j ON j.journey_id = x.journey_id`;

function callRecord(row: Row): DeadLetterRecord {
  return {
    ...baseRecord(row, str(row.outbox_id)),
    kind: 'call',
    system: str(row.system_name),
    operation: str(row.operation),
    request: parseJson(row.request),
    replyEvent: nullableText(row.reply_event) ?? '',
    failureEvent: nullableText(row.failure_event) ?? '',
    delivered: {},
  };
}

/** Back-end calls whose retries were spent: outbox rows (every outbox row is a call today). */
const deadCalls: DeadLetterSource = {
  kind: 'call',

  async list(conn, filter) {
    const { where, params } = listingWhere(filter, 'outbox_id');
    if (filter.system !== undefined) {
      where.push('x.system_name = ?');
      params.push(filter.system);
    }
    // Index `pending_by_age`: status, created_at, outbox_id.
    const rows = await conn.query<Row[]>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY x.created_at, x.outbox_id LIMIT ?`, [...params, filter.limit]);
    return rows.map((row) => ({ record: callRecord(row), createdKey: str(row.created_key) }));
  },

  async load(conn, id) {
    const rows = await conn.query<Row[]>(`${SELECT} WHERE x.outbox_id = ? AND ${EVER_DEAD}`, [id]);
    const row = rows[0];
    if (!row) return null;
    const events = await eventsByKey(conn, [`call:${id}:failure`, `call:${id}:reply`]);
    const failure = events.get(`call:${id}:failure`);
    const reply = events.get(`call:${id}:reply`);
    return { ...callRecord(row), delivered: { ...(failure ? { failure } : {}), ...(reply ? { reply } : {}) } };
  },

  /** A retry makes the call `pending` again (same outbox id, attempts kept) and returns it to queue. */
  async resolve(conn, id, action, by, note) {
    const lock = async (locked: Connection): Promise<Row | undefined> =>
      (
        await locked.query<Row[]>(
          `SELECT x.outbox_id, x.status, x.journey_id, x.partition_no, x.caused_by, x.system_name, x.operation, x.request, x.reply_event,
                  x.failure_event, x.attempts
             FROM outbox x WHERE x.outbox_id = ? AND ${EVER_DEAD} FOR UPDATE`,
          [id],
        )
      )[0];
    return resolveLocked(conn, { table: 'outbox', idColumn: 'outbox_id', id }, lock, action, by, note, (row) => ({
      result: 'retried',
      call: callFromRow(row),
    }));
  },

  async counts(conn) {
    const rows = await conn.query<Row[]>(`SELECT kind, system_name, COUNT(*) AS n FROM outbox WHERE status = 'dead' GROUP BY kind, system_name`);
    return rows.map((row) => ({ kind: str(row.kind) as DeadLetterKind, system: str(row.system_name), count: toNumber(row.n) }));
  },
};

const SOURCES: Record<DeadLetterKind, DeadLetterSource> = { call: deadCalls, message: deadMessages, webhook: deadWebhooks };

/**
 * A page of dead letters, oldest first, from just behind `after`; `next` is where the following
 * page starts, null on the last page. Without a kind, every kind's page is read and merged.
 */
export async function listDeadLetters(conn: Connection, filter: DeadLetterFilter): Promise<{ records: DeadLetterRecord[]; next: DeadLetterCursor | null }> {
  const kinds = filter.kind === undefined ? DEAD_LETTER_KINDS : [filter.kind];
  const pages = await Promise.all(kinds.map((kind) => SOURCES[kind].list(conn, filter)));
  const merged = pages
    .flat()
    .sort((a, b) => (a.createdKey === b.createdKey ? (a.record.id < b.record.id ? -1 : 1) : a.createdKey < b.createdKey ? -1 : 1))
    .slice(0, filter.limit);
  const last = merged[merged.length - 1];
  return {
    records: merged.map((entry) => entry.record),
    next: merged.length < filter.limit || !last ? null : { createdAt: last.createdKey, id: last.record.id },
  };
}

/** One dead letter of any kind with the events it gave; null when nothing of that id was ever dead. */
export async function loadDeadLetter(conn: Connection, id: string): Promise<DeadLetterRecord | null> {
  for (const kind of DEAD_LETTER_KINDS) {
    const found = await SOURCES[kind].load(conn, id);
    if (found) return found;
  }
  return null;
}

/**
 * Retries or discards a dead letter, in one transaction: the row is locked and must be `dead`.
 * A retry makes it `pending` again under the same id (`retries` + 1) and returns what to run
 * again; a discard makes it `discarded`. Both record who, when and why.
 */
export async function resolveDeadLetter(
  conn: Connection,
  id: string,
  action: 'retry' | 'discard',
  by: string,
  note: string | null,
): Promise<DeadLetterResolution> {
  for (const kind of DEAD_LETTER_KINDS) {
    const resolution = await SOURCES[kind].resolve(conn, id, action, by, note);
    if (resolution.result !== 'not-found') return resolution;
  }
  return { result: 'not-found' };
}

/** Dead letters waiting for an operator, by kind and system (the gauge `je_dead_letters`). */
export async function deadLetterCounts(conn: Connection): Promise<Array<{ kind: DeadLetterKind; system: string; count: number }>> {
  const counts = await Promise.all(DEAD_LETTER_KINDS.map((kind) => SOURCES[kind].counts(conn)));
  return counts.flat();
}
