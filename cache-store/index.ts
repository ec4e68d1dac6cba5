/**
 * The MariaDB cache store: connection pool, durability check, migrations, transactions with
 * retry, search columns and the deployments repository. The only entry other folders import.
 */
export { openStore } from './store.js';
export type { StoreOptions } from './store-options.js';
export { parseMariadbUrl, STORE_DEFAULTS } from './store-options.js';
export type { ConnectionTarget } from './store-options.js';
export type {
  DurabilityVariables,
  SqlExecutor,
  SqlParams,
  Store,
  StoreHealth,
  TransactionOptions,
  TxConnection,
  WriteResult,
} from './store-types.js';
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
export {
  ensureSearchColumns,
  searchColumnName,
  searchIndexName,
  validateSearchField,
} from './search-columns.js';
export type { SearchColumnsReport, SearchFieldSpec } from './search-columns.js';
export { listDeployments, loadDeployment, saveDeployment } from './deployments.js';
export type { Deployment, DeploymentSummary, NewDeployment } from './deployments.js';
// The store's identity (namespace of its grid keys) and the partitions nobody owns (readiness).
export { ensureClusterId } from './cluster-identity.js';
export { unownedPartitions } from './partition-health.js';
// --- the exactly-once journal (runtime engineer) ---
export {
  JournalInvariantError,
  acceptBatch,
  acquirePartitions,
  appendEvent,
  commitHandlingBatch,
  databaseNowMs,
  dueTimers,
  ensurePartitionCount,
  ensurePartitions,
  eventExists,
  findByIdempotencyKey,
  finishCall,
  insertInitiatingEvent,
  journeyHistory,
  loadJourney,
  loadOutcome,
  markTimerFired,
  pendingCalls,
  pendingEventsOfJourney,
  pendingEventsOfPartitions,
  releasePartition,
  renewPartitions,
  searchJourneys,
  stillPendingCalls,
  touchCall,
} from './journal.js';
export type {
  CallRequest,
  CommitResult,
  DueTimer,
  EventOrigin,
  EventStatus,
  HandlingCommit,
  HistoryRow,
  IdempotentAnswer,
  IntakeEntry,
  IntakeResult,
  JournalEvent,
  JourneyRow,
  Lifecycle,
  NewEvent,
  OutboxCursor,
  PendingCall,
  StoredOutcome,
  TimerStart,
} from './journal.js';
