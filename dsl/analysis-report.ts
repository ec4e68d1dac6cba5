/**
 * The analysis as text for people: one line a finding, like the compiler's diagnostics, and a
 * report of a journey's states, the events each accepts, who may send what, and its findings.
 */
import type { AnalysisFinding, JourneyAnalysis, ReadSummary } from './analysis-model.js';

/** Reads line `line` (1-based) of a journey's source file, by its path as findings name it; undefined when not known. */
export type SourceLines = (source: string, line: number) => string | undefined;

/**
 * One finding as `file:line:column: warning[code]: message`, like the compiler's diagnostics; with
 * `lines`, also its source line and a caret under the word it is at.
 */
export function formatFinding(finding: AnalysisFinding, lines?: SourceLines): string {
  const where = finding.location ? `${finding.source}:${finding.location.line}:${finding.location.column}` : finding.source;
  const head = `${where}: ${finding.severity}[${finding.code}]: ${finding.message}`;
  const location = finding.location;
  const sourceLine = location && lines ? lines(finding.source, location.line) : undefined;
  if (location === undefined || sourceLine === undefined) return head;
  const gutter = String(location.line).length;
  const lead = sourceLine.slice(0, location.column - 1).replace(/[^\t]/g, ' ');
  const word = /^\S+/.exec(sourceLine.slice(location.column - 1))?.[0].length ?? 1;
  return [head, ` ${String(location.line).padStart(gutter)} | ${sourceLine}`, ` ${' '.repeat(gutter)} | ${lead}${'^'.repeat(word)}`].join('\n');
}

/** `sender == data.owner; role "auditor" (searches filtered in the query on owner)`. */
function readText(read: ReadSummary): string {
  if (read.rules.length === 0) return 'the operator role only (no `read allow` rule)';
  const rules = read.rules.join('; ');
  if (!read.filteredInQuery) return `${rules} (searches filtered after the query)`;
  if (read.searchFields.length === 0) return rules;
  return `${rules} (searches filtered in the query on ${read.searchFields.join(', ')})`;
}

/** A readable report of one journey's analysis: states, what each accepts, who sends and reads, findings. */
export function formatAnalysis(analysis: JourneyAnalysis, sourceLines?: SourceLines): string {
  const lines: string[] = [`${analysis.name} ${analysis.version} (${analysis.source})`];
  if (analysis.stateField === null) {
    lines.push('  no state field: each bead applies while its preconditions hold');
    for (const bead of analysis.beads) {
      const rules = [...bead.access.map((a) => `allow ${a}`), ...bead.preconditions.map((p) => `when ${p}`)];
      lines.push(`    ${bead.id.padEnd(24)} ${rules.length > 0 ? rules.join('; ') : 'always'}`);
    }
  } else {
    const final = new Set(analysis.finalStates);
    const shown = analysis.reachableStates.map((s) => (final.has(s) ? `${s} (final)` : s));
    lines.push(`  states (${analysis.stateField}): ${shown.join(', ')}`);
    lines.push('  accepted events by state:');
    const width = Math.max(...analysis.reachableStates.map((s) => s.length), 5);
    for (const state of analysis.reachableStates) {
      const events = analysis.accepts[state] ?? [];
      lines.push(`    ${state.padEnd(width)}  ${events.length > 0 ? events.join(', ') : '-'}`);
    }
  }
  lines.push('  events and who may send them:');
  const width = Math.max(...Object.keys(analysis.senders).map((e) => e.length), 5);
  for (const [event, origins] of Object.entries(analysis.senders)) {
    lines.push(`    ${event.padEnd(width)}  ${origins.length > 0 ? origins.join(', ') : 'nobody'}`);
  }
  if (analysis.links !== undefined) {
    lines.push('  links to other journeys:');
    for (const link of analysis.links) {
      const to = link.to.length > 0 ? link.to.join(', ') : '(none of the journeys analysed)';
      const event = link.event ?? '';
      const what =
        link.kind === 'start'
          ? `starts ${link.starts ?? to}${link.event === null ? '' : ` with ${event}`}${link.to.length > 0 ? '' : ` ${to}`}`
          : `${link.kind === 'send' ? 'sends' : 'replies'} ${event} to ${to}`;
      lines.push(`    ${link.beadId}: ${what}`);
    }
  }
  lines.push(`  who may read: ${readText(analysis.read)}`);
  if (analysis.findings.length === 0) lines.push('  no findings');
  else for (const finding of analysis.findings) lines.push(`  ${formatFinding(finding, sourceLines).replace(/\n/g, '\n  ')}`);
  return lines.join('\n');
}
