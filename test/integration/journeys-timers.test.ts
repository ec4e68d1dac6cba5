/**
 * Timer semantics on the real engine with a small journey of its own: `unless` cancels a timer
 * when a listed event is applied, and (docs/DSL.md: "nothing is visible outside until the whole
 * bead has succeeded") a *rejected* event must not cancel it, or a sender the access rules refuse
 * could stop another party's deadline.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../cache-store/index.js';
import { SimulatedClock } from '../../common/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { EventContext } from '../../dsl/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const HOUR_MS = 3_600_000;
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const mallory: EventContext = { ...alice, sender: 'mallory' };

const SOURCE = `journey ops/reminder version 1.0
data schema "data.json"
event Open schema "empty.json"
event Stop schema "empty.json"
event Ring schema "empty.json"
timer ring after 1 hour emit Ring unless Stop

on Open initiating
  set owner = sender, status = "open"
  start timer ring

on Stop
  allow sender == data.owner
  set status = "stopped"

on Ring
  allow context.origin == "timer"
  set status = "rang"
`;

describe('timers with `unless` on the real engine', () => {
  let dir: string;
  let database: TestDatabase;
  let store: Store;
  let node: TestEngine;
  let engine: JourneyEngine;
  const clock = new SimulatedClock(Date.UTC(2026, 5, 1));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'je-timer-journeys-'));
    const folder = join(dir, 'ops', 'reminder', '1.0');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'journey.jd'), SOURCE);
    await writeFile(join(folder, 'data.json'), JSON.stringify({ type: 'object' }));
    await writeFile(join(folder, 'empty.json'), JSON.stringify({ type: 'object', additionalProperties: false, properties: {} }));
    const compiled = await compileJourneys(dir);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'timer-node',
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

  async function send(journeyId: string | null, type: string, context: EventContext): Promise<{ journeyId: string; outcome: string }> {
    const event = { type, payload: {} };
    const accepted =
      journeyId === null
        ? await engine.accept({ kind: 'initiate', journeyType: 'ops/reminder', version: '1.0', event, context })
        : await engine.accept({ kind: 'target', journeyId, event, context });
    const outcome = await engine.awaitOutcome(accepted.eventId, 10_000);
    return { journeyId: accepted.journeyId, outcome: outcome?.outcome ?? 'none' };
  }

  const timerStatus = async (journeyId: string): Promise<string[]> =>
    (await store.query<{ status: string }>('SELECT status FROM timers WHERE journey_id = ?', [journeyId])).map((r) => r.status);

  it('an applied event listed in `unless` cancels the timer', async () => {
    const { journeyId } = await send(null, 'Open', alice);
    expect(await send(journeyId, 'Stop', alice)).toMatchObject({ outcome: 'applied' });
    expect(await timerStatus(journeyId)).toEqual(['cancelled']);
  });

  // Only an applied event cancels the timers waiting for it: mallory, refused by
  // `allow sender == data.owner`, must not cancel alice's timer.
  it('a rejected event listed in `unless` leaves the timer running', async () => {
    const { journeyId } = await send(null, 'Open', alice);
    expect(await send(journeyId, 'Stop', mallory)).toMatchObject({ outcome: 'rejected' });
    expect(await timerStatus(journeyId)).toEqual(['scheduled']);
    clock.advance(HOUR_MS);
    await new Promise((r) => setTimeout(r, 400));
    expect((await engine.getJourney(journeyId))?.data).toMatchObject({ status: 'rang' });
  });
});
