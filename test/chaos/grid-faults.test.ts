/**
 * Grid faults under steady wallet load, on a Redis Cluster of this file's own: a master killed
 * (its replica takes over), and a cold restart of every engine process and of the whole cluster
 * with its data gone. MariaDB is the system of record, so both must lose nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { findFreePortBase, startLocalCluster } from '../../grid/index.js';
import type { LocalCluster } from '../../grid/index.js';
import { createTestDatabase } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletJourney } from '../support/wallet.js';
import { checkWallets, openWallets, ownedPartitions, recordSummary, slotCount, startWalletLoad, waitFor, WorkerProcess } from './harness.js';
import type { RequestRecord, WorkerSettings } from './harness.js';

const PARTITIONS = 12;
const LEASE_TTL_MS = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('chaos: Redis master killed, and a cold restart with the grid emptied', () => {
  let database: TestDatabase;
  let store: Store;
  let cluster: LocalCluster;
  let apiNode: TestEngine | null = null;
  let api: JourneyEngine | null = null;
  let workers: WorkerProcess[] = [];
  const clusterDir = mkdtempSync(join(tmpdir(), 'je-chaos-grid-'));

  async function startCluster(): Promise<LocalCluster> {
    const portBase = await findFreePortBase({ count: 6 });
    return startLocalCluster({ dir: clusterDir, portBase, nodeTimeoutMs: 1_500 });
  }

  async function startEngines(label: string): Promise<void> {
    const settings: WorkerSettings = {
      mariadbUrl: database.url,
      seeds: [...cluster.seeds],
      keyPrefix: 'chaos',
      partitions: PARTITIONS,
      leaseTtlMs: LEASE_TTL_MS,
    };
    apiNode = await startTestEngine({
      databaseUrl: database.url,
      seeds: [...cluster.seeds],
      keyPrefix: 'chaos',
      nodeId: `api-${label}`,
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      worker: false,
    });
    api = apiNode.engine;
    workers = [new WorkerProcess(`g1-${label}`, settings), new WorkerProcess(`g2-${label}`, settings)];
    await waitFor(
      'workers to own every partition',
      async () => {
        let total = 0;
        for (const w of workers) total += await ownedPartitions(store, w.nodeId);
        return total === (await slotCount(store));
      },
      60_000,
      200,
    );
  }

  async function stopEngines(signal: NodeJS.Signals): Promise<void> {
    for (const w of workers) w.signal(signal);
    await Promise.all(workers.map((w) => w.exited));
    await apiNode?.stop();
    apiNode = null;
    api = null;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStore({ url: database.url, logger: silentLogger() });
    cluster = await startCluster();
    await startEngines('a');
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await apiNode?.stop();
    await cluster?.stop();
    await store?.close();
    await database?.drop();
  });

  it('keeps processing without loss when a Redis master dies and its replica takes over', async () => {
    const engine = api as JourneyEngine;
    const journeys = await openWallets(engine, 30, 'master');
    const load = startWalletLoad(engine, journeys, 12);
    await sleep(1_500);
    // The master holding membership and routing (the {grid} slot) is the most disruptive to lose.
    const owner = await cluster.keyOwner('chaos:{grid}:nodes');
    const killedAt = performance.now();
    await cluster.killNode(owner.master, 'SIGKILL');
    await waitFor('a replica to take over the slot', async () => (await cluster.keyOwner('chaos:{grid}:nodes')).master !== owner.master, 30_000, 200);
    const handledBefore = load.log.length;
    await waitFor('load to progress again', () => Promise.resolve(load.log.length > handledBefore + 50), 30_000, 100);
    const recovery = performance.now() - killedAt;
    await cluster.restartNode(owner.master);
    await cluster.waitForHealthy(60_000);
    await sleep(1_000);
    await load.stop();
    const report = await checkWallets(database.url, load.log);
    recordSummary('Redis master SIGKILL (failover)', report, recovery);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
  }, 240_000);

  it('recovers every journey and every unhandled event from MariaDB after a cold restart with Redis emptied', async () => {
    const engine = api as JourneyEngine;
    const journeys = await openWallets(engine, 30, 'cold');
    const load = startWalletLoad(engine, journeys, 12);
    await sleep(2_000);
    // Everything dies at once, mid-load; the grid's data goes with it.
    for (const w of workers) w.signal('SIGKILL');
    await load.stop();
    await stopEngines('SIGKILL');
    await cluster.stop();
    const log: RequestRecord[] = [...load.log];
    const pendingAtCrash = Number((await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))?.n ?? 0);

    const restartedAt = performance.now();
    cluster = await startCluster();
    await startEngines('b');
    const report = await checkWallets(database.url, log);
    const recovery = performance.now() - restartedAt;
    recordSummary(`cold restart, Redis emptied (${pendingAtCrash} pending at crash)`, report, recovery);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    // The journeys serve new events after the restart.
    const next = await (api as JourneyEngine).accept({
      kind: 'target',
      journeyId: journeys[0]?.journeyId ?? '',
      event: { type: 'Deposit', payload: { amount: 1 } },
      context: { sender: 'cold-0', roles: [], trustLevel: 2, channel: 'test' },
    });
    expect(await (api as JourneyEngine).awaitOutcome(next.eventId, 20_000)).toMatchObject({ outcome: 'applied' });
  }, 240_000);
});
