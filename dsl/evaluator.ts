/**
 * The evaluator: (journey, data, event, context, now) → applied (new data, emitted events, effects)
 * or rejected. Pure and deterministic: no I/O, the input is never mutated, and problems with user
 * data never throw — they become `ACTION_FAILED` (or a failed precondition, or `INVALID_TIMER`
 * when a timer's time from data is not one).
 */
import type {
  AccessRule,
  Bead,
  CompiledJourney,
  Effect,
  EmittedEvent,
  EvaluationInput,
  Evaluation,
  EventContext,
  Json,
  JsonObject,
  Precondition,
  ProcessorRegistry,
  RejectionCode,
  Step,
} from './ir.js';
import { exprText } from './expression-text.js';
import { contextAsJson, EvaluationError, evalExpr, readsOnly } from './expressions.js';
import type { Scope } from './expressions.js';
import { isJsonObject } from './json-values.js';
import { startedJourneyId } from './started-ids.js';
import { InvalidTimer, timerFireAtMs } from './timer-times.js';
import { journeyValidators } from './validation.js';

type Rejection = Extract<Evaluation, { outcome: 'rejected' }>;

/** The more specific a rejection, the higher: the one reported when no bead applies. */
const SPECIFICITY: Record<RejectionCode, number> = { NO_MATCHING_BEAD: 0, PRECONDITION_FAILED: 1, ACCESS_DENIED: 2, ACTION_FAILED: 3, INVALID_TIMER: 3 };

function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** Runs a condition; an evaluation error counts as "does not hold", with the reason. */
function holds(condition: AccessRule['condition'], scope: Scope): { ok: true } | { ok: false; why?: string } {
  try {
    const value = evalExpr(condition, scope);
    return value === true ? { ok: true } : { ok: false };
  } catch (thrown: unknown) {
    return { ok: false, why: thrown instanceof EvaluationError ? thrown.message : `unexpected error: ${errorMessage(thrown)}` };
  }
}

function accessDenied(bead: Bead, context: EventContext): Rejection {
  const rules = bead.access.map((rule) => rule.text).join(' or ');
  return {
    outcome: 'rejected',
    code: 'ACCESS_DENIED',
    message: `${context.sender || 'the sender'} may not send ${bead.on} here (requires ${rules})`,
    beadId: bead.id,
    rule: rules,
  };
}

function preconditionFailed(bead: Bead, precondition: Precondition, why?: string): Rejection {
  return {
    outcome: 'rejected',
    code: 'PRECONDITION_FAILED',
    message: `${bead.on} rejected: precondition failed: ${precondition.text}${why === undefined ? '' : ` (${why})`}`,
    beadId: bead.id,
    rule: precondition.text,
  };
}

class ActionFailure extends Error {
  override name = 'ActionFailure';
}

interface Run {
  data: JsonObject;
  emitted: EmittedEvent[];
  effects: Effect[];
  /** Journeys started so far: the next one's position, from which its id is derived. */
  started: number;
}

function assign(data: JsonObject, path: readonly string[], value: Json): void {
  let target = data;
  for (const segment of path.slice(0, -1)) {
    const next = target[segment];
    if (next === undefined || next === null) {
      const created: JsonObject = {};
      target[segment] = created;
      target = created;
    } else if (isJsonObject(next)) {
      target = next;
    } else {
      throw new ActionFailure(`cannot set ${path.join('.')}: ${segment} is not an object`);
    }
  }
  const last = path[path.length - 1];
  if (last === undefined) throw new ActionFailure('cannot set an empty path');
  // Copied, so later assignments into this value never reach the IR's literals or the input.
  target[last] = structuredClone(value);
}

