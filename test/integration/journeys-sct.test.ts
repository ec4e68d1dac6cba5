/**
 * mybank/payment/sct 2.0 end to end on the real engine (Redis Cluster + MariaDB): the booking
 * call goes through BullMQ to the simulated back end and PaymentBooked comes back as an event;
 * a refused booking is retried, dead-lettered and BookingFailed arrives; the expiry timer fires
 * exactly once on a simulated clock; cancelling before authorising cancels it. Every example
 * journey is deployed, which also proves their search fields fit together in one store.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import { SimulatedClock, isJourneyError } from '../../common/index.js';
import { SYSTEM_CONTEXTS, compileJourneys } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { EventView, JourneyEngine } from '../../engine/index.js';
import { simulatedBackends } from '../../journeys/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { waitFor } from '../support/wait.js';

const DAY_MS = 86_400_000;
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const mallory: EventContext = { ...alice, sender: 'mallory' };
const payment = {
  debtorIban: 'NL91ABNA0417164300',
  creditorIban: 'DE89370400440532013000',
  creditorName: 'Bob Builder',
  amount: 12_500,
  currency: 'EUR',
  remittance: 'invoice 42',
};
/** simulatedBackends refuses every booking to an IBAN ending in 0000 (a closed account). */
const closedAccount = { ...payment, creditorIban: 'DE89370400440532010000' };

