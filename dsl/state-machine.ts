/**
 * A journey read as a state machine. Its states are the values its beads give the state field
 * (`status` unless told otherwise; a journey without one has a single state). Per bead: the
 * origins its rules admit, the states where its rules do not certainly fail, and its transitions.
 * Then which beads an earlier one always pre-empts, which states the start reaches over beads
 * that can be triggered, what each state accepts, and who may send each event.
 */
import { rulesHold } from './abstract-evaluation.js';
import type { AbstractData } from './abstract-evaluation.js';
import { COMPUTED_STATE, EVENT_ORIGINS, START_STATE, STARTED_STATE } from './analysis-model.js';
import type { BeadSummary, EventOrigin, JourneyLink, Producer, Transition } from './analysis-model.js';
import { candidateContexts } from './candidate-contexts.js';
import type { CompiledJourney, Json } from './ir.js';
import { journeyProducers } from './journey-links.js';
import { allSteps, assignsField, stateName, StepWalker } from './step-walker.js';

export interface StateMachine {
  /** The data field states are read from, or null when no bead sets it. */
  stateField: string | null;
  /** START_STATE first, then the states in order of first assignment in the source. */
  states: string[];
  /** For each event something other than a sender produces, what produces it. */
  producers: Record<string, Producer[]>;
  transitions: Transition[];
  beads: BeadSummary[];
  /** By bead id: the origins its rules admit, whether or not anything produces events that way. */
  admitted: Map<string, EventOrigin[]>;
  /** By bead id: the states where an earlier bead always applies first. */
  preempted: Map<string, Set<string>>;
  /** The states some path from the start reaches. */
  reachable: Set<string>;
  accepts: Record<string, string[]>;
  finalStates: string[];
  senders: Record<string, EventOrigin[]>;
  /** What is known of the data at the start of a bead in a state (`walker.start`). */
  walker: StepWalker;
}