function runSteps(steps: readonly Step[], journey: CompiledJourney, input: EvaluationInput, run: Run, scope: Scope, processors: ProcessorRegistry): void {
  for (const step of steps) {
    switch (step.kind) {
      case 'assign':
        assign(step.local === undefined ? run.data : localItem(scope, step.local, step.path), step.path, evalExpr(step.value, scope));
        break;
      case 'emit': {
        const payload = evalExpr(step.payload, scope);
        if (!isJsonObject(payload)) throw new ActionFailure(`the payload of ${step.event} is not an object`);
        run.emitted.push({ type: step.event, payload: structuredClone(payload) });
        break;
      }
      case 'if': {
        const condition = evalExpr(step.condition, scope);
        if (typeof condition !== 'boolean') throw new ActionFailure('an if condition is not true or false');
        runSteps(condition ? step.then : step.else, journey, input, run, scope, processors);
        break;
      }
      case 'process':
        runProcessor(step.processor, input, run, processors);
        break;
      case 'startTimer': {
        const timer = journey.timers.find((t) => t.name === step.timer);
        if (!timer) throw new ActionFailure(`timer ${step.timer} is not declared`);
        const payload = evalExpr(timer.payload, scope);
        if (!isJsonObject(payload)) throw new ActionFailure(`the payload of timer ${timer.name} is not an object`);
        run.effects.push({
          kind: 'startTimer',
          timer: timer.name,
          fireAtMs: timerFireAtMs(timer, scope),
          event: { type: timer.event, payload: structuredClone(payload) },
          unless: [...timer.unless],
        });
        break;
      }
      case 'cancelTimer':
        run.effects.push({ kind: 'cancelTimer', timer: step.timer });
        break;
      case 'call': {
        const request = evalExpr(step.request, scope);
        if (!isJsonObject(request)) throw new ActionFailure(`the request of ${step.system}.${step.operation} is not an object`);
        run.effects.push({
          kind: 'call',
          system: step.system,
          operation: step.operation,
          request: structuredClone(request),
          replyEvent: step.replyEvent,
          failureEvent: step.failureEvent,
        });
        break;
      }
      case 'send': {
        const to = evalExpr(step.to, scope);
        if (typeof to !== 'string' || to.length === 0) {
          const reply = step.to.kind === 'path' && step.to.root === 'context' && step.to.segments.join('.') === 'journey';
          throw new ActionFailure(
            reply
              ? `cannot reply ${step.event}: the event being handled was not sent by a journey`
              : `cannot send ${step.event}: ${exprText(step.to)} is ${JSON.stringify(to)}, not the id of a journey`,
          );
        }
        const payload = evalExpr(step.payload, scope);
        if (!isJsonObject(payload)) throw new ActionFailure(`the payload of ${step.event} is not an object`);
        const event = { type: step.event, payload: structuredClone(payload) };
        run.effects.push({ kind: 'send', journeyId: to, event, ...(step.failureEvent === undefined ? {} : { failureEvent: step.failureEvent }) });
        break;
      }
      case 'start': {
        const payload = evalExpr(step.payload, scope);
        if (!isJsonObject(payload)) throw new ActionFailure(`the payload of the ${step.journeyType} to start is not an object`);
        const journeyId = startedJourneyId(input.eventId ?? '', run.started, input.nowMs);
        run.started += 1;
        if (step.as) assign(step.as.local === undefined ? run.data : localItem(scope, step.as.local, step.as.path), step.as.path, journeyId);
        run.effects.push({
          kind: 'start',
          journeyId,
          journeyType: step.journeyType,
          version: step.version,
          event: { type: step.event ?? null, payload: structuredClone(payload) },
          ...(step.failureEvent === undefined ? {} : { failureEvent: step.failureEvent }),
        });
        break;
      }
      case 'forEach': {
        const list = evalExpr(step.list, scope);
        if (list === null) break; // a missing list has no items
        if (!Array.isArray(list))
          throw new ActionFailure(`cannot loop over ${exprText(step.list)}: it is ${typeof list === 'object' ? 'an object' : `a ${typeof list}`}, not a list`);
        // A list in the data is looped over in place (its items may be written); any other is a
        // copy, so that no step can reach the event or the context it came from.
        const inPlace = (step.list.kind === 'path' && step.list.root === 'data') || step.list.kind === 'local';
        for (const item of inPlace ? list : structuredClone(list)) {
          const locals = new Map(scope.locals ?? []);
          locals.set(step.local, item);
          runSteps(step.steps, journey, input, run, { ...scope, locals }, processors);
        }
        break;
      }
    }
  }
}

