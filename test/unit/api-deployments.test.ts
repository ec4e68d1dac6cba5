// The deployment routes over the fake engine: hot deploy and undeploy (operator role), a type's
// history and the drain report. What the engine decides (compatibility, conflicts) is its own;
// these tests check that the edge refuses bad input with stable codes and changes nothing.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { JourneyError, silentLogger } from '../../common/index.js';
import { createBundle } from '../../dsl/index.js';
import type { DeploymentRecord, DrainReportEntry } from '../../engine/index.js';
import { FakeEngine, TEST_SECRET, devApi, walletJourney } from './api-helpers.js';

const OPERATOR = { 'x-dev-sender': 'ops', 'x-dev-roles': 'operator' };
const bundle = createBundle({ journey: walletJourney, processors: {}, files: { 'journey.jd': 'a'.repeat(64) }, engineVersion: '0.1.0' });

type App = ReturnType<typeof devApi>['app'];

function send(app: App, method: 'POST' | 'DELETE' | 'GET', url: string, headers: Record<string, string> = {}, body?: unknown) {
  return app.inject({
    method,
    url,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

const record: DeploymentRecord = {
  journeyType: 'pfm/wallet',
  version: '1.0',
  laneNo: 1,
  contentHash: null,
  irHash: 'b'.repeat(64),
  compatibility: 'BACKWARD',
  deployedAt: new Date(0).toISOString(),
  undeployedAt: null,
  hosts: ['node-a', 'node-b'],
};

describe('POST /deployments', () => {
  it('deploys a bundle for an operator: 201 with Location, the body handed to the engine as sent', async () => {
    const { app, engine } = devApi();
    const res = await send(app, 'POST', '/deployments', OPERATOR, bundle);
    expect(res.statusCode).toBe(201);
    expect(res.headers['location']).toBe('/deployments/pfm/wallet');
    expect(res.json()).toEqual(engine.deployResult);
    expect(engine.deployedBundles).toEqual([JSON.parse(JSON.stringify(bundle))]);
  });

  it('answers 200 when the same content was deployed already', async () => {
    const engine = new FakeEngine();
    engine.deployResult = { ...engine.deployResult, created: false };
    const { app } = devApi(engine);
    const res = await send(app, 'POST', '/deployments', OPERATOR, bundle);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: false });
  });

  it('refuses a caller without the operator role with 403 before reading the body', async () => {
    const { app, engine } = devApi();
    for (const headers of [{ 'x-dev-sender': 'alice' }, { 'x-dev-sender': 'alice', 'x-dev-roles': 'customer,admin' }] as Array<Record<string, string>>) {
      const res = await send(app, 'POST', '/deployments', headers, '{"not json');
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 'JE_ACCESS_DENIED', details: { requiredRole: 'operator', sender: 'alice' } } });
      expect(res.json<{ error: { message: string } }>().error.message).toContain('needs the operator role');
    }
    expect(engine.deployedBundles).toEqual([]);
  });

  it('takes the operator role from a jwt roles claim', async () => {
    const engine = new FakeEngine();
    const app = buildApi(engine, { auth: { mode: 'jwt', secrets: [TEST_SECRET] }, docs: false }, silentLogger());
    const sign = (roles: string[]) =>
      new SignJWT({ sub: 'deployer', roles }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(TEST_SECRET));
    const refused = await send(app, 'POST', '/deployments', { authorization: `Bearer ${await sign(['customer'])}`, ...OPERATOR }, bundle);
    expect(refused.statusCode).toBe(403);
    const accepted = await send(app, 'POST', '/deployments', { authorization: `Bearer ${await sign(['operator'])}` }, bundle);
    expect(accepted.statusCode).toBe(201);
    expect(engine.deployedBundles).toHaveLength(1);
  });

  it.each([
    ['a member missing', { ...bundle, contentHash: undefined }],
    ['an unknown member', { ...bundle, extra: 1 }],
    ['another format', { ...bundle, format: 'journey-bundle/0' }],
    ['a version that is latest', { ...bundle, version: 'latest' }],
    ['not an object', [bundle]],
    ['malformed JSON', '{"format": '],
  ])('refuses %s with 400 JE_BAD_REQUEST and deploys nothing', async (_what, body) => {
    const { app, engine } = devApi();
    const res = await send(app, 'POST', '/deployments', OPERATOR, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST' } });
    expect(engine.deployedBundles).toEqual([]);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const { app, engine } = devApi();
    const res = await app.inject({ method: 'POST', url: '/deployments', headers: { ...OPERATOR, 'content-type': 'text/plain' }, payload: 'bundle' });
    expect(res.statusCode).toBe(415);
    expect(engine.deployedBundles).toEqual([]);
  });

  it('takes bundles larger and deeper than events may be, up to its own limit', async () => {
    const { app, engine } = devApi(new FakeEngine(), { deployBodyLimitBytes: 512 * 1024 });
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 60; i++) deep = { anyOf: [deep] };
    const big = { ...bundle, processors: { pad: 'x'.repeat(200 * 1024) }, journey: { ...bundle.journey, dataSchema: deep } };
    expect((await send(app, 'POST', '/deployments', OPERATOR, big)).statusCode).toBe(201);
    // Events keep their own limits.
    const event = await send(app, 'POST', '/journeys/pfm/wallet/1.0/events', { 'x-dev-sender': 'alice' }, { type: 'OpenWallet', data: { deep } });
    expect(event.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST', details: { reason: 'depth' } } });

    const tooBig = { ...bundle, processors: { pad: 'x'.repeat(600 * 1024) } };
    const res = await send(app, 'POST', '/deployments', OPERATOR, tooBig);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: 'JE_PAYLOAD_TOO_LARGE', details: { limitBytes: 512 * 1024 } } });
    expect(engine.deployedBundles).toHaveLength(1);
  });

  it.each([
    ['JE_BUNDLE_INVALID', 400, { member: 'contentHash' }],
    ['JE_DEPLOYMENT_CONFLICT', 409, { files: ['journey.jd'] }],
    [
      'JE_DEPLOYMENT_INCOMPATIBLE',
      409,
      { violations: [{ against: '1.0', check: 'compatibility', schema: 'event:Deposit', pointer: '/required', message: 'x' }] },
    ],
    ['JE_DEPLOYMENT_LIMIT', 409, { maxLane: 1 }],
  ] as const)('passes the engine refusal %s on as %i with its details', async (code, status, details) => {
    const engine = new FakeEngine();
    engine.deployError = new JourneyError(code, 'refused', { details });
    const { app } = devApi(engine);
    const res = await send(app, 'POST', '/deployments', OPERATOR, bundle);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: { code, message: 'refused', details } });
  });
});

