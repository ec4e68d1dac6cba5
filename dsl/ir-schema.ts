/**
 * The JSON Schema of the IR itself (ir.schema.json): a compiled journey is self-describing, and an
 * IR read back from storage is checked before it is trusted.
 */
import { JourneyError } from '../common/index.js';
import type { CompiledJourney, JsonSchema } from './ir.js';
import { createAjv, violations } from './json-schemas.js';
import type { ValidateFunction } from './json-schemas.js';

import irSchemaJson from './ir.schema.json' with { type: 'json' };

/** ir.schema.json: the JSON Schema every compiled journey satisfies. */
export const irSchema = irSchemaJson as unknown as JsonSchema;

let validator: ValidateFunction | undefined;

function validateIr(value: unknown): string[] {
  validator ??= createAjv().compile(irSchema);
  return validator(value) ? [] : violations(validator.errors).map((v) => `${v.pointer || '/'} ${v.message}`);
}

/** Checks an IR against ir.schema.json; throws `JE_DSL_IR_INVALID` naming what is wrong. */
export function assertValidIr(value: unknown): asserts value is CompiledJourney {
  const problems = validateIr(value);
  if (problems.length > 0) {
    throw new JourneyError('JE_DSL_IR_INVALID', `the compiled journey does not match ir.schema.json: ${problems.slice(0, 5).join('; ')}`, {
      details: { problems },
    });
  }
}

/** Parses and checks a stored IR (a JSON string or an already-parsed value). */
export function parseCompiledJourney(json: unknown): CompiledJourney {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (thrown: unknown) {
      throw new JourneyError('JE_DSL_IR_INVALID', 'the compiled journey is not valid JSON', { cause: thrown });
    }
  }
  assertValidIr(value);
  return value;
}
