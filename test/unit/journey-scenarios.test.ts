/**
 * The example journeys' scenario suites (journeys/<name>/<version>/scenarios/), run as
 * `journey test journeys/` runs them: every scenario passes, and the versions that ship a suite
 * keep shipping one.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatScenarioReport, testJourneys } from '../../dsl/index.js';

const journeys = resolve(import.meta.dirname, '../../journeys');

describe('the example journeys’ scenarios', () => {
  it('all pass', async () => {
    const report = await testJourneys(journeys);
    // On a failure the message is the runner's own report: each failure at its file, line and column.
    expect(report.failures, formatScenarioReport(report)).toEqual([]);
    expect(report.failed).toBe(0);
    const suites = Object.fromEntries(report.versions.map((v) => [`${v.name} ${v.version}`, v.results.length]));
    expect(Object.keys(suites)).toEqual(expect.arrayContaining(['pfm/wallet 1.0', 'mybank/payment/sct 2.0']));
    for (const [version, count] of Object.entries(suites)) expect(count, version).toBeGreaterThan(0);
  });
});
