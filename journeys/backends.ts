/**
 * Simulated back-end systems the example journeys call (`call <system>.<operation>` in the DSL).
 * Real deployments register their own adapters; these answer locally so the examples run anywhere.
 *
 * Each answer is a pure function of the request and the call id, so a call the queue runs twice
 * (BullMQ is at-least-once) answers the same both times, as a real receiver deduplicating by call
 * id would. Each system also refuses one recognisable input every time, so tests can follow the
 * retry → dead letter → failure event path:
 *
 * | Operation | Answers | Always fails when |
 * |---|---|---|
 * | `booking.book` (mybank/payment/sct) | `{ bookingId, bookedAt }` | the creditor IBAN ends in `0000` (account closed) |
 * | `creditbureau.assess` (mybank/lending/mortgage) | `{ score, reference }` | the applicant starts with `unknown` (no credit file) |
 * | `ledger.disburse` (mybank/lending/mortgage) | `{ disbursementId, disbursedAt }` | the deed reference ends in `0000` (not registered) |
 *
 * Like a real system, they remember what they did with each call (its answer, or why it failed)
 * and say so through `query` (what `journey reconcile` asks). A test can make them lose replies:
 * the work is done and remembered, but the answer never reaches the engine (the call fails as on
 * a timeout), so only reconciliation can find it.
 */
import { createHash } from 'node:crypto';
import type { BackendCallRecord, BackendHandler, BackendQuery, BackendRegistry } from '../engine/index.js';
import type { JsonObject } from '../dsl/index.js';
import { ID_PATTERN } from '../common/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = ID_PATTERN;

/** The time a ULID call id was made (its first 10 characters), as an ISO timestamp. */
export function callTime(callId: string): string {
  if (!ULID.test(callId)) throw new Error(`call id ${JSON.stringify(callId.slice(0, 40))} is not a ULID`);
  let ms = 0;
  for (const char of callId.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(char);
  return new Date(ms).toISOString();
}

/** A short stable reference derived from the call id: what a receiver would hand out. */
function reference(prefix: string, callId: string): string {
  return `${prefix}-${createHash('sha256').update(callId).digest('hex').slice(0, 16).toUpperCase()}`;
}

function text(request: JsonObject, field: string): string {
  const value = request[field];
  if (typeof value !== 'string' || value.length === 0) throw new Error(`request field ${field} must be a non-empty string`);
  return value;
}

function cents(request: JsonObject, field: string): number {
  const value = request[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new Error(`request field ${field} must be a positive whole number of cents`);
  return value;
}

/** The example operations, each made a handler by `simulated`. */
const backends = (simulated: (answer: (request: JsonObject, callId: string) => JsonObject) => BackendHandler): BackendRegistry => ({
  /** Books a SEPA credit transfer on the ledger. */
  'booking.book': simulated((request, callId) => {
    text(request, 'debtorIban');
    const creditorIban = text(request, 'creditorIban');
    cents(request, 'amount');
    if (request.currency !== 'EUR') throw new Error('booking refused: SEPA credit transfers are in EUR');
    if (creditorIban.endsWith('0000')) throw new Error(`booking refused: creditor account ${creditorIban} is closed`);
    return { bookingId: reference('BK', callId), bookedAt: callTime(callId) };
  }),

  /**
   * Scores an applicant from 0 to 1000: 850 minus 60 points per year of income borrowed, so a
   * loan of 4.5 times the income scores 580 (below the mortgage's 600 threshold).
   */
  'creditbureau.assess': simulated((request, callId) => {
    const applicant = text(request, 'applicant');
    const income = cents(request, 'annualIncome');
    const loan = cents(request, 'loanAmount');
    if (applicant.startsWith('unknown')) throw new Error(`no credit file for ${applicant}`);
    const score = Math.max(0, Math.min(1000, Math.round(850 - (60 * loan) / income)));
    return { score, reference: reference('CB', callId) };
  }),

  /** Pays a mortgage out once the deed is signed. */
  'ledger.disburse': simulated((request, callId) => {
    text(request, 'applicant');
    cents(request, 'amount');
    const deed = text(request, 'deedReference');
    if (deed.endsWith('0000')) throw new Error(`disbursement refused: deed ${deed} is not registered`);
    return { disbursementId: reference('DS', callId), disbursedAt: callTime(callId) };
  }),
});

/** Calls remembered, the oldest forgotten first: `journey serve` may run for long. */
const REMEMBERED = 100_000;

export interface SimulatedBackends {
  backends: BackendRegistry;
  /** What they did with these calls: each handler's `query`. */
  query: BackendQuery;
  /** Test hook: while on, every call is done and remembered but its reply is lost on the way back. */
  loseReplies(on: boolean): void;
}

/** Simulated back ends with their own memory of the calls they got. */
export function createSimulatedBackends(): SimulatedBackends {
  const remembered = new Map<string, BackendCallRecord>();
  let losing = false;
  const remember = (callId: string, record: BackendCallRecord): void => {
    remembered.delete(callId);
    remembered.set(callId, record);
    const oldest = remembered.keys().next();
    if (remembered.size > REMEMBERED && oldest.done !== true) remembered.delete(oldest.value);
  };
  const query: BackendQuery = (callIds) => {
    const found: Record<string, BackendCallRecord> = {};
    for (const id of callIds) {
      const record = remembered.get(id);
      if (record) found[id] = record;
    }
    return Promise.resolve(found);
  };

  /** A synchronous answer as a back-end handler: what it throws becomes a rejected promise. */
  const simulated = (answer: (request: JsonObject, callId: string) => JsonObject): BackendHandler =>
    Object.assign(
      (request: JsonObject, { callId }: { callId: string }): Promise<JsonObject> => {
        let reply: JsonObject;
        try {
          reply = answer(request, callId);
        } catch (thrown: unknown) {
          const error = thrown instanceof Error ? thrown : new Error(String(thrown));
          remember(callId, { status: 'failed', reason: error.message });
          return Promise.reject(error);
        }
        remember(callId, { status: 'done', reply });
        if (losing) return Promise.reject(new Error(`no answer: the reply to call ${callId} was lost on its way back`));
        return Promise.resolve(reply);
      },
      { query },
    );

  return {
    backends: backends(simulated),
    query,
    loseReplies: (on) => {
      losing = on;
    },
  };
}

/** The simulated back ends `journey serve` uses when none are configured. */
export const simulatedBackends: BackendRegistry = createSimulatedBackends().backends;
