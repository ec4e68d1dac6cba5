/**
 * Published events reach the outside, on the real engine (MariaDB, Redis Cluster), two nodes:
 *
 * - the feed (`GET /published-events`): a consumer that is killed part-way (its last page
 *   processed but its cursor not saved) and restarts from its saved cursor misses nothing,
 *   de-duplicates the replayed events by `eventId`, and sees each journey's events in order —
 *   while the node that committed half of them is stopped before it could number them;
 * - long poll and server-sent events (resuming from `Last-Event-ID`), and the edge's refusals;
 * - webhooks: a receiver that is down for a while (its port closed) gets every event after it
 *   returns, each signed (Standard Webhooks) and de-duplicable; a delivery whose tries are spent is
 *   a dead letter that an operator's retry delivers.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { openJournal } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import type { JourneyEngine, PublishedEventView, WebhookConfig } from '../../engine/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import { waitFor } from '../support/wait.js';
import type { TestEngine } from '../support/test-engine.js';
import { exampleJourneys, walletContext } from '../support/wallet.js';

const SECRET = `whsec_${Buffer.from('journey-engine-webhook-test-secret!').toString('base64')}`;
const SUBSCRIBER = { 'x-dev-sender': 'ledger', 'x-dev-roles': 'subscriber' };

/** A webhook receiver on loopback that can go down (its port closed) and come back on the same port. */
class Receiver {
  readonly received: Array<{ id: string; body: PublishedEventView }> = [];
  /** Owners whose events are answered 500 (a receiver that cannot take them). */
  readonly refuse = new Set<string>();
  private server: Server | null = null;
  port = 0;
  private readonly verifier = new Webhook(SECRET);

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // Throws on a bad signature: the engine then sees a 500 and the test a missing event.
      try {
        this.verifier.verify(body, request.headers as Record<string, string>);
      } catch {
        response.writeHead(401).end();
        return;
      }
      const id = String(request.headers['webhook-id']);
      const event = JSON.parse(body) as PublishedEventView;
      if (this.refuse.has(String(event.payload.owner))) {
        response.writeHead(500).end();
        return;
      }
      this.received.push({ id, body: event });
      response.writeHead(204).end();
    });
  }

  async up(): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/** Opens a wallet and deposits into it `deposits` times, each waited for (the order is the journey's). */
async function walletWithDeposits(engine: JourneyEngine, owner: string, deposits: number): Promise<string> {
  const opened = await engine.accept({
    kind: 'initiate',
    journeyType: 'pfm/wallet',
    version: '1.0',
    event: { type: 'OpenWallet', payload: { owner, currency: 'EUR' } },
    context: walletContext(owner),
  });
  await engine.awaitOutcome(opened.eventId, 10_000);
  for (let i = 1; i <= deposits; i++) {
    const accepted = await engine.accept({
      kind: 'target',
      journeyId: opened.journeyId,
      event: { type: 'Deposit', payload: { amount: i } },
      context: walletContext('payer'),
    });
    await engine.awaitOutcome(accepted.eventId, 10_000);
  }
  return opened.journeyId;
}

