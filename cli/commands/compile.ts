import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compileJourneys, formatDiagnostics } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../command.js';

const DEFAULT_OUT = 'dist/journeys-ir';

const HELP = `Usage: journey compile <dir> [--out <dir>]

Compiles every journey version under <dir> and writes its intermediate form (the IR, described by
dsl/ir.schema.json) to <out>/<name>/<version>/journey.json. Nothing is written if any journey has
errors.

  --out <dir>   where to write (default ${DEFAULT_OUT})

Exit codes: 0 written, 1 errors in the journeys, 2 wrong command line.`;

export const compileCommand: CliCommand = {
  name: 'compile',
  summary: 'Compile journey definitions to their JSON intermediate form',
  help: HELP,
  async run(args) {
    let out = DEFAULT_OUT;
    const positional: string[] = [];
    for (let i = 0; i < args.length; i += 1) {
      const arg = args[i] ?? '';
      if (arg === '--out') {
        const value = args[i + 1];
        if (value === undefined || value.startsWith('-')) {
          console.error(`journey compile: --out needs a folder\n\n${HELP}`);
          return EXIT.usage;
        }
        out = value;
        i += 1;
      } else if (arg.startsWith('-')) {
        console.error(`journey compile: unknown option ${arg}\n\n${HELP}`);
        return EXIT.usage;
      } else {
        positional.push(arg);
      }
    }
    const [dir, ...extra] = positional;
    if (dir === undefined || extra.length > 0) {
      console.error(`journey compile: expected one folder\n\n${HELP}`);
      return EXIT.usage;
    }
    const result = await compileJourneys(dir);
    if (result.diagnostics.length > 0) console.error(`${formatDiagnostics(result.diagnostics)}\n`);
    if (result.diagnostics.some((d) => d.severity === 'error')) {
      console.error('journey compile: not written, the journeys have errors');
      return EXIT.invalidInput;
    }
    for (const journey of result.journeys) {
      const folder = join(out, ...journey.name.split('/'), journey.version);
      await mkdir(folder, { recursive: true });
      const file = join(folder, 'journey.json');
      await writeFile(file, `${JSON.stringify(journey, null, 2)}\n`);
      console.log(`wrote ${file}`);
    }
    return EXIT.ok;
  },
};
