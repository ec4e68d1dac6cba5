/**
 * What a bead does, lowered to IR steps: assignments checked against the data schema, emitted
 * payloads against the event's schema, processors against the files in `processors/`, timers
 * (declared or inline `after ... emit ...`) with their delays, and back-end calls.
 */
import type { AssignmentNode, ExprNode, Name, ObjectNode, Span, StepNode, TimerSpecNode, TimerWhenNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { didYouMean } from './diagnostics.js';
import { collapse, lowerCondition, lowerExpr, lowerObject, notAllowed, quietType, schemaAt } from './expression-typing.js';
import { evalExpr, readsOnly } from './expressions.js';
import type { Env } from './expression-typing.js';
import { TIMER_MAX_DELAY_MS } from './ir.js';
import type { Expr, Json, JsonSchema, Step, TimerDefinition } from './ir.js';
import { kindsText, lookupField, nonNull, resolve, tyOfSchema } from './json-schemas.js';
import { processorFileCandidates } from './naming.js';
import { lowerFor, lowerSend, lowerStart, lowerTarget } from './message-lowering.js';
import type { StepLowering } from './message-lowering.js';
import { eventExists } from './schema-declarations.js';
import { parseDateTime, TIMER_MAX_DELAY_TEXT } from './timer-times.js';

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
      } else if (entry.value.kind === 'literal') {
        const allowed = notAllowed(found.schema, info.schema, entry.value.value, found.optional);
        if (allowed !== null) {
          c.error(
            'not-in-enum',
            `${event.value}.${entry.key.value} cannot be ${JSON.stringify(entry.value.value)}: its schema allows ${allowed}`,
            entry.value.span,
          );
        }
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
  // A data field, or (`set item.status = …` in a `for` loop) a field of the loop's item.
  const target = lowerTarget(c, node.target, value.ty, env, node.value.span, 'set', node.value);
  const step: Step = { kind: 'assign', path: target?.path ?? node.target.map((s) => s.value), value: value.expr };
  if (target?.local !== undefined) step.local = target.local;
  return step;
}

const NO_ROOTS: ReadonlySet<'data' | 'event' | 'context'> = new Set();
const DATA_ONLY: ReadonlySet<'data' | 'event' | 'context'> = new Set(['data']);
const DAY_MS = 86_400_000;

function unitMs(c: Compilation, unit: Name): number | null {
  const ms = DURATION_UNITS[unit.value];
  if (ms !== undefined) return ms;
  c.error(
    'invalid-duration',
    `unknown duration unit ${unit.value}${didYouMean(unit.value, Object.keys(DURATION_UNITS)) || '; use ms, seconds, minutes, hours, days or weeks'}`,
    unit.span,
  );
  return null;
}

/** A constant delay (`after 5 days`, `after 2 * 3 hours`): a positive whole number of ms, at most the limit. */
function constantDelayMs(c: Compilation, amount: Expr, unit: number, span: Span): number {
  let value: Json;
  try {
    value = evalExpr(amount, { data: null, event: {}, context: {}, nowMs: 0 });
  } catch (thrown: unknown) {
    c.error('invalid-duration', `the amount of a duration cannot be computed: ${thrown instanceof Error ? thrown.message : String(thrown)}`, span);
    return 1;
  }
  const ms = typeof value === 'number' ? value * unit : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    c.error(
      'invalid-duration',
      `a duration must be a positive whole number of milliseconds, not ${typeof value === 'number' ? ms : JSON.stringify(value)}`,
      span,
    );
    return 1;
  }
  if (ms > TIMER_MAX_DELAY_MS) {
    c.error('invalid-duration', `a timer may wait at most ${TIMER_MAX_DELAY_TEXT}, not ${ms / DAY_MS} days`, span);
    return 1;
  }
  return ms;
}

