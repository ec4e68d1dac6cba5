import { describe, expect, it } from 'vitest';
import { ShutdownPlan } from '../../cli/shutdown.js';
import { silentLogger } from '../../common/index.js';

const never = (): Promise<void> => new Promise(() => undefined);

describe('ShutdownPlan', () => {
  it('runs steps last-registered first, cuts a hung one at its bound, and still runs the rest', async () => {
    const plan = new ShutdownPlan(silentLogger());
    const ran: string[] = [];
    plan.add({ name: 'first started', share: 0.2, run: () => Promise.resolve(ran.push('first started')) });
    plan.add({ name: 'hangs', share: 0.4, run: () => (ran.push('hangs'), never()) });
    plan.add({ name: 'fails', share: 0.1, run: () => (ran.push('fails'), Promise.reject(new Error('boom'))) });
    plan.add({ name: 'last started', share: 0.1, run: () => Promise.resolve(ran.push('last started')) });
    const budgetMs = 1_000;
    const started = performance.now();
    const clean = await plan.run(budgetMs, started + budgetMs);
    const took = performance.now() - started;
    expect(ran).toEqual(['last started', 'fails', 'hangs', 'first started']);
    expect(clean).toBe(false);
    // The hung step had what was not kept for the step after it (0.2 of the budget): about 0.8 s.
    expect(took).toBeGreaterThan(650);
    expect(took).toBeLessThan(budgetMs + 300);
  });

  it('gives each step at least a little time even past the deadline, and runs emergency stops once', async () => {
    const plan = new ShutdownPlan(silentLogger());
    const bounds: number[] = [];
    plan.add({ name: 'a', share: 0.5, run: (timeoutMs) => Promise.resolve(bounds.push(timeoutMs)) });
    plan.add({ name: 'b', share: 0.5, run: (timeoutMs) => Promise.resolve(bounds.push(timeoutMs)) });
    let stops = 0;
    plan.onEmergency('server', () => {
      stops += 1;
    });
    plan.onEmergency('settled', () => {
      throw new Error('must not run');
    });
    plan.settled('settled');
    expect(await plan.run(1_000, performance.now() - 5_000)).toBe(true);
    expect(bounds.every((bound) => bound >= 200)).toBe(true);
    expect(stops).toBe(1);
    plan.emergencyStop();
    expect(stops).toBe(1);
  });
});
