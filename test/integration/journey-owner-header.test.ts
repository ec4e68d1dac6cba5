/**
 * The owner hint behind a balancer: answers about a journey name the node owning it
 * (`X-Journey-Owner`) and that node's advertised URL (`X-Journey-Owner-Url`), also when another
 * node answered — so a client or gateway can send the journey's next events there directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { silentLogger } from '../../common/index.js';
import type { NodeMessage } from '../../engine/index.js';
import { createGridServices } from '../../grid/index.js';
import { connectTestGrid, createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletJourney } from '../support/wallet.js';

const OWNER_URL = 'http://node-b.internal:3000';

describe('X-Journey-Owner behind a balancer (two real nodes)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const nodes: TestEngine[] = [];
  const apps: Array<ReturnType<typeof buildApi>> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const common = { databaseUrl: database.url, seeds: gridSeeds(), keyPrefix: database.name, journeys: [await walletJourney()], partitionCount: 8 };
    // B owns every journey (A has no worker) and advertises where clients reach it.
    nodes.push(await startTestEngine({ ...common, nodeId: 'owner-b', advertiseUrl: OWNER_URL }));
    nodes.push(await startTestEngine({ ...common, nodeId: 'balanced-a', worker: false }));
    for (const node of nodes) apps.push(buildApi(node.engine, { auth: { mode: 'dev' } }, silentLogger()));
    for (let i = 0; i < 100 && !(await nodes[0]?.engine.readiness())?.ready; i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const node of nodes) await node.stop();
    await database?.drop();
  });

  it('names the owner and its URL on an event accepted by another node, on reads, and at the owner itself', async () => {
    const [b, a] = apps as [ReturnType<typeof buildApi>, ReturnType<typeof buildApi>];
    const sender = { 'x-dev-sender': 'owner-1' };
    const opened = await a.inject({
      method: 'POST',
      url: '/journeys/pfm/wallet/1.0/events?wait=5000',
      headers: sender,
      payload: { type: 'OpenWallet', data: { owner: 'owner-1', currency: 'EUR' } },
    });
    expect(opened.statusCode).toBe(200);
    const { journeyId } = opened.json<{ journeyId: string }>();

    // A learns owners every second and addresses every few: the hint may lag a node's start, never lie.
    let deposit = await a.inject({ method: 'POST', url: `/journeys/${journeyId}/events`, headers: sender, payload: { type: 'Deposit', data: { amount: 5 } } });
    for (let i = 0; i < 100 && deposit.headers['x-journey-owner-url'] === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      deposit = await a.inject({ method: 'POST', url: `/journeys/${journeyId}/events`, headers: sender, payload: { type: 'Deposit', data: { amount: 5 } } });
    }
    expect(deposit.statusCode).toBe(202);
    expect(deposit.headers['x-journey-owner']).toBe('owner-b');
    expect(deposit.headers['x-journey-owner-url']).toBe(OWNER_URL);

    const read = await a.inject({ method: 'GET', url: `/journeys/${journeyId}`, headers: sender });
    expect(read.statusCode).toBe(200);
    expect(read.headers).toMatchObject({ 'x-journey-owner': 'owner-b', 'x-journey-owner-url': OWNER_URL });

    const atOwner = await b.inject({
      method: 'POST',
      url: `/journeys/${journeyId}/events?wait=5000`,
      headers: sender,
      payload: { type: 'Withdraw', data: { amount: 1 } },
    });
    expect(atOwner.statusCode).toBe(200);
    expect(atOwner.headers).toMatchObject({ 'x-journey-owner': 'owner-b', 'x-journey-owner-url': OWNER_URL });
  });

  it('says nothing about a journey it does not answer for', async () => {
    const [, a] = apps as [ReturnType<typeof buildApi>, ReturnType<typeof buildApi>];
    const missing = await a.inject({ method: 'GET', url: '/journeys/01J40000000000000000000000', headers: { 'x-dev-sender': 'x' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-journey-owner']).toBeUndefined();
  });
});

describe('advertised URLs in the grid', () => {
  it('are named only when their MAC holds: under another secret, or moved to another node, they are dropped and reported', async () => {
    const keyPrefix = testNamespace();
    const open = async (secret: string, forged: string[]) => {
      const grid = await connectTestGrid({ keyPrefix });
      const services = createGridServices<NodeMessage>(grid, await grid.duplicate({ blocking: true }));
      services.bindCluster('c-addr', { secret, onForged: (kind, reason) => forged.push(`${kind}/${reason}`) });
      return { grid, services };
    };
    const forged: string[] = [];
    const genuine = await open('a-grid-secret-of-thirty-two-chars-at-least', forged);
    const other = await open('another-secret-of-thirty-two-chars-or-more', forged);
    try {
      await genuine.services.advertise('node-b:01', OWNER_URL);
      expect(await genuine.services.addresses()).toEqual(new Map([['node-b:01', OWNER_URL]]));
      expect(await other.services.addresses()).toEqual(new Map());
      expect(forged).toEqual(['address/bad-mac']);

      // A genuine entry copied to another node's field fails too: the node id is in the MAC's scope.
      const key = genuine.grid.keys.forCluster('c-addr').grid('addresses');
      await genuine.grid.client.hset(key, 'node-x:02', (await genuine.grid.client.hget(key, 'node-b:01')) ?? '');
      expect(await genuine.services.addresses()).toEqual(new Map([['node-b:01', OWNER_URL]]));
      expect(forged).toEqual(['address/bad-mac', 'address/bad-mac']);
      await genuine.services.leave('node-b:01');
      await genuine.grid.client.del(key);
    } finally {
      await genuine.services.close();
      await other.services.close();
    }
  });
});
