/**
 * Messages between journeys (`send`, `reply`, `start`): their rows are written by the handling
 * commit of the outcome that sends them, and delivered from here after it, by the node that
 * committed it (`dispatch`) and, for whatever a crash or an outage left pending, by the sweep of
 * the sender's slot owner. Each is accepted by its receiver under the message's idempotency key
 * (`journey:<sending event id>:<n>`), so delivering it twice — the relay and the sweep at once, a
 * delivery whose row update was lost — still makes one event.
 *
 * A message that can never be delivered (no such journey, another tenant's, a version not
 * deployed, an event the receiver refuses at its edge) is dead: the sender gets its failure event,
 * when it names one, and the row says why. Our own trouble (the store down, the engine stopping)
 * is never the sender's failure: the row stays pending and is delivered later.
 */
import { ensureError, isJourneyError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { EngineMetrics } from './metrics.js';
import type { JournalPort } from './ports.js';
import type { PendingMessage } from '../cache-store/index.js';
import { isConnectionError, isRetryableTransactionError } from '../cache-store/index.js';

export interface MessageOptions {
  /** How often a worker node sweeps its slots for pending messages. @defaultValue 2000 */
  sweepEveryMs: number;
  /** A pending message untouched this long is delivered again by the sweep. @defaultValue 5000 */
  redeliverAfterMs: number;
}

export const DEFAULT_MESSAGE_OPTIONS: MessageOptions = { sweepEveryMs: 2_000, redeliverAfterMs: 5_000 };

/** Rows the sweep reads at a time. */
const SWEEP_PAGE = 200;

interface MessageDependencies {
  journal: JournalPort;
  logger: Logger;
  metrics: EngineMetrics;
  /** Accepts the message as the receiver's event (Intake.acceptJourneyMessage). */
  deliver: (message: PendingMessage) => Promise<{ eventId: string; duplicate: boolean }>;
  /** Accepts the sender's failure event `{ reason, journeyId }` (Intake.acceptSystemEvent, origin journey). */
  fail: (message: PendingMessage & { failureEvent: string }, reason: string) => Promise<{ eventId: string }>;
}

/** Our store or engine is unavailable for now, as opposed to the message being refused for good. */
function isOutage(error: unknown): boolean {
  return isJourneyError(error) ? error.retryable : isConnectionError(error) || isRetryableTransactionError(error);
}

export class MessageRelay {
  private readonly log: Logger;
  /** Messages being delivered on this node: the sweep leaves them to the delivery under way. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly deps: MessageDependencies) {
    this.log = deps.logger.child({ component: 'journey-messages' });
  }

  /** Delivers the messages of one commit, in their order; failures stay pending for the sweep. */
  dispatch(messages: readonly PendingMessage[]): Promise<void> {
    return (async () => {
      for (const message of messages) await this.deliver(message);
    })();
  }

  /** Delivers the pending messages of these slots that nobody has touched for `olderThanMs`. */
  async sweep(partitions: number[], olderThanMs: number): Promise<void> {
    const pending = await this.deps.journal.pendingMessages(partitions, olderThanMs, SWEEP_PAGE);
    for (const message of pending) await this.deliver(message);
  }

  /** Delivers one message and finishes its row; never throws. */
  async deliver(message: PendingMessage): Promise<void> {
    if (this.inFlight.has(message.messageId)) return;
    this.inFlight.add(message.messageId);
    const log = this.log.child({ messageId: message.messageId, journeyId: message.journeyId, target: message.targetJourneyId });
    try {
      let accepted: { eventId: string; duplicate: boolean };
      try {
        accepted = await this.deps.deliver(message);
      } catch (error) {
        if (isOutage(error) || !isJourneyError(error)) return await this.retryLater(message, error);
        // A journey whose start is still on its way is not missing: the send waits for it.
        if (message.kind === 'send' && isJourneyError(error, 'JE_JOURNEY_NOT_FOUND') && (await this.startPending(message.targetJourneyId))) {
          return await this.retryLater(message, error);
        }
        return await this.dead(message, error);
      }
      this.deps.metrics.journeyMessages.inc({ result: accepted.duplicate ? 'duplicate' : 'delivered' });
      // Lost (the store went away just now): the row stays pending and the sweep finds the event again.
      await this.deps.journal.finishMessage(message.messageId, 'delivered', null, accepted.eventId).catch((error: unknown) => {
        log.warn({ err: ensureError(error) }, 'message delivered; its row is marked later');
      });
      if (log.isLevelEnabled('debug')) log.debug({ eventId: accepted.eventId, duplicate: accepted.duplicate }, 'message delivered');
    } finally {
      this.inFlight.delete(message.messageId);
    }
  }

  /** Never deliverable: the sender's failure event (when it names one), then the row is dead. */
  private async dead(message: PendingMessage, error: Error): Promise<void> {
    const reason = `${isJourneyError(error) ? `${error.code}: ` : ''}${error.message}`.slice(0, 500);
    let failureEventId: string | null = null;
    if (message.failureEvent !== null) {
      try {
        failureEventId = (await this.deps.fail({ ...message, failureEvent: message.failureEvent }, reason)).eventId;
      } catch (failure) {
        // The failure event must reach the sender: while our side is in trouble, try again later.
        if (isOutage(failure) || !isJourneyError(failure)) return this.retryLater(message, failure);
        this.log.error({ err: ensureError(failure), messageId: message.messageId }, 'the failure event of an undelivered message was refused');
      }
    }
    this.deps.metrics.journeyMessages.inc({ result: 'dead' });
    this.deps.metrics.deadLetteredByKind.inc({ kind: 'message' });
    this.log.warn(
      { messageId: message.messageId, journeyId: message.journeyId, target: message.targetJourneyId, reason, failureEventId },
      'message to another journey cannot be delivered; dead-lettered (journey dead-letters list --kind message)',
    );
    await this.deps.journal.finishMessage(message.messageId, 'dead', reason, failureEventId).catch((finish: unknown) => {
      this.log.warn({ err: ensureError(finish), messageId: message.messageId }, 'dead message not marked; the sweep decides again');
    });
  }

  /** Whether a start of the journey is pending; when that cannot be known, assume so (retry, never a false dead letter). */
  private startPending(journeyId: string): Promise<boolean> {
    return this.deps.journal.startPending(journeyId).catch(() => true);
  }

  private async retryLater(message: PendingMessage, error: unknown): Promise<void> {
    const cause = ensureError(error);
    this.deps.metrics.journeyMessages.inc({ result: 'retried' });
    // An outage passes; anything else needs a person: louder.
    this.log[isOutage(error) ? 'info' : 'error']({ err: cause, messageId: message.messageId }, 'message not delivered now; the sweep delivers it later');
    await this.deps.journal.touchMessage(message.messageId, cause.message.slice(0, 500)).catch(() => undefined);
  }
}
