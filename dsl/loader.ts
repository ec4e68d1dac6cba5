/**
 * Finding and compiling journeys on disk. A journey version is a folder holding a definition file
 * (`journey.jd`), the JSON Schemas it names, and optional action processors under `processors/`:
 *
 *   journeys/<name>/<version>/journey.jd   (e.g. journeys/pfm/wallet/1.0/, journeys/mybank/payment/sct/2.0/)
 *
 * The folder path must end with the journey's name, one folder per `/`-separated part, and its
 * version, as its header gives them; a name may have any number of parts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureError, JourneyError } from '../common/index.js';
import { compileJourney } from './compiler.js';
import type { CompileOutput } from './compiler.js';
import { fileDiagnostic, sortDiagnostics } from './diagnostics.js';
import type { Diagnostic } from './diagnostics.js';
import type { ActionProcessor, CompiledJourney, JsonSchema, ProcessorRegistry } from './ir.js';
import { isJsonObject } from './json-values.js';
import { processorFileCandidates } from './naming.js';
import { parseJourney } from './parser.js';
import { SCENARIOS_DIR } from './scenario-model.js';

/** The name of a journey version's definition file. */
export const DEFINITION_FILE = 'journey.jd';

/** Files larger than this are not read into the compiler (schemas are small). */
const MAX_FILE_BYTES = 1_000_000;
// Scenarios (`journey test`) are tests of the version, not part of it: its IR never depends on them.
const SKIPPED_DIRS = new Set(['node_modules', 'generated', 'dist', SCENARIOS_DIR]);

function display(path: string): string {
  const shown = relative(process.cwd(), path);
  return (shown.startsWith('..') ? path : shown).split(sep).join('/');
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...(await listFiles(path, base)));
    } else if (entry.isFile()) {
      files.push(relative(base, path).split(sep).join('/'));
    }
  }
  return files;
}

export interface LoadedJourney extends CompileOutput {
  /** Absolute path of the journey version folder. */
  folder: string;
}

/**
 * Compiles the journey version in `folder` (which holds `journey.jd`). `root`, when given, is the
 * journeys root the IR's `source` is relative to; `source`, when given, is the definition's text in
 * place of the file's. Problems are diagnostics; nothing throws for them.
 */
export async function loadJourneyDirectory(folder: string, options: { root?: string; source?: string } = {}): Promise<LoadedJourney> {
  const absolute = resolve(folder);
  const definition = join(absolute, DEFINITION_FILE);
  let source: string;
  try {
    // An editor passes its unsaved text: the definition as it will be, with the folder's other files.
    source = options.source ?? (await readFile(definition, 'utf8'));
  } catch (thrown: unknown) {
    const reason = ensureError(thrown).message;
    return {
      folder: absolute,
      journey: null,
      diagnostics: [fileDiagnostic('error', 'missing-file', `cannot read ${DEFINITION_FILE}: ${reason}`, display(definition))],
    };
  }
  const files = await readVersionFiles(absolute);
  const root = options.root === undefined ? undefined : resolve(options.root);
  const sourceName = root === undefined ? DEFINITION_FILE : relative(root, definition).split(sep).join('/');
  // Only an `uplift from` needs the other versions; reading them costs a parse each.
  const versions = /\buplift\b/.test(source) ? await siblingVersions(absolute) : undefined;
  const output = compileJourney({
    file: display(definition),
    source,
    files,
    sourceName,
    expected: expectedFromFolder(absolute, source),
    ...(versions === undefined ? {} : { versions }),
  });
  return { folder: absolute, ...output };
}

/**
 * The files of a version folder other than its definition, by path relative to it (`events/deposit.schema.json`):
 * JSON files with their text, the others (processors) listed with ''.
 */
export async function readVersionFiles(folder: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const file of await listFiles(folder)) {
    if (file === DEFINITION_FILE) continue;
    const path = join(folder, file);
    if ((await stat(path)).size > MAX_FILE_BYTES) continue;
    files.set(file, file.endsWith('.json') ? await readFile(path, 'utf8') : '');
  }
  return files;
}

const VERSION_FOLDER = /^[0-9]+(\.[0-9]+)*$/;

/**
 * The data schemas of the other versions beside `folder` (the folders next to it named like a
 * version and holding a journey.jd), by version; undefined when there are none, as for a version
 * folder kept on its own (then its `uplift from` is checked in full at deploy).
 */
