/**
 * What a bead does, lowered to IR steps: assignments checked against the data schema, emitted
 * payloads against the event's schema, processors against the files in `processors/`, timers
 * (declared or inline `after ... emit ...`) with their delays, and back-end calls.
 */
import type { AssignmentNode, DurationNode, Name, ObjectNode, Span, StepNode, TimerSpecNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { didYouMean } from './diagnostics.js';
import { lowerCondition, lowerExpr, lowerObject, quietType, schemaAt } from './expression-typing.js';
import type { Env } from './expression-typing.js';
import type { Expr, Step, TimerDefinition } from './ir.js';
import { kindsText, lookupField, nonNull, tyOfSchema } from './json-schemas.js';
import { processorFileCandidates } from './naming.js';
import { eventExists } from './schema-declarations.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  second: 1000,
  seconds: 1000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** Checks an emitted payload against the event's schema and lowers it. */
export function lowerPayload(c: Compilation, event: Name, node: ObjectNode | null, env: Env): Expr {
  const info = c.events.get(event.value);
  const lowered = node === null ? ({ kind: 'object', entries: [] } as Expr) : lowerObject(c, node, env);
  if (!info) return lowered;
  const entries = node?.entries ?? [];
  for (const entry of entries) {
    const found = lookupField(info.schema, info.schema, entry.key.value);
    if (found.found === false) {
      c.error('payload-mismatch', `${event.value} has no field ${entry.key.value}${didYouMean(entry.key.value, found.known)}`, entry.key.span);
    } else if (found.found === true) {
      const want = nonNull(tyOfSchema(found.schema, info.schema));
      const got = quietType(c, entry.value, env);
      const have = got === null ? null : nonNull(got);
      if (want !== null && have !== null && want.size > 0 && have.size > 0 && ![...have].some((k) => want.has(k))) {
        c.error('payload-mismatch', `${event.value}.${entry.key.value} is ${kindsText(want)}, but this is ${kindsText(have)}`, entry.value.span);
      }
    }
  }
  const required = Array.isArray(info.schema.required) ? info.schema.required : [];
  const given = new Set(entries.map((e) => e.key.value));
  const missing = required.filter((key): key is string => typeof key === 'string' && !given.has(key));
  if (missing.length > 0) {
    c.error('payload-mismatch', `${event.value} needs ${missing.length === 1 ? 'field' : 'fields'} ${missing.join(', ')}`, node?.span ?? event.span);
  }
  return lowered;
}

function lowerAssignment(c: Compilation, node: AssignmentNode, env: Env): Step {
  const value = lowerExpr(c, node.value, env);
  const target = schemaAt(c, env.data, 'data', node.target, 'defined in the data schema');
  if (target !== null) {
    const want = tyOfSchema(target.schema, env.data).kinds;
    const have = value.ty.kinds;
    if (want !== null && have !== null && have.size > 0 && ![...have].some((k) => want.has(k))) {
      const text = node.target.map((s) => s.value).join('.');
      c.error('type-error', `cannot set ${text} (${kindsText(want)}) to ${kindsText(have)}`, node.value.span);
    }
  }
  return { kind: 'assign', path: node.target.map((s) => s.value), value: value.expr };
}

function delayMs(c: Compilation, node: DurationNode): number {
  const unit = DURATION_UNITS[node.unit.value];
  if (unit === undefined) {
    c.error(
      'invalid-duration',
      `unknown duration unit ${node.unit.value}${didYouMean(node.unit.value, Object.keys(DURATION_UNITS)) || '; use ms, seconds, minutes, hours, days or weeks'}`,
      node.unit.span,
    );
    return 1;
  }
  const ms = node.amount * unit;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    c.error('invalid-duration', `a duration must be a positive whole number of milliseconds, not ${ms}`, node.span);
    return 1;
  }
  return ms;
}

/** A timer, declared (`timer <name> after ...`) or inline in a bead (`after ... emit ...`). */
export function lowerTimer(c: Compilation, name: string, spec: TimerSpecNode, env: Env, span: Span): TimerDefinition {
  if (spec.unlessBefore !== null && spec.unlessAfter !== null) {
    c.error('syntax', 'give `unless` once, before or after `emit`', spec.unlessAfter[0]?.span ?? span);
  }
  const unless = [...(spec.unlessBefore ?? []), ...(spec.unlessAfter ?? [])];
  for (const event of unless) eventExists(c, event, `timer ${name} is cancelled by`);
  eventExists(c, spec.event, 'the timer fires');
  return {
    name,
    delayMs: delayMs(c, spec.delay),
    event: spec.event.value,
    payload: lowerPayload(c, spec.event, spec.payload, env),
    unless: unless.map((e) => e.value),
  };
}

/** A bead's steps; what they emit, process and start is recorded in `c` as well. */
export function lowerSteps(c: Compilation, steps: StepNode[], env: Env, beadId: string): Step[] {
  const out: Step[] = [];
  for (const step of steps) {
    switch (step.kind) {
      case 'set':
        for (const assignment of step.assignments) out.push(lowerAssignment(c, assignment, env));
        break;
      case 'emit':
        eventExists(c, step.event, 'emits');
        if (!c.emittedAt.has(step.event.value)) c.emittedAt.set(step.event.value, step.event.span);
        out.push({ kind: 'emit', event: step.event.value, payload: lowerPayload(c, step.event, step.payload, env) });
        break;
      case 'if':
        out.push({
          kind: 'if',
          condition: lowerCondition(c, step.condition, env, 'an `if` condition'),
          then: lowerSteps(c, step.then, env, beadId),
          else: lowerSteps(c, step.else, env, beadId),
        });
        break;
      case 'process': {
        const candidates = processorFileCandidates(step.processor.value);
        if (!candidates.some((file) => c.input.files.has(file))) {
          c.error('unknown-processor', `no action processor ${step.processor.value}: expected the file ${candidates[0] ?? ''}`, step.processor.span);
        }
        c.processors.add(step.processor.value);
        out.push({ kind: 'process', processor: step.processor.value });
        break;
      }
      case 'startTimer':
      case 'cancelTimer':
        if (!c.timerSpans.has(step.timer.value)) {
          c.error(
            'unknown-timer',
            `timer ${step.timer.value} is not declared${didYouMean(step.timer.value, c.timerSpans.keys()) || ' (declare it with `timer <name> after ...`)'}`,
            step.timer.span,
          );
        }
        out.push({ kind: step.kind, timer: step.timer.value });
        break;
      case 'after': {
        const timerName = `${beadId}/after@${c.src.locate(step.span.start).line}:${c.src.locate(step.span.start).column}`;
        c.timers.push(lowerTimer(c, timerName, step.timer, env, step.span));
        c.timerEvents.push({ event: step.timer.event, what: 'a timer fires' });
        out.push({ kind: 'startTimer', timer: timerName });
        break;
      }
      case 'call':
        eventExists(c, step.reply, `${step.system.value}.${step.operation.value} replies with`);
        eventExists(c, step.failure, `${step.system.value}.${step.operation.value} fails with`);
        c.timerEvents.push({ event: step.reply, what: `${step.system.value}.${step.operation.value} replies with` });
        c.timerEvents.push({ event: step.failure, what: `${step.system.value}.${step.operation.value} fails with` });
        out.push({
          kind: 'call',
          system: step.system.value,
          operation: step.operation.value,
          request: step.request === null ? { kind: 'object', entries: [] } : lowerObject(c, step.request, env),
          replyEvent: step.reply.value,
          failureEvent: step.failure.value,
        });
        break;
    }
  }
  return out;
}
