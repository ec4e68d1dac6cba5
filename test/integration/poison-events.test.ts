/**
 * Poison events: what the store can never hold must end, not loop.
 * - A payload larger than the store can commit is refused at intake (413) before anything is
 *   acknowledged or written.
 * - An event whose *outcome* the store can never hold (here: a bead that makes the journey's data
 *   five times the payload, past MariaDB's max_allowed_packet) ends as a terminal `rejected`
 *   outcome (`STORE_REFUSED`) with its reason, counted in a metric; the journeys batched with it
 *   commit, and its own journey goes on with its next event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const CONTEXT: EventContext = { sender: 'tester', roles: [], trustLevel: 1, channel: 'api' };

const JOURNEY = `journey test/poison version 1.0

data schema "poison.data.schema.json"
events from "events/"

on Open initiating
  set blob = "", count = 0

on Grow
  set blob = event.blob + event.blob + event.blob + event.blob + event.blob, count = data.count + 1

on Tick
  set count = data.count + 1
`;

function writeJourney(root: string): void {
  writeAdHocJourney(root, {
    type: 'test/poison',
    version: '1.0',
    source: JOURNEY,
    dataSchemaFile: 'poison.data.schema.json',
    dataSchema: { title: 'PoisonData', properties: { blob: { type: 'string' }, count: { type: 'integer' } }, required: ['blob', 'count'] },
    events: {
      Open: { properties: {}, required: [] },
      Grow: { properties: { blob: { type: 'string' } }, required: ['blob'] },
      Tick: { properties: {}, required: [] },
    },
  });
}

describe('poison events', () => {
  let database: TestDatabase;
  let node: TestEngine;
  let engine: JourneyEngine;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'je-poison-'));
    writeJourney(root);
    const compiled = await compileJourneys(root);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({ databaseUrl: database.url, seeds: gridSeeds(), keyPrefix: database.name, journeys: compiled.journeys, partitionCount: 4 });
    engine = node.engine;
    for (let tries = 0; (await engine.readiness()).partitions.owned < 4; tries++) {
      if (tries > 200) throw new Error('the node never took its partitions');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function open(): Promise<string> {
    const accepted = await engine.accept({
      kind: 'initiate',
      journeyType: 'test/poison',
      version: '1.0',
      event: { type: 'Open', payload: {} },
      context: CONTEXT,
    });
    return accepted.journeyId;
  }

  async function send(journeyId: string, type: string, payload: JsonObject): Promise<string> {
    const accepted = await engine.accept({ kind: 'target', journeyId, event: { type, payload }, context: CONTEXT });
    return accepted.eventId;
  }

  it('refuses at intake (413) a payload larger than the store can commit, and writes nothing', async () => {
    const journeyId = await open();
    const before = await node.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE journey_id = ?', [journeyId]);
    const tooLarge = 'x'.repeat(Math.floor(node.store.maxAllowedPacketBytes / 4) + 1);
    const refusal = await send(journeyId, 'Grow', { blob: tooLarge }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isJourneyError(refusal, 'JE_PAYLOAD_TOO_LARGE')).toBe(true);
    const after = await node.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE journey_id = ?', [journeyId]);
    expect(Number(after[0]?.n)).toBe(Number(before[0]?.n));
  });

  it('ends an event whose outcome the store cannot hold as STORE_REFUSED, and its batch mates and later events commit', async () => {
    const poisoned = await open();
    const others = await Promise.all(Array.from({ length: 6 }, () => open()));
    // Under the intake limit, but the bead makes the data five times as large: past the packet.
    const blob = 'p'.repeat(Math.floor(node.store.maxAllowedPacketBytes / 4) - 1024);
    const poisonEvent = await send(poisoned, 'Grow', { blob });
    const tickEvents = await Promise.all(others.map((journeyId) => send(journeyId, 'Tick', {})));

    const poisonOutcome = await engine.awaitOutcome(poisonEvent, 30_000);
    expect(poisonOutcome).toMatchObject({ outcome: 'rejected', rejection: { code: 'STORE_REFUSED' } });
    expect(poisonOutcome?.rejection?.message).toMatch(/cannot be stored/);
    for (const eventId of tickEvents) expect(await engine.awaitOutcome(eventId, 30_000)).toMatchObject({ outcome: 'applied' });

    // The journey goes on: its data is as before the refused event, and the next event applies.
    const next = await send(poisoned, 'Tick', {});
    expect(await engine.awaitOutcome(next, 30_000)).toMatchObject({ outcome: 'applied', seq: 3 });
    const journey = await engine.getJourney(poisoned);
    expect(journey).toMatchObject({ seq: 3, data: { blob: '', count: 1 } });
    // (The refused event's payload is megabytes: the history comes a page per event.)
    const statuses: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await engine.listEvents(poisoned, cursor ? { cursor } : {});
      statuses.push(...page.items.map((e) => e.status));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(statuses).toEqual(['applied', 'rejected', 'applied']);

    const metrics = await engine.metricsText();
    expect(Number(/^je_events_refused_by_store_total (\d+)/m.exec(metrics)?.[1])).toBe(1);
  }, 60_000);
});
