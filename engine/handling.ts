/**
 * Handling one event, as a pure function of the journey's state and the event: what to commit
 * and what to answer. No I/O: the worker commits the result and carries out its effects.
 */
import type { HandlingCommit, JournalEvent, JourneyMessage, Lifecycle, NewEvent } from '../cache-store/index.js';
import { JourneyError } from '../common/index.js';
import { evaluate } from '../dsl/index.js';
import type { CompiledJourney, Effect, EventContext, JsonObject, ProcessorRegistry } from '../dsl/index.js';
import { newId } from './ids.js';
import { toStoredOutcome } from './outcome-changes.js';
import type { EventOutcome } from './types.js';

/** A journey as its owner holds it between events. */
export interface JourneyState {
  typeName: string;
  version: string;
  lifecycle: Lifecycle;
  data: JsonObject | null;
  handledSeq: number;
  /** Lower bound of accepted events; more may exist. */
  acceptedSeq: number;
  /** The slot the journey lives in (its version's lane); an uplift moves it. Absent in older hot copies. */
  slot?: number;
}

export interface HandlingInput {
  journeyId: string;
  partitionNo: number;
  state: JourneyState;
  event: JournalEvent;
  /** The journey's compiled version; undefined when this node does not host it. */
  journey: CompiledJourney;
  processors: ProcessorRegistry;
  nowMs: number;
  /** Inline handling: the event itself, accepted by the same commit. */
  accept?: NewEvent;
  /** With `accept`, an initiating event: the journey this commit creates. */
  create?: HandlingCommit['create'];
}

/** What handling an event decided: the commit, the answer, and the state after it. */
export interface HandlingDecision {
  commit: HandlingCommit;
  outcome: EventOutcome;
  /** The journey's data and lifecycle once the commit holds. */
  data: JsonObject | null;
  lifecycle: Lifecycle;
}

export function decideHandling(input: HandlingInput): HandlingDecision {
  const { state, event, journey, nowMs } = input;
  const evaluation = evaluate(
    journey,
    {
      data: state.data,
      // The ids of the journeys this event starts are derived from it: the same on a retry.
      eventId: event.eventId,
      event: { type: event.type, payload: event.payload as JsonObject },
      context: event.context as unknown as EventContext,
      nowMs,
    },
    input.processors,
  );
  const applied = evaluation.outcome === 'applied';
  const data = evaluation.outcome === 'applied' ? evaluation.data : state.data;
  let lifecycle: Lifecycle = state.lifecycle;
  if (state.lifecycle === 'pending') lifecycle = applied ? 'active' : 'failed';

  const emitted = evaluation.outcome === 'applied' ? evaluation.emitted : [];
  // Emitted events this journey itself handles are appended to its inbox by the same commit.
  const feedback: NewEvent[] = emitted
    .filter((e) => journey.events[e.type]?.handled)
    .map((e) => ({
      eventId: newId(),
      type: e.type,
      payloadJson: JSON.stringify(e.payload),
      contextJson: JSON.stringify({ ...(event.context as object), origin: 'emitted' }),
      origin: 'emitted' as const,
      causedBy: event.eventId,
      idempotencyKey: null,
      requestHash: null,
    }));
  const effects: Effect[] = evaluation.outcome === 'applied' ? evaluation.effects : [];
  const outcome: EventOutcome = {
    eventId: event.eventId,
    journeyId: input.journeyId,
    outcome: evaluation.outcome,
    ...(evaluation.outcome === 'rejected'
      ? {
          rejection: {
            code: evaluation.code,
            message: evaluation.message,
            ...(evaluation.rule ? { rule: evaluation.rule } : {}),
            ...(evaluation.beadId ? { beadId: evaluation.beadId } : {}),
          },
        }
      : { beadId: evaluation.beadId }),
    seq: state.handledSeq + 1,
    data,
    emitted,
    handledAt: new Date(nowMs).toISOString(),
  };
  const commit: HandlingCommit = {
    journeyId: input.journeyId,
    partitionNo: input.partitionNo,
    eventId: event.eventId,
    eventType: event.type,
    expectedHandledSeq: state.handledSeq,
    status: evaluation.outcome,
    lifecycle,
    dataJson: applied ? JSON.stringify(data) : null,
    // What the event changed, not a copy of the journey's data (which the journey row holds).
    outcomeJson: JSON.stringify(toStoredOutcome(outcome, state.data)),
    feedback,
    ...(input.accept ? { accept: input.accept } : {}),
    ...(input.create ? { create: input.create } : {}),
    timersToStart: effects.flatMap((effect) =>
      effect.kind === 'startTimer'
        ? [
            {
              timerId: newId(),
              name: effect.timer,
              fireAtMs: effect.fireAtMs,
              eventType: effect.event.type,
              payloadJson: JSON.stringify(effect.event.payload),
              cancelOn: effect.unless,
            },
          ]
        : [],
    ),
    timersToCancel: effects.flatMap((effect) => (effect.kind === 'cancelTimer' ? [effect.timer] : [])),
    // Only an event that happened (applied) cancels timers waiting for it; a refused one did not.
    cancelTimersOnEvent: applied && journey.timers.some((t) => t.unless.includes(event.type)),
    calls: effects.flatMap((effect) =>
      effect.kind === 'call'
        ? [
            {
              outboxId: newId(),
              system: effect.system,
              operation: effect.operation,
              requestJson: JSON.stringify(effect.request),
              replyEvent: effect.replyEvent,
              failureEvent: effect.failureEvent,
            },
          ]
        : [],
    ),
  };
  const messages = journeyMessages(event.eventId, effects);
  if (messages.length > 0) commit.messages = messages;
  const published = emitted
    .filter((e) => journey.events[e.type]?.published)
    .map((e) => ({ eventId: newId(), eventType: e.type, payloadJson: JSON.stringify(e.payload), typeName: journey.name, typeVersion: journey.version }));
  if (published.length > 0) commit.published = published;
  return { commit, outcome, data, lifecycle };
}

