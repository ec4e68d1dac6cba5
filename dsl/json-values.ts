/**
 * JSON values as the DSL reads them: what counts as an object, equality by value, and the one
 * reader of a path of fields, for expressions, the analysis and `$ref`s in schemas alike.
 */
import type { Json, JsonObject } from './ir.js';

/** A JSON object: not null, not a list. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Equal by value: lists item by item, objects key by key in any order. */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i] ?? null));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k] ?? null, b[k] ?? null));
  }
  return false;
}

/** The value at a path of fields; null where a field is missing or the value is not an object. */
export function readPath(root: Json, segments: readonly string[]): Json {
  let current: Json = root;
  for (const segment of segments) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return null;
    current = current[segment] ?? null;
  }
  return current;
}
