/**
 * Read rules (`read allow …`): parsing, compile errors, the IR (absent when undeclared), the
 * partial evaluation with the reader known (`readAccess`), deciding one journey's data
 * (`mayReadData`), the filter over search fields (`residualOnSearchFields`), and the analysis.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeJourney,
  assertValidIr,
  compileJourney,
  evaluate,
  formatAnalysis,
  formatDiagnostics,
  irSchema,
  mayReadData,
  parseJourney,
  readAccess,
  residualOnSearchFields,
} from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Expr, JsonObject, ReadAccess, ReaderContext } from '../../dsl/index.js';

const walletDir = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const walletSource = readFileSync(`${walletDir}/journey.jd`, 'utf8');
const WALLET_READ = 'read allow sender == data.owner or "auditor" in roles\n';

function walletFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('wallet.data.schema.json', readFileSync(`${walletDir}/wallet.data.schema.json`, 'utf8'));
  for (const f of readdirSync(`${walletDir}/events`)) files.set(`events/${f}`, readFileSync(`${walletDir}/events/${f}`, 'utf8'));
  return files;
}

function compileWallet(source: string): CompiledJourney {
  const output = compileJourney({ file: 'wallet.jd', source, files: walletFiles() });
  if (output.journey === null) throw new Error(formatDiagnostics(output.diagnostics));
  return output.journey;
}

const DATA_SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    owner: { type: 'string' },
    amount: { type: 'number' },
    region: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    flag: { type: 'boolean' },
    address: { type: 'object', properties: { city: { type: 'string' } } },
    meta: {},
  },
  additionalProperties: false,
});
const OBJECT = JSON.stringify({ type: 'object' });

/** A journey with typed data, the given declarations (search, read) and a bead `Peek` with `allows` as its access rules. */
function compileTest(declarations: string, allows: string[] = []): { journey: CompiledJourney | null; report: string } {
  const source = [
    'journey t/reading version 1.0',
    'data schema "data.json"',
    'event Open schema "open.json"',
    'event Peek schema "open.json"',
    declarations,
    'on Open initiating',
    '  set owner = sender',
    'on Peek',
    ...allows.map((a) => `  allow ${a}`),
    '  set flag = true',
    '',
  ].join('\n');
  const output = compileJourney({
    file: 't.jd',
    source,
    files: new Map([
      ['data.json', DATA_SCHEMA],
      ['open.json', OBJECT],
    ]),
  });
  return { journey: output.journey, report: formatDiagnostics(output.diagnostics) };
}

function testJourney(declarations: string, allows: string[] = []): CompiledJourney {
  const { journey, report } = compileTest(declarations, allows);
  if (journey === null) throw new Error(report);
  return journey;
}

const reader = (sender: string, roles: string[] = [], trustLevel = 1): ReaderContext => ({ sender, roles, trustLevel, channel: 'web' });
const where = (access: ReadAccess): Extract<ReadAccess, { kind: 'where' }> => {
  if (access.kind !== 'where') throw new Error(`expected where, got ${access.kind}`);
  return access;
};
const lit = (value: string | number | boolean | null): Expr => ({ kind: 'literal', value });
const data = (...segments: string[]): Expr => ({ kind: 'path', root: 'data', segments });
const bin = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });

