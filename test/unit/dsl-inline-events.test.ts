/**
 * Inline event declarations (`event LeaveCancelled { employee: string }`): how they parse, the
 * JSON Schema the compiler writes (the same as the example journeys' hand-written files), the
 * type checker reading it as it reads a file, errors at their own line with a caret, and the
 * schema travelling in the IR to bundles and the API's payload validation.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkCompatibility,
  compileJourney,
  createPayloadValidators,
  formatDiagnostics,
  loadJourneyDirectory,
  packVersion,
  parseBundle,
  parseJourney,
  serializeBundle,
} from '../../dsl/index.js';
import type { CompileOutput, CompiledJourney, JsonSchema } from '../../dsl/index.js';

const journeysDir = resolve(import.meta.dirname, '../../journeys');

const HEADER = 'journey acme/hr/leave version 1.0\ndata schema "data.schema.json"\n';
const DATA_SCHEMA = JSON.stringify({
  type: 'object',
  required: ['employee', 'status'],
  additionalProperties: false,
  properties: { employee: { type: 'string' }, status: { enum: ['pending', 'approved', 'cancelled'] }, days: { type: 'integer' } },
});

const LEAVE = `event RequestLeave {
  employee: string
  kind: "annual" | "sick"
  from: date, to: date
  days: integer(1..30)
  note?: string(..500)
  approvers: string[](1..3)
  delegate: { id: string, name?: string } | null
}
event CancelLeave { reason?: string }
event LeaveCancelled { employee: string }

on RequestLeave initiating
  set employee = event.employee, status = "pending", days = event.days

on CancelLeave
  allow sender == data.employee
  when data.status == "pending"
  set status = "cancelled"
  emit LeaveCancelled { employee: data.employee }

on LeaveCancelled
  set status = "cancelled"
`;

function compile(body: string, files: Record<string, string> = {}): CompileOutput {
  return compileJourney({ file: 'leave.jd', source: HEADER + body, files: new Map(Object.entries({ 'data.schema.json': DATA_SCHEMA, ...files })) });
}

function compiled(body: string, files: Record<string, string> = {}): CompiledJourney {
  const output = compile(body, files);
  expect(formatDiagnostics(output.diagnostics)).toBe('');
  if (output.journey === null) throw new Error('expected a journey');
  return output.journey;
}

function errors(body: string, files: Record<string, string> = {}): string {
  return formatDiagnostics(compile(body, files).diagnostics.filter((d) => d.severity === 'error'));
}

/** A schema file of the examples, without its `description`s (notes for people, not rules). */
async function exampleSchema(path: string): Promise<JsonSchema> {
  return JSON.parse(await readFile(join(journeysDir, path), 'utf8'), (key, value: unknown) => (key === 'description' ? undefined : value)) as JsonSchema;
}

describe('inline events: parsing', () => {
  it('reads fields separated by commas or line breaks, in exactly one way', () => {
    const parsed = parseJourney(HEADER + LEAVE, 'leave.jd');
    // parseJourney reports `ambiguous-parse` when nearley finds more than one reading.
    expect(formatDiagnostics(parsed.diagnostics)).toBe('');
    const declaration = parsed.ast?.items[1];
    if (declaration?.kind !== 'inlineEvent') throw new Error('expected an inline event');
    expect(declaration.name.value).toBe('RequestLeave');
    expect(declaration.body.fields.map((f) => `${f.name.value}${f.optional ? '?' : ''}:${f.type.kind}`)).toEqual([
      'employee:named',
      'kind:union',
      'from:named',
      'to:named',
      'days:named',
      'note?:named',
      'approvers:list',
      'delegate:union',
    ]);
    const days = declaration.body.fields[4]?.type;
    expect(days?.kind === 'named' ? [days.range?.min?.value, days.range?.max?.value] : null).toEqual([1, 30]);
  });

  it('takes reserved words as field names, an empty body, trailing commas and parentheses', () => {
    const parsed = parseJourney(
      `${HEADER}event A {}\nevent B { on?: string, end: boolean, event: ("x" | "y")[], }\nevent C { n: -1 | 0 | 1 }\non A initiating\n  set status = "pending"\n`,
      'x.jd',
    );
    expect(formatDiagnostics(parsed.diagnostics)).toBe('');
    expect(parsed.ast?.items.map((i) => i.kind)).toEqual(['dataSchema', 'inlineEvent', 'inlineEvent', 'inlineEvent', 'bead']);
  });

  it('a syntax error inside a declaration is reported where it is, with what was expected', () => {
    expect(formatDiagnostics(parseJourney(`${HEADER}event A {\n  employee string\n}\n`, 'x.jd').diagnostics)).toBe(
      ['x.jd:4:12: error[syntax]: unexpected name `string`; expected one of: `:`, `?`', ' 4 |   employee string', '   |            ^^^^^^'].join('\n'),
    );
    expect(formatDiagnostics(parseJourney(`${HEADER}event A { employee: }\n`, 'x.jd').diagnostics)).toBe(
      [
        'x.jd:3:21: error[syntax]: unexpected `}`; expected a type (`string`, `integer`, `"a" | "b"`, `{ … }`, …)',
        ' 3 | event A { employee: }',
        '   |                     ^',
      ].join('\n'),
    );
    expect(formatDiagnostics(parseJourney(`${HEADER}event A { days: integer(1..30 }\n`, 'x.jd').diagnostics)).toContain(
      'x.jd:3:31: error[syntax]: unexpected `}`; expected `)`',
    );
  });
});

