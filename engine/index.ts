/** The engine: durable intake, fenced workers, group commit. The HTTP API and the CLI wrap it. */
export { createEngine } from './engine.js';
export type { EngineOptions } from './engine.js';
export { callQueuePrefix, startEngineNode } from './node.js';
export type { EngineNode, EngineNodeOptions } from './node.js';
export { compareVersions } from './deployment-registry.js';
export { ID_PATTERN, balancedOwners, maxLane, newId, partitionOf, rendezvousOwner, slotOf, slotsOfLane } from './ids.js';
export { DEFAULT_WORKER_OPTIONS } from './journey-worker.js';
export type { WorkerOptions } from './journey-worker.js';
export type { GridPort, InlineEvent, JournalPort, NodeMessage } from './ports.js';
export type {
  AcceptRequest,
  AcceptResult,
  DeadLetterKind,
  DeadLetterOperations,
  DeadLetterQuery,
  DeadLetterState,
  DeadLetterSummary,
  DeadLetterView,
  DeployResult,
  DeployedJourney,
  DeploymentRecord,
  DeploymentViolation,
  DrainReportEntry,
  InstanceCounts,
  EventOutcome,
  EventView,
  FeedPage,
  FeedRequest,
  IncomingEvent,
  InitiateRequest,
  JourneyEngine,
  JourneyOwner,
  JourneyView,
  Page,
  JourneyWaitingView,
  PartitionLeaseView,
  PublishedEventView,
  Readiness,
  SearchQuery,
  TargetRequest,
  UndeployResult,
} from './types.js';
export { DEFAULT_CALL_OPTIONS } from './calls.js';
export type { BackendHandler, BackendRegistry, CallOptions } from './calls.js';
export type { BackendCallRecord, BackendQuery, QueryableBackendHandler } from './backend-query.js';
export type { ReconcileMark, ReconcileMismatch, ReconcileMismatchKind, ReconcileReport, ReconcileRequest } from './reconcile-types.js';
export { DEFAULT_MESSAGE_OPTIONS } from './journey-messages.js';
export type { MessageOptions } from './journey-messages.js';
export { describeDeadLetter } from './dead-letters.js';
export { TenantTypes } from './tenant-types.js';
export type { JourneyTypePattern, TenantTypesConfig } from './tenant-types.js';
export { UPLIFT_EVENT_TYPE } from './uplift-handling.js';
export { accessOf, mayRead } from './read-policy.js';
export type { Reader } from './read-policy.js';
export type { UpliftRequest, UpliftRun } from './uplift-runner.js';
export { BREAKER_STATES, CLOSED_BREAKER, DEFAULT_BREAKER_OPTIONS, stepBreaker } from './circuit-breaker.js';
export type { Admission, BreakerInput, BreakerOptions, BreakerSnapshot, BreakerState, BreakerStep, WhenOpen } from './circuit-breaker.js';
export { BreakerBoard, createLocalBreakerStore, guardBackends, resolveBreakerOptions } from './breaker-board.js';
export type { BreakerStore } from './breaker-board.js';
export { httpBackend } from './http-backend.js';
export type { HttpBackendOptions } from './http-backend.js';
export { BACKENDS_CONFIG_SCHEMA, backendsFromModule, parseBackendsConfig } from './backend-config.js';
export type { ConfiguredBackends } from './backend-config.js';
export { WEBHOOKS_CONFIG_SCHEMA, parseWebhooksConfig } from './webhooks.js';
export type { WebhookConfig } from './webhooks.js';
export { feedEventJson } from './published-feed.js';
