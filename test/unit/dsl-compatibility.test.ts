/**
 * Compatibility between journey versions (dsl/compatibility.ts, dsl/schema-inclusion.ts): the
 * `compatibility` declaration, and what each mode refuses, with the JSON Pointers at fault.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IR_VERSION, assertValidIr, checkCompatibility, compileJourney, compileJourneys } from '../../dsl/index.js';
import type { CompatibilityMode, CompiledJourney, EventDefinition, JsonObject, JsonSchema } from '../../dsl/index.js';

const root = resolve(import.meta.dirname, '../..');

/** An event both handled and not initiating, unless `extra` says otherwise. */
function event(schema: JsonSchema, extra: Partial<EventDefinition> = {}): EventDefinition {
  return { schema, initiating: false, handled: true, emitted: false, ...extra };
}

/** A version of `acme/t` with the given data schema, events and mode (no beads: only schemas matter here). */
function version(
  number: string,
  dataSchema: JsonSchema,
  options: { mode?: CompatibilityMode; events?: Record<string, EventDefinition> } = {},
): CompiledJourney {
  const journey: CompiledJourney = {
    irVersion: IR_VERSION,
    name: 'acme/t',
    version: number,
    source: 't.jd',
    dataSchema,
    events: options.events ?? {},
    searchFields: [],
    beads: [],
    timers: [],
    processors: [],
  };
  if (options.mode !== undefined) journey.compatibility = options.mode;
  assertValidIr(journey);
  return journey;
}

const closed = (properties: JsonObject, required: string[] = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties,
});

const base = closed({
  owner: { type: 'string', minLength: 1 },
  currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  balance: { type: 'integer', minimum: 0 },
  status: { enum: ['open', 'closed'] },
});

function withProperty(schema: JsonSchema, name: string, property: JsonObject, required: boolean): JsonSchema {
  const properties = { ...(schema.properties as JsonObject), [name]: property };
  const list = (schema.required as string[]).filter((r) => r !== name);
  return { ...schema, properties, required: required ? [...list, name] : list };
}

/** `<schema> <pointer>` of each violation, for exact comparisons. */
function pointers(older: CompiledJourney, newer: CompiledJourney): string[] {
  return checkCompatibility(older, newer).map((v) => `${v.schema} ${v.pointer}`);
}

