/**
 * Events between journeys on the real engine (Redis Cluster + MariaDB): the basket signing
 * example end to end — every item signed completes the basket; one refusal rejects it and
 * withdraws the others (cancelled while pending, revoked once signed); a message delivered again
 * (a crash after delivering, before its row was marked) is found by its idempotency key and never
 * starts a second journey. And what cannot be delivered — no such journey, another tenant's, a
 * version not deployed — comes back to the sender as its failure event, never crashing it.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import { compileJourney, compileJourneys, formatDiagnostics, SYSTEM_CONTEXTS } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, JsonObject } from '../../dsl/index.js';
import type { EventView, JourneyEngine, JourneyView } from '../../engine/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { waitFor } from '../support/wait.js';

const BASKET = 'theglue/signing/basketsign';
const SIGNATURE = 'theglue/signing/signature';
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const signer = (name: string): EventContext => ({ sender: name, roles: ['customer'], trustLevel: 2, channel: 'app' });
const item = (id: string, signedBy: string, amount: number): JsonObject => ({ id, signer: signedBy, amount, currency: 'EUR', creditor: `Creditor ${id}` });

/** A journey that pings another by id, or starts a type that is not deployed; it hears when that fails. */
const PINGER_SOURCE = `journey t/pinger version 1.0
data schema "data.json"
events from "events/"
read allow "auditor" in roles

on Ping initiating
  set to = event.to, status = "sent"
  send Pong to data.to { n: 1 } failure NotDelivered

on StartMissing initiating
  set status = "sent"
  start t/missing 1.0 with { n: 1 } as data.to failure NotDelivered

on Pong
  allow context.origin == "journey"
  set status = "ponged", from = context.journey

on NotDelivered
  allow context.origin == "journey" and sender == "system:journey"
  set status = "failed", reason = event.reason, failedTo = event.journeyId
`;

function pinger(): CompiledJourney {
  const object = (properties: Record<string, unknown>, required: string[] = []): string =>
    JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties, required, additionalProperties: false });
  const text = { type: 'string' };
  const files = new Map([
    ['data.json', object({ to: text, status: text, from: text, reason: text, failedTo: text })],
    ['events/ping.schema.json', object({ to: text }, ['to'])],
    ['events/start-missing.schema.json', object({})],
    ['events/pong.schema.json', object({ n: { type: 'integer' } }, ['n'])],
    ['events/not-delivered.schema.json', object({ reason: text, journeyId: text }, ['reason', 'journeyId'])],
  ]);
  const output = compileJourney({ file: 'pinger.jd', source: PINGER_SOURCE, files });
  if (!output.journey) throw new Error(formatDiagnostics(output.diagnostics));
  return output.journey;
}

interface MessageRow {
  message_id: string;
  kind: string;
  target_journey: string;
  event_type: string | null;
  idempotency_key: string;
  status: string;
  delivered_event: string | null;
  last_error: string | null;
}

