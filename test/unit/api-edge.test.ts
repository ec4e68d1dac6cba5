import { describe, expect, it } from 'vitest';
import { JourneyError } from '../../common/index.js';
import { FakeEngine, devApi, post } from './api-helpers.js';

const OPEN_URL = '/journeys/pfm/wallet/1.0/events';
const OPEN = { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } };

interface ErrorAnswer {
  error: { code: string; message: string; details: Record<string, unknown> };
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('engine errors map to their registry status', () => {
  it.each([
    [new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', 'no such journey'), 404],
    [new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id'), 404],
    [new JourneyError('JE_EVENT_TYPE_UNKNOWN', 'no event Nope'), 422],
    [new JourneyError('JE_EVENT_NOT_INITIATING', 'Deposit does not start a journey'), 422],
    [new JourneyError('JE_IDEMPOTENCY_CONFLICT', 'key reused'), 422],
    [new JourneyError('JE_ACCESS_DENIED', 'sender may not'), 403],
  ])('%s → %i with its code, message and details', async (thrown, status) => {
    const engine = new FakeEngine();
    engine.acceptError = thrown;
    const { app } = devApi(engine);
    const res = await post(app, OPEN_URL, OPEN);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: { code: thrown.code, message: thrown.message, details: {} } });
  });

  it('JE_EVENT_INVALID lists every violation, pointers rebased onto the request body', async () => {
    const engine = new FakeEngine();
    engine.acceptError = new JourneyError('JE_EVENT_INVALID', 'payload invalid', {
      details: {
        violations: [
          { pointer: '/amount', message: 'must be number' },
          { pointer: '', message: "must have required property 'currency'" },
        ],
      },
    });
    const { app } = devApi(engine);
    const res = await post(app, OPEN_URL, OPEN);
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorAnswer>().error.details['violations']).toEqual([
      { pointer: '/data/amount', message: 'must be number' },
      { pointer: '/data', message: "must have required property 'currency'" },
    ]);
  });

  it('JE_OVERLOADED → 503 with Retry-After in whole seconds', async () => {
    const engine = new FakeEngine();
    engine.acceptError = new JourneyError('JE_OVERLOADED', 'at capacity', { retryAfterMs: 1500 });
    const { app } = devApi(engine);
    const res = await post(app, OPEN_URL, OPEN);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json<ErrorAnswer>().error.code).toBe('JE_OVERLOADED');
  });

  it('a 5xx JourneyError shows only its registry summary', async () => {
    const engine = new FakeEngine();
    engine.acceptError = new JourneyError('JE_STORE_UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.7:3306 user=root');
    const { app } = devApi(engine);
    const res = await post(app, OPEN_URL, OPEN);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).not.toContain('10.0.0.7');
    expect(res.json()).toEqual({ error: { code: 'JE_STORE_UNAVAILABLE', message: 'The MariaDB store cannot be reached.', details: {} } });
  });

  it('anything else → 500 JE_INTERNAL with a generic message, never the stack', async () => {
    const engine = new FakeEngine();
    engine.acceptError = new TypeError("Cannot read properties of undefined (reading 'secret')");
    const { app } = devApi(engine);
    const res = await post(app, OPEN_URL, OPEN);
    expect(res.statusCode).toBe(500);
    const body = res.json<ErrorAnswer>();
    expect(body.error.code).toBe('JE_INTERNAL');
    expect(res.body).not.toContain('secret');
    expect(res.body).not.toContain('at ');
  });
});

