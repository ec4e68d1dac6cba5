/**
 * Timers: the ones due by the database's clock fire exactly once, each in the same transaction
 * that appends the timer's event to its journey (JournalPort.fireTimer).
 */
import type { JournalEvent, NewEvent } from '../cache-store/index.js';
import type { Clock, Logger } from '../common/index.js';
import { SYSTEM_CONTEXTS } from '../dsl/index.js';
import { newId } from './ids.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';

export interface TimerFiringContext {
  journal: JournalPort;
  clock: Clock;
  /** The clock stands in for the database's (a test moving time by hand): timers fall due by it. */
  timersByClock: boolean;
  metrics: EngineMetrics;
  log: Logger;
  ownedPartitions(): number[];
  /** Whether new work may start on the partition (owned, not being handed over). */
  active(partitionNo: number): boolean;
  /** Hands the fired timer's event to its journey's mailbox. */
  deliver(event: JournalEvent): boolean;
}

/**
 * The longest the poll sleeps on what it knows of the next timer: a bound on the delay of a timer
 * that arrived in a held partition without this node's knowledge (an uplift moved it here).
 */
const LONGEST_QUIET_MS = 2_000;

export class TimerFiring {
  /** Monotonic ms before which no timer of the held partitions falls due, as far as this node knows. */
  private quietUntilMs = 0;
  /** Bumped by {@link expectTimers}: a poll's finding is stale if it changed meanwhile. */
  private expected = 0;

  constructor(private readonly context: TimerFiringContext) {}

  /**
   * A timer may fall due sooner than the poll expects: this node committed one, or took over
   * partitions with timers of their own. The next poll reads the store.
   */
  expectTimers(): void {
    this.expected += 1;
    this.quietUntilMs = 0;
  }

  /**
   * Fires the timers due (by the database's clock) in the partitions held, each exactly once.
   * When none is due it reads when the next one is, and skips the polls until then (at most
   * {@link LONGEST_QUIET_MS}): an idle node reads timers every 2 s, not four times a second.
   */
  async fireDue(): Promise<void> {
    const partitions = this.context.ownedPartitions();
    if (partitions.length === 0) return;
    // A test moving the clock by hand decides dueness itself: every poll reads.
    const byClock = this.context.timersByClock;
    const { clock } = this.context;
    if (!byClock && clock.monotonicMs() < this.quietUntilMs) return;
    const expected = this.expected;
    const polledAtMs = clock.monotonicMs();
    // Due by the database's clock: a node whose own clock runs days ahead must not fire early.
    const at = byClock ? clock.nowMs() : undefined;
    const due = await this.context.journal.dueTimers(partitions, 200, at);
    if (due.length === 0 && !byClock) {
      const nextInMs = await this.context.journal.nextTimerDueInMs(partitions);
      const quietMs = nextInMs === null ? LONGEST_QUIET_MS : Math.min(LONGEST_QUIET_MS, Math.max(0, nextInMs));
      if (expected === this.expected) this.quietUntilMs = polledAtMs + quietMs;
    }
    for (const timer of due) {
      if (!this.context.active(timer.partitionNo)) continue;
      const eventId = newId();
      const context = SYSTEM_CONTEXTS.timer;
      const newEvent: NewEvent = {
        eventId,
        type: timer.eventType,
        payloadJson: JSON.stringify(timer.payload),
        contextJson: JSON.stringify(context),
        origin: 'timer',
        causedBy: null,
        idempotencyKey: `timer:${timer.timerId}`,
        requestHash: null,
      };
      // Firing and accepting the timer's event are one transaction: exactly once.
      const seq = await this.context.journal.fireTimer(timer, newEvent);
      if (seq === null) continue;
      this.context.metrics.accepted.inc({ origin: 'timer' });
      this.context.log.info({ journeyId: timer.journeyId, eventId, timer: timer.name }, 'timer fired');
      this.context.deliver({
        eventId,
        journeyId: timer.journeyId,
        journeySeq: seq,
        partitionNo: timer.partitionNo,
        type: timer.eventType,
        payload: timer.payload,
        context: context as unknown as Record<string, unknown>,
        origin: 'timer',
        causedBy: null,
      });
    }
  }
}
