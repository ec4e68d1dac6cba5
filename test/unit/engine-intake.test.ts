/**
 * Intake against the in-memory journal (test/support/fake-journal.ts): seqs, unknown journeys,
 * idempotent replays, group intake and its fallback, unknown commit outcomes, and payloads too
 * large for the store. What is asserted is what intake answers and what the store holds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../cache-store/index.js';
import { JourneyError, silentLogger } from '../../common/index.js';
import type { EventContext } from '../../dsl/index.js';
import { DeploymentRegistry } from '../../engine/deployment-registry.js';
import { newId } from '../../engine/index.js';
import type { AcceptRequest, AcceptResult } from '../../engine/index.js';
import { Intake } from '../../engine/intake.js';
import type { IntakeDependencies } from '../../engine/intake.js';
import { EngineMetrics } from '../../engine/metrics.js';
import { FakeJournal, commitUnknownError } from '../support/fake-journal.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const alice: EventContext = walletContext('alice');

let deployments: DeploymentRegistry;
beforeAll(async () => {
  deployments = new DeploymentRegistry([await walletJourney()]);
});

function intakeOn(journal: FakeJournal, deps: Partial<IntakeDependencies> = {}): { intake: Intake; routed: JournalEvent[] } {
  const routed: JournalEvent[] = [];
  const intake = new Intake({
    journal,
    deployments,
    metrics: new EngineMetrics(),
    logger: silentLogger(),
    partitionCount: 4,
    admit: () => undefined,
    route: (event) => routed.push(event),
    ...deps,
  });
  return { intake, routed };
}

const open = (idempotencyKey?: string, owner = 'alice'): AcceptRequest => ({
  kind: 'initiate',
  journeyType: 'pfm/wallet',
  version: 'latest',
  event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
  context: alice,
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});

const deposit = (journeyId: string, amount: number, idempotencyKey?: string): AcceptRequest => ({
  kind: 'target',
  journeyId,
  event: { type: 'Deposit', payload: { amount } },
  context: alice,
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});

/** The error a promise rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<JourneyError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof JourneyError)) throw outcome.error;
  return outcome.error;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Intake against the in-memory journal', () => {
  it('accepts an initiating event as seq 1 and targeted events as the next seqs, and wakes the owner', async () => {
    const journal = new FakeJournal();
    const { intake, routed } = intakeOn(journal);
    const opened = await intake.accept(open());
    const first = await intake.accept(deposit(opened.journeyId, 10));
    const second = await intake.accept(deposit(opened.journeyId, 20));

    expect(opened).toMatchObject({ journeySeq: 1, journeyType: 'pfm/wallet', version: '1.0', duplicate: false });
    expect([first.journeySeq, second.journeySeq]).toEqual([2, 3]);
    expect(journal.rows.journeys.get(opened.journeyId)).toMatchObject({
      typeName: 'pfm/wallet',
      typeVersion: '1.0',
      lifecycle: 'pending',
      handledSeq: 0,
      acceptedSeq: 3,
    });
    expect(journal.eventsOf(opened.journeyId).map((e) => [e.eventId, e.journeySeq, e.type, e.status])).toEqual([
      [opened.eventId, 1, 'OpenWallet', 'pending'],
      [first.eventId, 2, 'Deposit', 'pending'],
      [second.eventId, 3, 'Deposit', 'pending'],
    ]);
    expect(routed.map((e) => [e.eventId, e.journeySeq, e.context.origin])).toEqual([
      [opened.eventId, 1, 'api'],
      [first.eventId, 2, 'api'],
      [second.eventId, 3, 'api'],
    ]);
  });

  it('refuses an event for a journey that does not exist with JE_JOURNEY_NOT_FOUND, writing nothing', async () => {
    const journal = new FakeJournal();
    const { intake, routed } = intakeOn(journal);
    const error = await refusal(intake.accept(deposit(newId(), 10)));

    expect(error.code).toBe('JE_JOURNEY_NOT_FOUND');
    expect(error.httpStatus).toBe(404);
    expect(journal.rows.events.size).toBe(0);
    expect(journal.called('acceptOne') + journal.called('acceptBatch')).toBe(0);
    expect(routed).toEqual([]);
  });

  it('answers a replay under the same idempotency key with the first event, and refuses another request under it', async () => {
    const journal = new FakeJournal();
    const { intake, routed } = intakeOn(journal);
    const opened = await intake.accept(open());
    const first = await intake.accept(deposit(opened.journeyId, 10, 'deposit-1'));
    const replay = await intake.accept(deposit(opened.journeyId, 10, 'deposit-1'));

    expect(replay).toEqual({ ...first, duplicate: true });
    expect(journal.rows.journeys.get(opened.journeyId)?.acceptedSeq).toBe(2);
    expect(journal.eventsOf(opened.journeyId)).toHaveLength(2);
    expect(routed).toHaveLength(2); // the replay wakes nobody: nothing new to handle

    const other = await refusal(intake.accept(deposit(opened.journeyId, 99, 'deposit-1')));
    expect(other.code).toBe('JE_IDEMPOTENCY_CONFLICT');
    expect(other.httpStatus).toBe(422);
    expect(other.details).toMatchObject({ eventId: first.eventId, journeyId: opened.journeyId });
    expect(journal.eventsOf(opened.journeyId)).toHaveLength(2);

    // An initiating replay answers the first journey and creates no second one.
    const wallet = await intake.accept(open('open-1'));
    const again = await intake.accept(open('open-1'));
    expect(again).toEqual({ ...wallet, duplicate: true });
    expect(journal.rows.journeys.size).toBe(2);
  });

  it('group intake: accepts arriving while one commits share the next acceptBatch', async () => {
    const journal = new FakeJournal();
    const { intake, routed } = intakeOn(journal, { intakeConcurrency: 1 });
    const opened = await intake.accept(open());

    const release = journal.hold('acceptOne'); // the first accept is in flight while the others arrive
    const accepts = [10, 20, 30, 40, 50].map((amount) => intake.accept(deposit(opened.journeyId, amount)));
    await pause(10);
    expect(journal.called('acceptBatch')).toBe(0);
    release();
    const results = await Promise.all(accepts);

    expect(journal.called('acceptOne')).toBe(2); // the open, then the first deposit alone
    expect(journal.intakeBatches.map((b) => [b.members.length, b.error])).toEqual([[4, null]]);
    expect(results.map((r) => r.journeySeq).sort()).toEqual([2, 3, 4, 5, 6]);
    for (const result of results) expect(journal.rows.events.get(result.eventId)?.journeySeq).toBe(result.journeySeq);
    expect(journal.rows.journeys.get(opened.journeyId)?.acceptedSeq).toBe(6);
    expect(routed).toHaveLength(6);
  });

  it('group intake falls back to one by one when the shared batch fails (a reused key in it)', async () => {
    const journal = new FakeJournal();
    const { intake } = intakeOn(journal, { intakeConcurrency: 1 });
    const opened = await intake.accept(open());
    const earlier = await intake.accept(deposit(opened.journeyId, 5, 'reused'));

    const release = journal.hold('acceptOne');
    const pending: Array<Promise<AcceptResult>> = [
      intake.accept(deposit(opened.journeyId, 1)),
      intake.accept(deposit(opened.journeyId, 2)),
      intake.accept(deposit(opened.journeyId, 5, 'reused')),
      intake.accept(deposit(opened.journeyId, 3)),
    ];
    await pause(10);
    release();
    const [alone, before, reused, after] = await Promise.all(pending);

    const [batch] = journal.intakeBatches;
    expect(journal.intakeBatches).toHaveLength(1);
    expect(batch?.members).toHaveLength(3);
    expect(batch?.error?.message).toMatch(/Duplicate entry/);
    expect(reused).toEqual({ ...earlier, duplicate: true });
    expect([alone?.journeySeq, before?.journeySeq, after?.journeySeq]).toEqual([3, 4, 5]);
    expect(journal.rows.journeys.get(opened.journeyId)?.acceptedSeq).toBe(5);
    expect(journal.eventsOf(opened.journeyId).map((e) => e.journeySeq)).toEqual([1, 2, 3, 4, 5]);
    expect([...journal.rows.events.values()].filter((e) => e.idempotencyKey === 'reused')).toHaveLength(1);
  });

  it('settles an unknown commit outcome by whether the event exists: acknowledged only if it landed', async () => {
    const journal = new FakeJournal();
    const { intake, routed } = intakeOn(journal);
    const opened = await intake.accept(open());

    journal.failNext('acceptOne', commitUnknownError('accept'), { afterEffect: true });
    const landed = await intake.accept(deposit(opened.journeyId, 10));
    expect(landed.journeySeq).toBe(2);
    expect(journal.rows.events.get(landed.eventId)?.journeySeq).toBe(2);

    journal.failNext('acceptOne', commitUnknownError('accept'));
    const lost = await refusal(intake.accept(deposit(opened.journeyId, 20)));
    expect(lost.code).toBe('JE_STORE_UNAVAILABLE');
    expect(lost.retryAfterMs).toBeGreaterThan(0);
    expect(journal.called('eventExists')).toBe(2);
    expect(journal.eventsOf(opened.journeyId).map((e) => e.eventId)).toEqual([opened.eventId, landed.eventId]);
    expect(routed.map((e) => e.eventId)).toEqual([opened.eventId, landed.eventId]);
  });

  it('refuses a payload larger than maxEventBytes with 413 JE_PAYLOAD_TOO_LARGE before anything is written', async () => {
    const journal = new FakeJournal();
    const { intake, routed } = intakeOn(journal, { maxEventBytes: 1_000 });
    const error = await refusal(intake.accept(open(undefined, 'x'.repeat(1_000))));

    expect(error.code).toBe('JE_PAYLOAD_TOO_LARGE');
    expect(error.httpStatus).toBe(413);
    expect(error.details).toMatchObject({ limitBytes: 1_000, reason: 'store' });
    expect(journal.called('acceptOne') + journal.called('acceptBatch')).toBe(0);
    expect(journal.rows.journeys.size + journal.rows.events.size).toBe(0);
    expect(routed).toEqual([]);
    // Just under the limit it is accepted.
    expect((await intake.accept(open(undefined, 'x'.repeat(900)))).journeySeq).toBe(1);
  });
});
