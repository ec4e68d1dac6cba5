/**
 * Static analysis of compiled journeys, over the IR and without I/O: which events each state
 * accepts, beads that can never apply, events no sender may send, and events nobody handles.
 * The compiler refuses what is certainly broken; this reports what is probably unintended.
 *
 * States come from a state field (`status` unless told otherwise): every value a bead assigns it
 * is a state, and a bead applies in the states where its rules do not certainly fail. A journey
 * without one has a single state, and its beads are described by their preconditions.
 *
 * Rules are evaluated abstractly: the state field is known, `event` and the rest of the data are
 * unknown, and `context` takes values from a small candidate set built from the rule's own
 * literals (each role or name it mentions, one value it does not, every trust level, each
 * origin). A rule counts as failing only when it fails for every value the analysis cannot tell
 * apart, so an undecidable rule never produces a finding.
 */
import type { Bead, CompiledJourney, EventContext, Expr, Json, JsonObject, SourceLocation, Step } from './ir.js';
import { exprText } from './expression-text.js';
import { EvaluationError, evalExpr, readPath } from './expressions.js';

/** Where an event comes from, as the engine records it in `context.origin`. */
export const EVENT_ORIGINS = ['api', 'emitted', 'timer', 'backend'] as const;
export type EventOrigin = (typeof EVENT_ORIGINS)[number];

/**
 * The context the engine records for events it creates itself: fired timers (engine/worker.ts)
 * and back-end answers (engine/intake.ts). Emitted events carry their cause's context.
 */
export const SYSTEM_CONTEXTS: Readonly<Record<'timer' | 'backend', EventContext>> = {
  timer: { sender: 'system:timer', roles: ['system'], trustLevel: 3, channel: 'timer', origin: 'timer' },
  backend: { sender: 'system:backend', roles: ['system'], trustLevel: 3, channel: 'backend', origin: 'backend' },
};

/** The state before the initiating event: no journey yet. */
export const START_STATE = '(start)';
/** The state field has no value (an initiating bead did not set it). */
export const UNSET_STATE = '(unset)';
/** The state field was set to a computed value (not a literal). */
export const COMPUTED_STATE = '(computed)';
/** The one state of a journey without a state field. */
export const STARTED_STATE = '(started)';

/** Every finding the analysis reports, with what it means. Codes are stable; never reuse one. */
export const ANALYSIS_CODES = {
  'unreachable-bead': 'A bead that can never apply: its rules fail in every state, it applies only in states nothing reaches, or an earlier bead always applies first.',
  'unsendable-event': 'A handled event whose every bead has an access rule no sender can satisfy.',
  'unproduced-event': 'A handled event its beads accept only from a timer, a back end or an emit, none of which produces it.',
  'origin-refused': 'A timer, back-end call or emit produces an event whose beads refuse events from that origin.',
  'unhandled-event': 'An event emitted, fired by a timer or returned by a call that no bead handles (emitted ones: and not published).',
  'unreachable-state': 'A state some bead sets that no path from the start reaches.',
  'unused-event': 'A declared event nothing handles, emits, fires, returns or publishes.',
  'search-field-conflict': 'Journeys declare a search field of one name with different paths or types; the store has one column per name.',
} as const;
export type AnalysisCode = keyof typeof ANALYSIS_CODES;

export interface AnalysisFinding {
  code: AnalysisCode;
  /** `warning`: probably a mistake; `info`: worth a look. */
  severity: 'warning' | 'info';
  message: string;
  journey: string;
  version: string;
  /** The journey's definition file (relative to the journeys root), for `file:line:column`. */
  source: string;
  location?: SourceLocation;
  event?: string;
  beadId?: string;
  state?: string;
}

/** Something that makes an event arrive without a sender: an emit, a timer or a back-end call. */
export type Producer =
  | { kind: 'emit'; beadId: string }
  | { kind: 'timer'; timer: string; delayMs: number; beadIds: string[] }
  | { kind: 'reply' | 'failure'; operation: string; beadId: string };

/** One way a bead moves the journey from a state to a state (one per `if` path that matters). */
export interface Transition {
  beadId: string;
  event: string;
  from: string;
  to: string;
  /** Conditions of the `if` branches on this path (source-like text); empty when none split it. */
  when: string[];
  /** Events emitted, timers started and cancelled, and back-end calls (`system.operation`) made. */
  emits: string[];
  startsTimers: string[];
  cancelsTimers: string[];
  calls: string[];
}