describe('read rules: grammar and compiler', () => {
  it('parses `read allow <condition>` and `read allow role "name"` in exactly one way, among the declarations', () => {
    const result = parseJourney(
      'journey a/b version 1.0\nsearch owner: string\nread allow sender == data.owner\nread allow role "auditor"\ndata schema "d.json"\n',
      'f.jd',
    );
    expect(formatDiagnostics(result.diagnostics)).toBe('');
    expect(result.ast?.items.map((i) => i.kind)).toEqual(['search', 'read', 'read', 'dataSchema']);
    const role = result.ast?.items[2];
    expect(role?.kind === 'read' && role.rule.kind === 'allowRole' ? role.rule.role.value : null).toBe('auditor');
  });

  it('`read` is a reserved word; `roles` and `trustLevel` are short for context.roles and context.trustLevel', () => {
    expect(parseJourney('journey a/b version 1.0\ndata schema "d.json"\non read initiating\n', 'f.jd').diagnostics[0]?.message).toBe(
      'unexpected `read`; expected a name',
    );
    const journey = testJourney('read allow "auditor" in roles and trustLevel >= 2');
    expect(journey.read).toEqual([
      {
        text: '"auditor" in roles and trustLevel >= 2',
        condition: bin(
          'and',
          bin('in', lit('auditor'), { kind: 'path', root: 'context', segments: ['roles'] }),
          bin('>=', { kind: 'path', root: 'context', segments: ['trustLevel'] }, lit(2)),
        ),
      },
    ]);
  });

  it('compiles the rules into `read` on the IR, in source order, valid against ir.schema.json', () => {
    const wallet = compileWallet(walletSource);
    expect(wallet.read?.map((r) => r.text)).toEqual(['sender == data.owner or "auditor" in roles']);
    assertValidIr(wallet);
    const two = testJourney('read allow sender == data.owner\nread allow role "auditor"');
    expect(two.read?.map((r) => r.text)).toEqual(['sender == data.owner', 'role "auditor"']);
    expect(two.read?.[1]?.condition).toEqual(bin('in', lit('auditor'), { kind: 'path', root: 'context', segments: ['roles'] }));
  });

  it('leaves `read` out of the IR when the source declares none: the IR is byte for byte what it was', () => {
    // The line stays (empty), so that the beads keep their lines.
    const without = compileWallet(walletSource.replace(WALLET_READ, '\n'));
    expect('read' in without).toBe(false);
    const { read: _read, ...withRule } = compileWallet(walletSource);
    expect(JSON.stringify(without)).toBe(JSON.stringify(withRule));
    // The schema has `read` optional, and refuses an empty list (absent means none).
    expect(() => assertValidIr({ ...without, read: [] })).toThrow(/read/);
    expect((irSchema.properties as Record<string, unknown>).read).toBeDefined();
  });

  it('refuses `event`, `context.origin` and `now()`, saying why', () => {
    const { journey, report } = compileTest('read allow event.owner == sender or context.origin == "api" or now() > 0');
    expect(journey).toBeNull();
    expect(report.split('\n').filter((l) => l.startsWith('t.jd'))).toEqual([
      't.jd:5:12: error[invalid-read-rule]: a read rule cannot read `event`: a read has no event; use data (copy the value into data in a bead) or context',
      't.jd:5:37: error[invalid-read-rule]: a read rule cannot read `context.origin`: a reader is not an event and has no origin',
      't.jd:5:64: error[invalid-read-rule]: a read rule cannot use `now()`: it is decided on the reader and the data alone; keep a flag in data instead',
    ]);
  });

  it('types the condition like `allow`: it must be true or false, and data fields must exist', () => {
    expect(compileTest('read allow data.amount').report).toContain(
      't.jd:5:12: error[type-error]: a `read allow` condition must be true or false; data.amount is a number',
    );
    expect(compileTest('read allow sender == data.ownr').report).toContain(
      't.jd:5:27: error[unknown-path]: data.ownr is not defined in the data schema; did you mean owner?',
    );
    expect(compileTest('read allow data.amount == "x"').report).toContain('error[type-error]: comparing a number with a string is always false');
    expect(compileTest('read allow owner == sender').report).toContain(
      'error[unknown-path]: owner is not a value: a path starts with data., event. or context.; did you mean data.owner?',
    );
  });

  it('an uplift still reads no context, written short or not', () => {
    const source = `${walletSource}\nuplift from 0.9\n  set owner = roles`;
    const output = compileJourney({ file: 'wallet.jd', source, files: walletFiles() });
    expect(output.diagnostics.map((d) => d.message)).toContain('an uplift reads only data (the instance being uplifted) and now(); roles has no value here');
  });
});

