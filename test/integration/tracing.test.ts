/**
 * Tracing on (issue 15 item 4): the SDK as `journey serve` installs it, exporting over OTLP/HTTP
 * (JSON) to a real receiver on loopback, and the real engine (MariaDB, the Redis Cluster, BullMQ)
 * behind the real HTTP API. An event sent with a W3C `traceparent` yields spans of that trace:
 * the HTTP request → intake → the event's handling → its commit; a journey's back-end call has a
 * span under its handling, and the HTTP adapter passes the trace on to the back end.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { startTracing } from '../../cli/tracing.js';
import type { Tracing } from '../../cli/tracing.js';
import { silentLogger, tracingOn } from '../../common/index.js';
import { httpBackend } from '../../engine/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { quoteJourney } from '../support/quote-journey.js';
import type { QuoteJourney } from '../support/quote-journey.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { until, waitFor } from '../support/wait.js';
import { walletJourney } from '../support/wallet.js';

/** A span as the OTLP/HTTP JSON encoding carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }>;
  links?: Array<{ traceId: string; spanId: string }>;
}
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}

const exports: OtlpExport[] = [];
const contentTypes: string[] = [];
const backendHeaders: IncomingHttpHeaders[] = [];
let receiver: Server;
let backend: Server;
let tracing: Tracing | null;
let quote: QuoteJourney | undefined;
let database: TestDatabase;
let node: TestEngine;
let app: ReturnType<typeof buildApi>;
let base: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

const spans = (): OtlpSpan[] => exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const attribute = (span: OtlpSpan | undefined, key: string): unknown => {
  const value = span?.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? value?.boolValue : Number(value.intValue));
};
const traceparent = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`;
const hex = (length: number): string => Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/** The spans of `traceId` exported once `complete` holds for them (flushing meanwhile). */
function exported(traceId: string, complete: (spans: OtlpSpan[]) => boolean): Promise<OtlpSpan[]> {
  return waitFor(`the spans of trace ${traceId}`, async () => {
    await tracing?.flush();
    const ofTrace = spans().filter((s) => s.traceId === traceId);
    return complete(ofTrace) ? ofTrace : undefined;
  });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces') exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const collector = await listen(receiver);
  backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      backendHeaders.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"price":7}');
    });
  });
  const pricingUrl = `${await listen(backend)}/quote`;

  tracing = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: collector }, 'trace-node', silentLogger());
  expect(tracingOn()).toBe(true);

  quote = await quoteJourney();
  database = await createTestDatabase();
  node = await startTestEngine({
    databaseUrl: database.url,
    seeds: gridSeeds(),
    keyPrefix: database.name,
    nodeId: 'trace-node',
    journeys: [await walletJourney(), ...quote.journeys],
    partitionCount: 4,
    workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
    backends: { 'pricing.quote': httpBackend({ name: 'pricing.quote', url: pricingUrl, timeoutMs: 2_000 }) },
    calls: { attempts: 2, backoffMs: 50 },
  });
  app = buildApi(node.engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  await until('the node to own its partitions', async () => (await node.engine.readiness()).ready);
});

afterAll(async () => {
  await app?.close();
  await node?.stop();
  await tracing?.shutdown();
  await database?.drop();
  await close(receiver);
  await close(backend);
  await quote?.remove();
});

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown>; requestId: string | null }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dev-sender': 'alice', 'x-dev-roles': 'customer', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, requestId: response.headers.get('x-request-id') };
}

