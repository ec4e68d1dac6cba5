import type { CompatibilityMode, CompiledJourney, EmittedEvent, EventContext, JsonObject, RejectionCode } from '../dsl/index.js';
import type { RecordedEventOrigin } from '../common/index.js';
import type { Reader } from './read-policy.js';
import type { ReconcileReport, ReconcileRequest } from './reconcile-types.js';

/** An event as a sender submits it: the request body of the public API. */
export interface IncomingEvent {
  type: string;
  payload: JsonObject;
}

/** Starts a new journey instance; the engine generates its id. */
export interface InitiateRequest {
  kind: 'initiate';
  /** `enterprise/domain/journey`, e.g. `pfm/wallet`. */
  journeyType: string;
  /** A deployed version, or `latest`. */
  version: string;
  event: IncomingEvent;
  context: EventContext;
  /** Same key (per sender) → same answer, nothing applied twice. */
  idempotencyKey?: string;
  /** The tenant the new journey belongs to (default `default`). */
  tenant?: string;
}

/** Sends an event to one existing journey instance. */
export interface TargetRequest {
  kind: 'target';
  journeyId: string;
  event: IncomingEvent;
  context: EventContext;
  idempotencyKey?: string;
  /** The caller's tenant (default `default`): a journey of another tenant is not found. */
  tenant?: string;
  /** The journey types the caller's tenant may use, when it is limited to some: a journey of another is not found. */
  mayUseType?: (journeyType: string) => boolean;
}

export type AcceptRequest = InitiateRequest | TargetRequest;

/** The answer once an event is durable (committed to MariaDB). */
export interface AcceptResult {
  journeyId: string;
  eventId: string;
  /** The event's position in its journey's acceptance order (1 = the initiating event). */
  journeySeq: number;
  journeyType: string;
  version: string;
  /** True when the idempotency key matched an earlier submission: this is its answer. */
  duplicate: boolean;
}

/**
 * Why an uplift event did not move its journey: its data does not fit the new version
 * (`UPLIFT_FAILED`), it is on the target already (`UPLIFT_NOT_NEEDED`) or on another version
 * than the uplift's source (`UPLIFT_STALE`), or the target is not deployed (`UPLIFT_TARGET_UNKNOWN`).
 */
export type UpliftRejectionCode = 'UPLIFT_FAILED' | 'UPLIFT_NOT_NEEDED' | 'UPLIFT_STALE' | 'UPLIFT_TARGET_UNKNOWN';

/** The committed result of handling one event. */
export interface EventOutcome {
  eventId: string;
  journeyId: string;
  outcome: 'applied' | 'rejected';
  /** `STORE_REFUSED`: the evaluated outcome could never be stored (too large, a value out of range). */
  rejection?: { code: RejectionCode | 'STORE_REFUSED' | UpliftRejectionCode; message: string; rule?: string; beadId?: string };
  beadId?: string;
  /** The journey's handled-event count after this event (its `seq`). */
  seq: number;
  /** Journey data after this event. */
  data: JsonObject | null;
  emitted: EmittedEvent[];
  handledAt: string;
}

export interface JourneyView {
  journeyId: string;
  journeyType: string;
  /** Same as `journeyType` (the API's field name). */
  type: string;
  version: string;
  /** The journey's business status: `data.status` when the journey keeps one, else its lifecycle. */
  status: string;
  /** `pending` until the initiating event is handled; `failed` if it was rejected. */
  lifecycle: 'pending' | 'active' | 'failed';
  data: JsonObject | null;
  /** Count of handled events. */
  seq: number;
  /** Count of accepted events (handled + waiting). */
  acceptedSeq: number;
  createdAt: string;
  updatedAt: string;
}

export interface EventView {
  eventId: string;
  journeySeq: number;
  type: string;
  payload: JsonObject;
  context: EventContext;
  origin: RecordedEventOrigin;
  causedBy: string | null;
  acceptedAt: string;
  status: 'pending' | 'applied' | 'rejected';
  /**
   * The committed outcome as stored: `changes` (a JSON Patch from the data before the event to the
   * data after) instead of a copy of the data; outcomes stored by older versions carry `data`.
   */
  outcome: (Omit<EventOutcome, 'data'> & { data?: JsonObject | null; changes?: Array<{ op: string; path: string; value?: unknown }> }) | null;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  nextCursor?: string;
}

