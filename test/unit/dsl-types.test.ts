/**
 * Generated TypeScript types of journeys: the committed generated/types.ts files are current
 * (regenerating into a temp folder gives the same bytes), they compile with `tsc --strict`, and
 * `journey types` writes, checks and refuses as documented.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { typesCommand } from '../../cli/commands/types.js';
import { GENERATED_TYPES_FILE, compileJourney, compileJourneys, generateJourneyTypes, journeyTypeNames } from '../../dsl/index.js';
import type { CompiledJourneys } from '../../dsl/index.js';
import { useCliHarness } from '../support/cli-harness.js';

const journeysDir = resolve(import.meta.dirname, '../../journeys');
/** The example journeys whose folders carry generated types (the wallet's folder is a fixed contract). */
const WITH_TYPES = ['mybank/lending/mortgage@1.0', 'mybank/payment/sct@2.0', 'theglue/psd2/x2a@1.0', 'theglue/psd2/x2a@2.0'];

let compiled: CompiledJourneys;
const cli = useCliHarness('journey-types');

beforeAll(async () => {
  compiled = await compileJourneys(journeysDir);
});

const committed = (key: string): string => join(compiled.folders[key] ?? '', GENERATED_TYPES_FILE);

describe('generated types', () => {
  it('are committed for the example journeys and current: regenerating into a temp folder changes nothing', { timeout: 60_000 }, async () => {
    for (const key of WITH_TYPES) expect(existsSync(committed(key)), key).toBe(true);
    expect(await typesCommand.run([journeysDir, '--out', cli.scratch])).toBe(0);
    for (const key of Object.keys(compiled.folders).filter((k) => existsSync(committed(k)))) {
      const [name = '', version = ''] = key.split('@');
      const fresh = readFileSync(join(cli.scratch, ...name.split('/'), version, 'types.ts'), 'utf8');
      expect(fresh, `${key}: regenerate with npm run journey -- types journeys/`).toBe(readFileSync(committed(key), 'utf8'));
    }
  });

  it('carry a do-not-edit header and name the data, the events and the event maps', async () => {
    const sct = compiled.journeys.find((j) => j.name === 'mybank/payment/sct');
    if (!sct) throw new Error('sct did not compile');
    const text = await generateJourneyTypes(sct);
    expect(text.split('\n')[0]).toBe('// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of mybank/payment/sct 2.0 (its journey.jd names them).');
    expect(text).toContain('export interface PaymentData {');
    expect(text).toContain('  currency: "EUR";');
    expect(text).toContain('  status: "initiated" | "booking" | "booked" | "cancelled" | "expired" | "failed";');
    expect(text).toContain('export interface BookingFailed {\n  reason: string;\n  attempts: number;\n}');
    expect(text).toContain('export interface SctEvents {\n  AuthorisePayment: AuthorisePayment;');
    expect(text).toContain('export type SctEvent = { [K in keyof SctEvents]: { type: K; payload: SctEvents[K] } }[keyof SctEvents];');
    expect(await generateJourneyTypes(sct)).toBe(text);
  });

  it('compile with tsc --strict, and type real payloads', { timeout: 60_000 }, () => {
    const files = WITH_TYPES.map(committed);
    const usage = join(cli.scratch, 'usage.ts');
    writeFileSync(
      usage,
      [
        `import type { SctEvent, PaymentData } from ${JSON.stringify(files[1]?.replace(/\.ts$/, '.js'))};`,
        `import type { MortgageEvents } from ${JSON.stringify(files[0]?.replace(/\.ts$/, '.js'))};`,
        "const event: SctEvent = { type: 'BookingFailed', payload: { reason: 'closed', attempts: 5 } };",
        "const offer: MortgageEvents['MakeOffer'] = { annualRateBps: 400 };",
        "const status: PaymentData['status'] = 'booked';",
        '// @ts-expect-error: not a status',
        "const wrong: PaymentData['status'] = 'sent';",
        'export { event, offer, status, wrong };',
      ].join('\n'),
    );
    const program = ts.createProgram([...files, usage], {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  });

  it('suffixes names that would collide, and drops nested titles so schemas never clash', async () => {
    const object = (extra: object = {}): string =>
      JSON.stringify({ type: 'object', properties: { inner: { title: 'Shared', type: 'object', properties: { a: { type: 'string' } } } }, ...extra });
    const files = new Map([
      ['d.json', object({ title: 'Order' })],
      ['a.json', object()],
      ['b.json', object()],
    ]);
    const source =
      'journey shop/order version 1.0\ndata schema "d.json"\nevent Order schema "a.json"\nevent OrderEvents schema "b.json"\non Order initiating\n  set inner = { a: "x" }\n';
    const journey = compileJourney({ file: 'o.jd', source, files }).journey;
    if (!journey) throw new Error('did not compile');
    expect(journeyTypeNames(journey)).toEqual({
      data: 'OrderData',
      events: { Order: 'Order', OrderEvents: 'OrderEventsPayload' },
      eventMap: 'OrderEvents',
      eventUnion: 'OrderEvent',
    });
    const text = await generateJourneyTypes(journey);
    expect(text).not.toContain('Shared');
    expect(text).toContain('export interface OrderEventsPayload {');
  });
});

describe('journey types', () => {
  it('--check passes on the committed files and fails, naming the file, when one is stale or missing', { timeout: 60_000 }, async () => {
    // Every example journey's committed types are current (a stale file fails the suite).
    expect(await typesCommand.run([journeysDir, '--check'])).toBe(0);
    const copy = join(cli.scratch, 'journeys');
    cpSync(join(journeysDir, 'theglue'), join(copy, 'theglue'), { recursive: true });
    writeFileSync(join(copy, 'theglue/psd2/x2a/1.0', GENERATED_TYPES_FILE), '// edited by hand\n');
    rmSync(join(copy, 'theglue/psd2/x2a/2.0', GENERATED_TYPES_FILE));
    cli.output.length = 0;
    expect(await typesCommand.run([copy, '--check'])).toBe(1);
    expect(cli.output.filter((l) => l.includes('x2a'))).toEqual([
      expect.stringMatching(/theglue\/psd2\/x2a\/1\.0\/generated\/types\.ts: stale$/),
      expect.stringMatching(/theglue\/psd2\/x2a\/2\.0\/generated\/types\.ts: missing$/),
    ]);
    expect(await typesCommand.run([copy])).toBe(0);
    expect(await typesCommand.run([copy, '--check'])).toBe(0);
  });

  it('exits 2 on a wrong command line', async () => {
    for (const args of [[], [journeysDir, 'extra'], [journeysDir, '--bogus'], [journeysDir, '--check', '--out', cli.scratch], [journeysDir, '--out']]) {
      expect(await typesCommand.run(args), args.join(' ')).toBe(2);
    }
  });
});
