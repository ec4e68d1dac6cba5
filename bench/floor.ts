/**
 * The floor: the least durable work our design needs per event, with no engine around it — no
 * HTTP, no validation, no DSL, no mailboxes. Same store (pool, session settings, retrying
 * transactions), same SQL (the journal's own functions), same Redis script:
 *
 * 1. intake: `appendEvent` in a transaction — UPDATE journeys SET accepted_seq =
 *    LAST_INSERT_ID(accepted_seq + 1) + INSERT events — COMMIT;
 * 2. handling: `commitHandlingBatch` — the fence (partition rows LOCK IN SHARE MODE), the
 *    conditional UPDATE journeys, UPDATE events — group-committed as the worker does it (up to
 *    `maxBatch` events per transaction, `commitConcurrency` transactions at once);
 * 3. the hot-state write to Redis (`put-state` script, one round trip).
 *
 * `concurrency` loops each run one event through 1–3 before taking the next, one event in flight
 * per journey, like the HTTP load with `?wait`.
 */
import { ulid } from 'ulid';
import { acquirePartitions, commitHandlingBatch, ensurePartitions, openStore, appendEvent } from '../cache-store/index.js';
import type { CommitResult, HandlingCommit, NewEvent } from '../cache-store/index.js';
import { silentLogger } from '../common/index.js';
import { DEFAULT_WORKER_OPTIONS, partitionOf } from '../engine/index.js';
import { connectGrid, putJourneyState } from '../grid/index.js';
import { opOf } from './load.js';
import { summarize } from './stats.js';
import type { LatencySummary } from './stats.js';

export interface FloorOptions {
  mariadbUrl: string;
  seeds: readonly string[];
  keyPrefix: string;
  journeys: number;
  eventsPerJourney: number;
  concurrency: number;
  partitions: number;
}

export interface FloorResult {
  events: number;
  elapsedMs: number;
  eventsPerSec: number;
  latencyMs: LatencySummary;
  batches: number;
  meanBatch: number;
  redisWrites: number;
  /** Where an event's time went: intake transaction, waiting for + running the group commit, Redis. */
  stepsMs: { intake: LatencySummary; handling: LatencySummary; redis: LatencySummary };
}

interface FloorJourney {
  journeyId: string;
  partitionNo: number;
  handledSeq: number;
  data: { owner: string; currency: string; balance: number; status: string; deposits: number; withdrawals: number };
  busy: boolean;
  sent: number;
}

