/**
 * Migration 004 (version lanes) on a store written by the release before it: journeys placed by
 * `hash % P`, with pending events, scheduled timers and pending calls. The migration refuses to
 * run while a node of that release holds a live lease, then moves every journey and its pending
 * work into its version's slots; a node of this release then handles the pending event.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { isJourneyError, silentLogger } from '../../common/index.js';
import { newId, partitionOf } from '../../engine/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const P = 8;

describe('migration 004: journeys move into their version lanes', () => {
  let database: TestDatabase;
  let oldDir: string;
  let node: TestEngine | undefined;
  const journeys: Array<{ id: string; version: string; slot: number }> = [];
  let pendingEventId = '';

  const count = async (store: Store, sql: string, params: unknown[] = []): Promise<number> =>
    Number((await store.queryOne<{ n: number | bigint }>(sql, params))?.n ?? -1);

  beforeAll(async () => {
    database = await createTestDatabase();
    oldDir = mkdtempSync(join(tmpdir(), 'je-migrations-'));
    for (const file of readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => /^00[1-3]_.*\.sql$/.test(f))) {
      copyFileSync(join(DEFAULT_MIGRATIONS_DIR, file), join(oldDir, file));
    }
    const old = await openStore({ url: database.url, logger: silentLogger(), migrationsDir: oldDir });
    try {
      const wallet = await walletJourney();
      await old.execute(`INSERT INTO cluster_meta (meta_key, meta_value) VALUES ('partition_count', ?)`, [String(P)]);
      for (const [version, at] of [
        ['1.0', '2026-01-01'],
        ['0.9', '2026-02-01'],
      ] as const) {
        const ir = JSON.stringify({ ...wallet, version });
        await old.execute(`INSERT INTO deployments (type_name, type_version, ir, ir_hash, deployed_at) VALUES ('pfm/wallet', ?, ?, ?, ?)`, [
          version,
          ir,
          createHash('sha256').update(ir).digest('hex'),
          at,
        ]);
      }
      for (const version of ['1.0', '1.0', '0.9']) {
        const id = newId();
        const partition = partitionOf(id, P);
        journeys.push({ id, version, slot: (version === '1.0' ? 1 : 2) * P + partition });
        await old.execute(
          `INSERT INTO journeys (journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq)
           VALUES (?, 'pfm/wallet', ?, ?, 'active', ?, 1, 2)`,
          [id, version, partition, JSON.stringify({ owner: 'mig', currency: 'EUR', balance: 10, status: 'open', deposits: 0, withdrawals: 0 })],
        );
        await old.execute(
          `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context, origin, status)
           VALUES (?, ?, 1, ?, 'OpenWallet', '{"owner":"mig","currency":"EUR"}', '{}', 'api', 'applied')`,
          [newId(), id, partition],
        );
        const eventId = newId();
        if (!pendingEventId) pendingEventId = eventId;
        await old.execute(
          `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context, origin, status)
           VALUES (?, ?, 2, ?, 'Deposit', '{"amount":5}', ?, 'api', 'pending')`,
          [eventId, id, partition, JSON.stringify(walletContext('mig'))],
        );
        await old.execute(
          `INSERT INTO timers (timer_id, journey_id, partition_no, timer_name, fire_at, event_type, payload, created_by)
           VALUES (?, ?, ?, 'reminder', NOW(6) + INTERVAL 1 DAY, 'Remind', '{}', ?)`,
          [newId(), id, partition, eventId],
        );
        await old.execute(
          `INSERT INTO outbox (outbox_id, journey_id, partition_no, caused_by, system_name, operation, request) VALUES (?, ?, ?, ?, 'bank', 'book', '{}')`,
          [newId(), id, partition, eventId],
        );
      }
      // A node of the old release, alive: it holds partition 3.
      await old.execute(`INSERT INTO partitions (partition_no, owner_node, epoch, lease_expires_at) VALUES (3, 'old-node:01', 4, NOW(6) + INTERVAL 1 HOUR)`);
    } finally {
      await old.close();
    }
  });

  afterAll(async () => {
    await node?.stop().catch(() => undefined);
    await database?.drop();
    rmSync(oldDir, { recursive: true, force: true });
  });

  it('refuses to run while a node of the older release holds a live lease, and changes nothing', async () => {
    const error: unknown = await openStore({ url: database.url, logger: silentLogger() }).then(
      async (store) => {
        await store.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(isJourneyError(error, 'JE_STORE_MIGRATION_FAILED')).toBe(true);
    expect(String((error as Error).message)).toMatch(/stop every node of the older release/);
    const old = await openStore({ url: database.url, logger: silentLogger(), migrationsDir: oldDir });
    try {
      expect(await count(old, `SELECT COUNT(*) AS n FROM journeys WHERE partition_no >= ?`, [P])).toBe(0);
      // The old node stops: its lease is handed back.
      await old.execute(`UPDATE partitions SET owner_node = NULL, lease_expires_at = NULL WHERE partition_no = 3`);
    } finally {
      await old.close();
    }
  });

  it('gives versions lanes in deploy order and moves journeys, pending events, timers and calls to their slots', async () => {
    const store = await openStore({ url: database.url, logger: silentLogger() });
    try {
      const lanes = await store.query<{ type_version: string; lane_no: number }>(`SELECT type_version, lane_no FROM deployments ORDER BY lane_no`);
      expect(lanes.map((l) => [l.type_version, Number(l.lane_no)])).toEqual([
        ['1.0', 1],
        ['0.9', 2],
      ]);
      for (const journey of journeys) {
        const where = [journey.id];
        expect(await count(store, `SELECT partition_no AS n FROM journeys WHERE journey_id = ?`, where)).toBe(journey.slot);
        expect(await count(store, `SELECT partition_no AS n FROM events WHERE journey_id = ? AND status = 'pending'`, where)).toBe(journey.slot);
        expect(await count(store, `SELECT partition_no AS n FROM timers WHERE journey_id = ?`, where)).toBe(journey.slot);
        expect(await count(store, `SELECT partition_no AS n FROM outbox WHERE journey_id = ?`, where)).toBe(journey.slot);
      }
      expect(await count(store, `SELECT COUNT(*) AS n FROM partitions WHERE partition_no < ?`, [P])).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a node of this release hosting 1.0 handles the pending events of 1.0 journeys', async () => {
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: testNamespace(),
      journeys: [await walletJourney()],
      partitionCount: P,
      workerOptions: { leaseTtlMs: 1_500, sweepAfterMs: 200, sweepEveryMs: 200 },
    });
    const first = journeys[0];
    expect(await node.engine.awaitOutcome(pendingEventId, 10_000)).toMatchObject({ outcome: 'applied', seq: 2 });
    expect(await node.engine.getJourney(first?.id ?? '')).toMatchObject({ seq: 2, data: { balance: 15 } });
  });
});
