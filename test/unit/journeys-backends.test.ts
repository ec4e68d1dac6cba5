/**
 * The simulated back ends `journey serve` gives the engine: deterministic answers from the call
 * id, one input each that always fails, and a contract check against every `call` step of the
 * example journeys (a handler exists, its answer fits the reply event, the failure event accepts
 * exactly the engine's dead-letter payload).
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileJourneys, createPayloadValidators } from '../../dsl/index.js';
import type { CompiledJourney, JsonObject, Step } from '../../dsl/index.js';
import { callTime, simulatedBackends } from '../../journeys/index.js';

const CALL_ID = '01JQ3ZV7N3X8Q4M0K5T9W2Y6BC';
const meta = { callId: CALL_ID, journeyId: '01JQ3ZV7N3X8Q4M0K5T9W2Y6BD', attempt: 1 };

/** A request each operation accepts, as the example journeys build it. */
const SAMPLE_REQUESTS: Record<string, JsonObject> = {
  'booking.book': {
    debtorIban: 'NL91ABNA0417164300',
    creditorIban: 'DE89370400440532013000',
    creditorName: 'Bob',
    amount: 12_500,
    currency: 'EUR',
    remittance: '',
  },
  'creditbureau.assess': { applicant: 'dave', annualIncome: 10_000_000, loanAmount: 40_000_000 },
  'ledger.disburse': { applicant: 'dave', amount: 40_000_000, deedReference: 'DEED-2026-17' },
};

function handler(name: string) {
  const found = simulatedBackends[name];
  if (!found) throw new Error(`no simulated back end ${name}`);
  return found;
}

function calls(steps: readonly Step[]): Array<Extract<Step, { kind: 'call' }>> {
  return steps.flatMap((step) => (step.kind === 'call' ? [step] : step.kind === 'if' ? [...calls(step.then), ...calls(step.else)] : []));
}

let journeys: CompiledJourney[];

beforeAll(async () => {
  journeys = (await compileJourneys(resolve(import.meta.dirname, '../../journeys'))).journeys;
});

describe('simulated back ends', () => {
  it('callTime reads the time out of a ULID call id', () => {
    expect(callTime('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe('2016-07-30T23:54:10.259Z');
    expect(() => callTime('not-a-ulid')).toThrow('call id "not-a-ulid" is not a ULID');
  });

  it('booking.book answers from the call id alone: the same call twice, the same answer', async () => {
    const first = await handler('booking.book')(SAMPLE_REQUESTS['booking.book']!, meta);
    expect(first).toEqual({ bookingId: expect.stringMatching(/^BK-[0-9A-F]{16}$/) as unknown, bookedAt: callTime(CALL_ID) });
    expect(await handler('booking.book')(SAMPLE_REQUESTS['booking.book']!, { ...meta, attempt: 3 })).toEqual(first);
    const other = await handler('booking.book')(SAMPLE_REQUESTS['booking.book']!, { ...meta, callId: '01JQ3ZV7N3X8Q4M0K5T9W2Y6BE' });
    expect(other.bookingId).not.toBe(first.bookingId);
  });

  it('booking.book always refuses a creditor IBAN ending in 0000, and a malformed request', async () => {
    const closed = { ...SAMPLE_REQUESTS['booking.book']!, creditorIban: 'DE89370400440532010000' };
    await expect(handler('booking.book')(closed, meta)).rejects.toThrow('booking refused: creditor account DE89370400440532010000 is closed');
    await expect(handler('booking.book')({ ...closed, creditorIban: 'DE89370400440532013000', amount: 0 }, meta)).rejects.toThrow(
      'request field amount must be a positive whole number of cents',
    );
    await expect(handler('booking.book')({ ...SAMPLE_REQUESTS['booking.book']!, currency: 'USD' }, meta)).rejects.toThrow('in EUR');
  });

  it('creditbureau.assess scores 850 minus 60 per year of income borrowed; unknown applicants have no file', async () => {
    const assess = handler('creditbureau.assess');
    expect(await assess(SAMPLE_REQUESTS['creditbureau.assess']!, meta)).toEqual({ score: 610, reference: expect.stringMatching(/^CB-/) as unknown });
    expect((await assess({ applicant: 'dave', annualIncome: 10_000_000, loanAmount: 45_000_000 }, meta)).score).toBe(580);
    await expect(assess({ ...SAMPLE_REQUESTS['creditbureau.assess']!, applicant: 'unknown-1' }, meta)).rejects.toThrow('no credit file for unknown-1');
  });

  it('ledger.disburse refuses a deed reference ending in 0000', async () => {
    expect(await handler('ledger.disburse')(SAMPLE_REQUESTS['ledger.disburse']!, meta)).toMatchObject({ disbursedAt: callTime(CALL_ID) });
    await expect(handler('ledger.disburse')({ ...SAMPLE_REQUESTS['ledger.disburse']!, deedReference: 'DEED-0000' }, meta)).rejects.toThrow(
      'deed DEED-0000 is not registered',
    );
  });

  it('every call of every example journey has a back end whose answer fits the reply event', async () => {
    const seen = new Set<string>();
    for (const journey of journeys) {
      const validators = createPayloadValidators(journey);
      for (const call of journey.beads.flatMap((bead) => calls(bead.steps))) {
        const name = `${call.system}.${call.operation}`;
        seen.add(name);
        const request = SAMPLE_REQUESTS[name];
        expect(request, `a sample request for ${name}`).toBeDefined();
        const answer = await handler(name)(request!, meta);
        expect(validators.validate(call.replyEvent, answer), `${journey.name}: ${name} → ${call.replyEvent}`).toEqual([]);
        // The engine's dead letter: exactly { reason, attempts }.
        expect(validators.validate(call.failureEvent, { reason: 'x', attempts: 5 }), call.failureEvent).toEqual([]);
        expect(validators.validate(call.failureEvent, { reason: 'x' }), call.failureEvent).not.toEqual([]);
        expect(validators.validate(call.failureEvent, { reason: 'x', attempts: 5, more: 1 }), call.failureEvent).not.toEqual([]);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(simulatedBackends).sort());
  });
});