describe('fastify errors use the same envelope', () => {
  it('unknown route → 404 JE_NOT_FOUND', async () => {
    const { app } = devApi();
    const res = await app.inject({ url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json<ErrorAnswer>().error.code).toBe('JE_NOT_FOUND');
    expect((await app.inject({ method: 'DELETE', url: '/journeys/01J00000000000000000000001' })).statusCode).toBe(404);
  });

  it("the router's own errors (undecodable URL, over-long parameter) → 400 in the envelope", async () => {
    const { app } = devApi();
    for (const url of ['/journeys/%zz', `/journeys/${'A'.repeat(200)}`, `/journeys/${'A'.repeat(200)}/events`]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<ErrorAnswer>().error.code).toBe('JE_BAD_REQUEST');
    }
  });

  it('malformed JSON → 400 JE_BAD_REQUEST', async () => {
    const { app } = devApi();
    for (const body of ['{"type":', '{type: "OpenWallet"}', '', '   ', "{'a':1}", '{"a":1}{"b":2}', 'NaN']) {
      const res = await post(app, OPEN_URL, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<ErrorAnswer>().error.code).toBe('JE_BAD_REQUEST');
    }
  });

  it('a body without a content type → 415; no body at all → 400', async () => {
    const { app } = devApi();
    const noType = await app.inject({ method: 'POST', url: OPEN_URL, headers: { 'x-dev-sender': 'alice' }, payload: JSON.stringify(OPEN) });
    expect(noType.statusCode).toBe(415);
    const noBody = await app.inject({ method: 'POST', url: OPEN_URL, headers: { 'x-dev-sender': 'alice' } });
    expect(noBody.statusCode).toBe(400);
    expect(noBody.json<ErrorAnswer>().error.details['violations']).toEqual([{ pointer: '', message: 'must be object' }]);
  });

  it('wrong content type → 415', async () => {
    const { app } = devApi();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await post(app, OPEN_URL, JSON.stringify(OPEN), { 'content-type': contentType });
      expect(res.statusCode, contentType).toBe(415);
      expect(res.json<ErrorAnswer>().error.code).toBe('JE_UNSUPPORTED_MEDIA_TYPE');
    }
    const charset = await post(app, OPEN_URL, JSON.stringify(OPEN), { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.statusCode).toBe(202);
  });

  it('a body over the limit → 413 naming the limit', async () => {
    const { app } = devApi(new FakeEngine(), { bodyLimitBytes: 2048 });
    const res = await post(app, OPEN_URL, { type: 'OpenWallet', data: { owner: 'x'.repeat(4096), currency: 'EUR' } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: 'JE_PAYLOAD_TOO_LARGE', details: { limitBytes: 2048 } } });
  });

  it('route schema violations → 400 with every violation and its pointer', async () => {
    const { app, engine } = devApi();
    const res = await post(app, OPEN_URL, { type: 42, extra: true });
    expect(res.statusCode).toBe(400);
    const { details } = res.json<ErrorAnswer>().error;
    expect(details['location']).toBe('body');
    expect(details['violations']).toEqual(
      expect.arrayContaining([
        { pointer: '/type', message: 'must be string' },
        { pointer: '/data', message: "must have required property 'data'" },
        { pointer: '/extra', message: 'is not allowed here' },
      ]),
    );
    expect(engine.submitted).toHaveLength(0);
  });

  it('types are not coerced in bodies', async () => {
    const { app } = devApi();
    for (const body of [
      { type: 'OpenWallet', data: [] },
      { type: 'OpenWallet', data: 'x' },
      { type: ['OpenWallet'], data: {} },
      [OPEN],
      'just a string',
      42,
      null,
    ]) {
      const res = await post(app, OPEN_URL, JSON.stringify(body));
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('hostile bodies are refused at the edge', () => {
  it('nesting deeper than maxJsonDepth → 400 before parsing', async () => {
    const { app, engine } = devApi();
    const ok = await post(app, OPEN_URL, { type: 'OpenWallet', data: nested(31) }); // 32 levels with the body itself
    expect(ok.statusCode).toBe(202);
    const deep = await post(app, OPEN_URL, { type: 'OpenWallet', data: nested(32) });
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST', details: { reason: 'depth', maxJsonDepth: 32 } } });
    const brackets = await post(app, OPEN_URL, '['.repeat(50_000));
    expect(brackets.statusCode).toBe(400);
    // Brackets inside strings do not count.
    const inString = await post(app, OPEN_URL, { type: 'OpenWallet', data: { owner: '[[[[{{{{'.repeat(10), currency: 'EUR' } });
    expect(inString.statusCode).toBe(202);
    expect(engine.submitted).toHaveLength(2);
  });

  it.each([
    ['a lone high surrogate', '{"type":"OpenWallet","data":{"owner":"\\ud800","currency":"EUR"}}', '/data/owner'],
    ['a lone low surrogate in a key', '{"type":"OpenWallet","data":{"\\udc00":"x"}}', '/data/\udc00'],
    ['NUL in a value', '{"type":"OpenWallet","data":{"owner":"al\\u0000ice"}}', '/data/owner'],
    ['NUL in a key', '{"type":"OpenWallet","data":{"own\\u0000er":"alice"}}', '/data/own\u0000er'],
    ['an infinite number', '{"type":"OpenWallet","data":{"amount":1e400}}', '/data/amount'],
    ['an unsafe integer', '{"type":"OpenWallet","data":{"amount":12345678901234567890}}', '/data/amount'],
    ['__proto__', '{"type":"OpenWallet","data":{"__proto__":{"admin":true}}}', '/data/__proto__'],
    ['constructor.prototype', '{"type":"OpenWallet","data":{"constructor":{"prototype":{"x":1}}}}', '/data/constructor'],
  ])('%s → 400 naming %s', async (_name, body, pointer) => {
    const { app, engine } = devApi();
    const res = await post(app, OPEN_URL, body);
    expect(res.statusCode).toBe(400);
    const error = res.json<ErrorAnswer>().error;
    expect(error.code).toBe('JE_BAD_REQUEST');
    expect(error.details['violations']).toEqual([expect.objectContaining({ pointer })]);
    expect(engine.submitted).toHaveLength(0);
  });

  it('surrogate pairs (emoji) and other unicode are fine', async () => {
    const { app, engine } = devApi();
    const res = await post(app, OPEN_URL, { type: 'OpenWallet', data: { owner: 'Zoë 👩‍💻 中文 \u202E', currency: 'EUR' } });
    expect(res.statusCode).toBe(202);
    expect(engine.submitted[0]?.request.event.payload['owner']).toBe('Zoë 👩‍💻 中文 \u202E');
  });

  it('invalid UTF-8 → 400', async () => {
    const { app } = devApi();
    const res = await app.inject({
      method: 'POST',
      url: OPEN_URL,
      headers: { 'content-type': 'application/json' },
      payload: Buffer.concat([Buffer.from('{"type":"OpenWallet","data":{"owner":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'JE_BAD_REQUEST', details: { reason: 'encoding' } } });
  });

  it('idempotency keys with control characters or too long → 400', async () => {
    const { app, engine } = devApi();
    for (const key of ['a b', 'x'.repeat(129), 'ключ']) {
      const res = await post(app, OPEN_URL, OPEN, { 'idempotency-key': key });
      expect(res.statusCode, key).toBe(400);
    }
    expect(engine.submitted).toHaveLength(0);
  });
});

describe('rate limiting', () => {
  const read = (app: ReturnType<typeof devApi>['app'], headers: Record<string, string> = {}) =>
    app.inject({ url: '/journeys/01J00000000000000000000001', headers: { 'x-dev-sender': 'alice', ...headers } });

  it('limits each sender separately with 429 and Retry-After; reads and writes have a budget each', async () => {
    const { app } = devApi(new FakeEngine(), { rateLimit: { by: 'sender', perMinute: 2 } });
    expect((await post(app, OPEN_URL, OPEN)).statusCode).toBe(202);
    expect((await post(app, OPEN_URL, OPEN)).statusCode).toBe(202);
    const limited = await post(app, OPEN_URL, OPEN);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'JE_RATE_LIMITED', details: { limitPerMinute: 2, by: 'sender', budget: 'write' } } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // A client polling the status of what it sent is not refused because it sent a lot.
    expect((await read(app)).statusCode).toBe(200);
    expect((await read(app)).statusCode).toBe(200);
    expect((await read(app)).json()).toMatchObject({ error: { code: 'JE_RATE_LIMITED', details: { budget: 'read' } } });
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'bob' })).statusCode).toBe(202);
    // The same sender name in another tenant is another caller.
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-tenant': 'bank-b' })).statusCode).toBe(202);
    // Operations routes are never limited.
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('per tenant: the senders of one tenant share its budget, other tenants have their own', async () => {
    const { app } = devApi(new FakeEngine(), { rateLimit: { by: 'tenant', perMinute: 2 } });
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'alice', 'x-dev-tenant': 'bank-a' })).statusCode).toBe(202);
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'bob', 'x-dev-tenant': 'bank-a' })).statusCode).toBe(202);
    const limited = await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'carol', 'x-dev-tenant': 'bank-a' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'JE_RATE_LIMITED', details: { limitPerMinute: 2, by: 'tenant', budget: 'write' } } });
    expect(limited.json<ErrorAnswer>().error.message).toContain('tenant');
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'carol', 'x-dev-tenant': 'bank-b' })).statusCode).toBe(202);
    // Callers that name no tenant share the default tenant's budget.
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'dave' })).statusCode).toBe(202);
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'erin' })).statusCode).toBe(202);
    expect((await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'frank' })).statusCode).toBe(429);
  });

  it('exempt senders and a limiter that is off pass', async () => {
    const exempt = devApi(new FakeEngine(), { rateLimit: { perMinute: 1, exemptSenders: ['batch'] } });
    for (let i = 0; i < 3; i++) expect((await post(exempt.app, OPEN_URL, OPEN, { 'x-dev-sender': 'batch' })).statusCode).toBe(202);
    const tenantExempt = devApi(new FakeEngine(), { rateLimit: { by: 'tenant', perMinute: 1, exemptSenders: ['batch'] } });
    for (let i = 0; i < 3; i++) expect((await post(tenantExempt.app, OPEN_URL, OPEN, { 'x-dev-sender': 'batch' })).statusCode).toBe(202);
    expect((await post(tenantExempt.app, OPEN_URL, OPEN)).statusCode).toBe(202);
    const off = devApi(new FakeEngine(), { rateLimit: { by: 'off', perMinute: 1 } });
    for (let i = 0; i < 3; i++) expect((await post(off.app, OPEN_URL, OPEN)).statusCode).toBe(202);
  });

  it('the default lets one service sender drive 1,200 deposits and read their status, all quickly', async () => {
    // Issue 12: one service sender driving 1,100 deposits was held to 10 requests a second.
    const { app, engine } = devApi();
    const opened = await post(app, OPEN_URL, OPEN, { 'x-dev-sender': 'payments-service' });
    const { journeyId } = opened.json<{ journeyId: string }>();
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    for (let i = 0; i < 1_200; i++) {
      count((await post(app, `/journeys/${journeyId}/events`, { type: 'Deposit', data: { amount: 1 } }, { 'x-dev-sender': 'payments-service' })).statusCode);
      count((await app.inject({ url: `/journeys/${journeyId}`, headers: { 'x-dev-sender': 'payments-service' } })).statusCode);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 202: 1_200, 200: 1_200 });
    expect(engine.submitted).toHaveLength(1_201);
  });
});
