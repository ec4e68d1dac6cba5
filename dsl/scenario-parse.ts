/**
 * Reading a scenario file (YAML or JSON) into scenarios, every problem located like a compiler
 * diagnostic: the file is parsed with `yaml` (JSON is YAML too) keeping each node's offset, checked
 * against scenario.schema.json with ajv, then turned into `Scenario`s. Pure: the text is passed in.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ERROR_CODES } from '../common/index.js';
import { jsonErrorOffset, SourceText } from './diagnostics.js';
import type { EventContext, JsonObject, JsonSchema, RejectionCode } from './ir.js';
import { createAjv, violations } from './json-schemas.js';
import type { ValidateFunction } from './json-schemas.js';
import { isJsonObject } from './json-values.js';
import { DEFAULT_FAILED_ATTEMPTS, DEFAULT_SCENARIO_CONTEXT, DEFAULT_SCENARIO_START_MS } from './scenario-model.js';
import type {
  CallExpectation,
  EventExpectation,
  Expectation,
  HandledExpectation,
  ReceivedFrom,
  Scenario,
  ScenarioContext,
  ScenarioFailure,
  ScenarioProblem,
  ScenarioStep,
  SentExpectation,
  StartExpectation,
  TimerExpectation,
  ValuePath,
} from './scenario-model.js';
import { parseDateTime } from './timer-times.js';

import scenarioSchemaJson from './scenario.schema.json' with { type: 'json' };

/** scenario.schema.json: the format of a scenario file. */
export const scenarioSchema = scenarioSchemaJson as unknown as JsonSchema;

const REJECTION_CODES: readonly RejectionCode[] = ['NO_MATCHING_BEAD', 'PRECONDITION_FAILED', 'ACCESS_DENIED', 'ACTION_FAILED', 'INVALID_TIMER'];
const ACTIONS = ['send', 'reply', 'fail', 'receive', 'advance'] as const;

let validator: ValidateFunction | undefined;

/** A scenario file, read: its scenarios, the problems that keep it from running, and a locator. */
export interface ParsedScenarios {
  file: string;
  description?: string;
  /** Empty when the file has problems: a file runs whole or not at all. */
  scenarios: Scenario[];
  /** Problems of the file itself (`scenario-invalid`), located. */
  failures: ScenarioFailure[];
  /** Places a problem found later (by the runner) in the file. */
  locate(problem: ScenarioProblem, where?: { scenario: string; step?: number; action?: string }): ScenarioFailure;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/**
 * `5 days`, `36h`, `1 hour 30 minutes`, `1.5 hours`, or a number of ms: the duration in whole ms,
 * or a reason it is not one.
 */
export function parseScenarioDuration(value: string | number): number | string {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : 'a duration in ms must be a whole number, 0 or more';
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*,?\s*/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (match === null) return `${JSON.stringify(value)} is not a duration (write e.g. "5 days", "36h" or "1 hour 30 minutes")`;
    const unit = DURATION_UNITS[match[2] ?? ''];
    if (unit === undefined) return `unknown unit ${JSON.stringify(match[2])} (use ms, s, m, h, d, w or their names: seconds, minutes, hours, days, weeks)`;
    total += Number(match[1]) * unit;
    index = part.lastIndex;
  }
  if (index === 0) return 'a duration is empty';
  if (!Number.isSafeInteger(total)) return `${JSON.stringify(value)} is not a whole number of ms`;
  return total;
}

function timeMs(value: string | number): number | null {
  return typeof value === 'number' ? value : parseDateTime(value);
}

/** The node a path leads to, as far as the file has it: the key of a field (what a caret points at), an item of a list. */
function nodeAt(doc: Document, path: ValuePath): YamlNode | null {
  let current: unknown = doc.contents;
  let found: YamlNode | null = doc.contents;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      found = isScalar(pair.key) ? pair.key : found;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (item === undefined) break;
      current = item;
      found = item as YamlNode;
    } else {
      break;
    }
  }
  return found;
}

/** `/scenarios/0/steps` → `['scenarios', 0, 'steps']`, indices as numbers where the value is a list. */
function pathOfPointer(pointer: string, value: unknown): ValuePath {
  if (pointer === '') return [];
  const path: Array<string | number> = [];
  let current = value;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      path.push(Number(segment));
      current = current[Number(segment)];
    } else {
      path.push(segment);
      current = isJsonObject(current) ? current[segment] : undefined;
    }
  }
  return path;
}

