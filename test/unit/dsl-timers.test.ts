/**
 * Timers whose time comes from data or the event: `at <time>` (a date-time string or ms since the
 * epoch) and `after <amount> <unit>` with a computed amount. Parsed in exactly one way, typed and
 * range-checked at compile time where the schemas say, evaluated when the timer starts with the
 * evaluation's clock, and refused (`INVALID_TIMER`) when the value is not a time in range.
 */
import { describe, expect, it } from 'vitest';
import { assertValidIr, compileJourney, evaluate, formatDiagnostics, journeyGraph, parseJourney, TIMER_MAX_DELAY_MS } from '../../dsl/index.js';
import type { CompileOutput, CompiledJourney, Evaluation, Json, JsonObject } from '../../dsl/index.js';

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const DAY_MS = 86_400_000;
const context = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'web' };

const object = (properties: Record<string, Json>, required: string[] = []): Json => ({
  $schema: SCHEMA,
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** A journey: `Open` starts the timer `lines` declare or start (its data holds `expiresAt`). */
function compileWith(
  lines: { timer?: string; bead: string },
  openFields: Record<string, Json> = {},
  dataFields: Record<string, Json> = {},
  openRequired: string[] = [],
): CompileOutput {
  const source = [
    'journey t/lease version 1.0',
    'data schema "data.json"',
    'events from "events/"',
    ...(lines.timer === undefined ? [] : [lines.timer]),
    '',
    'on Open initiating',
    '  set expiresAt = event.expiresAt ?? "2026-01-02T00:00:00Z"',
    `  ${lines.bead}`,
    '',
    'on Expire',
    '  set status = "expired"',
    '',
  ].join('\n');
  const files = new Map<string, string>([
    ['data.json', JSON.stringify(object({ expiresAt: { type: 'string', format: 'date-time' }, status: { type: 'string' }, ...dataFields }))],
    ['events/open.schema.json', JSON.stringify(object({ expiresAt: { type: 'string', format: 'date-time' }, ...openFields }, openRequired))],
    ['events/expire.schema.json', JSON.stringify(object({}))],
  ]);
  return compileJourney({ file: 'lease.jd', source, files });
}

function compiled(output: CompileOutput): CompiledJourney {
  if (output.journey === null || output.diagnostics.some((d) => d.severity === 'error')) throw new Error(formatDiagnostics(output.diagnostics));
  return output.journey;
}

const messages = (output: CompileOutput): string[] => output.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`);

function open(journey: CompiledJourney, payload: JsonObject): Evaluation {
  return evaluate(journey, { data: null, event: { type: 'Open', payload }, context, nowMs: NOW });
}

function fireAt(evaluation: Evaluation): number | string {
  if (evaluation.outcome === 'rejected') return `${evaluation.code}: ${evaluation.message}`;
  const effect = evaluation.effects.find((e) => e.kind === 'startTimer');
  return effect?.kind === 'startTimer' ? effect.fireAtMs : 'no timer';
}

describe('grammar: timers from data', () => {
  it('parses `at`, `after <expression> <unit>` and constant delays in exactly one way', () => {
    const source = [
      'journey t/x version 1.0',
      'data schema "d.json"',
      'timer a at data.expiresAt emit A unless B',
      'timer b after data.days * 2 days unless B emit A',
      'timer c after 5 days emit A',
      'on A initiating',
      '  at event.when ?? data.expiresAt emit A { n: 1 }',
      '  after event.days days emit A',
      '  after (event.hours + 1) hours unless B emit A',
      '  set at = 1',
      '',
    ].join('\n');
    const result = parseJourney(source, 'x.jd');
    expect(formatDiagnostics(result.diagnostics)).toBe('');
    const timers = (result.ast?.items ?? []).flatMap((item) => (item.kind === 'timer' ? [item.timer.when.kind] : []));
    expect(timers).toEqual(['at', 'after', 'after']);
  });
});

describe('compiler: timers from data', () => {
  it('keeps the IR of a constant delay as it was (no `when`), and lowers a time from data to `when`', () => {
    const constant = compiled(compileWith({ timer: 'timer expiry after 5 days emit Expire', bead: 'start timer expiry' }));
    expect(JSON.stringify(constant.timers)).toBe(
      '[{"name":"expiry","delayMs":432000000,"event":"Expire","payload":{"kind":"object","entries":[]},"unless":[]}]',
    );
    const folded = compiled(compileWith({ timer: 'timer expiry after 2 * 12 hours emit Expire', bead: 'start timer expiry' }));
    expect(folded.timers[0]?.delayMs).toBe(DAY_MS);

    const at = compiled(compileWith({ timer: 'timer expiry at data.expiresAt emit Expire', bead: 'start timer expiry' }));
    assertValidIr(at);
    expect(at.timers[0]).toEqual({
      name: 'expiry',
      when: { kind: 'at', time: { kind: 'path', root: 'data', segments: ['expiresAt'] }, text: 'at data.expiresAt' },
      event: 'Expire',
      payload: { kind: 'object', entries: [] },
      unless: [],
    });
    const after = compiled(compileWith({ bead: 'after event.days days emit Expire' }, { days: { type: 'integer', minimum: 0, maximum: 3650 } }));
    assertValidIr(after);
    expect(after.timers[0]?.when).toEqual({
      kind: 'after',
      amount: { kind: 'path', root: 'event', segments: ['days'] },
      unitMs: DAY_MS,
      text: 'after event.days days',
    });
    expect(after.timers[0]?.delayMs).toBeUndefined();
  });

  it('types the time: a number for an amount, a date-time string or a number for `at`', () => {
    expect(messages(compileWith({ bead: 'after event.n days emit Expire' }, { n: { type: 'string' } }))).toEqual([
      'error type-error: the amount of a delay must be a number; event.n is a string',
    ]);
    expect(messages(compileWith({ bead: 'at event.t emit Expire' }, { t: { type: 'string' } }))).toEqual([
      'error type-error: event.t is a string its schema does not declare a date-time: add "format": "date-time" (or give ms since the epoch, a number)',
    ]);
    expect(messages(compileWith({ bead: 'at event.t emit Expire' }, { t: { type: 'boolean' } }))).toEqual([
      "error type-error: a timer's time must be a date-time string or ms since the epoch; event.t is a boolean",
    ]);
    expect(messages(compileWith({ bead: 'at "2026-02-30T00:00:00Z" emit Expire' }))).toEqual([
      'error type-error: "2026-02-30T00:00:00Z" is not a date-time with its offset (like "2026-07-01T09:00:00Z")',
    ]);
    // Numbers are ms since the epoch, as now() gives them; date-time fields need no more.
    expect(messages(compileWith({ bead: 'at now() + 1000 emit Expire' }))).toEqual([]);
    expect(messages(compileWith({ bead: 'at event.t emit Expire' }, { t: { type: 'string', format: 'date-time' } }, {}))).toEqual([
      'warning unchecked-timer: timer at 7:3: the schemas do not say that event.t is always a date-time or a number; another value is refused when the timer starts (INVALID_TIMER)',
    ]);
    expect(messages(compileWith({ bead: 'at event.t emit Expire' }, { t: { type: 'integer' } }))).toEqual([
      'warning unchecked-timer: timer at 7:3: the schemas do not say that event.t is always a date-time or a number; another value is refused when the timer starts (INVALID_TIMER)',
    ]);
    // A declared timer may be started by several beads: it reads data, not the event.
    expect(
      messages(compileWith({ timer: 'timer expiry at event.t emit Expire', bead: 'start timer expiry' }, { t: { type: 'string', format: 'date-time' } })),
    ).toEqual(['error unknown-path: a declared timer cannot read `event` (several beads may start it); copy the value into data first']);
  });

  it('checks the range where the schema bounds it, and warns where it does not', () => {
    const bounded = { type: 'integer', minimum: 1, maximum: 36_525 };
    expect(messages(compileWith({ bead: 'after event.days days emit Expire' }, { days: bounded }, {}))).toEqual([
      'warning unchecked-timer: timer at 7:3: event.days may be missing in its schema; a value that is not a number from 0 to 36525 days is refused when the timer starts (INVALID_TIMER)',
    ]);
    const withRequired = (days: Json, unit = 'days'): string[] =>
      messages(compileWith({ bead: `after event.days ${unit} emit Expire` }, { days }, {}, ['days']));
    expect(withRequired(bounded)).toEqual([]);
    expect(withRequired({ type: 'integer', minimum: 0, maximum: 5 }, 'weeks')).toEqual([]);
    expect(withRequired({ type: 'integer', minimum: 0, maximum: 40_000 })).toEqual([
      "error invalid-duration: event.days may be 40000 (its schema's maximum): 40000 days is more than the 36525 days (100 years) a timer may wait",
    ]);
    expect(withRequired({ type: 'integer', minimum: -1, maximum: 10 })).toEqual([
      'error invalid-duration: event.days may be -1 (its schema\'s minimum), but a delay cannot be negative: declare "minimum": 0',
    ]);
    expect(withRequired({ enum: [1, 7, 30] })).toEqual([]);
    expect(withRequired({ type: 'integer' })).toEqual([
      'warning unchecked-timer: timer at 7:3: event.days has no minimum and has no maximum in its schema; a value that is not a number from 0 to 36525 days is refused when the timer starts (INVALID_TIMER)',
    ]);
  });

  it('refuses a constant delay longer than a timer may wait, or not positive', () => {
    expect(messages(compileWith({ bead: 'after 5218 weeks emit Expire' }))).toEqual([
      'error invalid-duration: a timer may wait at most 36525 days (100 years), not 36526 days',
    ]);
    expect(messages(compileWith({ bead: 'after 0 days emit Expire' }))).toEqual([
      'error invalid-duration: a duration must be a positive whole number of milliseconds, not 0',
    ]);
    expect(messages(compileWith({ bead: 'after -1 days emit Expire' }))).toEqual([
      'error invalid-duration: a duration must be a positive whole number of milliseconds, not -86400000',
    ]);
  });
});

describe('evaluate: timers from data', () => {
  const atEvent = compiled(compileWith({ bead: 'at event.t emit Expire' }, { t: {} }));
  const afterDays = compiled(compileWith({ bead: 'after event.days days emit Expire' }, { days: {} }));

  it('fires at the time the data names, with its offset, or at ms since the epoch', () => {
    expect(fireAt(open(atEvent, { t: '2026-03-01T10:00:00+02:00' }))).toBe(Date.UTC(2026, 2, 1, 8));
    expect(fireAt(open(atEvent, { t: '2026-03-01t08:00:00.250z' }))).toBe(Date.UTC(2026, 2, 1, 8, 0, 0, 250));
    expect(fireAt(open(atEvent, { t: '2028-02-29T00:00:00Z' }))).toBe(Date.UTC(2028, 1, 29));
    expect(fireAt(open(atEvent, { t: NOW + 1234 }))).toBe(NOW + 1234);
    const declared = compiled(compileWith({ timer: 'timer expiry at data.expiresAt emit Expire', bead: 'start timer expiry' }, { expiresAt: {} }));
    expect(fireAt(open(declared, { expiresAt: '2026-06-01T00:00:00Z' }))).toBe(Date.UTC(2026, 5, 1));
  });

  it('fires a time already past at once, and a delay of 0 at once', () => {
    expect(fireAt(open(atEvent, { t: '2020-01-01T00:00:00Z' }))).toBe(NOW);
    expect(fireAt(open(afterDays, { days: 0 }))).toBe(NOW);
    expect(fireAt(open(afterDays, { days: 1.5 }))).toBe(NOW + 1.5 * DAY_MS);
  });

  it('rejects the event (INVALID_TIMER) when the value is not a time in range: nothing of it is applied', () => {
    expect(fireAt(open(atEvent, { t: 'tomorrow' }))).toBe(
      'INVALID_TIMER: Open rejected: timer Open#1/after@7:3: event.t is "tomorrow", not a date-time (like 2026-07-01T09:00:00Z) or ms since the epoch',
    );
    expect(fireAt(open(atEvent, { t: '2026-02-30T00:00:00Z' }))).toMatch(/^INVALID_TIMER: .*is "2026-02-30T00:00:00Z", not a date-time/);
    expect(fireAt(open(atEvent, { t: '2026-03-01T10:00:00' }))).toMatch(/^INVALID_TIMER: .*not a date-time/);
    expect(fireAt(open(atEvent, {}))).toMatch(/^INVALID_TIMER: .*event.t is null, not a date-time/);
    expect(fireAt(open(atEvent, { t: '2126-01-03T00:00:00Z' }))).toBe(
      'INVALID_TIMER: Open rejected: timer Open#1/after@7:3: 2126-01-03T00:00:00.000Z is more than 36525 days (100 years) ahead, the most a timer may wait',
    );
    expect(fireAt(open(atEvent, { t: NOW + TIMER_MAX_DELAY_MS }))).toBe(NOW + TIMER_MAX_DELAY_MS);
    expect(fireAt(open(afterDays, { days: -1 }))).toBe('INVALID_TIMER: Open rejected: timer Open#1/after@7:3: event.days is -1; a delay cannot be negative');
    expect(fireAt(open(afterDays, { days: '3' }))).toMatch(/^INVALID_TIMER: .*event.days is "3", not a number$/);
    expect(fireAt(open(afterDays, { days: 36_526 }))).toMatch(/^INVALID_TIMER: .*is more than 36525 days \(100 years\) ahead/);
    const rejected = open(afterDays, { days: -1 });
    expect(rejected).toMatchObject({ outcome: 'rejected', code: 'INVALID_TIMER', beadId: 'Open#1' });
  });

  it('the graph names the time as written', () => {
    const declared = compiled(compileWith({ timer: 'timer expiry at data.expiresAt emit Expire', bead: 'start timer expiry' }));
    const marks = journeyGraph(declared).edges.flatMap((edge) => edge.lines.flatMap((line) => line.marks));
    expect(marks).toContain('starts timer expiry, at data.expiresAt');
  });
});
