import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics, parseJourney } from '../../dsl/index.js';

const root = resolve(import.meta.dirname, '../..');
const HEADER = 'journey acme/test version 1.0\ndata schema "data.schema.json"\n';

/** Every construct of the language, to check each parses in exactly one way. */
const KITCHEN_SINK = `/* A journey that uses every construct. */
journey acme/payments/sct version 2.0.1
data schema "data.schema.json"
events from "events/"
event PaymentExpired schema "events/expired.schema.json"
search debtor: string, amount: number, urgent: boolean, city: string = data.address.city
publish PaymentAccepted, PaymentRejected
read allow sender == data.debtor or "auditor" in roles and trustLevel >= 2
read allow role "backoffice"

timer expiry after 5 days emit PaymentExpired { id: data.id } unless PaymentBooked, PaymentCancelled
timer reminder after 90 minutes unless PaymentBooked emit Reminder

on StartPayment initiating // a comment
  allow role "customer"
  allow role "backoffice"
  when context.trustLevel >= 2 and context.geo in ["NL", "BE"]
  when not (event.amount <= 0) and event.currency not in ["XXX"]
  when length(event.iban) > 4 and startsWith(upper(event.iban), "NL") or contains(lower(event.name), "x")
  set id = event.id, amount = event.amount * 100 / 4 % 7 - -1, address.city = event.city ?? "Amsterdam",
      tags = [], notes = ["a", "b",], meta = { "quoted key": 1, end: true, nested: { on: null } }
  start timer expiry
  call booking.book { amount: data.amount, at: now() } reply PaymentBooked failure BookingFailed
  emit PaymentAccepted { id: data.id, text: "tab\\t \\"quoted\\" \\u00e9" }

on PaymentBooked
  allow sender == data.debtor or "backoffice" in context.roles
  cancel timer expiry
  if data.amount > 1000 then
    process flagLargePayment
  else if data.amount > 100 then
    emit PaymentAccepted { id: data.id }
  else if data.urgent then
  else
    set urgent = false
  end
  if true then end
  after 500 ms emit Reminder {}
  after 1 second unless PaymentCancelled emit Reminder { n: min(1, 2, 3) }

on PaymentExpired
  emit PaymentRejected { reason: "expired", id: data.id, n: -data.amount + abs(-3) }

event Reminder {
  n?: integer(-1..), on: string(1..70)[](..3), at: datetime | null, kind: "a" | "b"
  nested: { end: boolean, list: ("x" | 1)[] },
}
`;