describe('events between journeys on the real engine', () => {
  let database: TestDatabase;
  let node: TestEngine;
  let engine: JourneyEngine;
  let store: Store;

  beforeAll(async () => {
    database = await createTestDatabase();
    const compiled = await compileJourneys(resolve(import.meta.dirname, '../../journeys/theglue/signing'));
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'messages-node',
      journeys: [...compiled.journeys, pinger()],
      partitionCount: 8,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      messages: { sweepEveryMs: 200, redeliverAfterMs: 500 },
    });
    ({ engine, store } = node);
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  const journey = (journeyId: string): Promise<JourneyView | null> => engine.getJourney(journeyId);
  const history = async (journeyId: string): Promise<EventView[]> => (await engine.listEvents(journeyId, { limit: 100 })).items;
  const messagesOf = (journeyId: string): Promise<MessageRow[]> =>
    store.query<MessageRow>(
      `SELECT message_id, kind, target_journey, event_type, idempotency_key, status, delivered_event, last_error
         FROM journey_messages WHERE journey_id = ? ORDER BY created_at, idempotency_key`,
      [journeyId],
    );

  async function applied(journeyId: string | null, type: string, payload: JsonObject, context: EventContext, journeyType = BASKET, tenant?: string) {
    const event = { type, payload };
    const accepted =
      journeyId === null
        ? await engine.accept({ kind: 'initiate', journeyType, version: '1.0', event, context, ...(tenant ? { tenant } : {}) })
        : await engine.accept({ kind: 'target', journeyId, event, context, ...(tenant ? { tenant } : {}) });
    const outcome = await engine.awaitOutcome(accepted.eventId, 15_000);
    expect(outcome, `${type} handled`).toMatchObject({ outcome: 'applied' });
    return accepted;
  }

  /** The basket's items once its data says `until` of them. */
  const basketItems = (basketId: string, until: (items: Array<Record<string, string>>) => boolean) =>
    waitFor(`the items of ${basketId}`, async () => {
      const items = (await journey(basketId))?.data?.items as Array<Record<string, string>> | undefined;
      return items && until(items) ? items : undefined;
    });

  /** Waits until a started signature journey has handled its initiating event. */
  const signature = (signatureId: string): Promise<JourneyView> =>
    waitFor(`signature ${signatureId}`, async () => {
      const view = await journey(signatureId);
      return view?.lifecycle === 'active' ? view : undefined;
    });

  it('all signed: one signature journey per item, each answers, the basket completes', async () => {
    const submitted = await applied(null, 'SubmitBasket', { items: [item('i1', 'bob', 100), item('i2', 'carol', 200), item('i3', 'dave', 300)] }, alice);
    const basketId = submitted.journeyId;
    const items = (await journey(basketId))?.data?.items as Array<Record<string, string>>;
    // The ids of the journeys to start are decided in the basket's own outcome.
    const ids = items.map((i) => i.signature ?? '');
    expect(new Set(ids).size).toBe(3);

    for (const [index, signatureId] of ids.entries()) {
      const view = await signature(signatureId);
      expect(view).toMatchObject({
        journeyType: SIGNATURE,
        status: 'pending',
        data: { requester: basketId, signer: ['bob', 'carol', 'dave'][index], item: `i${index + 1}` },
      });
      const [first] = await history(signatureId);
      expect(first).toMatchObject({ type: 'RequestSignature', origin: 'journey', causedBy: submitted.eventId, status: 'applied' });
      expect(first?.context).toEqual({
        sender: `journey:${basketId}`,
        roles: ['journey'],
        trustLevel: 3,
        channel: 'journey',
        origin: 'journey',
        journey: basketId,
        journeyType: BASKET,
      });
    }
    // Written in the basket's commit, delivered once each, under keys derived from the sending event.
    const rows = await messagesOf(basketId);
    expect(rows.map((r) => [r.kind, r.target_journey, r.event_type, r.idempotency_key])).toEqual(
      ids.map((id, i) => ['start', id, 'RequestSignature', `journey:${submitted.eventId}:${i + 1}`]),
    );
    await waitFor('the starts marked delivered', async () => ((await messagesOf(basketId)).every((r) => r.status === 'delivered') ? true : undefined));

    for (const [index, name] of ['bob', 'carol', 'dave'].entries()) await applied(ids[index] ?? '', 'Sign', {}, signer(name), SIGNATURE);

    const done = await waitFor('the basket completed', async () => {
      const view = await journey(basketId);
      return view?.status === 'completed' ? view : undefined;
    });
    expect(done.data).toMatchObject({ signed: 3 });
    expect((done.data?.items as Array<{ status: string }>).map((i) => i.status)).toEqual(['signed', 'signed', 'signed']);
    const basketHistory = await history(basketId);
    const signedEvents = basketHistory.filter((e) => e.type === 'ItemSigned');
    expect(signedEvents.map((e) => [e.origin, e.status, e.context.journey])).toEqual(ids.map((id) => ['journey', 'applied', id]));
    expect(basketHistory.at(-1)?.outcome?.emitted).toEqual([{ type: 'BasketCompleted', payload: { items: 3 } }]);
    // The bob's signature cannot be sent to a basket by the API: RequestSignature is for journeys only.
    await expect(
      engine.accept({
        kind: 'initiate',
        journeyType: SIGNATURE,
        version: '1.0',
        event: { type: 'RequestSignature', payload: { signer: 'bob', item: 'x', amount: 1, currency: 'EUR', creditor: 'x' } },
        context: alice,
      }),
    ).rejects.toMatchObject({ code: 'JE_ACCESS_DENIED' });
  });

  it('one refused: the basket is rejected and the other signatures are withdrawn (revoked once signed, cancelled while pending)', async () => {
    const submitted = await applied(null, 'SubmitBasket', { items: [item('a', 'bob', 100), item('b', 'carol', 200), item('c', 'dave', 300)] }, alice);
    const basketId = submitted.journeyId;
    const ids = (await basketItems(basketId, () => true)).map((i) => i.signature ?? '');
    for (const id of ids) await signature(id);

    await applied(ids[0] ?? '', 'Sign', {}, signer('bob'), SIGNATURE);
    await basketItems(basketId, (items) => items[0]?.status === 'signed');
    await applied(ids[1] ?? '', 'Refuse', { reason: 'not my invoice' }, signer('carol'), SIGNATURE);

    // Compensation: the basket withdraws the others, each answers, the basket records how it ended.
    const items = await basketItems(basketId, (list) => list.every((i) => i.status !== 'pending' && i.status !== 'signed'));
    expect(items.map((i) => i.status)).toEqual(['revoked', 'refused', 'cancelled']);
    const basket = await journey(basketId);
    expect(basket).toMatchObject({ status: 'rejected', data: { reason: 'not my invoice', signed: 1 } });
    expect((await journey(ids[0] ?? ''))?.status).toBe('revoked');
    expect((await journey(ids[2] ?? ''))?.status).toBe('cancelled');
    // Each withdrawal went from the basket, and each answer is a reply to it.
    const withdrawn = (await history(ids[0] ?? '')).find((e) => e.type === 'WithdrawSignature');
    expect(withdrawn).toMatchObject({ origin: 'journey', status: 'applied', context: { journey: basketId } });
    const replies = (await history(basketId)).filter((e) => e.type === 'SignatureWithdrawn');
    expect(replies.map((e) => [e.status, e.payload.status])).toEqual(
      expect.arrayContaining([
        ['applied', 'revoked'],
        ['applied', 'cancelled'],
      ]),
    );
    // Too late to sign a withdrawn signature.
    const late = await engine.accept({ kind: 'target', journeyId: ids[2] ?? '', event: { type: 'Sign', payload: {} }, context: signer('dave') });
    expect(await engine.awaitOutcome(late.eventId, 15_000)).toMatchObject({ outcome: 'rejected', rejection: { code: 'PRECONDITION_FAILED' } });
  });

  it('a message delivered again (a crash after the delivery, before its row was marked) starts no second journey', async () => {
    const submitted = await applied(null, 'SubmitBasket', { items: [item('x', 'erin', 100), item('y', 'frank', 200)] }, alice);
    const basketId = submitted.journeyId;
    const ids = (await basketItems(basketId, () => true)).map((i) => i.signature ?? '');
    for (const id of ids) await signature(id);
    const delivered = await waitFor('the starts delivered', async () => {
      const rows = await messagesOf(basketId);
      return rows.every((r) => r.status === 'delivered') ? rows : undefined;
    });

    // As if the node had crashed between accepting the start and marking its row: pending again,
    // untouched for an hour, so the sweep of the basket's slot owner delivers it again.
    await store.query(`UPDATE journey_messages SET status = 'pending', delivered_event = NULL, updated_at = NOW(6) - INTERVAL 1 HOUR WHERE journey_id = ?`, [
      basketId,
    ]);
    const again = await waitFor('the starts delivered again', async () => {
      const rows = await messagesOf(basketId);
      return rows.every((r) => r.status === 'delivered') ? rows : undefined;
    });
    // The same events: the receiving accepts found their idempotency keys.
    expect(again.map((r) => r.delivered_event)).toEqual(delivered.map((r) => r.delivered_event));
    for (const id of ids) {
      const events = await history(id);
      expect(events.filter((e) => e.type === 'RequestSignature')).toHaveLength(1);
    }
    const started = await store.query<{ n: number | bigint }>(
      `SELECT COUNT(*) AS n FROM journeys WHERE type_name = ? AND JSON_VALUE(data, '$.requester') = ?`,
      [SIGNATURE, basketId],
    );
    expect(Number(started[0]?.n)).toBe(2);
    expect(await engine.metricsText()).toMatch(/je_journey_messages_total\{result="duplicate"\} [1-9]/);

    // And a send delivered twice: the basket hears one ItemSigned per signature.
    await applied(ids[0] ?? '', 'Sign', {}, signer('erin'), SIGNATURE);
    const signedRows = await waitFor('ItemSigned delivered', async () => {
      const rows = (await messagesOf(ids[0] ?? '')).filter((r) => r.event_type === 'ItemSigned' && r.status === 'delivered');
      return rows.length === 1 ? rows : undefined;
    });
    await store.query(`UPDATE journey_messages SET status = 'pending', updated_at = NOW(6) - INTERVAL 1 HOUR WHERE message_id = ?`, [
      signedRows[0]?.message_id,
    ]);
    await waitFor('ItemSigned delivered again', async () => ((await messagesOf(ids[0] ?? '')).every((r) => r.status === 'delivered') ? true : undefined));
    expect((await history(basketId)).filter((e) => e.type === 'ItemSigned')).toHaveLength(1);
    expect((await journey(basketId))?.data).toMatchObject({ signed: 1, status: 'signing' });
  });

  it('what cannot be delivered comes back as the failure event: no such journey, another tenant, a version not deployed', async () => {
    const failed = async (journeyId: string): Promise<JsonObject> =>
      waitFor(`the failure of ${journeyId}`, async () => {
        const view = await journey(journeyId);
        return view?.status === 'failed' ? (view.data ?? undefined) : undefined;
      });

    const nowhere = '01ZZZZZZZZZZZZZZZZZZZZZZZZ';
    const lost = await applied(null, 'Ping', { to: nowhere }, alice, 't/pinger');
    expect(await failed(lost.journeyId)).toMatchObject({ failedTo: nowhere, reason: expect.stringContaining('JE_JOURNEY_NOT_FOUND') as unknown });
    const [deadRow] = await messagesOf(lost.journeyId);
    expect(deadRow).toMatchObject({ status: 'dead', last_error: expect.stringContaining('JE_JOURNEY_NOT_FOUND') as unknown });
    const failure = (await history(lost.journeyId)).find((e) => e.type === 'NotDelivered');
    expect(failure).toMatchObject({ origin: 'journey', status: 'applied', context: SYSTEM_CONTEXTS.journey, eventId: deadRow?.delivered_event });

    // Within a tenant, a ping arrives.
    const ping = await applied(null, 'Ping', { to: lost.journeyId }, alice, 't/pinger');
    await waitFor('the pong', async () => ((await journey(lost.journeyId))?.status === 'ponged' ? true : undefined));
    expect((await journey(lost.journeyId))?.data).toMatchObject({ from: ping.journeyId });

    // Another tenant's journey is not found, as for its API callers.
    const stranger = await applied(null, 'Ping', { to: lost.journeyId }, alice, 't/pinger', 'acme');
    expect(await failed(stranger.journeyId)).toMatchObject({ failedTo: lost.journeyId, reason: expect.stringContaining('JE_JOURNEY_NOT_FOUND') as unknown });

    // A start of a version that is not deployed.
    const starter = await applied(null, 'StartMissing', {}, alice, 't/pinger');
    const data = await failed(starter.journeyId);
    expect(data).toMatchObject({ reason: expect.stringContaining('JE_JOURNEY_TYPE_UNKNOWN') as unknown });
    expect(data.failedTo).toBe(data.to);
    expect(await journey(typeof data.to === 'string' ? data.to : '')).toBeNull();
    // The senders go on: each failure was an ordinary event in their own turn.
    expect(await engine.metricsText()).toMatch(/je_journey_messages_total\{result="dead"\} [3-9]/);
  });
});
