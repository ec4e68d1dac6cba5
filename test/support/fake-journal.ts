/**
 * The journal port in memory, with the semantics of the MariaDB journal (cache-store/journal-*.ts):
 * unique event id, (journey, seq) and idempotency key; each unit of work whole or not at all; the
 * group commit fenced by owner, epoch and an unexpired lease, and conditional per member on
 * handled_seq (and, inline, on accepted_seq = handled_seq). Failures have the shapes the real
 * journal throws, so the engine's classifiers (isDuplicateKeyError, isConnectionError…) work.
 * Over 500 lines on purpose: every unit of work of the port in one place, to be read against the SQL.
 *
 * Test hooks: the database clock `nowMs`, `failNext` (a failure in the next call of a method),
 * `hold` (calls wait until released), `stealPartition` (another node's takeover), and the rows
 * themselves (`rows`, `eventsOf`) to read or to change behind the engine's back.
 */
import { randomBytes } from 'node:crypto';
import { AmbiguousCommitError, JournalInvariantError, searchColumnName, wrapStoreError } from '../../cache-store/index.js';
import type {
  CommitResult,
  DatabaseClockSample,
  Deployment,
  DeploymentSummary,
  DueTimer,
  EventStatus,
  FeedEntry,
  FeedQuery,
  HandlingCommit,
  HistoryRow,
  IdempotentAnswer,
  IntakeEntry,
  IntakeResult,
  Journal,
  JournalEvent,
  JourneyRow,
  JourneySearch,
  NewDeployment,
  NewEvent,
  SavedDeployment,
  OutboxCursor,
  PendingCall,
  ReconcileCall,
  DeadLetterCursor,
  DeadLetterFilter,
  DeadLetterKind,
  DeadLetterRecord,
  DeadLetterResolution,
  DeadLetterStatus,
  PartitionLease,
  PendingMessage,
  WaitingCall,
  WaitingTimer,
  RowFilter,
  SearchFieldSpec,
  StoreHealth,
  StoredOutcome,
  TimerStart,
  WebhookDeadLetter,
} from '../../cache-store/index.js';
import { DEFAULT_TENANT, ensureError } from '../../common/index.js';

export type JournalMethod = Exclude<keyof Journal, 'maxStatementBytes'>;

export type JourneyRecord = Omit<JourneyRow, 'createdAt' | 'updatedAt'> & { lastEpoch: number | null; createdAtMs: number; updatedAtMs: number };

export type EventRecord = NewEvent & {
  journeyId: string;
  journeySeq: number;
  partitionNo: number;
  acceptedAtMs: number;
  status: EventStatus;
  outcomeJson: string | null;
  handledEpoch: number | null;
};

export interface PartitionRecord {
  owner: string | null;
  epoch: number;
  leaseExpiresAtMs: number | null;
  updatedAtMs: number;
}

export type TimerRecord = TimerStart & {
  journeyId: string;
  partitionNo: number;
  status: 'scheduled' | 'fired' | 'cancelled';
  createdBy: string;
  firedEventId: string | null;
};

export type OutboxRecord = Omit<PendingCall, 'request'> & {
  requestJson: string;
  status: DeadLetterStatus;
  lastError: string | null;
  /** created_at as text (the cursor's key). */
  createdAt: string;
  updatedAtMs: number;
  /** When its retries were last spent (a dead letter); the operator's retries and last decision. */
  deadAtMs?: number;
  retries?: number;
  resolvedBy?: string;
  resolvedAtMs?: number;
  note?: string | null;
};

export type MessageRecord = PendingMessage & {
  status: 'pending' | 'delivered' | 'dead';
  lastError: string | null;
  deliveredEvent: string | null;
  createdAtMs: number;
  updatedAtMs: number;
};

export interface Tables {
  journeys: Map<string, JourneyRecord>;
  events: Map<string, EventRecord>;
  partitions: Map<number, PartitionRecord>;
  timers: Map<string, TimerRecord>;
  outbox: Map<string, OutboxRecord>;
  messages: Map<string, MessageRecord>;
  /** Published events in insertion order; `feedSeq` 0 until numbered. */
  published: FeedEntry[];
  meta: Map<string, string>;
}

/** One call of a batch method: what it carried and how it ended. */
export interface BatchRecord<T> {
  members: T[];
  results: CommitResult[] | IntakeResult[] | null;
  error: Error | null;
}

// --- the errors the MariaDB journal throws, built the way it builds them ---

function driverError(message: string, errno: number, code: string, fatal = false): Error {
  return Object.assign(new Error(message), { errno, code, fatal, sqlState: fatal ? '08S01' : '23000' });
}

/** A unique key refused the write (JE_STORE_QUERY_FAILED caused by errno 1062). */
export const duplicateKeyError = (what: string): Error => wrapStoreError(driverError(`Duplicate entry in ${what}`, 1062, 'ER_DUP_ENTRY'), what);
/** No connection to be had (JE_STORE_UNAVAILABLE, a connection error). */
export const storeUnavailableError = (what = 'a unit of work'): Error =>
  wrapStoreError(driverError('retrieve connection from pool timeout', 45028, 'ER_GET_CONNECTION_TIMEOUT', true), what);
/** The connection broke during COMMIT (JE_STORE_COMMIT_UNKNOWN): the work may or may not have landed. */
export const commitUnknownError = (what = 'a unit of work'): Error =>
  new AmbiguousCommitError(`connection lost during COMMIT of ${what}`, { cause: driverError('socket closed', 45009, 'ER_SOCKET_UNEXPECTED_CLOSE', true) });
/** A statement larger than max_allowed_packet, refused by the pool before it is sent. */
export const packetTooLargeError = (what: string): Error =>
  wrapStoreError(driverError(`${what} is larger than max_allowed_packet`, 45046, 'ER_MAX_ALLOWED_PACKET'), what);

const parse = (json: string): Record<string, unknown> => JSON.parse(json) as Record<string, unknown>;
const byJourneyId = <T extends { journeyId: string }>(a: T, b: T): number => (a.journeyId < b.journeyId ? -1 : a.journeyId > b.journeyId ? 1 : 0);

