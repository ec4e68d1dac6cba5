/**
 * Back-end calls when the fault is ours, not the back end's (fault-hardening item 8):
 *
 * - The back end answers, then our store (a MariaDB of this file's own, SIGKILLed and restarted)
 *   is down for longer than the call's whole retry budget. The reply must reach the journey once
 *   the store is back, exactly once, without asking the back end again, and the journey must
 *   never get the failure event: our outage is not the back end's failure.
 * - A pending outbox row whose BullMQ job already ended (failed, or completed while the row
 *   stayed pending) is queued again by the outbox sweep: the job id is the outbox id, and BullMQ
 *   dedupes an add while a job of that id exists, so a plain re-add does nothing.
 * - The sweep is fair: rows it cannot move (their jobs are alive, waiting out a long delay) are
 *   passed over, so a row behind more of them than one sweep reads is still reached.
 */
import { Queue, Worker as QueueWorker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal, openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import type { CompiledJourney, EventContext, JsonObject } from '../../dsl/index.js';
import { callQueuePrefix } from '../../engine/index.js';
import type { BackendRegistry, EventView, JourneyEngine } from '../../engine/index.js';
import { connectGrid } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { PrivateMariaDb } from '../support/private-mariadb.js';
import { quoteJourney } from '../support/quote-journey.js';
import type { QuoteJourney } from '../support/quote-journey.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine, TestEngineOptions } from '../support/test-engine.js';
import { waitFor } from '../support/wait.js';

/** A probe that fails (the store or the grid away for a moment) counts as not yet. */
const waitForSettled = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> =>
  waitFor(what, () => probe().catch(() => undefined), timeoutMs);

const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const PARTITIONS = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let quote: QuoteJourney | undefined;
let journeys: CompiledJourney[];

beforeAll(async () => {
  quote = await quoteJourney();
  journeys = quote.journeys;
});

afterAll(async () => {
  await quote?.remove();
});

async function ask(engine: JourneyEngine): Promise<string> {
  const accepted = await engine.accept({ kind: 'initiate', journeyType: 'ops/quote', version: '1.0', event: { type: 'Ask', payload: {} }, context: alice });
  expect(await engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
  return accepted.journeyId;
}

const history = async (engine: JourneyEngine, journeyId: string): Promise<EventView[]> => (await engine.listEvents(journeyId, { limit: 100 })).items;

/** Waits until the journey has handled a reply (or failure), then returns [type, status] of every event. */
async function settled(engine: JourneyEngine, journeyId: string, timeoutMs = 30_000): Promise<Array<[string, string]>> {
  const summary = async (): Promise<Array<[string, string]>> => (await history(engine, journeyId)).map((e) => [e.type, e.status]);
  try {
    await waitForSettled(
      `a reply on ${journeyId}`,
      async () => ((await summary()).some(([type, status]) => type !== 'Ask' && status !== 'pending') ? true : undefined),
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`no reply handled on ${journeyId}; its events: ${JSON.stringify(await summary().catch(() => 'unreadable'))}`, { cause: error });
  }
  return summary();
}

function nodeOptions(databaseUrl: string, keyPrefix: string, backends: BackendRegistry | null): TestEngineOptions {
  return {
    databaseUrl,
    seeds: gridSeeds(),
    keyPrefix,
    nodeId: 'calls-node',
    journeys,
    partitionCount: PARTITIONS,
    workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
    ...(backends ? { backends, calls: { attempts: 3, backoffMs: 50, redeliverMaxMs: 1_000 } } : {}),
  };
}

describe('a back end answers while our store is down', () => {
  let server: PrivateMariaDb;
  let node: TestEngine;
  const asked: string[] = [];
  let outage: Promise<void> = Promise.resolve();
  /** Longer than the call's whole retry budget (3 attempts, 50 ms back-off, 1 s to fail each). */
  const OUTAGE_MS = 8_000;

  beforeAll(async () => {
    server = await PrivateMariaDb.start();
    const backends: BackendRegistry = {
      'pricing.quote': async (_request, meta) => {
        asked.push(meta.callId);
        if (asked.length === 1) {
          // The back end has done the work; now our store goes down before its reply is written.
          const killed = server.kill();
          outage = killed.then(() => sleep(OUTAGE_MS)).then(() => server.boot());
          await killed;
        }
        return { price: 42 };
      },
    };
    node = await startTestEngine({
      ...nodeOptions(server.url('calls'), testNamespace(), backends),
      storeOptions: { acquireTimeoutMs: 1_000, connectTimeoutMs: 500 },
    });
  });

  afterAll(async () => {
    await outage.catch(() => undefined);
    await node?.stop();
    await server?.stop();
  });

  it('accepts the reply once the store is back, exactly once, and never the failure event', async () => {
    const journeyId = await ask(node.engine);
    await waitForSettled('the back end to be asked', () => Promise.resolve(asked.length > 0 ? true : undefined));
    await outage;
    const events = await settled(node.engine, journeyId, 45_000);
    expect(events).toEqual([
      ['Ask', 'applied'],
      ['Quoted', 'applied'],
    ]);
    expect((await node.engine.getJourney(journeyId))?.data).toMatchObject({ status: 'quoted', price: 42 });
    // The answer was kept while the store was down: the back end was not asked again.
    expect(asked).toHaveLength(1);
    await waitForSettled('the outbox row to be done', async () => {
      const rows = await node.store.query<{ status: string }>('SELECT status FROM outbox WHERE journey_id = ?', [journeyId]);
      return rows[0]?.status === 'done' ? rows : undefined;
    });
    // Sweeps later, still exactly one reply and no failure.
    await sleep(2_500);
    expect((await history(node.engine, journeyId)).map((e) => e.type)).toEqual(['Ask', 'Quoted']);
  }, 120_000);
});

describe('the outbox sweep', () => {
  let database: TestDatabase;
  const keyPrefix = testNamespace();
  /** The node's call queue: its prefix carries the store's id, made when the store is first opened. */
  let prefix = '';
  const asked: string[] = [];
  /** Makes the back end answer what the journey's reply schema refuses. */
  let badAnswers = false;
  const backends: BackendRegistry = {
    'pricing.quote': (_request, meta): Promise<JsonObject> => {
      asked.push(meta.callId);
      return Promise.resolve(badAnswers ? { price: 'seven' } : { price: 7 });
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const store = await openStore({ url: database.url, logger: silentLogger() });
    try {
      prefix = callQueuePrefix(keyPrefix, await openJournal(store).ensureClusterId());
    } finally {
      await store.close();
    }
  });

  afterAll(async () => {
    const grid = await connectGrid({ urls: gridSeeds(), keyPrefix, watchdogIntervalMs: 0 });
    const queue = new Queue('calls', { connection: await grid.duplicate(), prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await grid.close();
    await database?.drop();
  });

  /** Journeys whose calls are committed by a node without a call runner: the rows stay pending. */
  async function pendingJourneys(
    count: number,
    before?: (store: Store, made: Array<{ journeyId: string; outboxId: string }>) => Promise<unknown>,
  ): Promise<Array<{ journeyId: string; outboxId: string }>> {
    const writer = await startTestEngine(nodeOptions(database.url, keyPrefix, null));
    try {
      const made: Array<{ journeyId: string; outboxId: string }> = [];
      for (let i = 0; i < count; i += 1) {
        const journeyId = await ask(writer.engine);
        const rows = await writer.store.query<{ outbox_id: string }>(`SELECT outbox_id FROM outbox WHERE journey_id = ? AND status = 'pending'`, [journeyId]);
        expect(rows).toHaveLength(1);
        made.push({ journeyId, outboxId: rows[0]?.outbox_id ?? '' });
      }
      await before?.(writer.store, made);
      // Old enough for the sweep at once (it leaves rows touched in the last 5 s alone).
      await writer.store.execute(`UPDATE outbox SET updated_at = NOW(6) - INTERVAL 1 MINUTE WHERE status = 'pending'`);
      return made;
    } finally {
      await writer.stop();
    }
  }

  /** Runs a queue connection of the node's kind (a grid client under the test's key prefix). */
  async function withQueue<T>(fn: (queue: Queue, connection: () => Promise<unknown>) => Promise<T>): Promise<T> {
    const grid = await connectGrid({ urls: gridSeeds(), keyPrefix, watchdogIntervalMs: 0 });
    const queue = new Queue('calls', { connection: await grid.duplicate(), prefix });
    try {
      return await fn(queue, () => grid.duplicate({ blocking: true }));
    } finally {
      await queue.close();
      await grid.close();
    }
  }

  it('re-queues a pending row whose job failed, or completed, before its reply was written', async () => {
    const [failed, completed, lost] = await pendingJourneys(3);
    if (!failed || !completed || !lost) throw new Error('three journeys expected');
    // Jobs that ended without the row being finished: a relay crash, a completion the store
    // never recorded. `lost` has no job at all.
    await withQueue(async (queue, connection) => {
      const relay = new QueueWorker(
        'calls',
        (job) => {
          if (job.id === failed.outboxId) throw new Error('relay crashed');
          return Promise.resolve();
        },
        { connection: (await connection()) as never, prefix },
      );
      await queue.add('call', { outboxId: failed.outboxId }, { jobId: failed.outboxId, attempts: 1 });
      await queue.add('call', { outboxId: completed.outboxId }, { jobId: completed.outboxId, attempts: 1 });
      await waitForSettled('the jobs to end', async () =>
        (await queue.getJobState(failed.outboxId)) === 'failed' && (await queue.getJobState(completed.outboxId)) === 'completed' ? true : undefined,
      );
      await relay.close();
    });

    const node = await startTestEngine(nodeOptions(database.url, keyPrefix, backends));
    try {
      for (const { journeyId } of [failed, completed, lost]) {
        expect(await settled(node.engine, journeyId, 20_000)).toEqual([
          ['Ask', 'applied'],
          ['Quoted', 'applied'],
        ]);
      }
      expect([...asked].sort()).toEqual([failed.outboxId, completed.outboxId, lost.outboxId].sort());
      await waitForSettled('the rows to be done', async () => {
        const rows = await node.store.query<{ status: string }>(`SELECT status FROM outbox WHERE outbox_id IN (?)`, [
          [failed.outboxId, completed.outboxId, lost.outboxId],
        ]);
        return rows.length === 3 && rows.every((r) => r.status === 'done') ? true : undefined;
      });
    } finally {
      await node.stop();
    }
  }, 90_000);

  it('reaches a row behind more rows it cannot move than one sweep reads', async () => {
    // 250 rows older than it, in its partition, whose jobs are alive but delayed an hour: the
    // sweep can move none of them, and it reads 200 rows at a time.
    const BLOCKED = 250;
    const [behind] = await pendingJourneys(1, (store, [target]) =>
      store.execute(
        `INSERT INTO outbox (outbox_id, journey_id, partition_no, caused_by, system_name, operation, request, reply_event, failure_event, created_at, updated_at)
         SELECT CONCAT('BLOCKED', LPAD(s.seq, 19, '0')), CONCAT('J', LPAD(s.seq, 25, '0')), o.partition_no, LPAD(s.seq, 26, '0'),
                'pricing', 'quote', '{}', 'Quoted', 'QuoteFailed', NOW(6) - INTERVAL 1 HOUR, NOW(6) - INTERVAL 1 HOUR
           FROM seq_0_to_${BLOCKED - 1} s JOIN outbox o ON o.outbox_id = ?`,
        [target?.outboxId],
      ),
    );
    if (!behind) throw new Error('a journey expected');
    const blocked = Array.from({ length: BLOCKED }, (_, i) => `BLOCKED${String(i).padStart(19, '0')}`);
    await withQueue((queue) => queue.addBulk(blocked.map((id) => ({ name: 'call', data: { outboxId: id }, opts: { jobId: id, delay: 3_600_000 } }))));

    const node = await startTestEngine(nodeOptions(database.url, keyPrefix, backends));
    try {
      expect(await settled(node.engine, behind.journeyId, 20_000)).toEqual([
        ['Ask', 'applied'],
        ['Quoted', 'applied'],
      ]);
      // The rows it could not move are untouched: still pending, their jobs still waiting.
      const rows = await node.store.query<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE outbox_id LIKE 'BLOCKED%' AND status = 'pending'`);
      expect(Number(rows[0]?.n)).toBe(BLOCKED);
      expect(asked.filter((id) => id.startsWith('BLOCKED'))).toEqual([]);
    } finally {
      await node.stop();
    }
  }, 90_000);

  // The boundary of the above: an answer the journey refuses is the back end's failure, not an
  // outage of ours to wait out. It counts against the retry budget and dead-letters.
  it('an answer the reply schema refuses counts as a back-end failure and dead-letters', async () => {
    badAnswers = true;
    asked.length = 0;
    const node = await startTestEngine(nodeOptions(database.url, keyPrefix, backends));
    try {
      const journeyId = await ask(node.engine);
      expect(await settled(node.engine, journeyId, 20_000)).toEqual([
        ['Ask', 'applied'],
        ['QuoteFailed', 'applied'],
      ]);
      const failed = (await history(node.engine, journeyId)).find((e) => e.type === 'QuoteFailed');
      expect(failed?.payload).toMatchObject({ attempts: 3, reason: expect.stringContaining('price') as unknown });
      expect(asked).toHaveLength(3);
      const rows = await node.store.query<{ status: string }>('SELECT status FROM outbox WHERE journey_id = ?', [journeyId]);
      expect(rows).toEqual([{ status: 'dead' }]);
    } finally {
      badAnswers = false;
      await node.stop();
    }
  }, 60_000);
});