describe('inline events: the schema written', () => {
  it('is shaped as a hand-written event schema: required by default, no other properties', () => {
    const journey = compiled(LEAVE);
    expect(journey.events.RequestLeave?.schema).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'RequestLeave',
      type: 'object',
      required: ['employee', 'kind', 'from', 'to', 'days', 'approvers', 'delegate'],
      additionalProperties: false,
      properties: {
        employee: { type: 'string' },
        kind: { enum: ['annual', 'sick'] },
        from: { type: 'string', format: 'date' },
        to: { type: 'string', format: 'date' },
        days: { type: 'integer', minimum: 1, maximum: 30 },
        note: { type: 'string', maxLength: 500 },
        approvers: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
        delegate: {
          type: ['object', 'null'],
          required: ['id'],
          additionalProperties: false,
          properties: { id: { type: 'string' }, name: { type: 'string' } },
        },
      },
    });
    expect(journey.events.CancelLeave?.schema).toMatchObject({ required: [], properties: { reason: { type: 'string' } } });
  });

  it('equals the examples’ schema files for the same fields', async () => {
    const cases: Array<[string, string]> = [
      [
        'mybank/lending/mortgage/1.0/events/upload-document.schema.json',
        'UploadDocument { kind: "identity" | "income" | "valuation", documentId: string(1..100) }',
      ],
      [
        'mybank/lending/mortgage/1.0/events/ready-for-underwriting.schema.json',
        'ReadyForUnderwriting { applicant: string, creditScore: integer | null, manualReview: boolean }',
      ],
      ['mybank/lending/mortgage/1.0/events/record-deed-signed.schema.json', 'RecordDeedSigned { deedReference: string(1..100), signedOn: date }'],
      [
        'mybank/lending/mortgage/1.0/events/apply-for-mortgage.schema.json',
        `ApplyForMortgage {
           propertyAddress: string(1..200)
           propertyValue: integer(1..999999999999)
           loanAmount: integer(1..999999999999)
           termMonths: integer(60..480)
           annualIncome: integer(1..999999999999)
         }`,
      ],
      ['mybank/payment/sct/2.0/events/payment-booked.schema.json', 'PaymentBooked { bookingId: string(1..), bookedAt: datetime }'],
      ['mybank/payment/sct/2.0/events/cancel-payment.schema.json', 'CancelPayment { reason?: string(..140) }'],
      ['mybank/payment/sct/2.0/events/authorise-payment.schema.json', 'AuthorisePayment {}'],
      [
        'theglue/psd2/x2a/2.0/events/consent-ended.schema.json',
        'ConsentEnded { status: "received" | "rejected" | "valid" | "revokedByPsu" | "terminatedByTpp" | "expired", by: string }',
      ],
      ['mybank/payment/sct/2.0/events/initiate-payment.schema.json', 'X { currency: "EUR" }'],
    ];
    for (const [file, declaration] of cases) {
      const name = declaration.split(' ')[0] ?? '';
      const journey = compiled(`event ${declaration}\non ${name} initiating\n  set status = "pending"\n`);
      const schema = journey.events[name]?.schema;
      const expected = await exampleSchema(file);
      if (name === 'X') expect(schema?.properties).toMatchObject({ currency: (expected.properties as Record<string, unknown>).currency });
      else expect(schema, file).toEqual(expected);
    }
  });

  it('accepts and refuses payloads as that schema does', () => {
    const journey = compiled(LEAVE);
    const valid = { employee: 'bob', kind: 'sick', from: '2026-12-01', to: '2026-12-03', days: 3, approvers: ['ann'], delegate: null };
    const validators = createPayloadValidators(journey);
    expect(validators.validate('RequestLeave', valid)).toEqual([]);
    expect(validators.validate('RequestLeave', { ...valid, delegate: { id: 'x', name: 'X' }, note: 'n' })).toEqual([]);
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ ...valid, kind: 'holiday' }, '/kind'],
      [{ ...valid, from: '1 December' }, '/from'],
      [{ ...valid, days: 31 }, '/days'],
      [{ ...valid, days: 1.5 }, '/days'],
      [{ ...valid, approvers: [] }, '/approvers'],
      [{ ...valid, delegate: { id: 'x', extra: 1 } }, '/delegate'],
      [{ ...valid, note: 'x'.repeat(501) }, '/note'],
      [{ ...valid, extra: true }, ''],
      [{ employee: 'bob' }, ''],
    ];
    for (const [payload, pointer] of refused) {
      const found = validators.validate('RequestLeave', payload);
      expect(found.length, JSON.stringify(payload)).toBeGreaterThan(0);
      expect(found[0]?.pointer).toBe(pointer);
    }
  });

  it('what a union becomes: an enum, a type list, or anyOf', () => {
    const schemaOf = (type: string): unknown => {
      const journey = compiled(`event E { f: ${type} }\non E initiating\n  set status = "pending"\n`);
      // The engine's ajv (strict) compiles it, as at deploy.
      expect(createPayloadValidators(journey).validate('E', {})).toEqual([{ pointer: '', message: 'must have property "f"' }]);
      return journey.events.E?.schema.properties;
    };
    expect(schemaOf('"a"')).toEqual({ f: { const: 'a' } });
    expect(schemaOf('1 | 2 | true | null')).toEqual({ f: { enum: [1, 2, true, null] } });
    expect(schemaOf('string(1..) | null')).toEqual({ f: { type: ['string', 'null'], minLength: 1 } });
    expect(schemaOf('datetime | integer')).toEqual({ f: { type: ['string', 'integer'], format: 'date-time' } });
    expect(schemaOf('integer(0..) | number(..9)')).toEqual({
      f: {
        anyOf: [
          { type: 'integer', minimum: 0 },
          { type: 'number', maximum: 9 },
        ],
      },
    });
    expect(schemaOf('string | "none"')).toEqual({ f: { anyOf: [{ type: 'string' }, { const: 'none' }] } });
    expect(schemaOf('(string | integer)[]')).toEqual({ f: { type: 'array', items: { type: ['string', 'integer'] } } });
  });
});