function emptyTables(): Tables {
  return {
    journeys: new Map(),
    events: new Map(),
    partitions: new Map(),
    timers: new Map(),
    outbox: new Map(),
    messages: new Map(),
    published: [],
    meta: new Map(),
  };
}

export class FakeJournal implements Journal {
  /** The database's clock (NOW(6)): leases expire, timers fall due and events age by it. */
  nowMs = Date.now();
  readonly maxStatementBytes: number;
  /** Every group commit and every batched intake, in call order. */
  readonly commits: Array<BatchRecord<HandlingCommit>> = [];
  readonly intakeBatches: Array<BatchRecord<IntakeEntry>> = [];
  readonly deployments: NewDeployment[] = [];
  readonly searchFields: SearchFieldSpec[] = [];
  private tables = emptyTables();
  private readonly counts = new Map<JournalMethod, number>();
  private readonly failures = new Map<JournalMethod, Array<{ error: Error; afterEffect: boolean }>>();
  private readonly holds = new Map<JournalMethod, Promise<void>>();

  constructor(options: { maxStatementBytes?: number } = {}) {
    this.maxStatementBytes = options.maxStatementBytes ?? 16 * 1024 * 1024;
  }

  // --- test hooks ---

  /** The rows as they are now (a failed unit of work replaces them: read them again after one). */
  get rows(): Tables {
    return this.tables;
  }

  eventsOf(journeyId: string): EventRecord[] {
    return [...this.tables.events.values()].filter((e) => e.journeyId === journeyId).sort((a, b) => a.journeySeq - b.journeySeq);
  }

  called(method: JournalMethod): number {
    return this.counts.get(method) ?? 0;
  }

