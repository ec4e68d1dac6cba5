/**
 * A back end's circuit breaker as a pure function: `stepBreaker(snapshot, input, options, nowMs)`
 * returns the next snapshot and what to do, and executes nothing. The snapshot is plain JSON, so
 * the nodes of a cluster can share one through the grid (breaker-board.ts) and tests can drive it
 * with a clock of their own.
 *
 * - **closed**: calls go through. A failure opens a *window* of `windowMs` (it starts at its first
 *   failure, so a healthy back end costs no writes); the window counts failures and successes, and
 *   when it holds at least `failureThreshold` failures that are at least `failureRatio` of its
 *   calls, the breaker opens. A window that ends below that is forgotten.
 * - **open**: calls are refused (they fail fast to their fallback, or wait) until `openMs` after it
 *   opened; then the next call turns it half-open and goes through as a probe.
 * - **half-open**: up to `halfOpenProbes` calls at once go through as probes, the others are
 *   refused. A probe that fails opens the breaker again (for another `openMs`);
 *   `closeAfterSuccesses` probes that succeed close it. A probe that never reports (its node
 *   died) is given up after `openMs`, and another is let through.
 *
 * A result that comes back in another state than it left in (a call let through while closed that
 * ends after the breaker opened) counts only where it still means something: in a closed window.
 */

/** The three states; their index is the value of the `je_backend_breaker_state` gauge. */
export const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** What the journeys' calls do while a back end's breaker refuses them. */
export const WHEN_OPEN = { fallback: 'fallback', wait: 'wait' } as const;
export type WhenOpen = (typeof WHEN_OPEN)[keyof typeof WHEN_OPEN];

export interface BreakerOptions {
  /** Failures within one window that open the breaker (with {@link failureRatio}). @defaultValue 5 */
  failureThreshold: number;
  /** The share of a window's calls (0 to 1) that must have failed, too. @defaultValue 0.5 */
  failureRatio: number;
  /** How long a window lasts from its first failure. @defaultValue 10000 */
  windowMs: number;
  /** How long the breaker stays open before it lets a probe through. @defaultValue 30000 */
  openMs: number;
  /** Probes let through at once while half-open. @defaultValue 1 */
  halfOpenProbes: number;
  /** Probes that must succeed to close the breaker again. @defaultValue 1 */
  closeAfterSuccesses: number;
  /**
   * What a call does while the breaker refuses it: `fallback` fails it at once to the failure
   * event its journey declares for it; `wait` holds it (no attempt spent) until a probe may go.
   * @defaultValue `fallback`
   */
  whenOpen: WhenOpen;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  failureThreshold: 5,
  failureRatio: 0.5,
  windowMs: 10_000,
  openMs: 30_000,
  halfOpenProbes: 1,
  closeAfterSuccesses: 1,
  whenOpen: WHEN_OPEN.fallback,
});

/** A breaker's state as plain JSON. Times are ms since the epoch on the engine's clock. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** closed: when the current window's first failure came (there is a window while `failures` > 0). */
  windowStartMs: number;
  /** closed: the window's failures and successes. */
  failures: number;
  successes: number;
  /** open and half-open: when the breaker last opened. */
  openedAtMs: number;
  /** half-open: probes let through that have not reported yet, and until when they are waited for. */
  probes: number;
  probesUntilMs: number;
  /** half-open: probes that succeeded. */
  probeSuccesses: number;
}

export const CLOSED_BREAKER: Readonly<BreakerSnapshot> = Object.freeze({
  state: 'closed',
  windowStartMs: 0,
  failures: 0,
  successes: 0,
  openedAtMs: 0,
  probes: 0,
  probesUntilMs: 0,
  probeSuccesses: 0,
});

/** A call asks to go (`admit`), or reports how it went (`result`; `probe` when it was let through as one). */
export type BreakerInput = { kind: 'admit' } | { kind: 'result'; ok: boolean; probe: boolean };

/** May the call go: as an ordinary call, as a probe, or not before `retryAtMs`. */
export type Admission = { kind: 'call' } | { kind: 'probe' } | { kind: 'reject'; retryAtMs: number };

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** Why, for the log line. */
  reason: string;
}

export interface BreakerStep {
  snapshot: BreakerSnapshot;
  /** Whether `snapshot` differs from the one given: what the caller must write back. */
  changed: boolean;
  /** The answer to an `admit`. */
  admission?: Admission;
  transition?: BreakerTransition;
}

function counted(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Whether `value` is a snapshot (what a node reads back from the grid, once its MAC holds). */
export function isBreakerSnapshot(value: unknown): value is BreakerSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.state === 'string' &&
    (BREAKER_STATES as readonly string[]).includes(v.state) &&
    [v.windowStartMs, v.failures, v.successes, v.openedAtMs, v.probes, v.probesUntilMs, v.probeSuccesses].every(counted)
  );
}

