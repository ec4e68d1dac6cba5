import type { EventOutcome } from './types.js';

interface Waiter {
  resolve(outcome: EventOutcome): void;
}

/** How many recent outcomes a hub keeps, by count and by their size. */
export interface OutcomeHubLimits {
  /** @defaultValue 10000 */
  maxCount: number;
  /** Their JSON size in all, in bytes (each holds a copy of its journey's data). @defaultValue 32 MiB */
  maxBytes: number;
}

export const DEFAULT_OUTCOME_HUB_LIMITS: OutcomeHubLimits = { maxCount: 10_000, maxBytes: 32 * 1024 * 1024 };

/**
 * Where handled outcomes meet the callers waiting for them (`?wait`). Outcomes are kept for a
 * short while, because a caller may start waiting only after the outcome has arrived. Bounded by
 * bytes as well as by count: with large journeys a count alone holds gigabytes. An outcome no
 * longer kept is answered from the store.
 */
export class OutcomeHub {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly recent = new Map<string, { outcome: EventOutcome; bytes: number }>();
  private recentBytes = 0;

  constructor(private readonly limits: OutcomeHubLimits = DEFAULT_OUTCOME_HUB_LIMITS) {}

  /** `bytes`: the outcome's size as JSON, when the caller knows it (else it is measured). */
  publish(outcome: EventOutcome, bytes?: number): void {
    this.remember(outcome, bytes ?? JSON.stringify(outcome).length);
    const waiting = this.waiters.get(outcome.eventId);
    if (!waiting) return;
    this.waiters.delete(outcome.eventId);
    for (const waiter of waiting) waiter.resolve(outcome);
  }

  private remember(outcome: EventOutcome, bytes: number): void {
    const previous = this.recent.get(outcome.eventId);
    if (previous) {
      this.recent.delete(outcome.eventId);
      this.recentBytes -= previous.bytes;
    }
    if (bytes > this.limits.maxBytes) return; // larger than the whole budget: the store answers
    this.recent.set(outcome.eventId, { outcome, bytes });
    this.recentBytes += bytes;
    for (const [eventId, entry] of this.recent) {
      if (this.recent.size <= this.limits.maxCount && this.recentBytes <= this.limits.maxBytes) break;
      this.recent.delete(eventId);
      this.recentBytes -= entry.bytes;
    }
  }

  recentOutcome(eventId: string): EventOutcome | undefined {
    return this.recent.get(eventId)?.outcome;
  }

  /** What the recent outcomes hold: their count and JSON size. */
  get kept(): { count: number; bytes: number } {
    return { count: this.recent.size, bytes: this.recentBytes };
  }

  /** Resolves with the outcome, or null after `timeoutMs`; `poll` is asked every `pollEveryMs` as a fallback. */
  wait(eventId: string, timeoutMs: number, poll: () => Promise<EventOutcome | null>, pollEveryMs = 250): Promise<EventOutcome | null> {
    const known = this.recent.get(eventId)?.outcome;
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: EventOutcome | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearInterval(poller);
        const set = this.waiters.get(eventId);
        set?.delete(waiter);
        if (set && set.size === 0) this.waiters.delete(eventId);
        resolve(outcome);
      };
      const waiter: Waiter = { resolve: finish };
      const set = this.waiters.get(eventId) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiters.set(eventId, set);
      const deadline = setTimeout(() => finish(null), timeoutMs);
      const check = (): void => {
        poll().then(
          (outcome) => {
            if (outcome) finish(outcome);
          },
          () => undefined,
        );
      };
      // No poll at once: an outcome that arrived first is in `recent`; the store is asked only
      // if the notification is late or lost.
      const poller = setInterval(check, pollEveryMs);
    });
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
