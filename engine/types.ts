import type { CompiledJourney, EmittedEvent, EventContext, JsonObject, RejectionCode } from '../dsl/index.js';
import type { EventOrigin } from '../common/index.js';

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
}

/** Sends an event to one existing journey instance. */
export interface TargetRequest {
  kind: 'target';
  journeyId: string;
  event: IncomingEvent;
  context: EventContext;
  idempotencyKey?: string;
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

/** The committed result of handling one event. */
export interface EventOutcome {
  eventId: string;
  journeyId: string;
  outcome: 'applied' | 'rejected';
  /** `STORE_REFUSED`: the evaluated outcome could never be stored (too large, a value out of range). */
  rejection?: { code: RejectionCode | 'STORE_REFUSED'; message: string; rule?: string; beadId?: string };
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
  origin: EventOrigin;
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
}

export interface DeployedJourney {
  name: string;
  version: string;
  journey: CompiledJourney;
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
  nodeId: string;
}

/** The engine's programmatic interface; the HTTP API wraps it. */
export interface JourneyEngine {
  readonly nodeId: string;
  /** Durably accepts an event; resolves once it is committed. Throws `JourneyError` on bad input. */
  accept(request: AcceptRequest): Promise<AcceptResult>;
  /** Resolves with the event's outcome once handled, or null when `timeoutMs` passes first. */
  awaitOutcome(eventId: string, timeoutMs: number): Promise<EventOutcome | null>;
  getJourney(journeyId: string): Promise<JourneyView | null>;
  listEvents(journeyId: string, options?: { cursor?: string; limit?: number }): Promise<Page<EventView>>;
  search(query: SearchQuery): Promise<Page<JourneyView>>;
  deployments(): DeployedJourney[];
  /** Resolves `latest` to the newest deployed version; throws `JE_JOURNEY_TYPE_UNKNOWN`. */
  resolveJourney(journeyType: string, version: string): CompiledJourney;
  readiness(): Promise<Readiness>;
  /** Prometheus text exposition of the engine's metrics. */
  metricsText(): Promise<string>;
  stop(): Promise<void>;
}
