/**
 * Whether one JSON Schema admits every value another admits (`sub` ⊆ `sup`), decided structurally
 * over the keywords journeys use: type, const, enum, properties, required, additionalProperties,
 * minimum/maximum (and exclusive), multipleOf, minLength/maxLength, pattern, format, items,
 * minItems/maxItems, uniqueItems, local $ref, anyOf/oneOf/allOf.
 *
 * Conservative by design: a constraint of `sup` counts as met only when `sub` is shown to imply
 * it. Anything not understood (another keyword, an unresolvable $ref, a `oneOf` whose branches may
 * overlap) is a problem with a message saying so, never a pass. Constraints only `sub` has make
 * `sub` smaller, so they are safe to ignore.
 *
 * Over 500 lines on purpose: one walk over two schemas at once, whose keyword checks all share its
 * roots, labels and findings, and recurse into each other through it.
 */
import type { Json, JsonObject, JsonSchema } from './ir.js';
import { createAjv } from './json-schemas.js';
import type { ValidateFunction } from './json-schemas.js';
import { deepEqual, isJsonObject, readPath } from './json-values.js';

export interface InclusionProblem {
  /** JSON Pointer into the newer version's schema, where the constraint at fault is (or would be). */
  pointer: string;
  message: string;
}

export interface InclusionOptions {
  /** How messages name the two schemas, e.g. `1.0` and `2.0`. */
  subLabel: string;
  supLabel: string;
  /** Which side the pointers follow: the newer version's schema. */
  newer: 'sub' | 'sup';
  /**
   * A property `sup` requires is met when `sup` gives it a `default` (an uplift fills defaults
   * before validating, so this holds for the data schema read BACKWARD only).
   */
  defaultsFill: boolean;
}

type TypeName = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';
const ALL_TYPES: readonly TypeName[] = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'];

/** Keywords that constrain nothing. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$dynamicAnchor',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentEncoding',
  'contentMediaType',
  'contentSchema',
]);

/** Keywords compared one by one below; any other constraint of `sup` is met only by the same in `sub`. */
const COMPARED = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'anyOf',
  'oneOf',
  'allOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
]);

/** Deeper than this, the schemas are taken to recurse (`$ref` cycles) and the walk stops. */
const MAX_DEPTH = 40;

/** What a schema node is after local `$ref`s are followed: a schema object, `false`, or not resolvable. */
type Node = { kind: 'schema'; schema: JsonObject; pointer: string | null } | { kind: 'false' } | { kind: 'unresolved'; ref: string };

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function hasRef(value: unknown): boolean {
  return JSON.stringify(value).includes('"$ref"');
}

function constraintKeys(schema: JsonObject): string[] {
  return Object.keys(schema).filter((key) => !ANNOTATIONS.has(key));
}

function kindOf(value: Json): TypeName {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'boolean' : 'string';
}

function show(value: Json): string {
  return JSON.stringify(value);
}

/** One validator per format, compiled once (null: a format ajv-formats does not know). */
const formatValidators = new Map<string, ValidateFunction | null>();

/** Whether a string is valid in a format (ajv-formats, as validation does); unknown formats: no. */
function fitsFormat(value: string, format: string): boolean {
  let validate = formatValidators.get(format);
  if (validate === undefined) {
    try {
      validate = createAjv().compile({ type: 'string', format });
    } catch {
      validate = null;
    }
    formatValidators.set(format, validate);
  }
  return validate !== null && validate(value) === true;
}

function fitsPattern(value: string, pattern: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}

/** Keywords whose meaning depends on another keyword beside them. */
const ENTANGLED: ReadonlyArray<readonly [string, string]> = [
  ['additionalProperties', 'properties'],
  ['additionalProperties', 'patternProperties'],
  ['items', 'prefixItems'],
];

/**
 * One schema admitting what both admit, when they share no keyword (nor keywords that read each
 * other); otherwise `b` alone, which admits more, so the comparison stays on the safe side.
 */
