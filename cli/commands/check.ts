import { compileJourneys, formatDiagnostics } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../command.js';

const HELP = `Usage: journey check <dir> [--json]

Compiles every journey version under <dir> (each folder holding a journey.jd, e.g.
journeys/pfm/wallet/1.0/) and prints the errors and warnings, with the source line and a caret.

  --json    print the diagnostics as a JSON array instead

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 wrong command line.`;

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Compile journey definitions and report errors and warnings',
  help: HELP,
  async run(args) {
    const json = args.includes('--json');
    const rest = args.filter((a) => a !== '--json');
    const [dir, ...extra] = rest;
    if (dir === undefined || extra.length > 0 || dir.startsWith('-')) {
      console.error(`journey check: expected one folder${extra.length > 0 ? `, got also ${extra.join(' ')}` : ''}\n\n${HELP}`);
      return EXIT.usage;
    }
    const result = await compileJourneys(dir);
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = result.diagnostics.length - errors;
    if (json) {
      console.log(JSON.stringify(result.diagnostics, null, 2));
    } else {
      if (result.diagnostics.length > 0) console.log(`${formatDiagnostics(result.diagnostics)}\n`);
      const versions = result.journeys.map((j) => `${j.name} ${j.version}`).join(', ');
      console.log(
        `${result.journeys.length} journey version${result.journeys.length === 1 ? '' : 's'} compiled${versions ? ` (${versions})` : ''}; ` +
          `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
      );
    }
    return errors > 0 ? EXIT.invalidInput : EXIT.ok;
  },
};
