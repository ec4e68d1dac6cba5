import { describe, expect, it } from 'vitest';
import { JourneyError } from '../../common/index.js';
import { API_OPTIONS_SCHEMA, resolveApiOptions } from '../../api/index.js';
import { FakeEngine, devApi, post } from './api-helpers.js';

const OPEN = { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } };

describe('api options', () => {
  it('applies the documented defaults and freezes the result', () => {
    const resolved = resolveApiOptions({ auth: { mode: 'dev' } });
    expect(resolved).toMatchObject({
      contextHeaders: { trustLevel: 'X-Trust-Level', geo: 'X-Geo', channel: 'X-Channel' },
      defaultChannel: 'api',
      bodyLimitBytes: 65536,
      maxJsonDepth: 32,
      maxWaitMs: 30000,
      rateLimit: { by: 'sender', perMinute: 60_000, exemptSenders: [] },
      trustedGateways: [],
      docs: true,
      stopEngineOnClose: false,
    });
    expect(Object.isFrozen(resolved.rateLimit)).toBe(true);
    expect(API_OPTIONS_SCHEMA.additionalProperties).toBe(false);
  });

  it.each([
    [{ auth: { mode: 'dev' }, bodyLimitBytes: -1 }, 'bodyLimitBytes'],
    [{ auth: { mode: 'dev' }, maxWaitMs: 'soon' }, 'maxWaitMs'],
    [{ auth: { mode: 'dev' }, rateLimit: { perMinute: 0 } }, 'rateLimit.perMinute'],
    [{ auth: { mode: 'dev' }, rateLimit: { by: 'ip' } }, 'rateLimit.by'],
    [{ auth: { mode: 'dev' }, rateLimit: { perSenderPerMinute: 600 } }, 'rateLimit.perSenderPerMinute'],
    [{ auth: { mode: 'dev' }, trustedGateways: ['10.0.0.0/33'] }, 'trustedGateways[0]'],
    [{ auth: { mode: 'dev' }, trustedGateways: ['10.0.0.1', 'gateway.internal'] }, 'trustedGateways[1]'],
    [{ auth: { mode: 'jwt', jwksUrl: 'https://idp.test/jwks', audience: 'journeys' } }, 'auth.issuer'],
    [{ auth: { mode: 'jwt', jwksUrl: 'https://idp.test/jwks', issuer: 'https://idp.test/' } }, 'auth.audience'],
    [{ auth: { mode: 'jwt', jwksUrl: 'http://idp.test/jwks', issuer: 'i', audience: 'a' } }, 'auth.jwksUrl'],
    [{ auth: { mode: 'jwt', jwksUrl: 'not a url', issuer: 'i', audience: 'a' } }, 'auth.jwksUrl'],
    [{ auth: { mode: 'dev' }, bodyLimit: 10 }, 'bodyLimit'],
    [{ auth: { mode: 'jwt', secrets: ['short'] } }, 'auth.secrets.0'],
    [{ auth: { mode: 'jwt' } }, 'auth.jwksUrl'],
    [{ auth: { mode: 'jwt', publicKeys: ['not a pem'] } }, 'auth.publicKeys[0]'],
    [{ auth: { mode: 'jwt', secrets: ['x'.repeat(32)], algorithm: 'none' } }, 'auth.algorithm'],
    [{}, 'auth'],
  ])('refuses %j naming %s', (options, setting) => {
    let thrown: unknown;
    try {
      resolveApiOptions(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JourneyError);
    const error = thrown as JourneyError;
    expect(error.code).toBe('JE_CONFIG_INVALID');
    expect(error.message).toContain(setting);
  });
});

describe('event routes', () => {
  it('starts a journey: 202, Location, the engine call with sender-scoped idempotency key', async () => {
    const { app, engine } = devApi();
    const res = await post(app, '/journeys/pfm/wallet/latest/events', OPEN, { 'idempotency-key': 'k-1', 'x-channel': 'mobile', 'x-geo': 'de' });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ journeyId: string; eventId: string; seq: number; duplicate: boolean }>();
    expect(body).toMatchObject({ seq: 1, duplicate: false, journeyType: 'pfm/wallet', version: '1.0' });
    expect(res.headers['location']).toBe(`/journeys/${body.journeyId}`);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const request = engine.submitted[0]?.request;
    expect(request).toMatchObject({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: 'latest',
      event: { type: 'OpenWallet', payload: OPEN.data },
      context: { sender: 'alice', roles: [], trustLevel: 0, channel: 'mobile', geo: 'DE', origin: 'api' },
    });
    expect(request?.idempotencyKey).toMatch(/^[A-Za-z0-9_-]{43}:k-1$/);
  });

  it('answers a replayed idempotency key with the same event; another sender gets its own', async () => {
    const { app } = devApi();
    const first = (await post(app, '/journeys/pfm/wallet/1.0/events', OPEN, { 'idempotency-key': 'same' })).json<{ eventId: string }>();
    const again = await post(app, '/journeys/pfm/wallet/1.0/events', OPEN, { 'idempotency-key': 'same' });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ eventId: first.eventId, duplicate: true });
    const other = await post(app, '/journeys/pfm/wallet/1.0/events', OPEN, { 'idempotency-key': 'same', 'x-dev-sender': 'mallory' });
    expect(other.json<{ eventId: string }>().eventId).not.toBe(first.eventId);
  });

  it('?wait returns the outcome (200) when handled, 202 when the wait runs out', async () => {
    const { app, engine } = devApi();
    const opened = (await post(app, '/journeys/pfm/wallet/1.0/events', OPEN)).json<{ journeyId: string }>();
    const timedOut = await post(app, `/journeys/${opened.journeyId}/events?wait=1500`, { type: 'Deposit', data: { amount: 5 } });
    expect(timedOut.statusCode).toBe(202);
    expect(engine.waits.at(-1)).toMatchObject({ timeoutMs: 1500 });
    engine.outcomeOf = (result) => ({
      eventId: result.eventId,
      journeyId: result.journeyId,
      outcome: 'rejected',
      rejection: { code: 'PRECONDITION_FAILED', message: 'insufficient funds', rule: 'event.amount <= data.balance' },
      seq: 3,
      data: { owner: 'alice', balance: 5 },
      emitted: [],
      handledAt: new Date(0).toISOString(),
    });
    const res = await post(app, `/journeys/${opened.journeyId}/events?wait=2000`, { type: 'Withdraw', data: { amount: 50 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      outcome: 'rejected',
      rejection: { code: 'PRECONDITION_FAILED' },
      seq: 3,
      data: { owner: 'alice', balance: 5 },
      emitted: [],
    });
    expect(res.headers['location']).toBe(`/journeys/${opened.journeyId}`);
    // Someone who may not read the wallet (its read rule: the owner or an auditor) sees the outcome, not the data.
    const other = await post(app, `/journeys/${opened.journeyId}/events?wait=2000`, { type: 'Withdraw', data: { amount: 50 } }, { 'x-dev-sender': 'bob' });
    expect(other.json()).toMatchObject({ outcome: 'rejected', seq: 3 });
    expect(other.json()).not.toHaveProperty('data');
    expect(other.json()).not.toHaveProperty('emitted');
  });

  it.each(['wait=abc', 'wait=-1', 'wait=30001', 'wait=1&wait=2', 'other=1'])('refuses ?%s with 400', async (query) => {
    const { app } = devApi();
    const res = await post(app, `/journeys/pfm/wallet/1.0/events?${query}`, OPEN);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST', details: { location: 'querystring' } } });
  });

  it('accepts journey names of one to four segments and refuses bad segments', async () => {
    const engine = new FakeEngine();
    engine.deployed.push({
      name: 'acme/retail/wallet',
      version: '2.1',
      journey: { ...engine.deployed[0]!.journey, name: 'acme/retail/wallet', version: '2.1' },
      laneNo: 2,
      hosted: true,
    });
    const { app } = devApi(engine);
    expect((await post(app, '/journeys/acme/retail/wallet/2.1/events', OPEN)).statusCode).toBe(202);
    expect((await post(app, '/journeys/nope/1.0/events', OPEN)).statusCode).toBe(404);
    expect((await post(app, "/journeys/pfm/wal'let/1.0/events", OPEN)).statusCode).toBe(400);
    expect((await post(app, '/journeys/pfm/wallet/1.0;DROP/events', OPEN)).statusCode).toBe(400);
    expect((await post(app, '/journeys/a/b/c/d/e/1.0/events', OPEN)).statusCode).toBe(404);
  });

  it('refuses a malformed journey id before the engine sees it', async () => {
    const { app, engine } = devApi();
    for (const id of ['01J000', "01J00000000000000000000001' OR 1=1", '01j00000000000000000000001', '01J0000000000000000000000U', '%00']) {
      const res = await post(app, `/journeys/${encodeURIComponent(id)}/events`, { type: 'Deposit', data: { amount: 1 } });
      expect(res.statusCode, id).toBe(400);
    }
    expect(engine.submitted).toHaveLength(0);
  });
});