function conjunction(a: Json, b: Json): Json {
  if (!isJsonObject(a) || !isJsonObject(b)) return b;
  const keysA = constraintKeys(a);
  const keysB = constraintKeys(b);
  const shared = keysA.some((key) => keysB.includes(key));
  const entangled = ENTANGLED.some(([x, y]) => (keysA.includes(x) && keysB.includes(y)) || (keysA.includes(y) && keysB.includes(x)));
  return shared || entangled ? b : { ...a, ...b };
}

/** A schema that admits exactly `value`, spelled with the keywords this module compares. */
function exactly(value: Json): JsonObject {
  if (isJsonObject(value)) {
    const properties: JsonObject = {};
    for (const [key, item] of Object.entries(value)) properties[key] = { const: item };
    return { type: 'object', properties, required: Object.keys(value), additionalProperties: false };
  }
  if (Array.isArray(value)) {
    const distinct: Json[] = [];
    for (const item of value) if (!distinct.some((d) => deepEqual(d, item))) distinct.push(item);
    return {
      type: 'array',
      items: distinct.length === 0 ? false : { enum: distinct },
      minItems: value.length,
      maxItems: value.length,
      ...(distinct.length === value.length ? { uniqueItems: true } : {}),
    };
  }
  return { const: value };
}

class Walk {
  readonly problems: InclusionProblem[] = [];

  constructor(
    readonly subRoot: JsonSchema,
    readonly supRoot: JsonSchema,
    readonly options: InclusionOptions,
  ) {}

  private report(pointer: string, message: string): void {
    if (!this.problems.some((p) => p.pointer === pointer && p.message === message)) this.problems.push({ pointer, message });
  }

  /** Problems of `sub` ⊆ `sup` found by a trial walk, without keeping them. */
  private trial(sub: unknown, sup: unknown, pointer: string, depth: number): InclusionProblem[] {
    const inner = new Walk(this.subRoot, this.supRoot, this.options);
    inner.includes(sub, sup, pointer, depth);
    return inner.problems;
  }

  private resolveNode(schema: unknown, root: JsonSchema, pointer: string | null, depth = 0): Node {
    if (schema === true || schema === undefined) return { kind: 'schema', schema: {}, pointer };
    if (schema === false) return { kind: 'false' };
    if (!isJsonObject(schema)) return { kind: 'unresolved', ref: show(schema as Json) };
    const ref = schema.$ref;
    if (typeof ref !== 'string') return { kind: 'schema', schema, pointer };
    if (!ref.startsWith('#') || depth > MAX_DEPTH) return { kind: 'unresolved', ref };
    const tokens = ref
      .slice(1)
      .split('/')
      .filter((t) => t.length > 0)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const target = tokens.length === 0 ? root : readPath(root, tokens);
    if (target === null) return { kind: 'unresolved', ref };
    const siblings = constraintKeys(schema).filter((key) => key !== '$ref');
    if (siblings.length > 0) {
      // Both apply (draft 2020-12); keep both by making the reference one more `allOf` branch.
      const rest: JsonObject = Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$ref'));
      const allOf = Array.isArray(rest.allOf) ? rest.allOf : [];
      return { kind: 'schema', schema: { ...rest, allOf: [...allOf, { $ref: ref }] }, pointer };
    }
    return this.resolveNode(target, root, pointer === null ? null : ref.slice(1), depth + 1);
  }

