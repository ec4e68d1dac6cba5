/**
 * Uplift runs: move the instances of one journey version (optionally only those whose search
 * fields match) to a newer version of the type. Each instance gets an uplift event in its inbox,
 * handled in its own turn (see uplift-handling.ts), so traffic never stops and each instance
 * moves exactly once. A run is resumable: the idempotency key of an instance's uplift names the
 * instance and both versions, so a run started again after a crash finds the events it already
 * queued instead of queueing new ones, and the instances already moved no longer match.
 */
import { randomBytes } from 'node:crypto';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { checkUplift, upliftData } from '../dsl/index.js';
import type { CompiledJourney, JsonObject } from '../dsl/index.js';
import type { RunLocks } from '../grid/index.js';
import { compareVersions } from './deployment-registry.js';
import type { DeploymentRegistry } from './deployment-registry.js';
import type { JournalPort } from './ports.js';
import type { EventOutcome, UpliftRequest, UpliftRun } from './types.js';

export type { UpliftRequest, UpliftRun } from './types.js';

export interface UpliftRunnerDependencies {
  journal: JournalPort;
  deployments: DeploymentRegistry;
  locks: RunLocks;
  acceptUplift(input: { journeyId: string; from: string; to: string; idempotencyKey: string }): Promise<{ eventId: string; duplicate: boolean }>;
  awaitOutcome(eventId: string, timeoutMs: number): Promise<EventOutcome | null>;
  searchColumn(field: string): string;
  nowMs(): number;
  logger: Logger;
}

const MAX_FAILURES_KEPT = 50;
const LOCK_TTL_MS = 30_000;
/** How long a step waits for its uplifts to be handled before it goes on (they still move). */
const STEP_WAIT_MS = 30_000;

export class UpliftRunner {
  private readonly runs = new Map<string, UpliftRun>();
  /** Runs of this node still going: each ends (and frees its lock) once it is told to stop. */
  private readonly going = new Set<Promise<void>>();
  /** Aborted when the node stops. */
  private readonly stopping = new AbortController();
  /** Settles when the node stops: a step's wait for its outcomes ends then. */
  private readonly stopped = new Promise<'stopped'>((resolve) => {
    this.stopping.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });

  constructor(private readonly deps: UpliftRunnerDependencies) {}

  /** The run, as far as it got (runs of this node only; a crashed node's run is started again). */
  get(runId: string): UpliftRun | undefined {
    return this.runs.get(runId);
  }

  /**
   * Checks the request and takes the type's run lock, then runs in the background; the returned
   * run is updated as it goes. Refuses (4xx) a request that cannot run.
   */
  async start(request: UpliftRequest, onProgress?: (run: UpliftRun) => void): Promise<UpliftRun> {
    const { from, to, where, batch } = this.validate(request);
    if (this.stopping.signal.aborted) throw new JourneyError('JE_ENGINE_STOPPED', 'the engine is stopping', { retryAfterMs: 1000 });
    const lock = await this.deps.locks.acquire(`uplift:${request.journeyType}`, LOCK_TTL_MS);
    if (!lock) {
      throw new JourneyError('JE_UPLIFT_RUNNING', `an uplift of ${request.journeyType} is running already; wait for it, or resume it when it stopped`, {
        details: { journeyType: request.journeyType },
        retryAfterMs: 5_000,
      });
    }
    const run: UpliftRun = {
      runId: `up-${randomBytes(6).toString('hex')}`,
      journeyType: request.journeyType,
      from: from.version,
      to: to.version,
      where,
      dryRun: request.dryRun === true,
      status: 'running',
      scanned: 0,
      uplifted: 0,
      rejected: 0,
      resumed: 0,
      pending: 0,
      failures: [],
      startedAt: new Date(this.deps.nowMs()).toISOString(),
    };
    this.runs.set(run.runId, run);
    const log = this.deps.logger.child({ runId: run.runId, journeyType: run.journeyType, from: run.from, to: run.to, dryRun: run.dryRun });
    log.info({ where }, 'uplift run started');
    const going: Promise<void> = this.run(run, from, to, batch, (progress) => {
      log.info({ scanned: progress.scanned, uplifted: progress.uplifted, rejected: progress.rejected, pending: progress.pending }, 'uplift progress');
      onProgress?.(progress);
    })
      .then(() => {
        run.status = 'done';
      })
      .catch((error: unknown) => {
        const failure = ensureError(error);
        run.status = 'failed';
        run.error = { code: (failure as { code?: string }).code ?? 'JE_INTERNAL', message: failure.message };
        log.warn({ err: failure }, 'uplift run failed; start it again to resume');
      })
      .finally(() => {
        run.finishedAt = new Date(this.deps.nowMs()).toISOString();
        log.info({ status: run.status, scanned: run.scanned, uplifted: run.uplifted, rejected: run.rejected }, 'uplift run ended');
        onProgress?.(run);
        return lock.release();
      })
      .finally(() => this.going.delete(going));
    this.going.add(going);
    return run;
  }