  /**
   * The next call of `method` throws `error`: before any effect, or with `afterEffect` once its
   * work is done (a COMMIT that landed but whose answer was lost). Queued calls fail in turn.
   */
  failNext(method: JournalMethod, error: Error, options: { afterEffect?: boolean } = {}): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({ error, afterEffect: options.afterEffect ?? false });
    this.failures.set(method, queue);
  }

  /** Calls of `method` from now on wait (before any effect) until the returned function is called. */
  hold(method: JournalMethod): () => void {
    let release = (): void => undefined;
    this.holds.set(method, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  /** Another node takes the partition over: new owner, new epoch, a live lease. */
  stealPartition(partitionNo: number, owner: string, ttlMs = 60_000): void {
    const row = this.partitionRow(partitionNo);
    Object.assign(row, { owner, epoch: row.epoch + 1, leaseExpiresAtMs: this.nowMs + ttlMs, updatedAtMs: this.nowMs });
  }

  // --- intake ---

  acceptBatch(entries: IntakeEntry[]): Promise<IntakeResult[]> {
    return this.recorded(this.intakeBatches, entries, () =>
      this.run('acceptBatch', () => {
        // Like the SQL: journeys created first, then the targeted bumps, then every event row.
        const order = entries.map((entry, index) => ({ journeyId: entry.journeyId, entry, index })).sort(byJourneyId);
        const results: IntakeResult[] = entries.map(() => ({ status: 'not_found' }));
        for (const { entry, index } of order.filter(({ entry }) => entry.kind === 'initiate')) {
          this.insertJourney(
            entry.journeyId,
            entry.partitionNo,
            { tenant: entry.tenant ?? DEFAULT_TENANT, typeName: entry.typeName, typeVersion: entry.typeVersion },
            1,
          );
          results[index] = { status: 'accepted', journeySeq: 1 };
        }
        for (const { entry, index } of order.filter(({ entry }) => entry.kind === 'target')) {
          const journey = this.tables.journeys.get(entry.journeyId);
          if (journey) results[index] = { status: 'accepted', journeySeq: (journey.acceptedSeq += 1) };
        }
        for (const { entry, index } of order) {
          const result = results[index];
          if (result?.status === 'accepted') this.insertEvent(entry.journeyId, result.journeySeq, entry.partitionNo, entry.event);
        }
        return results;
      }),
    );
  }

  acceptOne(entry: IntakeEntry): Promise<IntakeResult> {
    return this.run('acceptOne', (): IntakeResult => {
      if (entry.kind === 'initiate') {
        // The event first: a duplicate idempotency key fails before the journey row exists.
        this.insertEvent(entry.journeyId, 1, entry.partitionNo, entry.event);
        this.insertJourney(
          entry.journeyId,
          entry.partitionNo,
          { tenant: entry.tenant ?? DEFAULT_TENANT, typeName: entry.typeName, typeVersion: entry.typeVersion },
          1,
        );
        return { status: 'accepted', journeySeq: 1 };
      }
      const seq = this.appendEvent(entry.journeyId, entry.partitionNo, entry.event);
      return seq === null ? { status: 'not_found' } : { status: 'accepted', journeySeq: seq };
    });
  }

  findByIdempotencyKey(idempotencyKey: string): Promise<IdempotentAnswer | null> {
    return this.run('findByIdempotencyKey', () => {
      const row = [...this.tables.events.values()].find((e) => e.idempotencyKey === idempotencyKey);
      return row ? { eventId: row.eventId, journeyId: row.journeyId, journeySeq: row.journeySeq, requestHash: row.requestHash } : null;
    });
  }

  eventExists(eventId: string): Promise<{ journeySeq: number } | null> {
    return this.run('eventExists', () => {
      const row = this.tables.events.get(eventId);
      return row ? { journeySeq: row.journeySeq } : null;
    });
  }

  // --- handling ---

  commitHandlingBatch(ownerNode: string, leases: Map<number, number>, batch: HandlingCommit[]): Promise<CommitResult[]> {
    return this.recorded(this.commits, batch, () =>
      this.run('commitHandlingBatch', () => {
        // The fence first: a member of a partition this node does not hold (owner, epoch, live lease) is fenced.
        const results: CommitResult[] = batch.map(() => ({ status: 'fenced' }));
        const members = batch.map((commit, index) => ({ journeyId: commit.journeyId, commit, index }));
        for (const { commit, index } of members.sort(byJourneyId)) {
          const epoch = leases.get(commit.partitionNo);
          if (epoch !== undefined && this.holdsLease(ownerNode, commit.partitionNo, epoch)) results[index] = this.commitMember(commit, epoch);
        }
        return results;
      }),
    );
  }

  /** One member of a group commit: conditional on the journey's seqs; throws (failing the whole batch) on a unique key or an event already handled. */
  private commitMember(commit: HandlingCommit, epoch: number): CommitResult {
    this.checkPacket("the journey's data", commit.dataJson);
    this.checkPacket("the event's outcome", commit.outcomeJson);
    // An initiating event handled inline creates its journey: a fresh row, then the same update.
    const journey = commit.create
      ? this.insertJourney(commit.journeyId, commit.partitionNo, { tenant: DEFAULT_TENANT, ...commit.create }, 0)
      : this.tables.journeys.get(commit.journeyId);
    if (!journey || journey.handledSeq !== commit.expectedHandledSeq || (commit.accept && journey.acceptedSeq !== journey.handledSeq))
      return { status: 'conflict' };
    if (commit.dataJson !== null) journey.data = parse(commit.dataJson);
    Object.assign(journey, { lifecycle: commit.lifecycle, lastEpoch: epoch, updatedAtMs: this.nowMs });
    journey.handledSeq += 1;
    journey.acceptedSeq += commit.feedback.length + (commit.accept ? 1 : 0);
    const handled = { status: commit.status, outcomeJson: commit.outcomeJson, handledEpoch: epoch };
    const event = this.tables.events.get(commit.eventId);
    if (commit.accept) this.insertEvent(commit.journeyId, commit.expectedHandledSeq + 1, commit.partitionNo, commit.accept, handled);
    else if (event?.status === 'pending') Object.assign(event, handled);
    else throw new JournalInvariantError(`the event ${commit.eventId} was already handled`);
    const feedbackSeqs = commit.feedback.map((_, i) => journey.acceptedSeq - commit.feedback.length + 1 + i);
    commit.feedback.forEach((fed, i) => this.insertEvent(commit.journeyId, feedbackSeqs[i] ?? 0, commit.partitionNo, fed));
    const { journeyId, partitionNo, eventId } = commit;
    this.cancelTimers(journeyId, (t) => commit.timersToCancel.includes(t.name) || (commit.cancelTimersOnEvent && t.cancelOn.includes(commit.eventType)));
    for (const timer of commit.timersToStart) {
      this.cancelTimers(journeyId, (t) => t.name === timer.name); // a timer started again replaces the running one
      this.insertUnique(this.tables.timers, timer.timerId, 'timers', {
        ...timer,
        journeyId,
        partitionNo,
        status: 'scheduled',
        createdBy: eventId,
        firedEventId: null,
      });
    }
    for (const { outboxId, ...call } of commit.calls) {
      this.checkPacket('a back-end request', call.requestJson);
      const created = { createdAt: new Date(this.nowMs).toISOString(), updatedAtMs: this.nowMs };
      this.insertUnique(this.tables.outbox, outboxId, 'outbox', {
        ...call,
        outboxId,
        journeyId,
        partitionNo,
        causedBy: eventId,
        status: 'pending',
        attempts: 0,
        lastError: null,
        ...created,
      });
    }
    for (const { payloadJson, ...message } of commit.messages ?? []) {
      this.insertUnique(this.tables.messages, message.messageId, 'journey_messages', {
        ...message,
        journeyId,
        partitionNo,
        causedBy: eventId,
        payload: parse(payloadJson),
        attempts: 0,
        status: 'pending',
        lastError: null,
        deliveredEvent: null,
        createdAtMs: this.nowMs,
        updatedAtMs: this.nowMs,
      });
    }
    for (const event of commit.published ?? []) {
      this.tables.published.push({
        feedSeq: 0,
        eventId: event.eventId,
        eventType: event.eventType,
        journeyId,
        typeName: event.typeName,
        typeVersion: event.typeVersion,
        journeySeq: commit.expectedHandledSeq + 1,
        causedBy: eventId,
        publishedAt: new Date(this.nowMs).toISOString(),
        payload: parse(event.payloadJson),
      });
    }
    return { status: 'committed', feedbackSeqs };
  }

  loadJourney(journeyId: string): Promise<JourneyRow | null> {
    return this.run('loadJourney', () => this.journeyRow(journeyId));
  }

  pendingEventsOfJourney(journeyId: string, afterSeq: number, limit: number): Promise<JournalEvent[]> {
    return this.run('pendingEventsOfJourney', () =>
      this.eventsOf(journeyId)
        .filter((e) => e.journeySeq > afterSeq && e.status === 'pending')
        .slice(0, limit)
        .map(toJournalEvent),
    );
  }

  pendingEventsOfPartitions(partitions: number[], options: { olderThanMs: number; limit: number }): Promise<JournalEvent[]> {
    return this.run('pendingEventsOfPartitions', () =>
      [...this.tables.events.values()]
        .filter((e) => e.status === 'pending' && partitions.includes(e.partitionNo) && e.acceptedAtMs <= this.nowMs - options.olderThanMs)
        .sort((a, b) => a.acceptedAtMs - b.acceptedAtMs)
        .slice(0, options.limit)
        .map(toJournalEvent),
    );
  }

  // --- partitions and leases ---

  ensurePartitionCount(count: number): Promise<number> {
    return this.run('ensurePartitionCount', () => Number(this.metaValue('partition_count', () => String(count))));
  }

  ensurePartitions(slots: number[]): Promise<void> {
    return this.run('ensurePartitions', () => {
      for (const slot of slots) this.partitionRow(slot);
    });
  }

  acquirePartitions(ownerNode: string, partitions: number[], ttlMs: number): Promise<Map<number, number>> {
    return this.run('acquirePartitions', () => {
      const taken = new Map<number, number>();
      for (const p of partitions) {
        const row = this.tables.partitions.get(p);
        if (!row) continue;
        if (row.owner === null || row.leaseExpiresAtMs === null || row.leaseExpiresAtMs < this.nowMs) {
          Object.assign(row, { owner: ownerNode, epoch: row.epoch + 1, leaseExpiresAtMs: this.nowMs + ttlMs, updatedAtMs: this.nowMs });
        }
        if (row.owner === ownerNode) taken.set(p, row.epoch);
      }
      return taken;
    });
  }

  renewPartitions(ownerNode: string, held: Map<number, number>, ttlMs: number): Promise<Map<number, number>> {
    return this.run('renewPartitions', () => {
      const still = new Map<number, number>();
      for (const [p, epoch] of held) {
        const row = this.tables.partitions.get(p);
        if (!row || row.owner !== ownerNode || row.leaseExpiresAtMs === null || row.leaseExpiresAtMs <= this.nowMs) continue;
        Object.assign(row, { leaseExpiresAtMs: this.nowMs + ttlMs, updatedAtMs: this.nowMs });
        if (row.epoch === epoch) still.set(p, epoch);
      }
      return still;
    });
  }

  releasePartition(ownerNode: string, partitionNo: number, epoch: number): Promise<void> {
    return this.run('releasePartition', () => {
      const row = this.tables.partitions.get(partitionNo);
      if (row?.owner === ownerNode && row.epoch === epoch) Object.assign(row, { owner: null, leaseExpiresAtMs: null, updatedAtMs: this.nowMs });
    });
  }

  unownedPartitions(slots: number[], graceMs: number): Promise<number[]> {
    return this.run('unownedPartitions', () =>
      slots.filter((p) => {
        const row = this.tables.partitions.get(p);
        return !row || (row.owner === null ? row.updatedAtMs : (row.leaseExpiresAtMs ?? row.updatedAtMs)) < this.nowMs - graceMs;
      }),
    );
  }

  partitionLeases(): Promise<PartitionLease[]> {
    return this.run('partitionLeases', () =>
      [...this.tables.partitions.entries()]
        .sort(([a], [b]) => a - b)
        .map(([partitionNo, row]) => ({
          partitionNo,
          owner: row.owner,
          epoch: row.epoch,
          leaseExpiresAt: row.leaseExpiresAtMs === null ? null : new Date(row.leaseExpiresAtMs),
          live: row.owner !== null && (row.leaseExpiresAtMs ?? 0) > this.nowMs,
        })),
    );
  }

  ensureClusterId(): Promise<string> {
    return this.run('ensureClusterId', () => this.metaValue('cluster_id', () => randomBytes(8).toString('hex')));
  }

  ensureGridSecret(): Promise<string> {
    return this.run('ensureGridSecret', () => this.metaValue('grid_secret', () => randomBytes(32).toString('hex')));
  }

  // --- timers ---

  nextTimerDueInMs(partitions: number[], atMs?: number): Promise<number | null> {
    return this.run('nextTimerDueInMs', () => {
      const scheduled = [...this.tables.timers.values()].filter((t) => t.status === 'scheduled' && partitions.includes(t.partitionNo));
      if (scheduled.length === 0) return null;
      return Math.min(...scheduled.map((t) => t.fireAtMs)) - (atMs ?? this.nowMs);
    });
  }

  dueTimers(partitions: number[], limit: number, atMs?: number): Promise<DueTimer[]> {
    return this.run('dueTimers', () =>
      [...this.tables.timers.values()]
        .filter((t) => t.status === 'scheduled' && partitions.includes(t.partitionNo) && t.fireAtMs <= (atMs ?? this.nowMs))
        .sort((a, b) => a.fireAtMs - b.fireAtMs)
        .slice(0, limit)
        .map((t) => ({
          timerId: t.timerId,
          journeyId: t.journeyId,
          partitionNo: t.partitionNo,
          name: t.name,
          eventType: t.eventType,
          payload: parse(t.payloadJson),
        })),
    );
  }

  fireTimer(timer: DueTimer, event: NewEvent): Promise<number | null> {
    return this.run('fireTimer', () => {
      const row = this.tables.timers.get(timer.timerId);
      if (row?.status !== 'scheduled') return null;
      Object.assign(row, { status: 'fired', firedEventId: event.eventId });
      return this.appendEvent(timer.journeyId, timer.partitionNo, event);
    });
  }

  sampleDatabaseClock(samples: number, localNowMs: () => number, monotonicMs: () => number): Promise<DatabaseClockSample[]> {
    return this.run('sampleDatabaseClock', () =>
      Array.from({ length: samples }, () => {
        const sentMs = localNowMs();
        const started = monotonicMs();
        return { referenceMs: this.nowMs, sentMs, roundTripMs: monotonicMs() - started };
      }),
    );
  }

  // --- outbox ---

  pendingCalls(
    partitions: number[],
    olderThanMs: number,
    limit: number,
    after: OutboxCursor | null,
  ): Promise<{ calls: PendingCall[]; next: OutboxCursor | null }> {
    return this.run('pendingCalls', () => {
      const rows = [...this.tables.outbox.values()]
        .filter((r) => r.status === 'pending' && partitions.includes(r.partitionNo) && r.updatedAtMs <= this.nowMs - olderThanMs)
        .filter((r) => !after || r.createdAt > after.createdAt || (r.createdAt === after.createdAt && r.outboxId > after.outboxId))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.outboxId.localeCompare(b.outboxId))
        .slice(0, limit);
      const calls = rows.map(({ requestJson, status: _s, lastError: _e, createdAt: _c, updatedAtMs: _u, ...call }) => ({
        ...call,
        request: parse(requestJson),
      }));
      const last = rows[rows.length - 1];
      return { calls, next: rows.length < limit || !last ? null : { createdAt: last.createdAt, outboxId: last.outboxId } };
    });
  }

  stillPendingCalls(outboxIds: string[]): Promise<Set<string>> {
    return this.run('stillPendingCalls', () => new Set(outboxIds.filter((id) => this.tables.outbox.get(id)?.status === 'pending')));
  }

  finishCall(outboxId: string, status: 'done' | 'dead', lastError: string | null): Promise<void> {
    return this.run('finishCall', () => {
      const row = this.tables.outbox.get(outboxId);
      if (row?.status === 'pending') Object.assign(row, { status, lastError, updatedAtMs: this.nowMs, ...(status === 'dead' ? { deadAtMs: this.nowMs } : {}) });
    });
  }

  touchCall(outboxId: string, lastError: string | null): Promise<void> {
    return this.run('touchCall', () => {
      const row = this.tables.outbox.get(outboxId);
      if (row) Object.assign(row, { attempts: row.attempts + 1, lastError, updatedAtMs: this.nowMs });
    });
  }

  // --- reconciliation ---

  callsOfSystem(system: string, after: OutboxCursor | null, limit: number): Promise<ReconcileCall[]> {
    return this.run('callsOfSystem', () =>
      [...this.tables.outbox.values()]
        .filter((r) => r.system === system)
        .filter((r) => !after || r.createdAt > after.createdAt || (r.createdAt === after.createdAt && r.outboxId > after.outboxId))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.outboxId.localeCompare(b.outboxId))
        .slice(0, limit)
        .map((row) => ({ call: this.callOf(row), status: row.status, at: { createdAt: row.createdAt, outboxId: row.outboxId } })),
    );
  }

  reconcileMark(system: string): Promise<OutboxCursor | null> {
    return this.run('reconcileMark', () => {
      const mark = this.tables.meta.get(`reconcile:${system}`);
      return mark === undefined ? null : (JSON.parse(mark) as OutboxCursor);
    });
  }

  advanceReconcileMark(system: string, to: OutboxCursor): Promise<void> {
    return this.run('advanceReconcileMark', () => {
      const mark = this.tables.meta.get(`reconcile:${system}`);
      const old = mark === undefined ? null : (JSON.parse(mark) as OutboxCursor);
      if (!old || to.createdAt > old.createdAt || (to.createdAt === old.createdAt && to.outboxId > old.outboxId)) {
        this.tables.meta.set(`reconcile:${system}`, JSON.stringify(to));
      }
    });
  }

  settleReplayedCall(outboxId: string, by: string, note: string): Promise<boolean> {
    return this.run('settleReplayedCall', () => {
      const row = this.tables.outbox.get(outboxId);
      if (row?.status !== 'pending' && row?.status !== 'dead') return false;
      Object.assign(row, { status: 'done', lastError: null, resolvedBy: by, resolvedAtMs: this.nowMs, note, updatedAtMs: this.nowMs });
      return true;
    });
  }

  private callOf(row: OutboxRecord): PendingCall {
    const { outboxId, journeyId, partitionNo, causedBy, system, operation, replyEvent, failureEvent, attempts } = row;
    return { outboxId, journeyId, partitionNo, causedBy, system, operation, request: parse(row.requestJson), replyEvent, failureEvent, attempts };
  }

  // --- dead letters ---

  listDeadLetters(filter: DeadLetterFilter): Promise<{ records: DeadLetterRecord[]; next: DeadLetterCursor | null }> {
    return this.run('listDeadLetters', () => {
      const rows = [...this.tables.outbox.values()]
        .filter((r) => r.status === filter.status && (filter.system === undefined || r.system === filter.system))
        .filter((r) => filter.journeyType === undefined || this.tables.journeys.get(r.journeyId)?.typeName === filter.journeyType)
        .filter((r) => !filter.after || r.createdAt > filter.after.createdAt || (r.createdAt === filter.after.createdAt && r.outboxId > filter.after.id))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.outboxId.localeCompare(b.outboxId))
        .slice(0, filter.limit);
      const last = rows[rows.length - 1];
      return {
        records: rows.map((row) => ({ ...this.deadLetter(row), delivered: {} })),
        next: rows.length < filter.limit || !last ? null : { createdAt: last.createdAt, id: last.outboxId },
      };
    });
  }

  loadDeadLetter(id: string): Promise<DeadLetterRecord | null> {
    return this.run('loadDeadLetter', () => {
      const row = this.tables.outbox.get(id);
      if (!row || (row.deadAtMs === undefined && row.status !== 'dead' && row.status !== 'discarded')) return null;
      const delivered: DeadLetterRecord['delivered'] = {};
      for (const which of ['failure', 'reply'] as const) {
        const event = [...this.tables.events.values()].find((e) => e.idempotencyKey === `call:${id}:${which}`);
        if (event) delivered[which] = { eventId: event.eventId, status: event.status };
      }
      return { ...this.deadLetter(row), delivered };
    });
  }

  resolveDeadLetter(id: string, action: 'retry' | 'discard', by: string, note: string | null): Promise<DeadLetterResolution> {
    return this.run('resolveDeadLetter', (): DeadLetterResolution => {
      const row = this.tables.outbox.get(id);
      if (!row || (row.deadAtMs === undefined && row.status !== 'dead' && row.status !== 'discarded')) return { result: 'not-found' };
      if (row.status !== 'dead') return { result: 'settled', status: row.status };
      const decision = { resolvedBy: by, resolvedAtMs: this.nowMs, note, updatedAtMs: this.nowMs };
      if (action === 'discard') {
        Object.assign(row, { status: 'discarded', ...decision });
        return { result: 'discarded' };
      }
      Object.assign(row, { status: 'pending', retries: (row.retries ?? 0) + 1, ...decision });
      const {
        requestJson,
        status: _s,
        lastError: _e,
        createdAt: _c,
        updatedAtMs: _u,
        deadAtMs: _d,
        retries: _r,
        resolvedBy: _b,
        resolvedAtMs: _a,
        note: _n,
        ...call
      } = row;
      return { result: 'retried', call: { ...call, request: parse(requestJson) } };
    });
  }

  deadLetterCounts(): Promise<Array<{ kind: DeadLetterKind; system: string; count: number }>> {
    return this.run('deadLetterCounts', () => {
      const counts = new Map<string, number>();
      for (const row of this.tables.outbox.values()) if (row.status === 'dead') counts.set(row.system, (counts.get(row.system) ?? 0) + 1);
      return [...counts].map(([system, count]) => ({ kind: 'call' as const, system, count }));
    });
  }

  private deadLetter(row: OutboxRecord): Omit<DeadLetterRecord, 'delivered'> {
    const journey = this.tables.journeys.get(row.journeyId);
    const status = journey?.data?.status;
    return {
      id: row.outboxId,
      kind: 'call',
      status: row.status,
      journeyId: row.journeyId,
      journeyType: journey?.typeName ?? null,
      version: journey?.typeVersion ?? null,
      tenant: journey?.tenant ?? null,
      journeyStatus: typeof status === 'string' ? status : (journey?.lifecycle ?? null),
      system: row.system,
      operation: row.operation,
      request: parse(row.requestJson),
      replyEvent: row.replyEvent,
      failureEvent: row.failureEvent,
      causedBy: row.causedBy,
      attempts: row.attempts,
      retries: row.retries ?? 0,
      lastError: row.lastError,
      createdAt: new Date(row.createdAt),
      deadAt: new Date(row.deadAtMs ?? row.updatedAtMs),
      resolvedBy: row.resolvedBy ?? null,
      resolvedAt: row.resolvedAtMs === undefined ? null : new Date(row.resolvedAtMs),
      note: row.note ?? null,
    };
  }

  // --- messages between journeys ---

  pendingMessages(partitions: number[], olderThanMs: number, limit: number): Promise<PendingMessage[]> {
    return this.run('pendingMessages', () =>
      [...this.tables.messages.values()]
        .filter((m) => m.status === 'pending' && partitions.includes(m.partitionNo) && m.updatedAtMs <= this.nowMs - olderThanMs)
        .sort((a, b) => a.createdAtMs - b.createdAtMs || a.messageId.localeCompare(b.messageId))
        .slice(0, limit)
        .map(({ status: _s, lastError: _e, deliveredEvent: _d, createdAtMs: _c, updatedAtMs: _u, ...message }) => structuredClone(message)),
    );
  }

  finishMessage(messageId: string, status: 'delivered' | 'dead', lastError: string | null, eventId: string | null): Promise<void> {
    return this.run('finishMessage', () => {
      const row = this.tables.messages.get(messageId);
      if (row?.status === 'pending') Object.assign(row, { status, lastError, deliveredEvent: eventId, updatedAtMs: this.nowMs });
    });
  }

  touchMessage(messageId: string, lastError: string | null): Promise<void> {
    return this.run('touchMessage', () => {
      const row = this.tables.messages.get(messageId);
      if (row?.status === 'pending') Object.assign(row, { attempts: row.attempts + 1, lastError, updatedAtMs: this.nowMs });
    });
  }

  startPending(journeyId: string): Promise<boolean> {
    return this.run('startPending', () =>
      [...this.tables.messages.values()].some((m) => m.targetJourneyId === journeyId && m.kind === 'start' && m.status === 'pending'),
    );
  }

  // --- published events: the feed (webhooks need the real store) ---

  sequencePublished(limit: number): Promise<{ numbered: number; lastSeq: number }> {
    return this.run('sequencePublished', () => {
      let lastSeq = this.tables.published.reduce((max, e) => Math.max(max, e.feedSeq), 0);
      const waiting = this.tables.published.filter((e) => e.feedSeq === 0).slice(0, limit);
      for (const entry of waiting) entry.feedSeq = lastSeq += 1;
      return { numbered: waiting.length, lastSeq };
    });
  }

  anyUnsequenced(): Promise<boolean> {
    return this.run('anyUnsequenced', () => this.tables.published.some((e) => e.feedSeq === 0));
  }

  feedHead(): Promise<number> {
    return this.run('feedHead', () => this.tables.published.reduce((max, e) => Math.max(max, e.feedSeq), 0));
  }

  readFeed(query: FeedQuery): Promise<FeedEntry[]> {
    return this.run('readFeed', () =>
      this.tables.published
        .filter((e) => e.feedSeq > query.after)
        .filter((e) => query.typeNames === undefined || query.typeNames.includes(e.typeName))
        .filter((e) => query.version === undefined || e.typeVersion === query.version)
        .filter((e) => query.eventTypes === undefined || query.eventTypes.length === 0 || query.eventTypes.includes(e.eventType))
        .filter((e) => query.tenant === undefined || this.tables.journeys.get(e.journeyId)?.tenant === query.tenant)
        .sort((a, b) => a.feedSeq - b.feedSeq)
        .slice(0, query.limit)
        .map((e) => structuredClone(e)),
    );
  }

  async feedEntry(feedSeq: number): Promise<FeedEntry | null> {
    const [entry] = await this.readFeed({ after: feedSeq - 1, limit: 1 });
    return entry?.feedSeq === feedSeq ? entry : null;
  }

  private webhooksUnsupported(): Promise<never> {
    return Promise.reject(new Error('webhooks need the real store (the fake journal keeps no webhook cursors)'));
  }
  leaseWebhook = (): Promise<number | null> => this.webhooksUnsupported();
  advanceWebhook = (): Promise<boolean> => this.webhooksUnsupported();
  releaseWebhook = (): Promise<void> => this.webhooksUnsupported();
  webhookCursors = (): Promise<Array<{ webhook: string; lastSeq: number; leaseOwner: string | null }>> => Promise.resolve([]);
  recordWebhookDead = (): Promise<void> => this.webhooksUnsupported();
  markWebhookRetryDelivered = (): Promise<void> => this.webhooksUnsupported();
  retryingWebhookDeliveries = (): Promise<WebhookDeadLetter[]> => this.webhooksUnsupported();

  // --- reads for the API ---

  journeyWaiting(journeyId: string): Promise<{ timers: WaitingTimer[]; calls: WaitingCall[] }> {
    return this.run('journeyWaiting', () => ({
      timers: [...this.tables.timers.values()]
        .filter((t) => t.journeyId === journeyId && t.status === 'scheduled')
        .sort((a, b) => a.fireAtMs - b.fireAtMs)
        .map((t) => ({ name: t.name, fireAt: new Date(t.fireAtMs), eventType: t.eventType })),
      calls: [...this.tables.outbox.values()]
        .filter((c) => c.journeyId === journeyId && (c.status === 'pending' || c.status === 'dead'))
        .map((c) => ({
          callId: c.outboxId,
          system: c.system,
          operation: c.operation,
          status: c.status as 'pending' | 'dead',
          attempts: c.attempts,
          lastError: c.lastError,
        })),
    }));
  }

  loadOutcome(eventId: string): Promise<StoredOutcome | null> {
    return this.run('loadOutcome', () => {
      const row = this.tables.events.get(eventId);
      if (!row) return null;
      return {
        eventId,
        journeyId: row.journeyId,
        journeySeq: row.journeySeq,
        status: row.status,
        outcome: row.outcomeJson === null ? null : parse(row.outcomeJson),
      };
    });
  }

  journeyPage(journeyId: string, afterSeq: number, limit: number): Promise<{ journey: JourneyRow | null; rows: HistoryRow[] }> {
    return this.run('journeyPage', () => ({ journey: this.journeyRow(journeyId), rows: this.history(journeyId, afterSeq, limit) }));
  }

  journeyHistory(journeyId: string, afterSeq: number, limit: number): Promise<HistoryRow[]> {
    return this.run('journeyHistory', () => this.history(journeyId, afterSeq, limit));
  }

  searchJourneys(query: JourneySearch): Promise<JourneyRow[]> {
    const text = (data: Record<string, unknown> | null, column: string): string | null => {
      const field = this.searchFields.find((f) => searchColumnName(f.name) === column);
      let value: unknown = data;
      for (const key of field ? field.path.slice(2).split('.') : ['\0'])
        value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
    };
    return this.run('searchJourneys', () =>
      [...this.tables.journeys.values()]
        .filter(
          (j) =>
            j.typeName === query.typeName && (query.typeVersion === undefined || j.typeVersion === query.typeVersion) && j.journeyId > query.afterJourneyId,
        )
        .filter((j) => query.tenant === undefined || j.tenant === query.tenant)
        .filter((j) => query.equals.every(({ column, value }) => text(j.data, column) === value))
        .filter((j) => query.where === undefined || passes(query.where, j.typeVersion, (column) => text(j.data, column)))
        .sort(byJourneyId)
        .slice(0, query.limit)
        .flatMap((j) => this.journeyRow(j.journeyId) ?? []),
    );
  }

  // --- deployments: recorded only ---

  saveDeployment(deployment: NewDeployment): Promise<SavedDeployment> {
    return this.run('saveDeployment', () => {
      const index = this.deployments.findIndex((d) => d.name === deployment.name && d.version === deployment.version);
      if (index >= 0) return { created: false, laneNo: index + 1 };
      this.deployments.push(deployment);
      return { created: true, laneNo: this.deployments.length };
    });
  }

  listDeployments(): Promise<DeploymentSummary[]> {
    return this.run('listDeployments', () =>
      this.deployments.map((d, i) => ({
        name: d.name,
        version: d.version,
        irHash: d.irHash,
        laneNo: i + 1,
        contentHash: d.contentHash ?? null,
        compatibility: d.compatibility ?? null,
        deployedAt: new Date(0),
        undeployedAt: null,
      })),
    );
  }

  loadDeployment(name: string, version: string): Promise<Deployment | undefined> {
    return this.run('loadDeployment', () => {
      const index = this.deployments.findIndex((d) => d.name === name && d.version === version);
      const d = this.deployments[index];
      if (!d) return undefined;
      return {
        name,
        version,
        ir: d.ir,
        irHash: d.irHash,
        laneNo: index + 1,
        contentHash: d.contentHash ?? null,
        bundle: d.bundle ?? null,
        compatibility: d.compatibility ?? null,
        deployedAt: new Date(0),
        undeployedAt: null,
      };
    });
  }

  markUndeployed(): Promise<boolean> {
    return this.run('markUndeployed', () => false);
  }

  countInstances(typeName?: string): Promise<Array<{ typeName: string; version: string; lifecycle: string; count: number }>> {
    return this.run('countInstances', () => {
      const counts = new Map<string, { typeName: string; version: string; lifecycle: string; count: number }>();
      for (const j of this.tables.journeys.values()) {
        if (typeName !== undefined && j.typeName !== typeName) continue;
        const key = `${j.typeName}@${j.typeVersion}@${j.lifecycle}`;
        const entry = counts.get(key) ?? { typeName: j.typeName, version: j.typeVersion, lifecycle: j.lifecycle, count: 0 };
        entry.count += 1;
        counts.set(key, entry);
      }
      return [...counts.values()];
    });
  }

  ensureSearchColumns(fields: readonly SearchFieldSpec[]): Promise<void> {
    return this.run('ensureSearchColumns', () => {
      for (const field of fields) if (!this.searchFields.some((f) => f.name === field.name)) this.searchFields.push(field);
    });
  }

  /** Never throws, like the store's: a failure queued for it makes it answer not ok. */
  health(): Promise<StoreHealth> {
    const answer = { latencyMs: 0, pool: { active: 0, idle: 1, total: 1, waiting: 0 } };
    return this.run('health', () => ({ ok: true, ...answer })).catch((error: unknown) => ({ ok: false, error: ensureError(error).message, ...answer }));
  }

  // --- the machinery ---

  /** One unit of work: counted, held, failed as asked, and whole or not at all. */
  private async run<T>(method: JournalMethod, work: () => T): Promise<T> {
    this.counts.set(method, this.called(method) + 1);
    const failure = this.failures.get(method)?.shift();
    const held = this.holds.get(method); // as things stand when it is called: a later hold does not catch it
    // A round trip is a macrotask: an engine loop that only ever awaits the journal cannot starve timers.
    await new Promise((resolve) => setImmediate(resolve));
    await held;
    if (failure && !failure.afterEffect) throw failure.error;
    const before = structuredClone(this.tables);
    let result: T;
    try {
      result = work();
    } catch (error) {
      this.tables = before; // the rollback
      throw error;
    }
    if (failure) throw failure.error;
    return result;
  }

  private async recorded<M, R extends CommitResult[] | IntakeResult[]>(log: Array<BatchRecord<M>>, members: M[], call: () => Promise<R>): Promise<R> {
    const entry: BatchRecord<M> = { members, results: null, error: null };
    log.push(entry);
    try {
      const results = await call();
      entry.results = results;
      return results;
    } catch (error) {
      entry.error = ensureError(error);
      throw error;
    }
  }

  private holdsLease(ownerNode: string, partitionNo: number, epoch: number): boolean {
    const row = this.tables.partitions.get(partitionNo);
    return row?.owner === ownerNode && row.epoch === epoch && row.leaseExpiresAtMs !== null && row.leaseExpiresAtMs > this.nowMs;
  }

  private partitionRow(partitionNo: number): PartitionRecord {
    const row = this.tables.partitions.get(partitionNo) ?? { owner: null, epoch: 0, leaseExpiresAtMs: null, updatedAtMs: this.nowMs };
    this.tables.partitions.set(partitionNo, row);
    return row;
  }

  private metaValue(key: string, initial: () => string): string {
    const value = this.tables.meta.get(key) ?? initial();
    this.tables.meta.set(key, value);
    return value;
  }

  private insertUnique<T>(table: Map<string, T>, key: string, name: string, row: T): T {
    if (table.has(key)) throw duplicateKeyError(`INSERT ${name}`);
    table.set(key, row);
    return row;
  }

  /** A new journey row, nothing handled yet; `acceptedSeq` 1 when intake accepts its initiating event with it. */
  private insertJourney(
    journeyId: string,
    partitionNo: number,
    type: { tenant: string; typeName: string; typeVersion: string },
    acceptedSeq: number,
  ): JourneyRecord {
    return this.insertUnique(this.tables.journeys, journeyId, 'journeys', {
      journeyId,
      ...type,
      partitionNo,
      lifecycle: 'pending',
      data: null,
      handledSeq: 0,
      acceptedSeq,
      lastEpoch: null,
      createdAtMs: this.nowMs,
      updatedAtMs: this.nowMs,
    });
  }

  private insertEvent(
    journeyId: string,
    seq: number,
    partitionNo: number,
    event: NewEvent,
    handled?: Pick<EventRecord, 'status' | 'outcomeJson' | 'handledEpoch'>,
  ): void {
    this.checkPacket('an event', event.payloadJson);
    for (const row of this.tables.events.values()) {
      const clash = (row.journeyId === journeyId && row.journeySeq === seq) || (event.idempotencyKey !== null && row.idempotencyKey === event.idempotencyKey);
      if (clash) throw duplicateKeyError('INSERT events');
    }
    this.insertUnique(this.tables.events, event.eventId, 'events', {
      eventId: event.eventId,
      journeyId,
      journeySeq: seq,
      partitionNo,
      type: event.type,
      payloadJson: event.payloadJson,
      contextJson: event.contextJson,
      origin: event.origin,
      causedBy: event.causedBy,
      idempotencyKey: event.idempotencyKey,
      requestHash: event.requestHash,
      acceptedAtMs: this.nowMs,
      status: 'pending',
      outcomeJson: null,
      handledEpoch: null,
      ...handled,
    });
  }

  /** The next seq of an existing journey, with its event; null when the journey does not exist. */
  private appendEvent(journeyId: string, partitionNo: number, event: NewEvent): number | null {
    const journey = this.tables.journeys.get(journeyId);
    if (!journey) return null;
    journey.acceptedSeq += 1;
    this.insertEvent(journeyId, journey.acceptedSeq, partitionNo, event);
    return journey.acceptedSeq;
  }

  private cancelTimers(journeyId: string, match: (timer: TimerRecord) => boolean): void {
    for (const timer of this.tables.timers.values()) {
      if (timer.journeyId === journeyId && timer.status === 'scheduled' && match(timer)) timer.status = 'cancelled';
    }
  }

  private checkPacket(what: string, text: string | null): void {
    if (text !== null && Buffer.byteLength(text) > this.maxStatementBytes) throw packetTooLargeError(what);
  }

  private journeyRow(journeyId: string): JourneyRow | null {
    const row = this.tables.journeys.get(journeyId);
    if (!row) return null;
    const { lastEpoch: _epoch, createdAtMs, updatedAtMs, ...journey } = structuredClone(row);
    return { ...journey, createdAt: new Date(createdAtMs), updatedAt: new Date(updatedAtMs) };
  }

  private history(journeyId: string, afterSeq: number, limit: number): HistoryRow[] {
    return this.eventsOf(journeyId)
      .filter((e) => e.journeySeq > afterSeq)
      .slice(0, limit)
      .map((e) => ({
        ...toJournalEvent(e),
        acceptedAt: new Date(e.acceptedAtMs),
        status: e.status,
        outcome: e.outcomeJson === null ? null : parse(e.outcomeJson),
      }));
  }
}

function toJournalEvent(row: EventRecord): JournalEvent {
  const { eventId, journeyId, journeySeq, partitionNo, type, origin, causedBy } = row;
  return { eventId, journeyId, journeySeq, partitionNo, type, payload: parse(row.payloadJson), context: parse(row.contextJson), origin, causedBy };
}

/** A row filter as SQL would decide it, over the text of each search column (NULL never passes). */
function passes(filter: RowFilter, version: string, column: (name: string) => string | null): boolean {
  switch (filter.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'version':
      return version === filter.version;
    case 'isNull':
      return column(filter.column) === null;
    case 'in':
      return filter.values.some((value) => column(filter.column) === String(value));
    case 'compare': {
      const value = column(filter.column);
      if (value === null) return false;
      const wanted = String(filter.value);
      if (filter.op === '=') return value === wanted;
      if (filter.op === '<>') return value !== wanted;
      const [a, b] = [Number(value), Number(wanted)];
      return filter.op === '<' ? a < b : filter.op === '<=' ? a <= b : filter.op === '>' ? a > b : a >= b;
    }
    case 'and':
      return filter.items.every((item) => passes(item, version, column));
    case 'or':
      return filter.items.some((item) => passes(item, version, column));
  }
}
