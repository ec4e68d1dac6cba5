/**
 * Reconciliation on the real engine (MariaDB, Redis Cluster, BullMQ), through the API and
 * `journey reconcile`: the simulated booking back end does the work of a call but loses every
 * reply on the way back (its test hook), so the call goes dead and its journey gets the failure
 * event. `journey reconcile booking` asks the back end (its `query`), finds the lost reply,
 * and `--repair` replays it: the journey completes once, even when two repairs race; the
 * back end's high-water mark then keeps later runs to new calls, and `--since` looks again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createReconcileCommand } from '../../cli/commands/reconcile.js';
import { silentLogger } from '../../common/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { ReconcileReport } from '../../engine/index.js';
import { createSimulatedBackends } from '../../journeys/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { useCliHarness } from '../support/cli-harness.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { fetchViaApp } from '../support/fetch-via-app.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const SOURCE = `journey ops/transfer version 1.0
data schema "transfer.data.schema.json"
events from "events"

on Transfer initiating
  set status = "booking", bookings = 0
  call booking.book {
    debtorIban: "NL91ABNA0417164300", creditorIban: event.creditorIban, creditorName: "Bob",
    amount: event.amount, currency: "EUR", remittance: "",
  } reply Booked failure BookingFailed

on BookingFailed
  allow context.origin == "backend"
  set status = "stuck", failures = (data.failures ?? 0) + 1

// A replayed reply is taken where the failure event left the journey.
on Booked
  allow context.origin == "backend"
  when data.status in ["booking", "stuck"]
  set status = "booked", bookings = data.bookings + 1, bookingId = event.bookingId
`;

const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const URL_ARGS = ['--url', 'http://api.test:3000'];
const OPERATOR = { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator' };
const cli = useCliHarness('reconcile-it');

describe('reconciliation with a back end', () => {
  let dir: string;
  let database: TestDatabase;
  let node: TestEngine;
  let app: ReturnType<typeof buildApi>;
  const simulated = createSimulatedBackends();
  const book = simulated.backends['booking.book']!;
  let held: Promise<void> | null = null;
  /** Calls whose held answer was let go. */
  const answered: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'je-reconcile-'));
    writeAdHocJourney(dir, {
      type: 'ops/transfer',
      version: '1.0',
      source: SOURCE,
      dataSchemaFile: 'transfer.data.schema.json',
      dataSchema: {
        title: 'Transfer',
        properties: { status: { type: 'string' }, bookings: { type: 'integer' }, failures: { type: 'integer' }, bookingId: { type: 'string' } },
        required: ['status', 'bookings'],
      },
      events: {
        Transfer: { properties: { creditorIban: { type: 'string' }, amount: { type: 'integer' } }, required: ['creditorIban', 'amount'] },
        Booked: { properties: { bookingId: { type: 'string' }, bookedAt: { type: 'string' } }, required: ['bookingId', 'bookedAt'] },
        BookingFailed: { properties: { reason: { type: 'string' }, attempts: { type: 'integer' } }, required: ['reason', 'attempts'] },
      },
    });
    const compiled = await compileJourneys(dir);
    expect(compiled.diagnostics).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'reconcile',
      journeys: compiled.journeys,
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      backends: {
        ...simulated.backends,
        // While `held` is set, the back end's answer waits on its way back: the call stays pending.
        'booking.book': Object.assign(
          async (request: JsonObject, meta: { callId: string; journeyId: string; attempt: number }) => {
            const reply = await book(request, meta);
            if (held) {
              await held;
              answered.push(meta.callId);
            }
            return reply;
          },
          { query: simulated.query },
        ),
        'fax.send': () => Promise.resolve({}),
      },
      calls: { attempts: 2, backoffMs: 20, redeliverMaxMs: 500 },
    });
    app = buildApi(node.engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const reconcile = (args: string[]): Promise<number> => createReconcileCommand(fetchViaApp(app)).run([...args, ...URL_ARGS]);
  const lastJson = <T>(): T => JSON.parse(cli.output.join('\n')) as T;
  const data = async (journeyId: string): Promise<JsonObject | null | undefined> => (await node.engine.getJourney(journeyId))?.data;
  const eventTypes = async (journeyId: string): Promise<string[]> =>
    (await node.engine.listEvents(journeyId, { limit: 100 })).items.map((e) => `${e.type}:${e.status}`);

  async function transfer(creditorIban: string): Promise<string> {
    const accepted = await node.engine.accept({
      kind: 'initiate',
      journeyType: 'ops/transfer',
      version: '1.0',
      event: { type: 'Transfer', payload: { creditorIban, amount: 12_500 } },
      context: alice,
    });
    expect(await node.engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
    return accepted.journeyId;
  }

  let lost: string;
  let lostCall: string;
  let booked: string;

  it('a reply the back end sent but the engine never got: the call goes dead, the back end reports it done', async () => {
    simulated.loseReplies(true);
    lost = await transfer('DE89370400440532013000');
    await vi.waitFor(async () => expect(await data(lost)).toMatchObject({ status: 'stuck', failures: 1 }), { timeout: 20_000, interval: 100 });
    simulated.loseReplies(false);
    booked = await transfer('DE89370400440532013001');
    await vi.waitFor(async () => expect(await data(booked)).toMatchObject({ status: 'booked', bookings: 1 }), { timeout: 20_000, interval: 100 });

    const letters = (await node.engine.deadLetters.list({ system: 'booking' })).items;
    expect(letters.map((l) => l.journeyId)).toEqual([lost]);
    lostCall = letters[0]?.id ?? '';
    const [record] = Object.values(await simulated.query([lostCall]));
    expect(record).toMatchObject({ status: 'done', reply: { bookingId: expect.stringMatching(/^BK-/) as unknown } });
  });

  it('journey reconcile lists the lost reply and, without --repair, changes nothing', async () => {
    expect(await reconcile(['booking', '--json'])).toBe(1);
    const report = lastJson<ReconcileReport>();
    expect(report).toMatchObject({ system: 'booking', repair: false, checked: 2, more: false, from: null });
    expect(report.mismatches).toEqual([
      expect.objectContaining({ kind: 'lost-reply', callId: lostCall, journeyId: lost, operation: 'book', outbox: 'dead', backend: 'done', repaired: false }),
    ]);
    // The mark stays before the lost reply: the next run looks at it again.
    expect(report.mark).toBeNull();
    expect(await eventTypes(lost)).toEqual(['Transfer:applied', 'BookingFailed:applied']);

    expect(await reconcile(['booking'])).toBe(1);
    const text = cli.output.join('\n');
    expect(text).toContain('lost-reply');
    expect(text).toContain(lostCall);
    expect(text).toContain('journey reconcile booking --repair');
  });

  it('--repair replays the reply once, however many repairs race: the journey completes once', async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(() => app.inject({ method: 'POST', url: '/reconcile/booking', headers: OPERATOR, payload: { repair: true } })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    await vi.waitFor(async () => expect(await data(lost)).toMatchObject({ status: 'booked', bookings: 1, failures: 1 }), { timeout: 10_000, interval: 100 });
    const [record] = Object.values(await simulated.query([lostCall]));
    expect(record?.status === 'done' && (await data(lost))?.bookingId === record.reply.bookingId).toBe(true);
    expect(await eventTypes(lost)).toEqual(['Transfer:applied', 'BookingFailed:applied', 'Booked:applied']);
    // The outbox agrees now: the dead letter shows the call answered by the reconciliation.
    expect(await node.engine.deadLetters.get(lostCall)).toMatchObject({ status: 'answered', resolvedBy: 'olga', delivered: { reply: { status: 'applied' } } });
  });

  it('the high-water mark keeps later runs to new calls; --since looks again, and finds nothing amiss', async () => {
    expect(await reconcile(['booking', '--repair', '--json'])).toBe(0);
    const after = lastJson<ReconcileReport>();
    expect(after).toMatchObject({ checked: 0, mismatches: [] });
    expect(after.mark?.callId).toBeDefined();

    cli.output.length = 0;
    expect(await reconcile(['booking', '--since', '2000-01-01T00:00:00Z', '--json'])).toBe(0);
    expect(lastJson<ReconcileReport>()).toMatchObject({ checked: 2, mismatches: [] });
    expect(await data(lost)).toMatchObject({ status: 'booked', bookings: 1 });
    expect(await data(booked)).toMatchObject({ status: 'booked', bookings: 1 });
  });

  it('a reply still on its way when reconcile replays it: the relay delivers it too, and it enters the journey once', async () => {
    let release = (): void => undefined;
    held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const journeyId = await transfer('DE89370400440532013002');
    let report: ReconcileReport | undefined;
    await vi.waitFor(
      async () => {
        report = (await app.inject({ method: 'POST', url: '/reconcile/booking', headers: OPERATOR, payload: {} })).json<ReconcileReport>();
        expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'lost-reply', journeyId, outbox: 'pending', backend: 'done' })]);
      },
      { timeout: 10_000, interval: 100 },
    );
    const callId = report?.mismatches[0]?.callId ?? '';
    const repaired = (await app.inject({ method: 'POST', url: '/reconcile/booking', headers: OPERATOR, payload: { repair: true } })).json<ReconcileReport>();
    expect(repaired.mismatches).toEqual([expect.objectContaining({ callId, repaired: true })]);
    expect(repaired.mark?.callId).toBe(callId);
    await vi.waitFor(async () => expect(await data(journeyId)).toMatchObject({ status: 'booked', bookings: 1 }), { timeout: 10_000, interval: 100 });

    // The relay's own delivery of the same answer, once let go, is a duplicate of the replayed one.
    held = null;
    release();
    await vi.waitFor(() => expect(answered).toContain(callId), { timeout: 10_000, interval: 50 });
    // Nothing to wait for on success (a duplicate changes nothing): give the relay's delivery,
    // which follows the answer at once, time to have happened before checking it added nothing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await eventTypes(journeyId)).toEqual(['Transfer:applied', 'Booked:applied']);
    expect(await data(journeyId)).toMatchObject({ status: 'booked', bookings: 1 });
  });

  it('a back end whose adapter has no query cannot be reconciled, nor one nobody serves: a clear refusal', async () => {
    expect(await reconcile(['fax'])).toBe(1);
    expect(cli.output.join('\n')).toContain('JE_RECONCILE_UNSUPPORTED');
    const unknown = await app.inject({ method: 'POST', url: '/reconcile/nosuch', headers: OPERATOR, payload: {} });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ error: { code: 'JE_RECONCILE_UNSUPPORTED' } });
    const customer = await app.inject({ method: 'POST', url: '/reconcile/booking', headers: { 'x-dev-sender': 'alice' }, payload: {} });
    expect(customer.statusCode).toBe(403);
    expect(await reconcile(['booking', '--since', 'yesterday'])).toBe(2);
  });
});
