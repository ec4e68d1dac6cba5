/**
 * Making version bundles from folders and bringing their processors to life: the I/O half of
 * dsl/bundle.ts. `packVersion` compiles a version folder with the same loader and compiler as
 * `journey check`, and its processors with esbuild into one self-contained ES module each, so a
 * bundle runs on a node that has neither the sources nor their dependencies — and a version
 * folder may live anywhere, in this repository or in a journey project of its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureError, JourneyError } from '../common/index.js';
import { BUNDLE_FILE_SUFFIX, createBundle, parseBundle, sha256Hex } from './bundle.js';
import type { VersionBundle } from './bundle.js';
import { fileDiagnostic, formatDiagnostics, hasErrors, sortDiagnostics } from './diagnostics.js';
import type { Diagnostic } from './diagnostics.js';
import type { ActionProcessor, CompiledJourney, ProcessorRegistry } from './ir.js';
import { DEFINITION_FILE, loadJourneyDirectory } from './loader.js';
import { processorFileCandidates } from './naming.js';
import { SCENARIOS_DIR } from './scenario-model.js';

/**
 * Folders never part of a version's sources: generated from them, not ours, or its scenarios
 * (tests of the version, run by `journey test`: adding one changes neither the bundle nor its hash).
 */
const SKIPPED_DIRS = new Set(['generated', 'node_modules', 'dist', SCENARIOS_DIR]);

/** One step of `packVersion`, for a progress display. */
export interface PackProgress {
  /** Steps done so far, 1-based once a step has finished. */
  done: number;
  /** All steps: hashing the files, compiling the journey, one per processor. */
  total: number;
  /** What was just done, e.g. `compiled processor computeMonthlyPayment`. */
  message: string;
}

export interface PackOptions {
  /** Called after each step. */
  onProgress?: (progress: PackProgress) => void;
  /** Recorded as the bundle's `engineVersion`. @defaultValue this engine's package.json version */
  engineVersion?: string;
}

function display(path: string): string {
  const shown = relative(process.cwd(), path);
  return (shown.startsWith('..') ? path : shown).split(sep).join('/');
}

/** Every source file of a version folder, relative and sorted; dotfiles, bundles and generated/ left out. */
async function listSourceFiles(dir: string, base = dir): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...(await listSourceFiles(path, base)));
    } else if (entry.isFile() && !entry.name.endsWith(BUNDLE_FILE_SUFFIX)) {
      files.push(relative(base, path).split(sep).join('/'));
    }
  }
  return files.sort();
}

async function hashFiles(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of await listSourceFiles(folder)) files[file] = sha256Hex(await readFile(join(folder, file)));
  return files;
}

let engineVersionCache: string | undefined;

/** The version in this engine's package.json (found above this module, in the sources or in dist/). */
export async function engineVersion(): Promise<string> {
  if (engineVersionCache !== undefined) return engineVersionCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'journey-engine' && typeof manifest.version === 'string') {
        engineVersionCache = manifest.version;
        return manifest.version;
      }
    } catch {
      // No package.json here: look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new JourneyError('JE_INTERNAL', 'cannot find the journey-engine package.json to read its version');
    dir = parent;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Compiles one processor into a self-contained ES module with esbuild: its imports bundled in
 * (node built-ins stay imports), type-only imports dropped, paths in comments relative to the
 * version folder so the output does not depend on where the folder is. The banner gives bundled
 * CommonJS code the `require` it may call for built-ins.
 */
async function compileProcessor(folder: string, journey: CompiledJourney, name: string): Promise<string> {
  let entry: string | undefined;
  for (const candidate of processorFileCandidates(name)) {
    if (await exists(join(folder, candidate))) {
      entry = candidate;
      break;
    }
  }
  if (entry === undefined) {
    throw new JourneyError(
      'JE_DSL_COMPILE',
      `${journey.name} ${journey.version}: no file for action processor ${name} (${processorFileCandidates(name).join(' or ')})`,
      {
        details: { journey: journey.name, version: journey.version, processor: name },
      },
    );
  }
  // Loaded when packing only: a node that runs bundles never needs esbuild.
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      absWorkingDir: folder,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      outfile: 'processor.mjs',
      sourcemap: false,
      legalComments: 'inline',
      charset: 'utf8',
      logLevel: 'silent',
      banner: { js: "import { createRequire as __journeyCreateRequire } from 'node:module';\nconst require = __journeyCreateRequire(import.meta.url);" },
    });
    const output = result.outputFiles[0];
    if (output === undefined) throw new Error('esbuild wrote nothing');
    return output.text;
  } catch (thrown: unknown) {
    const error = ensureError(thrown);
    throw new JourneyError('JE_DSL_COMPILE', `${journey.name} ${journey.version}: action processor ${name} (${entry}) does not compile: ${error.message}`, {
      cause: error,
      details: { journey: journey.name, version: journey.version, processor: name, file: entry },
    });
  }
}

