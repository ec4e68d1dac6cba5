/**
 * Running a scenario: one journey instance driven step by step through the pure evaluator, with
 * what the engine would do around it done here in memory — the API's checks before an event is
 * accepted, emitted events the journey handles fed back, timers kept and fired as the clock
 * advances, back-end calls kept until the scenario answers them. Pure and deterministic: the
 * clock is the scenario's, and nothing is read or written.
 *
 * Where this follows the engine: the API's order of checks (engine/intake.ts: the event type,
 * initiating or not, the payload's schema, then the context-only rules as a 403); the handling
 * commit (engine/handling.ts, cache-store/journal-handling.ts: feedback events appended behind
 * their cause with the cause's context and origin `emitted`; an applied event cancels the timers
 * that list it in `unless` and those its bead cancels, then starts its own, a timer started again
 * replacing the running one of its name); timers firing with `SYSTEM_CONTEXTS.timer`
 * (engine/timer-firing.ts); replies and failures with `SYSTEM_CONTEXTS.backend`, validated
 * against the reply's schema, a failure carrying `{ reason, attempts }` (engine/calls.ts).
 *
 * Events between journeys (`send`, `reply`, `start`) are recorded, not delivered: a scenario
 * follows one journey, and says what other journeys answer with `receive` steps (the context the
 * engine records: `journeyContext`, or `SYSTEM_CONTEXTS.journey` for an undelivered message's
 * failure event). Each handled event gets an id derived from its place in the scenario, so the ids
 * of the journeys a `start` creates are the same in every run.
 */
import type { ErrorCode } from '../common/index.js';
import { ERROR_CODES } from '../common/index.js';
import { journeyContext, SYSTEM_CONTEXTS } from './analysis-model.js';
import type { EventOrigin } from './analysis-model.js';
import { checkAtEdge, evaluate } from './evaluator.js';
import type { CompiledJourney, EventContext, JsonObject, ProcessorRegistry } from './ir.js';
import { checkStep } from './scenario-expect.js';
import { MAX_EVENTS_PER_STEP } from './scenario-model.js';
import type { OpenCall, ReceivedFrom, Scenario, ScenarioProblem, ScenarioStep, ScheduledTimer, StepTrace } from './scenario-model.js';
import { startedJourneyId } from './started-ids.js';
import { journeyValidators } from './validation.js';

export interface ScenarioRun {
  /** The problems found, each with the 1-based step it is in; empty when the scenario passed. */
  problems: Array<ScenarioProblem & { step?: number }>;
  /** The steps carried out, up to and including the first that failed. */
  traces: StepTrace[];
}

class StepFailed extends Error {
  override name = 'StepFailed';
}

interface PendingEvent {
  type: string;
  payload: JsonObject;
  context: EventContext;
  origin: EventOrigin;
}

/** One journey instance and what the engine keeps beside it (timers, open calls), in memory. */
class JourneySimulation {
  exists = false;
  data: JsonObject | null = null;
  timers: ScheduledTimer[] = [];
  calls: OpenCall[] = [];
  private order = 0;
  /** Events handled so far: each gets an id derived from it, as the journeys a `start` creates are named from their event's id. */
  private handledCount = 0;
  /** Every journey this one started, in order (`from: { started: n }`, `to: { started: n }`). */
  readonly startedJourneys: Array<{ journeyId: string; journeyType: string }> = [];
  private trace!: StepTrace;

  constructor(
    private readonly journey: CompiledJourney,
    private readonly processors: ProcessorRegistry,
    public nowMs: number,
  ) {}

  /** Starts from a journey that already holds `data` (no initiating event). */
  startFrom(data: JsonObject): void {
    this.exists = true;
    this.data = structuredClone(data);
  }

