/**
 * A back end behind the built-in HTTP adapter and its circuit breaker, on the real engine
 * (MariaDB, the Redis Cluster, BullMQ):
 *
 * - the back end fails (HTTP 503): the first journey's call spends its retries and dead-letters;
 *   those failures open the breaker, and the journeys that call while it is open take their
 *   fallback (the failure event their call declares) at once, without the back end being asked;
 * - the back end recovers: once `openMs` has passed, the next call goes as a probe, succeeds, and
 *   the breaker closes; the calls after it go through as usual;
 * - the breaker's state is in the grid, sealed with its MAC: a state written there by hand is not
 *   taken (counted as forged), so it cannot make calls fail.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../cache-store/index.js';
import type { CompiledJourney, EventContext } from '../../dsl/index.js';
import { callQueuePrefix, parseBackendsConfig } from '../../engine/index.js';
import type { EventView, JourneyEngine } from '../../engine/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { quoteJourney } from '../support/quote-journey.js';
import type { QuoteJourney } from '../support/quote-journey.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { waitFor } from '../support/wait.js';

/** A probe that fails (the store or the grid away for a moment) counts as not yet. */
const waitForSettled = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> =>
  waitFor(what, () => probe().catch(() => undefined), timeoutMs);

const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
/** How long the breaker stays open before it lets a probe through. */
const OPEN_MS = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The back end: answers a price while healthy, 503 otherwise; records each request's Idempotency-Key. */
const backend = { healthy: false, asked: [] as string[] };
let server: Server;
let url = '';
let quote: QuoteJourney | undefined;
let journeys: CompiledJourney[];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      backend.asked.push(String(req.headers['idempotency-key']));
      if (backend.healthy) res.writeHead(200, { 'content-type': 'application/json' }).end('{"price":7}');
      else res.writeHead(503).end('maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/quote`;

  quote = await quoteJourney('status = "failed", reason = event.reason, attempts = event.attempts');
  journeys = quote.journeys;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await quote?.remove();
});

/** A node of its own (database, key namespace) whose pricing back end is configured as `journey serve` reads BACKENDS_CONFIG. */
async function startNode(whenOpen: 'fallback' | 'wait'): Promise<{ node: TestEngine; stop: () => Promise<void> }> {
  const configured = parseBackendsConfig(
    {
      http: { 'pricing.quote': { url: { env: 'PRICING_URL' }, timeoutMs: 2_000 } },
      breakers: { pricing: { failureThreshold: 3, failureRatio: 0.5, windowMs: 60_000, openMs: OPEN_MS, whenOpen } },
    },
    { PRICING_URL: url },
    'BACKENDS_CONFIG',
  );
  const keyPrefix = testNamespace();
  const database: TestDatabase = await createTestDatabase();
  const started = await startTestEngine({
    databaseUrl: database.url,
    seeds: gridSeeds(),
    keyPrefix,
    nodeId: 'breaker-node',
    journeys,
    partitionCount: 4,
    workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
    backends: configured.handlers,
    breakers: configured.breakers,
    calls: { attempts: 3, backoffMs: 50 },
  });
  prefixes.set(started, keyPrefix);
  return {
    node: started,
    async stop() {
      const clusterId = await openJournal(started.store).ensureClusterId();
      const queue = new Queue('calls', { connection: await started.grid.duplicate(), prefix: callQueuePrefix(keyPrefix, clusterId) });
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await started.grid.client.del(started.grid.keys.forCluster(clusterId).breaker('pricing'));
      await started.stop();
      await database.drop();
    },
  };
}

let node: TestEngine;
const prefixes = new WeakMap<TestEngine, string>();
const prefixOf = (of: TestEngine): string => prefixes.get(of) ?? '';

