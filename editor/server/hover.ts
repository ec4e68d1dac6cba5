/**
 * Hover: on a `data.`, `event.` or `context.` path, the JSON Schema type of what it reads (enum
 * values, bounds, format, description, whether it may be absent, the schema file); on an event's
 * name, where its schema is and its fields.
 */
import type { Hover } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import { referenceAt, schemaAtPath, schemaFields, schemaTypeText } from '../../dsl/index.js';
import type { JsonSchema } from '../../dsl/index.js';
import type { ScopeAt } from './scope.js';
import { pathRoot } from './scope.js';

/** Bounds and shape keywords shown under the type, as `keyword value`. */
const FACTS = [
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'default',
];

function facts(schema: JsonSchema): string[] {
  const lines = FACTS.filter((key) => schema[key] !== undefined).map((key) => `${key} \`${JSON.stringify(schema[key])}\``);
  if (typeof schema.description === 'string') lines.push(schema.description);
  return lines;
}

function fieldList(schema: JsonSchema): string[] {
  return schemaFields(schema, schema).map((f) => `- \`${f.name}${f.optional ? '?' : ''}\`: \`${schemaTypeText(f.schema, schema)}\``);
}

export function hoverAt(found: ScopeAt, text: string, offset: number, toRange: (start: number, end: number) => Hover['range']): Hover | null {
  const reference = referenceAt(text, offset);
  if (reference === null) return null;
  let lines: string[];
  if (reference.kind === 'path') {
    const root = pathRoot(found, reference.root, text, offset);
    const at = root === null ? null : schemaAtPath(root.schema, reference.segments);
    if (root === null || at === null) return null;
    const shown = [reference.root, ...reference.segments].join('.');
    lines = [`\`${shown}\`: \`${schemaTypeText(at.schema, root.schema)}\`${at.optional ? ' (may be absent)' : ''}`, ...facts(at.schema)];
    const from = root.file ?? (root.event ? `event ${root.event.name}, declared inline` : 'the event context');
    lines.push(`*${from}*`);
  } else if (reference.kind === 'name') {
    const event = found.scope.events.get(reference.name);
    if (event === undefined) return null;
    lines = [`event \`${reference.name}\` — ${event.inline ? 'declared inline' : `*${event.file}*`}`, ...fieldList(event.schema)];
  } else {
    return null;
  }
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n\n') }, range: toRange(reference.span.start, reference.span.end) };
}
