// journey reconcile and POST /reconcile/{system} over the fake engine (no network): what the
// command sends, its validation, the operator role, the report as text and the exit codes.
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createReconcileCommand, formatReconcileReport, parseReconcileArgs } from '../../cli/commands/reconcile.js';
import { silentLogger } from '../../common/index.js';
import type { ReconcileReport } from '../../engine/index.js';
import { useCliHarness } from '../support/cli-harness.js';
import { fetchViaApp } from '../support/fetch-via-app.js';
import { FakeEngine, devOptions } from './api-helpers.js';

const URL_ARGS = ['--url', 'http://api.test:3000'];
const cli = useCliHarness('journey-reconcile');

const lost: ReconcileReport = {
  system: 'booking',
  repair: false,
  from: null,
  mark: null,
  checked: 3,
  more: false,
  mismatches: [
    {
      kind: 'lost-reply',
      callId: '01J00000000000000000000001',
      journeyId: '01J00000000000000000000002',
      operation: 'book',
      createdAt: '2026-06-01T08:00:00.000000Z',
      outbox: 'dead',
      backend: 'done',
      repaired: false,
    },
  ],
};

describe('journey reconcile', () => {
  it('parses the back end and its options, and refuses a wrong command line', () => {
    expect(parseReconcileArgs(['booking', '--repair', '--since', '2026-06-01T00:00:00Z', '--limit', '50', ...URL_ARGS])).toMatchObject({
      system: 'booking',
      request: { repair: true, since: '2026-06-01T00:00:00Z', limit: 50 },
      json: false,
    });
    expect(() => parseReconcileArgs([])).toThrow('expected the back end to reconcile');
    expect(() => parseReconcileArgs(['booking', 'ledger'])).toThrow('expected one back end, got also ledger');
    expect(() => parseReconcileArgs(['book-ing'])).toThrow("'book-ing' is not a back-end system name");
    expect(() => parseReconcileArgs(['booking', '--since', '2026-06-01'])).toThrow('--since is an ISO date-time with its offset');
    expect(() => parseReconcileArgs(['booking', '--limit', '0'])).toThrow('--limit must be a whole number from 1 to 10000');
  });

  it('shows the mismatches, the mark, and how to repair what is left', () => {
    const text = formatReconcileReport(lost);
    expect(text).toContain('booking: 3 calls compared from its first call');
    expect(text).toMatch(/KIND\s+CALL\s+OPERATION\s+JOURNEY\s+OUTBOX\s+BACK END\s+REPAIRED/);
    expect(text).toMatch(/lost-reply\s+01J00000000000000000000001\s+book\s+01J00000000000000000000002\s+dead\s+done\s+no/);
    expect(text).toContain('high-water mark: none yet');
    expect(text).toContain('1 lost reply: journey reconcile booking --repair replays them');
    expect(formatReconcileReport({ ...lost, mismatches: [], more: true })).toContain('No mismatches.\n\nhigh-water mark: none yet\nThe limit stopped the run');
  });

  it('posts to /reconcile/{system} as an operator; exit 1 while mismatches are left, 0 when none', async () => {
    const engine = new FakeEngine();
    const app = buildApi(engine, devOptions, silentLogger());
    const command = createReconcileCommand(fetchViaApp(app));
    expect(await command.run(['booking', '--repair', ...URL_ARGS])).toBe(0);
    expect(engine.reconciled).toEqual([{ system: 'booking', request: { repair: true }, operator: 'journey-cli' }]);
    engine.reconcile = () => Promise.resolve(lost);
    expect(await command.run(['booking', '--json', ...URL_ARGS])).toBe(1);
    expect(JSON.parse(cli.output.slice(-1)[0] ?? '')).toEqual(lost);

    const customer = await app.inject({ method: 'POST', url: '/reconcile/booking', headers: { 'x-dev-sender': 'alice' }, payload: {} });
    expect(customer.statusCode).toBe(403);
    expect(customer.json()).toMatchObject({
      error: { code: 'JE_ACCESS_DENIED', message: expect.stringContaining('Reconciling a back end needs the operator role') as unknown },
    });
    const operator = { 'x-dev-sender': 'olga', 'x-dev-roles': 'operator' };
    const bad = await app.inject({ method: 'POST', url: '/reconcile/booking', headers: operator, payload: { repair: 'yes' } });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/reconcile/booking', headers: operator })).statusCode).toBe(200);
    expect(engine.reconciled).toHaveLength(1);
    await app.close();
  });
});
