/**
 * Memory and storage grow with what events change, not with (payload size × events):
 * - stored outcomes carry the changes of their event, never a copy of a 60 KB journey;
 * - `?wait` answers still carry the journey's full data, also when memory no longer holds the
 *   outcome (the store's journey row, or the fold of the changes up to that event);
 * - recent outcomes in memory stay within their byte budget;
 * - history pages are bounded in bytes, and paging through them returns every event once, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileJourneys } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { EventView, JourneyEngine } from '../../engine/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const NOTES = `journey test/notes version 1.0

data schema "notes.data.schema.json"
events from "events/"

on Start initiating
  set count = 0

on Note
  set count = data.count + 1
`;

function writeNotesJourney(root: string): void {
  writeAdHocJourney(root, {
    type: 'test/notes',
    version: '1.0',
    source: NOTES,
    dataSchemaFile: 'notes.data.schema.json',
    dataSchema: { title: 'NotesData', properties: { count: { type: 'integer' } }, required: ['count'] },
    events: { Start: { properties: {}, required: [] }, Note: { properties: { text: { type: 'string' } }, required: ['text'] } },
  });
}

const OWNER_BYTES = 60_000;
const WALLETS = 12;
const DEPOSITS = 8;
/** Tiny on purpose: most waits are answered from the store, as after an eviction. */
const HUB_BYTES = 200_000;

describe('large journeys: what an event changed, not a copy per event', () => {
  let database: TestDatabase;
  let node: TestEngine;
  let engine: JourneyEngine;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'je-large-'));
    writeNotesJourney(root);
    const notes = await compileJourneys(root);
    expect(notes.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      journeys: [await walletJourney(), ...notes.journeys],
      partitionCount: 4,
      outcomeHub: { maxBytes: HUB_BYTES },
    });
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

  it('stores changes, answers waits with the full data, and keeps memory within its budget', async () => {
    const wallets = await Promise.all(
      Array.from({ length: WALLETS }, async (_, i) => {
        const owner = `${i}-`.padEnd(OWNER_BYTES, 'o');
        const opened = await engine.accept({
          kind: 'initiate',
          journeyType: 'pfm/wallet',
          version: '1.0',
          event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
          context: walletContext(owner),
        });
        return { journeyId: opened.journeyId, owner };
      }),
    );
    const firstDeposits = new Map<string, string>();
    await Promise.all(
      wallets.map(async ({ journeyId, owner }) => {
        for (let k = 1; k <= DEPOSITS; k++) {
          const accepted = await engine.accept({
            kind: 'target',
            journeyId,
            event: { type: 'Deposit', payload: { amount: k } },
            context: walletContext('payer'),
          });
          if (k === 1) firstDeposits.set(journeyId, accepted.eventId);
          const outcome = await engine.awaitOutcome(accepted.eventId, 30_000);
          // The full data, wherever the answer came from.
          expect(outcome).toMatchObject({ outcome: 'applied', seq: 1 + k, data: { owner, balance: (k * (k + 1)) / 2, deposits: k } });
        }
      }),
    );

    // An old event's outcome, long after its journey moved on: the data as it was after that event.
    const [first] = wallets;
    const old = await engine.awaitOutcome(firstDeposits.get(first?.journeyId ?? '') ?? '', 5_000);
    expect(old).toMatchObject({ seq: 2, data: { owner: first?.owner, balance: 1, deposits: 1 } });

    // Storage: no outcome after the opening one carries the owner; the opening one carries it once.
    const sizes = await node.store.query<{ seq: number; largest: number }>(
      `SELECT journey_seq AS seq, MAX(LENGTH(outcome)) AS largest FROM events WHERE journey_id IN (?) GROUP BY journey_seq ORDER BY journey_seq`,
      [wallets.map((w) => w.journeyId)],
    );
    const opening = sizes.find((s) => Number(s.seq) === 1);
    expect(Number(opening?.largest)).toBeLessThan(3 * OWNER_BYTES);
    for (const row of sizes.filter((s) => Number(s.seq) > 1)) expect(Number(row.largest)).toBeLessThan(2_000);

    // The history shows what each deposit changed.
    const history = await engine.listEvents(first?.journeyId ?? '');
    expect(history.items[1]?.outcome).toMatchObject({
      changes: [
        { op: 'replace', path: '/balance', value: 1 },
        { op: 'replace', path: '/deposits', value: 1 },
      ],
    });

    // Memory: the recent outcomes stay within their byte budget.
    const metrics = await engine.metricsText();
    const keptBytes = Number(/^je_outcomes_kept\{measure="bytes"\} (\d+)/m.exec(metrics)?.[1]);
    expect(keptBytes).toBeGreaterThan(0);
    expect(keptBytes).toBeLessThanOrEqual(HUB_BYTES);
  }, 120_000);

  it('bounds a history page in bytes, and paging returns every event once, in order', async () => {
    const context: EventContext = { sender: 'writer', roles: [], trustLevel: 1, channel: 'api' };
    const started = await engine.accept({ kind: 'initiate', journeyType: 'test/notes', version: '1.0', event: { type: 'Start', payload: {} }, context });
    const text = 't'.repeat(50_000);
    let lastEventId = '';
    for (let i = 0; i < 20; i++) {
      const payload: JsonObject = { text: `${i}:${text}` };
      lastEventId = (await engine.accept({ kind: 'target', journeyId: started.journeyId, event: { type: 'Note', payload }, context })).eventId;
    }
    expect(await engine.awaitOutcome(lastEventId, 30_000)).toMatchObject({ seq: 21 });

    const seen: EventView[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await engine.listEvents(started.journeyId, { limit: 500, ...(cursor ? { cursor } : {}) });
      pages += 1;
      // One event more than the budget at most (an event larger than it still fits alone).
      expect(JSON.stringify(page.items).length).toBeLessThan(256 * 1024 + 60_000);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pages).toBeGreaterThan(1);
    expect(seen.map((e) => e.journeySeq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  }, 120_000);
});
