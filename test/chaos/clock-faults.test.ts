/**
 * A node whose wall clock is wrong: a `journey serve` process run under libfaketime six days
 * ahead takes over partitions holding SCT payments whose five-day expiry timers are not due.
 * Timers are due by the database's clock, so none may fire; a timer it schedules is due five
 * days after the database's now, not its own; and forwarding to it works although its clock and
 * the forwarding node's are six days apart.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, ProcessorRegistry } from '../../dsl/index.js';
import { findFreePortBase } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { ownedPartitions, slotCount, waitFor, WorkerProcess } from './harness.js';
import type { WorkerSettings } from './harness.js';

/** Where Debian's faketime package puts the library, by architecture. */
const LIBFAKETIME = ['x86_64-linux-gnu', 'aarch64-linux-gnu'].map((arch) => `/usr/lib/${arch}/faketime/libfaketime.so.1`).find((path) => existsSync(path));
const PARTITIONS = 4;
const DAY_S = 86_400;
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const payment = { debtorIban: 'NL91ABNA0417164300', creditorIban: 'DE89370400440532013000', creditorName: 'Bob Builder', amount: 12_500, currency: 'EUR' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The value of one sample of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('chaos: a node whose clock runs six days ahead', () => {
  let database: TestDatabase;
  let journeys: CompiledJourney[];
  let processors: Record<string, ProcessorRegistry>;
  let store: Store;
  let nodes: TestEngine[] = [];
  let skewed: WorkerProcess | null = null;
  const keyPrefix = testNamespace();

  beforeAll(async () => {
    // Debian: apt-get install faketime (libfaketime). Without it this scenario cannot run at all.
    if (LIBFAKETIME === undefined) throw new Error('libfaketime is missing: apt-get install -y faketime');
    database = await createTestDatabase();
    const compiled = await compileJourneys(resolve(import.meta.dirname, '../../journeys'), { loadProcessors: true });
    ({ journeys, processors } = compiled);
  });

  afterAll(async () => {
    await skewed?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await database?.drop();
  });

  const node = async (nodeId: string, worker: boolean): Promise<TestEngine> => {
    const started = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix,
      nodeId,
      journeys,
      processors,
      partitionCount: PARTITIONS,
      worker,
      workerOptions: { leaseTtlMs: 2_000 },
    });
    nodes.push(started);
    return started;
  };

  it('fires no timer before the database says it is due, and schedules and forwards by the database clock', async () => {
    // Payments opened by a node with a right clock: their expiry is five days away.
    const first = await node('clock-right', true);
    store = first.store;
    const opened: string[] = [];
    for (let i = 0; i < 6; i++) {
      const accepted = await first.engine.accept({
        kind: 'initiate',
        journeyType: 'mybank/payment/sct',
        version: '2.0',
        event: { type: 'InitiatePayment', payload: payment },
        context: alice,
      });
      expect(await first.engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
      opened.push(accepted.journeyId);
    }
    expect(Number((await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM timers WHERE status = 'scheduled'`))?.n)).toBe(opened.length);
    await first.stop(); // hands its partitions back
    nodes = [];
    store = (await node('clock-api', false)).store;

    // The node six days ahead takes every partition.
    const port = await findFreePortBase({ count: 1, cluster: false });
    const settings: WorkerSettings = { mariadbUrl: database.url, seeds: gridSeeds(), keyPrefix, partitions: PARTITIONS, leaseTtlMs: 2_000 };
    skewed = new WorkerProcess('clock-ahead', settings, { LD_PRELOAD: LIBFAKETIME ?? '', FAKETIME: '+6d', ROLES: 'api,worker', PORT: String(port) });
    await waitFor(
      'the skewed node to own every partition',
      async () => (await ownedPartitions(store, 'clock-ahead')) === (await slotCount(store)),
      60_000,
      200,
    );
    const nodeTime = /"time":"([^"]+)"/.exec(skewed.log)?.[1] ?? '';
    // libfaketime took: the node's own log lines are stamped six days ahead.
    expect(Date.parse(nodeTime) - Date.now(), skewed.log.slice(0, 2_000)).toBeGreaterThan(5.9 * DAY_S * 1000);

    // Many timer polls later (every 250 ms), nothing fired: no timer was due by the database.
    await sleep(5_000);
    const timers = await store.query<{ status: string }>(`SELECT status FROM timers WHERE journey_id IN (?)`, [opened]);
    expect.soft(timers.map((t) => t.status)).toEqual(opened.map(() => 'scheduled'));
    const expired = await store.query<{ journey_id: string }>(`SELECT journey_id FROM events WHERE event_type = 'PaymentExpired'`);
    expect.soft(expired).toEqual([]);

    // A payment sent to an API-only node with a right clock is forwarded to the skewed owner,
    // which must not decline it as stale, and schedules its expiry five days after the
    // database's now (not its own).
    const api = nodes[0] as TestEngine;
    await sleep(1_500); // the API node learns the owners from the grid
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const accepted = await api.engine.accept({
        kind: 'initiate',
        journeyType: 'mybank/payment/sct',
        version: '2.0',
        event: { type: 'InitiatePayment', payload: payment },
        context: alice,
      });
      expect(await api.engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
      sent.push(accepted.journeyId);
    }
    const metrics = await api.engine.metricsText();
    expect.soft(sample(metrics, 'je_events_forwarded_total{result="handled"}'), metrics).toBe(sent.length);
    const dueIn = await store.query<{ s: number }>(`SELECT TIMESTAMPDIFF(SECOND, NOW(6), fire_at) AS s FROM timers WHERE journey_id IN (?)`, [sent]);
    for (const { s } of dueIn) {
      expect.soft(Number(s)).toBeGreaterThan(5 * DAY_S - 120);
      expect.soft(Number(s)).toBeLessThanOrEqual(5 * DAY_S);
    }

    // The node measures its skew against the database, exports it and warns about it.
    const own = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const skew = sample(own, 'je_clock_skew_seconds');
    expect.soft(skew, 'je_clock_skew_seconds').toBeGreaterThan(6 * DAY_S - 5);
    expect.soft(skew, 'je_clock_skew_seconds').toBeLessThan(6 * DAY_S + 5);
    expect.soft(skewed.log).toMatch(/clock differs from the database/);
  }, 180_000);
});