async function ask(engine: JourneyEngine): Promise<string> {
  const accepted = await engine.accept({ kind: 'initiate', journeyType: 'ops/quote', version: '1.0', event: { type: 'Ask', payload: {} }, context: alice });
  expect(await engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
  return accepted.journeyId;
}

/** The journey's reply or failure event, once handled. */
async function answer(engine: JourneyEngine, journeyId: string): Promise<EventView> {
  return waitForSettled(`the answer to ${journeyId}`, async () =>
    (await engine.listEvents(journeyId, { limit: 10 })).items.find((e) => e.type !== 'Ask' && e.status === 'applied'),
  );
}

async function outboxId(journeyId: string): Promise<string> {
  const rows = await node.store.query<{ outbox_id: string }>('SELECT outbox_id FROM outbox WHERE journey_id = ?', [journeyId]);
  return rows[0]?.outbox_id ?? '';
}

const metric = async (line: RegExp): Promise<string | undefined> => (await node.engine.metricsText()).split('\n').find((l) => line.test(l));

describe('an HTTP back end that fails opens its breaker, and the journeys take their fallback', () => {
  let stop: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    backend.healthy = false;
    ({ node, stop } = await startNode('fallback'));
  });
  afterAll(() => stop());

  it('dead-letters the first call after its retries; they open the breaker', async () => {
    const first = await ask(node.engine);
    const failed = await answer(node.engine, first);
    expect(failed.type).toBe('QuoteFailed');
    expect(failed.payload).toEqual({ reason: 'pricing.quote: HTTP 503: maintenance', attempts: 3 });
    // Every attempt carried the call's outbox id as its Idempotency-Key.
    expect(backend.asked).toEqual(Array.from({ length: 3 }, () => backend.asked[0]));
    expect(backend.asked[0]).toBe(await outboxId(first));
    await waitForSettled('the breaker to open', async () => ((await metric(/^je_backend_breaker_state\{system="pricing"\} 2$/)) ? true : undefined));
    expect(await metric(/^je_backend_breaker_transitions_total\{system="pricing",from="closed",to="open"\}/)).toMatch(/ 1$/);
  });

  it('while it is open, calls fail fast to their failure event and the back end is not asked', async () => {
    const before = backend.asked.length;
    const journeysAsked = [await ask(node.engine), await ask(node.engine)];
    for (const journeyId of journeysAsked) {
      const fallback = await answer(node.engine, journeyId);
      expect(fallback.type).toBe('QuoteFailed');
      expect(fallback.payload).toEqual({ reason: 'circuit open: back end pricing has been failing; the call was not made', attempts: 0 });
      expect((await node.engine.getJourney(journeyId))?.data).toMatchObject({ status: 'failed', attempts: 0 });
      const rows = await node.store.query<{ status: string }>('SELECT status FROM outbox WHERE journey_id = ?', [journeyId]);
      expect(rows).toEqual([{ status: 'dead' }]);
    }
    expect(backend.asked.length).toBe(before);
    expect(await metric(/^je_backend_breaker_rejected_total\{system="pricing"\}/)).toMatch(/ 2$/);
  });

  it('keeps its state in the grid, sealed: a state written there by hand is not taken', async () => {
    const clusterId = await openJournal(node.store).ensureClusterId();
    const key = node.grid.keys.forCluster(clusterId).breaker('pricing');
    const stored = await node.grid.client.get(key);
    expect(stored).toMatch(/^\{"mac":"[A-Za-z0-9_-]{43}","state":"open"/);
  });

  it('when the back end recovers, the breaker half-opens after openMs, its probe succeeds, and it closes', async () => {
    backend.healthy = true;
    // Past openMs since it opened (the state machine's times are unit-tested; here only the order).
    await sleep(OPEN_MS + 200);
    const probe = await ask(node.engine);
    expect(await answer(node.engine, probe)).toMatchObject({ type: 'Quoted', payload: { price: 7 } });
    expect(backend.asked.at(-1)).toBe(await outboxId(probe));
    await waitForSettled('the breaker to close', async () => ((await metric(/^je_backend_breaker_state\{system="pricing"\} 0$/)) ? true : undefined));
    const text = await node.engine.metricsText();
    expect(text).toContain('je_backend_breaker_transitions_total{system="pricing",from="open",to="half-open"} 1');
    expect(text).toContain('je_backend_breaker_transitions_total{system="pricing",from="half-open",to="closed"} 1');
    // Closed: calls go through as usual.
    const after = await ask(node.engine);
    expect(await answer(node.engine, after)).toMatchObject({ type: 'Quoted', payload: { price: 7 } });
  });

  it('a forged "open" state in Redis is dropped and counted; calls still go', async () => {
    const clusterId = await openJournal(node.store).ensureClusterId();
    const key = node.grid.keys.forCluster(clusterId).breaker('pricing');
    const forged = {
      state: 'open',
      windowStartMs: 0,
      failures: 0,
      successes: 0,
      openedAtMs: Date.now() + 3_600_000,
      probes: 0,
      probesUntilMs: 0,
      probeSuccesses: 0,
    };
    await node.grid.client.set(key, JSON.stringify(forged));
    const journeyId = await ask(node.engine);
    expect(await answer(node.engine, journeyId)).toMatchObject({ type: 'Quoted' });
    expect(await metric(/^je_grid_forged_total\{kind="breaker",reason="unsigned"\}/)).toBeDefined();
  });
});

describe('a back end whose calls wait while its breaker is open', () => {
  let stop: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    backend.healthy = false;
    backend.asked.length = 0;
    ({ node, stop } = await startNode('wait'));
  });
  afterAll(() => stop());

  it('holds a call while open, without spending its attempts, and it gets the reply once the back end recovers', async () => {
    const first = await ask(node.engine);
    expect(await answer(node.engine, first)).toMatchObject({ type: 'QuoteFailed', payload: { attempts: 3 } });
    await waitForSettled('the breaker to open', async () => ((await metric(/^je_backend_breaker_state\{system="pricing"\} 2$/)) ? true : undefined));
    const held = await ask(node.engine);
    await waitForSettled('the call to be held', async () =>
      (await metric(/^je_backend_breaker_rejected_total\{system="pricing"\} [1-9]/)) ? true : undefined,
    );
    // Held: no answer, the row still pending, the back end not asked for it.
    expect((await node.engine.listEvents(held, { limit: 10 })).items.map((e) => e.type)).toEqual(['Ask']);
    const rows = await node.store.query<{ status: string }>('SELECT status FROM outbox WHERE journey_id = ?', [held]);
    expect(rows).toEqual([{ status: 'pending' }]);
    expect(backend.asked).not.toContain(await outboxId(held));
    backend.healthy = true;
    // Its job runs again when a probe may go (openMs after the breaker opened): it is the probe.
    expect(await answer(node.engine, held)).toMatchObject({ type: 'Quoted', payload: { price: 7 } });
    expect(backend.asked.filter((id) => id === backend.asked.at(-1))).toHaveLength(1);
    // The hold spent no attempt: the job ran once as far as its retry budget knows.
    const clusterId = await openJournal(node.store).ensureClusterId();
    const queue = new Queue('calls', { connection: await node.grid.duplicate(), prefix: callQueuePrefix(prefixOf(node), clusterId) });
    try {
      const job = await queue.getJob(await outboxId(held));
      expect(job?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
    await waitForSettled('the breaker to close', async () => ((await metric(/^je_backend_breaker_state\{system="pricing"\} 0$/)) ? true : undefined));
  });
});