  /** Reports what `sub` admits that `sup` may not; `pointer` is where the newer schema is. */
  includes(subIn: unknown, supIn: unknown, pointerIn: string, depth: number): void {
    const { subLabel: older, supLabel: newer } = this.options;
    if (depth > MAX_DEPTH) {
      this.report(pointerIn, `the schemas nest more than ${MAX_DEPTH} levels deep (a recursive $ref?); not compared`);
      return;
    }
    const subNode = this.resolveNode(subIn, this.subRoot, this.options.newer === 'sub' ? pointerIn : null);
    const supNode = this.resolveNode(supIn, this.supRoot, this.options.newer === 'sup' ? pointerIn : null);
    const followed = this.options.newer === 'sub' ? subNode : supNode;
    const pointer = followed.kind === 'schema' && followed.pointer !== null ? followed.pointer : pointerIn;
    if (subNode.kind === 'false') return;
    if (supNode.kind === 'unresolved') {
      this.report(pointer, `${newer} refers to ${supNode.ref}, which cannot be resolved here; not compared`);
      return;
    }
    if (supNode.kind === 'false') {
      this.report(pointer, `${newer} admits nothing here; ${older} admits values`);
      return;
    }
    const sup = supNode.schema;
    if (constraintKeys(sup).length === 0) return;
    if (subNode.kind === 'unresolved') {
      this.report(pointer, `${older} refers to ${subNode.ref}, which cannot be resolved here; not compared`);
      return;
    }
    const sub = subNode.schema;
    if (deepEqual(sub, sup) && !hasRef(sub)) return;

    // A finite `sub`: each of its values must be admitted.
    if (Array.isArray(sub.enum)) {
      for (const value of sub.enum) this.includes(exactly(value), sup, pointer, depth + 1);
      return;
    }
    if ('const' in sub && (isJsonObject(sub.const) || Array.isArray(sub.const))) {
      this.includes(exactly(sub.const ?? null), sup, pointer, depth + 1);
      return;
    }

    if (this.composedSub(sub, sup, pointer, depth)) return;
    if (this.composedSup(sub, sup, pointer, depth)) return;

    for (const key of constraintKeys(sup)) {
      if (COMPARED.has(key)) continue;
      const same = key in sub && deepEqual(sub[key] ?? null, sup[key] ?? null) && !hasRef(sup[key]);
      if (!same)
        this.report(
          `${pointer}/${escapeToken(key)}`,
          `${newer} constrains values with \`${key}\`, which this check does not compare; not shown to admit what ${older} admits`,
        );
    }

    const types = this.typesOf(sub);
    this.checkType(sub, sup, types, pointer);
    this.checkValues(sub, sup, pointer);
    if (types.has('integer') || types.has('number')) this.checkNumbers(sub, sup, types, pointer);
    if (types.has('string')) this.checkStrings(sub, sup, pointer);
    if (types.has('array')) this.checkArrays(sub, sup, pointer, depth);
    if (types.has('object')) this.checkObjects(sub, sup, pointer, depth);
  }

  /** `anyOf`/`oneOf`/`allOf` in `sub`; true when it decided the whole comparison. */
  private composedSub(sub: JsonObject, sup: JsonObject, pointer: string, depth: number): boolean {
    const key = Array.isArray(sub.anyOf) ? 'anyOf' : Array.isArray(sub.oneOf) ? 'oneOf' : Array.isArray(sub.allOf) ? 'allOf' : null;
    if (key === null) return false;
    const branches = sub[key] as Json[];
    const { [key]: _branches, ...siblings } = sub;
    // Identical `oneOf`/`anyOf` on both sides: the same branches decide; only the rest is compared.
    if (key !== 'allOf' && deepEqual(sub[key] ?? null, sup[key] ?? null) && !hasRef(branches)) {
      const { [key]: _same, ...supRest } = sup;
      this.includes(siblings, supRest, pointer, depth + 1);
      return true;
    }
    // A value of `sub` meets its other keywords and one branch (every branch, for allOf).
    const parts = branches.map((branch) => conjunction(siblings, branch));
    if (key === 'allOf') {
      const all = parts.reduce<Json | null>((merged, part) => (merged === null ? null : conjunction(merged, part)), siblings);
      const tries = [all, siblings, ...branches].filter((t): t is Json => t !== null);
      const results = tries.map((t) => this.trial(t, sup, pointer, depth + 1));
      if (results.some((r) => r.length === 0)) return true;
      for (const problem of results[0] ?? []) this.report(problem.pointer, problem.message);
      return true;
    }
    parts.forEach((part) => this.includes(part, sup, pointer, depth + 1));
    return true;
  }