export interface BeadSummary {
  id: string;
  event: string;
  initiating: boolean;
  location: SourceLocation;
  /** States in which its rules do not certainly fail. */
  states: string[];
  /** Origins whose events may pass its rules and that something can actually produce. */
  origins: EventOrigin[];
  access: string[];
  preconditions: string[];
  /** States where an earlier bead for the same event always applies first. */
  preemptedIn: string[];
  /** Whether it may ever apply: an origin, a reachable state, and not always pre-empted. */
  reachable: boolean;
  /** True when its `if` paths were too many to follow one by one: transitions are a sample. */
  approximate?: boolean;
}

export interface JourneyAnalysis {
  name: string;
  version: string;
  source: string;
  /** The data field states are read from, or null when no bead sets one. */
  stateField: string | null;
  /** START_STATE first, then the states in order of first assignment in the source. */
  states: string[];
  reachableStates: string[];
  /** Reachable states in which no bead applies any more. */
  finalStates: string[];
  transitions: Transition[];
  /** For each reachable state, the events some bead accepts there, in bead order. */
  accepts: Record<string, string[]>;
  beads: BeadSummary[];
  /** For each handled event, the origins it may arrive from and be accepted. */
  senders: Record<string, EventOrigin[]>;
  /** For each event something other than a sender produces, what produces it. */
  producers: Record<string, Producer[]>;
  findings: AnalysisFinding[];
}

export interface AnalysisOptions {
  /** The data field holding the journey's state. @defaultValue `status` */
  stateField?: string;
}

// ---- abstract evaluation ------------------------------------------------------------------

/** A value the analysis knows, or what it knows about it. */
type Abstract =
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
interface AbstractData {
  known: Map<string, Json>;
  rest: 'null' | 'unknown';
  /** Fields set to something unknown (they no longer read null in a journey being created). */
  changed: Set<string>;
}

