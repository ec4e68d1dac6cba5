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
