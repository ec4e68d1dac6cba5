/**
 * Rules evaluated abstractly, over what the analysis knows: the state field is known, `event` and
 * the rest of the data are unknown, and `context` is one candidate or anything. Once every part of
 * an expression is known the real evaluator computes it, so both agree on semantics; a rule
 * counts as failing only when it certainly fails.
 */
import { EvaluationError, evalExpr } from './expressions.js';
import type { Bead, Expr, Json, JsonObject } from './ir.js';
import { readPath } from './json-values.js';

/** A value the analysis knows, or what it knows about it. */
export type Abstract =
  | { k: 'value'; value: Json }
  /** Any value, or an evaluation error. */
  | { k: 'unknown' }
  /** Certainly an evaluation error. */
  | { k: 'error' }
  /** `false` or an evaluation error: a condition that certainly does not hold. */
  | { k: 'notTrue' };

const UNKNOWN: Abstract = { k: 'unknown' };
const ERROR: Abstract = { k: 'error' };
const NOT_TRUE: Abstract = { k: 'notTrue' };
const known = (value: Json): Abstract => ({ k: 'value', value });

/** What is known of the data: some top-level fields; the rest is null (being created) or unknown. */
export interface AbstractData {
  known: Map<string, Json>;
  rest: 'null' | 'unknown';
  /** Fields set to something unknown (they no longer read null in a journey being created). */
  changed: Set<string>;
}

export interface AbstractScope {
  data: AbstractData;
  /** A candidate context, or null when any context is possible. */
  context: JsonObject | null;
}

const NO_SCOPE = { data: null, event: {}, context: {}, nowMs: 0 };

function readData(data: AbstractData, segments: readonly string[]): Abstract {
  const [first, ...rest] = segments;
  if (first === undefined) return UNKNOWN;
  if (data.known.has(first)) return known(readPath(data.known.get(first) ?? null, rest));
  return data.rest === 'null' && !data.changed.has(first) ? known(null) : UNKNOWN;
}

const literal = (value: Json): Expr => ({ kind: 'literal', value });

/** Evaluates with the real evaluator once every part is known, so both agree on semantics. */
function concrete(parts: Abstract[], rebuild: (values: Json[]) => Expr): Abstract {
  if (parts.some((p) => p.k === 'error')) return ERROR;
  const values: Json[] = [];
  for (const part of parts) {
    if (part.k !== 'value') return UNKNOWN;
    values.push(part.value);
  }
  try {
    return known(evalExpr(rebuild(values), NO_SCOPE));
  } catch (thrown: unknown) {
    return thrown instanceof EvaluationError ? ERROR : UNKNOWN;
  }
}

/** An operand of `and`/`or`/`not`/`if` as the evaluator sees it: anything but a boolean is an error. */
export function asBoolean(value: Abstract): Abstract {
  return value.k === 'value' && typeof value.value !== 'boolean' ? ERROR : value;
}

export function evaluateAbstract(expr: Expr, scope: AbstractScope): Abstract {
  switch (expr.kind) {
    case 'literal':
      return known(expr.value);
    case 'path':
      if (expr.root === 'event') return UNKNOWN;
      if (expr.root === 'context') return scope.context === null ? UNKNOWN : known(readPath(scope.context, expr.segments));
      return readData(scope.data, expr.segments);
    case 'unary': {
      const operand = evaluateAbstract(expr.operand, scope);
      if (expr.op === 'neg') return concrete([operand], ([v]) => ({ kind: 'unary', op: 'neg', operand: literal(v ?? null) }));
      const value = asBoolean(operand);
      if (value.k === 'value') return known(value.value !== true);
      return value.k === 'error' ? ERROR : UNKNOWN;
    }
    case 'binary': {
      if (expr.op === 'and' || expr.op === 'or') return logical(expr.op, expr.left, expr.right, scope);
      const left = evaluateAbstract(expr.left, scope);
      if (expr.op === '??') {
        if (left.k === 'value') return left.value === null ? evaluateAbstract(expr.right, scope) : left;
        return left.k === 'error' ? ERROR : UNKNOWN;
      }
      const right = evaluateAbstract(expr.right, scope);
      return concrete([left, right], ([l, r]) => ({ ...expr, left: literal(l ?? null), right: literal(r ?? null) }));
    }
    case 'call':
      if (expr.fn === 'now') return UNKNOWN;
      return concrete(
        expr.args.map((a) => evaluateAbstract(a, scope)),
        (values) => ({ ...expr, args: values.map(literal) }),
      );
    case 'list':
      return concrete(
        expr.items.map((i) => evaluateAbstract(i, scope)),
        (values) => ({ kind: 'list', items: values.map(literal) }),
      );
    case 'object':
      return concrete(
        expr.entries.map((e) => evaluateAbstract(e.value, scope)),
        (values) => ({
          kind: 'object',
          entries: expr.entries.map((e, i) => ({ key: e.key, value: literal(values[i] ?? null) })),
        }),
      );
    case 'local':
      // A loop's item: which one, the analysis does not follow.
      return UNKNOWN;
  }
}

function logical(op: 'and' | 'or', leftExpr: Expr, rightExpr: Expr, scope: AbstractScope): Abstract {
  const left = asBoolean(evaluateAbstract(leftExpr, scope));
  if (left.k === 'error') return ERROR;
  // The short-circuit value: `false and …` is false, `true or …` is true.
  if (left.k === 'value' && left.value === (op === 'or')) return left;
  const right = asBoolean(evaluateAbstract(rightExpr, scope));
  if (left.k === 'value') return right;
  const rightTrue = right.k === 'unknown' || (right.k === 'value' && right.value === true);
  if (op === 'and') return left.k === 'notTrue' || !rightTrue ? NOT_TRUE : UNKNOWN;
  return left.k === 'notTrue' && !rightTrue ? NOT_TRUE : UNKNOWN;
}

export type Truth = 'yes' | 'no' | 'maybe';

export function truth(value: Abstract): Truth {
  if (value.k === 'value') return value.value === true ? 'yes' : 'no';
  return value.k === 'unknown' ? 'maybe' : 'no';
}

function anyOf(truths: Truth[]): Truth {
  if (truths.includes('yes')) return 'yes';
  return truths.every((t) => t === 'no') ? 'no' : 'maybe';
}

function allOf(truths: Truth[]): Truth {
  if (truths.includes('no')) return 'no';
  return truths.every((t) => t === 'yes') ? 'yes' : 'maybe';
}

/** Whether a bead's rules hold: any access rule (or none), and every precondition. */
export function rulesHold(bead: Bead, scope: AbstractScope): Truth {
  const access = bead.access.length === 0 ? 'yes' : anyOf(bead.access.map((r) => truth(evaluateAbstract(r.condition, scope))));
  return allOf([access, ...bead.preconditions.map((p) => truth(evaluateAbstract(p.condition, scope)))]);
}
