/**
 * Webhooks over the published-event feed: each webhook's cursor and lease (one node at a time
 * delivers it), and the deliveries whose tries were spent (dead letters an operator retries or
 * discards). Delivery is at least once: a node that loses the lease mid-batch may send again
 * what the next holder sends; receivers de-duplicate by the event id.
 */
import { str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

/**
 * `pending`: an operator retried it and the webhook's holder has yet to deliver it. (The column's
 * ENUM still lists `retrying`, which migration 011 rewrote to `pending`; nothing writes it.)
 */
export type WebhookDeadStatus = 'dead' | 'pending' | 'delivered' | 'discarded';

export interface WebhookDeadLetter {
  id: string;
  webhook: string;
  feedSeq: number;
  eventId: string;
  journeyId: string;
  status: WebhookDeadStatus;
  attempts: number;
  retries: number;
  lastError: string | null;
  deadAt: Date;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  note: string | null;
}

/**
 * Takes or renews the lease on a webhook's cursor for `ttlMs` (by the database's clock) and
 * returns the cursor; null while another node holds it. A webhook seen for the first time starts
 * at the feed's head (`fromStart`: at its beginning).
 */
export async function leaseWebhook(conn: Connection, name: string, owner: string, ttlMs: number, fromStart: boolean): Promise<number | null> {
  await conn.query(
    `INSERT IGNORE INTO webhook_cursors (webhook_name, last_seq) SELECT ?, IF(?, 0, last_seq) FROM feed_sequence WHERE feed_name = 'published'`,
    [name, fromStart],
  );
  const taken = await conn.query<{ affectedRows: number }>(
    `UPDATE webhook_cursors SET lease_owner = ?, lease_until = NOW(6) + INTERVAL ? MICROSECOND
      WHERE webhook_name = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < NOW(6))`,
    [owner, Math.round(ttlMs * 1000), name, owner],
  );
  if (taken.affectedRows !== 1) return null;
  const [row] = await conn.query<Row[]>(`SELECT last_seq FROM webhook_cursors WHERE webhook_name = ?`, [name]);
  return toNumber(row?.last_seq ?? 0);
}

/** Moves the cursor forward; false when this node no longer holds the lease. */
export async function advanceWebhook(conn: Connection, name: string, owner: string, lastSeq: number): Promise<boolean> {
  const result = await conn.query<{ affectedRows: number }>(
    `UPDATE webhook_cursors SET last_seq = GREATEST(last_seq, ?) WHERE webhook_name = ? AND lease_owner = ? AND lease_until >= NOW(6)`,
    [lastSeq, name, owner],
  );
  return result.affectedRows === 1;
}

export async function releaseWebhook(conn: Connection, name: string, owner: string): Promise<void> {
  await conn.query(`UPDATE webhook_cursors SET lease_owner = NULL, lease_until = NULL WHERE webhook_name = ? AND lease_owner = ?`, [name, owner]);
}

/** Where each webhook is: for the operations view and the lag gauge. */
export async function webhookCursors(conn: Connection): Promise<Array<{ webhook: string; lastSeq: number; leaseOwner: string | null }>> {
  const rows = await conn.query<Row[]>(`SELECT webhook_name, last_seq, IF(lease_until >= NOW(6), lease_owner, NULL) AS owner FROM webhook_cursors`);
  return rows.map((row) => ({ webhook: str(row.webhook_name), lastSeq: toNumber(row.last_seq), leaseOwner: row.owner === null ? null : str(row.owner) }));
}

/** Records a delivery whose tries were spent (again, for a retried one). */
export async function recordWebhookDead(
  conn: Connection,
  dead: { id: string; webhook: string; feedSeq: number; eventId: string; journeyId: string; causedBy: string; attempts: number; lastError: string },
): Promise<void> {
  await conn.query(
    `INSERT INTO webhook_dead_letters (dead_id, webhook_name, feed_seq, event_id, journey_id, caused_by, status, attempts, last_error, dead_at, created_at)
       VALUES (?,?,?,?,?,?,'dead',?,?,NOW(6),NOW(6))
     ON DUPLICATE KEY UPDATE status = 'dead', attempts = attempts + VALUES(attempts), last_error = VALUES(last_error), dead_at = NOW(6)`,
    [dead.id, dead.webhook, dead.feedSeq, dead.eventId, dead.journeyId, dead.causedBy, dead.attempts, dead.lastError.slice(0, 2000)],
  );
}

/** A delivery an operator retried and the holder of its webhook has delivered. */
export async function markWebhookRetryDelivered(conn: Connection, id: string, attempts: number): Promise<void> {
  await conn.query(
    `UPDATE webhook_dead_letters SET status = 'delivered', attempts = attempts + ?, last_error = NULL WHERE dead_id = ? AND status = 'pending'`,
    [attempts, id],
  );
}

const COLUMNS = `dead_id, webhook_name, feed_seq, event_id, journey_id, status, attempts, retries, last_error, dead_at, resolved_by, resolved_at, resolution_note`;

function deadLetter(row: Row): WebhookDeadLetter {
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : str(value));
  return {
    id: str(row.dead_id),
    webhook: str(row.webhook_name),
    feedSeq: toNumber(row.feed_seq),
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    status: str(row.status) as WebhookDeadStatus,
    attempts: toNumber(row.attempts),
    retries: toNumber(row.retries),
    lastError: text(row.last_error),
    deadAt: row.dead_at as Date,
    resolvedBy: text(row.resolved_by),
    resolvedAt: (row.resolved_at as Date | null) ?? null,
    note: text(row.resolution_note),
  };
}

/** Dead deliveries of one webhook that an operator retried, oldest first. */
export async function retryingWebhookDeliveries(conn: Connection, webhook: string, limit: number): Promise<WebhookDeadLetter[]> {
  const rows = await conn.query<Row[]>(`SELECT ${COLUMNS} FROM webhook_dead_letters WHERE webhook_name = ? AND status = 'pending' ORDER BY feed_seq LIMIT ?`, [
    webhook,
    limit,
  ]);
  return rows.map(deadLetter);
}
