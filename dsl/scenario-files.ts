/**
 * `journey test`'s I/O: finding the scenario files of journey versions
 * (`<version>/scenarios/*.yaml|*.yml|*.json`), compiling each version that has some with the same
 * loader as `journey check`, loading its action processors, and running every scenario.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ensureError } from '../common/index.js';
import type { Diagnostic } from './diagnostics.js';
import type { CompiledJourney, ProcessorRegistry } from './ir.js';
import { DEFINITION_FILE, loadJourneyDirectory, loadProcessors } from './loader.js';
import { loadBundleProcessors, packVersion } from './pack.js';
import { SCENARIO_FILE_PATTERN, SCENARIOS_DIR } from './scenario-model.js';
import type { ScenarioFailure, ScenarioStep } from './scenario-model.js';
import { parseScenarios } from './scenario-parse.js';
import type { ScenarioReport, ScenarioResult, VersionScenarios } from './scenario-report.js';
import { runScenario } from './scenario-runner.js';

/** Folders never searched for versions: not sources, or not ours. */
const SKIPPED_DIRS = new Set(['node_modules', 'generated', 'dist', SCENARIOS_DIR]);

function display(path: string): string {
  const shown = relative(process.cwd(), path);
  return (shown.startsWith('..') ? path : shown).split(sep).join('/');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The scenario files of a version folder, sorted. */
export async function findScenarioFiles(versionFolder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(versionFolder, SCENARIOS_DIR), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && SCENARIO_FILE_PATTERN.test(entry.name))
    .map((entry) => join(versionFolder, SCENARIOS_DIR, entry.name))
    .sort();
}

async function versionFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.some((entry) => entry.isFile() && entry.name === DEFINITION_FILE)) return [dir];
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) found.push(...(await versionFolders(join(dir, entry.name))));
  }
  return found;
}

/** The version folder holding `path` (a scenario file, or the scenarios folder): the nearest with a journey.jd. */
async function enclosingVersion(path: string): Promise<string | null> {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    if (await isFile(join(dir, DEFINITION_FILE))) return dir;
  }
  return null;
}

function actionText(step: ScenarioStep): string {
  switch (step.kind) {
    case 'send':
      return `send ${step.event}${step.context.sender === '' ? '' : ` as ${step.context.sender}`}`;
    case 'reply':
      return `reply ${step.call}`;
    case 'fail':
      return `fail ${step.call}`;
    case 'receive':
      return `receive ${step.event}`;
    case 'advance':
      return `advance ${step.text}`;
  }
}

/**
 * Runs every scenario of one scenario file against a compiled journey. Pure apart from the
 * processors it is given; `file` is how messages name the file.
 */
export function runScenarioFile(
  journey: CompiledJourney,
  processors: ProcessorRegistry,
  file: string,
  text: string,
): { results: ScenarioResult[]; failures: ScenarioFailure[] } {
  const parsed = parseScenarios(file, text);
  if (parsed.failures.length > 0) return { results: [], failures: parsed.failures };
  const results = parsed.scenarios.map((scenario): ScenarioResult => {
    const run = runScenario(journey, scenario, processors);
    const failures = run.problems.map((problem) => {
      const step = problem.step === undefined ? undefined : scenario.steps[problem.step - 1];
      return parsed.locate(problem, {
        scenario: scenario.name,
        ...(problem.step === undefined ? {} : { step: problem.step }),
        ...(step === undefined ? {} : { action: actionText(step) }),
      });
    });
    return {
      file,
      scenario: scenario.name,
      passed: failures.length === 0,
      steps: run.traces.length + (run.problems.some((p) => p.code === 'step-failed') ? 1 : 0),
      failures,
    };
  });
  return { results, failures: [] };
}

function diagnosticFailure(diagnostic: Diagnostic): ScenarioFailure {
  return {
    code: 'journey-invalid',
    message: `[${diagnostic.code}] ${diagnostic.message}`,
    file: diagnostic.file,
    line: diagnostic.line,
    column: diagnostic.column,
    length: diagnostic.length,
    ...(diagnostic.sourceLine === undefined ? {} : { sourceLine: diagnostic.sourceLine }),
  };
}

