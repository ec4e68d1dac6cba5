/**
 * Reconciliation with a back end: the outbox's calls of one system, compared with what the back
 * end says it did (its adapter's `query`, asked by call id), from the system's high-water mark on.
 *
 * A lost reply (the back end did the call, its journey never got the answer: the call is dead, or
 * still pending) is repaired the way the relay delivers any reply: accepted as the journey's reply
 * event under the call's reply key (`call:<outbox id>:reply`), then the call is `done`. The key makes
 * the reply enter the journey once, whoever gets there first: the relay, a dead letter's retry, or
 * two reconciliations running at once. Other disagreements need a person and are only reported.
 *
 * The mark moves over every call that needs nothing more: it stops at the first call still
 * pending or with a lost reply not yet repaired, so the next run looks at those again. A run with
 * `since` looks again from then and moves the mark only when it started at or before it.
 */
import type { OutboxCursor, ReconcileCall } from '../cache-store/index.js';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { JsonObject } from '../dsl/index.js';
import { queryOf } from './backend-query.js';
import type { BackendCallRecord, BackendQuery } from './backend-query.js';
import type { BackendRegistry } from './calls.js';
import type { JournalPort } from './ports.js';
import type { ReconcileMark, ReconcileMismatch, ReconcileReport, ReconcileRequest } from './reconcile-types.js';

export interface ReconcileContext {
  journal: JournalPort;
  logger: Logger;
  /** This node's back-end handlers; a system can be reconciled when each of its handlers has `query`. */
  backends: BackendRegistry;
  /** Accepts a reply as its journey's event, idempotent by key (the relay's own path). */
  acceptReply: (input: { journeyId: string; type: string; payload: JsonObject; causedBy: string; idempotencyKey: string }) => Promise<{ eventId: string }>;
}

/** Calls asked about at once. */
const PAGE = 200;
const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;
const REPAIR_NOTE = 'reconciled: the back end had done the call; its reply was replayed';

/** The key the call's own run (calls.ts) accepts its reply under: whoever delivers first, it enters once. */
const replyKey = (outboxId: string): string => `call:${outboxId}:reply`;
const before = (a: OutboxCursor, b: OutboxCursor): boolean => a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.outboxId < b.outboxId);
const markOf = (cursor: OutboxCursor | null): ReconcileMark | null => (cursor === null ? null : { createdAt: iso(cursor.createdAt), callId: cursor.outboxId });
/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, the store's) as ISO; the µs are kept. */
const iso = (createdAt: string): string => `${createdAt.replace(' ', 'T')}Z`;

function unsupported(system: string, why: string): JourneyError {
  return new JourneyError('JE_RECONCILE_UNSUPPORTED', `back end ${system} cannot be reconciled: ${why}`, { details: { system: system.slice(0, 128) } });
}

/** Where a run with `since` starts: just before the first call made at that time. */
function sinceCursor(since: string): OutboxCursor {
  const ms = Date.parse(since);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(since) || Number.isNaN(ms)) {
    throw new JourneyError('JE_BAD_REQUEST', 'since must be an ISO date-time, e.g. 2026-06-01T00:00:00Z', { details: { since: since.slice(0, 64) } });
  }
  return { createdAt: new Date(ms).toISOString().replace('T', ' ').replace('Z', '000'), outboxId: '' };
}

/** How the outbox and the back end disagree about a call; null when they agree (or the call is still on its way). */
function compare(entry: ReconcileCall, record: BackendCallRecord): ReconcileMismatch | null {
  const { call, status } = entry;
  let kind: ReconcileMismatch['kind'] | null = null;
  if (record.status === 'done') kind = status === 'done' ? null : status === 'discarded' ? 'discarded-but-done' : 'lost-reply';
  else if (status === 'done') kind = record.status === 'failed' ? 'failed-at-backend' : 'unknown-to-backend';
  if (kind === null) return null;
  return {
    kind,
    callId: call.outboxId,
    journeyId: call.journeyId,
    operation: call.operation,
    createdAt: iso(entry.at.createdAt),
    outbox: status,
    backend: record.status,
    ...(record.status === 'failed' ? { reason: record.reason } : {}),
    repaired: false,
  };
}

/** A record as the adapter gave it, checked: anything else is the back end's failure. */
function checked(name: string, value: unknown): BackendCallRecord {
  const record = value as Partial<{ status: unknown; reply: unknown; reason: unknown }> | null | undefined;
  if (record === undefined || record === null || record.status === 'unknown') return { status: 'unknown' };
  if (record.status === 'done' && typeof record.reply === 'object' && record.reply !== null && !Array.isArray(record.reply)) {
    return { status: 'done', reply: record.reply as JsonObject };
  }
  if (record.status === 'failed') return { status: 'failed', reason: typeof record.reason === 'string' ? record.reason.slice(0, 500) : 'failed' };
  throw new JourneyError('JE_BACKEND_FAILED', `${name}: its query answered a record that is not done (with a reply object), failed or unknown`, {
    details: { call: name },
  });
}

export class Reconciler {
  private readonly log: Logger;

  constructor(private readonly context: ReconcileContext) {
    this.log = context.logger.child({ component: 'reconcile' });
  }

