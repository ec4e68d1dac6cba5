/**
 * Scenarios (`journey test`): a journey version's behaviour written down as data — who sends which
 * events in which order, when time passes, how back ends answer — and what must come of it. This
 * file holds their shape once parsed (scenario.schema.json is the file format) and the shape of
 * what a run reports.
 */
import type { ErrorCode, EventOrigin } from '../common/index.js';
import type { EmittedEvent, EventContext, JsonObject, RejectionCode } from './ir.js';

/** Where scenario files live in a version folder. Left out of the IR and of bundles. */
export const SCENARIOS_DIR = 'scenarios';

/** Scenario files are `scenarios/*.yaml`, `*.yml` or `*.json`. */
export const SCENARIO_FILE_PATTERN = /\.(ya?ml|json)$/;

/** The clock a scenario starts at when it names none: fixed, so every run gives the same answers. */
export const DEFAULT_SCENARIO_START_MS = Date.UTC(2026, 0, 1);

/** The sender of a scenario that names none: the API's dev-mode default (`X-Dev-Sender`). */
export const DEFAULT_SCENARIO_CONTEXT: Readonly<EventContext> = { sender: 'dev-user', roles: [], trustLevel: 0, channel: 'api' };

/**
 * The attempts a failure event reports when a scenario's `fail` does not say: the engine's default
 * (engine/calls.ts `DEFAULT_CALL_OPTIONS.attempts`).
 */
export const DEFAULT_FAILED_ATTEMPTS = 5;

/** The most events one step may handle: a journey that feeds itself forever is reported, not run forever. */
export const MAX_EVENTS_PER_STEP = 1000;

/** Every code a scenario problem is reported with. Codes are stable: tests and docs refer to them. */
export const SCENARIO_CODES = {
  'scenario-invalid': 'The scenario file does not parse or does not follow the scenario format (dsl/scenario.schema.json).',
  'journey-invalid': 'The journey version does not compile, or its action processors do not load: no scenario of it can run.',
  'expectation-failed': 'What a step expects is not what happened.',
  'step-failed': 'A step cannot be carried out: a reply to a call nobody made, a journey that feeds itself forever, …',
} as const;

export type ScenarioCode = keyof typeof SCENARIO_CODES;

/** A path into the scenario file's value, e.g. `['scenarios', 0, 'steps', 2, 'expect', 'data']`. */
export type ValuePath = ReadonlyArray<string | number>;

/** The sender fields a scenario may set; the runner adds `origin: 'api'` as the API does. */
export type ScenarioContext = Partial<Pick<EventContext, 'sender' | 'roles' | 'trustLevel' | 'channel' | 'geo'>>;

export type ExpectedOutcome = 'applied' | 'rejected' | 'refused';

export interface EventExpectation {
  type: string;
  /** Partial: the fields given must match. */
  payload?: JsonObject;
}

export interface HandledExpectation {
  type: string;
  origin?: EventOrigin;
  outcome?: 'applied' | 'rejected';
  code?: string;
  reason?: string;
}

export interface TimerExpectation {
  name?: string;
  event?: string;
  /** Ms since the epoch. */
  fireAtMs?: number;
  /** After the timer was started, in ms. */
  afterMs?: number;
  payload?: JsonObject;
}

/** An event sent to another journey (`send`, `reply`), partially. */
export interface SentExpectation {
  type?: string;
  /** The receiving journey's id, or the n-th journey (from 1) this one started. */
  to?: string | { started: number };
  payload?: JsonObject;
}

/** A journey started (`start`), partially. */
export interface StartExpectation {
  /** Its type, e.g. `theglue/signing/signature`. */
  journey?: string;
  version?: string;
  /** Its initiating event, when the `start` names one. */
  event?: string;
  payload?: JsonObject;
}

export interface CallExpectation {
  /** `system.operation` */
  call: string;
  request?: JsonObject;
}

/** What a step expects; each part given is checked, the rest is not. */
export interface Expectation {
  outcome?: ExpectedOutcome;
  /** A rejection code (`ACCESS_DENIED`) or, when refused, an error code (`JE_EVENT_INVALID`). */
  code?: string;
  /** Text the rejection's or refusal's message contains. */
  reason?: string;
  /** With `refused`: the API's HTTP status. */
  status?: number;
  /** The journey's data after the step, partially: the fields given must match (null: null or absent). */
  data?: JsonObject;
  /** Every event emitted during the step, in order (payloads partially). */
  emitted?: EventExpectation[];
  /** Every event handled during the step, in order: the step's own, fed-back, fired, replies. */
  handled?: HandledExpectation[];
  timers?: {
    started?: TimerExpectation[];
    cancelled?: TimerExpectation[];
    fired?: TimerExpectation[];
    /** Every timer scheduled after the step, by time. */
    scheduled?: TimerExpectation[];
  };
  /** Every back-end call made during the step, in order (requests partially). */
  calls?: CallExpectation[];
  /** Every event sent to another journey during the step, in order. */
  sent?: SentExpectation[];
  /** Every journey started during the step, in order. */
  startedJourneys?: StartExpectation[];
}

