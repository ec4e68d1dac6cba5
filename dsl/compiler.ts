/**
 * Syntax tree + schema files → `CompiledJourney` (ir.ts), with every problem found reported as a
 * located diagnostic: unknown events, paths and processors, type errors, unreachable beads, ...
 * Pure: the files of the journey folder are passed in.
 */
import type {
  AssignmentNode, DurationNode, ExprNode, ItemNode, Name, ObjectNode, Span, StepNode, TimerSpecNode,
} from './ast.js';
import { didYouMean, sortDiagnostics } from './diagnostics.js';
import type { Diagnostic, DiagnosticCode, SourceText } from './diagnostics.js';
import { ANY, createAjv, lookupField, nonNull, ty, tyOfSchema, union } from './json-schemas.js';
import type { Kind, Ty } from './json-schemas.js';
import { IR_VERSION } from './ir.js';
import type {
  AccessRule, Bead, CompiledJourney, EventDefinition, Expr, JsonSchema, Precondition, SearchField, Step,
  TimerDefinition,
} from './ir.js';
import { kebabCase, pascalCase, processorFileCandidates } from './naming.js';
import { parseJourney } from './parser.js';
import { assertValidIr } from './ir-schema.js';

export interface CompileInput {
  /** The definition file's path, as diagnostics should show it (e.g. `journeys/pfm/wallet/1.0/journey.jd`). */
  file: string;
  source: string;
  /** The other files of the journey version folder, by path relative to it (`events/deposit.schema.json`). */
  files: ReadonlyMap<string, string>;
  /** Name and version the folder implies; the header must agree. */
  expected?: { name: string; version: string };
  /** What the IR's `source` says (the definition file relative to the journeys root); defaults to `file`. */
  sourceName?: string;
}

export interface CompileOutput {
  /** The compiled journey, when there are no errors. */
  journey: CompiledJourney | null;
  diagnostics: Diagnostic[];
}

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
    origin: { enum: ['api', 'emitted', 'timer', 'backend'] },
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

const DURATION_UNITS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  second: 1000, seconds: 1000,
  minute: 60_000, minutes: 60_000,
  hour: 3_600_000, hours: 3_600_000,
  day: 86_400_000, days: 86_400_000,
  week: 604_800_000, weeks: 604_800_000,
};

const SEARCH_TYPES = new Set(['string', 'number', 'boolean']);

interface EventInfo {
  schema: JsonSchema;
  file: string;
  span: Span;
}

/** Where an expression is evaluated, and what it may read. */
interface Env {
  /** The data schema. */
  data: JsonSchema;
  /** The event's schema and name; null where `event` cannot be read (a declared timer's payload). */
  event: { name: string; schema: JsonSchema; file: string } | null;
}

/** Whether schema texts compile with ajv, remembered: compiling is slow and the same files recur. */
const schemaProblems = new Map<string, string | null>();
/** One ajv for these checks: a new one compiles the draft 2020-12 meta-schema again (~20 ms each). */
let schemaChecker: ReturnType<typeof createAjv> | undefined;

