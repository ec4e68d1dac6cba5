import { ensureError, type Logger } from '../common/index.js';

/** What a {@link ClientWatchdog} probes with and how it has the client replaced. */
export interface WatchdogOptions {
  /** How often to probe, in ms; 0 turns the watchdog off. */
  intervalMs: number;
  /** Consecutive failed probes after which the client is replaced. */
  failures: number;
  logger: Logger;
  /** One probe (a PING); rejects when the grid does not answer. */
  probe(): Promise<unknown>;
  /** Replaces the client; true when it did, false to try again after the next failed probe. */
  replace(): Promise<boolean>;
}

/**
 * The grid connection's health-probe watchdog: probes on a timer and, after `failures` failed
 * probes in a row, has the client replaced (ioredis can stay stuck after a topology change).
 */
export class ClientWatchdog {
  private readonly options: WatchdogOptions;
  private timer: NodeJS.Timeout | undefined;
  private failedProbes = 0;
  private probing = false;
  private stopped = false;

  constructor(options: WatchdogOptions) {
    this.options = options;
  }

  start(): void {
    if (this.options.intervalMs > 0) {
      this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** One watchdog tick: PING; after `watchdogFailures` failures in a row, replace the client. */
  private async probe(): Promise<void> {
    if (this.probing || this.stopped) return;
    this.probing = true;
    try {
      await this.options.probe();
      this.failedProbes = 0;
    } catch (thrown: unknown) {
      this.failedProbes += 1;
      this.options.logger.warn({ err: ensureError(thrown), failedProbes: this.failedProbes }, 'redis grid health probe failed');
      if (this.failedProbes >= this.options.failures && (await this.options.replace())) this.failedProbes = 0;
    } finally {
      this.probing = false;
    }
  }
}
