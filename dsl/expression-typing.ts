/**
 * Expressions, lowered to IR and typed against the JSON Schemas of what they read: the data, the
 * event, and the context. Reports unknown paths and functions, and operands whose types can
 * never fit (`and` on a number, comparing a string with a list, ...). A schema that does not say
 * gives an unknown type, which fits anything: only certain mistakes are errors.
 */
import type { ExprNode, Name, ObjectNode, Span } from './ast.js';
import type { Compilation } from './compilation.js';
import { didYouMean } from './diagnostics.js';
import type { Expr, Json, JsonSchema } from './ir.js';
import { ANY, kindsText, lookupField, nonNull, resolve, ty, tyOfSchema, union } from './json-schemas.js';
import type { Kind, Ty } from './json-schemas.js';

/** The fields of `context` expressions may read (`sender` is `context.sender`). */
export const CONTEXT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['sender', 'roles', 'trustLevel', 'channel'],
  properties: {
    sender: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    trustLevel: { type: 'integer', minimum: 0, maximum: 3 },
    channel: { type: 'string' },
    geo: { type: 'string' },
    origin: { enum: ['api', 'emitted', 'timer', 'backend', 'journey'] },
    journey: { type: 'string' },
    journeyType: { type: 'string' },
  },
  additionalProperties: false,
};

/** Built-in functions: argument kinds (null = anything) and result. */
const FUNCTIONS: Record<string, { args: Array<Kind[] | null>; variadic?: boolean; result: Ty }> = {
  now: { args: [], result: ty('number') },
  length: { args: [['string', 'list']], result: ty('number') },
  lower: { args: [['string']], result: ty('string') },
  upper: { args: [['string']], result: ty('string') },
  trim: { args: [['string']], result: ty('string') },
  contains: { args: [['string', 'list'], null], result: ty('boolean') },
  startsWith: { args: [['string'], ['string']], result: ty('boolean') },
  endsWith: { args: [['string'], ['string']], result: ty('boolean') },
  abs: { args: [['number']], result: ty('number') },
  round: { args: [['number']], result: ty('number') },
  floor: { args: [['number']], result: ty('number') },
  ceil: { args: [['number']], result: ty('number') },
  min: { args: [['number'], ['number']], variadic: true, result: ty('number') },
  max: { args: [['number'], ['number']], variadic: true, result: ty('number') },
};

/** Where an expression is evaluated, and what it may read. */
export interface Env {
  /** The data schema. */
  data: JsonSchema;
  /** The event's schema and name; null where `event` cannot be read (a declared timer's payload). */
  event: { name: string; schema: JsonSchema; file: string } | null;
  /**
   * In an `uplift from` section: the older version and its data schema (`{}` when not known).
   * The data starts as that version's, so `data.x` reads are typed by it first, then by `data`.
   */
  previousData?: { version: string; schema: JsonSchema };
  /** The items of the enclosing `for` loops, by name. */
  locals?: ReadonlyMap<string, LocalItem>;
}

/** The item a `for` loop is at, as its steps see it. */
export interface LocalItem {
  /** The schema of the list's items (`{}` when not known), and the schema its `$ref`s resolve in. */
  schema: unknown;
  root: JsonSchema;
  /** The list as written (`data.items`), for messages. */
  list: string;
  /** Whether steps may write its fields: only an item of a list in the journey's data. */
  writable: boolean;
}

/** Source text on one line, as messages quote it. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The values a schema allows when it lists them (`const`, `enum`, or `anyOf`/`oneOf` branches
 * that all do); null when it admits values it does not list.
 */
export function allowedValues(schemaIn: unknown, root: JsonSchema, depth = 0): Json[] | null {
  const schema = resolve(schemaIn, root);
  if (schema === null || depth > 20) return null;
  if ('const' in schema) return [schema.const ?? null];
  if (Array.isArray(schema.enum)) return schema.enum;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const values: Json[] = [];
      for (const branch of branches) {
        const inner = allowedValues(branch, root, depth + 1);
        if (inner === null) return null;
        values.push(...inner);
      }
      return values;
    }
  }
  return null;
}

