// The store-health tracker (engine/store-health.ts) and intake's fail-fast on it: behaviour only,
// with fake store calls; the real outage is test/chaos/store-fail-fast.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JourneyError, isJourneyError, silentLogger } from '../../common/index.js';
import { DeploymentRegistry } from '../../engine/deployment-registry.js';
import { Intake } from '../../engine/intake.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { JournalPort } from '../../engine/ports.js';
import { StoreHealthTracker, isStoreDownError } from '../../engine/store-health.js';
import { walletContext, walletJourney } from '../support/wallet.js';

const FAST = { probeEveryMs: 5, probeTimeoutMs: 20, retryAfterMs: 1_500 };
const unavailable = (): JourneyError =>
  new JourneyError('JE_STORE_UNAVAILABLE', 'MariaDB unavailable during accept (getting a connection)', { retryAfterMs: 1000 });
/** What the driver throws when its pool gives up waiting for a connection. */
const acquireTimeout = (): Error =>
  Object.assign(new Error('pool timeout: failed to retrieve a connection from pool after 10001ms'), { errno: 45028, code: 'ER_GET_CONNECTION_TIMEOUT' });

async function metric(metrics: EngineMetrics, name: string): Promise<number> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('store-health tracker', () => {
  const trackers: StoreHealthTracker[] = [];
  afterEach(async () => {
    await Promise.all(trackers.splice(0).map((t) => t.close()));
  });

  function tracker(probe: () => Promise<boolean>) {
    const metrics = new EngineMetrics();
    const t = new StoreHealthTracker(probe, metrics, silentLogger(), FAST);
    trackers.push(t);
    t.start();
    return { t, metrics };
  }

  it('tells connection-class failures from others', () => {
    expect(isStoreDownError(unavailable())).toBe(true);
    expect(isStoreDownError(acquireTimeout())).toBe(true);
    expect(isStoreDownError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isStoreDownError(new JourneyError('JE_STORE_COMMIT_UNKNOWN', 'connection lost during COMMIT'))).toBe(true);
    expect(isStoreDownError(Object.assign(new Error('Duplicate entry'), { errno: 1062 }))).toBe(false);
    expect(isStoreDownError(new JourneyError('JE_STORE_CONFLICT', 'deadlock'))).toBe(false);
    expect(isStoreDownError(new JourneyError('JE_OVERLOADED', 'busy'))).toBe(false);
  });

  it('marks the store down on a connection failure: admit refuses with 503 and Retry-After, the metric shows it', async () => {
    const { t, metrics } = tracker(() => Promise.resolve(false));
    const onDown = vi.fn();
    t.onDown(onDown);
    expect(await metric(metrics, 'je_store_up')).toBe(1);
    t.observe(new JourneyError('JE_STORE_CONFLICT', 'deadlock'));
    expect(t.up).toBe(true);
    t.observe(acquireTimeout());
    t.observe(unavailable());
    expect(t.up).toBe(false);
    expect(onDown).toHaveBeenCalledTimes(1);
    let refusal: unknown;
    try {
      t.admit();
    } catch (error) {
      refusal = error;
    }
    expect(isJourneyError(refusal, 'JE_STORE_UNAVAILABLE')).toBe(true);
    expect(refusal).toMatchObject({ httpStatus: 503, retryAfterMs: 1_500 });
    // Its own refusal fed back in is not a new failure.
    expect(isStoreDownError(refusal)).toBe(false);
    expect(await metric(metrics, 'je_store_up')).toBe(0);
    expect(await metric(metrics, 'je_store_outages_total')).toBe(1);
  });

  it('probes in the background until the store answers, then admits again', async () => {
    let answers = 0;
    const { t, metrics } = tracker(() => Promise.resolve(++answers >= 3));
    t.markDown(unavailable());
    await vi.waitFor(() => expect(t.up).toBe(true), { timeout: 5_000 });
    expect(answers).toBe(3);
    expect(() => t.admit()).not.toThrow();
    expect(await metric(metrics, 'je_store_up')).toBe(1);
    // A later outage is a new one.
    t.markDown(unavailable());
    expect(t.up).toBe(false);
    expect(await metric(metrics, 'je_store_outages_total')).toBe(2);
  });

  it('never has two probes in flight: one that hangs is waited for, not repeated', async () => {
    const hung = deferred<boolean>();
    const probe = vi.fn(() => hung.promise);
    const { t } = tracker(probe);
    t.markDown(unavailable());
    await new Promise((r) => setTimeout(r, 200)); // ten probe periods
    expect(probe).toHaveBeenCalledTimes(1);
    expect(t.up).toBe(false);
    hung.resolve(true);
    await vi.waitFor(() => expect(t.up).toBe(true), { timeout: 5_000 });
  });

  it('does nothing before start (a failing start fails the start) and stops probing on close', async () => {
    const probe = vi.fn(() => Promise.resolve(false));
    const metrics = new EngineMetrics();
    const t = new StoreHealthTracker(probe, metrics, silentLogger(), FAST);
    t.observe(unavailable());
    expect(t.up).toBe(true);
    t.start();
    t.observe(unavailable());
    expect(t.up).toBe(false);
    await vi.waitFor(() => expect(probe).toHaveBeenCalled());
    await t.close();
    const calls = probe.mock.calls.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(probe.mock.calls.length).toBe(calls);
  });

  it('watches the journal: its failures pass through and mark the store down', async () => {
    const { t } = tracker(() => Promise.resolve(false));
    const journal = t.watch({
      acceptBatch: () => Promise.reject(acquireTimeout()),
      loadJourney: () => Promise.resolve(null),
    } as Partial<JournalPort> as JournalPort);
    await expect(journal.loadJourney('J')).resolves.toBeNull();
    expect(t.up).toBe(true);
    await expect(journal.acceptBatch([])).rejects.toMatchObject({ errno: 45028 });
    expect(t.up).toBe(false);
  });

  it('answers readiness without asking the store while it is down; a failed answer marks it down', async () => {
    const { t } = tracker(() => Promise.resolve(false));
    const ask = vi.fn(() => Promise.resolve({ ok: false, error: 'connect ECONNREFUSED' }));
    expect(await t.health(ask)).toEqual({ ok: false, error: 'connect ECONNREFUSED' });
    expect(t.up).toBe(false);
    const again = await t.health(ask);
    expect(ask).toHaveBeenCalledTimes(1);
    expect(again.ok).toBe(false);
    expect(again.error).toMatch(/^unreachable since .*ECONNREFUSED/);
  });
});

