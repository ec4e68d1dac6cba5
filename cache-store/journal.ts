/**
 * The exactly-once journal: every SQL statement of the event path lives here.
 *
 * Invariants (see docs/ARCHITECTURE.md):
 * - An event is acknowledged only after the transaction that inserted it committed (RPO=0).
 * - Per-journey order: `journey_seq` is assigned under the journey row's lock
 *   (`accepted_seq = LAST_INSERT_ID(accepted_seq + 1)`), never from AUTO_INCREMENT.
 * - Exactly once: a handling commit is conditional on `handled_seq = expected` (journey row) and
 *   `status = 'pending'` (event row), and on the partition's fencing epoch, checked under a shared
 *   lock on the partition row inside the same transaction.
 */
import type { PoolConnection, QueryOptions } from 'mariadb';

type Connection = PoolConnection;
type Row = Record<string, unknown>;

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  throw new Error(`expected a text column, got ${typeof value}`);
}

export type EventOrigin = 'api' | 'emitted' | 'timer' | 'backend';
export type EventStatus = 'pending' | 'applied' | 'rejected';
export type Lifecycle = 'pending' | 'active' | 'failed';

/** An event row as the worker needs it. */
export interface JournalEvent {
  eventId: string;
  journeyId: string;
  journeySeq: number;
  partitionNo: number;
  type: string;
  payload: Record<string, unknown>;
  context: Record<string, unknown>;
  origin: EventOrigin;
  causedBy: string | null;
  /** The node that accepted it and may be waiting for its outcome (wake-up messages only). */
  replyTo?: string;
}

export interface NewEvent {
  eventId: string;
  type: string;
  payloadJson: string;
  contextJson: string;
  origin: EventOrigin;
  causedBy: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export interface JourneyRow {
  journeyId: string;
  typeName: string;
  typeVersion: string;
  partitionNo: number;
  lifecycle: Lifecycle;
  data: Record<string, unknown> | null;
  handledSeq: number;
  acceptedSeq: number;
  createdAt: Date;
  updatedAt: Date;
}

interface OkPacket {
  affectedRows: number;
  insertId: number | bigint;
}

function ok(result: unknown): OkPacket {
  return result as OkPacket;
}

/**
 * Runs one statement for many parameter sets and returns one result per set. Before MariaDB 11.5
 * (BULK_UNIT_RESULTS) the connector sends each set as its own execute — pipelined, but a packet
 * and a socket write each; {@link bulkTotal} is the one-packet form when a total will do.
 */
async function bulk(conn: Connection, sql: string, rows: unknown[][]): Promise<OkPacket[]> {
  if (rows.length === 0) return [];
  if (rows.length === 1) return [ok(await conn.query(sql, rows[0]))];
  // `fullResult` (one OK packet per parameter set) is a connector option its typings lack.
  const options: QueryOptions & { fullResult: boolean } = { sql, fullResult: true };
  const results = (await conn.batch(options, rows)) as unknown;
  return Array.isArray(results) ? results.map(ok) : [ok(results)];
}

/**
 * Runs one statement for many parameter sets in one bulk command (COM_STMT_BULK_EXECUTE): one
 * packet and one socket write however many sets — the difference matters on the hot path. The
 * server reports only the total of affected rows.
 */
async function bulkTotal(conn: Connection, sql: string, rows: unknown[][]): Promise<number> {
  if (rows.length === 0) return 0;
  if (rows.length === 1) return ok(await conn.query(sql, rows[0])).affectedRows;
  const result = (await conn.batch(sql, rows)) as unknown;
  return Array.isArray(result) ? result.reduce((total: number, r) => total + ok(r).affectedRows, 0) : ok(result).affectedRows;
}

function toNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value);
}

