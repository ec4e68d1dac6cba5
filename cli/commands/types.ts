import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATED_TYPES_FILE, compileJourneys, formatDiagnostics, generateJourneyTypes } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey types <dir> [--out <dir>] [--check]

Generates the TypeScript types of every journey version under <dir> from its JSON Schemas
(json-schema-to-typescript): one interface for the data, one per event, a map of event type to
payload type and a union of events. Each goes to <journey folder>/${GENERATED_TYPES_FILE} with a
do-not-edit header; action processors import it from '../generated/types.js'.

  --out <dir>   write <dir>/<name>/<version>/types.ts instead, leaving the journey folders alone
  --check       write nothing; exit 1 when a journey's ${GENERATED_TYPES_FILE} is missing or
                differs from what would be generated (for CI)

The output depends only on the schemas and the tool's version: regenerating changes nothing.
Exit codes: 0 done (or current), 1 errors in the journeys (or, with --check, stale files),
2 wrong command line.`;

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { out: { type: 'string' }, check: { type: 'boolean', default: false } },
  });
  const [dir, ...extra] = positionals;
  if (dir === undefined || extra.length > 0) throw new UsageError(dir === undefined ? 'expected a folder' : `expected one folder, got also ${extra.join(' ')}`);
  if (values.check && values.out !== undefined) throw new UsageError('--check compares the journey folders; it writes nothing, so no --out');

  const compiled = await compileJourneys(dir);
  if (compiled.diagnostics.some((d) => d.severity === 'error')) {
    console.error(`${formatDiagnostics(compiled.diagnostics)}\n\njourney types: the journeys have errors; fix them first (journey check)`);
    return EXIT.invalidInput;
  }
  let stale = 0;
  for (const journey of compiled.journeys) {
    const folder = compiled.folders[`${journey.name}@${journey.version}`] ?? '';
    const target = values.out === undefined ? join(folder, GENERATED_TYPES_FILE) : join(values.out, ...journey.name.split('/'), journey.version, 'types.ts');
    const shown = relative(process.cwd(), target) || target;
    const content = await generateJourneyTypes(journey);
    if (values.check) {
      const current = await readOrNull(target);
      if (current !== content) {
        stale += 1;
        console.error(`${shown}: ${current === null ? 'missing' : 'stale'}`);
      }
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    console.log(`wrote ${shown}`);
  }
  if (values.check) {
    if (stale > 0) {
      console.error(`journey types: ${stale} generated file${stale === 1 ? ' is' : 's are'} not current; run \`npm run journey -- types ${dir}\``);
      return EXIT.invalidInput;
    }
    console.log(`journey types: ${compiled.journeys.length} generated file${compiled.journeys.length === 1 ? ' is' : 's are'} current`);
  }
  return EXIT.ok;
}

/** `journey types <dir>`: TypeScript types of journeys' data and events, from their schemas. */
export const typesCommand: CliCommand = {
  name: 'types',
  summary: "Generate TypeScript types of journeys' data and events from their schemas",
  help: HELP,
  run: withUsage('types', HELP, run),
};
