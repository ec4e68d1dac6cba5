/**
 * Sample instances of a JSON Schema, to check an uplift on more than the instances at hand. Over
 * the keywords journeys use (type, properties, required, enum, const, bounds, lengths, pattern,
 * format, items, local $ref, anyOf/oneOf/allOf): a minimal instance (required properties only,
 * lowest values), a maximal one (every property, highest values), one per further enum value or
 * branch, and a few seeded random ones. Deterministic: the same schema and seed give the same
 * samples. Heuristic: a sample may miss the schema (a pattern too hard to follow, overlapping
 * branches), so the caller validates them.
 */
import type { Json, JsonObject, JsonSchema } from './ir.js';
import { resolve } from './json-schemas.js';
import { isJsonObject } from './json-values.js';
import { samplePattern } from './pattern-sample.js';
import type { PatternChoice } from './pattern-sample.js';

export interface SampleOptions {
  /**
   * Seed of the random samples.
   * @defaultValue 1
   */
  seed?: number;
  /**
   * How many random samples besides the fixed ones.
   * @defaultValue 4
   */
  random?: number;
}

/** Nested deeper than this, a value is null (a recursive schema would never end). */
const MAX_DEPTH = 12;
/** At most this many variants per enum or branch list. */
const MAX_VARIANTS = 8;
/** Longest generated string and longest "open" list. */
const MAX_STRING = 4096;
const OPEN_ITEMS = 3;
/** A bound when the schema gives none: largest value of a maximal sample. */
const LARGE_NUMBER = 1_000_000_000;

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2024-02-29T12:34:56Z',
  date: '2024-02-29',
  time: '12:34:56Z',
  duration: 'P1DT2H',
  email: 'someone@example.com',
  'idn-email': 'someone@example.com',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uri: 'https://example.com/sample',
  'uri-reference': '/sample',
  iri: 'https://example.com/sample',
  'iri-reference': '/sample',
  'uri-template': 'https://example.com/{id}',
  uuid: '123e4567-e89b-42d3-a456-426614174000',
  'json-pointer': '/sample',
  'relative-json-pointer': '0/sample',
  regex: '^sample$',
};

/** Mulberry32: a small seeded generator of numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mode = 'min' | 'max' | (() => number);

interface Context {
  root: JsonSchema;
  mode: Mode;
  /** Which enum value or branch the fixed samples take (the n-th, cycling). */
  variant: number;
}

function choose<T>(items: readonly T[], context: Context, preferLast = false): T | undefined {
  const { mode, variant } = context;
  if (typeof mode === 'function') return items[Math.floor(mode() * items.length)];
  if (items.length === 0) return undefined;
  const index = mode === 'max' && preferLast ? items.length - 1 - (variant % items.length) : variant % items.length;
  return items[index];
}

function numberOf(schema: JsonObject, key: string): number | undefined {
  const value = schema[key];
  return typeof value === 'number' ? value : undefined;
}

/** A shallow merge of `allOf` branches (and siblings): their properties and required lists joined. */
function merged(parts: readonly JsonObject[]): JsonObject {
  const out: JsonObject = {};
  const properties: JsonObject = {};
  const required = new Set<string>();
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties' && isJsonObject(value)) {
        Object.assign(properties, value);
      } else if (key === 'required' && Array.isArray(value)) {
        for (const r of value) if (typeof r === 'string') required.add(r);
      } else if (key !== 'allOf') {
        out[key] = value;
      }
    }
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  if (required.size > 0) out.required = [...required];
  return out;
}

function typeOf(schema: JsonObject, context: Context): string | undefined {
  const type = schema.type;
  const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
  if (types.length > 0) {
    if (context.mode === 'min' && types.includes('null')) return 'null';
    if (context.mode === 'max') return types.find((t) => t !== 'null') ?? types[0];
    return choose(types, context);
  }
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if ('pattern' in schema || 'format' in schema || 'minLength' in schema || 'maxLength' in schema) return 'string';
  if ('minimum' in schema || 'maximum' in schema || 'multipleOf' in schema) return 'number';
  return undefined;
}

function generateNumber(schema: JsonObject, integer: boolean, context: Context): number {
  let low = numberOf(schema, 'minimum');
  let high = numberOf(schema, 'maximum');
  const exMin = numberOf(schema, 'exclusiveMinimum');
  const exMax = numberOf(schema, 'exclusiveMaximum');
  if (exMin !== undefined) low = Math.max(low ?? -Infinity, integer ? Math.floor(exMin) + 1 : exMin + 0.5);
  if (exMax !== undefined) high = Math.min(high ?? Infinity, integer ? Math.ceil(exMax) - 1 : exMax - 0.5);
  let value: number;
  const { mode } = context;
  if (mode === 'min') value = low ?? (high !== undefined ? Math.min(0, high) : 0);
  else if (mode === 'max') value = high ?? (low ?? 0) + LARGE_NUMBER;
  else {
    const from = low ?? (high ?? 1000) - 1000;
    const to = high ?? from + 1000;
    value = from + mode() * (to - from);
  }
  if (integer) value = mode === 'max' ? Math.floor(value) : Math.ceil(value);
  const step = numberOf(schema, 'multipleOf');
  if (step !== undefined && step > 0) {
    value = Math.round(value / step) * step;
    if (low !== undefined && value < low) value += step;
    if (high !== undefined && value > high) value -= step;
  }
  return value;
}

