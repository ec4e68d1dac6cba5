/**
 * The worker against the in-memory journal (test/support/fake-journal.ts), without MariaDB or
 * Redis: partitions, mailboxes in seq order, inline handling, fencing, conflicts, group-commit
 * isolation, refused outcomes, timers and store outages. What is asserted is what the store holds
 * and what was published, never the worker's insides.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../cache-store/index.js';
import type { JournalEvent, NewEvent } from '../../cache-store/index.js';
import { isJourneyError, silentLogger } from '../../common/index.js';
import type { Clock } from '../../common/index.js';
import type { EventContext } from '../../dsl/index.js';
import { DeploymentRegistry } from '../../engine/deployment-registry.js';
import { DEFAULT_WORKER_OPTIONS, newId, partitionOf } from '../../engine/index.js';
import type { EventOutcome, WorkerOptions } from '../../engine/index.js';
import { EngineMetrics } from '../../engine/metrics.js';
import { OutcomeHub } from '../../engine/outcomes.js';
import { JourneyWorker } from '../../engine/journey-worker.js';
import { FakeJournal, commitUnknownError, storeUnavailableError } from '../support/fake-journal.js';
import { exampleJourneys, walletContext, walletJourney } from '../support/wallet.js';

const OWNER = 'node-a:00000001';
const PARTITIONS = 4;
const DAY_MS = 86_400_000;
const WALLET = { typeName: 'pfm/wallet', typeVersion: '1.0' };
const SCT = { typeName: 'mybank/payment/sct', typeVersion: '2.0' };
const alice: EventContext = { ...walletContext('alice'), origin: 'api' };
const openWallet = { owner: 'alice', currency: 'EUR' };
const payment = { debtorIban: 'NL91ABNA0417164300', creditorIban: 'DE89370400440532013000', creditorName: 'Bob Builder', amount: 12_500, currency: 'EUR' };

/** An outcome hub that also keeps every outcome published, in order. */
class RecordingHub extends OutcomeHub {
  readonly published: EventOutcome[] = [];
  override publish(outcome: EventOutcome, bytes?: number): void {
    this.published.push(outcome);
    super.publish(outcome, bytes);
  }
}

/** The database's clock as the worker sees it: moved by hand (timers fall due by it). */
class TestClock implements Clock {
  constructor(public wallMs: number) {}
  nowMs(): number {
    return this.wallMs;
  }
  monotonicMs(): number {
    return performance.now();
  }
}

let deployments: DeploymentRegistry;
beforeAll(async () => {
  const sct = (await exampleJourneys()).find((j) => j.name === SCT.typeName && j.version === SCT.typeVersion);
  if (!sct) throw new Error('mybank/payment/sct 2.0 did not compile');
  deployments = new DeploymentRegistry([await walletJourney(), sct]);
});

const running: JourneyWorker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.stop()));
});

/**
 * A started worker on `journal`. Its background loops (leases, sweeps, timers) are slowed to a
 * minute unless a test asks otherwise, so only what the test does happens.
 */
async function startWorker(options: { journal?: FakeJournal; clock?: TestClock; worker?: Partial<WorkerOptions>; timersByClock?: boolean } = {}) {
  const journal = options.journal ?? new FakeJournal();
  const clock = options.clock ?? new TestClock(journal.nowMs);
  const hub = new RecordingHub();
  const dispatched: string[] = [];
  const workerOptions: WorkerOptions = {
    ...DEFAULT_WORKER_OPTIONS,
    ownerId: OWNER,
    partitionCount: PARTITIONS,
    leaseRenewMs: 60_000,
    nodeTtlMs: 10_000,
    sweepEveryMs: 60_000,
    timerPollMs: 60_000,
    ...options.worker,
  };
  const worker = new JourneyWorker(workerOptions, {
    journal,
    grid: null,
    maxStatementBytes: journal.maxStatementBytes,
    clock,
    timersByClock: options.timersByClock ?? true,
    logger: silentLogger(),
    metrics: new EngineMetrics(),
    outcomes: hub,
    journeys: (name, version) => deployments.find(name, version),
    // Lane 0's slots are 0..PARTITIONS-1: the events below are placed by `partitionOf` alone.
    hostedLanes: () => [0],
    knownVersion: (name, version) => {
      const journey = deployments.find(name, version);
      return journey ? { journey, laneNo: 0 } : undefined;
    },
    onJourneyMoved: () => undefined,
    processors: (name, version) => deployments.processors(name, version),
    onCallsCommitted: (calls) => dispatched.push(...calls.map((call) => call.outboxId)),
  });
  running.push(worker);
  await worker.start();
  return { journal, worker, hub, clock, dispatched };
}

