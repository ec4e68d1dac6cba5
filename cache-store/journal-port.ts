/**
 * The journal as the engine sees it: units of work in domain terms. Callers never hold a
 * connection or a transaction; each method is one transaction (or one read) and returns domain
 * results. Failures are `JourneyError`s of the registry: `JE_STORE_UNAVAILABLE` (no store),
 * `JE_STORE_COMMIT_UNKNOWN` (the connection broke during COMMIT: re-read before deciding),
 * `JE_STORE_CONFLICT` (lock conflicts past the retries), `JE_STORE_QUERY_FAILED` (anything else;
 * `isDuplicateKeyError` and `isPermanentStatementError` tell the cases the engine acts on).
 */
import type { DeadLetterCursor, DeadLetterFilter, DeadLetterKind, DeadLetterRecord, DeadLetterResolution } from './journal-dead-letters.js';
import type { CommitResult, HandlingCommit } from './journal-handling.js';
import type { IdempotentAnswer, IntakeEntry, IntakeResult } from './journal-intake.js';
import type { PendingMessage } from './journal-messages.js';
import type { FeedEntry, FeedQuery } from './journal-published.js';
import type { WebhookDeadLetter } from './journal-webhooks.js';
import type { OutboxCursor, PendingCall } from './journal-outbox.js';
import type { ReconcileCall } from './journal-reconcile.js';
import type { HistoryRow, JourneySearch, StoredOutcome } from './journal-reads.js';
import type { JournalEvent, JourneyRow, NewEvent } from './journal-rows.js';
import type { DueTimer } from './journal-timers.js';
import type { Deployment, DeploymentSummary, NewDeployment, SavedDeployment } from './deployment-records.js';
import type { SearchFieldSpec } from './search-columns.js';
import type { StoreHealth } from './store-types.js';
import type { PartitionLease } from './partition-health.js';
import type { WaitingCall, WaitingTimer } from './journal-waiting.js';

/** A reading of the database's clock, bracketed by the caller's own (see the engine's clock sync). */
export interface DatabaseClockSample {
  /** The database's NOW(6), in ms since the epoch. */
  referenceMs: number;
  /** This node's wall clock when the query was sent. */
  sentMs: number;
  roundTripMs: number;
}

export interface Journal {
  // --- intake ---
  /** Accepts many events in one transaction (one fsync); any failure fails the whole batch. */
  acceptBatch(entries: IntakeEntry[]): Promise<IntakeResult[]>;
  /** Accepts one event: creates its journey (initiating) or appends to it; `not_found` when it does not exist. */
  acceptOne(entry: IntakeEntry): Promise<IntakeResult>;
  findByIdempotencyKey(idempotencyKey: string): Promise<IdempotentAnswer | null>;
  /** Whether an event row exists (after an unknown commit outcome). */
  eventExists(eventId: string): Promise<{ journeySeq: number } | null>;

  // --- handling ---
  /** The worker's group commit: many journeys' outcomes in one fenced transaction. */
  commitHandlingBatch(ownerNode: string, leases: Map<number, number>, batch: HandlingCommit[]): Promise<CommitResult[]>;
  loadJourney(journeyId: string): Promise<JourneyRow | null>;
  pendingEventsOfJourney(journeyId: string, afterSeq: number, limit: number): Promise<JournalEvent[]>;
  pendingEventsOfPartitions(partitions: number[], options: { olderThanMs: number; limit: number }): Promise<JournalEvent[]>;

  // --- partitions and leases ---
  /** Fixes the partition count at first use; returns the stored one. */
  ensurePartitionCount(count: number): Promise<number>;
  /** Creates the lease rows of these slots (a hosted version's lane) where missing. */
  ensurePartitions(slots: number[]): Promise<void>;
  acquirePartitions(ownerNode: string, partitions: number[], ttlMs: number): Promise<Map<number, number>>;
  renewPartitions(ownerNode: string, held: Map<number, number>, ttlMs: number): Promise<Map<number, number>>;
  releasePartition(ownerNode: string, partitionNo: number, epoch: number): Promise<void>;
  /** Of these slots, those nobody has owned for longer than `graceMs` (by the database's clock). */
  unownedPartitions(slots: number[], graceMs: number): Promise<number[]>;
  /** Every partition's lease: owner, epoch, expiry (by partition number). */
  partitionLeases(): Promise<PartitionLease[]>;
  /** The store's identity: the namespace of its grid keys. */
  ensureClusterId(): Promise<string>;
  /** The key of the MACs on what the engine keeps in Redis; generated once, never written to Redis. */
  ensureGridSecret(): Promise<string>;

  // --- timers ---
  dueTimers(partitions: number[], limit: number, atMs?: number): Promise<DueTimer[]>;
  /** Milliseconds until the earliest scheduled timer of these partitions falls due (≤ 0: due now); null when none is scheduled. */
  nextTimerDueInMs(partitions: number[], atMs?: number): Promise<number | null>;
  /** Marks the timer fired and appends its event, in one transaction; null when it was fired or cancelled meanwhile. */
  fireTimer(timer: DueTimer, event: NewEvent): Promise<number | null>;
  /** Reads the database's clock `samples` times on one connection. */
  sampleDatabaseClock(samples: number, localNowMs: () => number, monotonicMs: () => number): Promise<DatabaseClockSample[]>;

  // --- outbox ---
  /** A page of pending calls, oldest first, after `after`; `next` continues the sweep. */
  pendingCalls(
    partitions: number[],
    olderThanMs: number,
    limit: number,
    after: OutboxCursor | null,
  ): Promise<{ calls: PendingCall[]; next: OutboxCursor | null }>;
  stillPendingCalls(outboxIds: string[]): Promise<Set<string>>;
  finishCall(outboxId: string, status: 'done' | 'dead', lastError: string | null): Promise<void>;
  touchCall(outboxId: string, lastError: string | null): Promise<void>;

