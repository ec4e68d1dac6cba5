/**
 * Versions on a running cluster, end to end (issue 11's acceptance): two nodes serve pfm/wallet
 * 1.0 under a steady load of deposits; 2.0 (a new field with a default, a new event, an uplift
 * section) is deployed into them with no restart; both versions serve; the wallets of one owner
 * are uplifted to 2.0 with a search-field filter, by a run whose node is stopped midway and which
 * is resumed on the other node. Checked at the end, against the store: every acknowledged deposit
 * applied once and in order, every uplifted wallet on 2.0 with valid 2.0 data and the uplift in
 * its history, every other wallet still on 1.0.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { packVersion, upliftData } from '../../dsl/index.js';
import type { CompiledJourney } from '../../dsl/index.js';
import type { EventView, JourneyEngine, UpliftRun } from '../../engine/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';
import { until } from '../support/wait.js';

const PARTITIONS = 8;
const UPLIFTED_OWNER = 'uplift-me';
const WALLETS_PER_GROUP = 10;
const FIXTURE_2_0 = resolve(import.meta.dirname, '../fixtures/journeys/pfm/wallet/2.0');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function history(engine: JourneyEngine, journeyId: string): Promise<EventView[]> {
  const all: EventView[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.listEvents(journeyId, { limit: 500, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

describe('a new version deployed and uplifted into under load', () => {
  let database: TestDatabase;
  const nodes: TestEngine[] = [];
  let wallet10: CompiledJourney;

  beforeAll(async () => {
    database = await createTestDatabase();
    wallet10 = await walletJourney();
    const common = {
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: testNamespace(),
      journeys: [wallet10],
      hostVersions: 'all' as const,
      deploymentPollMs: 300,
      partitionCount: PARTITIONS,
      workerOptions: { leaseTtlMs: 1_500, sweepAfterMs: 300, sweepEveryMs: 200 },
    };
    nodes.push(await startTestEngine({ ...common, nodeId: 'node-a' }));
    nodes.push(await startTestEngine({ ...common, nodeId: 'node-b' }));
    await until('both nodes ready', async () => (await Promise.all(nodes.map((n) => n.engine.readiness()))).every((r) => r.ready));
  });

  afterAll(async () => {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    await database?.drop();
  });

  it('loses, doubles and reorders nothing; moves exactly the chosen wallets, once each', async () => {
    const [a, b] = nodes as [TestEngine, TestEngine];
    const live = new Set<TestEngine>([a, b]);
    /** A node that is still running, taking turns. */
    let turn = 0;
    const anyNode = (): JourneyEngine => {
      const running = [...live];
      turn += 1;
      return (running[turn % running.length] ?? b).engine;
    };

    // Two groups of 1.0 wallets: one owner's (to uplift) and single owners' (to stay).
    const wallets: Array<{ id: string; owner: string; acked: number[] }> = [];
    for (let i = 0; i < 2 * WALLETS_PER_GROUP; i++) {
      const owner = i % 2 === 0 ? UPLIFTED_OWNER : `stay-${i}`;
      const open = await anyNode().accept({
        kind: 'initiate',
        journeyType: 'pfm/wallet',
        version: '1.0',
        event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
        context: walletContext(owner),
      });
      expect(await anyNode().awaitOutcome(open.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
      wallets.push({ id: open.journeyId, owner, acked: [] });
    }

    // The load: each wallet gets deposits 1, 2, 3, … one after the other; a deposit whose answer
    // was lost is sent again with its key, to whichever node is up.
    let loading = true;
    const load = Promise.all(
      wallets.map(async (wallet) => {
        for (let amount = 1; loading; amount++) {
          for (let attempt = 0; ; attempt++) {
            try {
              await anyNode().accept({
                kind: 'target',
                journeyId: wallet.id,
                event: { type: 'Deposit', payload: { amount } },
                context: walletContext('payer'),
                idempotencyKey: `deposit-${wallet.id}-${amount}`,
              });
              wallet.acked.push(amount);
              break;
            } catch (error) {
              if (attempt > 50 || !(isJourneyError(error) || error instanceof Error)) throw error;
              await sleep(50);
            }
          }
          await sleep(20);
        }
      }),
    );

    // 2.0 deployed into the running nodes: both learn it, no restart.
    const bundle = await packVersion(FIXTURE_2_0);
    expect(await a.engine.deploy(bundle)).toMatchObject({ created: true });
    await until('both nodes know 2.0', () => [a, b].every((n) => n.engine.deployments().some((d) => d.version === '2.0' && d.hosted)));
    // Both versions serve: a new 2.0 wallet, beside the 1.0 ones under load.
    const fresh = await b.engine.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '2.0',
      event: { type: 'OpenWallet', payload: { owner: 'new', currency: 'EUR' } },
      context: walletContext('new'),
    });
    expect(await b.engine.awaitOutcome(fresh.eventId, 10_000)).toMatchObject({ outcome: 'applied', data: { tier: 'standard' } });

    // The uplift run, two wallets a step, on node A; node A stops after its first step.
    const first: UpliftRun = await a.engine.startUplift({ journeyType: 'pfm/wallet', from: '1.0', to: '2.0', where: { owner: UPLIFTED_OWNER }, batch: 2 });
    await until('the first step of the run', () => first.uplifted + first.rejected + first.pending >= 2);
    live.delete(a);
    await a.stop();
    nodes.splice(nodes.indexOf(a), 1);
    expect(first.status).not.toBe('done');

    // Resumed on node B: it finds what the first run queued and moves the rest.
    let second: UpliftRun | undefined;
    await until(
      'the run to start again',
      async () => {
        second = await b.engine
          .startUplift({ journeyType: 'pfm/wallet', from: '1.0', to: '2.0', where: { owner: UPLIFTED_OWNER }, batch: 2 })
          .catch((error: unknown) => {
            if (isJourneyError(error, 'JE_UPLIFT_RUNNING')) return undefined;
            throw error;
          });
        return second !== undefined;
      },
      40_000,
    );
    await until('the resumed run to end', () => second?.status !== 'running', 60_000);
    expect(second).toMatchObject({ status: 'done', rejected: 0 });
    await sleep(500);
    loading = false;
    await load;

    // Everything acknowledged is handled before we look.
    const wallet20 = b.engine.resolveJourney('pfm/wallet', '2.0');
    for (const wallet of wallets) {
      const expectedSeq = 1 + wallet.acked.length + (wallet.owner === UPLIFTED_OWNER ? 1 : 0);
      await until(`wallet ${wallet.id} to catch up`, async () => (await b.engine.getJourney(wallet.id))?.seq === expectedSeq);
      const journey = await b.engine.getJourney(wallet.id);
      const events = await history(b.engine, wallet.id);
      const deposits = events.filter((e) => e.type === 'Deposit');
      const uplifts = events.filter((e) => e.origin === 'uplift');
      // Nothing lost, doubled or reordered: the deposits in the order they were acknowledged.
      expect(
        deposits.map((e) => (e.payload as { amount: number }).amount),
        `deposits of ${wallet.id}`,
      ).toEqual(wallet.acked);
      expect(deposits.every((e) => e.status === 'applied')).toBe(true);
      expect(events.map((e) => e.journeySeq)).toEqual(events.map((_, i) => i + 1));
      expect(journey?.data).toMatchObject({ balance: wallet.acked.reduce((s, x) => s + x, 0), deposits: wallet.acked.length });
      if (wallet.owner === UPLIFTED_OWNER) {
        expect(journey?.version).toBe('2.0');
        expect(uplifts).toHaveLength(1);
        expect(uplifts[0]).toMatchObject({ status: 'applied', payload: { from: '1.0', to: '2.0' } });
        expect(journey?.data).toMatchObject({ tier: 'standard' });
        // Valid 2.0 data: read as 2.0 (its schema's defaults and checks), it is unchanged.
        expect(upliftData(wallet20, '2.0', journey?.data ?? {}, 0)).toEqual({ ok: true, data: journey?.data });
      } else {
        expect(journey?.version).toBe('1.0');
        expect(uplifts).toHaveLength(0);
      }
    }
    // An uplifted wallet takes 2.0's new event.
    const moved = wallets.find((w) => w.owner === UPLIFTED_OWNER);
    const tier = await b.engine.accept({
      kind: 'target',
      journeyId: moved?.id ?? '',
      event: { type: 'ChangeTier', payload: { tier: 'premium' } },
      context: walletContext(UPLIFTED_OWNER),
    });
    expect(await b.engine.awaitOutcome(tier.eventId, 10_000)).toMatchObject({ outcome: 'applied', data: { tier: 'premium' } });
  }, 240_000);
});