/**
 * Who sends a `receive` step's event: another journey (its id and type, or the n-th journey this
 * one started), or the engine itself (`system`: the failure event of a message it could not deliver).
 */
export type ReceivedFrom = { journeyId?: string; journeyType?: string; started?: number } | 'system';

export type ScenarioStep =
  | { kind: 'send'; event: string; payload: JsonObject; context: EventContext; expect: Expectation; path: ValuePath }
  | { kind: 'reply'; call: string; payload: JsonObject; expect: Expectation; path: ValuePath }
  | { kind: 'fail'; call: string; reason: string; attempts: number; expect: Expectation; path: ValuePath }
  | { kind: 'receive'; event: string; payload: JsonObject; from: ReceivedFrom; expect: Expectation; path: ValuePath }
  | { kind: 'advance'; byMs: number; text: string; expect: Expectation; path: ValuePath };

export interface Scenario {
  name: string;
  /** The sender of every `send` that names none: the file's context, then the scenario's. */
  context: EventContext;
  /** The clock at the first step, ms since the epoch. */
  startMs: number;
  /** Data of a journey already started, when the scenario starts from one. */
  data?: JsonObject;
  steps: ScenarioStep[];
  /** Where the scenario is in the file's value. */
  path: ValuePath;
}

/** A problem found in a value path of a scenario file: the parser and the runner speak in these. */
export interface ScenarioProblem {
  code: ScenarioCode;
  message: string;
  /** What the problem is about in the file; the file's locator turns it into a line and column. */
  at: ValuePath;
}

/** A problem, located like a compiler diagnostic (dsl/diagnostics.ts). */
export interface ScenarioFailure {
  code: ScenarioCode;
  message: string;
  /** The scenario file (or the journey's definition, for `journey-invalid`), relative to the working folder. */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  line: number;
  column: number;
  /** How many characters the caret underlines (at least 1). */
  length: number;
  sourceLine?: string;
  /** The scenario's name, when the problem is in one. */
  scenario?: string;
  /** 1-based step number, when the problem is in a step. */
  step?: number;
  /** The step's action, for messages: `send Withdraw`, `reply booking.book`, `advance 5 days`. */
  action?: string;
}

// ---- what a run saw -------------------------------------------------------------------------

/** One event the journey handled during a step. */
export interface HandledEvent {
  type: string;
  payload: JsonObject;
  origin: EventOrigin;
  outcome: 'applied' | 'rejected';
  code?: RejectionCode;
  message?: string;
  /** The clock when it was handled. */
  atMs: number;
  emitted: EmittedEvent[];
}

/** A timer the journey holds, as the engine's `timers` table would. */
export interface ScheduledTimer {
  name: string;
  event: string;
  payload: JsonObject;
  fireAtMs: number;
  startedAtMs: number;
  unless: string[];
  /** Start order, to fire timers due at the same time in the order they were started. */
  order: number;
}

/** A back-end call made and not answered yet, as the engine's outbox would hold it. */
export interface OpenCall {
  /** `system.operation` */
  call: string;
  request: JsonObject;
  replyEvent: string;
  failureEvent: string;
}

/** An event for another journey (`send`, `reply`) or a journey started (`start`), as the evaluation asked. */
export type SentMessage =
  | { kind: 'send'; to: string; type: string; payload: JsonObject }
  | { kind: 'start'; journeyId: string; journeyType: string; version: string; type: string | null; payload: JsonObject };

/** What the API answers instead of accepting the event (nothing is written). */
export interface Refusal {
  code: ErrorCode;
  /** The HTTP status the API answers with. */
  status: number;
  message: string;
}

/** What happened during one step. */
export interface StepTrace {
  /** For send, reply, fail and receive: the refusal, when the event was not accepted. */
  refusal?: Refusal;
  /** Every event handled, in order: the step's own first (when accepted), then what followed. */
  handled: HandledEvent[];
  /** Every event emitted by the events handled, in order. */
  emitted: EmittedEvent[];
  started: ScheduledTimer[];
  /** Cancelled by `cancel timer`, by `unless`, or replaced by a start of the same name. */
  cancelled: ScheduledTimer[];
  fired: ScheduledTimer[];
  calls: OpenCall[];
  /** Events sent to other journeys and journeys started, in order. */
  messages: SentMessage[];
  /** After the step. */
  data: JsonObject | null;
  exists: boolean;
  scheduled: ScheduledTimer[];
  /** The ids of every journey started so far, in order (what `{ started: n }` refers to). */
  startedJourneyIds: string[];
  nowMs: number;
}
