/**
 * The findings of the analysis: what is probably unintended. About events (none may send it,
 * nothing produces it the way its beads accept it, nobody handles it, nothing uses it), about
 * beads and states nothing reaches, and, across journeys, search fields that conflict.
 */
import { evaluateAbstract, truth } from './abstract-evaluation.js';
import { COMPUTED_STATE, EVENT_ORIGINS, START_STATE } from './analysis-model.js';
import type { AnalysisFinding, EventOrigin, JourneyLink } from './analysis-model.js';
import type { Bead, CompiledJourney } from './ir.js';
import { producerOrigin } from './state-machine.js';
import type { StateMachine } from './state-machine.js';
import { allSteps } from './step-walker.js';

const ORIGIN_NAMES: Record<EventOrigin, string> = {
  api: 'a sender (the API)',
  emitted: 'an emit',
  timer: 'a timer',
  backend: 'a back-end call',
  journey: 'another journey',
};

/** The findings about one journey, in the order they are found: events first, then beads and states. */
export function journeyFindings(journey: CompiledJourney, machine: StateMachine): AnalysisFinding[] {
  const { stateField, states, producers, transitions, beads: summaries, admitted, preempted, reachable, senders, walker } = machine;
  const findings: AnalysisFinding[] = [];
  const report = (finding: Omit<AnalysisFinding, 'journey' | 'version' | 'source' | 'severity'> & { severity?: AnalysisFinding['severity'] }): void => {
    findings.push({ severity: 'warning', journey: journey.name, version: journey.version, source: journey.source, ...finding });
  };

  // Findings: events.
  const beadOf = (id: string): Bead | undefined => journey.beads.find((b) => b.id === id);
  const silent = new Set<string>();
  for (const event of Object.keys(senders)) {
    const beads = journey.beads.filter((b) => b.on === event);
    const first = beads[0];
    const admittedAny = EVENT_ORIGINS.filter((o) => beads.some((b) => admitted.get(b.id)?.includes(o)));
    if (admittedAny.length === 0) {
      silent.add(event);
      const rules = [...new Set(beads.flatMap((b) => b.access.map((r) => r.text)))].join('; ');
      report({
        code: 'unsendable-event',
        event,
        location: first?.location,
        message: `no sender may send ${event}: no context satisfies the access rules of its beads (${rules})`,
      });
    } else if ((senders[event] ?? []).length === 0) {
      silent.add(event);
      const from = admittedAny.map((o) => ORIGIN_NAMES[o]).join(' or ');
      report({
        code: 'unproduced-event',
        event,
        location: first?.location,
        message: `${event} is accepted only from ${from}, but nothing here produces it that way`,
      });
    }
  }
  for (const [event, list] of Object.entries(producers)) {
    const handled = journey.events[event]?.handled ?? false;
    for (const producer of list) {
      const origin = producerOrigin(producer);
      const by =
        producer.kind === 'emit'
          ? `${producer.beadId} emits`
          : producer.kind === 'timer'
            ? `timer ${producer.timer} fires`
            : producer.kind === 'journey'
              ? `${producer.from} (${producer.beadId}) ${producer.how === 'start' ? 'starts it with' : producer.how === 'send' ? 'sends' : 'replies with'}`
              : producer.kind === 'undelivered'
                ? `an undelivered ${producer.message} comes back as`
                : `${producer.operation} ${producer.kind === 'reply' ? 'replies with' : 'fails with'}`;
      const beadId = producer.kind === 'timer' ? producer.beadIds[0] : producer.beadId;
      const location = beadId === undefined ? undefined : beadOf(beadId)?.location;
      if (!handled) {
        if (producer.kind === 'emit' && journey.events[event]?.published) continue;
        report({
          code: 'unhandled-event',
          event,
          beadId,
          location,
          message: `${by} ${event}, but no bead handles it${producer.kind === 'emit' ? ' and it is not published' : ''}`,
        });
        continue;
      }
      const accepted = journey.beads.filter((b) => b.on === event).some((b) => admitted.get(b.id)?.includes(origin));
      if (!accepted) {
        report({
          code: 'origin-refused',
          event,
          beadId,
          location,
          message: `${by} ${event}, but no bead for ${event} accepts events from ${ORIGIN_NAMES[origin]} (origin ${origin})`,
        });
      }
    }
  }
  for (const [event, definition] of Object.entries(journey.events)) {
    if (!definition.handled && !definition.emitted && !definition.published && definition.sent !== true && !producers[event]) {
      report({ code: 'unused-event', severity: 'info', event, message: `${event} is declared but nothing handles, emits, fires, returns or publishes it` });
    }
  }

  // Findings: beads and states.
  for (const summary of summaries) {
    if (summary.reachable || silent.has(summary.event)) continue;
    const bead = beadOf(summary.id);
    if (!bead) continue;
    let why: string;
    if (summary.origins.length === 0) {
      why = `no origin can send ${summary.event} past its rules`;
    } else if (summary.states.length === 0) {
      const culprit = bead.preconditions.find((p) =>
        states
          .filter((s) => s !== START_STATE)
          .every((s) => truth(evaluateAbstract(p.condition, { data: walker.start(s, false).data, context: null })) === 'no'),
      );
      why = culprit ? `\`${culprit.text}\` holds in no ${stateField ?? 'state'} a bead sets` : `its rules together hold in no ${stateField ?? 'state'}`;
    } else if (summary.states.every((s) => preempted.get(summary.id)?.has(s))) {
      why = `an earlier bead for ${summary.event} always applies first (in ${stateField ?? 'state'} ${summary.states.join(', ')})`;
    } else {
      why = `it applies only in ${stateField ?? 'state'} ${summary.states.join(', ')}, which nothing reaches`;
    }
    report({
      code: 'unreachable-bead',
      beadId: summary.id,
      event: summary.event,
      location: summary.location,
      message: `${summary.id} can never apply: ${why}`,
    });
  }
  for (const state of states) {
    if (reachable.has(state) || state === COMPUTED_STATE) continue;
    const setter = transitions.find((t) => t.to === state);
    report({
      code: 'unreachable-state',
      state,
      beadId: setter?.beadId,
      location: setter ? beadOf(setter.beadId)?.location : undefined,
      message: `${stateField ?? 'state'} ${JSON.stringify(state)} is set${setter ? ` by ${setter.beadId}` : ''} but no path from the start reaches it`,
    });
  }
  return findings;
}

