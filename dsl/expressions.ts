/**
 * Evaluating IR expressions: pure, deterministic, total over JSON. A value that does not fit an
 * operator (arithmetic on null, dividing by zero, `and` on a number) raises `EvaluationError`,
 * which the evaluator turns into a rejection; it never escapes `evaluate`.
 */
import { exprText } from './expression-text.js';
import type { EventContext, Expr, Json, JsonObject } from './ir.js';
import { deepEqual, readPath } from './json-values.js';

export class EvaluationError extends Error {
  override name = 'EvaluationError';
}

export interface Scope {
  data: JsonObject | null;
  event: JsonObject;
  context: JsonObject;
  nowMs: number;
  /** The items the enclosing `for` loops are at, by name. */
  locals?: ReadonlyMap<string, Json>;
}

/** The context as expressions see it. Defensive: a context read back from storage may lack fields. */
export function contextAsJson(context: EventContext): JsonObject {
  const raw = context as Partial<EventContext>;
  const json: JsonObject = {
    sender: typeof raw.sender === 'string' ? raw.sender : '',
    roles: Array.isArray(raw.roles) ? raw.roles.filter((r): r is string => typeof r === 'string') : [],
    trustLevel: typeof raw.trustLevel === 'number' ? raw.trustLevel : 0,
    channel: typeof raw.channel === 'string' ? raw.channel : '',
  };
  if (typeof raw.geo === 'string') json.geo = raw.geo;
  if (typeof raw.origin === 'string') json.origin = raw.origin;
  if (typeof raw.journey === 'string') json.journey = raw.journey;
  if (typeof raw.journeyType === 'string') json.journeyType = raw.journeyType;
  return json;
}

function typeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function fail(expr: Expr, message: string): never {
  throw new EvaluationError(`${exprText(expr)}: ${message}`);
}

function number(expr: Expr, value: Json, role: string): number {
  if (typeof value === 'number') return value;
  return fail(expr, `${role} is ${typeName(value)}, not a number`);
}

function string(expr: Expr, value: Json, role: string): string {
  if (typeof value === 'string') return value;
  return fail(expr, `${role} is ${typeName(value)}, not a string`);
}

function boolean(expr: Expr, value: Json, role: string): boolean {
  if (typeof value === 'boolean') return value;
  return fail(expr, `${role} is ${typeName(value)}, not true or false`);
}

function finite(expr: Expr, value: number): number {
  if (!Number.isFinite(value)) fail(expr, 'the result is not a finite number');
  // Past 2^53 a double no longer holds every integer: an amount would be silently rounded.
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) fail(expr, 'the result is beyond the range of exact integers (±2^53−1)');
  return value;
}

