/**
 * ajv validators of a compiled journey (its data schema and every event schema), compiled once per
 * journey object and shared by the API edge (payloads) and the evaluator (new data, emitted events).
 */
import { JourneyError } from '../common/index.js';
import type { CompiledJourney } from './ir.js';
import { createAjv, violations } from './json-schemas.js';
import type { ValidateFunction, Violation } from './json-schemas.js';

export type PayloadViolation = Violation;

export interface PayloadValidators {
  /** Whether the journey declares the event type. */
  has(eventType: string): boolean;
  /** Violations of the event's payload schema; empty when valid. An unknown type is one violation. */
  validate(eventType: string, payload: unknown): PayloadViolation[];
}

interface JourneyValidators extends PayloadValidators {
  validateData(data: unknown): PayloadViolation[];
}

const cache = new WeakMap<CompiledJourney, JourneyValidators>();

function run(validate: ValidateFunction, value: unknown): PayloadViolation[] {
  return validate(value) ? [] : violations(validate.errors);
}

export function journeyValidators(journey: CompiledJourney): JourneyValidators {
  const cached = cache.get(journey);
  if (cached) return cached;
  const ajv = createAjv();
  const compile = (schema: object, what: string): ValidateFunction => {
    try {
      return ajv.compile(schema);
    } catch (thrown: unknown) {
      throw new JourneyError('JE_DSL_IR_INVALID', `${journey.name} ${journey.version}: the ${what} schema does not compile`, {
        cause: thrown,
        details: { journey: journey.name, version: journey.version },
      });
    }
  };
  const data = compile(journey.dataSchema, 'data');
  const events = new Map<string, ValidateFunction>();
  for (const [type, definition] of Object.entries(journey.events)) events.set(type, compile(definition.schema, `${type} event`));
  const validators: JourneyValidators = {
    has: (eventType) => events.has(eventType),
    validate(eventType, payload) {
      const validate = events.get(eventType);
      if (!validate) return [{ pointer: '', message: `${journey.name} ${journey.version} has no event type ${eventType}` }];
      return run(validate, payload);
    },
    validateData: (value) => run(data, value),
  };
  cache.set(journey, validators);
  return validators;
}

/**
 * The payload validators of one journey version, compiled once (cached per journey object).
 * Throws `JE_DSL_IR_INVALID` when a schema in the IR does not compile.
 */
export function createPayloadValidators(journey: CompiledJourney): PayloadValidators {
  const validators = journeyValidators(journey);
  return { has: (eventType) => validators.has(eventType), validate: (eventType, payload) => validators.validate(eventType, payload) };
}