/** A problem with no place beyond the file (an empty file), or at an offset. */
function failureAt(source: SourceText, code: ScenarioFailure['code'], message: string, offset: number | null, length = 1): ScenarioFailure {
  if (offset === null || source.text.length === 0) return { code, message, file: source.file, line: 0, column: 0, length: 1 };
  const { line, column } = source.locate(Math.min(offset, Math.max(0, source.text.length - 1)));
  const sourceLine = source.lineText(line);
  // Underline to the end of the node or of the line, whichever comes first.
  return { code, message, file: source.file, line, column, length: Math.max(1, Math.min(length, sourceLine.length - column + 1)), sourceLine };
}

/** Whether a parsed value is plain JSON (YAML also has .inf, .nan and other things JSON lacks). */
function nonJsonAt(value: unknown, path: Array<string | number> = []): { path: ValuePath; what: string } | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path, what: `${value} is not a JSON number` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = nonJsonAt(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = nonJsonAt(item, [...path, key]);
      if (found) return found;
    }
    return null;
  }
  return { path, what: 'is not a JSON value' };
}

/** The ajv violations, with the noise of `anyOf` branches folded into one message per place. */
function schemaProblems(value: unknown): ScenarioProblem[] {
  validator ??= createAjv().compile(scenarioSchema);
  if (validator(value)) return [];
  const errors = validator.errors ?? [];
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const problems: ScenarioProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors.filter((e) => !(anyOfPaths.has(e.instancePath) && e.keyword !== 'anyOf'))) {
    const [violation] = violations([error]);
    if (violation === undefined) continue;
    const key = `${violation.pointer} ${violation.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const path = pathOfPointer(violation.pointer, value);
    // An unknown field is pointed at itself, not at the object holding it.
    const unknown = error.keyword === 'additionalProperties' ? (error.params as { additionalProperty?: string }).additionalProperty : undefined;
    const at = unknown === undefined ? path : [...path, unknown];
    const shown = path.length === 0 ? 'the file' : path.join('.');
    let message = violation.message === 'must match a schema in anyOf' ? 'is not one of the forms this field takes (see docs/DSL.md)' : violation.message;
    if (error.keyword === 'enum') message = `must be one of ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')}`;
    problems.push({ code: 'scenario-invalid', message: `${shown} ${message}`, at });
  }
  return problems;
}

type Raw = Record<string, unknown>;

function context(...layers: Array<ScenarioContext | undefined>): EventContext {
  const merged: EventContext = { ...DEFAULT_SCENARIO_CONTEXT, roles: [...DEFAULT_SCENARIO_CONTEXT.roles] };
  for (const layer of layers) if (layer) Object.assign(merged, structuredClone(layer));
  return merged;
}

/** Checks what the schema cannot say, and builds the scenarios. */
class ScenarioBuilder {
  readonly problems: ScenarioProblem[] = [];

  private problem(at: ValuePath, message: string): void {
    this.problems.push({ code: 'scenario-invalid', message, at });
  }

  private time(value: unknown, at: ValuePath, fallback: number): number {
    if (value === undefined) return fallback;
    const ms = timeMs(value as string | number);
    if (ms === null) {
      this.problem(at, `${at.join('.')} is not a time: write an RFC 3339 date-time with its offset (2026-03-02T09:30:00Z) or ms since the epoch`);
      return fallback;
    }
    return ms;
  }

  private duration(value: string | number, at: ValuePath): number {
    const parsed = parseScenarioDuration(value);
    if (typeof parsed === 'string') {
      this.problem(at, `${at.join('.')}: ${parsed}`);
      return 0;
    }
    return parsed;
  }

  build(raw: Raw): Scenario[] {
    const fileContext = raw.context as ScenarioContext | undefined;
    const fileStart = this.time(raw.start, ['start'], DEFAULT_SCENARIO_START_MS);
    return (raw.scenarios as Raw[]).map((scenario, s) => {
      const path: ValuePath = ['scenarios', s];
      const built: Scenario = {
        name: scenario.name as string,
        context: context(fileContext, scenario.context as ScenarioContext | undefined),
        startMs: this.time(scenario.start, [...path, 'start'], fileStart),
        steps: (scenario.steps as Raw[]).map((step, i) => this.step(step, [...path, 'steps', i], fileContext, scenario.context as ScenarioContext | undefined)),
        path,
      };
      if (scenario.data !== undefined) built.data = scenario.data as JsonObject;
      return built;
    });
  }

