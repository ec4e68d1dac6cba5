/** Time is passed in, so timers and leases can be tested with a simulated clock. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (for timestamps and timer due dates). */
  nowMs(): number;
  /** Monotonic milliseconds (for local deadlines; never goes backwards). */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/** A clock that moves only when told to: for deterministic timer tests. */
export class SimulatedClock implements Clock {
  private currentMs: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.currentMs = startMs;
  }
  nowMs(): number {
    return this.currentMs;
  }
  monotonicMs(): number {
    return this.currentMs;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
}

/** One reading of a reference clock (the database's), bracketed by two local readings. */
export interface ClockSample {
  /** The reference clock's time, ms since the epoch. */
  referenceMs: number;
  /** Local wall clock just before the reading was asked for. */
  sentMs: number;
  /** Local monotonic time elapsed until the answer came back (the round trip). */
  roundTripMs: number;
}

/**
 * The database's clock as this node sees it: the local wall clock corrected by the skew last
 * measured against the database. Nodes whose own clocks disagree (one set six days ahead, say)
 * still agree on this one, to within their round trips to the database, so timer due times and
 * deadlines passed between nodes mean the same everywhere.
 */
export class CorrectedClock implements Clock {
  /** Reference minus local, ms; 0 until the first sample. */
  private offsetMs = 0;
  private measured = false;

  constructor(private readonly local: Clock = systemClock) {}

  nowMs(): number {
    return this.local.nowMs() + this.offsetMs;
  }

  monotonicMs(): number {
    return this.local.monotonicMs();
  }

  /** The uncorrected local wall clock, for taking samples. */
  localNowMs(): number {
    return this.local.nowMs();
  }

  /** Local minus reference, ms: positive when this node's clock runs ahead. */
  get skewMs(): number {
    return -this.offsetMs;
  }

  /** Whether a sample was taken yet (before it, this is the local clock). */
  get synced(): boolean {
    return this.measured;
  }

  /**
   * Takes the sample with the shortest round trip: the reference was read somewhere within it,
   * so its midpoint is off by at most half that round trip.
   */
  observe(samples: ClockSample[]): void {
    let best: ClockSample | undefined;
    for (const sample of samples) if (!best || sample.roundTripMs < best.roundTripMs) best = sample;
    if (!best) return;
    // Whole milliseconds, like Date.now(): journeys store now() in integer fields.
    this.offsetMs = Math.round(best.referenceMs - (best.sentMs + best.roundTripMs / 2));
    this.measured = true;
  }
}