describe('DELETE /deployments/{type}/{version}', () => {
  it('undeploys for an operator, types of one to four segments', async () => {
    const { app, engine } = devApi();
    const res = await send(app, 'DELETE', '/deployments/pfm/wallet/1.0', OPERATOR);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ journeyType: 'pfm/wallet', version: '1.0', changed: true, undeployedAt: new Date(0).toISOString() });
    for (const url of ['/deployments/solo/2', '/deployments/acme/retail/wallet/2.1', '/deployments/a/b/c/d/1.2.3']) {
      expect((await send(app, 'DELETE', url, OPERATOR)).statusCode).toBe(200);
    }
    expect(engine.undeploys).toEqual([
      { journeyType: 'pfm/wallet', version: '1.0' },
      { journeyType: 'solo', version: '2' },
      { journeyType: 'acme/retail/wallet', version: '2.1' },
      { journeyType: 'a/b/c/d', version: '1.2.3' },
    ]);
  });

  it('refuses non-operators (403), bad versions and names (400), five segments (404), and passes JE_DEPLOYMENT_IN_USE on', async () => {
    const engine = new FakeEngine();
    const { app } = devApi(engine);
    expect((await send(app, 'DELETE', '/deployments/pfm/wallet/1.0', { 'x-dev-sender': 'alice' })).json()).toMatchObject({
      error: { code: 'JE_ACCESS_DENIED' },
    });
    for (const url of ['/deployments/pfm/wallet/latest', '/deployments/pfm/wallet/1.x', '/deployments/pfm/wal-let/1.0']) {
      const res = await send(app, 'DELETE', url, OPERATOR);
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST' } });
    }
    expect((await send(app, 'DELETE', '/deployments/a/b/c/d/e/1.0', OPERATOR)).statusCode).toBe(404);
    expect(engine.undeploys).toEqual([]);

    engine.undeployError = new JourneyError('JE_DEPLOYMENT_IN_USE', 'in use', { details: { instances: { pending: 1, active: 2, failed: 0 } } });
    const res = await send(app, 'DELETE', '/deployments/pfm/wallet/1.0', OPERATOR);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'JE_DEPLOYMENT_IN_USE', details: { instances: { pending: 1, active: 2 } } } });
  });
});

describe('GET /deployments/{type}', () => {
  it("answers a type's history, to any authenticated caller; 404 for a type never deployed", async () => {
    const engine = new FakeEngine();
    engine.history = [record, { ...record, version: '2.0', laneNo: 2, contentHash: 'c'.repeat(64), hosts: null, undeployedAt: new Date(1).toISOString() }];
    const { app } = devApi(engine);
    const res = await send(app, 'GET', '/deployments/pfm/wallet', { 'x-dev-sender': 'alice' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ journeyType: 'pfm/wallet', items: engine.history });
    const unknown = await send(app, 'GET', '/deployments/pfm/nothing');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'JE_JOURNEY_TYPE_UNKNOWN' } });
  });
});

describe('GET /deployments', () => {
  it('keeps its answer without the flag, and gives the drain report with instances=true', async () => {
    const engine = new FakeEngine();
    const entry: DrainReportEntry = { ...record, deployed: true, instances: { pending: 1, active: 3, failed: 2 }, retirable: false };
    engine.drain = [
      entry,
      { ...entry, version: '0.9', laneNo: 3, deployed: false, undeployedAt: new Date(5).toISOString(), instances: { pending: 0, active: 0, failed: 0 } },
    ];
    const { app } = devApi(engine);
    for (const url of ['/deployments', '/deployments?instances=false']) {
      const plain = await send(app, 'GET', url);
      expect(plain.statusCode).toBe(200);
      const body = plain.json<{ items: Array<Record<string, unknown>>; versions?: unknown }>();
      expect(body.versions).toBeUndefined();
      expect(body.items.map((item) => [item['journeyType'], item['version'], Object.keys(item).sort()])).toEqual([
        ['pfm/wallet', '1.0', ['events', 'journeyType', 'searchFields', 'version']],
      ]);
    }
    // The counts cover every tenant's journeys: operators only.
    const refused = await send(app, 'GET', '/deployments?instances=true', { 'x-dev-sender': 'alice', 'x-dev-roles': 'customer' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'JE_ACCESS_DENIED', details: { requiredRole: 'operator' } } });
    const report = await send(app, 'GET', '/deployments?instances=true', { 'x-dev-sender': 'ops', 'x-dev-roles': 'operator' });
    expect(report.statusCode).toBe(200);
    expect(report.json()).toEqual({ versions: engine.drain });

    const bad = await send(app, 'GET', '/deployments?instances=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST' } });
  });
});
