/** What an operator asks of reconciliation and what it reports (reconcile.ts; POST /reconcile/{system}). */

export interface ReconcileRequest {
  /** An ISO date-time: look at the calls made from then on, instead of from the high-water mark. */
  since?: string;
  /** Replay the replies the back end gave but the journeys never got. @defaultValue false */
  repair?: boolean;
  /** At most this many calls per run (the rest: the next run, `more`). @defaultValue 1000 */
  limit?: number;
}

/** A place in the outbox's order of a back end's calls. */
export interface ReconcileMark {
  createdAt: string;
  callId: string;
}

/**
 * How the outbox and the back end disagree about a call:
 * - `lost-reply`: the back end did it, the outbox has it pending or dead (its journey never got
 *   the reply): `repair` replays the reply;
 * - `discarded-but-done`: the back end did it, an operator discarded the dead call: reported only;
 * - `unknown-to-backend`: the outbox took a reply the back end does not know of: reported only;
 * - `failed-at-backend`: the outbox took a reply, the back end says the call failed: reported only.
 */
export type ReconcileMismatchKind = 'lost-reply' | 'discarded-but-done' | 'unknown-to-backend' | 'failed-at-backend';

export interface ReconcileMismatch {
  kind: ReconcileMismatchKind;
  /** The outbox id: the back end's `callId`. */
  callId: string;
  journeyId: string;
  operation: string;
  createdAt: string;
  outbox: 'pending' | 'done' | 'dead' | 'discarded';
  backend: 'done' | 'failed' | 'unknown';
  /** The back end's reason, when it says the call failed. */
  reason?: string;
  /** The reply is in the journey (replayed by this run, or by another or the relay meanwhile). */
  repaired: boolean;
  /** The reply's event, when replayed. */
  eventId?: string;
  /** Why the replay failed (the journey refused the reply, say); the next run tries again. */
  error?: string;
}

export interface ReconcileReport {
  system: string;
  repair: boolean;
  /** Where the run started: `since`, or the high-water mark (null: from the first call). */
  from: ReconcileMark | null;
  /** The high-water mark after the run: the next run starts behind it. */
  mark: ReconcileMark | null;
  /** Calls compared. */
  checked: number;
  /** The limit stopped the run: run again for the rest. */
  more: boolean;
  mismatches: ReconcileMismatch[];
}
