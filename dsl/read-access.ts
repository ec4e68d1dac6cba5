/**
 * Read access at run time (pure): who may read a journey's data and history, from its `read allow`
 * rules (read-rules.ts lowers them). With the reader known, each rule is partially evaluated: its
 * `context` reads become the reader's values and everything that no longer depends on the data
 * is computed, so what is left is `all`, `none`, or a condition on the data alone. That condition
 * decides one journey at a time (`mayReadData`), and, when it compares only search fields with
 * literals, a store can turn it into a filter of its query (`residualOnSearchFields`).
 *
 * Exact, never generous: for every data, `mayReadData(readAccess(journey, reader), data)` is what
 * evaluating the rules themselves would answer (a rule grants when it evaluates to `true`; false,
 * any other value, or an evaluation error does not). Simplifications are made only where they keep
 * that so (`false or x` becomes `x` only when `x` is a comparison or the like, which is `true`,
 * `false` or an error, as `false or x` is).
 */
import { contextAsJson, EvaluationError, evalExpr } from './expressions.js';
import type { CompiledJourney, EventContext, Expr, Json, JsonObject, JsonSchema, SearchField } from './ir.js';
import { lookupField, tyOfSchema } from './json-schemas.js';
import type { Kind } from './json-schemas.js';
import { readPath } from './json-values.js';

/** Who reads: the authenticated caller, as the API knows it (an event's context without an origin). */
export type ReaderContext = Omit<EventContext, 'origin'>;

/**
 * What a reader may read of a journey type's instances.
 * - `undeclared`: the journey has no read rule; the caller applies its default (the operator role).
 * - `all` / `none`: every instance / no instance, whatever its data.
 * - `where`: the instances whose data satisfy `condition`, which reads only `data.*`.
 */
export type ReadAccess =
  | { kind: 'undeclared' }
  | { kind: 'all' }
  | { kind: 'none' }
  | {
      kind: 'where';
      /** The rules that still depend on the data, joined with `or`: reads only `data.*` paths. */
      condition: Expr;
      /**
       * The same rules one by one (what `condition` joins). `mayReadData` grants when any holds,
       * so one rule failing to evaluate does not deny another, as with a bead's `allow` rules.
       * Absent: `[condition]`.
       */
      rules?: Expr[];
    };

const NO_DATA_SCOPE = { data: null, event: {}, context: {}, nowMs: 0 };

const literal = (value: Json): Expr => ({ kind: 'literal', value });

/** Whether a read rule reads what a read does not have (the compiler refuses it; an IR could still). */
function readsUnreadable(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
      return false;
    case 'path':
      return expr.root === 'event';
    case 'unary':
      return readsUnreadable(expr.operand);
    case 'binary':
      return readsUnreadable(expr.left) || readsUnreadable(expr.right);
    case 'call':
      return expr.fn === 'now' || expr.args.some(readsUnreadable);
    case 'list':
      return expr.items.some(readsUnreadable);
    case 'object':
      return expr.entries.some((e) => readsUnreadable(e.value));
    case 'local':
      // Read rules have no loop (the compiler refuses the name); an IR could still carry one.
      return true;
  }
}

/** Whether an expression reads the data (after partial evaluation, the only thing left to read). */
function readsData(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
      return false;
    case 'path':
      return expr.root === 'data';
    case 'unary':
      return readsData(expr.operand);
    case 'binary':
      return readsData(expr.left) || readsData(expr.right);
    case 'call':
      return expr.args.some(readsData);
    case 'list':
      return expr.items.some(readsData);
    case 'object':
      return expr.entries.some((e) => readsData(e.value));
    case 'local':
      return false;
  }
}

/** Operators and functions whose value is `true` or `false` whenever they do not fail. */
const BOOLEAN_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in', 'and', 'or']);
const BOOLEAN_FUNCTIONS = new Set(['contains', 'startsWith', 'endsWith']);

function booleanShaped(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
      return typeof expr.value === 'boolean';
    case 'unary':
      return expr.op === 'not';
    case 'binary':
      return BOOLEAN_OPS.has(expr.op);
    case 'call':
      return BOOLEAN_FUNCTIONS.has(expr.fn);
    default:
      return false;
  }
}