/** The lowest and highest number a schema admits, where it says (`minimum`, `maximum`, `const`, `enum`). */
function numericBounds(schema: JsonSchema | undefined): { min: number | null; max: number | null } {
  if (schema === undefined) return { min: null, max: null };
  const numbers = (values: Json[]): number[] => values.filter((v): v is number => typeof v === 'number');
  if ('const' in schema) {
    const value = numbers([schema.const ?? null]);
    return { min: value[0] ?? null, max: value[0] ?? null };
  }
  if (Array.isArray(schema.enum)) {
    const values = numbers(schema.enum);
    return values.length === 0 ? { min: null, max: null } : { min: Math.min(...values), max: Math.max(...values) };
  }
  const limit = (key: string): number | null => (typeof schema[key] === 'number' ? schema[key] : null);
  const lows = [limit('minimum'), limit('exclusiveMinimum')].filter((v): v is number => v !== null);
  const highs = [limit('maximum'), limit('exclusiveMaximum')].filter((v): v is number => v !== null);
  return { min: lows.length > 0 ? Math.max(...lows) : null, max: highs.length > 0 ? Math.min(...highs) : null };
}

/**
 * `after <amount> <unit>` or `at <time>`: a constant delay, or the time from data or the event,
 * typed and, where the schemas bound it, checked against the range a timer allows.
 */
function lowerWhen(c: Compilation, name: string, when: TimerWhenNode, env: Env): Pick<TimerDefinition, 'delayMs' | 'when'> {
  const text = collapse(c.src.slice(when.span));
  if (when.kind === 'after') {
    const unit = unitMs(c, when.unit);
    const before = c.diagnostics.length;
    const amount = lowerExpr(c, when.amount, env);
    // What the expression got wrong was reported when it was lowered; nothing more to check.
    if (c.diagnostics.length > before) return { when: { kind: 'after', amount: amount.expr, unitMs: unit ?? 1, text } };
    const span = { start: when.amount.span.start, end: when.unit.span.end };
    if (readsOnly(amount.expr, NO_ROOTS) && !hasCall(amount.expr)) {
      return { delayMs: unit === null ? 1 : constantDelayMs(c, amount.expr, unit, span) };
    }
    const amountText = collapse(c.src.slice(when.amount.span));
    const kinds = nonNull(amount.ty);
    if (kinds !== null && kinds.size > 0 && !kinds.has('number')) {
      c.error('type-error', `the amount of a delay must be a number; ${amountText} is ${kindsText(kinds)}`, when.amount.span);
    } else if (unit !== null) {
      const { min, max } = numericBounds(fieldSchema(c, when.amount, env) ?? amount.ty.schema);
      const unitName = when.unit.value;
      if (min !== null && min < 0) {
        c.error(
          'invalid-duration',
          `${amountText} may be ${min} (its schema's minimum), but a delay cannot be negative: declare "minimum": 0`,
          when.amount.span,
        );
      }
      if (max !== null && max * unit > TIMER_MAX_DELAY_MS) {
        c.error(
          'invalid-duration',
          `${amountText} may be ${max} (its schema's maximum): ${max} ${unitName} is more than the ${TIMER_MAX_DELAY_TEXT} a timer may wait`,
          when.amount.span,
        );
      }
      const mayBeNull = amount.ty.kinds === null || amount.ty.kinds.has('null');
      if (min === null || max === null || mayBeNull) {
        const missing = [mayBeNull ? 'may be missing' : null, min === null ? 'has no minimum' : null, max === null ? 'has no maximum' : null]
          .filter((s): s is string => s !== null)
          .join(' and ');
        c.warning(
          'unchecked-timer',
          `timer ${timerLabel(name)}: ${amountText} ${missing} in its schema; a value that is not a number from 0 to ${TIMER_MAX_DELAY_MS / unit} ${unitName} is refused when the timer starts (INVALID_TIMER)`,
          when.amount.span,
        );
      }
    }
    return { when: { kind: 'after', amount: amount.expr, unitMs: unit ?? 1, text } };
  }
  const before = c.diagnostics.length;
  const time = lowerExpr(c, when.time, env);
  if (c.diagnostics.length > before) return { when: { kind: 'at', time: time.expr, text } };
  const timeText = collapse(c.src.slice(when.time.span));
  const kinds = nonNull(time.ty);
  const schema = fieldSchema(c, when.time, env) ?? time.ty.schema;
  if (kinds !== null && kinds.size > 0 && !kinds.has('string') && !kinds.has('number')) {
    c.error('type-error', `a timer's time must be a date-time string or ms since the epoch; ${timeText} is ${kindsText(kinds)}`, when.time.span);
  } else if (time.expr.kind === 'literal') {
    if (typeof time.expr.value === 'string' && parseDateTime(time.expr.value) === null) {
      c.error('type-error', `${timeText} is not a date-time with its offset (like "2026-07-01T09:00:00Z")`, when.time.span);
    }
  } else if (kinds !== null && kinds.has('string') && schema !== undefined && schema.format !== 'date-time') {
    c.error(
      'type-error',
      `${timeText} is a string its schema does not declare a date-time: add "format": "date-time" (or give ms since the epoch, a number)`,
      when.time.span,
    );
  } else if (kinds === null || time.ty.kinds?.has('null') === true || (kinds.has('string') && schema === undefined)) {
    c.warning(
      'unchecked-timer',
      `timer ${timerLabel(name)}: the schemas do not say that ${timeText} is always a date-time or a number; another value is refused when the timer starts (INVALID_TIMER)`,
      when.time.span,
    );
  }
  return { when: { kind: 'at', time: time.expr, text } };
}

