/**
 * The worker's group commit: many journeys' outcomes in one fenced transaction.
 */
import { DEFAULT_TENANT } from '../common/index.js';
import { DATETIME_FROM_MICROS, INSERT_EVENT, INSERT_HANDLED_EVENT, bulk, bulkTotal, insertEventParams, ok, toNumber } from './journal-rows.js';
import type { Connection, Lifecycle, NewEvent, OkPacket, Row } from './journal-rows.js';
import { INSERT_MESSAGE, insertMessageParams } from './journal-messages.js';
import type { JourneyMessage } from './journal-messages.js';
import { INSERT_PUBLISHED, insertPublishedParams } from './journal-published.js';
import type { PublishedEvent } from './journal-published.js';

export interface TimerStart {
  timerId: string;
  name: string;
  fireAtMs: number;
  eventType: string;
  payloadJson: string;
  cancelOn: string[];
}

export interface CallRequest {
  outboxId: string;
  system: string;
  operation: string;
  requestJson: string;
  replyEvent: string;
  failureEvent: string;
}

/** Everything one handled event changes, committed atomically with the others of its batch. */
export interface HandlingCommit {
  journeyId: string;
  partitionNo: number;
  eventId: string;
  eventType: string;
  /** handled_seq before this event; the commit is conditional on it. */
  expectedHandledSeq: number;
  status: 'applied' | 'rejected';
  lifecycle: Lifecycle;
  /** New journey data as JSON, or null to leave the column unchanged (a rejection). */
  dataJson: string | null;
  outcomeJson: string;
  /** Emitted events that this journey itself handles: appended to its inbox in the same commit. */
  feedback: NewEvent[];
  /**
   * Inline handling: the event itself, accepted by this same commit. It is inserted already
   * handled (journey_seq = expectedHandledSeq + 1) instead of updated from `pending`, and the
   * commit holds only if nothing else was accepted for the journey since (`accepted_seq = handled_seq`).
   */
  accept?: NewEvent;
  /**
   * With `accept`, for an initiating event: the journey does not exist yet and this commit
   * creates its row (handled_seq 1) instead of updating it. `expectedHandledSeq` is 0.
   */
  create?: { typeName: string; typeVersion: string; tenant?: string };
  timersToStart: TimerStart[];
  /** Timer names cancelled explicitly. */
  timersToCancel: string[];
  /** Whether to cancel scheduled timers that list this event type in `unless`. */
  cancelTimersOnEvent: boolean;
  calls: CallRequest[];
  /** Events for other journeys (`send`, `reply`) and journeys to start (`start`); absent: none. */
  messages?: JourneyMessage[];
  /** Emitted events the journey declares in `publish`, for the feed and webhooks; absent: none. */
  published?: PublishedEvent[];
  /**
   * An uplift: the journey moves to this version and to this slot (its version's lane), with its
   * pending events, scheduled timers and pending calls, in the same commit.
   */
  moveTo?: { version: string; slot: number };
}

export type CommitResult =
  | { status: 'committed'; feedbackSeqs: number[] }
  /** The journey row moved on (another writer, or stale state): reload and retry. */
  | { status: 'conflict' }
  /** This node no longer holds the partition's lease at the expected epoch. */
  | { status: 'fenced' };

/**
 * Commits a batch of handled events of *different* journeys in one transaction.
 * `leases` maps partition → the epoch this node believes it holds.
 */
