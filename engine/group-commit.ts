/**
 * The group commit: handled events of many journeys share one fenced transaction. A shared
 * commit that one member spoils is halved until that member commits alone, so one journey never
 * fails its batch mates; a member the store can never hold is answered `refused`.
 */
import { isConnectionError, isDuplicateKeyError, isPermanentStatementError } from '../cache-store/index.js';
import type { CommitResult, HandlingCommit } from '../cache-store/index.js';
import { activeSpanContext, contextOfSpan, ensureError, isJourneyError, tracingOn, withSpan } from '../common/index.js';
import type { SpanContext } from '../common/index.js';
import { Batcher } from './batcher.js';
import type { BatcherLimits } from './batcher.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';

/**
 * What a group commit answers for one member: the journal's result, or `refused` when the member's
 * own statements can never commit (too large for a packet, a value the store cannot hold), found
 * by committing it alone.
 */
export type MemberResult = CommitResult | { status: 'refused'; error: Error };

interface QueuedCommit {
  commit: HandlingCommit;
  /** The handling span that asked for this commit (traced only). */
  span: SpanContext | undefined;
  resolve: (result: MemberResult) => void;
  reject: (error: Error) => void;
}

export interface GroupCommitContext {
  ownerId: string;
  journal: JournalPort;
  metrics: EngineMetrics;
  /** The epochs this node holds now: the fence of the next commit. */
  leases: () => Map<number, number>;
}

export class GroupCommit {
  private readonly batcher: Batcher<QueuedCommit>;

  constructor(
    private readonly context: GroupCommitContext,
    limits: BatcherLimits,
  ) {
    this.batcher = new Batcher((batch) => this.runBatch(batch), limits);
  }

  /** Commits `commit` with whatever else is waiting; resolves with its own result. */
  commit(commit: HandlingCommit): Promise<MemberResult> {
    return new Promise((resolve, reject) => {
      this.batcher.push({ commit, span: activeSpanContext(), resolve, reject });
    });
  }

  /** Whether any commit runs or waits. */
  get busy(): boolean {
    return this.batcher.busy;
  }

  /**
   * Traced, a batch's commit is one span: a child of its first member's handling span, linked to
   * every member's (a shared commit belongs to several traces).
   */
  private runBatch(batch: QueuedCommit[]): Promise<void> {
    if (!tracingOn()) return this.commitBatch(batch);
    const links = batch.flatMap((queued) => (queued.span ? [{ context: queued.span }] : []));
    return withSpan(
      'journey.commit',
      () => ({ 'journey.commit.size': batch.length }),
      () => this.commitBatch(batch),
      {
        parent: contextOfSpan(batch[0]?.span),
        links,
      },
    );
  }

  private async commitBatch(batch: QueuedCommit[]): Promise<void> {
    const leases = this.context.leases();
    const started = performance.now();
    try {
      // A stable lock order across batches.
      const commits = batch.map((q) => q.commit);
      const results = await this.context.journal.commitHandlingBatch(this.context.ownerId, leases, commits);
      this.context.metrics.commitLatency.observe((performance.now() - started) / 1000);
      this.context.metrics.batchSize.observe(batch.length);
      batch.forEach((queued, i) => queued.resolve(results[i] ?? { status: 'conflict' }));
    } catch (error) {
      const wrapped = ensureError(error);
      // The store's trouble, not the members': an unknown commit outcome (each actor reloads
      // from the store, which tells) or no store at all. Every member retries later.
      // (A statement too large for a packet drops its connection too, but it is the member's fault.)
      const storeTrouble = isJourneyError(wrapped, 'JE_STORE_COMMIT_UNKNOWN') || (isConnectionError(error) && !isPermanentStatementError(error));
      if (!storeTrouble && batch.length > 1) {
        // One member spoiled the shared commit (which wrote nothing): a reused idempotency key
        // inline, a row too large, a value the store cannot hold. Halving isolates it in a few
        // commits, and every other member commits.
        this.context.metrics.retried.inc({ reason: isDuplicateKeyError(error) ? 'duplicate-key' : 'isolate' }, batch.length);
        const half = Math.ceil(batch.length / 2);
        await this.runBatch(batch.slice(0, half));
        await this.runBatch(batch.slice(half));
        return;
      }
      const [alone] = batch;
      if (alone && batch.length === 1 && isPermanentStatementError(error)) {
        alone.resolve({ status: 'refused', error: wrapped });
        return;
      }
      for (const queued of batch) queued.reject(wrapped);
    }
  }
}
