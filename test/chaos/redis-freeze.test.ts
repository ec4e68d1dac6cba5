/**
 * Every Redis node frozen at once (SIGSTOP of all six servers of a cluster of this file's own)
 * for 15 s under wallet load, then thawed. Leases live in MariaDB and are renewed on their own
 * schedule, so the workers keep the partitions they hold: the partitions' epochs must not move
 * (each lease lost and taken again would bump one), a node that reaches MariaDB stays ready
 * (degraded), and nothing acknowledged is lost or applied twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { findFreePortBase, startLocalCluster } from '../../grid/index.js';
import type { LocalCluster } from '../../grid/index.js';
import { createTestDatabase } from '../support/environment.js';
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
const FREEZE_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('chaos: every Redis node frozen under load', () => {
  let database: TestDatabase;
  let store: Store;
  let cluster: LocalCluster;
  let apiNode: TestEngine;
  let api: JourneyEngine;
  let workers: WorkerProcess[] = [];
  let readyPort = 0;
  let frozen: number[] = [];
  const clusterDir = mkdtempSync(join(tmpdir(), 'je-chaos-freeze-'));
  const track = trackLoads();

  const thaw = (): void => {
    for (const pid of frozen.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  };

  const epochSum = async (): Promise<number> => Number((await store.queryOne<{ n: number }>(`SELECT COALESCE(SUM(epoch), 0) AS n FROM partitions`))?.n ?? 0);

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startLocalCluster({ dir: clusterDir, portBase: await findFreePortBase({ count: 6, cluster: true }), nodeTimeoutMs: 5_000 });
    apiNode = await startTestEngine({
      databaseUrl: database.url,
      seeds: [...cluster.seeds],
      keyPrefix: 'freeze',
      nodeId: 'freeze-api',
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      worker: false,
    });
    ({ engine: api, store } = apiNode);
    const settings: WorkerSettings = {
      mariadbUrl: database.url,
      seeds: [...cluster.seeds],
      keyPrefix: 'freeze',
      partitions: PARTITIONS,
      leaseTtlMs: LEASE_TTL_MS,
    };
    readyPort = await findFreePortBase({ count: 1, cluster: false });
    // One worker also serves HTTP, to ask it whether it is ready while Redis is frozen.
    workers = [
      new WorkerProcess('f1', settings, { ROLES: 'api,worker', PORT: String(readyPort) }),
      new WorkerProcess('f2', settings),
      new WorkerProcess('f3', settings),
    ];
    // Every worker holds its share (a late starter would move partitions after the baseline).
    await waitFor(
      'each worker to own its share of every partition',
      async () => {
        const owned = await Promise.all(workers.map((w) => ownedPartitions(store, w.nodeId)));
        return owned.every((n) => n > 0) && owned.reduce((a, b) => a + b, 0) === (await slotCount(store));
      },
      60_000,
      200,
    );
  });

  afterAll(async () => {
    thaw();
    await Promise.all(workers.map((w) => w.stop()));
    await apiNode?.stop();
    await cluster?.stop();
    rmSync(clusterDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('keeps every lease (no epoch moves), stays ready, and loses nothing while Redis is frozen', async () => {
    const journeys = await openWallets(api, 20, 'freeze');
    // Membership settles (every node has seen the others) before the baseline is taken.
    await sleep(2 * LEASE_TTL_MS);
    const load = track(startWalletLoad(api, journeys, 6));
    await sleep(2_000);
    const before = await epochSum();

    frozen = cluster.ports.map((port) => cluster.pidOf(port)).filter((pid): pid is number => pid !== undefined);
    expect(frozen).toHaveLength(6);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    const frozenAt = performance.now();
    await sleep(FREEZE_MS / 2);
    const readyWhileFrozen = await fetch(`http://127.0.0.1:${readyPort}/ready`, { signal: AbortSignal.timeout(5_000) }).then(
      async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }),
      (error: unknown) => ({ status: 0, body: { error: String(error) } }),
    );
    const duringFreeze = await epochSum();
    await sleep(FREEZE_MS - (performance.now() - frozenAt));
    thaw();
    const thawedAt = performance.now();
    await cluster.waitForHealthy(60_000);
    const ackedAtThaw = load.log.filter((r) => r.result === 'acked').length;
    await waitFor(
      'load to progress after the thaw',
      () => Promise.resolve(load.log.filter((r) => r.result === 'acked').length > ackedAtThaw + 50),
      30_000,
      100,
    );
    const recovery = performance.now() - thawedAt;
    await sleep(2 * LEASE_TTL_MS);
    await load.stop();
    const after = await epochSum();

    const report = await checkWallets(database.url, load.log, 90_000);
    recordSummary(`all 6 Redis nodes SIGSTOPped ${FREEZE_MS / 1000} s (epochs +${after - before})`, report, recovery);
    expect.soft(report.problems).toEqual([]);
    expect.soft(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    // Each lease that expired and was taken again would have bumped its partition's epoch.
    expect.soft({ duringFreeze: duringFreeze - before, overall: after - before }, latencySummary(load.log)).toEqual({ duringFreeze: 0, overall: 0 });
    expect.soft(readyWhileFrozen).toMatchObject({ status: 200, body: { ready: true, degraded: true } });
    for (const w of workers) expect.soft(await ownedPartitions(store, w.nodeId), `${w.nodeId} holds its partitions`).toBeGreaterThan(0);
  }, 300_000);
});