/** Search fields of one name with different paths or types: the store has one column per name. */
export function searchFieldConflicts(journeys: readonly CompiledJourney[]): AnalysisFinding[] {
  const findings: AnalysisFinding[] = [];
  const fields = new Map<string, { path: string; type: string; journey: CompiledJourney }>();
  for (const journey of journeys) {
    for (const field of journey.searchFields) {
      const seen = fields.get(field.name);
      if (!seen) {
        fields.set(field.name, { path: field.path, type: field.type, journey });
      } else if (seen.path !== field.path || seen.type !== field.type) {
        findings.push({
          code: 'search-field-conflict',
          severity: 'warning',
          journey: journey.name,
          version: journey.version,
          source: journey.source,
          message:
            `search field ${field.name} is ${field.type} at ${field.path} here, but ${seen.type} at ${seen.path} in ${seen.journey.name} ${seen.journey.version}; ` +
            'one store cannot deploy both (rename one)',
        });
      }
    }
  }
  return findings;
}

/** Messages none of these journeys can take: an event no journey handles, a version to start that is not among them. */
export function unreceivedMessages(journeys: readonly CompiledJourney[], links: readonly JourneyLink[]): AnalysisFinding[] {
  const findings: AnalysisFinding[] = [];
  for (const link of links) {
    if (link.to.length > 0) continue;
    const journey = journeys.find((j) => `${j.name} ${j.version}` === link.from);
    if (!journey) continue;
    const bead = journey.beads.find((b) => b.id === link.beadId);
    const step = bead
      ? allSteps(bead.steps).find((s) => (link.kind === 'start' ? s.kind === 'start' : s.kind === 'send' && s.event === link.event))
      : undefined;
    const message =
      link.kind === 'start'
        ? `${link.beadId} starts ${step?.kind === 'start' ? `${step.journeyType} ${step.version}` : 'a journey'}, which is not among the journeys analysed`
        : link.kind === 'send'
          ? `${link.beadId} sends ${link.event ?? ''}, but none of the journeys analysed handles it`
          : `${link.beadId} replies with ${link.event ?? ''}, but no journey that sends it ${bead?.on ?? ''} handles ${link.event ?? ''}`;
    findings.push({
      code: 'unreceived-message',
      severity: 'warning',
      journey: journey.name,
      version: journey.version,
      source: journey.source,
      location: bead?.location,
      beadId: link.beadId,
      ...(link.event === null ? {} : { event: link.event }),
      message,
    });
  }
  return findings;
}
