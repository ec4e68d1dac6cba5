/**
 * The circuit breaker: its pure state machine (closed → open → half-open → closed, with the time
 * passed in), the board that keeps it in a shared store by compare-and-set, and the guard that
 * puts a registry's handlers behind it.
 */
import { describe, expect, it } from 'vitest';
import { JourneyError, SimulatedClock, isJourneyError, silentLogger } from '../../common/index.js';
import {
  BreakerBoard,
  CLOSED_BREAKER,
  DEFAULT_BREAKER_OPTIONS,
  createLocalBreakerStore,
  guardBackends,
  resolveBreakerOptions,
  stepBreaker,
} from '../../engine/index.js';
import type { BackendRegistry, BreakerInput, BreakerOptions, BreakerSnapshot, BreakerStore } from '../../engine/index.js';
import { EngineMetrics } from '../../engine/metrics.js';

const options: BreakerOptions = { ...DEFAULT_BREAKER_OPTIONS, failureThreshold: 3, failureRatio: 0.5, windowMs: 1_000, openMs: 5_000 };
const admit: BreakerInput = { kind: 'admit' };
const ok = (probe = false): BreakerInput => ({ kind: 'result', ok: true, probe });
const failed = (probe = false): BreakerInput => ({ kind: 'result', ok: false, probe });

/** Runs inputs at the given times, returning the last step. */
function run(snapshot: BreakerSnapshot, steps: Array<[number, BreakerInput]>, opts = options): ReturnType<typeof stepBreaker> {
  let step = { snapshot, changed: false } as ReturnType<typeof stepBreaker>;
  for (const [nowMs, input] of steps) step = stepBreaker(step.snapshot, input, opts, nowMs);
  return step;
}

describe('the breaker state machine', () => {
  it('lets calls through while closed, and a healthy back end changes nothing', () => {
    expect(stepBreaker(CLOSED_BREAKER, admit, options, 1_000)).toEqual({ snapshot: CLOSED_BREAKER, changed: false, admission: { kind: 'call' } });
    expect(stepBreaker(CLOSED_BREAKER, ok(), options, 1_000)).toMatchObject({ changed: false });
  });

  it('opens when a window holds enough failures that are a large enough share of its calls', () => {
    const step = run(CLOSED_BREAKER, [
      [100, failed()],
      [200, failed()],
      [300, failed()],
    ]);
    expect(step.transition).toEqual({ from: 'closed', to: 'open', reason: '3 of 3 calls failed within 1000 ms' });
    expect(step.snapshot).toMatchObject({ state: 'open', openedAtMs: 300 });
  });

  it('stays closed while failures are a small share of the calls, or spread over windows', () => {
    const mostlyOk = run(CLOSED_BREAKER, [
      [100, failed()],
      ...Array.from({ length: 10 }, (_, i): [number, BreakerInput] => [110 + i, ok()]),
      [200, failed()],
      [300, failed()],
    ]);
    expect(mostlyOk.snapshot).toMatchObject({ state: 'closed', failures: 3, successes: 10 });
    // Two failures per window, windows apart: the count starts again each time.
    const spread = run(CLOSED_BREAKER, [
      [100, failed()],
      [200, failed()],
      [1_200, failed()],
      [1_300, failed()],
    ]);
    expect(spread.snapshot).toMatchObject({ state: 'closed', windowStartMs: 1_200, failures: 2 });
    // A success after the window is over forgets it.
    expect(run(spread.snapshot, [[2_300, ok()]]).snapshot).toEqual(CLOSED_BREAKER);
  });

  it('refuses calls while open, until openMs, then lets one probe through (half-open)', () => {
    const open = run(CLOSED_BREAKER, [
      [0, failed()],
      [0, failed()],
      [0, failed()],
    ]).snapshot;
    expect(stepBreaker(open, admit, options, 4_999)).toMatchObject({ changed: false, admission: { kind: 'reject', retryAtMs: 5_000 } });
    const probing = stepBreaker(open, admit, options, 5_000);
    expect(probing).toMatchObject({ changed: true, admission: { kind: 'probe' }, transition: { from: 'open', to: 'half-open' } });
    expect(probing.snapshot).toMatchObject({ state: 'half-open', probes: 1, probesUntilMs: 10_000 });
    // One probe at a time: the next call waits for it.
    expect(stepBreaker(probing.snapshot, admit, options, 5_001)).toMatchObject({ admission: { kind: 'reject', retryAtMs: 10_000 } });
    // Results of calls that were not probes do not decide, and a late failure while open is ignored.
    expect(stepBreaker(probing.snapshot, failed(), options, 5_002)).toMatchObject({ changed: false });
    expect(stepBreaker(open, failed(), options, 10)).toMatchObject({ changed: false });
  });

  it('closes when the probe succeeds, and opens again for openMs when it fails', () => {
    const probing = run(CLOSED_BREAKER, [
      [0, failed()],
      [0, failed()],
      [0, failed()],
      [5_000, admit],
    ]).snapshot;
    const closed = stepBreaker(probing, ok(true), options, 5_100);
    expect(closed).toMatchObject({ snapshot: CLOSED_BREAKER, transition: { from: 'half-open', to: 'closed' } });
    const reopened = stepBreaker(probing, failed(true), options, 5_100);
    expect(reopened).toMatchObject({ snapshot: { state: 'open', openedAtMs: 5_100 }, transition: { from: 'half-open', to: 'open', reason: 'a probe failed' } });
    expect(stepBreaker(reopened.snapshot, admit, options, 10_099).admission).toEqual({ kind: 'reject', retryAtMs: 10_100 });
  });

  it('needs closeAfterSuccesses probes, halfOpenProbes at a time, and replaces a probe that never reported', () => {
    const opts = { ...options, halfOpenProbes: 2, closeAfterSuccesses: 2 };
    const probing = run(
      CLOSED_BREAKER,
      [
        [0, failed()],
        [0, failed()],
        [0, failed()],
        [5_000, admit],
        [5_001, admit],
      ],
      opts,
    );
    expect(probing.snapshot).toMatchObject({ state: 'half-open', probes: 2 });
    expect(stepBreaker(probing.snapshot, admit, opts, 5_002).admission?.kind).toBe('reject');
    const one = stepBreaker(probing.snapshot, ok(true), opts, 5_100);
    expect(one.snapshot).toMatchObject({ state: 'half-open', probes: 1, probeSuccesses: 1 });
    expect(stepBreaker(one.snapshot, ok(true), opts, 5_200).snapshot).toEqual(CLOSED_BREAKER);
    // Both probes' nodes died: after openMs, new probes go.
    expect(stepBreaker(probing.snapshot, admit, opts, 10_000)).toMatchObject({ admission: { kind: 'probe' }, snapshot: { probes: 1, probesUntilMs: 15_000 } });
  });

  it('snapshots are plain JSON and round-trip', () => {
    const open = run(CLOSED_BREAKER, [
      [0, failed()],
      [0, failed()],
      [0, failed()],
    ]).snapshot;
    const again = JSON.parse(JSON.stringify(open)) as BreakerSnapshot;
    expect(stepBreaker(again, admit, options, 5_000)).toEqual(stepBreaker(open, admit, options, 5_000));
  });

  it('refuses options that cannot work, naming the back end', () => {
    expect(() => resolveBreakerOptions({ pricing: { failureRatio: 0 } })).toThrow(/pricing: failureRatio/);
    expect(() => resolveBreakerOptions({ pricing: { openMs: 0.5 } })).toThrow(/openMs/);
    expect(resolveBreakerOptions({ pricing: { openMs: 10 } }).get('pricing')).toEqual({ ...DEFAULT_BREAKER_OPTIONS, openMs: 10 });
  });
});

