import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import {
  BUNDLE_FORMAT,
  bundleFileName,
  canonicalJson,
  compileJourneys,
  diffBundleFiles,
  loadBundleProcessors,
  loadJourneySources,
  loadProcessors,
  packVersion,
  parseBundle,
  serializeBundle,
} from '../../dsl/index.js';
import type { ActionProcessor, JsonObject, VersionBundle } from '../../dsl/index.js';

const repo = resolve(import.meta.dirname, '../..');
const journeys = join(repo, 'journeys');
const wallet = join(journeys, 'pfm/wallet/1.0');
const mortgage = join(journeys, 'mybank/lending/mortgage/1.0');

let scratch = '';
beforeEach(() => {
  // os.tmpdir(), outside the repository: nothing there resolves through this checkout's node_modules.
  scratch = mkdtempSync(join(tmpdir(), 'journey-bundle-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function copyVersion(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

function monthlyPayment(processor: ActionProcessor | undefined): unknown {
  const data: JsonObject = { loanAmount: 200_000, termMonths: 300, annualRateBps: 450 };
  return processor?.({ data, event: { type: 'MakeOffer', payload: {} }, context: {} as never, nowMs: 0 }).data;
}

function expectBundleError(action: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (thrown: unknown) {
    caught = thrown;
  }
  expect(isJourneyError(caught, 'JE_BUNDLE_INVALID'), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe('canonicalJson', () => {
  it('sorts keys recursively and leaves array order alone', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});

describe('packVersion', () => {
  it('is deterministic: the same sources give the same bytes and hash', async () => {
    const first = serializeBundle(await packVersion(wallet));
    const second = serializeBundle(await packVersion(wallet));
    expect(second).toBe(first);
    const bundle = parseBundle(JSON.parse(first));
    expect(bundle).toMatchObject({ format: BUNDLE_FORMAT, name: 'pfm/wallet', version: '1.0', processors: {} });
    expect(bundle.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(bundleFileName(bundle)).toBe('pfm-wallet-1.0.bundle.json');
  });

  it('hashes the source files, leaving generated/ out', async () => {
    const bundle = await packVersion(mortgage);
    expect(Object.keys(bundle.files)).toContain('journey.jd');
    expect(Object.keys(bundle.files)).toContain('processors/compute-monthly-payment.ts');
    expect(Object.keys(bundle.files)).toContain('mortgage.data.schema.json');
    expect(Object.keys(bundle.files).filter((file) => file.startsWith('generated/'))).toEqual([]);
  });

  it('carries the same definition a node compiling the journeys folder deploys', async () => {
    const compiled = await compileJourneys(journeys);
    for (const folder of [wallet, mortgage]) {
      const bundle = await packVersion(folder);
      const fromSources = compiled.journeys.find((j) => j.name === bundle.name && j.version === bundle.version);
      // The engine hashes JSON.stringify(journey): same text, same deployment.
      expect(JSON.stringify(bundle.journey)).toBe(JSON.stringify(fromSources));
      expect(JSON.stringify(parseBundle(JSON.parse(serializeBundle(bundle))).journey)).toBe(JSON.stringify(fromSources));
    }
  });

  it('compiles processors into modules that behave as the sources do', async () => {
    const bundle = parseBundle(JSON.parse(serializeBundle(await packVersion(mortgage))));
    const fromBundle = await loadBundleProcessors(bundle, { dir: join(scratch, 'modules') });
    const fromFolder = await loadProcessors(mortgage, bundle.journey);
    expect(Object.keys(fromBundle)).toEqual(['computeMonthlyPayment']);
    expect(monthlyPayment(fromBundle.computeMonthlyPayment)).toEqual({ monthlyPayment: 1112 });
    expect(monthlyPayment(fromBundle.computeMonthlyPayment)).toEqual(monthlyPayment(fromFolder.computeMonthlyPayment));
  });

  it('packs a version that lives outside this repository, importing the engine by its package name', async () => {
    const project = join(scratch, 'some-project');
    const copy = copyVersion(mortgage, join(project, 'mybank/lending/mortgage/1.0'));
    expect(relative(repo, copy).startsWith('..')).toBe(true);
    const processorFile = join(copy, 'processors/compute-monthly-payment.ts');
    const source = readFileSync(processorFile, 'utf8');
    const rewritten = source.replace(/from '(\.\.\/)+dsl\/index\.js'/, "from 'journey-engine'");
    expect(rewritten).not.toBe(source);
    writeFileSync(processorFile, rewritten);

    const outside = await packVersion(copy);
    const inside = await packVersion(mortgage);
    expect(diffBundleFiles(inside, outside)).toEqual(['processors/compute-monthly-payment.ts']);
    expect(outside.contentHash).not.toBe(inside.contentHash);
    // Only a type came from the engine: the compiled processor is the same code.
    expect(outside.processors).toEqual(inside.processors);
    const registry = await loadBundleProcessors(parseBundle(JSON.parse(serializeBundle(outside))), { dir: join(scratch, 'modules') });
    expect(monthlyPayment(registry.computeMonthlyPayment)).toEqual({ monthlyPayment: 1112 });
  });

  it('bundles what a processor imports, so the module needs nothing beside it', async () => {
    const copy = copyVersion(mortgage, join(scratch, 'mybank/lending/mortgage/1.0'));
    writeFileSync(join(copy, 'processors/rounding.ts'), 'export const roundUp = (value: number): number => Math.ceil(value) + 0;\n');
    const file = join(copy, 'processors/compute-monthly-payment.ts');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace(
          "import type { MortgageData } from '../generated/types.js';",
          "import type { MortgageData } from '../generated/types.js';\nimport { roundUp } from './rounding.js';",
        )
        .replace('Math.ceil(payment)', 'roundUp(payment)'),
    );
    const bundle = await packVersion(copy);
    expect(bundle.processors.computeMonthlyPayment).toContain('roundUp');
    expect(bundle.processors.computeMonthlyPayment).not.toMatch(/from ['"]\.\/rounding/);
    const registry = await loadBundleProcessors(bundle, { dir: join(scratch, 'modules') });
    expect(monthlyPayment(registry.computeMonthlyPayment)).toEqual({ monthlyPayment: 1112 });
  });

  it('refuses a journey that does not compile (JE_DSL_COMPILE), naming the error', async () => {
    const copy = copyVersion(wallet, join(scratch, 'pfm/wallet/1.0'));
    const file = join(copy, 'journey.jd');
    writeFileSync(file, readFileSync(file, 'utf8').replace('data.balance + event.amount', 'data.balanse + event.amount'));
    const error = await packVersion(copy).catch((thrown: unknown) => thrown);
    expect(isJourneyError(error, 'JE_DSL_COMPILE')).toBe(true);
    expect((error as Error).message).toContain('data.balanse is not defined');
  });
});

describe('parseBundle', () => {
  let bundle: VersionBundle;
  beforeEach(async () => {
    bundle = JSON.parse(serializeBundle(await packVersion(mortgage))) as VersionBundle;
  });

  it('accepts a packed bundle and its JSON text', () => {
    expect(parseBundle(bundle).contentHash).toBe(bundle.contentHash);
    expect(parseBundle(serializeBundle(bundle)).contentHash).toBe(bundle.contentHash);
  });

  it('refuses changed processor code, a changed file hash and a changed journey (the content hash no longer matches)', () => {
    expectBundleError(
      () => parseBundle({ ...bundle, processors: { computeMonthlyPayment: `${bundle.processors.computeMonthlyPayment}\n// changed` } }),
      /changed after packing/,
    );
    expectBundleError(() => parseBundle({ ...bundle, files: { ...bundle.files, 'journey.jd': '0'.repeat(64) } }), /changed after packing/);
    expectBundleError(() => parseBundle({ ...bundle, journey: { ...bundle.journey, source: 'elsewhere.jd' } }), /changed after packing/);
  });

  it('refuses a wrong shape, naming the member', () => {
    expectBundleError(() => parseBundle('{'), /not valid JSON/);
    expectBundleError(() => parseBundle([]), /not a JSON object/);
    expectBundleError(() => parseBundle({ ...bundle, format: 'journey-bundle/0' }), /format must be/);
    expectBundleError(() => parseBundle({ ...bundle, extra: 1 }), /unknown member extra/);
    expectBundleError(() => parseBundle({ ...bundle, version: '2.0' }), /its journey is mybank\/lending\/mortgage 1.0/);
    expectBundleError(() => parseBundle({ ...bundle, processors: {} }), /carries processors \[\] but its journey uses \[computeMonthlyPayment\]/);
    expectBundleError(() => parseBundle({ ...bundle, files: { '../x': '0'.repeat(64) } }), /not a relative path/);
    expectBundleError(() => parseBundle({ ...bundle, contentHash: 'abc' }), /contentHash must be/);
    expectBundleError(() => parseBundle({ ...bundle, journey: { name: 'mybank/lending/mortgage' } }), /not a valid compiled journey/);
  });
});

describe('diffBundleFiles', () => {
  it('names the files added, removed and changed, and nothing for the same sources', async () => {
    const copy = copyVersion(wallet, join(scratch, 'pfm/wallet/1.0'));
    const before = await packVersion(copy);
    expect(diffBundleFiles(before, await packVersion(copy))).toEqual([]);
    writeFileSync(join(copy, 'journey.jd'), `${readFileSync(join(copy, 'journey.jd'), 'utf8')}\n// a comment\n`);
    writeFileSync(join(copy, 'NOTES.txt'), 'notes\n');
    writeFileSync(join(copy, 'generated/extra.ts'), 'export {};\n');
    const after = await packVersion(copy);
    expect(diffBundleFiles(before, after)).toEqual(['NOTES.txt', 'journey.jd']);
    expect(diffBundleFiles(after, before)).toEqual(['NOTES.txt', 'journey.jd']);
    expect(after.contentHash).not.toBe(before.contentHash);
  });
});

describe('loadJourneySources', () => {
  it('gives bundles for source trees and bundle files alike', async () => {
    copyVersion(wallet, join(scratch, 'pfm/wallet/1.0'));
    writeFileSync(join(scratch, 'mortgage.bundle.json'), serializeBundle(await packVersion(mortgage)));
    const sources = await loadJourneySources(scratch);
    expect(sources.diagnostics).toEqual([]);
    expect(sources.bundles.map((b) => `${b.name}@${b.version}`)).toEqual(['mybank/lending/mortgage@1.0', 'pfm/wallet@1.0']);
    expect(sources.origins['mybank/lending/mortgage@1.0']).toBe(join(scratch, 'mortgage.bundle.json'));
    expect(sources.origins['pfm/wallet@1.0']).toBe(join(scratch, 'pfm/wallet/1.0'));
    expect(sources.bundles[1]?.contentHash).toBe((await packVersion(wallet)).contentHash);
  });

  it('gives the journeys folder as bundles, and one bundle file given as the path', async () => {
    const sources = await loadJourneySources(journeys);
    expect(sources.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(sources.bundles.map((b) => `${b.name}@${b.version}`)).toContain('pfm/wallet@1.0');
    const file = join(scratch, 'pfm-wallet-1.0.bundle.json');
    writeFileSync(file, serializeBundle(await packVersion(wallet)));
    expect((await loadJourneySources(file)).bundles.map((b) => b.name)).toEqual(['pfm/wallet']);
  });

  it('counts a version found twice with the same content once, and reports different content', async () => {
    copyVersion(wallet, join(scratch, 'pfm/wallet/1.0'));
    writeFileSync(join(scratch, 'same.bundle.json'), serializeBundle(await packVersion(wallet)));
    expect((await loadJourneySources(scratch)).bundles).toHaveLength(1);
    const other = copyVersion(wallet, join(scratch, 'changed/pfm/wallet/1.0'));
    writeFileSync(join(other, 'journey.jd'), `${readFileSync(join(other, 'journey.jd'), 'utf8')}\n// changed\n`);
    writeFileSync(join(scratch, 'changed.bundle.json'), serializeBundle(await packVersion(other)));
    rmSync(join(scratch, 'changed'), { recursive: true });
    const sources = await loadJourneySources(scratch);
    expect(sources.bundles).toHaveLength(1);
    expect(sources.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`)).toEqual([
      expect.stringMatching(/^error duplicate-declaration journey pfm\/wallet 1.0 is also in .* with different content/),
    ]);
  });

  it('refuses a bundle file that is not valid, naming the file (JE_BUNDLE_INVALID)', async () => {
    const bundle = JSON.parse(serializeBundle(await packVersion(wallet))) as VersionBundle;
    writeFileSync(join(scratch, 'tampered.bundle.json'), JSON.stringify({ ...bundle, files: { ...bundle.files, 'journey.jd': '0'.repeat(64) } }));
    const error = await loadJourneySources(scratch).catch((thrown: unknown) => thrown);
    expect(isJourneyError(error, 'JE_BUNDLE_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/tampered\.bundle\.json: invalid journey bundle: .*changed after packing/);
  });

  it('warns when the folder holds no journeys', async () => {
    const sources = await loadJourneySources(scratch);
    expect(sources.bundles).toEqual([]);
    expect(sources.diagnostics.map((d) => d.severity)).toEqual(['warning']);
  });
});
