/**
 * The HTTP API through a real listening port against a real engine (MariaDB + the Redis grid of
 * the test harness) with the wallet journey: the whole client flow, idempotency, history, search,
 * every refusal class, and a hostile-input suite that must get only 4xx answers and change nothing
 * in the store. Over 500 lines on purpose: every route against one running engine and port.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import { compileJourneys } from '../../dsl/index.js';
import type { CompiledJourney } from '../../dsl/index.js';
import { startEngineNode } from '../../engine/index.js';
import type { EngineNode, JourneyEngine } from '../../engine/index.js';
import { connectGrid } from '../../grid/index.js';
import type { Grid } from '../../grid/index.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { walletJourney } from '../support/wallet.js';

const SECRET = 'integration-secret-of-at-least-32-characters';
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'journeys';
const WAIT_MS = 10_000;
const RUN = Date.now().toString(36);

interface ErrorAnswer {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface Accepted {
  journeyId: string;
  eventId: string;
  seq: number;
  duplicate: boolean;
}
interface Outcome {
  journeyId: string;
  eventId: string;
  outcome: 'applied' | 'rejected';
  rejection?: { code: string; message: string };
  seq: number;
  data: Record<string, unknown> | null;
  emitted: Array<{ type: string; payload: Record<string, unknown> }>;
}

/** A journey whose access rules read only the context, so the engine refuses at the edge (403). */
async function guardedJourney(): Promise<{ journey: CompiledJourney; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'je-api-journeys-'));
  const folder = join(dir, 'ops', 'guarded', '1.0');
  await mkdir(folder, { recursive: true });
  const object = (properties: object, required: string[] = []) => JSON.stringify({ type: 'object', additionalProperties: false, required, properties });
  await writeFile(join(folder, 'data.schema.json'), JSON.stringify({ type: 'object' }));
  await writeFile(join(folder, 'open.schema.json'), object({ note: { type: 'string' } }, ['note']));
  await writeFile(
    join(folder, 'journey.jd'),
    [
      'journey ops/guarded version 1.0',
      'data schema "data.schema.json"',
      'event Open schema "open.schema.json"',
      'on Open initiating',
      '  allow role "teller"',
      '  set note = event.note',
      '',
    ].join('\n'),
  );
  const compiled = await compileJourneys(dir);
  const journey = compiled.journeys[0];
  if (!journey) throw new Error(`the guarded test journey did not compile: ${JSON.stringify(compiled.diagnostics)}`);
  return { journey, dir };
}

