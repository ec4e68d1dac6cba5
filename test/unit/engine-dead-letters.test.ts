// The operator's dead letters over the in-memory journal: listing with filters and cursors, reading
// one with the events it gave its journey, retry (back to pending, queued at once, only once) and
// discard (recorded, nothing queued), and the gauge read from the store at most every 10 s.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT, isJourneyError, silentLogger } from '../../common/index.js';
import type { PendingCall } from '../../cache-store/index.js';
import { DeadLetters } from '../../engine/dead-letters.js';
import { EngineMetrics } from '../../engine/metrics.js';
import { FakeJournal } from '../support/fake-journal.js';
import type { OutboxRecord } from '../support/fake-journal.js';

const T0 = Date.UTC(2026, 5, 1, 8);
const id = (n: number): string => `01J${String(n).padStart(23, '0')}`;

function setup() {
  const journal = new FakeJournal();
  journal.nowMs = T0;
  const metrics = new EngineMetrics();
  const queued: PendingCall[][] = [];
  let now = T0;
  const letters = new DeadLetters({
    journal,
    metrics,
    logger: silentLogger(),
    requeue: (calls) => {
      queued.push(calls);
      return Promise.resolve();
    },
    storeUp: () => true,
    nowMs: () => now,
  });
  const journey = (n: number, typeName: string, status: string): void => {
    journal.rows.journeys.set(id(n), {
      journeyId: id(n),
      tenant: DEFAULT_TENANT,
      typeName,
      typeVersion: '1.0',
      partitionNo: 1,
      lifecycle: 'active',
      data: { status },
      handledSeq: 2,
      acceptedSeq: 2,
      lastEpoch: 1,
      createdAtMs: T0,
      updatedAtMs: T0,
    });
  };
  const call = (n: number, journeyN: number, system: string, status: OutboxRecord['status'] = 'dead'): void => {
    journal.rows.outbox.set(id(n), {
      outboxId: id(n),
      journeyId: id(journeyN),
      partitionNo: 1,
      causedBy: id(900 + n),
      system,
      operation: 'book',
      requestJson: JSON.stringify({ n }),
      replyEvent: 'Booked',
      failureEvent: 'BookingFailed',
      attempts: 3,
      status,
      lastError: `${system} is down`,
      createdAt: new Date(T0 + n).toISOString(),
      updatedAtMs: T0 + n,
      ...(status === 'dead' ? { deadAtMs: T0 + 1000 + n } : {}),
    });
  };
  const gauge = async (): Promise<string> =>
    (await metrics.registry.getSingleMetricAsString('je_dead_letters'))
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .join('\n');
  return { journal, letters, queued, journey, call, gauge, advance: (ms: number) => (now += ms) };
}