describe('read routes', () => {
  it('gets a journey, 404 for an unknown one', async () => {
    const { app } = devApi();
    const opened = (await post(app, '/journeys/pfm/wallet/1.0/events', OPEN)).json<{ journeyId: string }>();
    const res = await app.inject({ url: `/journeys/${opened.journeyId}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ journeyId: opened.journeyId, journeyType: 'pfm/wallet', lifecycle: 'pending', data: null });
    const missing = await app.inject({ url: '/journeys/01J00000000000000000000099' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'JE_JOURNEY_NOT_FOUND' } });
  });

  it('gives a journey an ETag from its seq and answers 304 while it names the current one', async () => {
    const { app, engine } = devApi();
    const opened = (await post(app, '/journeys/pfm/wallet/1.0/events', OPEN)).json<{ journeyId: string }>();
    const first = await app.inject({ url: `/journeys/${opened.journeyId}` });
    expect(first.headers['etag']).toBe('"0"');
    for (const ifNoneMatch of ['"0"', 'W/"0"', '"7", "0"', '*']) {
      const unchanged = await app.inject({ url: `/journeys/${opened.journeyId}`, headers: { 'if-none-match': ifNoneMatch } });
      expect(unchanged.statusCode, ifNoneMatch).toBe(304);
      expect(unchanged.body).toBe('');
    }
    const journey = engine.journeys.get(opened.journeyId);
    if (journey) engine.journeys.set(opened.journeyId, { ...journey, seq: 1 });
    const changed = await app.inject({ url: `/journeys/${opened.journeyId}`, headers: { 'if-none-match': '"0"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['etag']).toBe('"1"');
  });

  it('pages the event history', async () => {
    const { app } = devApi();
    const opened = (await post(app, '/journeys/pfm/wallet/1.0/events', OPEN)).json<{ journeyId: string }>();
    await post(app, `/journeys/${opened.journeyId}/events`, { type: 'Deposit', data: { amount: 5 } });
    const first = await app.inject({ url: `/journeys/${opened.journeyId}/events?limit=1` });
    expect(first.statusCode).toBe(200);
    const page = first.json<{ items: Array<{ type: string; context: { sender: string } }>; nextCursor: string }>();
    expect(page.items.map((e) => e.type)).toEqual(['OpenWallet']);
    expect(page.items[0]?.context.sender).toBe('alice');
    const second = await app.inject({ url: `/journeys/${opened.journeyId}/events?limit=1&cursor=${page.nextCursor}` });
    expect(second.json<{ items: Array<{ type: string }> }>().items.map((e) => e.type)).toEqual(['Deposit']);
    expect((await app.inject({ url: `/journeys/${opened.journeyId}/events?limit=0` })).statusCode).toBe(400);
    expect((await app.inject({ url: `/journeys/${opened.journeyId}/events?limit=501` })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys/01J00000000000000000000099/events' })).statusCode).toBe(404);
  });

  it('searches declared fields only, listing the allowed ones otherwise', async () => {
    const { app, engine } = devApi();
    const ok = await app.inject({ url: '/journeys?type=pfm/wallet&owner=alice&limit=10' });
    expect(ok.statusCode).toBe(200);
    const reader = { tenant: 'default', context: expect.objectContaining({ sender: 'dev-user', roles: [] }) as unknown, fallbackRoles: ['operator'] };
    expect(engine.searches[0]).toEqual({ journeyType: 'pfm/wallet', fields: { owner: 'alice' }, limit: 10, reader });
    await app.inject({ url: '/journeys?type=pfm/wallet&version=latest&balance=10.5' });
    expect(engine.searches[1]).toEqual({ journeyType: 'pfm/wallet', version: '1.0', fields: { balance: '10.5' }, reader });

    const unknown = await app.inject({ url: '/journeys?type=pfm/wallet&status=open&iban=x' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({
      error: { code: 'JE_BAD_REQUEST', details: { unknownFields: ['status', 'iban'], allowedFields: ['balance', 'owner'] } },
    });
    expect((await app.inject({ url: '/journeys?type=pfm/wallet&balance=lots' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys?owner=alice' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys?type=pfm/nothing' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/journeys?type=pfm/wallet&version=9.9' })).statusCode).toBe(404);
    expect((await app.inject({ url: `/journeys?type=pfm/wallet&owner=${'a'.repeat(257)}` })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys?type=pfm/wallet&owner=a&owner=b' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys?type=pfm/wallet&owner=al%00ice' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys?type=pfm/wallet&owner=%0d%0aSet-Cookie:x' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/journeys?type=pfm/wallet&owner[$ne]=1' })).statusCode).toBe(400);
    expect((await app.inject({ url: `/journeys?type=pfm/wallet&${encodeURIComponent("owner' OR '1'='1")}=x` })).statusCode).toBe(400);
    expect(engine.searches).toHaveLength(2);
  });

  it('lists deployments with their events', async () => {
    const { app } = devApi();
    const res = await app.inject({ url: '/deployments' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ items: Array<{ journeyType: string; version: string; events: Array<{ type: string; initiating: boolean; schema: object }> }> }>();
    expect(body.items[0]).toMatchObject({ journeyType: 'pfm/wallet', version: '1.0' });
    expect(body.items[0]?.events.find((e) => e.type === 'OpenWallet')).toMatchObject({ initiating: true, schema: { required: ['owner', 'currency'] } });
  });
});

describe('operations routes', () => {
  it('health is 200; ready follows the engine', async () => {
    const { app, engine } = devApi();
    expect((await app.inject({ url: '/health' })).json()).toEqual({ status: 'ok', nodeId: 'test-node' });
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true, grid: { mode: 'cluster', nodes: 6 }, partitions: { owned: 64 } });
    engine.ready = false;
    const notReady = await app.inject({ url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ ready: false, partitions: { owned: 0 } });
  });

  it('metrics merge the engine text and the HTTP metrics', async () => {
    const { app } = devApi();
    await app.inject({ url: '/health' });
    await app.inject({ url: '/no/such/route' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('je_events_accepted_total 3');
    expect(res.body).toContain('je_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(res.body).toContain('route="unmatched",status="404"');
  });

  it('serves the OpenAPI document and the UI without authentication', async () => {
    const { app } = devApi(new FakeEngine(), { docs: true });
    const doc = await app.inject({ url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json<{ openapi: string; paths: Record<string, unknown> }>().paths).toHaveProperty(['/journeys/pfm/wallet/{version}/events']);
    const ui = await app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    const uiDoc = await app.inject({ url: '/docs/json' });
    expect(uiDoc.json()).toEqual(doc.json());
  });

  it('stops the engine on close only when asked', async () => {
    const kept = devApi();
    await kept.app.close();
    expect(kept.engine.stopped).toBe(false);
    const handed = devApi(new FakeEngine(), { stopEngineOnClose: true });
    await handed.app.ready();
    await handed.app.close();
    expect(handed.engine.stopped).toBe(true);
  });
});
