/**
 * MariaDB stops answering (mariadbd SIGSTOPped, or SIGKILLed) under load: once intake has seen
 * the store fail, new submissions are refused at once — 503 JE_STORE_UNAVAILABLE with
 * Retry-After, nothing written — instead of each waiting out the pool's acquire timeout;
 * `/ready` and `je_store_up` say so; accepts succeed again once the store answers; and every
 * accept in flight when it died was acknowledged only if it committed (nothing acknowledged lost).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { silentLogger } from '../../common/index.js';
import type { JourneyEngine } from '../../engine/index.js';
import { gridSeeds, testNamespace } from '../support/environment.js';
import { PrivateMariaDb } from '../support/private-mariadb.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine } from '../support/test-engine.js';
import { walletJourney } from '../support/wallet.js';
import { checkWallets, openWallets, recordSummary, startWalletLoad, trackLoads, waitFor } from './harness.js';

/** Generous: the point is "at once" rather than after the pool's acquire timeout (10 s). */
const FAST_MS = 1_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pid of the mariadbd serving `port` (found by its command line, whoever started it). */
function mariadbdPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (args[0]?.endsWith('mariadbd') && args.includes(`--port=${port}`)) return Number(entry);
  }
  throw new Error(`no mariadbd process serves port ${port}`);
}

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  json: Record<string, unknown>;
}

describe('chaos: intake fails fast while MariaDB is down', () => {
  let server: PrivateMariaDb;
  let node: TestEngine;
  let engine: JourneyEngine;
  let app: FastifyInstance;
  let base = '';
  let url = '';
  let probeWallet = '';
  const track = trackLoads();

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 60_000): Promise<Answer> {
    const started = performance.now();
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-dev-sender': 'ff-probe', 'x-dev-roles': 'customer', 'x-trust-level': '2' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: response.status, ms: performance.now() - started, retryAfter: response.headers.get('retry-after'), json };
  }

  const deposit = (timeoutMs?: number): Promise<Answer> => call('POST', `/journeys/${probeWallet}/events`, { type: 'Deposit', data: { amount: 1 } }, timeoutMs);
  const openWallet = (): Promise<Answer> =>
    call('POST', '/journeys/pfm/wallet/1.0/events', { type: 'OpenWallet', data: { owner: 'ff-probe', currency: 'EUR' } });
  const storeUpMetric = async (): Promise<number> => {
    const text = (await (await fetch(`${base}/metrics`)).text()).split('\n');
    return Number(text.find((line) => line.startsWith('je_store_up '))?.split(' ')[1] ?? NaN);
  };

  beforeAll(async () => {
    server = await PrivateMariaDb.start();
    url = server.url('journeys');
    // The store's default pool settings: the acquire timeout (10 s) is what a refused accept
    // used to wait out.
    node = await startTestEngine({
      databaseUrl: url,
      seeds: gridSeeds(),
      keyPrefix: testNamespace(),
      nodeId: 'fail-fast',
      journeys: [await walletJourney()],
      partitionCount: 4,
      workerOptions: { leaseTtlMs: 2_000 },
    });
    engine = node.engine;
    app = buildApi(engine, { auth: { mode: 'dev' }, rateLimit: { by: 'off' } }, silentLogger());
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    await waitFor('the node to be ready', async () => (await call('GET', '/ready')).status === 200, 30_000, 200);
    const opened = await openWallet();
    expect(opened.status).toBe(202);
    probeWallet = String(opened.json.journeyId);
  });

  afterAll(async () => {
    await app?.close();
    await node?.stop();
    await server?.stop();
  });

  /** One outage: load running, the fault, the fast refusals, recovery, and the checker. */
  async function outage(label: string, inject: () => Promise<void>, heal: () => Promise<void>): Promise<void> {
    const journeys = await openWallets(engine, 12, `ff-${label}`);
    const load = track(startWalletLoad(engine, journeys, 6));
    await sleep(1_000);
    await inject();

    // The first failure may take as long as the pool needs to give up on the store; meanwhile a
    // request may hang on a frozen server (it is abandoned here, and answers once the store does).
    let first: Answer | undefined;
    await waitFor(
      'a first refusal',
      async () => {
        first = await deposit(2_000);
        return first.status === 503;
      },
      60_000,
      50,
    );
    expect(first?.json).toMatchObject({ error: { code: 'JE_STORE_UNAVAILABLE' } });

    // From then on: refused at once, with Retry-After, targeted and initiating alike.
    const refusals: Answer[] = [];
    for (let i = 0; i < 6; i++) refusals.push(await (i % 2 === 0 ? deposit() : openWallet()));
    for (const answer of refusals) {
      expect(answer.status, JSON.stringify(answer.json)).toBe(503);
      expect(answer.json).toMatchObject({ error: { code: 'JE_STORE_UNAVAILABLE' } });
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.ms, `refused after ${Math.round(answer.ms)} ms`).toBeLessThan(FAST_MS);
    }
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ ready: false, store: { up: false } });
    expect(ready.ms, `/ready took ${Math.round(ready.ms)} ms`).toBeLessThan(FAST_MS);
    expect(await storeUpMetric()).toBe(0);

    const healedAt = performance.now();
    await heal();
    await waitFor('accepts to succeed again', async () => (await deposit()).status === 202, 60_000, 100);
    const recovery = performance.now() - healedAt;
    await waitFor('readiness with the store up', async () => (await call('GET', '/ready')).status === 200, 30_000, 200);
    expect(await storeUpMetric()).toBe(1);
    await sleep(1_000);
    await load.stop();

    const report = await checkWallets(url, load.log, 90_000);
    recordSummary(`MariaDB ${label}: intake fails fast`, report, recovery);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ lost: 0, doubled: 0, outOfOrder: 0 });
    expect(report.acked).toBeGreaterThan(0);
  }

  it('mariadbd SIGSTOPped: refuses at once while frozen, accepts again after SIGCONT', async () => {
    const pid = mariadbdPid(server.port);
    try {
      await outage(
        'SIGSTOP',
        () => Promise.resolve(void process.kill(pid, 'SIGSTOP')),
        () => Promise.resolve(void process.kill(pid, 'SIGCONT')),
      );
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  }, 300_000);

  it('mariadbd SIGKILLed: refuses at once while down, accepts again after a restart', async () => {
    await outage(
      'SIGKILL',
      () => server.kill(),
      () => server.boot(),
    );
  }, 300_000);
});
