/**
 * The links between journey types, read from their IR: which journeys a `start` creates, which
 * journeys a `send` or a `reply` may reach. A send's target is an id from data, so its type is
 * not written in the step: it may reach every journey analysed that handles the event; a reply
 * goes back to the journeys that send the event its bead handles.
 */
import type { JourneyLink, Producer } from './analysis-model.js';
import type { CompiledJourney, Step } from './ir.js';
import { allSteps } from './step-walker.js';

const label = (journey: CompiledJourney): string => `${journey.name} ${journey.version}`;

/** The one event that starts a journey of this version, or null when it has several (or none). */
export function soleInitiatingEvent(journey: CompiledJourney): string | null {
  const initiating = Object.entries(journey.events).filter(([, d]) => d.initiating);
  return initiating.length === 1 ? (initiating[0]?.[0] ?? null) : null;
}

function handles(journey: CompiledJourney, event: string): boolean {
  return journey.beads.some((bead) => bead.on === event);
}

/** Every step of the journeys that reaches another journey, with the journeys (of these) it may reach. */
export function journeyLinks(journeys: readonly CompiledJourney[]): JourneyLink[] {
  const links: JourneyLink[] = [];
  const steps = journeys.flatMap((journey) => journey.beads.flatMap((bead) => allSteps(bead.steps).map((step) => ({ journey, bead, step }))));
  const isReply = (step: Step): boolean =>
    step.kind === 'send' && step.to.kind === 'path' && step.to.root === 'context' && step.to.segments.join('.') === 'journey';
  for (const { journey, bead, step } of steps) {
    if (step.kind === 'start') {
      const target = journeys.find((j) => j.name === step.journeyType && j.version === step.version);
      links.push({
        kind: 'start',
        from: label(journey),
        beadId: bead.id,
        starts: `${step.journeyType} ${step.version}`,
        event: step.event ?? (target ? soleInitiatingEvent(target) : null),
        to: target ? [label(target)] : [],
      });
    } else if (step.kind === 'send' && !isReply(step)) {
      links.push({ kind: 'send', from: label(journey), beadId: bead.id, event: step.event, to: journeys.filter((j) => handles(j, step.event)).map(label) });
    }
  }
  // A reply answers whoever sent the event its bead handles.
  for (const { journey, bead, step } of steps) {
    if (step.kind !== 'send' || !isReply(step)) continue;
    const senders = new Set(links.filter((l) => l.event === bead.on && l.to.includes(label(journey))).map((l) => l.from));
    const to = journeys.filter((j) => senders.has(label(j)) && handles(j, step.event)).map(label);
    links.push({ kind: 'reply', from: label(journey), beadId: bead.id, event: step.event, to });
  }
  return links;
}

/** What other journeys (of the links) produce for this one, and the failure events of its own undelivered messages. */
export function journeyProducers(journey: CompiledJourney, links: readonly JourneyLink[]): Array<{ event: string; producer: Producer }> {
  const self = label(journey);
  const found: Array<{ event: string; producer: Producer }> = [];
  for (const link of links) {
    if (link.event !== null && link.to.includes(self)) {
      found.push({ event: link.event, producer: { kind: 'journey', from: link.from, how: link.kind, beadId: link.beadId } });
    }
  }
  for (const bead of journey.beads) {
    for (const step of allSteps(bead.steps)) {
      if ((step.kind === 'send' || step.kind === 'start') && step.failureEvent !== undefined) {
        const message = step.kind === 'send' ? `send ${step.event}` : `start ${step.journeyType} ${step.version}`;
        found.push({ event: step.failureEvent, producer: { kind: 'undelivered', message, beadId: bead.id } });
      }
    }
  }
  return found;
}