describe('mybank/payment/sct 2.0 on the real engine', () => {
  let database: TestDatabase;
  let store: Store;
  let node: TestEngine;
  let engine: JourneyEngine;
  const clock = new SimulatedClock(Date.UTC(2026, 2, 2, 9, 0));

  beforeAll(async () => {
    database = await createTestDatabase();
    const compiled = await compileJourneys(resolve(import.meta.dirname, '../../journeys'), { loadProcessors: true });
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'sct-node',
      journeys: compiled.journeys,
      processors: compiled.processors,
      partitionCount: 8,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200, timerPollMs: 50 },
      backends: simulatedBackends,
      calls: { attempts: 3, backoffMs: 50 },
      clock,
    });
    ({ engine, store } = node);
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  async function accept(
    journeyId: string | null,
    type: string,
    payload: JsonObject,
    context: EventContext = alice,
  ): Promise<{ journeyId: string; eventId: string }> {
    const event = { type, payload };
    const result =
      journeyId === null
        ? await engine.accept({ kind: 'initiate', journeyType: 'mybank/payment/sct', version: '2.0', event, context })
        : await engine.accept({ kind: 'target', journeyId, event, context });
    return result;
  }

  async function applied(journeyId: string | null, type: string, payload: JsonObject, context: EventContext = alice): Promise<string> {
    const accepted = await accept(journeyId, type, payload, context);
    const outcome = await engine.awaitOutcome(accepted.eventId, 10_000);
    expect(outcome, `${type} handled`).toMatchObject({ outcome: 'applied' });
    return accepted.journeyId;
  }

  const history = async (journeyId: string): Promise<EventView[]> => (await engine.listEvents(journeyId, { limit: 100 })).items;

  /** Waits until the journey has handled an event of that type, and returns it. */
  const handled = (journeyId: string, type: string): Promise<EventView> =>
    waitFor(`${type} on ${journeyId}`, async () => (await history(journeyId)).find((e) => e.type === type && e.status !== 'pending'));

  const timers = (journeyId: string): Promise<Array<{ timer_name: string; status: string; event_type: string }>> =>
    store.query('SELECT timer_name, status, event_type FROM timers WHERE journey_id = ? ORDER BY created_at', [journeyId]);

  /** Lets the timer poller run a few times at the current simulated time. */
  const pollTimers = (): Promise<void> => new Promise((r) => setTimeout(r, 400));

  it('books an authorised payment through BullMQ: PaymentBooked comes back as an event', async () => {
    const journeyId = await applied(null, 'InitiatePayment', payment);
    expect(await timers(journeyId)).toEqual([{ timer_name: 'expiry', status: 'scheduled', event_type: 'PaymentExpired' }]);
    const authorise = await accept(journeyId, 'AuthorisePayment', {});

    const booked = await handled(journeyId, 'PaymentBooked');
    expect(booked).toMatchObject({ origin: 'backend', causedBy: authorise.eventId, status: 'applied' });
    // The engine records what the static analysis assumes for back-end replies.
    expect(booked.context).toEqual(SYSTEM_CONTEXTS.backend);
    const view = await engine.getJourney(journeyId);
    expect(view?.data).toMatchObject({
      status: 'booked',
      bookingId: expect.stringMatching(/^BK-[0-9A-F]{16}$/) as unknown,
      bookedAt: (booked.payload as { bookedAt: string }).bookedAt,
    });
    expect((await history(journeyId)).map((e) => [e.type, e.status])).toEqual([
      ['InitiatePayment', 'applied'],
      ['AuthorisePayment', 'applied'],
      ['PaymentBooked', 'applied'],
    ]);
    const calls = await store.query<{ status: string; attempts: number }>('SELECT status, attempts FROM outbox WHERE journey_id = ?', [journeyId]);
    expect(calls).toEqual([{ status: 'done', attempts: 0 }]);
    // Authorising stopped the clock: past the expiry, nothing fires.
    expect(await timers(journeyId)).toEqual([{ timer_name: 'expiry', status: 'cancelled', event_type: 'PaymentExpired' }]);
    const search = await engine.search({ journeyType: 'mybank/payment/sct', fields: { debtorIban: payment.debtorIban, status: 'booked' } });
    expect(search.items.map((j) => j.journeyId)).toContain(journeyId);
  });

  it('a booking the back end refuses is retried, dead-lettered, and BookingFailed arrives', async () => {
    const journeyId = await applied(null, 'InitiatePayment', closedAccount);
    await applied(journeyId, 'AuthorisePayment', {});
    const failed = await handled(journeyId, 'BookingFailed');
    expect(failed).toMatchObject({
      origin: 'backend',
      status: 'applied',
      payload: { reason: 'booking refused: creditor account DE89370400440532010000 is closed', attempts: 3 },
    });
    expect((await engine.getJourney(journeyId))?.data).toMatchObject({
      status: 'failed',
      failureReason: 'booking refused: creditor account DE89370400440532010000 is closed',
    });
    const calls = await store.query<{ status: string; last_error: string }>('SELECT status, last_error FROM outbox WHERE journey_id = ?', [journeyId]);
    expect(calls).toEqual([{ status: 'dead', last_error: 'booking refused: creditor account DE89370400440532010000 is closed' }]);
    expect((await history(journeyId)).filter((e) => e.type === 'PaymentBooked')).toEqual([]);
  });

  it('nobody fakes a booking through the API: refused at the edge, before anything is written', async () => {
    const journeyId = await applied(null, 'InitiatePayment', payment);
    await expect(accept(journeyId, 'PaymentBooked', { bookingId: 'BK-FAKE', bookedAt: '2026-03-02T09:00:00.000Z' })).rejects.toSatisfy((e: unknown) =>
      isJourneyError(e, 'JE_ACCESS_DENIED'),
    );
    expect((await history(journeyId)).map((e) => e.type)).toEqual(['InitiatePayment']);
  });

  it('cancelling before authorising cancels the expiry timer; a refused cancellation does not', async () => {
    const journeyId = await applied(null, 'InitiatePayment', payment);
    // mallory is refused by the worker (the rule reads the data): the timer keeps running.
    const refused = await accept(journeyId, 'CancelPayment', {}, mallory);
    expect(await engine.awaitOutcome(refused.eventId, 10_000)).toMatchObject({ outcome: 'rejected', rejection: { code: 'ACCESS_DENIED' } });
    expect(await timers(journeyId)).toEqual([{ timer_name: 'expiry', status: 'scheduled', event_type: 'PaymentExpired' }]);

    await applied(journeyId, 'CancelPayment', { reason: 'wrong creditor' });
    expect(await timers(journeyId)).toEqual([{ timer_name: 'expiry', status: 'cancelled', event_type: 'PaymentExpired' }]);
    expect((await engine.getJourney(journeyId))?.data).toMatchObject({ status: 'cancelled', cancelledBy: 'alice' });
    clock.advance(6 * DAY_MS);
    await pollTimers();
    expect((await history(journeyId)).map((e) => e.type)).toEqual(['InitiatePayment', 'CancelPayment', 'CancelPayment']);
  });

  it('the expiry timer fires exactly once, at its time and not before', async () => {
    const journeyId = await applied(null, 'InitiatePayment', payment);
    const startedAt = clock.nowMs();
    clock.advance(5 * DAY_MS - 60_000);
    await pollTimers();
    expect((await history(journeyId)).map((e) => e.type)).toEqual(['InitiatePayment']);

    clock.advance(60_000);
    const expired = await handled(journeyId, 'PaymentExpired');
    expect(expired).toMatchObject({ origin: 'timer', status: 'applied', payload: { initiatedAt: startedAt } });
    expect(expired.context).toEqual(SYSTEM_CONTEXTS.timer);
    expect((await engine.getJourney(journeyId))?.data).toMatchObject({ status: 'expired' });
    // More polls, later times: still exactly one.
    clock.advance(DAY_MS);
    await pollTimers();
    expect((await history(journeyId)).filter((e) => e.type === 'PaymentExpired')).toHaveLength(1);
    expect(await timers(journeyId)).toEqual([{ timer_name: 'expiry', status: 'fired', event_type: 'PaymentExpired' }]);
    // An expired payment can no longer be authorised.
    const late = await accept(journeyId, 'AuthorisePayment', {});
    expect(await engine.awaitOutcome(late.eventId, 10_000)).toMatchObject({ outcome: 'rejected', rejection: { code: 'PRECONDITION_FAILED' } });
  });
});