describe('readAccess: the rules with the reader known', () => {
  const wallet = (): CompiledJourney => compileWallet(walletSource);

  it('is undeclared for a journey without read rules', () => {
    expect(readAccess(compileWallet(walletSource.replace(WALLET_READ, '')), reader('alice'))).toEqual({ kind: 'undeclared' });
  });

  it('the wallet: an owner reads where data.owner is theirs, an auditor reads everything', () => {
    const alice = where(readAccess(wallet(), reader('alice')));
    expect(alice.condition).toEqual(bin('==', lit('alice'), data('owner')));
    expect(alice.rules).toEqual([alice.condition]);
    expect(readAccess(wallet(), reader('bob', ['auditor']))).toEqual({ kind: 'all' });
  });

  it('all, none or where, by the reader', () => {
    const journey = testJourney('read allow trustLevel >= 2 and sender == data.owner\nread allow role "auditor"\nread allow trustLevel == 3');
    expect(readAccess(journey, reader('alice', [], 1))).toEqual({ kind: 'none' });
    expect(where(readAccess(journey, reader('alice', [], 2))).condition).toEqual(bin('==', lit('alice'), data('owner')));
    expect(readAccess(journey, reader('alice', [], 3))).toEqual({ kind: 'all' });
    expect(readAccess(journey, reader('carol', ['auditor'], 0))).toEqual({ kind: 'all' });
  });

  it('several rules left to decide on the data are joined with or', () => {
    const journey = testJourney('read allow sender == data.owner\nread allow sender in data.tags\nread allow role "auditor"');
    const access = where(readAccess(journey, reader('alice')));
    expect(access.rules).toEqual([bin('==', lit('alice'), data('owner')), bin('in', lit('alice'), data('tags'))]);
    expect(access.condition).toEqual(bin('or', bin('==', lit('alice'), data('owner')), bin('in', lit('alice'), data('tags'))));
  });

  it('folds only what keeps the answer: `x or true` is true only when x cannot fail', () => {
    // data.meta has no type: `data.meta + 1 > 0` may fail, and then the rule does not hold even for an auditor.
    const journey = testJourney('read allow data.meta + 1 > 0 or "auditor" in roles');
    const access = where(readAccess(journey, reader('bob', ['auditor'])));
    expect(access.condition).toEqual(bin('or', bin('>', bin('+', data('meta'), lit(1)), lit(0)), lit(true)));
    expect(mayReadData(access, { meta: 1 })).toBe(true);
    expect(mayReadData(access, { meta: 'x' })).toBe(false);
    // An ordering of a typed number field cannot fail: the auditor reads everything.
    expect(readAccess(testJourney('read allow data.amount > 5 or "auditor" in roles'), reader('bob', ['auditor']))).toEqual({ kind: 'all' });
  });

  it('agrees with evaluating the rules themselves, for every reader and data tried', () => {
    const ruleSets = [
      ['sender == data.owner or "auditor" in roles'],
      ['sender == data.owner and trustLevel >= 2'],
      ['data.amount > trustLevel * 100 or "auditor" in roles'],
      ['sender in data.tags', 'role "auditor"'],
      ['data.meta + 1 > 0 or "auditor" in roles'],
      ['data.meta == 1 and data.meta + 1 > 0', 'sender == data.owner'],
      ['not ("x" in roles or data.flag)'],
      // `false or data.meta` fails unless meta is true or false: it is not `data.meta`.
      ['("x" in roles or data.meta) == data.meta'],
      ['not not (data.flag == true) or trustLevel > 2'],
      ['trustLevel >= 2'],
      ['data.owner == sender or data.amount >= 5 and not (data.owner in ["bob", "carol"])'],
      ['length(data.owner) > 3 and "auditor" not in roles', 'data.address.city == "Gent" and context.geo == "BE"'],
      ['(data.flag ?? false) or sender == "root"'],
    ];
    const readers: EventContext[] = [
      reader('alice'),
      reader('bob', ['auditor'], 0),
      reader('carol', ['x'], 3),
      { ...reader('dave', [], 2), geo: 'BE' },
      reader('root', ['auditor', 'x'], 2),
    ];
    const samples: Array<JsonObject | null> = [
      { owner: 'alice', amount: 50, tags: ['alice'], flag: true, meta: 1, address: { city: 'Gent' } },
      { owner: 'bob', amount: 500, flag: false, meta: 's' },
      { owner: 'carol', amount: 5, tags: [], meta: null },
      { owner: 'dave', amount: 150, region: 'BE', address: {} },
      {},
      null,
    ];
    const kinds = new Set<string>();
    for (const rules of ruleSets) {
      const journey = testJourney(rules.map((r) => `read allow ${r}`).join('\n'), rules);
      for (const context of readers) {
        const access = readAccess(journey, context);
        kinds.add(access.kind);
        for (const sample of samples) {
          // The same rules as a bead's `allow` rules, decided by the evaluator.
          const evaluation = evaluate(journey, { data: sample ?? {}, event: { type: 'Peek', payload: {} }, context, nowMs: 0 });
          const expected = !(evaluation.outcome === 'rejected' && evaluation.code === 'ACCESS_DENIED');
          const actual = access.kind === 'all' || (access.kind === 'where' && mayReadData(access, sample ?? {}));
          expect(actual, `${rules.join(' | ')} for ${context.sender} on ${JSON.stringify(sample)} (${access.kind})`).toBe(expected);
        }
      }
    }
    expect([...kinds].sort()).toEqual(['all', 'none', 'where']);
  });
});