/** The item a loop is at, to write `path` below it (it must be an object). */
function localItem(scope: Scope, name: string, path: readonly string[]): JsonObject {
  const item = scope.locals?.get(name);
  if (!isJsonObject(item)) {
    throw new ActionFailure(`cannot set ${[name, ...path].join('.')}: ${name} is ${item === undefined ? 'not a loop item' : 'not an object'}`);
  }
  return item;
}

function runProcessor(name: string, input: EvaluationInput, run: Run, processors: ProcessorRegistry): void {
  const processor = Object.prototype.hasOwnProperty.call(processors, name) ? processors[name] : undefined;
  if (!processor) throw new ActionFailure(`action processor ${name} is not registered`);
  let result: unknown;
  try {
    result = processor({
      data: structuredClone(run.data),
      event: structuredClone(input.event),
      context: structuredClone(input.context),
      nowMs: input.nowMs,
    });
  } catch (thrown: unknown) {
    throw new ActionFailure(`action processor ${name} failed: ${errorMessage(thrown)}`);
  }
  if (!isJsonObject(result)) throw new ActionFailure(`action processor ${name} returned ${typeof result}, not an object`);
  const { data, emit } = result as { data?: unknown; emit?: unknown };
  if (data !== undefined) {
    if (!isJsonObject(data)) throw new ActionFailure(`action processor ${name} returned data that is not an object`);
    // A processor's data is merged into the journey's data, field by field (top level).
    Object.assign(run.data, structuredClone(data));
  }
  if (emit !== undefined) {
    if (!Array.isArray(emit)) throw new ActionFailure(`action processor ${name} returned emit that is not a list`);
    for (const event of emit as unknown[]) {
      const { type, payload } = (isJsonObject(event) ? event : {}) as { type?: unknown; payload?: unknown };
      if (typeof type !== 'string' || !isJsonObject(payload)) {
        throw new ActionFailure(`action processor ${name} emitted something that is not { type, payload }`);
      }
      run.emitted.push({ type, payload: structuredClone(payload) });
    }
  }
}

function actionFailed(bead: Bead, message: string): Rejection {
  return { outcome: 'rejected', code: 'ACTION_FAILED', message: `${bead.on} failed: ${message}`, beadId: bead.id };
}

function apply(bead: Bead, journey: CompiledJourney, input: EvaluationInput, scope: Scope, processors: ProcessorRegistry): Evaluation {
  // Initiating beads build the data from nothing; `data.x` reads null until it is set.
  const run: Run = { data: input.data === null ? {} : structuredClone(input.data), emitted: [], effects: [], started: 0 };
  // Steps are sequential: each sees the data as the steps before it left it.
  const stepScope: Scope = { ...scope, data: run.data };
  try {
    runSteps(bead.steps, journey, input, run, stepScope, processors);
  } catch (thrown: unknown) {
    if (thrown instanceof InvalidTimer)
      return { outcome: 'rejected', code: 'INVALID_TIMER', message: `${bead.on} rejected: ${thrown.message}`, beadId: bead.id };
    if (thrown instanceof EvaluationError || thrown instanceof ActionFailure) return actionFailed(bead, thrown.message);
    return actionFailed(bead, `unexpected error: ${errorMessage(thrown)}`);
  }
  const validators = journeyValidators(journey);
  const dataViolations = validators.validateData(run.data);
  if (dataViolations.length > 0) {
    const list = dataViolations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ');
    return actionFailed(bead, `the new data does not fit the data schema: ${list}`);
  }
  for (const event of run.emitted) {
    const problems = validators.validate(event.type, event.payload);
    if (problems.length > 0) {
      const list = problems.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ');
      return actionFailed(bead, `emitted ${event.type} does not fit its schema: ${list}`);
    }
  }
  // What is sent to other journeys fits the schema the sender declares (the receiver checks its own).
  for (const effect of run.effects) {
    if (effect.kind !== 'send' && effect.kind !== 'start') continue;
    const type = effect.event.type;
    if (type === null) continue;
    const problems = validators.validate(type, effect.event.payload);
    if (problems.length > 0) {
      const list = problems.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ');
      return actionFailed(bead, `${effect.kind === 'send' ? 'sent' : 'started with'} ${type} does not fit its schema: ${list}`);
    }
  }
  return { outcome: 'applied', beadId: bead.id, data: run.data, emitted: run.emitted, effects: run.effects };
}