describe('tracing over OTLP', () => {
  it('continues the caller’s trace: HTTP request → intake → handling → commit, with the request id and the journey’s attributes', async () => {
    const traceId = hex(32);
    const callerSpan = hex(16);
    const opened = await post(
      '/journeys/pfm/wallet/1.0/events?wait=5000',
      { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } },
      { traceparent: traceparent(traceId, callerSpan), 'x-request-id': 'req-trace-1' },
    );
    expect(opened.status).toBe(200);
    expect(opened.requestId).toBe('req-trace-1');
    const journeyId = String(opened.json['journeyId']);
    const eventId = String(opened.json['eventId']);

    // The request's span ends once the response is out: it may follow the answer by a moment.
    const ofTrace = await exported(traceId, (of) => of.some((s) => s.parentSpanId === callerSpan) && of.some((s) => s.name === 'journey.commit'));
    expect(contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
    const http = ofTrace.find((s) => s.parentSpanId === callerSpan);
    expect(http).toMatchObject({ name: 'POST /journeys/:s1/:s2/:version/events', kind: 2 });
    expect(attribute(http, 'journey.request.id')).toBe('req-trace-1');
    expect(attribute(http, 'http.response.status_code')).toBe(200);
    const accept = ofTrace.find((s) => s.name === 'journey.accept');
    expect(accept?.parentSpanId).toBe(http?.spanId);
    expect(attribute(accept, 'journey.id')).toBe(journeyId);
    expect(attribute(accept, 'journey.event.id')).toBe(eventId);
    const handle = ofTrace.find((s) => s.name === 'journey.handle');
    expect(handle?.parentSpanId).toBe(accept?.spanId);
    expect({
      journey: attribute(handle, 'journey.id'),
      type: attribute(handle, 'journey.type'),
      version: attribute(handle, 'journey.version'),
      event: attribute(handle, 'journey.event.type'),
      eventId: attribute(handle, 'journey.event.id'),
      outcome: attribute(handle, 'journey.outcome'),
    }).toEqual({ journey: journeyId, type: 'pfm/wallet', version: '1.0', event: 'OpenWallet', eventId, outcome: 'applied' });
    expect(typeof attribute(handle, 'journey.partition')).toBe('number');
    const commit = ofTrace.find((s) => s.name === 'journey.commit');
    expect(commit?.parentSpanId).toBe(handle?.spanId);
    expect(commit?.links).toEqual([expect.objectContaining({ traceId, spanId: handle?.spanId })]);
    // Names and ids only: no payload or data in any attribute.
    const values = ofTrace.flatMap((s) => (s.attributes ?? []).map((a) => JSON.stringify(a.value)));
    expect(values.filter((v) => v.includes('EUR'))).toEqual([]);
    const resource = exports[0]?.resourceSpans[0]?.resource.attributes ?? [];
    expect(Object.fromEntries(resource.map((a) => [a.key, a.value.stringValue]))).toMatchObject({
      'service.name': 'journey-engine',
      'service.instance.id': 'trace-node',
    });
  });

  it('an event accepted on an API-only node is handled by the worker node in the same trace', async () => {
    const apiNode = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'trace-api-node',
      journeys: [await walletJourney()],
      partitionCount: 4,
      worker: false,
    });
    const apiOnly = buildApi(apiNode.engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
    try {
      const traceId = hex(32);
      const response = await apiOnly.inject({
        method: 'POST',
        url: '/journeys/pfm/wallet/1.0/events?wait=5000',
        headers: { 'content-type': 'application/json', 'x-dev-sender': 'bob', traceparent: traceparent(traceId, hex(16)) },
        payload: JSON.stringify({ type: 'OpenWallet', data: { owner: 'bob', currency: 'EUR' } }),
      });
      expect(response.json()).toMatchObject({ outcome: 'applied' });
      const ofTrace = await exported(traceId, (of) => of.some((s) => s.name === 'journey.commit'));
      const accept = ofTrace.find((s) => s.name === 'journey.accept');
      const handle = ofTrace.find((s) => s.name === 'journey.handle');
      expect(handle?.parentSpanId).toBe(accept?.spanId);
      expect(ofTrace.find((s) => s.name === 'journey.commit')?.parentSpanId).toBe(handle?.spanId);
    } finally {
      await apiOnly.close();
      await apiNode.stop();
    }
  });

  it('a back-end call has its span under the handling that made it, and the back end gets the trace', async () => {
    const traceId = hex(32);
    const asked = await post('/journeys/ops/quote/1.0/events', { type: 'Ask', data: {} }, { traceparent: traceparent(traceId, hex(16)) });
    expect(asked.status).toBe(202);
    const journeyId = String(asked.json['journeyId']);
    await until('the quote', async () => (await node.engine.getJourney(journeyId))?.data?.['status'] === 'quoted');
    expect(backendHeaders.at(-1)?.['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const ofTrace = await exported(traceId, (of) => of.some((s) => s.name === 'backend pricing.quote'));
    const handle = ofTrace.find((s) => s.name === 'journey.handle' && attribute(s, 'journey.event.type') === 'Ask');
    const call = ofTrace.find((s) => s.name === 'backend pricing.quote');
    expect(call).toMatchObject({ kind: 3, parentSpanId: handle?.spanId });
    expect(attribute(call, 'journey.id')).toBe(journeyId);
    expect(attribute(call, 'journey.call.system')).toBe('pricing');
    // The back end's own span would be the child of the call's: the header names it.
    expect(backendHeaders.at(-1)?.['traceparent']).toBe(traceparent(traceId, call?.spanId ?? ''));
  });
});