/** The schema of a field a path reads (`data.expiresAt`), optional or not; undefined for other expressions. */
function fieldSchema(c: Compilation, node: ExprNode, env: Env): JsonSchema | undefined {
  if (node.kind !== 'path' || node.root === 'context') return undefined;
  const root = node.root === 'data' ? env.data : env.event?.schema;
  if (root === undefined) return undefined;
  // Reported when the expression was lowered; read quietly here.
  const before = c.diagnostics.length;
  const found = schemaAt(c, root, node.root, node.segments, '');
  c.diagnostics.length = before;
  return found === null ? undefined : (resolve(found.schema, root) ?? undefined);
}

function hasCall(expr: Expr): boolean {
  switch (expr.kind) {
    case 'call':
      return true;
    case 'unary':
      return hasCall(expr.operand);
    case 'binary':
      return hasCall(expr.left) || hasCall(expr.right);
    case 'list':
      return expr.items.some(hasCall);
    case 'object':
      return expr.entries.some((e) => hasCall(e.value));
    default:
      return false;
  }
}

function timerLabel(name: string): string {
  // Unnamed timers (`after … emit …` in a bead) are named `<bead>/after@line:column`.
  return name.includes('/after@') ? `at ${name.slice(name.indexOf('@') + 1)}` : name;
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
    ...lowerWhen(c, name, spec.when, env),
    event: spec.event.value,
    payload: lowerPayload(c, spec.event, spec.payload, env),
    unless: unless.map((e) => e.value),
  };
}

/** A bead's steps; what they emit, process and start is recorded in `c` as well. */
/** A data field the bead's own steps set to a literal, and where: what an `if` after it reads. */
interface KnownValue {
  value: Json;
  span: Span;
}

/** The data paths an expression reads, or null when it reads anything else (the event, context, a loop item, `now()`). */
function dataPathsRead(expr: Expr): string[] | null {
  if (!readsOnly(expr, DATA_ONLY)) return null;
  const paths: string[] = [];
  const walk = (e: Expr): void => {
    if (e.kind === 'path') paths.push(e.segments.join('.'));
    else if (e.kind === 'unary') walk(e.operand);
    else if (e.kind === 'binary') [e.left, e.right].forEach(walk);
    else if (e.kind === 'call') e.args.forEach(walk);
    else if (e.kind === 'list') e.items.forEach(walk);
    else if (e.kind === 'object') e.entries.forEach((entry) => walk(entry.value));
  };
  walk(expr);
  return paths;
}

/**
 * `set status = "closed"` then `if data.status == "open"`: an `if` whose condition reads only
 * fields the bead has just set to literals is decided before it runs (always true or false).
 */
