/**
 * Back-end calls: the outbox row is committed with the outcome that asked for it; a BullMQ job
 * (jobId = outbox id) runs it with retries and backoff; the answer is accepted as an event with an
 * idempotency key derived from the outbox id, so a job that runs twice (BullMQ is at-least-once)
 * still yields one reply. When the retries are spent the call is dead-lettered: the journey gets
 * its failure event and the outbox row is marked `dead`.
 */
import { Queue, Worker as QueueWorker } from 'bullmq';
import type { Job } from 'bullmq';
import { finishCall, pendingCalls, touchCall } from '../cache-store/index.js';
import type { PendingCall } from '../cache-store/index.js';
import { ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import type { EngineMetrics } from './metrics.js';
import type { SqlPort } from './ports.js';

/** A back-end system operation: `system.operation` → handler. Receivers dedupe by `callId`. */
export type BackendHandler = (request: JsonObject, meta: { callId: string; journeyId: string; attempt: number }) => Promise<JsonObject>;
export type BackendRegistry = Record<string, BackendHandler>;

export interface CallOptions {
  /** Attempts before dead-lettering. @defaultValue 5 */
  attempts: number;
  /** First retry delay; doubles each attempt. @defaultValue 200 */
  backoffMs: number;
  /** Jobs run at once on this node. @defaultValue 16 */
  concurrency: number;
}

export const DEFAULT_CALL_OPTIONS: CallOptions = { attempts: 5, backoffMs: 200, concurrency: 16 };

type CallJob = Omit<PendingCall, 'attempts'>;

interface CallDependencies {
  sql: SqlPort;
  logger: Logger;
  metrics: EngineMetrics;
  backends: BackendRegistry;
  /** Accepts the reply (or failure) event; idempotent by key. */
  acceptReply: (input: { journeyId: string; type: string; payload: JsonObject; causedBy: string; idempotencyKey: string }) => Promise<unknown>;
}

export class CallRunner {
  private readonly queue: Queue;
  private readonly worker: QueueWorker | null;
  private readonly log: Logger;

  constructor(
    connections: { queue: unknown; worker: unknown },
    /** A hash-tagged prefix, so every key of the queue lives on one cluster slot. */
    prefix: string,
    private readonly options: CallOptions,
    private readonly deps: CallDependencies,
  ) {
    this.log = deps.logger.child({ component: 'calls' });
    this.queue = new Queue('calls', { connection: connections.queue as never, prefix });
    this.worker =
      connections.worker === null
        ? null
        : new QueueWorker('calls', (job: Job<CallJob>) => this.run(job), { connection: connections.worker as never, prefix, concurrency: options.concurrency });
    this.worker?.on('error', (error) => this.log.warn({ err: error }, 'call worker error'));
  }

  /** Enqueues committed calls; a call already queued (same job id) is not queued twice. */
  async dispatch(calls: CallJob[]): Promise<void> {
    for (const call of calls) {
      await this.queue.add('call', call, {
        jobId: call.outboxId,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { count: 10_000 },
        removeOnFail: { count: 10_000 },
      });
    }
  }

  /** Re-enqueues calls of owned partitions still pending in the store (lost jobs, crashed relays). */
  async sweep(partitions: number[], olderThanMs: number): Promise<void> {
    const pending = await this.deps.sql.read((conn) => pendingCalls(conn, partitions, olderThanMs, 200));
    if (pending.length > 0) await this.dispatch(pending.map(({ attempts: _attempts, ...call }) => call));
  }

  private async run(job: Job<CallJob>): Promise<void> {
    const call = job.data;
    const attempt = job.attemptsMade + 1;
    const log = this.log.child({ journeyId: call.journeyId, callId: call.outboxId, attempt });
    const handler = this.deps.backends[`${call.system}.${call.operation}`];
    try {
      if (!handler) throw new Error(`no back-end handler for ${call.system}.${call.operation}`);
      const answer = await handler(call.request as JsonObject, { callId: call.outboxId, journeyId: call.journeyId, attempt });
      await this.deps.acceptReply({ journeyId: call.journeyId, type: call.replyEvent, payload: answer, causedBy: call.causedBy, idempotencyKey: `call:${call.outboxId}:reply` });
      await this.deps.sql.transaction('call-done', (conn) => finishCall(conn, call.outboxId, 'done', null));
      log.debug('back-end call answered');
    } catch (error) {
      const message = ensureError(error).message;
      await this.deps.sql.transaction('call-attempt', (conn) => touchCall(conn, call.outboxId, message)).catch(() => undefined);
      if (attempt < this.options.attempts && handler) {
        log.warn({ err: ensureError(error) }, 'back-end call failed; will retry');
        throw error;
      }
      // Dead letter: the journey learns of the failure through its failure event.
      this.deps.metrics.deadLettered.inc();
      log.error({ err: ensureError(error) }, 'back-end call dead-lettered');
      await this.deps.acceptReply({
        journeyId: call.journeyId,
        type: call.failureEvent,
        payload: { reason: message.slice(0, 500), attempts: attempt },
        causedBy: call.causedBy,
        idempotencyKey: `call:${call.outboxId}:failure`,
      });
      await this.deps.sql.transaction('call-dead', (conn) => finishCall(conn, call.outboxId, 'dead', message));
    }
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
