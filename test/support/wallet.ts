import { resolve } from 'node:path';
import { compileJourneys } from '../../dsl/index.js';
import type { CompiledJourney, EventContext } from '../../dsl/index.js';

let compiled: Promise<CompiledJourney[]> | undefined;

/** All example journeys, compiled once per test file. */
export function exampleJourneys(): Promise<CompiledJourney[]> {
  compiled ??= (async () => {
    const result = await compileJourneys(resolve(import.meta.dirname, '../../journeys'));
    return result.journeys;
  })();
  return compiled;
}

export async function walletJourney(): Promise<CompiledJourney> {
  const wallet = (await exampleJourneys()).find((j) => j.name === 'pfm/wallet' && j.version === '1.0');
  if (!wallet) throw new Error('journeys/pfm/wallet/1.0 did not compile');
  return wallet;
}

export function walletContext(sender: string): EventContext {
  return { sender, roles: ['customer'], trustLevel: 2, channel: 'test' };
}

export interface WalletTotals {
  balance: number;
  deposits: number;
  withdrawals: number;
}

/** Replays wallet operations (after the opening) with the wallet's rules: what the data must say. */
export function replayWallet(events: Array<{ type: string; amount: number }>): WalletTotals {
  const totals: WalletTotals = { balance: 0, deposits: 0, withdrawals: 0 };
  for (const { type, amount } of events) {
    if (type === 'Deposit') {
      totals.balance += amount;
      totals.deposits += 1;
    } else if (type === 'Withdraw' && totals.balance >= amount) {
      totals.balance -= amount;
      totals.withdrawals += 1;
    }
  }
  return totals;
}
