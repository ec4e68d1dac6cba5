/**
 * Uplift (dsl/uplift.ts, dsl/uplift-check.ts, dsl/sample-generator.ts): the `uplift from` section
 * as the compiler reads it, `upliftData` on the wallet 1.0 → 2.0 fixture, and the deploy-time
 * `checkUplift` catching transforms that do not map valid old data to valid new data.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkUplift, compileJourney, compileJourneys, formatDiagnostics, generateSamples, parseCompiledJourney, upliftData } from '../../dsl/index.js';
import type { CompileOutput, CompiledJourney, JsonObject, JsonSchema } from '../../dsl/index.js';

const root = resolve(import.meta.dirname, '../..');
const wallet1Dir = resolve(root, 'journeys/pfm/wallet/1.0');
const wallet2Dir = resolve(root, 'test/fixtures/journeys/pfm/wallet/2.0');
const wallet2Source = readFileSync(join(wallet2Dir, 'journey.jd'), 'utf8');
const UPLIFT = 'uplift from 1.0\n  if data.balance >= 1000000 then\n    set tier = "premium"\n  end\n';

function filesOf(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  files.set('wallet.data.schema.json', readFileSync(join(dir, 'wallet.data.schema.json'), 'utf8'));
  for (const f of readdirSync(join(dir, 'events'))) files.set(`events/${f}`, readFileSync(join(dir, 'events', f), 'utf8'));
  return files;
}

const wallet1Schema = JSON.parse(readFileSync(join(wallet1Dir, 'wallet.data.schema.json'), 'utf8')) as JsonSchema;

/**
 * The 2.0 fixture with its uplift section replaced, compiled as the loader would beside 1.0 (or
 * beside `versions`; null: alone, as the fixture folder is).
 */
function wallet2With(uplift: string, versions: ReadonlyMap<string, JsonSchema> | null = new Map([['1.0', wallet1Schema]])): CompileOutput {
  expect(wallet2Source).toContain(UPLIFT);
  const source = wallet2Source.replace(UPLIFT, uplift);
  return compileJourney({
    file: 'journey.jd',
    source,
    files: filesOf(wallet2Dir),
    expected: { name: 'pfm/wallet', version: '2.0' },
    ...(versions ? { versions } : {}),
  });
}

function compiled(output: CompileOutput): CompiledJourney {
  if (output.journey === null) throw new Error(formatDiagnostics(output.diagnostics));
  return output.journey;
}