/**
 * When `value` is not one of the values a schema lists: the values it lists, with the closest as
 * a `did you mean` hint (`"open" or "closed"; did you mean "closed"?`). Null when it is one, or
 * when the schema does not list its values.
 */
export function notAllowed(schema: unknown, root: JsonSchema, value: Json, optional = false): string | null {
  const values = allowedValues(schema, root);
  if (values === null || (optional && value === null)) return null;
  const text = JSON.stringify(value);
  const texts = values.map((v) => JSON.stringify(v));
  if (texts.includes(text)) return null;
  const listed = texts.length <= 1 ? (texts[0] ?? 'nothing') : `${texts.slice(0, -1).join(', ')} or ${texts[texts.length - 1] ?? ''}`;
  return `${listed}${didYouMean(text, texts)}`;
}

/** The schema a path reads (and the schema its `$ref`s resolve in), without reporting; null when not known. */
function quietSchemaOf(c: Compilation, node: ExprNode, env: Env): { schema: unknown; root: JsonSchema; optional: boolean } | null {
  const before = c.diagnostics.length;
  let found: { schema: unknown; optional: boolean } | null = null;
  let root: JsonSchema = {};
  if (node.kind === 'path' && node.root === 'data' && env.previousData === undefined) {
    root = env.data;
    found = schemaAt(c, root, 'data', node.segments, '');
  } else if (node.kind === 'path' && node.root === 'event' && env.event !== null) {
    root = env.event.schema;
    found = schemaAt(c, root, 'event', node.segments, '');
  } else if (node.kind === 'path' && node.root === 'context') {
    root = CONTEXT_SCHEMA;
    found = schemaAt(c, root, 'context', node.segments, '');
  } else if (node.kind === 'local') {
    const item = env.locals?.get(node.name.value);
    if (item) {
      root = item.root;
      found = schemaAt(c, root, node.name.value, node.segments, '', item.schema);
    }
  }
  c.diagnostics.length = before;
  return found === null ? null : { ...found, root };
}

/** `data.status == "pendng"`: a path compared with a literal its schema does not allow. */
function checkEnumComparison(c: Compilation, node: Extract<ExprNode, { kind: 'binary' }>, env: Env): void {
  const [path, literal] = node.right.kind === 'literal' ? [node.left, node.right] : node.left.kind === 'literal' ? [node.right, node.left] : [null, null];
  if (path === null || literal === null || literal.kind !== 'literal') return;
  const found = quietSchemaOf(c, path, env);
  if (found === null) return;
  const allowed = notAllowed(found.schema, found.root, literal.value, found.optional);
  if (allowed === null) return;
  const pathText = collapse(c.src.slice(path.span));
  c.error('not-in-enum', `${collapse(c.src.slice(node.span))} is always ${node.op === '==' ? 'false' : 'true'}: ${pathText} is ${allowed}`, literal.span);
}

function typeError(c: Compilation, message: string, span: Span): void {
  c.error('type-error', message, span);
}

/** Lowers an expression to IR and infers its type, reporting unknown paths and type errors. */
export function lowerExpr(c: Compilation, node: ExprNode, env: Env): { expr: Expr; ty: Ty } {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      const kind: Kind = value === null ? 'null' : typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'number' : 'string';
      return { expr: { kind: 'literal', value }, ty: ty(kind) };
    }
    case 'path':
      return { expr: { kind: 'path', root: node.root, segments: node.segments.map((s) => s.value) }, ty: pathType(c, node, env) };
    case 'unary': {
      const operand = lowerExpr(c, node.operand, env);
      if (node.op === 'not') {
        expectKinds(c, operand.ty, ['boolean'], node.operand, '`not` needs true or false');
        return { expr: { kind: 'unary', op: 'not', operand: operand.expr }, ty: ty('boolean') };
      }
      expectKinds(c, operand.ty, ['number'], node.operand, '`-` needs a number');
      return { expr: { kind: 'unary', op: 'neg', operand: operand.expr }, ty: ty('number') };
    }
    case 'binary':
      return binary(c, node, env);
    case 'call':
      return call(c, node, env);
    case 'local':
      return localPath(c, node.name, node.segments, env);
    case 'name': {
      const field = node.name.value;
      if (env.locals?.has(field)) return localPath(c, node.name, [], env);
      const roots: string[] = [];
      if (lookupField(env.data, env.data, field).found === true) roots.push(`data.${field}`);
      if (env.event && lookupField(env.event.schema, env.event.schema, field).found === true) roots.push(`event.${field}`);
      if (lookupField(CONTEXT_SCHEMA, CONTEXT_SCHEMA, field).found === true) roots.push(`context.${field}`);
      const hint = roots.length > 0 ? `; did you mean ${roots.join(' or ')}?` : '';
      c.error('unknown-path', `${field} is not a value: a path starts with data., event. or context.${hint}`, node.span);
      return { expr: { kind: 'literal', value: null }, ty: ANY };
    }
    case 'list': {
      const items = node.items.map((item) => lowerExpr(c, item, env).expr);
      return { expr: { kind: 'list', items }, ty: ty('list') };
    }
    case 'object':
      return { expr: lowerObject(c, node, env), ty: ty('object') };
  }
}