  private step(raw: Raw, path: ValuePath, fileContext?: ScenarioContext, scenarioContext?: ScenarioContext): ScenarioStep {
    const actions = ACTIONS.filter((action) => raw[action] !== undefined);
    if (actions.length !== 1) {
      this.problem(
        path,
        actions.length === 0
          ? `step ${Number(path[path.length - 1]) + 1} does nothing: give one of send, reply, fail, receive or advance`
          : `step ${Number(path[path.length - 1]) + 1} has ${actions.join(' and ')}: give one action per step`,
      );
    }
    const action = actions[0] ?? 'send';
    const allowed: Record<(typeof ACTIONS)[number], string[]> = {
      send: ['payload', 'context'],
      reply: ['payload'],
      fail: ['reason', 'attempts'],
      receive: ['payload', 'from'],
      advance: [],
    };
    for (const key of ['payload', 'context', 'reason', 'attempts', 'from']) {
      if (raw[key] !== undefined && !allowed[action].includes(key)) this.problem([...path, key], `${key} does not go with ${action}`);
    }
    const expect = this.expectation((raw.expect as Raw | undefined) ?? {}, [...path, 'expect'], action);
    switch (action) {
      case 'send':
        return {
          kind: 'send',
          event: raw.send as string,
          payload: (raw.payload as JsonObject | undefined) ?? {},
          context: context(fileContext, scenarioContext, raw.context as ScenarioContext | undefined),
          expect,
          path,
        };
      case 'reply':
        return { kind: 'reply', call: raw.reply as string, payload: (raw.payload as JsonObject | undefined) ?? {}, expect, path };
      case 'fail':
        return {
          kind: 'fail',
          call: raw.fail as string,
          reason: (raw.reason as string | undefined) ?? 'failed in a scenario',
          attempts: (raw.attempts as number | undefined) ?? DEFAULT_FAILED_ATTEMPTS,
          expect,
          path,
        };
      case 'receive':
        return {
          kind: 'receive',
          event: raw.receive as string,
          payload: (raw.payload as JsonObject | undefined) ?? {},
          from: this.from(raw.from, [...path, 'from']),
          expect,
          path,
        };
      case 'advance': {
        const text = String(raw.advance);
        return { kind: 'advance', byMs: this.duration(raw.advance as string | number, [...path, 'advance']), text, expect, path };
      }
    }
  }

  private from(raw: unknown, path: ValuePath): ReceivedFrom {
    if (raw === 'system') return 'system';
    const from = (raw ?? {}) as { journey?: string; type?: string; started?: number };
    if (from.started !== undefined && (from.journey !== undefined || from.type !== undefined)) {
      this.problem(path, 'from names the n-th journey started (started), or a journey by its id and type, not both');
    } else if (from.started === undefined && from.type === undefined) {
      this.problem(
        path,
        "a received event comes from a journey: give from.type (its type, and from.journey its id) or from.started (the n-th journey this one started), or from: system for the engine's failure event of an undelivered message",
      );
    }
    return {
      ...(from.journey === undefined ? {} : { journeyId: from.journey }),
      ...(from.type === undefined ? {} : { journeyType: from.type }),
      ...(from.started === undefined ? {} : { started: from.started }),
    };
  }

  private expectation(raw: Raw, path: ValuePath, action: (typeof ACTIONS)[number]): Expectation {
    const expect: Expectation = {};
    if (action === 'advance') {
      for (const key of ['outcome', 'code', 'reason', 'status']) {
        if (raw[key] !== undefined)
          this.problem([...path, key], `an advance has no outcome of its own: expect handled (the timers' events) or timers.fired instead of ${key}`);
      }
    } else {
      const code = raw.code as string | undefined;
      let outcome = raw.outcome as Expectation['outcome'];
      // A code or status says which kind of no it is; without any, a step is expected to apply.
      outcome ??=
        code !== undefined
          ? code.startsWith('JE_')
            ? 'refused'
            : 'rejected'
          : raw.status !== undefined
            ? 'refused'
            : raw.reason !== undefined
              ? undefined
              : 'applied';
      if (outcome !== undefined) expect.outcome = outcome;
      if (code !== undefined) {
        if (outcome === 'rejected' && !(REJECTION_CODES as readonly string[]).includes(code)) {
          this.problem([...path, 'code'], `${code} is not a rejection code (${REJECTION_CODES.join(', ')})`);
        } else if (outcome === 'refused' && !Object.prototype.hasOwnProperty.call(ERROR_CODES, code)) {
          this.problem([...path, 'code'], `${code} is not an error code of the engine (docs/errors.md)`);
        } else if (outcome === 'applied') {
          this.problem([...path, 'code'], 'an applied event has no code');
        }
        expect.code = code;
      }
      if (raw.status !== undefined) {
        if (outcome !== 'refused') this.problem([...path, 'status'], 'status is the HTTP status of a refusal: it goes with outcome refused');
        expect.status = raw.status as number;
      }
      if (raw.reason !== undefined) {
        if (outcome === 'applied') this.problem([...path, 'reason'], 'an applied event has no reason');
        expect.reason = raw.reason as string;
      }
    }
    if (raw.data !== undefined) expect.data = raw.data as JsonObject;
    if (raw.emitted !== undefined) {
      expect.emitted = (raw.emitted as unknown[]).map((item): EventExpectation => (typeof item === 'string' ? { type: item } : (item as EventExpectation)));
    }
    if (raw.handled !== undefined) {
      expect.handled = (raw.handled as unknown[]).map((item): HandledExpectation => (typeof item === 'string' ? { type: item } : (item as HandledExpectation)));
    }
    if (raw.calls !== undefined) {
      expect.calls = (raw.calls as unknown[]).map((item): CallExpectation => (typeof item === 'string' ? { call: item } : (item as CallExpectation)));
    }
    if (raw.sent !== undefined) {
      expect.sent = (raw.sent as unknown[]).map((item): SentExpectation => (typeof item === 'string' ? { type: item } : (item as SentExpectation)));
    }
    if (raw.startedJourneys !== undefined) {
      expect.startedJourneys = (raw.startedJourneys as unknown[]).map((item): StartExpectation =>
        typeof item === 'string' ? { journey: item } : (item as StartExpectation),
      );
    }
    if (raw.timers !== undefined) {
      const timers = raw.timers as Raw;
      expect.timers = {};
      for (const kind of ['started', 'cancelled', 'fired', 'scheduled'] as const) {
        const list = timers[kind] as unknown[] | undefined;
        if (list !== undefined) expect.timers[kind] = list.map((item, i) => this.timerExpectation(item, [...path, 'timers', kind, i]));
      }
    }
    return expect;
  }

