import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkAtEdge, compileJourneys, createPayloadValidators, evaluate, isInitiating } from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Evaluation, JsonObject } from '../../dsl/index.js';

const owner: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'app' };
const stranger: EventContext = { ...owner, sender: 'mallory' };
const NOW = Date.UTC(2026, 0, 1);

let wallet: CompiledJourney;

beforeAll(async () => {
  const result = await compileJourneys(resolve(import.meta.dirname, '../../journeys'));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const found = result.journeys.find((j) => j.name === 'pfm/wallet' && j.version === '1.0');
  if (!found) throw new Error('pfm/wallet 1.0 did not compile');
  wallet = found;
});

function send(data: JsonObject | null, type: string, payload: JsonObject, context: EventContext = owner): Evaluation {
  return evaluate(wallet, { data, event: { type, payload }, context, nowMs: NOW });
}

function applied(result: Evaluation): Extract<Evaluation, { outcome: 'applied' }> {
  if (result.outcome !== 'applied') throw new Error(`${result.code}: ${result.message}`);
  return result;
}

function opened(): JsonObject {
  return applied(send(null, 'OpenWallet', { owner: 'alice', currency: 'EUR' })).data;
}

function withBalance(balance: number): JsonObject {
  return applied(send(opened(), 'Deposit', { amount: balance }, stranger)).data;
}

describe('pfm/wallet 1.0', () => {
  it('declares the contract: events, initiating event, search fields, source', () => {
    expect(Object.keys(wallet.events).sort()).toEqual(
      ['CloseWallet', 'Deposit', 'Deposited', 'OpenWallet', 'WalletClosed', 'WalletOpened', 'Withdraw', 'WithdrawalRejected', 'Withdrawn'].sort(),
    );
    expect(isInitiating(wallet, 'OpenWallet')).toBe(true);
    expect(['Deposit', 'Withdraw', 'CloseWallet'].map((e) => isInitiating(wallet, e))).toEqual([false, false, false]);
    expect(wallet.searchFields.map((f) => f.name)).toEqual(['owner', 'status']);
    expect(wallet.source).toBe('pfm/wallet/1.0/journey.jd');
  });

  it('OpenWallet creates the data and emits WalletOpened', () => {
    expect(send(null, 'OpenWallet', { owner: 'alice', currency: 'EUR' })).toEqual({
      outcome: 'applied',
      beadId: 'OpenWallet#1',
      data: { owner: 'alice', currency: 'EUR', balance: 0, status: 'open', deposits: 0, withdrawals: 0 },
      emitted: [{ type: 'WalletOpened', payload: { owner: 'alice', currency: 'EUR' } }],
      effects: [],
    });
  });

  it('Deposit (from anyone) adds to the balance and counts deposits', () => {
    const result = applied(send(opened(), 'Deposit', { amount: 250 }, stranger));
    expect(result.data).toMatchObject({ balance: 250, deposits: 1, withdrawals: 0 });
    expect(result.emitted).toEqual([{ type: 'Deposited', payload: { amount: 250, balance: 250 } }]);
  });

  it('Withdraw within the balance', () => {
    const result = applied(send(withBalance(100), 'Withdraw', { amount: 40 }));
    expect(result.data).toMatchObject({ balance: 60, deposits: 1, withdrawals: 1 });
    expect(result.emitted).toEqual([{ type: 'Withdrawn', payload: { amount: 40, balance: 60 } }]);
  });

  it('Withdraw beyond the balance is applied by the else branch: WithdrawalRejected, nothing else changes', () => {
    const data = withBalance(100);
    const result = applied(send(data, 'Withdraw', { amount: 101 }));
    expect(result.data).toEqual(data);
    expect(result.emitted).toEqual([{ type: 'WithdrawalRejected', payload: { amount: 101, balance: 100, reason: 'insufficient funds' } }]);
  });

  it('only the owner may withdraw or close', () => {
    const data = withBalance(100);
    expect(send(data, 'Withdraw', { amount: 1 }, stranger)).toEqual({
      outcome: 'rejected',
      code: 'ACCESS_DENIED',
      message: 'mallory may not send Withdraw here (requires sender == data.owner)',
      beadId: 'Withdraw#1',
      rule: 'sender == data.owner',
    });
    expect(send(opened(), 'CloseWallet', {}, stranger)).toMatchObject({ outcome: 'rejected', code: 'ACCESS_DENIED' });
    // Decided only with the data: the edge lets it through.
    expect(checkAtEdge(wallet, 'Withdraw', stranger)).toBeNull();
  });

  it('CloseWallet needs a zero balance', () => {
    expect(send(withBalance(5), 'CloseWallet', {})).toEqual({
      outcome: 'rejected',
      code: 'PRECONDITION_FAILED',
      message: 'CloseWallet rejected: precondition failed: data.balance == 0',
      beadId: 'CloseWallet#1',
      rule: 'data.balance == 0',
    });
    const closed = applied(send(opened(), 'CloseWallet', {}));
    expect(closed.data.status).toBe('closed');
    expect(closed.emitted).toEqual([{ type: 'WalletClosed', payload: { owner: 'alice' } }]);
  });

  it('a closed wallet accepts nothing', () => {
    const closed = applied(send(opened(), 'CloseWallet', {})).data;
    for (const [type, payload] of [
      ['Deposit', { amount: 1 }],
      ['Withdraw', { amount: 1 }],
      ['CloseWallet', {}],
    ] as const) {
      expect(send(closed, type, payload)).toMatchObject({ outcome: 'rejected', code: 'PRECONDITION_FAILED', rule: 'data.status == "open"' });
    }
    expect(send(closed, 'OpenWallet', { owner: 'alice', currency: 'EUR' })).toMatchObject({ outcome: 'rejected', code: 'NO_MATCHING_BEAD' });
  });

  it('validates payloads: integer amounts >= 1, non-empty owner, 3-letter currency, no extra fields', () => {
    const v = createPayloadValidators(wallet);
    expect(v.validate('OpenWallet', { owner: 'alice', currency: 'EUR' })).toEqual([]);
    expect(v.validate('OpenWallet', { owner: '', currency: 'eur' }).map((x) => x.pointer)).toEqual(['/owner', '/currency']);
    expect(v.validate('OpenWallet', { owner: 'a' }).map((x) => x.message)).toEqual(['must have property "currency"']);
    expect(v.validate('Deposit', { amount: 1 })).toEqual([]);
    expect(v.validate('Deposit', { amount: 0 })).toEqual([{ pointer: '/amount', message: 'must be >= 1' }]);
    expect(v.validate('Deposit', { amount: 1.5 })).toEqual([{ pointer: '/amount', message: 'must be integer' }]);
    expect(v.validate('Withdraw', { amount: 5, note: 'x' })).toEqual([{ pointer: '', message: 'has unknown property "note"' }]);
    expect(v.validate('CloseWallet', {})).toEqual([]);
    expect(v.validate('CloseWallet', { force: true })).toHaveLength(1);
  });
});
