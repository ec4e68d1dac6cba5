import { describe, expect, it } from 'vitest';
import { checkAtEdge, compileJourney, createPayloadValidators, evaluate, formatDiagnostics, isInitiating } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Evaluation, Json, JsonObject, ProcessorRegistry } from '../../dsl/index.js';

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';
const context: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'web', geo: 'NL' };
const NOW = Date.UTC(2026, 0, 1);

function compile(source: string, files: Record<string, Json>, processorFiles: string[] = []): CompiledJourney {
  const map = new Map(Object.entries(files).map(([name, schema]) => [name, JSON.stringify(schema)]));
  for (const file of processorFiles) map.set(file, '');
  const output = compileJourney({ file: 'test.jd', source, files: map });
  if (!output.journey) throw new Error(formatDiagnostics(output.diagnostics));
  return output.journey;
}

const object = (properties: Record<string, Json>, required: string[] = []): Json => ({
  $schema: SCHEMA,
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** A journey whose only bead sets `result` to the expression, from a Calc event with loosely typed fields. */
function calcJourney(expression: string): CompiledJourney {
  return compile(`journey t/calc version 1\ndata schema "data.json"\nevents from "events/"\non Calc initiating\n  set result = ${expression}\n`, {
    'data.json': object({ result: {} }),
    'events/calc.schema.json': object({ a: {}, b: {}, s: {}, list: {}, missing: {} }),
  });
}

function calc(expression: string, payload: JsonObject = {}): Evaluation {
  return evaluate(calcJourney(expression), { data: null, event: { type: 'Calc', payload }, context, nowMs: NOW });
}

function value(expression: string, payload: JsonObject = {}): Json | undefined {
  const result = calc(expression, payload);
  if (result.outcome !== 'applied') throw new Error(`${result.code}: ${result.message}`);
  return result.data.result;
}

describe('expressions', () => {
  it('arithmetic, precedence and strings', () => {
    expect(value('1 + 2 * 3')).toBe(7);
    expect(value('(1 + 2) * 3')).toBe(9);
    expect(value('10 - 4 - 3')).toBe(3);
    expect(value('7 % 4 + -2')).toBe(1);
    expect(value('"a" + "b"')).toBe('ab');
    expect(value('event.missing ?? 2 * 3')).toBe(6);
    expect(value('event.a ?? 2', { a: 5 })).toBe(5);
    expect(value('not true or true')).toBe(true);
    expect(value('not 1 == 2')).toBe(true);
  });

  it('comparisons, in, not in', () => {
    expect(value('event.s in ["NL", "BE"]', { s: 'BE' })).toBe(true);
    expect(value('event.s not in ["NL", "BE"]', { s: 'DE' })).toBe(true);
    expect(value('"ell" in "hello"')).toBe(true);
    expect(value('{ a: [1, 2] } == { a: [1, 2] }')).toBe(true);
    expect(value('"abc" < "abd"')).toBe(true);
  });

  it('functions', () => {
    expect(value('length(event.s) + length([1, 2])', { s: 'four' })).toBe(6);
    expect(value('upper(event.s) + lower("X") + trim("  y ")', { s: 'ab' })).toBe('ABxy');
    expect(value('contains(event.s, "b") and startsWith(event.s, "a") and endsWith(event.s, "c")', { s: 'abc' })).toBe(true);
    expect(value('min(3, 1, 2) + max(1, 5) + abs(-2) + round(1.5) + floor(1.9) + ceil(1.1)')).toBe(1 + 5 + 2 + 2 + 1 + 2);
    expect(value('now()')).toBe(NOW);
  });

  it('null: missing fields read null; ordering with null is false; == and != compare it', () => {
    expect(value('event.missing')).toBeNull();
    expect(value('event.missing > 1 or event.missing < 1 or event.missing >= 1')).toBe(false);
    expect(value('event.missing == null and event.a != null', { a: 0 })).toBe(true);
    expect(value('event.missing in [1]')).toBe(false);
    expect(value('1 in event.missing')).toBe(false);
    expect(value('false and event.missing + 1 > 0')).toBe(false);
  });

  it('arithmetic on null, division by zero and wrong types are action failures, never exceptions', () => {
    expect(calc('event.missing + 1')).toEqual({
      outcome: 'rejected',
      code: 'ACTION_FAILED',
      message: 'Calc failed: event.missing + 1: the left side of + is null, not a number',
      beadId: 'Calc#1',
    });
    expect(calc('event.a / 0', { a: 1 })).toMatchObject({ code: 'ACTION_FAILED', message: 'Calc failed: event.a / 0: division by zero' });
    expect(calc('event.a and true', { a: 1 })).toMatchObject({ message: 'Calc failed: event.a and true: the left side of and is a number, not true or false' });
    expect(calc('event.a < "x"', { a: 1 })).toMatchObject({ message: 'Calc failed: event.a < "x": cannot order a number and a string' });
    expect(calc('length(event.a)', { a: 1 })).toMatchObject({ code: 'ACTION_FAILED' });
  });

  it('names the failed expression as it reads: the parentheses it needs, no more', () => {
    expect(calc('-(event.a + event.b)', { a: 'x', b: 'y' })).toMatchObject({
      message: 'Calc failed: -(event.a + event.b): the operand of - is a string, not a number',
    });
    // `not` binds more loosely than `??`: `not a ?? b` reads `not (a ?? b)`.
    expect(calc('not (event.a ?? event.b)', { a: 1 })).toMatchObject({
      message: 'Calc failed: not event.a ?? event.b: the operand of not is a number, not true or false',
    });
    expect(calc('event.a + event.b * 2', { a: 1, b: 'x' })).toMatchObject({
      message: 'Calc failed: event.b * 2: the left side of * is a string, not a number',
    });
    expect(calc('event.s - 1 - 1', { s: 'x' })).toMatchObject({
      message: 'Calc failed: event.s - 1: the left side of - is a string, not a number',
    });
    expect(calc('event.a in context.sender', { a: 1 })).toMatchObject({
      message: 'Calc failed: event.a in sender: the left side of in is a number, not a string',
    });
  });

  it('refuses arithmetic past exact integers instead of rounding an amount', () => {
    expect(calc('event.a + 1', { a: Number.MAX_SAFE_INTEGER })).toMatchObject({
      code: 'ACTION_FAILED',
      message: 'Calc failed: event.a + 1: the result is beyond the range of exact integers (±2^53−1)',
    });
    expect(calc('event.a * 1000', { a: 2 ** 50 })).toMatchObject({ code: 'ACTION_FAILED' });
    expect(value('event.a + 1', { a: Number.MAX_SAFE_INTEGER - 1 })).toBe(Number.MAX_SAFE_INTEGER);
  });
});

const PAYMENT = `journey acme/payment version 1.0
data schema "data.json"
events from "events/"
publish Done
timer expiry after 5 days emit Expired { id: data.id } unless Booked

on Start initiating
  allow role "customer"
  when context.trustLevel >= 2 and context.geo in ["NL", "BE"]
  when event.amount > 0
  set id = event.id, amount = event.amount, count = 0, doubled = data.amount * 2
  start timer expiry
  after 1 hours unless Booked emit Reminder { id: event.id }
  call booking.book { id: data.id, amount: data.amount } reply Booked failure Failed
  emit Done { id: data.id }

on Booked
  allow sender == data.id
  cancel timer expiry
  process enrich
  set count = data.count + 1

on Failed
  set count = -1

on Expired
  when data.count + 1 > 0
  set status = "expired"

on Reminder
  set status = "reminded"
`;

function paymentJourney(): CompiledJourney {
  return compile(
    PAYMENT,
    {
      'data.json': object(
        {
          id: { type: 'string' },
          amount: { type: 'integer' },
          doubled: { type: 'integer' },
          count: { type: 'integer', minimum: 0 },
          status: { type: 'string' },
          extra: { type: 'string' },
        },
        ['id', 'amount', 'count'],
      ),
      'events/start.schema.json': object({ id: { type: 'string', minLength: 1 }, amount: { type: 'integer', minimum: 1 } }, ['id', 'amount']),
      'events/booked.schema.json': object({}),
      'events/failed.schema.json': object({}),
      'events/expired.schema.json': object({ id: { type: 'string' } }, ['id']),
      'events/reminder.schema.json': object({ id: { type: 'string' } }, ['id']),
      'events/done.schema.json': object({ id: { type: 'string' } }, ['id']),
    },
    ['processors/enrich.ts'],
  );
}

describe('evaluate', () => {
  const journey = paymentJourney();
  const start = (ctx: EventContext = context, payload: JsonObject = { id: 'p1', amount: 5 }): Evaluation =>
    evaluate(journey, { data: null, event: { type: 'Start', payload }, context: ctx, nowMs: NOW });
  const started = (): JsonObject => {
    const result = start();
    if (result.outcome !== 'applied') throw new Error(result.message);
    return result.data;
  };

  it('runs steps in order (later steps see earlier changes) and returns effects', () => {
    expect(start()).toEqual({
      outcome: 'applied',
      beadId: 'Start#1',
      data: { id: 'p1', amount: 5, count: 0, doubled: 10 },
      emitted: [{ type: 'Done', payload: { id: 'p1' } }],
      effects: [
        { kind: 'startTimer', timer: 'expiry', fireAtMs: NOW + 5 * 86_400_000, event: { type: 'Expired', payload: { id: 'p1' } }, unless: ['Booked'] },
        {
          kind: 'startTimer',
          timer: 'Start#1/after@13:3',
          fireAtMs: NOW + 3_600_000,
          event: { type: 'Reminder', payload: { id: 'p1' } },
          unless: ['Booked'],
        },
        { kind: 'call', system: 'booking', operation: 'book', request: { id: 'p1', amount: 5 }, replyEvent: 'Booked', failureEvent: 'Failed' },
      ],
    });
  });

  it('refuses by access rules and preconditions, most specific reason first', () => {
    expect(start({ ...context, roles: [] })).toMatchObject({ outcome: 'rejected', code: 'ACCESS_DENIED', rule: 'role "customer"' });
    expect(start({ ...context, geo: 'DE' })).toMatchObject({
      code: 'PRECONDITION_FAILED',
      rule: 'context.trustLevel >= 2 and context.geo in ["NL", "BE"]',
      message: 'Start rejected: precondition failed: context.trustLevel >= 2 and context.geo in ["NL", "BE"]',
    });
    const data = started();
    expect(evaluate(journey, { data, event: { type: 'Start', payload: { id: 'p2', amount: 1 } }, context, nowMs: NOW })).toMatchObject({
      code: 'NO_MATCHING_BEAD',
      message: 'Start can only start a journey; this one has started',
    });
    expect(evaluate(journey, { data: null, event: { type: 'Booked', payload: {} }, context, nowMs: NOW })).toMatchObject({
      code: 'NO_MATCHING_BEAD',
      message: 'Booked cannot start a journey',
    });
    expect(evaluate(journey, { data, event: { type: 'Nope', payload: {} }, context, nowMs: NOW })).toMatchObject({
      code: 'NO_MATCHING_BEAD',
      message: 'acme/payment 1.0 has no bead for Nope',
    });
  });

  it('a precondition that cannot be evaluated fails, with the reason', () => {
    const data = { ...started(), count: null } as unknown as JsonObject;
    expect(evaluate(journey, { data, event: { type: 'Expired', payload: { id: 'p1' } }, context, nowMs: NOW })).toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'Expired rejected: precondition failed: data.count + 1 > 0 (data.count + 1: the left side of + is null, not a number)',
    });
  });

  it('calls action processors, merging their data and emitted events', () => {
    const data = started();
    const processors: ProcessorRegistry = {
      enrich: ({ data: current }) => ({
        data: { extra: `seen ${typeof current.id === 'string' ? current.id : '?'}` },
        emit: [{ type: 'Done', payload: { id: 'again' } }],
      }),
    };
    const sender = { ...context, sender: 'p1' };
    expect(evaluate(journey, { data, event: { type: 'Booked', payload: {} }, context: sender, nowMs: NOW }, processors)).toEqual({
      outcome: 'applied',
      beadId: 'Booked#1',
      data: { ...data, extra: 'seen p1', count: 1 },
      emitted: [{ type: 'Done', payload: { id: 'again' } }],
      effects: [{ kind: 'cancelTimer', timer: 'expiry' }],
    });
    expect(evaluate(journey, { data, event: { type: 'Booked', payload: {} }, context: sender, nowMs: NOW })).toMatchObject({
      code: 'ACTION_FAILED',
      message: 'Booked failed: action processor enrich is not registered',
    });
    const throwing: ProcessorRegistry = {
      enrich: () => {
        throw new Error('boom');
      },
    };
    expect(evaluate(journey, { data, event: { type: 'Booked', payload: {} }, context: sender, nowMs: NOW }, throwing)).toMatchObject({
      code: 'ACTION_FAILED',
      message: 'Booked failed: action processor enrich failed: boom',
    });
  });

  it('new data that breaks the data schema is an action failure', () => {
    expect(evaluate(journey, { data: started(), event: { type: 'Failed', payload: {} }, context, nowMs: NOW })).toMatchObject({
      code: 'ACTION_FAILED',
      message: 'Failed failed: the new data does not fit the data schema: /count must be >= 0',
    });
  });

  it('never mutates its input and is deterministic', () => {
    const data = started();
    const input = { data, event: { type: 'Booked', payload: {} }, context: { ...context, sender: 'p1' }, nowMs: NOW };
    const frozen = structuredClone(input);
    const mutating: ProcessorRegistry = {
      enrich: (args) => {
        args.data.id = 'mutated';
        return {};
      },
    };
    const first = evaluate(journey, input, mutating);
    expect(input).toEqual(frozen);
    expect(evaluate(journey, input, mutating)).toEqual(first);
    if (first.outcome !== 'applied') throw new Error('expected applied');
    first.data.count = 99;
    expect(input.data.count).toBe(0);
  });

  it('checkAtEdge refuses what depends only on the context; isInitiating', () => {
    expect(checkAtEdge(journey, 'Start', context)).toBeNull();
    expect(checkAtEdge(journey, 'Start', { ...context, roles: ['backoffice'] })).toEqual({
      code: 'ACCESS_DENIED',
      message: 'alice may not send Start here (requires role "customer")',
      rule: 'role "customer"',
    });
    expect(checkAtEdge(journey, 'Start', { ...context, trustLevel: 1 })).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(checkAtEdge(journey, 'Start', context, { id: 'p', amount: 0 })).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'event.amount > 0' });
    // `sender == data.id` depends on the journey's data: only evaluate can decide.
    expect(checkAtEdge(journey, 'Booked', { ...context, sender: 'mallory' })).toBeNull();
    expect(checkAtEdge(journey, 'Nope', context)).toMatchObject({ code: 'NO_MATCHING_BEAD' });
    expect(isInitiating(journey, 'Start')).toBe(true);
    expect(isInitiating(journey, 'Booked')).toBe(false);
    expect(isInitiating(journey, 'Nope')).toBe(false);
  });

  it('payload validators report JSON pointers and messages', () => {
    const validators = createPayloadValidators(journey);
    expect(validators.validate('Start', { id: 'p', amount: 1 })).toEqual([]);
    expect(validators.validate('Start', { id: '', amount: 0, x: 1 })).toEqual([
      { pointer: '', message: 'has unknown property "x"' },
      { pointer: '/id', message: 'must NOT have fewer than 1 characters' },
      { pointer: '/amount', message: 'must be >= 1' },
    ]);
    expect(validators.validate('Start', 'nope')).toEqual([{ pointer: '', message: 'must be object' }]);
    expect(validators.has('Nope')).toBe(false);
    expect(validators.validate('Nope', {})).toEqual([{ pointer: '', message: 'acme/payment 1.0 has no event type Nope' }]);
  });
});