/** The kinds of value a data path holds per the data schema (every instance's data fits it); null: unknown. */
function dataKinds(schema: JsonSchema, segments: readonly string[]): Set<Kind> | null {
  let current: unknown = schema;
  let optional = false;
  for (const segment of segments) {
    const found = lookupField(current, schema, segment);
    if (found.found !== true) return null;
    current = found.schema;
    optional = optional || found.optional;
  }
  const kinds = tyOfSchema(current, schema).kinds;
  if (kinds === null) return null;
  const result = new Set(kinds);
  if (optional) result.add('null');
  return result;
}

function kindsOf(expr: Expr, schema: JsonSchema): Set<Kind> | null {
  if (expr.kind === 'path' && expr.root === 'data') return dataKinds(schema, expr.segments);
  if (expr.kind !== 'literal') return null;
  const value = expr.value;
  const kind: Kind =
    value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value === 'object' ? 'object' : (typeof value as 'boolean' | 'number' | 'string');
  return new Set([kind]);
}

/**
 * Whether evaluating an expression can never fail (for data that fits the schema). Conservative:
 * false whenever unsure. Used to drop `x or true` to `true`, which is right only when `x` never fails.
 */
function total(expr: Expr, schema: JsonSchema): boolean {
  switch (expr.kind) {
    case 'literal':
    case 'path':
      return true;
    case 'local':
      return false;
    case 'list':
      return expr.items.every((item) => total(item, schema));
    case 'object':
      return expr.entries.every((entry) => total(entry.value, schema));
    case 'unary':
      return expr.op === 'not' && booleanShaped(expr.operand) && total(expr.operand, schema);
    case 'call':
      return false;
    case 'binary': {
      const { op, left, right } = expr;
      if (!total(left, schema) || !total(right, schema)) return false;
      switch (op) {
        case '==':
        case '!=':
        case '??':
          return true;
        case 'and':
        case 'or':
          return booleanShaped(left) && booleanShaped(right);
        case 'in': {
          // Never fails on a list or null; on a string only with a string on the left.
          const r = kindsOf(right, schema);
          const l = kindsOf(left, schema);
          if (r === null) return false;
          if ([...r].every((k) => k === 'list' || k === 'null')) return true;
          return l !== null && [...r].every((k) => k === 'list' || k === 'null' || k === 'string') && [...l].every((k) => k === 'string');
        }
        case '<':
        case '<=':
        case '>':
        case '>=': {
          // Ordering with null is false; it fails only on two non-null values of other kinds.
          const l = kindsOf(left, schema);
          const r = kindsOf(right, schema);
          if (l === null || r === null) return false;
          const both = new Set([...l, ...r]);
          both.delete('null');
          return both.size <= 1 && !both.has('boolean') && !both.has('list') && !both.has('object');
        }
        default:
          return false;
      }
    }
  }
}

/** The value of an expression that reads nothing, or `undefined` when evaluating it fails. */
function tryValue(expr: Expr): Json | undefined {
  try {
    return evalExpr(expr, NO_DATA_SCOPE);
  } catch (thrown: unknown) {
    if (thrown instanceof EvaluationError) return undefined;
    throw thrown;
  }
}

/** Replaces a part that no longer reads the data by its value (kept as is when it fails: it still fails). */
function settle(expr: Expr): Expr {
  if (expr.kind === 'literal' || readsData(expr)) return expr;
  const value = tryValue(expr);
  return value === undefined ? expr : literal(value);
}

const isLiteral = (expr: Expr, value: boolean): boolean => expr.kind === 'literal' && expr.value === value;

/**
 * Partially evaluates an expression with the context known: the result reads only `data` (or
 * nothing), and evaluates, for every data, to what the expression would.
 */