  /** `anyOf`/`oneOf`/`allOf` in `sup` (none in `sub`); true when it decided the whole comparison. */
  private composedSup(sub: JsonObject, sup: JsonObject, pointer: string, depth: number): boolean {
    const key = Array.isArray(sup.anyOf) ? 'anyOf' : Array.isArray(sup.oneOf) ? 'oneOf' : Array.isArray(sup.allOf) ? 'allOf' : null;
    if (key === null) return false;
    const { [key]: _branches, ...siblings } = sup;
    const branches = sup[key] as Json[];
    this.includes(sub, siblings, pointer, depth + 1);
    if (key === 'allOf') {
      branches.forEach((branch, index) => this.includes(sub, branch, `${pointer}/allOf/${index}`, depth + 1));
      return true;
    }
    // A `sub` of several types is split by type: `["string", "null"]` fits `anyOf: [string, null]`.
    const parts = Array.isArray(sub.type) && sub.type.length > 1 ? sub.type.map((t) => ({ ...sub, type: t })) : [sub];
    for (const part of parts) {
      const fits = branches.map((branch) => this.trial(part, branch, `${pointer}/${key}`, depth + 1).length === 0);
      const index = fits.indexOf(true);
      const what =
        part === sub
          ? `every value ${this.options.subLabel} admits here`
          : `the ${typeof part.type === 'string' ? part.type : show(part.type ?? null)} values ${this.options.subLabel} admits here`;
      if (index < 0) {
        this.report(`${pointer}/${key}`, `no branch of ${this.options.supLabel}'s ${key} is shown to admit ${what}`);
        continue;
      }
      if (key === 'oneOf') {
        // Exactly one branch must match: the others must be of types `part` never has.
        const types = this.typesOf(part);
        const overlapping = branches.filter((branch, other) => {
          if (other === index) return false;
          const node = this.resolveNode(branch, this.supRoot, null);
          if (node.kind === 'false') return false;
          if (node.kind === 'unresolved') return true;
          const theirs = this.typesOf(node.schema);
          return [...types].some((t) => theirs.has(t) || (t === 'integer' && theirs.has('number')) || (t === 'number' && theirs.has('integer')));
        });
        if (overlapping.length > 0) {
          this.report(
            `${pointer}/oneOf`,
            `${what} fits branch ${index} of ${this.options.supLabel}'s oneOf, but may fit another too (oneOf needs exactly one)`,
          );
        }
      }
    }
    return true;
  }

  /** The types a schema's values may have (without `anyOf`/`oneOf`: every type). */
  private typesOf(schema: JsonObject): Set<TypeName> {
    if ('const' in schema) return new Set([kindOf(schema.const ?? null)]);
    if (Array.isArray(schema.enum)) return new Set(schema.enum.map(kindOf));
    const type = schema.type;
    const names = typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : null;
    if (names === null) return new Set(ALL_TYPES);
    const types = new Set<TypeName>();
    for (const name of names) {
      if ((ALL_TYPES as readonly string[]).includes(name)) types.add(name as TypeName);
      // `number` includes the integers.
      if (name === 'number') types.add('integer');
    }
    return types;
  }

  private checkType(sub: JsonObject, sup: JsonObject, types: Set<TypeName>, pointer: string): void {
    if (!('type' in sup)) return;
    const allowed = this.typesOf({ type: sup.type ?? null });
    const missing = [...types].filter((t) => !allowed.has(t));
    if (missing.length === 0) return;
    const what = 'type' in sub || 'const' in sub ? missing.join(', ') : `any type (also ${missing.join(', ')})`;
    this.report(
      `${pointer}/type`,
      `${this.options.subLabel} admits ${what} here; ${this.options.supLabel} only ${[...allowed].filter((t) => t !== 'integer' || !allowed.has('number')).join(', ')}`,
    );
  }

