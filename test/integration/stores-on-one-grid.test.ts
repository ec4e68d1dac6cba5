/**
 * Two stores on one Redis grid with the same key prefix (fault-hardening item 5). Node X (API
 * only) and node Z (combined) run on database A, node Y (combined) on database B. Without a
 * namespace bound to the store, Y and Z share membership, the owner map and the inboxes: X forwards
 * A's events to Y, which writes them to B, and the partitions of A that Y wins are owned by nobody
 * while every node says it is ready. Checked here: every journey and every deposit sent to X lands
 * in A and only in A, and readiness counts (and refuses over) the partitions nobody owns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { ensureClusterId } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { isJourneyError, silentLogger } from '../../common/index.js';
import type { AcceptResult, NodeMessage } from '../../engine/index.js';
import { createGridServices } from '../../grid/index.js';
import { connectTestGrid, createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const PARTITIONS = 16;
const LEASE_TTL_MS = 1_500;
/** Readiness calls a partition unowned after twice the lease TTL without an owner. */
const GRACE_MS = 2 * LEASE_TTL_MS;
const JOURNEYS = 24;
const DEPOSITS_PER_JOURNEY = 4;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Events per journey id in one store, for the given ids. */
async function eventCounts(store: Store, journeyIds: string[]): Promise<Map<string, number>> {
  const rows = await store.query<{ journey_id: string; n: number | bigint }>(
    `SELECT journey_id, COUNT(*) AS n FROM events WHERE journey_id IN (${journeyIds.map(() => '?').join(',')}) GROUP BY journey_id`,
    journeyIds,
  );
  return new Map(rows.map((r) => [r.journey_id, Number(r.n)]));
}

/** What the partitions table says, independently of the engine: rows with no live owner for longer than the grace. */
async function unownedInStore(store: Store): Promise<number[]> {
  const rows = await store.query<{ partition_no: number }>(
    `SELECT partition_no FROM partitions
      WHERE (owner_node IS NULL AND updated_at < NOW(6) - INTERVAL ? MICROSECOND)
         OR (owner_node IS NOT NULL AND lease_expires_at < NOW(6) - INTERVAL ? MICROSECOND)
      ORDER BY partition_no`,
    [GRACE_MS * 1000, GRACE_MS * 1000],
  );
  return rows.map((r) => Number(r.partition_no));
}