function residual(expr: Expr, context: JsonObject, schema: JsonSchema): Expr {
  switch (expr.kind) {
    case 'literal':
      return expr;
    case 'path':
      return expr.root === 'context' ? literal(readPath(context, expr.segments)) : expr;
    case 'unary': {
      const operand = residual(expr.operand, context, schema);
      // `not not x` is `x` when x is true, false or fails, as `not` itself is.
      if (expr.op === 'not' && operand.kind === 'unary' && operand.op === 'not' && booleanShaped(operand.operand)) return operand.operand;
      return settle({ kind: 'unary', op: expr.op, operand });
    }
    case 'binary': {
      const left = residual(expr.left, context, schema);
      const right = residual(expr.right, context, schema);
      if (expr.op === 'and' || expr.op === 'or') return logical(expr.op, left, right, schema);
      return settle({ kind: 'binary', op: expr.op, left, right });
    }
    case 'call':
      return settle({ kind: 'call', fn: expr.fn, args: expr.args.map((a) => residual(a, context, schema)) });
    case 'list':
      return settle({ kind: 'list', items: expr.items.map((i) => residual(i, context, schema)) });
    case 'object':
      return settle({ kind: 'object', entries: expr.entries.map((e) => ({ key: e.key, value: residual(e.value, context, schema) })) });
    case 'local':
      return expr;
  }
}

/** `and` / `or` with known sides folded, only where the result evaluates as the original would. */
function logical(op: 'and' | 'or', left: Expr, right: Expr, schema: JsonSchema): Expr {
  const whole: Expr = { kind: 'binary', op, left, right };
  if (!readsData(whole)) return settle(whole);
  // The short-circuit value decides (`false and …` is false, `true or …` is true).
  const decisive = op === 'or';
  if (isLiteral(left, decisive)) return left;
  // `true and x` / `false or x` is x when x is true, false or fails (otherwise it fails).
  if (isLiteral(left, !decisive) && booleanShaped(right)) return right;
  // `x or true` is true / `x and false` is false when x is always true or false; `x and true` is x.
  if (isLiteral(right, decisive) && booleanShaped(left) && total(left, schema)) return right;
  if (isLiteral(right, !decisive) && booleanShaped(left)) return left;
  return whole;
}

/**
 * What `reader` may read of instances of `journey`: partially evaluates its read rules with the
 * reader's context. `undeclared` when the journey has no read rule.
 */
export function readAccess(journey: CompiledJourney, reader: ReaderContext): ReadAccess {
  return readAccessIn(journey, contextAsJson(reader));
}

/** `readAccess` for a context as expressions see it (the analysis tries candidate contexts). */
export function readAccessIn(journey: CompiledJourney, context: JsonObject): ReadAccess {
  const rules = journey.read;
  if (rules === undefined || rules.length === 0) return { kind: 'undeclared' };
  const left: Expr[] = [];
  for (const rule of rules) {
    // A rule that reads the event or the time never grants: a read has neither.
    if (readsUnreadable(rule.condition)) continue;
    const rest = residual(rule.condition, context, journey.dataSchema);
    if (!readsData(rest)) {
      // Decided without the data: true grants everything; anything else (false, a failure) nothing.
      if (isLiteral(rest, true)) return { kind: 'all' };
      continue;
    }
    left.push(rest);
  }
  const [first, ...more] = left;
  if (first === undefined) return { kind: 'none' };
  const condition = more.reduce<Expr>((acc, next) => ({ kind: 'binary', op: 'or', left: acc, right: next }), first);
  return { kind: 'where', condition, rules: left };
}

/** Whether the data of one journey satisfies a `where` access: a failure to evaluate denies. */
export function mayReadData(access: Extract<ReadAccess, { kind: 'where' }>, data: JsonObject | null): boolean {
  const scope = { ...NO_DATA_SCOPE, data };
  return (access.rules ?? [access.condition]).some((rule) => {
    try {
      return evalExpr(rule, scope) === true;
    } catch (thrown: unknown) {
      if (thrown instanceof EvaluationError) return false;
      throw thrown;
    }
  });
}

// ---- as a filter on search fields ------------------------------------------------------------

/**
 * A residual read condition over search fields, ready to become a store's WHERE clause. Logic is
 * two-valued, as the evaluator's: a field with no value is null; `==`/`!=` compare null like any
 * value (`field == null` holds for a missing value, `field != "x"` too); `in` never holds for a
 * missing value; ordering (numbers only) never holds when the field is null.
 */