function checkDecidedIf(c: Compilation, node: Extract<StepNode, { kind: 'if' }>, condition: Expr, known: ReadonlyMap<string, KnownValue>): void {
  const paths = dataPathsRead(condition);
  if (paths === null || paths.length === 0 || !paths.every((p) => known.has(p))) return;
  const data: Record<string, Json> = {};
  for (const path of paths) {
    const segments = path.split('.');
    let at: Record<string, Json> = data;
    for (const segment of segments.slice(0, -1)) {
      const next = at[segment];
      const inner: Record<string, Json> = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
      at[segment] = inner;
      at = inner;
    }
    at[segments[segments.length - 1] ?? ''] = known.get(path)?.value ?? null;
  }
  let result: Json;
  try {
    result = evalExpr(condition, { data, event: {}, context: {}, nowMs: 0 });
  } catch {
    return;
  }
  if (typeof result !== 'boolean') return;
  const values = [...new Set(paths)].map((p) => {
    const at = known.get(p);
    return `data.${p} is ${JSON.stringify(at?.value ?? null)} here (set on line ${at === undefined ? 0 : c.src.locate(at.span.start).line})`;
  });
  c.error(
    'constant-condition',
    `this \`if\` is always ${String(result)}: ${values.join(', ')}; test the value before the \`set\`, or drop the \`if\``,
    node.condition.span,
  );
}

/** Forgets what is known of a data path and of the fields above and below it. */
function forget(known: Map<string, KnownValue>, path: string): void {
  for (const key of [...known.keys()]) {
    if (key === path || key.startsWith(`${path}.`) || path.startsWith(`${key}.`)) known.delete(key);
  }
}

export function lowerSteps(c: Compilation, steps: StepNode[], env: Env, beadId: string, knownIn?: ReadonlyMap<string, KnownValue>): Step[] {
  const out: Step[] = [];
  // Data fields the steps so far have set to literals; forgotten at anything that may change data otherwise.
  const known = new Map(knownIn ?? []);
  for (const step of steps) {
    if (step.kind !== 'set' && step.kind !== 'emit' && step.kind !== 'startTimer' && step.kind !== 'cancelTimer' && step.kind !== 'if') known.clear();
    switch (step.kind) {
      case 'set':
        for (const assignment of step.assignments) {
          const lowered = lowerAssignment(c, assignment, env);
          out.push(lowered);
          if (lowered.kind !== 'assign' || lowered.local !== undefined) continue;
          const path = lowered.path.join('.');
          forget(known, path);
          if (assignment.value.kind === 'literal') known.set(path, { value: assignment.value.value, span: assignment.value.span });
        }
        break;
      case 'emit':
        eventExists(c, step.event, 'emits');
        if (!c.emittedAt.has(step.event.value)) c.emittedAt.set(step.event.value, step.event.span);
        out.push({ kind: 'emit', event: step.event.value, payload: lowerPayload(c, step.event, step.payload, env) });
        break;
      case 'if': {
        const condition = lowerCondition(c, step.condition, env, 'an `if` condition');
        checkDecidedIf(c, step, condition, known);
        out.push({
          kind: 'if',
          condition,
          then: lowerSteps(c, step.then, env, beadId, known),
          else: lowerSteps(c, step.else, env, beadId, known),
        });
        // What either branch sets is no longer known after it.
        known.clear();
        break;
      }
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
      case 'send':
      case 'reply':
        out.push(lowerSend(c, step, env, lowering(c, beadId)));
        break;
      case 'start':
        out.push(lowerStart(c, step, env, lowering(c, beadId)));
        break;
      case 'for':
        out.push(lowerFor(c, step, env, lowering(c, beadId)));
        break;
    }
  }
  return out;
}

function lowering(c: Compilation, beadId: string): StepLowering {
  return { payload: (event, node, env) => lowerPayload(c, event, node, env), steps: (steps, env) => lowerSteps(c, steps, env, beadId) };
}