/** `line:column code: message` of each diagnostic. */
function problems(output: CompileOutput): string[] {
  return output.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`);
}

/** Where the uplift section starts in the fixture, to say where diagnostics point. */
const upliftLine = wallet2Source.split('\n').indexOf('uplift from 1.0') + 1;

const oldWallet = (overrides: JsonObject = {}): JsonObject => ({
  owner: 'alice',
  currency: 'EUR',
  balance: 500,
  status: 'open',
  deposits: 2,
  withdrawals: 1,
  ...overrides,
});

let wallet1: CompiledJourney;
let wallet2: CompiledJourney;

beforeAll(async () => {
  const shipped = await compileJourneys(resolve(root, 'journeys/pfm'));
  const fixtures = await compileJourneys(resolve(root, 'test/fixtures/journeys'));
  expect(formatDiagnostics(fixtures.diagnostics)).toBe('');
  const one = shipped.journeys.find((j) => j.name === 'pfm/wallet' && j.version === '1.0');
  const two = fixtures.journeys.find((j) => j.name === 'pfm/wallet' && j.version === '2.0');
  if (!one || !two) throw new Error('the wallets did not compile');
  wallet1 = one;
  wallet2 = two;
});

describe('the uplift section, compiled', () => {
  it('becomes `uplifts` in the IR, which survives a round trip through ir.schema.json', () => {
    expect(wallet2.uplifts).toEqual([
      {
        from: '1.0',
        steps: [
          {
            kind: 'if',
            condition: { kind: 'binary', op: '>=', left: { kind: 'path', root: 'data', segments: ['balance'] }, right: { kind: 'literal', value: 1000000 } },
            then: [{ kind: 'assign', path: ['tier'], value: { kind: 'literal', value: 'premium' } }],
            else: [],
          },
        ],
      },
    ]);
    expect(parseCompiledJourney(JSON.stringify(wallet2))).toEqual(wallet2);
    // Only `set` and `if` steps are valid IR in an uplift.
    const emitting = { ...wallet2, uplifts: [{ from: '1.0', steps: [{ kind: 'emit', event: 'WalletOpened', payload: { kind: 'object', entries: [] } }] }] };
    expect(() => parseCompiledJourney(emitting)).toThrow(/uplifts/);
  });

  it('types reads against the older version: a renamed field reads the old one; writes only go to this version', () => {
    const renamed = wallet2With('uplift from 1.0\n  set tier = data.status, owner = data.owner\n');
    expect(problems(renamed)).toEqual([]);
    const typed = wallet2With('uplift from 1.0\n  set tier = data.balance\n');
    expect(problems(typed)).toEqual([`${upliftLine + 1}:14 type-error: cannot set tier (a string) to a number`]);
  });

  it('reports a set to a path not in the schema, and a read in neither version (unknown-path)', () => {
    expect(problems(wallet2With('uplift from 1.0\n  set tierr = "premium"\n'))).toEqual([
      `${upliftLine + 1}:7 unknown-path: data.tierr is not defined in the data schema; did you mean tier?`,
    ]);
    expect(problems(wallet2With('uplift from 1.0\n  set tier = data.tiers\n'))).toEqual([
      `${upliftLine + 1}:19 unknown-path: data.tiers is not defined in the data schema of this version or of 1.0; did you mean tier?`,
    ]);
  });

  it('reports an unknown source version (unknown-version)', () => {
    expect(problems(wallet2With('uplift from 1.1\n  set tier = "premium"\n'))).toEqual([
      `${upliftLine}:13 unknown-version: pfm/wallet has no version 1.1; did you mean 1.0?`,
    ]);
    expect(
      problems(
        wallet2With(
          'uplift from 0.9.9\n  set tier = "premium"\n',
          new Map([
            ['1.5', {}],
            ['1.0', wallet1Schema],
            ['3.0', {}],
          ]),
        ),
      ),
    ).toEqual([`${upliftLine}:13 unknown-version: pfm/wallet has no version 0.9.9; its older versions are 1.0, 1.5`]);
    // Not older: known or not, it cannot be a source.
    expect(problems(wallet2With('uplift from 2.0\n  set tier = "premium"\n', null))).toEqual([
      `${upliftLine}:13 unknown-version: an uplift comes from an older version; 2.0 is not older than 2.0`,
    ]);
    // Alone (no version beside it), the source version cannot be checked: it is at deploy.
    expect(problems(wallet2With('uplift from 1.1\n  set tier = "premium"\n', null))).toEqual([]);
  });

  it('allows only set and if, reading only data (invalid-uplift); one section per source version', () => {
    expect(problems(wallet2With('uplift from 1.0\n  emit WalletOpened { owner: data.owner, currency: data.currency }\n  set tier = sender\n'))).toEqual([
      `${upliftLine + 1}:3 invalid-uplift: an uplift only sets data (\`set\`, \`if\`); \`emit\` is not allowed here`,
      `${upliftLine + 2}:14 invalid-uplift: an uplift reads only data (the instance being uplifted) and now(); sender has no value here`,
    ]);
    expect(problems(wallet2With('uplift from 1.0\n  if event.tier == "x" then set tier = "premium" end\n'))).toEqual([
      `${upliftLine + 1}:6 invalid-uplift: an uplift reads only data (the instance being uplifted) and now(); event has no value here`,
    ]);
    expect(problems(wallet2With(`${UPLIFT}uplift from 1.0\n  set tier = "standard"\n`))).toEqual([
      `${upliftLine + 4}:13 duplicate-declaration: an uplift from 1.0 is already declared on line ${upliftLine}`,
    ]);
  });

  it('the loader checks the source version against the version folders beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplift-loader-'));
    try {
      cpSync(wallet1Dir, join(dir, 'pfm/wallet/1.0'), { recursive: true });
      cpSync(wallet2Dir, join(dir, 'pfm/wallet/2.0'), { recursive: true });
      const beside = await compileJourneys(dir);
      expect(formatDiagnostics(beside.diagnostics)).toBe('');
      expect(beside.journeys.map((j) => `${j.name} ${j.version}`)).toEqual(['pfm/wallet 1.0', 'pfm/wallet 2.0']);
      writeFileSync(join(dir, 'pfm/wallet/2.0/journey.jd'), wallet2Source.replace('uplift from 1.0', 'uplift from 1.1'));
      const wrong = await compileJourneys(dir);
      expect(wrong.diagnostics.map((d) => `${d.code}: ${d.message}`)).toEqual(['unknown-version: pfm/wallet has no version 1.1; did you mean 1.0?']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('upliftData', () => {
  it('fills the new field from its default, and runs the transform on the old data', () => {
    const small = oldWallet();
    expect(upliftData(wallet2, '1.0', small, 0)).toEqual({ ok: true, data: { ...small, tier: 'standard' } });
    expect(small).not.toHaveProperty('tier');
    const rich = oldWallet({ balance: 1_000_000 });
    expect(upliftData(wallet2, '1.0', rich, 0)).toEqual({ ok: true, data: { ...rich, tier: 'premium' } });
  });

  it('without a section for the source version: defaults and validation only', () => {
    expect(upliftData(wallet2, '0.9', oldWallet({ balance: 5_000_000 }), 0)).toEqual({
      ok: true,
      data: { ...oldWallet({ balance: 5_000_000 }), tier: 'standard' },
    });
    expect(upliftData({ ...wallet2, uplifts: [] }, '1.0', oldWallet({ balance: 5_000_000 }), 0)).toMatchObject({ ok: true, data: { tier: 'standard' } });
  });

  it('reports data that does not fit the newer schema, with pointers into the data', () => {
    const { owner: _owner, ...noOwner } = oldWallet();
    expect(upliftData(wallet2, '1.0', { ...noOwner, balance: -1 }, 0)).toEqual({
      ok: false,
      violations: [
        { pointer: '', message: 'must have property "owner"' },
        { pointer: '/balance', message: 'must be >= 0' },
      ],
    });
  });

  it('runs steps in order, each reading what the ones before it set, with now() from nowMs; a failing step names its path', () => {
    const schema: JsonSchema = {
      type: 'object',
      required: ['a', 'b', 'at', 'settings'],
      additionalProperties: false,
      properties: {
        a: { type: 'integer' },
        b: { type: 'integer' },
        at: { type: 'integer' },
        settings: {
          type: 'object',
          required: ['alerts', 'limit'],
          additionalProperties: false,
          properties: { alerts: { type: 'boolean', default: true }, limit: { type: 'integer', default: 100 } },
        },
      },
    };
    const newer: CompiledJourney = {
      ...wallet2,
      dataSchema: schema,
      uplifts: [
        {
          from: '1.0',
          steps: [
            {
              kind: 'assign',
              path: ['b'],
              value: { kind: 'binary', op: '+', left: { kind: 'path', root: 'data', segments: ['a'] }, right: { kind: 'literal', value: 1 } },
            },
            {
              kind: 'assign',
              path: ['a'],
              value: { kind: 'binary', op: '*', left: { kind: 'path', root: 'data', segments: ['b'] }, right: { kind: 'literal', value: 10 } },
            },
            { kind: 'assign', path: ['at'], value: { kind: 'call', fn: 'now', args: [] } },
          ],
        },
      ],
    };
    // Defaults go into nested objects that are there.
    expect(upliftData(newer, '1.0', { a: 1, settings: { limit: 5 } }, 1234)).toEqual({
      ok: true,
      data: { a: 20, b: 2, at: 1234, settings: { alerts: true, limit: 5 } },
    });
    expect(upliftData(newer, '1.0', { a: 'x', settings: {} }, 0)).toEqual({
      ok: false,
      violations: [{ pointer: '/b', message: 'uplift from 1.0 failed: set b: data.a + 1: the left side of + is a string, not a number' }],
    });
  });
});

describe('checkUplift', () => {
  it('passes the wallet 1.0 → 2.0 on generated samples and on given instances, and maps them to valid 2.0 data', () => {
    expect(checkUplift(wallet1, wallet2)).toEqual([]);
    const stored = [oldWallet(), oldWallet({ status: 'closed', balance: 0 }), oldWallet({ balance: 2_500_000 })];
    expect(checkUplift(wallet1, wallet2, { samples: stored })).toEqual([]);
    const samples = generateSamples(wallet1.dataSchema).filter((s): s is JsonObject => typeof s === 'object' && s !== null && !Array.isArray(s));
    expect(samples.length).toBeGreaterThanOrEqual(4);
    const tiers = samples.map((sample) => {
      const result = upliftData(wallet2, '1.0', sample, 0);
      if (!result.ok) throw new Error(JSON.stringify(result.violations));
      return result.data.tier;
    });
    // The minimal and maximal samples reach both branches of the transform.
    expect(new Set(tiers)).toEqual(new Set(['standard', 'premium']));
  });

  it('catches a transform that breaks on some valid old data (generated samples)', () => {
    const gold = compiled(wallet2With('uplift from 1.0\n  if data.balance >= 1000000 then\n    set tier = upper("premium")\n  end\n'));
    const findings = checkUplift(wallet1, gold);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      if (finding.kind !== 'uplift') throw new Error(`unexpected finding ${finding.message}`);
      expect(finding.origin).toBe('generated');
      expect(finding.sample.balance).toBeGreaterThanOrEqual(1_000_000);
      expect(finding.violations).toEqual([{ pointer: '/tier', message: 'must be equal to one of the allowed values' }]);
    }
    const negative = compiled(wallet2With('uplift from 1.0\n  set deposits = data.deposits - 1\n'));
    const [first] = checkUplift(wallet1, negative);
    expect(first).toMatchObject({ kind: 'uplift', sample: { deposits: 0 }, violations: [{ pointer: '/deposits', message: 'must be >= 0' }] });
  });

  it('catches what only a given (stored) instance shows', () => {
    const legacy = compiled(wallet2With('uplift from 1.0\n  if data.owner == "legacy-owner" then\n    set tier = upper("premium")\n  end\n'));
    expect(checkUplift(wallet1, legacy)).toEqual([]);
    const findings = checkUplift(wallet1, legacy, { samples: [oldWallet(), oldWallet({ owner: 'legacy-owner' })] });
    expect(findings).toEqual([
      {
        kind: 'uplift',
        origin: 'given',
        sample: oldWallet({ owner: 'legacy-owner' }),
        violations: [{ pointer: '/tier', message: 'must be equal to one of the allowed values' }],
        message: 'an instance of 1.0 does not become valid 2.0 data: /tier must be equal to one of the allowed values',
      },
    ]);
  });

  it('reports compatibility violations, and says when no sample could be generated', () => {
    const narrowed = {
      ...wallet2,
      dataSchema: { ...wallet2.dataSchema, properties: { ...(wallet2.dataSchema.properties as JsonObject), status: { enum: ['open'] } } },
    };
    const findings = checkUplift(wallet1, narrowed);
    expect(findings[0]).toEqual({
      kind: 'compatibility',
      violation: { schema: 'data', pointer: '/properties/status/enum', message: 'BACKWARD: 1.0 admits "closed" here; 2.0 only "open"' },
      message: 'data /properties/status/enum: BACKWARD: 1.0 admits "closed" here; 2.0 only "open"',
    });
    expect(findings.slice(1).every((f) => f.kind === 'uplift' && f.sample.status === 'closed')).toBe(true);
    // A lookahead is beyond the generator: no valid sample, and the finding says so.
    const hard: JsonSchema = {
      type: 'object',
      required: ['code'],
      additionalProperties: false,
      properties: { code: { type: 'string', pattern: '^(?=.*7)[a-z0-9]{4}$' } },
    };
    const older = { ...wallet1, dataSchema: hard };
    const newer = { ...wallet2, dataSchema: hard, uplifts: [] };
    expect(checkUplift(older, newer)).toEqual([
      { kind: 'samples', message: 'no valid 1.0 data could be generated from its schema; the uplift to 2.0 was tried on the given instances only' },
    ]);
    expect(checkUplift(older, newer, { samples: [{ code: 'ab7c' }] }).filter((f) => f.kind === 'uplift')).toEqual([]);
  });
});

describe('generateSamples', () => {
  it('is deterministic for a seed, covers every enum value and the bounds, and varies with the seed', () => {
    const a = generateSamples(wallet1.dataSchema, { seed: 7 });
    expect(generateSamples(wallet1.dataSchema, { seed: 7 })).toEqual(a);
    expect(generateSamples(wallet1.dataSchema, { seed: 8 })).not.toEqual(a);
    const objects = a as JsonObject[];
    expect(objects[0]).toEqual({ owner: 'a', currency: 'AAA', balance: 0, status: 'open', deposits: 0, withdrawals: 0 });
    expect(objects[1]).toMatchObject({ currency: 'ZZZ', balance: 1_000_000_000, status: 'closed' });
    expect(new Set(objects.map((s) => s.status))).toEqual(new Set(['open', 'closed']));
  });

  it('follows patterns, formats, bounds, lists and optional fields; minimal samples leave optional fields out', () => {
    const schema: JsonSchema = {
      type: 'object',
      required: ['iban', 'at', 'rate', 'tags'],
      additionalProperties: false,
      properties: {
        iban: { type: 'string', pattern: '^NL[0-9]{2}[A-Z]{4}[0-9]{10}$' },
        at: { type: 'string', format: 'date-time' },
        rate: { type: 'number', exclusiveMinimum: 0, maximum: 5, multipleOf: 0.25 },
        tags: { type: 'array', items: { enum: ['a', 'b', 'c'] }, minItems: 1, maxItems: 2, uniqueItems: true },
        note: { type: ['string', 'null'], maxLength: 3 },
      },
    };
    const [min, max] = generateSamples(schema) as JsonObject[];
    expect(min).toEqual({ iban: 'NL00AAAA0000000000', at: '2024-02-29T12:34:56Z', rate: 0.5, tags: ['a'] });
    expect(max).toEqual({ iban: 'NL99ZZZZ9999999999', at: '2024-02-29T12:34:56Z', rate: 5, tags: ['c', 'b'], note: 'abc' });
  });
});
