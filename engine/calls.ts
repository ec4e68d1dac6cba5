/**
 * Back-end calls: the outbox row is committed with the outcome that asked for it; a BullMQ job
 * (jobId = outbox id) runs it with retries and backoff; the answer is accepted as an event with an
 * idempotency key derived from the outbox id, so a job that runs twice (BullMQ is at-least-once)
 * still yields one reply. When the back end's retries are spent the call is dead-lettered: the
 * journey gets its failure event and the outbox row is marked `dead`.
 *
 * Only the back end's failures count against its retry budget. Once it has answered, our own
 * failure to take the answer (the store down, a conflict, the engine stopping) is retried with
 * back-off for as long as it lasts and never turns into the failure event: the back end did the
 * work. The answer is kept in the job meanwhile, so the back end is not asked again.
 *
 * A refusal (`JE_BACKEND_REFUSED`, or any error of a handler that is not retryable) is not asked
 * again: it dead-letters at once. A back end may sit behind a circuit breaker (breaker-board.ts):
 * while it is open its calls are not made, and fail at once to their failure event, the journey's
 * fallback, or wait (no attempt spent) until a probe may go, as the back end is configured.
 */
import { DelayedError, Queue, UnrecoverableError, Worker as QueueWorker } from 'bullmq';
import type { Job } from 'bullmq';
import { isConnectionError, isRetryableTransactionError } from '../cache-store/index.js';
import type { OutboxCursor, PendingCall } from '../cache-store/index.js';
import { SPAN_ATTRIBUTES, SpanKind, activeTraceparent, contextOfTraceparent, ensureError, isJourneyError, withSpan } from '../common/index.js';
import type { JourneyError, Logger } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import type { GridForgery, GridMac } from '../grid/index.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';

/** A back-end system operation: `system.operation` → handler. Receivers dedupe by `callId`. */
export type BackendHandler = (request: JsonObject, meta: { callId: string; journeyId: string; attempt: number }) => Promise<JsonObject>;
export type BackendRegistry = Record<string, BackendHandler>;

export interface CallOptions {
  /** Attempts at the back end before dead-lettering. @defaultValue 5 */
  attempts: number;
  /** First retry delay; doubles each attempt. It also starts the back-off of a reply redelivered to our store. @defaultValue 200 */
  backoffMs: number;
  /** Jobs run at once on this node. @defaultValue 16 */
  concurrency: number;
  /** Ceiling of the back-off between deliveries of an answer our store could not take yet (they never stop). @defaultValue 10000 */
  redeliverMaxMs: number;
}

export const DEFAULT_CALL_OPTIONS: CallOptions = { attempts: 5, backoffMs: 200, concurrency: 16, redeliverMaxMs: 10_000 };

/** Rows the outbox sweep reads at a time. */
const SWEEP_PAGE = 200;

/** A call its back end's open breaker holds back: run again after `delayMs`. */
type BreakerWait = { kind: 'wait'; delayMs: number };

/** What the back end said, once it said it: the event the journey is to get. */
type Outcome = { kind: 'reply'; answer: JsonObject } | { kind: 'failure'; reason: string; attempts: number };

/** A job's data: the call, and once the back end has answered, what is still to be delivered. */
type CallJob = Omit<PendingCall, 'attempts'> & {
  /** Kept while our store cannot take it, so a redelivery does not ask the back end again. */
  outcome?: Outcome;
  /** Deliveries our side has failed so far; sets the back-off of the next. */
  redeliveries?: number;
  /** The W3C trace context of the handling that made the call (traced only): the call's span continues it. */
  traceparent?: string;
};

/**
 * What is stored in Redis: the job's data and, last, its MAC under the grid secret (over the
 * data's JSON and the job's id), so a job written or rewritten in Redis by hand (another call, a
 * made-up answer) is never run (Redis is not a trust boundary; see grid/grid-mac.ts).
 */
type SignedCallJob = CallJob & { mac?: string };

