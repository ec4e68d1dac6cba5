/**
 * Measures this node's clock against the database's, which is the one clock of the cluster:
 * leases expire by it, and timers and forwarding deadlines follow it through the corrected clock
 * this keeps up to date. A node whose own clock is wrong (days ahead, say) then still schedules
 * and fires timers at the right time, and its deadlines mean the same to the nodes it talks to.
 */
import { ensureError } from '../common/index.js';
import type { ClockSample, CorrectedClock, Logger } from '../common/index.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';

export interface ClockSyncOptions {
  /** How often the skew is measured again. @defaultValue 10000 */
  everyMs: number;
  /** A skew larger than this (either way) is logged as a warning. @defaultValue 1000 */
  warnAboveMs: number;
}

export const DEFAULT_CLOCK_SYNC_OPTIONS: ClockSyncOptions = { everyMs: 10_000, warnAboveMs: 1_000 };

/** Readings per measurement; the one with the shortest round trip is kept. */
const SAMPLES = 3;
/** While the skew stays past the threshold, the warning is repeated this often. */
const REWARN_EVERY_MS = 60_000;

export class ClockSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private warnedAtMs: number | null = null;
  private readonly log: Logger;

  constructor(
    private readonly clock: CorrectedClock,
    private readonly journal: JournalPort,
    private readonly metrics: EngineMetrics,
    logger: Logger,
    private readonly options: ClockSyncOptions,
  ) {
    this.log = logger.child({ component: 'clock' });
  }

  /** Measures once; resolves when the corrected clock follows the database. Throws when the store is unreachable. */
  async sync(): Promise<void> {
    const samples: ClockSample[] = await this.journal.sampleDatabaseClock(
      SAMPLES,
      () => this.clock.localNowMs(),
      () => this.clock.monotonicMs(),
    );
    this.clock.observe(samples);
    const skewMs = this.clock.skewMs;
    this.metrics.clockSkew.set(skewMs / 1000);
    const now = this.clock.monotonicMs();
    if (Math.abs(skewMs) > this.options.warnAboveMs) {
      if (this.warnedAtMs === null || now - this.warnedAtMs >= REWARN_EVERY_MS) {
        this.warnedAtMs = now;
        this.log.warn(
          { skewMs: Math.round(skewMs), warnAboveMs: this.options.warnAboveMs },
          "this node's clock differs from the database's; timers and deadlines follow the database — fix the node's time sync",
        );
      }
    } else if (this.warnedAtMs !== null) {
      this.warnedAtMs = null;
      this.log.info({ skewMs: Math.round(skewMs) }, "this node's clock agrees with the database's again");
    }
  }

  /** Measures again every `everyMs` until {@link stop}. */
  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sync()
        .catch((error: unknown) => this.log.warn({ err: ensureError(error) }, 'clock skew not measured; keeping the last measurement'))
        .finally(() => {
          this.running = null;
        });
    }, this.options.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
  }
}
