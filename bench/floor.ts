/**
 * The floor: the least durable work our design needs per event, with no engine around it — no
 * HTTP, no validation, no DSL, no mailboxes. Same store (pool, session settings, retrying
 * transactions), same SQL (the journal's own functions), same Redis script. Two paths, as the
 * engine has two:
 *
 * `inline` (the default; what the engine does with every event in this benchmark, since each one
 * reaches its journey's owner while the journey is idle and caught up):
 * 1. one `commitHandlingBatch` commit that accepts and handles the event (`accept` set): the fence
 *    (partition rows LOCK IN SHARE MODE), the conditional UPDATE journeys (also bumping
 *    accepted_seq, holding only while accepted_seq = handled_seq), INSERT of the event already
 *    handled — group-committed as the worker does it (up to `maxBatch` commits per transaction,
 *    `commitConcurrency` transactions at once);
 * 2. the hot-state write to Redis (`put-state` script, one round trip).
 *
 * `two-step` (the engine's normal way, when an event cannot go inline):
 * 1. intake: UPDATE journeys SET accepted_seq = LAST_INSERT_ID(accepted_seq + 1) + INSERT events,
 *    COMMIT — group-committed as the engine's intake does it (`acceptBatch`: events arriving while
 *    earlier ones commit share the next transaction, 4 in flight, at most 256 each; a lone event
 *    goes alone through `appendEvent`), or with `intake: 'single'` one transaction per event;
 * 2. handling: `commitHandlingBatch` without `accept` — the fence, the conditional UPDATE
 *    journeys, UPDATE events — group-committed as above;
 * 3. the hot-state write to Redis.
 *
 * `concurrency` loops each run one event through its steps before taking the next, one event in
 * flight per journey, like the HTTP load with `?wait`. The floor runs in turns (`run`) so it can
 * take turns with the engine under the same background load.
 */
import { ulid } from 'ulid';
import { acceptBatch, acquirePartitions, appendEvent, commitHandlingBatch, ensurePartitions, openStore } from '../cache-store/index.js';
import type { CommitResult, HandlingCommit, IntakeEntry, NewEvent, Store } from '../cache-store/index.js';
import { silentLogger } from '../common/index.js';
import { DEFAULT_WORKER_OPTIONS, partitionOf } from '../engine/index.js';
import { connectGrid, putHotState } from '../grid/index.js';
import type { Grid } from '../grid/index.js';
import { opOf } from './load.js';
import { summarize } from './stats.js';
import type { LatencySummary } from './stats.js';

export interface FloorOptions {
  mariadbUrl: string;
  seeds: readonly string[];
  keyPrefix: string;
  journeys: number;
  concurrency: number;
  partitions: number;
  /**
   * `inline`: one group-committed transaction accepts and handles each event, as the engine's
   * inline handling does; `two-step`: an intake transaction, then the handling group commit.
   * @defaultValue 'inline'
   */
  path?: FloorPath;
  /**
   * The two-step path's intake. `group`: intake transactions shared by concurrent events, as the
   * engine's intake does (4 in flight, at most 256 each); `single`: one intake transaction per event.
   * @defaultValue 'group'
   */
  intake?: 'group' | 'single';
}

export type FloorPath = 'inline' | 'two-step';

/** The engine's intake batching (engine/intake.ts defaults). */
const INTAKE_CONCURRENCY = 4;
const MAX_INTAKE_BATCH = 256;

export interface FloorResult {
  path: FloorPath;
  /** The two-step path's intake; null inline (no intake transaction). */
  intake: 'group' | 'single' | null;
  /** Mean events per intake transaction; null inline. */
  meanIntakeBatch: number | null;
  events: number;
  elapsedMs: number;
  eventsPerSec: number;
  latencyMs: LatencySummary;
  batches: number;
  meanBatch: number;
  redisWrites: number;
  /**
   * Where an event's time went: the intake transaction (two-step only, else null), waiting for +
   * running the handling group commit (inline, the one commit that also accepts), Redis.
   */
  stepsMs: { intake: LatencySummary | null; handling: LatencySummary; redis: LatencySummary };
  /** Throughput of each turn. */
  rounds: number[];
}

interface FloorJourney {
  journeyId: string;
  partitionNo: number;
  handledSeq: number;
  data: { owner: string; currency: string; balance: number; status: string; deposits: number; withdrawals: number };
  sent: number;
}

