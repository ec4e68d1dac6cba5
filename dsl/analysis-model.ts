/**
 * What the static analysis says about a journey, as data: where events come from, the states it
 * names, the findings it reports (with their stable codes), and the shape of its answer.
 */
import type { CompiledJourney, EventContext, SourceLocation } from './ir.js';

/** Where an event comes from, as the engine records it in `context.origin`. */
import type { EventOrigin } from '../common/index.js';

export { EVENT_ORIGINS } from '../common/index.js';
export type { EventOrigin };

/**
 * The context the engine records for events it creates itself: fired timers (engine/worker.ts),
 * back-end answers and the failure events of undelivered journey messages (engine/intake.ts).
 * Emitted events carry their cause's context. An event another journey sends carries that
 * journey's: {@link journeyContext}.
 */
export const SYSTEM_CONTEXTS: Readonly<Record<'timer' | 'backend' | 'journey', EventContext>> = {
  timer: { sender: 'system:timer', roles: ['system'], trustLevel: 3, channel: 'timer', origin: 'timer' },
  backend: { sender: 'system:backend', roles: ['system'], trustLevel: 3, channel: 'backend', origin: 'backend' },
  journey: { sender: 'system:journey', roles: ['system'], trustLevel: 3, channel: 'journey', origin: 'journey' },
};

/** The context of an event a journey sends (`send`, `reply`) or starts another with (`start`). */
export function journeyContext(journeyId: string, journeyType: string): EventContext {
  return {
    sender: `journey:${journeyId}`,
    roles: ['journey'],
    trustLevel: 3,
    channel: 'journey',
    origin: 'journey',
    journey: journeyId,
    journeyType,
  };
}

/** The state before the initiating event: no journey yet. */
export const START_STATE = '(start)';
/** The state field has no value (an initiating bead did not set it). */
export const UNSET_STATE = '(unset)';
/** The state field was set to a computed value (not a literal). */
export const COMPUTED_STATE = '(computed)';
/** The one state of a journey without a state field. */
export const STARTED_STATE = '(started)';

/** Every finding the analysis reports, with what it means. Codes are stable; never reuse one. */
export const ANALYSIS_CODES = {
  'unreachable-bead':
    'A bead that can never apply: its rules fail in every state, it applies only in states nothing reaches, or an earlier bead always applies first.',
  'unsendable-event': 'A handled event whose every bead has an access rule no sender can satisfy.',
  'unproduced-event': 'A handled event its beads accept only from a timer, a back end or an emit, none of which produces it.',
  'origin-refused': 'A timer, back-end call or emit produces an event whose beads refuse events from that origin.',
  'unhandled-event': 'An event emitted, fired by a timer or returned by a call that no bead handles (emitted ones: and not published).',
  'unreachable-state': 'A state some bead sets that no path from the start reaches.',
  'unused-event': 'A declared event nothing handles, emits, fires, returns or publishes.',
  'search-field-conflict': 'Journeys declare a search field of one name with different paths or types; the store has one column per name.',
  'read-undeclared': 'A journey with no `read allow` rule: only the operator role may read its data and history.',
  'unreceived-message':
    'A `send`, `reply` or `start` none of the journeys analysed can take: no journey handles the event, or the version to start is not among them.',
  'read-filtered-late':
    'Read rules a store cannot decide in its search query (they read data that is not a search field, or do more than compare search fields with values): search results for other readers are filtered after the query.',
} as const;
export type AnalysisCode = keyof typeof ANALYSIS_CODES;

export interface AnalysisFinding {
  code: AnalysisCode;
  /** `warning`: probably a mistake; `info`: worth a look. */
  severity: 'warning' | 'info';
  message: string;
  journey: string;
  version: string;
  /** The journey's definition file (relative to the journeys root), for `file:line:column`. */
  source: string;
  location?: SourceLocation;
  event?: string;
  beadId?: string;
  state?: string;
}

/**
 * Something that makes an event arrive without a sender: an emit, a timer, a back-end call, a
 * message of another journey (`journey`: `send`, `reply` or `start` in the journey `from`), or
 * the failure event of a message of this journey that could not be delivered (`undelivered`).
 */
export type Producer =
  | { kind: 'emit'; beadId: string }
  /** `delayMs` for a constant delay; `when` (`at data.expiresAt`) for a time from data or the event. */
  | { kind: 'timer'; timer: string; delayMs?: number; when?: string; beadIds: string[] }
  | { kind: 'reply' | 'failure'; operation: string; beadId: string }
  | { kind: 'journey'; from: string; how: JourneyLink['kind']; beadId: string }
  | { kind: 'undelivered'; message: string; beadId: string };