function parseJson(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

const EVENT_COLUMNS = `event_id, journey_id, journey_seq, partition_no, event_type, payload, context, origin, caused_by`;

function eventFromRow(row: Record<string, unknown>): JournalEvent {
  return {
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    journeySeq: toNumber(row.journey_seq),
    partitionNo: toNumber(row.partition_no),
    type: str(row.event_type),
    payload: parseJson(row.payload),
    context: parseJson(row.context),
    origin: row.origin as EventOrigin,
    causedBy: row.caused_by === null ? null : str(row.caused_by),
  };
}

function journeyFromRow(row: Record<string, unknown>): JourneyRow {
  return {
    journeyId: str(row.journey_id),
    typeName: str(row.type_name),
    typeVersion: str(row.type_version),
    partitionNo: toNumber(row.partition_no),
    lifecycle: row.lifecycle as Lifecycle,
    data: row.data === null ? null : parseJson(row.data),
    handledSeq: toNumber(row.handled_seq),
    acceptedSeq: toNumber(row.accepted_seq),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

const INSERT_EVENT = `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context,
  origin, caused_by, idempotency_key, request_hash, accepted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,NOW(6))`;

/** An event accepted and handled by the same commit (inline handling). */
const INSERT_HANDLED_EVENT = `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context,
  origin, caused_by, idempotency_key, request_hash, accepted_at, status, outcome, handled_at, handled_epoch)
  VALUES (?,?,?,?,?,?,?,?,?,?,?,NOW(6),?,?,NOW(6),?)`;

function insertEventParams(journeyId: string, seq: number, partitionNo: number, event: NewEvent): unknown[] {
  return [
    event.eventId,
    journeyId,
    seq,
    partitionNo,
    event.type,
    event.payloadJson,
    event.contextJson,
    event.origin,
    event.causedBy,
    event.idempotencyKey,
    event.requestHash,
  ];
}

// ---------------------------------------------------------------------------------------------
// Intake

/** Inserts a new journey and its initiating event (journey_seq 1). Runs inside a transaction. */
export async function insertInitiatingEvent(
  conn: Connection,
  journey: { journeyId: string; typeName: string; typeVersion: string; partitionNo: number },
  event: NewEvent,
): Promise<void> {
  // The event first: a duplicate idempotency key fails before the journey row exists.
  await conn.query(INSERT_EVENT, insertEventParams(journey.journeyId, 1, journey.partitionNo, event));
  await conn.query(
    `INSERT INTO journeys (journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq,
       created_at, updated_at) VALUES (?,?,?,?,'pending',NULL,0,1,NOW(6),NOW(6))`,
    [journey.journeyId, journey.typeName, journey.typeVersion, journey.partitionNo],
  );
}

/**
 * Appends an event to an existing journey's inbox, assigning the next journey_seq under the
 * journey row's lock. Returns the seq, or null when the journey does not exist.
 */
export async function appendEvent(conn: Connection, journeyId: string, partitionNo: number, event: NewEvent): Promise<number | null> {
  const bumped = ok(
    await conn.query(`UPDATE journeys SET accepted_seq = LAST_INSERT_ID(accepted_seq + 1) WHERE journey_id = ?`, [journeyId]),
  );
  if (bumped.affectedRows !== 1) return null;
  const seq = toNumber(bumped.insertId);
  await conn.query(INSERT_EVENT, insertEventParams(journeyId, seq, partitionNo, event));
  return seq;
}

export interface IdempotentAnswer {
  eventId: string;
  journeyId: string;
  journeySeq: number;
  requestHash: string | null;
}

export async function findByIdempotencyKey(conn: Connection, idempotencyKey: string): Promise<IdempotentAnswer | null> {
  const rows = await conn.query<Row[]>(
    `SELECT event_id, journey_id, journey_seq, request_hash FROM events WHERE idempotency_key = ?`,
    [idempotencyKey],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    journeySeq: toNumber(row.journey_seq),
    requestHash: row.request_hash === null ? null : str(row.request_hash),
  };
}

export async function eventExists(conn: Connection, eventId: string): Promise<{ journeySeq: number } | null> {
  const rows = await conn.query<Row[]>(`SELECT journey_seq FROM events WHERE event_id = ?`, [eventId]);
  const row = rows[0];
  return row ? { journeySeq: toNumber(row.journey_seq) } : null;
}

// ---------------------------------------------------------------------------------------------
// Reads

export async function loadJourney(conn: Connection, journeyId: string): Promise<JourneyRow | null> {
  const rows = await conn.query<Row[]>(
    `SELECT journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at
       FROM journeys WHERE journey_id = ?`,
    [journeyId],
  );
  const row = rows[0];
  return row ? journeyFromRow(row) : null;
}

/** Pending events of one journey after a given seq, in order. */
export async function pendingEventsOfJourney(conn: Connection, journeyId: string, afterSeq: number, limit: number): Promise<JournalEvent[]> {
  const rows = await conn.query<Row[]>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE journey_id = ? AND journey_seq > ? AND status = 'pending'
      ORDER BY journey_seq LIMIT ?`,
    [journeyId, afterSeq, limit],
  );
  return rows.map(eventFromRow);
}

/**
 * Pending events of the given partitions, oldest first: recovery after a lease takeover and the
 * sweeper that re-delivers events whose wake-up message Redis lost.
 */
export async function pendingEventsOfPartitions(
  conn: Connection,
  partitions: number[],
  options: { olderThanMs: number; limit: number },
): Promise<JournalEvent[]> {
  if (partitions.length === 0) return [];
  const rows = await conn.query<Row[]>(
    `SELECT ${EVENT_COLUMNS} FROM events
      WHERE status = 'pending' AND partition_no IN (?) AND accepted_at <= NOW(6) - INTERVAL ? MICROSECOND
      ORDER BY accepted_at LIMIT ?`,
    [partitions, options.olderThanMs * 1000, options.limit],
  );
  return rows.map(eventFromRow);
}

export interface StoredOutcome {
  eventId: string;
  journeyId: string;
  journeySeq: number;
  status: EventStatus;
  outcome: Record<string, unknown> | null;
}

export async function loadOutcome(conn: Connection, eventId: string): Promise<StoredOutcome | null> {
  const rows = await conn.query<Row[]>(`SELECT event_id, journey_id, journey_seq, status, outcome FROM events WHERE event_id = ?`, [
    eventId,
  ]);
  const row = rows[0];
  if (!row) return null;
  return {
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    journeySeq: toNumber(row.journey_seq),
    status: row.status as EventStatus,
    outcome: row.outcome === null ? null : parseJson(row.outcome),
  };
}

export interface HistoryRow extends JournalEvent {
  acceptedAt: Date;
  status: EventStatus;
  outcome: Record<string, unknown> | null;
}

export async function journeyHistory(conn: Connection, journeyId: string, afterSeq: number, limit: number): Promise<HistoryRow[]> {
  const rows = await conn.query<Row[]>(
    `SELECT ${EVENT_COLUMNS}, accepted_at, status, outcome FROM events WHERE journey_id = ? AND journey_seq > ?
      ORDER BY journey_seq LIMIT ?`,
    [journeyId, afterSeq, limit],
  );
  return rows.map((row) => ({
    ...eventFromRow(row),
    acceptedAt: row.accepted_at as Date,
    status: row.status as EventStatus,
    outcome: row.outcome === null ? null : parseJson(row.outcome),
  }));
}

/** Search over indexed virtual columns; `columns` are already validated column names. */
export async function searchJourneys(
  conn: Connection,
  query: { typeName: string; typeVersion?: string; equals: Array<{ column: string; value: string }>; afterJourneyId: string; limit: number },
): Promise<JourneyRow[]> {
  const where = ['type_name = ?', 'journey_id > ?'];
  const params: unknown[] = [query.typeName, query.afterJourneyId];
  if (query.typeVersion !== undefined) {
    where.push('type_version = ?');
    params.push(query.typeVersion);
  }
  for (const { column, value } of query.equals) {
    if (!/^sf_[a-z][a-z0-9_]{0,63}$/.test(column)) throw new Error(`invalid search column ${column}`);
    where.push(`${column} = ?`);
    params.push(value);
  }
  params.push(query.limit);
  const rows = await conn.query<Row[]>(
    `SELECT journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at
       FROM journeys WHERE ${where.join(' AND ')} ORDER BY journey_id LIMIT ?`,
    params,
  );
  return rows.map(journeyFromRow);
}

// ---------------------------------------------------------------------------------------------
// Handling commits (the worker's group commit)

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
  create?: { typeName: string; typeVersion: string };
  timersToStart: TimerStart[];
  /** Timer names cancelled explicitly. */
  timersToCancel: string[];
  /** Whether to cancel scheduled timers that list this event type in `unless`. */
  cancelTimersOnEvent: boolean;
  calls: CallRequest[];
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
export async function commitHandlingBatch(
  conn: Connection,
  ownerNode: string,
  leases: Map<number, number>,
  batch: HandlingCommit[],
): Promise<CommitResult[]> {
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
  const written = new Map<number, OkPacket>();
  updates.forEach(({ index }, position) => written.set(index, ok(journeyUpdates[position])));
  candidates.forEach(({ commit, index }) => {
    if (!commit.create) return;
    // A new journey's last seq: its initiating event, then its fed-back events.
    written.set(index, { affectedRows: 1, insertId: 1 + commit.feedback.length });
    createRows.push([
      commit.journeyId,
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
        conn.query(`UPDATE timers SET status = 'cancelled' WHERE journey_id = ? AND status = 'scheduled' AND timer_name = ?`, [
          commit.journeyId,
          timer.name,
        ]),
      );
      followUps.push(
        conn.query(
          `INSERT INTO timers (timer_id, journey_id, partition_no, timer_name, fire_at, event_type, payload, cancel_on, status,
              created_by, created_at) VALUES (?,?,?,?,FROM_UNIXTIME(?),?,?,?,'scheduled',?,NOW(6))`,
          [
            timer.timerId,
            commit.journeyId,
            commit.partitionNo,
            timer.name,
            timer.fireAtMs / 1000,
            timer.eventType,
            timer.payloadJson,
            JSON.stringify(timer.cancelOn),
            commit.eventId,
          ],
        ),
      );
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
      `INSERT INTO journeys (journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq,
         last_epoch, created_at, updated_at) VALUES (?,?,?,?,?,?,1,?,?,NOW(6),NOW(6))`,
      createRows,
    ),
    Promise.all(followUps),
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

// ---------------------------------------------------------------------------------------------
// Partition leases (the fencing authority; the database clock decides expiry)

export async function ensurePartitions(conn: Connection, count: number): Promise<void> {
  const values = Array.from({ length: count }, (_, i) => i);
  await conn.batch(`INSERT IGNORE INTO partitions (partition_no, owner_node, epoch, lease_expires_at, updated_at) VALUES (?, NULL, 0, NULL, NOW(6))`, values.map((v) => [v]));
}

/**
 * Takes the given partitions where they are free, expired, or already ours; bumps each taken
 * partition's epoch. Returns partition → new epoch for the ones taken.
 */
export async function acquirePartitions(conn: Connection, ownerNode: string, partitions: number[], ttlMs: number): Promise<Map<number, number>> {
  const taken = new Map<number, number>();
  if (partitions.length === 0) return taken;
  await conn.query(
    `UPDATE partitions SET owner_node = ?, epoch = epoch + 1, lease_expires_at = NOW(6) + INTERVAL ? MICROSECOND, updated_at = NOW(6)
      WHERE partition_no IN (?) AND (owner_node IS NULL OR lease_expires_at IS NULL OR lease_expires_at < NOW(6))`,
    [ownerNode, ttlMs * 1000, partitions],
  );
  const rows = await conn.query<Row[]>(`SELECT partition_no, epoch FROM partitions WHERE partition_no IN (?) AND owner_node = ?`, [
    partitions,
    ownerNode,
  ]);
  for (const row of rows) taken.set(toNumber(row.partition_no), toNumber(row.epoch));
  return taken;
}

/** Extends this node's leases; returns the partitions (with epochs) it still holds. */
export async function renewPartitions(conn: Connection, ownerNode: string, held: Map<number, number>, ttlMs: number): Promise<Map<number, number>> {
  const still = new Map<number, number>();
  if (held.size === 0) return still;
  const partitions = [...held.keys()];
  await conn.query(
    `UPDATE partitions SET lease_expires_at = NOW(6) + INTERVAL ? MICROSECOND, updated_at = NOW(6)
      WHERE partition_no IN (?) AND owner_node = ? AND lease_expires_at > NOW(6)`,
    [ttlMs * 1000, partitions, ownerNode],
  );
  const rows = await conn.query<Row[]>(
    `SELECT partition_no, epoch FROM partitions WHERE partition_no IN (?) AND owner_node = ? AND lease_expires_at > NOW(6)`,
    [partitions, ownerNode],
  );
  for (const row of rows) {
    const partitionNo = toNumber(row.partition_no);
    const epoch = toNumber(row.epoch);
    if (held.get(partitionNo) === epoch) still.set(partitionNo, epoch);
  }
  return still;
}

/** Gives a partition up at once so its next owner need not wait for the lease to expire. */
export async function releasePartition(conn: Connection, ownerNode: string, partitionNo: number, epoch: number): Promise<void> {
  await conn.query(
    `UPDATE partitions SET owner_node = NULL, lease_expires_at = NULL, updated_at = NOW(6)
      WHERE partition_no = ? AND owner_node = ? AND epoch = ?`,
    [partitionNo, ownerNode, epoch],
  );
}

// ---------------------------------------------------------------------------------------------
// Timers

export interface DueTimer {
  timerId: string;
  journeyId: string;
  partitionNo: number;
  name: string;
  eventType: string;
  payload: Record<string, unknown>;
}

/**
 * Scheduled timers of the given partitions that are due by the database's clock (`NOW(6)`): a
 * node's own clock, which may be days off, never decides. `atMs` replaces the database's now only
 * where a clock stands in for it on purpose (tests that move time by hand).
 */
export async function dueTimers(conn: Connection, partitions: number[], limit: number, atMs?: number): Promise<DueTimer[]> {
  if (partitions.length === 0) return [];
  const rows = await conn.query<Row[]>(
    `SELECT timer_id, journey_id, partition_no, timer_name, event_type, payload FROM timers
      WHERE status = 'scheduled' AND partition_no IN (?) AND fire_at <= ${atMs === undefined ? 'NOW(6)' : 'FROM_UNIXTIME(?)'} ORDER BY fire_at LIMIT ?`,
    atMs === undefined ? [partitions, limit] : [partitions, atMs / 1000, limit],
  );
  return rows.map((row) => ({
    timerId: str(row.timer_id),
    journeyId: str(row.journey_id),
    partitionNo: toNumber(row.partition_no),
    name: str(row.timer_name),
    eventType: str(row.event_type),
    payload: parseJson(row.payload),
  }));
}

/**
 * The database's clock, ms since the epoch: the one clock every node's timers, leases and
 * forwarding deadlines are measured against (nodes correct their own by it).
 */
export async function databaseNowMs(conn: Connection): Promise<number> {
  const rows = await conn.query<Row[]>(`SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS UNSIGNED) AS micros`);
  return toNumber(rows[0]?.micros) / 1000;
}

/** Marks a timer fired, exactly once; returns false if it was fired or cancelled meanwhile. */
export async function markTimerFired(conn: Connection, timerId: string, eventId: string): Promise<boolean> {
  const result = ok(
    await conn.query(`UPDATE timers SET status = 'fired', fired_event_id = ? WHERE timer_id = ? AND status = 'scheduled'`, [eventId, timerId]),
  );
  return result.affectedRows === 1;
}

// ---------------------------------------------------------------------------------------------
// Outbox (back-end calls)

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
    after
      ? [partitions, olderThanMs * 1000, after.createdAt, after.createdAt, after.outboxId, limit]
      : [partitions, olderThanMs * 1000, limit],
  );
  const calls = rows.map((row) => ({
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
  }));
  const last = rows[rows.length - 1];
  return { calls, next: rows.length < limit || !last ? null : { createdAt: str(last.created_key), outboxId: str(last.outbox_id) } };
}

/** Which of these calls are still pending: the sweep re-checks before it re-queues a call whose job ended. */
export async function stillPendingCalls(conn: Connection, outboxIds: string[]): Promise<Set<string>> {
  if (outboxIds.length === 0) return new Set();
  const rows = await conn.query<Row[]>(`SELECT outbox_id FROM outbox WHERE outbox_id IN (?) AND status = 'pending'`, [outboxIds]);
  return new Set(rows.map((row) => str(row.outbox_id)));
}

export async function finishCall(conn: Connection, outboxId: string, status: 'done' | 'dead', lastError: string | null): Promise<void> {
  await conn.query(`UPDATE outbox SET status = ?, last_error = ?, updated_at = NOW(6) WHERE outbox_id = ? AND status = 'pending'`, [
    status,
    lastError,
    outboxId,
  ]);
}

export async function touchCall(conn: Connection, outboxId: string, lastError: string | null): Promise<void> {
  await conn.query(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, updated_at = NOW(6) WHERE outbox_id = ?`, [lastError, outboxId]);
}

/**
 * The partition count is fixed when the store is first used: journeys are placed by
 * `hash(id) % count`, so a different count would orphan them. Returns the stored count.
 */
export async function ensurePartitionCount(conn: Connection, count: number): Promise<number> {
  await conn.query(`INSERT IGNORE INTO cluster_meta (meta_key, meta_value) VALUES ('partition_count', ?)`, [String(count)]);
  const rows = await conn.query<Row[]>(`SELECT meta_value FROM cluster_meta WHERE meta_key = 'partition_count'`);
  return Number(rows[0]?.meta_value ?? count);
}

// ---------------------------------------------------------------------------------------------
// Group intake

export interface IntakeEntry {
  kind: 'initiate' | 'target';
  journeyId: string;
  /** For initiating entries: the journey row to create. */
  typeName: string;
  typeVersion: string;
  partitionNo: number;
  event: NewEvent;
}

export type IntakeResult = { status: 'accepted'; journeySeq: number } | { status: 'not_found' };

/**
 * Accepts many events in one transaction (one fsync). Rows are locked in journey-id order so
 * concurrent batches (and handling commits, which use the same order) cannot deadlock; events of
 * one journey keep their queue order, so their journey_seq follows acceptance order.
 * Any SQL error (a duplicate idempotency key, say) fails the whole batch: the caller then retries
 * its entries one by one.
 */
export async function acceptBatch(conn: Connection, entries: IntakeEntry[]): Promise<IntakeResult[]> {
  const order = entries.map((entry, index) => ({ entry, index })).sort((a, b) => (a.entry.journeyId < b.entry.journeyId ? -1 : a.entry.journeyId > b.entry.journeyId ? 1 : a.index - b.index));
  const results: IntakeResult[] = entries.map(() => ({ status: 'not_found' }));
  const initiating = order.filter(({ entry }) => entry.kind === 'initiate');
  if (initiating.length > 0) {
    await conn.query(
      `INSERT INTO journeys (journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at)
       VALUES ${initiating.map(() => `(?,?,?,?,'pending',NULL,0,1,NOW(6),NOW(6))`).join(',')}`,
      initiating.flatMap(({ entry }) => [entry.journeyId, entry.typeName, entry.typeVersion, entry.partitionNo]),
    );
    for (const { index } of initiating) results[index] = { status: 'accepted', journeySeq: 1 };
  }
  const targeted = order.filter(({ entry }) => entry.kind === 'target');
  const bumps = await bulk(
    conn,
    `UPDATE journeys SET accepted_seq = LAST_INSERT_ID(accepted_seq + 1) WHERE journey_id = ?`,
    targeted.map(({ entry }) => [entry.journeyId]),
  );
  targeted.forEach(({ index }, i) => {
    const bumped = ok(bumps[i]);
    if (bumped.affectedRows === 1) results[index] = { status: 'accepted', journeySeq: toNumber(bumped.insertId) };
  });
  const rows = order.filter(({ index }) => results[index]?.status === 'accepted');
  if (rows.length > 0) {
    await conn.query(
      `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context, origin, caused_by,
         idempotency_key, request_hash, accepted_at) VALUES ${rows.map(() => '(?,?,?,?,?,?,?,?,?,?,?,NOW(6))').join(',')}`,
      rows.flatMap(({ entry, index }) => {
        const result = results[index];
        return insertEventParams(entry.journeyId, result?.status === 'accepted' ? result.journeySeq : 0, entry.partitionNo, entry.event);
      }),
    );
  }
  return results;
}
