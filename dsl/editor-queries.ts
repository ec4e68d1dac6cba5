/**
 * What an editor asks of a definition while it is being written: the schemas in scope (the data's,
 * each event's, the context's), which bead the cursor is in, and what is under it (a `data.`,
 * `event.` or `context.` path, a name, a schema file). Pure, and meant for text that does not
 * parse: when the whole file does not, its declarations are read without the beads, and the
 * cursor is placed by the tokens alone.
 */
import type { ItemNode, Span } from './ast.js';
import { Compilation } from './compilation.js';
import { CONTEXT_SCHEMA } from './expression-typing.js';
import { tokenize } from './grammar/lexer.js';
import type { Token } from './grammar/lexer.js';
import type { JsonSchema } from './ir.js';
import { lookupField, resolve } from './json-schemas.js';
import { isJsonObject } from './json-values.js';
import { DEFINITION_FILE } from './loader.js';
import { parseJourney } from './parser.js';
import { declareEvent, declareEventsFrom, declareInlineEvent, readSchema } from './schema-declarations.js';

/** An event as an editor sees it: its schema and where it is declared. */
export interface ScopeEvent {
  schema: JsonSchema;
  /** The schema file, relative to the version folder; the definition file for an inline declaration. */
  file: string;
  inline: boolean;
  /** In the definition: the inline declaration's name, or the string that names the schema file or folder. */
  span: Span;
}

/** The schemas a definition's expressions read, as far as its declarations could be read. */
export interface JourneyScope {
  /** The data schema and its file (relative to the version folder); null when not declared or unreadable. */
  data: { schema: JsonSchema; file: string } | null;
  events: ReadonlyMap<string, ScopeEvent>;
  context: JsonSchema;
}

/** What is under the cursor. */
export type SourceReference =
  /** `data.a.b` up to the segment under the cursor (`segments` may be empty: the root itself). */
  | { kind: 'path'; root: 'data' | 'event' | 'context'; segments: string[]; span: Span }
  /** An identifier: an event, a timer, a processor, … (the caller knows which names are events). */
  | { kind: 'name'; name: string; span: Span }
  /** The file of `data schema "…"` or `event X schema "…"`, relative to the version folder. */
  | { kind: 'schemaFile'; path: string; span: Span };

const PATH_ROOTS = new Set(['data', 'event', 'context']);

function tokens(source: string): Token[] {
  // Bad characters and open strings are left out: the rest still places the cursor.
  return tokenize(source).tokens;
}

/**
 * Whether token `index` begins a top-level item: `on` (a bead) or a declaration. A keyword is a
 * field name after `.` and before `:`, `=` or `?` (as the parser's bead start reads it).
 */
function itemStart(list: readonly Token[], index: number): 'bead' | 'keep' | 'other' | null {
  const token = list[index];
  if (token?.type !== 'kw') return null;
  const before = list[index - 1]?.text;
  const after = list[index + 1];
  if (before === '.' || after?.text === ':' || after?.text === '=' || after?.text === '?') return null;
  switch (token.text) {
    case 'on':
      return 'bead';
    case 'data':
      return after?.text === 'schema' ? 'keep' : null;
    case 'events':
      return after?.text === 'from' ? 'keep' : null;
    case 'event':
      return after?.type === 'identifier' ? 'keep' : null;
    case 'timer':
      return before === 'start' || before === 'cancel' ? null : 'other';
    case 'read':
      return after?.text === 'allow' ? 'other' : null;
    case 'search':
    case 'publish':
    case 'compatibility':
    case 'uplift':
      return 'other';
    default:
      return null;
  }
}

/** The source with everything but the header and the schema declarations blanked (offsets kept). */
function declarationsOnly(source: string): string {
  const list = tokens(source);
  const chars = [...source];
  let blanking = -1;
  const blank = (end: number): void => {
    if (blanking < 0) return;
    for (let i = blanking; i < end; i += 1) if (chars[i] !== '\n') chars[i] = ' ';
  };
  list.forEach((token, index) => {
    const start = itemStart(list, index);
    if (start === null) return;
    blank(token.offset);
    blanking = start === 'keep' ? -1 : token.offset;
  });
  blank(chars.length);
  return chars.join('');
}

/**
 * The schemas in scope of the definition `source`, with the other files of its version folder
 * (`readVersionFiles`). Null when not even its header and schema declarations parse.
 */