export async function commitHandlingBatch(conn: Connection, ownerNode: string, leases: Map<number, number>, batch: HandlingCommit[]): Promise<CommitResult[]> {
  const results: CommitResult[] = batch.map(() => ({ status: 'fenced' }));
  const partitions = [...new Set(batch.map((c) => c.partitionNo))];
  // The fence: a shared lock on each partition row, held to COMMIT, so a takeover (which updates
  // the row) waits for this transaction, and every commit after a takeover sees the new epoch.
  // With no fed-back events, no journey needs its own LAST_INSERT_ID, so the journey updates can
  // go as one bulk command checked by its total; a savepoint (pipelined with the fence) undoes it
  // when some update did not hold, and they go again one result each.
  const bulkJourneys = batch.filter((c) => !c.create).length > 1 && batch.every((c) => c.feedback.length === 0);
  const [held] = await Promise.all([
    conn.query<Row[]>(
      `SELECT partition_no, epoch FROM partitions
        WHERE partition_no IN (?) AND owner_node = ? AND lease_expires_at > NOW(6) LOCK IN SHARE MODE`,
      [partitions, ownerNode],
    ),
    bulkJourneys ? conn.query('SAVEPOINT journey_updates') : undefined,
  ]);
  const valid = new Set<number>();
  for (const row of held) {
    const partitionNo = toNumber(row.partition_no);
    if (leases.get(partitionNo) === toNumber(row.epoch)) valid.add(partitionNo);
  }

  // Phase 1: the conditional journey updates, pipelined, in journey-id order (the lock order
  // intake uses too, so the two never deadlock).
  const candidates = batch
    .map((commit, index) => ({ commit, index }))
    .filter(({ commit }) => valid.has(commit.partitionNo))
    .sort((a, b) => (a.commit.journeyId < b.commit.journeyId ? -1 : a.commit.journeyId > b.commit.journeyId ? 1 : 0));
  const journeyUpdateSql = `UPDATE journeys SET data = COALESCE(?, data), lifecycle = ?, handled_seq = handled_seq + 1,
        accepted_seq = LAST_INSERT_ID(accepted_seq + ?), last_epoch = ?, updated_at = NOW(6)
      WHERE journey_id = ? AND handled_seq = ? AND (? = 0 OR accepted_seq = handled_seq)`;
  // Journeys created by their initiating event (inline) are inserted below; the rest update.
  const updates = candidates.filter(({ commit }) => !commit.create);
  const journeyUpdateRows = updates.map(({ commit }) => [
    commit.dataJson,
    commit.lifecycle,
    commit.feedback.length + (commit.accept ? 1 : 0),
    leases.get(commit.partitionNo),
    commit.journeyId,
    commit.expectedHandledSeq,
    commit.accept ? 1 : 0,
  ]);
  let journeyUpdates: OkPacket[];
  if (bulkJourneys && updates.length > 1) {
    const total = await bulkTotal(conn, journeyUpdateSql, journeyUpdateRows);
    if (total === updates.length) {
      // Every update held; with no fed-back events nobody reads insertId.
      journeyUpdates = updates.map(() => ({ affectedRows: 1, insertId: 0 }));
    } else {
      await conn.query('ROLLBACK TO SAVEPOINT journey_updates');
      journeyUpdates = await bulk(conn, journeyUpdateSql, journeyUpdateRows);
    }
  } else {
    journeyUpdates = await bulk(conn, journeyUpdateSql, journeyUpdateRows);
  }

  // Phase 2: everything else of the journeys whose update held: the event rows and fed-back
  // events in bulk, the rarer timer and outbox statements pipelined.
  const followUps: Array<Promise<unknown>> = [];
  const eventUpdates: Array<{ index: number; params: unknown[] }> = [];
  const feedbackRows: unknown[][] = [];
  const inlineRows: unknown[][] = [];
  const createRows: unknown[][] = [];
  const messageRows: unknown[][] = [];
  const publishedRows: unknown[][] = [];
  const written = new Map<number, OkPacket>();
  updates.forEach(({ index }, position) => written.set(index, ok(journeyUpdates[position])));
  candidates.forEach(({ commit, index }) => {
    if (!commit.create) return;
    // A new journey's last seq: its initiating event, then its fed-back events.
    written.set(index, { affectedRows: 1, insertId: 1 + commit.feedback.length });
    createRows.push([
      commit.journeyId,
      commit.create.tenant ?? DEFAULT_TENANT,
      commit.create.typeName,
      commit.create.typeVersion,
      commit.partitionNo,
      commit.lifecycle,
      commit.dataJson,
      1 + commit.feedback.length,
      leases.get(commit.partitionNo),
    ]);
  });
  candidates.forEach(({ commit, index }) => {
    const updated = written.get(index) ?? { affectedRows: 0, insertId: 0 };
    if (updated.affectedRows !== 1) {
      results[index] = { status: 'conflict' };
      return;
    }
    const epoch = leases.get(commit.partitionNo);
    if (commit.accept) {
      inlineRows.push([
        ...insertEventParams(commit.journeyId, commit.expectedHandledSeq + 1, commit.partitionNo, commit.accept),
        commit.status,
        commit.outcomeJson,
        epoch,
      ]);
    } else {
      eventUpdates.push({ index, params: [commit.status, commit.outcomeJson, epoch, commit.eventId] });
    }
    const lastSeq = toNumber(updated.insertId);
    const feedbackSeqs = commit.feedback.map((_, i) => lastSeq - commit.feedback.length + 1 + i);
    commit.feedback.forEach((event, i) => {
      feedbackRows.push(insertEventParams(commit.journeyId, feedbackSeqs[i] ?? 0, commit.partitionNo, event));
    });
    if (commit.cancelTimersOnEvent || commit.timersToCancel.length > 0) {
      followUps.push(
        conn.query(
          `UPDATE timers SET status = 'cancelled' WHERE journey_id = ? AND status = 'scheduled'
              AND (timer_name IN (?) OR (? AND JSON_CONTAINS(cancel_on, JSON_QUOTE(?))))`,
          [commit.journeyId, commit.timersToCancel.length > 0 ? commit.timersToCancel : [''], commit.cancelTimersOnEvent, commit.eventType],
        ),
      );
    }
    for (const timer of commit.timersToStart) {
      // A timer started again replaces the running one of the same name.
      followUps.push(
        conn.query(`UPDATE timers SET status = 'cancelled' WHERE journey_id = ? AND status = 'scheduled' AND timer_name = ?`, [commit.journeyId, timer.name]),
      );
      followUps.push(
        conn.query(
          `INSERT INTO timers (timer_id, journey_id, partition_no, timer_name, fire_at, event_type, payload, cancel_on, status,
              created_by, created_at) VALUES (?,?,?,?,${DATETIME_FROM_MICROS},?,?,?,'scheduled',?,NOW(6))`,
          [
            timer.timerId,
            commit.journeyId,
            commit.partitionNo,
            timer.name,
            Math.round(timer.fireAtMs * 1000),
            timer.eventType,
            timer.payloadJson,
            JSON.stringify(timer.cancelOn),
            commit.eventId,
          ],
        ),
      );
    }
    if (commit.moveTo) {
      // An uplift: the journey and everything still waiting for it move to the new version's slot.
      const { version, slot } = commit.moveTo;
      followUps.push(conn.query(`UPDATE journeys SET type_version = ?, partition_no = ? WHERE journey_id = ?`, [version, slot, commit.journeyId]));
      followUps.push(
        conn.query(`UPDATE events SET partition_no = ? WHERE journey_id = ? AND status = 'pending' AND event_id <> ?`, [
          slot,
          commit.journeyId,
          commit.eventId,
        ]),
      );
      followUps.push(conn.query(`UPDATE timers SET partition_no = ? WHERE journey_id = ? AND status = 'scheduled'`, [slot, commit.journeyId]));
      followUps.push(conn.query(`UPDATE outbox SET partition_no = ? WHERE journey_id = ? AND status = 'pending'`, [slot, commit.journeyId]));
      followUps.push(conn.query(`UPDATE journey_messages SET partition_no = ? WHERE journey_id = ? AND status = 'pending'`, [slot, commit.journeyId]));
    }
    for (const call of commit.calls) {
      followUps.push(
        conn.query(
          `INSERT INTO outbox (outbox_id, journey_id, partition_no, caused_by, kind, system_name, operation, request,
              reply_event, failure_event, status, attempts, created_at, updated_at)
             VALUES (?,?,?,?,'call',?,?,?,?,?,'pending',0,NOW(6),NOW(6))`,
          [
            call.outboxId,
            commit.journeyId,
            commit.partitionNo,
            commit.eventId,
            call.system,
            call.operation,
            call.requestJson,
            call.replyEvent,
            call.failureEvent,
          ],
        ),
      );
    }
    // Messages to other journeys: they exist if and only if this outcome does.
    for (const message of commit.messages ?? []) messageRows.push(insertMessageParams(commit.journeyId, commit.partitionNo, commit.eventId, message));
    // Published events likewise: the feed numbers them once this commit is visible.
    for (const event of commit.published ?? [])
      publishedRows.push(insertPublishedParams(commit.journeyId, commit.expectedHandledSeq + 1, commit.eventId, event));
    results[index] = { status: 'committed', feedbackSeqs };
  });
  const [eventsUpdated] = await Promise.all([
    bulkTotal(
      conn,
      `UPDATE events SET status = ?, outcome = ?, handled_at = NOW(6), handled_epoch = ? WHERE event_id = ? AND status = 'pending'`,
      eventUpdates.map((u) => u.params),
    ),
    bulkTotal(conn, INSERT_EVENT, feedbackRows),
    bulkTotal(conn, INSERT_HANDLED_EVENT, inlineRows),
    bulkTotal(
      conn,
      `INSERT INTO journeys (journey_id, tenant, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq,
         last_epoch, created_at, updated_at) VALUES (?,?,?,?,?,?,?,1,?,?,NOW(6),NOW(6))`,
      createRows,
    ),
    Promise.all(followUps),
    bulkTotal(conn, INSERT_MESSAGE, messageRows),
    bulkTotal(conn, INSERT_PUBLISHED, publishedRows),
  ]);
  if (eventsUpdated !== eventUpdates.length) {
    // A journey row said "not yet handled" but its event row says otherwise: the store is
    // inconsistent. Abort the whole batch rather than commit a second outcome.
    const events = eventUpdates.map((u) => batch[u.index]?.eventId).join(', ');
    throw new JournalInvariantError(`${eventUpdates.length - eventsUpdated} of the events ${events} were already handled`);
  }
  return results;
}

/** The store contradicts an exactly-once invariant; the transaction must roll back. */
export class JournalInvariantError extends Error {
  override name = 'JournalInvariantError';
}
