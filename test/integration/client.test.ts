/**
 * The typed client (client/) against a real engine (MariaDB and the Redis grid of the test
 * harness) and the real API over a listening port, with the wallet example pfm/wallet 1.0: open,
 * deposit, withdraw, a refused withdrawal with its reason code, the journey, a search by a declared
 * field. The calls are checked by tsc (`npm run typecheck` is part of `npm test`): the
 * `@ts-expect-error` lines must stay errors, so types too loose for the API fail the suite, and the
 * same calls answered by the server show that the types and the API agree.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createJourneyClient } from '../../client/index.js';
import type { AcceptResult, EventOutcome, JourneyClient, JourneyView } from '../../client/index.js';
import { silentLogger } from '../../common/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletJourney } from '../support/wallet.js';

const SECRET = 'client-test-secret-of-at-least-32-characters';
const WAIT_MS = 10_000;
const RUN = Date.now().toString(36);

/** The outcome of an answer given with `?wait`, or a failure naming what came instead. */
function outcomeOf(answer: { data?: EventOutcome | AcceptResult; error?: unknown; response: Response }): EventOutcome {
  if (answer.data === undefined || !('outcome' in answer.data)) {
    throw new Error(`expected an outcome, got ${answer.response.status}: ${JSON.stringify(answer.error ?? answer.data)}`);
  }
  return answer.data;
}

describe('the typed client drives a wallet', () => {
  let database: TestDatabase;
  let node: TestEngine;
  let app: ReturnType<typeof buildApi>;
  let base: string;
  let tokensIssued = 0;

  /** A client for one sender; its token is signed afresh for every request. */
  const clientFor = (sub: string): JourneyClient =>
    createJourneyClient(base, {
      token: () => {
        tokensIssued += 1;
        return new SignJWT({ sub, roles: ['customer'], trust_level: 2 })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(SECRET));
      },
    });

  const alice = `alice-${RUN}`;
  const mallory = `mallory-${RUN}`;
  let owner: JourneyClient;
  let stranger: JourneyClient;
  let journeyId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    node = await startTestEngine({
      nodeId: 'client-test',
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      journeys: [await walletJourney()],
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 3_000 },
    });
    app = buildApi(node.engine, { auth: { mode: 'jwt', secrets: [SECRET] } }, silentLogger());
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    for (let i = 0; i < 100 && !(await node.engine.readiness()).ready; i++) await new Promise((r) => setTimeout(r, 100));
    owner = clientFor(alice);
    stranger = clientFor(mallory);
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await database?.drop();
  });

  it('opens a wallet through its typed initiating route', async () => {
    const answer = await owner.POST('/journeys/pfm/wallet/{version}/events', {
      params: { path: { version: '1.0' }, query: { wait: WAIT_MS } },
      body: { type: 'OpenWallet', data: { owner: alice, currency: 'EUR' } },
    });
    expect(answer.response.status).toBe(200);
    const outcome = outcomeOf(answer);
    expect(outcome).toMatchObject({ outcome: 'applied', seq: 1, data: { owner: alice, balance: 0, status: 'open' } });
    journeyId = outcome.journeyId;
    expect(tokensIssued).toBeGreaterThan(0);
  });

  it('deposits and withdraws: applied outcomes with the data and the emitted events', async () => {
    const deposit = await owner.POST('/journeys/{journeyId}/events', {
      params: { path: { journeyId }, query: { wait: WAIT_MS } },
      body: { type: 'Deposit', data: { amount: 100 } },
    });
    expect(outcomeOf(deposit)).toMatchObject({
      outcome: 'applied',
      seq: 2,
      data: { balance: 100 },
      emitted: [{ type: 'Deposited', payload: { amount: 100 } }],
    });

    const withdraw = await owner.POST('/journeys/{journeyId}/events', {
      params: { path: { journeyId }, query: { wait: WAIT_MS }, header: { 'Idempotency-Key': `withdraw-${RUN}` } },
      body: { type: 'Withdraw', data: { amount: 30 } },
    });
    expect(outcomeOf(withdraw)).toMatchObject({ outcome: 'applied', seq: 3, data: { balance: 70 }, emitted: [{ type: 'Withdrawn', payload: { amount: 30 } }] });
  });

  it("a withdrawal by someone else is refused with its reason code, and the wallet's data is not shown", async () => {
    const answer = await stranger.POST('/journeys/{journeyId}/events', {
      params: { path: { journeyId }, query: { wait: WAIT_MS } },
      body: { type: 'Withdraw', data: { amount: 10 } },
    });
    expect(answer.response.status).toBe(200);
    const outcome = outcomeOf(answer);
    expect(outcome.outcome).toBe('rejected');
    expectTypeOf(outcome.rejection).toEqualTypeOf<EventOutcome['rejection']>();
    expect(outcome.rejection?.code).toBe('ACCESS_DENIED');
    expect(outcome).not.toHaveProperty('data');
  });

  it('reads the journey: its data after the refused withdrawal is unchanged', async () => {
    const { data, error, response } = await owner.GET('/journeys/{journeyId}', { params: { path: { journeyId } } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expectTypeOf(data).toEqualTypeOf<JourneyView | undefined>();
    expect(data).toMatchObject({
      journeyId,
      journeyType: 'pfm/wallet',
      version: '1.0',
      lifecycle: 'active',
      data: { owner: alice, balance: 70, deposits: 1, withdrawals: 1 },
    });

    const history = await owner.GET('/journeys/{journeyId}/events', { params: { path: { journeyId }, query: { limit: 10 } } });
    expect(history.data?.items.map((item) => item.type)).toEqual(['OpenWallet', 'Deposit', 'Withdraw', 'Withdraw']);
  });

  it('searches by a declared search field (owner); a stranger finds nothing', async () => {
    const found = await owner.GET('/journeys', { params: { query: { type: 'pfm/wallet', owner: alice } } });
    expect(found.response.status).toBe(200);
    expect(found.data?.items.map((item) => item.journeyId)).toEqual([journeyId]);
    const hidden = await stranger.GET('/journeys', { params: { query: { type: 'pfm/wallet', owner: alice } } });
    expect(hidden.data?.items).toEqual([]);
  });

  it('errors come back typed, with their stable code; a body the types refuse is refused by the API too', async () => {
    const badCursor = await owner.GET('/journeys', { params: { query: { type: 'pfm/wallet', cursor: 'not-a-cursor' } } });
    expect(badCursor.response.status).toBe(400);
    expect(badCursor.error?.error.code).toBe('JE_BAD_REQUEST');

    const invalid = await owner.POST('/journeys/{journeyId}/events', {
      params: { path: { journeyId }, query: { wait: WAIT_MS } },
      // @ts-expect-error: a Deposit's data needs an amount (the event's schema, in the generated types)
      body: { type: 'Deposit', data: {} },
    });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error?.error.code).toBe('JE_EVENT_INVALID');

    const notAnEvent = await owner.POST('/journeys/{journeyId}/events', {
      params: { path: { journeyId }, query: { wait: WAIT_MS } },
      // @ts-expect-error: the wallet has no Teleport event
      body: { type: 'Teleport', data: {} },
    });
    expect(notAnEvent.response.status).toBe(422);
    expect(notAnEvent.error?.error.code).toBe('JE_EVENT_TYPE_UNKNOWN');
  });
});
