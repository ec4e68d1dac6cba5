/**
 * Compiler diagnostics: what went wrong, where (file, line, column, the source line) and, when it
 * helps, what would be right. Formatted like a compiler's, with a caret under the offending text.
 */
import type { Span } from './ast.js';

/** Every diagnostic code, with what it means. Codes are stable: tests and docs refer to them. */
export const DIAGNOSTIC_CODES = {
  syntax: 'The source does not follow the grammar.',
  'ambiguous-parse': 'The grammar found more than one reading (a bug in the grammar, please report).',
  'missing-file': 'A referenced schema file or folder does not exist.',
  'invalid-schema': 'A JSON Schema file is not valid JSON or not a valid schema.',
  'journey-mismatch': 'The header names a journey or version other than the folder it is in.',
  'missing-declaration': 'A required declaration (journey data schema, an initiating event) is missing.',
  'duplicate-declaration': 'The same event, timer or search field is declared twice.',
  'unknown-event': 'An event is used but no schema declares it.',
  'invalid-field-type':
    'A field of an inline event declaration has a type the language does not have, or a range (`string(1..70)`) that does not fit its type.',
  'unhandled-event': 'An event is emitted but no bead handles it and it is not published (warning).',
  'inconsistent-initiating': 'Some beads for an event are initiating and some are not.',
  'duplicate-initiating': 'Two initiating beads for the same event have the same rules.',
  'unreachable-bead': 'An earlier bead for the same event always applies first.',
  'misplaced-rule': "An `allow` or `when` comes after the bead's steps.",
  'unknown-processor': 'A `process` step names a processor with no file in processors/.',
  'unknown-timer': 'A timer is started or cancelled but not declared.',
  'unknown-path': 'A path reads or writes a field the data, event or context schema does not define.',
  'unknown-function': 'An expression calls a function the language does not have.',
  'type-error': 'An expression combines values of types that do not fit.',
  'constant-condition': "An `if` whose condition the bead's own earlier `set`s decide: always true or always false.",
  'not-in-enum': "A literal set, emitted or compared is not one of the values the field's schema lists (`enum`, `const`).",
  'invalid-duration': 'A duration has an unknown unit, is not a positive whole number of milliseconds or is longer than a timer may wait (100 years).',
  'unchecked-timer':
    "A timer's time from data or the event that the schemas do not bound (a type, a minimum, a maximum): checked when the timer starts (warning).",
  'invalid-search-field': 'A search field has an unsupported type or does not match the data schema.',
  'payload-mismatch': "An emitted payload does not fit the event's schema.",
  'invalid-compatibility': 'A `compatibility` mode other than BACKWARD, FORWARD, FULL or NONE.',
  'unknown-version': 'An `uplift from` names a version that is not an older version of the journey.',
  'invalid-uplift': 'An `uplift` section does something other than set data from data (an emit, a timer, a read of event or context).',
  'invalid-read-rule': 'A `read allow` rule reads what a read does not have: `event`, `context.origin` or `now()`.',
  'invalid-loop':
    "A `for` loop's item used where it cannot be: written when its list is not in the data, replaced whole, or named like a data field or an enclosing loop's item.",
  'invalid-target': 'A `start … as` target that is not a data field or a field of a loop item, or that cannot hold a journey id.',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export type DiagnosticSeverity = 'error' | 'warning';

export interface Diagnostic {
  severity: DiagnosticSeverity;
  code: DiagnosticCode;
  message: string;
  /** Path of the file, relative to the journeys root when known. */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  /** How many characters the caret underlines (at least 1). */
  length: number;
  /** The source line the problem is on, for the formatter. */
  sourceLine?: string;
}

/** Maps offsets in a source text to lines and columns. */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i += 1) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  /** 1-based line and column of an offset. */
  locate(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.lineStarts[low] ?? 0) + 1 };
  }

  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    return this.text.slice(start, next === undefined ? undefined : next - 1).replace(/\r$/, '');
  }

  slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }

  diagnostic(severity: DiagnosticSeverity, code: DiagnosticCode, message: string, span: Span): Diagnostic {
    const { line, column } = this.locate(span.start);
    const sourceLine = this.lineText(line);
    // Underline to the end of the span or of the line, whichever comes first.
    const length = Math.max(1, Math.min(span.end - span.start, sourceLine.length - column + 1));
    return { severity, code, message, file: this.file, line, column, length, sourceLine };
  }
}

/**
 * Where a JSON.parse error is, from its message: Node gives `at position N`, `(line L column C)`,
 * or the text around an unexpected token (`Unexpected token ',', ..."a": [,]..." is not valid JSON`).
 */
export function jsonErrorOffset(message: string, source: SourceText): number {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) {
    let offset = 0;
    for (let line = 1; line < Number(lineColumn[1]); line += 1) offset = source.text.indexOf('\n', offset) + 1;
    return offset + Number(lineColumn[2]) - 1;
  }
  const around = /^Unexpected token '(.+?)', (?:\.\.\.)?"([\s\S]*?)(?:\.\.\.)?" is not valid JSON$/.exec(message);
  const at = around ? source.text.indexOf(around[2] ?? '') : -1;
  if (around && at >= 0) return at + (around[2] ?? '').indexOf(around[1] ?? '');
  return /end of JSON input/.test(message) ? source.text.length : 0;
}

/**
 * Where a JSON Pointer (`/properties/a/type`) is in a JSON text: the offset of the last key or item
 * it names that can be found, or 0. Good enough to point at a line; not a JSON parser.
 */
export function jsonPointerOffset(text: string, pointer: string): number {
  let offset = 0;
  for (const raw of pointer.split('/').filter((p) => p.length > 0)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) continue;
    const found = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`).exec(text.slice(offset));
    if (found === null) break;
    offset += found.index;
  }
  return offset;
}

/** A diagnostic about a whole file (no position). */
export function fileDiagnostic(severity: DiagnosticSeverity, code: DiagnosticCode, message: string, file: string): Diagnostic {
  return { severity, code, message, file, line: 0, column: 0, length: 1 };
}

/**
 * ```
 * journeys/pfm/wallet/1.0/journey.jd:12:22: error[unknown-path]: data.balanse is not ...
 *    12 |   set balance = data.balanse + event.amount
 *       |                      ^^^^^^^^^^^^
 * ```
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = diagnostic.line > 0 ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : diagnostic.file;
  const head = `${where}: ${diagnostic.severity}[${diagnostic.code}]: ${diagnostic.message}`;
  if (diagnostic.line === 0 || diagnostic.sourceLine === undefined) return head;
  const gutter = String(diagnostic.line).length;
  // Tabs keep their width in the caret line so the caret stays under the text.
  const lead = diagnostic.sourceLine.slice(0, diagnostic.column - 1).replace(/[^\t]/g, ' ');
  return [
    head,
    ` ${String(diagnostic.line).padStart(gutter)} | ${diagnostic.sourceLine}`,
    ` ${' '.repeat(gutter)} | ${lead}${'^'.repeat(diagnostic.length)}`,
  ].join('\n');
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map(formatDiagnostic).join('\n\n');
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders diagnostics by file, then position, errors before warnings at the same place. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}

/** Levenshtein distance, for "did you mean ...?" hints. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate within a small edit distance, as `; did you mean X?`, or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // Ties go to the candidate of the same length (a typo more often replaces than drops a letter).
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase()) + (candidate.length === word.length ? 0 : 0.5);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && Math.floor(bestDistance) <= limit ? `; did you mean ${best}?` : '';
}
