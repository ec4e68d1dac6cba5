/**
 * Version-aware placement (issue 11, item 4). Nodes on one store and grid host different journey
 * versions, as during a rolling upgrade: an event is handled only by a node that hosts its
 * journey's version, and an event for a deployed version that no live node hosts is accepted and
 * waits, durable, until a host starts. Before placement, the node that owned the journey's
 * partition handled it whatever it hosted, and rejected it (`not deployed on this node`): the
 * acknowledged event was consumed without being applied, and the journey marked failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import type { CompiledJourney } from '../../dsl/index.js';
import type { AcceptResult } from '../../engine/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine, TestEngineOptions } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const PARTITIONS = 8;
const LEASE_TTL_MS = 1_500;
const WALLETS = 8;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('version-aware placement', () => {
  let database: TestDatabase;
  const nodes: TestEngine[] = [];
  let wallet10: CompiledJourney;
  let common: Omit<TestEngineOptions, 'journeys'>;

  const start = async (options: Partial<TestEngineOptions> & Pick<TestEngineOptions, 'journeys' | 'nodeId'>): Promise<TestEngine> => {
    const node = await startTestEngine({ ...common, ...options });
    nodes.push(node);
    return node;
  };

  /** Until every given node holds partitions of each version it hosts. */
  const settled = async (...engines: TestEngine[]): Promise<void> => {
    for (let tries = 0; tries < 100; tries++) {
      const states = await Promise.all(engines.map((n) => n.engine.readiness()));
      if (states.every((s) => s.ready)) return;
      await sleep(100);
    }
    throw new Error('the nodes did not settle');
  };

  const open = (node: TestEngine, version: string, i: number): Promise<AcceptResult> =>
    node.engine.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version,
      event: { type: 'OpenWallet', payload: { owner: `v${version}-${i}`, currency: 'EUR' } },
      context: walletContext(`v${version}-${i}`),
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    wallet10 = await walletJourney();
    common = {
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: testNamespace(),
      partitionCount: PARTITIONS,
      deploymentPollMs: 300,
      workerOptions: { leaseTtlMs: LEASE_TTL_MS, sweepAfterMs: 300, sweepEveryMs: 200 },
    };
  });

  afterAll(async () => {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    await database?.drop();
  });

  it('a version hosted by one node of two is handled by that node only, whichever node accepts', async () => {
    const wallet11: CompiledJourney = { ...wallet10, version: '1.1' };
    const both = await start({ nodeId: 'hosts-both', journeys: [wallet10, wallet11] });
    const old = await start({ nodeId: 'hosts-old', journeys: [wallet10] });
    await settled(both, old);

    const opened: AcceptResult[] = [];
    for (let i = 0; i < WALLETS; i++) opened.push(await open(i % 2 === 0 ? old : both, '1.1', i));
    const outcomes = await Promise.all(opened.map((o) => old.engine.awaitOutcome(o.eventId, 5_000)));
    expect(outcomes.map((o) => o?.outcome)).toEqual(opened.map(() => 'applied'));

    const deposits = await Promise.all(
      opened.map((o, i) =>
        (i % 2 === 0 ? both : old).engine.accept({
          kind: 'target',
          journeyId: o.journeyId,
          event: { type: 'Deposit', payload: { amount: 5 } },
          context: walletContext(`v1.1-${i}`),
        }),
      ),
    );
    const depositOutcomes = await Promise.all(deposits.map((d) => both.engine.awaitOutcome(d.eventId, 5_000)));
    expect(depositOutcomes.map((o) => o?.outcome)).toEqual(deposits.map(() => 'applied'));
    for (const o of opened) {
      expect(await old.engine.getJourney(o.journeyId)).toMatchObject({ version: '1.1', lifecycle: 'active', seq: 2, data: { balance: 5 } });
    }
  });

  it('events of a deployed version that no node hosts wait, and are handled once a host starts', async () => {
    const wallet12: CompiledJourney = { ...wallet10, version: '1.2' };
    // An API-only node carries 1.2: it deploys and accepts it, but hosts (handles) nothing.
    const api = await start({ nodeId: 'api-only', journeys: [wallet10, wallet12], worker: false });
    const opened: AcceptResult[] = [];
    for (let i = 0; i < WALLETS; i++) opened.push(await open(api, '1.2', i));
    expect(await api.engine.awaitOutcome(opened[0]?.eventId ?? '', 1_500)).toBeNull();
    const readiness = await api.engine.readiness();
    expect(readiness.ready).toBe(true);
    expect(readiness.versions?.withoutHost).toEqual(['pfm/wallet@1.2']);
    for (const o of opened) expect(await api.engine.getJourney(o.journeyId)).toMatchObject({ version: '1.2', lifecycle: 'pending', seq: 0 });

    const host = await start({ nodeId: 'hosts-new', journeys: [wallet10, wallet12] });
    const outcomes = await Promise.all(opened.map((o) => host.engine.awaitOutcome(o.eventId, 10_000)));
    expect(outcomes.map((o) => o?.outcome)).toEqual(opened.map(() => 'applied'));
    expect((await api.engine.readiness()).versions?.withoutHost).toEqual([]);

    // Undeployed while these journeys live (as when one is opened on a node that had not heard of
    // the undeploy yet): no new journey starts on it, and the ones it has are still served.
    await api.store.execute(`UPDATE deployments SET undeployed_at = NOW(6) WHERE type_name = 'pfm/wallet' AND type_version = '1.2'`);
    await sleep(3 * 300 + 1_500);
    const refused: unknown = await open(api, '1.2', 99).catch((e: unknown) => e);
    expect(isJourneyError(refused, 'JE_JOURNEY_TYPE_UNKNOWN')).toBe(true);
    const deposit = await api.engine.accept({
      kind: 'target',
      journeyId: opened[0]?.journeyId ?? '',
      event: { type: 'Deposit', payload: { amount: 3 } },
      context: walletContext('v1.2-0'),
    });
    expect(await host.engine.awaitOutcome(deposit.eventId, 10_000)).toMatchObject({ outcome: 'applied', data: { balance: 3 } });
  });
});
