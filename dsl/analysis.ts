/**
 * Static analysis of compiled journeys, over the IR and without I/O: which events each state
 * accepts, beads that can never apply, events no sender may send, events nobody handles, and who
 * may read each journey.
 * The compiler refuses what is certainly broken; this reports what is probably unintended.
 *
 * States come from a state field (`status` unless told otherwise): every value a bead assigns it
 * is a state, and a bead applies in the states where its rules do not certainly fail. A journey
 * without one has a single state, and its beads are described by their preconditions.
 *
 * Rules are evaluated abstractly: the state field is known, `event` and the rest of the data are
 * unknown, and `context` takes values from a small candidate set built from the rule's own
 * literals (each role or name it mentions, one value it does not, every trust level, each
 * origin). A rule counts as failing only when it fails for every value the analysis cannot tell
 * apart, so an undecidable rule never produces a finding.
 *
 * The parts: analysis-model.ts (the answer's shape and the finding codes), state-machine.ts
 * (states, transitions, reachability) with abstract-evaluation.ts, candidate-contexts.ts and
 * step-walker.ts under it, analysis-findings.ts (the checks), analysis-read.ts (who may read) and
 * analysis-report.ts (as text).
 */
import { journeyFindings, searchFieldConflicts, unreceivedMessages } from './analysis-findings.js';
import type { AnalysisOptions, JourneyAnalysis, JourneysAnalysis } from './analysis-model.js';
import { readFindings, readSummary } from './analysis-read.js';
import type { CompiledJourney } from './ir.js';
import { journeyLinks } from './journey-links.js';
import { stateMachine } from './state-machine.js';

/** Analyses one compiled journey. Pure: the same IR always gives the same answer. */
export function analyzeJourney(journey: CompiledJourney, options: AnalysisOptions = {}): JourneyAnalysis {
  const others = (options.journeys ?? []).filter((j) => j.name !== journey.name || j.version !== journey.version);
  const links = journeyLinks([journey, ...others]);
  const machine = stateMachine(journey, options.stateField ?? 'status', links);
  const read = readSummary(journey);
  const findings = [...journeyFindings(journey, machine), ...readFindings(journey, read)];
  const own = links.filter((link) => link.from === `${journey.name} ${journey.version}`);
  return {
    name: journey.name,
    version: journey.version,
    source: journey.source,
    stateField: machine.stateField,
    states: machine.states,
    reachableStates: machine.states.filter((s) => machine.reachable.has(s)),
    finalStates: machine.finalStates,
    transitions: machine.transitions,
    accepts: machine.accepts,
    beads: machine.beads,
    senders: machine.senders,
    producers: machine.producers,
    read,
    ...(own.length > 0 ? { links: own } : {}),
    // In source order; findings about the whole journey last. The sort is stable.
    findings: findings.sort((a, b) => (a.location?.line ?? Infinity) - (b.location?.line ?? Infinity)),
  };
}

/**
 * Analyses several journeys, and what they share: search fields, which the store keeps as one
 * column per name across every journey type, and the links between them (which starts which,
 * which sends what to which).
 */
export function analyzeJourneys(journeys: readonly CompiledJourney[], options: AnalysisOptions = {}): JourneysAnalysis {
  const analyses = journeys.map((journey) => analyzeJourney(journey, { ...options, journeys }));
  const links = journeyLinks(journeys);
  const findings = [...analyses.flatMap((a) => a.findings), ...searchFieldConflicts(journeys), ...unreceivedMessages(journeys, links)];
  return { journeys: analyses, links, findings };
}
