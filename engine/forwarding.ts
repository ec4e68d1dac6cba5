/**
 * Forwarding: a node that does not own a journey's partition (an API-only node, or a combined
 * node the balancer picked) hands the validated, not yet written event to the owner, which
 * handles it inline (one commit accepts and handles it) and answers with its journey_seq.
 *
 * Safety does not depend on the answer arriving. If it is late or lost, the forwarding node
 * accepts the event the normal way under the *same event id*: the event id is the events table's
 * primary key, so the event is written once whichever commit lands first, and the loser learns
 * the winner's seq from the store.
 */
import type { Clock, Logger } from '../common/index.js';
import { newId } from './ids.js';
import type { EngineMetrics } from './metrics.js';
import type { GridPort } from './ports.js';
import type { InlineEvent } from './ports.js';

interface Waiting {
  resolve: (journeySeq: number | null) => void;
  timer: NodeJS.Timeout;
}

export class InlineForwarder {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly grid: GridPort,
    private readonly ownerId: string,
    /** The partition's owner as last read from the grid, if known. */
    private readonly ownerOf: (partitionNo: number) => string | undefined,
    private readonly timeoutMs: number,
    private readonly metrics: EngineMetrics,
    private readonly logger: Logger,
    /** The database's clock as this node measures it: the owner reads the deadline on its own. */
    private readonly clock: Clock,
  ) {}

  /**
   * Resolves with the journey_seq the owner committed the event at, or null when the caller
   * must accept it itself: no known owner, the owner declined, or no answer within the timeout.
   */
  forward(event: InlineEvent): Promise<number | null> {
    const owner = this.ownerOf(event.partitionNo);
    if (!owner || owner === this.ownerId) return Promise.resolve(null);
    const requestId = newId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        this.metrics.forwarded.inc({ result: 'timeout' });
        resolve(null);
      }, this.timeoutMs);
      this.waiting.set(requestId, { resolve, timer });
      // Past this the owner declines the request as stale (it was paused, say): the sender has
      // stopped waiting by then. On the database's clock, which both nodes measure, since their
      // own wall clocks may be far apart; at least a second, for the error of that measurement.
      const deadlineMs = this.clock.nowMs() + Math.max(this.timeoutMs, 1_000);
      this.grid
        .send(owner, { kind: 'handle', requestId, replyTo: this.ownerId, deadlineMs, event: { ...event, replyTo: this.ownerId } })
        .catch((error: unknown) => {
          this.logger.debug({ err: error, owner }, 'forward not sent; accepting here');
          this.settle(requestId, null, 'unsent');
        });
    });
  }

  /** The owner's answer: its journey_seq, or null when it did not take the event. */
  settle(requestId: string, journeySeq: number | null, failure: 'declined' | 'unsent' = 'declined'): void {
    const waiting = this.waiting.get(requestId);
    if (!waiting) return; // too late: the caller already accepted it here (the store keeps it once)
    this.waiting.delete(requestId);
    clearTimeout(waiting.timer);
    this.metrics.forwarded.inc({ result: journeySeq === null ? failure : 'handled' });
    waiting.resolve(journeySeq);
  }

  /** Stops waiting: every forward still open resolves null (accept here). */
  close(): void {
    for (const [requestId] of this.waiting) this.settle(requestId, null, 'unsent');
  }
}