describe('intake while the store is down', () => {
  const context = walletContext('alice');
  const open = {
    kind: 'initiate' as const,
    journeyType: 'pfm/wallet',
    version: '1.0',
    event: { type: 'OpenWallet', payload: { owner: 'alice', currency: 'EUR' } },
    context,
  };

  it('refuses new and queued accepts at once; the one committing still answers by its commit', async () => {
    const commits: Array<ReturnType<typeof deferred<number>>> = [];
    const accept = () => {
      const commit = deferred<number>();
      commits.push(commit);
      return commit.promise.then((journeySeq) => ({ status: 'accepted' as const, journeySeq }));
    };
    const journal = {
      acceptOne: accept,
      acceptBatch: () => accept().then((result) => [result]),
      eventExists: () => Promise.reject(unavailable()),
      loadJourney: () => Promise.reject(unavailable()),
      findByIdempotencyKey: () => Promise.reject(unavailable()),
    } as Partial<JournalPort> as JournalPort;
    const metrics = new EngineMetrics();
    const store = new StoreHealthTracker(() => new Promise<boolean>(() => undefined), metrics, silentLogger(), FAST);
    store.start();
    const intake = new Intake({
      journal,
      deployments: new DeploymentRegistry([await walletJourney()]),
      metrics,
      logger: silentLogger(),
      partitionCount: 4,
      admit: () => undefined,
      route: () => undefined,
      intakeConcurrency: 1,
      store,
    });
    try {
      const committing = intake.accept(open);
      const queued = intake.accept(open);
      await vi.waitFor(() => expect(commits).toHaveLength(1));
      store.observe(unavailable());
      // Queued, never written: refused now, not after the first transaction.
      await expect(queued).rejects.toMatchObject({ code: 'JE_STORE_UNAVAILABLE', retryAfterMs: FAST.retryAfterMs });
      // New ones are refused before they reach the store; a malformed one is still a 400.
      await expect(intake.accept(open)).rejects.toMatchObject({ code: 'JE_STORE_UNAVAILABLE' });
      await expect(intake.accept({ ...open, event: { type: 'OpenWallet', payload: { owner: 'alice' } } })).rejects.toMatchObject({ code: 'JE_EVENT_INVALID' });
      await expect(
        intake.accept({ kind: 'target', journeyId: '01JAAAAAAAAAAAAAAAAAAAAAAA', event: { type: 'Deposit', payload: { amount: 1 } }, context }),
      ).rejects.toMatchObject({
        code: 'JE_STORE_UNAVAILABLE',
      });
      expect(commits).toHaveLength(1);
      // The accept that was committing when the store went down answers by its commit.
      commits[0]?.resolve(1);
      await expect(committing).resolves.toMatchObject({ journeySeq: 1, duplicate: false });
      expect(await metrics.registry.getSingleMetricAsString('je_intake_refused_total')).toMatch(/code="JE_STORE_UNAVAILABLE"} 3/);
    } finally {
      await store.close();
    }
  });
});
