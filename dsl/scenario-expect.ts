/**
 * Checking a step's expectations against what happened in it. Partial where the scenario format
 * says so: an object expected matches an object holding at least those fields (a null expected
 * also matches a field that is absent); a list expected matches a list of as many items, each
 * matching in order; anything else must be equal.
 */
import type { Json, JsonObject } from './ir.js';
import { isJsonObject } from './json-values.js';
import type {
  Expectation,
  HandledEvent,
  OpenCall,
  ScenarioProblem,
  ScenarioStep,
  ScheduledTimer,
  SentExpectation,
  SentMessage,
  StartExpectation,
  StepTrace,
  TimerExpectation,
  ValuePath,
} from './scenario-model.js';

function show(value: Json | undefined): string {
  if (value === undefined) return 'absent';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The first place `actual` does not match `expected`, as a path below both and a message; null when it matches. */
export function partialMismatch(expected: Json, actual: Json | undefined, path: Array<string | number> = []): { path: ValuePath; message: string } | null {
  const where = (p: Array<string | number>): string => p.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
  if (expected === null)
    return actual === null || actual === undefined ? null : { path, message: `${where(path)} is ${show(actual)}, expected null or absent` };
  if (isJsonObject(expected)) {
    if (!isJsonObject(actual)) return { path, message: `${where(path)} is ${show(actual)}, expected an object` };
    for (const [key, value] of Object.entries(expected)) {
      const found = partialMismatch(value, Object.prototype.hasOwnProperty.call(actual, key) ? actual[key] : undefined, [...path, key]);
      if (found) return found;
    }
    return null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return { path, message: `${where(path)} is ${show(actual)}, expected a list` };
    if (actual.length !== expected.length) return { path, message: `${where(path)} has ${actual.length} items, expected ${expected.length}: ${show(actual)}` };
    for (let i = 0; i < expected.length; i += 1) {
      const found = partialMismatch(expected[i] ?? null, actual[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  return actual === expected ? null : { path, message: `${where(path)} is ${show(actual)}, expected ${show(expected)}` };
}

const iso = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms));
const timerText = (timer: ScheduledTimer): string => `${timer.name} (${timer.event} at ${iso(timer.fireAtMs)})`;
const handledText = (event: HandledEvent): string => `${event.type} from ${event.origin}: ${event.outcome}${event.code ? ` ${event.code}` : ''}`;
const listText = (items: string[]): string => (items.length === 0 ? 'none' : items.join(', '));

/** What a step's own event came to, in words: `applied`, `rejected ACCESS_DENIED: …`, `refused 403 JE_ACCESS_DENIED: …`. */
function outcomeText(trace: StepTrace): string {
  if (trace.refusal) return `refused ${trace.refusal.status} ${trace.refusal.code}: ${trace.refusal.message}`;
  const own = trace.handled[0];
  if (own === undefined) return 'nothing';
  return own.outcome === 'applied' ? 'applied' : `rejected ${own.code ?? ''}: ${own.message ?? ''}`;
}

class StepChecker {
  readonly problems: ScenarioProblem[] = [];

  constructor(
    private readonly step: ScenarioStep,
    private readonly trace: StepTrace,
  ) {}

  fail(at: ValuePath, message: string): void {
    this.problems.push({ code: 'expectation-failed', message, at: [...this.step.path, 'expect', ...at] });
  }

  /** The step's own event: refused, or the first event handled. False when the outcome is wrong (nothing else is worth checking). */
  outcome(expect: Expectation): boolean {
    if (this.step.kind === 'advance') return true;
    const { refusal } = this.trace;
    const own = this.trace.handled[0];
    const actual = refusal ? 'refused' : (own?.outcome ?? 'refused');
    if (expect.outcome !== undefined && expect.outcome !== actual) {
      this.fail(['outcome'], `expected ${expect.outcome}, got ${outcomeText(this.trace)}`);
      return false;
    }
    const code = refusal ? refusal.code : own?.code;
    const message = refusal ? refusal.message : (own?.message ?? '');
    if (expect.code !== undefined && expect.code !== code) {
      this.fail(['code'], `expected code ${expect.code}, got ${outcomeText(this.trace)}`);
      return false;
    }
    if (expect.status !== undefined && expect.status !== refusal?.status)
      this.fail(['status'], `expected status ${expect.status}, got ${outcomeText(this.trace)}`);
    if (expect.reason !== undefined && !message.includes(expect.reason)) {
      this.fail(['reason'], `expected a reason containing ${JSON.stringify(expect.reason)}, got ${outcomeText(this.trace)}`);
    }
    return true;
  }

  data(expected: JsonObject): void {
    if (!this.trace.exists || this.trace.data === null) {
      this.fail(['data'], this.trace.exists ? 'the journey has no data (its initiating event was rejected)' : 'the journey has not started: it has no data');
      return;
    }
    const found = partialMismatch(expected, this.trace.data);
    if (found) this.fail(['data', ...found.path], `data${found.message}`);
  }

  emitted(expected: NonNullable<Expectation['emitted']>): void {
    const actual = this.trace.emitted;
    if (actual.length !== expected.length) {
      this.fail(['emitted'], `emitted ${listText(actual.map((e) => e.type))}; expected ${listText(expected.map((e) => e.type))}`);
      return;
    }
    expected.forEach((item, i) => {
      const event = actual[i];
      if (event === undefined) return;
      if (event.type !== item.type) {
        this.fail(['emitted', i], `emitted ${listText(actual.map((e) => e.type))}; expected ${item.type} as event ${i + 1}`);
      } else if (item.payload !== undefined) {
        const found = partialMismatch(item.payload, event.payload);
        if (found) this.fail(['emitted', i, 'payload', ...found.path], `${event.type} payload${found.message}`);
      }
    });
  }

  handled(expected: NonNullable<Expectation['handled']>): void {
    const actual = this.trace.handled;
    if (actual.length !== expected.length) {
      this.fail(['handled'], `handled ${listText(actual.map(handledText))}; expected ${listText(expected.map((e) => e.type))}`);
      return;
    }
    expected.forEach((item, i) => {
      const event = actual[i];
      if (event === undefined) return;
      const wrong =
        event.type !== item.type ||
        (item.origin !== undefined && item.origin !== event.origin) ||
        (item.outcome !== undefined && item.outcome !== event.outcome) ||
        (item.code !== undefined && item.code !== event.code) ||
        (item.reason !== undefined && !(event.message ?? '').includes(item.reason));
      if (wrong) {
        this.fail(
          ['handled', i],
          `event ${i + 1} handled was ${handledText(event)}${event.message ? ` (${event.message})` : ''}; expected ${JSON.stringify(item)}`,
        );
      }
    });
  }

  /** How `timer` differs from `item`: the message, and the path below the item it is about. */
  private timerMismatch(item: TimerExpectation, timer: ScheduledTimer): { at: ValuePath; message: string } | null {
    const is = `is ${timerText(timer)}`;
    if (item.name !== undefined && item.name !== timer.name) return { at: ['name'], message: `${is}, expected timer ${item.name}` };
    if (item.event !== undefined && item.event !== timer.event) return { at: ['event'], message: `${is}, expected one firing ${item.event}` };
    if (item.fireAtMs !== undefined && item.fireAtMs !== timer.fireAtMs) return { at: ['fireAt'], message: `${is}, expected it at ${iso(item.fireAtMs)}` };
    if (item.afterMs !== undefined && item.afterMs !== timer.fireAtMs - timer.startedAtMs) {
      return { at: ['after'], message: `${is}, ${timer.fireAtMs - timer.startedAtMs} ms after it started; expected ${item.afterMs} ms` };
    }
    if (item.payload !== undefined) {
      const found = partialMismatch(item.payload, timer.payload);
      if (found) return { at: ['payload', ...found.path], message: `${is}; its payload${found.message}` };
    }
    return null;
  }

  timers(expected: NonNullable<Expectation['timers']>): void {
    for (const kind of ['started', 'cancelled', 'fired', 'scheduled'] as const) {
      const items = expected[kind];
      if (items === undefined) continue;
      const actual = this.trace[kind];
      if (actual.length !== items.length) {
        const wanted = items.map((item) => item.name ?? item.event ?? '?');
        this.fail(['timers', kind], `timers ${kind}: ${listText(actual.map(timerText))}; expected ${listText(wanted)}`);
        continue;
      }
      items.forEach((item, i) => {
        const timer = actual[i];
        const wrong = timer === undefined ? null : this.timerMismatch(item, timer);
        // For a timer given by its name alone, the file has no field to point at: the locator stops at the item.
        if (wrong !== null) this.fail(['timers', kind, i, ...wrong.at], `timer ${i + 1} ${kind} ${wrong.message}`);
      });
    }
  }

  calls(expected: NonNullable<Expectation['calls']>): void {
    const actual: OpenCall[] = this.trace.calls;
    if (actual.length !== expected.length) {
      this.fail(['calls'], `calls made: ${listText(actual.map((c) => c.call))}; expected ${listText(expected.map((c) => c.call))}`);
      return;
    }
    expected.forEach((item, i) => {
      const call = actual[i];
      if (call === undefined) return;
      if (call.call !== item.call) {
        this.fail(['calls', i], `call ${i + 1} was ${call.call}, expected ${item.call}`);
      } else if (item.request !== undefined) {
        const found = partialMismatch(item.request, call.request);
        if (found) this.fail(['calls', i, 'request', ...found.path], `${call.call} request${found.message}`);
      }
    });
  }
}

const messageText = (message: SentMessage): string =>
  message.kind === 'send'
    ? `${message.type} to ${message.to}`
    : `${message.journeyType} ${message.version}${message.type === null ? '' : ` with ${message.type}`}`;

class MessageChecker {
  constructor(
    private readonly checker: StepChecker,
    private readonly trace: StepTrace,
  ) {}

  sent(expected: SentExpectation[]): void {
    const actual = this.trace.messages.filter((m): m is Extract<SentMessage, { kind: 'send' }> => m.kind === 'send');
    if (actual.length !== expected.length) {
      this.checker.fail(['sent'], `sent ${listText(actual.map(messageText))}; expected ${listText(expected.map((e) => e.type ?? '?'))}`);
      return;
    }
    expected.forEach((item, i) => {
      const message = actual[i];
      if (message === undefined) return;
      const to = typeof item.to === 'object' ? this.trace.startedJourneyIds[item.to.started - 1] : item.to;
      if (item.type !== undefined && item.type !== message.type) {
        this.checker.fail(['sent', i, 'type'], `event ${i + 1} sent was ${messageText(message)}; expected ${item.type}`);
      } else if (item.to !== undefined && to !== message.to) {
        const wanted = typeof item.to === 'object' ? `the journey started ${item.to.started}${to === undefined ? ' (none was)' : ` (${to})`}` : item.to;
        this.checker.fail(['sent', i, 'to'], `event ${i + 1} sent was ${messageText(message)}; expected it to ${wanted}`);
      } else if (item.payload !== undefined) {
        const found = partialMismatch(item.payload, message.payload);
        if (found) this.checker.fail(['sent', i, 'payload', ...found.path], `${message.type} payload${found.message}`);
      }
    });
  }

  started(expected: StartExpectation[]): void {
    const actual = this.trace.messages.filter((m): m is Extract<SentMessage, { kind: 'start' }> => m.kind === 'start');
    if (actual.length !== expected.length) {
      this.checker.fail(['startedJourneys'], `started ${listText(actual.map(messageText))}; expected ${listText(expected.map((e) => e.journey ?? '?'))}`);
      return;
    }
    expected.forEach((item, i) => {
      const message = actual[i];
      if (message === undefined) return;
      const wrong =
        (item.journey !== undefined && item.journey !== message.journeyType) ||
        (item.version !== undefined && item.version !== message.version) ||
        (item.event !== undefined && item.event !== message.type);
      if (wrong) {
        this.checker.fail(['startedJourneys', i], `journey ${i + 1} started was ${messageText(message)}; expected ${JSON.stringify(item)}`);
      } else if (item.payload !== undefined) {
        const found = partialMismatch(item.payload, message.payload);
        if (found) this.checker.fail(['startedJourneys', i, 'payload', ...found.path], `the payload of ${message.journeyType}${found.message}`);
      }
    });
  }
}

/** The expectations of `step` that `trace` does not meet. */
export function checkStep(step: ScenarioStep, trace: StepTrace): ScenarioProblem[] {
  const checker = new StepChecker(step, trace);
  const { expect } = step;
  if (!checker.outcome(expect)) return checker.problems;
  if (expect.data !== undefined) checker.data(expect.data);
  if (expect.emitted !== undefined) checker.emitted(expect.emitted);
  if (expect.handled !== undefined) checker.handled(expect.handled);
  if (expect.timers !== undefined) checker.timers(expect.timers);
  if (expect.calls !== undefined) checker.calls(expect.calls);
  const messages = new MessageChecker(checker, trace);
  if (expect.sent !== undefined) messages.sent(expect.sent);
  if (expect.startedJourneys !== undefined) messages.started(expect.startedJourneys);
  return checker.problems;
}
