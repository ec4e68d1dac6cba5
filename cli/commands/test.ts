import { parseArgs } from 'node:util';
import { formatScenarioReport, testJourneys } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey test <path> [--json]

Runs the scenarios of journey versions: the files in each version's scenarios/ folder
(*.yaml, *.yml or *.json; e.g. journeys/pfm/wallet/1.0/scenarios/wallet.yaml). Each scenario sends
events to one journey as the API would (payloads checked against their schemas, senders the rules
refuse whatever the state answered 403), feeds emitted events back, fires timers as its clock
advances, and answers back-end calls; then checks what each step expects (outcome, rejection
code and reason, data, emitted events, timers, calls). In memory: no store, no grid.

<path> is a journeys tree (every version below it that has scenarios), one version folder, its
scenarios/ folder, or one scenario file. The format: docs/DSL.md, "Testing a journey: scenarios".

  --json      print the report as JSON instead (every failure with its file, line and column)

Failures are printed like compiler errors: file:line:col, the scenario and step, the line, a caret.
Exit codes: 0 every scenario passed, 1 a scenario failed (or a file or version could not run),
2 wrong command line.`;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { json: { type: 'boolean', default: false } } });
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) throw new UsageError(path === undefined ? 'expected a path' : `expected one path, got also ${extra.join(' ')}`);
  const report = await testJourneys(path);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatScenarioReport(report));
  return report.failed > 0 || report.failures.length > 0 ? EXIT.invalidInput : EXIT.ok;
}

/** `journey test <path>`: run the scenarios of journey versions. */
export const testCommand: CliCommand = {
  name: 'test',
  summary: "Run journey versions' scenarios (events in, expected outcomes, data, events, timers, calls)",
  help: HELP,
  run: withUsage('test', HELP, run),
};