export interface SearchQuery {
  journeyType: string;
  version?: string;
  /** Declared search field name → exact value. */
  fields: Record<string, string>;
  cursor?: string;
  /** @defaultValue 50 (max 500) */
  limit?: number;
  /** Only the journeys this reader may read (tenant and read rules); absent: every journey. */
  reader?: Reader;
}

export interface DeployedJourney {
  name: string;
  version: string;
  journey: CompiledJourney;
  /** Its journeys live in this lane's slots. */
  laneNo: number;
  /** Whether this node handles its events (else it accepts them for the nodes that do). */
  hosted: boolean;
}

export interface Readiness {
  ready: boolean;
  /** Serving without the grid (Redis unreachable): still ready, slower; `grid.error` says why. */
  degraded: boolean;
  grid: { up: boolean; mode: 'cluster' | 'standalone' | 'none'; nodes: number; error?: string };
  store: { up: boolean; error?: string };
  /**
   * `owned`: by this node. `unowned`: partitions of the store with no owner, or an expired lease,
   * for longer than two lease TTLs (their events wait for nobody); `unownedPartitions` lists the
   * first 100. Both absent when the store could not be read.
   */
  partitions: { total: number; owned: number; unowned?: number; unownedPartitions?: number[] };
  /**
   * `hosted`: the versions this node handles (`name@version`). `withoutHost`: deployed versions
   * no live node hosts; their events are accepted and wait, so they do not make a node unready.
   * Absent while membership cannot be read (no grid answer).
   */
  versions?: { hosted: string[]; withoutHost: string[] };
  nodeId: string;
}

/** One reason a version is refused at deploy: a schema change its compatibility mode forbids, or an uplift that does not hold. */
export interface DeploymentViolation {
  /** The other version of the type it was checked against (for an uplift: the version it uplifts from). */
  against: string;
  check: 'compatibility' | 'uplift';
  /** `data`, `event:<Type>`, or (an uplift) `data` of the new version. */
  schema: string;
  /** JSON Pointer into the newer version's schema ('' for the whole). */
  pointer: string;
  message: string;
}

/** What `deploy` did. */
export interface DeployResult {
  journeyType: string;
  version: string;
  /** False when the same content was already deployed under that version (nothing changed). */
  created: boolean;
  laneNo: number;
  contentHash: string;
  compatibility: CompatibilityMode;
  /** The deployed versions of the type its compatibility was checked against. */
  checkedAgainst: string[];
  /** The older versions whose `uplift from` sections were checked. */
  upliftsChecked: string[];
  /** What was not checked, and why (an `uplift from` a version this store never had, say). */
  warnings: string[];
}

export interface UndeployResult {
  journeyType: string;
  version: string;
  /** False when it was undeployed already. */
  changed: boolean;
  undeployedAt: string;
}

/** One version of a type, as deployed to the store. */
export interface DeploymentRecord {
  journeyType: string;
  version: string;
  laneNo: number;
  /** The bundle's content hash; null when it was deployed as a compiled definition by a node at start. */
  contentHash: string | null;
  irHash: string;
  /** As the version declares it; null when it declares none (BACKWARD). */
  compatibility: string | null;
  deployedAt: string;
  undeployedAt: string | null;
  /** Live nodes that host it (node ids); null when membership cannot be read (no grid answer). */
  hosts: string[] | null;
}

/** Instances of one version, by lifecycle. */
export interface InstanceCounts {
  pending: number;
  active: number;
  failed: number;
}

/** One line of the drain report. */
export interface DrainReportEntry extends DeploymentRecord {
  deployed: boolean;
  instances: InstanceCounts;
  /** Deployed, no pending or active instance, and a newer version of the type is deployed: it can be undeployed. */
  retirable: boolean;
}

/** Who owns a journey's partition: a node id (`NODE_ID`) and, when that node advertises one, its base URL. */
export interface JourneyOwner {
  nodeId: string;
  url?: string;
}