/**
 * The bundle of a compiled journey whose folder is `folder`. The journey's `source` becomes
 * `<name>/<version>/journey.jd` — what `compileJourneys` gives for a folder under a journeys root —
 * so a node started from the bundle and one started from the sources deploy the same definition.
 */
async function bundleOf(folder: string, journey: CompiledJourney, options: PackOptions, firstStep: number, total: number): Promise<VersionBundle> {
  const processors: Record<string, string> = {};
  let done = firstStep;
  for (const name of [...new Set(journey.processors)].sort()) {
    processors[name] = await compileProcessor(folder, journey, name);
    options.onProgress?.({ done: (done += 1), total, message: `compiled processor ${name}` });
  }
  const files = await hashFiles(folder);
  const canonical: CompiledJourney = { ...journey, source: `${journey.name}/${journey.version}/${DEFINITION_FILE}` };
  return createBundle({ journey: canonical, processors, files, engineVersion: options.engineVersion ?? (await engineVersion()) });
}

function compileFailure(folder: string, diagnostics: Diagnostic[]): JourneyError {
  return new JourneyError('JE_DSL_COMPILE', `${display(folder)} does not compile:\n${formatDiagnostics(diagnostics)}`, {
    details: { folder: display(folder), diagnostics },
  });
}

/**
 * Packs the journey version in `versionDir` (the folder holding `journey.jd`) into a bundle.
 * Deterministic: the same sources give the same bundle, byte for byte once serialized.
 * @throws JourneyError `JE_DSL_COMPILE` when the journey or one of its processors does not compile.
 */
export async function packVersion(versionDir: string, options: PackOptions = {}): Promise<VersionBundle> {
  const folder = resolve(versionDir);
  const loaded = await loadJourneyDirectory(folder);
  const journey = loaded.journey;
  if (journey === null || hasErrors(loaded.diagnostics)) throw compileFailure(folder, loaded.diagnostics);
  const total = 1 + new Set(journey.processors).size;
  options.onProgress?.({ done: 1, total, message: `compiled ${journey.name} ${journey.version}` });
  return bundleOf(folder, journey, options, 1, total);
}

/** Where `loadBundleProcessors` writes processor modules. @defaultValue `<os tmpdir>/journey-engine-processors` */
export interface LoadBundleProcessorsOptions {
  dir?: string;
}

/**
 * Imports a bundle's processors and returns them by name, as `loadProcessors` does for a folder.
 * Each module is written once to a file named by the hash of its code (Node's `require` needs a
 * file URL; a data: URL has none) and imported from there; the same code is never written twice.
 * @throws JourneyError `JE_BUNDLE_INVALID` when a module does not load or exports no function.
 */
export async function loadBundleProcessors(bundle: VersionBundle, options: LoadBundleProcessorsOptions = {}): Promise<ProcessorRegistry> {
  const dir = options.dir ?? join(tmpdir(), 'journey-engine-processors');
  await mkdir(dir, { recursive: true });
  const registry: ProcessorRegistry = {};
  for (const [name, code] of Object.entries(bundle.processors)) {
    const file = join(dir, `${sha256Hex(code)}.mjs`);
    if (!(await exists(file)) || (await readFile(file, 'utf8')) !== code) {
      // Written beside and renamed, so a process importing it concurrently never sees half a file.
      const partial = `${file}.${process.pid}.${randomUUID()}.tmp`;
      await writeFile(partial, code);
      await rename(partial, file);
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (thrown: unknown) {
      throw new JourneyError('JE_BUNDLE_INVALID', `${bundle.name} ${bundle.version}: action processor ${name} does not load: ${ensureError(thrown).message}`, {
        cause: thrown,
        details: { journey: bundle.name, version: bundle.version, processor: name },
      });
    }
    const processor = module.default ?? module[name];
    if (typeof processor !== 'function') {
      throw new JourneyError('JE_BUNDLE_INVALID', `${bundle.name} ${bundle.version}: action processor ${name} exports no function (default or ${name})`, {
        details: { journey: bundle.name, version: bundle.version, processor: name },
      });
    }
    registry[name] = processor as ActionProcessor;
  }
  return registry;
}

/** What a journeys folder holds, as bundles. */
export interface JourneySources {
  /** One bundle per version found, by name then version. */
  bundles: VersionBundle[];
  /** Compile errors and warnings of the source trees, and versions found twice with different content. */
  diagnostics: Diagnostic[];
  /** Where each version came from (its folder or bundle file), by `name@version`. */
  origins: Record<string, string>;
}

async function findSources(dir: string, found: { folders: string[]; bundleFiles: string[] }): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  if (entries.some((e) => e.isFile() && e.name === DEFINITION_FILE)) {
    found.folders.push(dir);
    return;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(BUNDLE_FILE_SUFFIX)) found.bundleFiles.push(path);
    else if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) await findSources(path, found);
  }
}