  run(step: ScenarioStep): StepTrace {
    this.trace = {
      handled: [],
      emitted: [],
      started: [],
      cancelled: [],
      fired: [],
      calls: [],
      messages: [],
      data: null,
      exists: false,
      scheduled: [],
      startedJourneyIds: [],
      nowMs: this.nowMs,
    };
    switch (step.kind) {
      case 'send':
        this.send(step.event, step.payload, step.context);
        break;
      case 'reply':
      case 'fail':
        this.answer(step);
        break;
      case 'receive':
        this.receive(step);
        break;
      case 'advance':
        this.advance(this.nowMs + step.byMs);
        break;
    }
    const trace = this.trace;
    trace.data = this.data === null ? null : structuredClone(this.data);
    trace.exists = this.exists;
    trace.scheduled = this.byTime(this.timers);
    trace.startedJourneyIds = this.startedJourneys.map((started) => started.journeyId);
    trace.nowMs = this.nowMs;
    return trace;
  }

  private refuse(code: ErrorCode, message: string): void {
    this.trace.refusal = { code, status: ERROR_CODES[code].httpStatus, message };
  }

  /** What `POST /journeys/{type}` (before the journey exists) or `POST /journeys/{id}/events` does. */
  private send(type: string, payload: JsonObject, context: EventContext): void {
    const { journey } = this;
    const definition = journey.events[type];
    if (!definition) {
      const known = Object.keys(journey.events).filter((e) => journey.events[e]?.handled);
      this.refuse('JE_EVENT_TYPE_UNKNOWN', `${journey.name} ${journey.version} has no event ${JSON.stringify(type)} (it handles ${known.join(', ')})`);
      return;
    }
    if (!this.exists && !definition.initiating) {
      const initiating = Object.keys(journey.events).filter((e) => journey.events[e]?.initiating);
      this.refuse(
        'JE_EVENT_NOT_INITIATING',
        `${type} does not start a ${journey.name} journey, and this scenario's journey has not started (start it with ${initiating.join(' or ')})`,
      );
      return;
    }
    if (this.exists && definition.initiating && !definition.handled) {
      this.refuse('JE_EVENT_INITIATING', `${type} starts a new journey; it cannot target an existing one`);
      return;
    }
    const violations = journeyValidators(journey).validate(type, payload);
    if (violations.length > 0) {
      this.refuse('JE_EVENT_INVALID', `${type} payload is invalid: ${violations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ')}`);
      return;
    }
    const refusal = checkAtEdge(journey, type, context);
    if (refusal) {
      this.refuse('JE_ACCESS_DENIED', refusal.message);
      return;
    }
    this.exists = true;
    this.handleWithFeedback({ type, payload, context: { ...context, origin: 'api' }, origin: 'api' });
  }

  /** A back end answering the oldest open call of `system.operation`: its reply, or its failure event once retries are spent. */
  private answer(step: Extract<ScenarioStep, { kind: 'reply' | 'fail' }>): void {
    const index = this.calls.findIndex((call) => call.call === step.call);
    const call = this.calls[index];
    if (call === undefined) {
      const open = this.calls.map((c) => c.call);
      throw new StepFailed(
        `no open call of ${step.call} to ${step.kind === 'reply' ? 'answer' : 'fail'}${open.length > 0 ? ` (open: ${open.join(', ')})` : ' (no call is open)'}`,
      );
    }
    const type = step.kind === 'reply' ? call.replyEvent : call.failureEvent;
    const payload: JsonObject = step.kind === 'reply' ? step.payload : { reason: step.reason.slice(0, 500), attempts: step.attempts };
    const violations = journeyValidators(this.journey).validate(type, payload);
    if (violations.length > 0) {
      // The engine counts such an answer as the back end failing, and asks again: the call stays open.
      this.refuse('JE_EVENT_INVALID', `${type} payload is invalid: ${violations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ')}`);
      return;
    }
    this.calls.splice(index, 1);
    this.handleWithFeedback({ type, payload, context: { ...SYSTEM_CONTEXTS.backend, roles: [...SYSTEM_CONTEXTS.backend.roles] }, origin: 'backend' });
  }