describe('two stores on one grid and one key prefix', () => {
  let databaseA: TestDatabase;
  let databaseB: TestDatabase;
  const nodes: TestEngine[] = [];
  let x: TestEngine;
  let z: TestEngine;
  let y: TestEngine;
  let startedAt = 0;

  beforeAll(async () => {
    databaseA = await createTestDatabase();
    databaseB = await createTestDatabase();
    // One prefix for all three nodes: the operator left GRID_KEY_PREFIX at its default everywhere.
    const keyPrefix = testNamespace();
    const common = {
      seeds: gridSeeds(),
      keyPrefix,
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      workerOptions: { leaseTtlMs: LEASE_TTL_MS, sweepAfterMs: 300, sweepEveryMs: 200 },
    };
    z = await startTestEngine({ ...common, databaseUrl: databaseA.url, nodeId: 'node-z' });
    nodes.push(z);
    y = await startTestEngine({ ...common, databaseUrl: databaseB.url, nodeId: 'node-y' });
    nodes.push(y);
    x = await startTestEngine({ ...common, databaseUrl: databaseA.url, nodeId: 'node-x', worker: false });
    nodes.push(x);
    startedAt = Date.now();
    // Membership settles within a lease renewal; the API node re-reads the owner map every second.
    for (let tries = 0; tries < 100 && !(await Promise.all([z, y].map(async (n) => (await n.engine.readiness()).partitions.owned > 0))).every(Boolean); tries++)
      await sleep(100);
    await sleep(2 * LEASE_TTL_MS);
  });

  afterAll(async () => {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    await databaseA?.drop();
    await databaseB?.drop();
  });

  it('journeys opened through an API-only node, and their deposits, live in its store only', async () => {
    const opened: AcceptResult[] = [];
    for (let i = 0; i < JOURNEYS; i++) {
      const open = await x.engine.accept({
        kind: 'initiate',
        journeyType: 'pfm/wallet',
        version: '1.0',
        event: { type: 'OpenWallet', payload: { owner: `ns-${i}`, currency: 'EUR' } },
        context: walletContext(`ns-${i}`),
      });
      expect(await x.engine.awaitOutcome(open.eventId, 5_000), `OpenWallet ${i}`).toMatchObject({ outcome: 'applied' });
      opened.push(open);
    }
    const ids = opened.map((o) => o.journeyId);
    // Collect every misplacement before asserting, so a failure shows the whole picture.
    const notInA: string[] = [];
    const inB: string[] = [];
    for (const id of ids) {
      if ((await x.engine.getJourney(id)) === null || (await z.engine.getJourney(id)) === null) notInA.push(id);
      if ((await y.engine.getJourney(id)) !== null) inB.push(id);
    }
    expect({ notInA: notInA.length, inB: inB.length }).toEqual({ notInA: 0, inB: 0 });

    const notFound: string[] = [];
    const deposits: AcceptResult[] = [];
    for (const [i, id] of ids.entries()) {
      for (let k = 1; k <= DEPOSITS_PER_JOURNEY; k++) {
        try {
          deposits.push(
            await x.engine.accept({ kind: 'target', journeyId: id, event: { type: 'Deposit', payload: { amount: k } }, context: walletContext(`ns-${i}`) }),
          );
        } catch (error) {
          if (!isJourneyError(error, 'JE_JOURNEY_NOT_FOUND')) throw error;
          notFound.push(id);
        }
      }
    }
    for (const deposit of deposits) await x.engine.awaitOutcome(deposit.eventId, 5_000);
    const [countsA, countsB] = await Promise.all([eventCounts(x.store, ids), eventCounts(y.store, ids)]);
    const shortInA = ids.filter((id) => countsA.get(id) !== 1 + DEPOSITS_PER_JOURNEY);
    expect({ notFound: notFound.length, shortInA: shortInA.length, eventsInB: [...countsB.values()].reduce((a, b) => a + b, 0) }).toEqual({
      notFound: 0,
      shortInA: 0,
      eventsInB: 0,
    });
    for (const [i, id] of ids.entries()) {
      expect(await z.engine.getJourney(id), `journey ${i}`).toMatchObject({
        seq: 1 + DEPOSITS_PER_JOURNEY,
        data: { balance: (DEPOSITS_PER_JOURNEY * (DEPOSITS_PER_JOURNEY + 1)) / 2 },
      });
    }
  });

  it('a node leaves membership entries of another cluster id out of its balancing, and reports them', async () => {
    const [idA, idB] = await Promise.all([ensureClusterId(x.store), ensureClusterId(y.store)]);
    expect(idA).not.toBe(idB);
    const nodesKey = z.grid.keys.forCluster(idA).grid('nodes');
    // An entry that does not carry A's id, kept live (a score in the future) for the whole check.
    const intruder = `${idB}/intruder:0001`;
    await z.grid.client.zadd(nodesKey, Date.now() + 600_000, intruder);
    try {
      const gauge = async () => Number(/^je_grid_foreign_members (\d+)/m.exec(await z.engine.metricsText())?.[1] ?? 0);
      for (let tries = 0; tries < 50 && (await gauge()) === 0; tries++) await sleep(100);
      expect(await gauge()).toBe(1);
      // Had it counted, rendezvous hashing would have handed it partitions that nobody takes.
      await sleep(LEASE_TTL_MS);
      expect((await z.engine.readiness()).partitions).toMatchObject({ owned: PARTITIONS, unowned: 0 });
    } finally {
      await z.grid.client.zrem(nodesKey, intruder);
    }
  });

  it('readiness agrees with the partitions table, and answers 503 listing the partitions nobody owns', async () => {
    await sleep(Math.max(0, startedAt + GRACE_MS + 500 - Date.now()));
    // Each store's own truth: with the stores kept apart, its worker owns all of its partitions.
    for (const [name, node] of [
      ['x', x],
      ['z', z],
      ['y', y],
    ] as const) {
      const truth = await unownedInStore(node.store);
      const readiness = await node.engine.readiness();
      expect({ node: name, unowned: readiness.partitions.unowned, ready: readiness.ready }).toEqual({
        node: name,
        unowned: truth.length,
        ready: truth.length === 0,
      });
    }
    expect(await unownedInStore(x.store)).toEqual([]);
    expect(await unownedInStore(y.store)).toEqual([]);

    // Store A loses its only worker: its slots are handed back and nobody takes them. Its version
    // has no host now: events are still accepted, and wait, so the API node stays ready and says so.
    await z.stop();
    nodes.splice(nodes.indexOf(z), 1);
    const lane = (await x.store.queryOne<{ lane_no: number }>(`SELECT lane_no FROM deployments WHERE type_name = 'pfm/wallet'`))?.lane_no ?? 0;
    const all = Array.from({ length: PARTITIONS }, (_, i) => Number(lane) * PARTITIONS + i);
    expect((await x.engine.readiness()).ready, 'within the grace a partition between owners is not yet unowned').toBe(true);
    await sleep(GRACE_MS + 500);
    expect(await unownedInStore(x.store)).toEqual(all);
    expect(await x.engine.readiness()).toMatchObject({ ready: true, partitions: { total: 0, unowned: 0 }, versions: { withoutHost: ['pfm/wallet@1.0'] } });

    // A member that counts in membership, hosts the version, and takes nothing (what a node of
    // another store once was): the slots it wins wait for nobody, and readiness refuses.
    const idA = await ensureClusterId(x.store);
    const nodesKey = x.grid.keys.forCluster(idA).grid('nodes');
    const hostsKey = x.grid.keys.forCluster(idA).grid('hosts');
    const ghost = `${idA}/ghost:0001`;
    await x.grid.client.zadd(nodesKey, Date.now() + 600_000, ghost);
    await x.grid.client.hset(hostsKey, ghost, JSON.stringify([Number(lane)]));
    try {
      const readiness = await x.engine.readiness();
      expect(readiness).toMatchObject({
        ready: false,
        partitions: { total: PARTITIONS, owned: 0, unowned: PARTITIONS, unownedPartitions: all },
        versions: { withoutHost: [] },
      });
      // The HTTP answer carries the same facts (the response schema must not strip them).
      const app = buildApi(x.engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
      try {
        const response = await app.inject({ url: '/ready' });
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ ready: false, partitions: { unowned: PARTITIONS, unownedPartitions: all }, versions: { withoutHost: [] } });
      } finally {
        await app.close();
      }
    } finally {
      await x.grid.client.zrem(nodesKey, ghost);
      await x.grid.client.hdel(hostsKey, ghost);
    }
    // Store B is untouched by A's outage.
    expect(await y.engine.readiness()).toMatchObject({ ready: true, partitions: { owned: PARTITIONS, unowned: 0 } });
  });
});

