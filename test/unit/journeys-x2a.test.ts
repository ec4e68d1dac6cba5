/**
 * theglue/psd2/x2a 1.0 and 2.0, a PSD2 access-to-account consent, through the pure evaluator.
 * 2.0 adds one bead (RenewConsent) and one optional data field (renewedAt); 1.0 data stays valid
 * 2.0 data, which the versions work (uplift) relies on.
 */
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXTS, checkAtEdge, compileJourneys, evaluate } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Evaluation, JsonObject } from '../../dsl/index.js';

const NOW = Date.UTC(2026, 4, 1, 12);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const tpp: EventContext = { sender: 'tpp-budgetapp', roles: ['tpp'], trustLevel: 3, channel: 'xs2a', origin: 'api' };
const psu: EventContext = { sender: 'psu-carol', roles: ['customer'], trustLevel: 2, channel: 'app', origin: 'api' };
const psuWeak: EventContext = { ...psu, trustLevel: 1 };
const otherTpp: EventContext = { ...tpp, sender: 'tpp-other' };
const timer: EventContext = SYSTEM_CONTEXTS.timer;
const request = { psu: 'psu-carol', accounts: ['NL91ABNA0417164300'], access: 'balances', frequencyPerDay: 4 };

const journeys: Record<string, CompiledJourney> = {};

beforeAll(async () => {
  const result = await compileJourneys(resolve(import.meta.dirname, '../../journeys'));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  for (const version of ['1.0', '2.0']) {
    const found = result.journeys.find((j) => j.name === 'theglue/psd2/x2a' && j.version === version);
    if (!found) throw new Error(`theglue/psd2/x2a ${version} did not compile`);
    journeys[version] = found;
  }
});

function applied(result: Evaluation): Extract<Evaluation, { outcome: 'applied' }> {
  if (result.outcome !== 'applied') throw new Error(`${result.code}: ${result.message}`);
  return result;
}

for (const version of ['1.0', '2.0']) {
  describe(`theglue/psd2/x2a ${version}`, () => {
    const send = (data: JsonObject | null, type: string, payload: JsonObject, context: EventContext, nowMs = NOW): Evaluation =>
      evaluate(journeys[version]!, { data, event: { type, payload }, context, nowMs });
    const received = (): JsonObject => applied(send(null, 'RequestConsent', request, tpp)).data;
    const valid = (): JsonObject => applied(send(received(), 'AuthoriseConsent', {}, psu)).data;

    it('a TPP requests consent: received, with a 30-minute authorisation window', () => {
      const result = applied(send(null, 'RequestConsent', request, tpp));
      expect(result.data).toEqual({
        tpp: 'tpp-budgetapp',
        psu: 'psu-carol',
        accounts: ['NL91ABNA0417164300'],
        access: 'balances',
        frequencyPerDay: 4,
        status: 'received',
        requestedAt: NOW,
        accessCount: 0,
      });
      expect(result.effects).toEqual([
        { kind: 'startTimer', timer: 'authorisation', fireAtMs: NOW + 30 * MINUTE_MS, event: { type: 'AuthorisationTimedOut', payload: {} }, unless: [] },
      ]);
      expect(result.emitted).toEqual([{ type: 'ConsentReceived', payload: { tpp: 'tpp-budgetapp', psu: 'psu-carol' } }]);
    });

    it('the PSU authorises with strong authentication: valid for 90 days', () => {
      const result = applied(send(received(), 'AuthoriseConsent', {}, psu, NOW + MINUTE_MS));
      expect(result.data).toMatchObject({ status: 'valid', validFrom: NOW + MINUTE_MS });
      expect(result.effects).toEqual([
        { kind: 'cancelTimer', timer: 'authorisation' },
        {
          kind: 'startTimer',
          timer: 'validity',
          fireAtMs: NOW + MINUTE_MS + 90 * DAY_MS,
          event: { type: 'ConsentExpired', payload: { validFrom: NOW + MINUTE_MS } },
          unless: [],
        },
      ]);
      expect(send(received(), 'AuthoriseConsent', {}, psuWeak)).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'context.trustLevel >= 2' });
    });

    it('the TPP reads within its access level, counting accesses', () => {
      const result = applied(send(valid(), 'RecordAccess', { resource: 'balances' }, tpp));
      expect(result.data.accessCount).toBe(1);
      expect(result.emitted).toEqual([{ type: 'AccountsAccessed', payload: { resource: 'balances', accessCount: 1 } }]);
      expect(applied(send(valid(), 'RecordAccess', { resource: 'accounts' }, tpp)).data.accessCount).toBe(1);
      expect(send(valid(), 'RecordAccess', { resource: 'transactions' }, tpp)).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'event.resource == "accounts" or event.resource == data.access or data.access == "transactions"',
      });
      expect(send({ ...valid(), accessCount: 360 }, 'RecordAccess', { resource: 'balances' }, tpp)).toMatchObject({
        rule: 'data.accessCount < data.frequencyPerDay * 90',
      });
    });

    it('ends by revocation, termination, rejection, a timed-out authorisation or expiry', () => {
      expect(applied(send(valid(), 'RevokeConsent', {}, psu)).emitted).toEqual([
        { type: 'ConsentEnded', payload: { status: 'revokedByPsu', by: 'psu-carol' } },
      ]);
      expect(applied(send(valid(), 'TerminateConsent', {}, tpp)).data.status).toBe('terminatedByTpp');
      expect(applied(send(received(), 'TerminateConsent', {}, tpp)).effects).toEqual([
        { kind: 'cancelTimer', timer: 'authorisation' },
        { kind: 'cancelTimer', timer: 'validity' },
      ]);
      expect(applied(send(received(), 'RejectConsent', {}, psu)).data.status).toBe('rejected');
      expect(applied(send(received(), 'AuthorisationTimedOut', {}, timer)).emitted).toEqual([
        { type: 'ConsentRejected', payload: { reason: 'not authorised in time' } },
      ]);
      expect(applied(send(valid(), 'ConsentExpired', { validFrom: NOW }, timer)).data.status).toBe('expired');
    });

    it('rejects what does not fit the status', () => {
      const revoked = applied(send(valid(), 'RevokeConsent', {}, psu)).data;
      expect(send(revoked, 'RecordAccess', { resource: 'accounts' }, tpp)).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'data.status == "valid"' });
      expect(send(received(), 'RevokeConsent', {}, psu)).toMatchObject({ code: 'PRECONDITION_FAILED' });
      expect(send(valid(), 'AuthorisationTimedOut', {}, timer)).toMatchObject({ code: 'PRECONDITION_FAILED', rule: 'data.status == "received"' });
      expect(send(revoked, 'TerminateConsent', {}, tpp)).toMatchObject({ rule: 'data.status in ["received", "valid"]' });
    });

    it('refuses senders: only TPPs request, only the PSU decides, only its TPP reads, only timers expire', () => {
      expect(send(null, 'RequestConsent', request, psu)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'role "tpp"' });
      expect(checkAtEdge(journeys[version]!, 'RequestConsent', psu)).toMatchObject({ code: 'ACCESS_DENIED' });
      expect(send(null, 'RequestConsent', { ...request, psu: 'tpp-budgetapp' }, tpp)).toMatchObject({
        code: 'PRECONDITION_FAILED',
        rule: 'event.psu != sender',
      });
      expect(send(received(), 'AuthoriseConsent', {}, tpp)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'sender == data.psu' });
      expect(send(valid(), 'RecordAccess', { resource: 'accounts' }, otherTpp)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'sender == data.tpp' });
      expect(send(valid(), 'RevokeConsent', {}, tpp)).toMatchObject({ code: 'ACCESS_DENIED' });
      expect(send(valid(), 'ConsentExpired', { validFrom: NOW }, psu)).toMatchObject({ code: 'ACCESS_DENIED', rule: 'context.origin == "timer"' });
      expect(checkAtEdge(journeys[version]!, 'ConsentExpired', psu)).toMatchObject({ code: 'ACCESS_DENIED' });
    });
  });
}