export function lowerObject(c: Compilation, node: ObjectNode, env: Env): Expr {
  const seen = new Set<string>();
  const entries: Array<{ key: string; value: Expr }> = [];
  for (const entry of node.entries) {
    if (seen.has(entry.key.value)) c.error('duplicate-declaration', `field ${entry.key.value} is given twice`, entry.key.span);
    seen.add(entry.key.value);
    entries.push({ key: entry.key.value, value: lowerExpr(c, entry.value, env).expr });
  }
  return { kind: 'object', entries };
}

/** Lowers an expression that must be true or false. */
export function lowerCondition(c: Compilation, node: ExprNode, env: Env, what: string): Expr {
  const { expr, ty: t } = lowerExpr(c, node, env);
  expectKinds(c, t, ['boolean'], node, `${what} must be true or false`);
  return expr;
}

/** The type of an expression without reporting again (it was checked when lowered). */
export function quietType(c: Compilation, node: ExprNode, env: Env): Ty | null {
  const before = c.diagnostics.length;
  const { ty: t } = lowerExpr(c, node, env);
  c.diagnostics.length = before;
  return t;
}

/**
 * The one reader of a path of fields out of a schema: the schema at `segments` below `root`, and
 * whether a field on the way is optional. Null where the schema does not say (anything goes), or
 * after reporting the first field that is not there as `<rootName>.<path> is not <where>`.
 */
export function schemaAt(
  c: Compilation,
  root: JsonSchema,
  rootName: string,
  segments: readonly Name[],
  where: string,
  start: unknown = root,
): { schema: unknown; optional: boolean } | null {
  let schema: unknown = start;
  let optional = false;
  for (const [index, segment] of segments.entries()) {
    const found = lookupField(schema, root, segment.value);
    if (found.found === 'unknown') return null;
    if (found.found === false) {
      const text = [rootName, ...segments.slice(0, index + 1).map((s) => s.value)].join('.');
      c.error('unknown-path', `${text} is not ${where}${didYouMean(segment.value, found.known)}`, segment.span);
      return null;
    }
    schema = found.schema;
    optional = optional || found.optional;
  }
  return { schema, optional };
}

/** `item.a.b`: a field of the item an enclosing `for` loop is at, typed by the list's item schema. */
function localPath(c: Compilation, name: Name, segments: readonly Name[], env: Env): { expr: Expr; ty: Ty } {
  const expr: Expr = { kind: 'local', name: name.value, segments: segments.map((s) => s.value) };
  const item = env.locals?.get(name.value);
  if (!item) {
    c.error(
      'unknown-path',
      `${name.value} is not a loop's item (\`for ${name.value} in <list> … end\`); a path starts with data., event. or context.`,
      name.span,
    );
    return { expr, ty: ANY };
  }
  const found = schemaAt(c, item.root, name.value, segments, `a field of an item of ${item.list}`, item.schema);
  if (found === null) return { expr, ty: ANY };
  const result = tyOfSchema(found.schema, item.root);
  return { expr, ty: found.optional ? union(result, ty('null')) : result };
}

/**
 * The schema of the items of a list an expression reads, and the schema its `$ref`s resolve in;
 * `{}` (anything) when the expression is not a path to a list the schemas describe.
 */
