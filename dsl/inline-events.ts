/**
 * Inline event declarations (`event LeaveCancelled { employee: string, note?: string }`): the JSON
 * Schema the compiler writes for one. It is shaped as the example journeys' event schema files are
 * (an object; every field required unless written `name?:`; no other properties), so what reads
 * event schemas — the type checker, the API's payload validation, compatibility checks, bundles —
 * cannot tell it from a hand-written file.
 */
import type { FieldTypeNode, ObjectTypeNode, RangeNode } from './ast.js';
import type { Compilation } from './compilation.js';
import { didYouMean } from './diagnostics.js';
import type { Json, JsonSchema } from './ir.js';

/** The JSON Schema dialect of every journey schema. */
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** The type names a field may have, and the schema each stands for. */
export const FIELD_TYPES: Readonly<Record<string, Readonly<JsonSchema>>> = {
  string: { type: 'string' },
  number: { type: 'number' },
  integer: { type: 'integer' },
  boolean: { type: 'boolean' },
  /** ISO 8601 `2026-12-02`. */
  date: { type: 'string', format: 'date' },
  /** ISO 8601 `2026-12-02T10:30:00Z` (what a timer's `at` reads). */
  datetime: { type: 'string', format: 'date-time' },
};

/**
 * The payload schema of `event <title> { … }`. What is wrong in it is reported at the field or
 * type, with a caret, as every compiler error; the schema is still given (a type the language
 * does not have admits anything), so uses of the event are checked without follow-on errors.
 */
export function inlineEventSchema(c: Compilation, title: string, body: ObjectTypeNode): JsonSchema {
  return { $schema: SCHEMA_DIALECT, title, ...objectSchema(c, body) };
}

function objectSchema(c: Compilation, node: ObjectTypeNode): JsonSchema {
  const properties: Array<[string, JsonSchema]> = [];
  const required: string[] = [];
  const declared = new Map<string, number>();
  for (const field of node.fields) {
    const name = field.name.value;
    const line = declared.get(name);
    if (line !== undefined) {
      c.error('duplicate-declaration', `field ${name} is already declared on line ${line}`, field.name.span);
      continue;
    }
    declared.set(name, c.src.locate(field.name.span.start).line);
    properties.push([name, typeSchema(c, field.type)]);
    if (!field.optional) required.push(name);
  }
  // fromEntries defines own properties: a field named `__proto__` stays a field.
  return { type: 'object', required, additionalProperties: false, properties: Object.fromEntries(properties) };
}

function typeSchema(c: Compilation, node: FieldTypeNode): JsonSchema {
  switch (node.kind) {
    case 'named': {
      const known = Object.hasOwn(FIELD_TYPES, node.name.value) ? FIELD_TYPES[node.name.value] : undefined;
      if (known === undefined) {
        const names = Object.keys(FIELD_TYPES);
        const hint = didYouMean(node.name.value, names) || `; a type is one of ${names.join(', ')}, a value ("a" | "b"), a list (T[]) or { … }`;
        c.error('invalid-field-type', `${node.name.value} is not a field type${hint}`, node.name.span);
        return {};
      }
      if (node.range === null) return { ...known };
      const keywords = RANGE_KEYWORDS[node.name.value];
      if (keywords === undefined) {
        c.error('invalid-field-type', `a ${node.name.value} has no range: ranges bound a string's length, a number or a list's size`, node.range.span);
        return { ...known };
      }
      return { ...known, ...rangeSchema(c, node.range, keywords) };
    }
    case 'value':
      return { const: node.value };
    case 'list': {
      const list: JsonSchema = { type: 'array', items: typeSchema(c, node.item) };
      return node.range === null ? list : { ...list, ...rangeSchema(c, node.range, LIST_RANGE) };
    }
    case 'object':
      return objectSchema(c, node);
    case 'union':
      return unionSchema(c, node.options);
  }
}

interface RangeKeywords {
  min: string;
  max: string;
  /** A count (a length, a size): a whole number, 0 or more. */
  count: boolean;
}

/** What a range after a type's name bounds, by that name (one of FIELD_TYPES). */
const RANGE_KEYWORDS: Readonly<Record<string, RangeKeywords | undefined>> = {
  string: { min: 'minLength', max: 'maxLength', count: true },
  integer: { min: 'minimum', max: 'maximum', count: false },
  number: { min: 'minimum', max: 'maximum', count: false },
};
/** What a range after `[]` bounds. */
const LIST_RANGE: RangeKeywords = { min: 'minItems', max: 'maxItems', count: true };

function rangeSchema(c: Compilation, range: RangeNode, keywords: RangeKeywords): JsonSchema {
  const { min, max } = range;
  if (min === null && max === null) {
    c.error('invalid-field-type', 'a range needs a bound: (1..70), (1..) or (..70)', range.span);
    return {};
  }
  const schema: JsonSchema = {};
  for (const [bound, keyword] of [
    [min, keywords.min],
    [max, keywords.max],
  ] as const) {
    if (bound === null) continue;
    if (keywords.count && !(Number.isSafeInteger(bound.value) && bound.value >= 0)) {
      c.error('invalid-field-type', `${bound.value} is not a length or a size: a whole number, 0 or more`, bound.span);
    } else {
      schema[keyword] = bound.value;
    }
  }
  if (min !== null && max !== null && min.value > max.value) {
    c.error('invalid-field-type', `the range is empty: ${min.value} is more than ${max.value}`, range.span);
  }
  return schema;
}

function flatten(options: readonly FieldTypeNode[]): FieldTypeNode[] {
  return options.flatMap((option) => (option.kind === 'union' ? flatten(option.options) : [option]));
}

/**
 * `"a" | "b"` → `enum`; `integer | null`, `date | null` → a `type` list (as a hand-written schema
 * says it); any other mix → `anyOf`, its listed values in one `enum` branch.
 */
function unionSchema(c: Compilation, options: readonly FieldTypeNode[]): JsonSchema {
  const values: Json[] = [];
  const others: JsonSchema[] = [];
  for (const option of flatten(options)) {
    if (option.kind !== 'value') {
      others.push(typeSchema(c, option));
    } else if (values.includes(option.value)) {
      c.error('duplicate-declaration', `${JSON.stringify(option.value)} is already listed`, option.span);
    } else {
      values.push(option.value);
    }
  }
  const listed: JsonSchema = values.length === 1 ? { const: values[0] ?? null } : { enum: values };
  if (others.length === 0) return listed;
  return typeList(others, values) ?? { anyOf: values.length > 0 ? [...others, listed] : others };
}

/**
 * Types of different kinds (`integer` and `number` are one: `minimum` bounds both), at most `null`
 * among the values: one `type` list. Each other keyword (`format`, `minLength`, `items`, …) then
 * applies to one of the types only, as it did in its own branch.
 */
function typeList(others: readonly JsonSchema[], values: readonly Json[]): JsonSchema | null {
  if (values.some((v) => v !== null)) return null;
  const types: string[] = values.length > 0 ? ['null'] : [];
  const kind = (type: string): string => (type === 'integer' ? 'number' : type);
  const merged: JsonSchema = {};
  for (const { type, ...keywords } of others) {
    if (typeof type !== 'string' || types.some((t) => kind(t) === kind(type))) return null;
    types.push(type);
    Object.assign(merged, keywords);
  }
  // `null` last, as a hand-written schema lists it (`["integer", "null"]`).
  const ordered = [...types.filter((t) => t !== 'null'), ...types.filter((t) => t === 'null')];
  return { type: ordered, ...merged };
}
