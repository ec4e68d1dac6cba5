/**
 * Whether MariaDB is known to be down. Without it, every new accept would wait out the pool's
 * acquire timeout (10 s by default) before its 503, holding its client and a slot of the
 * in-flight bound all that time. Once any store call has failed for want of a connection, the
 * store counts as down: intake refuses new events at once (503 JE_STORE_UNAVAILABLE with
 * Retry-After), readiness says so without asking the store, and a background probe — one bounded
 * `SELECT 1` at a time — marks it up again as soon as it answers.
 *
 * Refusing is always safe: a refused event was never written. Work already past admission is
 * left alone and answers as it would have (acknowledged only once committed).
 */
import { isConnectionError, isPermanentStatementError } from '../cache-store/index.js';
import { JourneyError, ensureError, isJourneyError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';

export interface StoreHealthOptions {
  /** Pause between probes while the store is down, in milliseconds. @defaultValue 500 */
  probeEveryMs: number;
  /**
   * A probe not answered by then counts as failed. It is left to finish rather than abandoned:
   * while it hangs (a frozen server) no second one starts, so probes never pile up in the pool.
   * @defaultValue 1000
   */
  probeTimeoutMs: number;
  /** What refused callers are told to wait (`Retry-After`), in milliseconds. @defaultValue 1000 */
  retryAfterMs: number;
}

export const DEFAULT_STORE_HEALTH_OPTIONS: StoreHealthOptions = { probeEveryMs: 500, probeTimeoutMs: 1_000, retryAfterMs: 1_000 };

/** Marks the tracker's own refusals, so feeding one back in is not a new failure. */
const REFUSAL = 'storeKnownDown';

/**
 * True for a failure that says the store cannot be reached (as opposed to one statement or
 * transaction failing): no connection to be had, or the connection broke.
 */
export function isStoreDownError(error: unknown): boolean {
  if (isJourneyError(error) && error.details[REFUSAL] === true) return false;
  // A statement too large for a packet drops its connection, but the store is up.
  if (isPermanentStatementError(error)) return false;
  return isJourneyError(error, 'JE_STORE_UNAVAILABLE') || isJourneyError(error, 'JE_STORE_COMMIT_UNKNOWN') || isConnectionError(error);
}

export class StoreHealthTracker {
  private downSince: number | null = null;
  private lastError = '';
  private probing: Promise<void> | null = null;
  private active = false;
  private closed = false;
  private readonly downListeners: Array<() => void> = [];
  private readonly stopProbing = new AbortController();

  /** `probe` resolves true when the store answered; it must not throw. */
  constructor(
    private readonly probe: () => Promise<boolean>,
    private readonly metrics: EngineMetrics,
    private readonly logger: Logger,
    private readonly options: StoreHealthOptions = DEFAULT_STORE_HEALTH_OPTIONS,
  ) {
    metrics.storeUp.set(1);
  }

  get up(): boolean {
    return this.downSince === null;
  }

  /**
   * Starts tracking, once the engine has started: a failure while it starts fails the start
   * instead (no probe loop is left behind by an engine that never ran).
   */
  start(): void {
    this.active = true;
  }

  /** Calls `listener` each time the store is found down (intake refuses its queued accepts). */
  onDown(listener: () => void): void {
    this.downListeners.push(listener);
  }

  /** Wraps the journal so that every unit of work's connection-class failure marks the store down. */
  watch(journal: JournalPort): JournalPort {
    return new Proxy(journal, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.catch((error: unknown) => {
            this.observe(error);
            throw error;
          });
        };
      },
    });
  }

  /** Feeds a failure of a store call; one that says the store is unreachable marks it down. */
  observe(error: unknown): void {
    if (isStoreDownError(error)) this.markDown(error);
  }

  /** Throws JE_STORE_UNAVAILABLE (with Retry-After) while the store is known down. */
  admit(): void {
    if (this.downSince === null) return;
    throw new JourneyError('JE_STORE_UNAVAILABLE', 'MariaDB is unreachable; new events are refused until it answers again', {
      retryAfterMs: this.options.retryAfterMs,
      details: { [REFUSAL]: true, downForMs: Date.now() - this.downSince },
    });
  }

  /**
   * The store's health for readiness: while it is known down, at once and without a query (which
   * would wait out the pool's acquire timeout); otherwise the store is asked, and a failed answer
   * marks it down too.
   */
  async health(ask: () => Promise<{ ok: boolean; error?: string }>): Promise<{ ok: boolean; error?: string }> {
    if (this.downSince !== null) {
      return { ok: false, error: `unreachable since ${new Date(this.downSince).toISOString()}: ${this.lastError}` };
    }
    const answer = await ask();
    if (!answer.ok) this.markDown(new Error(answer.error ?? 'the store did not answer'));
    return answer;
  }

  markDown(error: unknown): void {
    if (!this.active || this.closed) return;
    this.lastError = ensureError(error).message.slice(0, 300);
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.metrics.storeUp.set(0);
    this.metrics.storeOutages.inc();
    this.logger.warn({ err: ensureError(error) }, 'MariaDB unreachable: refusing new events until a probe answers');
    this.probing = this.probeUntilUp();
    for (const listener of this.downListeners) {
      try {
        listener();
      } catch (listenerError) {
        this.logger.warn({ err: ensureError(listenerError) }, 'a store-down listener failed');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopProbing.abort();
    await this.probing;
  }

  private async probeUntilUp(): Promise<void> {
    let pending: Promise<boolean> | null = null;
    while (!this.closed) {
      const started = performance.now();
      pending ??= this.probe().catch(() => false);
      const answered = await this.within(pending, this.options.probeTimeoutMs);
      if (answered !== null) pending = null;
      if (answered === true) {
        const downForMs = this.downSince === null ? 0 : Date.now() - this.downSince;
        this.downSince = null;
        this.metrics.storeUp.set(1);
        this.logger.info({ downForMs }, 'MariaDB answers again: accepting new events');
        return;
      }
      await this.pause(Math.max(0, this.options.probeEveryMs - (performance.now() - started)));
    }
  }

  private pause(ms: number): Promise<null> {
    return this.within(new Promise<null>(() => undefined), ms);
  }

  /** `promise`'s value, or null after `ms` or on close (the timer never outlives the wait). */
  private within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
    return new Promise<T | null>((resolve) => {
      const done = (value: T | null): void => {
        clearTimeout(timer);
        this.stopProbing.signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => done(null);
      const timer = setTimeout(() => done(null), ms);
      this.stopProbing.signal.addEventListener('abort', onAbort, { once: true });
      if (this.stopProbing.signal.aborted) done(null);
      promise.then(done, () => done(null));
    });
  }
}
