/**
 * Handling an uplift event, as a pure function: a journey moves to a newer version of its type
 * inside its own turn (never beside an event being handled), and the move is recorded in its
 * history as an event of origin `uplift`. The commit is conditional on `handled_seq` like any
 * other, so an uplift applies exactly once; it also moves the journey, and its pending events,
 * timers and calls, to the slot of the new version's lane.
 */
import type { HandlingCommit, JournalEvent, Lifecycle } from '../cache-store/index.js';
import { upliftData } from '../dsl/index.js';
import type { CompiledJourney, JsonObject } from '../dsl/index.js';
import type { HandlingDecision, JourneyState } from './handling.js';
import { toStoredOutcome } from './outcome-changes.js';
import type { EventOutcome, UpliftRejectionCode } from './types.js';

/** The reserved event type of an uplift; its payload is {@link UpliftPayload}. */
export const UPLIFT_EVENT_TYPE = '$uplift';

export interface UpliftPayload {
  from: string;
  to: string;
}

export interface UpliftInput {
  journeyId: string;
  partitionNo: number;
  state: JourneyState;
  event: JournalEvent;
  /** The version to move to, as this node knows it (undefined: not deployed, or undeployed). */
  target: CompiledJourney | undefined;
  /** The slot the journey takes in the target version's lane. */
  targetSlot: number | undefined;
  nowMs: number;
}

export function decideUplift(input: UpliftInput): HandlingDecision {
  const { state, event, target, nowMs } = input;
  const payload = event.payload as Partial<UpliftPayload>;
  const reject = (code: UpliftRejectionCode, message: string): HandlingDecision => outcomeOf(input, { code, message });
  if (typeof payload.from !== 'string' || typeof payload.to !== 'string') return reject('UPLIFT_FAILED', 'an uplift names the versions it moves from and to');
  if (state.version === payload.to) return reject('UPLIFT_NOT_NEEDED', `the journey is on ${payload.to} already`);
  if (state.version !== payload.from) return reject('UPLIFT_STALE', `the journey is on ${state.version}, not ${payload.from}`);
  if (!target || input.targetSlot === undefined || target.name !== state.typeName) {
    return reject('UPLIFT_TARGET_UNKNOWN', `${state.typeName} ${payload.to} is not deployed`);
  }
  if (state.data === null) return reject('UPLIFT_FAILED', 'the journey has no data to uplift (its initiating event was rejected)');
  const result = upliftData(target, state.version, state.data, nowMs);
  if (!result.ok) {
    const detail = result.violations
      .slice(0, 5)
      .map((v) => `${v.pointer || '/'} ${v.message}`)
      .join('; ');
    return reject('UPLIFT_FAILED', `the data does not fit ${target.name} ${target.version}: ${detail}`);
  }
  return outcomeOf(input, null, result.data, { version: target.version, slot: input.targetSlot });
}

function outcomeOf(
  input: UpliftInput,
  rejection: { code: UpliftRejectionCode; message: string } | null,
  data?: JsonObject,
  moveTo?: { version: string; slot: number },
): HandlingDecision {
  const { state, event, nowMs } = input;
  const applied = rejection === null && data !== undefined && moveTo !== undefined;
  const lifecycle: Lifecycle = state.lifecycle;
  const outcome: EventOutcome = {
    eventId: event.eventId,
    journeyId: input.journeyId,
    outcome: applied ? 'applied' : 'rejected',
    ...(rejection ? { rejection } : {}),
    seq: state.handledSeq + 1,
    data: applied ? data : state.data,
    emitted: [],
    handledAt: new Date(nowMs).toISOString(),
  };
  const commit: HandlingCommit = {
    journeyId: input.journeyId,
    partitionNo: input.partitionNo,
    eventId: event.eventId,
    eventType: event.type,
    expectedHandledSeq: state.handledSeq,
    status: outcome.outcome,
    lifecycle,
    dataJson: applied ? JSON.stringify(data) : null,
    outcomeJson: JSON.stringify(toStoredOutcome(outcome, state.data)),
    feedback: [],
    timersToStart: [],
    timersToCancel: [],
    cancelTimersOnEvent: false,
    calls: [],
    ...(applied ? { moveTo } : {}),
  };
  return { commit, outcome, data: outcome.data, lifecycle };
}
