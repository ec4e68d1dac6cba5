/**
 * Dead letters on the real engine (MariaDB, Redis Cluster, BullMQ), operated through the API and
 * `journey dead-letters`: a back end fails until it is told otherwise, so its calls go dead and
 * their journeys get the failure event; the operator sees them listed and counted
 * (`je_dead_letters`, `je_calls_dead_lettered_total`), retries one while the back end still fails
 * (dead again, no second failure event), retries it once the back end is back (the journey
 * completes, once, with the same call id the back end saw before), races two retries of another
 * (one runs, one is refused), and discards a third (nothing sent, the journey stays).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createDeadLettersCommand } from '../../cli/commands/dead-letters.js';
import { SimulatedClock, silentLogger } from '../../common/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { DeadLetterView, JourneyEngine } from '../../engine/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { useCliHarness } from '../support/cli-harness.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { fetchViaApp } from '../support/fetch-via-app.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const SOURCE = `journey ops/booking version 1.0
data schema "booking.data.schema.json"
events from "events"

on Book initiating
  set status = "booking", bookings = 0
  call ledger.book { item: event.item } reply Booked failure BookingFailed

on BookingFailed
  allow context.origin == "backend"
  set status = "stuck", failures = (data.failures ?? 0) + 1

// A retried call's reply is taken where the failure event left the journey.
on Booked
  allow context.origin == "backend"
  when data.status in ["booking", "stuck"]
  set status = "booked", bookings = data.bookings + 1, ref = event.ref
`;

const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const URL_ARGS = ['--url', 'http://api.test:3000'];
const OPERATOR = { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator' };
const cli = useCliHarness('dead-letters-it');

describe('dead letters, operated', () => {
  let dir: string;
  let database: TestDatabase;
  let node: TestEngine;
  let engine: JourneyEngine;
  let app: ReturnType<typeof buildApi>;
  const clock = new SimulatedClock(Date.UTC(2026, 5, 1, 8));
  /** The back end fails while this is set. */
  let failing = true;
  /** Every call the back end got: its call id, and whether it answered. */
  const seen: Array<{ callId: string; answered: boolean }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'je-dead-letters-'));
    const reason = { type: 'string' };
    writeAdHocJourney(dir, {
      type: 'ops/booking',
      version: '1.0',
      source: SOURCE,
      dataSchemaFile: 'booking.data.schema.json',
      dataSchema: {
        title: 'Booking',
        properties: { status: { type: 'string' }, bookings: { type: 'integer' }, failures: { type: 'integer' }, ref: { type: 'string' } },
        required: ['status', 'bookings'],
      },
      events: {
        Book: { properties: { item: { type: 'string' } }, required: ['item'] },
        Booked: { properties: { ref: { type: 'string' } }, required: ['ref'] },
        BookingFailed: { properties: { reason, attempts: { type: 'integer' } }, required: ['reason', 'attempts'] },
      },
    });
    const compiled = await compileJourneys(dir);
    expect(compiled.diagnostics).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'dead-letters',
      journeys: compiled.journeys,
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      clock,
      backends: {
        'ledger.book': (request, meta) => {
          seen.push({ callId: meta.callId, answered: !failing });
          if (failing) return Promise.reject(new Error('the ledger is down'));
          return Promise.resolve({ ref: `R-${meta.callId}` });
        },
      },
      calls: { attempts: 2, backoffMs: 20, redeliverMaxMs: 500 },
    });
    engine = node.engine;
    app = buildApi(engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `journey dead-letters`, its requests injected into the API over the real engine. */
  const command = () => createDeadLettersCommand(fetchViaApp(app), { pollMs: 50 });

  async function book(item: string): Promise<string> {
    const accepted = await engine.accept({
      kind: 'initiate',
      journeyType: 'ops/booking',
      version: '1.0',
      event: { type: 'Book', payload: { item } },
      context: alice,
    });
    expect(await engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
    return accepted.journeyId;
  }

  const data = async (journeyId: string): Promise<JsonObject | null | undefined> => (await engine.getJourney(journeyId))?.data;
  const eventTypes = async (journeyId: string): Promise<string[]> =>
    (await engine.listEvents(journeyId, { limit: 100 })).items.map((e) => `${e.type}:${e.status}`);
  const letterOf = async (journeyId: string): Promise<DeadLetterView> => {
    const { items } = await engine.deadLetters.list({ journeyType: 'ops/booking', limit: 500 });
    const found = items.find((item) => item.journeyId === journeyId);
    if (!found) throw new Error(`no dead letter for ${journeyId}`);
    return engine.deadLetters.get(found.id);
  };
  const metric = async (line: RegExp): Promise<number | null> => {
    clock.advance(11_000); // the gauge is read from the store at most every 10 s
    const found = (await engine.metricsText()).split('\n').find((l) => line.test(l));
    return found === undefined ? null : Number(found.split(' ').pop());
  };

  it('a call whose back end keeps failing goes dead: its journey gets the failure event, the operator sees it listed and counted', async () => {
    const journeys = [await book('a'), await book('b'), await book('c')];
    for (const journeyId of journeys) {
      await vi.waitFor(async () => expect(await data(journeyId)).toMatchObject({ status: 'stuck', failures: 1 }), { timeout: 20_000, interval: 100 });
    }
    await vi.waitFor(async () => expect((await engine.deadLetters.list({ system: 'ledger' })).items).toHaveLength(3), { timeout: 10_000, interval: 100 });
    const letter = await letterOf(journeys[0] ?? '');
    expect(letter).toMatchObject({
      kind: 'call',
      status: 'dead',
      journeyType: 'ops/booking',
      version: '1.0',
      system: 'ledger',
      operation: 'book',
      attempts: 2,
      retries: 0,
      lastError: 'the ledger is down',
      journeyStatus: 'stuck',
      request: { item: 'a' },
      replyEvent: 'Booked',
      failureEvent: 'BookingFailed',
      delivered: { failure: { status: 'applied' } },
    });
    expect(letter.delivered.reply).toBeUndefined();

    expect(await command().run(['list', '--system', 'ledger', ...URL_ARGS])).toBe(0);
    const table = cli.output.join('\n');
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain(letter.id);
    expect(await metric(/^je_dead_letters\{kind="call",system="ledger"\}/)).toBe(3);
    expect(await metric(/^je_calls_dead_lettered_total\{system="ledger"\}/)).toBe(3);
  });

  it('retried while the back end still fails: dead again, and the journey gets no second failure event', async () => {
    const { items } = await engine.deadLetters.list({ system: 'ledger' });
    const first = items[0];
    if (!first) throw new Error('no dead letter');
    expect(await command().run(['retry', first.id, '--note', 'try again', '--wait', '--timeout', '30', ...URL_ARGS])).toBe(1);
    expect(cli.output.join('\n')).toContain(`the retry of ${first.id} failed: it is dead again (the ledger is down)`);
    expect(await engine.deadLetters.get(first.id)).toMatchObject({ status: 'dead', retries: 1, attempts: 4, resolvedBy: 'journey-cli', note: 'try again' });
    expect(await eventTypes(first.journeyId)).toEqual(['Book:applied', 'BookingFailed:applied']);
    expect(await data(first.journeyId)).toMatchObject({ status: 'stuck', failures: 1 });
    expect(await metric(/^je_calls_dead_lettered_total\{system="ledger"\}/)).toBe(4);
  });

  it('retried from the CLI once the back end is back: the journey completes, once, under the call id the back end saw before', async () => {
    failing = false;
    const { items } = await engine.deadLetters.list({ system: 'ledger' });
    const first = items[0];
    if (!first) throw new Error('no dead letter');
    expect(await command().run(['retry', first.id, '--wait', '--timeout', '30', ...URL_ARGS])).toBe(0);
    expect(cli.output.join('\n')).toContain('status         answered');
    await vi.waitFor(async () => expect(await data(first.journeyId)).toMatchObject({ status: 'booked', bookings: 1, ref: `R-${first.id}` }), {
      timeout: 10_000,
      interval: 100,
    });
    expect(await eventTypes(first.journeyId)).toEqual(['Book:applied', 'BookingFailed:applied', 'Booked:applied']);
    expect(await engine.deadLetters.get(first.id)).toMatchObject({ status: 'answered', retries: 2, delivered: { reply: { status: 'applied' } } });
    // Every attempt, failed or answered, carried the same call id: the back end can dedupe.
    const calls = seen.filter((s) => s.callId === first.id);
    expect(calls.map((s) => s.answered)).toEqual([false, false, false, false, true]);

    // Not dead any more: a retry is refused and changes nothing.
    expect(await command().run(['retry', first.id, ...URL_ARGS])).toBe(1);
    expect(cli.output.join('\n')).toContain('JE_DEAD_LETTER_SETTLED: it is answered, not dead');
  });

  it('two retries racing: one runs, the other is refused, and the reply enters the journey once', async () => {
    const { items } = await engine.deadLetters.list({ system: 'ledger' });
    const second = items[0];
    if (!second) throw new Error('no dead letter');
    const answers = await Promise.all(
      [1, 2].map(() => app.inject({ method: 'POST', url: `/dead-letters/${second.id}/retry`, headers: OPERATOR, payload: { note: 'race' } })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([202, 409]);
    expect(answers.find((a) => a.statusCode === 409)?.json()).toMatchObject({ error: { code: 'JE_DEAD_LETTER_SETTLED' } });
    await vi.waitFor(async () => expect(await data(second.journeyId)).toMatchObject({ status: 'booked', bookings: 1 }), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect((await engine.deadLetters.get(second.id)).status).toBe('answered'), { timeout: 10_000, interval: 100 });
    expect(await eventTypes(second.journeyId)).toEqual(['Book:applied', 'BookingFailed:applied', 'Booked:applied']);
    expect(seen.filter((s) => s.callId === second.id && s.answered)).toHaveLength(1);
  });

  it('discarded: recorded and kept, nothing sent, the journey stays where the failure event left it', async () => {
    const { items } = await engine.deadLetters.list({ system: 'ledger' });
    expect(items).toHaveLength(1);
    const third = items[0];
    if (!third) throw new Error('no dead letter');
    const before = seen.length;
    expect(await command().run(['discard', third.id, '--reason', 'booked by hand', ...URL_ARGS])).toBe(0);
    expect(cli.output.join('\n')).toContain(`discarded ${third.id}: ledger.book for journey ${third.journeyId}; its journey stays stuck`);
    expect(await engine.deadLetters.get(third.id)).toMatchObject({ status: 'discarded', resolvedBy: 'journey-cli', note: 'booked by hand' });
    expect((await engine.deadLetters.list({ status: 'discarded' })).items.map((l) => l.id)).toEqual([third.id]);
    expect((await engine.deadLetters.list({})).items).toEqual([]);
    expect(await eventTypes(third.journeyId)).toEqual(['Book:applied', 'BookingFailed:applied']);
    expect(seen).toHaveLength(before);
    expect(await metric(/^je_dead_letters\{kind="call",system="ledger"\}/)).toBe(0);
  });
});
