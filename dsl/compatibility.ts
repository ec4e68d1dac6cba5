/**
 * Compatibility between two versions of a journey type, as a schema registry checks it, in the
 * newer version's mode: BACKWARD (the newer schemas admit everything the older admit: new readers
 * read old data), FORWARD (the reverse), FULL (both), NONE. Compared: the data schema, the schema
 * of every event type both versions declare, and the events each accepts (handles) and starts
 * journeys with.
 */
import { COMPATIBILITY_MODES, DEFAULT_COMPATIBILITY } from './ir.js';
import type { CompatibilityMode, CompiledJourney, JsonSchema } from './ir.js';
import { schemaInclusionProblems } from './schema-inclusion.js';

/** The schema a violation is about. */
export type CompatibilitySchema = 'data' | `event:${string}`;

export interface CompatibilityViolation {
  /** Which schema: `data`, or `event:<Type>` (e.g. `event:Deposit`). */
  schema: CompatibilitySchema;
  /** JSON Pointer into the newer version's schema, where the change at fault is (or would be); '' for the whole. */
  pointer: string;
  message: string;
}

/** The mode a journey declares (`compatibility ...`), BACKWARD when it declares none. */
export function compatibilityOf(journey: CompiledJourney): CompatibilityMode {
  const mode = journey.compatibility;
  return mode !== undefined && Object.prototype.hasOwnProperty.call(COMPATIBILITY_MODES, mode) ? mode : DEFAULT_COMPATIBILITY;
}

type Direction = 'BACKWARD' | 'FORWARD';

function directions(mode: CompatibilityMode): Direction[] {
  switch (mode) {
    case 'BACKWARD':
      return ['BACKWARD'];
    case 'FORWARD':
      return ['FORWARD'];
    case 'FULL':
      return ['BACKWARD', 'FORWARD'];
    case 'NONE':
      return [];
  }
}

function compareSchemas(
  older: CompiledJourney,
  newer: CompiledJourney,
  direction: Direction,
  which: CompatibilitySchema,
  a: JsonSchema,
  b: JsonSchema,
): CompatibilityViolation[] {
  // BACKWARD: what the older admits, the newer must; FORWARD: what the newer admits, the older must.
  const backward = direction === 'BACKWARD';
  const problems = schemaInclusionProblems(backward ? a : b, backward ? b : a, {
    subLabel: backward ? older.version : newer.version,
    supLabel: backward ? newer.version : older.version,
    newer: backward ? 'sup' : 'sub',
    // An uplift fills the newer data schema's defaults before it validates.
    defaultsFill: backward && which === 'data',
  });
  return problems.map((problem) => ({ schema: which, pointer: problem.pointer, message: `${direction}: ${problem.message}` }));
}

function eventSets(older: CompiledJourney, newer: CompiledJourney, direction: Direction): CompatibilityViolation[] {
  const [from, to] = direction === 'BACKWARD' ? [older, newer] : [newer, older];
  const violations: CompatibilityViolation[] = [];
  for (const [type, definition] of Object.entries(from.events).sort(([a], [b]) => a.localeCompare(b))) {
    const there = Object.prototype.hasOwnProperty.call(to.events, type) ? to.events[type] : undefined;
    if (definition.handled && there?.handled !== true) {
      violations.push({
        schema: `event:${type}`,
        pointer: '',
        message: `${direction}: ${from.version} accepts ${type}, ${to.version} does not (its senders' ${type} would be refused)`,
      });
    } else if (definition.initiating && there?.initiating !== true) {
      violations.push({ schema: `event:${type}`, pointer: '', message: `${direction}: ${type} starts a ${from.version} journey, not a ${to.version} one` });
    }
  }
  return violations;
}

/**
 * What breaks `newer`'s compatibility mode against `older` (an earlier version of the same journey
 * type): empty when compatible, or under NONE. Conservative: what the check cannot show to be
 * compatible (a keyword it does not compare, a `oneOf` whose branches may overlap) is reported,
 * with a message saying so.
 */
export function checkCompatibility(older: CompiledJourney, newer: CompiledJourney): CompatibilityViolation[] {
  const violations: CompatibilityViolation[] = [];
  for (const direction of directions(compatibilityOf(newer))) {
    violations.push(...compareSchemas(older, newer, direction, 'data', older.dataSchema, newer.dataSchema));
    violations.push(...eventSets(older, newer, direction));
    for (const type of Object.keys(older.events).sort()) {
      const before = older.events[type];
      const after = Object.prototype.hasOwnProperty.call(newer.events, type) ? newer.events[type] : undefined;
      if (before === undefined || after === undefined) continue;
      violations.push(...compareSchemas(older, newer, direction, `event:${type}`, before.schema, after.schema));
    }
  }
  return violations;
}