/**
 * A step of one journey that reaches others: a `start` of a type, a `send` of an event (to
 * whichever journey its id names: every journey analysed that handles the event), a `reply` (to
 * the journeys that send the event its bead handles).
 */
export interface JourneyLink {
  kind: 'start' | 'send' | 'reply';
  /** `name version` of the journey whose step it is, and the bead. */
  from: string;
  beadId: string;
  /** The event sent, or started with; null for a start that leaves it to the target's one initiating event. */
  event: string | null;
  /** A start: `name version` of the journey it starts, analysed or not. */
  starts?: string;
  /** `name version` of each journey analysed it may reach (a start: the one it names, when analysed). */
  to: string[];
}

/** One way a bead moves the journey from a state to a state (one per `if` path that matters). */
export interface Transition {
  beadId: string;
  event: string;
  from: string;
  to: string;
  /** Conditions of the `if` branches on this path (source-like text); empty when none split it. */
  when: string[];
  /** Events emitted, timers started and cancelled, and back-end calls (`system.operation`) made. */
  emits: string[];
  startsTimers: string[];
  cancelsTimers: string[];
  calls: string[];
  /** Events sent to other journeys (`send`, `reply`), and journey types started (`name version`). */
  sends: string[];
  starts: string[];
}

export interface BeadSummary {
  id: string;
  event: string;
  initiating: boolean;
  location: SourceLocation;
  /** States in which its rules do not certainly fail. */
  states: string[];
  /** Origins whose events may pass its rules and that something can actually produce. */
  origins: EventOrigin[];
  access: string[];
  preconditions: string[];
  /** States where an earlier bead for the same event always applies first. */
  preemptedIn: string[];
  /** Whether it may ever apply: an origin, a reachable state, and not always pre-empted. */
  reachable: boolean;
  /** True when its `if` paths were too many to follow one by one: transitions are a sample. */
  approximate?: boolean;
}

/** Who may read a journey (`read allow` rules), and how a store can filter searches by them. */
export interface ReadSummary {
  /** The rules as written; empty when there are none (only the operator role may read). */
  rules: string[];
  /** The data paths the rules read (`data.owner`), each with the search field that holds it, or null. */
  dataPaths: Array<{ path: string; searchField: string | null }>;
  /**
   * Whether, for every reader the analysis tried, what the rules leave to decide on the data is a
   * comparison of search fields with values, which a store filters in its search query.
   */
  filteredInQuery: boolean;
  /** Why not, for the first reader for which it is not. */
  notInQuery?: string;
  /** The search fields those filters use. */
  searchFields: string[];
}

export interface JourneyAnalysis {
  name: string;
  version: string;
  source: string;
  /** The data field states are read from, or null when no bead sets one. */
  stateField: string | null;
  /** START_STATE first, then the states in order of first assignment in the source. */
  states: string[];
  reachableStates: string[];
  /** Reachable states in which no bead applies any more. */
  finalStates: string[];
  transitions: Transition[];
  /** For each reachable state, the events some bead accepts there, in bead order. */
  accepts: Record<string, string[]>;
  beads: BeadSummary[];
  /** For each handled event, the origins it may arrive from and be accepted. */
  senders: Record<string, EventOrigin[]>;
  /** For each event something other than a sender produces, what produces it. */
  producers: Record<string, Producer[]>;
  /** Who may read the journey's data and history. */
  read: ReadSummary;
  /** Its steps that reach other journeys (`send`, `reply`, `start`); absent when it has none. */
  links?: JourneyLink[];
  findings: AnalysisFinding[];
}

export interface AnalysisOptions {
  /** The data field holding the journey's state. @defaultValue `status` */
  stateField?: string;
  /**
   * The journeys deployed beside it: what they send it (`send`, `reply`, `start`) arrives from
   * origin `journey`. @defaultValue none (`analyzeJourneys` passes the others)
   */
  journeys?: readonly CompiledJourney[];
}

export interface JourneysAnalysis {
  journeys: JourneyAnalysis[];
  /** Every link between the journeys: which starts which, which sends what to which. */
  links: JourneyLink[];
  /** Every finding: each journey's, then those across journeys. */
  findings: AnalysisFinding[];
}