describe('mayReadData', () => {
  it('decides one journey: true only when a rule holds; a rule that fails to evaluate does not deny another', () => {
    const journey = testJourney('read allow data.meta + 1 > 0\nread allow sender == data.owner');
    const access = where(readAccess(journey, reader('alice')));
    expect(mayReadData(access, { owner: 'alice', meta: 'text' })).toBe(true);
    expect(mayReadData(access, { owner: 'bob', meta: 'text' })).toBe(false);
    expect(mayReadData(access, { owner: 'bob', meta: 1 })).toBe(true);
    expect(mayReadData(access, null)).toBe(false);
  });

  it('takes a bare condition too (rules absent)', () => {
    expect(mayReadData({ kind: 'where', condition: bin('==', lit('alice'), data('owner')) }, { owner: 'alice' })).toBe(true);
    expect(mayReadData({ kind: 'where', condition: data('owner') }, { owner: 'alice' })).toBe(false);
  });
});

describe('residualOnSearchFields', () => {
  const searchFields = [
    { name: 'owner', path: '$.owner', type: 'string' as const },
    { name: 'amount', path: '$.amount', type: 'number' as const },
    { name: 'city', path: '$.address.city', type: 'string' as const },
    { name: 'flag', path: '$.flag', type: 'boolean' as const },
  ];
  const owner = searchFields[0]!;
  const amount = searchFields[1]!;
  const city = searchFields[2]!;

  it('turns comparisons of search fields with literals into a filter (the literal on either side)', () => {
    expect(residualOnSearchFields(bin('==', lit('alice'), data('owner')), searchFields)).toEqual({
      sqlable: true,
      filter: { kind: 'compare', field: owner, op: '==', value: 'alice' },
      fields: ['owner'],
    });
    expect(residualOnSearchFields(bin('<', lit(5), data('amount')), searchFields)).toEqual({
      sqlable: true,
      filter: { kind: 'compare', field: amount, op: '>', value: 5 },
      fields: ['amount'],
    });
    expect(residualOnSearchFields(bin('!=', data('address', 'city'), lit(null)), searchFields)).toMatchObject({
      sqlable: true,
      filter: { kind: 'compare', field: city, op: '!=', value: null },
    });
  });

  it('and, or (flattened), not and `in` a literal list', () => {
    const condition = bin(
      'or',
      bin('or', bin('==', lit('alice'), data('owner')), bin('in', data('address', 'city'), { kind: 'literal', value: ['Gent', 'Brugge'] })),
      { kind: 'unary', op: 'not', operand: bin('and', bin('>=', data('amount'), lit(10)), bin('==', data('flag'), lit(true))) },
    );
    expect(residualOnSearchFields(condition, searchFields)).toEqual({
      sqlable: true,
      filter: {
        kind: 'or',
        parts: [
          { kind: 'compare', field: owner, op: '==', value: 'alice' },
          { kind: 'in', field: city, values: ['Gent', 'Brugge'] },
          {
            kind: 'not',
            part: {
              kind: 'and',
              parts: [
                { kind: 'compare', field: amount, op: '>=', value: 10 },
                { kind: 'compare', field: searchFields[3]!, op: '==', value: true },
              ],
            },
          },
        ],
      },
      fields: ['amount', 'city', 'flag', 'owner'],
    });
  });

  it('says why not, for anything else', () => {
    const reason = (condition: Expr): string => {
      const result = residualOnSearchFields(condition, searchFields);
      return result.sqlable ? 'sqlable' : result.reason;
    };
    expect(reason(bin('==', lit('alice'), data('region')))).toBe('data.region is not a search field');
    expect(reason(bin('in', lit('alice'), data('tags')))).toBe('`in` is filtered only as a search field in a literal list');
    expect(reason(bin('in', lit('alice'), data('owner')))).toBe('`in` is filtered only as a search field in a literal list');
    expect(reason(bin('==', data('owner'), data('address', 'city')))).toBe('a comparison is filtered only between a search field and a literal');
    expect(reason(bin('<', data('owner'), lit('m')))).toBe('ordering is filtered only between a number search field and a number');
    expect(reason(bin('==', data('amount'), lit('5')))).toBe('search field amount is a number, compared with "5"');
    expect(reason(bin('in', data('amount'), { kind: 'literal', value: [1, null] }))).toBe('the list after `in` holds values that are not numbers');
    expect(reason(data('flag'))).toBe('a bare path is not a comparison');
    expect(reason(bin('or', data('flag'), lit(true)))).toBe('a bare path is not a comparison');
    expect(reason(bin('>', bin('+', data('amount'), lit(1)), lit(0)))).toBe('a comparison is filtered only between a search field and a literal');
    expect(reason({ kind: 'call', fn: 'contains', args: [data('owner'), lit('a')] })).toBe('a call is not a comparison');
  });
});

