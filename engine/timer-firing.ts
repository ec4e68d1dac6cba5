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

export class TimerFiring {
  constructor(private readonly context: TimerFiringContext) {}

  /** Fires the timers due (by the database's clock) in the partitions held, each exactly once. */
  async fireDue(): Promise<void> {
    const partitions = this.context.ownedPartitions();
    if (partitions.length === 0) return;
    // Due by the database's clock: a node whose own clock runs days ahead must not fire early.
    const at = this.context.timersByClock ? this.context.clock.nowMs() : undefined;
    const due = await this.context.journal.dueTimers(partitions, 200, at);
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