describe('dead letters', () => {
  it('lists the dead ones oldest first, by system and journey type, a page at a time', async () => {
    const { letters, journey, call } = setup();
    journey(1, 'mybank/payment/sct', 'bookingFailed');
    journey(2, 'pfm/wallet', 'open');
    call(11, 1, 'booking');
    call(12, 2, 'ledger');
    call(13, 1, 'booking');
    call(14, 1, 'booking', 'pending');
    call(15, 1, 'booking', 'done');

    const all = await letters.list({});
    expect(all.items.map((l) => [l.id, l.status, l.system, l.journeyType])).toEqual([
      [id(11), 'dead', 'booking', 'mybank/payment/sct'],
      [id(12), 'dead', 'ledger', 'pfm/wallet'],
      [id(13), 'dead', 'booking', 'mybank/payment/sct'],
    ]);
    expect(all.nextCursor).toBeUndefined();
    expect((await letters.list({ system: 'booking' })).items.map((l) => l.id)).toEqual([id(11), id(13)]);
    expect((await letters.list({ journeyType: 'pfm/wallet' })).items.map((l) => l.id)).toEqual([id(12)]);

    const first = await letters.list({ limit: 2 });
    expect(first.items.map((l) => l.id)).toEqual([id(11), id(12)]);
    const second = await letters.list({ limit: 2, ...(first.nextCursor === undefined ? {} : { cursor: first.nextCursor }) });
    expect(second.items.map((l) => l.id)).toEqual([id(13)]);
    expect(second.nextCursor).toBeUndefined();

    await expect(letters.list({ cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({ code: 'JE_BAD_REQUEST' });
    await expect(letters.list({ limit: 501 })).rejects.toMatchObject({ code: 'JE_BAD_REQUEST' });
  });

  it('reads one with where its journey is and the events the call gave it', async () => {
    const { journal, letters, journey, call } = setup();
    journey(1, 'mybank/payment/sct', 'bookingFailed');
    call(11, 1, 'booking');
    journal.rows.events.set(id(50), {
      eventId: id(50),
      type: 'BookingFailed',
      payloadJson: '{}',
      contextJson: '{}',
      origin: 'backend',
      causedBy: id(911),
      idempotencyKey: `call:${id(11)}:failure`,
      requestHash: null,
      journeyId: id(1),
      journeySeq: 2,
      partitionNo: 1,
      acceptedAtMs: T0,
      status: 'applied',
      outcomeJson: null,
      handledEpoch: 1,
    });
    expect(await letters.get(id(11))).toEqual({
      id: id(11),
      kind: 'call',
      status: 'dead',
      journeyId: id(1),
      journeyType: 'mybank/payment/sct',
      version: '1.0',
      system: 'booking',
      operation: 'book',
      attempts: 3,
      retries: 0,
      lastError: 'booking is down',
      createdAt: new Date(T0 + 11).toISOString(),
      deadAt: new Date(T0 + 1011).toISOString(),
      tenant: DEFAULT_TENANT,
      journeyStatus: 'bookingFailed',
      request: { n: 11 },
      replyEvent: 'Booked',
      failureEvent: 'BookingFailed',
      causedBy: id(911),
      delivered: { failure: { eventId: id(50), status: 'applied' } },
    });
    for (const unknown of [id(99), 'not-an-id']) {
      const error: unknown = await letters.get(unknown).catch((e: unknown) => e);
      expect(isJourneyError(error, 'JE_DEAD_LETTER_NOT_FOUND'), unknown).toBe(true);
    }
    // A call that never went dead is no dead letter.
    call(12, 1, 'booking', 'pending');
    await expect(letters.get(id(12))).rejects.toMatchObject({ code: 'JE_DEAD_LETTER_NOT_FOUND' });
  });

  it('retries a dead call once: back to pending under the same id, queued at once, recorded', async () => {
    const { journal, letters, queued, journey, call } = setup();
    journey(1, 'mybank/payment/sct', 'bookingFailed');
    call(11, 1, 'booking');
    const retried = await letters.retry(id(11), 'olga', '  ledger is back  ');
    expect(retried).toMatchObject({ id: id(11), status: 'retrying', retries: 1, attempts: 3, resolvedBy: 'olga', note: 'ledger is back' });
    expect(queued).toEqual([[expect.objectContaining({ outboxId: id(11), system: 'booking', operation: 'book', request: { n: 11 }, replyEvent: 'Booked' })]]);
    expect(journal.rows.outbox.get(id(11))?.status).toBe('pending');
    expect((await letters.list({})).items).toEqual([]);

    // Retrying (or discarding) what is not dead any more is refused and changes nothing.
    await expect(letters.retry(id(11), 'piet')).rejects.toMatchObject({ code: 'JE_DEAD_LETTER_SETTLED', details: { status: 'retrying' } });
    await expect(letters.discard(id(11), 'piet')).rejects.toMatchObject({ code: 'JE_DEAD_LETTER_SETTLED' });
    expect(queued).toHaveLength(1);
    expect(journal.rows.outbox.get(id(11))).toMatchObject({ status: 'pending', retries: 1, resolvedBy: 'olga' });

    // It fails again: dead again, and can be retried again.
    await journal.finishCall(id(11), 'dead', 'booking is still down');
    expect(await letters.get(id(11))).toMatchObject({ status: 'dead', retries: 1, lastError: 'booking is still down' });
    expect((await letters.retry(id(11), 'olga')).retries).toBe(2);
    await expect(letters.retry(id(99), 'olga')).rejects.toMatchObject({ code: 'JE_DEAD_LETTER_NOT_FOUND' });
  });

  it('discards a dead call: recorded and kept, nothing queued', async () => {
    const { letters, queued, journey, call } = setup();
    journey(1, 'mybank/payment/sct', 'bookingFailed');
    call(11, 1, 'booking');
    expect(await letters.discard(id(11), 'olga', 'refunded by hand')).toMatchObject({ status: 'discarded', resolvedBy: 'olga', note: 'refunded by hand' });
    expect(queued).toEqual([]);
    expect((await letters.list({})).items).toEqual([]);
    expect((await letters.list({ status: 'discarded' })).items.map((l) => l.id)).toEqual([id(11)]);
    await expect(letters.retry(id(11), 'olga')).rejects.toMatchObject({ code: 'JE_DEAD_LETTER_SETTLED', details: { status: 'discarded' } });
  });

  it('counts dead letters by system into the gauge, read at most every 10 s, 0 once none is left', async () => {
    const { letters, journey, call, gauge, advance } = setup();
    journey(1, 'mybank/payment/sct', 'bookingFailed');
    call(11, 1, 'booking');
    call(12, 1, 'booking');
    call(13, 1, 'ledger');
    await letters.refreshGauge();
    expect(await gauge()).toBe(['je_dead_letters{kind="call",system="booking"} 2', 'je_dead_letters{kind="call",system="ledger"} 1'].join('\n'));
    await letters.discard(id(11), 'olga');
    await letters.discard(id(13), 'olga');
    await letters.refreshGauge();
    expect(await gauge()).toContain('system="booking"} 2');
    advance(10_000);
    await letters.refreshGauge();
    expect(await gauge()).toBe(['je_dead_letters{kind="call",system="booking"} 1', 'je_dead_letters{kind="call",system="ledger"} 0'].join('\n'));
  });
});