function opened(snapshot: BreakerSnapshot, nowMs: number, reason: string): BreakerStep {
  return {
    snapshot: { ...CLOSED_BREAKER, state: 'open', openedAtMs: nowMs },
    changed: true,
    transition: { from: snapshot.state, to: 'open', reason },
  };
}

const unchanged = (snapshot: BreakerSnapshot, admission?: Admission): BreakerStep => ({ snapshot, changed: false, ...(admission ? { admission } : {}) });

function admit(snapshot: BreakerSnapshot, options: BreakerOptions, nowMs: number): BreakerStep {
  switch (snapshot.state) {
    case 'closed':
      return unchanged(snapshot, { kind: 'call' });
    case 'open': {
      const probeAtMs = snapshot.openedAtMs + options.openMs;
      if (nowMs < probeAtMs) return unchanged(snapshot, { kind: 'reject', retryAtMs: probeAtMs });
      return {
        snapshot: { ...snapshot, state: 'half-open', probes: 1, probesUntilMs: nowMs + options.openMs, probeSuccesses: 0 },
        changed: true,
        admission: { kind: 'probe' },
        transition: { from: 'open', to: 'half-open', reason: `open for ${options.openMs} ms: letting a probe through` },
      };
    }
    case 'half-open': {
      // Probes that never reported (their node died) are given up once their time is over.
      const running = nowMs >= snapshot.probesUntilMs ? 0 : snapshot.probes;
      if (running >= options.halfOpenProbes) return unchanged(snapshot, { kind: 'reject', retryAtMs: snapshot.probesUntilMs });
      return {
        snapshot: { ...snapshot, probes: running + 1, probesUntilMs: running === 0 ? nowMs + options.openMs : snapshot.probesUntilMs },
        changed: true,
        admission: { kind: 'probe' },
      };
    }
  }
}

function result(snapshot: BreakerSnapshot, ok: boolean, probe: boolean, options: BreakerOptions, nowMs: number): BreakerStep {
  if (snapshot.state === 'half-open') {
    // Only probes decide a half-open breaker; a call let through before it opened says nothing new.
    if (!probe) return unchanged(snapshot);
    if (!ok) return opened(snapshot, nowMs, 'a probe failed');
    const probeSuccesses = snapshot.probeSuccesses + 1;
    if (probeSuccesses >= options.closeAfterSuccesses) {
      return {
        snapshot: { ...CLOSED_BREAKER },
        changed: true,
        transition: { from: 'half-open', to: 'closed', reason: `${probeSuccesses} probe(s) succeeded` },
      };
    }
    return { snapshot: { ...snapshot, probes: Math.max(0, snapshot.probes - 1), probeSuccesses }, changed: true };
  }
  if (snapshot.state === 'open') return unchanged(snapshot);
  // closed: a window starts at its first failure and is forgotten when its time is over.
  const inWindow = snapshot.failures > 0 && nowMs < snapshot.windowStartMs + options.windowMs;
  if (ok) {
    if (inWindow) return { snapshot: { ...snapshot, successes: snapshot.successes + 1 }, changed: true };
    return snapshot.failures === 0 ? unchanged(snapshot) : { snapshot: { ...CLOSED_BREAKER }, changed: true };
  }
  const window = inWindow ? snapshot : { ...CLOSED_BREAKER, windowStartMs: nowMs };
  const failures = window.failures + 1;
  const calls = failures + window.successes;
  if (failures >= options.failureThreshold && failures >= options.failureRatio * calls) {
    return opened(snapshot, nowMs, `${failures} of ${calls} calls failed within ${options.windowMs} ms`);
  }
  return { snapshot: { ...window, failures }, changed: true };
}

/** One step of the breaker: pure, with the time passed in. */
export function stepBreaker(snapshot: BreakerSnapshot, input: BreakerInput, options: BreakerOptions, nowMs: number): BreakerStep {
  return input.kind === 'admit' ? admit(snapshot, options, nowMs) : result(snapshot, input.ok, input.probe, options, nowMs);
}

/** Checks options given in code or configuration; returns a problem, or null. */
export function breakerOptionsProblem(options: BreakerOptions): string | null {
  const positive = ['failureThreshold', 'windowMs', 'openMs', 'halfOpenProbes', 'closeAfterSuccesses'] as const;
  for (const name of positive) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 1) return `${name} must be a whole number of at least 1`;
  }
  if (!(options.failureRatio > 0 && options.failureRatio <= 1)) return 'failureRatio must be above 0 and at most 1';
  if (options.whenOpen !== 'fallback' && options.whenOpen !== 'wait') return 'whenOpen must be "fallback" or "wait"';
  return null;
}