export function journeyScope(source: string, files: ReadonlyMap<string, string>): JourneyScope | null {
  let parsed = parseJourney(source, DEFINITION_FILE);
  if (parsed.ast === null) parsed = parseJourney(declarationsOnly(source), DEFINITION_FILE);
  if (parsed.ast === null) return null;
  // The compiler's own declaration steps, on a compilation of their own; their diagnostics are the compile's to report.
  const c = new Compilation({ file: DEFINITION_FILE, source, files }, parsed.source);
  let data: JourneyScope['data'] = null;
  const inline: Array<Extract<ItemNode, { kind: 'inlineEvent' }>> = [];
  for (const item of parsed.ast.items) {
    if (item.kind === 'dataSchema' && data === null) {
      const schema = readSchema(c, item.file.value, item.file.span);
      if (schema !== null) data = { schema, file: item.file.value.replace(/^\.\//, '') };
    } else if (item.kind === 'eventsFrom') {
      declareEventsFrom(c, item.dir.value, item.dir.span);
    } else if (item.kind === 'event') {
      declareEvent(c, item.name, item.file.value, item.file.span);
    } else if (item.kind === 'inlineEvent') {
      inline.push(item);
    }
  }
  for (const item of inline) declareInlineEvent(c, item.name, item.body);
  const events = new Map<string, ScopeEvent>();
  for (const [name, info] of c.events) events.set(name, { schema: info.schema, file: info.file, inline: info.inline, span: info.span });
  return { data, events, context: CONTEXT_SCHEMA };
}

/** The event of the bead the offset is in (`on Deposit` → `Deposit`), or null outside a bead. */
export function beadEventAt(source: string, offset: number): string | null {
  const list = tokens(source);
  let event: string | null = null;
  for (let index = 0; index < list.length; index += 1) {
    const token = list[index];
    if (token === undefined || token.offset >= offset) break;
    const start = itemStart(list, index);
    if (start === 'bead') {
      const name = list[index + 1];
      event = name?.type === 'identifier' ? name.text : null;
    } else if (start !== null) {
      event = null;
    }
  }
  return event;
}

function spanOf(token: Token): Span {
  return { start: token.offset, end: token.offset + token.text.length };
}

/** What is at `offset` in `source` (a token touching it), or null. */
export function referenceAt(source: string, offset: number): SourceReference | null {
  const list = tokens(source);
  const index = list.findIndex(
    (t) => t.offset <= offset && offset <= t.offset + t.text.length && (t.type === 'identifier' || t.type === 'kw' || t.type === 'string'),
  );
  const token = list[index];
  if (token === undefined) return null;
  if (token.type === 'string') {
    if (list[index - 1]?.text !== 'schema') return null;
    return { kind: 'schemaFile', path: (JSON.parse(token.text) as string).replace(/^\.\//, ''), span: spanOf(token) };
  }
  // Walk back over `.name` to the path's root.
  let first = index;
  while (list[first - 1]?.text === '.' && (list[first - 2]?.type === 'identifier' || list[first - 2]?.type === 'kw')) first -= 2;
  const root = list[first];
  if (root !== undefined && root.type === 'kw' && PATH_ROOTS.has(root.text) && list[first - 1]?.text !== '.') {
    const segments: string[] = [];
    for (let i = first + 2; i <= index; i += 2) segments.push(list[i]?.text ?? '');
    return { kind: 'path', root: root.text as 'data' | 'event' | 'context', segments, span: { start: root.offset, end: token.offset + token.text.length } };
  }
  if (token.type === 'identifier' && first === index) return { kind: 'name', name: token.text, span: spanOf(token) };
  return null;
}

/**
 * The path being typed at `offset` for completion: `data.address.ci|` gives root `data`, the
 * complete segments `['address']` and the partial `ci`. Null when the cursor is not after a
 * `data.`, `event.` or `context.` path.
 */
export function pathBeforeCursor(source: string, offset: number): { root: 'data' | 'event' | 'context'; segments: string[]; partial: string } | null {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  const match = /(?:^|[^\w.])(data|event|context)((?:\s*\.\s*\w+)*)\s*\.\s*(\w*)$/.exec(source.slice(lineStart, offset));
  if (match === null) return null;
  const segments = (match[2] ?? '')
    .split('.')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return { root: match[1] as 'data' | 'event' | 'context', segments, partial: match[3] ?? '' };
}

/** The schema of `segments` below `schema` (resolved, with whether the last one may be absent), or null when none says. */
export function schemaAtPath(schema: JsonSchema, segments: readonly string[]): { schema: JsonSchema; optional: boolean } | null {
  let current: JsonSchema | null = resolve(schema, schema);
  let optional = false;
  for (const segment of segments) {
    if (current === null) return null;
    const field = lookupField(current, schema, segment);
    if (field.found !== true) return null;
    current = resolve(field.schema, schema);
    optional = field.optional;
  }
  return current === null ? null : { schema: current, optional };
}

/** The fields an object schema lists (its `properties` and those of its `anyOf`/`oneOf`/`allOf` branches), with their schemas. */
export function schemaFields(schemaIn: unknown, root: JsonSchema, depth = 0): Array<{ name: string; schema: JsonSchema; optional: boolean }> {
  const schema = resolve(schemaIn, root);
  if (schema === null || depth > 10) return [];
  const fields = new Map<string, { name: string; schema: JsonSchema; optional: boolean }>();
  const required = Array.isArray(schema.required) ? schema.required : [];
  if (isJsonObject(schema.properties)) {
    for (const [name, field] of Object.entries(schema.properties)) {
      fields.set(name, { name, schema: resolve(field, root) ?? {}, optional: !required.includes(name) });
    }
  }
  for (const branch of [schema.anyOf, schema.oneOf, schema.allOf].filter(Array.isArray).flat()) {
    for (const field of schemaFields(branch, root, depth + 1)) if (!fields.has(field.name)) fields.set(field.name, { ...field, optional: true });
  }
  return [...fields.values()];
}

/** A schema's type in one line: `integer`, `string (date)`, `"open" | "closed"`, `string[]`, `object`, `any`. */
export function schemaTypeText(schemaIn: unknown, root: JsonSchema, depth = 0): string {
  const schema = resolve(schemaIn, root);
  if (schema === null || depth > 10) return 'any';
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const types =
    typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type.filter((t): t is string => typeof t === 'string') : [];
  if (types.length > 0) {
    return types
      .map((t) => {
        if (t === 'array') return `${schemaTypeText(schema.items, root, depth + 1)}[]`;
        if (t === 'string' && typeof schema.format === 'string') return `string (${schema.format})`;
        return t;
      })
      .join(' | ');
  }
  const branches = [schema.anyOf, schema.oneOf].find((b) => Array.isArray(b) && b.length > 0);
  if (Array.isArray(branches)) return branches.map((b) => schemaTypeText(b, root, depth + 1)).join(' | ');
  return isJsonObject(schema.properties) ? 'object' : 'any';
}