function schemaProblem(text: string, schema: object): string | null {
  const known = schemaProblems.get(text);
  if (known !== undefined) return known;
  let problem: string | null = null;
  schemaChecker ??= createAjv();
  try {
    schemaChecker.compile(schema);
  } catch (thrown: unknown) {
    problem = thrown instanceof Error ? thrown.message : String(thrown);
  } finally {
    // Checked, not kept: another file may declare the same $id.
    try {
      schemaChecker.removeSchema(schema);
    } catch {
      schemaChecker = undefined;
    }
  }
  if (schemaProblems.size >= 1000) schemaProblems.clear();
  schemaProblems.set(text, problem);
  return problem;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function kindsText(kinds: Iterable<Kind>): string {
  const list = [...kinds].map((k) => (k === 'list' ? 'a list' : k === 'object' ? 'an object' : k === 'null' ? 'null' : `a ${k}`));
  return list.length === 0 ? 'nothing' : list.join(' or ');
}

class Compiler {
  readonly diagnostics: Diagnostic[] = [];
  readonly events = new Map<string, EventInfo>();
  /** Events used somewhere without a schema (already reported). */
  readonly undeclared = new Set<string>();
  private readonly folder: string;

  constructor(
    private readonly input: CompileInput,
    private readonly src: SourceText,
  ) {
    const slash = input.file.lastIndexOf('/');
    this.folder = slash >= 0 ? input.file.slice(0, slash + 1) : '';
  }

  error(code: DiagnosticCode, message: string, span: Span): void {
    this.diagnostics.push(this.src.diagnostic('error', code, message, span));
  }

  warning(code: DiagnosticCode, message: string, span: Span): void {
    this.diagnostics.push(this.src.diagnostic('warning', code, message, span));
  }

  // ---- schema files -------------------------------------------------------------------------

  private normalize(path: string): string {
    return path.replace(/^\.\//, '').replace(/\/+/g, '/');
  }

  readSchema(path: string, span: Span): JsonSchema | null {
    const relative = this.normalize(path);
    const text = this.input.files.get(relative);
    if (text === undefined) {
      const schemas = [...this.input.files.keys()].filter((f) => f.endsWith('.json'));
      this.error('missing-file', `schema file ${this.folder}${relative} does not exist${didYouMean(relative, schemas)}`, span);
      return null;
    }
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (thrown: unknown) {
      this.error('invalid-schema', `${this.folder}${relative} is not valid JSON: ${thrown instanceof Error ? thrown.message : String(thrown)}`, span);
      return null;
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      this.error('invalid-schema', `${this.folder}${relative} is not a JSON Schema object`, span);
      return null;
    }
    const problem = schemaProblem(text, schema);
    if (problem !== null) {
      this.error('invalid-schema', `${this.folder}${relative} is not a valid JSON Schema (draft 2020-12): ${problem}`, span);
      return null;
    }
    return schema as JsonSchema;
  }

  declareEvent(name: Name, file: string, span: Span): void {
    const existing = this.events.get(name.value);
    if (existing) {
      const where = this.src.locate(existing.span.start);
      this.error('duplicate-declaration', `event ${name.value} is already declared on line ${where.line} (${existing.file})`, span);
      return;
    }
    const schema = this.readSchema(file, span);
    if (schema) this.events.set(name.value, { schema, file: `${this.folder}${this.normalize(file)}`, span });
  }

  declareEventsFrom(dir: string, span: Span): void {
    const prefix = this.normalize(dir.endsWith('/') ? dir : `${dir}/`).replace(/^\/$/, '');
    const files = [...this.input.files.keys()]
      .filter((f) => f.startsWith(prefix) && f.endsWith('.schema.json') && !f.slice(prefix.length).includes('/'))
      .sort();
    if (files.length === 0) {
      this.error('missing-file', `folder ${this.folder}${prefix} has no event schemas (files named <event-name>.schema.json)`, span);
      return;
    }
    for (const file of files) {
      const event = pascalCase(file.slice(prefix.length, -'.schema.json'.length));
      this.declareEvent({ value: event, span }, file, span);
    }
  }

  eventExists(name: Name, use: string): EventInfo | null {
    const info = this.events.get(name.value);
    if (info) return info;
    this.undeclared.add(name.value);
    const hint = didYouMean(name.value, this.events.keys());
    const file = `events/${kebabCase(name.value)}.schema.json`;
    this.error(
      'unknown-event',
      `${use} ${name.value}, which has no schema${hint || `: add ${file} or declare \`event ${name.value} schema "..."\``}`,
      name.span,
    );
    return null;
  }

  // ---- expressions --------------------------------------------------------------------------

  private typeError(message: string, span: Span): void {
    this.error('type-error', message, span);
  }

  /** Lowers an expression to IR and infers its type, reporting unknown paths and type errors. */
  expr(node: ExprNode, env: Env): { expr: Expr; ty: Ty } {
    switch (node.kind) {
      case 'literal': {
        const value = node.value;
        const kind: Kind = value === null ? 'null' : typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'number' : 'string';
        return { expr: { kind: 'literal', value }, ty: ty(kind) };
      }
      case 'path':
        return { expr: { kind: 'path', root: node.root, segments: node.segments.map((s) => s.value) }, ty: this.pathType(node, env) };
      case 'unary': {
        const operand = this.expr(node.operand, env);
        if (node.op === 'not') {
          this.expectKinds(operand.ty, ['boolean'], node.operand, '`not` needs true or false');
          return { expr: { kind: 'unary', op: 'not', operand: operand.expr }, ty: ty('boolean') };
        }
        this.expectKinds(operand.ty, ['number'], node.operand, '`-` needs a number');
        return { expr: { kind: 'unary', op: 'neg', operand: operand.expr }, ty: ty('number') };
      }
      case 'binary':
        return this.binary(node, env);
      case 'call':
        return this.call(node, env);
      case 'name': {
        const field = node.name.value;
        const roots: string[] = [];
        if (lookupField(env.data, env.data, field).found === true) roots.push(`data.${field}`);
        if (env.event && lookupField(env.event.schema, env.event.schema, field).found === true) roots.push(`event.${field}`);
        if (lookupField(CONTEXT_SCHEMA, CONTEXT_SCHEMA, field).found === true) roots.push(`context.${field}`);
        const hint = roots.length > 0 ? `; did you mean ${roots.join(' or ')}?` : '';
        this.error('unknown-path', `${field} is not a value: a path starts with data., event. or context.${hint}`, node.span);
        return { expr: { kind: 'literal', value: null }, ty: ANY };
      }
      case 'list': {
        const items = node.items.map((item) => this.expr(item, env).expr);
        return { expr: { kind: 'list', items }, ty: ty('list') };
      }
      case 'object':
        return { expr: this.object(node, env), ty: ty('object') };
    }
  }

  object(node: ObjectNode, env: Env): Expr {
    const seen = new Set<string>();
    const entries: Array<{ key: string; value: Expr }> = [];
    for (const entry of node.entries) {
      if (seen.has(entry.key.value)) this.error('duplicate-declaration', `field ${entry.key.value} is given twice`, entry.key.span);
      seen.add(entry.key.value);
      entries.push({ key: entry.key.value, value: this.expr(entry.value, env).expr });
    }
    return { kind: 'object', entries };
  }

  private pathType(node: Extract<ExprNode, { kind: 'path' }>, env: Env): Ty {
    let root: JsonSchema;
    let where: string;
    if (node.root === 'context') {
      root = CONTEXT_SCHEMA;
      where = 'a field of context (sender, roles, trustLevel, channel, geo, origin)';
    } else if (node.root === 'data') {
      root = env.data;
      where = 'defined in the data schema';
    } else {
      if (env.event === null) {
        this.error('unknown-path', 'a declared timer cannot read `event` (several beads may start it); copy the value into data first', node.span);
        return ANY;
      }
      root = env.event.schema;
      where = `defined in the schema of ${env.event.name} (${env.event.file})`;
    }
    let schema: unknown = root;
    let optional = false;
    for (const [index, segment] of node.segments.entries()) {
      const found = lookupField(schema, root, segment.value);
      if (found.found === 'unknown') return ANY;
      if (found.found === false) {
        const text = [node.sugar === 'sender' ? 'context' : node.root, ...node.segments.slice(0, index + 1).map((s) => s.value)].join('.');
        this.error('unknown-path', `${text} is not ${where}${didYouMean(segment.value, found.known)}`, segment.span);
        return ANY;
      }
      schema = found.schema;
      optional = optional || found.optional;
    }
    const result = tyOfSchema(schema, root);
    return optional ? union(result, ty('null')) : result;
  }

  /** Reports when a value can never be one of the wanted kinds. */
  private expectKinds(t: Ty, wanted: Kind[], node: ExprNode, what: string): boolean {
    const kinds = nonNull(t);
    if (kinds === null || kinds.size === 0) return true;
    if (wanted.some((k) => kinds.has(k))) return true;
    this.typeError(`${what}; ${collapse(this.src.slice(node.span))} is ${kindsText(kinds)}`, node.span);
    return false;
  }

  private binary(node: Extract<ExprNode, { kind: 'binary' }>, env: Env): { expr: Expr; ty: Ty } {
    const left = this.expr(node.left, env);
    const right = this.expr(node.right, env);
    const expr: Expr = { kind: 'binary', op: node.op, left: left.expr, right: right.expr };
    const l = nonNull(left.ty);
    const r = nonNull(right.ty);
    const leftText = collapse(this.src.slice(node.left.span));
    const rightText = collapse(this.src.slice(node.right.span));
    switch (node.op) {
      case 'and':
      case 'or':
        this.expectKinds(left.ty, ['boolean'], node.left, `\`${node.op}\` needs true or false on both sides`);
        this.expectKinds(right.ty, ['boolean'], node.right, `\`${node.op}\` needs true or false on both sides`);
        return { expr, ty: ty('boolean') };
      case '==':
      case '!=':
        if (l !== null && r !== null && l.size > 0 && r.size > 0 && ![...l].some((k) => r.has(k))) {
          this.typeError(
            `comparing ${kindsText(l)} with ${kindsText(r)} is always ${node.op === '==' ? 'false' : 'true'}: ${leftText} ${node.op} ${rightText}`,
            node.span,
          );
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
          this.typeError(`cannot ${verb} ${kindsText(l)} and ${kindsText(r)}: ${leftText} ${node.op} ${rightText}`, node.span);
        } else {
          if (l !== null && l.size > 0 && !l.has('number') && !l.has('string')) {
            this.typeError(`\`${node.op}\` needs numbers or strings; ${leftText} is ${kindsText(l)}`, node.left.span);
          }
          if (r !== null && r.size > 0 && !r.has('number') && !r.has('string')) {
            this.typeError(`\`${node.op}\` needs numbers or strings; ${rightText} is ${kindsText(r)}`, node.right.span);
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
        this.expectKinds(left.ty, ['number'], node.left, `\`${node.op}\` needs numbers`);
        this.expectKinds(right.ty, ['number'], node.right, `\`${node.op}\` needs numbers`);
        return { expr, ty: ty('number') };
      case 'in': {
        this.expectKinds(right.ty, ['list', 'string'], node.right, '`in` needs a list or a string on its right');
        if (r !== null && r.size === 1 && r.has('string')) {
          this.expectKinds(left.ty, ['string'], node.left, '`in` a string needs a string on its left');
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

  private call(node: Extract<ExprNode, { kind: 'call' }>, env: Env): { expr: Expr; ty: Ty } {
    const args = node.args.map((arg) => this.expr(arg, env));
    const expr: Expr = { kind: 'call', fn: node.fn.value, args: args.map((a) => a.expr) };
    const fn = Object.prototype.hasOwnProperty.call(FUNCTIONS, node.fn.value) ? FUNCTIONS[node.fn.value] : undefined;
    if (!fn) {
      this.error('unknown-function', `there is no function ${node.fn.value}${didYouMean(node.fn.value, Object.keys(FUNCTIONS)) || ` (functions: ${Object.keys(FUNCTIONS).join(', ')})`}`, node.fn.span);
      return { expr, ty: ANY };
    }
    const count = fn.args.length;
    if (fn.variadic ? args.length < count : args.length !== count) {
      const needs = fn.variadic ? `at least ${count}` : String(count);
      this.typeError(`${node.fn.value} takes ${needs} argument${count === 1 ? '' : 's'}, not ${args.length}`, node.span);
      return { expr, ty: fn.result };
    }
    args.forEach((arg, index) => {
      const wanted = fn.args[Math.min(index, count - 1)] ?? null;
      const argNode = node.args[index];
      if (wanted !== null && argNode) this.expectKinds(arg.ty, wanted, argNode, `${node.fn.value} needs ${kindsText(wanted)}`);
    });
    return { expr, ty: fn.result };
  }

  condition(node: ExprNode, env: Env, what: string): Expr {
    const { expr, ty: t } = this.expr(node, env);
    this.expectKinds(t, ['boolean'], node, `${what} must be true or false`);
    return expr;
  }

  // ---- payloads, assignments ----------------------------------------------------------------

  /** Checks an emitted payload against the event's schema and lowers it. */
  payload(event: Name, node: ObjectNode | null, env: Env): Expr {
    const info = this.events.get(event.value);
    const lowered = node === null ? ({ kind: 'object', entries: [] } as Expr) : this.object(node, env);
    if (!info) return lowered;
    const entries = node?.entries ?? [];
    for (const entry of entries) {
      const found = lookupField(info.schema, info.schema, entry.key.value);
      if (found.found === false) {
        this.error('payload-mismatch', `${event.value} has no field ${entry.key.value}${didYouMean(entry.key.value, found.known)}`, entry.key.span);
      } else if (found.found === true) {
        const want = nonNull(tyOfSchema(found.schema, info.schema));
        const got = this.quietType(entry.value, env);
        const have = got === null ? null : nonNull(got);
        if (want !== null && have !== null && want.size > 0 && have.size > 0 && ![...have].some((k) => want.has(k))) {
          this.error('payload-mismatch', `${event.value}.${entry.key.value} is ${kindsText(want)}, but this is ${kindsText(have)}`, entry.value.span);
        }
      }
    }
    const required = Array.isArray(info.schema.required) ? info.schema.required : [];
    const given = new Set(entries.map((e) => e.key.value));
    const missing = required.filter((key): key is string => typeof key === 'string' && !given.has(key));
    if (missing.length > 0) {
      this.error('payload-mismatch', `${event.value} needs ${missing.length === 1 ? 'field' : 'fields'} ${missing.join(', ')}`, node?.span ?? event.span);
    }
    return lowered;
  }

  /** The type of an expression without reporting again (it was checked when lowered). */
  private quietType(node: ExprNode, env: Env): Ty | null {
    const before = this.diagnostics.length;
    const { ty: t } = this.expr(node, env);
    this.diagnostics.length = before;
    return t;
  }

  assignment(node: AssignmentNode, env: Env): Step {
    const value = this.expr(node.value, env);
    let schema: unknown = env.data;
    for (const [index, segment] of node.target.entries()) {
      const found = lookupField(schema, env.data, segment.value);
      if (found.found === 'unknown') {
        schema = undefined;
        break;
      }
      if (found.found === false) {
        const text = ['data', ...node.target.slice(0, index + 1).map((s) => s.value)].join('.');
        this.error('unknown-path', `${text} is not defined in the data schema${didYouMean(segment.value, found.known)}`, segment.span);
        schema = undefined;
        break;
      }
      schema = found.schema;
    }
    if (schema !== undefined) {
      const want = tyOfSchema(schema, env.data).kinds;
      const have = value.ty.kinds;
      if (want !== null && have !== null && have.size > 0 && ![...have].some((k) => want.has(k))) {
        const target = node.target.map((s) => s.value).join('.');
        this.typeError(`cannot set ${target} (${kindsText(want)}) to ${kindsText(have)}`, node.value.span);
      }
    }
    return { kind: 'assign', path: node.target.map((s) => s.value), value: value.expr };
  }

  // ---- timers -------------------------------------------------------------------------------

  delayMs(node: DurationNode): number {
    const unit = DURATION_UNITS[node.unit.value];
    if (unit === undefined) {
      this.error('invalid-duration', `unknown duration unit ${node.unit.value}${didYouMean(node.unit.value, Object.keys(DURATION_UNITS)) || '; use ms, seconds, minutes, hours, days or weeks'}`, node.unit.span);
      return 1;
    }
    const ms = node.amount * unit;
    if (!Number.isSafeInteger(ms) || ms <= 0) {
      this.error('invalid-duration', `a duration must be a positive whole number of milliseconds, not ${ms}`, node.span);
      return 1;
    }
    return ms;
  }

  timer(name: string, spec: TimerSpecNode, env: Env, span: Span): TimerDefinition {
    if (spec.unlessBefore !== null && spec.unlessAfter !== null) {
      this.error('syntax', 'give `unless` once, before or after `emit`', spec.unlessAfter[0]?.span ?? span);
    }
    const unless = [...(spec.unlessBefore ?? []), ...(spec.unlessAfter ?? [])];
    for (const event of unless) this.eventExists(event, `timer ${name} is cancelled by`);
    this.eventExists(spec.event, 'the timer fires');
    return {
      name,
      delayMs: this.delayMs(spec.delay),
      event: spec.event.value,
      payload: this.payload(spec.event, spec.payload, env),
      unless: unless.map((e) => e.value),
    };
  }
}

interface BeadWork {
  node: Extract<ItemNode, { kind: 'bead' }>;
  bead: Bead;
  /** Texts of its access rules and preconditions, to find duplicates. */
  guards: string[];
}

export function compileJourney(input: CompileInput): CompileOutput {
  const parsed = parseJourney(input.source, input.file);
  if (parsed.ast === null) return { journey: null, diagnostics: parsed.diagnostics };
  const ast = parsed.ast;
  const src = parsed.source;
  const c = new Compiler(input, src);

  const name = ast.header.name.value;
  const version = ast.header.version.value;
  if (input.expected && input.expected.name !== name) {
    c.error('journey-mismatch', `the header names journey ${name}, but its folder is ${input.expected.name}`, ast.header.name.span);
  }
  if (input.expected && input.expected.version !== version) {
    c.error('journey-mismatch', `the header names version ${version}, but its folder is ${input.expected.version}`, ast.header.version.span);
  }

  // Declarations first, wherever they are in the file: beads may use what is declared after them.
  let dataSchema: JsonSchema | null = null;
  let dataSeen = false;
  const published: Name[] = [];
  const timerNodes: Array<Extract<ItemNode, { kind: 'timer' }>> = [];
  const searchNodes: Array<Extract<ItemNode, { kind: 'search' }>> = [];
  const beadNodes: Array<Extract<ItemNode, { kind: 'bead' }>> = [];
  for (const item of ast.items) {
    switch (item.kind) {
      case 'dataSchema':
        if (dataSeen) c.error('duplicate-declaration', 'the data schema is already declared', item.span);
        else dataSchema = c.readSchema(item.file.value, item.file.span);
        dataSeen = true;
        break;
      case 'eventsFrom':
        c.declareEventsFrom(item.dir.value, item.dir.span);
        break;
      case 'event':
        c.declareEvent(item.name, item.file.value, item.file.span);
        break;
      case 'publish':
        published.push(...item.events);
        break;
      case 'timer':
        timerNodes.push(item);
        break;
      case 'search':
        searchNodes.push(item);
        break;
      case 'bead':
        beadNodes.push(item);
        break;
    }
  }
  if (!dataSeen) {
    c.error('missing-declaration', 'missing `data schema "<file>"`: every journey declares the JSON Schema of its data', ast.header.span);
  }
  const data: JsonSchema = dataSchema ?? {};
  for (const event of published) c.eventExists(event, 'publish names');

  // Timers.
  const timerEvents: Array<{ event: Name; what: string }> = [];
  const timers: TimerDefinition[] = [];
  const timerSpans = new Map<string, Span>();
  for (const node of timerNodes) {
    if (timerSpans.has(node.name.value)) {
      c.error('duplicate-declaration', `timer ${node.name.value} is already declared on line ${src.locate(timerSpans.get(node.name.value)!.start).line}`, node.name.span);
      continue;
    }
    timerSpans.set(node.name.value, node.name.span);
    timers.push(c.timer(node.name.value, node.timer, { data, event: null }, node.span));
    timerEvents.push({ event: node.timer.event, what: `timer ${node.name.value} fires` });
  }

  // Beads.
  const counts = new Map<string, number>();
  const works: BeadWork[] = [];
  const processors = new Set<string>();
  const emittedAt = new Map<string, Span>();
  const handledBy = new Set<string>();

  const lowerSteps = (steps: StepNode[], env: Env, beadId: string): Step[] => {
    const out: Step[] = [];
    for (const step of steps) {
      switch (step.kind) {
        case 'set':
          for (const assignment of step.assignments) out.push(c.assignment(assignment, env));
          break;
        case 'emit':
          c.eventExists(step.event, 'emits');
          if (!emittedAt.has(step.event.value)) emittedAt.set(step.event.value, step.event.span);
          out.push({ kind: 'emit', event: step.event.value, payload: c.payload(step.event, step.payload, env) });
          break;
        case 'if':
          out.push({
            kind: 'if',
            condition: c.condition(step.condition, env, 'an `if` condition'),
            then: lowerSteps(step.then, env, beadId),
            else: lowerSteps(step.else, env, beadId),
          });
          break;
        case 'process': {
          const candidates = processorFileCandidates(step.processor.value);
          if (!candidates.some((file) => input.files.has(file))) {
            c.error('unknown-processor', `no action processor ${step.processor.value}: expected the file ${candidates[0] ?? ''}`, step.processor.span);
          }
          processors.add(step.processor.value);
          out.push({ kind: 'process', processor: step.processor.value });
          break;
        }
        case 'startTimer':
        case 'cancelTimer':
          if (!timerSpans.has(step.timer.value)) {
            c.error('unknown-timer', `timer ${step.timer.value} is not declared${didYouMean(step.timer.value, timerSpans.keys()) || ' (declare it with `timer <name> after ...`)'}`, step.timer.span);
          }
          out.push({ kind: step.kind, timer: step.timer.value });
          break;
        case 'after': {
          const timerName = `${beadId}/after@${src.locate(step.span.start).line}:${src.locate(step.span.start).column}`;
          timers.push(c.timer(timerName, step.timer, env, step.span));
          timerEvents.push({ event: step.timer.event, what: 'a timer fires' });
          out.push({ kind: 'startTimer', timer: timerName });
          break;
        }
        case 'call':
          c.eventExists(step.reply, `${step.system.value}.${step.operation.value} replies with`);
          c.eventExists(step.failure, `${step.system.value}.${step.operation.value} fails with`);
          timerEvents.push({ event: step.reply, what: `${step.system.value}.${step.operation.value} replies with` });
          timerEvents.push({ event: step.failure, what: `${step.system.value}.${step.operation.value} fails with` });
          out.push({
            kind: 'call',
            system: step.system.value,
            operation: step.operation.value,
            request: step.request === null ? { kind: 'object', entries: [] } : c.object(step.request, env),
            replyEvent: step.reply.value,
            failureEvent: step.failure.value,
          });
          break;
      }
    }
    return out;
  };

  for (const node of beadNodes) {
    const n = (counts.get(node.event.value) ?? 0) + 1;
    counts.set(node.event.value, n);
    const id = `${node.event.value}#${n}`;
    const info = c.eventExists(node.event, 'a bead handles');
    handledBy.add(node.event.value);
    const env: Env = { data, event: info ? { name: node.event.value, schema: info.schema, file: info.file } : null };
    const envForRules: Env = info ? env : { data, event: { name: node.event.value, schema: {}, file: '?' } };
    const access: AccessRule[] = [];
    const preconditions: Precondition[] = [];
    const steps: StepNode[] = [];
    const guards: string[] = [];
    for (const line of node.lines) {
      if (line.kind === 'allow' || line.kind === 'allowRole' || line.kind === 'when') {
        if (steps.length > 0) {
          const keyword = line.kind === 'when' ? 'when' : 'allow';
          c.error('misplaced-rule', `\`${keyword}\` must come before the bead's steps (set, emit, if, ...)`, { start: line.span.start, end: line.span.start + keyword.length });
        }
        if (line.kind === 'allowRole') {
          const text = `role ${JSON.stringify(line.role.value)}`;
          access.push({
            text,
            condition: { kind: 'binary', op: 'in', left: { kind: 'literal', value: line.role.value }, right: { kind: 'path', root: 'context', segments: ['roles'] } },
          });
          guards.push(`allow ${text}`);
        } else {
          const text = collapse(src.slice(line.condition.span));
          const condition = c.condition(line.condition, envForRules, line.kind === 'when' ? 'a `when` condition' : 'an `allow` condition');
          if (line.kind === 'allow') access.push({ text, condition });
          else {
            const readsData = JSON.stringify(condition).includes('"root":"data"');
            const readsNow = JSON.stringify(condition).includes('"fn":"now"');
            preconditions.push({ text, condition, decidableAtEdge: !readsData && !readsNow });
          }
          guards.push(`${line.kind} ${text}`);
        }
      } else {
        steps.push(line);
      }
    }
    const location = src.locate(node.span.start);
    const bead: Bead = {
      id,
      on: node.event.value,
      initiating: node.initiating,
      access,
      preconditions,
      steps: lowerSteps(steps, envForRules, id),
      location: { line: location.line, column: location.column },
    };
    works.push({ node, bead, guards });
  }

  // Bead-level checks.
  let anyInitiating = false;
  works.forEach((work, index) => {
    const { node, bead } = work;
    if (bead.initiating) anyInitiating = true;
    const earlier = works.slice(0, index).filter((w) => w.bead.on === bead.on);
    const first = earlier[0];
    if (first && first.bead.initiating !== bead.initiating) {
      const line = first.bead.location.line;
      c.error(
        'inconsistent-initiating',
        first.bead.initiating
          ? `${bead.on} is initiating in the bead on line ${line}; mark this bead \`initiating\` too, or use another event`
          : `${bead.on} is not initiating in the bead on line ${line}; an event either starts journeys or not`,
        node.event.span,
      );
      return;
    }
    const shadow = earlier.find((w) => w.guards.length === 0) ?? earlier.find((w) => [...w.guards].sort().join('\n') === [...work.guards].sort().join('\n'));
    if (shadow) {
      const line = shadow.bead.location.line;
      const reason = shadow.guards.length === 0 ? 'has no `allow` or `when` rules, so it always applies first' : 'has the same rules and comes first';
      if (bead.initiating) {
        c.error('duplicate-initiating', `${bead.on} already has an initiating bead on line ${line} that ${reason}`, node.event.span);
      } else {
        c.error('unreachable-bead', `this bead can never apply: the bead for ${bead.on} on line ${line} ${reason}`, node.event.span);
      }
    }
  });
  if (!anyInitiating && beadNodes.length > 0) {
    c.error('missing-declaration', 'no bead is `initiating`: nothing can start this journey (write `on <Event> initiating`)', ast.header.span);
  }

  // Events that go nowhere.
  const publishedNames = new Set(published.map((p) => p.value));
  for (const [event, span] of emittedAt) {
    if (!handledBy.has(event) && !publishedNames.has(event) && !c.undeclared.has(event)) {
      c.warning('unhandled-event', `${event} is emitted but no bead handles it; if it is meant for other systems, list it in \`publish\``, span);
    }
  }
  for (const { event, what } of timerEvents) {
    if (!handledBy.has(event.value) && !c.undeclared.has(event.value)) {
      c.warning('unhandled-event', `${what} ${event.value}, but no bead handles it`, event.span);
    }
  }

  // Search fields.
  const searchFields: SearchField[] = [];
  const searchNames = new Set<string>();
  for (const item of searchNodes) {
    for (const field of item.fields) {
      if (searchNames.has(field.name.value)) {
        c.error('duplicate-declaration', `search field ${field.name.value} is declared twice`, field.name.span);
        continue;
      }
      searchNames.add(field.name.value);
      if (!SEARCH_TYPES.has(field.type.value)) {
        c.error('invalid-search-field', `search fields are string, number or boolean, not ${field.type.value}`, field.type.span);
        continue;
      }
      let segments: Name[] = [field.name];
      if (field.path !== null) {
        if (field.path.kind !== 'path' || field.path.root !== 'data' || field.path.segments.length === 0) {
          c.error('invalid-search-field', 'a search field reads a path into data, e.g. `= data.owner.name`', field.path.span);
          continue;
        }
        segments = field.path.segments;
      }
      const pathNode: ExprNode = { kind: 'path', root: 'data', segments, span: field.path?.span ?? field.name.span };
      const before = c.diagnostics.length;
      const found = c.expr(pathNode, { data, event: null });
      if (c.diagnostics.length === before && found.ty.kinds !== null) {
        const wanted: Kind = field.type.value === 'string' ? 'string' : field.type.value === 'number' ? 'number' : 'boolean';
        if (!found.ty.kinds.has(wanted)) {
          c.error('invalid-search-field', `search field ${field.name.value} is declared ${field.type.value}, but data.${segments.map((s) => s.value).join('.')} is ${kindsText(nonNull(found.ty) ?? [])}`, field.type.span);
        }
      }
      searchFields.push({ name: field.name.value, path: `$.${segments.map((s) => s.value).join('.')}`, type: field.type.value as SearchField['type'] });
    }
  }

  const diagnostics = sortDiagnostics(c.diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { journey: null, diagnostics };

  const events: Record<string, EventDefinition> = {};
  for (const [event, info] of [...c.events.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const definition: EventDefinition = {
      schema: info.schema,
      initiating: works.some((w) => w.bead.on === event && w.bead.initiating),
      handled: handledBy.has(event),
      emitted: emittedAt.has(event),
    };
    if (publishedNames.has(event)) definition.published = true;
    events[event] = definition;
  }
  const journey: CompiledJourney = {
    irVersion: IR_VERSION,
    name,
    version,
    source: input.sourceName ?? input.file,
    dataSchema: data,
    events,
    searchFields,
    beads: works.map((w) => w.bead),
    timers,
    processors: [...processors].sort(),
  };
  assertValidIr(journey);
  return { journey: JSON.parse(JSON.stringify(journey)) as CompiledJourney, diagnostics };
}