/**
 * Evaluates one event against a journey. Beads for the event type are tried in source order; the
 * first whose access rules (any one) and preconditions (all) pass applies. If none does, the most
 * specific reason is returned: ACCESS_DENIED, then PRECONDITION_FAILED, then NO_MATCHING_BEAD.
 */
export function evaluate(journey: CompiledJourney, input: EvaluationInput, processors: ProcessorRegistry = {}): Evaluation {
  const scope: Scope = {
    data: input.data,
    event: input.event.payload,
    context: contextAsJson(input.context),
    nowMs: input.nowMs,
  };
  const type = input.event.type;
  const candidates = journey.beads.filter((bead) => bead.on === type);
  let best: Rejection = {
    outcome: 'rejected',
    code: 'NO_MATCHING_BEAD',
    message:
      candidates.length === 0
        ? `${journey.name} ${journey.version} has no bead for ${type}`
        : input.data === null
          ? `${type} cannot start a journey`
          : `${type} can only start a journey; this one has started`,
  };
  const remember = (rejection: Rejection): void => {
    if (SPECIFICITY[rejection.code] > SPECIFICITY[best.code]) best = rejection;
  };
  for (const bead of candidates) {
    if (bead.initiating !== (input.data === null)) continue;
    if (bead.access.length > 0 && !bead.access.some((rule) => holds(rule.condition, scope).ok)) {
      remember(accessDenied(bead, input.context));
      continue;
    }
    let failed: Rejection | null = null;
    for (const precondition of bead.preconditions) {
      const result = holds(precondition.condition, scope);
      if (!result.ok) {
        failed = preconditionFailed(bead, precondition, result.why);
        break;
      }
    }
    if (failed) {
      remember(failed);
      continue;
    }
    return apply(bead, journey, input, scope, processors);
  }
  return best;
}

/** Whether the event type starts a journey (false for unknown types). */
export function isInitiating(journey: CompiledJourney, eventType: string): boolean {
  return journey.events[eventType]?.initiating ?? false;
}

export interface EdgeRefusal {
  code: 'ACCESS_DENIED' | 'PRECONDITION_FAILED' | 'NO_MATCHING_BEAD';
  message: string;
  /** The rule that refused, as written in the source. */
  rule?: string;
}

const CONTEXT_ONLY = new Set(['context'] as const);
const CONTEXT_AND_EVENT = new Set(['context', 'event'] as const);

/**
 * Refuses, before an event is accepted, what no bead could ever accept from this sender: rules
 * that read only `context` (and `event`, when the payload is given). Returns null when some bead
 * may still apply (the full decision is made by `evaluate`).
 */
export function checkAtEdge(journey: CompiledJourney, eventType: string, context: EventContext, payload?: JsonObject): EdgeRefusal | null {
  const beads = journey.beads.filter((bead) => bead.on === eventType);
  if (beads.length === 0) return { code: 'NO_MATCHING_BEAD', message: `${journey.name} ${journey.version} has no bead for ${eventType}` };
  const roots = payload === undefined ? CONTEXT_ONLY : CONTEXT_AND_EVENT;
  const scope: Scope = { data: null, event: payload ?? {}, context: contextAsJson(context), nowMs: 0 };
  let best: EdgeRefusal | null = null;
  for (const bead of beads) {
    let refusal: EdgeRefusal | null = null;
    const decidable = bead.access.every((rule) => readsOnly(rule.condition, roots));
    if (bead.access.length > 0 && decidable && !bead.access.some((rule) => holds(rule.condition, scope).ok)) {
      const rejection = accessDenied(bead, context);
      refusal = { code: 'ACCESS_DENIED', message: rejection.message, rule: rejection.rule ?? '' };
    } else {
      for (const precondition of bead.preconditions) {
        if (!readsOnly(precondition.condition, roots)) continue;
        const result = holds(precondition.condition, scope);
        if (!result.ok) {
          refusal = { code: 'PRECONDITION_FAILED', message: preconditionFailed(bead, precondition, result.why).message, rule: precondition.text };
          break;
        }
      }
    }
    if (refusal === null) return null;
    if (best === null || SPECIFICITY[refusal.code] > SPECIFICITY[best.code]) best = refusal;
  }
  return best;
}