describe('inline events: the type checker reads them as it reads schema files', () => {
  it('unknown fields, with "did you mean" and where the schema is', () => {
    expect(errors(LEAVE.replace('set employee = event.employee', 'set employee = event.employe'))).toBe(
      [
        'leave.jd:16:24: error[unknown-path]: event.employe is not defined in the schema of RequestLeave (declared on line 3); did you mean employee?',
        ' 16 |   set employee = event.employe, status = "pending", days = event.days',
        '    |                        ^^^^^^^',
      ].join('\n'),
    );
  });

  it('enum membership in comparisons and types in assignments', () => {
    const withCheck = LEAVE.replace('  set employee = event.employee,', '  when event.kind == "anual"\n  set employee = event.employee,');
    expect(errors(withCheck)).toContain('error[not-in-enum]');
    expect(errors(withCheck)).toContain('did you mean "annual"?');
    expect(errors(LEAVE.replace('days = event.days', 'days = event.from'))).toContain('error[type-error]');
  });

  it('emitted payloads are checked against the declaration', () => {
    expect(errors(LEAVE.replace('emit LeaveCancelled { employee: data.employee }', 'emit LeaveCancelled { employe: data.employee }'))).toContain(
      'LeaveCancelled has no field employe; did you mean employee?',
    );
  });
});

