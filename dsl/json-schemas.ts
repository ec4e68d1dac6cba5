/**
 * JSON Schema support shared by the compiler and the evaluator: one ajv configuration, and a small
 * static type model read from schemas (what kinds of value a path can hold, which fields exist).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { JsonSchema } from './ir.js';
import { isJsonObject, readPath } from './json-values.js';

/** ajv for journey schemas (draft 2020-12): all errors, formats, strict about unknown keywords. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  ajvFormats.default(ajv);
  return ajv;
}

export interface Violation {
  /** JSON Pointer into the validated value, '' for the value itself. */
  pointer: string;
  message: string;
}

export function violations(errors: ErrorObject[] | null | undefined): Violation[] {
  return (errors ?? []).map((error) => {
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      message = `has unknown property ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
    } else if (error.keyword === 'required') {
      message = `must have property ${JSON.stringify((error.params as { missingProperty: string }).missingProperty)}`;
    }
    return { pointer: error.instancePath, message };
  });
}

export type { ValidateFunction };

// ---- static types -------------------------------------------------------------------------

export type Kind = 'null' | 'boolean' | 'number' | 'string' | 'list' | 'object';

/** What an expression can evaluate to: a set of kinds (null = unknown, anything). */
export interface Ty {
  kinds: ReadonlySet<Kind> | null;
  /** The schema values of this type follow, when known (to look up fields). */
  schema?: JsonSchema;
}

export const ANY: Ty = { kinds: null };
export const ty = (...kinds: Kind[]): Ty => ({ kinds: new Set(kinds) });

/** `a number or a string`: kinds as messages name them. */
export function kindsText(kinds: Iterable<Kind>): string {
  const list = [...kinds].map((k) => (k === 'list' ? 'a list' : k === 'object' ? 'an object' : k === 'null' ? 'null' : `a ${k}`));
  return list.length === 0 ? 'nothing' : list.join(' or ');
}

/** Kinds other than null; null when unknown. */
export function nonNull(t: Ty): Set<Kind> | null {
  if (t.kinds === null) return null;
  const kinds = new Set(t.kinds);
  kinds.delete('null');
  return kinds;
}

export function union(a: Ty, b: Ty): Ty {
  if (a.kinds === null || b.kinds === null) return ANY;
  return { kinds: new Set([...a.kinds, ...b.kinds]) };
}

/** Follows local `$ref`s (`#/$defs/x`); other references are treated as unknown. */
export function resolve(schema: unknown, root: JsonSchema, depth = 0): JsonSchema | null {
  if (!isJsonObject(schema)) return null;
  const ref = schema.$ref;
  if (typeof ref !== 'string' || depth > 20) return schema;
  if (!ref.startsWith('#')) return null;
  const pointer = ref
    .slice(1)
    .split('/')
    .filter((p) => p.length > 0)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  return resolve(readPath(root, pointer), root, depth + 1);
}

function kindOfValue(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

const TYPE_KINDS: Record<string, Kind> = {
  null: 'null',
  boolean: 'boolean',
  number: 'number',
  integer: 'number',
  string: 'string',
  array: 'list',
  object: 'object',
};

/** The type of values a schema admits. */
export function tyOfSchema(schemaIn: unknown, root: JsonSchema): Ty {
  const schema = resolve(schemaIn, root);
  if (schema === null) return ANY;
  if ('const' in schema) return { kinds: new Set([kindOfValue(schema.const)]), schema };
  if (Array.isArray(schema.enum)) return { kinds: new Set(schema.enum.map(kindOfValue)), schema };
  const type = schema.type;
  if (typeof type === 'string') return { kinds: new Set([TYPE_KINDS[type] ?? 'object']), schema };
  if (Array.isArray(type)) return { kinds: new Set(type.map((t) => (typeof t === 'string' ? TYPE_KINDS[t] : undefined) ?? 'object')), schema };
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      return { ...branches.map((b) => tyOfSchema(b, root)).reduce(union), schema };
    }
  }
  return { kinds: null, schema };
}

export type FieldLookup =
  | { found: true; schema: unknown; optional: boolean }
  | { found: false; known: string[] }
  /** The schema does not say (no `properties`): anything goes. */
  | { found: 'unknown' };

/** Looks up `field` in an object schema (its `properties`, `additionalProperties`, `anyOf` branches). */
export function lookupField(schemaIn: unknown, root: JsonSchema, field: string): FieldLookup {
  const schema = resolve(schemaIn, root);
  if (schema === null) return { found: 'unknown' };
  const branches = [schema.anyOf, schema.oneOf, schema.allOf].filter(Array.isArray).flat();
  const properties = isJsonObject(schema.properties) ? schema.properties : null;
  const required = Array.isArray(schema.required) ? schema.required : [];
  if (properties !== null && Object.prototype.hasOwnProperty.call(properties, field)) {
    return { found: true, schema: properties[field], optional: !required.includes(field) };
  }
  const known = properties === null ? [] : Object.keys(properties);
  for (const branch of branches) {
    const inner = lookupField(branch, root, field);
    if (inner.found === true) return { ...inner, optional: true };
    if (inner.found === false) known.push(...inner.known);
  }
  const additional = schema.additionalProperties;
  if (isJsonObject(additional)) return { found: true, schema: additional, optional: true };
  if (additional === true) return { found: 'unknown' };
  if (properties === null && branches.length === 0) return { found: 'unknown' };
  return { found: false, known: [...new Set(known)] };
}
