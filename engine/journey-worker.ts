/**
 * The worker: owns partitions through fenced leases, keeps one mailbox (actor) per journey,
 * handles each journey's events strictly one at a time in journey_seq order, and commits many
 * journeys' outcomes together (group commit).
 *
 * Over 500 lines on purpose: what is left here is one concern, the mailboxes (delivery, a
 * journey's turn, inline handling, and what a commit's result means for the journey), which all
 * share the actor table; leases, handling, the group commit and timers have rooms of their own.
 */
import type { HandlingCommit, JournalEvent, NewEvent, PendingCall, PendingMessage } from '../cache-store/index.js';
import type { Clock, Logger } from '../common/index.js';
import { JourneyError, SPAN_ATTRIBUTES, annotateSpan, contextOfTraceparent, ensureError, isJourneyError, tracingOn, withSpan } from '../common/index.js';
import type { CompiledJourney, JsonObject, ProcessorRegistry } from '../dsl/index.js';
import { GroupCommit } from './group-commit.js';
import { TimerFiring } from './timer-firing.js';
import type { MemberResult } from './group-commit.js';
import { PartitionLeases } from './partition-leases.js';
import { decideHandling, oversizedStatement, refusalOf } from './handling.js';
import { decideUplift } from './uplift-handling.js';
import type { JourneyState } from './handling.js';
import type { EngineMetrics } from './metrics.js';
import type { OutcomeHub } from './outcomes.js';
import type { GridPort, InlineEvent, JournalPort } from './ports.js';

export interface WorkerOptions {
  /** This process's owner identity in the partitions table (node id + incarnation). */
  ownerId: string;
  partitionCount: number;
  /** @defaultValue 10000 */
  leaseTtlMs: number;
  /** How often leases are renewed and membership rebalanced. @defaultValue leaseTtlMs / 3 */
  leaseRenewMs: number;
  /** A node missing heartbeats this long is dead for rebalancing. @defaultValue leaseTtlMs */
  nodeTtlMs: number;
  /** Re-delivery of pending events whose wake-up was lost, for events older than this. @defaultValue 1000 */
  sweepAfterMs: number;
  /** @defaultValue 500 */
  sweepEveryMs: number;
  /** @defaultValue 250 */
  timerPollMs: number;
  /** Most events held in memory across mailboxes; beyond it new ones wait in MariaDB. @defaultValue 20000 */
  maxMailboxDepth: number;
  /** @defaultValue 128 */
  maxBatch: number;
  /** Group commits in flight at once (each on its own connection). @defaultValue 4 */
  commitConcurrency: number;
  /** Journeys idle this long leave memory. @defaultValue 60000 */
  idleEvictMs: number;
  /** TTL of hot state in the grid. @defaultValue 3600000 */
  stateTtlMs: number;
}

export const DEFAULT_WORKER_OPTIONS = {
  leaseTtlMs: 10_000,
  sweepAfterMs: 1_000,
  sweepEveryMs: 500,
  timerPollMs: 250,
  maxMailboxDepth: 20_000,
  maxBatch: 128,
  commitConcurrency: 4,
  idleEvictMs: 60_000,
  stateTtlMs: 3_600_000,
} as const;

interface Actor {
  journeyId: string;
  partitionNo: number;
  state: JourneyState | null;
  pending: Map<number, JournalEvent>;
  busy: boolean;
  lastActiveMs: number;
}

interface Dependencies {
  journal: JournalPort;
  grid: GridPort | null;
  /**
   * The largest statement the store takes (its max_allowed_packet). A larger one is never sent:
   * the server would drop the connection mid-write, which looks like the store going down.
   */
  maxStatementBytes?: number;
  /** The database's clock as this node measures it (or a test's stand-in for it). */
  clock: Clock;
  /**
   * The clock stands in for the database's (a test moving time by hand): timers fall due by it.
   * Otherwise the database's NOW(6) alone decides, whatever this node's clock says.
   */
  timersByClock?: boolean;
  logger: Logger;
  metrics: EngineMetrics;
  outcomes: OutcomeHub;
  /** The versions this node hosts (undefined for any other: their events wait for a host). */
  journeys: (name: string, version: string) => CompiledJourney | undefined;
  /** The lanes of the versions this node hosts now. */
  hostedLanes: () => number[];
  /** Any version this node knows (hosted or not) and its lane: the target of an uplift. */
  knownVersion: (name: string, version: string) => { journey: CompiledJourney; laneNo: number } | undefined;
  /** An uplift moved a journey to another slot: its waiting events go to that slot's owner. */
  onJourneyMoved: (journeyId: string, slot: number) => void;
  processors: (name: string, version: string) => ProcessorRegistry;
  /** Called after back-end calls were committed (the outbox rows exist): dispatch them. */
  onCallsCommitted: (calls: Array<Omit<PendingCall, 'attempts'>>) => void;
  /** Called after published events were committed: number them into the feed. */
  onPublishedCommitted?: () => void;
  /** Called after messages to other journeys were committed (their rows exist): deliver them. */
  onMessagesCommitted?: (messages: PendingMessage[]) => void;
}