describe('theglue/psd2/x2a 2.0 against 1.0', () => {
  const send = (version: string, data: JsonObject | null, type: string, payload: JsonObject, context: EventContext, nowMs = NOW): Evaluation =>
    evaluate(journeys[version]!, { data, event: { type, payload }, context, nowMs });

  it('adds exactly one bead (RenewConsent), two events and one optional data field', () => {
    const [v1, v2] = [journeys['1.0']!, journeys['2.0']!];
    expect(v2.beads.map((b) => b.id).filter((id) => !v1.beads.some((b) => b.id === id))).toEqual(['RenewConsent#1']);
    expect(Object.keys(v2.events).filter((e) => !(e in v1.events))).toEqual(['ConsentRenewed', 'RenewConsent']);
    const fields = (j: CompiledJourney): string[] => Object.keys(j.dataSchema.properties as JsonObject);
    expect(fields(v2).filter((f) => !fields(v1).includes(f))).toEqual(['renewedAt']);
    expect(v2.dataSchema.required).toEqual(v1.dataSchema.required);
    expect(v2.searchFields).toEqual(v1.searchFields);
  });

  it('the PSU renews a valid 2.0 consent: the validity timer restarts', () => {
    const received = applied(send('2.0', null, 'RequestConsent', request, tpp)).data;
    const valid = applied(send('2.0', received, 'AuthoriseConsent', {}, psu)).data;
    const later = NOW + 80 * DAY_MS;
    const result = applied(send('2.0', valid, 'RenewConsent', {}, psu, later));
    expect(result.data.renewedAt).toBe(later);
    expect(result.effects).toEqual([
      { kind: 'startTimer', timer: 'validity', fireAtMs: later + 90 * DAY_MS, event: { type: 'ConsentExpired', payload: { validFrom: NOW } }, unless: [] },
    ]);
    expect(result.emitted).toEqual([{ type: 'ConsentRenewed', payload: { psu: 'psu-carol', renewedAt: later } }]);
    expect(send('2.0', valid, 'RenewConsent', {}, tpp)).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(send('2.0', valid, 'RenewConsent', {}, psuWeak)).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(send('1.0', valid, 'RenewConsent', {}, psu)).toMatchObject({
      code: 'NO_MATCHING_BEAD',
      message: 'theglue/psd2/x2a 1.0 has no bead for RenewConsent',
    });
  });

  it('the data of every 1.0 status is valid 2.0 data (what an uplift needs)', () => {
    const validate2 = new Ajv2020({ strict: false }).compile(journeys['2.0']!.dataSchema);
    const v1 = (type: string, data: JsonObject | null, context: EventContext, payload: JsonObject = {}): JsonObject =>
      applied(send('1.0', data, type, payload, context)).data;
    const received = v1('RequestConsent', null, tpp, request);
    const valid = v1('AuthoriseConsent', received, psu);
    const samples = [
      received,
      valid,
      v1('RecordAccess', valid, tpp, { resource: 'balances' }),
      v1('RevokeConsent', valid, psu),
      v1('RejectConsent', received, psu),
      v1('ConsentExpired', valid, timer, { validFrom: NOW }),
    ];
    for (const data of samples) expect(validate2(data), JSON.stringify(validate2.errors)).toBe(true);
  });
});