  /**
   * An event from another journey (`send`, `reply`, `start`), or the engine's failure event of a
   * message it could not deliver (`from: system`). Like a back end's reply: checked against its
   * schema, not against senders' rules at the edge; the context is the one the engine records
   * (`journeyContext`, `SYSTEM_CONTEXTS.journey`).
   */
  private receive(step: Extract<ScenarioStep, { kind: 'receive' }>): void {
    const { journey } = this;
    const definition = journey.events[step.event];
    if (!definition) {
      this.refuse('JE_EVENT_TYPE_UNKNOWN', `${journey.name} ${journey.version} has no event ${JSON.stringify(step.event)}`);
      return;
    }
    if (!this.exists && !definition.initiating) {
      this.refuse('JE_EVENT_NOT_INITIATING', `${step.event} does not start a ${journey.name} journey, and this scenario's journey has not started`);
      return;
    }
    const violations = journeyValidators(journey).validate(step.event, step.payload);
    if (violations.length > 0) {
      this.refuse('JE_EVENT_INVALID', `${step.event} payload is invalid: ${violations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ')}`);
      return;
    }
    this.exists = true;
    this.handleWithFeedback({ type: step.event, payload: step.payload, context: this.senderOf(step.from), origin: 'journey' });
  }

  /** The context of an event from `from`: a journey this one started is known by its place in the start order. */
  private senderOf(from: ReceivedFrom): EventContext {
    if (from === 'system') return { ...SYSTEM_CONTEXTS.journey, roles: [...SYSTEM_CONTEXTS.journey.roles] };
    if (from.started !== undefined) {
      const started = this.startedJourneys[from.started - 1];
      if (started === undefined) {
        throw new StepFailed(
          `the journey has started ${this.startedJourneys.length} journey${this.startedJourneys.length === 1 ? '' : 's'}, not ${from.started}`,
        );
      }
      return journeyContext(started.journeyId, started.journeyType);
    }
    const type = from.journeyType ?? 'unknown/journey';
    // A journey not named by its id gets one derived from its type: the same in every run.
    return journeyContext(from.journeyId ?? startedJourneyId(`scenario-peer:${type}`, 0, 0), type);
  }

