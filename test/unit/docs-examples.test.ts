/**
 * The examples in docs/DSL.md work as written. A fenced block after `<!-- example: <path> -->` is
 * a file of an example journey: together they must compile without a warning (the analysis
 * included) and their scenarios must pass. A block after `<!-- same as: <path> -->` must be that
 * file of the repository, byte for byte.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeJourneys, compileJourneys, formatDiagnostics, testJourneys } from '../../dsl/index.js';

const repository = resolve(import.meta.dirname, '../..');
const BLOCK = /<!-- (example|same as): (\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g;

interface DocBlock {
  kind: 'example' | 'same as';
  path: string;
  text: string;
}

let blocks: DocBlock[];
let scratch: string;

beforeAll(async () => {
  const doc = await readFile(join(repository, 'docs/DSL.md'), 'utf8');
  blocks = [...doc.matchAll(BLOCK)].map((m) => ({ kind: m[1] as DocBlock['kind'], path: m[2] ?? '', text: m[3] ?? '' }));
  scratch = await mkdtemp(join(tmpdir(), 'docs-examples-'));
  for (const block of blocks.filter((b) => b.kind === 'example')) {
    const file = join(scratch, block.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, block.text);
  }
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('docs/DSL.md', () => {
  it('has the leave request as a whole example: definition, data schema and scenarios', () => {
    expect(blocks.filter((b) => b.kind === 'example').map((b) => b.path)).toEqual([
      'acme/hr/leave_request/1.0/journey.jd',
      'acme/hr/leave_request/1.0/leave-request.data.schema.json',
      'acme/hr/leave_request/1.0/scenarios/leave-request.yaml',
    ]);
  });

  it('its example journeys compile without an error, a warning or an analysis finding', async () => {
    const compiled = await compileJourneys(scratch);
    expect(formatDiagnostics(compiled.diagnostics)).toBe('');
    expect(compiled.journeys.map((j) => `${j.name} ${j.version}`)).toEqual(['acme/hr/leave_request 1.0']);
    expect(analyzeJourneys(compiled.journeys).findings.filter((f) => f.severity === 'warning')).toEqual([]);
  });

  it('their scenarios pass', async () => {
    const report = await testJourneys(scratch);
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({ passed: 4, failed: 0 });
  });

  it('quotes the example journeys as they are', async () => {
    const quoted = blocks.filter((b) => b.kind === 'same as');
    expect(quoted.map((b) => b.path)).toContain('journeys/pfm/wallet/1.0/journey.jd');
    for (const block of quoted) expect(block.text, block.path).toBe(await readFile(join(repository, block.path), 'utf8'));
  });
});