/** How often membership is read from the grid (at most; the lease tick if that is shorter). */
const HEARTBEAT_MS = 1_000;
/** The first wait of the settle loop after a partition changed hands. */
const SETTLE_FIRST_MS = 100;

/** Sleeps, waking early when `signal` aborts; leaves no listener behind. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export class JourneyWorker {
  private readonly leases: PartitionLeases;
  private readonly actors = new Map<string, Actor>();
  /** The group commit: handled events of many journeys share one fenced transaction. */
  private readonly commits: GroupCommit;
  private readonly timers: TimerFiring;
  private depth = 0;
  private running = false;
  private readonly stopping = new AbortController();
  private readonly loops: Array<Promise<void>> = [];
  private readonly log: Logger;

  constructor(
    private readonly options: WorkerOptions,
    private readonly deps: Dependencies,
  ) {
    this.log = deps.logger.child({ component: 'worker', owner: options.ownerId });
    this.leases = new PartitionLeases({
      options,
      journal: deps.journal,
      grid: deps.grid,
      clock: deps.clock,
      metrics: deps.metrics,
      log: this.log,
      hostedLanes: () => deps.hostedLanes(),
      isBusy: (partitionNo) => this.partitionBusy(partitionNo),
      onLost: (partitionNo) => this.dropPartitionWork(partitionNo),
      onAcquired: (partitions) => this.recover(partitions),
    });
    this.commits = new GroupCommit(
      { ownerId: options.ownerId, journal: deps.journal, metrics: deps.metrics, leases: () => this.leases.snapshot() },
      { concurrency: options.commitConcurrency, maxBatch: options.maxBatch },
    );
    this.timers = new TimerFiring({
      journal: deps.journal,
      clock: deps.clock,
      timersByClock: deps.timersByClock ?? false,
      metrics: deps.metrics,
      log: this.log,
      ownedPartitions: () => this.ownedPartitions,
      active: (partitionNo) => this.active(partitionNo),
      deliver: (event) => this.deliver(event),
    });
  }

  get ownedPartitions(): number[] {
    return this.leases.owned;
  }

  owns(partitionNo: number): boolean {
    return this.leases.owns(partitionNo);
  }

  /** See {@link PartitionLeases.holdsItsShare}. */
  get holdsItsShare(): boolean {
    return this.leases.holdsItsShare;
  }

  /** Works out and takes this node's share of the partitions now (see {@link PartitionLeases.rebalance}). */
  rebalance(): Promise<void> {
    return this.leases.rebalance();
  }

  get saturated(): boolean {
    return this.depth >= this.options.maxMailboxDepth;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.leases.heartbeat();
    await this.leases.rebalance();
    // Leases live in MariaDB and are renewed on their own schedule, on a path that never waits
    // for Redis: a frozen or unreachable grid must not let a held lease expire (each expiry is a
    // takeover, a new epoch and journeys reloaded). Membership comes from Redis on another loop.
    this.loops.push(
      this.every(this.options.leaseRenewMs, 'lease', async () => {
        await this.leases.renew();
        await this.leases.rebalance();
      }),
    );
    // A join or a leave is seen within a second and acted on at once (not on the next lease tick),
    // and while partitions change hands the settle loop retries quickly: a node joining under load
    // handles events about a second after it is up, not half a minute.
    this.loops.push(
      this.every(Math.min(HEARTBEAT_MS, this.options.leaseRenewMs), 'membership', async () => {
        if (!(await this.leases.heartbeat())) return;
        this.leases.rebalance().catch((error: unknown) => this.log.warn({ err: ensureError(error) }, 'rebalance after a membership change failed; will retry'));
      }),
    );
    this.loops.push(this.settle());
    this.loops.push(this.every(this.options.sweepEveryMs, 'sweep', () => this.sweep(this.options.sweepAfterMs)));
    this.loops.push(this.every(this.options.timerPollMs, 'timers', () => this.timers.fireDue()));
    this.loops.push(this.every(Math.max(1_000, this.options.idleEvictMs / 4), 'evict', () => Promise.resolve(this.evictIdle())));
  }

  /** Stops taking work, lets in-flight commits finish, and hands every partition back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    const deadline = this.deps.clock.monotonicMs() + 5_000;
    while (this.commits.busy && this.deps.clock.monotonicMs() < deadline) await sleep(10);
    await this.leases.releaseAll();
    this.actors.clear();
    if (this.deps.grid) await this.deps.grid.leave(this.options.ownerId).catch(() => undefined);
  }

  private every(intervalMs: number, name: string, task: () => Promise<void>): Promise<void> {
    return (async () => {
      while (this.running) {
        await sleep(intervalMs, this.stopping.signal);
        if (!this.running) break;
        try {
          await task();
        } catch (error) {
          this.log.warn({ err: ensureError(error), loop: name }, 'background task failed; will retry');
        }
      }
    })();
  }

  /**
   * While partitions change hands (this node waits for its share, or drains what it gives up),
   * rebalances again after 100 ms, doubling the wait while nothing moves, up to the lease tick.
   */
  private async settle(): Promise<void> {
    let delayMs = SETTLE_FIRST_MS;
    while (this.running) {
      await sleep(delayMs, this.stopping.signal);
      if (!this.running) break;
      if (!this.leases.settling || this.leases.rebalancing) {
        delayMs = SETTLE_FIRST_MS;
        continue;
      }
      const held = this.leases.size;
      try {
        await this.leases.rebalance();
      } catch (error) {
        this.log.warn({ err: ensureError(error), loop: 'settle' }, 'background task failed; will retry');
      }
      delayMs = this.leases.size === held ? Math.min(delayMs * 2, this.options.leaseRenewMs) : SETTLE_FIRST_MS;
    }
  }

  private partitionBusy(partitionNo: number): boolean {
    for (const actor of this.actors.values()) {
      if (actor.partitionNo === partitionNo && actor.busy) return true;
    }
    return false;
  }

  /** A partition is gone: its mailboxes stop at once (a busy actor finishes its turn, fenced). */
  private dropPartitionWork(partitionNo: number): void {
    for (const [journeyId, actor] of this.actors) {
      if (actor.partitionNo !== partitionNo) continue;
      this.depth -= actor.pending.size;
      actor.pending.clear();
      actor.state = null;
      if (!actor.busy) this.actors.delete(journeyId);
    }
    this.updateGauges();
  }

  /** Loads every unhandled event of newly owned partitions from the store (the system of record). */
  private async recover(partitions: number[]): Promise<void> {
    this.timers.expectTimers();
    await this.sweep(0, partitions);
  }

  private async sweep(olderThanMs: number, partitions = this.leases.activePartitions): Promise<void> {
    if (partitions.length === 0 || this.saturated) return;
    const limit = Math.max(100, Math.min(5_000, this.options.maxMailboxDepth - this.depth));
    const events = await this.deps.journal.pendingEventsOfPartitions(partitions, { olderThanMs, limit });
    for (const event of events) this.deliver(event);
  }

  // -------------------------------------------------------------------------------------------
  // Mailboxes

  /** Hands an accepted event to its journey's mailbox (from intake, the grid, recovery or a sweep). */
  deliver(event: JournalEvent): boolean {
    if (!this.running || !this.active(event.partitionNo)) return false;
    let actor = this.actors.get(event.journeyId);
    if (!actor) {
      actor = { journeyId: event.journeyId, partitionNo: event.partitionNo, state: null, pending: new Map(), busy: false, lastActiveMs: 0 };
      this.actors.set(event.journeyId, actor);
    }
    actor.lastActiveMs = this.deps.clock.monotonicMs();
    if (actor.state && event.journeySeq <= actor.state.handledSeq) return true;
    if (actor.pending.has(event.journeySeq)) return true;
    if (this.saturated) return false; // it waits in MariaDB; a later sweep brings it
    actor.pending.set(event.journeySeq, event);
    this.depth += 1;
    if (actor.state && event.journeySeq > actor.state.acceptedSeq) actor.state.acceptedSeq = event.journeySeq;
    this.updateGauges();
    this.schedule(actor);
    return true;
  }

  private schedule(actor: Actor): void {
    if (actor.busy) return;
    actor.busy = true;
    void this.drain(actor).finally(() => this.idle(actor));
  }

  /** The actor finished a turn: forget it if its partition is gone, else go on with what arrived meanwhile. */
  private idle(actor: Actor): void {
    actor.busy = false;
    actor.lastActiveMs = this.deps.clock.monotonicMs();
    if (!this.running || !this.active(actor.partitionNo)) {
      this.depth -= actor.pending.size;
      this.actors.delete(actor.journeyId);
      this.updateGauges();
      return;
    }
    // With no state (an inline commit lost a race), whatever arrived meanwhile needs a reload.
    const more = actor.state ? actor.pending.has(actor.state.handledSeq + 1) : actor.pending.size > 0;
    if (more) this.schedule(actor);
  }

  /**
   * Inline handling: an event arriving at the node that owns its journey, while the journey is
   * idle and caught up, is evaluated at once, and one commit both accepts and handles it (one
   * transaction instead of two, and no mailbox hop). The commit holds only if nothing else was
   * accepted for the journey meanwhile; it is fenced like every handling commit.
   *
   * Returns the event's journey_seq once that commit is durable, or null when the event was not
   * taken this way and nothing of it was written: the caller then accepts it the normal way.
   */
  async handleInline(accepted: InlineEvent): Promise<number | null> {
    if (!this.running || !this.active(accepted.partitionNo) || this.saturated) return null;
    const { create } = accepted;
    let actor = this.actors.get(accepted.journeyId);
    if (create && !actor) {
      // A journey its initiating event creates: nothing of it exists anywhere yet.
      const fresh: JourneyState = {
        typeName: create.typeName,
        version: create.typeVersion,
        lifecycle: 'pending',
        data: null,
        handledSeq: 0,
        acceptedSeq: 0,
        slot: accepted.partitionNo,
      };
      actor = { journeyId: accepted.journeyId, partitionNo: accepted.partitionNo, state: fresh, pending: new Map(), busy: false, lastActiveMs: 0 };
      this.actors.set(accepted.journeyId, actor);
    } else if (create) {
      return null;
    }
    const state = actor?.state;
    if (!actor || !state || actor.busy || actor.pending.size > 0 || state.acceptedSeq !== state.handledSeq) return null;
    actor.busy = true;
    actor.lastActiveMs = this.deps.clock.monotonicMs();
    const { newEvent } = accepted;
    const event: JournalEvent = {
      eventId: newEvent.eventId,
      journeyId: accepted.journeyId,
      journeySeq: state.handledSeq + 1,
      partitionNo: accepted.partitionNo,
      type: newEvent.type,
      payload: accepted.payload,
      context: accepted.context,
      origin: newEvent.origin,
      causedBy: newEvent.causedBy,
      ...(accepted.replyTo ? { replyTo: accepted.replyTo } : {}),
    };
    try {
      if (!(await this.handle(actor, state, event, newEvent, create))) {
        if (create) actor.state = null; // its row was not written: whatever comes next loads it
        return null;
      }
      this.deps.metrics.inline.inc();
      return event.journeySeq;
    } catch (error) {
      actor.state = null;
      if (!isJourneyError(error, 'JE_STORE_COMMIT_UNKNOWN')) return null; // nothing was written
      // The commit may have landed: the event row exists exactly when it did, with our outcome.
      const landed = await this.deps.journal.eventExists(event.eventId).catch(() => undefined);
      if (landed === null) return null;
      if (landed === undefined) {
        throw new JourneyError('JE_STORE_UNAVAILABLE', 'the store did not confirm the event; retry with the same idempotency key', {
          cause: error,
          retryAfterMs: 1000,
        });
      }
      return landed.journeySeq;
    } finally {
      this.idle(actor);
    }
  }

  /** Owned and not being handed over: new work may start. */
  active(partitionNo: number): boolean {
    return this.leases.active(partitionNo);
  }

  private async drain(actor: Actor): Promise<void> {
    let failures = 0;
    let trustCache = true;
    while (this.running && this.active(actor.partitionNo)) {
      try {
        if (!actor.state) actor.state = await this.loadState(actor, trustCache);
        if (!actor.state) {
          // The journey row is not visible yet or never existed: drop what we hold; sweeps retry.
          this.dropPending(actor, Number.POSITIVE_INFINITY);
          return;
        }
        if (actor.state.slot !== undefined && actor.state.slot !== actor.partitionNo) {
          // The journey lives in another slot than the one this mailbox was opened for (an uplift
          // moved it, or a wake-up named its old slot): follow it. If this node does not hold
          // that slot, the loop ends and the mailbox is dropped; its owner handles the events.
          actor.partitionNo = actor.state.slot;
          continue;
        }
        this.dropPending(actor, actor.state.handledSeq);
        let next = actor.pending.get(actor.state.handledSeq + 1);
        if (!next && (actor.pending.size > 0 || actor.state.acceptedSeq > actor.state.handledSeq)) {
          // A gap: its wake-up was lost or is late. The store has it (seqs commit in order).
          const fetched = await this.deps.journal.pendingEventsOfJourney(actor.journeyId, actor.state?.handledSeq ?? 0, 100);
          for (const event of fetched) {
            if (!actor.pending.has(event.journeySeq)) {
              actor.pending.set(event.journeySeq, event);
              this.depth += 1;
            }
          }
          next = actor.pending.get(actor.state.handledSeq + 1);
          if (!next && actor.pending.size > 0 && trustCache) {
            // Later events but not the next one: our copy of the journey is behind the store.
            actor.state = null;
            trustCache = false;
            continue;
          }
          if (!next) {
            actor.state.acceptedSeq = actor.state.handledSeq;
            this.dropPending(actor, Number.POSITIVE_INFINITY); // not pending in the store; a sweep re-delivers
          }
        }
        if (!next) return;
        const done = await this.handle(actor, actor.state, next);
        if (done) failures = 0;
        else trustCache = false;
      } catch (error) {
        failures += 1;
        actor.state = null;
        this.deps.metrics.retried.inc({ reason: 'error' });
        this.log.warn({ err: ensureError(error), journeyId: actor.journeyId, failures }, 'handling failed; reloading journey and retrying');
        await sleep(Math.min(2_000, 20 * 2 ** Math.min(failures, 7)));
      }
    }
  }

  private dropPending(actor: Actor, uptoSeq: number): void {
    for (const seq of [...actor.pending.keys()]) {
      if (seq <= uptoSeq) {
        actor.pending.delete(seq);
        this.depth -= 1;
      }
    }
    this.updateGauges();
  }

  private async loadState(actor: Actor, trustCache: boolean): Promise<JourneyState | null> {
    const { grid } = this.deps;
    // While the heartbeat fails, Redis is away: each try would wait out the call timeout.
    if (grid && trustCache && !this.leases.gridDown) {
      try {
        const cached = await grid.getState(actor.journeyId);
        if (cached) {
          // A stale copy (lost on a Redis failover) only costs a conflict at commit and a reload.
          const state = JSON.parse(cached.state) as JourneyState;
          if (state.handledSeq === cached.seq) return state;
        }
      } catch {
        // The grid is a cache; the store answers below.
      }
    }
    const row = await this.deps.journal.loadJourney(actor.journeyId);
    if (!row) return null;
    return {
      typeName: row.typeName,
      version: row.typeVersion,
      lifecycle: row.lifecycle,
      data: row.data as JsonObject | null,
      handledSeq: row.handledSeq,
      acceptedSeq: row.acceptedSeq,
      slot: row.partitionNo,
    };
  }

  /** An uplift event: the target version as this node knows it (hosted or not) and its slot. */
  private decideUplift(actor: Actor, state: JourneyState, event: JournalEvent, nowMs: number) {
    const to = (event.payload as { to?: unknown }).to;
    const target = typeof to === 'string' ? this.deps.knownVersion(state.typeName, to) : undefined;
    const { partitionCount } = this.options;
    return decideUplift({
      journeyId: actor.journeyId,
      partitionNo: actor.partitionNo,
      state,
      event,
      target: target?.journey,
      // The same place in the new lane: the slot's offset is the journey id's hash.
      targetSlot: target ? target.laneNo * partitionCount + (actor.partitionNo % partitionCount) : undefined,
      nowMs,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Handling one event

  /**
   * Evaluates and commits one event; returns true when it was committed. Traced, its span is a
   * child of the span that accepted the event (its `traceparent` travels in the event's context).
   */
  private handle(actor: Actor, state: JourneyState, event: JournalEvent, acceptInline?: NewEvent, create?: HandlingCommit['create']): Promise<boolean> {
    if (!tracingOn()) return this.handleEvent(actor, state, event, acceptInline, create);
    return withSpan(
      'journey.handle',
      () => ({
        [SPAN_ATTRIBUTES.journeyId]: actor.journeyId,
        [SPAN_ATTRIBUTES.journeyType]: state.typeName,
        [SPAN_ATTRIBUTES.journeyVersion]: state.version,
        [SPAN_ATTRIBUTES.eventType]: event.type,
        [SPAN_ATTRIBUTES.eventId]: event.eventId,
        [SPAN_ATTRIBUTES.partition]: actor.partitionNo,
        'journey.event.seq': event.journeySeq,
        'journey.inline': acceptInline !== undefined,
      }),
      () => this.handleEvent(actor, state, event, acceptInline, create),
      { parent: contextOfTraceparent(event.context['traceparent']), result: (committed) => ({ 'journey.committed': committed }) },
    );
  }

  private async handleEvent(
    actor: Actor,
    state: JourneyState,
    event: JournalEvent,
    acceptInline?: NewEvent,
    create?: HandlingCommit['create'],
  ): Promise<boolean> {
    const journey = this.deps.journeys(state.typeName, state.version);
    const nowMs = this.deps.clock.nowMs();
    // Built only when something is logged: a child logger per event costs on the hot path.
    const log = (): Logger => this.log.child({ journeyId: actor.journeyId, eventId: event.eventId, seq: event.journeySeq });
    if (!journey) {
      // Placement gives a node only the slots of versions it hosts, so this is a journey whose
      // version and slot disagree (or a version undeployed under it). Never reject what was
      // acknowledged: the event stays pending and is retried, for a host to handle.
      throw new JourneyError('JE_VERSION_NOT_HOSTED', `journey version ${state.typeName} ${state.version} is not hosted on this node`, {
        details: { journeyType: state.typeName, version: state.version, slot: actor.partitionNo },
      });
    }
    let decision =
      event.origin === 'uplift'
        ? this.decideUplift(actor, state, event, nowMs)
        : decideHandling({
            journeyId: actor.journeyId,
            partitionNo: actor.partitionNo,
            state,
            event,
            journey,
            processors: this.deps.processors(state.typeName, state.version),
            nowMs,
            ...(acceptInline ? { accept: acceptInline } : {}),
            ...(create ? { create } : {}),
          });
    const oversized = this.deps.maxStatementBytes === undefined ? null : oversizedStatement(decision.commit, this.deps.maxStatementBytes);
    let result: MemberResult = oversized ? { status: 'refused', error: oversized } : await this.commit(decision.commit);
    if (result.status === 'refused') {
      // Poison: this outcome can never be stored. Inline, nothing is written yet: the normal path
      // accepts the event (intake already refused payloads the store cannot hold) and its mailbox
      // turn lands here again. Otherwise the event ends as a terminal rejection with the reason,
      // never retried forever and never holding back the journeys batched with it.
      if (acceptInline) {
        actor.state = null;
        return false;
      }
      this.deps.metrics.refusedByStore.inc();
      log().error({ err: result.error }, 'the outcome cannot be stored; the event ends rejected (STORE_REFUSED)');
      decision = refusalOf(decision.commit, state, result.error, nowMs);
      result = await this.commit(decision.commit);
      if (result.status === 'refused') throw result.error; // not even the rejection fits: retried later
    }
    const { commit, outcome } = decision;
    annotateSpan(() => ({
      [SPAN_ATTRIBUTES.outcome]: outcome.outcome,
      ...(outcome.rejection ? { [SPAN_ATTRIBUTES.rejectionCode]: outcome.rejection.code } : {}),
      'journey.commit.status': result.status,
    }));
    const feedback = commit.feedback;
    if (result.status === 'fenced') {
      log().warn('commit fenced: partition lease lost');
      this.leases.lose(actor.partitionNo, 'fenced at commit');
      return false;
    }
    if (result.status === 'conflict') {
      // Inline, this is the expected race with an accept elsewhere: the event goes the normal way.
      this.deps.metrics.retried.inc({ reason: acceptInline ? 'inline-conflict' : 'conflict' });
      if (!acceptInline) log().info('journey moved on under us (stale state); reloading');
      else if (this.log.isLevelEnabled('debug')) log().debug('another event was accepted first; taking the normal way');
      actor.state = null;
      return false;
    }
    // Committed: this node's copy follows the store.
    state.handledSeq += 1;
    if (state.handledSeq > state.acceptedSeq) state.acceptedSeq = state.handledSeq;
    state.data = decision.data;
    state.lifecycle = decision.lifecycle;
    const moved = commit.moveTo;
    if (moved) {
      state.version = moved.version;
      state.slot = moved.slot;
    }
    if (actor.pending.delete(event.journeySeq)) this.depth -= 1;
    this.updateGauges();
    this.deps.metrics.handled.inc({ outcome: outcome.outcome });
    if (this.log.isLevelEnabled('debug')) log().debug({ outcome: outcome.outcome }, 'event handled');
    this.deps.outcomes.publish(outcome, commit.outcomeJson.length + (commit.dataJson?.length ?? 0));
    const { replyTo } = event;
    if (replyTo && replyTo !== this.options.ownerId && this.deps.grid) {
      this.deps.grid.send(replyTo, { kind: 'outcome', outcome }).catch(() => undefined);
    }
    if (this.deps.grid) {
      this.deps.grid.putState(actor.journeyId, state.handledSeq, JSON.stringify(state), this.options.stateTtlMs).catch(() => undefined);
    }
    result.feedbackSeqs.forEach((seq, i) => {
      const fed = feedback[i];
      if (!fed) return;
      if (seq > state.acceptedSeq) state.acceptedSeq = seq;
      this.deps.metrics.accepted.inc({ origin: 'emitted' });
      this.deliver({
        eventId: fed.eventId,
        journeyId: actor.journeyId,
        journeySeq: seq,
        partitionNo: actor.partitionNo,
        type: fed.type,
        payload: JSON.parse(fed.payloadJson) as Record<string, unknown>,
        context: JSON.parse(fed.contextJson) as Record<string, unknown>,
        origin: 'emitted',
        causedBy: event.eventId,
      });
    });
    if (moved) {
      // The journey now lives in another lane's slot, whose owner handles what waits for it.
      this.depth -= actor.pending.size;
      actor.pending.clear();
      actor.partitionNo = moved.slot;
      this.log.info({ journeyId: actor.journeyId, version: moved.version, slot: moved.slot }, 'journey uplifted');
      this.deps.onJourneyMoved(actor.journeyId, moved.slot);
    }
    if (commit.calls.length > 0) {
      this.deps.onCallsCommitted(
        commit.calls.map((call) => ({
          outboxId: call.outboxId,
          journeyId: actor.journeyId,
          partitionNo: actor.partitionNo,
          causedBy: event.eventId,
          system: call.system,
          operation: call.operation,
          request: JSON.parse(call.requestJson) as Record<string, unknown>,
          replyEvent: call.replyEvent,
          failureEvent: call.failureEvent,
        })),
      );
    }
    if (commit.published && commit.published.length > 0) this.deps.onPublishedCommitted?.();
    const messages = commit.messages ?? [];
    if (messages.length > 0 && this.deps.onMessagesCommitted) {
      this.deps.onMessagesCommitted(
        messages.map(({ payloadJson, ...message }) => ({
          ...message,
          journeyId: actor.journeyId,
          partitionNo: actor.partitionNo,
          causedBy: event.eventId,
          payload: JSON.parse(payloadJson) as Record<string, unknown>,
          attempts: 0,
        })),
      );
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Group commit

  private async commit(commit: HandlingCommit): Promise<MemberResult> {
    const result = await this.commits.commit(commit);
    // Timers scheduled (or moved with an uplift) may fall due before the timer poll expects any.
    if (result.status === 'committed' && (commit.timersToStart.length > 0 || commit.moveTo)) this.timers.expectTimers();
    return result;
  }

  // -------------------------------------------------------------------------------------------

  private evictIdle(): void {
    const cutoff = this.deps.clock.monotonicMs() - this.options.idleEvictMs;
    for (const [journeyId, actor] of this.actors) {
      if (!actor.busy && actor.pending.size === 0 && actor.lastActiveMs < cutoff) this.actors.delete(journeyId);
    }
    this.updateGauges();
  }

  private updateGauges(): void {
    this.deps.metrics.mailboxDepth.set(this.depth);
    this.deps.metrics.actors.set(this.actors.size);
  }
}