interface Queued {
  commit: HandlingCommit;
  resolve: (r: CommitResult) => void;
  reject: (e: unknown) => void;
}

interface QueuedIntake {
  entry: IntakeEntry;
  resolve: (seq: number) => void;
  reject: (e: unknown) => void;
}

export class Floor {
  private readonly owner = `floor:${ulid().slice(-8)}`;
  private leases = new Map<number, number>();
  private journeys: FloorJourney[] = [];
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private readonly intakeQueue: QueuedIntake[] = [];
  private intakeInFlight = 0;
  private intakeBatches = 0;
  private intakeBatched = 0;
  private batches = 0;
  private batched = 0;
  private redisWrites = 0;
  private elapsedMs = 0;
  private readonly latencies: number[] = [];
  private readonly steps = { intake: [] as number[], handling: [] as number[], redis: [] as number[] };
  private readonly rounds: number[] = [];
  private readonly path: FloorPath;

  private constructor(
    private readonly options: FloorOptions,
    private readonly store: Store,
    private readonly grid: Grid,
  ) {
    this.path = options.path ?? 'inline';
  }

  /** Opens the store and the grid, leases every partition and creates the journeys (not timed). */
  static async setup(options: FloorOptions): Promise<Floor> {
    const store = await openStore({ url: options.mariadbUrl, logger: silentLogger() });
    const grid = await connectGrid({ urls: [...options.seeds], keyPrefix: options.keyPrefix });
    const floor = new Floor(options, store, grid);
    try {
      await store.withTransaction(
        (tx) =>
          ensurePartitions(
            tx.connection,
            Array.from({ length: options.partitions }, (_, i) => i),
          ),
        { label: 'floor-partitions' },
      );
      const all = Array.from({ length: options.partitions }, (_, i) => i);
      floor.leases = await store.withTransaction((tx) => acquirePartitions(tx.connection, floor.owner, all, 3_600_000), { label: 'floor-acquire' });
      floor.journeys = Array.from({ length: options.journeys }, (_, i) => {
        const journeyId = ulid();
        return {
          journeyId,
          partitionNo: partitionOf(journeyId, options.partitions),
          handledSeq: 0,
          data: { owner: `floor-owner-${i}`, currency: 'EUR', balance: 0, status: 'open', deposits: 0, withdrawals: 0 },
          sent: 0,
        };
      });
      for (let i = 0; i < floor.journeys.length; i += 500) {
        const chunk = floor.journeys.slice(i, i + 500);
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
      return floor;
    } catch (error) {
      await floor.close();
      throw error;
    }
  }

  /** The group committer, as the worker runs it. */
  private pump(): void {
    const { maxBatch, commitConcurrency } = DEFAULT_WORKER_OPTIONS;
    while (this.inFlight < commitConcurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, maxBatch);
      this.inFlight += 1;
      this.batches += 1;
      this.batched += batch.length;
      const commits = batch.map((q) => q.commit);
      this.store
        .withTransaction((tx) => commitHandlingBatch(tx.connection, this.owner, this.leases, commits), { label: 'floor-handle' })
        .then(
          (results) => batch.forEach((q, i) => q.resolve(results[i] ?? { status: 'conflict' })),
          (error: unknown) => batch.forEach((q) => q.reject(error)),
        )
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }

  /** Group intake, as engine/intake.ts runs it: a lone event alone, a burst in one transaction. */
  private pumpIntake(): void {
    while (this.intakeInFlight < INTAKE_CONCURRENCY && this.intakeQueue.length > 0) {
      const batch = this.intakeQueue.splice(0, MAX_INTAKE_BATCH);
      this.intakeInFlight += 1;
      this.intakeBatches += 1;
      this.intakeBatched += batch.length;
      const run =
        batch.length === 1
          ? this.store
              .withTransaction(
                (tx) => appendEvent(tx.connection, batch[0]?.entry.journeyId ?? '', batch[0]?.entry.partitionNo ?? 0, batch[0]?.entry.event as NewEvent),
                { label: 'floor-accept' },
              )
              .then((seq) => [seq])
          : this.store
              .withTransaction(
                (tx) =>
                  acceptBatch(
                    tx.connection,
                    batch.map((q) => q.entry),
                  ),
                { label: 'floor-accept-batch' },
              )
              .then((results) => results.map((r) => (r.status === 'accepted' ? r.journeySeq : null)));
      run
        .then(
          (seqs) =>
            batch.forEach((q, i) => {
              const seq = seqs[i];
              if (seq === null || seq === undefined) q.reject(new Error(`floor journey ${q.entry.journeyId} missing`));
              else q.resolve(seq);
            }),
          (error: unknown) => batch.forEach((q) => q.reject(error)),
        )
        .finally(() => {
          this.intakeInFlight -= 1;
          this.pumpIntake();
        });
    }
  }

  private accept(j: FloorJourney, event: NewEvent): Promise<number> {
    if (this.options.intake === 'single') {
      this.intakeBatches += 1;
      this.intakeBatched += 1;
      return this.store
        .withTransaction((tx) => appendEvent(tx.connection, j.journeyId, j.partitionNo, event), { label: 'floor-accept' })
        .then((seq) => {
          if (seq === null) throw new Error(`floor journey ${j.journeyId} missing`);
          return seq;
        });
    }
    return new Promise((resolve, reject) => {
      this.intakeQueue.push({
        entry: { kind: 'target', journeyId: j.journeyId, typeName: 'pfm/wallet', typeVersion: '1.0', partitionNo: j.partitionNo, event },
        resolve,
        reject,
      });
      this.pumpIntake();
    });
  }

  private commit(commit: HandlingCommit): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ commit, resolve, reject });
      this.pump();
    });
  }

  private async one(j: FloorJourney): Promise<void> {
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
    const inline = this.path === 'inline';
    // Inline, the commit itself accepts the event at the next seq (the journey is caught up).
    const seq = inline ? j.handledSeq + 1 : await this.accept(j, event);
    const t1 = performance.now();
    if (!inline) this.steps.intake.push(t1 - t0);
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
    const result = await this.commit({
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
      ...(inline ? { accept: event } : {}),
      timersToStart: [],
      timersToCancel: [],
      cancelTimersOnEvent: false,
      calls: [],
    });
    if (result.status !== 'committed') throw new Error(`floor commit ${result.status} for ${j.journeyId}`);
    const t2 = performance.now();
    this.steps.handling.push(t2 - t1);
    j.handledSeq += 1;
    j.data = next;
    const hot = { typeName: 'pfm/wallet', version: '1.0', lifecycle: 'active', data: next, handledSeq: j.handledSeq, acceptedSeq: seq };
    await putHotState(this.grid, j.journeyId, j.handledSeq, JSON.stringify(hot), DEFAULT_WORKER_OPTIONS.stateTtlMs);
    this.redisWrites += 1;
    const t3 = performance.now();
    this.steps.redis.push(t3 - t2);
    this.latencies.push(t3 - t0);
  }

  /** One turn: `perJourney` more events for every journey; returns this turn's events/s. */
  async run(perJourney: number): Promise<number> {
    const order = [...this.journeys];
    const target = new Map(this.journeys.map((j) => [j, j.sent + perJourney]));
    const before = this.latencies.length;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(this.options.concurrency, order.length) }, async () => {
        for (;;) {
          const j = order.shift();
          if (!j) return;
          await this.one(j);
          if (j.sent < (target.get(j) ?? 0)) order.push(j);
        }
      }),
    );
    const elapsed = performance.now() - started;
    this.elapsedMs += elapsed;
    const rate = Math.round(((this.latencies.length - before) / elapsed) * 1000);
    this.rounds.push(rate);
    return rate;
  }

  result(): FloorResult {
    const twoStep = this.path === 'two-step';
    return {
      path: this.path,
      intake: twoStep ? (this.options.intake ?? 'group') : null,
      meanIntakeBatch: !twoStep ? null : this.intakeBatches === 0 ? 0 : Math.round((this.intakeBatched / this.intakeBatches) * 10) / 10,
      events: this.latencies.length,
      elapsedMs: Math.round(this.elapsedMs),
      eventsPerSec: this.elapsedMs > 0 ? Math.round((this.latencies.length / this.elapsedMs) * 1000) : 0,
      latencyMs: summarize(this.latencies),
      batches: this.batches,
      meanBatch: this.batches === 0 ? 0 : Math.round((this.batched / this.batches) * 10) / 10,
      redisWrites: this.redisWrites,
      stepsMs: { intake: twoStep ? summarize(this.steps.intake) : null, handling: summarize(this.steps.handling), redis: summarize(this.steps.redis) },
      rounds: [...this.rounds],
    };
  }

  async close(): Promise<void> {
    await this.grid.close().catch(() => undefined);
    await this.store.close().catch(() => undefined);
  }
}