describe('analysis: who may read', () => {
  it('reports the rules and the search fields a store filters on in its query', () => {
    const analysis = analyzeJourney(compileWallet(walletSource));
    expect(analysis.read).toEqual({
      rules: ['sender == data.owner or "auditor" in roles'],
      dataPaths: [{ path: 'data.owner', searchField: 'owner' }],
      filteredInQuery: true,
      searchFields: ['owner'],
    });
    expect(analysis.findings).toEqual([]);
    expect(formatAnalysis(analysis)).toContain('  who may read: sender == data.owner or "auditor" in roles (searches filtered in the query on owner)');
  });

  it('warns when there is no read rule: only the operator role may read', () => {
    const analysis = analyzeJourney(compileWallet(walletSource.replace(WALLET_READ, '')));
    expect(analysis.read).toEqual({ rules: [], dataPaths: [], filteredInQuery: true, searchFields: [] });
    expect(analysis.findings.map((f) => [f.code, f.severity, f.message])).toEqual([
      ['read-undeclared', 'warning', 'no `read allow` rule: only the operator role may read its data and history (e.g. `read allow sender == data.owner`)'],
    ]);
    expect(formatAnalysis(analysis)).toContain('  who may read: the operator role only (no `read allow` rule)');
  });

  it('warns when the rules read data that is not a search field, and says what to declare', () => {
    const analysis = analyzeJourney(testJourney('read allow sender == data.owner or data.address.city == "Gent"\nread allow sender in data.tags'));
    expect(analysis.read.filteredInQuery).toBe(false);
    expect(analysis.findings.map((f) => [f.code, f.message])).toEqual([
      [
        'read-filtered-late',
        'the read rules read data.address.city, data.owner, data.tags, which are not search fields: search results for readers other than the operator are ' +
          'filtered after the query, not in it; declare `search city: string = data.address.city`; declare `search owner: string`; ' +
          'data.tags holds no single string, number or boolean, so no search field can to filter in it',
      ],
    ]);
    expect(formatAnalysis(analysis)).toContain('(searches filtered after the query)');
  });

  it('warns when the rules read only search fields but do more than compare them with values', () => {
    const analysis = analyzeJourney(testJourney('search owner: string\nread allow lower(data.owner) == sender'));
    expect(analysis.findings.map((f) => [f.code, f.message])).toEqual([
      [
        'read-filtered-late',
        'search results for readers other than the operator are filtered after the query, not in it: a comparison is filtered only between a search field and a literal',
      ],
    ]);
  });

  it('a rule decided by the reader alone needs no filter', () => {
    const analysis = analyzeJourney(testJourney('read allow role "auditor"\nread allow trustLevel == 3'));
    expect(analysis.read).toMatchObject({ filteredInQuery: true, searchFields: [] });
    expect(analysis.findings).toEqual([]);
    expect(formatAnalysis(analysis)).toContain('  who may read: role "auditor"; trustLevel == 3\n');
  });
});
