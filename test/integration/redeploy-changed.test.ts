/**
 * Versions are immutable, processor code included (issue 11): a node carrying mybank/lending/
 * mortgage 1.0 deploys it with its bundle at start; deploying 1.0 again with one processor's code
 * changed (a comment is enough: the bundle hashes its sources) is refused with JE_DEPLOYMENT_CONFLICT,
 * naming the file, and changes nothing; the same sources again are a no-op.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { packVersion, serializeBundle } from '../../dsl/index.js';
import type { VersionBundle } from '../../dsl/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const MORTGAGE_1_0 = resolve(import.meta.dirname, '../../journeys/mybank/lending/mortgage/1.0');
const PROCESSOR = 'processors/compute-monthly-payment.ts';

describe('redeploying a version with changed processor code', () => {
  let database: TestDatabase;
  let node: TestEngine;
  let original: VersionBundle;
  let copy: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    original = await packVersion(MORTGAGE_1_0);
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: testNamespace(),
      journeys: [original.journey],
      carriedBundles: { [`${original.name}@${original.version}`]: { contentHash: original.contentHash, bundle: serializeBundle(original) } },
      partitionCount: 4,
    });
    copy = mkdtempSync(join(tmpdir(), 'je-mortgage-'));
    cpSync(MORTGAGE_1_0, copy, { recursive: true });
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
    rmSync(copy, { recursive: true, force: true });
  });

  it('the same sources again are a no-op', async () => {
    expect(await node.engine.deploy(await packVersion(MORTGAGE_1_0))).toMatchObject({ created: false });
  });

  it('is refused naming the processor file, and the stored version is unchanged', async () => {
    const file = join(copy, PROCESSOR);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// rounding changed\n`);
    const changed = await packVersion(copy);
    expect(changed.contentHash).not.toBe(original.contentHash);
    const error: unknown = await node.engine.deploy(changed).catch((e: unknown) => e);
    expect(isJourneyError(error, 'JE_DEPLOYMENT_CONFLICT')).toBe(true);
    expect((error as { details?: { files?: string[] } }).details?.files).toEqual([PROCESSOR]);
    const stored = await node.store.queryOne<{ content_hash: string }>(`SELECT content_hash FROM deployments WHERE type_name = ? AND type_version = ?`, [
      original.name,
      original.version,
    ]);
    expect(stored?.content_hash).toBe(original.contentHash);
  });
});
