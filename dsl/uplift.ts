/**
 * Moving an instance's data to a newer version of its journey, pure: the older data, with the
 * newer data schema's `default`s filled in where properties are missing, then the newer version's
 * `uplift from <version>` steps (when it has them for that version), then checked against the
 * newer data schema. The engine runs it inside the instance's own turn; this part does no I/O.
 */
import { EvaluationError, evalExpr } from './expressions.js';
import type { Scope } from './expressions.js';
import type { CompiledJourney, Json, JsonObject, JsonSchema, Step } from './ir.js';
import { resolve } from './json-schemas.js';
import { isJsonObject } from './json-values.js';
import { journeyValidators } from './validation.js';
import type { PayloadViolation } from './validation.js';
import { compareVersions } from './versions.js';

export type UpliftResult = { ok: true; data: JsonObject } | { ok: false; violations: PayloadViolation[] };

/** Deeper than this, defaults are not looked for (a recursive schema would never end). */
const MAX_DEFAULT_DEPTH = 32;

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function defaultOf(schema: unknown, root: JsonSchema): { value: Json } | null {
  // `{ "$ref": …, "default": … }`: the default beside the reference wins over the target's.
  if (isJsonObject(schema) && hasOwn(schema, 'default')) return { value: schema.default ?? null };
  const resolved = resolve(schema, root);
  if (resolved !== null && hasOwn(resolved, 'default')) return { value: resolved.default ?? null };
  return null;
}

/**
 * Fills the `default` of every property the schema lists and `value` lacks, in place, and goes on
 * into the objects and lists present. Inside `anyOf`/`oneOf` nothing is filled: which branch
 * applies is not known before validation.
 */
export function applyDefaults(value: Json, schemaIn: unknown, root: JsonSchema, depth = 0): void {
  if (depth > MAX_DEFAULT_DEPTH) return;
  const schema = resolve(schemaIn, root);
  if (schema === null) return;
  if (isJsonObject(value)) {
    if (!isJsonObject(schema.properties)) return;
    for (const [key, property] of Object.entries(schema.properties)) {
      if (!hasOwn(value, key)) {
        const fallback = defaultOf(property, root);
        if (fallback === null) continue;
        value[key] = structuredClone(fallback.value);
      }
      applyDefaults(value[key] ?? null, property, root, depth + 1);
    }
  } else if (Array.isArray(value) && (isJsonObject(schema.items) || schema.items === true)) {
    for (const item of value) applyDefaults(item, schema.items, root, depth + 1);
  }
}

class UpliftFailure extends Error {
  override name = 'UpliftFailure';
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

function pointerOf(path: readonly string[]): string {
  return path.map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function assign(data: JsonObject, path: readonly string[], value: Json): void {
  let target = data;
  for (const [index, segment] of path.slice(0, -1).entries()) {
    const next = target[segment];
    if (next === undefined || next === null) {
      const created: JsonObject = {};
      target[segment] = created;
      target = created;
    } else if (isJsonObject(next)) {
      target = next;
    } else {
      throw new UpliftFailure(`cannot set ${path.join('.')}: ${segment} is not an object`, pointerOf(path.slice(0, index + 1)));
    }
  }
  const last = path[path.length - 1];
  if (last === undefined) throw new UpliftFailure('cannot set an empty path', '');
  target[last] = structuredClone(value);
}

function runSteps(steps: readonly Step[], data: JsonObject, scope: Scope): void {
  for (const step of steps) {
    if (step.kind === 'assign') {
      let value: Json;
      try {
        value = evalExpr(step.value, scope);
      } catch (thrown: unknown) {
        if (thrown instanceof EvaluationError) throw new UpliftFailure(`set ${step.path.join('.')}: ${thrown.message}`, pointerOf(step.path));
        throw thrown;
      }
      assign(data, step.path, value);
    } else if (step.kind === 'if') {
      let condition: Json;
      try {
        condition = evalExpr(step.condition, scope);
      } catch (thrown: unknown) {
        if (thrown instanceof EvaluationError) throw new UpliftFailure(`if: ${thrown.message}`, '');
        throw thrown;
      }
      if (typeof condition !== 'boolean') throw new UpliftFailure('an if condition is not true or false', '');
      runSteps(condition ? step.then : step.else, data, scope);
    } else {
      // The compiler and ir.schema.json allow only `set` and `if`; an IR from elsewhere may not.
      throw new UpliftFailure(`an uplift cannot run a ${step.kind} step`, '');
    }
  }
}

/**
 * The data of an instance of version `fromVersion`, moved to `newer`: defaults of `newer`'s data
 * schema for missing properties, then its `uplift from <fromVersion>` steps (none: defaults only),
 * then `newer`'s data schema. Pure; `data` is not changed; `nowMs` is what `now()` reads.
 * Returns the new data, or what is wrong with it (JSON Pointers into the data). Throws
 * `JE_DSL_IR_INVALID` only when `newer`'s data schema does not compile.
 */
export function upliftData(newer: CompiledJourney, fromVersion: string, data: JsonObject, nowMs: number): UpliftResult {
  const working = structuredClone(data);
  applyDefaults(working, newer.dataSchema, newer.dataSchema);
  const section = newer.uplifts?.find((uplift) => compareVersions(uplift.from, fromVersion) === 0);
  if (section !== undefined) {
    // Steps are sequential, as in a bead: each reads the data as the steps before it left it.
    const scope: Scope = { data: working, event: {}, context: {}, nowMs };
    try {
      runSteps(section.steps, working, scope);
    } catch (thrown: unknown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      const pointer = thrown instanceof UpliftFailure ? thrown.pointer : '';
      return { ok: false, violations: [{ pointer, message: `uplift from ${section.from} failed: ${message}` }] };
    }
  }
  const violations = journeyValidators(newer).validateData(working);
  if (violations.length > 0) return { ok: false, violations };
  return { ok: true, data: working };
}