/**
 * The messages of an outcome to other journeys, in step order. Each is accepted by its receiver
 * under the key `journey:<sending event id>:<n>`: whatever delivers it again (a retry, the sweep
 * after a crash), it becomes one event.
 */
function journeyMessages(eventId: string, effects: readonly Effect[]): JourneyMessage[] {
  const messages: JourneyMessage[] = [];
  for (const effect of effects) {
    if (effect.kind !== 'send' && effect.kind !== 'start') continue;
    messages.push({
      messageId: newId(),
      kind: effect.kind,
      targetJourneyId: effect.journeyId,
      targetType: effect.kind === 'start' ? effect.journeyType : null,
      targetVersion: effect.kind === 'start' ? effect.version : null,
      eventType: effect.event.type,
      payloadJson: JSON.stringify(effect.event.payload),
      failureEvent: effect.failureEvent ?? null,
      idempotencyKey: `journey:${eventId}:${messages.length + 1}`,
    });
  }
  return messages;
}

/**
 * The terminal rejection of an event whose outcome the store refused: the journey's data stays
 * as it was, nothing is emitted, started or called, and the outcome is small enough to store.
 */
export function refusalOf(refused: HandlingCommit, state: JourneyState, error: Error, nowMs: number): HandlingDecision {
  const outcome: EventOutcome = {
    eventId: refused.eventId,
    journeyId: refused.journeyId,
    outcome: 'rejected',
    rejection: { code: 'STORE_REFUSED', message: `the outcome cannot be stored: ${error.message.slice(0, 300)}` },
    seq: state.handledSeq + 1,
    data: null,
    emitted: [],
    handledAt: new Date(nowMs).toISOString(),
  };
  const lifecycle: Lifecycle = state.lifecycle === 'pending' ? 'failed' : state.lifecycle;
  const commit: HandlingCommit = {
    ...refused,
    status: 'rejected',
    lifecycle,
    dataJson: null,
    outcomeJson: JSON.stringify(toStoredOutcome(outcome, state.data)),
    feedback: [],
    timersToStart: [],
    timersToCancel: [],
    cancelTimersOnEvent: false,
    calls: [],
  };
  delete commit.messages;
  delete commit.published;
  return { commit, outcome, data: state.data, lifecycle };
}

/** Room in a packet for the statement's text and its other parameters. */
const STATEMENT_OVERHEAD_BYTES = 64 * 1024;

/**
 * Why `commit` can never be stored, or null: the first statement that would not fit in one
 * packet. Such a statement is never sent (the server would drop the connection mid-write, which
 * looks like the store going down).
 */
export function oversizedStatement(commit: HandlingCommit, maxBytes: number): JourneyError | null {
  const limit = maxBytes - STATEMENT_OVERHEAD_BYTES;
  // JSON text is at most 3 bytes per UTF-16 unit; measure exactly only what might not fit.
  const bytes = (...texts: Array<string | null>): number =>
    texts.reduce((sum, text) => sum + (text === null ? 0 : text.length * 3 <= limit ? text.length : Buffer.byteLength(text)), 0);
  let what: string | null = null;
  if (bytes(commit.dataJson) > limit) what = "the journey's data";
  else if (bytes(commit.outcomeJson, commit.accept?.payloadJson ?? null, commit.accept?.contextJson ?? null) > limit) what = "the event's outcome";
  else if (commit.feedback.some((event) => bytes(event.payloadJson, event.contextJson) > limit)) what = 'an emitted event';
  else if (commit.timersToStart.some((timer) => bytes(timer.payloadJson) > limit)) what = "a timer's event";
  else if (commit.calls.some((call) => bytes(call.requestJson) > limit)) what = 'a back-end request';
  else if ((commit.messages ?? []).some((message) => bytes(message.payloadJson) > limit)) what = 'an event for another journey';
  else if ((commit.published ?? []).some((published) => bytes(published.payloadJson) > limit)) what = 'a published event';
  return what === null ? null : new JourneyError('JE_STORE_QUERY_FAILED', `${what} is larger than the store's max_allowed_packet (${maxBytes} bytes)`);
}