interface AbstractScope {
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
function asBoolean(value: Abstract): Abstract {
  return value.k === 'value' && typeof value.value !== 'boolean' ? ERROR : value;
}

function evaluateAbstract(expr: Expr, scope: AbstractScope): Abstract {
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
      return concrete(expr.args.map((a) => evaluateAbstract(a, scope)), (values) => ({ ...expr, args: values.map(literal) }));
    case 'list':
      return concrete(expr.items.map((i) => evaluateAbstract(i, scope)), (values) => ({ kind: 'list', items: values.map(literal) }));
    case 'object':
      return concrete(expr.entries.map((e) => evaluateAbstract(e.value, scope)), (values) => ({
        kind: 'object',
        entries: expr.entries.map((e, i) => ({ key: e.key, value: literal(values[i] ?? null) })),
      }));
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

type Truth = 'yes' | 'no' | 'maybe';

function truth(value: Abstract): Truth {
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
function rulesHold(bead: Bead, scope: AbstractScope): Truth {
  const access = bead.access.length === 0 ? 'yes' : anyOf(bead.access.map((r) => truth(evaluateAbstract(r.condition, scope))));
  return allOf([access, ...bead.preconditions.map((p) => truth(evaluateAbstract(p.condition, scope)))]);
}

// ---- candidate contexts -------------------------------------------------------------------

/** A sender, channel or role no rule names. */
const SOMEONE = '\u0000someone';
const MAX_CANDIDATES = 4096;

function visit(expr: Expr, each: (e: Expr) => void): void {
  each(expr);
  switch (expr.kind) {
    case 'unary':
      visit(expr.operand, each);
      break;
    case 'binary':
      visit(expr.left, each);
      visit(expr.right, each);
      break;
    case 'call':
      expr.args.forEach((a) => visit(a, each));
      break;
    case 'list':
      expr.items.forEach((i) => visit(i, each));
      break;
    case 'object':
      expr.entries.forEach((e) => visit(e.value, each));
      break;
    case 'literal':
    case 'path':
      break;
  }
}

function ruleExprs(bead: Bead): Expr[] {
  return [...bead.access.map((r) => r.condition), ...bead.preconditions.map((p) => p.condition)];
}

function contextJson(context: EventContext): JsonObject {
  const json: JsonObject = { sender: context.sender, roles: [...context.roles], trustLevel: context.trustLevel, channel: context.channel };
  if (context.geo !== undefined) json.geo = context.geo;
  if (context.origin !== undefined) json.origin = context.origin;
  return json;
}

/** The contexts worth trying for a bead's rules, for one origin (null: too many, any context). */
function candidateContexts(bead: Bead, origin: EventOrigin): Array<JsonObject | null> {
  if (origin === 'timer' || origin === 'backend') return [contextJson(SYSTEM_CONTEXTS[origin])];
  const fields = new Set<string>();
  const strings = new Set<string>();
  for (const expr of ruleExprs(bead)) {
    visit(expr, (e) => {
      if (e.kind === 'path' && e.root === 'context' && e.segments[0] !== undefined) fields.add(e.segments[0]);
      if (e.kind === 'literal' && typeof e.value === 'string') strings.add(e.value);
    });
  }
  const names = [...strings];
  const options: Record<string, Json[]> = {
    sender: [...names, SOMEONE],
    roles: [[], ...names.map((n) => [n]), names],
    trustLevel: [0, 1, 2, 3],
    channel: [...names, SOMEONE],
    geo: [null, ...names],
  };
  let contexts: JsonObject[] = [{ sender: SOMEONE, roles: [], trustLevel: 0, channel: SOMEONE, origin }];
  for (const field of [...fields].sort()) {
    const values = options[field];
    if (values === undefined) continue;
    if (contexts.length * values.length > MAX_CANDIDATES) return [null];
    contexts = contexts.flatMap((context) => values.map((value) => ({ ...context, [field]: value })));
  }
  return contexts;
}

// ---- walking steps ------------------------------------------------------------------------

interface Path {
  state: string;
  data: AbstractData;
  when: string[];
  emits: string[];
  startsTimers: string[];
  cancelsTimers: string[];
  calls: string[];
}

const MAX_PATHS = 256;

function clonePath(path: Path): Path {
  return {
    ...path,
    data: { known: new Map(path.data.known), rest: path.data.rest, changed: new Set(path.data.changed) },
    when: [...path.when],
    emits: [...path.emits],
    startsTimers: [...path.startsTimers],
    cancelsTimers: [...path.cancelsTimers],
    calls: [...path.calls],
  };
}

function stateName(value: Json): string {
  if (value === null) return UNSET_STATE;
  return typeof value === 'string' ? value : COMPUTED_STATE;
}

function stateValue(state: string): Json | undefined {
  if (state === UNSET_STATE) return null;
  return state === COMPUTED_STATE || state === STARTED_STATE ? undefined : state;
}

class StepWalker {
  approximate = false;
  constructor(private readonly stateField: string | null) {}

  walk(steps: readonly Step[], paths: Path[]): Path[] {
    let current = paths;
    for (const step of steps) current = current.flatMap((path) => this.step(step, path));
    return current;
  }

  private step(step: Step, path: Path): Path[] {
    const scope: AbstractScope = { data: path.data, context: null };
    switch (step.kind) {
      case 'assign': {
        const value = evaluateAbstract(step.value, scope);
        const [field] = step.path;
        if (field === undefined) return [path];
        if (step.path.length === 1 && value.k === 'value') path.data.known.set(field, value.value);
        else {
          path.data.known.delete(field);
          path.data.changed.add(field);
        }
        if (field === this.stateField) path.state = step.path.length === 1 && value.k === 'value' ? stateName(value.value) : COMPUTED_STATE;
        return [path];
      }
      case 'emit':
        path.emits.push(step.event);
        return [path];
      case 'startTimer':
        path.startsTimers.push(step.timer);
        return [path];
      case 'cancelTimer':
        path.cancelsTimers.push(step.timer);
        return [path];
      case 'call':
        path.calls.push(`${step.system}.${step.operation}`);
        return [path];
      case 'process': {
        // A processor may change any field; it is assumed to leave the state field alone.
        const state = this.stateField === null ? undefined : path.data.known.get(this.stateField);
        path.data.known.clear();
        if (this.stateField !== null && state !== undefined) path.data.known.set(this.stateField, state);
        path.data.rest = 'unknown';
        return [path];
      }
      case 'if': {
        const condition = asBoolean(evaluateAbstract(step.condition, scope));
        if (condition.k === 'value') return this.walk(condition.value === true ? step.then : step.else, [path]);
        if (condition.k === 'error') return []; // the bead certainly fails here: no transition
        if (condition.k === 'notTrue') return this.walk(step.else, [path]);
        const text = exprText(step.condition);
        const otherwise = clonePath(path);
        path.when.push(text);
        otherwise.when.push(`not (${text})`);
        const both = [...this.walk(step.then, [path]), ...this.walk(step.else, [otherwise])];
        if (both.length > MAX_PATHS) {
          this.approximate = true;
          return both.slice(0, MAX_PATHS);
        }
        return both;
      }
    }
  }

  /** The start of a bead in a state: what is known of the data there. */
  start(state: string, initiating: boolean): Path {
    const data: AbstractData = { known: new Map(), rest: initiating ? 'null' : 'unknown', changed: new Set() };
    const value = stateValue(state);
    if (!initiating && this.stateField !== null && value !== undefined) data.known.set(this.stateField, value);
    return { state: initiating ? (this.stateField === null ? STARTED_STATE : UNSET_STATE) : state, data, when: [], emits: [], startsTimers: [], cancelsTimers: [], calls: [] };
  }
}

function assignsField(steps: readonly Step[], field: string, found: Json[] = []): { assigned: boolean; values: Json[]; computed: boolean } {
  let assigned = false;
  let computed = false;
  for (const step of steps) {
    if (step.kind === 'assign' && step.path[0] === field) {
      assigned = true;
      if (step.path.length === 1 && step.value.kind === 'literal') found.push(step.value.value);
      else computed = true;
    } else if (step.kind === 'if') {
      const inner = [assignsField(step.then, field, found), assignsField(step.else, field, found)];
      assigned ||= inner.some((i) => i.assigned);
      computed ||= inner.some((i) => i.computed);
    }
  }
  return { assigned, values: found, computed };
}

function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((step) => (step.kind === 'if' ? [step, ...allSteps(step.then), ...allSteps(step.else)] : [step]));
}

const ORIGIN_NAMES: Record<EventOrigin, string> = { api: 'a sender (the API)', emitted: 'an emit', timer: 'a timer', backend: 'a back-end call' };

// ---- the analysis -------------------------------------------------------------------------

/** Analyses one compiled journey. Pure: the same IR always gives the same answer. */
export function analyzeJourney(journey: CompiledJourney, options: AnalysisOptions = {}): JourneyAnalysis {
  const field = options.stateField ?? 'status';
  const findings: AnalysisFinding[] = [];
  const report = (finding: Omit<AnalysisFinding, 'journey' | 'version' | 'source' | 'severity'> & { severity?: AnalysisFinding['severity'] }): void => {
    findings.push({ severity: 'warning', journey: journey.name, version: journey.version, source: journey.source, ...finding });
  };

  // The state field and its states, in order of first assignment.
  const stateValues: Json[] = [];
  let stateField: string | null = null;
  let computed = false;
  for (const bead of journey.beads) {
    const found = assignsField(bead.steps, field);
    if (found.assigned) stateField = field;
    computed ||= found.computed;
    stateValues.push(...found.values);
  }
  const states: string[] = [START_STATE];
  if (stateField === null) states.push(STARTED_STATE);
  else {
    for (const value of stateValues) if (!states.includes(stateName(value))) states.push(stateName(value));
    if (computed && !states.includes(COMPUTED_STATE)) states.push(COMPUTED_STATE);
  }

  // Producers: what makes an event arrive without a sender.
  const producers: Record<string, Producer[]> = {};
  const produce = (event: string, producer: Producer): void => {
    (producers[event] ??= []).push(producer);
  };
  const timerStarters = new Map<string, string[]>();
  for (const bead of journey.beads) {
    for (const step of allSteps(bead.steps)) {
      if (step.kind === 'emit') produce(step.event, { kind: 'emit', beadId: bead.id });
      if (step.kind === 'call') {
        produce(step.replyEvent, { kind: 'reply', operation: `${step.system}.${step.operation}`, beadId: bead.id });
        produce(step.failureEvent, { kind: 'failure', operation: `${step.system}.${step.operation}`, beadId: bead.id });
      }
      if (step.kind === 'startTimer') timerStarters.set(step.timer, [...(timerStarters.get(step.timer) ?? []), bead.id]);
    }
  }
  for (const timer of journey.timers) {
    const starters = timerStarters.get(timer.name) ?? [];
    if (starters.length > 0) produce(timer.event, { kind: 'timer', timer: timer.name, delayMs: timer.delayMs, beadIds: starters });
  }
  const available = (event: string): Set<EventOrigin> => {
    const origins = new Set<EventOrigin>(['api']);
    for (const producer of producers[event] ?? []) {
      if (producer.kind === 'emit') origins.add('emitted');
      else if (producer.kind === 'timer') origins.add('timer');
      else origins.add('backend');
    }
    return origins;
  };

  // Per bead: the origins its rules admit, the states it may apply in, its transitions.
  const walker = new StepWalker(stateField);
  const summaries: BeadSummary[] = [];
  const transitions: Transition[] = [];
  const admitted = new Map<string, EventOrigin[]>();
  for (const bead of journey.beads) {
    const unknownData: AbstractData = { known: new Map(), rest: bead.initiating ? 'null' : 'unknown', changed: new Set() };
    const origins = EVENT_ORIGINS.filter((origin) =>
      candidateContexts(bead, origin).some((context) => rulesHold(bead, { data: unknownData, context }) !== 'no'),
    );
    admitted.set(bead.id, origins);
    let from: string[];
    if (bead.initiating) from = [START_STATE];
    else if (stateField === null) from = [STARTED_STATE];
    else {
      from = states.filter((state) => {
        if (state === START_STATE) return false;
        const start = walker.start(state, false);
        return rulesHold(bead, { data: start.data, context: null }) !== 'no';
      });
    }
    walker.approximate = false;
    for (const state of from) {
      for (const path of walker.walk(bead.steps, [walker.start(state, bead.initiating)])) {
        transitions.push({
          beadId: bead.id, event: bead.on, from: state, to: path.state, when: path.when,
          emits: path.emits, startsTimers: path.startsTimers, cancelsTimers: path.cancelsTimers, calls: path.calls,
        });
      }
    }
    const effective = origins.filter((o) => available(bead.on).has(o));
    summaries.push({
      id: bead.id, event: bead.on, initiating: bead.initiating, location: bead.location, states: from, origins: effective,
      access: bead.access.map((r) => r.text), preconditions: bead.preconditions.map((p) => p.text), preemptedIn: [], reachable: false,
      ...(walker.approximate ? { approximate: true } : {}),
    });
  }
  // New states only transitions reveal (a computed or unset state field).
  for (const t of transitions) if (!states.includes(t.to)) states.push(t.to);

  // Pre-emption: an earlier bead for the same event, without access rules, whose preconditions
  // certainly hold in a state, always applies there first.
  const preempted = new Map<string, Set<string>>();
  journey.beads.forEach((bead, index) => {
    const earlier = journey.beads.slice(0, index).filter((b) => b.on === bead.on && b.initiating === bead.initiating && b.access.length === 0);
    const summary = summaries[index];
    if (!summary || earlier.length === 0) return;
    for (const state of summary.states) {
      const data = walker.start(state, bead.initiating).data;
      const first = earlier.find((b) => summaries[journey.beads.indexOf(b)]?.states.includes(state) && rulesHold(b, { data, context: null }) === 'yes');
      if (first) preempted.set(bead.id, new Set([...(preempted.get(bead.id) ?? []), state]));
    }
  });

  // Reachability from the start over beads that can be triggered.
  const live = (summary: BeadSummary): boolean => summary.origins.length > 0;
  const reachable = new Set<string>([START_STATE]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of transitions) {
      const summary = summaries.find((s) => s.id === t.beadId);
      if (!summary || !live(summary) || !reachable.has(t.from) || preempted.get(t.beadId)?.has(t.from)) continue;
      if (!reachable.has(t.to)) {
        reachable.add(t.to);
        grew = true;
      }
    }
  }
  for (const summary of summaries) {
    summary.preemptedIn = summary.states.filter((s) => preempted.get(summary.id)?.has(s));
    const open = summary.states.filter((s) => reachable.has(s) && !preempted.get(summary.id)?.has(s));
    summary.reachable = live(summary) && open.length > 0;
  }

  const accepts: Record<string, string[]> = {};
  for (const state of states.filter((s) => reachable.has(s))) {
    accepts[state] = [...new Set(summaries.filter((s) => s.reachable && s.states.includes(state) && !preempted.get(s.id)?.has(state)).map((s) => s.event))];
  }
  const finalStates = states.filter((s) => s !== START_STATE && reachable.has(s) && (accepts[s] ?? []).length === 0);

  // Senders per handled event.
  const senders: Record<string, EventOrigin[]> = {};
  for (const event of Object.keys(journey.events)) {
    const beads = summaries.filter((s) => s.event === event);
    if (beads.length === 0) continue;
    senders[event] = EVENT_ORIGINS.filter((o) => beads.some((b) => b.origins.includes(o)));
  }

  // Findings: events.
  const beadOf = (id: string): Bead | undefined => journey.beads.find((b) => b.id === id);
  const silent = new Set<string>();
  for (const event of Object.keys(senders)) {
    const beads = journey.beads.filter((b) => b.on === event);
    const first = beads[0];
    const admittedAny = EVENT_ORIGINS.filter((o) => beads.some((b) => admitted.get(b.id)?.includes(o)));
    if (admittedAny.length === 0) {
      silent.add(event);
      const rules = [...new Set(beads.flatMap((b) => b.access.map((r) => r.text)))].join('; ');
      report({ code: 'unsendable-event', event, location: first?.location, message: `no sender may send ${event}: no context satisfies the access rules of its beads (${rules})` });
    } else if ((senders[event] ?? []).length === 0) {
      silent.add(event);
      const from = admittedAny.map((o) => ORIGIN_NAMES[o]).join(' or ');
      report({ code: 'unproduced-event', event, location: first?.location, message: `${event} is accepted only from ${from}, but nothing here produces it that way` });
    }
  }
  for (const [event, list] of Object.entries(producers)) {
    const handled = journey.events[event]?.handled ?? false;
    for (const producer of list) {
      const origin: EventOrigin = producer.kind === 'emit' ? 'emitted' : producer.kind === 'timer' ? 'timer' : 'backend';
      const by =
        producer.kind === 'emit' ? `${producer.beadId} emits` : producer.kind === 'timer' ? `timer ${producer.timer} fires` : `${producer.operation} ${producer.kind === 'reply' ? 'replies with' : 'fails with'}`;
      const beadId = producer.kind === 'timer' ? producer.beadIds[0] : producer.beadId;
      const location = beadId === undefined ? undefined : beadOf(beadId)?.location;
      if (!handled) {
        if (producer.kind === 'emit' && journey.events[event]?.published) continue;
        report({ code: 'unhandled-event', event, beadId, location, message: `${by} ${event}, but no bead handles it${producer.kind === 'emit' ? ' and it is not published' : ''}` });
        continue;
      }
      const accepted = journey.beads.filter((b) => b.on === event).some((b) => admitted.get(b.id)?.includes(origin));
      if (!accepted) {
        report({ code: 'origin-refused', event, beadId, location, message: `${by} ${event}, but no bead for ${event} accepts events from ${ORIGIN_NAMES[origin]} (origin ${origin})` });
      }
    }
  }
  for (const [event, definition] of Object.entries(journey.events)) {
    if (!definition.handled && !definition.emitted && !definition.published && !producers[event]) {
      report({ code: 'unused-event', severity: 'info', event, message: `${event} is declared but nothing handles, emits, fires, returns or publishes it` });
    }
  }

  // Findings: beads and states.
  for (const summary of summaries) {
    if (summary.reachable || silent.has(summary.event)) continue;
    const bead = beadOf(summary.id);
    if (!bead) continue;
    let why: string;
    if (summary.origins.length === 0) {
      why = `no origin can send ${summary.event} past its rules`;
    } else if (summary.states.length === 0) {
      const culprit = bead.preconditions.find((p) =>
        states.filter((s) => s !== START_STATE).every((s) => truth(evaluateAbstract(p.condition, { data: walker.start(s, false).data, context: null })) === 'no'),
      );
      why = culprit ? `\`${culprit.text}\` holds in no ${stateField ?? 'state'} a bead sets` : `its rules together hold in no ${stateField ?? 'state'}`;
    } else if (summary.states.every((s) => preempted.get(summary.id)?.has(s))) {
      why = `an earlier bead for ${summary.event} always applies first (in ${stateField ?? 'state'} ${summary.states.join(', ')})`;
    } else {
      why = `it applies only in ${stateField ?? 'state'} ${summary.states.join(', ')}, which nothing reaches`;
    }
    report({ code: 'unreachable-bead', beadId: summary.id, event: summary.event, location: summary.location, message: `${summary.id} can never apply: ${why}` });
  }
  for (const state of states) {
    if (reachable.has(state) || state === COMPUTED_STATE) continue;
    const setter = transitions.find((t) => t.to === state);
    report({ code: 'unreachable-state', state, beadId: setter?.beadId, location: setter ? beadOf(setter.beadId)?.location : undefined, message: `${stateField ?? 'state'} ${JSON.stringify(state)} is set${setter ? ` by ${setter.beadId}` : ''} but no path from the start reaches it` });
  }

  return {
    name: journey.name,
    version: journey.version,
    source: journey.source,
    stateField,
    states,
    reachableStates: states.filter((s) => reachable.has(s)),
    finalStates,
    transitions,
    accepts,
    beads: summaries,
    senders,
    producers,
    // In source order; findings about the whole journey last. The sort is stable.
    findings: findings.sort((a, b) => (a.location?.line ?? Infinity) - (b.location?.line ?? Infinity)),
  };
}

export interface JourneysAnalysis {
  journeys: JourneyAnalysis[];
  /** Every finding: each journey's, then those across journeys. */
  findings: AnalysisFinding[];
}

/**
 * Analyses several journeys, and what they share: search fields, which the store keeps as one
 * column per name across every journey type.
 */
export function analyzeJourneys(journeys: readonly CompiledJourney[], options: AnalysisOptions = {}): JourneysAnalysis {
  const analyses = journeys.map((journey) => analyzeJourney(journey, options));
  const findings = analyses.flatMap((a) => a.findings);
  const fields = new Map<string, { path: string; type: string; journey: CompiledJourney }>();
  for (const journey of journeys) {
    for (const field of journey.searchFields) {
      const seen = fields.get(field.name);
      if (!seen) {
        fields.set(field.name, { path: field.path, type: field.type, journey });
      } else if (seen.path !== field.path || seen.type !== field.type) {
        findings.push({
          code: 'search-field-conflict',
          severity: 'warning',
          journey: journey.name,
          version: journey.version,
          source: journey.source,
          message:
            `search field ${field.name} is ${field.type} at ${field.path} here, but ${seen.type} at ${seen.path} in ${seen.journey.name} ${seen.journey.version}; ` +
            'one store cannot deploy both (rename one)',
        });
      }
    }
  }
  return { journeys: analyses, findings };
}

// ---- text ---------------------------------------------------------------------------------

/** One finding as `file:line:column: warning[code]: message`, like the compiler's diagnostics. */
export function formatFinding(finding: AnalysisFinding): string {
  const where = finding.location ? `${finding.source}:${finding.location.line}:${finding.location.column}` : finding.source;
  return `${where}: ${finding.severity}[${finding.code}]: ${finding.message}`;
}

/** A readable report of one journey's analysis: states, what each accepts, who sends what, findings. */
export function formatAnalysis(analysis: JourneyAnalysis): string {
  const lines: string[] = [`${analysis.name} ${analysis.version} (${analysis.source})`];
  if (analysis.stateField === null) {
    lines.push('  no state field: each bead applies while its preconditions hold');
    for (const bead of analysis.beads) {
      const rules = [...bead.access.map((a) => `allow ${a}`), ...bead.preconditions.map((p) => `when ${p}`)];
      lines.push(`    ${bead.id.padEnd(24)} ${rules.length > 0 ? rules.join('; ') : 'always'}`);
    }
  } else {
    const final = new Set(analysis.finalStates);
    const shown = analysis.reachableStates.map((s) => (final.has(s) ? `${s} (final)` : s));
    lines.push(`  states (${analysis.stateField}): ${shown.join(', ')}`);
    lines.push('  accepted events by state:');
    const width = Math.max(...analysis.reachableStates.map((s) => s.length), 5);
    for (const state of analysis.reachableStates) {
      const events = analysis.accepts[state] ?? [];
      lines.push(`    ${state.padEnd(width)}  ${events.length > 0 ? events.join(', ') : '-'}`);
    }
  }
  lines.push('  events and who may send them:');
  const width = Math.max(...Object.keys(analysis.senders).map((e) => e.length), 5);
  for (const [event, origins] of Object.entries(analysis.senders)) {
    lines.push(`    ${event.padEnd(width)}  ${origins.length > 0 ? origins.join(', ') : 'nobody'}`);
  }
  if (analysis.findings.length === 0) lines.push('  no findings');
  else for (const finding of analysis.findings) lines.push(`  ${formatFinding(finding)}`);
  return lines.join('\n');
}