export async function runFloor(options: FloorOptions): Promise<FloorResult> {
  const store = await openStore({ url: options.mariadbUrl, logger: silentLogger() });
  const grid = await connectGrid({ urls: [...options.seeds], keyPrefix: options.keyPrefix });
  const owner = `floor:${ulid().slice(-8)}`;
  const { maxBatch, commitConcurrency } = DEFAULT_WORKER_OPTIONS;
  try {
    // Setup: the partitions leased to us, and the journeys already open (not timed).
    await store.withTransaction((tx) => ensurePartitions(tx.connection, options.partitions), { label: 'floor-partitions' });
    const all = Array.from({ length: options.partitions }, (_, i) => i);
    const leases = await store.withTransaction((tx) => acquirePartitions(tx.connection, owner, all, 600_000), { label: 'floor-acquire' });
    const journeys: FloorJourney[] = Array.from({ length: options.journeys }, (_, i) => {
      const journeyId = ulid();
      return {
        journeyId,
        partitionNo: partitionOf(journeyId, options.partitions),
        handledSeq: 0,
        data: { owner: `floor-owner-${i}`, currency: 'EUR', balance: 0, status: 'open', deposits: 0, withdrawals: 0 },
        busy: false,
        sent: 0,
      };
    });
    for (let i = 0; i < journeys.length; i += 500) {
      const chunk = journeys.slice(i, i + 500);
      await store.withTransaction(
        (tx) =>
          tx.connection.batch(
            `INSERT INTO journeys (journey_id, type_name, type_version, partition_no, lifecycle, data, handled_seq, accepted_seq, created_at, updated_at)
             VALUES (?, 'pfm/wallet', '1.0', ?, 'active', ?, 0, 0, NOW(6), NOW(6))`,
            chunk.map((j) => [j.journeyId, j.partitionNo, JSON.stringify(j.data)]),
          ),
        { label: 'floor-journeys' },
      );
    }

    // The group committer, as the worker runs it.
    const queue: Array<{ commit: HandlingCommit; resolve: (r: CommitResult) => void; reject: (e: unknown) => void }> = [];
    let inFlight = 0;
    let batches = 0;
    let batched = 0;
    const pump = (): void => {
      while (inFlight < commitConcurrency && queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        inFlight += 1;
        batches += 1;
        batched += batch.length;
        const commits = batch.map((q) => q.commit);
        store
          .withTransaction((tx) => commitHandlingBatch(tx.connection, owner, leases, commits), { label: 'floor-handle' })
          .then(
            (results) => batch.forEach((q, i) => q.resolve(results[i] ?? { status: 'conflict' })),
            (error: unknown) => batch.forEach((q) => q.reject(error)),
          )
          .finally(() => {
            inFlight -= 1;
            pump();
          });
      }
    };
    const commit = (c: HandlingCommit): Promise<CommitResult> =>
      new Promise((resolve, reject) => {
        queue.push({ commit: c, resolve, reject });
        pump();
      });

    let redisWrites = 0;
    const latencies: number[] = [];
    const steps = { intake: [] as number[], handling: [] as number[], redis: [] as number[] };
    const order = [...journeys];
    const started = performance.now();
    const one = async (j: FloorJourney): Promise<void> => {
      const t0 = performance.now();
      j.sent += 1;
      const op = opOf(0, j.sent);
      const sender = op.type === 'Withdraw' ? j.data.owner : 'payer';
      const event: NewEvent = {
        eventId: ulid(),
        type: op.type,
        payloadJson: JSON.stringify({ amount: op.amount }),
        contextJson: JSON.stringify({ sender, roles: [], trustLevel: 0, channel: 'api', origin: 'api' }),
        origin: 'api',
        causedBy: null,
        idempotencyKey: null,
        requestHash: null,
      };
      const seq = await store.withTransaction((tx) => appendEvent(tx.connection, j.journeyId, j.partitionNo, event), { label: 'floor-accept' });
      if (seq === null) throw new Error(`floor journey ${j.journeyId} missing`);
      const t1 = performance.now();
      steps.intake.push(t1 - t0);
      const d = j.data;
      const next =
        op.type === 'Deposit'
          ? { ...d, balance: d.balance + op.amount, deposits: d.deposits + 1 }
          : d.balance >= op.amount
            ? { ...d, balance: d.balance - op.amount, withdrawals: d.withdrawals + 1 }
            : d;
      const outcome = {
        eventId: event.eventId,
        journeyId: j.journeyId,
        outcome: 'applied',
        beadId: 'b1',
        seq,
        data: next,
        emitted: [{ type: op.type === 'Deposit' ? 'Deposited' : 'Withdrawn', payload: { amount: op.amount, balance: next.balance } }],
        handledAt: new Date().toISOString(),
      };
      const result = await commit({
        journeyId: j.journeyId,
        partitionNo: j.partitionNo,
        eventId: event.eventId,
        eventType: op.type,
        expectedHandledSeq: j.handledSeq,
        status: 'applied',
        lifecycle: 'active',
        dataJson: JSON.stringify(next),
        outcomeJson: JSON.stringify(outcome),
        feedback: [],
        timersToStart: [],
        timersToCancel: [],
        cancelTimersOnEvent: false,
        calls: [],
      });
      if (result.status !== 'committed') throw new Error(`floor commit ${result.status} for ${j.journeyId}`);
      const t2 = performance.now();
      steps.handling.push(t2 - t1);
      j.handledSeq += 1;
      j.data = next;
      const hot = { typeName: 'pfm/wallet', version: '1.0', lifecycle: 'active', data: next, handledSeq: j.handledSeq, acceptedSeq: seq };
      await putJourneyState(grid, j.journeyId, j.handledSeq, JSON.stringify(hot), DEFAULT_WORKER_OPTIONS.stateTtlMs);
      redisWrites += 1;
      const t3 = performance.now();
      steps.redis.push(t3 - t2);
      latencies.push(t3 - t0);
    };
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, journeys.length) }, async () => {
        for (;;) {
          const j = order.shift();
          if (!j) return;
          await one(j);
          if (j.sent < options.eventsPerJourney) order.push(j);
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    return {
      events: latencies.length,
      elapsedMs: Math.round(elapsedMs),
      eventsPerSec: Math.round((latencies.length / elapsedMs) * 1000),
      latencyMs: summarize(latencies),
      batches,
      meanBatch: batches === 0 ? 0 : Math.round((batched / batches) * 10) / 10,
      redisWrites,
      stepsMs: { intake: summarize(steps.intake), handling: summarize(steps.handling), redis: summarize(steps.redis) },
    };
  } finally {
    await grid.close().catch(() => undefined);
    await store.close().catch(() => undefined);
  }
}