  /** `const` and `enum` in `sup`: `sub` is a scalar `const` here, or admits more. */
  private checkValues(sub: JsonObject, sup: JsonObject, pointer: string): void {
    const { subLabel: older, supLabel: newer } = this.options;
    for (const key of ['const', 'enum'] as const) {
      if (!(key in sup)) continue;
      const values: Json[] = key === 'const' ? [sup.const ?? null] : Array.isArray(sup.enum) ? sup.enum : [];
      const where = `${pointer}/${key}`;
      const listed = values.map(show).join(', ');
      if ('const' in sub) {
        const value = sub.const ?? null;
        if (!values.some((v) => deepEqual(v, value))) this.report(where, `${older} admits ${show(value)} here; ${newer} only ${listed}`);
      } else {
        const types = this.typesOf(sub);
        // A boolean or null `sub` is finite too.
        const finite = [...types].every((t) => t === 'boolean' || t === 'null');
        const own: Json[] = [...(types.has('boolean') ? [true, false] : []), ...(types.has('null') ? [null] : [])];
        const missing = finite ? own.filter((v) => !values.some((w) => deepEqual(v, w))) : [];
        if (!finite) this.report(where, `${older} admits any ${[...types].join(', ')} value here; ${newer} only ${listed}`);
        else if (missing.length > 0) this.report(where, `${older} admits ${missing.map(show).join(', ')} here; ${newer} only ${listed}`);
      }
    }
  }

  private checkNumbers(sub: JsonObject, sup: JsonObject, types: Set<TypeName>, pointer: string): void {
    const { subLabel: older, supLabel: newer } = this.options;
    const value = typeof sub.const === 'number' ? sub.const : null;
    const num = (key: string, schema: JsonObject): number | null => (typeof schema[key] === 'number' ? schema[key] : null);
    const integersOnly = !types.has('number');
    // The least and greatest value of `sub`, and whether each is excluded.
    let low: number | null = value;
    let lowOpen = false;
    let high: number | null = value;
    let highOpen = false;
    if (value === null) {
      const min = num('minimum', sub);
      const exMin = num('exclusiveMinimum', sub);
      if (min !== null) low = min;
      if (exMin !== null && (low === null || exMin >= low)) {
        low = integersOnly ? Math.floor(exMin) + 1 : exMin;
        lowOpen = !integersOnly;
      }
      const max = num('maximum', sub);
      const exMax = num('exclusiveMaximum', sub);
      if (max !== null) high = max;
      if (exMax !== null && (high === null || exMax <= high)) {
        high = integersOnly ? Math.ceil(exMax) - 1 : exMax;
        highOpen = !integersOnly;
      }
    }
    const from = low === null ? 'without a lower bound' : `from ${low}${lowOpen ? ' (excluded)' : ''}`;
    const to = high === null ? 'without an upper bound' : `up to ${high}${highOpen ? ' (excluded)' : ''}`;
    const supMin = num('minimum', sup);
    if (supMin !== null && (low === null || low < supMin)) this.report(`${pointer}/minimum`, `${older} admits numbers ${from}; ${newer} only from ${supMin}`);
    const supExMin = num('exclusiveMinimum', sup);
    if (supExMin !== null && (low === null || low < supExMin || (low === supExMin && !lowOpen))) {
      this.report(`${pointer}/exclusiveMinimum`, `${older} admits numbers ${from}; ${newer} only above ${supExMin}`);
    }
    const supMax = num('maximum', sup);
    if (supMax !== null && (high === null || high > supMax)) this.report(`${pointer}/maximum`, `${older} admits numbers ${to}; ${newer} only up to ${supMax}`);
    const supExMax = num('exclusiveMaximum', sup);
    if (supExMax !== null && (high === null || high > supExMax || (high === supExMax && !highOpen))) {
      this.report(`${pointer}/exclusiveMaximum`, `${older} admits numbers ${to}; ${newer} only below ${supExMax}`);
    }
    const step = num('multipleOf', sup);
    if (step !== null) {
      const own = num('multipleOf', sub);
      const shown = value !== null ? Number.isInteger(value / step) : (own !== null && Number.isInteger(own / step)) || (step === 1 && integersOnly);
      if (!shown) this.report(`${pointer}/multipleOf`, `${older} admits numbers that are not multiples of ${step}; ${newer} does not`);
    }
  }

