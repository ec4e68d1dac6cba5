/**
 * Who may read what, over HTTP against a real engine: read rules (the wallet's `read allow sender
 * == data.owner or "auditor" in roles`, a journey with no rule, a rule SQL cannot decide) and
 * tenants. A stranger must learn nothing: not the data, not the history, not that a journey exists,
 * not how many were filtered out of a search page, not an id through a cursor.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
import type { EngineNode } from '../../engine/index.js';
import { connectGrid } from '../../grid/index.js';
import type { Grid } from '../../grid/index.js';
import { writeAdHocJourney } from '../support/ad-hoc-journey.js';
import { createTestDatabase, gridSeeds } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { walletJourney } from '../support/wallet.js';

const SECRET = 'reads-test-secret-of-at-least-32-characters';
const WAIT_MS = 10_000;

interface Caller {
  sub: string;
  roles?: string[];
  tenant?: string;
}

interface Page {
  items: Array<{ journeyId: string; data: Record<string, unknown> }>;
  nextCursor?: string;
}

/** Two ad-hoc journeys: `test/unruled` declares no read rule; `test/club` reads a list of members (not SQL-decidable). */
async function adHocJourneys(root: string): Promise<CompiledJourney[]> {
  writeAdHocJourney(root, {
    type: 'test/unruled',
    version: '1.0',
    dataSchemaFile: 'data.schema.json',
    dataSchema: { title: 'Unruled', properties: { note: { type: 'string' } }, required: [] },
    events: { Note: { properties: { note: { type: 'string' } }, required: ['note'] } },
    source: [
      'journey test/unruled version 1.0',
      'data schema "data.schema.json"',
      'events from "events/"',
      '',
      'on Note initiating',
      '  set note = event.note',
      '',
    ].join('\n'),
  });
  writeAdHocJourney(root, {
    type: 'test/club',
    version: '1.0',
    dataSchemaFile: 'data.schema.json',
    dataSchema: {
      title: 'Club',
      properties: { name: { type: 'string' }, members: { type: 'array', items: { type: 'string' } } },
      required: [],
    },
    events: { Found: { properties: { name: { type: 'string' }, members: { type: 'array', items: { type: 'string' } } }, required: ['name', 'members'] } },
    source: [
      'journey test/club version 1.0',
      'data schema "data.schema.json"',
      'events from "events/"',
      'search name: string',
      'read allow sender in data.members',
      '',
      'on Found initiating',
      '  set name = event.name, members = event.members',
      '',
    ].join('\n'),
  });
  const compiled = await compileJourneys(root);
  if (compiled.journeys.length !== 2) throw new Error(`the ad-hoc journeys did not compile: ${JSON.stringify(compiled.diagnostics)}`);
  return compiled.journeys;
}

