/**
 * Faults at the HTTP edge, over real `journey serve` API and worker processes:
 * - an API node SIGKILLed between its durable write and its reply, repeatedly: clients retry with
 *   their idempotency key on the other API node, and every key yields exactly one event;
 * - hostile input under load: every answer a 4xx, nothing written;
 * - a flood beyond capacity: 429/503 with Retry-After, and the API process's memory stays bounded.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../cache-store/index.js';
import type { Store } from '../../cache-store/index.js';
import { silentLogger } from '../../common/index.js';
import { findFreePortBase } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { recordScenario } from '../support/chaos-summary.js';
import { checkWallets, ownedPartitions, recordSummary, slotCount, waitFor, WorkerProcess } from './harness.js';
import type { RequestRecord, WorkerSettings } from './harness.js';

const PARTITIONS = 8;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe('chaos: API nodes killed mid-request, hostile input and floods under load', () => {
  let database: TestDatabase;
  let probe: Store;
  let settings: WorkerSettings;
  const processes: WorkerProcess[] = [];
  const apis: Array<{ node: WorkerProcess; url: string }> = [];

  async function post(
    base: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }

  async function ready(url: string): Promise<boolean> {
    const response = await fetch(`${url}/ready`).catch(() => null);
    return response?.status === 200;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    probe = await openStore({ url: database.url, logger: silentLogger(), poolSize: 2 });
    settings = { mariadbUrl: database.url, seeds: gridSeeds(), keyPrefix: testNamespace(), partitions: PARTITIONS, leaseTtlMs: 2_000 };
    processes.push(new WorkerProcess('aw1', settings), new WorkerProcess('aw2', settings));
    for (const name of ['api1', 'api2']) {
      const port = await findFreePortBase({ count: 1, cluster: false });
      // api2 takes the flood: a rate limit a flood of one sender exceeds (the default lets a
      // service client drive 1,000 requests a second through a node, more than this test sends).
      const rateLimit: Record<string, string> = name === 'api2' ? { RATE_LIMIT_PER_MINUTE: '600' } : {};
      const node = new WorkerProcess(name, settings, { ROLES: 'api', PORT: String(port), AUTH_MODE: 'dev', ...rateLimit });
      processes.push(node);
      apis.push({ node, url: `http://127.0.0.1:${port}` });
    }
    await waitFor(
      'workers to own every partition',
      async () => (await ownedPartitions(probe, 'aw1')) + (await ownedPartitions(probe, 'aw2')) === (await slotCount(probe)),
      60_000,
      200,
    );
    for (const api of apis) {
      await waitFor(`${api.node.nodeId} to be ready`, () => ready(api.url), 60_000, 200).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- ${api.node.nodeId} log (tail) ---\n${api.node.log.slice(-4000)}`);
      });
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await probe?.close();
    await database?.drop();
  });

  it('applies each idempotency key exactly once while API nodes are SIGKILLed mid-request', async () => {
    const [a, b] = apis as [{ node: WorkerProcess; url: string }, { node: WorkerProcess; url: string }];
    const owners = Array.from({ length: 12 }, (_, i) => `edge-${i}`);
    const journeys: Array<{ journeyId: string; owner: string }> = [];
    for (const owner of owners) {
      const opened = await post(
        b.url,
        '/journeys/pfm/wallet/1.0/events',
        { type: 'OpenWallet', data: { owner, currency: 'EUR' } },
        { 'X-Dev-Sender': owner, 'Idempotency-Key': `open-${owner}` },
      );
      expect(opened.status).toBe(202);
      journeys.push({ journeyId: String(opened.json.journeyId), owner });
    }
    const log: RequestRecord[] = [];
    let running = true;
    let retries = 0;
    const senders = journeys.map(async (journey, i) => {
      let k = 0;
      while (running) {
        k += 1;
        const key = `${journey.owner}-dep-${k}`;
        const amount = 1 + ((i + k) % 9);
        const record: RequestRecord = { journeyId: journey.journeyId, type: 'Deposit', amount, result: 'failed' };
        // Retry with the same key until some API node answers: the client's side of exactly-once.
        for (let attempt = 0; attempt < 200; attempt++) {
          const target = (attempt + k) % 2 === 0 ? a : b;
          try {
            const answer = await post(
              target.url,
              `/journeys/${journey.journeyId}/events`,
              { type: 'Deposit', data: { amount } },
              { 'X-Dev-Sender': journey.owner, 'Idempotency-Key': key },
            );
            if (answer.status === 202) {
              record.result = 'acked';
              record.eventId = String(answer.json.eventId);
              record.journeySeq = Number(answer.json.seq);
              break;
            }
          } catch {
            // connection refused or reset: that node is down
          }
          retries += 1;
          await sleep(50);
        }
        log.push(record);
      }
    });
    for (let round = 0; round < 3; round++) {
      await sleep(1_200);
      a.node.signal('SIGKILL');
      await a.node.exited;
      await sleep(300);
      a.node.restart();
      await waitFor('the killed API node to serve again', () => ready(a.url), 60_000, 100);
    }
    await sleep(1_000);
    running = false;
    await Promise.all(senders);

    const report = await checkWallets(database.url, log);
    recordSummary('API node SIGKILL x3, clients retry with their key', report, null);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    expect(retries).toBeGreaterThan(0);
    // Every key: exactly one event, the one the client was finally told about.
    const rows = await probe.query<{ journey_id: string; n: number }>(
      `SELECT journey_id, COUNT(*) AS n FROM events WHERE event_type = 'Deposit' AND journey_id IN (?) GROUP BY journey_id`,
      [journeys.map((j) => j.journeyId)],
    );
    for (const journey of journeys) {
      const acked = log.filter((r) => r.journeyId === journey.journeyId && r.result === 'acked').length;
      expect(Number(rows.find((r) => r.journey_id === journey.journeyId)?.n ?? 0), journey.owner).toBe(acked);
    }
  }, 240_000);

  it('answers hostile input under load with 4xx only and writes nothing', async () => {
    const [a] = apis as [{ node: WorkerProcess; url: string }];
    const opened = await post(a.url, '/journeys/pfm/wallet/1.0/events', { type: 'OpenWallet', data: { owner: 'h', currency: 'EUR' } }, { 'X-Dev-Sender': 'h' });
    const journeyId = String(opened.json.journeyId);
    const before = await probe.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events`);
    const hostile: Array<[string, unknown]> = [
      ['/journeys/pfm/wallet/1.0/events', '{"type": "OpenWallet", "data": {'],
      ['/journeys/pfm/wallet/1.0/events', { type: 'OpenWallet', data: { owner: 'x' } }],
      ['/journeys/pfm/wallet/1.0/events', { type: 'Deposit', data: { amount: 1 } }],
      ['/journeys/pfm/wallet/9.9/events', { type: 'OpenWallet', data: { owner: 'x', currency: 'EUR' } }],
      [`/journeys/${journeyId}/events`, { type: 'Deposit', data: { amount: -1 } }],
      [`/journeys/${journeyId}/events`, { type: 'Deposit', data: { amount: '1; DROP TABLE events' } }],
      [`/journeys/${journeyId}/events`, { type: 'Teleport', data: {} }],
      [`/journeys/${journeyId}/events`, { type: 'Deposit', data: { amount: 1e308 } }],
      ['/journeys/01ARZ3NDEKTSV4RRFFQ69G5FAV/events', { type: 'Deposit', data: { amount: 1 } }],
      ["/journeys/1'%20OR%20'1'='1/events", { type: 'Deposit', data: { amount: 1 } }],
      [`/journeys/${journeyId}/events`, { type: 'Deposit', data: { amount: 1, extra: '\u0000' } }],
      [`/journeys/${journeyId}/events`, `{"type":"Deposit","data":${'['.repeat(60)}${']'.repeat(60)}}`],
    ];
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        for (const [path, body] of hostile) statuses.push((await post(a.url, path, body, { 'X-Dev-Sender': 'h' })).status);
      }),
    );
    const after = await probe.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events`);
    recordScenario(
      `| hostile input under load (${statuses.length} requests, all 4xx: ${statuses.every((s) => s >= 400 && s < 500)}) | ${statuses.length} | 0 | 0 | 0 | 0 | 0 | 0 | - |`,
    );
    expect(statuses.filter((s) => s < 400 || s >= 500)).toEqual([]);
    // Other scenarios' events may still be handled, but no new event was accepted.
    expect(Number(after?.n)).toBe(Number(before?.n));
  }, 120_000);

  it('sheds a flood with 429/503 and Retry-After while memory stays bounded', async () => {
    const [, b] = apis as [unknown, { node: WorkerProcess; url: string }];
    const opened = await post(
      b.url,
      '/journeys/pfm/wallet/1.0/events',
      { type: 'OpenWallet', data: { owner: 'flood', currency: 'EUR' } },
      { 'X-Dev-Sender': 'flood' },
    );
    const journeyId = String(opened.json.journeyId);
    const rssBefore = rssMb(b.node.pid);
    const statuses = new Map<number, number>();
    let retryAfterSeen = 0;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (sent < 3_000) {
          sent += 1;
          const response = await fetch(`${b.url}/journeys/${journeyId}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'X-Dev-Sender': 'flood' },
            body: JSON.stringify({ type: 'Deposit', data: { amount: 1 } }),
          }).catch(() => null);
          if (!response) continue;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if ((response.status === 429 || response.status === 503) && response.headers.get('retry-after')) retryAfterSeen += 1;
          await response.arrayBuffer();
        }
      }),
    );
    const rssAfter = rssMb(b.node.pid);
    const shed = (statuses.get(429) ?? 0) + (statuses.get(503) ?? 0);
    console.log(`flood: ${JSON.stringify(Object.fromEntries(statuses))}, RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`);
    expect(shed).toBeGreaterThan(0);
    expect(retryAfterSeen).toBe(shed);
    expect([...statuses.keys()].every((s) => s === 202 || s === 429 || s === 503)).toBe(true);
    expect(rssAfter).toBeLessThan(rssBefore + 150);
    // Whatever was accepted is handled exactly once.
    await waitFor(
      'the flood to drain',
      async () => Number((await probe.queryOne<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE status = 'pending'`))?.n) === 0,
      60_000,
      200,
    );
    const journey = await probe.queryOne<{ data: string; handled_seq: number }>(`SELECT data, handled_seq FROM journeys WHERE journey_id = ?`, [journeyId]);
    const data = JSON.parse(journey?.data ?? '{}') as { balance: number; deposits: number };
    const accepted = statuses.get(202) ?? 0;
    recordScenario(
      `| flood beyond capacity (${shed} shed with Retry-After, RSS ${rssBefore.toFixed(0)}→${rssAfter.toFixed(0)} MB) | ${sent} | ${accepted} | ${data.deposits} | 0 | ${Math.max(0, accepted - data.deposits)} | ${Math.max(0, data.deposits - accepted)} | 0 | - |`,
    );
    expect(data.deposits).toBe(statuses.get(202) ?? 0);
    expect(data.balance).toBe(statuses.get(202) ?? 0);
  }, 180_000);
});
