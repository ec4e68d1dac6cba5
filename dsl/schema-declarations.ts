/**
 * The journey's schemas: reading the JSON Schema files its declarations name from the journey
 * folder (each must be valid JSON and a valid draft 2020-12 schema), declaring its events from
 * them or from inline declarations (inline-events.ts), and checking that every event used has one.
 */
import type { Name, ObjectTypeNode, Span } from './ast.js';
import type { Compilation, EventInfo } from './compilation.js';
import { didYouMean, jsonErrorOffset, jsonPointerOffset, SourceText } from './diagnostics.js';
import type { JsonSchema } from './ir.js';
import { inlineEventSchema } from './inline-events.js';
import { createAjv } from './json-schemas.js';
import { kebabCase, pascalCase } from './naming.js';

/** Whether schema texts compile with ajv, remembered: compiling is slow and the same files recur. */
const schemaProblems = new Map<string, string | null>();
/** One ajv for these checks: a new one compiles the draft 2020-12 meta-schema again (~20 ms each). */
let schemaChecker: ReturnType<typeof createAjv> | undefined;

function schemaProblem(text: string, schema: object): string | null {
  const known = schemaProblems.get(text);
  if (known !== undefined) return known;
  let problem: string | null = null;
  schemaChecker ??= createAjv();
  try {
    schemaChecker.compile(schema);
  } catch (thrown: unknown) {
    problem = thrown instanceof Error ? thrown.message : String(thrown);
  } finally {
    // Checked, not kept: another file may declare the same $id.
    try {
      schemaChecker.removeSchema(schema);
    } catch {
      schemaChecker = undefined;
    }
  }
  if (schemaProblems.size >= 1000) schemaProblems.clear();
  schemaProblems.set(text, problem);
  return problem;
}

function normalize(path: string): string {
  return path.replace(/^\.\//, '').replace(/\/+/g, '/');
}

export function readSchema(c: Compilation, path: string, span: Span): JsonSchema | null {
  const relative = normalize(path);
  const text = c.input.files.get(relative);
  if (text === undefined) {
    const schemas = [...c.input.files.keys()].filter((f) => f.endsWith('.json'));
    c.error('missing-file', `schema file ${c.folder}${relative} does not exist${didYouMean(relative, schemas)}`, span);
    return null;
  }
  // A problem inside the file is reported at its own line there, naming the line that reads it.
  const file = new SourceText(`${c.folder}${relative}`, text);
  const named = ` (named on line ${c.src.locate(span.start).line} of ${c.src.file.slice(c.folder.length)})`;
  const inFile = (message: string, offset: number): void => {
    const at = Math.max(0, Math.min(offset, text.length - 1));
    c.diagnostics.push(file.diagnostic('error', 'invalid-schema', `${file.file} ${message}${named}`, { start: at, end: at + 1 }));
  };
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (thrown: unknown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    inFile(`is not valid JSON: ${message}`, text.trim().length === 0 ? 0 : jsonErrorOffset(message, file));
    return null;
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    inFile('is not a JSON Schema object', text.search(/\S/));
    return null;
  }
  const problem = schemaProblem(text, schema);
  if (problem !== null) {
    // ajv names the place as `data/properties/a/type`.
    const pointer = /\bdata((?:\/[^\s/,]+)+)/.exec(problem)?.[1] ?? '';
    inFile(`is not a valid JSON Schema (draft 2020-12): ${problem}`, jsonPointerOffset(text, pointer));
    return null;
  }
  return schema as JsonSchema;
}

export function declareEvent(c: Compilation, name: Name, file: string, span: Span): void {
  const existing = c.events.get(name.value);
  if (existing) {
    c.error('duplicate-declaration', `event ${name.value} is already declared ${declaredWhere(c, existing)}`, span);
    return;
  }
  const schema = readSchema(c, file, span);
  if (schema) c.events.set(name.value, { schema, file: `${c.folder}${normalize(file)}`, inline: false, span });
}

/**
 * `event Name { … }`: declares the event with the schema its fields give. Declared after the
 * schema files, so declaring an event both ways is reported here, at the inline declaration.
 */
export function declareInlineEvent(c: Compilation, name: Name, body: ObjectTypeNode): void {
  const existing = c.events.get(name.value);
  if (existing) {
    const keep = existing.inline ? '' : ': declare it inline or by a schema file, not both';
    c.error('duplicate-declaration', `event ${name.value} is already declared ${declaredWhere(c, existing)}${keep}`, name.span);
    return;
  }
  c.events.set(name.value, { schema: inlineEventSchema(c, name.value, body), file: c.src.file, inline: true, span: name.span });
}

function declaredWhere(c: Compilation, info: EventInfo): string {
  const line = c.src.locate(info.span.start).line;
  return info.inline ? `inline on line ${line}` : `on line ${line} (${info.file})`;
}

/** Where an event's schema is, as messages name it: its file, or `declared on line 7` when inline. */
export function schemaPlace(c: Compilation, info: EventInfo): string {
  return info.inline ? `declared on line ${c.src.locate(info.span.start).line}` : info.file;
}

export function declareEventsFrom(c: Compilation, dir: string, span: Span): void {
  const prefix = normalize(dir.endsWith('/') ? dir : `${dir}/`).replace(/^\/$/, '');
  const files = [...c.input.files.keys()].filter((f) => f.startsWith(prefix) && f.endsWith('.schema.json') && !f.slice(prefix.length).includes('/')).sort();
  if (files.length === 0) {
    c.error('missing-file', `folder ${c.folder}${prefix} has no event schemas (files named <event-name>.schema.json)`, span);
    return;
  }
  for (const file of files) {
    const event = pascalCase(file.slice(prefix.length, -'.schema.json'.length));
    declareEvent(c, { value: event, span }, file, span);
  }
}

/** The declared event `name`, or null after reporting that it has no schema (`use` says how it is used). */
export function eventExists(c: Compilation, name: Name, use: string): EventInfo | null {
  const info = c.events.get(name.value);
  if (info) return info;
  c.undeclared.add(name.value);
  const hint = didYouMean(name.value, c.events.keys());
  const file = `events/${kebabCase(name.value)}.schema.json`;
  const declare = `: declare \`event ${name.value} { field: type, … }\`, or add ${file}`;
  c.error('unknown-event', `${use} ${name.value}, which has no schema${hint || declare}`, name.span);
  return null;
}
