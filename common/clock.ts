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
