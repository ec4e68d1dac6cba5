import { createHash, randomBytes } from 'node:crypto';
import mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError, silentLogger } from '../../common/index.js';
import { ensureSearchColumns, listDeployments, loadDeployment, openStore, saveDeployment, searchColumnName } from '../../cache-store/index.js';
import type { SearchFieldSpec, Store } from '../../cache-store/index.js';

const SERVER_URL = process.env.JE_TEST_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';
const DATABASE = `je_test_${randomBytes(6).toString('hex')}`;

let store: Store;
let other: Store;

beforeAll(async () => {
  store = await openStore({ url: `${SERVER_URL}/${DATABASE}`, logger: silentLogger(), poolSize: 4 });
  other = await openStore({ url: `${SERVER_URL}/${DATABASE}`, logger: silentLogger(), poolSize: 4 });
});

afterAll(async () => {
  await store?.close();
  await other?.close();
  const u = new URL(SERVER_URL);
  const conn = await mariadb.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  } finally {
    await conn.end();
  }
});

const FIELDS: SearchFieldSpec[] = [
  { name: 'owner', path: '$.owner', type: 'string' },
  { name: 'amount', path: '$.payment.amount', type: 'number' },
  { name: 'vip', path: '$.flags.vip', type: 'boolean' },
];

async function insertJourney(id: string, typeName: string, data: unknown): Promise<void> {
  await store.execute(
    `INSERT INTO journeys (journey_id, type_name, type_version, partition_no, lifecycle, data, accepted_seq)
     VALUES (?, ?, '1', 0, 'active', ?, 0)`,
    [id, typeName, JSON.stringify(data)],
  );
}

