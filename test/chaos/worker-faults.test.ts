/**
 * Worker faults under steady wallet load, each checked by the Jepsen-style checker:
 * SIGKILL mid-batch (repeated), SIGSTOP past the lease then SIGCONT (the late commit is fenced),
 * a worker added and one removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletJourney } from '../support/wallet.js';
import {
  checkWallets,
  latencySummary,
  openWallets,
  ownedPartitions,
  recordSummary,
  slotCount,
  startWalletLoad,
  trackLoads,
  waitFor,
  WorkerProcess,
} from './harness.js';
import type { WorkerSettings } from './harness.js';

const PARTITIONS = 12;
const LEASE_TTL_MS = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('chaos: worker processes killed, paused, added and removed under load', () => {
  let database: TestDatabase;
  /** A pool of its own for the test's checks, so they never queue behind the load. */
  let probe: Store;
  let apiNode: TestEngine;
  let api: JourneyEngine;
  let settings: WorkerSettings;
  const workers: WorkerProcess[] = [];
  const track = trackLoads();

  async function scenarioSetup(label: string, journeyCount: number) {
    const journeys = await openWallets(api, journeyCount, label);
    return journeys;
  }

  async function allPartitionsOwnedBy(nodes: WorkerProcess[]): Promise<boolean> {
    let total = 0;
    for (const node of nodes) total += await ownedPartitions(probe, node.nodeId);
    return total === (await slotCount(probe));
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const keyPrefix = testNamespace();
    settings = { mariadbUrl: database.url, seeds: gridSeeds(), keyPrefix, partitions: PARTITIONS, leaseTtlMs: LEASE_TTL_MS };
    // An API-only node in this process: it accepts and routes; the worker processes handle.
    apiNode = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix,
      nodeId: 'chaos-api',
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      worker: false,
    });
    api = apiNode.engine;
    probe = await openStore({ url: database.url, logger: silentLogger(), poolSize: 2 });
    workers.push(new WorkerProcess('w1', settings), new WorkerProcess('w2', settings));
    await waitFor('two workers to own every partition', () => allPartitionsOwnedBy(workers), 60_000, 200);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await apiNode?.stop();
    await probe?.close();
    await database?.drop();
  });

  it('loses and doubles nothing when a worker is SIGKILLed mid-batch, three times', async () => {
    const journeys = await scenarioSetup('kill', 40);
    const load = track(startWalletLoad(api, journeys, 16));
    let recovery = 0;
    for (let round = 0; round < 3; round++) {
      await sleep(1_500);
      const victim = workers[round % workers.length] as WorkerProcess;
      victim.signal('SIGKILL');
      await victim.exited;
      const survivors = workers.filter((w) => w !== victim);
      recovery = Math.max(recovery, await waitFor('survivors to take every partition', () => allPartitionsOwnedBy(survivors), 30_000, 100));
      victim.restart();
      await waitFor('the restarted worker to own partitions again', async () => (await ownedPartitions(probe, victim.nodeId)) > 0, 60_000, 200);
    }
    await sleep(1_000);
    await load.stop();
    const report = await checkWallets(database.url, load.log);
    recordSummary('SIGKILL worker x3', report, recovery);
    console.log(`SIGKILL x3 latency: ${latencySummary(load.log)}`);
    expect(report.problems).toEqual([]);
    expect(report.acked).toBeGreaterThan(100);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
  }, 240_000);

  it('fences a worker paused past its lease: after SIGCONT it commits nothing stale', async () => {
    const journeys = await scenarioSetup('pause', 30);
    const load = track(startWalletLoad(api, journeys, 16));
    await sleep(1_500);
    const paused = workers[0] as WorkerProcess;
    paused.signal('SIGSTOP');
    const others = workers.filter((w) => w !== paused);
    const recovery = await waitFor("the other worker to take the paused one's partitions", () => allPartitionsOwnedBy(others), 30_000, 100);
    await sleep(1_000);
    paused.signal('SIGCONT');
    // On waking, the paused worker learns (at renewal or at its fenced commit) that it lost its leases.
    await waitFor('the resumed worker to notice its lost leases', () => Promise.resolve(/lease lost|fenced at commit/.test(paused.log)), 20_000, 100).catch(
      (error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- paused worker log (tail) ---\n${paused.log.slice(-4000)}`);
      },
    );
    await sleep(1_500);
    await load.stop();
    const report = await checkWallets(database.url, load.log);
    recordSummary('SIGSTOP worker past lease, SIGCONT', report, recovery);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    await waitFor('partitions to rebalance back', () => allPartitionsOwnedBy(workers), 30_000, 200);
  }, 180_000);

  it('keeps every invariant while a worker joins and another leaves', async () => {
    const journeys = await scenarioSetup('scale', 30);
    const load = track(startWalletLoad(api, journeys, 16));
    await sleep(1_000);
    const joined = new WorkerProcess('w3', settings);
    workers.push(joined);
    await waitFor('the new worker to take partitions', async () => (await ownedPartitions(probe, 'w3')) > 0, 30_000, 100);
    await sleep(1_000);
    const leaving = workers.shift() as WorkerProcess;
    await leaving.stop();
    const recovery = await waitFor('the remaining workers to own every partition', () => allPartitionsOwnedBy(workers), 30_000, 100);
    await sleep(1_000);
    await load.stop();
    const report = await checkWallets(database.url, load.log);
    recordSummary('worker added, worker removed', report, recovery);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
  }, 180_000);
});
