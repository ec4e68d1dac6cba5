/**
 * The runtime against the real Redis Cluster and MariaDB: exactly-once wallet processing across
 * two engine nodes, per-journey order, idempotent ingress (concurrent duplicates included), and
 * the MariaDB fence refusing a commit from a node that lost its lease.
 *
 * Over 500 lines on purpose: the scenarios share two running nodes and their settled ownership,
 * which takes seconds to reach; one file keeps that cost once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquirePartitions,
  commitHandlingBatch,
  ensureClusterId,
  ensureGridSecret,
  ensurePartitions,
  insertInitiatingEvent,
  openStore,
} from '../../cache-store/index.js';
import type { HandlingCommit, NewEvent, Store } from '../../cache-store/index.js';
import { isJourneyError, silentLogger } from '../../common/index.js';
import { partitionOf, slotOf } from '../../engine/index.js';
import type { AcceptResult, JourneyEngine, NodeMessage } from '../../engine/index.js';
import { createGridServices } from '../../grid/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { replayWallet, walletJourney, walletContext } from '../support/wallet.js';

const PARTITIONS = 16;

/** The engine's counter of events accepted and handled by one commit. */
async function inlineCount(engine: JourneyEngine): Promise<number> {
  const text = await engine.metricsText();
  return Number(/^je_events_inline_total (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('exactly-once runtime (Redis Cluster + MariaDB)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const nodes: TestEngine[] = [];
  const engines: JourneyEngine[] = [];
  const stores: Store[] = [];

  async function startNode(nodeId: string): Promise<JourneyEngine> {
    const node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId,
      journeys: [await walletJourney()],
      partitionCount: PARTITIONS,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
    });
    nodes.push(node);
    engines.push(node.engine);
    stores.push(node.store);
    return node.engine;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    await startNode('node-a');
    await startNode('node-b');
    // Start from settled ownership and routing (each node re-reads the owner map every second):
    // until then wake-ups miss, sweeps deliver, and waiters learn outcomes only from the store
    // poll, which makes these tests slow, not wrong.
    for (let tries = 0; ; tries++) {
      const owned = await Promise.all(engines.map(async (e) => (await e.readiness()).partitions.owned));
      if (owned.every((n) => n > 0) && owned.reduce((x, y) => x + y, 0) === PARTITIONS) break;
      if (tries > 200) throw new Error(`partitions did not settle: ${owned.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_500));
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await database?.drop();
  });

  it('applies every accepted wallet event exactly once, in order, across two nodes', async () => {
    const [a, b] = engines as [JourneyEngine, JourneyEngine];
    const JOURNEYS = 60;
    const EVENTS_PER_JOURNEY = 12;
    const opened = await Promise.all(
      Array.from({ length: JOURNEYS }, (_, i) =>
        (i % 2 ? a : b).accept({
          kind: 'initiate',
          journeyType: 'pfm/wallet',
          version: '1.0',
          event: { type: 'OpenWallet', payload: { owner: `owner-${i}`, currency: 'EUR' } },
          context: walletContext(`owner-${i}`),
        }),
      ),
    );
    // Concurrent senders: every journey gets deposits and withdrawals through both nodes at once.
    const accepted: Array<{ result: AcceptResult; journey: number; type: string; amount: number }> = [];
    await Promise.all(
      opened.map(async (open, journey) => {
        for (let k = 0; k < EVENTS_PER_JOURNEY; k++) {
          const type = k % 3 === 2 ? 'Withdraw' : 'Deposit';
          const amount = 1 + ((journey * 7 + k * 13) % 50);
          const result = await (k % 2 ? a : b).accept({
            kind: 'target',
            journeyId: open.journeyId,
            event: { type, payload: { amount } },
            context: walletContext(`owner-${journey}`),
          });
          accepted.push({ result, journey, type, amount });
        }
      }),
    );
    expect(accepted).toHaveLength(JOURNEYS * EVENTS_PER_JOURNEY);

    // Wait until every journey has handled every accepted event.
    for (const open of opened) {
      const outcome = await a.awaitOutcome(accepted.filter((x) => x.result.journeyId === open.journeyId).at(-1)?.result.eventId ?? '', 20_000);
      expect(outcome, `journey ${open.journeyId} drained`).not.toBeNull();
    }

    for (const [journey, open] of opened.entries()) {
      const view = await a.getJourney(open.journeyId);
      const history = await a.listEvents(open.journeyId, { limit: 500 });
      expect(history.items).toHaveLength(EVENTS_PER_JOURNEY + 1);
      // Order: handled in acceptance order, each exactly once.
      expect(history.items.map((e) => e.journeySeq)).toEqual(Array.from({ length: EVENTS_PER_JOURNEY + 1 }, (_, i) => i + 1));
      expect(history.items.every((e) => e.status !== 'pending')).toBe(true);
      expect(history.items.map((e) => e.outcome?.seq)).toEqual(Array.from({ length: EVENTS_PER_JOURNEY + 1 }, (_, i) => i + 1));
      // Exactness: replay the accepted events in order with the wallet's rules.
      let balance = 0;
      let deposits = 0;
      let withdrawals = 0;
      for (const event of history.items.slice(1)) {
        const amount = (event.payload as { amount: number }).amount;
        if (event.type === 'Deposit') {
          balance += amount;
          deposits += 1;
        } else if (balance >= amount) {
          balance -= amount;
          withdrawals += 1;
        }
      }
      expect(view?.seq).toBe(EVENTS_PER_JOURNEY + 1);
      expect(view).toMatchObject({ type: 'pfm/wallet', version: '1.0', status: 'open', lifecycle: 'active' });
      expect(view?.data).toMatchObject({ owner: `owner-${journey}`, balance, deposits, withdrawals, status: 'open' });
    }
  });

  it("accepts and handles an event in one commit at its journey's owner, also when it arrives elsewhere", async () => {
    const [a, b] = engines as [JourneyEngine, JourneyEngine];
    const store = stores[0] as Store;
    const open = await a.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner: 'inline', currency: 'EUR' } },
      context: walletContext('inline'),
    });
    expect(await a.awaitOutcome(open.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
    const owner = await store.queryOne<{ owner_node: string }>(
      `SELECT p.owner_node FROM partitions p JOIN journeys j ON j.partition_no = p.partition_no WHERE j.journey_id = ?`,
      [open.journeyId],
    );
    const [ownerEngine, otherEngine] = owner?.owner_node.startsWith('node-a:') ? [a, b] : [b, a];

    // At the owner, with the journey idle: one commit, so the outcome is there when the ack is.
    const before = await inlineCount(ownerEngine);
    const inline = await ownerEngine.accept({
      kind: 'target',
      journeyId: open.journeyId,
      event: { type: 'Deposit', payload: { amount: 40 } },
      context: walletContext('inline'),
    });
    expect(inline.journeySeq).toBe(2);
    expect(await inlineCount(ownerEngine)).toBe(before + 1);
    expect(await ownerEngine.awaitOutcome(inline.eventId, 0)).toMatchObject({ outcome: 'applied', seq: 2, data: { balance: 40 } });
    const row = await store.queryOne<{ status: string; same: number }>(`SELECT status, accepted_at = handled_at AS same FROM events WHERE event_id = ?`, [
      inline.eventId,
    ]);
    expect(row).toMatchObject({ status: 'applied', same: 1 });

    // Elsewhere: forwarded to the owner, which handles it inline too and sends the outcome back.
    const routed = await otherEngine.accept({
      kind: 'target',
      journeyId: open.journeyId,
      event: { type: 'Withdraw', payload: { amount: 15 } },
      context: walletContext('inline'),
    });
    expect(routed.journeySeq).toBe(3);
    expect(await otherEngine.awaitOutcome(routed.eventId, 0)).toMatchObject({ outcome: 'applied', seq: 3, data: { balance: 25 } });
    expect(await inlineCount(ownerEngine)).toBe(before + 2);
    const view = await a.getJourney(open.journeyId);
    expect(view).toMatchObject({ seq: 3, data: { balance: 25, deposits: 1, withdrawals: 1 } });
  });

  it('keeps order and exactness when inline commits race accepts for the same journeys on another node', async () => {
    const [a, b] = engines as [JourneyEngine, JourneyEngine];
    const JOURNEYS = 20;
    const SENDERS_PER_JOURNEY = 4;
    const EVENTS_PER_SENDER = 8;
    const opened = await Promise.all(
      Array.from({ length: JOURNEYS }, (_, i) =>
        a.accept({
          kind: 'initiate',
          journeyType: 'pfm/wallet',
          version: '1.0',
          event: { type: 'OpenWallet', payload: { owner: `race-${i}`, currency: 'EUR' } },
          context: walletContext(`race-${i}`),
        }),
      ),
    );
    await Promise.all(opened.map((o) => a.awaitOutcome(o.eventId, 10_000)));
    const inlineBefore = (await inlineCount(a)) + (await inlineCount(b));
    // Several senders per journey at once, through both nodes: inline commits at the owner race
    // plain accepts at the other node for the same journey row.
    const acks: Array<{ journey: number; sender: number; result: AcceptResult }> = [];
    await Promise.all(
      opened.flatMap((open, journey) =>
        Array.from({ length: SENDERS_PER_JOURNEY }, async (_, sender) => {
          for (let k = 0; k < EVENTS_PER_SENDER; k++) {
            const type = (k + sender) % 3 === 2 ? 'Withdraw' : 'Deposit';
            const amount = 1 + ((journey * 5 + sender * 11 + k * 7) % 30);
            const result = await (sender % 2 ? a : b).accept({
              kind: 'target',
              journeyId: open.journeyId,
              event: { type, payload: { amount } },
              context: walletContext(`race-${journey}`),
            });
            acks.push({ journey, sender, result });
          }
        }),
      ),
    );
    // Then rounds from an idle journey: one event at the owner (a: the journeys were opened, and
    // so placed, there) and one at the other node at the same moment, so the owner's inline
    // commit races the other's accept for the same row every time.
    const ROUNDS = 6;
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        opened.map(async (open, journey) => {
          const context = walletContext(`race-${journey}`);
          const [atOwner, elsewhere] = await Promise.all([
            a.accept({ kind: 'target', journeyId: open.journeyId, event: { type: 'Deposit', payload: { amount: 3 + round } }, context }),
            b.accept({ kind: 'target', journeyId: open.journeyId, event: { type: 'Withdraw', payload: { amount: 2 + round } }, context }),
          ]);
          acks.push({ journey, sender: SENDERS_PER_JOURNEY + 1, result: atOwner }, { journey, sender: SENDERS_PER_JOURNEY, result: elsewhere });
          await Promise.all([a.awaitOutcome(atOwner.eventId, 10_000), b.awaitOutcome(elsewhere.eventId, 10_000)]);
        }),
      );
    }
    const perJourney = SENDERS_PER_JOURNEY * EVENTS_PER_SENDER + 2 * ROUNDS + 1;
    for (const [journey, open] of opened.entries()) {
      const mine = acks.filter((x) => x.journey === journey);
      const last = mine.reduce((max, x) => (x.result.journeySeq > max.result.journeySeq ? x : max));
      // Asked of the node that accepted it: outcomes are pushed to the acceptor.
      expect(await (last.sender % 2 ? a : b).awaitOutcome(last.result.eventId, 20_000), `journey ${journey} drained`).not.toBeNull();
      // Each sender's events were accepted in the order it sent them.
      for (let sender = 0; sender < SENDERS_PER_JOURNEY + 2; sender++) {
        const seqs = mine.filter((x) => x.sender === sender).map((x) => x.result.journeySeq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      }
      const history = await a.listEvents(open.journeyId, { limit: 500 });
      expect(history.items.map((e) => e.journeySeq)).toEqual(Array.from({ length: perJourney }, (_, i) => i + 1));
      expect(history.items.map((e) => e.outcome?.seq)).toEqual(Array.from({ length: perJourney }, (_, i) => i + 1));
      expect(new Set(mine.map((x) => x.result.eventId))).toEqual(new Set(history.items.slice(1).map((e) => e.eventId)));
      const view = await a.getJourney(open.journeyId);
      expect(view?.seq).toBe(perJourney);
      expect(view?.data).toMatchObject(replayWallet(history.items.slice(1).map((e) => ({ type: e.type, amount: (e.payload as { amount: number }).amount }))));
    }
    // Both paths ran: some events inline, the rest through the mailbox.
    const inlined = (await inlineCount(a)) + (await inlineCount(b)) - inlineBefore;
    expect(inlined).toBeGreaterThan(0);
    expect(inlined).toBeLessThan(JOURNEYS * (perJourney - 1));
  });

  it('answers a resubmitted idempotency key with the first event and applies it once', async () => {
    const [a, b] = engines as [JourneyEngine, JourneyEngine];
    const open = await a.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: 'latest',
      event: { type: 'OpenWallet', payload: { owner: 'idem', currency: 'EUR' } },
      context: walletContext('idem'),
      idempotencyKey: 'idem-open-1',
    });
    const again = await b.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: 'latest',
      event: { type: 'OpenWallet', payload: { owner: 'idem', currency: 'EUR' } },
      context: walletContext('idem'),
      idempotencyKey: 'idem-open-1',
    });
    expect(again).toMatchObject({ journeyId: open.journeyId, eventId: open.eventId, duplicate: true });

    // Ten concurrent duplicates of one deposit through both nodes: one event, applied once.
    const deposits = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).accept({
          kind: 'target',
          journeyId: open.journeyId,
          event: { type: 'Deposit', payload: { amount: 25 } },
          context: walletContext('idem'),
          idempotencyKey: 'idem-deposit-1',
        }),
      ),
    );
    expect(new Set(deposits.map((d) => d.eventId)).size).toBe(1);
    expect(deposits.filter((d) => !d.duplicate)).toHaveLength(1);
    const outcome = await a.awaitOutcome(deposits[0]?.eventId ?? '', 10_000);
    expect(outcome).toMatchObject({ outcome: 'applied', data: { balance: 25, deposits: 1 } });

    // The same key for a different request is refused, not silently answered.
    await expect(
      a.accept({
        kind: 'target',
        journeyId: open.journeyId,
        event: { type: 'Deposit', payload: { amount: 99 } },
        context: walletContext('idem'),
        idempotencyKey: 'idem-deposit-1',
      }),
    ).rejects.toSatisfy((error: unknown) => isJourneyError(error, 'JE_IDEMPOTENCY_CONFLICT'));
    const history = await a.listEvents(open.journeyId);
    expect(history.items.map((e) => e.type)).toEqual(['OpenWallet', 'Deposit']);
  });

  it('rejects bad input before writing anything', async () => {
    const [a] = engines as [JourneyEngine];
    const refusals: Array<[() => Promise<unknown>, string]> = [
      [
        () => a.accept({ kind: 'initiate', journeyType: 'pfm/nope', version: '1.0', event: { type: 'OpenWallet', payload: {} }, context: walletContext('x') }),
        'JE_JOURNEY_TYPE_UNKNOWN',
      ],
      [
        () =>
          a.accept({
            kind: 'initiate',
            journeyType: 'pfm/wallet',
            version: '1.0',
            event: { type: 'Deposit', payload: { amount: 1 } },
            context: walletContext('x'),
          }),
        'JE_EVENT_NOT_INITIATING',
      ],
      [
        () =>
          a.accept({
            kind: 'initiate',
            journeyType: 'pfm/wallet',
            version: '1.0',
            event: { type: 'OpenWallet', payload: { owner: 'x' } },
            context: walletContext('x'),
          }),
        'JE_EVENT_INVALID',
      ],
      [
        () =>
          a.accept({
            kind: 'target',
            journeyId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
            event: { type: 'Deposit', payload: { amount: 1 } },
            context: walletContext('x'),
          }),
        'JE_JOURNEY_NOT_FOUND',
      ],
      [
        () => a.accept({ kind: 'target', journeyId: "1' OR '1'='1", event: { type: 'Deposit', payload: { amount: 1 } }, context: walletContext('x') }),
        'JE_JOURNEY_NOT_FOUND',
      ],
    ];
    for (const [attempt, code] of refusals) {
      await expect(attempt()).rejects.toSatisfy((error: unknown) => isJourneyError(error) && error.code === code);
    }
    const search = await a.search({ journeyType: 'pfm/wallet', fields: { owner: 'x' } });
    expect(search.items).toHaveLength(0);
  });

  it('serves search over the indexed search fields', async () => {
    const [a] = engines as [JourneyEngine];
    const page = await a.search({ journeyType: 'pfm/wallet', fields: { owner: 'owner-3', status: 'open' } });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.data).toMatchObject({ owner: 'owner-3' });
  });

  it('fences a commit from a node whose partition lease was taken over', async () => {
    const store = stores[0] as Store;
    const journeyId = '01J00000000000000000000000';
    // The slot the journey would have in the wallet version's lane.
    const lane = Number(
      (await store.queryOne<{ lane_no: number }>(`SELECT lane_no FROM deployments WHERE type_name = 'pfm/wallet' AND type_version = '1.0'`))?.lane_no,
    );
    const partitionNo = slotOf(lane, journeyId, PARTITIONS);
    // A stale owner believes it holds the partition at epoch 1; another node took it over since.
    const taken = await store.withTransaction(
      async (tx) => {
        await tx.execute(`UPDATE partitions SET owner_node = NULL, lease_expires_at = NULL WHERE partition_no = ?`, [partitionNo]);
        return acquirePartitions(tx.connection, 'usurper:1', [partitionNo], 60_000);
      },
      { label: 'test-takeover' },
    );
    expect(taken.get(partitionNo)).toBeGreaterThan(0);
    const commit: HandlingCommit = {
      journeyId,
      partitionNo,
      eventId: '01J00000000000000000000001',
      eventType: 'Deposit',
      expectedHandledSeq: 0,
      status: 'applied',
      lifecycle: 'active',
      dataJson: '{}',
      outcomeJson: '{}',
      feedback: [],
      timersToStart: [],
      timersToCancel: [],
      cancelTimersOnEvent: false,
      calls: [],
    };
    const stale = await store.withTransaction((tx) => commitHandlingBatch(tx.connection, 'stale:1', new Map([[partitionNo, 1]]), [commit]), {
      label: 'test-stale',
    });
    expect(stale).toEqual([{ status: 'fenced' }]);
    // Even the usurper with a wrong (old) epoch is fenced: the epoch, not the name, is the token.
    const wrongEpoch = await store.withTransaction(
      (tx) => commitHandlingBatch(tx.connection, 'usurper:1', new Map([[partitionNo, (taken.get(partitionNo) ?? 0) - 1]]), [commit]),
      { label: 'test-wrong-epoch' },
    );
    expect(wrongEpoch).toEqual([{ status: 'fenced' }]);
  });
});

describe('inline handling on a node that commits one batch at a time', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let node: TestEngine;

  beforeAll(async () => {
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'solo',
      journeys: [await walletJourney()],
      partitionCount: 4,
      workerOptions: { commitConcurrency: 1 },
    });
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  it('opens a journey inline: one commit creates it and handles its initiating event', async () => {
    const { engine, store } = node;
    const before = await inlineCount(engine);
    const open = await engine.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner: 'born-inline', currency: 'EUR' } },
      context: walletContext('born-inline'),
    });
    expect(open.journeySeq).toBe(1);
    expect(await inlineCount(engine)).toBe(before + 1);
    // The outcome was there when the ack was, and the journey row was written by the same commit.
    expect(await engine.awaitOutcome(open.eventId, 0)).toMatchObject({ outcome: 'applied', seq: 1, data: { owner: 'born-inline', balance: 0 } });
    const journey = await store.queryOne<{ handled_seq: number; accepted_seq: number; lifecycle: string }>(
      `SELECT handled_seq, accepted_seq, lifecycle FROM journeys WHERE journey_id = ?`,
      [open.journeyId],
    );
    expect(journey).toMatchObject({ handled_seq: 1, accepted_seq: 1, lifecycle: 'active' });
    const event = await store.queryOne<{ status: string; same: number }>(`SELECT status, accepted_at = handled_at AS same FROM events WHERE event_id = ?`, [
      open.eventId,
    ]);
    expect(event).toMatchObject({ status: 'applied', same: 1 });
    // And the next event follows inline on the journey it created.
    const deposit = await engine.accept({
      kind: 'target',
      journeyId: open.journeyId,
      event: { type: 'Deposit', payload: { amount: 12 } },
      context: walletContext('born-inline'),
    });
    expect(await engine.awaitOutcome(deposit.eventId, 0)).toMatchObject({ outcome: 'applied', seq: 2, data: { balance: 12 } });
    expect(await inlineCount(engine)).toBe(before + 2);
    expect(await engine.search({ journeyType: 'pfm/wallet', fields: { owner: 'born-inline' } })).toMatchObject({ items: [{ journeyId: open.journeyId }] });

    // A replayed key on an initiating event answers the first journey and creates no other.
    const keyed = {
      kind: 'initiate' as const,
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner: 'born-twice', currency: 'EUR' } },
      context: walletContext('born-twice'),
      idempotencyKey: 'born-twice',
    };
    const first = await engine.accept(keyed);
    const again = await engine.accept(keyed);
    expect(again).toMatchObject({ journeyId: first.journeyId, eventId: first.eventId, duplicate: true });
    expect((await engine.search({ journeyType: 'pfm/wallet', fields: { owner: 'born-twice' } })).items).toHaveLength(1);
  });

  it('a reused idempotency key in a shared commit answers the first event and fails none of the others', async () => {
    const { engine } = node;
    const opened = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        engine.accept({
          kind: 'initiate',
          journeyType: 'pfm/wallet',
          version: '1.0',
          event: { type: 'OpenWallet', payload: { owner: `dup-${i}`, currency: 'EUR' } },
          context: walletContext(`dup-${i}`),
        }),
      ),
    );
    await Promise.all(opened.map((o) => engine.awaitOutcome(o.eventId, 10_000)));
    const [first, ...others] = opened as [AcceptResult, ...AcceptResult[]];
    const deposit = {
      kind: 'target' as const,
      journeyId: first.journeyId,
      event: { type: 'Deposit', payload: { amount: 7 } },
      context: walletContext('dup-0'),
      idempotencyKey: 'dup-deposit',
    };
    const original = await engine.accept(deposit);
    expect(await engine.awaitOutcome(original.eventId, 10_000)).toMatchObject({ outcome: 'applied', data: { balance: 7 } });

    // One commit runs at a time, so the first of these goes alone and the rest share the next
    // one, the replayed key among them: its insert fails that shared commit as a whole.
    const [lead, replay, ...rest] = await Promise.all([
      engine.accept({
        kind: 'target',
        journeyId: others[0]?.journeyId ?? '',
        event: { type: 'Deposit', payload: { amount: 10 } },
        context: walletContext('dup-1'),
      }),
      engine.accept(deposit),
      ...others.slice(1).map((o, i) =>
        engine.accept({
          kind: 'target',
          journeyId: o.journeyId,
          event: { type: 'Deposit', payload: { amount: 11 + i } },
          context: walletContext(`dup-${i + 2}`),
        }),
      ),
    ]);
    expect(replay).toMatchObject({ eventId: original.eventId, journeySeq: original.journeySeq, duplicate: true });
    for (const [i, answer] of [lead, ...rest].entries()) {
      expect(answer?.duplicate).toBe(false);
      expect(await engine.awaitOutcome(answer?.eventId ?? '', 10_000)).toMatchObject({ outcome: 'applied', seq: 2, data: { balance: 10 + i } });
    }
    // The shared commit did fail on the key, and the others were committed without it.
    expect(await engine.metricsText()).toMatch(/je_commit_retries_total\{reason="duplicate-key"\} [1-9]/);
    const history = await engine.listEvents(first.journeyId);
    expect(history.items.map((e) => e.type)).toEqual(['OpenWallet', 'Deposit']);
  });
});

describe('group commit (the journal, without an engine)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  const OWNER = 'tester:1';
  let epochs: Map<number, number>;

  const newEvent = (eventId: string, type: string, payload: Record<string, unknown>): NewEvent => ({
    eventId,
    type,
    payloadJson: JSON.stringify(payload),
    contextJson: '{}',
    origin: 'api',
    causedBy: null,
    idempotencyKey: null,
    requestHash: null,
  });
  const commitFor = (journeyId: string, eventId: string, expectedHandledSeq: number, data: Record<string, unknown>, accept?: NewEvent): HandlingCommit => ({
    journeyId,
    partitionNo: partitionOf(journeyId, 4),
    eventId,
    eventType: accept?.type ?? 'OpenWallet',
    expectedHandledSeq,
    status: 'applied',
    lifecycle: 'active',
    dataJson: JSON.stringify(data),
    outcomeJson: JSON.stringify({ seq: expectedHandledSeq + 1 }),
    feedback: [],
    ...(accept ? { accept } : {}),
    timersToStart: [],
    timersToCancel: [],
    cancelTimersOnEvent: false,
    calls: [],
  });
  const row = (journeyId: string) =>
    store.queryOne<{ handled_seq: number; accepted_seq: number; data: string | null }>(
      `SELECT handled_seq, accepted_seq, data FROM journeys WHERE journey_id = ?`,
      [journeyId],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStore({ url: database.url, logger: silentLogger() });
    epochs = await store.withTransaction(
      async (tx) => {
        await ensurePartitions(tx.connection, [0, 1, 2, 3]);
        return acquirePartitions(tx.connection, OWNER, [0, 1, 2, 3], 60_000);
      },
      { label: 'test-acquire' },
    );
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('commits the journeys whose update held and reports each other one as a conflict, writing nothing of it', async () => {
    const ids = ['01J10000000000000000000001', '01J10000000000000000000002', '01J10000000000000000000003', '01J10000000000000000000004'];
    const opens = ids.map((id, i) => `01J2000000000000000000000${i}`);
    await store.withTransaction(
      async (tx) => {
        for (const [i, journeyId] of ids.entries()) {
          await insertInitiatingEvent(
            tx.connection,
            { journeyId, typeName: 'pfm/wallet', typeVersion: '1.0', partitionNo: partitionOf(journeyId, 4) },
            newEvent(opens[i] ?? '', 'OpenWallet', {}),
          );
        }
      },
      { label: 'test-open' },
    );
    const [j1, j2, j3, j4] = ids as [string, string, string, string];
    // j4 handles its opening first, so an inline event can follow it.
    const first = await store.withTransaction((tx) => commitHandlingBatch(tx.connection, OWNER, epochs, [commitFor(j4, opens[3] ?? '', 0, { n: 0 })]), {
      label: 'test-j4',
    });
    expect(first).toEqual([{ status: 'committed', feedbackSeqs: [] }]);

    const inlineJ3 = newEvent('01J30000000000000000000003', 'Deposit', { amount: 1 });
    const inlineJ4 = newEvent('01J30000000000000000000004', 'Deposit', { amount: 2 });
    const results = await store.withTransaction(
      (tx) =>
        commitHandlingBatch(tx.connection, OWNER, epochs, [
          commitFor(j1, opens[0] ?? '', 0, { n: 1 }), // holds
          commitFor(j2, opens[1] ?? '', 3, { n: 2 }), // stale: handled_seq is 0
          commitFor(j3, inlineJ3.eventId, 0, { n: 3 }, inlineJ3), // inline, but its opening is still pending
          commitFor(j4, inlineJ4.eventId, 1, { n: 4 }, inlineJ4), // inline, caught up: holds
        ]),
      { label: 'test-mixed' },
    );
    expect(results.map((r) => r.status)).toEqual(['committed', 'conflict', 'conflict', 'committed']);
    expect(await row(j1)).toMatchObject({ handled_seq: 1, accepted_seq: 1, data: '{"n":1}' });
    expect(await row(j2)).toMatchObject({ handled_seq: 0, accepted_seq: 1, data: null });
    expect(await row(j3)).toMatchObject({ handled_seq: 0, accepted_seq: 1, data: null });
    expect(await row(j4)).toMatchObject({ handled_seq: 2, accepted_seq: 2, data: '{"n":4}' });
    const events = await store.query<{ event_id: string; journey_seq: number; status: string }>(
      `SELECT event_id, journey_seq, status FROM events WHERE event_id IN (?) ORDER BY event_id`,
      [[...opens, inlineJ3.eventId, inlineJ4.eventId]],
    );
    expect(events.map((e) => [e.event_id, Number(e.journey_seq), e.status])).toEqual([
      [opens[0], 1, 'applied'],
      [opens[1], 1, 'pending'],
      [opens[2], 1, 'pending'],
      [opens[3], 1, 'applied'],
      [inlineJ4.eventId, 2, 'applied'],
    ]);

    // All holding: one bulk update checked by its total.
    const again = await store.withTransaction(
      (tx) => commitHandlingBatch(tx.connection, OWNER, epochs, [commitFor(j2, opens[1] ?? '', 0, { n: 5 }), commitFor(j3, opens[2] ?? '', 0, { n: 6 })]),
      { label: 'test-all-hold' },
    );
    expect(again.map((r) => r.status)).toEqual(['committed', 'committed']);
    expect(await row(j2)).toMatchObject({ handled_seq: 1, data: '{"n":5}' });
    expect(await row(j3)).toMatchObject({ handled_seq: 1, data: '{"n":6}' });
  });
});

describe('readiness with more nodes than partitions', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const nodes: TestEngine[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const nodeId of ['few-a', 'few-b']) {
      nodes.push(
        await startTestEngine({
          databaseUrl: database.url,
          seeds: gridSeeds(),
          keyPrefix: database.name,
          nodeId,
          journeys: [await walletJourney()],
          partitionCount: 1,
          workerOptions: { leaseTtlMs: 3_000 },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await database?.drop();
  });

  it('a worker node that membership gives no partition is ready, and so is the one that holds it', async () => {
    let states: Array<{ ready: boolean; owned: number }> = [];
    for (let tries = 0; tries < 100; tries++) {
      states = await Promise.all(
        nodes.map(async (n) => {
          const r = await n.engine.readiness();
          return { ready: r.ready, owned: r.partitions.owned };
        }),
      );
      if (
        states
          .map((s) => s.owned)
          .sort()
          .join() === '0,1' &&
        states.every((s) => s.ready)
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(states.map((s) => s.owned).sort()).toEqual([0, 1]);
    expect(states.every((s) => s.ready)).toBe(true);
  });
});

describe('forwarding to the owner for inline handling', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const nodes: TestEngine[] = [];
  let owner: JourneyEngine;
  let api: JourneyEngine;
  /** Gives up on the owner's answer at once: every forward races its own fallback. */
  let hasty: JourneyEngine;

  const counter = async (engine: JourneyEngine, pattern: RegExp): Promise<number> => Number(pattern.exec(await engine.metricsText())?.[1] ?? 0);

  beforeAll(async () => {
    database = await createTestDatabase();
    const common = { databaseUrl: database.url, seeds: gridSeeds(), keyPrefix: database.name, journeys: [await walletJourney()], partitionCount: 8 };
    nodes.push(await startTestEngine({ ...common, nodeId: 'fw-owner' }));
    nodes.push(await startTestEngine({ ...common, nodeId: 'fw-api', worker: false }));
    nodes.push(await startTestEngine({ ...common, nodeId: 'fw-hasty', worker: false, forwardTimeoutMs: 1, storeOptions: { poolSize: 1 } }));
    [owner, api, hasty] = nodes.map((n) => n.engine) as [JourneyEngine, JourneyEngine, JourneyEngine];
    // The API nodes learn the partition owners from the grid every second.
    await new Promise((r) => setTimeout(r, 1_500));
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await database?.drop();
  });

  it('an API-only node hands events to their owner, which accepts and handles each in one commit', async () => {
    const open = await api.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner: 'fw', currency: 'EUR' } },
      context: walletContext('fw'),
    });
    expect(await api.awaitOutcome(open.eventId, 5_000)).toMatchObject({ outcome: 'applied', seq: 1 });
    const inlineBefore = await inlineCount(owner);
    const handledBefore = await counter(api, /^je_events_forwarded_total\{result="handled"\} (\d+)/m);
    for (let k = 1; k <= 5; k++) {
      const ack = await api.accept({
        kind: 'target',
        journeyId: open.journeyId,
        event: { type: 'Deposit', payload: { amount: k } },
        context: walletContext('fw'),
      });
      expect(ack).toMatchObject({ journeySeq: k + 1, duplicate: false });
      // The owner sent the outcome along with its answer.
      expect(await api.awaitOutcome(ack.eventId, 0)).toMatchObject({ outcome: 'applied', seq: k + 1 });
    }
    expect(await inlineCount(owner)).toBe(inlineBefore + 5);
    expect(await counter(api, /^je_events_forwarded_total\{result="handled"\} (\d+)/m)).toBe(handledBefore + 5);
    expect(await owner.getJourney(open.journeyId)).toMatchObject({ seq: 6, data: { balance: 15, deposits: 5 } });
  });

  it('the owner declines a forwarded event read after its deadline, and handles one read in time', async () => {
    const open = await api.accept({
      kind: 'initiate',
      journeyType: 'pfm/wallet',
      version: '1.0',
      event: { type: 'OpenWallet', payload: { owner: 'stale', currency: 'EUR' } },
      context: walletContext('stale'),
    });
    expect(await api.awaitOutcome(open.eventId, 5_000)).not.toBeNull();
    const store = (nodes[0] as TestEngine).store;
    const partitionNo = Number(
      (await store.queryOne<{ partition_no: number }>(`SELECT partition_no FROM journeys WHERE journey_id = ?`, [open.journeyId]))?.partition_no,
    );
    const ownerId = (await store.queryOne<{ owner_node: string }>(`SELECT owner_node FROM partitions WHERE partition_no = ?`, [partitionNo]))?.owner_node ?? '';
    const grid = (nodes[1] as TestEngine).grid;
    const blocking = await grid.duplicate({ blocking: true });
    const services = createGridServices<NodeMessage>(grid, blocking);
    services.bindCluster(await ensureClusterId(store), { secret: await ensureGridSecret(store) });
    const forward = (eventId: string, deadlineMs: number) =>
      services.send(ownerId, {
        kind: 'handle',
        requestId: eventId,
        replyTo: 'nobody:0',
        deadlineMs,
        event: {
          journeyId: open.journeyId,
          partitionNo,
          payload: { amount: 5 },
          context: { ...walletContext('stale'), origin: 'api' },
          newEvent: {
            eventId,
            type: 'Deposit',
            payloadJson: '{"amount":5}',
            contextJson: JSON.stringify({ ...walletContext('stale'), origin: 'api' }),
            origin: 'api',
            causedBy: null,
            idempotencyKey: null,
            requestHash: null,
          },
        },
      });
    const exists = async (eventId: string) => (await store.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE event_id = ?`, [eventId]))?.n;
    await forward('01J40000000000000000000001', Date.now() - 1);
    await forward('01J40000000000000000000002', Date.now() + 10_000);
    for (let tries = 0; tries < 50 && Number(await exists('01J40000000000000000000002')) === 0; tries++) await new Promise((r) => setTimeout(r, 100));
    expect(Number(await exists('01J40000000000000000000002'))).toBe(1);
    expect(Number(await exists('01J40000000000000000000001'))).toBe(0);
    blocking.disconnect();
  });

  it('an answer that comes too late changes nothing: each event is written once, by the owner or by the fallback', async () => {
    const JOURNEYS = 10;
    const opened = await Promise.all(
      Array.from({ length: JOURNEYS }, (_, i) =>
        api.accept({
          kind: 'initiate',
          journeyType: 'pfm/wallet',
          version: '1.0',
          event: { type: 'OpenWallet', payload: { owner: `late-${i}`, currency: 'EUR' } },
          context: walletContext(`late-${i}`),
        }),
      ),
    );
    await Promise.all(opened.map((o) => api.awaitOutcome(o.eventId, 5_000)));
    const acks: AcceptResult[][] = opened.map(() => []);
    const deposit = (i: number, k: number) => {
      const keyed = k % 2 === 0 ? { idempotencyKey: `late-${i}-${k}` } : {};
      return hasty.accept({
        kind: 'target',
        journeyId: opened[i]?.journeyId ?? '',
        event: { type: 'Deposit', payload: { amount: 1 + k } },
        context: walletContext(`late-${i}`),
        ...keyed,
      });
    };

    // The fallback wins: the hasty node stops waiting after 1 ms and accepts the event itself,
    // and the owner, getting it later, finds it already accepted.
    await Promise.all(
      opened.map(async (_, i) => {
        for (let k = 0; k < 4; k++) acks[i]?.push(await deposit(i, k));
      }),
    );
    expect(await counter(hasty, /^je_events_forwarded_total\{result="timeout"\} (\d+)/m)).toBeGreaterThan(0);

    // The owner wins: the hasty node's only store connection is busy, so its fallbacks wait while
    // the owner commits each event inline; they then find the event written under its id or key.
    const inlineBefore = await inlineCount(owner);
    const hold = (nodes[2] as TestEngine).store.withTransaction(() => new Promise((r) => setTimeout(r, 400)), { label: 'test-hold-the-pool' });
    await new Promise((r) => setTimeout(r, 20));
    const late = await Promise.all(opened.map((_, i) => deposit(i, 4 + (i % 2))));
    await hold;
    late.forEach((ack, i) => acks[i]?.push(ack));
    expect(await inlineCount(owner)).toBe(inlineBefore + JOURNEYS);

    for (const [i, open] of opened.entries()) {
      const mine = acks[i] ?? [];
      expect(mine.every((a) => !a.duplicate)).toBe(true);
      expect(mine.map((a) => a.journeySeq)).toEqual([2, 3, 4, 5, 6]);
      expect(await hasty.awaitOutcome(mine.at(-1)?.eventId ?? '', 10_000)).not.toBeNull();
      const history = await owner.listEvents(open.journeyId, { limit: 100 });
      expect(history.items.map((e) => e.journeySeq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(history.items.map((e) => e.outcome?.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(history.items.slice(1).map((e) => e.eventId)).toEqual(mine.map((a) => a.eventId));
      const amounts = [1, 2, 3, 4, 5 + (i % 2)];
      expect(await owner.getJourney(open.journeyId)).toMatchObject({ seq: 6, data: { balance: amounts.reduce((x, y) => x + y, 0), deposits: 5 } });
    }
  });
});