  /** Moves the clock to `targetMs`, firing each timer due on the way at its time, in time order. */
  private advance(targetMs: number): void {
    for (;;) {
      const due = this.byTime(this.timers.filter((timer) => timer.fireAtMs <= targetMs))[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.nowMs = Math.max(this.nowMs, due.fireAtMs);
      this.trace.fired.push(due);
      this.handleWithFeedback({
        type: due.event,
        payload: due.payload,
        context: { ...SYSTEM_CONTEXTS.timer, roles: [...SYSTEM_CONTEXTS.timer.roles] },
        origin: 'timer',
      });
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
  }

  private byTime(timers: ScheduledTimer[]): ScheduledTimer[] {
    return [...timers].sort((a, b) => a.fireAtMs - b.fireAtMs || a.order - b.order);
  }

  /** Handles an event, then the events it emits that the journey handles, and theirs, in inbox order. */
  private handleWithFeedback(first: PendingEvent): void {
    const inbox: PendingEvent[] = [first];
    for (let next = inbox.shift(); next !== undefined; next = inbox.shift()) {
      if (this.trace.handled.length >= MAX_EVENTS_PER_STEP) {
        throw new StepFailed(`the step handled ${MAX_EVENTS_PER_STEP} events and more were coming (${next.type}): does the journey feed itself forever?`);
      }
      inbox.push(...this.handle(next));
    }
  }

  /** Evaluates one event and applies its outcome; returns the emitted events the journey handles itself. */
  private handle(event: PendingEvent): PendingEvent[] {
    const { journey } = this;
    // Like the engine's event ids, a ULID of the time it is handled; its random part a hash of its place in the scenario.
    const eventId = startedJourneyId('scenario-event', (this.handledCount += 1), this.nowMs);
    const evaluation = evaluate(
      journey,
      { data: this.data, eventId, event: { type: event.type, payload: event.payload }, context: event.context, nowMs: this.nowMs },
      this.processors,
    );
    if (evaluation.outcome === 'rejected') {
      this.trace.handled.push({
        type: event.type,
        payload: event.payload,
        origin: event.origin,
        outcome: 'rejected',
        code: evaluation.code,
        message: evaluation.message,
        atMs: this.nowMs,
        emitted: [],
      });
      return [];
    }
    this.data = evaluation.data;
    this.trace.handled.push({
      type: event.type,
      payload: event.payload,
      origin: event.origin,
      outcome: 'applied',
      atMs: this.nowMs,
      emitted: evaluation.emitted,
    });
    this.trace.emitted.push(...evaluation.emitted);

    // Cancelled first (by name, and by `unless` for an applied event), then started: the commit's order.
    const cancelNames = new Set(evaluation.effects.flatMap((effect) => (effect.kind === 'cancelTimer' ? [effect.timer] : [])));
    const cancelOnEvent = journey.timers.some((timer) => timer.unless.includes(event.type));
    this.cancelWhere((timer) => cancelNames.has(timer.name) || (cancelOnEvent && timer.unless.includes(event.type)));
    for (const effect of evaluation.effects) {
      if (effect.kind === 'startTimer') {
        this.cancelWhere((timer) => timer.name === effect.timer);
        const timer: ScheduledTimer = {
          name: effect.timer,
          event: effect.event.type,
          payload: effect.event.payload,
          fireAtMs: effect.fireAtMs,
          startedAtMs: this.nowMs,
          unless: [...effect.unless],
          order: (this.order += 1),
        };
        this.timers.push(timer);
        this.trace.started.push(timer);
      } else if (effect.kind === 'send') {
        this.trace.messages.push({ kind: 'send', to: effect.journeyId, type: effect.event.type, payload: effect.event.payload });
      } else if (effect.kind === 'start') {
        this.startedJourneys.push({ journeyId: effect.journeyId, journeyType: effect.journeyType });
        this.trace.messages.push({
          kind: 'start',
          journeyId: effect.journeyId,
          journeyType: effect.journeyType,
          version: effect.version,
          type: effect.event.type,
          payload: effect.event.payload,
        });
      } else if (effect.kind === 'call') {
        const call: OpenCall = {
          call: `${effect.system}.${effect.operation}`,
          request: effect.request,
          replyEvent: effect.replyEvent,
          failureEvent: effect.failureEvent,
        };
        this.calls.push(call);
        this.trace.calls.push(call);
      }
    }
    return evaluation.emitted
      .filter((emitted) => journey.events[emitted.type]?.handled)
      .map((emitted) => ({ type: emitted.type, payload: emitted.payload, context: { ...event.context, origin: 'emitted' }, origin: 'emitted' }));
  }

  private cancelWhere(predicate: (timer: ScheduledTimer) => boolean): void {
    const cancelled = this.timers.filter(predicate);
    if (cancelled.length === 0) return;
    this.timers = this.timers.filter((timer) => !predicate(timer));
    this.trace.cancelled.push(...cancelled);
  }
}

/**
 * Runs one scenario against a compiled journey and its action processors. Stops at the first step
 * that fails (later steps would start from a state the scenario did not mean); every problem of
 * that step is reported.
 */
export function runScenario(journey: CompiledJourney, scenario: Scenario, processors: ProcessorRegistry = {}): ScenarioRun {
  const simulation = new JourneySimulation(journey, processors, scenario.startMs);
  const run: ScenarioRun = { problems: [], traces: [] };
  if (scenario.data !== undefined) {
    const violations = journeyValidators(journey).validateData(scenario.data);
    if (violations.length > 0) {
      const list = violations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ');
      run.problems.push({ code: 'step-failed', message: `the scenario's data does not fit the data schema: ${list}`, at: [...scenario.path, 'data'] });
      return run;
    }
    simulation.startFrom(scenario.data);
  }
  scenario.steps.forEach((step, index) => {
    if (run.problems.length > 0) return;
    let trace: StepTrace;
    try {
      trace = simulation.run(step);
    } catch (thrown: unknown) {
      const message = thrown instanceof StepFailed ? thrown.message : `the step could not run: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
      run.problems.push({ code: 'step-failed', message, at: [...step.path, step.kind], step: index + 1 });
      return;
    }
    run.traces.push(trace);
    for (const problem of checkStep(step, trace)) run.problems.push({ ...problem, step: index + 1 });
  });
  return run;
}