describe('HTTP API over a real engine', () => {
  let database: TestDatabase;
  let store: Store;
  let grid: Grid;
  let node: EngineNode;
  let engine: JourneyEngine;
  let app: ReturnType<typeof buildApi>;
  let base: string;
  let journeysDir: string;

  async function token(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({ sub, roles: ['customer'], trust_level: 2, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
  }

  async function call(
    method: string,
    path: string,
    options: { as?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; claims?: Record<string, unknown> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.as !== undefined) headers['authorization'] = `Bearer ${await token(options.as, options.claims)}`;
    let body: string | Buffer | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  const open = (owner: string, headers: Record<string, string> = {}) =>
    call('POST', '/journeys/pfm/wallet/1.0/events', { as: owner, body: { type: 'OpenWallet', data: { owner, currency: 'EUR' } }, headers });
  const send = (journeyId: string, as: string, type: string, data: unknown, query = `?wait=${WAIT_MS}`, headers: Record<string, string> = {}) =>
    call('POST', `/journeys/${journeyId}/events${query}`, { as, body: { type, data }, headers });

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStore({ url: database.url, logger: silentLogger() });
    grid = await connectGrid({ urls: gridSeeds(), keyPrefix: database.name, logger: silentLogger() });
    const guarded = await guardedJourney();
    journeysDir = guarded.dir;
    node = await startEngineNode({
      nodeId: 'api-test',
      store,
      grid: { connection: grid, keyPrefix: database.name },
      calls: false,
      journeys: [await walletJourney(), guarded.journey],
      partitionCount: 8,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      logger: silentLogger(),
    });
    engine = node.engine;
    // The test's client stands for the gateway: its channel and geo headers count (and are validated).
    app = buildApi(
      engine,
      {
        auth: { mode: 'jwt', secrets: [SECRET], issuer: ISSUER, audience: AUDIENCE },
        trustedGateways: ['127.0.0.1', '::1'],
        rateLimit: { perMinute: 100_000 },
        docs: true,
      },
      silentLogger(),
    );
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    // Ready once this node owns partitions.
    for (let i = 0; i < 100 && !(await engine.readiness()).ready; i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await grid?.close();
    await store?.close();
    await database?.drop();
    if (journeysDir) await rm(journeysDir, { recursive: true, force: true });
  });

  describe('the wallet flow', () => {
    const alice = `alice-${RUN}`;
    let journeyId: string;

    it('opens a wallet: 202 with Location once durable', async () => {
      const res = await open(alice);
      expect(res.status).toBe(202);
      const body = res.json as Accepted;
      expect(body).toMatchObject({ seq: 1, duplicate: false });
      expect(body.journeyId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(res.headers.get('location')).toBe(`/journeys/${body.journeyId}`);
      journeyId = body.journeyId;
    });

    it('deposits and withdraws with ?wait: 200 with the applied outcome', async () => {
      const deposit = await send(journeyId, `someone-else-${RUN}`, 'Deposit', { amount: 100 });
      expect(deposit.status).toBe(200);
      // A depositor who is not the owner learns the outcome, not the wallet (its read rule).
      expect(deposit.json).toMatchObject({ journeyId, outcome: 'applied', seq: 2 });
      expect(deposit.json).not.toHaveProperty('data');
      const withdraw = await send(journeyId, alice, 'Withdraw', { amount: 30 });
      expect(withdraw.status).toBe(200);
      expect(withdraw.json).toMatchObject({ outcome: 'applied', data: { balance: 70 }, emitted: [{ type: 'Withdrawn', payload: { amount: 30 } }] });
      expect(withdraw.headers.get('location')).toBe(`/journeys/${journeyId}`);
    });

    it('a withdrawal by someone else is a rejected outcome (200, rejection ACCESS_DENIED)', async () => {
      const res = await send(journeyId, `mallory-${RUN}`, 'Withdraw', { amount: 10 });
      expect(res.status).toBe(200);
      const body = res.json as Outcome;
      expect(body.outcome).toBe('rejected');
      expect(body.rejection?.code).toBe('ACCESS_DENIED');
      expect(body).not.toHaveProperty('data');
      expect(body).not.toHaveProperty('emitted');
    });

    it('without ?wait the answer is 202 and the outcome follows', async () => {
      const res = await send(journeyId, alice, 'Deposit', { amount: 5 }, '');
      expect(res.status).toBe(202);
      const accepted = res.json as Accepted;
      const outcome = await engine.awaitOutcome(accepted.eventId, WAIT_MS);
      expect(outcome).toMatchObject({ outcome: 'applied', data: { balance: 75 } });
    });

    it('replays an idempotency key with the same event; refuses it for a different request', async () => {
      const key = `dep-${RUN}`;
      const first = await send(journeyId, alice, 'Deposit', { amount: 1 }, `?wait=${WAIT_MS}`, { 'idempotency-key': key });
      expect(first.status).toBe(200);
      const again = await send(journeyId, alice, 'Deposit', { amount: 1 }, `?wait=${WAIT_MS}`, { 'idempotency-key': key });
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ eventId: (first.json as Outcome).eventId, duplicate: true, data: { balance: 76 } });
      const plain = await send(journeyId, alice, 'Deposit', { amount: 1 }, '', { 'idempotency-key': key });
      expect(plain.status).toBe(202);
      expect(plain.json).toMatchObject({ eventId: (first.json as Outcome).eventId, duplicate: true });
      const conflict = await send(journeyId, alice, 'Deposit', { amount: 2 }, '', { 'idempotency-key': key });
      expect(conflict.status).toBe(422);
      expect((conflict.json as ErrorAnswer).error.code).toBe('JE_IDEMPOTENCY_CONFLICT');
      // The same key from another sender is another request, not a replay of alice's.
      const other = await send(journeyId, `bob-${RUN}`, 'Deposit', { amount: 1 }, `?wait=${WAIT_MS}`, { 'idempotency-key': key });
      expect(other.status).toBe(200);
      expect(other.json).toMatchObject({ duplicate: false, outcome: 'applied' });
      expect((other.json as Outcome).eventId).not.toBe((first.json as Outcome).eventId);
    });

    it('gets the journey and pages its history in acceptance order', async () => {
      const journey = await call('GET', `/journeys/${journeyId}`, { as: alice });
      expect(journey.status).toBe(200);
      expect(journey.json).toMatchObject({
        journeyId,
        journeyType: 'pfm/wallet',
        version: '1.0',
        lifecycle: 'active',
        data: { owner: alice, balance: 77, status: 'open' },
      });
      const types: string[] = [];
      const seqs: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await call('GET', `/journeys/${journeyId}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { as: alice });
        expect(res.status).toBe(200);
        const body = res.json as { items: Array<{ type: string; journeySeq: number; status: string; context: { sender: string } }>; nextCursor?: string };
        expect(body.items.length).toBeLessThanOrEqual(2);
        for (const item of body.items) {
          types.push(item.type);
          seqs.push(item.journeySeq);
        }
        cursor = body.nextCursor;
        if (!cursor) break;
      }
      expect(types.slice(0, 4)).toEqual(['OpenWallet', 'Deposit', 'Withdraw', 'Withdraw']);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(types.filter((t) => t === 'Deposit')).toHaveLength(4);
    });

    it('searches by owner and status; unknown fields list the declared ones', async () => {
      const byOwner = await call('GET', `/journeys?type=pfm/wallet&owner=${alice}`, { as: alice });
      expect(byOwner.status).toBe(200);
      expect((byOwner.json as { items: Array<{ journeyId: string }> }).items.map((j) => j.journeyId)).toEqual([journeyId]);
      const byBoth = await call('GET', `/journeys?type=pfm/wallet&version=latest&owner=${alice}&status=open`, { as: alice });
      expect((byBoth.json as { items: unknown[] }).items).toHaveLength(1);
      const closed = await call('GET', `/journeys?type=pfm/wallet&owner=${alice}&status=closed`, { as: alice });
      expect((closed.json as { items: unknown[] }).items).toHaveLength(0);
      const unknown = await call('GET', '/journeys?type=pfm/wallet&balance=77', { as: alice });
      expect(unknown.status).toBe(400);
      expect((unknown.json as ErrorAnswer).error.details).toMatchObject({ unknownFields: ['balance'], allowedFields: ['owner', 'status'] });
    });
  });

  describe('refusals', () => {
    it('404 for unknown journeys, types and versions', async () => {
      const user = `u-${RUN}`;
      const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
      for (const [method, path, body] of [
        ['GET', `/journeys/${missing}`, undefined],
        ['GET', `/journeys/${missing}/events`, undefined],
        ['POST', `/journeys/${missing}/events`, { type: 'Deposit', data: { amount: 1 } }],
        ['POST', '/journeys/pfm/nothing/1.0/events', { type: 'OpenWallet', data: { owner: user, currency: 'EUR' } }],
        ['POST', '/journeys/pfm/wallet/9.9/events', { type: 'OpenWallet', data: { owner: user, currency: 'EUR' } }],
        ['GET', '/journeys?type=pfm/nothing', undefined],
      ] as const) {
        const res = await call(method, path, { as: user, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect((res.json as ErrorAnswer).error.code).toMatch(/^JE_(JOURNEY_NOT_FOUND|JOURNEY_TYPE_UNKNOWN)$/);
      }
    });

    it('422 for an unknown event type or a non-initiating event on the start route', async () => {
      const user = `u-${RUN}`;
      const unknown = await call('POST', '/journeys/pfm/wallet/1.0/events', { as: user, body: { type: 'Teleport', data: {} } });
      expect(unknown.status).toBe(422);
      expect((unknown.json as ErrorAnswer).error.code).toBe('JE_EVENT_TYPE_UNKNOWN');
      const notInitiating = await call('POST', '/journeys/pfm/wallet/1.0/events', { as: user, body: { type: 'Deposit', data: { amount: 1 } } });
      expect(notInitiating.status).toBe(422);
      expect((notInitiating.json as ErrorAnswer).error.code).toBe('JE_EVENT_NOT_INITIATING');
    });

    it('400 listing every payload violation with pointers into the body', async () => {
      const res = await call('POST', '/journeys/pfm/wallet/1.0/events', {
        as: `u-${RUN}`,
        body: { type: 'OpenWallet', data: { owner: '', currency: 'euro', extra: 1 } },
      });
      expect(res.status).toBe(400);
      const error = (res.json as ErrorAnswer).error;
      expect(error.code).toBe('JE_EVENT_INVALID');
      const pointers = (error.details['violations'] as Array<{ pointer: string }>).map((v) => v.pointer);
      expect(pointers).toEqual(expect.arrayContaining(['/data/owner', '/data/currency']));
      expect(pointers.every((p) => p.startsWith('/data'))).toBe(true);
    });

    it('403 when the engine refuses access at the edge; 202 with the role', async () => {
      const denied = await call('POST', '/journeys/ops/guarded/1.0/events', { as: `u-${RUN}`, body: { type: 'Open', data: { note: 'x' } } });
      expect(denied.status).toBe(403);
      expect((denied.json as ErrorAnswer).error.code).toBe('JE_ACCESS_DENIED');
      const allowed = await call('POST', '/journeys/ops/guarded/latest/events', {
        as: `t-${RUN}`,
        claims: { roles: ['teller'] },
        body: { type: 'Open', data: { note: 'x' } },
      });
      expect(allowed.status).toBe(202);
    });

    it('401 without a valid token', async () => {
      const res = await call('POST', '/journeys/pfm/wallet/1.0/events', { body: { type: 'OpenWallet', data: { owner: 'x', currency: 'EUR' } } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    });
  });

  describe('operations', () => {
    it('health, readiness, metrics, deployments, OpenAPI and its UI', async () => {
      expect((await call('GET', '/health')).json).toEqual({ status: 'ok', nodeId: 'api-test' });
      const ready = await call('GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({ ready: true, store: { up: true }, grid: { up: true }, partitions: { total: 16 }, versions: { withoutHost: [] } });
      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toContain('je_events_accepted_total');
      expect(metrics.text).toMatch(/je_http_requests_total\{method="POST",route="\/journeys\/:journeyId\/events",status="200"\} \d+/);
      const deployments = await call('GET', '/deployments', { as: `u-${RUN}` });
      expect((deployments.json as { items: Array<{ journeyType: string }> }).items.map((d) => d.journeyType).sort()).toEqual(['ops/guarded', 'pfm/wallet']);
      const openapi = await call('GET', '/openapi.json');
      expect(Object.keys((openapi.json as { paths: object }).paths)).toEqual(
        expect.arrayContaining(['/journeys/pfm/wallet/{version}/events', '/journeys/ops/guarded/{version}/events']),
      );
      const ui = await call('GET', '/docs/');
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');
    });
  });

  describe('hostile input', () => {
    const owner = `hostile-${RUN}`;
    let journeyId: string;

    /** Row counts and checksums of every table a request could write. */
    async function storeSnapshot(): Promise<unknown> {
      const connection = await store.pool.getConnection();
      try {
        const counts: unknown = await connection.query(
          'SELECT (SELECT COUNT(*) FROM journeys) AS journeys, (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM outbox) AS outbox, (SELECT COUNT(*) FROM timers) AS timers',
        );
        const checksums: unknown = await connection.query('CHECKSUM TABLE journeys, events, outbox, timers');
        return JSON.stringify({ counts, checksums }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
      } finally {
        await connection.release();
      }
    }

    beforeAll(async () => {
      const opened = await open(owner);
      journeyId = (opened.json as Accepted).journeyId;
      const deposit = await send(journeyId, owner, 'Deposit', { amount: 10 });
      expect(deposit.status).toBe(200);
      // Every earlier test's events are handled: nothing else writes while the suite runs.
      for (let i = 0; i < 100; i++) {
        const connection = await store.pool.getConnection();
        const rows: Array<{ pending: bigint | number }> = await connection.query("SELECT COUNT(*) AS pending FROM events WHERE status = 'pending'");
        await connection.release();
        if (Number(rows[0]?.pending ?? 0) === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    /** Percent-encodes; a lone surrogate (which encodeURIComponent refuses) as its WTF-8 bytes. */
    const encode = (value: string): string => {
      try {
        return encodeURIComponent(value);
      } catch {
        return '%ED%A0%80';
      }
    };
    const injections = [
      "' OR '1'='1",
      '1; DROP TABLE events; --',
      '{"$ne":null}',
      '$where',
      '../../etc/passwd',
      '<script>alert(1)</script>',
      '%00',
      '\u0000',
      'a\u0000b',
      '\ud800',
    ];

    /** Tokens a caller forges: right secret but wrong claims, or its own key. */
    let hostileTokens: Array<[string, string]> = [];
    /** The owner's name in another tenant: a stranger to the owner's journeys. */
    let otherTenant = '';
    beforeAll(async () => {
      const secret = new TextEncoder().encode(SECRET);
      const base = (claims: Record<string, unknown> = {}) => new SignJWT({ sub: owner, roles: ['customer'], ...claims }).setExpirationTime('10m');
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
      const valid = await token(owner);
      hostileTokens = [
        ['token of another issuer', await base().setProtectedHeader({ alg: 'HS256' }).setIssuer('https://evil.test/').setAudience(AUDIENCE).sign(secret)],
        ['token without an issuer', await base().setProtectedHeader({ alg: 'HS256' }).setAudience(AUDIENCE).sign(secret)],
        ['token for another audience', await base().setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience('payments').sign(secret)],
        ['token without an audience', await base().setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).sign(secret)],
        [
          'token bringing its own key (jwk, jku)',
          await base({ roles: ['operator'] })
            .setProtectedHeader({ alg: 'ES256', jwk: { kty: 'EC', crv: attackerJwk.crv, x: attackerJwk.x, y: attackerJwk.y }, jku: 'https://evil.test/jwks' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .sign(attacker.privateKey),
        ],
        ['token with alg none', `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${valid.split('.')[1] ?? ''}.`],
        [
          'token with a tenant that is a path',
          await base({ tenant: '../bank-a' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(secret),
        ],
        [
          'token with a tenant that is a list',
          await base({ tenant: ['a', 'b'] })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .sign(secret),
        ],
      ];
      otherTenant = await base({ tenant: 'another-bank' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(secret);
    });

    it('answers every hostile request with a 4xx and leaves the store unchanged', async () => {
      const before = await storeSnapshot();
      const target = `/journeys/${journeyId}/events`;
      const start = '/journeys/pfm/wallet/1.0/events';
      const cases: Array<{ name: string; method: string; path: string; raw?: string | Buffer; body?: unknown; headers?: Record<string, string>; as?: string }> =
        [
          { name: 'malformed JSON', method: 'POST', path: target, raw: '{"type":"Deposit","data":{"amount":' },
          { name: 'trailing garbage', method: 'POST', path: target, raw: '{"type":"Deposit","data":{"amount":1}} x' },
          { name: 'single quotes', method: 'POST', path: target, raw: "{'type':'Deposit'}" },
          { name: 'empty body', method: 'POST', path: target, raw: '' },
          { name: 'oversized', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: 1, pad: 'x'.repeat(70 * 1024) } } },
          { name: 'deep nesting', method: 'POST', path: target, raw: `{"type":"Deposit","data":${deep(40)}}` },
          { name: 'very deep brackets', method: 'POST', path: target, raw: '['.repeat(60_000) },
          { name: 'text/plain', method: 'POST', path: target, raw: '{"type":"Deposit","data":{"amount":1}}', headers: { 'content-type': 'text/plain' } },
          {
            name: 'form encoded',
            method: 'POST',
            path: target,
            raw: 'type=Deposit&amount=1',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
          { name: 'amount as string', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: '10' } } },
          { name: 'amount as array', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: [10] } } },
          { name: 'negative amount', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: -5 } } },
          { name: 'fractional amount', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: 0.5 } } },
          { name: 'huge integer', method: 'POST', path: target, raw: '{"type":"Deposit","data":{"amount":123456789012345678901234567890}}' },
          { name: 'overflowing number', method: 'POST', path: target, raw: '{"type":"Deposit","data":{"amount":1e999}}' },
          { name: 'data as array', method: 'POST', path: target, body: { type: 'Deposit', data: [1] } },
          { name: 'data null', method: 'POST', path: target, body: { type: 'Deposit', data: null } },
          { name: 'type as number', method: 'POST', path: target, body: { type: 7, data: { amount: 1 } } },
          { name: 'extra top-level member', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: 1 }, sender: 'admin' } },
          { name: 'context smuggled in data', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: 1, context: { sender: 'admin' } } } },
          { name: '__proto__ pollution', method: 'POST', path: target, raw: '{"type":"Deposit","data":{"amount":1,"__proto__":{"isAdmin":true}}}' },
          { name: 'lone surrogate', method: 'POST', path: start, raw: '{"type":"OpenWallet","data":{"owner":"\\udfff","currency":"EUR"}}' },
          { name: 'NUL in a value', method: 'POST', path: start, raw: '{"type":"OpenWallet","data":{"owner":"a\\u0000b","currency":"EUR"}}' },
          {
            name: 'invalid UTF-8',
            method: 'POST',
            path: start,
            raw: Buffer.concat([Buffer.from('{"type":"OpenWallet","data":{"owner":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","currency":"EUR"}}')]),
          },
          { name: 'event type injection', method: 'POST', path: target, body: { type: "Deposit' OR '1'='1", data: { amount: 1 } } },
          { name: 'unknown event type', method: 'POST', path: target, body: { type: 'DropTables', data: {} } },
          {
            name: 'idempotency key with spaces',
            method: 'POST',
            path: target,
            body: { type: 'Deposit', data: { amount: 1 } },
            headers: { 'idempotency-key': 'a b c' },
          },
          { name: 'wait not a number', method: 'POST', path: `${target}?wait=1;DROP`, body: { type: 'Deposit', data: { amount: 1 } } },
          { name: 'wait too long', method: 'POST', path: `${target}?wait=99999999999`, body: { type: 'Deposit', data: { amount: 1 } } },
          {
            name: 'forged trust header is harmless but a bad geo is not',
            method: 'POST',
            path: target,
            body: { type: 'Deposit', data: { amount: 1 } },
            headers: { 'x-geo': "DE' --" },
          },
          { name: 'no token', method: 'POST', path: target, body: { type: 'Deposit', data: { amount: 1 } }, as: '' },
          ...hostileTokens.map(([name, token]) => ({
            name,
            method: 'POST',
            path: target,
            body: { type: 'Deposit', data: { amount: 1 } },
            headers: { authorization: `Bearer ${token}` },
            as: '',
          })),
          { name: 'withdraw without amount', method: 'POST', path: target, body: { type: 'Withdraw', data: {} } },
          ...injections.flatMap((value) => [
            { name: `id ${JSON.stringify(value)}`, method: 'GET', path: `/journeys/${encode(value)}` },
            {
              name: `id events ${JSON.stringify(value)}`,
              method: 'POST',
              path: `/journeys/${encode(value)}/events`,
              body: { type: 'Deposit', data: { amount: 1 } },
            },
            { name: `type ${JSON.stringify(value)}`, method: 'GET', path: `/journeys?type=${encode(value)}` },
            { name: `field name ${JSON.stringify(value)}`, method: 'GET', path: `/journeys?type=pfm/wallet&${encode(value)}=1` },
            {
              name: `version ${JSON.stringify(value)}`,
              method: 'POST',
              path: `/journeys/pfm/wallet/${encode(value)}/events`,
              body: { type: 'OpenWallet', data: { owner: 'x', currency: 'EUR' } },
            },
            { name: `cursor ${JSON.stringify(value)}`, method: 'GET', path: `/journeys/${journeyId}/events?cursor=${encode(value)}` },
          ]),
          { name: 'id with a trailing quote', method: 'GET', path: `/journeys/${journeyId}'` },
          { name: 'id lower case', method: 'GET', path: `/journeys/${journeyId.toLowerCase()}` },
          { name: 'search value too long', method: 'GET', path: `/journeys?type=pfm/wallet&owner=${'a'.repeat(300)}` },
          { name: 'search value NUL', method: 'GET', path: '/journeys?type=pfm/wallet&owner=a%00' },
          { name: 'search value array', method: 'GET', path: '/journeys?type=pfm/wallet&owner=a&owner=b' },
          { name: 'search operator syntax', method: 'GET', path: '/journeys?type=pfm/wallet&owner[$ne]=x' },
          { name: 'limit huge', method: 'GET', path: `/journeys/${journeyId}/events?limit=1e9` },
          { name: 'limit negative', method: 'GET', path: `/journeys/${journeyId}/events?limit=-1` },
          { name: 'undecodable URL', method: 'GET', path: '/journeys/%E0%A4%A' },
          // Reads and tenants: strangers are told nothing, and change nothing.
          { name: "a stranger reads the owner's journey", method: 'GET', path: `/journeys/${journeyId}`, as: `stranger-${RUN}` },
          { name: "a stranger pages the owner's history", method: 'GET', path: `/journeys/${journeyId}/events`, as: `stranger-${RUN}` },
          ...[`/journeys/${journeyId}`, `/journeys/${journeyId}/events`].map((path) => ({
            name: `another tenant reads ${path}`,
            method: 'GET',
            path,
            headers: { authorization: `Bearer ${otherTenant}` },
            as: '',
          })),
          {
            name: "another tenant sends to the owner's journey",
            method: 'POST',
            path: target,
            body: { type: 'Deposit', data: { amount: 1 } },
            headers: { authorization: `Bearer ${otherTenant}` },
            as: '',
          },
          { name: 'a forged sealed cursor', method: 'GET', path: `/journeys?type=pfm/wallet&cursor=s.${'A'.repeat(60)}` },
          {
            name: 'a cursor that is not a journey id',
            method: 'GET',
            path: `/journeys?type=pfm/wallet&cursor=${Buffer.from("x' OR 1=1").toString('base64url')}`,
          },
        ];
      const answers: Array<{ name: string; status: number }> = [];
      for (const test of cases) {
        const as = test.as ?? owner;
        const res = await call(test.method, test.path, {
          ...(as === '' ? {} : { as }),
          ...(test.raw === undefined ? {} : { raw: test.raw }),
          ...(test.body === undefined ? {} : { body: test.body }),
          ...(test.headers ? { headers: test.headers } : {}),
        });
        answers.push({ name: test.name, status: res.status });
        if (res.status >= 400 && res.status < 500) {
          const answer = res.json as ErrorAnswer;
          expect(answer.error.code, test.name).toMatch(/^JE_/);
          expect(typeof answer.error.message, test.name).toBe('string');
        }
      }
      const notRefused = answers.filter((a) => a.status < 400 || a.status >= 500);
      expect(notRefused).toEqual([]);
      expect(await storeSnapshot()).toEqual(before);
    });

    it('search values are data, never query syntax: injection strings match nothing', async () => {
      for (const value of ["' OR '1'='1", "x' UNION SELECT * FROM events --", '{"$ne":null}', '%', '_', '*']) {
        const res = await call('GET', `/journeys?type=pfm/wallet&owner=${encodeURIComponent(value)}`, { as: owner });
        expect(res.status, value).toBe(200);
        expect((res.json as { items: unknown[] }).items, value).toEqual([]);
      }
    });
  });
});