function compare(expr: Expr, op: '<' | '<=' | '>' | '>=', left: Json, right: Json): boolean {
  // Ordering with null is false (not an error): `data.limit > 5` is false while there is no limit.
  if (left === null || right === null) return false;
  let order: number;
  if (typeof left === 'number' && typeof right === 'number') order = left - right;
  else if (typeof left === 'string' && typeof right === 'string') order = left < right ? -1 : left > right ? 1 : 0;
  else return fail(expr, `cannot order ${typeName(left)} and ${typeName(right)}`);
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function callFunction(expr: Extract<Expr, { kind: 'call' }>, args: Json[], scope: Scope): Json {
  const arg = (i: number): Json => args[i] ?? null;
  switch (expr.fn) {
    case 'now':
      return scope.nowMs;
    case 'length': {
      const value = arg(0);
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      return fail(expr, `the argument is ${typeName(value)}, not a string or a list`);
    }
    case 'lower':
      return string(expr, arg(0), 'the argument').toLowerCase();
    case 'upper':
      return string(expr, arg(0), 'the argument').toUpperCase();
    case 'trim':
      return string(expr, arg(0), 'the argument').trim();
    case 'contains': {
      const haystack = arg(0);
      if (Array.isArray(haystack)) return haystack.some((item) => deepEqual(item, arg(1)));
      return string(expr, haystack, 'the first argument').includes(string(expr, arg(1), 'the second argument'));
    }
    case 'startsWith':
      return string(expr, arg(0), 'the first argument').startsWith(string(expr, arg(1), 'the second argument'));
    case 'endsWith':
      return string(expr, arg(0), 'the first argument').endsWith(string(expr, arg(1), 'the second argument'));
    case 'abs':
      return Math.abs(number(expr, arg(0), 'the argument'));
    case 'round':
      return Math.round(number(expr, arg(0), 'the argument'));
    case 'floor':
      return Math.floor(number(expr, arg(0), 'the argument'));
    case 'ceil':
      return Math.ceil(number(expr, arg(0), 'the argument'));
    case 'min':
    case 'max': {
      const values = args.map((value, i) => number(expr, value, `argument ${i + 1}`));
      return expr.fn === 'min' ? Math.min(...values) : Math.max(...values);
    }
    default:
      return fail(expr, `unknown function ${expr.fn}`);
  }
}

export function evalExpr(expr: Expr, scope: Scope): Json {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path': {
      const root = expr.root === 'data' ? scope.data : expr.root === 'event' ? scope.event : scope.context;
      return readPath(root, expr.segments);
    }
    case 'unary': {
      const value = evalExpr(expr.operand, scope);
      if (expr.op === 'not') return !boolean(expr, value, 'the operand of not');
      return finite(expr, -number(expr, value, 'the operand of -'));
    }
    case 'binary':
      return evalBinary(expr, scope);
    case 'call':
      return callFunction(
        expr,
        expr.args.map((a) => evalExpr(a, scope)),
        scope,
      );
    case 'list':
      return expr.items.map((item) => evalExpr(item, scope));
    case 'object': {
      const result: JsonObject = {};
      for (const entry of expr.entries) result[entry.key] = evalExpr(entry.value, scope);
      return result;
    }
    case 'local': {
      const item = scope.locals?.get(expr.name);
      if (item === undefined) return fail(expr, `${expr.name} is not the item of an enclosing loop`);
      return readPath(item, expr.segments);
    }
  }
}

function evalBinary(expr: Extract<Expr, { kind: 'binary' }>, scope: Scope): Json {
  const { op } = expr;
  if (op === 'and' || op === 'or') {
    const left = boolean(expr, evalExpr(expr.left, scope), `the left side of ${op}`);
    if (op === 'and' ? !left : left) return left;
    return boolean(expr, evalExpr(expr.right, scope), `the right side of ${op}`);
  }
  const left = evalExpr(expr.left, scope);
  if (op === '??') return left !== null ? left : evalExpr(expr.right, scope);
  const right = evalExpr(expr.right, scope);
  switch (op) {
    case '==':
      return deepEqual(left, right);
    case '!=':
      return !deepEqual(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(expr, op, left, right);
    case 'in':
      if (right === null) return false;
      if (Array.isArray(right)) return right.some((item) => deepEqual(item, left));
      if (typeof right === 'string') return right.includes(string(expr, left, 'the left side of in'));
      return fail(expr, `the right side of in is ${typeName(right)}, not a list or a string`);
    case '+':
      if (typeof left === 'string' && typeof right === 'string') return left + right;
      return finite(expr, number(expr, left, 'the left side of +') + number(expr, right, 'the right side of +'));
    case '-':
      return finite(expr, number(expr, left, 'the left side of -') - number(expr, right, 'the right side of -'));
    case '*':
      return finite(expr, number(expr, left, 'the left side of *') * number(expr, right, 'the right side of *'));
    case '/':
    case '%': {
      const dividend = number(expr, left, `the left side of ${op}`);
      const divisor = number(expr, right, `the right side of ${op}`);
      if (divisor === 0) fail(expr, 'division by zero');
      return finite(expr, op === '/' ? dividend / divisor : dividend % divisor);
    }
  }
}

/** Whether an expression reads only `context` (and literals): decidable before the event is accepted. */
export function readsOnly(expr: Expr, roots: ReadonlySet<'data' | 'event' | 'context'>): boolean {
  switch (expr.kind) {
    case 'literal':
      return true;
    case 'path':
      return roots.has(expr.root);
    case 'unary':
      return readsOnly(expr.operand, roots);
    case 'binary':
      return readsOnly(expr.left, roots) && readsOnly(expr.right, roots);
    case 'call':
      return expr.fn !== 'now' && expr.args.every((a) => readsOnly(a, roots));
    case 'list':
      return expr.items.every((i) => readsOnly(i, roots));
    case 'object':
      return expr.entries.every((e) => readsOnly(e.value, roots));
    case 'local':
      return false;
  }
}