describe('ensureSearchColumns', () => {
  it('creates indexed virtual columns, concurrently and idempotently', async () => {
    const [a, b] = await Promise.all([ensureSearchColumns(store, FIELDS), ensureSearchColumns(other, FIELDS)]);
    expect([...a.created, ...b.created].sort()).toEqual(['sf_amount', 'sf_owner', 'sf_vip']);
    const again = await ensureSearchColumns(store, FIELDS);
    expect(again).toEqual({ created: [], existing: ['sf_owner', 'sf_amount', 'sf_vip'] });

    const indexes = await store.query<{ name: string; cols: string }>(
      `SELECT INDEX_NAME AS name, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'journeys' AND INDEX_NAME LIKE 'ix\\_sf\\_%' GROUP BY INDEX_NAME ORDER BY INDEX_NAME`,
    );
    expect(indexes).toEqual([
      { name: 'ix_sf_amount', cols: 'type_name,sf_amount' },
      { name: 'ix_sf_owner', cols: 'type_name,sf_owner' },
      { name: 'ix_sf_vip', cols: 'type_name,sf_vip' },
    ]);
  });

  it('computes values by JSON type and never fails a write on unexpected data', async () => {
    await insertJourney('j-typed', 'wallet', { owner: 'alice', payment: { amount: 12.5 }, flags: { vip: true } });
    await insertJourney('j-odd', 'wallet', { owner: { nested: 1 }, payment: { amount: 'lots' }, flags: { vip: 'true' } });
    await insertJourney('j-long', 'wallet', { owner: 'x'.repeat(400), payment: { amount: 7 }, flags: { vip: false } });
    await insertJourney('j-number-owner', 'wallet', { owner: 42 });
    await insertJourney('j-null', 'wallet', null);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT journey_id, sf_owner, sf_amount, sf_vip FROM journeys WHERE journey_id LIKE 'j-%' ORDER BY journey_id`,
    );
    expect(rows).toEqual([
      { journey_id: 'j-long', sf_owner: 'x'.repeat(255), sf_amount: 7, sf_vip: 0 },
      { journey_id: 'j-null', sf_owner: null, sf_amount: null, sf_vip: null },
      { journey_id: 'j-number-owner', sf_owner: '42', sf_amount: null, sf_vip: null },
      { journey_id: 'j-odd', sf_owner: null, sf_amount: null, sf_vip: null },
      { journey_id: 'j-typed', sf_owner: 'alice', sf_amount: 12.5, sf_vip: 1 },
    ]);
  });

  it('queries by type and field use the (type_name, sf_<name>) index', async () => {
    for (let i = 0; i < 200; i += 1) {
      await insertJourney(`bulk-${i}`, i % 2 === 0 ? 'wallet' : 'loan', { owner: `owner-${i % 50}`, payment: { amount: i } });
    }
    await store.execute('ANALYZE TABLE journeys');
    const column = searchColumnName('owner');
    const plan = await store.query<{ key: string | null }>(`EXPLAIN SELECT journey_id FROM journeys WHERE type_name = ? AND ${column} = ?`, [
      'wallet',
      'owner-4',
    ]);
    expect(plan[0]?.key).toBe('ix_sf_owner');
    const found = await store.query<{ journey_id: string }>(`SELECT journey_id FROM journeys WHERE type_name = ? AND ${column} = ? ORDER BY journey_id`, [
      'wallet',
      'owner-4',
    ]);
    expect(found.map((r) => r.journey_id)).toEqual(['bulk-104', 'bulk-154', 'bulk-4', 'bulk-54']);
  });

  it('refuses injection-like names and paths', async () => {
    const bad: SearchFieldSpec[] = [
      { name: 'owner; DROP TABLE journeys', path: '$.owner', type: 'string' },
      { name: 'Owner', path: '$.owner', type: 'string' },
      { name: '1owner', path: '$.owner', type: 'string' },
      { name: 'x'.repeat(42), path: '$.owner', type: 'string' },
      { name: 'owner2', path: "$.owner') , data) -- ", type: 'string' },
      { name: 'owner2', path: '$.owner[0]', type: 'string' },
      { name: 'owner2', path: '$', type: 'string' },
      { name: 'owner2', path: '$.a.b.c.d.e.f.g.h.i', type: 'string' },
      { name: 'owner2', path: '$.owner', type: 'date' as unknown as 'string' },
    ];
    for (const field of bad) {
      const err: unknown = await ensureSearchColumns(store, [field]).catch((e: unknown) => e);
      expect(isJourneyError(err, 'JE_SEARCH_FIELD_INVALID'), JSON.stringify(field)).toBe(true);
    }
    expect(() => searchColumnName('a-b')).toThrow(/must match/);
    const columns = await store.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME LIKE 'sf\\_owner2%'");
    expect(columns).toEqual([]);
  });

  it('refuses the same name with another path or type', async () => {
    for (const field of [
      { name: 'owner', path: '$.customer.owner', type: 'string' },
      { name: 'owner', path: '$.owner', type: 'number' },
    ] as SearchFieldSpec[]) {
      const err: unknown = await ensureSearchColumns(store, [field]).catch((e: unknown) => e);
      expect(isJourneyError(err, 'JE_SEARCH_FIELD_CONFLICT'), JSON.stringify(field)).toBe(true);
      expect((err as Error).message).toMatch(/already exists as \{"path":"\$\.owner","type":"string"\}/);
    }
    const twice: unknown = await ensureSearchColumns(store, [
      { name: 'dup', path: '$.a', type: 'string' },
      { name: 'dup', path: '$.b', type: 'string' },
    ]).catch((e: unknown) => e);
    expect(isJourneyError(twice, 'JE_SEARCH_FIELD_INVALID')).toBe(true);
  });
});

describe('deployments', () => {
  const MAX_LANE = 1023;
  const ir = (n: number): string => JSON.stringify({ name: 'wallet', beads: [n] });
  const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

  it('saves a version once; the same hash again is a no-op', async () => {
    expect(await saveDeployment(store, { name: 'wallet', version: '1', ir: ir(1), irHash: hash(ir(1)), maxLane: MAX_LANE })).toEqual({
      created: true,
      laneNo: 1,
    });
    expect(await saveDeployment(store, { name: 'wallet', version: '1', ir: ir(1), irHash: hash(ir(1)), maxLane: MAX_LANE })).toEqual({
      created: false,
      laneNo: 1,
    });
    const loaded = await loadDeployment(store, 'wallet', '1');
    expect(loaded).toMatchObject({ name: 'wallet', version: '1', ir: ir(1), irHash: hash(ir(1)) });
    expect(loaded?.deployedAt).toBeInstanceOf(Date);
  });

  it('refuses a changed definition under an existing version (JE_DEPLOYMENT_CONFLICT, 409)', async () => {
    const err: unknown = await saveDeployment(store, { name: 'wallet', version: '1', ir: ir(2), irHash: hash(ir(2)), maxLane: MAX_LANE }).catch(
      (e: unknown) => e,
    );
    expect(isJourneyError(err, 'JE_DEPLOYMENT_CONFLICT')).toBe(true);
    expect(isJourneyError(err) && err.httpStatus).toBe(409);
    expect((await loadDeployment(store, 'wallet', '1'))?.ir).toBe(ir(1));
  });

  it('concurrent saves of the same version: one creates, the rest are no-ops', async () => {
    const results = await Promise.all(
      [store, other, store, other].map((s) => saveDeployment(s, { name: 'loan', version: '3', ir: ir(3), irHash: hash(ir(3)), maxLane: MAX_LANE })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('lists versions without definitions; unknown versions load as undefined; bad input is refused', async () => {
    await saveDeployment(store, { name: 'wallet', version: '2', ir: ir(2), irHash: hash(ir(2)), maxLane: MAX_LANE });
    const list = await listDeployments(store);
    expect(list.map((d) => `${d.name}@${d.version}`)).toEqual(['loan@3', 'wallet@1', 'wallet@2']);
    expect(list[0]).not.toHaveProperty('ir');
    expect(await loadDeployment(store, 'wallet', '9')).toBeUndefined();
    for (const bad of [
      { name: 'wallet', version: '4', ir: '{not json', irHash: hash('x') },
      { name: 'wallet', version: '4', ir: ir(4), irHash: 'ABC' },
      { name: '', version: '4', ir: ir(4), irHash: hash(ir(4)) },
      { name: 'wallet', version: 'v'.repeat(33), ir: ir(4), irHash: hash(ir(4)) },
    ]) {
      const err: unknown = await saveDeployment(store, { ...bad, maxLane: MAX_LANE }).catch((e: unknown) => e);
      expect(isJourneyError(err, 'JE_BAD_REQUEST'), JSON.stringify(bad).slice(0, 60)).toBe(true);
    }
  });
});
