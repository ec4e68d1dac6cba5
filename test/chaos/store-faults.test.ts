/**
 * MariaDB crashes under load (SIGKILL of a server of this file's own) and comes back: intake
 * refuses while it is down, and every event acknowledged before or after is handled exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import { createEngine } from '../../engine/index.js';
import type { JourneyEngine, NodeMessage } from '../../engine/index.js';
import { connectGrid, createGridRouter } from '../../grid/index.js';
import type { Grid } from '../../grid/index.js';
import { gridSeeds, testNamespace } from '../support/environment.js';
import { PrivateMariaDb } from '../support/private-mariadb.js';
import { walletJourney } from '../support/wallet.js';
import { SUMMARY_HEADER, WorkerProcess, checkWallets, openWallets, ownedPartitions, startWalletLoad, summaryLine, waitFor } from './harness.js';

const PARTITIONS = 8;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('chaos: MariaDB crash and restart under load', () => {
  let server: PrivateMariaDb;
  let store: Store;
  let grid: Grid;
  let api: JourneyEngine;
  const workers: WorkerProcess[] = [];
  let url = '';

  beforeAll(async () => {
    server = await PrivateMariaDb.start();
    url = server.url('journeys');
    const keyPrefix = testNamespace();
    store = await openStore({ url, logger: silentLogger(), acquireTimeoutMs: 2_000 });
    grid = await connectGrid({ urls: gridSeeds(), keyPrefix, logger: silentLogger() });
    api = await createEngine({
      nodeId: 'store-chaos-api',
      store,
      grid: createGridRouter<NodeMessage>(grid, await grid.duplicate({ blocking: true })),
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      worker: false,
      logger: silentLogger(),
    });
    const settings = { mariadbUrl: url, seeds: gridSeeds(), keyPrefix, partitions: PARTITIONS, leaseTtlMs: 2_000 };
    workers.push(new WorkerProcess('s1', settings), new WorkerProcess('s2', settings));
    await waitFor('workers to own every partition', async () => (await ownedPartitions(store, 's1')) + (await ownedPartitions(store, 's2')) === PARTITIONS, 60_000, 200);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await grid?.close();
    await store?.close();
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
    await waitFor('intake to accept again', () => Promise.resolve(load.log.slice(-5).every((r) => r.result === 'acked') && load.log.length > downAt + 20), 60_000, 100);
    const recovery = performance.now() - restartedAt;
    await sleep(1_500);
    await load.stop();
    const report = await checkWallets(url, load.log, 90_000);
    console.log(`\n${SUMMARY_HEADER}\n${summaryLine('MariaDB SIGKILL + restart', report, recovery)}\n`);
    expect(refusedWhileDown.length).toBeGreaterThan(0);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
  }, 240_000);
});
