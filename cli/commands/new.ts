import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureError } from '../../common/index.js';
import { journeyNameProblem, scaffoldVersion, versionProblem } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey new <type> <version> [--dir <journeys root>]

Scaffolds a journey version to grow from: <dir>/<type>/<version>/ with
  journey.jd                         one initiating bead (Start<Journey>, its event declared
                                     inline) and a read rule (its owner and auditors may read it)
  <journey>.data.schema.json         the data's JSON Schema
  scenarios/start-<journey>.yaml     scenarios that pass as written (journey test)

  --dir <dir>   the journeys root (default: journeys)

<type> is the journey's name as its header gives it: names joined by /, e.g. acme/hr/leave
(letters, digits and _; no reserved word of the language). <version> is numbers joined by dots.
An existing folder is never overwritten.
Exit codes: 0 written, 1 the version folder exists already, 2 wrong command line.`;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { dir: { type: 'string', default: 'journeys' } } });
  const [type, version, ...extra] = positionals;
  if (type === undefined || version === undefined || extra.length > 0) {
    throw new UsageError(
      extra.length > 0 ? `expected a type and a version, got also ${extra.join(' ')}` : 'expected a type and a version, e.g. acme/hr/leave 1.0',
    );
  }
  const problem = journeyNameProblem(type) ?? versionProblem(version);
  if (problem !== null) throw new UsageError(problem);
  const scaffold = scaffoldVersion(type, version);
  const folder = join(values.dir, ...scaffold.folder.split('/'));
  const shown = relative(process.cwd(), folder) || folder;
  await mkdir(dirname(folder), { recursive: true });
  try {
    // Not recursive: an existing version folder fails here, before anything is written into it.
    await mkdir(folder);
  } catch (thrown: unknown) {
    const error = ensureError(thrown);
    if ('code' in error && error.code === 'EEXIST') {
      console.error(`journey new: ${shown} exists already; nothing was written (a version is never overwritten: scaffold a new version)`);
      return EXIT.invalidInput;
    }
    throw error;
  }
  for (const [file, content] of Object.entries(scaffold.files)) {
    const path = join(folder, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { flag: 'wx' });
    console.log(`wrote ${relative(process.cwd(), path) || path}`);
  }
  console.log(`\nNext: journey check ${shown} && journey test ${shown}`);
  return EXIT.ok;
}

/** `journey new <type> <version>`: scaffold a journey version with one bead, its schemas and a scenario. */
export const newCommand: CliCommand = {
  name: 'new',
  summary: 'Scaffold a journey version: one bead, its schemas and a scenario that passes',
  help: HELP,
  run: withUsage('new', HELP, run),
};