describe('published events', () => {
  let database: TestDatabase;
  let nodeA: TestEngine;
  let nodeB: TestEngine;
  let app: ReturnType<typeof buildApi>;
  let base: string;
  const receiver = new Receiver();
  const webhook = (overrides: Partial<WebhookConfig> = {}): WebhookConfig => ({
    name: 'ledger',
    url: `http://127.0.0.1:${receiver.port}/hook`,
    secret: SECRET,
    types: ['pfm/wallet'],
    from: 'start',
    maxAttempts: 1_000,
    backoff: { baseMs: 50, maxMs: 200 },
    timeoutMs: 2_000,
    concurrency: 4,
    ...overrides,
  });

  const start = async (nodeId: string, webhooks: WebhookConfig[] = []): Promise<TestEngine> =>
    startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId,
      journeys: await exampleJourneys(),
      partitionCount: 8,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      feed: { sweepEveryMs: 200, waitPollMs: 50, webhookLeaseMs: 1_000 },
      webhooks,
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    await receiver.up();
    nodeA = await start('published-a');
    nodeB = await start('published-b');
    app = buildApi(nodeB.engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await nodeB?.stop();
    await nodeA?.stop().catch(() => undefined);
    await receiver.down();
    await database?.drop();
  });

  const page = async (query: string, headers: Record<string, string> = SUBSCRIBER): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${base}/published-events?${query}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('a consumer killed part-way restarts from its cursor, misses nothing and de-duplicates the replay', async () => {
    // Half the wallets through node A, which is then stopped: its events are numbered by node B's sweep at the latest.
    const wallets = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => walletWithDeposits(nodeA.engine, `a${i}`, 3)),
      ...Array.from({ length: 4 }, (_, i) => walletWithDeposits(nodeB.engine, `b${i}`, 3)),
    ]);
    await nodeA.stop();
    const expected = wallets.length * 4; // WalletOpened + 3 Deposited each

    const seen = new Map<string, PublishedEventView>();
    const duplicates: string[] = [];
    const take = (items: PublishedEventView[]): void => {
      for (const item of items) {
        if (seen.has(item.eventId)) duplicates.push(item.eventId);
        else seen.set(item.eventId, item);
      }
    };
    // The first run saves its cursor after each page, and dies after processing a third page it never saved.
    let saved = '0';
    for (let pageNo = 1; pageNo <= 3; pageNo++) {
      const { status, body } = await page(`type=pfm/wallet&after=${saved}&limit=5`);
      expect(status).toBe(200);
      take(body.items as PublishedEventView[]);
      if (pageNo < 3) saved = String(body.cursor);
    }
    // The restarted consumer resumes at the saved cursor and reads to the end.
    await waitFor('every published event', async () => {
      const { body } = await page(`type=pfm/wallet&after=${saved}&limit=7`);
      take(body.items as PublishedEventView[]);
      saved = String(body.cursor);
      return seen.size >= expected ? true : undefined;
    });
    expect(seen.size).toBe(expected);
    expect(duplicates.length).toBe(5); // the unsaved page, replayed
    const byJourney = new Map<string, PublishedEventView[]>();
    for (const item of [...seen.values()].sort((a, b) => Number(a.cursor) - Number(b.cursor))) {
      byJourney.set(item.journeyId, [...(byJourney.get(item.journeyId) ?? []), item]);
    }
    for (const journeyId of wallets) {
      const events = byJourney.get(journeyId) ?? [];
      expect(events.map((e) => e.type)).toEqual(['WalletOpened', 'Deposited', 'Deposited', 'Deposited']);
      expect(events.map((e) => e.payload.amount ?? null)).toEqual([null, 1, 2, 3]);
      expect(events.map((e) => e.journeySeq)).toEqual([1, 2, 3, 4]);
    }
    // The cursors are the feed's numbers: dense, so a reader past N never finds a new event below N.
    expect([...seen.values()].map((e) => Number(e.cursor)).sort((a, b) => a - b)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
  }, 60_000);

  it('filters by event name, waits for the next event (long poll) and streams server-sent events from Last-Event-ID', async () => {
    const head = await page('type=pfm/wallet&after=now');
    const cursor = String(head.body.cursor);
    const waiting = page(`type=pfm/wallet&events=Deposited&after=${cursor}&wait=10`);
    const journeyId = await walletWithDeposits(nodeB.engine, 'polled', 1);
    const polled = await waiting;
    expect((polled.body.items as PublishedEventView[]).map((e) => [e.type, e.journeyId])).toEqual([['Deposited', journeyId]]);

    const controller = new AbortController();
    const response = await fetch(`${base}/published-events?type=pfm/wallet`, {
      headers: { ...SUBSCRIBER, accept: 'text/event-stream', 'last-event-id': cursor },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: Deposited')) text += (await reader.read()).value ?? '';
    controller.abort();
    const first = /id: (\d+)\nevent: (\w+)\ndata: (.*)\n/.exec(text);
    expect(first?.[1]).toBe(String(Number(cursor) + 1));
    expect(first?.[2]).toBe('WalletOpened');
    expect((JSON.parse(first?.[3] ?? '{}') as PublishedEventView).journeyId).toBe(journeyId);
  }, 30_000);

  it('refuses what it cannot answer, changing nothing', async () => {
    expect((await page('type=pfm/wallet', { 'x-dev-sender': 'eve', 'x-dev-roles': 'customer' })).status).toBe(403);
    expect((await page('type=no/such')).body).toMatchObject({ error: { code: 'JE_JOURNEY_TYPE_UNKNOWN' } });
    expect((await page('type=pfm/wallet&after=-1')).status).toBe(400);
    expect((await page('type=pfm/wallet&limit=0')).status).toBe(400);
    expect((await page('type=pfm/wallet&wait=61')).status).toBe(400);
    // Operators read every tenant's feed; a subscriber of another tenant sees none of the default tenant's journeys.
    expect(((await page('type=pfm/wallet', { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator' })).body.items as unknown[]).length).toBeGreaterThan(0);
    expect(((await page('type=pfm/wallet', { ...SUBSCRIBER, 'x-dev-tenant': 'bank-b' })).body.items as unknown[]).length).toBe(0);
  });

  it('a webhook receiver down for a while gets every event after it returns; a delivery whose tries are spent is a dead letter an operator retries', async () => {
    const hooked = await start('published-hooks', [webhook()]);
    try {
      // Everything so far arrives (`from: start`), signed and de-duplicable.
      const before = (await nodeB.engine.readPublished({ journeyType: 'pfm/wallet', limit: 1000 })).items.length;
      await waitFor('the backlog', () => (new Set(receiver.received.map((r) => r.id)).size >= before ? true : undefined));

      await receiver.down();
      const wallets = await Promise.all(Array.from({ length: 3 }, (_, i) => walletWithDeposits(hooked.engine, `down${i}`, 2)));
      await new Promise((r) => setTimeout(r, 1_000)); // tries fail against the closed port meanwhile
      await receiver.up();
      await waitFor('the events published while the receiver was down', () =>
        wallets.every((id) => receiver.received.filter((r) => r.body.journeyId === id).length >= 3) ? true : undefined,
      );
      for (const id of wallets) {
        const mine = receiver.received.filter((r) => r.body.journeyId === id);
        const distinct = [...new Map(mine.map((r) => [r.id, r.body])).values()];
        expect(distinct.map((e) => e.type)).toEqual(['WalletOpened', 'Deposited', 'Deposited']);
        expect(distinct.map((e) => e.journeySeq)).toEqual([1, 2, 3]);
      }
    } finally {
      await hooked.stop();
    }

    // Two nodes deliver one webhook: one at a time (each event once), and the other takes over when the holder goes.
    receiver.received.length = 0;
    const first = await start('published-pair-1', [webhook({ name: 'pair', from: 'now' })]);
    const second = await start('published-pair-2', [webhook({ name: 'pair', from: 'now' })]);
    try {
      await waitFor('the pair webhook to start', async () =>
        (await openJournal(first.store).webhookCursors()).some((c) => c.webhook === 'pair' && c.leaseOwner) ? true : undefined,
      );
      const before = await Promise.all(Array.from({ length: 4 }, (_, i) => walletWithDeposits(first.engine, `pair${i}`, 1)));
      await waitFor('the pair deliveries', () =>
        before.every((id) => receiver.received.filter((r) => r.body.journeyId === id).length >= 2) ? true : undefined,
      );
      const [holder] = (await openJournal(first.store).webhookCursors()).filter((c) => c.webhook === 'pair');
      await (holder?.leaseOwner === 'published-pair-1' ? first : second).stop();
      const survivor = holder?.leaseOwner === 'published-pair-1' ? second : first;
      const after = await Promise.all(Array.from({ length: 2 }, (_, i) => walletWithDeposits(survivor.engine, `pair-after${i}`, 1)));
      await waitFor('the deliveries after the handover', () =>
        after.every((id) => receiver.received.filter((r) => r.body.journeyId === id).length >= 2) ? true : undefined,
      );
      const ids = receiver.received.filter((r) => [...before, ...after].includes(r.body.journeyId)).map((r) => r.id);
      expect(new Set(ids).size).toBe(12);
      expect(ids.length).toBe(12); // with the lease, no event went out twice
    } finally {
      await first.stop();
      await second.stop();
    }

    // A webhook with one try: the event the receiver refuses goes dead, the cursor moves on.
    const strict = await start('published-strict', [webhook({ name: 'strict', from: 'now', maxAttempts: 2 })]);
    try {
      await waitFor('the strict webhook to start', async () =>
        (await openJournal(strict.store).webhookCursors()).some((c) => c.webhook === 'strict') ? true : undefined,
      );
      receiver.refuse.add('refused');
      const refused = await walletWithDeposits(strict.engine, 'refused', 0);
      const taken = await walletWithDeposits(strict.engine, 'taken', 0);
      await waitFor('the next wallet to arrive', () => (receiver.received.some((r) => r.body.journeyId === taken) ? true : undefined));
      // The operator sees it with the other dead letters (kind webhook, the webhook's name as its system) and retries it.
      const operator = { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator', 'content-type': 'application/json' };
      // Journeys go in parallel: the refused one's tries may still be running when the next wallet arrives.
      const dead = await waitFor('the dead letter', async () => {
        const listing = (await (await fetch(`${base}/dead-letters?kind=webhook&system=strict`, { headers: operator })).json()) as {
          items: Array<Record<string, unknown>>;
        };
        return listing.items[0];
      });
      expect(dead).toMatchObject({ kind: 'webhook', status: 'dead', system: 'strict', journeyId: refused, attempts: 2, lastError: 'HTTP 500' });
      expect(dead?.webhook).toMatchObject({ name: 'strict', eventType: 'WalletOpened' });
      const eventId = (dead?.webhook as { eventId: string }).eventId;
      expect(receiver.received.some((r) => r.body.journeyId === refused)).toBe(false);

      receiver.refuse.delete('refused');
      const retried = await fetch(`${base}/dead-letters/${String(dead?.id)}/retry`, {
        method: 'POST',
        headers: operator,
        body: JSON.stringify({ note: 'receiver fixed' }),
      });
      expect(retried.status).toBe(202);
      await waitFor('the retried delivery', () => (receiver.received.some((r) => r.id === eventId && r.body.journeyId === refused) ? true : undefined));
      await waitFor('the dead letter to say delivered', async () => {
        const view = (await (await fetch(`${base}/dead-letters/${String(dead?.id)}`, { headers: operator })).json()) as { status: string; retries: number };
        return view.status === 'delivered' && view.retries === 1 ? true : undefined;
      });
      expect(receiver.received.filter((r) => r.id === eventId)).toHaveLength(1);
    } finally {
      await strict.stop();
    }
  }, 90_000);
});