describe('the grid services and the cluster id', () => {
  const SECRET = 'a-grid-secret-of-thirty-two-chars-at-least';

  it('refuses to run unbound, binds once, and tags membership entries with the cluster id', async () => {
    const grid = await connectTestGrid();
    const services = createGridServices<NodeMessage>(grid, await grid.duplicate({ blocking: true }));
    try {
      // Unbound, the keys would be the bare prefix every store on this Redis shares.
      expect(isJourneyError(await services.heartbeat('n1:aa', 5_000).catch((e: unknown) => e), 'JE_INTERNAL')).toBe(true);
      expect(isJourneyError(await services.send('n1:aa', { kind: 'handled', requestId: 'r', journeySeq: null }).catch((e: unknown) => e), 'JE_INTERNAL')).toBe(
        true,
      );
      const reported: string[][] = [];
      services.bindCluster('c-one', { secret: SECRET, onForeignMembers: (entries) => reported.push(entries) });
      services.bindCluster('c-one', { secret: SECRET });
      expect(() => services.bindCluster('c-two', { secret: SECRET })).toThrow(/serves cluster c-one/);

      const nodesKey = grid.keys.forCluster('c-one').grid('nodes');
      expect(nodesKey).toBe(`${grid.keys.prefix}:c-one:{grid}:nodes`);
      await grid.client.zadd(nodesKey, Date.now() + 60_000, 'c-two/other:01', Date.now() + 60_000, 'legacy-node:02');
      expect(await services.heartbeat('n1:aa', 5_000, [3, 5])).toEqual([{ id: 'n1:aa', lanes: [3, 5] }]);
      expect(await services.members(5_000)).toEqual([{ id: 'n1:aa', lanes: [3, 5] }]);
      expect(reported.at(-1)?.sort()).toEqual(['c-two/other:01', 'legacy-node:02']);
      expect(await grid.client.zscore(nodesKey, 'c-one/n1:aa')).not.toBeNull();
      await services.leave('n1:aa');
      expect(await grid.client.zscore(nodesKey, 'c-one/n1:aa')).toBeNull();
      expect(await grid.client.hget(grid.keys.forCluster('c-one').grid('hosts'), 'c-one/n1:aa')).toBeNull();

      // Inboxes and the owner map live in the cluster's namespace too.
      await services.setOwners(new Map([[3, 'n1:aa']]));
      expect(await grid.client.hget(grid.keys.forCluster('c-one').grid('owners'), '3')).toBe('n1:aa');
      expect(await grid.client.exists(grid.keys.grid('owners'))).toBe(0);
      await services.send('n1:aa', { kind: 'handled', requestId: 'r1', journeySeq: 7 });
      expect(await grid.client.llen(grid.keys.forCluster('c-one').nodeInbox('n1:aa'))).toBe(1);
      expect(await services.receive('n1:aa', 1_000)).toEqual([{ kind: 'handled', requestId: 'r1', journeySeq: 7 }]);
      expect(await services.putState('j-1', 1, '{}', 60_000)).toBe(true);
      expect(await grid.client.exists(grid.keys.forCluster('c-one').hotState('j-1'))).toBe(1);
      expect(await services.getState('j-1')).toEqual({ seq: 1, state: '{}' });
    } finally {
      const keys = grid.keys.forCluster('c-one');
      await Promise.all([keys.grid('nodes'), keys.grid('owners'), keys.hotState('j-1')].map((key) => grid.client.del(key)));
      await services.close();
    }
  });
});