  /**
   * The node stops: each run ends after its current step and frees its lock while the grid is
   * still there, so another node can resume it at once rather than after the lock's TTL.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.going]);
  }

  private validate(request: UpliftRequest): { from: CompiledJourney; to: CompiledJourney; where: Record<string, string>; batch: number } {
    const bad = (message: string, details: Record<string, unknown> = {}): JourneyError => new JourneyError('JE_BAD_REQUEST', message, { details });
    if (typeof request.journeyType !== 'string' || typeof request.from !== 'string' || typeof request.to !== 'string') {
      throw bad('an uplift names journeyType, from and to');
    }
    const from = this.deps.deployments.get(request.journeyType, request.from);
    const to = this.deps.deployments.get(request.journeyType, request.to);
    if (compareVersions(to.version, from.version) <= 0) throw bad(`an uplift goes to a newer version: ${to.version} is not newer than ${from.version}`);
    const batch = request.batch ?? 100;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw bad('batch must be an integer from 1 to 1000', { batch });
    const where = request.where ?? {};
    for (const [field, value] of Object.entries(where)) {
      if (!from.searchFields.some((f) => f.name === field)) {
        throw bad(`${field} is not a search field of ${from.name} ${from.version}`, { field, searchFields: from.searchFields.map((f) => f.name) });
      }
      if (typeof value !== 'string' || value.length > 255) throw bad(`the value for ${field} must be a string of at most 255 characters`, { field });
    }
    // Every valid instance of `from` must map to a valid one of `to` (checked on generated samples).
    const findings = checkUplift(from, to);
    if (findings.length > 0) {
      throw new JourneyError('JE_UPLIFT_INVALID', `${to.name} ${to.version} cannot take instances of ${from.version}: ${findings.length} finding(s)`, {
        details: { findings: findings.slice(0, 20) },
      });
    }
    return { from, to, where, batch };
  }

  private async run(run: UpliftRun, from: CompiledJourney, to: CompiledJourney, batch: number, progress: (run: UpliftRun) => void): Promise<void> {
    const equals = Object.entries(run.where).map(([field, value]) => ({ column: this.deps.searchColumn(field), value }));
    let after = '';
    for (;;) {
      if (this.stopping.signal.aborted) throw stoppedRun();
      const page = await this.deps.journal.searchJourneys({ typeName: from.name, typeVersion: from.version, equals, afterJourneyId: after, limit: batch });
      if (page.length === 0) break;
      after = page[page.length - 1]?.journeyId ?? after;
      run.scanned += page.length;
      if (run.dryRun) {
        for (const journey of page) this.tally(run, journey.journeyId, this.dryRunOutcome(to, from.version, journey.data as JsonObject | null));
      } else {
        const queued = await Promise.all(
          page.map((journey) =>
            this.deps.acceptUplift({
              journeyId: journey.journeyId,
              from: from.version,
              to: to.version,
              idempotencyKey: `uplift:${journey.journeyId}:${from.version}:${to.version}`,
            }),
          ),
        );
        run.resumed += queued.filter((q) => q.duplicate).length;
        // The queued uplifts are durable: they move whether or not this run waits to see it.
        const outcomes = await Promise.race([Promise.all(queued.map((q) => this.deps.awaitOutcome(q.eventId, STEP_WAIT_MS))), this.stopped]);
        if (outcomes === 'stopped') throw stoppedRun();
        outcomes.forEach((outcome, i) => {
          const journeyId = page[i]?.journeyId ?? '';
          if (outcome === null) run.pending += 1;
          else this.tally(run, journeyId, outcome.outcome === 'applied' ? null : (outcome.rejection?.message ?? 'rejected'));
        });
      }
      progress(run);
      if (page.length < batch) break;
    }
  }

  /** null: it moves; else why not. */
  private dryRunOutcome(to: CompiledJourney, fromVersion: string, data: JsonObject | null): string | null {
    if (data === null) return 'the journey has no data to uplift (its initiating event was rejected)';
    const result = upliftData(to, fromVersion, data, this.deps.nowMs());
    if (result.ok) return null;
    return result.violations
      .slice(0, 5)
      .map((v) => `${v.pointer || '/'} ${v.message}`)
      .join('; ');
  }

  private tally(run: UpliftRun, journeyId: string, failure: string | null): void {
    if (failure === null) {
      run.uplifted += 1;
      return;
    }
    run.rejected += 1;
    if (run.failures.length < MAX_FAILURES_KEPT) run.failures.push({ journeyId, message: failure });
  }
}

function stoppedRun(): JourneyError {
  return new JourneyError('JE_ENGINE_STOPPED', 'the node running the uplift stopped; start the run again (on any node) to resume');
}
