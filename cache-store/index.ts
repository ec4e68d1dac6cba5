/**
 * The MariaDB cache store: connection pool, durability check, migrations, transactions with
 * retry, search columns and the deployments repository. The only entry other folders import.
 */
export { openStore } from './store.js';
export type { StoreOptions } from './store-options.js';
export { parseMariadbUrl, STORE_DEFAULTS } from './store-options.js';
export type { ConnectionTarget } from './store-options.js';
export type { DurabilityVariables, SqlExecutor, SqlParams, Store, StoreHealth, TransactionOptions, TxConnection, WriteResult } from './store-types.js';
export {
  AmbiguousCommitError,
  SERVER_ERRNO,
  driverErrno,
  isAmbiguousCommitError,
  isConnectionError,
  isDuplicateKeyError,
  isPermanentStatementError,
  isRetryableTransactionError,
  wrapStoreError,
} from './store-errors.js';
export { DEFAULT_TRANSACTION_RETRIES, retryDelayMs } from './transaction.js';
export { assertDurability, findDurabilityProblems, readDurabilityVariables } from './durability.js';
export type { DurabilityProblem } from './durability.js';
export { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrationLockName, runMigrations } from './migrations.js';
export type { Migration, MigrationReport } from './migrations.js';
export { splitSqlStatements } from './sql-split.js';
export { ensureSearchColumns, searchColumnName, searchIndexName, validateSearchField } from './search-columns.js';
export type { SearchColumnsReport, SearchFieldSpec } from './search-columns.js';
export { listDeployments, loadDeployment, markUndeployed, saveDeployment } from './deployment-records.js';
export type { Deployment, DeploymentSummary, NewDeployment, SavedDeployment } from './deployment-records.js';
// The store's identity (namespace of its grid keys) and the partitions nobody owns (readiness).
export { ensureClusterId, ensureGridSecret } from './cluster-identity.js';
export { unownedPartitions } from './partition-health.js';
export type { PartitionLease } from './partition-health.js';
export type { WaitingCall, WaitingTimer } from './journal-waiting.js';
// --- the exactly-once journal: the port the engine uses, and one file per unit of work ---
export { openJournal } from './mariadb-journal.js';
export type { DatabaseClockSample, Journal } from './journal-port.js';
export type { ColumnValue, JourneySearch, RowFilter } from './journal-reads.js';
export { acceptBatch, appendEvent, eventExists, findByIdempotencyKey, insertInitiatingEvent } from './journal-intake.js';
export type { IdempotentAnswer, IntakeEntry, IntakeResult } from './journal-intake.js';
export { journeyHistory, loadJourney, loadOutcome, pendingEventsOfJourney, pendingEventsOfPartitions, searchJourneys } from './journal-reads.js';
export type { HistoryRow, StoredOutcome } from './journal-reads.js';
export { JournalInvariantError, commitHandlingBatch } from './journal-handling.js';
export type { CallRequest, CommitResult, HandlingCommit, TimerStart } from './journal-handling.js';
export { acquirePartitions, ensurePartitionCount, ensurePartitions, releasePartition, renewPartitions } from './journal-leases.js';
export { databaseNowMs, dueTimers, markTimerFired, nextTimerDueInMs } from './journal-timers.js';
export type { DueTimer } from './journal-timers.js';
export { finishCall, pendingCalls, stillPendingCalls, touchCall } from './journal-outbox.js';
export type { OutboxCursor, PendingCall } from './journal-outbox.js';
export type { ReconcileCall } from './journal-reconcile.js';
export { deadLetterCounts, listDeadLetters, loadDeadLetter, resolveDeadLetter } from './journal-dead-letters.js';
export type { DeadLetterCursor, DeadLetterFilter, DeadLetterKind, DeadLetterRecord, DeadLetterResolution, DeadLetterStatus } from './journal-dead-letters.js';
export type { JourneyMessage, PendingMessage } from './journal-messages.js';
export type { FeedEntry, FeedQuery, PublishedEvent } from './journal-published.js';
export type { WebhookDeadLetter, WebhookDeadStatus } from './journal-webhooks.js';
export type { EventOrigin, EventStatus, JournalEvent, JourneyRow, Lifecycle, NewEvent } from './journal-rows.js';
