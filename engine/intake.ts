/**
 * Intake: validates a submission, makes it durable in MariaDB (the only acknowledgement point),
 * then wakes the partition's owner. Bad input is refused before anything is written.
 */
import { createHash } from 'node:crypto';
import { isDuplicateKeyError } from '../cache-store/index.js';
import type { IntakeEntry, IntakeResult, JournalEvent, NewEvent, PendingMessage } from '../cache-store/index.js';
import { DEFAULT_TENANT, JourneyError, SPAN_ATTRIBUTES, activeTraceparent, ensureError, isJourneyError, withSpan } from '../common/index.js';
import type { Attributes, Logger } from '../common/index.js';
import { journeyContext, soleInitiatingEvent, SYSTEM_CONTEXTS } from '../dsl/index.js';
import type { CompiledJourney, EventContext, JsonObject } from '../dsl/index.js';
import { Batcher } from './batcher.js';
import { BoundedMap } from './bounded-map.js';
import { ID_PATTERN, newId, slotOf } from './ids.js';
import type { EngineMetrics } from './metrics.js';
import type { InlineEvent, JournalPort } from './ports.js';
import type { AcceptRequest, AcceptResult } from './types.js';
import type { DeploymentRegistry } from './deployment-registry.js';
import type { TenantTypes } from './tenant-types.js';
import { UPLIFT_EVENT_TYPE } from './uplift-handling.js';

export interface IntakeDependencies {
  journal: JournalPort;
  deployments: DeploymentRegistry;
  metrics: EngineMetrics;
  logger: Logger;
  partitionCount: number;
  /** The journey types each tenant may use: a journey's `start` of another type is refused. @defaultValue every type */
  tenantTypes?: TenantTypes;
  /** Refuses with JE_OVERLOADED when the node cannot take more. */
  admit: () => void;
  /** Wakes the owner of the event's partition (locally or through the grid). */
  route: (event: JournalEvent) => void;
  /**
   * Offers an event for inline handling (accepted and handled by one commit) to its journey's
   * owner: this node's worker, or the owner it is forwarded to. Resolves with its journey_seq
   * when taken, null when it must be accepted here.
   */
  handleInline?: (event: InlineEvent) => Promise<number | null>;
  /** Whether this node's worker may start work on the partition now (owned, not being handed over). */
  handlesPartition?: (partitionNo: number) => boolean;
  /** Intake transactions in flight at once; concurrent accepts beyond it share one. @defaultValue 4 */
  intakeConcurrency?: number;
  /** Most accepts in one intake transaction. @defaultValue 256 */
  maxIntakeBatch?: number;
  /** The store's known health: while it is down, new events are refused before they touch it. */
  store?: StoreGate;
  /**
   * Largest event payload (JSON bytes) the store can commit: its outcome repeats the payload in
   * the journey's data and in emitted events, all within one packet. Larger → 413 before anything
   * is written. @defaultValue unlimited
   */
  maxEventBytes?: number;
}

/** The store's known health (store-health.ts), as intake uses it. */
export interface StoreGate {
  /** Throws JE_STORE_UNAVAILABLE (with Retry-After) while the store is known down. */
  admit(): void;
  /** Calls `listener` each time the store is found down. */
  onDown(listener: () => void): void;
}

