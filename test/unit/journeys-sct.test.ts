/**
 * mybank/payment/sct 2.0, a SEPA credit transfer, through the pure evaluator: happy paths,
 * rejected preconditions, refused senders, and what is decided at the API edge.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXTS, checkAtEdge, compileJourneys, createPayloadValidators, evaluate, isInitiating } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Evaluation, JsonObject } from '../../dsl/index.js';

const NOW = Date.UTC(2026, 2, 2, 9, 30);
const DAY_MS = 86_400_000;
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'app', origin: 'api' };
const aliceWeak: EventContext = { ...alice, trustLevel: 1 };
const mallory: EventContext = { ...alice, sender: 'mallory' };
const backoffice: EventContext = { sender: 'bo-17', roles: ['backoffice'], trustLevel: 3, channel: 'branch', origin: 'api' };
// What the engine records for back-end replies and fired timers (engine/intake.ts, engine/worker.ts).
const backend: EventContext = SYSTEM_CONTEXTS.backend;
const timer: EventContext = SYSTEM_CONTEXTS.timer;

const DEBTOR = 'NL91ABNA0417164300';
const CREDITOR = 'DE89370400440532013000';
const initiate = { debtorIban: DEBTOR, creditorIban: CREDITOR, creditorName: 'Bob Builder', amount: 12_500, currency: 'EUR', remittance: 'invoice 42' };

let sct: CompiledJourney;

beforeAll(async () => {
  const result = await compileJourneys(resolve(import.meta.dirname, '../../journeys'));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const found = result.journeys.find((j) => j.name === 'mybank/payment/sct' && j.version === '2.0');
  if (!found) throw new Error('mybank/payment/sct 2.0 did not compile');
  sct = found;
});

function send(data: JsonObject | null, type: string, payload: JsonObject, context: EventContext = alice, nowMs = NOW): Evaluation {
  return evaluate(sct, { data, event: { type, payload }, context, nowMs });
}

function applied(result: Evaluation): Extract<Evaluation, { outcome: 'applied' }> {
  if (result.outcome !== 'applied') throw new Error(`${result.code}: ${result.message}`);
  return result;
}

const initiated = (payload: JsonObject = initiate, context = alice): JsonObject => applied(send(null, 'InitiatePayment', payload, context)).data;
const booking = (): JsonObject => applied(send(initiated(), 'AuthorisePayment', {})).data;

describe('mybank/payment/sct 2.0', () => {
  it('declares its events, initiating event, search fields and published events', () => {
    expect(Object.keys(sct.events)).toEqual([
      'AuthorisePayment',
      'BookingFailed',
      'CancelPayment',
      'InitiatePayment',
      'PaymentAuthorised',
      'PaymentBooked',
      'PaymentCancelled',
      'PaymentExecuted',
      'PaymentExpired',
      'PaymentInitiated',
      'PaymentRejected',
    ]);
    expect(Object.keys(sct.events).filter((e) => isInitiating(sct, e))).toEqual(['InitiatePayment']);
    expect(sct.searchFields).toEqual([
      { name: 'debtorIban', path: '$.debtorIban', type: 'string' },
      { name: 'status', path: '$.status', type: 'string' },
      { name: 'initiator', path: '$.initiator', type: 'string' },
    ]);
    expect(sct.read?.map((r) => r.text)).toEqual(['sender == data.initiator', 'role "backoffice"', 'role "auditor"']);
    expect(Object.keys(sct.events).filter((e) => sct.events[e]?.published)).toEqual([
      'PaymentAuthorised',
      'PaymentCancelled',
      'PaymentExecuted',
      'PaymentInitiated',
      'PaymentRejected',
    ]);
    expect(sct.timers.map((t) => [t.name, t.delayMs, t.event])).toEqual([['expiry', 5 * DAY_MS, 'PaymentExpired']]);
  });

  describe('happy path', () => {
    it('InitiatePayment records the payment, starts the expiry timer and emits PaymentInitiated', () => {
      expect(send(null, 'InitiatePayment', initiate)).toEqual({
        outcome: 'applied',
        beadId: 'InitiatePayment#1',
        data: {
          initiator: 'alice',
          debtorIban: DEBTOR,
          creditorIban: CREDITOR,
          creditorName: 'Bob Builder',
          amount: 12_500,
          currency: 'EUR',
          remittance: 'invoice 42',
          status: 'initiated',
          initiatedAt: NOW,
        },
        emitted: [{ type: 'PaymentInitiated', payload: { debtorIban: DEBTOR, creditorIban: CREDITOR, amount: 12_500, currency: 'EUR' } }],
        effects: [
          { kind: 'startTimer', timer: 'expiry', fireAtMs: NOW + 5 * DAY_MS, event: { type: 'PaymentExpired', payload: { initiatedAt: NOW } }, unless: [] },
        ],
      });
    });

    it('the remittance is optional', () => {
      const { remittance: _omitted, ...rest } = initiate;
      expect(initiated(rest).remittance).toBe('');
    });

    it('AuthorisePayment stops the clock and calls the booking back end', () => {
      const result = applied(send(initiated(), 'AuthorisePayment', {}, alice, NOW + 60_000));
      expect(result.data).toMatchObject({ status: 'booking', authorisedAt: NOW + 60_000 });
      expect(result.emitted).toEqual([{ type: 'PaymentAuthorised', payload: { amount: 12_500 } }]);
      expect(result.effects).toEqual([
        { kind: 'cancelTimer', timer: 'expiry' },
        {
          kind: 'call',
          system: 'booking',
          operation: 'book',
          replyEvent: 'PaymentBooked',
          failureEvent: 'BookingFailed',
          request: { debtorIban: DEBTOR, creditorIban: CREDITOR, creditorName: 'Bob Builder', amount: 12_500, currency: 'EUR', remittance: 'invoice 42' },
        },
      ]);
    });

    it('PaymentBooked (from the back end) completes the payment', () => {
      const result = applied(send(booking(), 'PaymentBooked', { bookingId: 'BK-1', bookedAt: '2026-03-02T09:31:00.000Z' }, backend));
      expect(result.data).toMatchObject({ status: 'booked', bookingId: 'BK-1', bookedAt: '2026-03-02T09:31:00.000Z' });
      expect(result.emitted).toEqual([{ type: 'PaymentExecuted', payload: { bookingId: 'BK-1', amount: 12_500, creditorIban: CREDITOR } }]);
    });

    it('BookingFailed (the dead-lettered call) fails the payment', () => {
      const result = applied(send(booking(), 'BookingFailed', { reason: 'account closed', attempts: 5 }, backend));
      expect(result.data).toMatchObject({ status: 'failed', failureReason: 'account closed' });
      expect(result.emitted).toEqual([{ type: 'PaymentRejected', payload: { reason: 'account closed' } }]);
    });

    it('the initiator cancels before authorising: the timer is cancelled, PaymentCancelled emitted', () => {
      const result = applied(send(initiated(), 'CancelPayment', { reason: 'wrong creditor' }));
      expect(result.data).toMatchObject({ status: 'cancelled', cancelledBy: 'alice' });
      expect(result.effects).toEqual([{ kind: 'cancelTimer', timer: 'expiry' }]);
      expect(result.emitted).toEqual([{ type: 'PaymentCancelled', payload: { cancelledBy: 'alice', reason: 'wrong creditor' } }]);
    });

    it('the back office may cancel too', () => {
      const result = applied(send(initiated(), 'CancelPayment', {}, backoffice));
      expect(result.emitted).toEqual([{ type: 'PaymentCancelled', payload: { cancelledBy: 'bo-17', reason: 'cancelled before booking' } }]);
    });

    it('the expiry timer expires an unauthorised payment', () => {
      const result = applied(send(initiated(), 'PaymentExpired', { initiatedAt: NOW }, timer, NOW + 5 * DAY_MS));
      expect(result.data.status).toBe('expired');
    });

    it('a payment of at most 30.00 EUR may be authorised without strong authentication', () => {
      const small = initiated({ ...initiate, amount: 3000 }, aliceWeak);
      expect(applied(send(small, 'AuthorisePayment', {}, aliceWeak)).data.status).toBe('booking');
    });

    it('data round-trips through JSON at every step', () => {
      let data: JsonObject | null = null;
      const steps: Array<[string, JsonObject, EventContext]> = [
        ['InitiatePayment', initiate, alice],
        ['AuthorisePayment', {}, alice],
        ['PaymentBooked', { bookingId: 'BK-2', bookedAt: '2026-03-02T10:00:00.000Z' }, backend],
      ];
      for (const [type, payload, context] of steps) {
        const result = applied(send(data, type, payload, context));
        expect(JSON.parse(JSON.stringify(result.data))).toEqual(result.data);
        data = JSON.parse(JSON.stringify(result.data)) as JsonObject;
      }
      expect(data?.status).toBe('booked');
    });
  });

  describe('rejected preconditions', () => {
    it('refuses an amount of zero', () => {
      expect(send(null, 'InitiatePayment', { ...initiate, amount: 0 })).toEqual({
        outcome: 'rejected',
        code: 'PRECONDITION_FAILED',
        message: 'InitiatePayment rejected: precondition failed: event.amount > 0',
        beadId: 'InitiatePayment#1',
        rule: 'event.amount > 0',
      });
    });

    it('refuses paying into the debtor account itself', () => {
      expect(send(null, 'InitiatePayment', { ...initiate, creditorIban: DEBTOR })).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'event.debtorIban != event.creditorIban',
      });
    });

    it('above 15,000.00 EUR the initiator must be strongly authenticated', () => {
      const large = { ...initiate, amount: 1_500_001 };
      expect(send(null, 'InitiatePayment', large, aliceWeak)).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'event.amount <= 1500000 or context.trustLevel >= 2',
      });
      expect(send(null, 'InitiatePayment', { ...initiate, amount: 1_500_000 }, aliceWeak).outcome).toBe('applied');
      expect(send(null, 'InitiatePayment', large, alice).outcome).toBe('applied');
    });

    it('these rules read only the payload and the context: the API edge can refuse them', () => {
      expect(checkAtEdge(sct, 'InitiatePayment', aliceWeak, { ...initiate, amount: 2_000_000 })).toMatchObject({ code: 'PRECONDITION_FAILED' });
      expect(checkAtEdge(sct, 'InitiatePayment', alice, { ...initiate, amount: 0 })).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'event.amount > 0' });
      expect(checkAtEdge(sct, 'InitiatePayment', alice, initiate)).toBeNull();
    });

    it('authorising above 30.00 EUR needs strong authentication', () => {
      const data = initiated(initiate, aliceWeak);
      expect(send(data, 'AuthorisePayment', {}, aliceWeak)).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'context.trustLevel >= 2 or data.amount <= 3000',
      });
    });

    it('once authorised, a payment can no longer be cancelled, nor authorised twice', () => {
      const data = booking();
      expect(send(data, 'CancelPayment', {})).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'data.status == "initiated"' });
      expect(send(data, 'AuthorisePayment', {})).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'data.status == "initiated"' });
    });

    it('a late expiry or a stray booking answer changes nothing', () => {
      const booked = applied(send(booking(), 'PaymentBooked', { bookingId: 'BK-3', bookedAt: '2026-03-02T10:00:00.000Z' }, backend)).data;
      expect(send(booked, 'PaymentExpired', { initiatedAt: NOW }, timer)).toMatchObject({ code: 'PRECONDITION_FAILED' });
      expect(send(initiated(), 'PaymentBooked', { bookingId: 'BK-4', bookedAt: '2026-03-02T10:00:00.000Z' }, backend)).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'data.status == "booking"',
      });
    });

    it('a finished payment accepts nothing more, and a second InitiatePayment cannot target it', () => {
      const cancelled = applied(send(initiated(), 'CancelPayment', {})).data;
      for (const type of ['AuthorisePayment', 'CancelPayment']) expect(send(cancelled, type, {})).toMatchObject({ code: 'PRECONDITION_FAILED' });
      expect(send(cancelled, 'InitiatePayment', initiate)).toMatchObject({ code: 'NO_MATCHING_BEAD' });
    });
  });

  describe('refused senders', () => {
    it('only customers initiate payments, decided at the API edge', () => {
      const teller: EventContext = { ...alice, roles: ['teller'] };
      expect(send(null, 'InitiatePayment', initiate, teller)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'role "customer"' });
      expect(checkAtEdge(sct, 'InitiatePayment', teller)).toMatchObject({ code: 'ACCESS_DENIED' });
    });

    it('only the initiator authorises; the initiator or the back office cancels', () => {
      const data = initiated();
      expect(send(data, 'AuthorisePayment', {}, mallory)).toEqual({
        outcome: 'rejected',
        code: 'ACCESS_DENIED',
        message: 'mallory may not send AuthorisePayment here (requires sender == data.initiator)',
        beadId: 'AuthorisePayment#1',
        rule: 'sender == data.initiator',
      });
      expect(send(data, 'CancelPayment', {}, mallory)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'sender == data.initiator or role "backoffice"' });
      // Decided with the data: the edge lets these through to the worker.
      expect(checkAtEdge(sct, 'CancelPayment', mallory)).toBeNull();
    });

    it('nobody can fake a booking answer or an expiry through the API', () => {
      const data = booking();
      expect(send(data, 'PaymentBooked', { bookingId: 'BK-X', bookedAt: '2026-03-02T10:00:00.000Z' }, backoffice)).toMatchObject({
        code: 'ACCESS_DENIED',
        rule: 'context.origin == "backend"',
      });
      expect(send(data, 'BookingFailed', { reason: 'x', attempts: 1 }, alice)).toMatchObject({ code: 'ACCESS_DENIED' });
      expect(send(initiated(), 'PaymentExpired', { initiatedAt: NOW }, alice)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'context.origin == "timer"' });
      for (const type of ['PaymentBooked', 'BookingFailed', 'PaymentExpired']) {
        expect(checkAtEdge(sct, type, backoffice), type).toMatchObject({ code: 'ACCESS_DENIED' });
      }
      // A timer's event is not a booking answer, nor the other way round.
      expect(send(data, 'PaymentBooked', { bookingId: 'BK-X', bookedAt: '2026-03-02T10:00:00.000Z' }, timer)).toMatchObject({ code: 'ACCESS_DENIED' });
    });
  });

  describe('payload schemas', () => {
    it('checks IBAN shape, the currency, the remittance length and unknown fields', () => {
      const v = createPayloadValidators(sct);
      expect(v.validate('InitiatePayment', initiate)).toEqual([]);
      expect(v.validate('InitiatePayment', { ...initiate, debtorIban: 'nl91 abna 0417 1643 00' }).map((x) => x.pointer)).toEqual(['/debtorIban']);
      expect(v.validate('InitiatePayment', { ...initiate, currency: 'USD' })).toEqual([{ pointer: '/currency', message: 'must be equal to constant' }]);
      expect(v.validate('InitiatePayment', { ...initiate, remittance: 'x'.repeat(141) }).map((x) => x.pointer)).toEqual(['/remittance']);
      expect(v.validate('InitiatePayment', { ...initiate, amount: 12.5 }).map((x) => x.message)).toEqual(['must be integer']);
      expect(v.validate('InitiatePayment', { ...initiate, fee: 1 })).toEqual([{ pointer: '', message: 'has unknown property "fee"' }]);
    });

    it('BookingFailed accepts exactly the engine failure payload { reason, attempts }', () => {
      const v = createPayloadValidators(sct);
      expect(v.validate('BookingFailed', { reason: 'timeout', attempts: 5 })).toEqual([]);
      expect(v.validate('BookingFailed', { reason: 'timeout' })).toHaveLength(1);
      expect(v.validate('BookingFailed', { reason: 'timeout', attempts: 5, extra: true })).toHaveLength(1);
    });
  });
});
