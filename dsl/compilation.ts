/**
 * One compile in progress: what it was given, the diagnostics reported so far, and what the
 * journey declares and uses as the compiler finds it. The compiler's parts (declarations,
 * expressions, steps, timers, beads, search fields) all read and add to the same one.
 */
import type { Name, Span } from './ast.js';
import type { Diagnostic, DiagnosticCode, SourceText } from './diagnostics.js';
import type { JsonSchema, TimerDefinition } from './ir.js';

export interface CompileInput {
  /** The definition file's path, as diagnostics should show it (e.g. `journeys/pfm/wallet/1.0/journey.jd`). */
  file: string;
  source: string;
  /** The other files of the journey version folder, by path relative to it (`events/deposit.schema.json`). */
  files: ReadonlyMap<string, string>;
  /** Name and version the folder implies; the header must agree. */
  expected?: { name: string; version: string };
  /** What the IR's `source` says (the definition file relative to the journeys root); defaults to `file`. */
  sourceName?: string;
  /**
   * The other versions of this journey the compiler can see (the loader gives the version folders
   * beside this one), with their data schemas: an `uplift from` must name one, and its reads of
   * `data` are typed against that version's schema. Absent when none is known (a version folder
   * on its own): then `uplift from` is checked against this version only, and in full at deploy
   * (`checkUplift`).
   */
  versions?: ReadonlyMap<string, JsonSchema>;
}

export interface EventInfo {
  schema: JsonSchema;
  /** Where the schema is, as messages name it: its file, or for an inline one the definition file. */
  file: string;
  /** Declared inline (`event X { … }`): the compiler wrote its schema. */
  inline: boolean;
  span: Span;
}

export class Compilation {
  readonly diagnostics: Diagnostic[] = [];
  readonly events = new Map<string, EventInfo>();
  /** Events used somewhere without a schema (already reported). */
  readonly undeclared = new Set<string>();
  /** The journey folder as diagnostics show it, with a trailing slash ('' for the current folder). */
  readonly folder: string;

  // What the journey uses, collected while its timers and beads are lowered.
  readonly timers: TimerDefinition[] = [];
  /** Declared timers by name, where declared. */
  readonly timerSpans = new Map<string, Span>();
  /** Events that arrive from timers and back-end calls, with what produces them (for messages). */
  readonly timerEvents: Array<{ event: Name; what: string }> = [];
  readonly processors = new Set<string>();
  /** Emitted events, where first emitted. */
  readonly emittedAt = new Map<string, Span>();
  /** Events some bead handles. */
  readonly handledBy = new Set<string>();
  /** Events sent to other journeys (`send`, `reply`, `start … with`), where first sent. */
  readonly sentAt = new Map<string, Span>();

  constructor(
    readonly input: CompileInput,
    readonly src: SourceText,
  ) {
    const slash = input.file.lastIndexOf('/');
    this.folder = slash >= 0 ? input.file.slice(0, slash + 1) : '';
  }

  error(code: DiagnosticCode, message: string, span: Span): void {
    this.diagnostics.push(this.src.diagnostic('error', code, message, span));
  }

  warning(code: DiagnosticCode, message: string, span: Span): void {
    this.diagnostics.push(this.src.diagnostic('warning', code, message, span));
  }
}
