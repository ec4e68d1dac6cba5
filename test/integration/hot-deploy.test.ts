/**
 * Hot deploy and undeploy (issue 11, items 3, 6 and 8) against the real engine: two running nodes
 * that host every deployed version learn a version deployed through `POST /deployments` within
 * seconds and handle its events, with no restart. Deploying other content under a deployed
 * version is refused naming the files that differ, an incompatible version is refused with the
 * JSON pointers at fault, and a version is undeployed only once it has no live instances, after
 * which its events are refused.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { isJourneyError, silentLogger } from '../../common/index.js';
import { packVersion, serializeBundle } from '../../dsl/index.js';
import type { VersionBundle } from '../../dsl/index.js';
import type { DeploymentRecord, DeploymentViolation, DrainReportEntry, JourneyEngine } from '../../engine/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const PARTITIONS = 8;
const LEASE_TTL_MS = 1_500;
const POLL_MS = 300;
const OPERATOR = { 'x-dev-sender': 'ops', 'x-dev-roles': 'operator' };
const WALLET_10 = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const WALLET_20 = resolve(import.meta.dirname, '../fixtures/journeys/pfm/wallet/2.0');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it holds, for at most `withinMs`. */
async function eventually(what: string, probe: () => Promise<boolean> | boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`not within ${withinMs} ms: ${what}`);
}