async function siblingVersions(folder: string): Promise<Map<string, JsonSchema> | undefined> {
  const parent = dirname(folder);
  let entries;
  try {
    entries = await readdir(parent, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const versions = new Map<string, JsonSchema>();
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const sibling = join(parent, entry.name);
    if (!entry.isDirectory() || sibling === folder || !VERSION_FOLDER.test(entry.name)) continue;
    let text: string;
    try {
      text = await readFile(join(sibling, DEFINITION_FILE), 'utf8');
    } catch {
      continue;
    }
    // A version whose definition or schema does not read is still a version: `{}` types nothing,
    // and its own compile reports what is wrong with it.
    let schema: JsonSchema = {};
    for (const item of parseJourney(text, DEFINITION_FILE).ast?.items ?? []) {
      if (item.kind !== 'dataSchema') continue;
      try {
        const parsed: unknown = JSON.parse(await readFile(join(sibling, item.file.value), 'utf8'));
        if (isJsonObject(parsed)) schema = parsed;
      } catch {
        // Reported when that version is compiled.
      }
    }
    versions.set(entry.name, schema);
  }
  return versions.size > 0 ? versions : undefined;
}

/**
 * The name and version the folder implies, given how many name segments the header has: the
 * folder's last segments must spell `<name...>/<version>`.
 */
function expectedFromFolder(folder: string, source: string): { name: string; version: string } | undefined {
  const header = /^\s*(?:(?:\/\/[^\n]*|\/\*[\s\S]*?\*\/)\s*)*journey\s+([A-Za-z0-9_/]+)/.exec(source);
  const segments = header?.[1]?.split('/').length;
  if (segments === undefined) return undefined;
  const parts = folder.split(sep).filter((p) => p.length > 0);
  const version = parts[parts.length - 1];
  if (version === undefined || parts.length < segments + 1) return undefined;
  return { name: parts.slice(parts.length - 1 - segments, -1).join('/'), version };
}

export interface CompiledJourneys {
  /** Every journey version that compiled without errors, by name then version. */
  journeys: CompiledJourney[];
  /** All diagnostics, errors and warnings, of every journey found. */
  diagnostics: Diagnostic[];
  /** Absolute folder of each compiled journey version, by `name@version`. */
  folders: Record<string, string>;
  /** The action processors of each journey version, by `name@version` (when asked for). */
  processors: Record<string, ProcessorRegistry>;
}

async function findDefinitionFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name === DEFINITION_FILE)) return [dir];
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) {
      found.push(...(await findDefinitionFolders(join(dir, entry.name))));
    }
  }
  return found;
}

/**
 * Finds every journey version under `rootDir` (any folder holding `journey.jd`) and compiles it.
 * With `loadProcessors`, also imports their action processors (running the modules' top level).
 */
export async function compileJourneys(rootDir: string, options: { loadProcessors?: boolean } = {}): Promise<CompiledJourneys> {
  const root = resolve(rootDir);
  const result: CompiledJourneys = { journeys: [], diagnostics: [], folders: {}, processors: {} };
  let folders: string[];
  try {
    folders = await findDefinitionFolders(root);
  } catch (thrown: unknown) {
    result.diagnostics.push(fileDiagnostic('error', 'missing-file', `cannot read the journeys folder: ${ensureError(thrown).message}`, display(root)));
    return result;
  }
  if (folders.length === 0) {
    result.diagnostics.push(fileDiagnostic('warning', 'missing-file', `no journeys found (no ${DEFINITION_FILE} files)`, display(root)));
  }
  for (const folder of folders) {
    const loaded = await loadJourneyDirectory(folder, { root });
    result.diagnostics.push(...loaded.diagnostics);
    const journey = loaded.journey;
    if (!journey) continue;
    const key = `${journey.name}@${journey.version}`;
    if (result.folders[key] !== undefined) {
      result.diagnostics.push(
        fileDiagnostic(
          'error',
          'duplicate-declaration',
          `journey ${journey.name} ${journey.version} is also defined in ${display(result.folders[key])}`,
          display(join(folder, DEFINITION_FILE)),
        ),
      );
      continue;
    }
    result.folders[key] = folder;
    result.journeys.push(journey);
    if (options.loadProcessors) result.processors[key] = await loadProcessors(folder, journey);
  }
  result.journeys.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
  sortDiagnostics(result.diagnostics);
  return result;
}

/** Where this module runs from: the project root, or `<root>/dist` in a build. */
const BUILD_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_ROOT = basename(BUILD_ROOT) === 'dist' ? dirname(BUILD_ROOT) : BUILD_ROOT;

/**
 * A processor's files, in the order tried: the source (`.ts` under tsx, or `.js`), then, when
 * running from a build, its compiled twin under `dist/` (plain Node cannot import `.ts`).
 */
function processorFiles(folder: string, name: string): string[] {
  const files = processorFileCandidates(name).map((candidate) => join(folder, candidate));
  const inProject = relative(SOURCE_ROOT, folder);
  if (BUILD_ROOT !== SOURCE_ROOT && !inProject.startsWith('..') && !isAbsolute(inProject)) {
    for (const candidate of processorFileCandidates(name)) {
      if (candidate.endsWith('.ts')) files.push(join(BUILD_ROOT, inProject, candidate.replace(/\.ts$/, '.js')));
    }
  }
  return files;
}

/**
 * Imports the action processors a journey uses from `<folder>/processors/<kebab-name>.ts|.js`. Each
 * module exports the processor as `default` or under its name. Throws `JE_DSL_COMPILE` if one is
 * missing or is not a function.
 */
export async function loadProcessors(folder: string, journey: CompiledJourney): Promise<ProcessorRegistry> {
  const registry: ProcessorRegistry = {};
  for (const name of journey.processors) {
    let loaded: unknown;
    let lastError: unknown;
    for (const file of processorFiles(folder, name)) {
      try {
        loaded = await import(pathToFileURL(file).href);
        break;
      } catch (thrown: unknown) {
        lastError = thrown;
      }
    }
    const module = (loaded ?? {}) as Record<string, unknown>;
    const processor = module.default ?? module[name];
    if (typeof processor !== 'function') {
      throw new JourneyError('JE_DSL_COMPILE', `${journey.name} ${journey.version}: action processor ${name} could not be loaded from ${folder}`, {
        cause: lastError,
        details: { journey: journey.name, version: journey.version, processor: name },
      });
    }
    registry[name] = processor as ActionProcessor;
  }
  return registry;
}