  private timerExpectation(item: unknown, path: ValuePath): TimerExpectation {
    if (typeof item === 'string') return { name: item };
    const raw = item as Raw;
    const expectation: TimerExpectation = {};
    if (raw.name !== undefined) expectation.name = raw.name as string;
    if (raw.event !== undefined) expectation.event = raw.event as string;
    if (raw.fireAt !== undefined) expectation.fireAtMs = this.time(raw.fireAt, [...path, 'fireAt'], 0);
    if (raw.after !== undefined) expectation.afterMs = this.duration(raw.after as string | number, [...path, 'after']);
    if (raw.payload !== undefined) expectation.payload = raw.payload as JsonObject;
    if (Object.keys(expectation).length === 0) this.problem(path, 'a timer expectation names the timer (name) or its event (event)');
    return expectation;
  }
}

/**
 * Parses a scenario file. `file` is how messages name it; `.json` files must be strict JSON, any
 * other is read as YAML. Never throws for a bad file: its problems come back located.
 */
export function parseScenarios(file: string, text: string): ParsedScenarios {
  const source = new SourceText(file, text);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const locate = (problem: ScenarioProblem, where?: { scenario: string; step?: number; action?: string }): ScenarioFailure => {
    const node = nodeAt(doc, problem.at);
    const range = node?.range;
    return { ...failureAt(source, problem.code, problem.message, range ? range[0] : null, range ? Math.max(1, range[1] - range[0]) : 1), ...where };
  };
  const result = (failures: ScenarioFailure[], scenarios: Scenario[] = [], description?: string): ParsedScenarios => ({
    file,
    scenarios: failures.length > 0 ? [] : scenarios,
    failures,
    locate,
    ...(description === undefined ? {} : { description }),
  });

  if (file.endsWith('.json')) {
    try {
      JSON.parse(text);
    } catch (thrown: unknown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      return result([failureAt(source, 'scenario-invalid', `not valid JSON: ${message}`, jsonErrorOffset(message, source))]);
    }
  }
  if (doc.errors.length > 0) {
    return result(doc.errors.map((error) => failureAt(source, 'scenario-invalid', error.message.split('\n')[0] ?? error.message, error.pos[0])));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (thrown: unknown) {
    return result([failureAt(source, 'scenario-invalid', thrown instanceof Error ? thrown.message : String(thrown), 0)]);
  }
  const nonJson = nonJsonAt(value);
  if (nonJson) return result([locate({ code: 'scenario-invalid', message: `${nonJson.path.join('.') || 'the file'} ${nonJson.what}`, at: nonJson.path })]);
  const problems = schemaProblems(value);
  if (problems.length > 0) return result(problems.map((problem) => locate(problem)));
  const builder = new ScenarioBuilder();
  const raw = value as Raw;
  const scenarios = builder.build(raw);
  return result(
    builder.problems.map((problem) => locate(problem)),
    scenarios,
    raw.description as string | undefined,
  );
}