describe('grammar', () => {
  it('parses the wallet and a source with every construct in exactly one way', () => {
    for (const source of [readFileSync(resolve(root, 'journeys/pfm/wallet/1.0/journey.jd'), 'utf8'), KITCHEN_SINK]) {
      const result = parseJourney(source, 'x.jd');
      // parseJourney reports `ambiguous-parse` when nearley finds more than one parse.
      expect(formatDiagnostics(result.diagnostics)).toBe('');
      expect(result.ast).not.toBeNull();
    }
  });

  it('reads the kitchen sink as intended', () => {
    const ast = parseJourney(KITCHEN_SINK, 'x.jd').ast;
    expect(ast?.header.name.value).toBe('acme/payments/sct');
    expect(ast?.header.version.value).toBe('2.0.1');
    expect(ast?.items.map((i) => i.kind)).toEqual([
      'dataSchema',
      'eventsFrom',
      'event',
      'search',
      'publish',
      'read',
      'read',
      'timer',
      'timer',
      'bead',
      'bead',
      'bead',
      'inlineEvent',
    ]);
    const booked = ast?.items[10];
    if (booked?.kind !== 'bead') throw new Error('expected a bead');
    const ifStep = booked.lines[2];
    if (ifStep?.kind !== 'if') throw new Error('expected an if');
    // `else if` chains: one `end` closes the whole chain.
    expect(ifStep.else[0]?.kind).toBe('if');
    expect(booked.lines.map((l) => l.kind)).toEqual(['allow', 'cancelTimer', 'if', 'if', 'after', 'after']);
    const sink = ast?.items[9];
    if (sink?.kind !== 'bead') throw new Error('expected a bead');
    const set = sink.lines[5];
    if (set?.kind !== 'set') throw new Error('expected set');
    expect(set.assignments.map((a) => a.target.map((t) => t.value).join('.'))).toEqual(['id', 'amount', 'address.city', 'tags', 'notes', 'meta']);
  });

  it('the generated parser is up to date with journey.ne (regenerating changes nothing)', () => {
    const run = spawnSync(process.execPath, [resolve(root, 'scripts/generate.mjs'), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('the generated parser carries a do-not-edit header', () => {
    const generated = readFileSync(resolve(root, 'dsl/grammar/generated/journey-grammar.ts'), 'utf8');
    expect(generated.split('\n')[0]).toBe('// GENERATED FILE: DO NOT EDIT. Source: dsl/grammar/journey.ne; regenerate with `npm run generate`.');
  });
});

describe('syntax errors', () => {
  function errors(body: string): string {
    return formatDiagnostics(parseJourney(HEADER + body, 'f.jd').diagnostics);
  }

  it('end of input inside an expression', () => {
    expect(errors('on X initiating\n  set a = 1 +\n')).toBe(
      ['f.jd:4:14: error[syntax]: unexpected end of input; expected an expression', ' 4 |   set a = 1 +', '   |              ^'].join('\n'),
    );
  });

  it('an unclosed parenthesis, found at the next bead', () => {
    expect(errors('on X initiating\n  set a = (1 + 2\non Y\n  emit Z\n')).toBe(
      ['f.jd:5:1: error[syntax]: unexpected `on`; expected one of: `)`, an operator', ' 5 | on Y', '   | ^^'].join('\n'),
    );
  });

  it('chained comparisons', () => {
    expect(errors('on X initiating\n  when data.a < data.b < data.c\n')).toBe(
      [
        'f.jd:4:24: error[syntax]: unexpected `<`; comparisons do not chain: write `a < b and b < c`',
        ' 4 |   when data.a < data.b < data.c',
        '   |                        ^',
      ].join('\n'),
    );
  });

  it('a missing comma between object fields', () => {
    expect(errors('on X initiating\n  emit Y { a: 1 b: 2 }\n')).toBe(
      ['f.jd:4:17: error[syntax]: unexpected name `b`; expected one of: `,`, `}`, an operator', ' 4 |   emit Y { a: 1 b: 2 }', '   |                 ^'].join(
        '\n',
      ),
    );
  });

  it('a misspelled keyword', () => {
    expect(formatDiagnostics(parseJourney('jorney a/b version 1', 'f.jd').diagnostics)).toBe(
      ['f.jd:1:1: error[syntax]: unexpected name `jorney`; expected `journey`', ' 1 | jorney a/b version 1', '   | ^^^^^^'].join('\n'),
    );
  });

  it('lexical errors: open strings, bad escapes, stray characters, open comments', () => {
    const messages = (body: string): string[] => parseJourney(HEADER + body, 'f.jd').diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(messages('on X initiating\n  set a = "abc\n')).toEqual(['4:11 unterminated string: add the closing `"` on the same line']);
    expect(messages('on X initiating\n  set a = "\\q"\n')).toEqual(['4:11 invalid escape in string: use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX']);
    expect(messages('on X initiating\n  set a = 1 # 2\n')).toEqual(['4:13 unexpected character "#"']);
    expect(messages('on X initiating\n  /* open\n')).toEqual(['4:3 unterminated comment: `/*` has no closing `*/`']);
  });

  it('reports one error per bead, not only the first of the file', () => {
    const diagnostics = parseJourney(HEADER + 'on X initiating\n  if data.a then emit Y\non Z\n  set x = 1\n  emit\non W\n  set = 2\n', 'f.jd').diagnostics;
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '4:3 this `if` has no `end`: add `end` after its last step',
      '8:1 unexpected `on`; expected a name',
      '9:7 unexpected `=`; expected a name',
    ]);
  });

  it('a missing `end` is reported at the `if` or `for` it does not close, in the last bead too', () => {
    const messages = (body: string): string[] => parseJourney(HEADER + body, 'f.jd').diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(messages('on X initiating\n  if data.a then\n    set b = 1\n  else if data.c then\n    set b = 2\non Y\n  set c = 1\n')).toEqual([
      '4:3 this `if` has no `end`: add `end` after its last step',
    ]);
    expect(messages('on X initiating\n  for item in data.items\n    if item.a then\n      set item.b = 1\n    end\n')).toEqual([
      '4:3 this `for` has no `end`: add `end` after its last step',
    ]);
    // The `end` under the outer `if` closes it: the inner one is the one without.
    expect(messages('on X initiating\n  if data.a then\n    if data.b then\n      set c = 1\n  end\non Y\n  set c = 1\n')).toEqual([
      '5:5 this `if` has no `end`: add `end` after its last step',
    ]);
  });

  it('a role rule in a form the language does not have shows the forms it has', () => {
    const messages = (body: string): string[] => parseJourney(HEADER + body, 'f.jd').diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
    const forms =
      'an access rule is `allow role "x"`, `allow role "x" and <condition>` or `allow <condition>` (e.g. `allow "x" in roles or sender == data.owner`)';
    expect(messages('on X initiating\n  allow role "a" or role "b"\n')).toEqual([`4:18 unexpected \`or\`; ${forms}`]);
    expect(messages('on X initiating\n  allow role "a" and data.x or data.y\n')).toEqual([`4:29 unexpected \`or\`; ${forms}`]);
    expect(messages('on X initiating\n  allow role "a", "b"\n')).toEqual([`4:17 unexpected \`,\`; ${forms}`]);
    expect(parseJourney(HEADER + 'on X initiating\n  allow role "a" and not data.x and sender == data.y\n', 'f.jd').diagnostics).toEqual([]);
  });

  it('keywords are reserved as names of events and processors, but not as field names', () => {
    expect(parseJourney(HEADER + 'on end initiating\n', 'f.jd').diagnostics[0]?.message).toBe('unexpected `end`; expected a name');
    expect(parseJourney(HEADER + 'on X initiating\n  set end = data.on, start = { event: 1 }\n', 'f.jd').diagnostics).toEqual([]);
  });

  it('never throws, whatever the input', () => {
    for (const text of ['', '\u0000', 'journey', '"', '/*', '{{{{', 'journey a/b version 1 on', 'on on on']) {
      const result = parseJourney(text, 'f.jd');
      expect(result.ast).toBeNull();
      expect(result.diagnostics.length).toBeGreaterThan(0);
    }
  });
});