  async reconcile(system: string, request: ReconcileRequest, operator: string): Promise<ReconcileReport> {
    const handlers = this.handlersOf(system);
    const limit = request.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new JourneyError('JE_BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIMIT}`);
    const repair = request.repair === true;
    const { journal } = this.context;
    const mark = await journal.reconcileMark(system);
    const from = request.since === undefined ? mark : sinceCursor(request.since);
    // A run that starts behind the mark (or at it) has seen every call the mark would pass over.
    const covers = mark === null ? from === null : from !== null && !before(mark, from);
    const mismatches: ReconcileMismatch[] = [];
    let after = from;
    let checkedCalls = 0;
    let settledUpTo: OutboxCursor | null = null;
    let open = false;
    for (;;) {
      const want = Math.min(PAGE, limit - checkedCalls);
      const page = await journal.callsOfSystem(system, after, want);
      const records = await this.ask(system, handlers, page);
      for (const entry of page) {
        const record = records.get(entry.call.outboxId) ?? { status: 'unknown' };
        const mismatch = compare(entry, record);
        if (mismatch?.kind === 'lost-reply' && repair && record.status === 'done') await this.replay(entry, record.reply, mismatch, operator);
        if (mismatch) mismatches.push(mismatch);
        open ||= mismatch?.repaired !== true && (entry.status === 'pending' || mismatch?.kind === 'lost-reply');
        if (!open) settledUpTo = entry.at;
      }
      checkedCalls += page.length;
      const last = page[page.length - 1];
      if (page.length < want || !last || checkedCalls >= limit) break;
      after = last.at;
    }
    let newMark = mark;
    if (covers && settledUpTo !== null && (mark === null || before(mark, settledUpTo))) {
      await journal.advanceReconcileMark(system, settledUpTo);
      newMark = settledUpTo;
    }
    const report: ReconcileReport = {
      system,
      repair,
      from: markOf(from),
      mark: markOf(newMark),
      checked: checkedCalls,
      more: checkedCalls >= limit,
      mismatches,
    };
    const log = mismatches.length === 0 ? 'info' : 'warn';
    this.log[log](
      { system, operator, checked: checkedCalls, mismatches: mismatches.length, repaired: mismatches.filter((m) => m.repaired).length },
      'back end reconciled',
    );
    return report;
  }

  /** The system's handlers; each must be able to say what the back end did (`query`). */
  private handlersOf(system: string): Map<string, BackendQuery | undefined> {
    const handlers = new Map<string, BackendQuery | undefined>();
    for (const [name, handler] of Object.entries(this.context.backends)) {
      if (name.slice(0, name.indexOf('.')) === system) handlers.set(name.slice(name.indexOf('.') + 1), queryOf(handler));
    }
    if (handlers.size === 0) throw unsupported(system, 'no back end of that name is configured on this node');
    const without = [...handlers].filter(([, query]) => query === undefined).map(([operation]) => `${system}.${operation}`);
    if (without.length > 0) throw unsupported(system, `the adapter of ${without.join(', ')} has no query (it cannot say what the back end did)`);
    return handlers;
  }

  /** What the back end did with each of these calls, asked per operation. */
  private async ask(system: string, handlers: Map<string, BackendQuery | undefined>, page: ReconcileCall[]): Promise<Map<string, BackendCallRecord>> {
    const byOperation = new Map<string, string[]>();
    for (const { call } of page) byOperation.set(call.operation, [...(byOperation.get(call.operation) ?? []), call.outboxId]);
    const records = new Map<string, BackendCallRecord>();
    for (const [operation, ids] of byOperation) {
      const name = `${system}.${operation}`;
      const query = handlers.get(operation);
      if (!query) throw unsupported(system, `calls of ${name} were made, and no adapter of ${name} is configured here to ask about them`);
      let answer: Record<string, unknown>;
      try {
        answer = await query(ids);
      } catch (error) {
        throw new JourneyError('JE_BACKEND_FAILED', `${name}: its query failed: ${ensureError(error).message}`, { cause: error, details: { call: name } });
      }
      for (const id of ids) records.set(id, checked(name, answer[id]));
    }
    return records;
  }

  /** Accepts the reply the back end had given, as the relay would have, and settles the call. */
  private async replay(entry: ReconcileCall, reply: JsonObject, mismatch: ReconcileMismatch, operator: string): Promise<void> {
    const { call } = entry;
    try {
      const accepted = await this.context.acceptReply({
        journeyId: call.journeyId,
        type: call.replyEvent,
        payload: reply,
        causedBy: call.causedBy,
        idempotencyKey: replyKey(call.outboxId),
      });
      await this.context.journal.settleReplayedCall(call.outboxId, operator, REPAIR_NOTE);
      mismatch.repaired = true;
      mismatch.eventId = accepted.eventId;
      this.log.info({ callId: call.outboxId, journeyId: call.journeyId, eventId: accepted.eventId, operator }, 'lost reply replayed');
    } catch (error) {
      mismatch.error = ensureError(error).message.slice(0, 500);
      this.log.warn({ err: ensureError(error), callId: call.outboxId, journeyId: call.journeyId }, 'lost reply not replayed; the next run tries again');
    }
  }
}