describe('hot deploy and undeploy', () => {
  let database: TestDatabase;
  let scratch: string;
  let a: TestEngine;
  let b: TestEngine;
  let api: FastifyInstance;
  const bundles: Record<string, VersionBundle> = {};
  const opened10: string[] = [];

  /** A copy of a version folder under `scratch`, as `version`, with `edit` applied to its files. */
  const variant = async (from: string, version: string, edit: (dir: string) => void = () => undefined): Promise<VersionBundle> => {
    const dir = join(mkdtempSync(join(scratch, 'v-')), 'pfm', 'wallet', version);
    cpSync(from, dir, { recursive: true });
    const source = join(dir, 'journey.jd');
    writeFileSync(source, readFileSync(source, 'utf8').replace(/^journey pfm\/wallet version [0-9.]+$/m, `journey pfm/wallet version ${version}`));
    edit(dir);
    return packVersion(dir);
  };

  const deploy = (bundle: VersionBundle, headers: Record<string, string> = OPERATOR) =>
    api.inject({ method: 'POST', url: '/deployments', headers: { 'content-type': 'application/json', ...headers }, payload: serializeBundle(bundle) });

  const open = (engine: JourneyEngine, version: string, owner: string) =>
    engine.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version,
      event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
      context: walletContext(owner),
    });

  /** Whether the node refuses new journeys of the version as not deployed. */
  const refuses = async (engine: JourneyEngine, version: string): Promise<boolean> => {
    try {
      await open(engine, version, `probe-${version}`);
      return false;
    } catch (error) {
      if (isJourneyError(error, 'JE_JOURNEY_TYPE_UNKNOWN')) return true;
      throw error;
    }
  };

  /** Whether the node knows the version (accepts its events); asks without creating a journey. */
  const knows = (engine: JourneyEngine, version: string): boolean => engine.deployments().some((d) => d.name === 'pfm/wallet' && d.version === version);

  const history = async (): Promise<DeploymentRecord[]> => {
    const res = await api.inject({ method: 'GET', url: '/deployments/pfm/wallet' });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: DeploymentRecord[] }>().items;
  };

  const drainReport = async (): Promise<DrainReportEntry[]> => {
    const res = await api.inject({ method: 'GET', url: '/deployments?instances=true', headers: OPERATOR });
    expect(res.statusCode).toBe(200);
    return res.json<{ versions: DrainReportEntry[] }>().versions.filter((v) => v.journeyType === 'pfm/wallet');
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    scratch = mkdtempSync(join(tmpdir(), 'hot-deploy-'));
    const common = {
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: testNamespace(),
      partitionCount: PARTITIONS,
      journeys: [await walletJourney()],
      hostVersions: 'all' as const,
      deploymentPollMs: POLL_MS,
      workerOptions: { leaseTtlMs: LEASE_TTL_MS, sweepAfterMs: 300, sweepEveryMs: 200 },
    };
    a = await startTestEngine({ ...common, nodeId: 'node-a' });
    b = await startTestEngine({ ...common, nodeId: 'node-b' });
    api = buildApi(a.engine, { auth: { mode: 'dev' }, docs: false, rateLimit: { by: 'off' } }, silentLogger());
    await eventually('both nodes ready', async () => (await Promise.all([a.engine.readiness(), b.engine.readiness()])).every((r) => r.ready));

    bundles['1.0'] = await packVersion(WALLET_10);
    bundles['2.0'] = await packVersion(WALLET_20);
    for (let i = 0; i < 3; i++) {
      const accepted = await open(i % 2 === 0 ? a.engine : b.engine, '1.0', `owner-10-${i}`);
      expect(await a.engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
      opened10.push(accepted.journeyId);
    }
  });

  afterAll(async () => {
    await api?.close();
    for (const node of [b, a]) await node?.stop().catch(() => undefined);
    await database?.drop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('a version deployed through the API is accepted and handled by both nodes within seconds, without a restart', async () => {
    expect(await refuses(b.engine, '2.0')).toBe(true);
    expect((await deploy(bundles['2.0']!, { 'x-dev-sender': 'alice' })).statusCode).toBe(403);
    expect(await refuses(a.engine, '2.0')).toBe(true);

    const res = await deploy(bundles['2.0']!);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      journeyType: 'pfm/wallet',
      version: '2.0',
      created: true,
      contentHash: bundles['2.0']!.contentHash,
      compatibility: 'BACKWARD',
      checkedAgainst: ['1.0'],
      upliftsChecked: ['1.0'],
    });
    // The deploying node accepts at once; the other learns it from the store within its poll.
    const first = await open(a.engine, '2.0', 'owner-20-a');
    await eventually('node-b learns 2.0', () => knows(b.engine, '2.0'), 5_000);

    const accepted = [first];
    for (let i = 0; i < 6; i++) accepted.push(await open(i % 2 === 0 ? b.engine : a.engine, '2.0', `owner-20-${i}`));
    const outcomes = await Promise.all(accepted.map((o) => a.engine.awaitOutcome(o.eventId, 15_000)));
    expect(outcomes.map((o) => o?.outcome)).toEqual(accepted.map(() => 'applied'));
    for (const o of accepted) {
      expect(await b.engine.getJourney(o.journeyId)).toMatchObject({ version: '2.0', lifecycle: 'active', data: { tier: 'standard', balance: 0 } });
    }
    // A 2.0-only event, handled by whichever node owns the journey's partition.
    const target = accepted[1]!;
    const owner = (await b.engine.getJourney(target.journeyId))?.data?.['owner'] as string;
    const tier = await b.engine.accept({
      kind: 'target',
      journeyId: target.journeyId,
      event: { type: 'ChangeTier', payload: { tier: 'premium' } },
      context: walletContext(owner),
    });
    expect(await b.engine.awaitOutcome(tier.eventId, 10_000)).toMatchObject({ outcome: 'applied', data: { tier: 'premium' } });

    await eventually('both nodes host 2.0', async () => {
      const readiness = await Promise.all([a.engine.readiness(), b.engine.readiness()]);
      return readiness.every((r) => r.versions?.hosted.includes('pfm/wallet@2.0') && r.versions.withoutHost.length === 0);
    });
    await eventually('the history shows both hosts', async () => (await history()).find((r) => r.version === '2.0')?.hosts?.length === 2);
    const records = await history();
    expect(records.map((r) => [r.version, r.contentHash, r.compatibility, r.undeployedAt])).toEqual([
      ['1.0', null, null, null],
      ['2.0', bundles['2.0']!.contentHash, 'BACKWARD', null],
    ]);
    expect(records[1]?.hosts).toEqual(['node-a', 'node-b']);
    expect(Date.parse(records[1]!.deployedAt)).toBeGreaterThanOrEqual(Date.parse(records[0]!.deployedAt));

    // The same content again changes nothing: 2.0 as packed, and 1.0 as the nodes deployed it at start.
    expect((await deploy(bundles['2.0']!)).json()).toMatchObject({ created: false, laneNo: records[1]!.laneNo });
    expect((await deploy(bundles['2.0']!)).statusCode).toBe(200);
    const same10 = await deploy(bundles['1.0']!);
    expect(same10.statusCode).toBe(200);
    expect(same10.json()).toMatchObject({ created: false, laneNo: records[0]!.laneNo });
  });

  it('other content under a deployed version is refused, naming the files that differ', async () => {
    const changed = await variant(WALLET_20, '2.0', (dir) => {
      const file = join(dir, 'events', 'deposit.schema.json');
      const schema = JSON.parse(readFileSync(file, 'utf8')) as { description?: string };
      writeFileSync(file, JSON.stringify({ ...schema, description: 'changed after deploying' }));
    });
    const res = await deploy(changed);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error: { code: 'JE_DEPLOYMENT_CONFLICT', details: { name: 'pfm/wallet', version: '2.0', files: ['events/deposit.schema.json'] } },
    });
    expect(res.json<{ error: { message: string } }>().error.message).toContain('events/deposit.schema.json');

    // 1.0 was deployed by the nodes from sources (no bundle): its definition's hash tells.
    const changed10 = await variant(WALLET_10, '1.0', (dir) => {
      const file = join(dir, 'events', 'deposit.schema.json');
      writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), description: 'changed' }));
    });
    expect((await deploy(changed10)).json()).toMatchObject({ error: { code: 'JE_DEPLOYMENT_CONFLICT', details: { version: '1.0' } } });
    expect((await history()).map((r) => [r.version, r.contentHash])).toEqual([
      ['1.0', null],
      ['2.0', bundles['2.0']!.contentHash],
    ]);
  });

  it('an incompatible version is refused with the JSON pointers at fault, and nothing is deployed', async () => {
    // A new required member of Deposit without a default: 1.0's senders' deposits would be refused.
    const incompatible = await variant(WALLET_10, '3.0', (dir) => {
      const file = join(dir, 'events', 'deposit.schema.json');
      const schema = JSON.parse(readFileSync(file, 'utf8')) as { required: string[]; properties: Record<string, unknown> };
      schema.required.push('reference');
      schema.properties['reference'] = { type: 'string' };
      writeFileSync(file, JSON.stringify(schema));
    });
    const res = await deploy(incompatible);
    expect(res.statusCode).toBe(409);
    const { error } = res.json<{ error: { code: string; message: string; details: { violations: DeploymentViolation[] } } }>();
    expect(error.code).toBe('JE_DEPLOYMENT_INCOMPATIBLE');
    const deposit = error.details.violations.filter((v) => v.against === '1.0' && v.schema === 'event:Deposit');
    expect(deposit.length).toBeGreaterThan(0);
    expect(deposit.every((v) => v.check === 'compatibility' && v.message.startsWith('BACKWARD'))).toBe(true);
    expect(deposit.map((v) => v.pointer).join(' ')).toMatch(/reference|required/);
    // Against 2.0 as well: 3.0 drops its tier and its ChangeTier event.
    expect(error.details.violations.some((v) => v.against === '2.0')).toBe(true);

    expect((await history()).map((r) => r.version)).toEqual(['1.0', '2.0']);
    await sleep(2 * POLL_MS);
    expect(await refuses(a.engine, '3.0')).toBe(true);
    expect(await refuses(b.engine, '3.0')).toBe(true);
  });

  it('undeploy is refused while instances are live; a version without instances is undeployed and its events refused', async () => {
    const inUse = await api.inject({ method: 'DELETE', url: '/deployments/pfm/wallet/1.0', headers: OPERATOR });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json()).toMatchObject({ error: { code: 'JE_DEPLOYMENT_IN_USE', details: { instances: { active: opened10.length, pending: 0 } } } });

    const v15 = await variant(WALLET_10, '1.5');
    expect((await deploy(v15)).statusCode).toBe(201);
    await eventually('node-b learns 1.5', () => knows(b.engine, '1.5'), 5_000);
    const before = await drainReport();
    expect(before.map((v) => [v.version, v.deployed, v.instances.active, v.retirable])).toEqual([
      ['1.0', true, opened10.length, false],
      ['1.5', true, 0, true],
      ['2.0', true, 7, false],
    ]);

    expect((await api.inject({ method: 'DELETE', url: '/deployments/pfm/wallet/1.5', headers: { 'x-dev-sender': 'alice' } })).statusCode).toBe(403);
    const res = await api.inject({ method: 'DELETE', url: '/deployments/pfm/wallet/1.5', headers: OPERATOR });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ journeyType: 'pfm/wallet', version: '1.5', changed: true });
    const refused = await api.inject({
      method: 'POST',
      url: '/journeys/pfm/wallet/1.5/events',
      headers: { 'content-type': 'application/json', 'x-dev-sender': 'carol' },
      payload: JSON.stringify({ type: 'OpenWallet', data: { owner: 'carol', currency: 'EUR' } }),
    });
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ error: { code: 'JE_JOURNEY_TYPE_UNKNOWN' } });
    await eventually('node-b forgets 1.5', () => !knows(b.engine, '1.5'), 5_000);
    expect(await refuses(b.engine, '1.5')).toBe(true);

    const again = await api.inject({ method: 'DELETE', url: '/deployments/pfm/wallet/1.5', headers: OPERATOR });
    expect(again.json()).toMatchObject({ changed: false });
    // An undeployed version is never deployed again under that number.
    expect((await deploy(v15)).json()).toMatchObject({ error: { code: 'JE_DEPLOYMENT_CONFLICT' } });
    expect((await drainReport()).find((v) => v.version === '1.5')).toMatchObject({ deployed: false, retirable: false });
    // Its hosts stop naming it with their next heartbeat.
    await eventually('no node hosts 1.5', async () => (await drainReport()).find((v) => v.version === '1.5')?.hosts?.length === 0);
    expect((await history()).find((r) => r.version === '1.5')?.undeployedAt).not.toBeNull();
    // The live instances of 1.0 still hold it.
    expect((await api.inject({ method: 'DELETE', url: '/deployments/pfm/wallet/1.0', headers: OPERATOR })).statusCode).toBe(409);
  });
});
