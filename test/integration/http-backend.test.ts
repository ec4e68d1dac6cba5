/**
 * The built-in HTTP adapter against a real HTTP server on loopback (node:http): the request it
 * sends (JSON, the configured headers, `Idempotency-Key` = the call's outbox id), and what each
 * kind of answer becomes: a reply, a retryable failure that counts against the breaker
 * (`JE_BACKEND_FAILED`: 5xx, 408, 429, a timeout, no connection, a body that is not a JSON object)
 * or a refusal that is not retried (`JE_BACKEND_REFUSED`: other 4xx, redirects).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { httpBackend } from '../../engine/index.js';
import type { BackendHandler } from '../../engine/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
/** What the server does for the next request, by path. */
const routes = new Map<string, (res: ServerResponse) => void>();
let server: Server;
let base = '';

const meta = { callId: '01JABCDEFGHJKMNPQRSTVWXYZ0', journeyId: 'J1', attempt: 1 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const route = routes.get(req.url ?? '');
      if (route) route(res);
      else res.writeHead(404).end('no such route');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function reply(status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): (res: ServerResponse) => void {
  return (res) => res.writeHead(status, headers).end(body);
}

async function failure(handler: BackendHandler | undefined): Promise<unknown> {
  return handler?.({ item: 'widget' }, meta).then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
}

describe('the HTTP adapter', () => {
  it('posts the request as JSON with the Idempotency-Key and configured headers, and takes the JSON object answered', async () => {
    routes.set('/quote', reply(200, '{"price":42,"currency":"EUR"}'));
    const handler = httpBackend({ name: 'pricing.quote', url: `${base}/quote`, headers: { Authorization: 'Bearer t0ken' } });
    await expect(handler({ item: 'widget', count: 2 }, meta)).resolves.toEqual({ price: 42, currency: 'EUR' });
    const request = seen.at(-1);
    expect(request).toMatchObject({ method: 'POST', url: '/quote' });
    expect(JSON.parse(request?.body ?? '')).toEqual({ item: 'widget', count: 2 });
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': meta.callId,
      authorization: 'Bearer t0ken',
    });
  });

  it('sends the same Idempotency-Key on every attempt of a call, with the method configured', async () => {
    routes.set('/book', reply(201, '{"bookingId":"B1"}'));
    const handler = httpBackend({ name: 'booking.book', url: `${base}/book`, method: 'PUT' });
    await handler({}, { ...meta, attempt: 1 });
    await handler({}, { ...meta, attempt: 2 });
    const keys = seen.slice(-2).map((r) => [r.method, r.headers['idempotency-key']]);
    expect(keys).toEqual([
      ['PUT', meta.callId],
      ['PUT', meta.callId],
    ]);
  });

  it('takes an empty 2xx answer as {}', async () => {
    routes.set('/empty', reply(204, ''));
    await expect(httpBackend({ name: 'a.b', url: `${base}/empty` })({}, meta)).resolves.toEqual({});
  });

  it.each([
    [503, '{"error":"maintenance"}', /a\.b: HTTP 503: \{"error":"maintenance"\}/],
    [500, 'boom', /HTTP 500: boom/],
    [429, 'slow down', /HTTP 429/],
    [408, '', /HTTP 408$/],
  ])('HTTP %i is a retryable failure (JE_BACKEND_FAILED)', async (status, body, message) => {
    routes.set(`/status-${status}`, reply(status, body));
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/status-${status}` }));
    expect(isJourneyError(error, 'JE_BACKEND_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it.each([400, 401, 404, 409, 422])('HTTP %i is a refusal, not retried (JE_BACKEND_REFUSED)', async (status) => {
    routes.set(`/status-${status}`, reply(status, '{"error":"no"}'));
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/status-${status}` }));
    expect(isJourneyError(error, 'JE_BACKEND_REFUSED')).toBe(true);
    expect((error as Error).message).toBe(`a.b refused the call: HTTP ${status}: {"error":"no"}`);
  });

  it('does not follow a redirect: a refusal naming it', async () => {
    routes.set('/moved', reply(302, '', { location: `${base}/quote` }));
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/moved` }));
    expect(error).toMatchObject({ code: 'JE_BACKEND_REFUSED', message: expect.stringContaining('redirects are not followed') as unknown });
  });

  it('a back end that does not answer within timeoutMs fails the attempt', async () => {
    routes.set('/slow', (res) => setTimeout(() => res.writeHead(200).end('{}'), 2_000));
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/slow`, timeoutMs: 200 }));
    expect(error).toMatchObject({ code: 'JE_BACKEND_FAILED', message: 'a.b: no answer within 200 ms' });
  });

  it('a body that stalls after the headers is cut by the same timeout', async () => {
    routes.set('/stall', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"price":');
    });
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/stall`, timeoutMs: 300 }));
    expect(error).toMatchObject({ code: 'JE_BACKEND_FAILED', message: 'a.b: no answer within 300 ms' });
  });

  it('no connection is a retryable failure, and the URL is not in the message', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(httpBackend({ name: 'a.b', url: `http://127.0.0.1:${port}/x?key=secret` }));
    expect(error).toMatchObject({ code: 'JE_BACKEND_FAILED', message: 'a.b: could not be reached (ECONNREFUSED)' });
    expect((error as Error).message).not.toContain('secret');
  });

  it('refuses a URL that is not http(s) or carries a user or password, without echoing it', () => {
    for (const url of ['ftp://host/x', 'not a url', 'http://user:secret@host/x']) {
      expect(() => httpBackend({ name: 'a.b', url })).toThrow(/a\.b: the URL must be http or https, without a user or password/);
    }
  });

  it.each([
    ['not JSON', 'not json', /not JSON/],
    ['JSON that is not an object', '[1,2]', /not an object/],
  ])('a 2xx answer with %s is a retryable failure', async (_what, body, message) => {
    routes.set('/odd', reply(200, body));
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/odd` }));
    expect(isJourneyError(error, 'JE_BACKEND_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('an answer longer than maxResponseBytes is a failure', async () => {
    routes.set('/big', reply(200, JSON.stringify({ blob: 'x'.repeat(5_000) })));
    const error = await failure(httpBackend({ name: 'a.b', url: `${base}/big`, maxResponseBytes: 1_000 }));
    expect(error).toMatchObject({ code: 'JE_BACKEND_FAILED', message: 'a.b: HTTP 200: the answer is longer than 1000 bytes' });
  });

  it('with a queryUrl it can say what the back end did with calls (reconciliation); without one it has no query', async () => {
    const done = { status: 'done', reply: { price: 42 } };
    routes.set('/quote/query', reply(200, JSON.stringify({ calls: { [meta.callId]: done } })));
    const handler = httpBackend({ name: 'pricing.quote', url: `${base}/quote`, queryUrl: `${base}/quote/query`, headers: { Authorization: 'Bearer t0ken' } });
    await expect(handler.query?.([meta.callId, '01JABCDEFGHJKMNPQRSTVWXYZ1'])).resolves.toEqual({ [meta.callId]: done });
    const request = seen.at(-1);
    expect(request).toMatchObject({ method: 'POST', url: '/quote/query' });
    expect(JSON.parse(request?.body ?? '')).toEqual({ callIds: [meta.callId, '01JABCDEFGHJKMNPQRSTVWXYZ1'] });
    expect(request?.headers).toMatchObject({ authorization: 'Bearer t0ken' });
    expect(request?.headers).not.toHaveProperty('idempotency-key');

    routes.set('/quote/query', reply(200, '{"found":[]}'));
    await expect(handler.query?.([meta.callId])).rejects.toMatchObject({
      code: 'JE_BACKEND_FAILED',
      message: 'pricing.quote: query: HTTP 200 without a "calls" object',
    });
    routes.set('/quote/query', reply(503, 'down'));
    await expect(handler.query?.([meta.callId])).rejects.toMatchObject({ code: 'JE_BACKEND_FAILED' });
    expect(httpBackend({ name: 'pricing.quote', url: `${base}/quote` }).query).toBeUndefined();
    expect(() => httpBackend({ name: 'a.b', url: `${base}/x`, queryUrl: 'ftp://user:secret@example.test/q' })).toThrow(
      'a.b: the query URL must be http or https, without a user or password',
    );
  });

  it('refuses configured headers it sets itself', () => {
    expect(() => httpBackend({ name: 'a.b', url: `${base}/x`, headers: { 'Idempotency-Key': 'fixed' } })).toThrow(/Idempotency-Key is set by the HTTP adapter/);
  });
});
