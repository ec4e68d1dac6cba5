import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJourneys, compileJourneys, formatAnalysis, formatDiagnostics, formatFinding } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../command.js';

const HELP = `Usage: journey check <dir> [--json] [--analysis [--strict]]

Compiles every journey version under <dir> (each folder holding a journey.jd, e.g.
journeys/pfm/wallet/1.0/) and prints the errors and warnings, with the source line and a caret.

  --json      print the diagnostics as a JSON array instead
  --analysis  also print the static analysis: each journey's states, the events each state
              accepts, who may send each event, and findings (unreachable beads, events no
              sender may send, events emitted but never handled, ...)
  --strict    with --analysis: analysis warnings fail the check too

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 wrong command line.`;

const FLAGS = new Set(['--json', '--analysis', '--strict']);

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Compile journey definitions and report errors and warnings',
  help: HELP,
  async run(args) {
    const json = args.includes('--json');
    const withAnalysis = args.includes('--analysis');
    const strict = args.includes('--strict');
    const rest = args.filter((a) => !FLAGS.has(a));
    if (withAnalysis && json) {
      console.error(`journey check: --json prints diagnostics only; use journey graph --analysis --json for the analysis\n\n${HELP}`);
      return EXIT.usage;
    }
    if (strict && !withAnalysis) {
      console.error(`journey check: --strict goes with --analysis\n\n${HELP}`);
      return EXIT.usage;
    }
    const [dir, ...extra] = rest;
    if (dir === undefined || extra.length > 0 || dir.startsWith('-')) {
      console.error(`journey check: expected one folder${extra.length > 0 ? `, got also ${extra.join(' ')}` : ''}\n\n${HELP}`);
      return EXIT.usage;
    }
    const result = await compileJourneys(dir);
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    let warnings = result.diagnostics.length - errors;
    if (json) {
      console.log(JSON.stringify(result.diagnostics, null, 2));
      return errors > 0 ? EXIT.invalidInput : EXIT.ok;
    }
    if (result.diagnostics.length > 0) console.log(`${formatDiagnostics(result.diagnostics)}\n`);
    let analysisWarnings = 0;
    let notes = 0;
    if (withAnalysis) {
      const analysis = analyzeJourneys(result.journeys);
      // Findings show their source line and a caret, as the compiler's diagnostics do.
      const texts = new Map<string, string[] | null>();
      const sourceLines = (source: string, line: number): string | undefined => {
        if (!texts.has(source)) {
          try {
            texts.set(source, readFileSync(join(dir, source), 'utf8').split(/\r?\n/));
          } catch {
            texts.set(source, null);
          }
        }
        return texts.get(source)?.[line - 1];
      };
      for (const journey of analysis.journeys) console.log(`${formatAnalysis(journey, sourceLines)}\n`);
      analysisWarnings = analysis.findings.filter((f) => f.severity === 'warning').length;
      notes = analysis.findings.length - analysisWarnings;
      const crossJourney = analysis.findings.filter((f) => !analysis.journeys.some((j) => j.findings.includes(f)));
      for (const finding of crossJourney) console.log(formatFinding(finding, sourceLines));
      if (crossJourney.length > 0) console.log('');
      warnings += analysisWarnings;
    }
    // One summary, last, counting everything listed above (the compiler's and the analysis's).
    const versions = result.journeys.map((j) => `${j.name} ${j.version}`).join(', ');
    console.log(
      `${result.journeys.length} journey version${result.journeys.length === 1 ? '' : 's'} compiled${versions ? ` (${versions})` : ''}; ` +
        `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` +
        (notes > 0 ? `, ${notes} note${notes === 1 ? '' : 's'}` : ''),
    );
    if (errors > 0 || (strict && analysisWarnings > 0)) return EXIT.invalidInput;
    return EXIT.ok;
  },
};