/**
 * The version's action processors: imported from their files where this process can (under tsx,
 * or compiled in a build), else compiled with esbuild as `journey pack` does — so a journey
 * project of its own, with TypeScript processors and the engine installed as a package, is tested
 * the same way.
 */
async function processorsOf(folder: string, journey: CompiledJourney): Promise<ProcessorRegistry> {
  if (journey.processors.length === 0) return {};
  try {
    return await loadProcessors(folder, journey);
  } catch {
    return loadBundleProcessors(await packVersion(folder));
  }
}

async function testVersion(folder: string, files: string[]): Promise<VersionScenarios> {
  const loaded = await loadJourneyDirectory(folder);
  const journey = loaded.journey;
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  const version: VersionScenarios = {
    name: journey?.name ?? display(folder),
    version: journey?.version ?? '',
    folder: display(folder),
    results: [],
    failures: errors.map(diagnosticFailure),
  };
  if (journey === null || errors.length > 0) {
    if (version.failures.length === 0)
      version.failures.push({
        code: 'journey-invalid',
        message: 'the journey does not compile',
        file: display(join(folder, DEFINITION_FILE)),
        line: 0,
        column: 0,
        length: 1,
      });
    return version;
  }
  let processors: ProcessorRegistry;
  try {
    processors = await processorsOf(folder, journey);
  } catch (thrown: unknown) {
    version.failures.push({
      code: 'journey-invalid',
      message: ensureError(thrown).message,
      file: display(join(folder, DEFINITION_FILE)),
      line: 0,
      column: 0,
      length: 1,
    });
    return version;
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (thrown: unknown) {
      version.failures.push({
        code: 'scenario-invalid',
        message: `cannot read the file: ${ensureError(thrown).message}`,
        file: display(file),
        line: 0,
        column: 0,
        length: 1,
      });
      continue;
    }
    const ran = runScenarioFile(journey, processors, display(file), text);
    version.results.push(...ran.results);
    version.failures.push(...ran.failures);
  }
  return version;
}

/**
 * Runs the scenarios under `path`: a journeys tree (every version below it that has scenarios), one
 * version folder, its scenarios folder, or one scenario file. Never throws for what it finds: a
 * version that does not compile or a file that does not parse is a failure in the report.
 */
export async function testJourneys(path: string): Promise<ScenarioReport> {
  const target = resolve(path);
  const report: ScenarioReport = { versions: [], withoutScenarios: [], passed: 0, failed: 0, failures: [] };
  const work: Array<{ folder: string; files: string[] }> = [];
  const targetStat = await stat(target).catch(() => null);
  if (targetStat === null) {
    report.failures.push({ code: 'scenario-invalid', message: 'no such file or folder', file: display(target), line: 0, column: 0, length: 1 });
    return report;
  }
  const enclosing = targetStat.isFile() || basename(target) === SCENARIOS_DIR ? await enclosingVersion(target) : null;
  if (targetStat.isFile()) {
    if (enclosing === null) {
      report.failures.push({
        code: 'scenario-invalid',
        message: `not in a journey version folder (none above it holds ${DEFINITION_FILE})`,
        file: display(target),
        line: 0,
        column: 0,
        length: 1,
      });
      return report;
    }
    work.push({ folder: enclosing, files: [target] });
  } else {
    for (const folder of enclosing === null ? await versionFolders(target) : [enclosing]) {
      const files = await findScenarioFiles(folder);
      if (files.length === 0) report.withoutScenarios.push(display(folder));
      else work.push({ folder, files });
    }
  }
  for (const { folder, files } of work) {
    const version = await testVersion(folder, files);
    report.versions.push(version);
    report.failures.push(...version.failures);
    for (const result of version.results) {
      if (result.passed) report.passed += 1;
      else report.failed += 1;
      report.failures.push(...result.failures);
    }
  }
  return report;
}
