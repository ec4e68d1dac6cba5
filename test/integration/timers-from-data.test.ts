/**
 * Timers whose time comes from data or the event (`timer expiry at data.expiresAt`,
 * `after event.remindDays days`), on the real engine with a simulated clock: the timer is stored at
 * the time the data names (past 2038 too), fires once when the clock reaches it and not before, is
 * cancelled by the bead that owns it, and an event whose timer time is out of range is rejected
 * (`INVALID_TIMER`) with nothing of it committed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import { SimulatedClock } from '../../common/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { EventOutcome, JourneyEngine } from '../../engine/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const DAY_MS = 86_400_000;
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };

const SOURCE = `journey ops/lease version 1.0
data schema "lease.data.schema.json"
events from "events"
timer expiry at data.expiresAt emit Expire

on Open initiating
  set owner = sender, status = "open", expiresAt = event.expiresAt, expirations = 0, reminded = false
  start timer expiry
  after event.remindDays days emit Remind

on Extend
  allow sender == data.owner
  set expiresAt = event.until
  start timer expiry

on Close
  allow sender == data.owner
  set status = "closed"
  cancel timer expiry

on Expire
  allow context.origin == "timer"
  set status = "expired", expirations = data.expirations + 1

on Remind
  allow context.origin == "timer"
  set reminded = true
`;

const dateTime = { type: 'string', format: 'date-time' };

describe('timers from data on the real engine', () => {
  let dir: string;
  let database: TestDatabase;
  let store: Store;
  let node: TestEngine;
  let engine: JourneyEngine;
  const clock = new SimulatedClock(Date.UTC(2026, 5, 1, 8, 0, 0));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'je-timers-from-data-'));
    writeAdHocJourney(dir, {
      type: 'ops/lease',
      version: '1.0',
      source: SOURCE,
      dataSchemaFile: 'lease.data.schema.json',
      dataSchema: {
        title: 'Lease',
        properties: {
          owner: { type: 'string' },
          status: { type: 'string' },
          expiresAt: dateTime,
          expirations: { type: 'integer', minimum: 0 },
          reminded: { type: 'boolean' },
        },
        required: ['owner', 'status', 'expiresAt', 'expirations', 'reminded'],
      },
      events: {
        Open: { properties: { expiresAt: dateTime, remindDays: { type: 'integer', minimum: 0, maximum: 365 } }, required: ['expiresAt', 'remindDays'] },
        Extend: { properties: { until: dateTime }, required: ['until'] },
        Close: { properties: {}, required: [] },
        Expire: { properties: {}, required: [] },
        Remind: { properties: {}, required: [] },
      },
    });
    const compiled = await compileJourneys(dir);
    expect(compiled.diagnostics).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'timers-from-data',
      journeys: compiled.journeys,
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200, timerPollMs: 50 },
      clock,
    });
    ({ engine, store } = node);
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function send(journeyId: string | null, type: string, payload: JsonObject): Promise<EventOutcome & { journeyId: string }> {
    const event = { type, payload };
    const accepted =
      journeyId === null
        ? await engine.accept({ kind: 'initiate', journeyType: 'ops/lease', version: '1.0', event, context: alice })
        : await engine.accept({ kind: 'target', journeyId, event, context: alice });
    const outcome = await engine.awaitOutcome(accepted.eventId, 10_000);
    if (outcome === null) throw new Error(`no outcome for ${type}`);
    return { ...outcome, journeyId: accepted.journeyId };
  }

  const timers = async (journeyId: string): Promise<Array<{ name: string; status: string; fireAtMs: number }>> =>
    (
      await store.query<{ timer_name: string; status: string; fire_at: Date }>(
        'SELECT timer_name, status, fire_at FROM timers WHERE journey_id = ? ORDER BY created_at, timer_id',
        [journeyId],
      )
    ).map((row) => ({ name: row.timer_name.includes('/after@') ? 'remind' : row.timer_name, status: row.status, fireAtMs: row.fire_at.getTime() }));

  const timerEvents = async (journeyId: string): Promise<string[]> =>
    (
      await store.query<{ event_type: string }>("SELECT event_type FROM events WHERE journey_id = ? AND origin = 'timer' ORDER BY journey_seq", [journeyId])
    ).map((row) => row.event_type);

  it('a timer from data fires once at its time, and not before', async () => {
    const expiresAtMs = clock.nowMs() + 3 * DAY_MS;
    // The same instant written with an offset: 3 days from now at 10:00+02:00 is 08:00Z.
    const expiresAt = new Date(expiresAtMs + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    const opened = await send(null, 'Open', { expiresAt, remindDays: 1 });
    expect(opened.outcome).toBe('applied');
    const { journeyId } = opened;
    expect(await timers(journeyId)).toEqual([
      { name: 'expiry', status: 'scheduled', fireAtMs: expiresAtMs },
      { name: 'remind', status: 'scheduled', fireAtMs: clock.nowMs() + DAY_MS },
    ]);

    // One day on, the reminder fires; the timer poll that fired it found the expiry not yet due.
    clock.advance(DAY_MS);
    await vi.waitFor(async () => expect((await engine.getJourney(journeyId))?.data).toMatchObject({ reminded: true }), { timeout: 10_000, interval: 50 });
    expect((await timers(journeyId)).map((t) => t.status)).toEqual(['scheduled', 'fired']);

    // A millisecond before its time, the expiry still waits (a later journey's timer due at this
    // moment proves a poll ran at it).
    clock.advance(2 * DAY_MS - 1);
    const probe = await send(null, 'Open', { expiresAt: new Date(clock.nowMs()).toISOString(), remindDays: 0 });
    await vi.waitFor(async () => expect((await engine.getJourney(probe.journeyId))?.data).toMatchObject({ status: 'expired' }), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await timers(journeyId))[0]?.status).toBe('scheduled');

    clock.advance(1);
    await vi.waitFor(async () => expect((await engine.getJourney(journeyId))?.data).toMatchObject({ status: 'expired' }), { timeout: 10_000, interval: 50 });
    clock.advance(DAY_MS);
    // Another due timer fired after it: the poll has run again, and the expiry did not fire twice.
    const later = await send(null, 'Open', { expiresAt: new Date(clock.nowMs()).toISOString(), remindDays: 0 });
    await vi.waitFor(async () => expect((await engine.getJourney(later.journeyId))?.data).toMatchObject({ status: 'expired' }), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await engine.getJourney(journeyId))?.data).toMatchObject({ status: 'expired', expirations: 1 });
    expect(await timerEvents(journeyId)).toEqual(['Remind', 'Expire']);
    expect((await timers(journeyId)).map((t) => t.status)).toEqual(['fired', 'fired']);
  });

  it('a time past 2038 is stored as that time', async () => {
    const opened = await send(null, 'Open', { expiresAt: '2040-01-01T00:00:00Z', remindDays: 365 });
    expect(opened.rejection).toBeUndefined();
    expect((await timers(opened.journeyId))[0]).toEqual({ name: 'expiry', status: 'scheduled', fireAtMs: Date.UTC(2040, 0, 1) });
  });

  it('the bead that owns the timer cancels it, and starting it again replaces it', async () => {
    const { journeyId } = await send(null, 'Open', { expiresAt: new Date(clock.nowMs() + DAY_MS).toISOString(), remindDays: 2 });
    const until = clock.nowMs() + 5 * DAY_MS;
    expect((await send(journeyId, 'Extend', { until: new Date(until).toISOString() })).outcome).toBe('applied');
    expect((await send(journeyId, 'Close', {})).outcome).toBe('applied');
    expect((await timers(journeyId)).filter((t) => t.name === 'expiry')).toEqual([
      { name: 'expiry', status: 'cancelled', fireAtMs: clock.nowMs() + DAY_MS },
      { name: 'expiry', status: 'cancelled', fireAtMs: until },
    ]);
  });

  it('a time more than 100 years ahead rejects the event (INVALID_TIMER) and commits nothing of it', async () => {
    const refused = await send(null, 'Open', { expiresAt: '2200-01-01T00:00:00Z', remindDays: 1 });
    expect(refused).toMatchObject({ outcome: 'rejected', rejection: { code: 'INVALID_TIMER' } });
    expect(refused.rejection?.message).toContain('more than 36525 days (100 years) ahead');
    expect(await timers(refused.journeyId)).toEqual([]);

    const { journeyId } = await send(null, 'Open', { expiresAt: new Date(clock.nowMs() + DAY_MS).toISOString(), remindDays: 2 });
    const before = await engine.getJourney(journeyId);
    const extended = await send(journeyId, 'Extend', { until: '2200-01-01T00:00:00Z' });
    expect(extended).toMatchObject({ outcome: 'rejected', rejection: { code: 'INVALID_TIMER' } });
    expect((await engine.getJourney(journeyId))?.data).toEqual(before?.data);
    expect((await timers(journeyId)).map((t) => t.status)).toEqual(['scheduled', 'scheduled']);
  });
});