describe('reads and tenants over HTTP', () => {
  let database: TestDatabase;
  let store: Store;
  let grid: Grid;
  let node: EngineNode;
  let app: ReturnType<typeof buildApi>;
  let base: string;
  let journeysDir: string;

  async function call(method: string, path: string, caller: Caller, body?: unknown, headers: Record<string, string> = {}) {
    const token = await new SignJWT({ sub: caller.sub, roles: caller.roles ?? ['customer'], ...(caller.tenant === undefined ? {} : { tenant: caller.tenant }) })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: (text === '' ? null : JSON.parse(text)) as Record<string, unknown> };
  }

  async function openWallet(owner: Caller, headers: Record<string, string> = {}): Promise<string> {
    const answer = await call(
      'POST',
      `/journeys/pfm/wallet/1.0/events?wait=${WAIT_MS}`,
      owner,
      { type: 'OpenWallet', data: { owner: owner.sub, currency: 'EUR' } },
      headers,
    );
    expect(answer.status).toBe(200);
    return answer.json.journeyId as string;
  }

  /** Every page of a search, following cursors; each page's size and cursor as seen. */
  async function allPages(path: string, caller: Caller): Promise<Page[]> {
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const answer = await call('GET', `${path}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, caller);
      expect(answer.status).toBe(200);
      const page = answer.json as unknown as Page;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== undefined && pages.length < 100);
    return pages;
  }

  const alice: Caller = { sub: 'alice' };
  const mallory: Caller = { sub: 'mallory', roles: [] };
  const auditor: Caller = { sub: 'audrey', roles: ['auditor'] };
  const operator: Caller = { sub: 'ops', roles: ['operator'] };

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStore({ url: database.url, logger: silentLogger() });
    grid = await connectGrid({ urls: gridSeeds(), keyPrefix: database.name, logger: silentLogger() });
    journeysDir = await mkdtemp(join(tmpdir(), 'je-reads-'));
    node = await startEngineNode({
      nodeId: 'reads-test',
      store,
      grid: { connection: grid, keyPrefix: database.name },
      calls: false,
      journeys: [await walletJourney(), ...(await adHocJourneys(journeysDir))],
      partitionCount: 8,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
      logger: silentLogger(),
    });
    app = buildApi(node.engine, { auth: { mode: 'jwt', secrets: [SECRET] } }, silentLogger());
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    for (let i = 0; i < 100 && !(await node.engine.readiness()).ready; i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await grid?.close();
    await store?.close();
    await database?.drop();
    if (journeysDir) await rm(journeysDir, { recursive: true, force: true });
  });

  it("a stranger gets the same 404 for alice's wallet and its history as for an id that does not exist", async () => {
    const journeyId = await openWallet(alice);
    const unknown = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    for (const path of [`/journeys/${journeyId}`, `/journeys/${journeyId}/events`]) {
      const asStranger = await call('GET', path, mallory);
      const asNobody = await call('GET', path.replace(journeyId, unknown), mallory);
      expect(asStranger.status).toBe(404);
      expect(asNobody.status).toBe(404);
      expect((asStranger.json.error as { code: string }).code).toBe((asNobody.json.error as { code: string }).code);
      expect(JSON.stringify(asStranger.json)).not.toContain('alice');
    }
    expect((await call('GET', `/journeys/${journeyId}`, alice)).status).toBe(200);
    expect((await call('GET', `/journeys/${journeyId}/events`, auditor)).status).toBe(200);
    // The operator role reads journeys without a rule; the wallet's rule does not name it.
    expect((await call('GET', `/journeys/${journeyId}`, operator)).status).toBe(404);
  });

  it('a depositor learns whether the deposit applied, not the balance or what the wallet emitted', async () => {
    const journeyId = await openWallet(alice);
    const deposit = await call('POST', `/journeys/${journeyId}/events?wait=${WAIT_MS}`, mallory, { type: 'Deposit', data: { amount: 70 } });
    expect(deposit.status).toBe(200);
    expect(deposit.json).toMatchObject({ journeyId, outcome: 'applied', seq: 2 });
    expect(deposit.json).not.toHaveProperty('data');
    expect(deposit.json).not.toHaveProperty('emitted');
    const own = await call('POST', `/journeys/${journeyId}/events?wait=${WAIT_MS}`, alice, { type: 'Deposit', data: { amount: 5 } });
    expect(own.json).toMatchObject({ outcome: 'applied', data: { balance: 75 }, emitted: [{ type: 'Deposited' }] });
  });

  it('search shows only what the caller may read: no count, page size or cursor gives the others away', async () => {
    const carol: Caller = { sub: `carol-${Date.now().toString(36)}` };
    const dave: Caller = { sub: `dave-${Date.now().toString(36)}` };
    const carols: string[] = [];
    // Interleaved, so carol's journeys sit between dave's in id order.
    for (let i = 0; i < 5; i++) {
      carols.push(await openWallet(carol));
      await openWallet(dave);
      await openWallet(dave);
    }
    const pages = await allPages(`/journeys?type=pfm/wallet&limit=2`, carol);
    expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((page) => page.items.map((item) => item.journeyId))).toEqual(carols);
    // A cursor names the last journey its page showed, nothing the caller did not see.
    for (const page of pages) {
      if (page.nextCursor !== undefined) expect(Buffer.from(page.nextCursor, 'base64url').toString()).toBe(page.items[page.items.length - 1]?.journeyId);
    }
    const byOwner = await call('GET', `/journeys?type=pfm/wallet&owner=${dave.sub}`, carol);
    expect(byOwner.json).toEqual({ items: [] });
    const audited = await allPages(`/journeys?type=pfm/wallet&owner=${dave.sub}&limit=500`, auditor);
    expect(audited.flatMap((page) => page.items)).toHaveLength(10);
  });

  it('a journey without a read rule is read by the operator role only, not even by its starter', async () => {
    const started = await call('POST', `/journeys/test/unruled/1.0/events?wait=${WAIT_MS}`, alice, { type: 'Note', data: { note: 'hi' } });
    expect(started.status).toBe(200);
    expect(started.json).not.toHaveProperty('data');
    const journeyId = started.json.journeyId as string;
    expect((await call('GET', `/journeys/${journeyId}`, alice)).status).toBe(404);
    expect((await call('GET', `/journeys/${journeyId}`, operator)).status).toBe(200);
    expect((await call('GET', `/journeys?type=test/unruled`, alice)).json).toEqual({ items: [] });
    expect(((await call('GET', `/journeys?type=test/unruled`, operator)).json as unknown as Page).items.map((i) => i.journeyId)).toContain(journeyId);
  });

  it('a rule SQL cannot decide is decided row by row; a page cut short by the scan budget has a sealed cursor', async () => {
    const member: Caller = { sub: `member-${Date.now().toString(36)}` };
    const found = async (members: string[]) =>
      (await call('POST', `/journeys/test/club/1.0/events?wait=${WAIT_MS}`, operator, { type: 'Found', data: { name: 'c', members } })).json
        .journeyId as string;
    const mine: string[] = [await found([member.sub, 'x'])];
    // More unreadable rows than one request scans at limit 1 (20 batches of 2).
    for (let i = 0; i < 45; i++) await found(['someone-else']);
    mine.push(await found(['y', member.sub]));
    const pages = await allPages(`/journeys?type=test/club&limit=1`, member);
    expect(pages.flatMap((page) => page.items.map((item) => item.journeyId))).toEqual(mine);
    const sealed = pages.find((page) => page.items.length === 0)?.nextCursor;
    expect(sealed).toMatch(/^s\./);
    expect(JSON.stringify(pages)).not.toContain('someone-else');
    // A sealed cursor cannot be forged or altered.
    const altered = `${sealed?.slice(0, -2) ?? ''}AA`;
    const refused = await call('GET', `/journeys?type=test/club&limit=1&cursor=${encodeURIComponent(altered)}`, member);
    expect(refused.status).toBe(400);
  });

  describe('tenants', () => {
    const bankA = (sub: string, roles: string[] = ['customer']): Caller => ({ sub, roles, tenant: 'bank-a' });
    const bankB = (sub: string, roles: string[] = ['customer']): Caller => ({ sub, roles, tenant: 'bank-b' });

    it("another tenant's journey is a 404 on every route, even for the same sender name and an auditor", async () => {
      const journeyId = await openWallet(bankA('erin'));
      const intruders = [bankB('erin'), bankB('audrey', ['auditor']), { sub: 'erin' }];
      for (const intruder of intruders) {
        expect((await call('GET', `/journeys/${journeyId}`, intruder)).status).toBe(404);
        expect((await call('GET', `/journeys/${journeyId}/events`, intruder)).status).toBe(404);
        const sent = await call('POST', `/journeys/${journeyId}/events?wait=${WAIT_MS}`, intruder, { type: 'Deposit', data: { amount: 1 } });
        expect(sent.status).toBe(404);
        const found = (await call('GET', `/journeys?type=pfm/wallet&owner=erin`, intruder)).json as unknown as Page;
        expect(found.items.map((item) => item.journeyId)).not.toContain(journeyId);
      }
      expect((await call('GET', `/journeys/${journeyId}`, bankA('erin'))).status).toBe(200);
      const audited = (await call('GET', `/journeys?type=pfm/wallet&owner=erin`, bankA('audrey', ['auditor']))).json as unknown as Page;
      expect(audited.items.map((item) => item.journeyId)).toEqual([journeyId]);
      // Nothing reached the journey from the other tenants.
      const history = (await call('GET', `/journeys/${journeyId}/events`, bankA('erin'))).json as unknown as { items: unknown[] };
      expect(history.items).toHaveLength(1);
    });

    it('listed tenants: another is refused, and each starts, searches, sends to and reads only its journey types', async () => {
      const limited = buildApi(
        node.engine,
        { auth: { mode: 'jwt', secrets: [SECRET] }, tenants: { 'bank-a': { journeyTypes: ['pfm/*'] }, 'bank-b': { journeyTypes: ['test/club'] } } },
        silentLogger(),
      );
      const limitedBase = await limited.listen({ port: 0, host: '127.0.0.1' });
      const unlimitedBase = base;
      try {
        // A bank-b wallet from before its tenant was limited to clubs.
        const older = await openWallet(bankB('gina'));
        base = limitedBase;
        const unknownTenant = await call('GET', `/journeys?type=pfm/wallet`, { sub: 'gina', tenant: 'bank-c' });
        expect(unknownTenant.status).toBe(403);
        expect(unknownTenant.json.error).toMatchObject({ code: 'JE_ACCESS_DENIED', details: { reason: 'tenant' } });
        const open = await call('POST', '/journeys/pfm/wallet/1.0/events', bankB('gina'), { type: 'OpenWallet', data: { owner: 'gina', currency: 'EUR' } });
        expect(open.status).toBe(403);
        expect((await call('GET', `/journeys?type=pfm/wallet`, bankB('gina'))).status).toBe(403);
        expect((await call('GET', `/journeys/${older}`, bankB('gina'))).status).toBe(404);
        expect((await call('POST', `/journeys/${older}/events`, bankB('gina'), { type: 'Deposit', data: { amount: 1 } })).status).toBe(404);
        const mine = await openWallet(bankA('hana'));
        expect((await call('GET', `/journeys/${mine}`, bankA('hana'))).status).toBe(200);
        const metrics = await fetch(`${limitedBase}/metrics`).then((response) => response.text());
        expect(metrics).toMatch(/je_tenant_requests_total\{tenant="bank-b",status="4xx"\} [1-9]/);
      } finally {
        base = unlimitedBase;
        await limited.close();
      }
    });

    it('the same idempotency key in two tenants opens two journeys', async () => {
      const key = { 'idempotency-key': `open-${Date.now().toString(36)}` };
      const inA = await openWallet(bankA('frank'), key);
      const inB = await openWallet(bankB('frank'), key);
      expect(inA).not.toBe(inB);
      expect(await openWallet(bankA('frank'), key)).toBe(inA);
    });
  });
});