export type SearchFilter =
  | { kind: 'and' | 'or'; parts: SearchFilter[] }
  | { kind: 'not'; part: SearchFilter }
  /** `value` is a JSON scalar of the field's type, or null with `==` and `!=` only. */
  | { kind: 'compare'; field: SearchField; op: '==' | '!=' | '<' | '<=' | '>' | '>='; value: string | number | boolean | null }
  /** `values` are non-null scalars of the field's type. */
  | { kind: 'in'; field: SearchField; values: Array<string | number | boolean> };

export type SearchFilterResult = { sqlable: true; filter: SearchFilter; fields: string[] } | { sqlable: false; reason: string };

const FLIP: Record<'<' | '<=' | '>' | '>=' | '==' | '!=', '<' | '<=' | '>' | '>=' | '==' | '!='> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '==': '==',
  '!=': '!=',
};

class NotSqlable extends Error {
  override name = 'NotSqlable';
}

/**
 * Whether a residual condition (`ReadAccess` `where`) can be decided by a store's query over the
 * search fields: only `and`, `or`, `not`, comparisons of a data path that is a declared search
 * field with a literal of the field's type, and `in` a literal list. Returns the filter, or why not.
 */
export function residualOnSearchFields(condition: Expr, searchFields: readonly SearchField[]): SearchFilterResult {
  const used = new Set<string>();
  const fieldAt = (expr: Expr): SearchField | null => {
    if (expr.kind !== 'path' || expr.root !== 'data') return null;
    const path = `$.${expr.segments.join('.')}`;
    const field = searchFields.find((f) => f.path === path);
    if (field === undefined) throw new NotSqlable(`data.${expr.segments.join('.')} is not a search field`);
    return field;
  };
  const fits = (field: SearchField, value: Json): value is string | number | boolean => typeof value === field.type;
  const walk = (expr: Expr): SearchFilter => {
    if (expr.kind === 'unary' && expr.op === 'not') return { kind: 'not', part: walk(expr.operand) };
    if (expr.kind !== 'binary') throw new NotSqlable(`${expr.kind === 'path' ? 'a bare path' : `a ${expr.kind}`} is not a comparison`);
    const { op } = expr;
    if (op === 'and' || op === 'or') {
      // `a or b or c` as one list of parts, not nested pairs.
      const parts = [walk(expr.left), walk(expr.right)].flatMap((part) => (part.kind === op ? part.parts : [part]));
      return { kind: op, parts };
    }
    if (op === 'in') {
      const field = fieldAt(expr.left);
      const list = expr.right;
      if (field === null || list.kind !== 'literal' || !Array.isArray(list.value))
        throw new NotSqlable('`in` is filtered only as a search field in a literal list');
      const values = list.value;
      if (!values.every((v) => fits(field, v))) throw new NotSqlable(`the list after \`in\` holds values that are not ${field.type}s`);
      used.add(field.name);
      return { kind: 'in', field, values };
    }
    if (op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
      const leftField = fieldAt(expr.left);
      const rightField = leftField === null ? fieldAt(expr.right) : null;
      const field = leftField ?? rightField;
      const other = leftField !== null ? expr.right : expr.left;
      if (field === null || other.kind !== 'literal') throw new NotSqlable('a comparison is filtered only between a search field and a literal');
      const value = other.value;
      const ordering = op !== '==' && op !== '!=';
      if (ordering && (field.type !== 'number' || typeof value !== 'number')) {
        throw new NotSqlable('ordering is filtered only between a number search field and a number');
      }
      if (value !== null && !fits(field, value)) throw new NotSqlable(`search field ${field.name} is a ${field.type}, compared with ${JSON.stringify(value)}`);
      used.add(field.name);
      return { kind: 'compare', field, op: leftField !== null ? op : FLIP[op], value };
    }
    throw new NotSqlable(`\`${op}\` is not a comparison`);
  };
  try {
    const filter = walk(condition);
    return { sqlable: true, filter, fields: [...used].sort() };
  } catch (thrown: unknown) {
    if (thrown instanceof NotSqlable) return { sqlable: false, reason: thrown.message };
    throw thrown;
  }
}
