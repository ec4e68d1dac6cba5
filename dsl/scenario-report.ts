/**
 * What `journey test` prints: each failure like a compiler diagnostic (file:line:col, the line, a
 * caret), led by the scenario and the step it is in, and a summary per version.
 */
import type { ScenarioFailure } from './scenario-model.js';

/** The result of one scenario. */
export interface ScenarioResult {
  /** The scenario file, as messages name it. */
  file: string;
  scenario: string;
  passed: boolean;
  /** Steps carried out (up to the first that failed). */
  steps: number;
  failures: ScenarioFailure[];
}

/** The scenarios of one journey version. */
export interface VersionScenarios {
  /** `pfm/wallet`, or the folder when the version does not compile. */
  name: string;
  version: string;
  /** The version folder, as messages name it. */
  folder: string;
  results: ScenarioResult[];
  /** Problems that kept scenarios from running: a version that does not compile, a file that does not parse. */
  failures: ScenarioFailure[];
}

export interface ScenarioReport {
  versions: VersionScenarios[];
  /** Version folders without a scenario, as messages name them. */
  withoutScenarios: string[];
  passed: number;
  failed: number;
  /** Every failure, in the order printed. */
  failures: ScenarioFailure[];
}

/**
 * ```
 * journeys/pfm/wallet/1.0/scenarios/wallet.yaml:31:18: error[expectation-failed]: bob cannot withdraw › step 2 (send Withdraw): expected rejected, got applied
 *  31 |         outcome: rejected
 *     |                  ^^^^^^^^
 * ```
 */
export function formatScenarioFailure(failure: ScenarioFailure): string {
  const where = failure.line > 0 ? `${failure.file}:${failure.line}:${failure.column}` : failure.file;
  const scope =
    failure.scenario === undefined
      ? ''
      : `${failure.scenario}${failure.step === undefined ? '' : ` › step ${failure.step}${failure.action === undefined ? '' : ` (${failure.action})`}`}: `;
  const head = `${where}: error[${failure.code}]: ${scope}${failure.message}`;
  if (failure.line === 0 || failure.sourceLine === undefined) return head;
  const gutter = String(failure.line).length;
  const lead = failure.sourceLine.slice(0, failure.column - 1).replace(/[^\t]/g, ' ');
  return [head, ` ${String(failure.line).padStart(gutter)} | ${failure.sourceLine}`, ` ${' '.repeat(gutter)} | ${lead}${'^'.repeat(failure.length)}`].join(
    '\n',
  );
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The whole run as text: a line per scenario, then each failure located, then the counts. */
export function formatScenarioReport(report: ScenarioReport): string {
  const lines: string[] = [];
  for (const version of report.versions) {
    lines.push(`${version.name} ${version.version} (${version.folder})`);
    for (const result of version.results) {
      const file = result.file.split('/').pop() ?? result.file;
      lines.push(`  ${result.passed ? 'ok  ' : 'FAIL'}  ${result.scenario} (${file}, ${plural(result.steps, 'step')})`);
    }
    if (version.failures.length > 0) lines.push(`  FAIL  ${plural(version.failures.length, 'problem')} kept scenarios from running`);
  }
  if (report.withoutScenarios.length > 0) lines.push(`no scenarios: ${report.withoutScenarios.join(', ')}`);
  if (report.failures.length > 0) lines.push('', report.failures.map(formatScenarioFailure).join('\n\n'));
  const problems = report.versions.reduce((sum, version) => sum + version.failures.length, 0);
  lines.push(
    '',
    `${plural(report.passed + report.failed, 'scenario')}: ${report.passed} passed, ${report.failed} failed` +
      (problems > 0 ? `; ${plural(problems, 'file problem')}` : '') +
      ` (${plural(report.versions.length, 'version')} with scenarios)`,
  );
  return lines.join('\n');
}