interface CallDependencies {
  journal: JournalPort;
  logger: Logger;
  metrics: EngineMetrics;
  backends: BackendRegistry;
  /** Accepts the reply (or failure) event; idempotent by key. */
  acceptReply: (input: { journeyId: string; type: string; payload: JsonObject; causedBy: string; idempotencyKey: string }) => Promise<unknown>;
  /** Signs every job's data and checks it before the job runs. */
  mac: GridMac;
  /** A job was dropped unrun: its MAC was missing or wrong. */
  onForged: (reason: GridForgery, key: string) => void;
}

/** Job states in which a job still runs, or will (BullMQ's names); any other means it ended or is gone. */
const LIVE_JOB_STATES: ReadonlySet<string> = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The back end answered something its journey refuses (the reply's schema): that is the back
 * end's failure, and counts against its retry budget like any other. Every other error while
 * delivering is ours.
 */
function answerRefused(outcome: Outcome, error: unknown): boolean {
  return outcome.kind === 'reply' && isJourneyError(error, 'JE_EVENT_INVALID');
}

/** Our store or engine is unavailable for now (as opposed to refusing the event for good). */
function isOutage(error: unknown): boolean {
  return isJourneyError(error) ? error.retryable : isConnectionError(error) || isRetryableTransactionError(error);
}

export class CallRunner {
  private readonly queue: Queue;
  private readonly worker: QueueWorker | null;
  private readonly log: Logger;
  /** The queue's prefix: part of every job MAC's scope, with the job id. */
  private readonly prefix: string;
  /** Where the next outbox sweep starts; null: from the oldest pending row. */
  private sweepCursor: OutboxCursor | null = null;

  constructor(
    connections: { queue: unknown; worker: unknown },
    /** A hash-tagged prefix, so every key of the queue lives on one cluster slot. */
    prefix: string,
    private readonly options: CallOptions,
    private readonly deps: CallDependencies,
  ) {
    this.log = deps.logger.child({ component: 'calls' });
    this.prefix = prefix;
    this.queue = new Queue('calls', { connection: connections.queue as never, prefix });
    this.worker =
      connections.worker === null
        ? null
        : new QueueWorker('calls', (job: Job<SignedCallJob>, token?: string) => this.run(job, token), {
            connection: connections.worker as never,
            prefix,
            concurrency: options.concurrency,
          });
    this.worker?.on('error', (error) => this.log.warn({ err: error }, 'call worker error'));
  }

  /** Enqueues committed calls; a call already queued (same job id) is not queued twice. */
  async dispatch(calls: CallJob[]): Promise<void> {
    // Called within the committed handling's span (none from a sweep): the calls continue its trace.
    const traceparent = activeTraceparent();
    for (const call of calls) {
      await this.queue.add('call', this.signed(call.outboxId, traceparent === undefined ? call : { ...call, traceparent }), {
        jobId: call.outboxId,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { count: 10_000 },
        removeOnFail: { count: 10_000 },
      });
    }
  }

  /**
   * Re-enqueues calls of owned partitions still pending in the store: lost jobs, crashed relays,
   * and jobs that ended (failed, or completed) while their row stayed pending. Such an ended job
   * still holds the call's job id, and BullMQ ignores an add under an existing id, so it is
   * removed first. A call whose job is alive (running, or waiting out a delay) is left to it.
   * Each sweep reads one page, oldest first, and the next one goes on behind it, so rows it cannot
   * move never keep it from the rest.
   */
  async sweep(partitions: number[], olderThanMs: number, pageSize = SWEEP_PAGE): Promise<void> {
    const page = await this.deps.journal.pendingCalls(partitions, olderThanMs, pageSize, this.sweepCursor);
    this.sweepCursor = page.next;
    await this.requeue(page.calls);
  }

  /**
   * Queues pending calls whose job is gone or ended (the sweep's, and a dead letter an operator
   * retried: its job ended when the call went dead, and holds the job id until removed).
   */
  async requeue(calls: PendingCall[]): Promise<void> {
    const states = await Promise.all(calls.map((call) => this.queue.getJobState(call.outboxId)));
    const lost = calls.filter((_, i) => states[i] === 'unknown');
    let ended = calls.filter((_, i) => states[i] !== 'unknown' && !LIVE_JOB_STATES.has(states[i] ?? ''));
    if (ended.length > 0) {
      // A job may have finished its row between the page read and the state check: only rows
      // still pending now, with their job over, are re-queued (else the back end is asked twice).
      const pending = await this.deps.journal.stillPendingCalls(ended.map((call) => call.outboxId));
      ended = ended.filter((call) => pending.has(call.outboxId));
      for (const call of ended) await this.queue.remove(call.outboxId);
    }
    const requeue = [...lost, ...ended];
    if (requeue.length === 0) return;
    if (ended.length > 0) this.log.warn({ calls: ended.map((call) => call.outboxId) }, 'calls pending whose jobs had ended; queued again');
    await this.dispatch(requeue.map(({ attempts: _attempts, ...call }) => call));
  }

  private async run(job: Job<SignedCallJob>, token: string | undefined): Promise<void> {
    const { mac, ...data } = job.data;
    const scope = this.scopeOf(job.id ?? '');
    if (mac === undefined || !this.deps.mac.verify(scope, JSON.stringify(data), mac)) {
      // Never run: the back end is not asked and no answer is accepted. A genuine call (an older
      // node's unsigned job in a rolling upgrade) is still pending in the outbox, and the sweep
      // queues it again, signed, once this job has failed.
      this.deps.onForged(mac === undefined ? 'unsigned' : 'bad-mac', scope);
      throw new UnrecoverableError('the call job failed its MAC check; not run');
    }
    const call: Job<CallJob> = job;
    const outcome = call.data.outcome ?? (await this.callBackend(call));
    if (outcome.kind === 'wait') return this.holdForBreaker(call, token, outcome.delayMs);
    await this.deliver(call, token, outcome);
  }

  /** The job MAC's scope: the queue and the job id (the outbox id), so data moved to another job fails. */
  private scopeOf(jobId: string): string {
    return `${this.prefix}:calls:${jobId}`;
  }

  /** `call` with its MAC, as the job's data (the MAC last, so the rest keeps its order). */
  private signed(jobId: string, call: CallJob): SignedCallJob {
    const { mac: _mac, ...data } = call as SignedCallJob;
    return { ...data, mac: this.deps.mac.sign(this.scopeOf(jobId), JSON.stringify(data)) };
  }

  /** Asks the back end; its failure is retried by BullMQ (thrown) until the budget is spent. */
  private async callBackend(job: Job<CallJob>): Promise<Outcome | BreakerWait> {
    const call = job.data;
    const handler = this.deps.backends[`${call.system}.${call.operation}`];
    try {
      if (!handler) throw new Error(`no back-end handler for ${call.system}.${call.operation}`);
      const meta = { callId: call.outboxId, journeyId: call.journeyId, attempt: job.attemptsMade + 1 };
      const answer = await withSpan(
        `backend ${call.system}.${call.operation}`,
        () => ({
          [SPAN_ATTRIBUTES.journeyId]: call.journeyId,
          [SPAN_ATTRIBUTES.partition]: call.partitionNo,
          'journey.call.id': call.outboxId,
          'journey.call.system': call.system,
          'journey.call.operation': call.operation,
          'journey.call.attempt': meta.attempt,
        }),
        () => handler(call.request as JsonObject, meta),
        { kind: SpanKind.CLIENT, parent: contextOfTraceparent(call.traceparent) },
      );
      return { kind: 'reply', answer };
    } catch (error) {
      if (isJourneyError(error, 'JE_BACKEND_CIRCUIT_OPEN')) return this.circuitOpen(job, error);
      // A refusal (JE_BACKEND_REFUSED: an HTTP 4xx, say) would be refused again: not retried.
      return this.backendFailed(job, error, handler !== undefined && !(isJourneyError(error) && !error.retryable));
    }
  }

  /**
   * The back end's circuit breaker refused the call, which was not made (breaker-board.ts). When
   * its calls wait, the call is held until a probe may go, no attempt spent; else it fails at
   * once to the failure event its journey declares for it: the fallback.
   */
  private async circuitOpen(job: Job<CallJob>, error: JourneyError): Promise<Outcome | BreakerWait> {
    const call = job.data;
    if (error.retryAfterMs !== undefined) return { kind: 'wait', delayMs: Math.max(50, error.retryAfterMs) };
    await this.deps.journal.touchCall(call.outboxId, error.message).catch(() => undefined);
    this.log.warn({ journeyId: call.journeyId, callId: call.outboxId, system: call.system }, 'circuit open: the call fails fast to its failure event');
    return { kind: 'failure', reason: error.message, attempts: job.attemptsMade };
  }

  /** Holds a call its back end's open breaker refused (BullMQ's delayed set: no attempt counted). */
  private async holdForBreaker(job: Job<CallJob>, token: string | undefined, delayMs: number): Promise<void> {
    if (token === undefined) throw new Error('circuit open: the call waits for its back end');
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  /** Counts a failure of the back end: thrown again while attempts remain, else the dead letter. */
  private async backendFailed(job: Job<CallJob>, error: unknown, retryable: boolean): Promise<Outcome> {
    const call = job.data;
    const attempt = job.attemptsMade + 1;
    const log = this.log.child({ journeyId: call.journeyId, callId: call.outboxId, attempt });
    const message = ensureError(error).message;
    await this.deps.journal.touchCall(call.outboxId, message).catch(() => undefined);
    if (attempt < this.options.attempts && retryable) {
      log.warn({ err: ensureError(error) }, 'back-end call failed; will retry');
      throw ensureError(error);
    }
    // Dead letter: the journey learns of the failure through its failure event.
    this.deps.metrics.deadLettered.inc({ system: call.system });
    this.deps.metrics.deadLetteredByKind.inc({ kind: 'call' });
    log.error({ err: ensureError(error) }, 'back-end call dead-lettered');
    return { kind: 'failure', reason: message, attempts: attempt };
  }

  /**
   * Accepts the outcome as the journey's event and finishes the row. If our side fails, the job
   * is delayed with back-off (not counted as an attempt: BullMQ's DelayedError) carrying the
   * outcome, and delivery is tried again, for as long as it takes.
   */
  private async deliver(job: Job<CallJob>, token: string | undefined, outcome: Outcome): Promise<void> {
    const call = job.data;
    const log = this.log.child({ journeyId: call.journeyId, callId: call.outboxId });
    try {
      if (outcome.kind === 'reply') {
        await this.deps.acceptReply({
          journeyId: call.journeyId,
          type: call.replyEvent,
          payload: outcome.answer,
          causedBy: call.causedBy,
          idempotencyKey: `call:${call.outboxId}:reply`,
        });
        await this.deps.journal.finishCall(call.outboxId, 'done', null);
        log.debug('back-end call answered');
      } else {
        await this.deps.acceptReply({
          journeyId: call.journeyId,
          type: call.failureEvent,
          payload: { reason: outcome.reason.slice(0, 500), attempts: outcome.attempts },
          causedBy: call.causedBy,
          idempotencyKey: `call:${call.outboxId}:failure`,
        });
        await this.deps.journal.finishCall(call.outboxId, 'dead', outcome.reason);
      }
    } catch (error) {
      if (answerRefused(outcome, error)) {
        // Ask again (or dead-letter): a kept answer must go, or the retry would deliver it again.
        if (call.outcome) await job.updateData(this.signed(call.outboxId, this.bare(call)));
        await this.deliver(job, token, await this.backendFailed(job, error, true));
        return;
      }
      if (token === undefined) throw ensureError(error);
      const redeliveries = (call.redeliveries ?? 0) + 1;
      const delayMs = this.redeliveryDelayMs(redeliveries);
      // An outage passes; anything else (a journey or event type gone) needs a person: louder.
      const level = isOutage(error) ? 'warn' : 'error';
      log[level](
        { err: ensureError(error), kind: outcome.kind, redeliveries, delayMs },
        'the back end answered but the answer could not be recorded; delivering it again later',
      );
      await job.updateData(this.signed(call.outboxId, { ...this.bare(call), outcome, redeliveries }));
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    }
  }

  /** Exponential from `backoffMs` up to `redeliverMaxMs`, with jitter so redeliveries after an outage spread out. */
  private redeliveryDelayMs(redeliveries: number): number {
    const ceiling = Math.min(this.options.redeliverMaxMs, this.options.backoffMs * 2 ** Math.min(redeliveries - 1, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private bare(call: CallJob): CallJob {
    const { outcome: _outcome, redeliveries: _redeliveries, mac: _mac, ...rest } = call as SignedCallJob;
    return rest;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
