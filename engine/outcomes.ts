import { BoundedMap } from './bounded-map.js';
import type { EventOutcome } from './types.js';

interface Waiter {
  resolve(outcome: EventOutcome): void;
}

/**
 * Where handled outcomes meet the callers waiting for them (`?wait`). Outcomes are kept for a
 * short while, because a caller may start waiting only after the outcome has arrived.
 */
export class OutcomeHub {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly recent: BoundedMap<string, EventOutcome>;

  constructor(keepRecent = 10_000) {
    this.recent = new BoundedMap(keepRecent);
  }

  publish(outcome: EventOutcome): void {
    this.recent.set(outcome.eventId, outcome);
    const waiting = this.waiters.get(outcome.eventId);
    if (!waiting) return;
    this.waiters.delete(outcome.eventId);
    for (const waiter of waiting) waiter.resolve(outcome);
  }

  recentOutcome(eventId: string): EventOutcome | undefined {
    return this.recent.get(eventId);
  }

  /** Resolves with the outcome, or null after `timeoutMs`; `poll` is asked every `pollEveryMs` as a fallback. */
  wait(eventId: string, timeoutMs: number, poll: () => Promise<EventOutcome | null>, pollEveryMs = 250): Promise<EventOutcome | null> {
    const known = this.recent.get(eventId);
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