function newEvent(type: string, payload: Record<string, unknown>, idempotencyKey: string | null = null): NewEvent {
  return {
    eventId: newId(),
    type,
    payloadJson: JSON.stringify(payload),
    contextJson: JSON.stringify(alice),
    origin: 'api',
    causedBy: null,
    idempotencyKey,
    requestHash: null,
  };
}

/** Accepts an event the normal way (as intake does), straight into the journal; returns it as the worker receives it. */
async function accept(
  journal: FakeJournal,
  journeyId: string,
  type: string,
  payload: Record<string, unknown>,
  options: { create?: { typeName: string; typeVersion: string }; idempotencyKey?: string } = {},
): Promise<JournalEvent> {
  const event = newEvent(type, payload, options.idempotencyKey ?? null);
  const partitionNo = partitionOf(journeyId, PARTITIONS);
  const journey = options.create ?? WALLET;
  const result = await journal.acceptOne({ kind: options.create ? 'initiate' : 'target', journeyId, ...journey, partitionNo, event });
  if (result.status !== 'accepted') throw new Error(`journey ${journeyId} not found`);
  return { eventId: event.eventId, journeyId, journeySeq: result.journeySeq, partitionNo, type, payload, context: { ...alice }, origin: 'api', causedBy: null };
}

/** Offers an event for inline handling; `seq` is what the worker answers (null: not taken, nothing written). */
async function inline(
  worker: JourneyWorker,
  journeyId: string,
  type: string,
  payload: Record<string, unknown>,
  options: { create?: { typeName: string; typeVersion: string }; idempotencyKey?: string } = {},
): Promise<{ eventId: string; seq: number | null }> {
  const event = newEvent(type, payload, options.idempotencyKey ?? null);
  const partitionNo = partitionOf(journeyId, PARTITIONS);
  const seq = await worker.handleInline({
    journeyId,
    partitionNo,
    newEvent: event,
    payload,
    context: { ...alice },
    ...(options.create ? { create: options.create } : {}),
  });
  return { eventId: event.eventId, seq };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await pause(2);
  }
}

/** The events of every group commit that committed them, in commit order. */
function committedEvents(journal: FakeJournal): string[] {
  return journal.commits.flatMap((c) => c.members.filter((_, i) => c.results?.[i]?.status === 'committed').map((m) => m.eventId));
}

const handledSeq = (journal: FakeJournal, journeyId: string): number | undefined => journal.rows.journeys.get(journeyId)?.handledSeq;