  private checkStrings(sub: JsonObject, sup: JsonObject, pointer: string): void {
    const { subLabel: older, supLabel: newer } = this.options;
    const value = typeof sub.const === 'string' ? sub.const : null;
    const num = (key: string, schema: JsonObject): number | null => (typeof schema[key] === 'number' ? schema[key] : null);
    // Lengths as ajv counts them: in code points.
    const minLength = value !== null ? [...value].length : (num('minLength', sub) ?? 0);
    const maxLength = value !== null ? [...value].length : num('maxLength', sub);
    const supMin = num('minLength', sup);
    if (supMin !== null && minLength < supMin)
      this.report(`${pointer}/minLength`, `${older} admits strings of ${minLength} characters; ${newer} needs at least ${supMin}`);
    const supMax = num('maxLength', sup);
    if (supMax !== null && (maxLength === null || maxLength > supMax)) {
      this.report(
        `${pointer}/maxLength`,
        `${older} admits strings ${maxLength === null ? 'of any length' : `of ${maxLength} characters`}; ${newer} at most ${supMax}`,
      );
    }
    if (typeof sup.pattern === 'string') {
      const shown = value !== null ? fitsPattern(value, sup.pattern) : sub.pattern === sup.pattern;
      if (!shown) {
        const own = value !== null ? show(value) : typeof sub.pattern === 'string' ? `strings matching ${sub.pattern}` : 'strings';
        this.report(`${pointer}/pattern`, `${older} admits ${own}; ${newer} only strings matching ${sup.pattern}`);
      }
    }
    if (typeof sup.format === 'string') {
      const shown = value !== null ? fitsFormat(value, sup.format) : sub.format === sup.format;
      if (!shown) {
        const own = value !== null ? show(value) : typeof sub.format === 'string' ? `strings in format ${sub.format}` : 'strings in any format';
        this.report(`${pointer}/format`, `${older} admits ${own}; ${newer} only format ${sup.format}`);
      }
    }
  }

  private checkArrays(sub: JsonObject, sup: JsonObject, pointer: string, depth: number): void {
    const { subLabel: older, supLabel: newer } = this.options;
    const num = (key: string, schema: JsonObject): number | null => (typeof schema[key] === 'number' ? schema[key] : null);
    if ('items' in sup) {
      // Every element of `sub`: its `prefixItems` as well as its `items` (anything when absent).
      const elements: unknown[] = [...(Array.isArray(sub.prefixItems) ? sub.prefixItems : []), 'items' in sub ? sub.items : true];
      for (const element of elements) this.includes(element, sup.items, `${pointer}/items`, depth + 1);
    }
    const minItems = num('minItems', sub) ?? 0;
    const maxItems = num('maxItems', sub);
    const supMin = num('minItems', sup);
    if (supMin !== null && minItems < supMin)
      this.report(`${pointer}/minItems`, `${older} admits lists of ${minItems} items; ${newer} needs at least ${supMin}`);
    const supMax = num('maxItems', sup);
    if (supMax !== null && (maxItems === null || maxItems > supMax)) {
      this.report(`${pointer}/maxItems`, `${older} admits lists ${maxItems === null ? 'of any length' : `of ${maxItems} items`}; ${newer} at most ${supMax}`);
    }
    if (sup.uniqueItems === true && sub.uniqueItems !== true && (maxItems === null || maxItems > 1)) {
      this.report(`${pointer}/uniqueItems`, `${older} admits lists with repeated items; ${newer} does not`);
    }
  }

