/**
 * Dead letters an operator can act on: back-end calls whose retries were spent (kind `call`) and
 * messages between journeys that could never be delivered (kind `message`). Listed and read from
 * the store, retried (the same call or message again, under the same id) or discarded (recorded,
 * never deleted), and counted for alerts (`je_dead_letters{kind}`).
 *
 * What a dead letter means for its journey: when it went dead, the journey got its failure event
 * (a message's: when it names one); that does not change here. A call's retry makes the same
 * call: the back end sees the same `callId`, and its answer is accepted under the same
 * idempotency key (`call:<outbox id>:reply`), so the reply enters the journey at most once —
 * however many times the call is retried or answered, and whichever of two racing runs (a late
 * run of the original job, the retry) answers first. A message's retry delivers the same message
 * under its own idempotency key (`journey:<sending event id>:<n>`): its receiver takes it at most
 * once, whoever delivers it (the retry, the sweep). A retry that fails again goes dead again; the
 * journey does not get a second failure event (its key was used). A discard sends nothing: the
 * journey stays where its failure event left it.
 */
import type { DeadLetterCursor, DeadLetterRecord, PendingCall, PendingMessage } from '../cache-store/index.js';
import { ID_PATTERN, JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';
import type { DeadLetterOperations, DeadLetterQuery, DeadLetterState, DeadLetterSummary, DeadLetterView, Page } from './types.js';

export interface DeadLetterContext {
  journal: JournalPort;
  metrics: EngineMetrics;
  logger: Logger;
  /** Queues retried calls at once; absent on a node without a call queue (the outbox sweep queues them). */
  requeue?: (calls: PendingCall[]) => Promise<void>;
  /** Delivers a retried message now (MessageRelay.deliver: never throws); absent, the sweep of its sender's slot owner does. */
  redeliver?: (message: PendingMessage) => Promise<void>;
  /** Whether the store is taken to answer (the gauge is not read while it is known down). */
  storeUp: () => boolean;
  nowMs: () => number;
}

/** The gauge is read from the store at most this often (scrapes in between see the last count). */
const GAUGE_EVERY_MS = 10_000;
const MAX_LIMIT = 500;
const MAX_NOTE = 500;
/** `<created_at to the µs>|<outbox id>`, base64url: where a listing goes on. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z?)\|([0-9A-HJKMNP-TV-Z]{26})$/;

/** The row's status as an operator reads it. */
const STATES: Record<DeadLetterRecord['status'], DeadLetterState> = {
  dead: 'dead',
  pending: 'retrying',
  done: 'answered',
  delivered: 'delivered',
  discarded: 'discarded',
};

function summary(record: DeadLetterRecord): DeadLetterSummary {
  return {
    id: record.id,
    kind: record.kind,
    status: STATES[record.status],
    journeyId: record.journeyId,
    journeyType: record.journeyType,
    version: record.version,
    ...(record.webhook !== undefined
      ? { system: record.webhook.name, webhook: record.webhook }
      : record.message === undefined
        ? { system: record.system, operation: record.operation }
        : {
            message: {
              kind: record.message.kind,
              targetJourneyId: record.message.targetJourneyId,
              eventType: record.message.eventType,
              ...(record.message.targetType === null ? {} : { targetType: record.message.targetType }),
              ...(record.message.targetVersion === null ? {} : { targetVersion: record.message.targetVersion }),
            },
          }),
    attempts: record.attempts,
    retries: record.retries,
    lastError: record.lastError,
    createdAt: record.createdAt.toISOString(),
    deadAt: record.deadAt.toISOString(),
  };
}

function view(record: DeadLetterRecord): DeadLetterView {
  const { message, ...common } = summary(record);
  return {
    ...common,
    tenant: record.tenant,
    journeyStatus: record.journeyStatus,
    ...(record.webhook !== undefined
      ? {}
      : message === undefined || record.message === undefined
        ? { request: record.request as JsonObject, replyEvent: record.replyEvent }
        : { message: { ...message, payload: record.message.payload as JsonObject, idempotencyKey: record.message.idempotencyKey } }),
    failureEvent: record.failureEvent === '' ? null : record.failureEvent,
    causedBy: record.causedBy,
    ...(record.resolvedBy === null ? {} : { resolvedBy: record.resolvedBy }),
    ...(record.resolvedAt === null ? {} : { resolvedAt: record.resolvedAt.toISOString() }),
    ...(record.note === null ? {} : { note: record.note }),
    delivered: record.delivered,
  };
}

/** What went dead, in a few words: a call's `system.operation`, a message's event and where it went. */
export function describeDeadLetter(letter: Pick<DeadLetterSummary, 'system' | 'operation' | 'message' | 'webhook'>): string {
  const { message, webhook } = letter;
  if (webhook !== undefined) return `webhook ${webhook.name}: ${webhook.eventType || 'event'} ${webhook.eventId}`;
  if (message === undefined) return `${letter.system ?? '?'}.${letter.operation ?? '?'}`;
  if (message.kind === 'send') return `send ${message.eventType ?? '?'} to ${message.targetJourneyId}`;
  const started = `${message.targetType ?? '?'} ${message.targetVersion ?? ''}`.trimEnd();
  return `start ${started}${message.eventType === null ? '' : ` with ${message.eventType}`} as ${message.targetJourneyId}`;
}

function notFound(id: string): JourneyError {
  return new JourneyError('JE_DEAD_LETTER_NOT_FOUND', 'no back-end call, message between journeys or webhook delivery that went dead has that id', {
    details: { id: id.slice(0, 64) },
  });
}

function decodeCursor(cursor: string | undefined): DeadLetterCursor | null {
  if (cursor === undefined || cursor === '') return null;
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw new JourneyError('JE_BAD_REQUEST', 'invalid cursor', { details: { cursor: cursor.slice(0, 64) } });
  return { createdAt: match[1] ?? '', id: match[2] ?? '' };
}

const encodeCursor = (cursor: DeadLetterCursor): string => Buffer.from(`${cursor.createdAt}|${cursor.id}`, 'utf8').toString('base64url');

function cleanNote(note: string | undefined): string | null {
  if (note === undefined) return null;
  const trimmed = note.trim();
  return trimmed === '' ? null : trimmed.slice(0, MAX_NOTE);
}

export class DeadLetters implements DeadLetterOperations {
  private readonly log: Logger;
  private gaugeReadAtMs = Number.NEGATIVE_INFINITY;
  /** Label sets the gauge has shown (bounded by the systems the journeys call). */
  private readonly counted = new Map<string, { kind: string; system: string }>();

  constructor(private readonly context: DeadLetterContext) {
    this.log = context.logger.child({ component: 'dead-letters' });
  }

  async list(query: DeadLetterQuery): Promise<Page<DeadLetterSummary>> {
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new JourneyError('JE_BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIMIT}`);
    const page = await this.context.journal.listDeadLetters({
      status: query.status ?? 'dead',
      ...(query.kind === undefined ? {} : { kind: query.kind }),
      ...(query.system === undefined ? {} : { system: query.system }),
      ...(query.journeyType === undefined ? {} : { journeyType: query.journeyType }),
      after: decodeCursor(query.cursor),
      limit,
    });
    const items = page.records.map(summary);
    return page.next === null ? { items } : { items, nextCursor: encodeCursor(page.next) };
  }

  async get(id: string): Promise<DeadLetterView> {
    if (!ID_PATTERN.test(id)) throw notFound(id);
    const record = await this.context.journal.loadDeadLetter(id);
    if (record === null) throw notFound(id);
    return view(record);
  }

  async retry(id: string, operator: string, note?: string): Promise<DeadLetterView> {
    const retried = await this.resolve(id, 'retry', operator, note);
    if (retried !== null && 'call' in retried && this.context.requeue) {
      // Queued now; if that fails, the row is pending and the outbox sweep queues it.
      await this.context
        .requeue([retried.call])
        .catch((error: unknown) => this.log.warn({ err: ensureError(error), callId: id }, 'retried call not queued; the outbox sweep queues it'));
    }
    // Delivered now (or dead again); what our side cannot do now stays pending for the sweep.
    if (retried !== null && 'message' in retried) await this.context.redeliver?.(retried.message);
    this.log.info({ id, operator }, 'dead letter retried');
    return this.get(id);
  }

  async discard(id: string, operator: string, reason?: string): Promise<DeadLetterView> {
    await this.resolve(id, 'discard', operator, reason);
    this.log.info({ id, operator }, 'dead letter discarded');
    return this.get(id);
  }

  /**
   * Reads the count of dead letters into the gauge, at most every 10 s and not while the store is
   * known down (the last count stays); a failed read is logged and leaves it too.
   */
  async refreshGauge(): Promise<void> {
    const now = this.context.nowMs();
    if (now - this.gaugeReadAtMs < GAUGE_EVERY_MS || !this.context.storeUp()) return;
    this.gaugeReadAtMs = now;
    try {
      const counts = await this.context.journal.deadLetterCounts();
      // A system whose dead letters were all dealt with shows 0 (an alert resolves), not nothing.
      for (const labels of this.counted.values()) this.context.metrics.deadLetters.set(labels, 0);
      for (const { kind, system, count } of counts) {
        this.counted.set(`${kind}\u0000${system}`, { kind, system });
        this.context.metrics.deadLetters.set({ kind, system }, count);
      }
    } catch (error) {
      this.log.debug({ err: ensureError(error) }, 'dead letters not counted; the gauge keeps its last value');
    }
  }

  private async resolve(
    id: string,
    action: 'retry' | 'discard',
    operator: string,
    note: string | undefined,
  ): Promise<{ call: PendingCall } | { message: PendingMessage } | { webhook: true } | null> {
    if (!ID_PATTERN.test(id)) throw notFound(id);
    const resolution = await this.context.journal.resolveDeadLetter(id, action, operator, cleanNote(note));
    switch (resolution.result) {
      case 'not-found':
        throw notFound(id);
      case 'settled':
        throw new JourneyError(
          'JE_DEAD_LETTER_SETTLED',
          `it is ${STATES[resolution.status]}, not dead: ${resolution.status === 'discarded' ? 'it was discarded' : 'it was retried'} already`,
          { details: { id, status: STATES[resolution.status] } },
        );
      case 'discarded':
        return null;
      case 'retried':
        return resolution;
    }
  }
}