describe('JourneyWorker against the in-memory journal', () => {
  it('takes every partition at start, recovers their pending events, and hands them back at stop', async () => {
    const journal = new FakeJournal();
    const id = newId();
    const opened = await accept(journal, id, 'OpenWallet', openWallet, { create: WALLET });
    const deposit = await accept(journal, id, 'Deposit', { amount: 40 });

    const { worker, hub } = await startWorker({ journal });
    for (let p = 0; p < PARTITIONS; p++) {
      expect(worker.owns(p)).toBe(true);
      expect(journal.rows.partitions.get(p)).toMatchObject({ owner: OWNER, epoch: 1, leaseExpiresAtMs: journal.nowMs + DEFAULT_WORKER_OPTIONS.leaseTtlMs });
    }
    await until(() => handledSeq(journal, id) === 2, 'the recovered events are handled');
    expect(hub.published.map((o) => [o.eventId, o.seq])).toEqual([
      [opened.eventId, 1],
      [deposit.eventId, 2],
    ]);
    expect(journal.rows.journeys.get(id)?.data).toMatchObject({ balance: 40, deposits: 1 });

    await worker.stop();
    for (let p = 0; p < PARTITIONS; p++) expect(journal.rows.partitions.get(p)).toMatchObject({ owner: null, epoch: 1 });
  });

  it('applies events delivered out of order in seq order, each once', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    const events = [
      await accept(journal, id, 'OpenWallet', openWallet, { create: WALLET }),
      await accept(journal, id, 'Deposit', { amount: 100 }),
      await accept(journal, id, 'Withdraw', { amount: 50 }),
      // Only after the withdrawal of 50 is the balance too low for this one.
      await accept(journal, id, 'Withdraw', { amount: 80 }),
    ];
    for (const event of [...events].reverse()) expect(worker.deliver(event)).toBe(true);
    await until(() => handledSeq(journal, id) === 4, 'all four are handled');

    expect(hub.published.map((o) => [o.eventId, o.seq, o.data?.balance])).toEqual(events.map((e, i) => [e.eventId, e.journeySeq, [0, 100, 50, 50][i]]));
    expect(hub.published[3]?.emitted.map((e) => e.type)).toEqual(['WithdrawalRejected']);
    expect(committedEvents(journal)).toEqual(events.map((e) => e.eventId));
    expect(journal.eventsOf(id).map((e) => e.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 4, acceptedSeq: 4, data: { balance: 50, deposits: 1, withdrawals: 1 } });

    // Delivered again (a sweep, a late wake-up): nothing is handled twice.
    for (const event of events) worker.deliver(event);
    await pause(20);
    expect(hub.published).toHaveLength(4);
    expect(committedEvents(journal)).toHaveLength(4);
  });

  it('follows a journey whose wake-up named another slot than its own (a stale route after an uplift)', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    const opened = await accept(journal, id, 'OpenWallet', openWallet, { create: WALLET });
    const deposit = await accept(journal, id, 'Deposit', { amount: 7 });
    // The wake-up names a slot this worker also holds, but not the journey's: its mailbox is opened there.
    const staleSlot = (deposit.partitionNo + 1) % PARTITIONS;
    expect(worker.deliver({ ...opened, partitionNo: staleSlot })).toBe(true);
    expect(worker.deliver({ ...deposit, partitionNo: staleSlot })).toBe(true);
    await until(() => handledSeq(journal, id) === 2, 'both events are handled in the journey own slot');
    expect(hub.published.map((o) => [o.eventId, o.outcome])).toEqual([
      [opened.eventId, 'applied'],
      [deposit.eventId, 'applied'],
    ]);
  });

  it('handles an event for an idle, caught-up journey inline: its accept and outcome in one commit', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    const opened = await inline(worker, id, 'OpenWallet', openWallet, { create: WALLET });
    const deposit = await inline(worker, id, 'Deposit', { amount: 25 });

    expect([opened.seq, deposit.seq]).toEqual([1, 2]);
    expect(journal.called('acceptOne') + journal.called('acceptBatch')).toBe(0);
    expect(journal.commits.map((c) => [c.members.map((m) => m.eventId), c.results])).toEqual([
      [[opened.eventId], [{ status: 'committed', feedbackSeqs: [] }]],
      [[deposit.eventId], [{ status: 'committed', feedbackSeqs: [] }]],
    ]);
    expect(journal.eventsOf(id).map((e) => [e.eventId, e.journeySeq, e.status, e.handledEpoch])).toEqual([
      [opened.eventId, 1, 'applied', 1],
      [deposit.eventId, 2, 'applied', 1],
    ]);
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 2, acceptedSeq: 2, lifecycle: 'active', data: { balance: 25 } });
    expect(hub.published.map((o) => [o.eventId, o.outcome])).toEqual([
      [opened.eventId, 'applied'],
      [deposit.eventId, 'applied'],
    ]);
  });

  it('loses cleanly when an inline event races one accepted first: null, nothing of it written', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    const opened = await inline(worker, id, 'OpenWallet', openWallet, { create: WALLET });
    // Accepted by another node; its wake-up has not arrived yet.
    const first = await accept(journal, id, 'Deposit', { amount: 100 });

    const racing = await inline(worker, id, 'Deposit', { amount: 7 });
    expect(racing.seq).toBeNull();
    expect(journal.commits.at(-1)?.results).toEqual([{ status: 'conflict' }]);
    expect(journal.rows.events.has(racing.eventId)).toBe(false);
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 1, acceptedSeq: 2, data: { balance: 0 } });
    expect(hub.published.map((o) => o.eventId)).toEqual([opened.eventId]);

    // The event accepted first keeps its seq and is handled the normal way.
    worker.deliver(first);
    await until(() => handledSeq(journal, id) === 2, 'the first deposit is handled');
    expect(journal.rows.journeys.get(id)?.data).toMatchObject({ balance: 100, deposits: 1 });
    expect(hub.published.map((o) => o.eventId)).toEqual([opened.eventId, first.eventId]);
  });

  it('is fenced once another node took its lease: the partition is dropped and nothing committed', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    const partitionNo = partitionOf(id, PARTITIONS);
    const opened = await inline(worker, id, 'OpenWallet', openWallet, { create: WALLET });

    journal.stealPartition(partitionNo, 'node-b:00000002');
    const deposit = await accept(journal, id, 'Deposit', { amount: 5 });
    expect(worker.deliver(deposit)).toBe(true); // the worker does not know yet
    await until(() => !worker.owns(partitionNo), 'the partition is dropped');

    expect(journal.commits.at(-1)).toMatchObject({ members: [{ eventId: deposit.eventId }], results: [{ status: 'fenced' }] });
    expect(journal.rows.events.get(deposit.eventId)?.status).toBe('pending');
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 1, acceptedSeq: 2 });
    expect(journal.rows.partitions.get(partitionNo)).toMatchObject({ owner: 'node-b:00000002', epoch: 2 });
    expect(hub.published.map((o) => o.eventId)).toEqual([opened.eventId]);
    // No new work on it, and the other partitions are still held.
    expect(worker.deliver(deposit)).toBe(false);
    expect((await inline(worker, id, 'Deposit', { amount: 1 })).seq).toBeNull();
    for (let p = 0; p < PARTITIONS; p++) if (p !== partitionNo) expect(worker.owns(p)).toBe(true);
  });

  it('reloads on a conflict (the journey moved on in the store) and applies the pending event once', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    await inline(worker, id, 'OpenWallet', openWallet, { create: WALLET });
    const second = await accept(journal, id, 'Deposit', { amount: 10 });
    const third = await accept(journal, id, 'Deposit', { amount: 20 });
    // Another writer handled the second event behind the worker's back.
    const journey = journal.rows.journeys.get(id);
    const row = journal.rows.events.get(second.eventId);
    if (!journey || !row) throw new Error('rows missing');
    Object.assign(journey, { handledSeq: 2, data: { ...journey.data, balance: 10, deposits: 1 } });
    Object.assign(row, { status: 'applied', outcomeJson: '{"by":"another writer"}' });

    // A stale wake-up of the second event, then the third.
    worker.deliver(second);
    worker.deliver(third);
    await until(() => handledSeq(journal, id) === 3, 'the third event is handled');

    const tries = journal.commits.map((c) => [c.members[0]?.eventId, c.results?.[0]?.status]);
    expect(tries.slice(1)).toEqual([
      [second.eventId, 'conflict'],
      [third.eventId, 'committed'],
    ]);
    expect(journal.rows.events.get(second.eventId)?.outcomeJson).toBe('{"by":"another writer"}');
    expect(journal.rows.events.get(third.eventId)?.status).toBe('applied');
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 3, acceptedSeq: 3, data: { balance: 30, deposits: 2 } });
    expect(hub.published.filter((o) => o.eventId === second.eventId)).toEqual([]);
    expect(hub.published.filter((o) => o.eventId === third.eventId).map((o) => o.seq)).toEqual([3]);
  });

  it('halves a group commit that one member spoils (a reused idempotency key), so the others commit', async () => {
    const { journal, worker } = await startWorker({ worker: { commitConcurrency: 1 } });
    await accept(journal, newId(), 'OpenWallet', openWallet, { create: WALLET, idempotencyKey: 'wallet-of-alice' });
    const ids = [newId(), newId(), newId(), newId()];

    // One commit in flight (held) while three more evaluate and queue behind it: they go as one batch.
    const release = journal.hold('commitHandlingBatch');
    const first = inline(worker, ids[0] ?? '', 'OpenWallet', openWallet, { create: WALLET });
    await until(() => journal.called('commitHandlingBatch') === 1, 'the first commit is in flight');
    const rest = [
      inline(worker, ids[1] ?? '', 'OpenWallet', openWallet, { create: WALLET }),
      inline(worker, ids[2] ?? '', 'OpenWallet', openWallet, { create: WALLET }),
      inline(worker, ids[3] ?? '', 'OpenWallet', openWallet, { create: WALLET, idempotencyKey: 'wallet-of-alice' }),
    ];
    await pause(10);
    release();
    const answers = await Promise.all([first, ...rest]);

    expect(answers.map((a) => a.seq)).toEqual([1, 1, 1, null]);
    const shared = journal.commits.find((c) => c.members.length === 3);
    expect(isDuplicateKeyError(shared?.error)).toBe(true);
    const reusedTries = journal.commits.filter((c) => c.members.some((m) => m.journeyId === ids[3]));
    expect(reusedTries.at(-1)?.members).toHaveLength(1);
    expect(reusedTries.every((c) => isDuplicateKeyError(c.error))).toBe(true);
    for (const id of ids.slice(0, 3)) expect(journal.rows.journeys.get(id ?? '')).toMatchObject({ handledSeq: 1, lifecycle: 'active' });
    expect(journal.rows.journeys.has(ids[3] ?? '')).toBe(false);
    expect(journal.rows.events.has(answers[3]?.eventId ?? '')).toBe(false);
  });

  it('ends an event whose outcome the store cannot hold as a terminal STORE_REFUSED rejection, and the journey goes on', async () => {
    // max_allowed_packet 128 KiB: room for ~64 KiB of outcome after the statement overhead.
    const { journal, worker, hub, dispatched } = await startWorker({ journal: new FakeJournal({ maxStatementBytes: 128 * 1024 }) });
    const id = newId();
    const events = [
      await accept(journal, id, 'InitiatePayment', payment, { create: SCT }),
      // Its outcome repeats the reason in the PaymentCancelled it emits: 100 KB.
      await accept(journal, id, 'CancelPayment', { reason: 'r'.repeat(100_000) }),
      await accept(journal, id, 'AuthorisePayment', {}),
    ];
    for (const event of events) worker.deliver(event);
    await until(() => handledSeq(journal, id) === 3, 'all three are handled');

    const refused = hub.published.find((o) => o.eventId === events[1]?.eventId);
    expect(refused).toMatchObject({ outcome: 'rejected', seq: 2, rejection: { code: 'STORE_REFUSED' }, emitted: [] });
    const row = journal.rows.events.get(events[1]?.eventId ?? '');
    expect(row?.status).toBe('rejected');
    expect(JSON.parse(row?.outcomeJson ?? 'null')).toMatchObject({ outcome: 'rejected', rejection: { code: 'STORE_REFUSED' } });
    // Refused before it was sent: no commit ever failed.
    expect(journal.commits.filter((c) => c.error !== null)).toEqual([]);
    // The journey went on: not cancelled, then authorised, its booking call in the outbox and dispatched.
    expect(journal.rows.journeys.get(id)?.data).toMatchObject({ status: 'booking' });
    expect(journal.rows.events.get(events[2]?.eventId ?? '')?.status).toBe('applied');
    expect([...journal.rows.outbox.values()].map((c) => [c.outboxId, c.operation, c.causedBy])).toEqual([[dispatched[0], 'book', events[2]?.eventId]]);
  });

  it('fires a due timer exactly once, and the journey handles its event', async () => {
    const { journal, worker, hub, clock } = await startWorker({ worker: { timerPollMs: 5 } });
    const id = newId();
    expect((await inline(worker, id, 'InitiatePayment', payment, { create: SCT })).seq).toBe(1);
    const [timer] = [...journal.rows.timers.values()];
    expect(timer).toMatchObject({ journeyId: id, name: 'expiry', eventType: 'PaymentExpired', status: 'scheduled', fireAtMs: clock.wallMs + 5 * DAY_MS });

    await pause(30);
    expect(journal.called('fireTimer')).toBe(0); // not due yet
    clock.wallMs += 5 * DAY_MS;
    await until(() => handledSeq(journal, id) === 2, 'the expiry is handled');
    await pause(30); // polls after it fired find nothing due

    const expired = journal.eventsOf(id).filter((e) => e.type === 'PaymentExpired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ journeySeq: 2, origin: 'timer', status: 'applied', idempotencyKey: `timer:${timer?.timerId}` });
    expect(journal.rows.timers.get(timer?.timerId ?? '')).toMatchObject({ status: 'fired', firedEventId: expired[0]?.eventId });
    expect(journal.called('fireTimer')).toBe(1);
    expect(hub.published.filter((o) => o.eventId === expired[0]?.eventId)).toHaveLength(1);
    expect(journal.rows.journeys.get(id)?.data).toMatchObject({ status: 'expired' });
  });

  it('reads timers rarely while none is due, at once after scheduling one, and fires it when the store says it is due', async () => {
    // Due by the store's clock (as in production), not the test clock.
    const { journal, worker, clock } = await startWorker({ timersByClock: false, worker: { timerPollMs: 5 } });
    await pause(300);
    // Polling every 5 ms would read about 60 times; knowing nothing is scheduled, it reads about once.
    expect(journal.called('dueTimers')).toBeLessThanOrEqual(3);

    const id = newId();
    const polled = journal.called('dueTimers');
    await inline(worker, id, 'InitiatePayment', payment, { create: SCT }); // schedules the expiry in 5 days
    await until(() => journal.called('nextTimerDueInMs') > 0 && journal.called('dueTimers') > polled, 'the scheduled timer is read at once');
    await pause(300);
    expect(journal.called('dueTimers')).toBeLessThanOrEqual(polled + 3);

    // The timer falls due by the store's clock without the node being told (moving the store's
    // whole clock would expire the leases too): the poll finds it within its longest quiet spell (2 s).
    for (const timer of journal.rows.timers.values()) timer.fireAtMs = journal.nowMs;
    clock.wallMs += 5 * DAY_MS; // the handling step sees the expiry's time
    await until(() => handledSeq(journal, id) === 2, 'the expiry is handled', 3_000);
    expect(journal.eventsOf(id).map((e) => e.type)).toEqual(['InitiatePayment', 'PaymentExpired']);
  });

  it('fires a timer once when two nodes poll it at once (a stale owner and the new one)', async () => {
    const a = await startWorker({ worker: { timerPollMs: 5 } });
    const { journal, clock } = a;
    const id = newId();
    const partitionNo = partitionOf(id, PARTITIONS);
    await inline(a.worker, id, 'InitiatePayment', payment, { create: SCT });
    // Node B takes the partition over; A has not noticed and still polls its timers.
    journal.stealPartition(partitionNo, 'node-b:00000002');
    const b = await startWorker({ journal, clock, worker: { ownerId: 'node-b:00000002', timerPollMs: 5, sweepEveryMs: 10, sweepAfterMs: 0 } });
    expect(b.worker.owns(partitionNo) && a.worker.owns(partitionNo)).toBe(true);

    // Both read the timer as due before either fires it.
    const release = journal.hold('dueTimers');
    const polled = journal.called('dueTimers');
    clock.wallMs += 5 * DAY_MS;
    await until(() => journal.called('dueTimers') >= polled + 2, 'both nodes poll');
    release();
    await until(() => handledSeq(journal, id) === 2, 'the expiry is handled');
    await pause(30);

    expect(journal.eventsOf(id).map((e) => [e.type, e.status])).toEqual([
      ['InitiatePayment', 'applied'],
      ['PaymentExpired', 'applied'],
    ]);
    expect(journal.called('fireTimer')).toBeGreaterThanOrEqual(2);
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 2, acceptedSeq: 2, data: { status: 'expired' } });
    expect([...a.hub.published, ...b.hub.published].filter((o) => o.seq === 2)).toHaveLength(1);
  });

  it('retries through a store outage at commit and then commits once', async () => {
    const { journal, worker, hub } = await startWorker();
    const id = newId();
    await inline(worker, id, 'OpenWallet', openWallet, { create: WALLET });
    journal.failNext('commitHandlingBatch', storeUnavailableError('handle-batch'));
    journal.failNext('commitHandlingBatch', storeUnavailableError('handle-batch'));

    const deposit = await accept(journal, id, 'Deposit', { amount: 30 });
    worker.deliver(deposit);
    await until(() => handledSeq(journal, id) === 2, 'the deposit is handled');

    const tries = journal.commits.filter((c) => c.members.some((m) => m.eventId === deposit.eventId));
    expect(tries.map((c) => (isJourneyError(c.error) ? c.error.code : c.results?.[0]?.status))).toEqual([
      'JE_STORE_UNAVAILABLE',
      'JE_STORE_UNAVAILABLE',
      'committed',
    ]);
    expect(journal.rows.events.get(deposit.eventId)?.status).toBe('applied');
    expect(journal.rows.journeys.get(id)).toMatchObject({ handledSeq: 2, data: { balance: 30, deposits: 1 } });
    expect(hub.published.filter((o) => o.eventId === deposit.eventId)).toHaveLength(1);
  });

  it('answers an inline commit of unknown outcome by whether its event landed', async () => {
    const { journal, worker } = await startWorker();
    const [landedId, lostId] = [newId(), newId()];
    journal.failNext('commitHandlingBatch', commitUnknownError('handle-batch'), { afterEffect: true });
    const landed = await inline(worker, landedId, 'OpenWallet', openWallet, { create: WALLET });
    journal.failNext('commitHandlingBatch', commitUnknownError('handle-batch'));
    const lost = await inline(worker, lostId, 'OpenWallet', openWallet, { create: WALLET });

    expect([landed.seq, lost.seq]).toEqual([1, null]);
    expect(journal.called('eventExists')).toBe(2);
    expect(journal.rows.events.get(landed.eventId)).toMatchObject({ journeySeq: 1, status: 'applied' });
    expect(journal.rows.journeys.has(lostId)).toBe(false);
    expect(journal.rows.events.has(lost.eventId)).toBe(false);
  });
});