function generateString(schema: JsonObject, context: Context): string {
  const { mode } = context;
  if (typeof schema.format === 'string') return FORMAT_SAMPLES[schema.format] ?? 'sample';
  if (typeof schema.pattern === 'string') {
    const choice: PatternChoice = mode;
    const sample = samplePattern(schema.pattern, choice);
    if (sample !== null) return sample;
  }
  const minLength = numberOf(schema, 'minLength') ?? 0;
  const maxLength = Math.min(numberOf(schema, 'maxLength') ?? minLength + 16, minLength + MAX_STRING);
  const length =
    mode === 'min' ? minLength : mode === 'max' ? maxLength : minLength + Math.floor(mode() * (Math.min(maxLength, minLength + 24) - minLength + 1));
  let text = '';
  for (let i = 0; i < length; i += 1) text += String.fromCharCode(97 + ((i + context.variant) % 26));
  return text;
}

function generateArray(schema: JsonObject, context: Context, depth: number): Json[] {
  const { mode } = context;
  const minItems = numberOf(schema, 'minItems') ?? 0;
  const maxItems = numberOf(schema, 'maxItems');
  const open = Math.max(minItems, OPEN_ITEMS);
  const most = maxItems === undefined ? open : Math.min(maxItems, open);
  const count = mode === 'min' ? minItems : mode === 'max' ? most : minItems + Math.floor(mode() * (most - minItems + 1));
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const items: Json[] = [];
  for (let i = 0; i < count; i += 1) {
    // Each item its own variant: enum items differ, which `uniqueItems` needs.
    const itemSchema = i < prefix.length ? prefix[i] : schema.items;
    const item = generate(itemSchema, { ...context, variant: context.variant + i }, depth + 1);
    if (schema.uniqueItems === true && items.some((existing) => JSON.stringify(existing) === JSON.stringify(item))) continue;
    items.push(item);
  }
  return items;
}

function generateObject(schema: JsonObject, context: Context, depth: number): JsonObject {
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  const out: JsonObject = {};
  for (const [name, property] of Object.entries(properties)) {
    const { mode } = context;
    const include = required.includes(name) || mode === 'max' || (typeof mode === 'function' && mode() < 0.5);
    if (include) out[name] = generate(property, context, depth + 1);
  }
  for (const name of required) {
    if (name in out) continue;
    const extra = schema.additionalProperties;
    out[name] = generate(isJsonObject(extra) ? extra : {}, context, depth + 1);
  }
  return out;
}

function generate(schemaIn: unknown, context: Context, depth: number): Json {
  if (depth > MAX_DEPTH || schemaIn === false) return null;
  const resolved = schemaIn === true || schemaIn === undefined ? {} : resolve(schemaIn, context.root);
  if (resolved === null) return null;
  let schema = resolved;
  if ('const' in schema) return structuredClone(schema.const ?? null);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return structuredClone(choose(schema.enum, context, true) ?? null);
  if (Array.isArray(schema.allOf)) {
    const branches = schema.allOf.map((b) => resolve(b, context.root)).filter((b): b is JsonObject => b !== null);
    schema = merged([schema, ...branches]);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const { [key]: _branches, ...siblings } = schema;
      const branch = resolve(choose(branches, context, true), context.root) ?? {};
      return generate(merged([siblings, branch]), context, depth + 1);
    }
  }
  switch (typeOf(schema, context)) {
    case 'null':
      return null;
    case 'boolean':
      return context.mode === 'min' ? false : context.mode === 'max' ? true : context.mode() < 0.5;
    case 'integer':
      return generateNumber(schema, true, context);
    case 'number':
      return generateNumber(schema, false, context);
    case 'string':
      return generateString(schema, context);
    case 'array':
      return generateArray(schema, context, depth);
    case 'object':
      return generateObject(schema, context, depth);
    default:
      return context.mode === 'min' ? null : 'sample';
  }
}

/** The most choices any enum or branch list of the schema offers (to cover each once). */
function variantCount(schema: unknown, root: JsonSchema, depth = 0): number {
  if (depth > MAX_DEPTH) return 1;
  const resolved = resolve(schema, root);
  if (resolved === null) return 1;
  let most = 1;
  for (const key of ['enum', 'anyOf', 'oneOf'] as const) {
    const list = resolved[key];
    if (Array.isArray(list)) most = Math.max(most, list.length);
  }
  const children: unknown[] = [
    ...(isJsonObject(resolved.properties) ? Object.values(resolved.properties) : []),
    ...(Array.isArray(resolved.anyOf) ? resolved.anyOf : []),
    ...(Array.isArray(resolved.oneOf) ? resolved.oneOf : []),
    ...(Array.isArray(resolved.allOf) ? resolved.allOf : []),
    ...(Array.isArray(resolved.prefixItems) ? resolved.prefixItems : []),
    ...(resolved.items === undefined ? [] : [resolved.items]),
  ];
  for (const child of children) most = Math.max(most, variantCount(child, root, depth + 1));
  return Math.min(most, MAX_VARIANTS);
}

/**
 * Sample instances of `schema`, without duplicates: minimal, maximal, one more of each per enum
 * value or branch (up to 8), then `random` seeded ones. Not all are certain to be valid.
 */
export function generateSamples(schema: JsonSchema, options: SampleOptions = {}): Json[] {
  const seed = options.seed ?? 1;
  const randomCount = options.random ?? 4;
  const contexts: Context[] = [];
  const variants = variantCount(schema, schema);
  for (let variant = 0; variant < variants; variant += 1) {
    contexts.push({ root: schema, mode: 'min', variant }, { root: schema, mode: 'max', variant });
  }
  for (let i = 0; i < randomCount; i += 1) contexts.push({ root: schema, mode: seeded(seed * 7919 + i), variant: 0 });
  const seen = new Set<string>();
  const samples: Json[] = [];
  for (const context of contexts) {
    const sample = generate(schema, context, 0);
    const key = JSON.stringify(sample);
    if (seen.has(key)) continue;
    seen.add(key);
    samples.push(sample);
  }
  return samples;
}