/** Reads and checks one bundle file. @throws JourneyError `JE_BUNDLE_INVALID` naming the file. */
export async function readBundleFile(file: string): Promise<VersionBundle> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (thrown: unknown) {
    throw new JourneyError('JE_BUNDLE_INVALID', `cannot read ${display(file)}: ${ensureError(thrown).message}`, {
      cause: thrown,
      details: { file: display(file) },
    });
  }
  try {
    return parseBundle(text);
  } catch (thrown: unknown) {
    const error = ensureError(thrown);
    throw new JourneyError('JE_BUNDLE_INVALID', `${display(file)}: ${error.message}`, { cause: error, details: { file: display(file) } });
  }
}

/**
 * Every journey version under `dir`, as bundles: folders holding `journey.jd` (a source tree such
 * as journeys/, packed as `packVersion` would) and `*.bundle.json` files, in any mix; `dir` may
 * also be one bundle file. So a node can be started from sources or from bundles alike. A version
 * found twice with the same content hash counts once; with different content it is an error.
 * @throws JourneyError `JE_BUNDLE_INVALID` for a bundle file that is not valid,
 *   `JE_DSL_COMPILE` for a processor that does not compile.
 */
export async function loadJourneySources(dir: string, options: Omit<PackOptions, 'onProgress'> = {}): Promise<JourneySources> {
  const root = resolve(dir);
  const result: JourneySources = { bundles: [], diagnostics: [], origins: {} };
  const found = { folders: [] as string[], bundleFiles: [] as string[] };
  try {
    if ((await stat(root)).isFile()) found.bundleFiles.push(root);
    else await findSources(root, found);
  } catch (thrown: unknown) {
    result.diagnostics.push(fileDiagnostic('error', 'missing-file', `cannot read the journeys folder: ${ensureError(thrown).message}`, display(root)));
    return result;
  }
  if (found.folders.length + found.bundleFiles.length === 0) {
    result.diagnostics.push(
      fileDiagnostic('warning', 'missing-file', `no journeys found (no ${DEFINITION_FILE} or *${BUNDLE_FILE_SUFFIX} files)`, display(root)),
    );
  }
  const candidates: Array<{ origin: string; bundle: VersionBundle }> = [];
  for (const folder of found.folders) {
    const loaded = await loadJourneyDirectory(folder, { root });
    result.diagnostics.push(...loaded.diagnostics);
    if (loaded.journey === null || hasErrors(loaded.diagnostics)) continue;
    candidates.push({ origin: folder, bundle: await bundleOf(folder, loaded.journey, options, 0, 0) });
  }
  for (const file of found.bundleFiles) candidates.push({ origin: file, bundle: await readBundleFile(file) });
  const byKey = new Map<string, VersionBundle>();
  for (const { origin, bundle } of candidates) {
    const key = `${bundle.name}@${bundle.version}`;
    const first = byKey.get(key);
    if (first === undefined) {
      byKey.set(key, bundle);
      result.origins[key] = origin;
    } else if (first.contentHash !== bundle.contentHash) {
      const other = result.origins[key] ?? '';
      result.diagnostics.push(
        fileDiagnostic(
          'error',
          'duplicate-declaration',
          `journey ${bundle.name} ${bundle.version} is also in ${display(other)} with different content (hash ${first.contentHash}, here ${bundle.contentHash})`,
          display(origin.endsWith(BUNDLE_FILE_SUFFIX) ? origin : join(origin, DEFINITION_FILE)),
        ),
      );
    }
  }
  result.bundles = [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
  sortDiagnostics(result.diagnostics);
  return result;
}