export function listItemSchema(c: Compilation, node: ExprNode, env: Env): { schema: unknown; root: JsonSchema } {
  const before = c.diagnostics.length;
  let found: { schema: unknown; optional: boolean } | null = null;
  let root: JsonSchema = {};
  if (node.kind === 'path' && node.root === 'data') {
    root = env.data;
    found = schemaAt(c, root, 'data', node.segments, '');
  } else if (node.kind === 'path' && node.root === 'event' && env.event !== null) {
    root = env.event.schema;
    found = schemaAt(c, root, 'event', node.segments, '');
  } else if (node.kind === 'local' || node.kind === 'name') {
    const item = env.locals?.get(node.name.value);
    if (item) {
      root = item.root;
      found = schemaAt(c, root, node.name.value, node.kind === 'local' ? node.segments : [], '', item.schema);
    }
  }
  c.diagnostics.length = before;
  const list = found === null ? null : resolve(found.schema, root);
  return { schema: list !== null && list.items !== undefined ? list.items : {}, root };
}

function pathType(c: Compilation, node: Extract<ExprNode, { kind: 'path' }>, env: Env): Ty {
  let root: JsonSchema;
  let where: string;
  if (node.root === 'context') {
    root = CONTEXT_SCHEMA;
    where = 'a field of context (sender, roles, trustLevel, channel, geo, origin, journey, journeyType)';
  } else if (node.root === 'data') {
    root = env.data;
    where = 'defined in the data schema';
    if (env.previousData !== undefined) {
      const previous = env.previousData.schema;
      const before = c.diagnostics.length;
      const found = schemaAt(c, previous, 'data', node.segments, where);
      const known = c.diagnostics.length === before;
      c.diagnostics.length = before;
      if (known) {
        if (found === null) return ANY;
        const result = tyOfSchema(found.schema, previous);
        return found.optional ? union(result, ty('null')) : result;
      }
      where = `defined in the data schema of this version or of ${env.previousData.version}`;
    }
  } else {
    if (env.event === null) {
      c.error('unknown-path', 'a declared timer cannot read `event` (several beads may start it); copy the value into data first', node.span);
      return ANY;
    }
    root = env.event.schema;
    where = `defined in the schema of ${env.event.name} (${env.event.file})`;
  }
  const found = schemaAt(c, root, node.sugar === 'sender' ? 'context' : node.root, node.segments, where);
  if (found === null) return ANY;
  const result = tyOfSchema(found.schema, root);
  return found.optional ? union(result, ty('null')) : result;
}

/** Reports when a value can never be one of the wanted kinds. */
function expectKinds(c: Compilation, t: Ty, wanted: Kind[], node: ExprNode, what: string): boolean {
  const kinds = nonNull(t);
  if (kinds === null || kinds.size === 0) return true;
  if (wanted.some((k) => kinds.has(k))) return true;
  typeError(c, `${what}; ${collapse(c.src.slice(node.span))} is ${kindsText(kinds)}`, node.span);
  return false;
}

