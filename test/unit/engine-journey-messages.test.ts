/**
 * The relay of messages between journeys, on a journal that records what it is told: delivered
 * rows are marked with the event they became; our own outages leave them pending (for the sweep);
 * what can never be delivered is dead after the sender's failure event; a send to a journey whose
 * start is still on its way waits; a message is delivered once at a time on a node.
 */
import { describe, expect, it } from 'vitest';
import type { PendingMessage } from '../../cache-store/index.js';
import { JourneyError, silentLogger } from '../../common/index.js';
import { MessageRelay } from '../../engine/journey-messages.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { JournalPort } from '../../engine/ports.js';

const message = (overrides: Partial<PendingMessage> = {}): PendingMessage => ({
  messageId: '01JMESSAGE0000000000000000',
  journeyId: '01JSENDER00000000000000000',
  partitionNo: 9,
  causedBy: '01JCAUSE000000000000000000',
  kind: 'send',
  targetJourneyId: '01JTARGET00000000000000000',
  targetType: null,
  targetVersion: null,
  eventType: 'Ping',
  payload: { n: 1 },
  failureEvent: 'NotDelivered',
  idempotencyKey: 'journey:01JCAUSE000000000000000000:1',
  attempts: 0,
  ...overrides,
});

interface Recorded {
  finished: Array<[string, string, string | null, string | null]>;
  touched: string[];
  failures: string[];
}

function relayWith(
  deliver: (m: PendingMessage) => Promise<{ eventId: string; duplicate: boolean }>,
  options: { fail?: () => Promise<{ eventId: string }>; startPending?: boolean } = {},
): { relay: MessageRelay; recorded: Recorded; metrics: EngineMetrics } {
  const recorded: Recorded = { finished: [], touched: [], failures: [] };
  const journal = {
    finishMessage: (id: string, status: string, lastError: string | null, eventId: string | null) => {
      recorded.finished.push([id, status, lastError, eventId]);
      return Promise.resolve();
    },
    touchMessage: (id: string) => {
      recorded.touched.push(id);
      return Promise.resolve();
    },
    startPending: () => Promise.resolve(options.startPending ?? false),
    pendingMessages: () => Promise.resolve([message()]),
  } as unknown as JournalPort;
  const metrics = new EngineMetrics();
  const relay = new MessageRelay({
    journal,
    logger: silentLogger(),
    metrics,
    deliver,
    fail:
      options.fail ??
      ((_m, reason) => {
        recorded.failures.push(reason);
        return Promise.resolve({ eventId: '01JFAILURE0000000000000000' });
      }),
  });
  return { relay, recorded, metrics };
}

describe('MessageRelay', () => {
  it('marks a delivered message with the event it became; a duplicate too', async () => {
    const { relay, recorded, metrics } = relayWith(() => Promise.resolve({ eventId: '01JEVENT000000000000000000', duplicate: true }));
    await relay.deliver(message());
    expect(recorded.finished).toEqual([['01JMESSAGE0000000000000000', 'delivered', null, '01JEVENT000000000000000000']]);
    expect(await metrics.registry.metrics()).toContain('je_journey_messages_total{result="duplicate"} 1');
  });

  it('leaves a message pending while our store or engine is away: never the sender’s failure', async () => {
    const { relay, recorded } = relayWith(() => Promise.reject(new JourneyError('JE_STORE_UNAVAILABLE', 'down', { retryAfterMs: 1000 })));
    await relay.deliver(message());
    expect(recorded).toEqual({ finished: [], touched: ['01JMESSAGE0000000000000000'], failures: [] });
  });

  it('dead-letters what can never be delivered, after the sender’s failure event', async () => {
    const { relay, recorded } = relayWith(() => Promise.reject(new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id')));
    await relay.deliver(message());
    expect(recorded.failures).toEqual(['JE_JOURNEY_NOT_FOUND: no journey has that id']);
    expect(recorded.finished).toEqual([['01JMESSAGE0000000000000000', 'dead', 'JE_JOURNEY_NOT_FOUND: no journey has that id', '01JFAILURE0000000000000000']]);
    // Without a failure event: dead all the same.
    const quiet = relayWith(() => Promise.reject(new JourneyError('JE_EVENT_INVALID', 'bad payload')));
    await quiet.relay.deliver(message({ failureEvent: null }));
    expect(quiet.recorded.finished).toEqual([['01JMESSAGE0000000000000000', 'dead', 'JE_EVENT_INVALID: bad payload', null]]);
  });

  it('a send to a journey whose start is still pending waits for it', async () => {
    const { relay, recorded } = relayWith(() => Promise.reject(new JourneyError('JE_JOURNEY_NOT_FOUND', 'no journey has that id')), { startPending: true });
    await relay.deliver(message());
    expect(recorded).toEqual({ finished: [], touched: ['01JMESSAGE0000000000000000'], failures: [] });
  });

  it('keeps a dead message pending while its failure event cannot be accepted for now', async () => {
    const { relay, recorded } = relayWith(() => Promise.reject(new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', 'not deployed')), {
      fail: () => Promise.reject(new JourneyError('JE_OVERLOADED', 'busy', { retryAfterMs: 500 })),
    });
    await relay.deliver(message({ kind: 'start', targetType: 't/missing', targetVersion: '1.0' }));
    expect(recorded).toEqual({ finished: [], touched: ['01JMESSAGE0000000000000000'], failures: [] });
  });

  it('delivers a message once at a time on a node (the sweep leaves it to the delivery under way)', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const { relay, recorded } = relayWith(() => {
      calls += 1;
      return new Promise((resolve) => {
        release = () => resolve({ eventId: '01JEVENT000000000000000000', duplicate: false });
      });
    });
    const first = relay.deliver(message());
    const sweep = relay.sweep([9], 0);
    await sweep;
    release();
    await first;
    expect(calls).toBe(1);
    expect(recorded.finished).toHaveLength(1);
  });
});
