/**
 * mybank/lending/mortgage 1.0 through the pure evaluator with its action processor: the long
 * path from application to disbursement, the timers (reminders, offer validity, completion
 * deadline), the parties (applicant, underwriter, notary) and what each may not do.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXTS, checkAtEdge, compileJourneys, evaluate } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Evaluation, JsonObject, ProcessorRegistry } from '../../dsl/index.js';

const NOW = Date.UTC(2026, 5, 1, 8);
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const dave: EventContext = { sender: 'dave', roles: ['customer'], trustLevel: 2, channel: 'app', origin: 'api' };
const uma: EventContext = { sender: 'uma', roles: ['underwriter'], trustLevel: 3, channel: 'backoffice', origin: 'api' };
const nina: EventContext = { sender: 'nina', roles: ['notary'], trustLevel: 3, channel: 'notary-portal', origin: 'api' };
const backend: EventContext = SYSTEM_CONTEXTS.backend;
const timer: EventContext = SYSTEM_CONTEXTS.timer;
const application = {
  propertyAddress: 'Keizersgracht 1, Amsterdam',
  propertyValue: 50_000_000,
  loanAmount: 40_000_000,
  termMonths: 360,
  annualIncome: 10_000_000,
};

let mortgage: CompiledJourney;
let processors: ProcessorRegistry;

beforeAll(async () => {
  const result = await compileJourneys(resolve(import.meta.dirname, '../../journeys'), { loadProcessors: true });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const found = result.journeys.find((j) => j.name === 'mybank/lending/mortgage' && j.version === '1.0');
  if (!found) throw new Error('mybank/lending/mortgage 1.0 did not compile');
  mortgage = found;
  processors = result.processors['mybank/lending/mortgage@1.0'] ?? {};
});

function send(data: JsonObject | null, type: string, payload: JsonObject, context: EventContext, nowMs = NOW): Evaluation {
  return evaluate(mortgage, { data, event: { type, payload }, context, nowMs }, processors);
}

function applied(result: Evaluation): Extract<Evaluation, { outcome: 'applied' }> {
  if (result.outcome !== 'applied') throw new Error(`${result.code}: ${result.message}`);
  return result;
}

const submitted = (): JsonObject => applied(send(null, 'ApplyForMortgage', application, dave)).data;
function upload(data: JsonObject, ...kinds: string[]): Extract<Evaluation, { outcome: 'applied' }> {
  let result = applied(send(data, 'UploadDocument', { kind: kinds[0] ?? 'identity', documentId: `doc-${kinds[0]}` }, dave));
  for (const kind of kinds.slice(1)) result = applied(send(result.data, 'UploadDocument', { kind, documentId: `doc-${kind}` }, dave));
  return result;
}
const assessing = (): JsonObject => upload(submitted(), 'identity', 'income', 'valuation').data;
const underwriting = (): JsonObject => applied(send(assessing(), 'CreditAssessed', { score: 700, reference: 'CB-1' }, backend)).data;
const offered = (): JsonObject => applied(send(underwriting(), 'MakeOffer', { annualRateBps: 400 }, uma)).data;
const accepted = (): JsonObject => applied(send(offered(), 'AcceptOffer', {}, dave)).data;

describe('mybank/lending/mortgage 1.0', () => {
  describe('from application to disbursement', () => {
    it('ApplyForMortgage records the application and starts the weekly document reminder', () => {
      const result = applied(send(null, 'ApplyForMortgage', application, dave));
      expect(result.data).toEqual({
        applicant: 'dave',
        status: 'submitted',
        ...application,
        submittedAt: NOW,
        reminders: 0,
        manualReview: false,
        documents: { identity: null, income: null, valuation: null },
      });
      expect(result.effects).toEqual([
        { kind: 'startTimer', timer: 'documentReminder', fireAtMs: NOW + WEEK_MS, event: { type: 'DocumentsReminder', payload: {} }, unless: [] },
      ]);
      expect(result.emitted).toEqual([{ type: 'MortgageApplied', payload: { applicant: 'dave', loanAmount: 40_000_000 } }]);
    });

    it('documents arrive one by one; the last one stops the reminders and asks the credit bureau', () => {
      const partial = upload(submitted(), 'income', 'identity');
      expect(partial.data).toMatchObject({ status: 'submitted', documents: { identity: 'doc-identity', income: 'doc-income', valuation: null } });
      expect(partial.effects).toEqual([]);
      const complete = applied(send(partial.data, 'UploadDocument', { kind: 'valuation', documentId: 'val-9' }, dave));
      expect(complete.data.status).toBe('assessing');
      expect(complete.effects).toEqual([
        { kind: 'cancelTimer', timer: 'documentReminder' },
        {
          kind: 'call',
          system: 'creditbureau',
          operation: 'assess',
          replyEvent: 'CreditAssessed',
          failureEvent: 'CreditAssessmentFailed',
          request: { applicant: 'dave', annualIncome: 10_000_000, loanAmount: 40_000_000 },
        },
      ]);
      expect(complete.emitted).toEqual([{ type: 'DocumentsReceived', payload: { applicant: 'dave' } }]);
    });

    it('a good credit score goes to underwriting, a poor one is declined', () => {
      expect(applied(send(assessing(), 'CreditAssessed', { score: 700, reference: 'CB-1' }, backend)).emitted).toEqual([
        { type: 'ReadyForUnderwriting', payload: { applicant: 'dave', creditScore: 700, manualReview: false } },
      ]);
      const poor = applied(send(assessing(), 'CreditAssessed', { score: 580, reference: 'CB-2' }, backend));
      expect(poor.data).toMatchObject({ status: 'declined', creditScore: 580, declineReason: 'credit score below 600' });
    });

    it('without a credit score (the bureau call dead-lettered) an underwriter reviews by hand', () => {
      const result = applied(send(assessing(), 'CreditAssessmentFailed', { reason: 'timeout', attempts: 5 }, backend));
      expect(result.data).toMatchObject({ status: 'underwriting', manualReview: true, creditScore: null });
    });

    it('the underwriter offers: the processor computes the annuity, the offer is valid six weeks', () => {
      const result = applied(send(underwriting(), 'MakeOffer', { annualRateBps: 400 }, uma));
      // 400,000.00 EUR over 30 years at 4%: 1,909.66 EUR a month (rounded up to the cent).
      expect(result.data).toMatchObject({
        status: 'offered',
        underwriter: 'uma',
        annualRateBps: 400,
        monthlyPayment: 190_967,
        offerValidUntil: NOW + 6 * WEEK_MS,
      });
      expect(result.effects).toEqual([
        { kind: 'startTimer', timer: 'offerValidity', fireAtMs: NOW + 6 * WEEK_MS, event: { type: 'OfferExpired', payload: {} }, unless: [] },
      ]);
      expect(result.emitted).toEqual([{ type: 'MortgageOffered', payload: { annualRateBps: 400, monthlyPayment: 190_967, validUntil: NOW + 6 * WEEK_MS } }]);
    });

    it('the applicant accepts; the notary records the deed; the ledger pays out', () => {
      const accept = applied(send(offered(), 'AcceptOffer', {}, dave));
      expect(accept.effects).toEqual([
        { kind: 'cancelTimer', timer: 'offerValidity' },
        { kind: 'startTimer', timer: 'completionDeadline', fireAtMs: NOW + 13 * WEEK_MS, event: { type: 'CompletionOverdue', payload: {} }, unless: [] },
      ]);
      const deed = applied(send(accept.data, 'RecordDeedSigned', { deedReference: 'DEED-2026-17', signedOn: '2026-07-01' }, nina));
      expect(deed.data).toMatchObject({ status: 'disbursing', notary: 'nina', deedReference: 'DEED-2026-17' });
      expect(deed.effects).toEqual([
        { kind: 'cancelTimer', timer: 'completionDeadline' },
        {
          kind: 'call',
          system: 'ledger',
          operation: 'disburse',
          replyEvent: 'LoanDisbursed',
          failureEvent: 'DisbursementFailed',
          request: { applicant: 'dave', amount: 40_000_000, deedReference: 'DEED-2026-17' },
        },
      ]);
      const done = applied(send(deed.data, 'LoanDisbursed', { disbursementId: 'DS-1', disbursedAt: '2026-07-02T10:00:00.000Z' }, backend));
      expect(done.data).toMatchObject({ status: 'completed', disbursementId: 'DS-1' });
      expect(done.emitted).toEqual([{ type: 'MortgageCompleted', payload: { applicant: 'dave', disbursementId: 'DS-1' } }]);
      expect(applied(send(deed.data, 'DisbursementFailed', { reason: 'not registered', attempts: 5 }, backend)).data).toMatchObject({
        status: 'failed',
        failureReason: 'not registered',
      });
    });
  });

  describe('timers', () => {
    it('reminds three times a week apart, then the application lapses', () => {
      let data = submitted();
      for (const reminder of [1, 2, 3]) {
        const result = applied(send(data, 'DocumentsReminder', {}, timer, NOW + reminder * WEEK_MS));
        expect(result.data).toMatchObject({ status: 'submitted', reminders: reminder });
        expect(result.effects).toEqual([
          {
            kind: 'startTimer',
            timer: 'documentReminder',
            fireAtMs: NOW + (reminder + 1) * WEEK_MS,
            event: { type: 'DocumentsReminder', payload: {} },
            unless: [],
          },
        ]);
        expect(result.emitted).toEqual([{ type: 'ApplicantReminded', payload: { applicant: 'dave', reminder } }]);
        data = result.data;
      }
      const lapsed = applied(send(data, 'DocumentsReminder', {}, timer, NOW + 4 * WEEK_MS));
      expect(lapsed.data).toMatchObject({ status: 'lapsed', reminders: 4 });
      expect(lapsed.effects).toEqual([]);
      expect(lapsed.emitted).toEqual([{ type: 'ApplicationLapsed', payload: { applicant: 'dave' } }]);
    });

    it('an offer not accepted in time expires; a deed not signed in time expires the acceptance', () => {
      expect(applied(send(offered(), 'OfferExpired', {}, timer)).data.status).toBe('expired');
      expect(applied(send(accepted(), 'CompletionOverdue', {}, timer)).data.status).toBe('expired');
      expect(send(accepted(), 'OfferExpired', {}, timer)).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'data.status == "offered"' });
    });

    it('withdrawing stops every timer that may run', () => {
      const result = applied(send(offered(), 'WithdrawApplication', { reason: 'bought elsewhere' }, dave));
      expect(result.data.status).toBe('withdrawn');
      expect(result.effects.map((e) => e.kind === 'cancelTimer' && e.timer)).toEqual(['documentReminder', 'offerValidity', 'completionDeadline']);
      expect(send(result.data, 'WithdrawApplication', {}, dave)).toMatchObject({ code: 'PRECONDITION_FAILED' });
    });
  });

  describe('rejected preconditions', () => {
    it('applications need strong authentication, a loan within the property value and 4.5 times the income', () => {
      expect(send(null, 'ApplyForMortgage', application, { ...dave, trustLevel: 1 })).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'context.trustLevel >= 2',
      });
      expect(send(null, 'ApplyForMortgage', { ...application, loanAmount: 50_000_001 }, dave)).toMatchObject({
        rule: 'event.loanAmount <= event.propertyValue',
      });
      expect(send(null, 'ApplyForMortgage', { ...application, annualIncome: 8_000_000 }, dave)).toMatchObject({
        rule: 'event.loanAmount <= event.annualIncome * 4.5',
      });
      expect(checkAtEdge(mortgage, 'ApplyForMortgage', dave, { ...application, annualIncome: 8_000_000 })).toMatchObject({ code: 'PRECONDITION_FAILED' });
    });

    it('each step only in its status', () => {
      expect(send(submitted(), 'MakeOffer', { annualRateBps: 400 }, uma)).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'data.status == "underwriting"' });
      expect(send(underwriting(), 'AcceptOffer', {}, dave)).toMatchObject({ rule: 'data.status == "offered"' });
      expect(send(offered(), 'RecordDeedSigned', { deedReference: 'D', signedOn: '2026-07-01' }, nina)).toMatchObject({ rule: 'data.status == "accepted"' });
      expect(send(assessing(), 'UploadDocument', { kind: 'income', documentId: 'late' }, dave)).toMatchObject({ rule: 'data.status == "submitted"' });
      expect(send(submitted(), 'CreditAssessed', { score: 700, reference: 'CB' }, backend)).toMatchObject({ rule: 'data.status == "assessing"' });
      expect(send(offered(), 'AcceptOffer', {}, { ...dave, trustLevel: 1 })).toMatchObject({ rule: 'context.trustLevel >= 2' });
    });
  });

  describe('refused senders', () => {
    it('only customers apply; only the applicant (or the back office) uploads; only the applicant accepts or withdraws', () => {
      expect(send(null, 'ApplyForMortgage', application, uma)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'role "customer"' });
      expect(checkAtEdge(mortgage, 'ApplyForMortgage', nina)).toMatchObject({ code: 'ACCESS_DENIED' });
      const eve: EventContext = { ...dave, sender: 'eve' };
      expect(send(submitted(), 'UploadDocument', { kind: 'income', documentId: 'x' }, eve)).toMatchObject({
        code: 'ACCESS_DENIED',
        rule: 'sender == data.applicant or role "backoffice"',
      });
      expect(applied(send(submitted(), 'UploadDocument', { kind: 'income', documentId: 'x' }, { ...eve, roles: ['backoffice'] })).data.documents).toMatchObject(
        { income: 'x' },
      );
      expect(send(offered(), 'AcceptOffer', {}, uma)).toMatchObject({ code: 'ACCESS_DENIED' });
      expect(send(offered(), 'WithdrawApplication', {}, eve)).toMatchObject({ code: 'ACCESS_DENIED' });
    });

    it('underwriters and notaries by role, never for their own mortgage (four eyes)', () => {
      expect(send(underwriting(), 'MakeOffer', { annualRateBps: 400 }, dave)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'role "underwriter"' });
      expect(checkAtEdge(mortgage, 'MakeOffer', dave)).toMatchObject({ code: 'ACCESS_DENIED' });
      const selfUnderwriting: EventContext = { ...dave, roles: ['customer', 'underwriter'] };
      expect(send(underwriting(), 'MakeOffer', { annualRateBps: 400 }, selfUnderwriting)).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'sender != data.applicant',
      });
      expect(send(underwriting(), 'DeclineApplication', { reason: 'x' }, selfUnderwriting)).toMatchObject({ rule: 'sender != data.applicant' });
      expect(send(accepted(), 'RecordDeedSigned', { deedReference: 'D', signedOn: '2026-07-01' }, uma)).toMatchObject({
        code: 'ACCESS_DENIED',
        rule: 'role "notary"',
      });
      expect(send(accepted(), 'RecordDeedSigned', { deedReference: 'D', signedOn: '2026-07-01' }, { ...dave, roles: ['notary'] })).toMatchObject({
        rule: 'sender != data.applicant',
      });
    });

    it('timer events only from timers, bureau and ledger answers only from the back end', () => {
      expect(send(submitted(), 'DocumentsReminder', {}, dave)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'context.origin == "timer"' });
      expect(send(assessing(), 'CreditAssessed', { score: 999, reference: 'fake' }, uma)).toMatchObject({
        code: 'ACCESS_DENIED',
        rule: 'context.origin == "backend"',
      });
      expect(send(offered(), 'OfferExpired', {}, backend)).toMatchObject({ code: 'ACCESS_DENIED' });
      for (const type of [
        'DocumentsReminder',
        'OfferExpired',
        'CompletionOverdue',
        'CreditAssessed',
        'CreditAssessmentFailed',
        'LoanDisbursed',
        'DisbursementFailed',
      ]) {
        expect(checkAtEdge(mortgage, type, uma), type).toMatchObject({ code: 'ACCESS_DENIED' });
      }
    });
  });

  it('MakeOffer without its processor registered fails the action, leaving the data as it was', () => {
    const data = underwriting();
    expect(evaluate(mortgage, { data, event: { type: 'MakeOffer', payload: { annualRateBps: 400 } }, context: uma, nowMs: NOW })).toMatchObject({
      outcome: 'rejected',
      code: 'ACTION_FAILED',
      message: 'MakeOffer failed: action processor computeMonthlyPayment is not registered',
    });
  });
});
