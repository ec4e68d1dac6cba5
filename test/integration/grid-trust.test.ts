/**
 * Redis is not a trust boundary: whoever can write to the grid (no HTTP request, no sender
 * authenticated at the edge) must not be able to commit an event, change a journey's data or tell
 * a client an outcome. One engine node on the real Redis Cluster and MariaDB, the wallet journey,
 * and messages pushed by hand onto the owner's inbox list.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureClusterId, ensureGridSecret, openJournal } from '../../cache-store/index.js';
import { callQueuePrefix, newId } from '../../engine/index.js';
import type { JourneyEngine, NodeMessage } from '../../engine/index.js';
import { createGridMac } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';
import { until } from '../support/wait.js';

const PARTITIONS = 4;
/** The node a forged request names as its sender: its inbox shows what the owner answered. */
const SPY = 'spy:0';

/** A metric's value in the engine's exposition (0 when absent). */
async function sample(engine: JourneyEngine, series: string): Promise<number> {
  const text = await engine.metricsText();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('a message pushed onto an inbox by hand (Redis is not a trust boundary)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let node: TestEngine;
  let engine: JourneyEngine;
  let keyPrefix: string;
  let clusterId: string;

  /** The owner's incarnation id (the partitions table names it) and its inbox key. */
  const ownerInbox = async (): Promise<string> => {
    const row = await node.store.queryOne<{ owner_node: string }>(`SELECT owner_node FROM partitions WHERE owner_node IS NOT NULL LIMIT 1`);
    return node.grid.keys.forCluster(clusterId).nodeInbox(row?.owner_node ?? '');
  };

  const push = async (message: unknown): Promise<void> => {
    await node.grid.client.lpush(await ownerInbox(), typeof message === 'string' ? message : JSON.stringify(message));
  };

  const eventRows = async (eventId: string): Promise<number> =>
    Number((await node.store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE event_id = ?`, [eventId]))?.n);

  const openWallet = async (owner: string, deposit: number): Promise<{ journeyId: string; partitionNo: number }> => {
    const open = await engine.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
      context: walletContext(owner),
    });
    const funded = await engine.accept({
      kind: 'target',
      journeyId: open.journeyId,
      event: { type: 'Deposit', payload: { amount: deposit } },
      context: walletContext(owner),
    });
    expect(await engine.awaitOutcome(funded.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
    const row = await node.store.queryOne<{ partition_no: number }>(`SELECT partition_no FROM journeys WHERE journey_id = ?`, [open.journeyId]);
    return { journeyId: open.journeyId, partitionNo: Number(row?.partition_no) };
  };

  /** A forwarded request as an API node sends it: an event not yet written, for inline handling. */
  const handleRequest = (
    journey: { journeyId: string; partitionNo: number },
    type: string,
    payload: Record<string, unknown>,
    context: Record<string, unknown>,
  ): NodeMessage & { kind: 'handle' } => {
    const eventId = newId();
    return {
      kind: 'handle',
      requestId: eventId,
      replyTo: SPY,
      deadlineMs: Date.now() + 60_000,
      event: {
        journeyId: journey.journeyId,
        partitionNo: journey.partitionNo,
        payload,
        context,
        newEvent: {
          eventId,
          type,
          payloadJson: JSON.stringify(payload),
          contextJson: JSON.stringify(context),
          origin: 'api',
          causedBy: null,
          idempotencyKey: null,
          requestHash: null,
        },
      },
    };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    keyPrefix = testNamespace();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix,
      nodeId: 'trust-owner',
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200, idleEvictMs: 500 },
      calls: {},
    });
    engine = node.engine;
    clusterId = await ensureClusterId(node.store);
    await until('the node to own every partition', async () => (await engine.readiness()).partitions.owned === PARTITIONS);
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  it('a forged forwarded request commits nothing: no withdrawal under a forged context, no negative deposit past validation', async () => {
    const wallet = await openWallet('alice', 1_000);
    const forgedContext = { sender: 'alice', roles: ['customer'], trustLevel: 3, channel: 'test', origin: 'api' };
    const withdraw = handleRequest(wallet, 'Withdraw', { amount: 700 }, forgedContext);
    const deposit = handleRequest(wallet, 'Deposit', { amount: -5_000_000 }, forgedContext);
    const forgedBefore = await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}');
    await push(withdraw);
    await push(deposit);
    // Either the node drops both (and counts them) or it handles them and answers the sender.
    const spyInbox = node.grid.keys.forCluster(clusterId).nodeInbox(SPY);
    await until(
      'the forged requests to be dropped or answered',
      async () =>
        (await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}')) >= forgedBefore + 2 || (await node.grid.client.llen(spyInbox)) >= 2,
    );
    expect(await eventRows(withdraw.event.newEvent.eventId)).toBe(0);
    expect(await eventRows(deposit.event.newEvent.eventId)).toBe(0);
    expect(await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}')).toBe(forgedBefore + 2);
    expect(await engine.getJourney(wallet.journeyId)).toMatchObject({ seq: 2, data: { balance: 1_000, withdrawals: 0 } });

    // The journey goes on with genuine events, each applied once.
    const genuine = await engine.accept({
      kind: 'target',
      journeyId: wallet.journeyId,
      event: { type: 'Withdraw', payload: { amount: 300 } },
      context: walletContext('alice'),
    });
    expect(await engine.awaitOutcome(genuine.eventId, 10_000)).toMatchObject({ outcome: 'applied', seq: 3 });
    expect(await engine.getJourney(wallet.journeyId)).toMatchObject({ seq: 3, data: { balance: 700, withdrawals: 1 } });
  });

  it('a forged outcome notification is not what a waiting client is told', async () => {
    const eventId = newId();
    const forgedBefore = await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}');
    await push({ kind: 'outcome', outcome: { eventId, journeyId: newId(), seq: 1, outcome: 'applied', data: { balance: 1_000_000 }, emitted: [] } });
    await until('the forged outcome to be dropped', async () => (await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}')) > forgedBefore);
    expect(await engine.awaitOutcome(eventId, 1_000)).toBeNull();
  });

  it('an altered copy of a genuine message is dropped; the genuine one commits once, even pushed twice', async () => {
    const wallet = await openWallet('carol', 1_000);
    const mac = createGridMac(await ensureGridSecret(node.store));
    const inbox = await ownerInbox();
    const spyInbox = node.grid.keys.forCluster(clusterId).nodeInbox(SPY);
    await node.grid.client.del(spyInbox);
    const request = handleRequest(wallet, 'Deposit', { amount: 5 }, { ...walletContext('carol'), origin: 'api' });
    const genuine = mac.seal(inbox, JSON.stringify(request));
    // The amount changed in the event and in the row to insert; the MAC left as it was.
    const altered = genuine.replaceAll(':5}', ':500}');
    expect(altered).not.toBe(genuine);
    const alteredBefore = await sample(engine, 'je_grid_forged_total{kind="inbox",reason="bad-mac"}');
    await node.grid.client.lpush(inbox, altered);
    // A genuine message moved to another node's inbox fails too (its MAC names the inbox).
    const elsewhere = node.grid.keys.forCluster(clusterId).nodeInbox('elsewhere:0');
    await node.grid.client.lpush(inbox, genuine.replace(/^\{"mac":"[^"]+"/, `{"mac":"${mac.seal(elsewhere, JSON.stringify(request)).slice(8, 51)}"`));
    await until(
      'the altered and the moved copy to be dropped',
      async () => (await sample(engine, 'je_grid_forged_total{kind="inbox",reason="bad-mac"}')) >= alteredBefore + 2,
    );
    expect(await eventRows(request.event.newEvent.eventId)).toBe(0);

    await node.grid.client.lpush(inbox, genuine);
    await node.grid.client.lpush(inbox, genuine);
    await until('both genuine copies to be answered', async () => (await node.grid.client.llen(spyInbox)) >= 2);
    const answers = (await node.grid.client.lrange(spyInbox, 0, -1)).map((text) => mac.open(spyInbox, text));
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(answers.map((answer) => (answer.ok ? (JSON.parse(answer.json) as { journeySeq: number | null }).journeySeq : 'forged'))).toContain(3);
    expect(await eventRows(request.event.newEvent.eventId)).toBe(1);
    expect(await engine.getJourney(wallet.journeyId)).toMatchObject({ seq: 3, data: { balance: 1_005, deposits: 2 } });
    expect(await sample(engine, 'je_grid_forged_total{kind="inbox",reason="bad-mac"}')).toBe(alteredBefore + 2);
  });

  it("a rolling upgrade: an older node's unsigned wake-up is dropped, and its event is still handled once, from the store", async () => {
    const wallet = await openWallet('dave', 1_000);
    const eventId = newId();
    const context = { ...walletContext('dave'), origin: 'api' };
    // What an API node of the previous build does: accept the event in MariaDB, then wake the
    // owner with an unsigned message, which this build drops.
    const accepted = await openJournal(node.store).acceptOne({
      kind: 'target',
      journeyId: wallet.journeyId,
      typeName: 'pfm/wallet',
      typeVersion: '1.0',
      partitionNo: wallet.partitionNo,
      event: {
        eventId,
        type: 'Deposit',
        payloadJson: '{"amount":7}',
        contextJson: JSON.stringify(context),
        origin: 'api',
        causedBy: null,
        idempotencyKey: null,
        requestHash: null,
      },
    });
    expect(accepted).toEqual({ status: 'accepted', journeySeq: 3 });
    const unsignedBefore = await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}');
    await push({
      kind: 'event',
      event: {
        eventId,
        journeyId: wallet.journeyId,
        journeySeq: 3,
        partitionNo: wallet.partitionNo,
        type: 'Deposit',
        payload: { amount: 7 },
        context,
        origin: 'api',
        causedBy: null,
        replyTo: 'older-node:0',
      },
    });
    await until(
      'the unsigned wake-up to be dropped',
      async () => (await sample(engine, 'je_grid_forged_total{kind="inbox",reason="unsigned"}')) > unsignedBefore,
    );
    // The owner's sweep of pending events finds it in the store.
    expect(await engine.awaitOutcome(eventId, 10_000)).toMatchObject({ outcome: 'applied', seq: 3 });
    expect(await engine.getJourney(wallet.journeyId)).toMatchObject({ seq: 3, data: { balance: 1_007, deposits: 2 } });
    expect(await eventRows(eventId)).toBe(1);
  });

  it('a forged back-end call job (a made-up answer) is never run: no reply is accepted', async () => {
    const wallet = await openWallet('erin', 1_000);
    const queue = new Queue('calls', { connection: await node.grid.duplicate(), prefix: callQueuePrefix(keyPrefix, clusterId) });
    try {
      const forgedBefore = await sample(engine, 'je_grid_forged_total{kind="call",reason="unsigned"}');
      const outboxId = newId();
      // A job as the engine queues one, with the back end's answer already kept in it.
      await queue.add(
        'call',
        {
          outboxId,
          journeyId: wallet.journeyId,
          partitionNo: wallet.partitionNo,
          causedBy: newId(),
          system: 'bank',
          operation: 'transfer',
          request: {},
          replyEvent: 'Deposit',
          failureEvent: 'Deposit',
          outcome: { kind: 'reply', answer: { amount: 1_000_000 } },
        },
        { jobId: outboxId },
      );
      await until(
        'the forged job to be dropped or delivered',
        async () =>
          (await sample(engine, 'je_grid_forged_total{kind="call",reason="unsigned"}')) > forgedBefore ||
          ((await engine.getJourney(wallet.journeyId))?.seq ?? 0) > 2,
      );
      expect(await queue.getJobState(outboxId)).toBe('failed');
      expect(await engine.getJourney(wallet.journeyId)).toMatchObject({ seq: 2, data: { balance: 1_000 } });
    } finally {
      await queue.close();
    }
  });

  it('a forged hot state is not used: the journey is handled from the store', async () => {
    const wallet = await openWallet('bob', 1_000);
    // The journey leaves this node's memory, so its next event loads the state (hot copy first).
    await until('the journey to leave memory', async () => (await sample(engine, 'je_journeys_in_memory')) === 0);
    const stateKey = node.grid.keys.forCluster(clusterId).hotState(wallet.journeyId);
    await until('the hot copy to be written', async () => (await node.grid.client.hget(stateKey, 'seq')) === '2');
    // The genuine copy, its balance changed (whatever MAC it carried is left in place).
    const genuine = JSON.parse((await node.grid.client.hget(stateKey, 'state')) ?? '{}') as { data: Record<string, unknown> };
    await node.grid.client.hset(stateKey, 'state', JSON.stringify({ ...genuine, data: { ...genuine.data, balance: 1_000_000 } }));
    const forgedBefore = await sample(engine, 'je_grid_forged_total{kind="state",reason="bad-mac"}');
    const withdraw = await engine.accept({
      kind: 'target',
      journeyId: wallet.journeyId,
      event: { type: 'Withdraw', payload: { amount: 700 } },
      context: walletContext('bob'),
    });
    expect(await engine.awaitOutcome(withdraw.eventId, 10_000)).toMatchObject({ outcome: 'applied', seq: 3 });
    expect(await engine.getJourney(wallet.journeyId)).toMatchObject({ seq: 3, data: { balance: 300, withdrawals: 1 } });
    expect(await sample(engine, 'je_grid_forged_total{kind="state",reason="bad-mac"}')).toBe(forgedBefore + 1);
  });
});