describe('the compatibility declaration', () => {
  const data = JSON.stringify(base);
  const files = new Map([
    ['data.schema.json', data],
    ['events/start.schema.json', JSON.stringify(closed({}))],
  ]);
  const source = (extra: string): string =>
    `journey acme/t version 1.0\n${extra}\ndata schema "data.schema.json"\nevents from "events/"\non Start initiating\n  set owner = "a", currency = "EUR", balance = 0, status = "open"\n`;

  it('is carried into the IR as declared; a journey without it has no field (its IR and hash stay as they were)', () => {
    for (const mode of ['BACKWARD', 'FORWARD', 'FULL', 'NONE'] as const) {
      const output = compileJourney({ file: 't.jd', source: source(`compatibility ${mode}`), files });
      expect(output.diagnostics).toEqual([]);
      expect(output.journey?.compatibility).toBe(mode);
    }
    const plain = compileJourney({ file: 't.jd', source: source(''), files }).journey;
    expect(plain).not.toBeNull();
    expect(Object.keys(plain ?? {})).not.toContain('compatibility');
    expect(Object.keys(plain ?? {})).not.toContain('uplifts');
  });

  it('refuses an unknown mode and a second declaration, with stable codes', () => {
    const wrong = compileJourney({ file: 't.jd', source: source('compatibility backward'), files });
    expect(wrong.journey).toBeNull();
    expect(wrong.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`)).toEqual([
      '2:15 invalid-compatibility: unknown compatibility mode backward; did you mean BACKWARD?',
    ]);
    const twice = compileJourney({ file: 't.jd', source: source('compatibility FULL\ncompatibility NONE'), files });
    expect(twice.diagnostics.map((d) => `${d.line} ${d.code}: ${d.message}`)).toEqual([
      '3 duplicate-declaration: the compatibility mode is already declared on line 2',
    ]);
  });
});

describe('BACKWARD (the default): the newer schemas admit everything the older admit', () => {
  const older = version('1.0', base);

  it('passes a new optional field, a new required field with a default, and widened values', () => {
    expect(pointers(older, version('2.0', withProperty(base, 'nickname', { type: 'string' }, false)))).toEqual([]);
    expect(pointers(older, version('2.0', withProperty(base, 'tier', { enum: ['standard', 'premium'], default: 'standard' }, true)))).toEqual([]);
    const widened = closed({
      owner: { type: 'string' },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      balance: { type: 'number' },
      status: { enum: ['open', 'closed', 'frozen'] },
    });
    expect(pointers(older, version('2.0', widened))).toEqual([]);
    expect(pointers(older, version('2.0', { ...base, required: ['owner'] }))).toEqual([]);
  });

  it('refuses a new required field without a default', () => {
    const violations = checkCompatibility(older, version('2.0', withProperty(base, 'tier', { enum: ['standard', 'premium'] }, true)));
    expect(violations).toEqual([{ schema: 'data', pointer: '/required', message: 'BACKWARD: 2.0 requires tier and it has no default; 1.0 never has tier' }]);
  });

  it('refuses narrowed types, enums, ranges, lengths and patterns, each at its pointer', () => {
    const narrowed = closed({
      owner: { type: 'string', minLength: 2, maxLength: 64 },
      currency: { type: 'string', pattern: '^(EUR|USD)$' },
      balance: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      status: { enum: ['open'] },
    });
    expect(pointers(older, version('2.0', narrowed))).toEqual([
      'data /properties/owner/minLength',
      'data /properties/owner/maxLength',
      'data /properties/currency/pattern',
      'data /properties/balance/minimum',
      'data /properties/balance/maximum',
      'data /properties/status/enum',
    ]);
    const [enumViolation] = checkCompatibility(older, version('2.0', closed({ ...(base.properties as JsonObject), status: { enum: ['open'] } })));
    expect(enumViolation?.message).toBe('BACKWARD: 1.0 admits "closed" here; 2.0 only "open"');
    const integer = checkCompatibility(version('1.0', closed({ amount: { type: 'number' } })), version('2.0', closed({ amount: { type: 'integer' } })));
    expect(integer).toEqual([{ schema: 'data', pointer: '/properties/amount/type', message: 'BACKWARD: 1.0 admits number here; 2.0 only integer' }]);
  });

  it('refuses a removed property when additionalProperties is false, and closing an open schema', () => {
    const { owner: _owner, ...rest } = base.properties as JsonObject;
    expect(checkCompatibility(older, version('2.0', closed(rest)))).toEqual([
      { schema: 'data', pointer: '/properties/owner', message: 'BACKWARD: 1.0 admits property owner; 2.0 does not (additionalProperties is false)' },
    ]);
    const open = { ...base, additionalProperties: true };
    expect(pointers(version('1.0', open), version('2.0', base))).toEqual(['data /additionalProperties']);
    // An open older schema admits any value under a name the newer one now constrains.
    expect(pointers(version('1.0', open), version('2.0', withProperty(open, 'note', { type: 'string' }, false)))).toEqual(['data /properties/note']);
  });

  it('follows nested objects, list items, formats and $refs of the newer schema in its pointers', () => {
    const nested = (city: JsonObject, tags: JsonObject, at: JsonObject): JsonSchema =>
      closed({ address: closed({ city }), tags: { type: 'array', items: tags }, at }, ['address']);
    const before = version('1.0', nested({ type: 'string' }, { type: 'string' }, { type: 'string' }));
    const after = version('2.0', nested({ type: 'string', maxLength: 40 }, { enum: ['a', 'b'] }, { type: 'string', format: 'date-time' }));
    expect(pointers(before, after)).toEqual([
      'data /properties/address/properties/city/maxLength',
      'data /properties/tags/items/enum',
      'data /properties/at/format',
    ]);
    const money = (minimum: number): JsonSchema => ({
      ...closed({ amount: { $ref: '#/$defs/money' } }),
      $defs: { money: { type: 'integer', minimum } },
    });
    expect(checkCompatibility(version('1.0', money(0)), version('2.0', money(0)))).toEqual([]);
    expect(pointers(version('1.0', money(0)), version('2.0', money(1)))).toEqual(['data /$defs/money/minimum']);
  });

  it('compares the schemas of events in both versions, where defaults fill nothing', () => {
    const deposit = closed({ amount: { type: 'integer', minimum: 1 } });
    const before = version('1.0', base, { events: { Deposit: event(deposit) } });
    expect(pointers(before, version('2.0', base, { events: { Deposit: event(closed({ amount: { type: 'integer', minimum: 100 } })) } }))).toEqual([
      'event:Deposit /properties/amount/minimum',
    ]);
    const withDefault = withProperty(deposit, 'memo', { type: 'string', default: '' }, true);
    expect(checkCompatibility(before, version('2.0', base, { events: { Deposit: event(withDefault) } }))).toEqual([
      { schema: 'event:Deposit', pointer: '/required', message: 'BACKWARD: 2.0 requires memo; 1.0 never has memo' },
    ]);
  });

  it('refuses an event type the older version accepts or starts journeys with and the newer does not', () => {
    const start = event(closed({}), { initiating: true });
    const before = version('1.0', base, { events: { Start: start, Deposit: event(closed({})) } });
    expect(checkCompatibility(before, version('2.0', base, { events: { Start: start } }))).toEqual([
      { schema: 'event:Deposit', pointer: '', message: "BACKWARD: 1.0 accepts Deposit, 2.0 does not (its senders' Deposit would be refused)" },
    ]);
    const notInitiating = version('2.0', base, { events: { Start: event(closed({})), Deposit: event(closed({})) } });
    expect(checkCompatibility(before, notInitiating)).toEqual([
      { schema: 'event:Start', pointer: '', message: 'BACKWARD: Start starts a 1.0 journey, not a 2.0 one' },
    ]);
    // A new event type is fine BACKWARD.
    expect(pointers(before, version('2.0', base, { events: { Start: start, Deposit: event(closed({})), Close: event(closed({})) } }))).toEqual([]);
  });

  it('is conservative: what it cannot compare is a violation that says so', () => {
    const before = version('1.0', closed({ code: { type: 'string' } }));
    const not = checkCompatibility(before, version('2.0', closed({ code: { type: 'string', not: { const: 'x' } } })));
    expect(not).toEqual([
      {
        schema: 'data',
        pointer: '/properties/code/not',
        message: 'BACKWARD: 2.0 constrains values with `not`, which this check does not compare; not shown to admit what 1.0 admits',
      },
    ]);
    // oneOf: two string branches may both match one value.
    const oneOf = checkCompatibility(before, version('2.0', closed({ code: { oneOf: [{ type: 'string' }, { type: 'string', minLength: 3 }] } })));
    expect(oneOf.map((v) => v.pointer)).toEqual(['/properties/code/oneOf']);
    // anyOf that covers each type: shown.
    const nullable = version('1.0', closed({ code: { type: ['string', 'null'] } }));
    expect(pointers(nullable, version('2.0', closed({ code: { anyOf: [{ type: 'string' }, { type: 'null' }] } })))).toEqual([]);
    expect(pointers(nullable, version('2.0', closed({ code: { oneOf: [{ type: 'string' }, { type: 'null' }] } })))).toEqual([]);
    expect(pointers(nullable, version('2.0', closed({ code: { anyOf: [{ type: 'string' }, { type: 'integer' }] } })))).toEqual(['data /properties/code/anyOf']);
  });
});

describe('FORWARD, FULL and NONE', () => {
  const older = version('1.0', base);
  const narrowedEnum = closed({ ...(base.properties as JsonObject), status: { enum: ['open'] } });
  const added = withProperty(base, 'nickname', { type: 'string' }, false);

  it('FORWARD: the older schemas admit everything the newer admit', () => {
    expect(pointers(older, version('2.0', narrowedEnum, { mode: 'FORWARD' }))).toEqual([]);
    expect(checkCompatibility(older, version('2.0', added, { mode: 'FORWARD' }))).toEqual([
      { schema: 'data', pointer: '/properties/nickname', message: 'FORWARD: 2.0 admits property nickname; 1.0 does not (additionalProperties is false)' },
    ]);
    // The default that makes a new required field BACKWARD-safe does not help an older reader.
    const { owner: _owner, ...rest } = base.properties as JsonObject;
    expect(pointers(older, version('2.0', { ...closed(rest), properties: { ...rest, owner: { type: 'string', minLength: 1 } } }, { mode: 'FORWARD' }))).toEqual(
      ['data /required'],
    );
    // A new accepted event type is one the older version does not accept.
    expect(pointers(older, version('2.0', base, { mode: 'FORWARD', events: { Ping: event(closed({})) } }))).toEqual(['event:Ping ']);
  });

  it('FULL: both directions; NONE: nothing is checked', () => {
    expect(checkCompatibility(older, version('2.0', narrowedEnum, { mode: 'FULL' })).map((v) => `${v.pointer} ${v.message.split(':')[0] ?? ''}`)).toEqual([
      '/properties/status/enum BACKWARD',
    ]);
    expect(checkCompatibility(older, version('2.0', added, { mode: 'FULL' })).map((v) => `${v.pointer} ${v.message.split(':')[0] ?? ''}`)).toEqual([
      '/properties/nickname FORWARD',
    ]);
    expect(pointers(older, version('2.0', base, { mode: 'FULL' }))).toEqual([]);
    expect(pointers(older, version('2.0', closed({ other: { type: 'boolean' } }), { mode: 'NONE' }))).toEqual([]);
  });

  it('uses the newer version’s mode, not the older one’s', () => {
    expect(pointers(version('1.0', base, { mode: 'NONE' }), version('2.0', narrowedEnum))).toEqual(['data /properties/status/enum']);
  });
});

describe('the example journeys', () => {
  let wallet1: CompiledJourney;
  let wallet2: CompiledJourney;
  let x2a: CompiledJourney[];

  beforeAll(async () => {
    const shipped = await compileJourneys(resolve(root, 'journeys'));
    const fixtures = await compileJourneys(resolve(root, 'test/fixtures/journeys'));
    expect(fixtures.diagnostics).toEqual([]);
    const find = (list: CompiledJourney[], name: string, v: string): CompiledJourney => {
      const found = list.find((j) => j.name === name && j.version === v);
      if (!found) throw new Error(`${name} ${v} did not compile`);
      return found;
    };
    wallet1 = find(shipped.journeys, 'pfm/wallet', '1.0');
    wallet2 = find(fixtures.journeys, 'pfm/wallet', '2.0');
    x2a = [find(shipped.journeys, 'theglue/psd2/x2a', '1.0'), find(shipped.journeys, 'theglue/psd2/x2a', '2.0')];
  });

  it('pfm/wallet 1.0 → 2.0 (a new field with a default, a new event) passes BACKWARD, as declared', () => {
    expect(wallet2.compatibility).toBe('BACKWARD');
    expect(readFileSync(resolve(root, 'test/fixtures/journeys/pfm/wallet/2.0/journey.jd'), 'utf8')).toContain('\ncompatibility BACKWARD\n');
    expect(checkCompatibility(wallet1, wallet2)).toEqual([]);
    // Read the other way round, the same change is a break: the check is not vacuous.
    expect(pointers(wallet2, wallet1)).toEqual(['data /properties/tier', 'event:ChangeTier ']);
  });

  it('theglue/psd2/x2a 1.0 → 2.0 passes BACKWARD; every example is compatible with itself in every mode', async () => {
    const [x1, x2] = x2a;
    if (!x1 || !x2) throw new Error('x2a did not compile');
    expect(checkCompatibility(x1, x2)).toEqual([]);
    const shipped = await compileJourneys(resolve(root, 'journeys'));
    for (const journey of shipped.journeys) {
      for (const mode of ['BACKWARD', 'FORWARD', 'FULL'] as const) {
        expect(checkCompatibility(journey, { ...journey, compatibility: mode }), `${journey.name} ${mode}`).toEqual([]);
      }
    }
  });
});
