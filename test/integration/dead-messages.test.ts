/**
 * Dead messages between journeys as dead letters, on the real engine (MariaDB, Redis Cluster),
 * operated through the API and `journey dead-letters`: a `start` of a type not deployed yet goes
 * dead (its sender gets its failure event); the operator lists and reads it (kind `message`,
 * counted by `je_dead_letters{kind="message"}` and `je_dead_lettered_total{kind="message"}`),
 * deploys the type and retries it: the started journey handles it once, under the message's own
 * idempotency key — also when it is delivered again. A send to no journey is discarded: recorded,
 * nothing sent. And the tenant limit on journey types holds for journeys started by journeys: a
 * start of a type its tenant may not use is refused (JE_ACCESS_DENIED), comes back to the sender
 * as its failure event, and is a dead letter like any undeliverable message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createDeadLettersCommand } from '../../cli/commands/dead-letters.js';
import { DEFAULT_TENANT, SimulatedClock, silentLogger } from '../../common/index.js';
import { compileJourneys, packVersion } from '../../dsl/index.js';
import type { EventContext, JsonObject } from '../../dsl/index.js';
import type { DeadLetterSummary, DeadLetterView, JourneyEngine } from '../../engine/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { useCliHarness } from '../support/cli-harness.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { fetchViaApp } from '../support/fetch-via-app.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';

const STARTER = `journey t/starter version 1.0
data schema "starter.data.schema.json"
events from "events"

on Begin initiating
  set status = "starting"
  start t/later 1.0 with { n: event.n } as data.started failure NotDelivered

on BeginSecret initiating
  set status = "starting"
  start x/secret 1.0 with { n: event.n } as data.started failure NotDelivered

on Ping initiating
  set status = "sent", to = event.to
  send Pong to data.to { n: 1 } failure NotDelivered

on Pong
  allow context.origin == "journey"
  set status = "ponged"

on NotDelivered
  allow context.origin == "journey" and sender == "system:journey"
  set status = "failed", reason = event.reason
`;

/** A journey another starts: `t/later` (deployed during the test) and `x/secret` (another tenant's types). */
const started = (type: string): string => `journey ${type} version 1.0
data schema "started.data.schema.json"
events from "events"

on Started initiating
  allow context.origin == "journey"
  set status = "started", n = event.n, from = context.journey
`;

