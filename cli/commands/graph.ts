import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyzeJourneys,
  compileJourneys,
  formatAnalysis,
  formatDiagnostics,
  formatFinding,
  journeyGraph,
  linksToMermaid,
  toMermaid,
  toSvg,
} from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey graph <dir> [--out <dir>] [--links] [--analysis [--json] [--strict]]

Draws every journey version under <dir> for readers who do not read the journey language: its
states (the values of its status field) as boxes, its events as labelled arrows between them.
Solid arrows are sent by a party, dotted ones fired by a timer, thick ones are back-end replies
(the legend names only those drawn); a "by …" line says who may send the event (its allow rules:
"by role manager, not data.employee"); labels also say which timers start or stop, which back
ends are called, which journeys are started and which events are sent to other journeys on the
way. In the SVG no arrow crosses a state it does not start or end at. The journeys under <dir>
are drawn together: an event another of them sends arrives "(from a journey)".

  (no option)      print each journey as Mermaid text (a flowchart) on stdout
  --out <dir>      write <dir>/<name>/<version>/journey.mmd and journey.svg instead (and
                   <dir>/links.mmd when journeys start or send to each other)
  --links          print the links between the journey types instead, as Mermaid: which
                   starts which, which sends what to which
  --analysis       print the static analysis instead: the states, the events each state
                   accepts, who may send each event, and findings (beads that can never apply,
                   events no sender may send, events nobody handles, ...)
  --json           with --analysis: the analysis as JSON
  --strict         with --analysis: exit 1 when there is a warning

The output depends only on the journeys: the same sources give byte-identical files.
Exit codes: 0 done, 1 the journeys have errors (with --strict: or analysis warnings), 2 wrong command line.`;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      analysis: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      links: { type: 'boolean', default: false },
    },
  });
  const [dir, ...extra] = positionals;
  if (dir === undefined || extra.length > 0) throw new UsageError(dir === undefined ? 'expected a folder' : `expected one folder, got also ${extra.join(' ')}`);
  if ((values.json || values.strict) && !values.analysis) throw new UsageError('--json and --strict go with --analysis');
  if (values.analysis && values.out !== undefined) throw new UsageError('--out draws graphs; --analysis prints to stdout');
  if (values.links && (values.analysis || values.out !== undefined)) throw new UsageError('--links prints the links on stdout; not with --analysis or --out');

  const compiled = await compileJourneys(dir);
  if (compiled.diagnostics.some((d) => d.severity === 'error')) {
    console.error(`${formatDiagnostics(compiled.diagnostics)}\n\njourney graph: the journeys have errors; fix them first (journey check)`);
    return EXIT.invalidInput;
  }

  if (values.analysis) {
    const analysis = analyzeJourneys(compiled.journeys);
    if (values.json) console.log(JSON.stringify(analysis, null, 2));
    else {
      console.log(analysis.journeys.map((journey) => formatAnalysis(journey)).join('\n\n'));
      const across = analysis.findings.filter((f) => f.code === 'search-field-conflict');
      if (across.length > 0) console.log(`\nacross journeys:\n${across.map((f) => `  ${formatFinding(f)}`).join('\n')}`);
      const warnings = analysis.findings.filter((f) => f.severity === 'warning').length;
      console.log(
        `\n${analysis.journeys.length} journey version${analysis.journeys.length === 1 ? '' : 's'} analysed; ${warnings} warning${warnings === 1 ? '' : 's'}`,
      );
    }
    return values.strict && analysis.findings.some((f) => f.severity === 'warning') ? EXIT.invalidInput : EXIT.ok;
  }

  // Drawn together: what one journey sends another arrives at the other from origin journey.
  const together = analyzeJourneys(compiled.journeys);
  const graphOf = (index: number): ReturnType<typeof journeyGraph> => {
    const journey = compiled.journeys[index];
    const analysis = together.journeys[index];
    if (!journey || !analysis) throw new Error('each journey has its analysis');
    return journeyGraph(journey, analysis);
  };
  if (values.links) {
    console.log(linksToMermaid(together.links).trimEnd());
    return EXIT.ok;
  }
  if (values.out === undefined) {
    console.log(compiled.journeys.map((_, index) => toMermaid(graphOf(index))).join('\n'));
    return EXIT.ok;
  }
  for (const [index, journey] of compiled.journeys.entries()) {
    const folder = join(values.out, ...journey.name.split('/'), journey.version);
    await mkdir(folder, { recursive: true });
    const graph = graphOf(index);
    for (const [file, content] of [
      ['journey.mmd', toMermaid(graph)],
      ['journey.svg', toSvg(graph)],
    ] as const) {
      await writeFile(join(folder, file), content);
      console.log(`wrote ${join(folder, file)}`);
    }
  }
  if (together.links.some((link) => link.to.length > 0)) {
    await writeFile(join(values.out, 'links.mmd'), linksToMermaid(together.links));
    console.log(`wrote ${join(values.out, 'links.mmd')}`);
  }
  return EXIT.ok;
}

/** `journey graph <dir>`: Mermaid and SVG pictures of journeys, or their static analysis. */
export const graphCommand: CliCommand = {
  name: 'graph',
  summary: 'Draw journeys as state graphs (Mermaid, SVG) or print their static analysis',
  help: HELP,
  run: withUsage('graph', HELP, run),
};
