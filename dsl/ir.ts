import type { EventOrigin } from '../common/index.js';
/**
 * The compiled form of one journey version: plain JSON, self-describing, validated by
 * `dsl/ir.schema.json` (ajv). The runtime stores it in MariaDB and evaluates it; nothing in it is
 * code except references to named action processors.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
/** A JSON Schema document (draft 2020-12 subset ajv understands). */
export type JsonSchema = JsonObject;

export const IR_VERSION = 1 as const;

/**
 * How a journey type's versions may change their schemas (`compatibility <MODE>` in the DSL), as a
 * schema registry has it. The newer version's mode decides; a journey that declares none is
 * BACKWARD.
 */
export const COMPATIBILITY_MODES = {
  BACKWARD: "The newer version's schemas accept everything the older version's accept: new readers read old data.",
  FORWARD: "The older version's schemas accept everything the newer version's accept: old readers read new data.",
  FULL: 'Both BACKWARD and FORWARD.',
  NONE: 'No check.',
} as const;

export type CompatibilityMode = keyof typeof COMPATIBILITY_MODES;

/** The mode of a journey that declares none. */
export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'BACKWARD';

export interface CompiledJourney {
  irVersion: typeof IR_VERSION;
  /** `enterprise/domain/journey`, e.g. `pfm/wallet`. */
  name: string;
  /** Version string, e.g. `1.0`. Immutable once deployed. */
  version: string;
  /** Where it came from, for messages: the definition file relative to the journeys root. */
  source: string;
  /** JSON Schema of the journey's data. */
  dataSchema: JsonSchema;
  /** Every event the journey knows: the ones it handles and the ones it emits. */
  events: Record<string, EventDefinition>;
  /** Declared search fields; each becomes an indexed virtual column in MariaDB. */
  searchFields: SearchField[];
  /** Beads in source order; the first whose event, preconditions and access match applies. */
  beads: Bead[];
  /** Durable timers the journey can start. */
  timers: TimerDefinition[];
  /** Named TypeScript action processors the beads call (files in the journey's folder). */
  processors: string[];
  /**
   * The compatibility mode, when the source declares one (`compatibility FULL`); absent means
   * BACKWARD. Absent rather than defaulted so that the IR of a version that declares nothing stays
   * byte for byte what it was (a deployed version is recognised by the hash of its IR).
   */
  compatibility?: CompatibilityMode;
  /** Transforms from older versions' data (`uplift from 1.0`), when the source declares any. */
  uplifts?: Uplift[];
  /**
   * Who may read the journey's data and history (`read allow …`): a reader may when at least one
   * rule holds for the reader's context and the data. Rules read only `context` and `data`.
   * Absent when the source declares none (then only the operator role may read, as the API is
   * configured), so that the IR of a version without them stays byte for byte what it was.
   */
  read?: AccessRule[];
}

/**
 * `uplift from 1.0` and its steps: how an instance of an older version becomes one of this
 * version. The steps run on the old data with this version's schema defaults filled in.
 */
export interface Uplift {
  /** The older version this transform starts from. */
  from: string;
  /** Only `assign` and `if` steps (the compiler refuses the rest). */
  steps: Step[];
}

export interface EventDefinition {
  /** JSON Schema of the payload (`data` of the request body). */
  schema: JsonSchema;
  /** True when this event creates a new journey instance. */
  initiating: boolean;
  /** True when some bead handles it (an emitted event with a handler is fed back to the journey). */
  handled: boolean;
  /** True when some bead emits it. */
  emitted: boolean;
  /** True when the journey declares it in `publish`: meant for systems outside the journey. */
  published?: boolean;
  /**
   * True when some step sends it to another journey (`send`, `reply`, or `start … with` it).
   * Absent otherwise, so the IR of a journey that sends nothing stays what it was.
   */
  sent?: boolean;
}

export interface SearchField {
  /** The name used in search queries, e.g. `owner`. */
  name: string;
  /** JSON path into journey data, e.g. `$.owner`. */
  path: string;
  type: 'string' | 'number' | 'boolean';
}

