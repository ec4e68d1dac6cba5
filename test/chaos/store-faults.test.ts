/**
 * MariaDB crashes under load (SIGKILL of a server of this file's own) and comes back: intake
 * refuses while it is down, and every event acknowledged before or after is handled exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { gridSeeds, testNamespace } from '../support/environment.js';
import { PrivateMariaDb } from '../support/private-mariadb.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletJourney } from '../support/wallet.js';
import { checkWallets, openWallets, ownedPartitions, recordSummary, slotCount, startWalletLoad, waitFor, WorkerProcess } from './harness.js';

const PARTITIONS = 8;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('chaos: MariaDB crash and restart under load', () => {
  let server: PrivateMariaDb;
  let store: Store;
  let apiNode: TestEngine;
  let api: JourneyEngine;
  const workers: WorkerProcess[] = [];
  let url = '';

  beforeAll(async () => {
    server = await PrivateMariaDb.start();
    url = server.url('journeys');
    const keyPrefix = testNamespace();
    apiNode = await startTestEngine({
      databaseUrl: url,
      seeds: gridSeeds(),
      keyPrefix,
      nodeId: 'store-chaos-api',
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      worker: false,
      storeOptions: { acquireTimeoutMs: 2_000 },
    });
    ({ engine: api, store } = apiNode);
    const settings = { mariadbUrl: url, seeds: gridSeeds(), keyPrefix, partitions: PARTITIONS, leaseTtlMs: 2_000 };
    workers.push(new WorkerProcess('s1', settings), new WorkerProcess('s2', settings));
    await waitFor(
      'workers to own every partition',
      async () => (await ownedPartitions(store, 's1')) + (await ownedPartitions(store, 's2')) === (await slotCount(store)),
      60_000,
      200,
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await apiNode?.stop();
    await server?.stop();
  });

  it('refuses intake while MariaDB is down and loses nothing acknowledged', async () => {
    const journeys = await openWallets(api, 20, 'db');
    const load = startWalletLoad(api, journeys, 8);
    await sleep(1_500);
    await server.kill();
    const downAt = load.log.length;
    await sleep(3_000);
    const refusedWhileDown = load.log.slice(downAt).filter((r) => r.result !== 'acked');
    const restartedAt = performance.now();
    await server.boot();
    await waitFor(
      'intake to accept again',
      () => Promise.resolve(load.log.slice(-5).every((r) => r.result === 'acked') && load.log.length > downAt + 20),
      60_000,
      100,
    );
    const recovery = performance.now() - restartedAt;
    await sleep(1_500);
    await load.stop();
    const report = await checkWallets(url, load.log, 90_000);
    recordSummary('MariaDB SIGKILL + restart', report, recovery);
    expect(refusedWhileDown.length).toBeGreaterThan(0);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
  }, 240_000);
});