describe('inline events: mistakes, each at its own line with a caret', () => {
  const withEvent = (declaration: string): string => errors(`${declaration}\non E initiating\n  set status = "pending"\n`);

  it('a type the language does not have', () => {
    expect(withEvent('event E {\n  a: strng\n}')).toBe(
      ['leave.jd:4:6: error[invalid-field-type]: strng is not a field type; did you mean string?', ' 4 |   a: strng', '   |      ^^^^^'].join('\n'),
    );
    expect(withEvent('event E { a: money }')).toContain(
      'money is not a field type; a type is one of string, number, integer, boolean, date, datetime, a value ("a" | "b"), a list (T[]) or { … }',
    );
  });

  it('a field or a value given twice', () => {
    expect(withEvent('event E {\n  a: string\n  a: integer\n}')).toBe(
      ['leave.jd:5:3: error[duplicate-declaration]: field a is already declared on line 4', ' 5 |   a: integer', '   |   ^'].join('\n'),
    );
    expect(withEvent('event E { s: "a" | "b" | "a" }')).toContain('leave.jd:3:26: error[duplicate-declaration]: "a" is already listed');
  });

  it('ranges that do not fit', () => {
    expect(withEvent('event E { a: boolean(1..2) }')).toContain(
      "leave.jd:3:21: error[invalid-field-type]: a boolean has no range: ranges bound a string's length, a number or a list's size",
    );
    expect(withEvent('event E { a: date(1..) }')).toContain('a date has no range');
    expect(withEvent('event E { a: string(1.5..) }')).toContain('1.5 is not a length or a size: a whole number, 0 or more');
    expect(withEvent('event E { a: integer(5..1) }')).toContain('the range is empty: 5 is more than 1');
    expect(withEvent('event E { a: string[](..) }')).toContain('a range needs a bound: (1..70), (1..) or (..70)');
    expect(withEvent('event E { a: integer(-5..-1) }')).toBe('');
  });

  it('an event declared inline and by a schema file: reported at the inline one, whatever the order', () => {
    const file = JSON.stringify({ type: 'object', properties: {} });
    const message = 'event E is already declared on line 3 (events/e.schema.json): declare it inline or by a schema file, not both';
    expect(errors('events from "events/"\nevent E { a: string }\non E initiating\n', { 'events/e.schema.json': file })).toBe(
      [`leave.jd:4:7: error[duplicate-declaration]: ${message}`, ' 4 | event E { a: string }', '   |       ^'].join('\n'),
    );
    expect(errors('event E { a: string }\nevents from "events/"\non E initiating\n', { 'events/e.schema.json': file })).toContain(
      'leave.jd:3:7: error[duplicate-declaration]: event E is already declared on line 4 (events/e.schema.json): declare it inline or by a schema file, not both',
    );
    expect(withEvent('event E { a: string }\nevent E { b: string }')).toContain(
      'leave.jd:4:7: error[duplicate-declaration]: event E is already declared inline on line 3',
    );
  });

  it('an unknown event says how to declare it inline', () => {
    expect(errors('on Freeze initiating\n  set status = "pending"\n')).toContain(
      'a bead handles Freeze, which has no schema: declare `event Freeze { field: type, … }`, or add events/freeze.schema.json',
    );
  });
});

describe('inline events: bundles, compatibility and validation at the edge', () => {
  it('a packed version carries the written schemas; its payloads are validated from the bundle', async () => {
    const root = await mkdtemp(join(tmpdir(), 'je-inline-events-'));
    try {
      const folder = join(root, 'acme/hr/leave/1.0');
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'journey.jd'), HEADER + LEAVE);
      await writeFile(join(folder, 'data.schema.json'), DATA_SCHEMA);
      const loaded = await loadJourneyDirectory(folder);
      expect(formatDiagnostics(loaded.diagnostics)).toBe('');
      const bundle = parseBundle(serializeBundle(await packVersion(folder, { engineVersion: '0.0.0' })));
      expect(Object.keys(bundle.files)).toEqual(['data.schema.json', 'journey.jd']);
      expect(bundle.journey.events).toEqual(loaded.journey?.events);
      const validators = createPayloadValidators(bundle.journey);
      expect(validators.validate('LeaveCancelled', { employee: 'bob' })).toEqual([]);
      expect(validators.validate('LeaveCancelled', {})).toEqual([{ pointer: '', message: 'must have property "employee"' }]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a version that declares inline what an older one declared in files is compatible with it', () => {
    const eventFile = (name: string, properties: Record<string, unknown>, required: string[]): string =>
      JSON.stringify({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        title: name,
        type: 'object',
        required,
        additionalProperties: false,
        properties,
      });
    const older = compiled('events from "events/"\non RequestLeave initiating\n  set employee = event.employee, status = "pending"\n', {
      'events/request-leave.schema.json': eventFile('RequestLeave', { employee: { type: 'string', minLength: 1 }, note: { type: 'string' } }, ['employee']),
    });
    const newer = compiled(
      'event RequestLeave { employee: string(1..), note?: string }\non RequestLeave initiating\n  set employee = event.employee, status = "pending"\n',
    );
    expect(newer.events).toEqual(older.events);
    expect(checkCompatibility(older, newer)).toEqual([]);
    const narrower = compiled(
      'event RequestLeave { employee: string(2..), note?: string }\non RequestLeave initiating\n  set employee = event.employee, status = "pending"\n',
    );
    expect(checkCompatibility(older, narrower)).not.toEqual([]);
  });
});