/** An expression tree; evaluation is pure. */
export type Expr =
  | { kind: 'literal'; value: Json }
  | { kind: 'path'; root: 'data' | 'event' | 'context'; segments: string[] }
  | { kind: 'unary'; op: 'not' | 'neg'; operand: Expr }
  | {
      kind: 'binary';
      op: '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | 'in' | '??';
      left: Expr;
      right: Expr;
    }
  | { kind: 'call'; fn: string; args: Expr[] }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'object'; entries: Array<{ key: string; value: Expr }> }
  /** `item.id`: a field of the item an enclosing `forEach` is at (`segments` may be empty). */
  | { kind: 'local'; name: string; segments: string[] };

/** Where an IR node came from in the source, for runtime messages. */
export interface SourceLocation {
  line: number;
  column: number;
}

export interface Bead {
  /** Unique within the journey; stable across recompiles of the same source. */
  id: string;
  /** The event type that fires it. */
  on: string;
  /** Whether this bead starts a journey (its event is initiating). */
  initiating: boolean;
  /**
   * Access rules (request-based access control): the bead is refused unless at least one passes.
   * Empty means anyone may send the event.
   */
  access: AccessRule[];
  /** Context and attribute preconditions; all must hold. */
  preconditions: Precondition[];
  /** What runs, in order, when the bead applies. */
  steps: Step[];
  location: SourceLocation;
}

export interface AccessRule {
  /** Human-readable text of the rule, e.g. `sender == data.owner`. */
  text: string;
  condition: Expr;
}

export interface Precondition {
  /** Human-readable text, reported in a rejected outcome. */
  text: string;
  condition: Expr;
  /** Preconditions that read only `context`/`event` can be decided before the event is accepted. */
  decidableAtEdge: boolean;
}

export type Step =
  /**
   * `set balance = data.balance + event.amount`. With `local`, the path is below the item an
   * enclosing `forEach` over a data list is at (`set item.status = "signed"`), not below `data`.
   */
  | { kind: 'assign'; path: string[]; value: Expr; local?: string }
  /** `emit Deposited { amount: event.amount }` */
  | { kind: 'emit'; event: string; payload: Expr }
  /** `if cond then ... else ...` inside an action */
  | { kind: 'if'; condition: Expr; then: Step[]; else: Step[] }
  /** Call a named TypeScript action processor; it returns data changes and emitted events. */
  | { kind: 'process'; processor: string }
  /** Start a durable timer declared in `timers`. */
  | { kind: 'startTimer'; timer: string }
  /** Cancel a running timer. */
  | { kind: 'cancelTimer'; timer: string }
  /** Call a back-end system; its answer returns as one of the reply events. */
  | { kind: 'call'; system: string; operation: string; request: Expr; replyEvent: string; failureEvent: string }
  /**
   * Send an event to another journey, whose id `to` evaluates to (`send`; `reply` sends to
   * `context.journey`, the journey that sent the event being handled). Delivered after the
   * outcome commits, exactly once; when it cannot be (no such journey, the event refused), the
   * sender gets `failureEvent`, when given.
   */
  | { kind: 'send'; event: string; to: Expr; payload: Expr; failureEvent?: string }
  /**
   * Start a journey of another type (`start a/b/c 1.0 with …`): its id is decided here (and
   * written to `as`, when given), its initiating event (`event`, else the one that version has)
   * is delivered after the outcome commits, exactly once, in the sender's tenant.
   */
  | { kind: 'start'; journeyType: string; version: string; event?: string; payload: Expr; as?: AssignTarget; failureEvent?: string }
  /** The steps once per item of a list, in order, with the item as `local` (`for item in data.items … end`). */
  | { kind: 'forEach'; local: string; list: Expr; steps: Step[] };

/** Where a step writes a value: a data path, or (with `local`) a path below a loop's item. */
export interface AssignTarget {
  path: string[];
  local?: string;
}

export interface TimerDefinition {
  name: string;
  /** Delay after the timer starts, in milliseconds, when it is a constant (`after 5 days`). */
  delayMs?: number;
  /**
   * When the time comes from data or the event (`at data.expiresAt`, `after event.days days`),
   * evaluated when the timer starts. Exactly one of `delayMs` and `when` is given; `when` is absent
   * for a constant delay, so that the IR of a journey without one stays byte for byte what it was.
   */
  when?: TimerWhen;
  /** The event it fires into the journey. */
  event: string;
  payload: Expr;
  /** Event types whose handling cancels it. */
  unless: string[];
}