describe('the breaker board and guarded handlers', () => {
  function board(store: BreakerStore, clock: SimulatedClock, opts: Partial<BreakerOptions> = {}): { board: BreakerBoard; metrics: EngineMetrics } {
    const metrics = new EngineMetrics();
    const resolved = resolveBreakerOptions({ pricing: { ...options, ...opts } });
    return { board: new BreakerBoard(resolved, { store, metrics, logger: silentLogger(), clock }), metrics };
  }

  const meta = { callId: '01J0000000000000000000000A', journeyId: 'j1', attempt: 1 };

  it('opens on failures, fails fast without asking the back end, probes after openMs, and closes', async () => {
    const clock = new SimulatedClock(1_000_000);
    const { board: b, metrics } = board(createLocalBreakerStore(), clock);
    let up = false;
    let asked = 0;
    const registry: BackendRegistry = {
      'pricing.quote': () => {
        asked += 1;
        return up ? Promise.resolve({ price: 1 }) : Promise.reject(new JourneyError('JE_BACKEND_FAILED', 'HTTP 503'));
      },
      'other.thing': () => Promise.reject(new Error('unguarded')),
    };
    const guarded = guardBackends(registry, b);
    for (let i = 0; i < 3; i += 1) await expect(guarded['pricing.quote']?.({}, meta)).rejects.toThrow('HTTP 503');
    const open = await guarded['pricing.quote']?.({}, meta).catch((error: unknown) => error);
    expect(isJourneyError(open, 'JE_BACKEND_CIRCUIT_OPEN')).toBe(true);
    // Fails fast (the default): no retryAfterMs, and the back end was not asked.
    expect((open as JourneyError).retryAfterMs).toBeUndefined();
    expect(asked).toBe(3);
    // A system without a breaker is untouched.
    await expect(guarded['other.thing']?.({}, meta)).rejects.toThrow('unguarded');

    clock.advance(5_000);
    up = true;
    await expect(guarded['pricing.quote']?.({}, meta)).resolves.toEqual({ price: 1 });
    expect(asked).toBe(4);
    const text = await metrics.registry.metrics();
    expect(text).toContain('je_backend_breaker_transitions_total{system="pricing",from="closed",to="open"} 1');
    expect(text).toContain('je_backend_breaker_transitions_total{system="pricing",from="open",to="half-open"} 1');
    expect(text).toContain('je_backend_breaker_transitions_total{system="pricing",from="half-open",to="closed"} 1');
    expect(text).toContain('je_backend_breaker_state{system="pricing"} 0');
    expect(text).toContain('je_backend_breaker_rejected_total{system="pricing"} 1');
  });

  it('a refusal (not retryable) does not count against the breaker; whenOpen wait gives a retry time', async () => {
    const clock = new SimulatedClock(1_000_000);
    const { board: b } = board(createLocalBreakerStore(), clock, { whenOpen: 'wait' });
    let error: Error = new JourneyError('JE_BACKEND_REFUSED', 'HTTP 400');
    const guarded = guardBackends({ 'pricing.quote': () => Promise.reject(error) }, b);
    for (let i = 0; i < 5; i += 1) await expect(guarded['pricing.quote']?.({}, meta)).rejects.toThrow('HTTP 400');
    error = new Error('connection reset');
    for (let i = 0; i < 3; i += 1) await expect(guarded['pricing.quote']?.({}, meta)).rejects.toThrow('connection reset');
    clock.advance(1_200);
    const open = await guarded['pricing.quote']?.({}, meta).catch((thrown: unknown) => thrown);
    expect(open).toMatchObject({ code: 'JE_BACKEND_CIRCUIT_OPEN', retryAfterMs: 3_800 });
  });

  it('two nodes share one breaker: what one opens the other sees', async () => {
    const clock = new SimulatedClock(1_000_000);
    const store = createLocalBreakerStore();
    const one = guardBackends({ 'pricing.quote': () => Promise.reject(new Error('down')) }, board(store, clock).board);
    const other = guardBackends({ 'pricing.quote': () => Promise.resolve({ price: 2 }) }, board(store, clock).board);
    for (let i = 0; i < 3; i += 1) await expect(one['pricing.quote']?.({}, meta)).rejects.toThrow('down');
    await expect(other['pricing.quote']?.({}, meta)).rejects.toMatchObject({ code: 'JE_BACKEND_CIRCUIT_OPEN' });
  });

  it('lets calls go when the store cannot be read (Redis is a hint), and takes no unreadable state', async () => {
    const clock = new SimulatedClock(1_000_000);
    const down: BreakerStore = { getBreaker: () => Promise.reject(new Error('grid down')), swapBreaker: () => Promise.reject(new Error('grid down')) };
    const guarded = guardBackends({ 'pricing.quote': () => Promise.resolve({ price: 3 }) }, board(down, clock).board);
    await expect(guarded['pricing.quote']?.({}, meta)).resolves.toEqual({ price: 3 });
    // A forged state reaches the board as json null (the grid checks the MAC): closed.
    const forged: BreakerStore = { getBreaker: () => Promise.resolve({ token: 'x', json: null }), swapBreaker: () => Promise.resolve(true) };
    await expect(
      guardBackends({ 'pricing.quote': () => Promise.resolve({ price: 4 }) }, board(forged, clock).board)['pricing.quote']?.({}, meta),
    ).resolves.toEqual({
      price: 4,
    });
  });

  it('a step that loses the compare-and-set reads again and steps from what the other node wrote', async () => {
    const clock = new SimulatedClock(1_000_000);
    const store = createLocalBreakerStore();
    let interfere = true;
    const racing: BreakerStore = {
      getBreaker: (system) => store.getBreaker(system),
      swapBreaker: async (system, token, json, ttlMs) => {
        if (interfere) {
          interfere = false;
          // Another node records a failure first.
          const { snapshot } = stepBreaker(CLOSED_BREAKER, failed(), options, clock.nowMs());
          await store.swapBreaker(system, token, JSON.stringify(snapshot), ttlMs);
        }
        return store.swapBreaker(system, token, json, ttlMs);
      },
    };
    const guarded = guardBackends({ 'pricing.quote': () => Promise.reject(new Error('down')) }, board(racing, clock).board);
    await expect(guarded['pricing.quote']?.({}, meta)).rejects.toThrow('down');
    const { json } = await store.getBreaker('pricing');
    expect(JSON.parse(json ?? '{}')).toMatchObject({ state: 'closed', failures: 2 });
  });
});