  // --- dead letters (operators) ---
  /** A page of dead letters (status `dead` or `discarded`), oldest first, after `filter.after`. */
  listDeadLetters(filter: DeadLetterFilter): Promise<{ records: DeadLetterRecord[]; next: DeadLetterCursor | null }>;
  /** A call that was ever dead, whatever became of it since; null when there is none. */
  loadDeadLetter(id: string): Promise<DeadLetterRecord | null>;
  /** Retries (back to pending, same outbox id) or discards a call that is dead now; `by` is the operator. */
  resolveDeadLetter(id: string, action: 'retry' | 'discard', by: string, note: string | null): Promise<DeadLetterResolution>;
  /** Dead letters waiting for an operator, by kind and system. */
  deadLetterCounts(): Promise<Array<{ kind: DeadLetterKind; system: string; count: number }>>;

  // --- reconciliation with back ends (migration 010) ---
  /** The calls of a back-end system just behind `after` (from its first when null), oldest first. */
  callsOfSystem(system: string, after: OutboxCursor | null, limit: number): Promise<ReconcileCall[]>;
  /** How far reconciliation of the system has come; null before its first run. */
  reconcileMark(system: string): Promise<OutboxCursor | null>;
  /** Moves the system's mark forward to `to` (never back). */
  advanceReconcileMark(system: string, to: OutboxCursor): Promise<void>;
  /** A pending or dead call whose reply was replayed is done; false when it was neither. */
  settleReplayedCall(outboxId: string, by: string, note: string): Promise<boolean>;

  // --- messages between journeys ---
  /** Pending messages of these slots untouched for `olderThanMs`, oldest first. */
  pendingMessages(partitions: number[], olderThanMs: number, limit: number): Promise<PendingMessage[]>;
  /** Marks a pending message delivered (with the event it became) or dead (with its failure event, if any). */
  finishMessage(messageId: string, status: 'delivered' | 'dead', lastError: string | null, eventId: string | null): Promise<void>;
  /** Counts a delivery that failed for a while; the sweep tries again. */
  touchMessage(messageId: string, lastError: string | null): Promise<void>;
  /** Whether a start of this journey is still to be delivered (a send to it must wait, not fail). */
  startPending(journeyId: string): Promise<boolean>;

  // --- reads for the API ---
  // --- published events (migration 008): the feed and its webhooks ---
  /** Numbers committed, unnumbered published events into the feed (READ COMMITTED, serialised by the counter). */
  sequencePublished(limit: number): Promise<{ numbered: number; lastSeq: number }>;
  /** Whether a committed published event waits for its number. */
  anyUnsequenced(): Promise<boolean>;
  /** The feed's last number. */
  feedHead(): Promise<number>;
  readFeed(query: FeedQuery): Promise<FeedEntry[]>;
  feedEntry(feedSeq: number): Promise<FeedEntry | null>;
  /** Takes or renews a webhook's lease; its cursor, or null while another node holds it. */
  leaseWebhook(name: string, owner: string, ttlMs: number, fromStart: boolean): Promise<number | null>;
  advanceWebhook(name: string, owner: string, lastSeq: number): Promise<boolean>;
  releaseWebhook(name: string, owner: string): Promise<void>;
  webhookCursors(): Promise<Array<{ webhook: string; lastSeq: number; leaseOwner: string | null }>>;
  recordWebhookDead(dead: {
    id: string;
    webhook: string;
    feedSeq: number;
    eventId: string;
    journeyId: string;
    causedBy: string;
    attempts: number;
    lastError: string;
  }): Promise<void>;
  markWebhookRetryDelivered(id: string, attempts: number): Promise<void>;
  retryingWebhookDeliveries(webhook: string, limit: number): Promise<WebhookDeadLetter[]>;

  /** A journey's scheduled timers and its calls not answered yet. */
  journeyWaiting(journeyId: string): Promise<{ timers: WaitingTimer[]; calls: WaitingCall[] }>;
  loadOutcome(eventId: string): Promise<StoredOutcome | null>;
  /** A journey and a page of its history, read together. */
  journeyPage(journeyId: string, afterSeq: number, limit: number): Promise<{ journey: JourneyRow | null; rows: HistoryRow[] }>;
  journeyHistory(journeyId: string, afterSeq: number, limit: number): Promise<HistoryRow[]>;
  searchJourneys(query: JourneySearch): Promise<JourneyRow[]>;

  // --- deployments ---
  /** Records a journey version and gives it a lane (immutable: the same name and version twice is a no-op). */
  saveDeployment(deployment: NewDeployment): Promise<SavedDeployment>;
  /** Every version ever deployed, undeployed ones too, without definitions. */
  listDeployments(): Promise<DeploymentSummary[]>;
  loadDeployment(name: string, version: string): Promise<Deployment | undefined>;
  /** Marks a version undeployed; false when it was not deployed. */
  markUndeployed(name: string, version: string): Promise<boolean>;
  /** Journeys per type, version and lifecycle (of one type, or of all). */
  countInstances(typeName?: string): Promise<Array<{ typeName: string; version: string; lifecycle: string; count: number }>>;
  /** Adds the indexed virtual columns a version's search fields need. */
  ensureSearchColumns(fields: readonly SearchFieldSpec[]): Promise<void>;

  /** The largest statement the store takes (its max_allowed_packet). */
  readonly maxStatementBytes: number;
  health(): Promise<StoreHealth>;
}