/** The furthest ahead a timer may fire: 100 years (36,525 days) after it starts. */
export const TIMER_MAX_DELAY_MS = 36_525 * 86_400_000;

/** A timer's time computed from data or the event when the timer starts. */
export type TimerWhen =
  /**
   * At a point in time: an RFC 3339 date-time string with its offset (`2026-07-01T09:00:00Z`, a
   * field of `format: date-time`) or ms since the epoch (a number, as `now()` gives). A time
   * already past fires at once.
   */
  | { kind: 'at'; time: Expr; text: string }
  /** After `amount` × `unitMs` milliseconds; the amount must be a number, 0 or more. */
  | { kind: 'after'; amount: Expr; unitMs: number; text: string };

/** Who sent an event and how: recorded with the event, readable as `context.*` in expressions. */
export interface EventContext {
  /** Authenticated identity of the sender, e.g. a user id. `sender` in expressions. */
  sender: string;
  roles: string[];
  /** 0 (anonymous) .. 3 (strong customer authentication). */
  trustLevel: number;
  channel: string;
  /** ISO 3166-1 alpha-2 country code, when known. */
  geo?: string;
  /** Set by the engine for events it creates itself. */
  origin?: EventOrigin;
  /** For an event another journey sent (origin `journey`): that journey's id; `reply` answers it. */
  journey?: string;
  /** For an event another journey sent: that journey's type, e.g. `theglue/signing/basketsign`. */
  journeyType?: string;
}

export interface EvaluationInput {
  /** Current journey data; null before the initiating event has been applied. */
  data: JsonObject | null;
  /**
   * The id of the event being evaluated: the ids of the journeys it starts are derived from it
   * (evaluation stays deterministic). @defaultValue `''`
   */
  eventId?: string;
  event: { type: string; payload: JsonObject };
  context: EventContext;
  /** Wall-clock time of processing, in ms since epoch (passed in: evaluation is deterministic). */
  nowMs: number;
}

export interface EmittedEvent {
  type: string;
  payload: JsonObject;
}

export type Effect =
  | { kind: 'startTimer'; timer: string; fireAtMs: number; event: EmittedEvent; unless: string[] }
  | { kind: 'cancelTimer'; timer: string }
  | { kind: 'call'; system: string; operation: string; request: JsonObject; replyEvent: string; failureEvent: string }
  /** An event for another journey (`send`, `reply`). */
  | { kind: 'send'; journeyId: string; event: EmittedEvent; failureEvent?: string }
  /** A new journey of another type, with the id the evaluation gave it; `event.type` null: the version's one initiating event. */
  | {
      kind: 'start';
      journeyId: string;
      journeyType: string;
      version: string;
      event: { type: string | null; payload: JsonObject };
      failureEvent?: string;
    };

export type RejectionCode =
  /** No bead handles this event type in the journey's current state. */
  | 'NO_MATCHING_BEAD'
  /** A bead handles the event but a precondition failed. */
  | 'PRECONDITION_FAILED'
  /** The sender may not send this event to this journey. */
  | 'ACCESS_DENIED'
  /** An action step failed (a processor threw, arithmetic on a missing field, ...). */
  | 'ACTION_FAILED'
  /**
   * A timer's time from data or the event is not a time (not a date-time or a number, a negative
   * delay) or is more than `TIMER_MAX_DELAY_MS` ahead.
   */
  | 'INVALID_TIMER';

export type Evaluation =
  | {
      outcome: 'applied';
      beadId: string;
      /** The journey's new data (a fresh object; the input is never mutated). */
      data: JsonObject;
      emitted: EmittedEvent[];
      effects: Effect[];
    }
  | {
      outcome: 'rejected';
      code: RejectionCode;
      message: string;
      /** The bead whose rule failed, when one matched the event. */
      beadId?: string;
      /** Source text of the failed precondition or access rule. */
      rule?: string;
    };

/** A TypeScript action processor: pure, given data/event/context, returns the changes. */
export type ActionProcessor = (input: { data: JsonObject; event: { type: string; payload: JsonObject }; context: EventContext; nowMs: number }) => {
  data?: JsonObject;
  emit?: EmittedEvent[];
};

export type ProcessorRegistry = Record<string, ActionProcessor>;
