/**
 * The steps that reach other journeys, lowered to IR: `send Event to <id> { … }`, `reply Event
 * { … }` (a send to the journey that sent the event being handled) and `start a/b/c 1.0 with …
 * as <target>`; and `for item in <list> … end`, whose item a step may read (`item.id`) and, for
 * a list in the journey's data, write (`set item.status = …`, `start … as item.signature`).
 *
 * What is sent is declared by the sender like an emitted event (its schema checks the payload
 * here); the receiver checks it again when it arrives.
 */
import type { ExprNode, Name, ObjectNode, Span, StepNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { collapse, listItemSchema, lowerExpr, lowerObject, notAllowed, schemaAt } from './expression-typing.js';
import type { Env, LocalItem } from './expression-typing.js';
import type { AssignTarget, Expr, JsonSchema, Step } from './ir.js';
import { kindsText, lookupField, nonNull, ty, tyOfSchema } from './json-schemas.js';
import type { Ty } from './json-schemas.js';
import { eventExists } from './schema-declarations.js';

/** What this file needs of the rest of step lowering (passed in: step-lowering.ts imports this file). */
export interface StepLowering {
  /** Checks a payload against the event's schema and lowers it. */
  payload: (event: Name, node: ObjectNode | null, env: Env) => Expr;
  /** Lowers a block of steps. */
  steps: (steps: StepNode[], env: Env) => Step[];
}

/**
 * Checks a write of a value of type `have` to `target` (a data path, or, when its first name is a
 * loop's item, a path below that item) and lowers the target. Null when it cannot be written.
 */
export function lowerTarget(c: Compilation, target: readonly Name[], have: Ty, env: Env, valueSpan: Span, verb: string, value?: ExprNode): AssignTarget | null {
  const [first, ...below] = target;
  if (first === undefined) return null;
  const item = env.locals?.get(first.value);
  let found: { schema: unknown; optional: boolean } | null;
  let root: JsonSchema;
  if (item) {
    if (below.length === 0) {
      c.error('invalid-loop', `${first.value} is a loop's item: ${verb} one of its fields (${first.value}.<field>), not the whole item`, first.span);
      return null;
    }
    if (!item.writable) {
      c.error(
        'invalid-loop',
        `${first.value} is an item of ${item.list}, which is not in the journey's data: copy the list into data first and loop over that`,
        first.span,
      );
      return null;
    }
    root = item.root;
    found = schemaAt(c, root, first.value, below, `a field of an item of ${item.list}`, item.schema);
  } else {
    root = env.data;
    found = schemaAt(c, root, 'data', target, 'defined in the data schema');
  }
  if (found !== null) {
    const want = tyOfSchema(found.schema, root).kinds;
    const kinds = have.kinds;
    if (want !== null && kinds !== null && kinds.size > 0 && ![...kinds].some((k) => want.has(k))) {
      const text = target.map((s) => s.value).join('.');
      c.error('type-error', `cannot set ${text} (${kindsText(want)}) to ${kindsText(kinds)}`, valueSpan);
    } else if (value?.kind === 'literal') {
      const allowed = notAllowed(found.schema, root, value.value, found.optional);
      if (allowed !== null) {
        const text = target.map((s) => s.value).join('.');
        c.error('not-in-enum', `cannot ${verb} ${text} to ${JSON.stringify(value.value)}: its schema allows ${allowed}`, valueSpan);
      }
    }
  }
  return item ? { path: below.map((s) => s.value), local: first.value } : { path: target.map((s) => s.value) };
}

/** `start … as data.x` / `as item.x`: where the new journey's id is written. */
function lowerStartTarget(c: Compilation, node: ExprNode, env: Env): AssignTarget | null {
  let names: Name[];
  if (node.kind === 'path' && node.root === 'data' && node.sugar === undefined && node.segments.length > 0) names = node.segments;
  else if (node.kind === 'local' && env.locals?.has(node.name.value)) names = [node.name, ...node.segments];
  else {
    c.error('invalid-target', "`as` takes a data field (as data.signature) or a field of a loop's item (as item.signature)", node.span);
    return null;
  }
  return lowerTarget(c, names, ty('string'), env, node.span, '`as` writes');
}

/** Records what a `send`, `reply` or `start` sends (declared here, like an emitted event) and its failure event. */
function sends(c: Compilation, event: Name, failure: Name | null, verb: string): void {
  eventExists(c, event, verb);
  if (!c.sentAt.has(event.value)) c.sentAt.set(event.value, event.span);
  if (failure !== null) {
    eventExists(c, failure, `when ${event.value} cannot be delivered, the journey gets`);
    c.timerEvents.push({ event: failure, what: `an undelivered ${event.value} comes back as` });
  }
}

function expectKind(c: Compilation, t: Ty, kind: 'string' | 'list', node: ExprNode, what: string): void {
  const kinds = nonNull(t);
  if (kinds !== null && kinds.size > 0 && !kinds.has(kind))
    c.error('type-error', `${what}; ${collapse(c.src.slice(node.span))} is ${kindsText(kinds)}`, node.span);
}

export function lowerSend(c: Compilation, step: Extract<StepNode, { kind: 'send' | 'reply' }>, env: Env, lowering: StepLowering): Step {
  if (step.kind === 'reply') {
    sends(c, step.event, null, 'replies with');
    // The journey that sent the event being handled; null (an action failure) for any other event.
    const to: Expr = { kind: 'path', root: 'context', segments: ['journey'] };
    return { kind: 'send', event: step.event.value, to, payload: lowering.payload(step.event, step.payload, env) };
  }
  sends(c, step.event, step.failure, 'sends');
  const to = lowerExpr(c, step.to, env);
  expectKind(c, to.ty, 'string', step.to, '`send … to` needs the id of a journey (a string)');
  return {
    kind: 'send',
    event: step.event.value,
    to: to.expr,
    payload: lowering.payload(step.event, step.payload, env),
    ...(step.failure === null ? {} : { failureEvent: step.failure.value }),
  };
}

export function lowerStart(c: Compilation, step: Extract<StepNode, { kind: 'start' }>, env: Env, lowering: StepLowering): Step {
  const journeyType = step.journeyType.value;
  if (step.event !== null) sends(c, step.event, step.failure, `starts ${journeyType} with`);
  else if (step.failure !== null) {
    eventExists(c, step.failure, `when ${journeyType} cannot be started, the journey gets`);
    c.timerEvents.push({ event: step.failure, what: `a start of ${journeyType} that cannot be delivered comes back as` });
  }
  // Without an event, the payload goes to the version's one initiating event, checked when it arrives.
  const payload = step.event === null ? lowerObject(c, step.payload, env) : lowering.payload(step.event, step.payload, env);
  const as = step.as === null ? null : lowerStartTarget(c, step.as, env);
  return {
    kind: 'start',
    journeyType,
    version: step.version.value,
    ...(step.event === null ? {} : { event: step.event.value }),
    payload,
    ...(as === null ? {} : { as }),
    ...(step.failure === null ? {} : { failureEvent: step.failure.value }),
  };
}

export function lowerFor(c: Compilation, step: Extract<StepNode, { kind: 'for' }>, env: Env, lowering: StepLowering): Step {
  const name = step.variable.value;
  if (env.locals?.has(name)) {
    c.error('invalid-loop', `${name} is already the item of an enclosing loop; name this one otherwise`, step.variable.span);
  } else if (name === 'roles' || name === 'trustLevel') {
    c.error('invalid-loop', `${name} is short for context.${name}; name the loop's item otherwise`, step.variable.span);
  } else if (lookupField(env.data, env.data, name).found === true) {
    c.error('invalid-loop', `a loop's item named ${name} would hide data.${name} in \`set ${name}.…\`; name it otherwise`, step.variable.span);
  }
  const list = lowerExpr(c, step.list, env);
  expectKind(c, list.ty, 'list', step.list, '`for … in` needs a list');
  // Its items are the data's own (written through) only for a list in the data.
  const outer = step.list.kind === 'local' || step.list.kind === 'name' ? env.locals?.get(step.list.name.value) : undefined;
  const writable = (step.list.kind === 'path' && step.list.root === 'data') || outer?.writable === true;
  const { schema, root } = listItemSchema(c, step.list, env);
  const item: LocalItem = { schema, root, list: collapse(c.src.slice(step.list.span)), writable };
  const inner: Env = { ...env, locals: new Map([...(env.locals ?? []), [name, item]]) };
  return { kind: 'forEach', local: name, list: list.expr, steps: lowering.steps(step.steps, inner) };
}
