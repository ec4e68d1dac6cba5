/**
 * The files a run leaves: the timestamped result, `latest.{json,md}` and the charts, the soak's
 * files, the README section; and re-rendering them from a stored result (`--from`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchOptions } from './cli-options.js';
import { renderMarkdown, updateReadme, writeCharts, writeSoakChart } from './report.js';
import { targetsOf } from './result-targets.js';
import type { BenchResult } from './result-types.js';
import { ROOT } from './services.js';

const README = resolve(ROOT, 'README.md');

const json = (result: BenchResult): string => `${JSON.stringify(result, null, 2)}\n`;

/** `latest.json`, `latest.md` and the SVG charts: the last full run, committed. */
function writeLatest(out: string, result: BenchResult, markdown: string): void {
  writeFileSync(join(out, 'latest.json'), json(result));
  writeFileSync(join(out, 'latest.md'), markdown);
  writeCharts(result, out);
}

/** `latest-soak.{json,md}` and the RSS chart: the last `--duration` run. */
function writeSoak(out: string, result: BenchResult, markdown: string): void {
  writeFileSync(join(out, 'latest-soak.json'), json(result));
  writeFileSync(join(out, 'latest-soak.md'), markdown);
  writeSoakChart(result, join(out, 'soak-rss.svg'));
}

/** Writes everything a finished run leaves and prints its markdown; returns the timestamped result file. */
export function writeResults(options: BenchOptions, result: BenchResult, complete: boolean, log: (line: string) => void): string {
  mkdirSync(options.out, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = join(options.out, `${stamp}.json`);
  writeFileSync(file, json(result));
  const markdown = renderMarkdown(result, { chartsDir: '.' });
  if (options.latest ?? (complete && options.durationS === 0)) {
    writeLatest(options.out, result, markdown);
    log(`wrote ${join(options.out, 'latest.json')}, latest.md and the charts`);
  }
  // --no-latest keeps the committed soak files too (a trial soak must not replace the last real one).
  if (options.durationS > 0 && options.latest !== false) writeSoak(options.out, result, markdown);
  if (options.updateReadme) {
    updateReadme(README, result);
    log('updated the README benchmark section');
  }
  console.log(`\n${markdown}`);
  return file;
}

/** Writes the markdown, charts and README section of a stored result again (report changes). */
export function rerender(options: BenchOptions): number {
  const result = JSON.parse(readFileSync(options.from ?? '', 'utf8')) as BenchResult;
  result.targets = targetsOf(result);
  mkdirSync(options.out, { recursive: true });
  const markdown = renderMarkdown(result, { chartsDir: '.' });
  if (options.latest ?? result.settings.durationS === 0) writeLatest(options.out, result, markdown);
  if (result.settings.durationS > 0 && options.latest !== false) writeSoak(options.out, result, markdown);
  if (options.updateReadme) updateReadme(README, result);
  console.log(markdown);
  return 0;
}