/** The engine's programmatic interface; the HTTP API wraps it. */
export interface JourneyEngine {
  readonly nodeId: string;
  /** Durably accepts an event; resolves once it is committed. Throws `JourneyError` on bad input. */
  accept(request: AcceptRequest): Promise<AcceptResult>;
  /** Resolves with the event's outcome once handled, or null when `timeoutMs` passes first. */
  awaitOutcome(eventId: string, timeoutMs: number): Promise<EventOutcome | null>;
  /** The journey, or null when there is none or `reader` (when given) may not read it. */
  getJourney(journeyId: string, reader?: Reader): Promise<JourneyView | null>;
  /**
   * The node that owns the journey's partition, as this node last saw it (the grid's owner map,
   * refreshed every second; this node's own partitions at once), with the base URL it advertises
   * (`ADVERTISE_URL`) when it does; null while nobody is known to own it. A hint for clients and
   * gateways to send a journey's events to its owner directly and skip a forward: never needed
   * for correctness (any node accepts any event).
   */
  ownerOf?(journey: { journeyId: string; journeyType: string; version: string }): JourneyOwner | null;
  /** Its history; `JE_JOURNEY_NOT_FOUND` when there is none or `reader` (when given) may not read it. */
  listEvents(journeyId: string, options?: { cursor?: string; limit?: number }, reader?: Reader): Promise<Page<EventView>>;
  search(query: SearchQuery): Promise<Page<JourneyView>>;
  deployments(): DeployedJourney[];
  /** Resolves `latest` to the newest deployed version; throws `JE_JOURNEY_TYPE_UNKNOWN`. */
  resolveJourney(journeyType: string, version: string): CompiledJourney;
  readiness(): Promise<Readiness>;
  /**
   * Deploys a version bundle (its JSON, parsed or as text) to the store, at once on this node and
   * within a poll on the others. Refused: `JE_BUNDLE_INVALID` (400), `JE_DEPLOYMENT_CONFLICT`
   * (409: that version holds other content, `details.files` names the files that differ),
   * `JE_DEPLOYMENT_INCOMPATIBLE` (409: `details.violations`), `JE_DEPLOYMENT_LIMIT` (409).
   */
  deploy(bundle: unknown): Promise<DeployResult>;
  /** Undeploys a version: its events are refused from then on. `JE_DEPLOYMENT_IN_USE` while it has pending or active instances. */
  undeploy(journeyType: string, version: string): Promise<UndeployResult>;
  /** Every version of the type ever deployed, oldest first; `JE_JOURNEY_TYPE_UNKNOWN` when none. */
  deploymentHistory(journeyType: string): Promise<DeploymentRecord[]>;
  /** Every version of every type with its instances by lifecycle and whether it can be retired. */
  drainReport(): Promise<DrainReportEntry[]>;
  /**
   * What a journey waits for: its scheduled timers and its back-end calls not answered yet
   * (pending, or dead: waiting for an operator); null when there is none or `reader` may not read it.
   */
  journeyWaiting(journeyId: string, reader?: Reader): Promise<JourneyWaitingView | null>;
  /** Every partition's lease in the store: which node holds it, its epoch (the fence), until when (operators' view). */
  partitionLeases(): Promise<PartitionLeaseView[]>;
  /**
   * Starts an uplift run of a type's instances from one version to a newer one (see
   * uplift-runner.ts); it goes on in the background. Refused: `JE_BAD_REQUEST`,
   * `JE_JOURNEY_TYPE_UNKNOWN`, `JE_UPLIFT_INVALID` (the newer version cannot take the older's
   * instances), `JE_UPLIFT_RUNNING` (one run per type at a time).
   */
  startUplift(request: UpliftRequest): Promise<UpliftRun>;
  /** A run started on this node, as far as it got; undefined when unknown. */
  upliftRun(runId: string): UpliftRun | undefined;
  /** Dead letters: calls whose back end's retries were spent and undeliverable messages, for an operator to list, read, retry or discard. */
  readonly deadLetters: DeadLetterOperations;
  /**
   * Compares the outbox's calls of one back-end system with what its adapter's `query` reports
   * and, with `repair`, replays lost replies (engine/reconcile.ts). `operator` is recorded on a
   * repaired call. Refused: `JE_RECONCILE_UNSUPPORTED` (no back end of that name here, or one
   * whose adapter cannot be asked), `JE_BAD_REQUEST` (a bad `since` or `limit`).
   */
  reconcile(system: string, request: ReconcileRequest, operator: string): Promise<ReconcileReport>;
  /**
   * The published-event feed of one journey type (engine/published-feed.ts): a page after a
   * cursor, waiting up to `waitMs` for one when there is nothing yet. Refused: `JE_BAD_REQUEST`,
   * `JE_JOURNEY_TYPE_UNKNOWN`.
   */
  readPublished(request: FeedRequest, signal?: AbortSignal): Promise<FeedPage>;
  /** Prometheus text exposition of the engine's metrics. */
  metricsText(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * What an operator does with dead letters (engine/dead-letters.ts): back-end calls whose retries
 * were spent (kind `call`) and messages between journeys that could not be delivered (kind
 * `message`). A dead one has given its journey its failure event already (a message: when it
 * names one); a retry runs the same call or message again under the same id and idempotency key,
 * so a call's reply, or a message's event at its receiver, enters a journey at most once however
 * often it is retried; a discard records the decision and sends nothing. Refusals:
 * `JE_DEAD_LETTER_NOT_FOUND` (404), `JE_DEAD_LETTER_SETTLED` (409: retried or discarded already),
 * `JE_BAD_REQUEST` (a bad filter or cursor).
 */
export interface DeadLetterOperations {
  list(query: DeadLetterQuery): Promise<Page<DeadLetterSummary>>;
  get(id: string): Promise<DeadLetterView>;
  /**
   * A call is queued again at once (or, where this node has no call queue, the outbox sweep does
   * within seconds); a message is delivered again at once (or by its sender's slot owner's sweep).
   */
  retry(id: string, operator: string, note?: string): Promise<DeadLetterView>;
  discard(id: string, operator: string, reason?: string): Promise<DeadLetterView>;
}

/**
 * Kinds of dead letter: back-end calls and messages between journeys. Each kind's own fields sit
 * beside the common ones (a call's `system`, `operation`; a message's `message`), so a further
 * kind (undelivered webhooks) adds its own without changing the others.
 */
export type DeadLetterKind = 'call' | 'message' | 'webhook';

export interface DeadLetterQuery {
  kind?: DeadLetterKind;
  /** `dead` (waiting for an operator) by default, or `discarded`. */
  status?: 'dead' | 'discarded';
  /** The back-end system, e.g. `booking` (calls only). */
  system?: string;
  /** The type of the journey that made the call or sent the message. */
  journeyType?: string;
  cursor?: string;
  /** @defaultValue 50 (at most 500) */
  limit?: number;
}

/**
 * `dead`: waiting for an operator; `retrying`: an operator retried it and it runs; `answered`: a
 * call's retry got the back end's answer; `delivered`: a message's retry reached its receiver;
 * `discarded`: an operator discarded it.
 */
export type DeadLetterState = 'dead' | 'retrying' | 'answered' | 'delivered' | 'discarded';

/** A message between journeys, as a dead letter shows it. */
export interface DeadMessageSummary {
  /** `send` (a `send` or `reply` step) or `start`. */
  kind: 'send' | 'start';
  /** The journey it goes to (a start: the id the started journey gets). */
  targetJourneyId: string;
  /** The receiver's event; null for a start with its version's one initiating event. */
  eventType: string | null;
  /** A start: the type and version it starts. */
  targetType?: string;
  targetVersion?: string;
}

/** A published event a webhook could not deliver, as a dead letter shows it. */
export interface DeadWebhookSummary {
  /** The webhook's name (also the dead letter's `system`). */
  name: string;
  /** The published event: the receiver's `webhook-id`. */
  eventId: string;
  eventType: string;
  /** Its place in the published-event feed. */
  cursor: string;
}

export interface DeadLetterSummary {
  /** A call's outbox id (also the `callId` its back end sees), or a message's id. */
  id: string;
  kind: DeadLetterKind;
  status: DeadLetterState;
  /** The journey that made the call or sent the message. */
  journeyId: string;
  journeyType: string | null;
  version: string | null;
  /** A call: `system.operation`'s parts. */
  system?: string;
  operation?: string;
  /** A message: what it was and where it went. */
  message?: DeadMessageSummary;
  /** A webhook delivery: the webhook and the event (`system` is the webhook's name). */
  webhook?: DeadWebhookSummary;
  /** A call: attempts at the back end, over every retry; a message: deliveries that failed for a while. */
  attempts: number;
  /** How often an operator retried it. */
  retries: number;
  lastError: string | null;
  createdAt: string;
  /** When it last went dead. */
  deadAt: string;
}

export interface DeadLetterView extends Omit<DeadLetterSummary, 'message'> {
  tenant: string | null;
  /** The journey's `data.status` when it has one, else its lifecycle: where the failure event left it. */
  journeyStatus: string | null;
  /** A call: its request and reply event. */
  request?: JsonObject;
  replyEvent?: string;
  /** A message: also its payload and the idempotency key its receiver takes it under. */
  message?: DeadMessageSummary & { payload: JsonObject; idempotencyKey: string };
  /** The journey's event when it went dead; null when a message names none. */
  failureEvent: string | null;
  /** The event whose handling made the call or sent the message. */
  causedBy: string;
  /** The operator's last decision. */
  resolvedBy?: string;
  resolvedAt?: string;
  note?: string;
  /**
   * The events it gave: the failure (when it went dead) and, after a retry, a call's reply or the
   * event a message became at its receiver — each at most once.
   */
  delivered: { failure?: DeliveredEventView; reply?: DeliveredEventView; message?: DeliveredEventView };
}

export interface DeliveredEventView {
  eventId: string;
  status: string;
}

/** An uplift run to start: see engine/uplift-runner.ts. */
export interface UpliftRequest {
  journeyType: string;
  from: string;
  to: string;
  /** Only instances whose search fields have these values. */
  where?: Record<string, string>;
  /** Checks every matching instance's data against the new version, and changes nothing. */
  dryRun?: boolean;
  /** Instances per step. @defaultValue 100 */
  batch?: number;
}

export interface UpliftRun {
  runId: string;
  journeyType: string;
  from: string;
  to: string;
  where: Record<string, string>;
  dryRun: boolean;
  status: 'running' | 'done' | 'failed';
  /** Instances of `from` that matched. */
  scanned: number;
  /** Moved to `to` (dry run: would move). */
  uplifted: number;
  /** Left on `from`: their data does not fit `to`, or their uplift was refused (see `failures`). */
  rejected: number;
  /** Uplifts queued by an earlier run of the same instances, found again (a resumed run). */
  resumed: number;
  /** Queued and not yet handled when the run gave up waiting: they move in their turn. */
  pending: number;
  /** The first failures, with why. */
  failures: Array<{ journeyId: string; message: string }>;
  startedAt: string;
  finishedAt?: string;
  error?: { code: string; message: string };
}

/** A page of one journey type's published events. */
export interface FeedRequest {
  /** `enterprise/domain/journey`: every version's events, or those of `version`. */
  journeyType: string;
  version?: string;
  /** Only these event names. */
  events?: string[];
  /** A cursor from an earlier page; absent: the feed's start; `now`: its head. */
  after?: string;
  /** @defaultValue 100 */
  limit?: number;
  /** Long poll: how long to wait for an event when there is none yet. @defaultValue 0 */
  waitMs?: number;
  /** Only journeys of this tenant; absent: every tenant (operators). */
  tenant?: string;
}

/** A published event as consumers get it (the feed route, a webhook's body). */
export interface PublishedEventView {
  /** Its place in the feed: pass as `after` to continue behind it. */
  cursor: string;
  /** The key to de-duplicate by (also a webhook's `webhook-id`). */
  eventId: string;
  type: string;
  journeyId: string;
  journeyType: string;
  version: string;
  /** The emitting event's place in its journey: one journey's events come in this order. */
  journeySeq: number;
  causedBy: string;
  publishedAt: string;
  payload: Record<string, unknown>;
}

export interface FeedPage {
  items: PublishedEventView[];
  /** Where the next page starts: the last item's cursor, or the request's when the page is empty. */
  cursor: string;
}

/** One partition's lease, as operators see it. */
export interface PartitionLeaseView {
  partition: number;
  /** The node holding it; null when handed back or never taken. */
  owner: string | null;
  /** Bumped at every takeover; every commit of the partition's events is fenced by it. */
  epoch: number;
  leaseExpiresAt: string | null;
  /** Whether the lease holds now, by the database's clock. */
  live: boolean;
}

/** What a journey waits for (the console's journey page). */
export interface JourneyWaitingView {
  timers: Array<{ name: string; fireAt: string; eventType: string }>;
  calls: Array<{ callId: string; system: string; operation: string; status: 'pending' | 'dead'; attempts: number; lastError: string | null }>;
}