export function stateMachine(journey: CompiledJourney, field: string, links: readonly JourneyLink[] = []): StateMachine {
  // The state field and its states, in order of first assignment.
  const stateValues: Json[] = [];
  let stateField: string | null = null;
  let computed = false;
  for (const bead of journey.beads) {
    const found = assignsField(bead.steps, field);
    if (found.assigned) stateField = field;
    computed ||= found.computed;
    stateValues.push(...found.values);
  }
  const states: string[] = [START_STATE];
  if (stateField === null) states.push(STARTED_STATE);
  else {
    for (const value of stateValues) if (!states.includes(stateName(value))) states.push(stateName(value));
    if (computed && !states.includes(COMPUTED_STATE)) states.push(COMPUTED_STATE);
  }

  // Producers: what makes an event arrive without a sender.
  const producers: Record<string, Producer[]> = {};
  const produce = (event: string, producer: Producer): void => {
    (producers[event] ??= []).push(producer);
  };
  const timerStarters = new Map<string, string[]>();
  for (const bead of journey.beads) {
    for (const step of allSteps(bead.steps)) {
      if (step.kind === 'emit') produce(step.event, { kind: 'emit', beadId: bead.id });
      if (step.kind === 'call') {
        produce(step.replyEvent, { kind: 'reply', operation: `${step.system}.${step.operation}`, beadId: bead.id });
        produce(step.failureEvent, { kind: 'failure', operation: `${step.system}.${step.operation}`, beadId: bead.id });
      }
      if (step.kind === 'startTimer') timerStarters.set(step.timer, [...(timerStarters.get(step.timer) ?? []), bead.id]);
    }
  }
  // Other journeys' messages, and the failure events of this journey's undelivered ones.
  for (const { event, producer } of journeyProducers(journey, links)) produce(event, producer);
  for (const timer of journey.timers) {
    const starters = timerStarters.get(timer.name) ?? [];
    if (starters.length > 0) {
      const time = timer.when === undefined ? { delayMs: timer.delayMs ?? 0 } : { when: timer.when.text };
      produce(timer.event, { kind: 'timer', timer: timer.name, ...time, beadIds: starters });
    }
  }
  const available = (event: string): Set<EventOrigin> => {
    const origins = new Set<EventOrigin>(['api']);
    for (const producer of producers[event] ?? []) {
      origins.add(producerOrigin(producer));
    }
    return origins;
  };

  // Per bead: the origins its rules admit, the states it may apply in, its transitions.
  const walker = new StepWalker(stateField);
  const summaries: BeadSummary[] = [];
  const transitions: Transition[] = [];
  const admitted = new Map<string, EventOrigin[]>();
  for (const bead of journey.beads) {
    const unknownData: AbstractData = { known: new Map(), rest: bead.initiating ? 'null' : 'unknown', changed: new Set() };
    const origins = EVENT_ORIGINS.filter((origin) =>
      candidateContexts(bead, origin).some((context) => rulesHold(bead, { data: unknownData, context }) !== 'no'),
    );
    admitted.set(bead.id, origins);
    let from: string[];
    if (bead.initiating) from = [START_STATE];
    else if (stateField === null) from = [STARTED_STATE];
    else {
      from = states.filter((state) => {
        if (state === START_STATE) return false;
        const start = walker.start(state, false);
        return rulesHold(bead, { data: start.data, context: null }) !== 'no';
      });
    }
    walker.approximate = false;
    for (const state of from) {
      for (const path of walker.walk(bead.steps, [walker.start(state, bead.initiating)])) {
        transitions.push({
          beadId: bead.id,
          event: bead.on,
          from: state,
          to: path.state,
          when: path.when,
          emits: path.emits,
          startsTimers: path.startsTimers,
          cancelsTimers: path.cancelsTimers,
          calls: path.calls,
          sends: path.sends,
          starts: path.starts,
        });
      }
    }
    const effective = origins.filter((o) => available(bead.on).has(o));
    summaries.push({
      id: bead.id,
      event: bead.on,
      initiating: bead.initiating,
      location: bead.location,
      states: from,
      origins: effective,
      access: bead.access.map((r) => r.text),
      preconditions: bead.preconditions.map((p) => p.text),
      preemptedIn: [],
      reachable: false,
      ...(walker.approximate ? { approximate: true } : {}),
    });
  }
  // New states only transitions reveal (a computed or unset state field).
  for (const t of transitions) if (!states.includes(t.to)) states.push(t.to);

  // Pre-emption: an earlier bead for the same event, without access rules, whose preconditions
  // certainly hold in a state, always applies there first.
  const preempted = new Map<string, Set<string>>();
  journey.beads.forEach((bead, index) => {
    const earlier = journey.beads.slice(0, index).filter((b) => b.on === bead.on && b.initiating === bead.initiating && b.access.length === 0);
    const summary = summaries[index];
    if (!summary || earlier.length === 0) return;
    for (const state of summary.states) {
      const data = walker.start(state, bead.initiating).data;
      const first = earlier.find((b) => summaries[journey.beads.indexOf(b)]?.states.includes(state) && rulesHold(b, { data, context: null }) === 'yes');
      if (first) preempted.set(bead.id, new Set([...(preempted.get(bead.id) ?? []), state]));
    }
  });

  // Reachability from the start over beads that can be triggered.
  const live = (summary: BeadSummary): boolean => summary.origins.length > 0;
  const reachable = new Set<string>([START_STATE]);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of transitions) {
      const summary = summaries.find((s) => s.id === t.beadId);
      if (!summary || !live(summary) || !reachable.has(t.from) || preempted.get(t.beadId)?.has(t.from)) continue;
      if (!reachable.has(t.to)) {
        reachable.add(t.to);
        grew = true;
      }
    }
  }
  for (const summary of summaries) {
    summary.preemptedIn = summary.states.filter((s) => preempted.get(summary.id)?.has(s));
    const open = summary.states.filter((s) => reachable.has(s) && !preempted.get(summary.id)?.has(s));
    summary.reachable = live(summary) && open.length > 0;
  }

  const accepts: Record<string, string[]> = {};
  for (const state of states.filter((s) => reachable.has(s))) {
    accepts[state] = [...new Set(summaries.filter((s) => s.reachable && s.states.includes(state) && !preempted.get(s.id)?.has(state)).map((s) => s.event))];
  }
  const finalStates = states.filter((s) => s !== START_STATE && reachable.has(s) && (accepts[s] ?? []).length === 0);

  // Senders per handled event.
  const senders: Record<string, EventOrigin[]> = {};
  for (const event of Object.keys(journey.events)) {
    const beads = summaries.filter((s) => s.event === event);
    if (beads.length === 0) continue;
    senders[event] = EVENT_ORIGINS.filter((o) => beads.some((b) => b.origins.includes(o)));
  }

  return {
    stateField,
    states,
    producers,
    transitions,
    beads: summaries,
    admitted,
    preempted,
    reachable,
    accepts,
    finalStates,
    senders,
    walker,
  };
}

/** The origin of the events a producer makes. */
export function producerOrigin(producer: Producer): EventOrigin {
  switch (producer.kind) {
    case 'emit':
      return 'emitted';
    case 'timer':
      return 'timer';
    case 'reply':
    case 'failure':
      return 'backend';
    case 'journey':
    case 'undelivered':
      return 'journey';
  }
}