function binary(c: Compilation, node: Extract<ExprNode, { kind: 'binary' }>, env: Env): { expr: Expr; ty: Ty } {
  const left = lowerExpr(c, node.left, env);
  const right = lowerExpr(c, node.right, env);
  const expr: Expr = { kind: 'binary', op: node.op, left: left.expr, right: right.expr };
  const l = nonNull(left.ty);
  const r = nonNull(right.ty);
  const leftText = collapse(c.src.slice(node.left.span));
  const rightText = collapse(c.src.slice(node.right.span));
  switch (node.op) {
    case 'and':
    case 'or':
      expectKinds(c, left.ty, ['boolean'], node.left, `\`${node.op}\` needs true or false on both sides`);
      expectKinds(c, right.ty, ['boolean'], node.right, `\`${node.op}\` needs true or false on both sides`);
      return { expr, ty: ty('boolean') };
    case '==':
    case '!=':
      if (l !== null && r !== null && l.size > 0 && r.size > 0 && ![...l].some((k) => r.has(k))) {
        typeError(
          c,
          `comparing ${kindsText(l)} with ${kindsText(r)} is always ${node.op === '==' ? 'false' : 'true'}: ${leftText} ${node.op} ${rightText}`,
          node.span,
        );
      } else {
        checkEnumComparison(c, node, env);
      }
      return { expr, ty: ty('boolean') };
    case '<':
    case '<=':
    case '>':
    case '>=':
    case '+': {
      const verb = node.op === '+' ? 'add' : 'compare';
      const known = l !== null && r !== null && l.size > 0 && r.size > 0;
      const numbers = l === null || r === null || (l.has('number') && r.has('number'));
      const strings = l === null || r === null || (l.has('string') && r.has('string'));
      if (known && !numbers && !strings) {
        typeError(c, `cannot ${verb} ${kindsText(l)} and ${kindsText(r)}: ${leftText} ${node.op} ${rightText}`, node.span);
      } else {
        if (l !== null && l.size > 0 && !l.has('number') && !l.has('string')) {
          typeError(c, `\`${node.op}\` needs numbers or strings; ${leftText} is ${kindsText(l)}`, node.left.span);
        }
        if (r !== null && r.size > 0 && !r.has('number') && !r.has('string')) {
          typeError(c, `\`${node.op}\` needs numbers or strings; ${rightText} is ${kindsText(r)}`, node.right.span);
        }
      }
      if (node.op !== '+') return { expr, ty: ty('boolean') };
      if (l === null || r === null) {
        const other = l ?? r;
        if (other !== null && other.size === 1 && (other.has('number') || other.has('string'))) return { expr, ty: { kinds: new Set(other) } };
        return { expr, ty: ty('number', 'string') };
      }
      const kinds: Kind[] = [];
      if (l.has('number') && r.has('number')) kinds.push('number');
      if (l.has('string') && r.has('string')) kinds.push('string');
      return { expr, ty: kinds.length > 0 ? ty(...kinds) : ANY };
    }
    case '-':
    case '*':
    case '/':
    case '%':
      expectKinds(c, left.ty, ['number'], node.left, `\`${node.op}\` needs numbers`);
      expectKinds(c, right.ty, ['number'], node.right, `\`${node.op}\` needs numbers`);
      return { expr, ty: ty('number') };
    case 'in': {
      expectKinds(c, right.ty, ['list', 'string'], node.right, '`in` needs a list or a string on its right');
      if (r !== null && r.size === 1 && r.has('string')) {
        expectKinds(c, left.ty, ['string'], node.left, '`in` a string needs a string on its left');
      }
      return { expr, ty: ty('boolean') };
    }
    case '??': {
      const leftKinds = nonNull(left.ty);
      const result = leftKinds === null ? ANY : union({ kinds: leftKinds }, right.ty);
      return { expr, ty: result };
    }
  }
}

function call(c: Compilation, node: Extract<ExprNode, { kind: 'call' }>, env: Env): { expr: Expr; ty: Ty } {
  const args = node.args.map((arg) => lowerExpr(c, arg, env));
  const expr: Expr = { kind: 'call', fn: node.fn.value, args: args.map((a) => a.expr) };
  const fn = Object.prototype.hasOwnProperty.call(FUNCTIONS, node.fn.value) ? FUNCTIONS[node.fn.value] : undefined;
  if (!fn) {
    c.error(
      'unknown-function',
      `there is no function ${node.fn.value}${didYouMean(node.fn.value, Object.keys(FUNCTIONS)) || ` (functions: ${Object.keys(FUNCTIONS).join(', ')})`}`,
      node.fn.span,
    );
    return { expr, ty: ANY };
  }
  const count = fn.args.length;
  if (fn.variadic ? args.length < count : args.length !== count) {
    const needs = fn.variadic ? `at least ${count}` : String(count);
    typeError(c, `${node.fn.value} takes ${needs} argument${count === 1 ? '' : 's'}, not ${args.length}`, node.span);
    return { expr, ty: fn.result };
  }
  args.forEach((arg, index) => {
    const wanted = fn.args[Math.min(index, count - 1)] ?? null;
    const argNode = node.args[index];
    if (wanted !== null && argNode) expectKinds(c, arg.ty, wanted, argNode, `${node.fn.value} needs ${kindsText(wanted)}`);
  });
  return { expr, ty: fn.result };
}
