// The grid against the harness's real 3-master Redis Cluster (or JE_TEST_REDIS_URL's grid).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import { getHotState, hashSlot, parseClusterNodes, parseRedisUrl, putHotState } from '../../grid/index.js';
import type { Grid } from '../../grid/index.js';
import { connectTestGrid, gridSeeds } from '../support/environment.js';

/** The grid's password (the seeds carry it), for plain clients to one node. */
function seedPassword(): string | undefined {
  return parseRedisUrl(gridSeeds()[0] ?? '').password;
}

/** The master `host:port` serving each slot, from CLUSTER SLOTS. */
async function slotMasters(grid: Grid): Promise<(slot: number) => string> {
  const reply = (await grid.client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  return (slot) => {
    const range = reply.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`slot ${slot} is not served`);
    return `${range[2][0]}:${range[2][1]}`;
  };
}

describe('grid on a Redis Cluster', () => {
  let grid: Grid;

  beforeAll(async () => {
    grid = await connectTestGrid();
  });

  afterAll(async () => {
    await grid?.close();
  });

  it('detects cluster mode and counts the masters', async () => {
    expect(grid.mode).toBe('cluster');
    expect(await grid.nodeCount()).toBe(3);
    const health = await grid.health();
    expect(health).toMatchObject({ ok: true, mode: 'cluster', clusterState: 'ok', masters: 3 });
    expect(await grid.ping()).toBeGreaterThanOrEqual(0);
  });

  it('puts journeys with different hash tags on several masters, and the local slot function agrees with CLUSTER KEYSLOT', async () => {
    const masterOf = await slotMasters(grid);
    const owners = new Set<string>();
    for (let index = 0; index < 24; index++) {
      const key = grid.keys.hotState(`journey-${randomUUID()}`);
      await grid.client.set(key, 'x', 'PX', 60_000);
      const slot = Number(await grid.client.call('CLUSTER', 'KEYSLOT', key));
      expect(hashSlot(key)).toBe(slot);
      owners.add(masterOf(slot));
      // The key really lives on that master: a plain connection to it can read it.
      const { host, port } = parseRedisUrl(masterOf(slot));
      const direct = new Redis({ host, port, password: seedPassword(), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await direct.connect();
        expect(await direct.get(key)).toBe('x');
      } finally {
        direct.disconnect();
      }
    }
    expect(owners.size).toBeGreaterThanOrEqual(2);
  });

  it("keeps one journey's keys in one slot", () => {
    const journeyId = randomUUID();
    const slots = new Set([grid.keys.hotState(journeyId), grid.keys.journey(journeyId, 'events'), grid.keys.journey(journeyId, 'lease')].map(hashSlot));
    expect(slots.size).toBe(1);
    expect(hashSlot(grid.keys.grid('nodes'))).toBe(hashSlot(grid.keys.grid('owners')));
  });

  it('answers MOVED to a plain client on the wrong node, while the Cluster client follows the slot', async () => {
    const key = grid.keys.hotState(randomUUID());
    const slot = hashSlot(key);
    const masterOf = await slotMasters(grid);
    const owner = masterOf(slot);
    const seeds = gridSeeds();
    // A master that does not own the slot (replicas answer MOVED too, but pick a master to be plain).
    const nodes = parseClusterNodes(String(await grid.client.call('CLUSTER', 'NODES')));
    const wrong = nodes.find((node) => node.role === 'master' && !node.failing && `${node.host}:${node.port}` !== owner);
    expect(wrong, `another master than ${owner} among ${seeds.join(',')}`).toBeDefined();
    const plain = new Redis({
      host: wrong?.host,
      port: wrong?.port,
      password: seedPassword(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await plain.connect();
      await expect(plain.set(key, 'v')).rejects.toThrow(new RegExp(`^MOVED ${slot} ${owner.replaceAll('.', '\\.')}`));
    } finally {
      plain.disconnect();
    }
    await grid.client.set(key, 'v', 'PX', 60_000);
    expect(await grid.client.get(key)).toBe('v');
  });

  it('stores hot state only when its seq is newer', async () => {
    const journeyId = randomUUID();
    expect(await getHotState(grid, journeyId)).toBeNull();

    expect(await putHotState(grid, journeyId, 1, '{"step":1}', 60_000)).toBe(true);
    expect(await putHotState(grid, journeyId, 3, '{"step":3}', 60_000)).toBe(true);
    // Same seq and older seqs lose, and leave the stored state alone.
    expect(await putHotState(grid, journeyId, 3, '{"step":"dup"}', 60_000)).toBe(false);
    expect(await putHotState(grid, journeyId, 2, '{"step":2}', 60_000)).toBe(false);
    expect(await getHotState(grid, journeyId)).toEqual({ seq: 3, state: '{"step":3}' });

    const key = grid.keys.hotState(journeyId);
    expect(await grid.client.hgetall(key)).toEqual({ seq: '3', state: '{"step":3}' });
    const ttl = await grid.client.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    expect(await putHotState(grid, journeyId, 10, '{"step":10}', 1_500)).toBe(true);
    expect(await grid.client.pttl(key)).toBeLessThanOrEqual(1_500);
    expect(await getHotState(grid, journeyId)).toEqual({ seq: 10, state: '{"step":10}' });
  });

  it('lets seq 0 be stored first and survives large seqs', async () => {
    const journeyId = randomUUID();
    expect(await putHotState(grid, journeyId, 0, '{}', 60_000)).toBe(true);
    expect(await putHotState(grid, journeyId, 0, '{"again":true}', 60_000)).toBe(false);
    expect(await putHotState(grid, journeyId, 2 ** 52, '{"big":true}', 60_000)).toBe(true);
    expect(await putHotState(grid, journeyId, 2 ** 52 - 1, '{}', 60_000)).toBe(false);
    expect((await getHotState(grid, journeyId))?.seq).toBe(2 ** 52);
  });

  it('rejects invalid arguments before reaching Redis', async () => {
    const journeyId = randomUUID();
    for (const [seq, ttlMs] of [
      [-1, 1000],
      [1.5, 1000],
      [1, 0],
    ] as const) {
      const failure = await putHotState(grid, journeyId, seq, '{}', ttlMs).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isJourneyError(failure, 'JE_INTERNAL')).toBe(true);
    }
    expect(() => grid.keys.hotState('a}b')).toThrow(/no braces/);
    expect(await getHotState(grid, journeyId)).toBeNull();
  });

  it('gives blocking commands their own connection', async () => {
    const blocking = await grid.duplicate({ blocking: true });
    try {
      const inbox = grid.keys.nodeInbox(randomUUID());
      const popped = blocking.brpop(inbox, 5);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The shared client is not blocked meanwhile.
      expect(await grid.client.lpush(inbox, 'wake')).toBe(1);
      expect(await popped).toEqual([inbox, 'wake']);
    } finally {
      await blocking.quit();
    }
  });

  it('fails with JE_GRID_UNAVAILABLE when no seed answers', async () => {
    const failure = await connectTestGrid({ urls: ['redis://127.0.0.1:1'], connectTimeoutMs: 500 }).then(
      (unexpected) => unexpected.close(),
      (error: unknown) => error,
    );
    expect(isJourneyError(failure, 'JE_GRID_UNAVAILABLE')).toBe(true);
  });
});