interface QueuedAccept {
  entry: IntakeEntry;
  resolve: (journeySeq: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Group intake: accepts that arrive while earlier ones are committing share the next transaction,
 * so a burst costs one fsync, not one each. A lone accept goes at once (no added latency).
 */
class IntakeBatcher {
  private readonly batcher: Batcher<QueuedAccept>;

  constructor(
    private readonly journal: JournalPort,
    concurrency: number,
    maxBatch: number,
    private readonly store: StoreGate | undefined,
  ) {
    this.batcher = new Batcher(
      (batch) => (batch.length === 1 ? this.runOne(batch[0] as QueuedAccept) : this.runMany(batch)),
      { concurrency, maxBatch },
      () => !this.refuseQueued(),
    );
    store?.onDown(() => this.refuseQueued());
  }

  /** Resolves with the event's journey_seq once committed. */
  submit(entry: IntakeEntry): Promise<number> {
    return new Promise((resolve, reject) => {
      this.batcher.push({ entry, resolve, reject });
    });
  }

  /**
   * While the store is known down, accepts still queued are refused now (nothing of them is
   * written yet) instead of each waiting behind transactions that wait for the store.
   * True when it refused.
   */
  private refuseQueued(): boolean {
    try {
      this.store?.admit();
      return false;
    } catch (refusal) {
      for (const queued of this.batcher.takeQueued()) queued.reject(refusal);
      return true;
    }
  }

  private async runMany(batch: QueuedAccept[]): Promise<void> {
    let results: IntakeResult[];
    try {
      results = await this.journal.acceptBatch(batch.map((q) => q.entry));
    } catch (error) {
      if (isAmbiguousCommit(error)) {
        await Promise.all(batch.map((queued) => this.settleAmbiguous(queued, error)));
      } else if (isJourneyError(error, 'JE_STORE_UNAVAILABLE')) {
        for (const queued of batch) queued.reject(error);
      } else {
        // One member spoiled the batch (a duplicate idempotency key, say): each on its own.
        await Promise.all(batch.map((queued) => this.runOne(queued)));
      }
      return;
    }
    batch.forEach((queued, i) => {
      const result = results[i];
      if (result?.status === 'accepted') queued.resolve(result.journeySeq);
      else queued.reject(notFound(queued.entry.journeyId));
    });
  }

  private async runOne(queued: QueuedAccept): Promise<void> {
    const { entry } = queued;
    try {
      const result = await this.journal.acceptOne(entry);
      if (result.status === 'accepted') queued.resolve(result.journeySeq);
      else queued.reject(notFound(entry.journeyId));
    } catch (error) {
      if (isAmbiguousCommit(error)) await this.settleAmbiguous(queued, error);
      else queued.reject(error);
    }
  }

  /** The connection broke during COMMIT: ask the store whether the event landed before answering. */
  private async settleAmbiguous(queued: QueuedAccept, error: unknown): Promise<void> {
    const landed = await this.journal.eventExists(queued.entry.event.eventId).catch(() => null);
    if (landed) queued.resolve(landed.journeySeq);
    else
      queued.reject(
        new JourneyError('JE_STORE_UNAVAILABLE', 'the store did not confirm the event; retry with the same idempotency key', {
          cause: error,
          retryAfterMs: 1000,
        }),
      );
  }
}

function notFound(journeyId: string): JourneyError {
  return new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id', { details: { journeyId } });
}

const MAX_IDEMPOTENCY_KEY = 200;

/** An event of the engine's own, accepted (or found again by its idempotency key). */
interface OwnEventAccepted {
  eventId: string;
  journeySeq: number;
  duplicate: boolean;
}

/** A journey's type, version and slot as last read: an uplift changes the version and the slot. */
interface JourneyType {
  /** Never changes: a journey stays with the tenant that started it. */
  tenant: string;
  typeName: string;
  version: string;
  partitionNo: number;
  readAtMs: number;
}

/**
 * How long a journey's version is taken from the cache: an uplift on another node shows within
 * this (an event the cached version refuses is checked against the store's at once).
 */
const JOURNEY_TYPE_TTL_MS = 5_000;

function isAmbiguousCommit(error: unknown): boolean {
  return isJourneyError(error, 'JE_STORE_COMMIT_UNKNOWN');
}

export class Intake {
  private readonly journeyTypes = new BoundedMap<string, JourneyType>(100_000);
  private readonly batcher: IntakeBatcher;
  constructor(private readonly deps: IntakeDependencies) {
    this.batcher = new IntakeBatcher(deps.journal, deps.intakeConcurrency ?? 4, deps.maxIntakeBatch ?? 256, deps.store);
  }

  accept(request: AcceptRequest): Promise<AcceptResult> {
    return withSpan(
      'journey.accept',
      () => acceptAttributes(request),
      () => this.acceptCounted(request),
      { result: acceptedAttributes },
    );
  }

  private async acceptCounted(request: AcceptRequest): Promise<AcceptResult> {
    const started = performance.now();
    try {
      const result = await this.acceptValidated(request);
      this.deps.metrics.acceptLatency.observe((performance.now() - started) / 1000);
      return result;
    } catch (error) {
      if (isJourneyError(error)) this.deps.metrics.refused.inc({ code: error.code });
      throw error;
    }
  }

  private async acceptValidated(request: AcceptRequest): Promise<AcceptResult> {
    const { event, context } = request;
    if (typeof event?.type !== 'string' || event.type.length === 0 || event.type.length > 128) {
      throw new JourneyError('JE_BAD_REQUEST', 'event type must be a non-empty string of at most 128 characters');
    }
    if (typeof event.payload !== 'object' || event.payload === null || Array.isArray(event.payload)) {
      throw new JourneyError('JE_EVENT_INVALID', 'event payload must be a JSON object', {
        details: { violations: [{ pointer: '', message: 'must be object' }] },
      });
    }
    const idempotencyKey = request.idempotencyKey;
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new JourneyError('JE_BAD_REQUEST', `idempotency key must be 1..${MAX_IDEMPOTENCY_KEY} characters`);
    }

    let journey: CompiledJourney;
    let journeyId: string;
    let partitionNo: number;
    if (request.kind === 'initiate') {
      journey = this.deps.deployments.resolve(request.journeyType, request.version);
      checkEventFits(this.deps.deployments, journey, 'initiate', event.type, event.payload, context);
      ({ journeyId, partitionNo } = this.placeNewJourney(journey));
    } else {
      journeyId = request.journeyId;
      if (typeof journeyId !== 'string' || !ID_PATTERN.test(journeyId)) {
        throw new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id', { details: { journeyId: String(journeyId).slice(0, 64) } });
      }
      const cached = await this.journeyType(journeyId);
      // Another tenant's journey is not found, as if it did not exist: its id leaks nothing.
      if (cached.tenant !== (request.tenant ?? DEFAULT_TENANT) || (request.mayUseType && !request.mayUseType(cached.typeName))) throw notFound(journeyId);
      let known: JourneyType;
      ({ known, journey } = await this.checkTargetFits(journeyId, cached, event.type, event.payload, context));
      partitionNo = known.partitionNo;
    }
    this.deps.admit();

    const payloadJson = JSON.stringify(event.payload);
    const { maxEventBytes } = this.deps;
    if (maxEventBytes !== undefined && payloadJson.length > maxEventBytes / 4 && Buffer.byteLength(payloadJson) > maxEventBytes) {
      // It could be accepted but never handled: its commit would fail on every try.
      throw new JourneyError('JE_PAYLOAD_TOO_LARGE', `the event payload is larger than the store can commit (${maxEventBytes} bytes)`, {
        details: { limitBytes: maxEventBytes, reason: 'store' },
      });
    }
    // Fail fast: with the store known down this could only wait for a connection, then fail.
    this.deps.store?.admit();
    const eventId = newId();
    // Only the engine says which journey sent an event (origin journey): never an API caller.
    const { journey: _journey, journeyType: _journeyType, ...callerContext } = context;
    // The trace travels with the event (store, grid) to its handling, often later, elsewhere.
    const traceparent = activeTraceparent();
    const contextWithOrigin = { ...callerContext, origin: 'api' as const, ...(traceparent === undefined ? {} : { traceparent }) };
    const newEvent: NewEvent = {
      eventId,
      type: event.type,
      payloadJson,
      contextJson: JSON.stringify(contextWithOrigin),
      origin: 'api',
      causedBy: null,
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey === undefined ? null : requestHash(request),
    };

    if (this.deps.handleInline) {
      const create =
        request.kind === 'initiate' ? { create: { typeName: journey.name, typeVersion: journey.version, tenant: request.tenant ?? DEFAULT_TENANT } } : {};
      const inlineSeq = await this.deps.handleInline({ journeyId, partitionNo, newEvent, payload: event.payload, context: contextWithOrigin, ...create });
      if (inlineSeq !== null) {
        if (request.kind === 'initiate') this.remember(journeyId, request.tenant, journey, partitionNo);
        this.deps.metrics.accepted.inc({ origin: 'api' });
        this.deps.logger.debug({ journeyId, eventId, seq: inlineSeq, type: event.type }, 'event accepted and handled inline');
        return { journeyId, eventId, journeySeq: inlineSeq, journeyType: journey.name, version: journey.version, duplicate: false };
      }
    }

    let journeySeq: number;
    try {
      journeySeq = await this.batcher.submit({
        kind: request.kind,
        journeyId,
        tenant: request.tenant ?? DEFAULT_TENANT,
        typeName: journey.name,
        typeVersion: journey.version,
        partitionNo,
        event: newEvent,
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (idempotencyKey !== undefined) return this.replay(idempotencyKey, newEvent, journey);
      // Forwarded, no answer in time, and the owner's commit landed after all: same event id.
      const landed = await this.deps.journal.eventExists(eventId);
      if (!landed) throw error;
      journeySeq = landed.journeySeq;
    }
    if (request.kind === 'initiate') this.remember(journeyId, request.tenant, journey, partitionNo);
    this.deps.metrics.accepted.inc({ origin: 'api' });
    this.deps.logger.debug({ journeyId, eventId, seq: journeySeq, type: event.type }, 'event accepted');
    try {
      this.deps.route({
        eventId,
        journeyId,
        journeySeq,
        partitionNo,
        type: event.type,
        payload: event.payload,
        context: contextWithOrigin,
        origin: 'api',
        causedBy: null,
      });
    } catch (error) {
      // Already durable: the owner's sweep delivers it even if this wake-up is lost.
      this.deps.logger.warn({ err: ensureError(error), eventId }, 'wake-up failed; the sweep will deliver the event');
    }
    return { journeyId, eventId, journeySeq, journeyType: journey.name, version: journey.version, duplicate: false };
  }

  /**
   * Accepts an uplift of a journey to `to` into its inbox, behind whatever waits there, so it is
   * handled in the journey's own turn. Idempotent by `idempotencyKey`: a resumed uplift run asks
   * again and gets the first event back (`duplicate`).
   */
  async acceptUplift(input: { journeyId: string; from: string; to: string; idempotencyKey: string }): Promise<OwnEventAccepted> {
    const known = await this.journeyType(input.journeyId, true);
    const context = { sender: 'system:uplift', roles: ['system'], trustLevel: 3, channel: 'uplift', origin: 'uplift' };
    return this.acceptOwnEvent(input.journeyId, known, {
      type: UPLIFT_EVENT_TYPE,
      payload: { from: input.from, to: input.to },
      context,
      origin: 'uplift',
      causedBy: null,
      idempotencyKey: input.idempotencyKey,
    });
  }

  /**
   * Accepts an event the engine itself produces for a journey (a back-end reply): validated
   * against its schema, idempotent by key, but not subject to sender access rules.
   */
  async acceptSystemEvent(input: {
    journeyId: string;
    type: string;
    payload: Record<string, unknown>;
    /** `backend`: a back end's reply or failure; `journey`: the failure event of an undelivered message. */
    origin: 'backend' | 'journey';
    causedBy: string;
    idempotencyKey: string;
  }): Promise<OwnEventAccepted> {
    const known = await this.journeyType(input.journeyId);
    const journey = this.deps.deployments.get(known.typeName, known.version);
    if (!journey.events[input.type]) throw unknownEvent(journey, input.type);
    this.deps.deployments.validatePayload(journey, input.type, input.payload as JsonObject);
    return this.acceptOwnEvent(input.journeyId, known, { ...input, context: { ...SYSTEM_CONTEXTS[input.origin] } });
  }

  /**
   * Accepts a message of one journey for another (`send`, `reply`) or the initiating event of a
   * journey another starts (`start`), as the receiver's ordinary event of origin `journey`, under
   * the message's idempotency key: delivered again (a retry, the sweep after a crash), it is found,
   * not accepted twice (`duplicate`). Within the sender's tenant only: a target of another tenant
   * is not found. Refused like an API event (`JE_JOURNEY_NOT_FOUND`, `JE_JOURNEY_TYPE_UNKNOWN`,
   * `JE_EVENT_*`, `JE_ACCESS_DENIED` at the receiver's edge): never deliverable, the caller's dead letter.
   */
  async acceptJourneyMessage(message: Omit<PendingMessage, 'attempts' | 'messageId' | 'failureEvent'>): Promise<OwnEventAccepted> {
    const sender = await this.journeyType(message.journeyId);
    const context = { ...journeyContext(message.journeyId, sender.typeName) };
    const target = message.targetJourneyId;
    if (message.kind === 'send') {
      if (!ID_PATTERN.test(target)) throw notFound(target.slice(0, 64));
      const cached = await this.journeyType(target);
      // Another tenant's journey is not found, as if it did not exist.
      if (cached.tenant !== sender.tenant) throw notFound(target);
      const type = message.eventType ?? '';
      const { known } = await this.checkTargetFits(target, cached, type, message.payload as JsonObject, context);
      return this.acceptOwnEvent(target, known, {
        type,
        payload: message.payload,
        context,
        origin: 'journey',
        causedBy: message.causedBy,
        idempotencyKey: message.idempotencyKey,
      });
    }
    // The started journey is the starter's tenant's: a type that tenant may not use is refused, as at the API.
    this.deps.tenantTypes?.assertMayUse(sender.tenant, message.targetType ?? '');
    const journey = this.deps.deployments.resolve(message.targetType ?? '', message.targetVersion ?? '');
    const type = message.eventType ?? soleInitiatingEvent(journey);
    if (type === null) {
      throw new JourneyError('JE_EVENT_NOT_INITIATING', `${journey.name} ${journey.version} has several initiating events; the start must name one`, {
        details: { initiating: initiatingEvents(journey) },
      });
    }
    checkEventFits(this.deps.deployments, journey, 'initiate', type, message.payload as JsonObject, context);
    const laneNo = this.deps.deployments.laneOf(journey.name, journey.version);
    if (laneNo === undefined || !ID_PATTERN.test(target))
      throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `journey ${journey.name} ${journey.version} is not deployed`);
    // The started journey belongs to its starter's tenant.
    const started: JourneyType = {
      tenant: sender.tenant,
      typeName: journey.name,
      version: journey.version,
      partitionNo: slotOf(laneNo, target, this.deps.partitionCount),
      readAtMs: performance.now(),
    };
    const accepted = await this.acceptOwnEvent(target, started, {
      type,
      payload: message.payload,
      context,
      origin: 'journey',
      causedBy: message.causedBy,
      idempotencyKey: message.idempotencyKey,
      create: true,
    });
    this.remember(target, sender.tenant, journey, started.partitionNo);
    return accepted;
  }

  /** Appends an event of the engine's own to a journey's inbox (no inline path), idempotent by key, and wakes its owner. */
  private async acceptOwnEvent(
    journeyId: string,
    known: JourneyType,
    event: {
      type: string;
      payload: Record<string, unknown>;
      context: Record<string, unknown>;
      origin: 'backend' | 'uplift' | 'journey';
      causedBy: string | null;
      idempotencyKey: string;
      /** The event starts the journey: its row is created in `known`'s tenant, type, version and slot. */
      create?: boolean;
    },
  ): Promise<OwnEventAccepted> {
    this.deps.store?.admit();
    const eventId = newId();
    const newEvent: NewEvent = {
      eventId,
      type: event.type,
      payloadJson: JSON.stringify(event.payload),
      contextJson: JSON.stringify(event.context),
      origin: event.origin,
      causedBy: event.causedBy,
      idempotencyKey: event.idempotencyKey,
      requestHash: null,
    };
    let journeySeq: number;
    try {
      const accepted = await this.deps.journal.acceptOne({
        kind: event.create ? 'initiate' : 'target',
        journeyId,
        tenant: known.tenant,
        typeName: known.typeName,
        typeVersion: known.version,
        partitionNo: known.partitionNo,
        event: newEvent,
      });
      if (accepted.status !== 'accepted') throw notFound(journeyId);
      journeySeq = accepted.journeySeq;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const first = await this.deps.journal.findByIdempotencyKey(event.idempotencyKey);
      if (!first) throw error;
      return { eventId: first.eventId, journeySeq: first.journeySeq, duplicate: true };
    }
    this.deps.metrics.accepted.inc({ origin: event.origin });
    this.deps.route({
      eventId,
      journeyId,
      journeySeq,
      partitionNo: known.partitionNo,
      type: event.type,
      payload: event.payload,
      context: event.context,
      origin: event.origin,
      causedBy: event.causedBy,
    });
    return { eventId, journeySeq, duplicate: false };
  }

  /**
   * A new journey's id, and so its slot in its version's lane. Where this node's worker hosts
   * the version, the id is drawn until it falls in a slot the worker holds (a few draws: the
   * share is about one host's), so the initiating event is handled inline; elsewhere any id does.
   */
  private placeNewJourney(journey: CompiledJourney): { journeyId: string; partitionNo: number } {
    const { deployments, partitionCount } = this.deps;
    const laneNo = deployments.laneOf(journey.name, journey.version);
    if (laneNo === undefined) throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `journey ${journey.name} ${journey.version} is not deployed`);
    let journeyId = newId();
    let partitionNo = slotOf(laneNo, journeyId, partitionCount);
    const local = deployments.hosted(journey.name, journey.version) ? this.deps.handlesPartition : undefined;
    for (let draw = 1; local && draw < 64 && !local(partitionNo); draw++) {
      journeyId = newId();
      partitionNo = slotOf(laneNo, journeyId, partitionCount);
    }
    return { journeyId, partitionNo };
  }

  private async replay(idempotencyKey: string, attempt: NewEvent, journey: CompiledJourney): Promise<AcceptResult> {
    const hash = attempt.requestHash;
    const first = await this.deps.journal.findByIdempotencyKey(idempotencyKey);
    if (!first) throw new JourneyError('JE_STORE_CONFLICT', 'idempotency key collided but its first use is not visible; retry', { retryAfterMs: 100 });
    if (first.requestHash !== null && hash !== null && first.requestHash !== hash) {
      throw new JourneyError('JE_IDEMPOTENCY_CONFLICT', 'this idempotency key was used for a different request', {
        details: { eventId: first.eventId, journeyId: first.journeyId },
      });
    }
    // The same event id: this very attempt, forwarded and committed by the owner after all.
    const itself = first.eventId === attempt.eventId;
    if (!itself) this.deps.metrics.duplicates.inc();
    const known = await this.journeyType(first.journeyId).catch(() => ({ typeName: journey.name, version: journey.version }));
    return {
      journeyId: first.journeyId,
      eventId: first.eventId,
      journeySeq: first.journeySeq,
      journeyType: known.typeName,
      version: known.version,
      duplicate: !itself,
    };
  }

  /** A journey this node just started: its targeted events need no read of its row. */
  private remember(journeyId: string, tenant: string | undefined, journey: CompiledJourney, partitionNo: number): void {
    this.journeyTypes.set(journeyId, {
      tenant: tenant ?? DEFAULT_TENANT,
      typeName: journey.name,
      version: journey.version,
      partitionNo,
      readAtMs: performance.now(),
    });
  }

  /**
   * Whether an event fits the journey it targets (see {@link checkEventFits}), judged by the
   * journey's version as cached. A refusal by a cached version is checked again against the
   * store's: after an uplift on another node the cache may name the old version, whose refusal
   * (an event only the new version has, a payload only it accepts) would be wrong — a 4xx at the
   * API, a dead letter for a journey's message. The same version refuses as before.
   */
  private async checkTargetFits(
    journeyId: string,
    cached: JourneyType,
    type: string,
    payload: JsonObject,
    context: EventContext,
  ): Promise<{ known: JourneyType; journey: CompiledJourney }> {
    const journey = this.deps.deployments.get(cached.typeName, cached.version);
    try {
      checkEventFits(this.deps.deployments, journey, 'target', type, payload, context);
      return { known: cached, journey };
    } catch (refusal) {
      if (!isJourneyError(refusal)) throw refusal;
      const stored = await this.journeyType(journeyId, true);
      if (stored.typeName === cached.typeName && stored.version === cached.version) throw refusal;
      const current = this.deps.deployments.get(stored.typeName, stored.version);
      checkEventFits(this.deps.deployments, current, 'target', type, payload, context);
      return { known: stored, journey: current };
    }
  }

  /**
   * A journey's type, version and slot, from a cache kept a few seconds (an uplift changes the
   * version and the slot; the slot is only a routing hint, the store takes the journey row's).
   */
  private async journeyType(journeyId: string, fresh = false): Promise<JourneyType> {
    const cached = this.journeyTypes.get(journeyId);
    if (cached && !fresh && performance.now() - cached.readAtMs < JOURNEY_TYPE_TTL_MS) return cached;
    this.deps.store?.admit();
    const row = await this.deps.journal.loadJourney(journeyId);
    if (!row) throw new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id', { details: { journeyId } });
    const value = { tenant: row.tenant, typeName: row.typeName, version: row.typeVersion, partitionNo: row.partitionNo, readAtMs: performance.now() };
    this.journeyTypes.set(journeyId, value);
    return value;
  }
}

function acceptAttributes(request: AcceptRequest): Attributes {
  return request.kind === 'initiate'
    ? { [SPAN_ATTRIBUTES.journeyType]: request.journeyType, [SPAN_ATTRIBUTES.journeyVersion]: request.version, [SPAN_ATTRIBUTES.eventType]: request.event.type }
    : { [SPAN_ATTRIBUTES.journeyId]: request.journeyId, [SPAN_ATTRIBUTES.eventType]: request.event.type };
}

function acceptedAttributes(result: AcceptResult): Attributes {
  return {
    [SPAN_ATTRIBUTES.journeyId]: result.journeyId,
    [SPAN_ATTRIBUTES.eventId]: result.eventId,
    [SPAN_ATTRIBUTES.journeyType]: result.journeyType,
    [SPAN_ATTRIBUTES.journeyVersion]: result.version,
  };
}

function initiatingEvents(journey: CompiledJourney): string[] {
  return Object.entries(journey.events)
    .filter(([, d]) => d.initiating)
    .map(([name]) => name);
}

/**
 * Whether an event fits the journey version it goes to, the same for an API caller and a journey's
 * message: known to the version, initiating to start one (`initiate`) or handled by an existing one
 * (`target`), its payload valid, and the sender allowed at the edge. Throws the refusal.
 */
function checkEventFits(
  deployments: DeploymentRegistry,
  journey: CompiledJourney,
  mode: 'initiate' | 'target',
  type: string,
  payload: JsonObject,
  context: EventContext,
): void {
  const definition = journey.events[type];
  if (!definition) throw unknownEvent(journey, type);
  if (mode === 'initiate' && !definition.initiating) {
    throw new JourneyError('JE_EVENT_NOT_INITIATING', `${type} does not start a ${journey.name} journey`, {
      details: { eventType: type, initiating: initiatingEvents(journey) },
    });
  }
  if (mode === 'target' && definition.initiating && !definition.handled) {
    throw new JourneyError('JE_EVENT_INITIATING', `${type} starts a new journey; it cannot target an existing one`, { details: { eventType: type } });
  }
  deployments.validatePayload(journey, type, payload);
  deployments.checkAccessAtEdge(journey, type, context);
}

function unknownEvent(journey: CompiledJourney, type: string): JourneyError {
  return new JourneyError('JE_EVENT_TYPE_UNKNOWN', `${journey.name} ${journey.version} has no event ${JSON.stringify(type.slice(0, 128))}`, {
    details: { eventType: type.slice(0, 128), known: Object.keys(journey.events).filter((e) => journey.events[e]?.handled) },
  });
}

/** Same key, same request: the hash tells a replay from a key reused for something else. */
function requestHash(request: AcceptRequest): string {
  const target = request.kind === 'initiate' ? `${request.journeyType}@${request.version}` : request.journeyId;
  return createHash('sha256')
    .update(JSON.stringify([request.kind, target, request.event.type, request.event.payload]))
    .digest('hex');
}
