/** The journey DSL: grammar, compiler, evaluator. The only entry point other folders import. */
export { IR_VERSION } from './ir.js';
export type {
  AccessRule, ActionProcessor, Bead, CompiledJourney, Effect, EmittedEvent, Evaluation, EvaluationInput, EventContext,
  EventDefinition, Expr, Json, JsonObject, JsonSchema, Precondition, ProcessorRegistry, RejectionCode, SearchField,
  SourceLocation, Step, TimerDefinition,
} from './ir.js';
export { evaluate, isInitiating, checkAtEdge } from './evaluator.js';
export type { EdgeRefusal } from './evaluator.js';
export { createPayloadValidators } from './validation.js';
export type { PayloadValidators, PayloadViolation } from './validation.js';