  private checkObjects(sub: JsonObject, sup: JsonObject, pointer: string, depth: number): void {
    const { subLabel: older, supLabel: newer } = this.options;
    const subProperties = isJsonObject(sub.properties) ? sub.properties : {};
    const supProperties = isJsonObject(sup.properties) ? sup.properties : {};
    const has = (object: JsonObject, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);
    // What `sub` admits for a property it does not list: its additionalProperties (anything when
    // absent, or when patternProperties might apply, which is not compared).
    const subExtra: unknown = 'patternProperties' in sub ? true : 'additionalProperties' in sub ? sub.additionalProperties : true;
    const subOpen = subExtra !== false;

    const subRequired = new Set(Array.isArray(sub.required) ? sub.required.filter((r): r is string => typeof r === 'string') : []);
    const supRequired = Array.isArray(sup.required) ? sup.required.filter((r): r is string => typeof r === 'string') : [];
    for (const name of supRequired) {
      if (subRequired.has(name)) continue;
      const property = supProperties[name];
      const filled = this.options.defaultsFill && property !== undefined && this.hasDefault(property);
      if (filled) continue;
      const cannotHave = has(subProperties, name) ? subProperties[name] === false : !subOpen;
      const why = cannotHave ? `${older} never has ${name}` : `${older} admits objects without ${name}`;
      const hint = this.options.defaultsFill ? ' and it has no default' : '';
      this.report(`${pointer}/required`, `${newer} requires ${name}${hint}; ${why}`);
    }

    for (const [name, schema] of Object.entries(supProperties)) {
      const where = `${pointer}/properties/${escapeToken(name)}`;
      if (has(subProperties, name)) {
        this.includes(subProperties[name], schema, where, depth + 1);
      } else if (subExtra === true || (isJsonObject(subExtra) && constraintKeys(subExtra).length === 0)) {
        if (this.trial(true, schema, where, depth + 1).length > 0) {
          this.report(where, `${older} admits ${name} with any value (it does not list it and admits unlisted properties); ${newer} constrains it`);
        }
      } else if (subExtra !== false) {
        this.includes(subExtra, schema, where, depth + 1);
      }
    }

    const supExtra: unknown = sup.additionalProperties;
    if (supExtra !== undefined && supExtra !== true) {
      for (const [name, schema] of Object.entries(subProperties)) {
        if (has(supProperties, name) || schema === false) continue;
        if (supExtra === false)
          this.report(`${pointer}/properties/${escapeToken(name)}`, `${older} admits property ${name}; ${newer} does not (additionalProperties is false)`);
        else this.includes(schema, supExtra, `${pointer}/additionalProperties`, depth + 1);
      }
      if (subOpen) {
        if (supExtra === false) this.report(`${pointer}/additionalProperties`, `${older} admits properties it does not list; ${newer} does not`);
        else this.includes(subExtra, supExtra, `${pointer}/additionalProperties`, depth + 1);
      }
    }

    const num = (key: string, schema: JsonObject): number | null => (typeof schema[key] === 'number' ? schema[key] : null);
    const supMin = num('minProperties', sup);
    const ownMin = Math.max(num('minProperties', sub) ?? 0, subRequired.size);
    if (supMin !== null && ownMin < supMin)
      this.report(`${pointer}/minProperties`, `${older} admits objects with ${ownMin} properties; ${newer} needs at least ${supMin}`);
    const supMax = num('maxProperties', sup);
    const ownMax = subOpen ? num('maxProperties', sub) : Math.min(num('maxProperties', sub) ?? Infinity, Object.keys(subProperties).length);
    if (supMax !== null && (ownMax === null || ownMax > supMax)) {
      this.report(
        `${pointer}/maxProperties`,
        `${older} admits objects with ${ownMax === null ? 'any number of' : `up to ${ownMax}`} properties; ${newer} at most ${supMax}`,
      );
    }
  }

  private hasDefault(schema: unknown): boolean {
    if (isJsonObject(schema) && 'default' in schema) return true;
    const node = this.resolveNode(schema, this.supRoot, null);
    return node.kind === 'schema' && 'default' in node.schema;
  }
}

/**
 * What `sub` admits that `sup` may not, as problems with JSON Pointers into the newer of the two
 * (`options.newer`); empty when every value valid under `sub` is shown valid under `sup`.
 */
export function schemaInclusionProblems(sub: JsonSchema, sup: JsonSchema, options: InclusionOptions): InclusionProblem[] {
  const walk = new Walk(sub, sup, options);
  walk.includes(sub, sup, '', 0);
  return walk.problems;
}