const text = { type: 'string' };
const n = { type: 'integer' };
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'test' };
const URL_ARGS = ['--url', 'http://api.test:3000'];
const OPERATOR = { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator' };
const NOWHERE = '01ZZZZZZZZZZZZZZZZZZZZZZZZ';
const cli = useCliHarness('dead-messages-it');

describe('dead messages between journeys, operated', () => {
  let dir: string;
  let database: TestDatabase;
  let node: TestEngine;
  let engine: JourneyEngine;
  let app: ReturnType<typeof buildApi>;
  const clock = new SimulatedClock(Date.UTC(2026, 5, 1, 8));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'je-dead-messages-'));
    writeAdHocJourney(dir, {
      type: 't/starter',
      version: '1.0',
      source: STARTER,
      dataSchemaFile: 'starter.data.schema.json',
      dataSchema: { title: 'Starter', properties: { status: text, started: text, to: text, reason: text }, required: ['status'] },
      events: {
        Begin: { properties: { n }, required: ['n'] },
        BeginSecret: { properties: { n }, required: ['n'] },
        Ping: { properties: { to: text }, required: ['to'] },
        Pong: { properties: { n }, required: ['n'] },
        NotDelivered: { properties: { reason: text, journeyId: text }, required: ['reason', 'journeyId'] },
      },
    });
    for (const type of ['t/later', 'x/secret']) {
      writeAdHocJourney(dir, {
        type,
        version: '1.0',
        source: started(type),
        dataSchemaFile: 'started.data.schema.json',
        dataSchema: { title: 'Started', properties: { status: text, n, from: text }, required: ['status', 'n', 'from'] },
        events: { Started: { properties: { n }, required: ['n'] } },
      });
    }
    const compiled = await compileJourneys(dir);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    database = await createTestDatabase();
    node = await startTestEngine({
      databaseUrl: database.url,
      seeds: gridSeeds(),
      keyPrefix: database.name,
      nodeId: 'dead-messages',
      // t/later is not deployed at start: the test deploys it to fix the cause of a dead start.
      journeys: compiled.journeys.filter((journey) => journey.name !== 't/later'),
      hostVersions: 'all',
      deploymentPollMs: 200,
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      messages: { sweepEveryMs: 200, redeliverAfterMs: 500 },
      clock,
      // bank-a may use the t/ types only; the default tenant every type.
      tenants: { 'bank-a': { journeyTypes: ['t/*'] }, [DEFAULT_TENANT]: { journeyTypes: ['*'] } },
    });
    engine = node.engine;
    app = buildApi(engine, { auth: { mode: 'dev' }, docs: false }, silentLogger());
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const command = () => createDeadLettersCommand(fetchViaApp(app), { pollMs: 50 });
  const data = async (journeyId: string): Promise<JsonObject | null | undefined> => (await engine.getJourney(journeyId))?.data;
  /** The id a start kept in its sender's data. */
  const startedOf = async (journeyId: string): Promise<string> => {
    const id = (await data(journeyId))?.started;
    return typeof id === 'string' ? id : '';
  };
  const types = async (journeyId: string): Promise<string[]> => (await engine.listEvents(journeyId, { limit: 100 })).items.map((e) => `${e.type}:${e.status}`);

  async function begin(type: string, payload: JsonObject, tenant: string): Promise<{ journeyId: string; eventId: string }> {
    const accepted = await engine.accept({ kind: 'initiate', journeyType: 't/starter', version: '1.0', event: { type, payload }, context: alice, tenant });
    expect(await engine.awaitOutcome(accepted.eventId, 10_000)).toMatchObject({ outcome: 'applied' });
    return accepted;
  }

  /** The sender's failure, once its failure event is handled. */
  const failed = (journeyId: string): Promise<JsonObject> =>
    vi.waitFor(
      async () => {
        const found = await data(journeyId);
        expect(found).toMatchObject({ status: 'failed' });
        return found as JsonObject;
      },
      { timeout: 20_000, interval: 100 },
    );

  /** The operator's listing of dead messages, through the API. */
  async function listed(query = 'kind=message'): Promise<DeadLetterSummary[]> {
    const res = await app.inject({ method: 'GET', url: `/dead-letters?${query}`, headers: OPERATOR });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: DeadLetterSummary[] }>().items;
  }

  const letterOf = async (journeyId: string, query?: string): Promise<DeadLetterSummary> => {
    const found = (await listed(query)).find((item) => item.journeyId === journeyId);
    if (!found) throw new Error(`no dead letter of ${journeyId}`);
    return found;
  };

  const metric = async (line: RegExp): Promise<number | null> => {
    clock.advance(11_000); // the gauge is read from the store at most every 10 s
    const found = (await engine.metricsText()).split('\n').find((l) => line.test(l));
    return found === undefined ? null : Number(found.split(' ').pop());
  };

  it('a start of a type not deployed goes dead: the sender gets its failure event, the operator sees it listed, read and counted', async () => {
    const sender = await begin('Begin', { n: 7 }, 'bank-a');
    expect(await failed(sender.journeyId)).toMatchObject({ reason: expect.stringContaining('JE_JOURNEY_TYPE_UNKNOWN') as unknown });
    const summary = await letterOf(sender.journeyId);
    const startedId = await startedOf(sender.journeyId);
    expect(summary).toMatchObject({
      kind: 'message',
      status: 'dead',
      journeyType: 't/starter',
      version: '1.0',
      // A start with the version's one initiating event names none.
      message: { kind: 'start', targetJourneyId: startedId, eventType: null, targetType: 't/later', targetVersion: '1.0' },
      retries: 0,
      lastError: expect.stringContaining('JE_JOURNEY_TYPE_UNKNOWN') as unknown,
    });
    expect(summary.system).toBeUndefined();
    // Calls only: a system filter leaves messages out.
    expect((await listed('system=ledger')).map((item) => item.id)).not.toContain(summary.id);

    expect(await command().run(['show', summary.id, ...URL_ARGS])).toBe(0);
    const shown = cli.output.join('\n');
    expect(shown).toContain(`message        start t/later 1.0 as ${startedId}`);
    expect(shown).toContain(`key            journey:${sender.eventId}:1`);
    expect(shown).toMatch(/failure {8}NotDelivered: event \w+, applied/);
    expect(await command().run(['list', '--kind', 'message', ...URL_ARGS])).toBe(0);
    expect(cli.output.join('\n')).toMatch(new RegExp(`${summary.id}\\s+message\\s+start t/later 1.0`));

    expect(await metric(/^je_dead_letters\{kind="message",system=""\}/)).toBe(1);
    expect(await metric(/^je_dead_lettered_total\{kind="message"\}/)).toBe(1);
  });

  it('retried once the type is deployed: the started journey handles it once, also when it is delivered again', async () => {
    const [summary] = await listed();
    if (!summary?.message) throw new Error('no dead message');
    const startedId = summary.message.targetJourneyId;
    await engine.deploy(await packVersion(join(dir, 't', 'later', '1.0')));

    expect(await command().run(['retry', summary.id, '--note', 'deployed t/later', '--wait', '--timeout', '30', ...URL_ARGS])).toBe(0);
    expect(cli.output.join('\n')).toContain('status         delivered');
    await vi.waitFor(async () => expect(await data(startedId)).toMatchObject({ status: 'started', n: 7, from: summary.journeyId }), {
      timeout: 10_000,
      interval: 100,
    });
    const letter: DeadLetterView = await engine.deadLetters.get(summary.id);
    expect(letter).toMatchObject({ status: 'delivered', retries: 1, resolvedBy: 'journey-cli', note: 'deployed t/later', delivered: { message: {} } });
    const [first] = (await engine.listEvents(startedId, { limit: 10 })).items;
    expect(first).toMatchObject({ type: 'Started', origin: 'journey', causedBy: letter.causedBy, eventId: letter.delivered.message?.eventId });

    // Not dead any more: a second retry is refused and changes nothing.
    const again = await app.inject({ method: 'POST', url: `/dead-letters/${summary.id}/retry`, headers: OPERATOR, payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'JE_DEAD_LETTER_SETTLED' } });

    // As if a node had crashed before marking the row: delivered again by the sweep, found by its key.
    await node.store.query(`UPDATE journey_messages SET status = 'pending', updated_at = NOW(6) - INTERVAL 1 HOUR WHERE message_id = ?`, [summary.id]);
    await vi.waitFor(async () => expect((await engine.deadLetters.get(summary.id)).status).toBe('delivered'), { timeout: 10_000, interval: 100 });
    expect(await types(startedId)).toEqual(['Started:applied']);
    expect((await listed()).map((item) => item.id)).not.toContain(summary.id);
  });

  it('a send to no journey, discarded: recorded and kept, nothing sent', async () => {
    const sender = await begin('Ping', { to: NOWHERE }, 'bank-a');
    expect(await failed(sender.journeyId)).toMatchObject({ reason: expect.stringContaining('JE_JOURNEY_NOT_FOUND') as unknown });
    const summary = await letterOf(sender.journeyId);
    expect(summary.message).toEqual({ kind: 'send', targetJourneyId: NOWHERE, eventType: 'Pong' });

    expect(await command().run(['discard', summary.id, '--reason', 'no such journey', ...URL_ARGS])).toBe(0);
    expect(cli.output.join('\n')).toContain(`discarded ${summary.id}: send Pong to ${NOWHERE} for journey ${sender.journeyId}; its journey stays failed`);
    expect(await engine.deadLetters.get(summary.id)).toMatchObject({ status: 'discarded', resolvedBy: 'journey-cli', note: 'no such journey', delivered: {} });
    expect((await listed('kind=message&status=discarded')).map((item) => item.id)).toEqual([summary.id]);
    expect(await listed()).toEqual([]);
    expect(await types(sender.journeyId)).toEqual(['Ping:applied', 'NotDelivered:applied']);
    expect(await metric(/^je_dead_letters\{kind="message",system=""\}/)).toBe(0);
  });

  it("a start of a type its tenant may not use is refused: the sender's failure event says why, and it is a dead letter", async () => {
    const sender = await begin('BeginSecret', { n: 1 }, 'bank-a');
    const failure = await failed(sender.journeyId);
    expect(failure.reason).toBe('JE_ACCESS_DENIED: Tenant bank-a may not use journeys of type x/secret');
    expect(await engine.getJourney(await startedOf(sender.journeyId))).toBeNull();
    expect(await letterOf(sender.journeyId)).toMatchObject({
      kind: 'message',
      status: 'dead',
      message: { kind: 'start', targetType: 'x/secret' },
      lastError: failure.reason,
    });

    // A tenant that may use the type starts it.
    const allowed = await begin('BeginSecret', { n: 2 }, DEFAULT_TENANT);
    await vi.waitFor(async () => expect((await engine.getJourney(await startedOf(allowed.journeyId)))?.status).toBe('started'), {
      timeout: 10_000,
      interval: 100,
    });
  });
});
